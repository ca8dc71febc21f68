// Messages: a search form (kept in the address, #/messages?recipient=…), a paged table, and one
// message's detail with its full attempt timeline (#/messages/ID).

import {api, query} from '../api.js';
import {h, replace, field, select, button} from '../dom.js';
import {t, tOr, errorText, fmtTime} from '../i18n.js';
import {channelName} from './board.js';

const STATES = ['accepted', 'held', 'sending', 'sent', 'delivered', 'failed', 'canceled', 'expired'];

export function recipientText(r) {
  if (!r || typeof r !== 'object') return r ? String(r) : '—';
  const parts = [];
  if (r.customer_id) parts.push(String(r.customer_id));
  if (r.phone) parts.push(String(r.phone));
  if (r.email) parts.push(String(r.email));
  if (parts.length === 0) for (const [k, v] of Object.entries(r)) parts.push(k + '=' + (typeof v === 'object' ? JSON.stringify(v) : v));
  return parts.join(' · ');
}

function stateBadge(state) {
  return h('span', {class: ['badge', 'mstate-' + state], testid: 'message-state'}, tOr('mstate.' + state, state || '—'));
}

// "2026-11-25T10:00" (a datetime-local value, read as KST) → RFC 3339 with +09:00.
function kstInput(v) {
  if (!v) return '';
  return (v.length === 16 ? v + ':00' : v) + '+09:00';
}

export function render(root, {params, query: q, navigate}) {
  if (params[0]) return renderDetail(root, params[0]);

  const id = h('input', {type: 'search', name: 'id', value: q.get('id') || '', testid: 'messages-id', autocomplete: 'off'});
  const recipient = h('input', {type: 'search', name: 'recipient', value: q.get('recipient') || '', testid: 'messages-recipient',
                                autocomplete: 'off'});
  const template = h('input', {type: 'search', name: 'template', value: q.get('template') || '', testid: 'messages-template'});
  const state = select([['', t('messages.state_any')]].concat(STATES.map((s) => [s, tOr('mstate.' + s, s)])),
                       {name: 'state', value: q.get('state') || '', testid: 'messages-state'});
  const from = h('input', {type: 'datetime-local', name: 'from', value: q.get('from') || '', testid: 'messages-from'});
  const to = h('input', {type: 'datetime-local', name: 'to', value: q.get('to') || '', testid: 'messages-to'});
  const form = h('form', {class: 'form search-form', testid: 'messages-search'},
    h('div', {class: 'grid'},
      field(t('messages.id'), id), field(t('messages.recipient'), recipient), field(t('messages.template'), template),
      field(t('messages.state'), state), field(t('messages.from') + ' (KST)', from), field(t('messages.to') + ' (KST)', to)),
    h('div', {class: 'actions'},
      button(t('common.reset'), {onclick: () => navigate('#/messages')}),
      h('button', {type: 'submit', class: 'primary', testid: 'messages-submit'}, t('common.search'))));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const p = new URLSearchParams();
    for (const [k, el] of Object.entries({id, recipient, template, state, from, to})) if (el.value.trim()) p.set(k, el.value.trim());
    const s = p.toString();
    navigate('#/messages' + (s ? '?' + s : ''));
  });

  const status = h('p', {class: 'muted', testid: 'messages-status'});
  const tbody = h('tbody');
  const table = h('div', {class: 'table-wrap'}, h('table', {class: 'table', testid: 'messages-table'},
    h('thead', null, h('tr', null, [t('messages.created'), t('messages.id'), t('messages.state'), t('messages.kind'),
      t('messages.recipient'), t('messages.template'), t('messages.via'), t('messages.final_code')].map((x) => h('th', {scope: 'col'}, x)))),
    tbody));
  const more = button(t('common.more'), {testid: 'messages-more', hidden: true});
  replace(root, h('div', {class: 'view-head'}, h('h1', null, t('messages.title'))), form, status, table, more);

  let next = null;
  let controller = null;
  async function load(before) {
    if (controller) controller.abort();
    controller = new AbortController();
    status.textContent = t('common.loading');
    status.className = 'muted';
    try {
      const r = await api('GET', '/messages' + query({
        id: q.get('id'), recipient: q.get('recipient'), template: q.get('template'), state: q.get('state'),
        from: kstInput(q.get('from')), to: kstInput(q.get('to')), before, limit: 50}), undefined, {signal: controller.signal});
      const rows = (r && r.messages) || [];
      for (const m of rows) {
        const link = h('a', {href: '#/messages/' + encodeURIComponent(m.id), class: 'mono'}, m.id);
        tbody.appendChild(h('tr', {testid: 'message-row', dataset: {messageId: m.id, state: m.state}},
          h('td', {'data-label': t('messages.created')}, m.created_ms ? fmtTime(m.created_ms) : m.created || ''),
          h('td', {'data-label': t('messages.id')}, link),
          h('td', {'data-label': t('messages.state')}, stateBadge(m.state)),
          h('td', {'data-label': t('messages.kind')}, tOr('kind.' + m.kind, m.kind || '')),
          h('td', {'data-label': t('messages.recipient')}, recipientText(m.recipient)),
          h('td', {'data-label': t('messages.template')}, m.template || '—'),
          h('td', {'data-label': t('messages.via')}, m.delivered_via || '—'),
          h('td', {'data-label': t('messages.final_code')}, m.final_code || '—')));
      }
      next = r && r.next ? r.next : null;
      more.hidden = !next;
      status.textContent = tbody.children.length === 0 ? t('messages.none') : '';
    } catch (e) {
      if (e.name === 'AbortError') return;
      status.textContent = errorText(e);
      status.className = 'form-error';
    }
  }
  more.addEventListener('click', () => { if (next) load(next); });
  load();
  return () => { if (controller) controller.abort(); };
}

function dl(pairs) {
  return h('dl', {class: 'facts'}, pairs.filter((p) => p[1] !== undefined && p[1] !== null && p[1] !== '')
    .map(([k, v]) => [h('dt', null, k), h('dd', null, v)]));
}

function renderDetail(root, id) {
  const status = h('p', {class: 'muted'}, t('common.loading'));
  replace(root, h('div', {class: 'view-head'}, h('a', {href: '#/messages', class: 'back'}, '← ' + t('common.back')),
    h('h1', null, t('messages.detail')), h('code', {class: 'mono', testid: 'message-id'}, id)), status);
  let alive = true;
  api('GET', '/messages/' + encodeURIComponent(id)).then((r) => {
    if (!alive) return;
    const m = (r && r.message) || {};
    const attempts = (r && r.attempts) || m.attempts || [];
    const reason = m.reason ? [m.reason.code, m.reason.detail || m.reason.note].filter(Boolean).join(' — ') : '';
    status.remove();
    root.appendChild(h('section', {class: 'section card', testid: 'message-detail', dataset: {state: m.status || ''}},
      h('div', {class: 'detail-head'}, stateBadge(m.status), h('span', null, tOr('kind.' + m.kind, m.kind || ''))),
      dl([[t('messages.recipient'), recipientText(m.recipient)], [t('messages.template'), m.template],
          [t('messages.chain'), (m.channels || []).join(' → ')], [t('messages.step'), m.step !== undefined ? String(m.step) : ''],
          [t('messages.created'), fmtTime(m.created_ms || Date.parse(m.created_at || '')) === '—' ? m.created_at : fmtTime(m.created_ms || Date.parse(m.created_at))], [t('messages.via'), m.delivered_via],
          [t('messages.reason'), reason]]),
      m.body_purged ? h('p', {class: 'muted'}, t('messages.body_purged')) : null));
    root.appendChild(h('section', {class: 'section'}, h('h2', null, t('messages.attempts')),
      attempts.length === 0 ? h('p', {class: 'muted'}, t('messages.no_attempts'))
        : h('ol', {class: 'timeline', testid: 'attempts'}, attempts.map((a) => attemptItem(a)))));
  }, (e) => {
    if (!alive) return;
    status.textContent = errorText(e);
    status.className = 'form-error';
  });
  return () => { alive = false; };
}

function attemptItem(a) {
  const started = a.started_ms || Date.parse(a.started_at || '') || 0;
  const ended = a.ended_ms || Date.parse(a.ended_at || '') || 0;
  const err = a.error_code || (a.error && a.error.code) || '';
  const errText = a.error_text || (a.error && a.error.text) || '';
  return h('li', {class: ['timeline-item', 'outcome-' + a.outcome], testid: 'attempt', dataset: {outcome: a.outcome || ''}},
    h('div', {class: 'timeline-head'},
      h('span', {class: 'step'}, '#' + a.step),
      h('strong', null, channelName(a.channel) + ' @ ' + (a.provider || '—')),
      a.send_kind && a.send_kind !== a.channel ? h('span', {class: 'muted'}, '(' + a.send_kind + ')') : null,
      h('span', {class: ['badge', 'outcome-' + a.outcome], title: a.outcome || ''}, tOr('outcome.' + a.outcome, a.outcome || '—'))),
    dl([[t('attempt.started'), started ? fmtTime(started) : a.started_at],
        [t('attempt.ended'), ended ? fmtTime(ended) + (started ? ' (' + t('attempt.duration', {ms: ended - started}) + ')' : '') : a.ended_at],
        [t('attempt.error'), [err, errText].filter(Boolean).join(' — ')],
        [t('attempt.provider_id'), a.provider_message_id]]));
}
