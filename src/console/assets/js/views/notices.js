// Status notices: open and recently resolved ones (live through SSE `notice`), a manual notice in
// Korean and English, resolve, and the wording of the automatic notices.

import {api, can} from '../api.js';
import {h, replace, field, select, button, confirmDialog} from '../dom.js';
import {t, tOr, errorText, fmtTime, locale} from '../i18n.js';
import * as live from '../live.js';
import {channelName} from './board.js';

const SEVERITIES = ['info', 'degraded', 'outage'];
const CHANNELS = ['alimtalk', 'sms', 'email', 'push'];

function pick(n, base) {
  const en = locale() === 'en';
  return (en ? n[base + '_en'] || n[base + '_ko'] : n[base + '_ko'] || n[base + '_en']) || '';
}

export function render(root, {toast}) {
  const writable = can('agent');
  const openList = h('ol', {class: 'notice-list', testid: 'notices-open'});
  const resolvedList = h('ol', {class: 'notice-list', testid: 'notices-resolved'});
  const status = h('p', {class: 'muted'}, t('common.loading'));
  const notices = new Map();

  function item(n) {
    const resolved = !!n.resolved_ms;
    const resolve = !resolved && writable ? button(t('notices.resolve'), {class: 'small', testid: 'notice-resolve', onclick: async () => {
      const ok = await confirmDialog({title: t('notices.resolve'), body: pick(n, 'title'), ok: t('notices.resolve'), cancel: t('common.cancel')});
      if (!ok) return;
      try {
        put(await api('PATCH', '/notices/' + encodeURIComponent(n.id), {resolved: true}));
      } catch (e) {
        toast(errorText(e), {kind: 'error'});
      }
    }}) : null;
    const otherLang = locale() === 'en' ? [n.title_ko, n.body_ko] : [n.title_en, n.body_en];
    return h('li', {class: ['card', 'notice-item', 'severity-' + n.severity, resolved ? 'resolved' : ''], testid: 'notice-row',
                    dataset: {noticeId: n.id, severity: n.severity || '', kind: n.kind || '', resolved: String(resolved)}},
      h('header', null,
        h('span', {class: ['badge', 'severity-' + n.severity]}, tOr('severity.' + n.severity, n.severity || '')),
        h('strong', {class: 'notice-title', testid: 'notice-title'}, pick(n, 'title')),
        h('span', {class: 'muted small'}, (n.kind === 'auto' ? t('notices.auto') : t('notices.manual')) +
          (n.channel ? ' · ' + channelName(n.channel) : ''))),
      pick(n, 'body') ? h('p', {class: 'notice-body'}, pick(n, 'body')) : null,
      otherLang[0] && otherLang[0] !== pick(n, 'title') ? h('p', {class: 'muted small'}, otherLang.filter(Boolean).join(' — ')) : null,
      h('p', {class: 'muted small'}, fmtTime(n.created_ms) + (resolved ? ' · ' + t('notices.resolved_at', {time: fmtTime(n.resolved_ms)}) : '')),
      resolve);
  }

  function draw() {
    const all = [...notices.values()].sort((a, b) => (b.created_ms || 0) - (a.created_ms || 0));
    const open = all.filter((n) => !n.resolved_ms);
    replace(openList, open.length ? open.map(item) : h('li', {class: 'muted'}, t('notices.none_open')));
    replace(resolvedList, all.filter((n) => n.resolved_ms).map(item));
  }

  function put(n) {
    if (n && n.id) notices.set(n.id, n);
    draw();
  }

  // the manual notice form
  const severity = select(SEVERITIES.map((s) => [s, tOr('severity.' + s, s)]), {value: 'info', testid: 'notice-severity'});
  const channel = select([['', t('notices.channel_any')]].concat(CHANNELS.map((c) => [c, channelName(c)])), {testid: 'notice-channel'});
  const titleKo = h('input', {type: 'text', required: true, maxlength: 200, testid: 'notice-title-ko', lang: 'ko'});
  const titleEn = h('input', {type: 'text', maxlength: 200, testid: 'notice-title-en', lang: 'en'});
  const bodyKo = h('textarea', {rows: 3, testid: 'notice-body-ko', lang: 'ko'});
  const bodyEn = h('textarea', {rows: 3, testid: 'notice-body-en', lang: 'en'});
  const error = h('p', {class: 'form-error', role: 'alert', hidden: true, testid: 'notice-error'});
  const form = h('form', {class: 'form', testid: 'notice-form', novalidate: true},
    h('div', {class: 'grid'}, field(t('notices.severity'), severity), field(t('notices.channel'), channel)),
    h('div', {class: 'grid'}, field(t('notices.title_ko'), titleKo), field(t('notices.title_en'), titleEn)),
    h('div', {class: 'grid'}, field(t('notices.body_ko'), bodyKo), field(t('notices.body_en'), bodyEn)),
    error, h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary', testid: 'notice-submit'}, t('notices.submit'))));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.hidden = true;
    if (!titleKo.value.trim()) {
      error.hidden = false;
      error.textContent = t('error.invalid_request_field', {field: t('notices.title_ko')});
      return;
    }
    const body = {severity: severity.value, title_ko: titleKo.value.trim()};
    if (titleEn.value.trim()) body.title_en = titleEn.value.trim();
    if (bodyKo.value.trim()) body.body_ko = bodyKo.value.trim();
    if (bodyEn.value.trim()) body.body_en = bodyEn.value.trim();
    if (channel.value) body.channel = channel.value;
    try {
      put(await api('POST', '/notices', body));
      for (const el of [titleKo, titleEn, bodyKo, bodyEn]) el.value = '';
      toast(t('notices.posted'));
    } catch (e) {
      error.hidden = false;
      error.textContent = errorText(e);
    }
  });

  // the automatic notices' wording
  const wording = h('form', {class: 'form', testid: 'notice-templates', novalidate: true});
  const wordingFields = {};
  for (const k of ['down_ko', 'down_en', 'recovered_ko', 'recovered_en']) {
    wordingFields[k] = h('textarea', {rows: 2, testid: 'notice-template-' + k, readonly: !writable});
  }
  const wordingError = h('p', {class: 'form-error', role: 'alert', hidden: true});
  replace(wording, h('p', {class: 'hint'}, t('notices.templates_help')),
    h('div', {class: 'grid'}, Object.entries(wordingFields).map(([k, el]) => field(t('notices.' + k), el))),
    wordingError, writable ? h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary', testid: 'notice-templates-save'},
                                                           t('common.save'))) : null);
  wording.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    wordingError.hidden = true;
    const body = {};
    for (const [k, el] of Object.entries(wordingFields)) body[k] = el.value;
    try {
      await api('PUT', '/status/templates', body);
      toast(t('common.saved'));
    } catch (e) {
      wordingError.hidden = false;
      wordingError.textContent = errorText(e);
    }
  });

  replace(root, h('div', {class: 'view-head'}, h('h1', null, t('notices.title'))), status,
    h('section', {class: 'section'}, h('h2', null, t('notices.open')), openList),
    writable ? h('section', {class: 'section'}, h('details', {class: 'card', open: true, testid: 'notice-write'},
      h('summary', null, t('notices.write')), form)) : null,
    h('section', {class: 'section'}, h('h2', null, t('notices.resolved')), resolvedList),
    h('section', {class: 'section'}, h('details', {class: 'card'}, h('summary', null, t('notices.templates')), wording)));

  let alive = true;
  api('GET', '/notices').then((r) => {
    if (!alive) return;
    status.textContent = '';
    for (const n of (r && r.notices) || []) notices.set(n.id, n);
    draw();
  }, (e) => { status.textContent = errorText(e); status.className = 'form-error'; });
  api('GET', '/status/templates').then((r) => {
    if (!alive || !r) return;
    for (const [k, el] of Object.entries(wordingFields)) if (typeof r[k] === 'string') el.value = r[k];
  }, () => {});
  const off = live.on('notice', (n) => { if (alive) put(n); });
  const offStatus = live.on('status', (doc) => {
    if (!alive || !doc || !Array.isArray(doc.notices)) return;
    for (const n of doc.notices.map(live.noticeFromStatus)) notices.set(n.id, Object.assign({}, notices.get(n.id), n));
    draw();
  });
  return () => { alive = false; off(); offStatus(); };
}
