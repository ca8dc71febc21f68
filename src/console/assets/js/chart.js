// A small line chart as inline SVG (createElementNS; no library, no inline style).
//   lineChart({title, series: [{name, points: [[t_ms, value], …]}], yMin, yMax, format, testid})
// Each series gets a colour class (series-0 … series-5, css/console.css); the legend is HTML.

import {h, s} from './dom.js';

const W = 320, H = 140, PAD_L = 46, PAD_R = 8, PAD_T = 10, PAD_B = 20;

export function seriesClass(i) {
  return 'series-' + (i % 6);
}

export function lineChart({title, series, yMin = 0, yMax, minTop = 0, format = String, empty = '', testid}) {
  const all = series.flatMap((x) => x.points);
  const svg = s('svg', {viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': title,
                        preserveAspectRatio: 'none', testid: testid ? testid + '-svg' : undefined});
  svg.appendChild(s('title', {text: title}));
  const wrap = h('figure', {class: 'chart-box', testid}, h('figcaption', null, title), svg);
  if (all.length === 0) {
    svg.appendChild(s('text', {x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'chart-empty', text: empty}));
    return wrap;
  }
  let t0 = Math.min(...all.map((p) => p[0]));
  let t1 = Math.max(...all.map((p) => p[0]));
  if (t1 === t0) t1 = t0 + 1;
  let top = yMax !== undefined ? yMax : Math.max(...all.map((p) => p[1]));
  if (!(top > yMin)) top = yMin + 1;
  if (yMax === undefined) top = niceCeil(Math.max(top, minTop));
  const x = (tm) => PAD_L + ((tm - t0) / (t1 - t0)) * (W - PAD_L - PAD_R);
  const y = (v) => PAD_T + (1 - (Math.min(Math.max(v, yMin), top) - yMin) / (top - yMin)) * (H - PAD_T - PAD_B);

  // grid and y labels
  for (let i = 0; i <= 2; ++i) {
    const v = yMin + ((top - yMin) * i) / 2;
    svg.appendChild(s('line', {x1: PAD_L, x2: W - PAD_R, y1: y(v), y2: y(v), class: 'chart-grid'}));
    svg.appendChild(s('text', {x: PAD_L - 4, y: y(v) + 4, 'text-anchor': 'end', class: 'chart-label', text: format(v)}));
  }
  const minutes = Math.round((t1 - t0) / 60000);
  svg.appendChild(s('text', {x: PAD_L, y: H - 4, class: 'chart-label', text: minutes > 0 ? `-${minutes}m` : ''}));
  svg.appendChild(s('text', {x: W - PAD_R, y: H - 4, 'text-anchor': 'end', class: 'chart-label', text: 'now'}));

  const legend = h('ul', {class: 'chart-legend'});
  series.forEach((ser, i) => {
    const pts = ser.points.filter((p) => Number.isFinite(p[1]));
    if (pts.length === 0) return;
    const d = pts.map((p, k) => (k ? 'L' : 'M') + x(p[0]).toFixed(1) + ' ' + y(p[1]).toFixed(1)).join(' ');
    svg.appendChild(s('path', {d, class: 'chart-line ' + seriesClass(i), 'data-series': ser.name}));
    const last = pts[pts.length - 1];
    svg.appendChild(s('circle', {cx: x(last[0]), cy: y(last[1]), r: 2.5, class: 'chart-dot ' + seriesClass(i)}));
    legend.appendChild(h('li', null, h('span', {class: 'swatch ' + seriesClass(i), 'aria-hidden': 'true'}),
                         ser.name + ' ' + format(last[1])));
  });
  wrap.appendChild(legend);
  return wrap;
}

function niceCeil(v) {
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}
