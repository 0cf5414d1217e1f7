// Topics and consumer groups: every topic with its partitions (offsets, sizes, rates), a
// message browser for one partition (from the newest records, an offset or a time; keys,
// values and headers shown as JSON or text), and consumer groups with members, committed
// offsets and lag per partition, and their lag over the last minutes.

import { h, fill, table, card, badge } from './dom.js';
import { get } from './api.js';
import { int, bytes, utc, rate, compact } from './format.js';
import { Histories, lineChart, legend } from './chart.js';

const GROUPS_EVERY_MS = 2000;

/** A rendered key/value: {format, data, size, truncated}. */
function rendered(r, { wide = false } = {}) {
  if (!r || r.format === 'null') return h('span.null', 'null');
  const text = r.format === 'json' ? JSON.stringify(r.data) : String(r.data);
  const short = text.length > (wide ? 160 : 48) ? text.slice(0, wide ? 160 : 48) + '…' : text;
  const cls = 'span.value.fmt-' + r.format;
  if (short === text && !r.truncated) return h(cls, { title: `${r.format}, ${bytes(r.size)}` }, text);
  const full = r.format === 'json' ? JSON.stringify(r.data, null, 2) : text;
  return h('details.value', h('summary', h(cls, short)), h('pre', full + (r.truncated ? `\n… (${bytes(r.size)} in all)` : '')));
}

/** "2026-11-22 18:30:00" (UTC) or epoch ms -> epoch ms. */
function parseTime(text) {
  const t = text.trim();
  if (/^\d{12,}$/.test(t)) return Number(t);
  const iso = t.replace(' ', 'T').replace(/(UTC|Z)?$/i, '');
  const ms = Date.parse(iso + (iso.length <= 10 ? 'T00:00:00' : '') + 'Z');
  return Number.isNaN(ms) ? null : ms;
}

export function mount(root, topicName, groupName) {
  const topicsBox = h('div');
  const detail = h('div');
  const groupsBox = h('div');
  const groupDetail = h('div');
  const errorBox = h('div');
  let selected = topicName ? decodeURIComponent(topicName) : null;
  let selectedGroup = groupName ? decodeURIComponent(groupName) : null;

  // The message browser's controls stay in place across refreshes.
  const partitionSel = h('select', { 'aria-label': 'partition' });
  const fromSel = h('select', { 'aria-label': 'start at' }, h('option', { value: 'tail' }, 'newest'), h('option', { value: 'offset' }, 'offset'), h('option', { value: 'timestamp' }, 'time (UTC)'));
  const fromInput = h('input.from', { placeholder: 'offset or 2026-01-31 12:00:00', disabled: true });
  const countSel = h('select', { 'aria-label': 'count' }, [20, 50, 100, 200, 500].map((n) => h('option', { value: n, selected: n === 50 }, `${n} messages`)));
  const isolationSel = h('select', { 'aria-label': 'isolation' }, h('option', { value: 'read_committed' }, 'read_committed'), h('option', { value: 'read_uncommitted' }, 'read_uncommitted'));
  const follow = h('input', { type: 'checkbox', checked: true });
  const messagesBox = h('div.messages');
  const pageInfo = h('span.muted');
  let lastPage = null;
  fromSel.addEventListener('change', () => {
    fromInput.disabled = fromSel.value === 'tail';
    if (fromSel.value !== 'tail') follow.checked = false;
  });
  const load = (start) => browse(start).catch((e) => fill(messagesBox, h('p.error', e.message)));
  const browser = h(
    'div.browser',
    h(
      'div.controls',
      h('label', 'Partition ', partitionSel),
      h('label', 'From ', fromSel),
      fromInput,
      countSel,
      isolationSel,
      h('button.primary', { onclick: () => load() }, 'Load'),
      h('button', { onclick: () => lastPage && load({ offset: Math.max(lastPage.low, lastPage.from - Number(countSel.value)) }), title: 'older messages' }, '◀ Older'),
      h('button', { onclick: () => lastPage && load({ offset: lastPage.next_offset }), title: 'newer messages' }, 'Newer ▶'),
      h('label.check', follow, ' follow newest'),
      pageInfo,
    ),
    messagesBox,
  );

  fill(
    root,
    errorBox,
    card('Topics', topicsBox),
    detail,
    h('div.row', card('Consumer groups', groupsBox), groupDetail),
  );

  const topicRates = new Histories();
  const partitionRates = new Histories();
  const lagHistory = new Histories();
  let previous = new Map();
  let previousAt = 0;
  let groups = null;
  let groupsAt = 0;
  let browsedTopic = null;

  async function browse(start) {
    if (!selected) return;
    const p = partitionSel.value || '0';
    const q = new URLSearchParams({ count: countSel.value, isolation: isolationSel.value });
    if (start && start.offset != null) {
      q.set('offset', start.offset);
      follow.checked = false;
    } else if (fromSel.value === 'offset') {
      q.set('offset', fromInput.value.trim() || '0');
    } else if (fromSel.value === 'timestamp') {
      const ms = parseTime(fromInput.value);
      if (ms == null) throw new Error(`'${fromInput.value}' is not a time: write 2026-01-31 12:00:00 (UTC) or epoch milliseconds`);
      q.set('timestamp', ms);
    }
    const page = await get(`/kafka/topics/${encodeURIComponent(selected)}/partitions/${p}/messages?${q}`);
    lastPage = page;
    fill(pageInfo, `offsets ${int(page.from)}–${int(Math.max(page.from, page.next_offset - 1))} of ${int(page.low)}–${int(page.high)}`);
    fill(
      messagesBox,
      table(
        ['Offset', 'Timestamp (UTC)', 'Key', 'Value', 'Headers'],
        [...page.messages].reverse().map((m) => [
          int(m.offset),
          h('span', { title: m.timestamp_type }, utc(m.timestamp)),
          rendered(m.key),
          rendered(m.value, { wide: true }),
          m.headers.length ? m.headers.map(([k, v]) => h('div.header', h('b', k), ': ', rendered(v))) : h('span.muted', '—'),
        ]),
        { numeric: [0], empty: 'No messages in this range.', cls: 'message-table' },
      ),
    );
  }

  async function refresh() {
    const now = Date.now();
    const wantGroups = now - groupsAt >= GROUPS_EVERY_MS;
    const [tp, gr] = await Promise.all([get('/kafka/topics'), wantGroups ? get('/kafka/groups').catch((e) => ({ error: e.message, groups: [] })) : null]);
    if (gr) {
      groups = gr;
      groupsAt = now;
      for (const g of gr.groups) {
        lagHistory.push(g.group, now, g.lag);
        for (const o of g.offsets) lagHistory.push(`${g.group}/${o.topic}-${o.partition}`, now, o.lag);
      }
    }
    const userTopics = tp.topics.filter((t) => !t.internal);
    const dt = (now - previousAt) / 1000;
    const current = new Map();
    for (const t of tp.topics) {
      let sum = 0;
      for (const p of t.partitions) {
        const key = `${t.name}/${p.partition}`;
        current.set(key, p.high);
        sum += p.high;
        if (previous.has(key) && dt > 0) partitionRates.push(key, now, Math.max(0, (p.high - previous.get(key)) / dt));
      }
      if (previous.has(t.name) && dt > 0) topicRates.push(t.name, now, Math.max(0, (sum - previous.get(t.name)) / dt));
      current.set(t.name, sum);
    }
    previous = current;
    previousAt = now;
    if (!selected && userTopics.length) selected = userTopics[0].name;

    fill(
      topicsBox,
      table(
        ['Topic', 'Partitions', 'Messages', 'Size', 'In', ''],
        userTopics.map((t) => ({
          attrs: { class: t.name === selected ? 'selected' : null },
          cells: [
            h('a', { href: `#/topics/${encodeURIComponent(t.name)}` }, t.name),
            int(t.partitions.length),
            int(t.partitions.reduce((a, p) => a + p.messages, 0)),
            t.partitions.some((p) => p.size != null) ? bytes(t.partitions.reduce((a, p) => a + (p.size ?? 0), 0)) : '—',
            rate(topicRates.get(t.name).last()),
            t.name === selected ? h('span.muted', 'shown below') : h('a', { href: `#/topics/${encodeURIComponent(t.name)}` }, 'browse'),
          ],
        })),
        { numeric: [1, 2, 3, 4], empty: 'No topics yet.' },
      ),
    );

    const topic = tp.topics.find((t) => t.name === selected);
    if (!topic) {
      fill(detail, selected ? card(selected, h('p.error', `Topic ${selected} does not exist.`)) : null);
    } else {
      if (browsedTopic !== topic.name || partitionSel.options.length !== topic.partitions.length) {
        fill(partitionSel, topic.partitions.map((p) => h('option', { value: p.partition }, String(p.partition))));
      }
      if (!detail.firstChild || browsedTopic !== topic.name) {
        fill(detail, card(`Topic ${topic.name}`, h('div.partitions'), h('h3', 'Messages'), browser));
      }
      const partitionsBox = detail.querySelector('.partitions');
      fill(
        partitionsBox,
        table(
          ['Partition', 'Leader', 'Start offset', 'End offset', 'Messages', 'Size', 'In'],
          topic.partitions.map((p) => [String(p.partition), String(p.leader), int(p.low), int(p.high), int(p.messages), bytes(p.size), rate(partitionRates.get(`${topic.name}/${p.partition}`).last())]),
          { numeric: [0, 1, 2, 3, 4, 5, 6] },
        ),
      );
      if (browsedTopic !== topic.name || follow.checked) {
        browsedTopic = topic.name;
        await load();
      }
    }

    if (groups) {
      if (!selectedGroup && groups.groups.length) selectedGroup = groups.groups[0].group;
      fill(
        groupsBox,
        groups.error ? h('p.error', groups.error) : null,
        table(
          ['Group', 'State', 'Members', 'Lag', ''],
          groups.groups.map((g) => ({
            attrs: { class: g.group === selectedGroup ? 'selected' : null },
            cells: [
              h('a', { href: '#/groups/' + encodeURIComponent(g.group) }, g.group),
              badge(g.state || 'Unknown'),
              int(g.members.length),
              int(g.lag),
              h('span.spark', lineChart([{ name: 'lag', points: lagHistory.get(g.group).points }], { width: 140, height: 34, now, bare: true })),
            ],
          })),
          { numeric: [2, 3], empty: 'No consumer groups.' },
        ),
      );
      const g = groups.groups.find((x) => x.group === selectedGroup);
      if (g) {
        const series = g.offsets.slice(0, 8).map((o) => ({ name: `${o.topic}-${o.partition}`, points: lagHistory.get(`${g.group}/${o.topic}-${o.partition}`).points }));
        fill(
          groupDetail,
          card(
            `Group ${g.group}`,
            h('h3', 'Lag per partition over time'),
            legend(series, compact),
            lineChart(series, { now, area: false, height: 150 }),
            h('h3', 'Committed offsets'),
            table(
              ['Topic', 'Partition', 'Committed', 'End', 'Lag'],
              g.offsets.map((o) => [h('a', { href: `#/topics/${encodeURIComponent(o.topic)}` }, o.topic), String(o.partition), int(o.committed), int(o.end), int(o.lag)]),
              { numeric: [1, 2, 3, 4], empty: 'No committed offsets.' },
            ),
            h('h3', 'Members'),
            g.tasks.length
              ? table(['Member', 'Client id', 'Host', 'Tasks'], g.members.map((m) => [h('code', m.id), m.client_id, m.client_host, m.tasks.join(', ')]), { empty: 'No active members (the group is empty).' })
              : table(['Member', 'Client id', 'Host'], g.members.map((m) => [h('code', m.id), m.client_id, m.client_host]), { empty: 'No active members (the group is empty).' }),
            g.tasks.length ? h('h3', 'Tasks (a job on several processes)') : null,
            g.tasks.length
              ? table(
                  ['Task', 'Owner', 'Checkpoint', 'Lag', 'Inputs'],
                  g.tasks.map((t) => [
                    h('code', t.task),
                    t.owner ? h('code', t.owner) : '—',
                    t.checkpoint == null ? '—' : int(t.checkpoint),
                    int(t.lag),
                    t.inputs.map((i) => `${i.topic}-${i.partition}`).join(', '),
                  ]),
                  { numeric: [2, 3] },
                )
              : null,
          ),
        );
      } else fill(groupDetail);
    }
  }

  return { refresh, interval: 2000, error: (e) => fill(errorBox, h('p.error', e.message)) };
}
