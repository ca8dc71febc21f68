// Staff alerts: newest first (paged), acknowledge; new ones arrive live (SSE `alert`).

import {api, can, query, session} from '../api.js';
import {h, replace, button} from '../dom.js';
import {t, tOr, errorText, fmtTime, locale} from '../i18n.js';
import * as live from '../live.js';

export function alertText(a) {
  return (locale() === 'en' ? a.text_en : a.text_ko) || a.text || a.subject || a.kind || '';
}

// The operator who acknowledged: the server names them by id; the signed-in one is shown by name.
function who(id) {
  const me = session.operator;
  if (me && id && (id === me.id || id === me.email)) return me.name || me.email;
  return id || '?';
}

export function render(root, {toast}) {
  const list = h('ol', {class: 'alert-list', testid: 'alerts-list'});
  const status = h('p', {class: 'muted', testid: 'alerts-status'}, t('common.loading'));
  const more = button(t('common.more'), {testid: 'alerts-more', hidden: true});
  replace(root, h('div', {class: 'view-head'}, h('h1', null, t('alerts.title'))), status, list, more);
  const items = new Map();

  function item(a) {
    const acked = !!a.acknowledged_ms;
    const ack = !acked && can('agent') ? button(t('alerts.ack'), {class: 'small primary', testid: 'alert-ack', onclick: async () => {
      try {
        const r = await api('POST', '/alerts/' + encodeURIComponent(a.id) + '/ack');
        put(r && r.id ? r : Object.assign({}, a, {acknowledged_ms: Date.now()}));
      } catch (e) {
        toast(errorText(e), {kind: 'error'});
      }
    }}) : null;
    const delivery = (a.delivery || []).map((d) => (typeof d === 'object' && d !== null)
      ? [d.channel, d.operator || d.to || d.email, d.outcome || d.state].filter(Boolean).join(' ') : String(d));
    return h('li', {class: ['card', 'alert-item', 'severity-' + (a.severity || 'info'), acked ? 'acked' : ''], testid: 'alert-item',
                    dataset: {alertId: a.id, acknowledged: String(acked), kind: a.kind || ''}},
      h('header', null,
        h('span', {class: ['badge', 'severity-' + (a.severity || 'info')]}, tOr('severity.' + a.severity, a.severity || '')),
        h('strong', null, a.subject || a.kind || ''), h('time', {class: 'muted'}, a.created_ms ? fmtTime(a.created_ms) : a.created || '')),
      h('p', {class: 'alert-text'}, alertText(a)),
      delivery.length ? h('p', {class: 'muted small'}, t('alerts.delivery', {list: delivery.join(', ')})) : null,
      acked ? h('p', {class: 'muted small', testid: 'alert-acked'},
        t('alerts.acked', {who: who(a.acknowledged_by), time: fmtTime(a.acknowledged_ms)})) : ack);
  }

  function put(a, {prepend = false} = {}) {
    const el = item(a);
    const old = items.get(a.id);
    if (old) old.replaceWith(el);
    else if (prepend) list.prepend(el);
    else list.appendChild(el);
    items.set(a.id, el);
    status.textContent = '';
  }

  let next = null;
  let alive = true;
  async function load(before) {
    try {
      const r = await api('GET', '/alerts' + query({before}));
      if (!alive) return;
      for (const a of (r && r.alerts) || []) put(a);
      next = r && r.next !== undefined && r.next !== null ? r.next : null;
      more.hidden = next === null;
      status.textContent = items.size ? '' : t('common.empty');
      status.dataset.loaded = 'true';
    } catch (e) {
      status.textContent = errorText(e);
      status.className = 'form-error';
    }
  }
  more.addEventListener('click', () => { if (next !== null) load(next); });
  const off = live.on('alert', (a) => { if (a && a.id) put(a, {prepend: !items.has(a.id)}); });
  load();
  return () => { alive = false; off(); };
}
