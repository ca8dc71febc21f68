// Audit log: newest first, paged with the answer's `next`, filtered by action.

import {api, query} from '../api.js';
import {h, replace, field, button} from '../dom.js';
import {t, errorText, fmtTime} from '../i18n.js';

function detailText(d) {
  if (d === undefined || d === null) return '';
  if (typeof d !== 'object') return String(d);
  return Object.entries(d).map(([k, v]) => k + '=' + (typeof v === 'object' ? JSON.stringify(v) : String(v))).join(', ');
}

export function render(root, {query: q, navigate}) {
  const action = h('input', {type: 'search', value: q.get('action') || '', testid: 'audit-action', autocomplete: 'off'});
  const form = h('form', {class: 'form inline-form', testid: 'audit-filter'}, field(t('audit.action_filter'), action),
    h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary'}, t('common.search'))));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    navigate('#/audit' + (action.value.trim() ? '?action=' + encodeURIComponent(action.value.trim()) : ''));
  });
  const tbody = h('tbody');
  const status = h('p', {class: 'muted'}, t('common.loading'));
  const more = button(t('common.more'), {testid: 'audit-more', hidden: true});
  replace(root, h('div', {class: 'view-head'}, h('h1', null, t('audit.title'))), form, status,
    h('div', {class: 'table-wrap'}, h('table', {class: 'table', testid: 'audit-table'},
      h('thead', null, h('tr', null, [t('audit.at'), t('audit.actor'), t('audit.action'), t('audit.target'), t('audit.detail'),
        t('audit.address')].map((x) => h('th', {scope: 'col'}, x)))), tbody)), more);

  let next = null;
  let alive = true;
  async function load(before) {
    try {
      const r = await api('GET', '/audit' + query({action: q.get('action'), before, limit: 100}));
      if (!alive) return;
      for (const e of (r && r.entries) || []) {
        tbody.appendChild(h('tr', {testid: 'audit-row', dataset: {action: e.action || ''}},
          h('td', {'data-label': t('audit.at')}, e.at_ms ? fmtTime(e.at_ms) : e.at || ''),
          h('td', {'data-label': t('audit.actor')}, e.actor_email || e.actor_id || '—'),
          h('td', {'data-label': t('audit.action'), class: 'mono'}, e.action || ''),
          h('td', {'data-label': t('audit.target')}, e.target || ''),
          h('td', {'data-label': t('audit.detail'), class: 'detail'}, detailText(e.detail)),
          h('td', {'data-label': t('audit.address'), class: 'mono'}, e.remote_address || '')));
      }
      next = r && r.next !== undefined && r.next !== null ? r.next : null;
      more.hidden = next === null;
      status.textContent = tbody.children.length ? '' : t('common.empty');
    } catch (e) {
      status.textContent = errorText(e);
      status.className = 'form-error';
    }
  }
  more.addEventListener('click', () => { if (next !== null) load(next); });
  load();
  return () => { alive = false; };
}
