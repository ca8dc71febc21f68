// Live updates: one EventSource on /console/api/events (event: board | alert | notice | status). The browser
// reconnects by itself after a dropped connection; when the server refuses the stream (the session
// ended) the EventSource closes for good, and `onClosed` decides (sign in again, or retry later).

const listeners = {board: [], alert: [], notice: [], status: [], state: []};
let source = null;
let state = 'off';  // live | reconnecting | off
let retryTimer = null;
let lastBoard = null;
let closedHandler = async () => true;

function setState(s) {
  if (s === state) return;
  state = s;
  for (const fn of listeners.state) fn(s);
}

function dispatch(kind, ev) {
  let data;
  try {
    data = JSON.parse(ev.data);
  } catch {
    return;
  }
  if (kind === 'board') lastBoard = data;
  for (const fn of listeners[kind]) {
    try {
      fn(data);
    } catch (e) {
      // one broken view must not stop the others
      setTimeout(() => { throw e; });
    }
  }
}

export function start() {
  if (source) return;
  clearTimeout(retryTimer);
  source = new EventSource('/console/api/events');
  setState(state === 'live' ? 'live' : 'reconnecting');
  source.addEventListener('open', () => setState('live'));
  source.addEventListener('board', (ev) => { setState('live'); dispatch('board', ev); });
  source.addEventListener('alert', (ev) => dispatch('alert', ev));
  source.addEventListener('notice', (ev) => dispatch('notice', ev));
  // The public status document (/status/status.json) when it changes: its notices, open and recent.
  source.addEventListener('status', (ev) => dispatch('status', ev));
  source.addEventListener('error', () => {
    if (!source) return;
    if (source.readyState === EventSource.CLOSED) {
      // Refused (e.g. 401): no automatic retry. Ask whether the session is still there.
      source = null;
      setState('reconnecting');
      Promise.resolve(closedHandler()).then((retry) => {
        if (retry) retryTimer = setTimeout(start, 3000);
        else setState('off');
      }, () => { retryTimer = setTimeout(start, 5000); });
    } else {
      setState('reconnecting');  // CONNECTING: the browser retries by itself
    }
  });
}

export function stop() {
  clearTimeout(retryTimer);
  if (source) source.close();
  source = null;
  lastBoard = null;
  setState('off');
}

export function liveState() {
  return state;
}

export function latestBoard() {
  return lastBoard;
}

// on('board', fn) → a function that removes the listener.
export function on(kind, fn) {
  listeners[kind].push(fn);
  return () => {
    const i = listeners[kind].indexOf(fn);
    if (i >= 0) listeners[kind].splice(i, 1);
  };
}

// fn() → Promise<bool>: reconnect after the server refused the stream?
export function onClosed(fn) {
  closedHandler = fn;
}

// A notice of the public status document ({title: {ko, en}, body: {ko, en}, open, …}) in the
// console's NOTICE shape ({title_ko, title_en, body_ko, body_en, resolved_ms, …}).
export function noticeFromStatus(n) {
  const title = n.title || {};
  const body = n.body || {};
  return {id: n.id, kind: n.kind, channel: n.channel || '', severity: n.severity,
          title_ko: n.title_ko !== undefined ? n.title_ko : title.ko || '', title_en: n.title_en !== undefined ? n.title_en : title.en || '',
          body_ko: n.body_ko !== undefined ? n.body_ko : body.ko || '', body_en: n.body_en !== undefined ? n.body_en : body.en || '',
          created_ms: n.created_ms, updated_ms: n.updated_ms,
          resolved_ms: n.resolved_ms || (n.open === false ? n.updated_ms || 1 : 0)};
}
