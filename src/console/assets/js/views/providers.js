// Providers: enable/disable, drain (force the breaker open, with a reason) / undrain, credentials
// status (never a secret), and per channel the order providers are tried in.

import {api, can} from '../api.js';
import {h, replace, button, field, confirmDialog} from '../dom.js';
import {t, errorText} from '../i18n.js';
import {watchBoard, providerTable, channelName, breakerText} from './board.js';

export function render(root, {toast}) {
  const admin = can('admin');
  const status = h('p', {class: 'muted'}, t('common.loading'));
  const table = h('div', {testid: 'providers-admin'});
  const chains = h('div', {class: 'cards', testid: 'chains'});
  replace(root, h('div', {class: 'view-head'}, h('h1', null, t('providers.title')), status),
    admin ? null : h('p', {class: 'muted'}, t('common.read_only')),
    h('section', {class: 'section'}, table),
    h('section', {class: 'section'}, h('h2', null, t('providers.chains')), chains));

  const edits = new Map();  // channel → provider order being edited (not yet saved)
  let board = null;

  async function patch(p, body, okText) {
    try {
      await api('PATCH', '/providers/' + encodeURIComponent(p.provider), body);
      if (okText) toast(okText);
      refresh();
    } catch (e) {
      toast(errorText(e), {kind: 'error'});
    }
  }

  async function refresh() {
    try {
      draw(await api('GET', '/board'));
    } catch {
      // the next live update redraws
    }
  }

  function actions(p) {
    if (!admin) return null;
    const enabled = p.enabled !== false;
    const toggle = button(enabled ? t('providers.disable') : t('providers.enable'),
      {class: enabled ? 'small' : 'small primary', testid: 'provider-toggle', onclick: async () => {
        if (enabled) {
          const ok = await confirmDialog({title: p.provider, body: t('providers.disable_confirm', {provider: p.provider}),
                                          ok: t('providers.disable'), cancel: t('common.cancel'), danger: true});
          if (!ok) return;
        }
        patch(p, {enabled: !enabled}, enabled ? t('provider.disabled') + ': ' + p.provider : t('provider.enabled') + ': ' + p.provider);
      }});
    const drain = p.drained
      ? button(t('providers.undrain'), {class: 'small', testid: 'provider-undrain', onclick: () => patch(p, {drained: false})})
      : button(t('providers.drain'), {class: 'small warn', testid: 'provider-drain', onclick: async () => {
        const reason = h('input', {type: 'text', testid: 'drain-reason', placeholder: t('providers.reason_hint'), maxlength: 200});
        const ok = await confirmDialog({title: t('providers.drain') + ': ' + p.provider,
          body: h('div', null, h('p', null, t('providers.drain_confirm', {provider: p.provider})), field(t('providers.reason'), reason)),
          ok: t('providers.drain'), cancel: t('common.cancel'), danger: true, testid: 'drain-dialog'});
        if (ok) patch(p, {drained: true, reason: reason.value.trim()});
      }});
    return h('div', {class: 'row-actions'}, toggle, drain);
  }

  function chainCard(c) {
    const order = edits.get(c.channel) || (c.providers || []).slice();
    const dirty = edits.has(c.channel);
    const byName = new Map(((board && board.providers) || []).map((p) => [p.provider, p]));
    const move = (i, d) => {
      const o = order.slice();
      const j = i + d;
      if (j < 0 || j >= o.length) return;
      [o[i], o[j]] = [o[j], o[i]];
      edits.set(c.channel, o);
      drawChains();
    };
    const remove = (i) => {
      if (order.length <= 1) return;
      edits.set(c.channel, order.filter((_, k) => k !== i));
      drawChains();
    };
    // Providers configured for this channel but not in its chain.
    const addable = ((board && board.providers) || [])
      .filter((p) => (p.channels || []).includes(c.channel) && !order.includes(p.provider)).map((p) => p.provider);
    const save = button(t('common.save'), {class: 'primary small', testid: 'chain-save', disabled: !dirty, onclick: async () => {
      try {
        await api('PUT', '/chains/' + encodeURIComponent(c.channel), {providers: order});
        edits.delete(c.channel);
        toast(t('providers.chain_saved', {channel: channelName(c.channel)}));
        refresh();
      } catch (e) {
        toast(errorText(e), {kind: 'error'});
      }
    }});
    const reset = button(t('common.cancel'), {class: 'small', disabled: !dirty, onclick: () => { edits.delete(c.channel); drawChains(); }});
    return h('article', {class: ['card', 'chain-card', dirty ? 'dirty' : ''], testid: 'chain-card',
                         dataset: {channel: c.channel, order: order.join(',')}},
      h('header', null, h('h3', null, channelName(c.channel))),
      h('ol', {class: 'chain-edit'}, order.map((name, i) => {
        const p = byName.get(name);
        return h('li', {testid: 'chain-item', dataset: {provider: name}},
          h('span', {class: 'chain-name'}, (i + 1) + '. ' + name),
          p ? h('small', {class: 'muted'}, breakerText(p.breaker_state)) : null,
          admin ? h('span', {class: 'chain-buttons'},
            button('↑', {class: 'icon', 'aria-label': t('providers.up') + ' ' + name, testid: 'chain-up', disabled: i === 0,
                         onclick: () => move(i, -1)}),
            button('↓', {class: 'icon', 'aria-label': t('providers.down') + ' ' + name, testid: 'chain-down',
                         disabled: i === order.length - 1, onclick: () => move(i, 1)}),
            button('×', {class: 'icon', 'aria-label': t('common.remove') + ' ' + name, testid: 'chain-remove',
                         disabled: order.length <= 1, onclick: () => remove(i)})) : null);
      })),
      admin && addable.length ? h('div', {class: 'chain-add'}, addable.map((name) =>
        button('+ ' + name, {class: 'small', testid: 'chain-add', dataset: {provider: name}, onclick: () => {
          edits.set(c.channel, order.concat([name]));
          drawChains();
        }}))) : null,
      admin ? h('div', {class: 'actions'}, reset, save) : null);
  }

  function drawChains() {
    replace(chains, ((board && board.channels) || []).map(chainCard));
  }

  function draw(b) {
    board = b;
    status.textContent = '';
    replace(table, providerTable(b.providers || [], admin ? actions : null));
    drawChains();
  }

  return watchBoard(draw, (e) => { status.textContent = errorText(e); status.className = 'form-error'; });
}
