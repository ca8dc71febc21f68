// Browser tests of the operator console (/console): Debian's Chromium driven by playwright-core,
// against a real jarip and the provider simulator started by tests/integration/test_console_browser.py.
//
//   JARIP_URL                  jarip's base URL (http://127.0.0.1:PORT)
//   JARIP_OPERATOR_EMAIL       an owner created with `jarip operators create … --role owner`
//   JARIP_OPERATOR_PASSWORD    its password
//   JARIP_SIM_ADMIN            the simulator's admin API (faults)
//   JARIP_API_KEY              an API key (traffic through /v1/messages, so that breakers see requests)
//   JARIP_OUTAGE_PROVIDER      the provider taken down (default solapi) …
//   JARIP_OUTAGE_CHANNEL       … which is then the only one of this channel's chain (default alimtalk)
//   JARIP_BROWSER_ARTIFACTS    where screenshots and the browser's console log go
//   JARIP_CHROMIUM             the browser (default /usr/bin/chromium)
//
// Tests run in order and share one signed-in page: each one continues from where the previous left off.

import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {chromium} from 'playwright-core';

const BASE = (process.env.JARIP_URL || '').replace(/\/$/, '');
const EMAIL = process.env.JARIP_OPERATOR_EMAIL || '';
const PASSWORD = process.env.JARIP_OPERATOR_PASSWORD || '';
const SIM = (process.env.JARIP_SIM_ADMIN || '').replace(/\/$/, '');
const API_KEY = process.env.JARIP_API_KEY || '';
const OUTAGE_PROVIDER = process.env.JARIP_OUTAGE_PROVIDER || 'solapi';
const OUTAGE_CHANNEL = process.env.JARIP_OUTAGE_CHANNEL || 'alimtalk';
const ARTIFACTS = process.env.JARIP_BROWSER_ARTIFACTS || path.join(process.cwd(), 'browser-artifacts');
const CHROMIUM = process.env.JARIP_CHROMIUM || '/usr/bin/chromium';
const XSS = '<script>alert("xss")</script><img src=x onerror=alert("img")>';

const missing = ['JARIP_URL', 'JARIP_OPERATOR_EMAIL', 'JARIP_OPERATOR_PASSWORD'].filter((k) => !process.env[k]);
const skip = missing.length ? 'needs ' + missing.join(', ') + ' (run through tests/integration/test_console_browser.py)' : false;

let browser = null;
let page = null;               // the signed-in page most tests use
const contexts = [];
const problems = {csp: [], pageErrors: [], dialogs: [], consoleErrors: []};
let shotNo = 0;
let logFile = null;

function log(line) {
  if (logFile) fs.appendFileSync(logFile, line + '\n');
}

async function shot(p, name) {
  shotNo += 1;
  const file = path.join(ARTIFACTS, String(shotNo).padStart(2, '0') + '-' + name + '.png');
  try {
    // Sticky header and navigation: a full-page shot is taken from the top.
    await p.evaluate(() => window.scrollTo(0, 0)).catch(() => {});
    await p.screenshot({path: file, fullPage: true});
  } catch (e) {
    log('screenshot ' + name + ' failed: ' + e.message);
  }
  return file;
}

// A new browser context and page with every CSP violation, page error, dialog and console error
// recorded (a `securitypolicyviolation` listener installed before any page script runs).
async function newPage(name, options = {}) {
  const ctx = await browser.newContext(Object.assign({viewport: {width: 1280, height: 900}, locale: 'ko-KR',
                                                      timezoneId: 'Asia/Seoul'}, options));
  await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], {origin: BASE}).catch(() => {});
  contexts.push(ctx);
  await ctx.exposeBinding('__jaripCspViolation', ({page: p}, v) => {
    problems.csp.push(Object.assign({page: name, url: p.url()}, v));
    log(`[${name}] CSP violation ${JSON.stringify(v)}`);
  });
  await ctx.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__jaripCspViolation({directive: e.violatedDirective, blocked: e.blockedURI, source: e.sourceFile,
                                  line: e.lineNumber, sample: e.sample});
    });
  });
  const p = await ctx.newPage();
  p.setDefaultTimeout(20000);
  p.on('console', (m) => {
    const text = m.text();
    log(`[${name}] console.${m.type()}: ${text}`);
    if (/Content.Security.Policy/i.test(text)) problems.csp.push({page: name, console: text});
    // Chrome logs every non-2xx answer as "Failed to load resource"; the tests cause some on purpose.
    if (m.type() === 'error' && !/Failed to load resource/.test(text)) problems.consoleErrors.push(`[${name}] ${text}`);
  });
  p.on('pageerror', (e) => {
    problems.pageErrors.push(`[${name}] ${e.message}`);
    log(`[${name}] pageerror: ${e.stack || e.message}`);
  });
  p.on('dialog', async (d) => {
    problems.dialogs.push(`[${name}] ${d.type()}: ${d.message()}`);
    log(`[${name}] DIALOG ${d.type()}: ${d.message()}`);
    await d.dismiss().catch(() => {});
  });
  return p;
}

async function signIn(p, email, password) {
  await p.getByTestId('login-email').fill(email);
  await p.getByTestId('login-password').fill(password);
  await p.getByTestId('login-submit').click();
}

// Calls the console API from inside the page (its session cookie, its CSRF token).
async function consoleApi(p, method, apiPath, body) {
  return p.evaluate(async ([m, u, b]) => {
    const s = await fetch('/console/api/session', {credentials: 'same-origin'}).then((r) => r.json());
    const r = await fetch('/console/api' + u, {method: m, credentials: 'same-origin',
      headers: {'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf},
      body: b === undefined ? undefined : JSON.stringify(b)});
    const text = await r.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { json = null; }
    return {status: r.status, json};
  }, [method, apiPath, body]);
}

async function simFault(body) {
  const r = await fetch(SIM + '/_sim/faults', {method: 'POST', headers: {'Content-Type': 'application/json'},
                                               body: JSON.stringify(body)});
  assert.ok(r.ok, 'simulator fault accepted: ' + r.status);
}

async function simHeal() {
  const r = await fetch(SIM + '/_sim/faults', {method: 'DELETE'});
  assert.ok(r.ok, 'simulator faults cleared: ' + r.status);
}


// RFC 6238 TOTP (SHA-1, 6 digits, 30 s) for a base32 secret, at time step `step`.
function totp(secret, step) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secret.replace(/=+$/, '').toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = crypto.createHmac('sha1', key).update(counter).digest();
  const o = mac[mac.length - 1] & 0xf;
  return String((mac.readUInt32BE(o) & 0x7fffffff) % 1000000).padStart(6, '0');
}

const totpStep = () => Math.floor(Date.now() / 30000);

let phoneSeq = 0;
async function sendThroughApi(n, channels) {
  const out = [];
  for (let i = 0; i < n; ++i) {
    phoneSeq += 1;
    const msg = {recipient: {phone: '010' + String(31000000 + phoneSeq)}, template: 'order_shipped',
                 vars: {name: '고객' + phoneSeq, order: 'B-' + phoneSeq}};
    if (channels) msg.channels = channels;
    const r = await fetch(BASE + '/v1/messages', {method: 'POST',
      headers: {'Content-Type': 'application/json', Authorization: 'Bearer ' + API_KEY}, body: JSON.stringify(msg)});
    out.push(r.status);
  }
  return out;
}

// Keeps sending a trickle of messages while `until()` is false (breakers need requests to change).
async function trickleUntil(until, {timeoutMs = 60000, channels} = {}) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await until()) return true;
    if (API_KEY) await sendThroughApi(2, channels);
    await new Promise((r) => setTimeout(r, 250));
  }
  return until();
}

async function attr(locator, name) {
  return (await locator.count()) ? locator.first().getAttribute(name) : null;
}

// Runs a test body; on failure saves a screenshot of the page it was on.
function step(name, fn) {
  return async (t) => {
    try {
      await fn(t);
    } catch (e) {
      for (const c of contexts) {
        for (const p of c.pages()) await shot(p, 'FAILED-' + name.replace(/[^a-z0-9]+/gi, '-').slice(0, 50));
      }
      throw e;
    }
  };
}

before(async () => {
  if (skip) return;
  fs.mkdirSync(ARTIFACTS, {recursive: true});
  logFile = path.join(ARTIFACTS, 'browser-console.log');
  fs.writeFileSync(logFile, '');
  browser = await chromium.launch({executablePath: CHROMIUM, headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-default-apps',
           '--disable-sync', '--no-first-run', '--metrics-recording-only', '--disable-dev-shm-usage']});
  log('chromium ' + browser.version());
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  if (browser) await browser.close().catch(() => {});
  if (SIM) await fetch(SIM + '/_sim/faults', {method: 'DELETE'}).catch(() => {});
});

test('the console page is served with a strict CSP and safe headers', {skip}, async () => {
  const r = await fetch(BASE + '/console/');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type') || '', /^text\/html/);
  const csp = r.headers.get('content-security-policy') || '';
  for (const d of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'",
                   "base-uri 'none'", "frame-ancestors 'none'"]) {
    assert.ok(csp.includes(d), `CSP has ${d}: ${csp}`);
  }
  assert.ok(!/unsafe-inline|unsafe-eval/.test(csp), 'no unsafe-inline or unsafe-eval: ' + csp);
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
  const html = await r.text();
  assert.ok(!/<script(?![^>]*\bsrc=)[^>]*>/i.test(html), 'no inline <script> in index.html');
  assert.ok(!/\sstyle=/i.test(html), 'no inline style attribute in index.html');
  for (const [asset, type] of [['js/app.js', /javascript/], ['css/console.css', /text\/css/], ['icon.svg', /image\/svg\+xml/],
                               ['manifest.webmanifest', /manifest\+json|application\/json/]]) {
    const a = await fetch(BASE + '/console/assets/' + asset);
    assert.equal(a.status, 200, asset);
    assert.match(a.headers.get('content-type') || '', type, asset + ' content type');
  }
  const api = await fetch(BASE + '/console/api/session');
  assert.equal(api.status, 401, 'no session → 401');
  assert.equal((await api.json()).error.code, 'not_signed_in');
});

test('sign-in: a wrong password is rejected', {skip}, step('wrong-password', async () => {
  page = await newPage('main');
  await page.goto(BASE + '/console/');
  await page.getByTestId('login-email').waitFor();
  await signIn(page, EMAIL, PASSWORD + '-wrong');
  const err = page.getByTestId('login-error');
  await err.waitFor({state: 'visible'});
  assert.equal(await err.getAttribute('data-code'), 'invalid_credentials');
  assert.match(await err.textContent(), /이메일 또는 비밀번호|email or password/i);
  await shot(page, 'login-wrong-password');
}));

test('sign-in: the owner signs in and sees the health board', {skip}, step('board', async () => {
  await signIn(page, EMAIL, PASSWORD);
  await page.getByTestId('view-board').waitFor();
  const cards = page.locator('[data-testid="channel-card"]');
  await cards.first().waitFor();
  const channels = await cards.evaluateAll((els) => els.map((e) => [e.dataset.channel, e.dataset.state]));
  assert.ok(channels.some(([c]) => c === OUTAGE_CHANNEL), 'a card for ' + OUTAGE_CHANNEL + ': ' + JSON.stringify(channels));
  assert.ok(channels.some(([c]) => c === 'sms'), 'a card for sms');
  for (const [c, s] of channels) assert.ok(['operational', 'degraded', 'down'].includes(s), `${c} state ${s}`);
  const row = page.locator(`[data-testid="provider-row"][data-provider="${OUTAGE_PROVIDER}"]`);
  await row.waitFor();
  assert.ok(['closed', 'open', 'half_open', 'forced_open'].includes(await row.getAttribute('data-breaker')));
  assert.ok(await page.locator('[data-testid="provider-row"][data-provider="nhn"]').count(), 'a row for nhn');
  await page.locator('[data-testid="live-indicator"][data-state="live"]').waitFor({timeout: 15000});
  await page.locator('[data-testid="board-chart"] svg').first().waitFor();
  assert.match(await page.getByTestId('board-queue-depth').textContent(), /\d/);
  await shot(page, 'board');
}));

test('templates and names holding <script> show as text and run nothing', {skip}, step('xss', async () => {
  // A template whose texts are markup, saved through the editor.
  await page.goto(BASE + '/console/#/templates?new=1');
  await page.getByTestId('template-json').waitFor();
  await page.getByTestId('template-name').fill('xss_probe');
  const doc = {kind: 'info', chain: ['sms'], sms: {text: XSS + ' #{name}'}};
  await page.getByTestId('template-json').fill(JSON.stringify(doc, null, 2));
  const sms = page.locator('[data-testid="preview-sms-text"]');
  await sms.waitFor();
  await page.getByTestId('template-save').click();
  await page.waitForURL(/#\/templates\/xss_probe$/);
  await page.locator('[data-testid="preview-sms-text"]').waitFor();
  assert.ok((await page.locator('[data-testid="preview-sms-text"]').textContent()).includes('<script>alert("xss")</script>'),
            'the preview shows the markup as text');
  // A variable value with markup in the preview.
  const values = page.getByTestId('send-var-value');
  await values.first().fill('<b onmouseover=alert(1)>고객</b>');
  await page.waitForFunction(() => (document.querySelector('[data-testid="preview-sms-text"]') || {}).textContent
    ?.includes('<b onmouseover=alert(1)>고객</b>'));
  // An operator whose name is markup.
  const made = await consoleApi(page, 'POST', '/operators',
    {email: 'xss-probe@example.com', name: XSS, role: 'viewer', password: 'xss-probe-password-1'});
  assert.ok(made.status === 201 || made.status === 409, 'operator created: ' + JSON.stringify(made));
  await page.goto(BASE + '/console/#/operators');
  const row = page.locator('[data-testid="operator-row"][data-email="xss-probe@example.com"]');
  await row.waitFor();
  assert.ok((await row.textContent()).includes('<script>alert("xss")</script>'), 'operator name shown as text');
  // Nothing ran and nothing was injected.
  const injected = await page.evaluate(() => ({
    scripts: [...document.scripts].map((s) => s.src),
    imgX: document.querySelectorAll('img[src="x"]').length,
    bold: document.querySelectorAll('b[onmouseover]').length,
  }));
  assert.deepEqual(injected.scripts.map((s) => new URL(s).pathname), ['/console/assets/js/app.js']);
  assert.equal(injected.imgX, 0);
  assert.equal(injected.bold, 0);
  assert.deepEqual(problems.dialogs, [], 'no dialog opened');
  await shot(page, 'xss-operator-as-text');
  await page.goto(BASE + '/console/#/templates/xss_probe');
  await page.locator('[data-testid="preview-sms-text"]').waitFor();
  await shot(page, 'xss-template-as-text');
}));

test('sign-in: throttled after repeated failures, with Retry-After', {skip}, step('throttle', async () => {
  const email = 'throttle-probe@example.com';
  const password = 'throttle-probe-password-1';
  const made = await consoleApi(page, 'POST', '/operators', {email, name: 'Throttle probe', role: 'viewer', password});
  assert.ok(made.status === 201 || made.status === 409, 'operator created: ' + JSON.stringify(made));
  const p = await newPage('throttle');
  await p.goto(BASE + '/console/');
  await p.getByTestId('login-email').waitFor();
  const err = p.getByTestId('login-error');
  let code = null;
  let tries = 0;
  for (; tries < 8 && code !== 'too_many_attempts'; ++tries) {
    await signIn(p, email, 'not-the-password-' + tries);
    await p.waitForFunction(() => {
      const e = document.querySelector('[data-testid="login-error"]');
      const b = document.querySelector('[data-testid="login-submit"]');
      return !!(e && !e.hidden && b && !b.disabled);
    });
    code = await err.getAttribute('data-code');
    if (code !== 'too_many_attempts') assert.equal(code, 'invalid_credentials', 'attempt ' + tries);
  }
  assert.equal(code, 'too_many_attempts', 'throttled after ' + tries + ' attempts');
  assert.ok(tries <= 6, 'throttled by the 6th attempt (5 failures allowed), took ' + tries);
  assert.match(await err.textContent(), /\d+\s*(초|s)/, 'the wait is shown');
  // The right password is refused too while the window lasts.
  await signIn(p, email, password);
  await p.waitForFunction(() => {
    const e = document.querySelector('[data-testid="login-error"]');
    const b = document.querySelector('[data-testid="login-submit"]');
    return !!(e && !e.hidden && b && !b.disabled);
  });
  assert.equal(await err.getAttribute('data-code'), 'too_many_attempts');
  assert.equal(await p.getByTestId('view-board').count(), 0, 'not signed in');
  const r = await p.evaluate(async ([e, pw]) => {
    const a = await fetch('/console/api/login', {method: 'POST', headers: {'Content-Type': 'application/json'},
                                                 body: JSON.stringify({email: e, password: pw})});
    return {status: a.status, retry: a.headers.get('Retry-After')};
  }, [email, password]);
  assert.equal(r.status, 429);
  assert.ok(Number(r.retry) > 0, 'Retry-After: ' + r.retry);
  await shot(p, 'login-throttled');
}));

test('two-step sign-in: TOTP set up on My account (secret, URI, QR), then a code is asked at sign-in', {skip},
  step('totp', async () => {
    const email = 'totp-probe@example.com';
    const password = 'totp-probe-password-1';
    const made = await consoleApi(page, 'POST', '/operators', {email, name: 'TOTP probe', role: 'viewer', password});
    assert.ok(made.status === 201 || made.status === 409, 'operator created: ' + JSON.stringify(made));
    const p = await newPage('totp');
    await p.goto(BASE + '/console/');
    await signIn(p, email, password);
    await p.getByTestId('view-board').waitFor();
    assert.equal(await p.getByTestId('nav-send').count(), 0, 'a viewer is not offered Send');
    assert.equal(await p.getByTestId('nav-operators').count(), 0, 'nor Operators');
    await p.goto(BASE + '/console/#/account');
    await p.getByTestId('totp-setup').click();
    const secret = await p.getByTestId('totp-secret').inputValue();
    const uri = await p.getByTestId('totp-uri').textContent();
    assert.match(secret, /^[A-Z2-7]{16,}=*$/, 'a base32 secret');
    assert.ok(uri.startsWith('otpauth://totp/') && uri.includes('secret=' + secret), 'the otpauth URI: ' + uri);
    await p.locator('[data-testid="totp-qr"] svg path').waitFor({state: 'attached'});
    await shot(p, 'totp-setup');
    const enabledAt = totpStep();
    await p.getByTestId('totp-code').fill(totp(secret, enabledAt));
    await p.getByTestId('totp-enable').click();
    await p.locator('[data-testid="totp-state"][data-on="true"]').waitFor();
    await p.getByTestId('logout').click();
    await signIn(p, email, password);
    await p.getByTestId('login-totp').waitFor();
    await p.getByTestId('login-totp').fill(totp(secret, enabledAt - 20));
    await p.getByTestId('login-totp-submit').click();
    const err = p.getByTestId('login-error');
    await err.waitFor({state: 'visible'});
    assert.equal(await err.getAttribute('data-code'), 'invalid_code');
    await shot(p, 'totp-wrong-code');
    await p.getByTestId('login-totp').fill(totp(secret, Math.max(enabledAt + 1, totpStep())));
    await p.getByTestId('login-totp-submit').click();
    // Signed in: back on the page the address names (#/account).
    await p.getByTestId('view-account').waitFor();
    assert.match(await p.getByTestId('whoami').textContent(), /TOTP probe/);
    await p.locator('[data-testid="totp-state"][data-on="true"]').waitFor();
  }));

test('send: live preview with the SMS byte counter and ad rules, then send', {skip}, step('send', async () => {
  await page.goto(BASE + '/console/#/send');
  await page.getByTestId('send-form').waitFor();
  await page.getByTestId('send-audience').selectOption('phones');
  await page.getByTestId('send-recipients').fill('01032000001, 01032000002');
  await page.getByTestId('send-mode').selectOption('template');
  await page.locator('[data-testid="send-template"] option[value="order_shipped"]').waitFor({state: 'attached'});
  await page.getByTestId('send-template').selectOption('order_shipped');
  const keys = page.getByTestId('send-var-key');
  await keys.first().waitFor();
  const names = await keys.evaluateAll((els) => els.map((e) => e.value));
  assert.ok(names.includes('name') && names.includes('order'), 'variables of the template: ' + names);
  const values = page.getByTestId('send-var-value');
  await values.nth(names.indexOf('name')).fill('김자립');
  await values.nth(names.indexOf('order')).fill('A-1001');
  const counter = page.getByTestId('preview-bytes');
  await page.waitForFunction(() => {
    const c = document.querySelector('[data-testid="preview-bytes"]');
    const txt = document.querySelector('[data-testid="preview-sms-text"]');
    return c && txt && txt.textContent.includes('김자립') && txt.textContent.includes('A-1001');
  });
  const bytes = Number(await counter.getAttribute('data-bytes'));
  assert.ok(bytes > 0 && bytes <= 90, 'an SMS-sized text: ' + bytes);
  assert.equal(await counter.getAttribute('data-type'), 'sms');
  await shot(page, 'send-preview');

  // Free text as an ad: "(광고)" in front, the opt-out line, and LMS past 90 bytes.
  await page.getByTestId('send-mode').selectOption('text');
  await page.getByTestId('send-kind').selectOption('ad');
  await page.getByTestId('send-text').fill('이번 주말 전 품목 20% 할인! 매장에서 확인하세요. '.repeat(4));
  await page.waitForFunction(() => {
    const txt = document.querySelector('[data-testid="preview-sms-text"]');
    return txt && txt.textContent.includes('(광고)') && txt.textContent.includes('할인');
  });
  assert.equal(await counter.getAttribute('data-type'), 'lms');
  assert.ok(Number(await counter.getAttribute('data-bytes')) > 90);
  await page.getByTestId('preview-ad').waitFor();
  await page.getByTestId('preview-ad-optout').waitFor();
  await shot(page, 'send-preview-ad');

  // Back to the template as information, and send it.
  await page.getByTestId('send-kind').selectOption('info');
  await page.getByTestId('send-mode').selectOption('template');
  await page.getByTestId('send-submit').click();
  const dialog = page.getByTestId('send-confirm');
  await dialog.waitFor();
  await shot(page, 'send-confirm');
  await dialog.getByTestId('confirm-ok').click();
  const result = page.getByTestId('send-result-accepted');
  await result.waitFor();
  assert.equal(await result.getAttribute('data-accepted'), '2');
  const ids = await page.getByTestId('send-result-id').evaluateAll((els) => els.map((e) => e.textContent));
  assert.equal(ids.length, 2);
  await shot(page, 'send-result');

  // The message's timeline.
  await page.getByTestId('send-result-id').first().click();
  await page.getByTestId('message-detail').waitFor();
  await page.getByTestId('attempt').first().waitFor({timeout: 20000}).catch(() => {});
  let delivered = false;
  for (let i = 0; i < 30 && !delivered; ++i) {
    delivered = (await page.getByTestId('message-detail').getAttribute('data-state')) === 'delivered';
    if (!delivered) {
      await page.waitForTimeout(500);
      await page.reload();
      await page.getByTestId('message-detail').waitFor();
    }
  }
  assert.ok(delivered, 'the message was delivered');
  assert.ok(await page.getByTestId('attempt').count() >= 1, 'the attempt timeline is shown');
  await shot(page, 'message-timeline');

  // And it is found by the search.
  await page.goto(BASE + '/console/#/messages?recipient=01032000001');
  await page.getByTestId('messages-table').waitFor();
  await page.locator('[data-testid="message-row"]').first().waitFor();
  await shot(page, 'messages-search');
}));

test('a provider outage in the simulator shows on the board and the status banner without a reload', {skip: skip || (!SIM && 'needs JARIP_SIM_ADMIN')},
  step('outage', async () => {
    await page.goto(BASE + '/console/#/board');
    await page.locator(`[data-testid="provider-row"][data-provider="${OUTAGE_PROVIDER}"]`).waitFor();
    await page.evaluate(() => { window.__sameDocument = 'yes'; });
    const row = () => page.locator(`[data-testid="provider-row"][data-provider="${OUTAGE_PROVIDER}"]`);
    const card = () => page.locator(`[data-testid="channel-card"][data-channel="${OUTAGE_CHANNEL}"]`);
    assert.equal(await attr(row(), 'data-breaker'), 'closed', 'starts closed');
    assert.equal(await attr(card(), 'data-state'), 'operational', 'starts operational');
    assert.equal(await page.getByTestId('status-banner').isVisible(), false, 'no banner before the outage');

    await simFault({provider: OUTAGE_PROVIDER, channel: '*', mode: 'down'});
    const opened = await trickleUntil(async () => (await attr(row(), 'data-breaker')) !== 'closed', {timeoutMs: 45000});
    assert.ok(opened, 'the breaker left closed on the board: ' + await attr(row(), 'data-breaker'));
    await page.waitForFunction(([c]) => {
      const el = document.querySelector(`[data-testid="channel-card"][data-channel="${c}"]`);
      return el && el.dataset.state === 'down';
    }, [OUTAGE_CHANNEL], {timeout: 30000});
    const item = page.locator('[data-testid="status-banner-item"][data-kind="auto"]');
    await item.first().waitFor({timeout: 30000});
    assert.equal(await item.first().getAttribute('data-severity'), 'outage');
    assert.ok((await page.getByTestId('status-banner').textContent()).length > 5, 'the banner has text');
    assert.equal(await page.evaluate(() => window.__sameDocument), 'yes', 'no reload happened');
    await shot(page, 'outage-board-and-banner');
    // A staff alert may arrive as a toast; if it does, its link leads to the board.
    const toast = page.getByTestId('alert-toast');
    if (await toast.count()) {
      assert.equal(await toast.first().getByTestId('alert-toast-link').getAttribute('href'), '#/board');
      await shot(page, 'outage-alert-toast');
    }

    await simHeal();
    const closed = await trickleUntil(async () => (await attr(row(), 'data-breaker')) === 'closed',
                                      {timeoutMs: 60000, channels: [OUTAGE_CHANNEL + '@' + OUTAGE_PROVIDER, 'sms']});
    assert.ok(closed, 'the breaker closed again: ' + await attr(row(), 'data-breaker'));
    await page.waitForFunction(([c]) => {
      const el = document.querySelector(`[data-testid="channel-card"][data-channel="${c}"]`);
      return el && el.dataset.state === 'operational';
    }, [OUTAGE_CHANNEL], {timeout: 30000});
    await page.locator('[data-testid="status-banner-item"][data-kind="auto"]').first().waitFor({state: 'detached', timeout: 30000});
    assert.equal(await page.evaluate(() => window.__sameDocument), 'yes', 'still no reload');
    await shot(page, 'outage-recovered');
  }));

test('providers: drain with a reason and undrain; change a channel\'s chain and put it back (admin)', {skip},
  step('providers', async () => {
    await page.goto(BASE + '/console/#/providers');
    const row = () => page.locator('[data-testid="providers-admin"] [data-testid="provider-row"][data-provider="nhn"]');
    await row().waitFor();
    await page.evaluate(() => { window.__sameDocument = 'providers'; });
    await row().getByTestId('provider-drain').click();
    await page.getByTestId('drain-dialog').waitFor();
    await page.getByTestId('drain-reason').fill('정기 점검 <b>test</b>');
    await shot(page, 'provider-drain-dialog');
    await page.getByTestId('confirm-ok').click();
    await page.waitForFunction(() => {
      const r = document.querySelector('[data-testid="providers-admin"] [data-testid="provider-row"][data-provider="nhn"]');
      return r && r.dataset.drained === 'true' && r.dataset.breaker === 'forced_open';
    }, null, {timeout: 20000});
    await shot(page, 'provider-drained');
    await row().getByTestId('provider-undrain').click();
    await page.waitForFunction(() => {
      const r = document.querySelector('[data-testid="providers-admin"] [data-testid="provider-row"][data-provider="nhn"]');
      return r && r.dataset.drained === 'false' && r.dataset.breaker !== 'forced_open';
    }, null, {timeout: 20000});

    // AlimTalk's chain: add nhn, move it first, save; the board follows; then back to solapi alone.
    const card = () => page.locator(`[data-testid="chain-card"][data-channel="${OUTAGE_CHANNEL}"]`);
    const before = await card().getAttribute('data-order');
    await card().locator('[data-testid="chain-add"][data-provider="nhn"]').click();
    await card().locator('[data-testid="chain-item"][data-provider="nhn"]').getByTestId('chain-up').click();
    assert.equal(await card().getAttribute('data-order'), 'nhn,' + before);
    await card().getByTestId('chain-save').click();
    await page.waitForFunction(([c, want]) => {
      const el = document.querySelector(`[data-testid="chain-card"][data-channel="${c}"]`);
      return el && el.dataset.order === want && !el.classList.contains('dirty');
    }, [OUTAGE_CHANNEL, 'nhn,' + before], {timeout: 20000});
    await shot(page, 'chain-changed');
    await card().locator('[data-testid="chain-item"][data-provider="nhn"]').getByTestId('chain-remove').click();
    await card().getByTestId('chain-save').click();
    await page.waitForFunction(([c, want]) => {
      const el = document.querySelector(`[data-testid="chain-card"][data-channel="${c}"]`);
      return el && el.dataset.order === want && !el.classList.contains('dirty');
    }, [OUTAGE_CHANNEL, before], {timeout: 20000});
    const board = await consoleApi(page, 'GET', '/board');
    const ch = board.json.channels.find((c) => c.channel === OUTAGE_CHANNEL);
    assert.equal(ch.providers.join(','), before, 'the chain is back');
    assert.equal(await page.evaluate(() => window.__sameDocument), 'providers', 'no reload happened');
  }));

test('API keys: a new key is shown once with a copy button, works, and stops working when revoked', {skip},
  step('keys', async () => {
    await page.goto(BASE + '/console/#/keys');
    await page.getByTestId('key-name').fill('browser-test-key');
    await page.getByTestId('key-create').click();
    const value = page.getByTestId('key-value');
    await value.waitFor();
    const key = await value.inputValue();
    assert.match(key, /^jrp_[0-9a-f]+_\S+$/, 'the whole key');
    await page.getByTestId('key-copy').click();
    const copied = await page.evaluate(() => navigator.clipboard.readText().catch(() => null));
    if (copied !== null) assert.equal(copied, key, 'the copy button copied the key');
    await shot(page, 'key-created');
    const ok = await fetch(BASE + '/v1/channels', {headers: {Authorization: 'Bearer ' + key}});
    assert.equal(ok.status, 200, 'the new key works');
    await page.getByTestId('key-once-close').click();
    assert.equal(await page.getByTestId('key-value').count(), 0, 'the key is not shown again');
    const row = page.locator('[data-testid="key-row"]', {hasText: 'browser-test-key'});
    await row.getByTestId('key-revoke').click();
    await page.getByTestId('confirm-ok').click();
    await page.locator('[data-testid="key-row"][data-revoked="true"]', {hasText: 'browser-test-key'}).waitFor();
    let status = 200;
    for (let i = 0; i < 40 && status === 200; ++i) {
      await new Promise((r) => setTimeout(r, 250));
      status = (await fetch(BASE + '/v1/channels', {headers: {Authorization: 'Bearer ' + key}})).status;
    }
    assert.equal(status, 401, 'the revoked key is refused');
    await shot(page, 'key-revoked');
  }));

test('staff alerts and the audit log are listed', {skip}, step('alerts-audit', async () => {
  await page.goto(BASE + '/console/#/alerts');
  await page.locator('[data-testid="alerts-status"][data-loaded="true"]').waitFor({state: 'attached'});
  const ack = page.getByTestId('alert-ack');
  if (await ack.count()) {
    const item = page.locator('[data-testid="alert-item"][data-acknowledged="false"]').first();
    const id = await item.getAttribute('data-alert-id');
    await item.getByTestId('alert-ack').click();
    await page.locator(`[data-testid="alert-item"][data-alert-id="${id}"][data-acknowledged="true"]`).waitFor();
  }
  await shot(page, 'alerts');
  await page.goto(BASE + '/console/#/audit');
  await page.locator('[data-testid="audit-row"]').first().waitFor();
  const actions = await page.locator('[data-testid="audit-row"]').evaluateAll((els) => els.map((e) => e.dataset.action));
  for (const a of ['login', 'provider.update', 'chain.update', 'template.update']) {
    assert.ok(actions.includes(a), `audit has ${a}: ${actions.slice(0, 30)}`);
  }
  await shot(page, 'audit');
}));

test('status notices: write one in Korean and English, see it in the banner, resolve it', {skip}, step('notice', async () => {
  await page.goto(BASE + '/console/#/notices');
  await page.getByTestId('notice-form').waitFor();
  await page.evaluate(() => { window.__sameDocument = 'notice'; });
  const title = '점검 안내 ' + Date.now();
  await page.getByTestId('notice-severity').selectOption('degraded');
  await page.getByTestId('notice-title-ko').fill(title);
  await page.getByTestId('notice-title-en').fill('Maintenance notice');
  await page.getByTestId('notice-body-ko').fill('오늘 밤 23시부터 10분간 문자 발송이 늦어질 수 있습니다. <script>alert(1)</script>');
  await page.getByTestId('notice-body-en').fill('Text messages may be slow for 10 minutes from 23:00 tonight.');
  await page.getByTestId('notice-submit').click();
  const row = page.locator('[data-testid="notices-open"] [data-testid="notice-row"]', {hasText: title});
  await row.waitFor();
  const banner = page.locator('[data-testid="status-banner-item"][data-kind="manual"]', {hasText: title});
  await banner.waitFor({timeout: 15000});
  assert.equal(await banner.getAttribute('data-severity'), 'degraded');
  assert.ok((await banner.textContent()).includes('<script>alert(1)</script>'), 'the body is shown as text');
  await shot(page, 'notice-posted');
  // The public status page publishes it.
  const pub = await fetch(BASE + '/status/status.json');
  if (pub.status === 200) {
    const s = await pub.json();
    assert.ok((s.notices || []).some((n) => n.title && n.title.ko === title), 'in /status/status.json');
  }
  await row.getByTestId('notice-resolve').click();
  await page.getByTestId('confirm-ok').click();
  await page.locator('[data-testid="notices-resolved"] [data-testid="notice-row"]', {hasText: title}).waitFor();
  await banner.waitFor({state: 'detached', timeout: 15000});
  assert.equal(await page.evaluate(() => window.__sameDocument), 'notice', 'no reload happened');
  await shot(page, 'notice-resolved');
}));

test('language: switch to English and back, remembered across a reload', {skip}, step('language', async () => {
  await page.goto(BASE + '/console/#/board');
  await page.getByTestId('view-board').waitFor();
  await page.getByTestId('lang-switch').selectOption('en');
  await page.waitForFunction(() => document.documentElement.lang === 'en');
  assert.equal((await page.getByTestId('nav-board').textContent()).trim(), 'Health board');
  await page.locator('[data-testid="channel-card"]').first().waitFor();
  assert.match(await page.locator('[data-testid="channel-state"]').first().textContent(), /Operational|Degraded|Down/);
  await shot(page, 'board-english');
  await page.reload();
  await page.getByTestId('view-board').waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'en', 'still English after a reload');
  assert.equal((await page.getByTestId('nav-notices').textContent()).trim(), 'Status notices');
  const me = await consoleApi(page, 'GET', '/session');
  assert.equal(me.json.operator.locale, 'en', 'stored on the operator');
  await page.getByTestId('lang-switch').selectOption('ko');
  await page.waitForFunction(() => document.documentElement.lang === 'ko');
  assert.equal((await page.getByTestId('nav-board').textContent()).trim(), '상태판');
  await shot(page, 'board-korean');
}));

test('on a phone: the navigation collapses and opens with touch-sized controls', {skip}, step('phone', async () => {
  const p = await newPage('phone', {viewport: {width: 390, height: 844}, isMobile: true, hasTouch: true, deviceScaleFactor: 2});
  await p.goto(BASE + '/console/');
  await signIn(p, EMAIL, PASSWORD);
  await p.getByTestId('view-board').waitFor();
  await p.locator('[data-testid="channel-card"]').first().waitFor();
  assert.equal(await p.getByTestId('nav-messages').isVisible(), false, 'the navigation starts closed');
  const toggle = p.getByTestId('nav-toggle');
  const box = await toggle.boundingBox();
  assert.ok(box.height >= 40 && box.width >= 40, 'the menu button is touch-sized: ' + JSON.stringify(box));
  const width = await p.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390 + 1, 'no horizontal scrolling: ' + width);
  await shot(p, 'phone-board');
  await toggle.tap();
  await p.getByTestId('nav-messages').waitFor({state: 'visible'});
  await p.waitForTimeout(400);  // the slide-in transition
  await shot(p, 'phone-nav-open');
  await p.getByTestId('nav-messages').tap();
  await p.getByTestId('view-messages').waitFor();
  await p.waitForFunction(() => !document.getElementById('nav').classList.contains('open'));
  await shot(p, 'phone-messages');
  await p.getByTestId('nav-toggle').tap();
  await p.getByTestId('logout').tap();
  await p.getByTestId('login-email').waitFor();
}));

test('sign out ends the session', {skip}, step('logout', async () => {
  await page.goto(BASE + '/console/#/account');
  await page.getByTestId('account-profile').waitFor();
  await shot(page, 'account');
  await page.getByTestId('logout').click();
  await page.getByTestId('login-email').waitFor();
  const r = await page.evaluate(() => fetch('/console/api/session').then((x) => x.status));
  assert.equal(r, 401);
}));

test('no CSP violation, page error or dialog during the run', {skip}, () => {
  assert.deepEqual(problems.csp, [], 'CSP violations');
  assert.deepEqual(problems.pageErrors, [], 'page errors');
  assert.deepEqual(problems.dialogs, [], 'dialogs');
  assert.deepEqual(problems.consoleErrors, [], 'console errors');
});
