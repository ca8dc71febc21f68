// Send: audience, template or free text, kind, variables, language; a live preview of every channel's
// rendering (POST /console/api/send/preview, debounced) with the SMS/LMS byte counter and the
// advertising rules; then a confirmation and the result.

import {api} from '../api.js';
import {h, replace, field, select, button, debounce, confirmDialog} from '../dom.js';
import {t, tOr, errorText, locale, fmtTime, fmtNum} from '../i18n.js';
import {channelName} from './board.js';

// Every #{name} placeholder in a template document (any depth).
export function placeholders(doc) {
  const out = new Set();
  const walk = (v) => {
    if (typeof v === 'string') for (const m of v.matchAll(/#\{([^}\s]+)\}/g)) out.add(m[1]);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(doc);
  return [...out];
}

// Key/value rows for variables; returns {el, values(), ensure(names), onChange}.
export function variableRows(onChange) {
  const list = h('div', {class: 'var-rows', testid: 'var-rows'});
  const add = button('+ ' + t('send.add_var'), {class: 'small', testid: 'send-add-var'});
  function row(k = '', v = '') {
    const key = h('input', {type: 'text', value: k, placeholder: t('send.var_name'), 'aria-label': t('send.var_name'),
                            testid: 'send-var-key', autocomplete: 'off', spellcheck: 'false'});
    const val = h('input', {type: 'text', value: v, placeholder: t('send.var_value'), 'aria-label': t('send.var_value'),
                            testid: 'send-var-value', autocomplete: 'off'});
    const del = button('×', {class: 'icon', 'aria-label': t('common.remove'), testid: 'send-var-remove'});
    const r = h('div', {class: 'var-row'}, key, val, del);
    key.addEventListener('input', onChange);
    val.addEventListener('input', onChange);
    del.addEventListener('click', () => { r.remove(); onChange(); });
    list.appendChild(r);
    return r;
  }
  add.addEventListener('click', () => { row().querySelector('input').focus(); });
  return {
    el: h('div', {class: 'vars'}, list, add),
    // {name: value} of the rows with a name; an empty value is left out (the server then says which
    // variable has no value), or, with `placeholder`, stands for itself (#{name}) in a preview.
    values({placeholder = false} = {}) {
      const o = {};
      for (const r of list.children) {
        const [k, v] = r.querySelectorAll('input');
        const name = k.value.trim();
        if (!name) continue;
        if (v.value !== '') o[name] = v.value;
        else if (placeholder) o[name] = '#{' + name + '}';
      }
      return o;
    },
    ensure(names) {
      const have = new Set([...list.children].map((r) => r.querySelector('input').value.trim()));
      for (const n of names) if (!have.has(n)) row(n, '');
    },
  };
}

// The preview of `forms` (+ `ad`), shared with the templates page.
export function renderForms(target, answer) {
  const forms = (answer && answer.forms) || {};
  const blocks = [];
  for (const [channel, f] of Object.entries(forms)) {
    if (!f) continue;
    const errors = f.errors || [];
    const lines = [];
    if (channel === 'sms') {
      const bytes = Number(f.bytes) || 0;
      const type = f.type || (bytes > 90 ? 'lms' : 'sms');
      const over = bytes > 2000 || (f.limit && bytes > f.limit && type === 'lms');
      lines.push(h('p', {class: ['counter', over ? 'over' : '', 'type-' + type], testid: 'preview-bytes',
                         dataset: {bytes: String(bytes), type}},
        over ? t('send.bytes_over', {bytes: fmtNum(bytes)})
             : t('send.bytes', {bytes: fmtNum(bytes), limit: type === 'lms' ? '2,000' : '90', type: type.toUpperCase()})));
      lines.push(h('pre', {class: 'preview-text', testid: 'preview-sms-text'}, f.text || ''));
    } else if (channel === 'alimtalk') {
      if (f.chars !== undefined) lines.push(h('p', {class: 'counter', testid: 'preview-chars'}, t('send.chars', {chars: fmtNum(f.chars)})));
      lines.push(h('pre', {class: 'preview-text', testid: 'preview-alimtalk-text'}, f.text || ''));
    } else if (channel === 'email') {
      lines.push(h('p', {class: 'preview-subject'}, f.subject || ''));
      lines.push(h('pre', {class: 'preview-text'}, f.text || ''));
    } else if (channel === 'push') {
      lines.push(h('p', {class: 'preview-subject'}, f.title || ''));
      lines.push(h('pre', {class: 'preview-text'}, f.body || ''));
    } else {
      lines.push(h('pre', {class: 'preview-text'}, f.text || f.body || JSON.stringify(f, null, 1)));
    }
    const valid = f.valid !== false && errors.length === 0;
    blocks.push(h('section', {class: ['preview-form', valid ? 'valid' : 'invalid'], testid: 'preview-form',
                              dataset: {channel, valid: String(valid)}},
      h('header', null, h('h3', null, channelName(channel)),
        f.valid !== undefined ? h('span', {class: ['badge', valid ? 'on' : 'bad']}, valid ? t('send.valid') : t('send.invalid')) : null),
      lines,
      errors.length ? h('ul', {class: 'errors', testid: 'preview-errors'},
        errors.map((e) => h('li', null, typeof e === 'string' ? e : [e.code, e.field, e.message].filter(Boolean).join(' · ')))) : null));
  }
  const ad = answer && answer.ad;
  const extra = [];
  if (answer && Array.isArray(answer.chain) && answer.chain.length) {
    extra.push(h('p', {class: 'muted small', testid: 'preview-chain'}, t('messages.chain') + ': ' + answer.chain.join(' → ')));
  }
  const optOut = ad && (ad.opt_out_line || ad.opt_out_number);
  if (ad && (ad.prefix_added || optOut || ad.night)) {
    extra.push(h('section', {class: 'preview-ad', testid: 'preview-ad', dataset: {night: String(!!ad.night)}},
      h('h3', null, t('send.ad_rules')),
      h('ul', null,
        ad.prefix_added ? h('li', {testid: 'preview-ad-prefix'}, t('send.ad_prefix')) : null,
        optOut ? h('li', {testid: 'preview-ad-optout'}, t('send.ad_optout', {line: optOut})) : null,
        h('li', {testid: 'preview-ad-night'}, ad.night ? t('send.ad_night', {time: fmtTime(ad.held_until_ms)}) : t('send.ad_day')))));
  }
  if (answer && answer.state === 'held') extra.push(h('p', {class: 'warn-text', testid: 'preview-held'}, t('send.held')));
  if (answer && answer.now_kst) extra.push(h('p', {class: 'muted small'}, t('send.now_kst', {time: answer.now_kst})));
  replace(target, blocks, extra);
}

export function render(root, {toast}) {
  const audience = select([['customers', t('send.audience_customers')], ['phones', t('send.audience_phones')],
                           ['all', t('send.audience_all')]], {testid: 'send-audience', value: 'phones'});
  const recipients = h('textarea', {rows: 3, testid: 'send-recipients', autocomplete: 'off', spellcheck: 'false'});
  const recipientsField = field(t('send.recipients'), recipients, t('send.recipients_hint'));
  const allHint = h('p', {class: 'hint', hidden: true}, t('send.all_hint'));
  const mode = select([['template', t('send.use_template')], ['text', t('send.use_text')]], {testid: 'send-mode', value: 'template'});
  const template = select([['', t('send.template_pick')]], {testid: 'send-template'});
  const templateField = field(t('send.template'), template);
  const text = h('textarea', {rows: 5, testid: 'send-text'});
  const textField = field(t('send.text'), text);
  textField.hidden = true;
  const kind = select([['info', t('kind.info')], ['ad', t('kind.ad')]], {testid: 'send-kind', value: 'info'});
  const loc = select([['ko', '한국어'], ['en', 'English']], {testid: 'send-locale', value: locale()});
  const preview = h('div', {class: 'preview', testid: 'send-preview', 'aria-live': 'polite'},
                    h('p', {class: 'muted'}, t('send.preview_idle')));
  const previewError = h('p', {class: 'form-error', testid: 'send-preview-error', hidden: true});
  const error = h('p', {class: 'form-error', testid: 'send-error', role: 'alert', hidden: true});
  const result = h('div', {class: 'result', testid: 'send-result', hidden: true});
  const submit = h('button', {type: 'submit', class: 'primary', testid: 'send-submit'}, t('send.submit'));
  const vars = variableRows(() => schedulePreview());
  const docs = new Map();

  const form = h('form', {class: 'form send-form', testid: 'send-form', novalidate: true},
    h('fieldset', null, h('legend', null, t('send.audience')), field(t('send.audience_type'), audience), recipientsField, allHint),
    h('fieldset', null, h('legend', null, t('send.content')),
      h('div', {class: 'grid'}, field(t('send.source'), mode), field(t('send.kind'), kind), field(t('send.locale'), loc)),
      templateField, textField),
    h('fieldset', null, h('legend', null, t('send.variables')), vars.el),
    error, h('div', {class: 'actions'}, submit));

  replace(root, h('div', {class: 'view-head'}, h('h1', null, t('send.title'))),
    h('div', {class: 'split'}, form,
      h('aside', {class: 'preview-pane'}, h('h2', null, t('send.preview')), previewError, preview)),
    result);

  let seq = 0;
  let alive = true;
  async function doPreview() {
    const body = content();
    if (!body) {
      replace(preview, h('p', {class: 'muted'}, t('send.preview_idle')));
      previewError.hidden = true;
      return;
    }
    const mine = ++seq;
    preview.classList.add('updating');
    try {
      const r = await api('POST', '/send/preview', body);
      if (mine !== seq || !alive) return;
      previewError.hidden = true;
      renderForms(preview, r);
    } catch (e) {
      if (mine !== seq || !alive) return;
      previewError.hidden = false;
      previewError.textContent = errorText(e);
    } finally {
      if (mine === seq) preview.classList.remove('updating');
    }
  }
  const schedulePreview = debounce(doPreview, 300);

  function content() {
    const b = {kind: kind.value, variables: vars.values(), locale: loc.value};
    if (mode.value === 'template') {
      if (!template.value) return null;
      b.template = template.value;
    } else {
      if (!text.value.trim()) return null;
      b.text = text.value;
    }
    return b;
  }

  function audienceBody() {
    if (audience.value === 'all') return {all_consented: true};
    const list = recipients.value.split(/[\s,;]+/).map((x) => x.trim()).filter(Boolean);
    if (list.length === 0) return null;
    return audience.value === 'customers' ? {customers: list} : {phones: list};
  }

  audience.addEventListener('change', () => {
    const all = audience.value === 'all';
    recipientsField.hidden = all;
    allHint.hidden = !all;
  });
  mode.addEventListener('change', () => {
    templateField.hidden = mode.value !== 'template';
    textField.hidden = mode.value !== 'text';
    schedulePreview();
  });
  template.addEventListener('change', () => {
    const d = docs.get(template.value);
    if (d) {
      vars.ensure(placeholders(d));
      if (d.kind === 'ad' || d.kind === 'info') kind.value = d.kind;
    }
    schedulePreview();
  });
  for (const el of [text, kind, loc]) el.addEventListener('input', schedulePreview);
  for (const el of [kind, loc]) el.addEventListener('change', schedulePreview);

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.hidden = true;
    const aud = audienceBody();
    const body = content();
    if (!aud) { error.hidden = false; error.textContent = t('send.need_recipients'); return; }
    if (!body) { error.hidden = false; error.textContent = t('send.need_content'); return; }
    const n = aud.customers ? aud.customers.length : aud.phones ? aud.phones.length : 0;
    const ok = await confirmDialog({
      title: t('send.confirm_title'),
      body: t('send.confirm_body', {audience: aud.all_consented ? t('send.confirm_all') : t('send.confirm_n', {n}),
                                    kind: tOr('kind.' + body.kind, body.kind)}),
      ok: t('send.submit'), cancel: t('common.cancel'), danger: body.kind === 'ad', testid: 'send-confirm'});
    if (!ok) return;
    submit.disabled = true;
    try {
      const r = await api('POST', '/send', Object.assign({audience: aud}, body));
      showResult(r);
      toast(t('send.result', {n: fmtNum(r.accepted)}));
    } catch (e) {
      error.hidden = false;
      error.textContent = errorText(e);
    } finally {
      submit.disabled = false;
    }
  });

  function showResult(r) {
    const skipped = r.skipped || [];
    replace(result,
      h('p', {class: 'ok', testid: 'send-result-accepted', dataset: {accepted: String(r.accepted)}},
        t('send.result', {n: fmtNum(r.accepted)})),
      (r.message_ids || []).length ? h('ul', {class: 'id-list'}, r.message_ids.slice(0, 50).map((id) =>
        h('li', null, h('a', {href: '#/messages/' + encodeURIComponent(id), class: 'mono', testid: 'send-result-id'}, id)))) : null,
      skipped.length ? h('details', {testid: 'send-skipped'}, h('summary', null, t('send.skipped', {n: skipped.length})),
        h('ul', null, skipped.map((s) => h('li', null, t('send.skip_row', {customer: s.customer || '', reason: s.reason || ''}))))) : null);
    result.hidden = false;
    result.scrollIntoView({block: 'nearest'});
  }

  api('GET', '/templates').then((r) => {
    if (!alive) return;
    for (const tpl of (r && r.templates) || []) {
      docs.set(tpl.name, tpl.document || tpl);
      template.appendChild(h('option', {value: tpl.name}, tpl.name));
    }
  }, (e) => {
    previewError.hidden = false;
    previewError.textContent = errorText(e);
  });

  return () => { alive = false; };
}
