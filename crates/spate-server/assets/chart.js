// Hand-written SVG charts: time series over the last minutes (kept client-side in a
// History per series) and the checkpoint history (bars and a line on a second axis).

import { s, h } from './dom.js';
import { clock, compact } from './format.js';

/** How long charts look back. */
export const WINDOW_MS = 5 * 60 * 1000;

/** A time series kept for the chart window. */
export class History {
  constructor(windowMs = WINDOW_MS) {
    this.windowMs = windowMs;
    this.points = [];
  }
  push(t, v) {
    if (v == null || Number.isNaN(v)) return;
    this.points.push([t, v]);
    const cut = t - this.windowMs;
    while (this.points.length && this.points[0][0] < cut) this.points.shift();
  }
  last() {
    return this.points.length ? this.points[this.points.length - 1][1] : null;
  }
}

/** Several named histories, created on first use and dropped when not seen for a window. */
export class Histories {
  constructor() {
    this.map = new Map();
  }
  push(key, t, v) {
    let hist = this.map.get(key);
    if (!hist) this.map.set(key, (hist = new History()));
    hist.push(t, v);
    return hist;
  }
  get(key) {
    return this.map.get(key) || new History();
  }
}

/** A round axis maximum above `v`: 1, 2, 5 × 10^n. */
export function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

export const PALETTE = ['#2563eb', '#16a34a', '#d97706', '#9333ea', '#dc2626', '#0891b2', '#db2777', '#65a30d'];

/**
 * A line chart of time series: `series` is [{name, color, points: [[t, v]]}]; the x axis
 * is the last `windowMs` up to `now`; `format` labels the y axis.
 */
export function lineChart(series, { width = 560, height = 170, now = Date.now(), windowMs = WINDOW_MS, format = compact, area = true, bare = false } = {}) {
  const m = bare ? { l: 2, r: 4, t: 3, b: 3 } : { l: 52, r: 12, t: 10, b: 22 };
  const w = width - m.l - m.r;
  const ht = height - m.t - m.b;
  // Up to the whole window, but no emptier than a minute: fresh history fills the chart.
  let earliest = now;
  for (const sr of series) if (sr.points.length && sr.points[0][0] < earliest) earliest = sr.points[0][0];
  windowMs = Math.min(windowMs, Math.max(60000, now - earliest));
  const t0 = now - windowMs;
  let max = 0;
  for (const sr of series) for (const [t, v] of sr.points) if (t >= t0 && v > max) max = v;
  max = niceMax(max);
  const x = (t) => m.l + ((t - t0) / windowMs) * w;
  const y = (v) => m.t + ht - (v / max) * ht;
  const svg = s('svg.chart', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img' });
  for (let i = 0; i <= 4 && !bare; i++) {
    const v = (max * i) / 4;
    svg.append(
      s('line.grid', { x1: m.l, x2: width - m.r, y1: y(v), y2: y(v) }),
      s('text.axis', { x: m.l - 6, y: y(v) + 4, 'text-anchor': 'end' }, format(v)),
    );
  }
  for (let i = 0; i <= 5 && !bare; i++) {
    const t = t0 + (windowMs * i) / 5;
    svg.append(s('text.axis', { x: x(t), y: height - 6, 'text-anchor': i === 0 ? 'start' : i === 5 ? 'end' : 'middle' }, clock(t)));
  }
  series.forEach((sr, i) => {
    const pts = sr.points.filter(([t]) => t >= t0);
    if (!pts.length) return;
    const color = sr.color || PALETTE[i % PALETTE.length];
    const line = pts.map(([t, v], j) => `${j ? 'L' : 'M'}${x(t).toFixed(1)},${y(v).toFixed(1)}`).join('');
    if (area && series.length === 1 && pts.length > 1) {
      const base = y(0).toFixed(1);
      svg.append(s('path', { d: `${line}L${x(pts[pts.length - 1][0]).toFixed(1)},${base}L${x(pts[0][0]).toFixed(1)},${base}Z`, fill: color, 'fill-opacity': 0.12 }));
    }
    svg.append(s('path', { d: line, fill: 'none', stroke: color, 'stroke-width': 1.8, 'stroke-linejoin': 'round' }));
    const [lt, lv] = pts[pts.length - 1];
    svg.append(s('circle', { cx: x(lt), cy: y(lv), r: 2.8, fill: color }));
  });
  if (!bare && !series.some((sr) => sr.points.length)) {
    svg.append(s('text.axis', { x: m.l + w / 2, y: m.t + ht / 2, 'text-anchor': 'middle' }, 'collecting…'));
  }
  return svg;
}

/** The legend of a chart's series with their latest values. */
export function legend(series, format = compact) {
  return h(
    'div.legend',
    series.map((sr, i) => {
      const last = sr.points.length ? sr.points[sr.points.length - 1][1] : null;
      return h('span.legend-item', h('i', { style: `background:${sr.color || PALETTE[i % PALETTE.length]}` }), sr.name, h('b', last == null ? '—' : format(last)));
    }),
  );
}

/**
 * Bars for one figure and a line for another over the same items (checkpoints: duration as
 * bars, size as the line); `items` are [{label, bar, line}] oldest first.
 */
export function barLineChart(items, { width = 560, height = 170, barFormat = compact, lineFormat = compact, barColor = '#2563eb', lineColor = '#d97706' } = {}) {
  const m = { l: 56, r: 62, t: 10, b: 22 };
  const w = width - m.l - m.r;
  const ht = height - m.t - m.b;
  const svg = s('svg.chart', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img' });
  const barMax = niceMax(Math.max(0, ...items.map((i) => i.bar || 0)));
  const lineMax = niceMax(Math.max(0, ...items.map((i) => i.line || 0)));
  const yb = (v) => m.t + ht - (v / barMax) * ht;
  const yl = (v) => m.t + ht - (v / lineMax) * ht;
  for (let i = 0; i <= 4; i++) {
    svg.append(
      s('line.grid', { x1: m.l, x2: width - m.r, y1: yb((barMax * i) / 4), y2: yb((barMax * i) / 4) }),
      s('text.axis', { x: m.l - 6, y: yb((barMax * i) / 4) + 4, 'text-anchor': 'end', fill: barColor }, barFormat((barMax * i) / 4)),
      s('text.axis', { x: width - m.r + 6, y: yl((lineMax * i) / 4) + 4, 'text-anchor': 'start', fill: lineColor }, lineFormat((lineMax * i) / 4)),
    );
  }
  if (!items.length) {
    svg.append(s('text.axis', { x: m.l + w / 2, y: m.t + ht / 2, 'text-anchor': 'middle' }, 'no checkpoint yet'));
    return svg;
  }
  const slot = w / items.length;
  const bw = Math.max(2, Math.min(28, slot * 0.7));
  const cx = (i) => m.l + slot * i + slot / 2;
  items.forEach((it, i) => {
    if (it.bar != null) {
      svg.append(s('rect', { x: cx(i) - bw / 2, y: yb(it.bar), width: bw, height: Math.max(1, m.t + ht - yb(it.bar)), fill: barColor, 'fill-opacity': 0.75, rx: 2 },
        s('title', `${it.label}: ${barFormat(it.bar)}, ${lineFormat(it.line)}`)));
    }
  });
  const pts = items.map((it, i) => (it.line == null ? null : `${cx(i).toFixed(1)},${yl(it.line).toFixed(1)}`)).filter(Boolean);
  if (pts.length) svg.append(s('polyline', { points: pts.join(' '), fill: 'none', stroke: lineColor, 'stroke-width': 1.8 }));
  const step = Math.ceil(items.length / 8);
  items.forEach((it, i) => {
    if (i % step === 0 || i === items.length - 1) svg.append(s('text.axis', { x: cx(i), y: height - 6, 'text-anchor': 'middle' }, it.label));
  });
  return svg;
}
