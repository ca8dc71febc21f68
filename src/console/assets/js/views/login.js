// Sign-in: email + password, then the TOTP code when the account has two-step verification.

import {api, setSession} from '../api.js';
import {h, replace, field} from '../dom.js';
import {t, errorText} from '../i18n.js';

let countdown = null;

export function renderLogin(root, {message, step = 'password', languageSwitch, onSignedIn}) {
  clearInterval(countdown);
  const error = h('p', {class: 'form-error', testid: 'login-error', role: 'alert', hidden: true});
  const info = h('p', {class: 'form-info', testid: 'login-message', hidden: !message}, message || '');
  const card = h('div', {class: 'login-card'});
  const page = h('div', {class: 'login-page', testid: 'login-page'},
    h('div', {class: 'login-top'}, h('span', {class: 'brand'},
      h('img', {src: '/console/assets/icon.svg', alt: '', width: 32, height: 32}), h('span', null, t('app.title'))),
      languageSwitch()),
    card);
  replace(root, page);

  function showError(e) {
    clearInterval(countdown);
    error.hidden = false;
    error.dataset.code = e.code || '';
    if (e.code === 'too_many_attempts' && Number.isFinite(e.retryAfter) && e.retryAfter > 0) {
      let left = Math.ceil(e.retryAfter);
      error.textContent = t('error.too_many_attempts', {seconds: left});
      countdown = setInterval(() => {
        left -= 1;
        if (left <= 0 || !error.isConnected) {
          clearInterval(countdown);
          if (error.isConnected) error.hidden = true;
          return;
        }
        error.textContent = t('error.too_many_attempts', {seconds: left});
      }, 1000);
    } else {
      error.textContent = errorText(e);
    }
  }

  function passwordStep() {
    const email = h('input', {type: 'email', name: 'email', autocomplete: 'username', required: true,
                              testid: 'login-email', inputmode: 'email', autocapitalize: 'off', spellcheck: 'false'});
    const password = h('input', {type: 'password', name: 'password', autocomplete: 'current-password', required: true,
                                 testid: 'login-password'});
    const submit = h('button', {type: 'submit', class: 'primary wide', testid: 'login-submit'}, t('login.submit'));
    const form = h('form', {class: 'form', testid: 'login-form', novalidate: true},
      h('h1', null, t('login.title')), info,
      field(t('login.email'), email), field(t('login.password'), password), error, submit);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      error.hidden = true;
      info.hidden = true;
      if (!email.value.trim() || !password.value) {
        showError({code: 'invalid_request'});
        return;
      }
      submit.disabled = true;
      try {
        const answer = await api('POST', '/login', {email: email.value.trim(), password: password.value});
        password.value = '';
        if (answer.second_factor_required) {
          setSession(answer);
          totpStep();
        } else {
          onSignedIn(answer);
        }
      } catch (e) {
        showError(e);
        password.select();
      } finally {
        submit.disabled = false;
      }
    });
    replace(card, form);
    email.focus();
  }

  function totpStep() {
    const code = h('input', {type: 'text', name: 'code', inputmode: 'numeric', autocomplete: 'one-time-code',
                             pattern: '[0-9]{6}', maxlength: 6, required: true, testid: 'login-totp'});
    const submit = h('button', {type: 'submit', class: 'primary wide', testid: 'login-totp-submit'},
                     t('login.totp_submit'));
    const back = h('button', {type: 'button', class: 'link', testid: 'login-totp-cancel'}, t('common.cancel'));
    const form = h('form', {class: 'form', testid: 'login-totp-form', novalidate: true},
      h('h1', null, t('login.totp_title')), h('p', {class: 'hint'}, t('login.totp_help')), info,
      field(t('login.totp_code'), code), error, submit, back);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      error.hidden = true;
      submit.disabled = true;
      try {
        const answer = await api('POST', '/login/totp', {code: code.value.replace(/\s/g, '')});
        onSignedIn(answer);
      } catch (e) {
        if (e.code === 'not_signed_in') {
          setSession(null);
          passwordStep();
        }
        showError(e);
        code.select();
      } finally {
        submit.disabled = false;
      }
    });
    back.addEventListener('click', async () => {
      try {
        await api('POST', '/logout');
      } catch {
        // nothing to end
      }
      setSession(null);
      error.hidden = true;
      passwordStep();
    });
    replace(card, form);
    code.focus();
  }

  if (step === 'totp') totpStep();
  else passwordStep();
}
