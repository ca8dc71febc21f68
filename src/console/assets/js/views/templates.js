// Templates: the list, and an editor for one template document (JSON, with fields for the common
// per-channel texts kept in step with it), live preview and validation through
// POST /console/api/templates/preview, saved with PUT.

import {api, can} from '../api.js';
import {h, replace, field, select, debounce} from '../dom.js';
import {t, errorText, locale, fmtTime} from '../i18n.js';
import {placeholders, variableRows, renderForms} from './send.js';

const NAME_RE = /^[A-Za-z0-9_.-]{1,64}$/;

// [path, label key, multiline]
const FIELDS = [
  [['alimtalk', 'text'], 'templates.field_alimtalk', true],
  [['sms', 'text'], 'templates.field_sms', true],
  [['email', 'subject'], 'templates.field_email_subject', false],
  [['email', 'text'], 'templates.field_email_text', true],
  [['push', 'title'], 'templates.field_push_title', false],
  [['push', 'body'], 'templates.field_push_body', true],
];

const NEW_DOC = {kind: 'info', chain: ['sms'], sms: {text: ''}};

function getPath(doc, path) {
  let v = doc;
  for (const k of path) v = v && typeof v === 'object' ? v[k] : undefined;
  return typeof v === 'string' ? v : '';
}

function setPath(doc, path, value) {
  let o = doc;
  for (const k of path.slice(0, -1)) {
    if (!o[k] || typeof o[k] !== 'object') o[k] = {};
    o = o[k];
  }
  o[path[path.length - 1]] = value;
}

export function render(root, {params, query, toast, navigate}) {
  const name = params[0] || '';
  const isNew = !name && query.get('new') === '1';
  const list = h('ul', {class: 'side-list', testid: 'templates-list'});
  const editor = h('div', {class: 'editor', testid: 'template-editor'});
  const head = h('div', {class: 'view-head'}, h('h1', null, t('templates.title')),
    can('agent') ? h('a', {href: '#/templates?new=1', class: 'button', testid: 'template-new'}, '+ ' + t('templates.new')) : null);
  replace(root, head, h('div', {class: 'split side'}, h('nav', {class: 'side-nav'}, list), editor));

  let alive = true;
  api('GET', '/templates').then((r) => {
    if (!alive) return;
    const items = ((r && r.templates) || []).slice().sort((a, b) => a.name.localeCompare(b.name));
    replace(list, items.length ? items.map((tpl) => h('li', null,
      h('a', {href: '#/templates/' + encodeURIComponent(tpl.name), testid: 'template-link', dataset: {name: tpl.name},
              'aria-current': tpl.name === name ? 'page' : undefined},
        h('span', {class: 'name'}, tpl.name),
        tpl.updated_ms ? h('small', {class: 'muted block'}, fmtTime(tpl.updated_ms)) : null))) : h('li', {class: 'muted'}, t('common.empty')));
  }, (e) => replace(list, h('li', {class: 'form-error'}, errorText(e))));

  if (isNew) {
    openEditor(editor, '', structuredClone(NEW_DOC), {toast, navigate, isNew: true});
  } else if (name) {
    replace(editor, h('p', {class: 'muted'}, t('common.loading')));
    api('GET', '/templates/' + encodeURIComponent(name)).then((tpl) => {
      if (!alive) return;
      const doc = tpl && tpl.document ? tpl.document : stripMeta(tpl || {});
      openEditor(editor, name, doc, {toast, navigate, isNew: false});
    }, (e) => replace(editor, h('p', {class: 'form-error'}, errorText(e))));
  } else {
    replace(editor, h('p', {class: 'muted'}, t('templates.pick')));
  }
  return () => { alive = false; };
}

function stripMeta(tpl) {
  const d = Object.assign({}, tpl);
  delete d.name;
  delete d.updated_ms;
  return d;
}

function openEditor(editor, name, doc, {toast, navigate, isNew}) {
  const writable = can('agent');
  const nameInput = h('input', {type: 'text', value: name, testid: 'template-name', readonly: !isNew, pattern: NAME_RE.source,
                                autocomplete: 'off', spellcheck: 'false'});
  const json = h('textarea', {class: 'code', rows: 16, testid: 'template-json', spellcheck: 'false', readonly: !writable});
  json.value = JSON.stringify(doc, null, 2);
  const jsonError = h('p', {class: 'form-error', testid: 'template-json-error', hidden: true});
  const saveError = h('p', {class: 'form-error', testid: 'template-save-error', role: 'alert', hidden: true});
  const preview = h('div', {class: 'preview', testid: 'template-preview'});
  const previewError = h('p', {class: 'form-error', testid: 'template-preview-error', hidden: true});
  const loc = select([['ko', '한국어'], ['en', 'English']], {value: locale(), testid: 'template-locale'});
  const vars = variableRows(() => schedule());
  vars.ensure(placeholders(doc));

  const inputs = FIELDS.map(([path, label, multi]) => {
    const el = multi ? h('textarea', {rows: 3, readonly: !writable, dataset: {path: path.join('.')}})
                     : h('input', {type: 'text', readonly: !writable, dataset: {path: path.join('.')}});
    el.addEventListener('input', () => {
      const d = parse();
      if (!d) return;
      setPath(d, path, el.value);
      json.value = JSON.stringify(d, null, 2);
      schedule();
    });
    return {path, el, wrap: field(t(label), el)};
  });
  // Only the forms the document has are offered as fields (a form is added in the JSON).
  function syncFields(d) {
    for (const f of inputs) {
      if (document.activeElement !== f.el) f.el.value = getPath(d, f.path);
      f.wrap.hidden = !(d[f.path[0]] && typeof d[f.path[0]] === 'object');
    }
  }
  function parse() {
    try {
      const d = JSON.parse(json.value);
      if (!d || typeof d !== 'object' || Array.isArray(d)) throw new Error('{…}');
      jsonError.hidden = true;
      return d;
    } catch (e) {
      jsonError.hidden = false;
      jsonError.textContent = t('templates.json_error', {message: e.message});
      return null;
    }
  }
  syncFields(doc);

  let seq = 0;
  const schedule = debounce(async () => {
    const d = parse();
    if (!d) return;
    const mine = ++seq;
    try {
      const r = await api('POST', '/templates/preview', {document: d, variables: vars.values({placeholder: true}), locale: loc.value});
      if (mine !== seq) return;
      previewError.hidden = true;
      renderForms(preview, r && r.forms ? r : {forms: r || {}});
    } catch (e) {
      if (mine !== seq) return;
      previewError.hidden = false;
      previewError.textContent = errorText(e);
    }
  }, 350);
  json.addEventListener('input', () => {
    const d = parse();
    if (d) {
      syncFields(d);
      vars.ensure(placeholders(d));
    }
    schedule();
  });
  loc.addEventListener('change', schedule);

  const save = h('button', {type: 'submit', class: 'primary', testid: 'template-save'}, t('common.save'));
  const form = h('form', {class: 'form', testid: 'template-form', novalidate: true},
    field(t('templates.name'), nameInput, isNew ? t('templates.name_hint') : null),
    h('details', {class: 'fields', open: true}, h('summary', null, t('templates.fields')), inputs.map((f) => f.wrap)),
    field(t('templates.document'), json), jsonError,
    h('fieldset', null, h('legend', null, t('send.variables')), h('div', {class: 'grid'}, field(t('send.locale'), loc)), vars.el),
    saveError, writable ? h('div', {class: 'actions'}, save) : h('p', {class: 'muted'}, t('common.read_only')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    saveError.hidden = true;
    const d = parse();
    if (!d) return;
    const n = nameInput.value.trim();
    if (!NAME_RE.test(n)) {
      saveError.hidden = false;
      saveError.textContent = t('templates.name_hint');
      return;
    }
    save.disabled = true;
    try {
      await api('PUT', '/templates/' + encodeURIComponent(n), d);
      toast(t('templates.saved'));
      if (isNew) navigate('#/templates/' + encodeURIComponent(n));
    } catch (e) {
      saveError.hidden = false;
      saveError.textContent = errorText(e);
    } finally {
      save.disabled = false;
    }
  });
  replace(editor, h('div', {class: 'split'}, form,
    h('aside', {class: 'preview-pane'}, h('h2', null, t('send.preview')), previewError, preview)));
  schedule();
}
