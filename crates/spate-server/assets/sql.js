// The SQL page: type a script; run its SELECT as a preview and watch rows arrive (the server
// keeps the newest rows, the page polls them), or submit an INSERT script as a job. A preview
// is cancelled when the page is left (and by the server when nobody polls it). An updating
// query (GROUP BY, an upsert table) shows its result as a table that changes in place, as
// Flink's client does in `table` mode (the server keeps it); its changelog, with each row's
// `op`, is one click away.

import { h, fill, badge } from './dom.js';
import { get, post, del } from './api.js';
import { int, duration } from './format.js';

const EXAMPLE = `CREATE TABLE orders (
  order_id BIGINT,
  product  STRING,
  amount   DOUBLE,
  ts       TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH (
  'connector' = 'datagen',
  'rows-per-second' = '5',
  'fields.product.length' = '6',
  'fields.amount.min' = '1',
  'fields.amount.max' = '500'
);

SELECT order_id, product, amount, ts FROM orders WHERE amount > 100;
`;

/** Rows kept in the page (the server keeps 1,000 too). */
const KEEP = 1000;
/** Rows drawn. */
const SHOW = 200;
const STORE = 'spate.sql.draft';

export function mount(root, watching) {
  const editor = h('textarea.sql-editor', { spellcheck: 'false', rows: 12, 'aria-label': 'SQL script' });
  editor.value = localStorage.getItem(STORE) || EXAMPLE;
  editor.addEventListener('input', () => localStorage.setItem(STORE, editor.value));
  const name = h('input.job-name', { placeholder: 'job name (optional)', 'aria-label': 'job name' });
  const status = h('div.preview-status');
  const result = h('div.preview-rows');
  const runButton = h('button.primary', { onclick: () => run(), title: 'Ctrl+Enter' }, 'Run SELECT');
  const stopButton = h('button', { onclick: () => stop(), disabled: true }, 'Stop');
  const submitButton = h('button', { onclick: () => submit() }, 'Submit as job');
  editor.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      run();
    }
  });
  fill(
    root,
    h(
      'section.card',
      h('h2', 'SQL'),
      h('p.hint', 'Flink SQL: CREATE TABLE statements and SET, then one SELECT to preview its rows live, or one INSERT INTO (or a statement set) to submit as a job. Kafka tables without properties.bootstrap.servers use this server\'s broker.'),
      editor,
      h('div.actions', runButton, stopButton, h('span.spacer'), name, submitButton),
    ),
    h('section.card', h('h2', 'Result'), status, result),
  );

  let preview = null; // {id, next, columns, rows, state}
  // How an updating query is shown: 'table' (the result) or 'changelog' (its changes).
  let view = 'table';
  if (watching) {
    // A link to a running preview (#/sql?preview=ID): watch it, show its script.
    preview = { id: watching, next: 0, columns: [], rows: [], state: 'RUNNING', total: 0, showScript: true };
    stopButton.disabled = false;
  }

  function showStatus(parts) {
    fill(status, parts);
  }

  async function stop() {
    if (preview && preview.state === 'RUNNING') {
      await del(`/sql/previews/${preview.id}`).catch(() => {});
    }
  }

  async function run() {
    await stop();
    fill(result);
    showStatus(h('p.info', 'Planning…'));
    try {
      const r = await post('/sql/previews', { sql: editor.value });
      preview = { id: r.id, next: 0, columns: [], rows: [], state: 'RUNNING', total: 0 };
      history.replaceState(null, '', `#/sql?preview=${r.id}`);
      stopButton.disabled = false;
      await refresh();
    } catch (e) {
      preview = null;
      showStatus(h('pre.error', e.message));
    }
  }

  async function submit() {
    await stop();
    showStatus(h('p.info', 'Submitting…'));
    try {
      const body = { sql: editor.value };
      if (name.value.trim()) body.name = name.value.trim();
      const r = await post('/jobs', body);
      fill(result);
      showStatus(h('p.ok', 'Submitted job ', h('a', { href: `#/jobs/${r.jobid}` }, r.jobid), '.'));
    } catch (e) {
      showStatus(h('pre.error', e.message));
    }
  }

  function viewSwitch(page) {
    const tab = (name, label) =>
      h('button', {
        class: view === name ? 'view-tab active' : 'view-tab',
        'aria-pressed': String(view === name),
        onclick: () => {
          view = name;
          draw(page);
        },
      }, label);
    return h('span.view-switch', tab('table', 'Result table'), tab('changelog', 'Changelog'));
  }

  function draw(page) {
    const asTable = page.updating && view === 'table';
    const shown = preview.rows.slice(-SHOW).reverse();
    showStatus(
      h(
        'div.preview-line',
        badge(page.status),
        asTable
          ? h('span', `${int(page.table_rows)} rows in the result table, from ${int(page.total)} changes`)
          : h('span', `${int(page.total)} rows`),
        h('span', duration(page.duration)),
        !asTable && page.total > preview.rows.length ? h('span.muted', `showing the newest ${int(Math.min(SHOW, preview.rows.length))}`) : null,
        asTable && page.table_rows > page.table.length ? h('span.muted', `showing the ${int(page.table.length)} changed last`) : null,
        page.updating ? viewSwitch(page) : null,
        page.error ? h('span.error', page.error) : null,
      ),
    );
    if (!preview.columns.length) {
      fill(result, h('p.empty', 'Waiting for the job to start…'));
      return;
    }
    if (asTable) {
      // The result's columns (without `op`), its rows changed last at the top.
      const columns = preview.columns.slice(1);
      const rows = page.table.slice().reverse();
      fill(
        result,
        h(
          'table.grid.result-table',
          h('thead', h('tr', columns.map((c) => h('th', { title: c.type }, c.name, h('span.type', c.type))))),
          h('tbody', rows.map((row) => h('tr', row.map((v) => h('td', { class: v === '<NULL>' ? 'null' : null }, v))))),
        ),
        rows.length ? null : h('p.empty', 'The result table is empty.'),
      );
      return;
    }
    fill(
      result,
      h(
        'table.grid.rows',
        h('thead', h('tr', h('th.num', '#'), preview.columns.map((c) => h('th', { title: c.type }, c.name, h('span.type', c.type))))),
        h('tbody', shown.map(([seq, row]) => h('tr', h('td.num.muted', int(seq + 1)), row.map((v) => h('td', { class: v === '<NULL>' ? 'null' : null }, v))))),
      ),
      shown.length ? null : h('p.empty', 'No rows yet.'),
    );
  }

  async function refresh() {
    if (!preview) return;
    if (preview.state !== 'RUNNING' && preview.drawn) return;
    const page = await get(`/sql/previews/${preview.id}?from=${preview.next}`);
    if (preview.showScript) {
      editor.value = page.sql;
      preview.showScript = false;
    }
    preview.columns = page.columns;
    page.rows.forEach((r, i) => preview.rows.push([page.first + i, r]));
    if (preview.rows.length > KEEP) preview.rows.splice(0, preview.rows.length - KEEP);
    preview.next = page.next;
    preview.state = page.status;
    preview.total = page.total;
    stopButton.disabled = page.status !== 'RUNNING';
    draw(page);
    preview.drawn = page.status !== 'RUNNING' && page.next >= page.total;
  }

  const leave = () => {
    if (preview && preview.state === 'RUNNING') fetch(`/sql/previews/${preview.id}`, { method: 'DELETE', keepalive: true });
  };
  window.addEventListener('pagehide', leave);

  return {
    refresh,
    interval: 1000,
    unmount() {
      window.removeEventListener('pagehide', leave);
      leave();
    },
    error: (e) => showStatus(h('pre.error', e.message)),
  };
}
