// The job graph: operator chains (what runs as one task) as nodes, edges between chains
// labelled with their partitioning, laid out in layers left to right (a longest-path layering
// and one barycentre pass to order each layer), drawn in SVG. Each node shows its operators,
// parallelism, records in/out per second, busy and backpressured time and its watermark, and
// is coloured by how busy (red) or backpressured (grey) its task is.

import { s } from './dom.js';
import { rate, utc, percent } from './format.js';

const W = 270;
const OP_LINE = 16;
const BODY = 62;
const GAP_X = 90;
const GAP_Y = 28;
const MAX_OPS = 5;

function truncate(text, n) {
  return text.length > n ? text.slice(0, n - 1) + '…' : text;
}

/** The chains of a plan with their member nodes, and the edges between chains. */
export function chains(plan) {
  const nodes = plan.nodes || [];
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const chainOf = (n) => (n.chain != null ? n.chain : n.id);
  const list = new Map();
  for (const n of nodes) {
    const c = chainOf(n);
    if (!list.has(c)) list.set(c, { id: c, ops: [] });
    list.get(c).ops.push(n);
  }
  const edges = [];
  for (const n of nodes) {
    for (const input of n.inputs || []) {
      const from = byId.get(input.id);
      if (!from) continue;
      const a = chainOf(from);
      const b = chainOf(n);
      if (a === b) continue;
      edges.push({ from: a, to: b, label: input.ship_strategy + (input.side_output ? ' · side output' : '') });
    }
  }
  return { chains: [...list.values()], edges };
}

function layout(graph) {
  const preds = new Map(graph.chains.map((c) => [c.id, []]));
  for (const e of graph.edges) preds.get(e.to)?.push(e.from);
  const layer = new Map();
  const depth = (id, seen = new Set()) => {
    if (layer.has(id)) return layer.get(id);
    if (seen.has(id)) return 0; // a cycle (iterations): stop climbing
    seen.add(id);
    const d = Math.max(-1, ...preds.get(id).map((p) => depth(p, seen))) + 1;
    layer.set(id, d);
    return d;
  };
  graph.chains.forEach((c) => depth(c.id));
  const layers = [];
  for (const c of graph.chains) (layers[layer.get(c.id)] ||= []).push(c);
  const order = new Map();
  layers.forEach((cs, li) => {
    if (li > 0) {
      const bary = (c) => {
        const ps = preds.get(c.id);
        return ps.length ? ps.reduce((a, p) => a + (order.get(p) ?? 0), 0) / ps.length : 0;
      };
      cs.sort((a, b) => bary(a) - bary(b));
    }
    cs.forEach((c, i) => order.set(c.id, i));
  });
  const height = (c) => Math.min(c.ops.length, MAX_OPS + (c.ops.length > MAX_OPS ? 1 : 0)) * OP_LINE + 14 + BODY;
  const columnHeights = layers.map((cs) => cs.reduce((a, c) => a + height(c), 0) + GAP_Y * (cs.length - 1));
  const total = Math.max(...columnHeights, 0);
  const pos = new Map();
  layers.forEach((cs, li) => {
    let y = 20 + (total - columnHeights[li]) / 2;
    for (const c of cs) {
      pos.set(c.id, { x: 20 + li * (W + GAP_X), y, h: height(c) });
      y += height(c) + GAP_Y;
    }
  });
  return { pos, width: 40 + layers.length * (W + GAP_X) - GAP_X, height: total + 40 };
}

function mix(a, b, t) {
  const p = (c) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16));
  const [x, y] = [p(a), p(b)];
  return '#' + x.map((v, i) => Math.round(v + (y[i] - v) * t).toString(16).padStart(2, '0')).join('');
}

/** A chain's figures from its operators' vertices. */
export function chainFigures(chain, vertices) {
  const vs = chain.ops.map((o) => vertices.get(o.id)).filter(Boolean);
  const head = vs[0];
  const tail = vs[vs.length - 1];
  const m = (v) => (v ? v.metrics : {});
  const max = (k) => Math.max(0, ...vs.map((v) => m(v)[k] ?? 0));
  const wm = vs.map((v) => m(v)['current-input-watermark']).find((w) => w != null);
  const isSource = !chain.ops[0].inputs?.length;
  return {
    parallelism: chain.ops[0].parallelism,
    inRate: isSource ? null : m(head)['records-in-per-second'],
    outRate: m(tail)['records-out-per-second'],
    busy: vs.length && m(head)['busy-time-ms-per-second'] != null ? max('busy-time-ms-per-second') / 1000 : null,
    backpressured: vs.length && m(head)['backpressured-time-ms-per-second'] != null ? max('backpressured-time-ms-per-second') / 1000 : null,
    watermark: wm,
  };
}

/** The graph as an SVG element; `vertices` maps vertex id -> vertex of `/jobs/:id`. */
export function drawGraph(plan, vertices) {
  const graph = chains(plan);
  const { pos, width, height } = layout(graph);
  const svg = s('svg.graph', { viewBox: `0 0 ${Math.max(width, 300)} ${Math.max(height, 120)}`, width: Math.max(width, 300), height: Math.max(height, 120), role: 'img', 'aria-label': 'job graph' });
  svg.append(
    s('defs', s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, s('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#64748b' }))),
  );
  for (const e of graph.edges) {
    const a = pos.get(e.from);
    const b = pos.get(e.to);
    if (!a || !b) continue;
    const x1 = a.x + W;
    const y1 = a.y + a.h / 2;
    const x2 = b.x - 2;
    const y2 = b.y + b.h / 2;
    const mx = (x1 + x2) / 2;
    svg.append(s('path.edge', { d: `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`, 'marker-end': 'url(#arrow)' }));
    const lw = e.label.length * 6.6 + 12;
    svg.append(
      s('g.edge-label', s('rect', { x: mx - lw / 2, y: (y1 + y2) / 2 - 10, width: lw, height: 18, rx: 9 }), s('text', { x: mx, y: (y1 + y2) / 2 + 3, 'text-anchor': 'middle' }, e.label)),
    );
  }
  for (const c of graph.chains) {
    const p = pos.get(c.id);
    const f = chainFigures(c, vertices);
    const busy = f.busy ?? 0;
    const bp = f.backpressured ?? 0;
    let fill = mix('#eaf2ff', '#fca5a5', Math.min(1, busy));
    if (bp > 0.1) fill = mix(fill, '#94a3b8', Math.min(1, bp));
    const stroke = bp > 0.5 ? '#334155' : busy > 0.5 ? '#b91c1c' : '#3b82f6';
    const g = s('g.node', { transform: `translate(${p.x},${p.y})`, 'data-chain': c.id });
    g.append(s('rect', { width: W, height: p.h, rx: 8, fill, stroke, 'stroke-width': 1.5 }));
    const shown = c.ops.slice(0, MAX_OPS);
    shown.forEach((op, i) => {
      g.append(
        s('text.op-name', { x: 10, y: 18 + i * OP_LINE, 'data-vertex': op.id }, (i ? '→ ' : '') + truncate(op.operator, i ? 36 : 38), s('title', op.operator)),
      );
    });
    if (c.ops.length > MAX_OPS) g.append(s('text.op-more', { x: 10, y: 18 + MAX_OPS * OP_LINE }, `… ${c.ops.length - MAX_OPS} more operators`));
    const top = Math.min(c.ops.length, MAX_OPS + (c.ops.length > MAX_OPS ? 1 : 0)) * OP_LINE + 10;
    g.append(s('line', { x1: 0, x2: W, y1: top, y2: top, stroke, 'stroke-opacity': 0.35 }));
    const line = (i, text, cls = 'node-figure') => g.append(s('text.' + cls, { x: 10, y: top + 17 + i * 15 }, text));
    line(0, `×${f.parallelism}   in ${f.inRate == null ? '—' : rate(f.inRate)}   out ${rate(f.outRate)}`);
    line(1, `busy ${percent(f.busy)}   backpressured ${percent(f.backpressured)}`);
    line(2, `watermark ${f.watermark == null ? '—' : utc(f.watermark)}`, 'node-watermark');
    svg.append(g);
  }
  return svg;
}
