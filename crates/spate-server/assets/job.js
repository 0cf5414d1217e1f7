// A job: its state and controls (savepoint, stop, cancel, resume), the job graph with live
// figures per operator chain, throughput and event-time lag over the last minutes, every
// operator's figures, checkpoint history (chart and table), exceptions and the SQL script.

import { h, fill, table, card, badge, stat } from './dom.js';
import { get, post, patch } from './api.js';
import { int, bytes, duration, utc, rate, percent, compact } from './format.js';
import { History, Histories, lineChart, legend, barLineChart, PALETTE } from './chart.js';
import { drawGraph } from './graph.js';

/** Sources (no inputs) and sinks (nobody's input) of a plan. */
function ends(plan) {
  const nodes = plan.nodes || [];
  const fed = new Set(nodes.flatMap((n) => (n.inputs || []).map((i) => i.id)));
  return { sources: nodes.filter((n) => !(n.inputs || []).length), sinks: nodes.filter((n) => !fed.has(n.id)) };
}

/** The first watermark at or downstream of `start` (a source's own input watermark is empty). */
function watermarkFrom(plan, vertices, start) {
  const nodes = plan.nodes || [];
  const queue = [start.id];
  const seen = new Set();
  while (queue.length) {
    const id = queue.shift();
    if (seen.has(id)) continue;
    seen.add(id);
    const w = vertices.get(id)?.metrics['current-input-watermark'];
    if (w != null) return w;
    for (const n of nodes) if ((n.inputs || []).some((i) => i.id === id)) queue.push(n.id);
  }
  return null;
}

export function mount(root, jid) {
  const head = h('section.card.job-head');
  const notice = h('div.notice');
  const stats = h('div.stats');
  const graphBox = h('div.graph-box');
  const throughputBox = h('div.chart-box');
  const lagBox = h('div.chart-box');
  const lagTable = h('div');
  const operators = h('div');
  const checkpointStats = h('div.stats.small');
  const checkpointChart = h('div.chart-box');
  const checkpointTable = h('div');
  const exceptions = h('div');
  const sqlBox = h('pre.sql');
  fill(
    root,
    head,
    notice,
    stats,
    card('Job graph', h('p.hint', 'Operator chains (one task each) with records per second, busy and backpressured time of the busiest subtask, and the input watermark. Red: busy; grey: backpressured.'), graphBox),
    h('div.row', card('Throughput', throughputBox), card('Event-time lag', h('p.hint', 'Processing time − watermark, per source and sink.'), lagBox, lagTable)),
    card('Operators', h('p.hint', 'Totals over all subtasks; State is what the operator wrote into the newest completed checkpoint.'), operators),
    card('Checkpoints', checkpointStats, checkpointChart, checkpointTable),
    card('Exceptions', exceptions),
    card('SQL', sqlBox),
  );

  const inRate = new History();
  const outRate = new History();
  const lags = new Histories();
  let plan = null;
  let planRuns = -1;
  let busyAction = false;

  function say(text, kind = 'info') {
    fill(notice, text ? h('p.' + kind, text) : null);
  }

  async function waitTrigger(rid, what) {
    for (let i = 0; i < 120; i++) {
      const st = await get(`/jobs/${jid}/savepoints/${rid}`);
      if (st.status.id === 'COMPLETED') {
        const op = st.operation || {};
        if (op.location) say(`${what} completed: ${op.location}`, 'ok');
        else say(`${what} failed: ${op['failure-cause']?.['stack-trace'] ?? 'unknown cause'}`, 'error');
        return;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  async function act(what, run) {
    if (busyAction) return;
    busyAction = true;
    say(`${what}…`);
    try {
      await run();
    } catch (e) {
      say(`${what} refused: ${e.message}`, 'error');
    } finally {
      busyAction = false;
    }
  }

  const actions = {
    savepoint: () => act('Savepoint', async () => waitTrigger((await post(`/jobs/${jid}/savepoints`, { 'cancel-job': false }))['request-id'], 'Savepoint')),
    stop: () => {
      if (confirm('Stop the job with a savepoint? It ends FINISHED and can be resumed.')) act('Stop with savepoint', async () => waitTrigger((await post(`/jobs/${jid}/stop`, {}))['request-id'], 'Stop with savepoint'));
    },
    cancel: () => {
      if (confirm('Cancel the job now, without a savepoint?')) act('Cancel', async () => { await patch(`/jobs/${jid}`); say('Cancelled.', 'ok'); });
    },
    resume: () => act('Resume', async () => { await post(`/jobs/${jid}/resume`, {}); say('Resumed from its latest checkpoint.', 'ok'); }),
  };

  async function refresh() {
    const [job, cps, exc] = await Promise.all([get(`/jobs/${jid}`), get(`/jobs/${jid}/checkpoints`), get(`/jobs/${jid}/exceptions`)]);
    const now = job.now;
    if (!plan || planRuns !== job.runs || !(plan.nodes || []).length) {
      plan = (await get(`/jobs/${jid}/plan`)).plan;
      planRuns = job.runs;
    }
    const vertices = new Map(job.vertices.map((v) => [v.id, v]));
    const running = job.state === 'RUNNING';

    fill(
      head,
      h('div.job-title', h('h1', job.name), badge(job.state)),
      h('div.job-meta', h('span', 'id ', h('code', job.jid)), h('span', 'started ', utc(job['start-time'], { millis: false })), h('span', (running ? 'running for ' : 'ran for ') + duration(job.duration)), h('span', `run ${job.runs}`)),
      h(
        'div.actions',
        h('button', { onclick: actions.savepoint, disabled: !running, title: 'Take a savepoint; the job keeps running' }, 'Savepoint'),
        h('button', { onclick: actions.stop, disabled: !running, title: 'Stop with a savepoint (FINISHED)' }, 'Stop'),
        h('button.danger', { onclick: actions.cancel, disabled: !running, title: 'Cancel without a savepoint' }, 'Cancel'),
        running ? null : h('button', { onclick: actions.resume, title: 'Run again from the newest checkpoint or savepoint' }, 'Resume'),
      ),
    );

    const { sources, sinks } = ends(plan);
    const sum = (list, key) => list.reduce((a, n) => a + (vertices.get(n.id)?.metrics[key] ?? 0), 0);
    const have = (list, key) => list.some((n) => vertices.get(n.id)?.metrics[key] != null);
    const inNow = have(sources, 'records-out-per-second') ? sum(sources, 'records-out-per-second') : null;
    const outNow = have(sinks, 'records-in-per-second') ? sum(sinks, 'records-in-per-second') : null;
    if (running) {
      inRate.push(now, inNow);
      outRate.push(now, outNow);
    }
    const lagRows = [];
    const lagSeries = [];
    for (const [kind, list] of [['source', sources], ['sink', sinks]]) {
      for (const n of list) {
        const w = kind === 'sink' ? vertices.get(n.id)?.metrics['current-input-watermark'] : watermarkFrom(plan, vertices, n);
        const lag = w != null && w < 8e15 ? Math.max(0, now - w) : null;
        const key = `${kind}: ${n.operator}`;
        if (running && lag != null) lags.push(key, now, lag / 1000);
        lagRows.push([kind, n.operator, w == null ? '—' : utc(w), lag == null ? '—' : duration(lag)]);
        lagSeries.push({ name: key, points: lags.get(key).points });
      }
    }
    const last = cps.latest.completed;
    const maxLag = Math.max(-1, ...lagSeries.map((s) => (s.points.length ? s.points[s.points.length - 1][1] : -1)));
    fill(
      stats,
      stat('records in', rate(inNow), 'read by the sources, per second'),
      stat('records out', rate(outNow), 'written by the sinks, per second'),
      stat('read in total', int(job['records-in']), 'this run'),
      stat('written in total', int(job['records-out']), 'this run'),
      stat('event-time lag', maxLag < 0 ? '—' : duration(maxLag * 1000), 'largest over sources and sinks'),
      stat('last checkpoint', last ? `#${last.id}, ${duration(now - last.latest_ack_timestamp)} ago` : '—'),
      stat('restarts', int(job.restarts)),
    );

    fill(graphBox, (plan.nodes || []).length ? drawGraph(plan, vertices) : h('p.empty', 'The graph appears when the job runs.'));

    const tp = [
      { name: 'in (sources)', points: inRate.points, color: PALETTE[0] },
      { name: 'out (sinks)', points: outRate.points, color: PALETTE[1] },
    ];
    fill(throughputBox, legend(tp, (v) => rate(v)), lineChart(tp, { now, area: false }));
    fill(lagBox, legend(lagSeries, (v) => duration(v * 1000)), lineChart(lagSeries, { now, area: false, format: (v) => compact(v) + ' s' }));
    fill(lagTable, table(['', 'Operator', 'Watermark (UTC)', 'Lag'], lagRows, { numeric: [3], empty: 'No sources or sinks.' }));

    fill(
      operators,
      table(
        ['#', 'Operator', 'Parallelism', 'Records in', 'Records out', 'In/s', 'Out/s', 'Busy', 'Backpressured', 'State', 'Watermark (UTC)'],
        job.vertices.map((v) => {
          const m = v.metrics;
          const pct = (x) => (x == null ? '—' : percent(x / 1000));
          const state = v['checkpointed-size'] == null ? '—' : bytes(v['checkpointed-size']);
          return [v.id, v.name, int(v.parallelism), int(m['read-records']), int(m['write-records']), rate(m['records-in-per-second']), rate(m['records-out-per-second']), pct(m['busy-time-ms-per-second']), pct(m['backpressured-time-ms-per-second']), state, m['current-input-watermark'] == null ? '—' : utc(m['current-input-watermark'])];
        }),
        { numeric: [0, 2, 3, 4, 5, 6, 7, 8, 9], empty: 'No operator figures yet.', cls: 'operators' },
      ),
    );

    const history = [...cps.history].reverse();
    const sm = cps.summary;
    fill(
      checkpointStats,
      stat('completed', int(cps.counts.completed)),
      stat('failed', int(cps.counts.failed)),
      stat('in progress', int(cps.counts.in_progress)),
      stat('restored from', cps.latest.restored ? `#${cps.latest.restored.id}` : '—'),
      stat('duration min / avg / max', sm.end_to_end_duration.avg == null ? '—' : `${duration(sm.end_to_end_duration.min)} / ${duration(sm.end_to_end_duration.avg)} / ${duration(sm.end_to_end_duration.max)}`),
      stat('size avg', bytes(sm.state_size.avg)),
    );
    fill(
      checkpointChart,
      h('div.legend', h('span.legend-item', h('i', { style: 'background:#2563eb' }), 'duration'), h('span.legend-item', h('i', { style: 'background:#d97706' }), 'size')),
      barLineChart(history.map((c) => ({ label: `#${c.id}`, bar: c.end_to_end_duration, line: c.state_size })), { width: 1100, height: 180, barFormat: (v) => duration(v), lineFormat: (v) => bytes(v) }),
    );
    fill(
      checkpointTable,
      table(
        ['ID', 'Type', 'Status', 'Ended (UTC)', 'Duration', 'Alignment', 'Size', 'Location or failure'],
        cps.history.slice(0, 15).map((c) => [
          '#' + c.id,
          c.is_savepoint ? 'savepoint' : 'checkpoint',
          badge(c.status),
          utc(c.status === 'FAILED' ? c.failure_timestamp : c.latest_ack_timestamp),
          c.end_to_end_duration == null ? '—' : duration(c.end_to_end_duration),
          c.alignment_duration == null ? '—' : duration(c.alignment_duration),
          c.status === 'FAILED' ? '—' : bytes(c.state_size),
          c.status === 'FAILED' ? h('span.error', c.failure_message) : h('code.muted.path', c.external_path ?? '—'),
        ]),
        { numeric: [0, 4, 5, 6], empty: 'No checkpoint yet.' },
      ),
    );

    const entries = exc.exceptionHistory.entries;
    const strategy = exc['restart-strategy'] || 'none';
    const decision = (r) => !r ? ''
      : r.decision === 'restarted' ? ` — restarted (restart ${r.attempt}) after ${duration(r.delay_ms)}`
      : ` — not restarted: ${r.reason}`;
    fill(
      exceptions,
      h('p', job.restarts
        ? `The restart strategy (${strategy}) restarted this run ${job.restarts} time(s) from its latest checkpoint.`
        : `No restarts in this run (restart strategy: ${strategy}).`,
        job.state === 'FAILED' ? ' The job failed: the restart strategy gave up (or the failure is not recoverable).' : ''),
      entries.length
        ? entries.map((e, i) => h('div.exception',
            h('div.exception-head', i === 0 ? h('b', 'Latest failure') : 'Earlier failure', ' at ', utc(e.timestamp), decision(e.restart)),
            h('pre', e.stacktrace)))
        : h('p.empty', 'No exceptions.'),
    );
    if (sqlBox.textContent !== job.sql) sqlBox.textContent = job.sql;
  }

  return { refresh, interval: 1000, error: (e) => say(e.status === 404 ? 'No such job.' : e.message, 'error') };
}
