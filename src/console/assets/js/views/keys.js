// API keys: list, create (the whole key shown once, with a copy button), revoke.

import {api, can} from '../api.js';
import {h, replace, field, button, confirmDialog, copyText} from '../dom.js';
import {t, errorText, fmtTime, fmtNum} from '../i18n.js';

export function render(root, {toast}) {
  const name = h('input', {type: 'text', required: true, maxlength: 100, testid: 'key-name', autocomplete: 'off'});
  const rate = h('input', {type: 'number', min: 1, step: 1, testid: 'key-rate', inputmode: 'numeric'});
  const error = h('p', {class: 'form-error', role: 'alert', hidden: true, testid: 'key-error'});
  const shown = h('div', {class: 'once', testid: 'key-once', hidden: true});
  const form = h('form', {class: 'form inline-form', testid: 'key-form', novalidate: true},
    field(t('keys.name'), name), field(t('keys.rate'), rate, t('keys.rate_hint')),
    h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary', testid: 'key-create'}, t('keys.create'))), error);
  const tbody = h('tbody');
  const status = h('p', {class: 'muted'});
  replace(root, h('div', {class: 'view-head'}, h('h1', null, t('keys.title'))),
    can('admin') ? form : null, shown, status,
    h('div', {class: 'table-wrap'}, h('table', {class: 'table', testid: 'keys-table'},
      h('thead', null, h('tr', null, ['ID', t('keys.name'), t('keys.rate'), t('keys.created'), t('messages.state'), '']
        .map((x) => h('th', {scope: 'col'}, x)))), tbody)));

  async function load() {
    try {
      const r = await api('GET', '/keys');
      const keys = (r && r.keys) || [];
      status.textContent = keys.length ? '' : t('common.empty');
      replace(tbody, keys.map((k) => h('tr', {testid: 'key-row', dataset: {keyId: k.id, revoked: String(!!k.revoked_ms)}},
        h('td', {'data-label': 'ID', class: 'mono'}, k.id),
        h('td', {'data-label': t('keys.name')}, k.name || ''),
        h('td', {'data-label': t('keys.rate')}, k.rate_per_s ? fmtNum(k.rate_per_s) : '—'),
        h('td', {'data-label': t('keys.created')}, fmtTime(k.created_ms)),
        h('td', {'data-label': t('messages.state')}, k.revoked_ms
          ? h('span', {class: 'badge off'}, t('keys.revoked') + ' ' + fmtTime(k.revoked_ms))
          : h('span', {class: 'badge on'}, t('keys.active'))),
        h('td', null, !k.revoked_ms && can('admin') ? button(t('keys.revoke'), {class: 'small danger', testid: 'key-revoke',
          onclick: async () => {
            const ok = await confirmDialog({title: t('keys.revoke'), body: t('keys.revoke_confirm', {name: k.name || k.id}),
                                            ok: t('keys.revoke'), cancel: t('common.cancel'), danger: true});
            if (!ok) return;
            try {
              await api('DELETE', '/keys/' + encodeURIComponent(k.id));
              load();
            } catch (e) {
              toast(errorText(e), {kind: 'error'});
            }
          }}) : null))));
    } catch (e) {
      status.textContent = errorText(e);
      status.className = 'form-error';
    }
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.hidden = true;
    if (!name.value.trim()) {
      error.hidden = false;
      error.textContent = t('error.invalid_request_field', {field: t('keys.name')});
      return;
    }
    const body = {name: name.value.trim()};
    if (rate.value) body.rate_per_s = Number(rate.value);
    try {
      const r = await api('POST', '/keys', body);
      const keyBox = h('input', {type: 'text', readonly: true, value: r.key, class: 'mono wide', testid: 'key-value'});
      replace(shown, h('p', {class: 'warn-text'}, t('keys.show_once')),
        h('div', {class: 'copy-row'}, keyBox, button(t('common.copy'), {class: 'primary', testid: 'key-copy', onclick: async () => {
          if (await copyText(r.key, keyBox)) toast(t('common.copied'));
        }}), button(t('common.close'), {testid: 'key-once-close', onclick: () => { replace(shown); shown.hidden = true; }})));
      shown.hidden = false;
      keyBox.select();
      name.value = '';
      rate.value = '';
      load();
    } catch (e) {
      error.hidden = false;
      error.textContent = errorText(e);
    }
  });

  load();
  return () => replace(shown);
}
