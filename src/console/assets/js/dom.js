// A tiny element builder. Every piece of data goes into the page as text (textContent) or as an
// attribute value, never as markup: the page's CSP allows no inline script, and a customer or
// template name such as "<script>…" must show as those characters.

const SVG_NS = 'http://www.w3.org/2000/svg';

function apply(el, attrs) {
  if (!attrs) return;
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = Array.isArray(v) ? v.filter(Boolean).join(' ') : v;
    else if (k === 'text') el.textContent = String(v);
    else if (k === 'testid') el.setAttribute('data-testid', v);
    else if (k === 'dataset') for (const [dk, dv] of Object.entries(v)) el.dataset[dk] = String(dv);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'value' && 'value' in el) el.value = String(v);
    else if ((k === 'checked' || k === 'disabled' || k === 'selected' || k === 'required' || k === 'hidden')
             && k in el) el[k] = Boolean(v);
    else if (k === 'style') throw new Error('no inline styles (CSP): use a class');
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

// h('div', {class: 'x', testid: 'y', onclick: fn}, 'text', child, [more children])
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs && (attrs instanceof Node || typeof attrs !== 'object' || Array.isArray(attrs))) {
    children.unshift(attrs);
  } else {
    apply(el, attrs);
  }
  append(el, children);
  return el;
}

// The same for SVG (attributes set as given; text with textContent).
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null) continue;
    if (k === 'text') el.textContent = String(v);
    else if (k === 'class') el.setAttribute('class', v);
    else if (k === 'testid') el.setAttribute('data-testid', v);
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) if (c) el.appendChild(c);
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function replace(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}

// Debounce: fn runs once, ms after the last call.
export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

// A labelled form field: <label><span>label</span>control<small>hint</small></label>
export function field(label, control, hint) {
  return h('label', {class: 'field'}, h('span', {class: 'field-label'}, label), control,
           hint ? h('small', {class: 'hint'}, hint) : null);
}

export function button(label, attrs = {}) {
  return h('button', Object.assign({type: 'button'}, attrs), label);
}

export function select(options, attrs = {}) {
  // options: [[value, label], …]
  const el = h('select', attrs);
  for (const [value, label] of options) el.appendChild(h('option', {value}, label));
  if (attrs.value !== undefined) el.value = attrs.value;
  return el;
}

// A modal question in the page (not window.confirm: a native dialog blocks the page and tests).
// Resolves true (confirmed) or false. `body` may be a node or text.
export function confirmDialog({title, body, ok, cancel, danger = false, testid = 'confirm-dialog'}) {
  return new Promise((resolve) => {
    const okBtn = button(ok, {class: danger ? 'danger' : 'primary', testid: 'confirm-ok'});
    const cancelBtn = button(cancel, {testid: 'confirm-cancel'});
    const dlg = h('dialog', {class: 'modal', testid},
                  h('h2', null, title), h('div', {class: 'modal-body'}, body),
                  h('div', {class: 'actions'}, cancelBtn, okBtn));
    let answered = false;
    const done = (v) => {
      if (answered) return;
      answered = true;
      dlg.close();
      dlg.remove();
      resolve(v);
    };
    okBtn.addEventListener('click', () => done(true));
    cancelBtn.addEventListener('click', () => done(false));
    dlg.addEventListener('cancel', (e) => { e.preventDefault(); done(false); });
    document.body.appendChild(dlg);
    dlg.showModal();
    okBtn.focus();
  });
}

// Copies text to the clipboard; falls back to selecting the given input.
export async function copyText(text, fallbackInput) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    if (fallbackInput) {
      fallbackInput.focus();
      fallbackInput.select();
    }
    return false;
  }
}
