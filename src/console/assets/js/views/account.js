// My account: name, language, on duty; password change; TOTP set-up (secret and otpauth URI as text,
// and a QR code drawn by js/qr.js) and turning it off.

import {api, session} from '../api.js';
import {h, replace, field, select, button, copyText} from '../dom.js';
import {t, tOr, errorText, locale} from '../i18n.js';
import {qrSvg} from '../qr.js';

export function render(root, {toast, changeLocale}) {
  const op = session.operator;
  const profile = h('section', {class: 'section card', testid: 'account-profile'});
  const pw = h('section', {class: 'section card', testid: 'account-password'});
  const totp = h('section', {class: 'section card', testid: 'account-totp'});
  replace(root, h('div', {class: 'view-head'}, h('h1', null, t('account.title')),
    h('p', {class: 'muted'}, op.email + ' · ' + t('account.role', {role: tOr('role.' + op.role, op.role)}))), profile, pw, totp);

  // profile
  const name = h('input', {type: 'text', value: op.name || '', testid: 'account-name', autocomplete: 'name'});
  const lang = select([['ko', '한국어'], ['en', 'English']], {value: locale(), testid: 'account-locale'});
  const duty = h('input', {type: 'checkbox', checked: !!op.on_duty, testid: 'account-duty'});
  const profileForm = h('form', {class: 'form', novalidate: true}, h('h2', null, t('account.profile')),
    field(t('account.name'), name), field(t('account.language'), lang),
    h('label', {class: 'check'}, duty, h('span', null, t('account.on_duty'))),
    h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary', testid: 'account-save'}, t('common.save'))));
  lang.addEventListener('change', () => changeLocale(lang.value));
  duty.addEventListener('change', async () => {
    try {
      session.operator = await api('PATCH', '/me', {on_duty: duty.checked});
      toast(t('common.saved'));
    } catch (e) {
      duty.checked = !duty.checked;
      toast(errorText(e), {kind: 'error'});
    }
  });
  profileForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      session.operator = await api('PATCH', '/me', {name: name.value.trim()});
      toast(t('common.saved'));
    } catch (e) {
      toast(errorText(e), {kind: 'error'});
    }
  });
  replace(profile, profileForm);

  // password
  const current = h('input', {type: 'password', autocomplete: 'current-password', testid: 'account-current'});
  const next = h('input', {type: 'password', autocomplete: 'new-password', testid: 'account-new'});
  const again = h('input', {type: 'password', autocomplete: 'new-password', testid: 'account-new-again'});
  const pwError = h('p', {class: 'form-error', role: 'alert', hidden: true, testid: 'account-password-error'});
  const pwForm = h('form', {class: 'form', novalidate: true}, h('h2', null, t('account.password')),
    h('input', {type: 'text', autocomplete: 'username', value: op.email, hidden: true, readonly: true, 'aria-hidden': 'true'}),
    field(t('account.current'), current), field(t('account.new'), next), field(t('account.new_again'), again), pwError,
    h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary', testid: 'account-password-save'}, t('common.save'))));
  pwForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    pwError.hidden = true;
    if (next.value !== again.value) {
      pwError.hidden = false;
      pwError.textContent = t('account.mismatch');
      return;
    }
    try {
      await api('POST', '/me/password', {current: current.value, new: next.value});
      current.value = next.value = again.value = '';
      toast(t('account.password_changed'));
    } catch (e) {
      pwError.hidden = false;
      pwError.textContent = errorText(e);
    }
  });
  replace(pw, pwForm);

  // TOTP
  function drawTotp() {
    const error = h('p', {class: 'form-error', role: 'alert', hidden: true, testid: 'totp-error'});
    if (session.operator.totp) {
      const password = h('input', {type: 'password', autocomplete: 'current-password', testid: 'totp-disable-password'});
      const f = h('form', {class: 'form', novalidate: true}, h('h2', null, t('account.totp')),
        h('p', {testid: 'totp-state', dataset: {on: 'true'}}, t('account.totp_on')),
        field(t('account.totp_disable_password'), password), error,
        h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'danger', testid: 'totp-disable'}, t('account.totp_disable'))));
      f.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        try {
          await api('POST', '/me/totp/disable', {password: password.value});
          session.operator = Object.assign({}, session.operator, {totp: false});
          toast(t('account.totp_disabled'));
          drawTotp();
        } catch (e) {
          error.hidden = false;
          error.textContent = errorText(e);
        }
      });
      replace(totp, f);
      return;
    }
    const setup = button(t('account.totp_setup'), {class: 'primary', testid: 'totp-setup'});
    const area = h('div', {class: 'totp-setup'});
    replace(totp, h('h2', null, t('account.totp')), h('p', {testid: 'totp-state', dataset: {on: 'false'}}, t('account.totp_off')),
      h('div', {class: 'actions start'}, setup), area, error);
    setup.addEventListener('click', async () => {
      error.hidden = true;
      try {
        const r = await api('POST', '/me/totp/setup');
        const code = h('input', {type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 6, testid: 'totp-code'});
        const secretBox = h('input', {type: 'text', readonly: true, value: r.secret, class: 'mono', testid: 'totp-secret'});
        let qr = null;
        try {
          qr = qrSvg(r.uri);
        } catch {
          qr = null;  // the URI and secret below are enough
        }
        const f = h('form', {class: 'form', novalidate: true},
          h('p', null, t('account.totp_scan')),
          qr ? h('div', {class: 'qr', testid: 'totp-qr'}, qr) : null,
          field(t('account.totp_secret'), h('div', {class: 'copy-row'}, secretBox,
            button(t('common.copy'), {class: 'small', onclick: async () => { if (await copyText(r.secret, secretBox)) toast(t('common.copied')); }}))),
          field(t('account.totp_uri'), h('code', {class: 'mono wrap', testid: 'totp-uri'}, r.uri)),
          field(t('login.totp_code'), code), error,
          h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary', testid: 'totp-enable'}, t('account.totp_enable'))));
        f.addEventListener('submit', async (ev) => {
          ev.preventDefault();
          error.hidden = true;
          try {
            await api('POST', '/me/totp/enable', {code: code.value.replace(/\s/g, '')});
            session.operator = Object.assign({}, session.operator, {totp: true});
            toast(t('account.totp_enabled'));
            drawTotp();
          } catch (e) {
            error.hidden = false;
            error.textContent = errorText(e);
          }
        });
        setup.hidden = true;
        replace(area, f);
      } catch (e) {
        error.hidden = false;
        error.textContent = errorText(e);
      }
    });
  }
  drawTotp();
}
