// The console API client (docs/console-api.md): JSON in and out, the session's CSRF token on every
// state-changing request, errors as ApiError {status, code, message, field, retryAfter}, and a 401
// (the session ended) sends the page back to the sign-in form.

const BASE = '/console/api';

export class ApiError extends Error {
  constructor(status, code, message, field, retryAfter) {
    super(message || code);
    this.status = status;
    this.code = code;
    this.field = field || '';
    this.retryAfter = retryAfter;  // seconds, for too_many_attempts
  }
}

// The signed-in operator and the session's CSRF token; roles weakest first.
export const session = {operator: null, csrf: '', secondFactor: false};
const ROLES = ['viewer', 'agent', 'admin', 'owner'];

export function roleRank(role) {
  return ROLES.indexOf(role);
}

// True when the signed-in operator's role is at least `role`.
export function can(role) {
  return !!session.operator && roleRank(session.operator.role) >= roleRank(role);
}

export function setSession(answer) {
  session.operator = answer ? answer.operator : null;
  session.csrf = answer ? answer.csrf || '' : '';
  session.secondFactor = !!(answer && answer.second_factor_required);
}

let onSignedOut = () => {};
export function onSessionEnded(fn) {
  onSignedOut = fn;
}

// api('GET', '/board'), api('POST', '/send', {...}). Returns the parsed JSON (null for 204).
export async function api(method, path, body, options = {}) {
  const headers = {Accept: 'application/json'};
  const init = {method, headers, credentials: 'same-origin', cache: 'no-store'};
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (method !== 'GET' && method !== 'HEAD' && session.csrf) headers['X-CSRF-Token'] = session.csrf;
  if (options.signal) init.signal = options.signal;
  let res;
  try {
    res = await fetch(BASE + path, init);
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', String(e && e.message || e));
  }
  if (res.status === 204) return null;
  let data = null;
  const text = await res.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (res.ok) return data;
  const err = (data && data.error) || {};
  const retry = res.headers.get('Retry-After');
  const e = new ApiError(res.status, err.code || ('http_' + res.status), err.message || res.statusText, err.field,
                         retry !== null && retry !== '' ? Number(retry) : undefined);
  // The session ended (expired, signed out elsewhere, password changed): back to the sign-in form.
  if (res.status === 401 && e.code === 'not_signed_in' && !options.quiet && session.operator) {
    setSession(null);
    onSignedOut();
  }
  throw e;
}

// Query string from an object, leaving out empty values.
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? '?' + s : '';
}
