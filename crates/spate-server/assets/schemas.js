// The schema registry: its subjects a page at a time (filtered by name), each with its latest
// version, id, type and the compatibility level that applies (the subject's own or the
// registry's, saying which), and one subject's versions with their schema text (JSON and Avro
// pretty-printed). Read from the server's own /schemas routes, which read the registry in the
// server's process: the registry's port would be another origin, with other credentials.

import { h, fill, table, card, stat } from './dom.js';
import { get } from './api.js';
import { int } from './format.js';

const PAGE = 50;

const SOURCES = {
  subject: "subject's own",
  global: 'global level',
  default: 'global default',
};

/** "FULL (subject's own)". */
function level(l) {
  return h('span.level', h('b', l.level), ' ', h('span.muted', `(${SOURCES[l.source] || l.source})`));
}

/** The registry-wide level: set, or the default (BACKWARD) because none is. */
function globalLevel(l) {
  return h('span.level', l.level, ' ', h('span.level-source', l.source === 'default' ? 'default, not set' : 'set for the registry'));
}

/** The schema as people read it: JSON and Avro indented, anything else as registered. */
function pretty(v) {
  if (v.schema_type === 'AVRO' || v.schema_type === 'JSON') {
    try {
      return JSON.stringify(JSON.parse(v.schema), null, 2);
    } catch {
      return v.schema;
    }
  }
  return v.schema;
}

function version(v) {
  return h(
    'div.schema-version',
    h('h3', `Version ${v.version}`, h('span.schema-meta', `id ${v.id} · ${v.schema_type}`)),
    v.references.length
      ? h('p.hint', 'References: ', v.references.map((r, i) => [i ? ', ' : '', h('code', r.name), ` → ${r.subject} v${r.version}`]))
      : null,
    h('pre.schema', pretty(v)),
  );
}

export function mount(root, subjectName) {
  const errorBox = h('div');
  const summary = h('div');
  const listBox = h('div');
  const detail = h('div');
  const pageInfo = h('span.muted');
  let selected = subjectName || null;
  let offset = 0;
  let shownList = '';
  let shownDetail = '';

  const filter = h('input.filter', { placeholder: 'filter subjects by name', 'aria-label': 'filter subjects' });
  const prev = h('button', { onclick: () => move(-PAGE), title: 'previous subjects' }, '◀ Previous');
  const next = h('button', { onclick: () => move(PAGE), title: 'next subjects' }, 'Next ▶');
  const controls = h('div.controls', filter, prev, next, pageInfo);
  let typing = null;
  filter.addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(() => {
      offset = 0;
      refresh().catch(showError);
    }, 250);
  });

  function move(by) {
    offset = Math.max(0, offset + by);
    refresh().catch(showError);
  }

  function showError(e) {
    fill(errorBox, h('p.error', e.message));
  }

  // Without a registry the page is one card saying so; the layout returns when one appears.
  const layout = h('div', summary, card('Subjects', controls, listBox), detail);
  const none = card(
    'Schema registry',
    h('p.info', 'This server runs no schema registry.'),
    h('p.hint', 'Start the server with ', h('code', '--schema-registry-listen HOST:PORT'), ' to serve one (its state is the cluster’s _schemas topic); its subjects then show here.'),
  );
  const show = (body) => {
    if (root.lastChild !== body) fill(root, errorBox, body);
  };
  show(layout);

  // The poll and the filter and paging controls all refresh; only the newest answer is shown.
  let latest = 0;

  async function refresh() {
    const mine = ++latest;
    const q = new URLSearchParams({ offset, limit: PAGE });
    if (filter.value.trim()) q.set('filter', filter.value.trim());
    const list = await get(`/schemas?${q}`);
    if (mine !== latest) return;
    fill(errorBox);
    if (!list.registry) {
      show(none);
      return;
    }
    show(layout);
    if (!selected && list.subjects.length) selected = list.subjects[0].subject;
    const listKey = JSON.stringify([list, selected]);
    if (listKey !== shownList) {
      shownList = listKey;
      renderList(list);
    }
    if (!selected) {
      fill(detail);
      return;
    }
    let d;
    try {
      d = await get(`/schemas/subjects/${encodeURIComponent(selected)}`);
    } catch (e) {
      if (mine !== latest) return;
      shownDetail = '';
      fill(detail, card(`Subject ${selected}`, h('p.error', e.message)));
      return;
    }
    if (mine !== latest) return;
    const detailKey = JSON.stringify(d);
    if (detailKey !== shownDetail) {
      shownDetail = detailKey;
      renderDetail(d);
    }
  }

  function renderList(list) {
    fill(
      summary,
      h('div.stats', stat('Subjects', int(list.total), 'subjects you may see (matching the filter)'), stat('Global compatibility', globalLevel(list.compatibility), 'new versions of subjects without a level of their own are checked against it')),
    );
    const last = Math.min(list.total, list.offset + list.subjects.length);
    fill(pageInfo, list.total ? `subjects ${int(list.offset + 1)}–${int(last)} of ${int(list.total)}` : '');
    prev.disabled = list.offset === 0;
    next.disabled = last >= list.total;
    fill(
      listBox,
      table(
        ['Subject', 'Versions', 'Latest', 'Id', 'Type', 'Compatibility'],
        list.subjects.map((s) => ({
          attrs: { class: s.subject === selected ? 'selected' : null },
          cells: [h('a', { href: `#/schemas/${encodeURIComponent(s.subject)}` }, s.subject), int(s.versions), `v${s.latest_version}`, int(s.latest_id), s.schema_type, level(s.compatibility)],
        })),
        { numeric: [1, 2, 3], empty: list.offset ? 'No subjects on this page.' : filter.value.trim() ? 'No subject matches.' : 'No subjects yet.' },
      ),
    );
  }

  function renderDetail(d) {
    const more = d.total > d.versions.length ? h('p.hint', `The newest ${int(d.versions.length)} of ${int(d.total)} versions.`) : null;
    fill(
      detail,
      card(
        `Subject ${d.subject}`,
        h('p.subject-level', 'Compatibility: ', level(d.compatibility), ` · ${int(d.total)} version${d.total === 1 ? '' : 's'}`),
        more,
        d.versions.map(version),
      ),
    );
  }

  return { refresh, interval: 5000, error: showError };
}
