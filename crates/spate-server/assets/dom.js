// A tiny element builder: h('div.card', {title: 'x'}, child, 'text', [more]).
// Text is always set as text (never parsed as HTML), so values from the server are safe.

const SVG_NS = 'http://www.w3.org/2000/svg';

function build(ns, spec, attrs, children) {
  const [tag, ...classes] = spec.split('.');
  const el = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
  if (classes.length) el.setAttribute('class', classes.join(' '));
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v == null || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'class') el.setAttribute('class', [el.getAttribute('class'), v].filter(Boolean).join(' '));
      else if (k === 'value' && !ns) el.value = v;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c == null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

function isAttrs(a) {
  return a && typeof a === 'object' && !Array.isArray(a) && !(a instanceof Node);
}

/** An HTML element. */
export function h(spec, attrs, ...children) {
  return isAttrs(attrs) ? build(null, spec, attrs, children) : build(null, spec, null, [attrs, ...children]);
}

/** An SVG element. */
export function s(spec, attrs, ...children) {
  return isAttrs(attrs) ? build(SVG_NS, spec, attrs, children) : build(SVG_NS, spec, null, [attrs, ...children]);
}

/** Replaces `el`'s children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A table from column headers and rows of cells; `numeric` columns align right. */
export function table(columns, rows, { numeric = [], empty = 'Nothing yet.', cls = '' } = {}) {
  if (!rows.length) return h('p.empty', empty);
  const th = columns.map((c, i) => h('th', { class: numeric.includes(i) ? 'num' : null }, c));
  const body = rows.map((r) =>
    h('tr', r.attrs || null, (r.cells || r).map((c, i) => h('td', { class: numeric.includes(i) ? 'num' : null }, c))),
  );
  return h('table.grid' + (cls ? '.' + cls : ''), h('thead', h('tr', th)), h('tbody', body));
}

/** A titled section card. */
export function card(title, ...children) {
  return h('section.card', title ? h('h2', title) : null, ...children);
}

/** A state badge: RUNNING, FINISHED, FAILED, CANCELED, Stable, ... */
export function badge(state) {
  return h('span.badge.state-' + String(state).toLowerCase().replace(/[^a-z]/g, ''), state);
}

/** A small figure: label over value. */
export function stat(label, value, hint) {
  return h('div.stat', { title: hint || null }, h('div.stat-value', value), h('div.stat-label', label));
}
