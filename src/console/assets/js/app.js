// The console's shell: sign-in state, the header (language, live indicator, sign out), the
// collapsible navigation, the status banner (open status notices), toasts for staff alerts, and a
// hash router (#/board, #/messages/ID, …) that renders one view at a time.

import {api, can, session, setSession, onSessionEnded} from './api.js';
import {h, replace, button} from './dom.js';
import * as i18n from './i18n.js';
import {t} from './i18n.js';
import * as live from './live.js';
import {renderLogin} from './views/login.js';
import * as board from './views/board.js';
import * as messages from './views/messages.js';
import * as send from './views/send.js';
import * as templates from './views/templates.js';
import * as providers from './views/providers.js';
import * as keys from './views/keys.js';
import * as operators from './views/operators.js';
import * as audit from './views/audit.js';
import * as alerts from './views/alerts.js';
import * as notices from './views/notices.js';
import * as account from './views/account.js';

// Route name → view, the weakest role that sees it in the navigation.
const ROUTES = [
  {name: 'board', view: board, role: 'viewer'},
  {name: 'messages', view: messages, role: 'viewer'},
  {name: 'send', view: send, role: 'agent'},
  {name: 'templates', view: templates, role: 'viewer'},
  {name: 'providers', view: providers, role: 'viewer'},
  {name: 'alerts', view: alerts, role: 'viewer'},
  {name: 'notices', view: notices, role: 'viewer'},
  {name: 'keys', view: keys, role: 'admin'},
  {name: 'operators', view: operators, role: 'admin'},
  {name: 'audit', view: audit, role: 'admin'},
  {name: 'account', view: account, role: 'viewer'},
];

const root = document.getElementById('app');
let shell = null;       // {main, nav, banner, toasts, live, navLinks}
let cleanupView = null;
let openNotices = new Map();  // id → NOTICE (open ones)
let unsubscribers = [];

// ---- toasts ----

function toastArea() {
  let area = document.getElementById('toasts');
  if (!area) {
    area = h('div', {id: 'toasts', class: 'toasts', role: 'status', 'aria-live': 'polite', testid: 'toasts'});
    document.body.appendChild(area);
  }
  return area;
}

export function toast(text, {kind = 'info', link = null, timeout = 6000, testid = 'toast'} = {}) {
  const close = button('×', {class: 'toast-close', 'aria-label': t('common.close')});
  const el = h('div', {class: ['toast', 'toast-' + kind], testid},
               h('span', {class: 'toast-text'}, text),
               link ? h('a', {href: link.href, class: 'toast-link', testid: testid + '-link'}, link.label) : null,
               close);
  const remove = () => el.remove();
  close.addEventListener('click', remove);
  if (link) el.querySelector('a').addEventListener('click', remove);
  const area = toastArea();
  area.appendChild(el);
  while (area.children.length > 3) area.firstChild.remove();  // the newest three
  if (timeout) setTimeout(remove, timeout);
  return el;
}

// ---- language ----

function languageSwitch() {
  const sel = h('select', {class: 'lang-switch', testid: 'lang-switch', 'aria-label': t('lang.label')},
                h('option', {value: 'ko'}, t('lang.ko')), h('option', {value: 'en'}, t('lang.en')));
  sel.value = i18n.locale();
  sel.addEventListener('change', () => changeLocale(sel.value));
  return sel;
}

export async function changeLocale(l) {
  if (!i18n.supported(l) || l === i18n.locale()) return;
  if (!(session.operator && !session.secondFactor)) {
    try {
      sessionStorage.setItem('jarip.console.locale_pending', '1');
    } catch {
      // no storage: the operator's stored language wins after sign-in
    }
  }
  i18n.setLocale(l);
  if (session.operator && !session.secondFactor) {
    try {
      const op = await api('PATCH', '/me', {locale: l});
      if (op && op.id) session.operator = op;
    } catch (e) {
      toast(i18n.errorText(e), {kind: 'error'});
    }
  }
}

let quietLocale = false;

i18n.onLocaleChange(() => {
  // Everything on the page is built from t(): build it again in the new language.
  if (quietLocale) return;
  if (session.operator && !session.secondFactor) {
    buildShell();
    route();
  } else {
    showLogin(undefined, session.secondFactor ? 'totp' : 'password');
  }
});

// ---- sign-in ----

function showLogin(message, step = 'password') {
  teardownSignedIn();
  document.title = t('login.title') + ' · jarip';
  renderLogin(root, {
    message,
    step,
    languageSwitch,
    onSignedIn: signedIn,
  });
}

function teardownSignedIn() {
  if (cleanupView) cleanupView();
  cleanupView = null;
  for (const u of unsubscribers) u();
  unsubscribers = [];
  live.stop();
  shell = null;
  openNotices = new Map();
}

async function signedIn(answer) {
  setSession(answer);
  const op = session.operator;
  // The operator's stored language wins, unless they just chose one on the sign-in page.
  const chosen = i18n.rememberedLocale();
  let pending = null;
  try {
    pending = sessionStorage.getItem('jarip.console.locale_pending');
    sessionStorage.removeItem('jarip.console.locale_pending');
  } catch {
    pending = null;
  }
  quietLocale = true;
  if (pending && chosen && op && chosen !== op.locale) {
    i18n.setLocale(chosen);
    api('PATCH', '/me', {locale: chosen}).then((o) => { if (o && o.id) session.operator = o; }, () => {});
  } else if (op && i18n.supported(op.locale)) {
    i18n.setLocale(op.locale);
  }
  quietLocale = false;
  buildShell();
  startLive();
  if (!location.hash || location.hash === '#' || location.hash === '#/') location.hash = '#/board';
  else route();
}

function startLive() {
  unsubscribers.push(live.on('state', renderLiveState));
  unsubscribers.push(live.on('notice', (n) => {
    if (!n || !n.id) return;
    if (n.resolved_ms) openNotices.delete(n.id);
    else openNotices.set(n.id, n);
    renderBanner();
  }));
  unsubscribers.push(live.on('status', (doc) => {
    if (!doc || !Array.isArray(doc.notices)) return;
    openNotices = new Map();
    for (const n of doc.notices.map(live.noticeFromStatus)) if (!n.resolved_ms) openNotices.set(n.id, n);
    renderBanner();
  }));
  unsubscribers.push(live.on('alert', (a) => {
    if (!a) return;
    const text = (i18n.locale() === 'en' ? a.text_en : a.text_ko) || a.text || a.subject || a.kind;
    toast(t('alerts.new') + ': ' + text, {kind: 'alert', timeout: 15000, testid: 'alert-toast',
                                          link: {href: '#/board', label: t('alerts.to_board')}});
  }));
  live.onClosed(async () => {
    try {
      await api('GET', '/session', undefined, {quiet: true});
      return true;
    } catch (e) {
      if (e.status === 401) {
        setSession(null);
        showLogin(t('login.session_ended'));
        return false;
      }
      return true;
    }
  });
  live.start();
  loadNotices();
}

async function loadNotices() {
  try {
    const r = await api('GET', '/notices');
    openNotices = new Map();
    for (const n of (r && r.notices) || []) if (!n.resolved_ms) openNotices.set(n.id, n);
    renderBanner();
  } catch {
    // the banner stays as it was; the board still shows the channels' state
  }
}

async function signOut() {
  try {
    await api('POST', '/logout');
  } catch {
    // the session may already be gone
  }
  setSession(null);
  showLogin(t('login.signed_out'));
}

onSessionEnded(() => showLogin(t('login.session_ended')));

// ---- the shell ----

function renderLiveState(state) {
  if (!shell) return;
  const el = shell.live;
  el.dataset.state = state;
  el.className = 'live live-' + state;
  replace(el, h('span', {class: 'live-dot', 'aria-hidden': 'true'}), t('live.' + state));
}

function noticeTitle(n) {
  const en = i18n.locale() === 'en';
  return (en ? n.title_en || n.title_ko : n.title_ko || n.title_en) || '';
}

function noticeBody(n) {
  const en = i18n.locale() === 'en';
  return (en ? n.body_en || n.body_ko : n.body_ko || n.body_en) || '';
}

function renderBanner() {
  if (!shell) return;
  const list = [...openNotices.values()].sort((a, b) => (b.created_ms || 0) - (a.created_ms || 0));
  const el = shell.banner;
  el.hidden = list.length === 0;
  el.dataset.count = String(list.length);
  const worst = list.some((n) => n.severity === 'outage') ? 'outage'
              : list.some((n) => n.severity === 'degraded') ? 'degraded' : 'info';
  el.className = 'banner banner-' + worst;
  el.dataset.severity = list.length ? worst : '';
  replace(el, h('div', {class: 'banner-items'}, list.map((n) => h('div', {class: 'banner-item', testid: 'status-banner-item',
                                        dataset: {noticeId: n.id, severity: n.severity || 'info', kind: n.kind || ''}},
    h('strong', {class: 'banner-severity'}, i18n.tOr('severity.' + n.severity, n.severity || '')),
    h('span', {class: 'banner-title'}, noticeTitle(n)),
    noticeBody(n) ? h('span', {class: 'banner-body'}, noticeBody(n)) : null))),
  list.length ? h('a', {href: '#/notices', class: 'banner-link'}, t('nav.notices')) : null);
}

function buildShell() {
  if (cleanupView) cleanupView();
  cleanupView = null;
  const op = session.operator;
  const navToggle = button(t('nav.menu'), {class: 'nav-toggle', testid: 'nav-toggle', 'aria-expanded': 'false',
                                            'aria-controls': 'nav'});
  const navLinks = {};
  const nav = h('nav', {id: 'nav', class: 'nav', 'aria-label': t('nav.menu')},
    h('ul', null, ROUTES.filter((r) => can(r.role)).map((r) => {
      const a = h('a', {href: '#/' + r.name, testid: 'nav-' + r.name, dataset: {route: r.name}}, t('nav.' + r.name));
      navLinks[r.name] = a;
      return h('li', null, a);
    })),
    h('div', {class: 'nav-foot'},
      h('div', {class: 'whoami', testid: 'whoami'}, h('span', {class: 'whoami-name'}, op.name || op.email),
        h('span', {class: 'whoami-role', dataset: {role: op.role}}, i18n.tOr('role.' + op.role, op.role))),
      button(t('nav.logout'), {class: 'logout', testid: 'logout', onclick: signOut})));
  navToggle.addEventListener('click', () => {
    const open = !nav.classList.contains('open');
    nav.classList.toggle('open', open);
    navToggle.setAttribute('aria-expanded', String(open));
  });
  const liveEl = h('span', {class: 'live', testid: 'live-indicator', role: 'status'});
  const banner = h('div', {class: 'banner', testid: 'status-banner', role: 'alert', hidden: true});
  const main = h('main', {id: 'main', class: 'main', tabindex: '-1'});
  const header = h('header', {class: 'topbar'},
    h('a', {class: 'skip', href: '#main'}, t('app.skip')),
    navToggle,
    h('a', {class: 'brand', href: '#/board'}, h('img', {src: '/console/assets/icon.svg', alt: '', width: 28, height: 28}),
      h('span', null, t('app.title'))),
    h('div', {class: 'topbar-right'}, liveEl, languageSwitch()));
  replace(root, header, banner, h('div', {class: 'layout'}, nav, main));
  shell = {main, nav, banner, live: liveEl, navLinks, navToggle};
  renderLiveState(live.liveState());
  renderBanner();
}

// ---- the router ----

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, q] = raw.split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  return {name: parts[0] || 'board', rest: parts.slice(1), query: new URLSearchParams(q || '')};
}

function route() {
  if (!shell) return;
  const {name, rest, query} = parseHash();
  let r = ROUTES.find((x) => x.name === name);
  if (!r || !can(r.role)) r = ROUTES[0];
  if (cleanupView) cleanupView();
  cleanupView = null;
  for (const [n, a] of Object.entries(shell.navLinks)) {
    if (n === r.name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  shell.nav.classList.remove('open');
  shell.navToggle.setAttribute('aria-expanded', 'false');
  document.title = t('nav.' + r.name) + ' · jarip';
  const container = h('div', {class: 'view view-' + r.name, testid: 'view-' + r.name});
  replace(shell.main, container);
  const cleanup = r.view.render(container, {params: rest, query, toast, changeLocale, navigate});
  cleanupView = typeof cleanup === 'function' ? cleanup : null;
}

export function navigate(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

window.addEventListener('hashchange', () => {
  if (session.operator && !session.secondFactor) route();
});

// ---- start ----

async function boot() {
  i18n.setLocale(i18n.initialLocale(), {remember: false});
  try {
    const answer = await api('GET', '/session', undefined, {quiet: true});
    if (answer && answer.operator && !answer.second_factor_required) {
      await signedIn(answer);
      return;
    }
    if (answer && answer.second_factor_required) {
      setSession(answer);
      showLogin(undefined, 'totp');
      return;
    }
    setSession(null);
    showLogin();
  } catch (e) {
    setSession(null);
    showLogin(e.status === 401 ? undefined : i18n.errorText(e));
  }
}

boot();
