// Overview: the jobs with their state and duration, the broker's throughput (messages and
// bytes per second, from the topics' offsets and sizes between polls), topics and consumer
// groups.

import { h, fill, table, card, badge, stat } from './dom.js';
import { get } from './api.js';
import { int, bytes, duration, utc, rate, compact } from './format.js';
import { History, Histories, lineChart, legend } from './chart.js';

const GROUPS_EVERY_MS = 5000;

export function mount(root) {
  const stats = h('div.stats');
  const jobs = h('div');
  const msgChart = h('div.chart-box');
  const byteChart = h('div.chart-box');
  const topicsBox = h('div');
  const groupsBox = h('div');
  const errorBox = h('div.error-line');
  fill(
    root,
    errorBox,
    stats,
    card('Jobs', jobs),
    h('div.row', card('Broker: messages in per second', msgChart), card('Broker: bytes in per second', byteChart)),
    h('div.row', card('Topics', topicsBox), card('Consumer groups', groupsBox)),
  );

  const msgs = new History();
  const bytesIn = new History();
  const topicRates = new Histories();
  let previous = null;
  let groups = null;
  let groupsAt = 0;

  async function refresh() {
    const now = Date.now();
    const wantGroups = now - groupsAt >= GROUPS_EVERY_MS;
    const [ov, jo, tp, gr] = await Promise.all([
      get('/overview'),
      get('/jobs/overview'),
      get('/kafka/topics').catch((e) => ({ error: e.message, topics: [] })),
      wantGroups ? get('/kafka/groups').catch((e) => ({ error: e.message, groups: [] })) : Promise.resolve(null),
    ]);
    if (gr) {
      groups = gr;
      groupsAt = now;
    }
    fill(errorBox, tp.error ? h('p.error', 'Kafka: ' + tp.error) : null);
    const userTopics = tp.topics.filter((t) => !t.internal);
    const totals = { msgs: 0, bytes: 0, perTopic: new Map() };
    for (const t of userTopics) {
      const m = t.partitions.reduce((a, p) => a + p.high, 0);
      const b = t.partitions.reduce((a, p) => a + (p.size ?? 0), 0);
      totals.msgs += m;
      totals.bytes += b;
      totals.perTopic.set(t.name, m);
    }
    if (previous) {
      const dt = (now - previous.at) / 1000;
      if (dt > 0) {
        msgs.push(now, Math.max(0, (totals.msgs - previous.msgs) / dt));
        bytesIn.push(now, Math.max(0, (totals.bytes - previous.bytes) / dt));
        for (const [name, m] of totals.perTopic) {
          const before = previous.perTopic.get(name);
          if (before != null) topicRates.push(name, now, Math.max(0, (m - before) / dt));
        }
      }
    }
    previous = { at: now, ...totals };

    fill(
      stats,
      stat('running jobs', int(ov['jobs-running'])),
      stat('finished', int(ov['jobs-finished'])),
      stat('failed', int(ov['jobs-failed'])),
      stat('cancelled', int(ov['jobs-cancelled'])),
      stat('topics', int(userTopics.length)),
      stat('messages in', rate(msgs.last()), 'all topics, last second'),
      stat('Kafka', ov['kafka-bootstrap'], 'bootstrap servers'),
      stat('version', ov['flink-version']),
    );

    const list = [...jo.jobs].sort((a, b) => (b.state === 'RUNNING') - (a.state === 'RUNNING') || b['start-time'] - a['start-time']);
    fill(
      jobs,
      table(
        ['Name', 'State', 'Started', 'Duration', 'Tasks', 'Job id'],
        list.map((j) => [
          h('a', { href: `#/jobs/${j.jid}` }, j.name),
          badge(j.state),
          utc(j['start-time'], { millis: false }),
          duration(j.duration),
          int(j.tasks.total),
          h('code.muted', j.jid),
        ]),
        { numeric: [4], empty: 'No jobs yet. Submit one on the SQL page or with `spate jobs submit FILE.sql`.' },
      ),
    );

    fill(msgChart, legend([{ name: 'messages/s', points: msgs.points }], compact), lineChart([{ name: 'messages/s', points: msgs.points }], { now }));
    fill(byteChart, legend([{ name: 'bytes/s', points: bytesIn.points, color: '#16a34a' }], (v) => bytes(v) + '/s'),
      lineChart([{ name: 'bytes/s', points: bytesIn.points, color: '#16a34a' }], { now, format: (v) => bytes(v) }));

    fill(
      topicsBox,
      table(
        ['Topic', 'Partitions', 'Messages', 'Size', 'In'],
        userTopics.map((t) => [
          h('a', { href: `#/topics/${encodeURIComponent(t.name)}` }, t.name),
          int(t.partitions.length),
          int(t.partitions.reduce((a, p) => a + p.messages, 0)),
          t.partitions.some((p) => p.size != null) ? bytes(t.partitions.reduce((a, p) => a + (p.size ?? 0), 0)) : '—',
          rate(topicRates.get(t.name).last()),
        ]),
        { numeric: [1, 2, 3, 4], empty: 'No topics yet.' },
      ),
    );

    if (groups) {
      fill(
        groupsBox,
        groups.error ? h('p.error', groups.error) : null,
        table(
          ['Group', 'State', 'Members', 'Partitions', 'Lag'],
          groups.groups.map((g) => [
            h('a', { href: `#/groups/${encodeURIComponent(g.group)}` }, g.group),
            badge(g.state),
            int(g.members.length),
            int(g.offsets.length),
            int(g.lag),
          ]),
          { numeric: [2, 3, 4], empty: 'No consumer groups.' },
        ),
      );
    }
  }

  return { refresh, interval: 1000, error: (e) => fill(errorBox, h('p.error', e.message)) };
}
