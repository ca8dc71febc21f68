// The health board (home): a card per channel, a row per provider, queue and throughput, and a live
// chart of each provider's success ratio and p99 latency. Updated from the SSE `board` events.

import {api} from '../api.js';
import {h, replace} from '../dom.js';
import {t, tOr, errorText, fmtNum, fmtKrw, fmtPct, fmtMs, fmtTime} from '../i18n.js';
import * as live from '../live.js';
import {lineChart, seriesClass} from '../chart.js';

// Calls fn(board) with the current board (fetched once) and every live update; returns a stop function.
export function watchBoard(fn, onError) {
  let stopped = false;
  let gotLive = false;
  const off = live.on('board', (b) => {
    gotLive = true;
    if (!stopped) fn(b);
  });
  const cached = live.latestBoard();
  if (cached) fn(cached);
  api('GET', '/board').then((b) => {
    if (!stopped && !gotLive) fn(b);
  }, (e) => {
    if (!stopped && onError) onError(e);
  });
  return () => {
    stopped = true;
    off();
  };
}

export function channelName(c) {
  return tOr('channel.' + c, c);
}

export function breakerText(b) {
  return tOr('breaker.' + b, b);
}

function tile(label, value, testid, href) {
  const body = [h('span', {class: 'tile-label'}, label), h('span', {class: 'tile-value', testid}, value)];
  return href ? h('a', {class: 'tile', href}, body) : h('div', {class: 'tile'}, body);
}

function channelCard(c, providersByName) {
  const cap = Number(c.cap_krw) || 0;
  const cost = Number(c.cost_today_krw) || 0;
  return h('article', {class: ['card', 'channel-card', 'state-' + c.state], testid: 'channel-card',
                       dataset: {channel: c.channel, state: c.state}},
    h('header', null, h('h3', null, channelName(c.channel)),
      h('span', {class: ['badge', 'state-' + c.state], testid: 'channel-state'}, tOr('state.' + c.state, c.state))),
    h('div', {class: 'chain'}, h('span', {class: 'muted'}, t('board.chain')),
      h('ol', {class: 'chain-list'}, (c.providers || []).map((p) => {
        const pr = providersByName.get(p);
        const br = pr ? (pr.enabled === false ? 'disabled' : pr.breaker_state) : 'unknown';
        return h('li', {class: 'breaker-' + br, dataset: {provider: p}}, h('span', {class: 'dot', 'aria-hidden': 'true'}), p);
      }))),
    h('div', {class: 'cost'}, h('span', {class: 'muted'}, t('board.cost_today')),
      h('span', {testid: 'channel-cost'}, fmtKrw(cost) + ' / ' + (cap > 0 ? fmtKrw(cap) : t('board.no_cap'))),
      cap > 0 ? h('meter', {min: 0, max: cap, value: Math.min(cost, cap), high: cap * 0.8, optimum: 0}) : null));
}

function cell(label, ...content) {
  return h('td', {'data-label': label}, h('div', {class: 'cell-body'}, ...content));
}

function providerRow(p) {
  const flags = [];
  flags.push(h('span', {class: ['badge', p.enabled === false ? 'off' : 'on'], testid: 'provider-enabled'},
               p.enabled === false ? t('provider.disabled') : t('provider.enabled')));
  const reason = p.drain_reason || p.reason || '';
  if (p.drained) flags.push(h('span', {class: 'badge warn', testid: 'provider-drained', title: reason},
                              t('provider.drained') + (reason ? ': ' + reason : '')));
  return h('tr', {testid: 'provider-row', class: 'breaker-' + p.breaker_state,
                  dataset: {provider: p.provider, breaker: p.breaker_state, enabled: String(p.enabled !== false),
                            drained: String(!!p.drained)}},
    cell(t('provider.name'), h('strong', null, p.provider)),
    cell(t('provider.channels'), (p.channels || []).map(channelName).join(', ')),
    cell(t('provider.breaker'), h('span', {class: ['badge', 'breaker-' + p.breaker_state], testid: 'provider-breaker'},
                                  breakerText(p.breaker_state)),
         p.since_ms ? h('small', {class: 'muted block'}, t('providers.since', {time: fmtTime(p.since_ms, {date: false})})) : null),
    cell(t('provider.success'), fmtPct(p.success_ratio),
         h('small', {class: 'muted block'}, t('provider.window', {n: fmtNum(p.window_count)}))),
    cell(t('provider.p50'), fmtMs(p.latency_p50_ms)),
    cell(t('provider.p99'), fmtMs(p.latency_p99_ms)),
    cell(t('provider.queued') + ' / ' + t('provider.in_flight'), fmtNum(p.queued) + ' / ' + fmtNum(p.in_flight)),
    cell('', flags),
    cell(t('provider.credentials'), h('span', {class: 'creds creds-' + p.credentials, testid: 'provider-credentials'},
                                      tOr('creds.' + p.credentials, p.credentials || '—'))));
}

export function providerTable(providers, extraColumn) {
  return h('div', {class: 'table-wrap'}, h('table', {class: 'table providers-table', testid: 'providers-table'},
    h('thead', null, h('tr', null, [t('provider.name'), t('provider.channels'), t('provider.breaker'), t('provider.success'),
      t('provider.p50'), t('provider.p99'), t('provider.queued') + ' / ' + t('provider.in_flight'), '', t('provider.credentials')]
      .concat(extraColumn ? [t('common.actions')] : []).map((x) => h('th', {scope: 'col'}, x)))),
    h('tbody', null, providers.map((p) => {
      const row = providerRow(p);
      if (extraColumn) row.appendChild(cell(t('common.actions'), extraColumn(p)));
      return row;
    }))));
}

function charts(board) {
  const history = board.history || [];
  const names = (board.providers || []).map((p) => p.provider);
  for (const pt of history) for (const n of Object.keys(pt.providers || {})) if (!names.includes(n)) names.push(n);
  const ratio = names.map((n) => ({name: n, points: history.filter((pt) => pt.providers && pt.providers[n] &&
    pt.providers[n].success_ratio !== undefined && pt.providers[n].success_ratio !== null)
    .map((pt) => [pt.t_ms, Number(pt.providers[n].success_ratio)])}));
  const p99 = names.map((n) => ({name: n, points: history.filter((pt) => pt.providers && pt.providers[n] &&
    pt.providers[n].latency_p99_ms !== undefined && pt.providers[n].latency_p99_ms !== null)
    .map((pt) => [pt.t_ms, Number(pt.providers[n].latency_p99_ms)])}));
  return h('div', {class: 'charts', testid: 'board-chart'},
    lineChart({title: t('board.chart_success'), series: ratio, yMin: 0, yMax: 1, format: (v) => Math.round(v * 100) + '%',
               empty: t('board.chart_empty'), testid: 'chart-success'}),
    lineChart({title: t('board.chart_latency'), series: p99, yMin: 0, minTop: 100, format: (v) => fmtNum(v) + 'ms',
               empty: t('board.chart_empty'), testid: 'chart-latency'}));
}

function cluster(board) {
  const nodes = (board.cluster && board.cluster.nodes) || [];
  if (nodes.length < 2) return null;
  return h('section', {class: 'section'}, h('h2', null, t('board.cluster')),
    h('ul', {class: 'plain-list', testid: 'cluster-nodes'}, nodes.map((n) => {
      if (typeof n !== 'object' || n === null) return h('li', null, String(n));
      const name = n.node || n.id || n.name || '?';
      const seen = n.seen_ms || n.last_seen_ms || n.heartbeat_ms;
      return h('li', null, h('strong', null, String(name)), seen ? ' · ' + fmtTime(seen, {date: false}) : '');
    })));
}

export function render(root) {
  const status = h('p', {class: 'muted', testid: 'board-status'}, t('common.loading'));
  const body = h('div', {class: 'board', testid: 'board'});
  replace(root, h('div', {class: 'view-head'}, h('h1', null, t('board.title')), status), body);

  const stop = watchBoard((b) => {
    const byName = new Map((b.providers || []).map((p) => [p.provider, p]));
    status.textContent = t('board.updated') + ' ' + fmtTime(b.generated_ms) + (b.node ? ' · ' + t('board.node') + ' ' + b.node : '');
    status.dataset.generated = String(b.generated_ms || '');
    replace(body,
      h('div', {class: 'tiles'},
        tile(t('board.queue_depth'), fmtNum(b.queue_depth), 'board-queue-depth'),
        tile(t('board.per_minute'), fmtNum(b.messages_per_minute), 'board-mpm'),
        tile(t('board.alerts_unack'), fmtNum(b.alerts_unacknowledged), 'board-alerts', '#/alerts')),
      h('section', {class: 'section'}, h('h2', null, t('board.channels')),
        h('div', {class: 'cards', testid: 'channel-cards'}, (b.channels || []).map((c) => channelCard(c, byName)))),
      h('section', {class: 'section'}, h('h2', null, t('board.providers')), providerTable(b.providers || [])),
      h('section', {class: 'section'}, h('h2', null, t('board.chart')), charts(b)),
      cluster(b));
  }, (e) => {
    status.textContent = errorText(e);
    status.className = 'form-error';
  });
  return stop;
}

export {seriesClass};
