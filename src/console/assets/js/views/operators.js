// Operators: list, add, change role, disable/enable, reset password, on-duty. Admins manage everyone
// but owners; owners manage owners too (the server enforces it; the page only offers what is allowed).

import {api, can, session, roleRank} from '../api.js';
import {h, replace, field, select, button, confirmDialog} from '../dom.js';
import {t, tOr, errorText, fmtTime} from '../i18n.js';

const ROLES = ['viewer', 'agent', 'admin', 'owner'];

function rolesICanGive() {
  return ROLES.filter((r) => r !== 'owner' || can('owner'));
}

export function render(root, {toast}) {
  const email = h('input', {type: 'email', required: true, testid: 'operator-email', autocomplete: 'off'});
  const name = h('input', {type: 'text', testid: 'operator-name', autocomplete: 'off'});
  const role = select(rolesICanGive().map((r) => [r, tOr('role.' + r, r)]), {value: 'agent', testid: 'operator-role'});
  const password = h('input', {type: 'password', required: true, testid: 'operator-password', autocomplete: 'new-password'});
  const error = h('p', {class: 'form-error', role: 'alert', hidden: true, testid: 'operator-error'});
  const form = h('form', {class: 'form inline-form', testid: 'operator-form', novalidate: true},
    field(t('operators.email'), email), field(t('operators.name'), name), field(t('operators.role'), role),
    field(t('operators.password'), password),
    h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary', testid: 'operator-create'}, t('operators.create'))),
    error);
  const tbody = h('tbody');
  const status = h('p', {class: 'muted'});
  replace(root, h('div', {class: 'view-head'}, h('h1', null, t('operators.title'))),
    can('admin') ? h('details', {class: 'card'}, h('summary', {testid: 'operator-add'}, '+ ' + t('operators.create')), form) : null,
    status,
    h('div', {class: 'table-wrap'}, h('table', {class: 'table', testid: 'operators-table'},
      h('thead', null, h('tr', null, [t('operators.email'), t('operators.name'), t('operators.role'), t('operators.on_duty'),
        t('operators.totp'), t('operators.last_login'), t('messages.state'), t('common.actions')].map((x) => h('th', {scope: 'col'}, x)))),
      tbody)));

  async function update(op, body, okText) {
    try {
      await api('PATCH', '/operators/' + encodeURIComponent(op.id), body);
      if (okText) toast(okText);
    } catch (e) {
      toast(errorText(e), {kind: 'error'});
    }
    load();
  }

  function row(op) {
    const me = session.operator && op.id === session.operator.id;
    const manageable = can('admin') && (op.role !== 'owner' || can('owner'));
    const roleSel = select(rolesICanGive().concat(rolesICanGive().includes(op.role) ? [] : [op.role]).map((r) => [r, tOr('role.' + r, r)]),
                           {value: op.role, testid: 'operator-role-select', disabled: !manageable, 'aria-label': t('operators.role')});
    roleSel.addEventListener('change', () => update(op, {role: roleSel.value}));
    const duty = h('input', {type: 'checkbox', checked: !!op.on_duty, disabled: !manageable, testid: 'operator-duty',
                             'aria-label': t('operators.on_duty')});
    duty.addEventListener('change', () => update(op, {on_duty: duty.checked}));
    const actions = [];
    if (manageable) {
      actions.push(button(op.disabled ? t('operators.enable') : t('operators.disable'), {class: op.disabled ? 'small' : 'small danger',
        testid: 'operator-disable', onclick: async () => {
          if (!op.disabled) {
            const ok = await confirmDialog({title: t('operators.disable'), body: t('operators.disable_confirm', {email: op.email}),
                                            ok: t('operators.disable'), cancel: t('common.cancel'), danger: true});
            if (!ok) return;
          }
          update(op, {disabled: !op.disabled});
        }}));
      actions.push(button(t('operators.reset_password'), {class: 'small', testid: 'operator-reset', onclick: async () => {
        const pw = h('input', {type: 'password', autocomplete: 'new-password', testid: 'operator-new-password'});
        const ok = await confirmDialog({title: t('operators.reset_password') + ': ' + op.email,
                                        body: field(t('operators.new_password'), pw), ok: t('common.save'), cancel: t('common.cancel')});
        if (!ok || !pw.value) return;
        try {
          await api('POST', '/operators/' + encodeURIComponent(op.id) + '/password', {password: pw.value});
          toast(t('operators.password_reset_done'));
        } catch (e) {
          toast(errorText(e), {kind: 'error'});
        }
      }}));
    }
    return h('tr', {testid: 'operator-row', dataset: {operatorId: op.id, email: op.email, role: op.role, disabled: String(!!op.disabled)},
                    class: op.disabled ? 'dimmed' : ''},
      h('td', {'data-label': t('operators.email')}, op.email, me ? ' ' + t('operators.you') : ''),
      h('td', {'data-label': t('operators.name')}, op.name || ''),
      h('td', {'data-label': t('operators.role')}, roleSel),
      h('td', {'data-label': t('operators.on_duty')}, duty),
      h('td', {'data-label': t('operators.totp')}, op.totp ? t('common.on') : t('common.off')),
      h('td', {'data-label': t('operators.last_login')}, fmtTime(op.last_login_ms)),
      h('td', {'data-label': t('messages.state')}, op.disabled ? h('span', {class: 'badge off'}, t('operators.disabled'))
                                                                : h('span', {class: 'badge on'}, t('keys.active'))),
      h('td', {'data-label': t('common.actions')}, h('div', {class: 'row-actions'}, actions)));
  }

  async function load() {
    try {
      const r = await api('GET', '/operators');
      const ops = ((r && r.operators) || []).slice().sort((a, b) => roleRank(b.role) - roleRank(a.role) || a.email.localeCompare(b.email));
      status.textContent = ops.length ? '' : t('common.empty');
      replace(tbody, ops.map(row));
    } catch (e) {
      status.textContent = errorText(e);
      status.className = 'form-error';
    }
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.hidden = true;
    try {
      await api('POST', '/operators', {email: email.value.trim(), name: name.value.trim(), role: role.value, password: password.value});
      email.value = '';
      name.value = '';
      password.value = '';
      toast(t('common.saved'));
      load();
    } catch (e) {
      error.hidden = false;
      error.textContent = errorText(e);
    }
  });

  load();
}
