//! Checkpoints end to end: a keyed event-time window job with a split-based source and a
//! two-phase-commit sink, failed on purpose and restarted from its checkpoints, stopped with a
//! savepoint and resumed at another parallelism. The committed output must equal a brute-force
//! recomputation exactly: nothing lost, nothing twice.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use spate_engine::window::WindowAssigner;
use spate_engine::{
    CheckpointConfig, EngineError, Record, RestartStrategy, Sink, SinkContext, Source, SourceBatch,
    SourceContext, SourceStatus, StreamEnvironment, WatermarkStrategy, sink_states_for,
};

const SPLITS: u64 = 6;
const KEYS: u64 = 7;
const WINDOW_MS: i64 = 100;

/// `count` events over `SPLITS` splits (split j emits j, j + SPLITS, ...), paced at about
/// `per_ms` events per millisecond so that a run spans several checkpoints. Positions are per
/// split, so a restore can change parallelism (as the Kafka source does).
#[derive(Clone)]
struct PacedSplitSource {
    count: u64,
    per_ms: u64,
    owned: Vec<(u64, u64)>,
    next_split: usize,
    started: Option<Instant>,
    emitted: u64,
}

impl PacedSplitSource {
    fn new(count: u64, per_ms: u64) -> Self {
        Self {
            count,
            per_ms,
            owned: Vec::new(),
            next_split: 0,
            started: None,
            emitted: 0,
        }
    }
}

impl Source<u64> for PacedSplitSource {
    fn open(&mut self, ctx: &SourceContext) -> Result<usize, EngineError> {
        self.owned = (0..SPLITS)
            .filter(|j| (*j as usize) % ctx.parallelism == ctx.subtask)
            .map(|j| (j, j))
            .collect();
        Ok(self.owned.len().max(1))
    }

    fn poll(&mut self, out: &mut SourceBatch<u64>) -> Result<SourceStatus, EngineError> {
        if self.owned.iter().all(|(_, next)| *next >= self.count) {
            return Ok(SourceStatus::Finished);
        }
        let started = *self.started.get_or_insert_with(Instant::now);
        let allowed = started.elapsed().as_millis() as u64 * self.per_ms + 64;
        if self.emitted >= allowed {
            return Ok(SourceStatus::Pending);
        }
        let i = self.next_split % self.owned.len();
        self.next_split += 1;
        out.set_split(i);
        let (_, next) = &mut self.owned[i];
        let mut n = 0;
        while *next < self.count && out.remaining() > 0 && n < 64 {
            out.push_with_timestamp(*next, *next as i64);
            *next += SPLITS;
            n += 1;
        }
        self.emitted += n;
        Ok(SourceStatus::Available)
    }

    fn snapshot_position(&mut self, _: u64) -> Result<Vec<u8>, EngineError> {
        Ok(serde_json::to_vec(&self.owned).expect("plain numbers"))
    }

    fn restore_positions(&mut self, _: &SourceContext, positions: &[Vec<u8>]) -> Result<(), EngineError> {
        for p in positions {
            let entries: Vec<(u64, u64)> =
                serde_json::from_slice(p).map_err(|e| EngineError::InvalidPosition(e.to_string()))?;
            for (split, next) in entries {
                if let Some(own) = self.owned.iter_mut().find(|(s, _)| *s == split) {
                    own.1 = next;
                }
            }
        }
        Ok(())
    }
}

/// What the "external system" holds: committed results and the ids of committed transactions
/// (a commit is idempotent by transaction id, as Kafka's EndTxn is).
#[derive(Default)]
struct Store {
    committed: Vec<(u64, i64, u64)>,
    txns: HashSet<String>,
}

/// A two-phase-commit sink: records of a checkpoint interval form a transaction, pre-committed
/// (kept in the checkpoint) at the barrier and committed when the checkpoint completes.
#[derive(Clone)]
struct TxnSink {
    store: Arc<Mutex<Store>>,
    subtask: usize,
    attempt: u64,
    open: Vec<(u64, i64, u64)>,
    pending: Pending,
}

static ATTEMPTS: AtomicU64 = AtomicU64::new(0);

impl TxnSink {
    fn new(store: Arc<Mutex<Store>>) -> Self {
        Self {
            store,
            subtask: 0,
            attempt: 0,
            open: Vec::new(),
            pending: Vec::new(),
        }
    }

    fn commit(&self, txn: &str, records: &[(u64, i64, u64)]) {
        let mut store = self.store.lock().unwrap();
        if store.txns.insert(txn.to_string()) {
            store.committed.extend_from_slice(records);
        }
    }
}

type Pending = Vec<(String, u64, Vec<(u64, i64, u64)>)>;

impl Sink<(u64, i64, u64)> for TxnSink {
    fn open(&mut self, ctx: &SinkContext) -> Result<(), EngineError> {
        self.subtask = ctx.subtask;
        self.attempt = ATTEMPTS.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
    fn restore_state(&mut self, ctx: &SinkContext, states: &[Vec<u8>]) -> Result<(), EngineError> {
        for state in sink_states_for(ctx, states) {
            if state.is_empty() {
                continue;
            }
            let pending: Pending = serde_json::from_slice(state).unwrap();
            for (txn, _, records) in pending {
                self.commit(&txn, &records);
            }
        }
        Ok(())
    }
    fn write(&mut self, records: &mut Vec<Record<(u64, i64, u64)>>) -> Result<(), EngineError> {
        self.open.extend(records.drain(..).map(|r| r.value));
        Ok(())
    }
    fn snapshot_state(&mut self, checkpoint_id: u64) -> Result<Vec<u8>, EngineError> {
        let txn = format!("{}-{}-{checkpoint_id}", self.attempt, self.subtask);
        self.pending
            .push((txn, checkpoint_id, std::mem::take(&mut self.open)));
        Ok(serde_json::to_vec(&self.pending).unwrap())
    }
    fn notify_checkpoint_complete(&mut self, checkpoint_id: u64) -> Result<(), EngineError> {
        let (done, keep): (Pending, Pending) = std::mem::take(&mut self.pending)
            .into_iter()
            .partition(|(_, id, _)| *id <= checkpoint_id);
        for (txn, _, records) in &done {
            self.commit(txn, records);
        }
        self.pending = keep;
        Ok(())
    }
    fn finish(&mut self) -> Result<(), EngineError> {
        let all: Pending = std::mem::take(&mut self.pending);
        for (txn, _, records) in &all {
            self.commit(txn, records);
        }
        let txn = format!("{}-{}-final", self.attempt, self.subtask);
        let open = std::mem::take(&mut self.open);
        self.commit(&txn, &open);
        Ok(())
    }
}

fn expected(count: u64) -> BTreeMap<(u64, i64), u64> {
    let mut m = BTreeMap::new();
    for i in 0..count {
        let ts = i as i64;
        *m.entry((i % KEYS, ts - ts.rem_euclid(WINDOW_MS))).or_default() += 1;
    }
    m
}

fn as_map(records: &[(u64, i64, u64)]) -> BTreeMap<(u64, i64), u64> {
    let mut m = BTreeMap::new();
    for (k, w, c) in records {
        assert!(
            m.insert((*k, *w), *c).is_none(),
            "window ({k}, {w}) emitted twice"
        );
    }
    m
}

/// source -> (fail once at `fail_at`) -> key_by -> tumbling count -> 2PC sink.
fn build(env: &StreamEnvironment, count: u64, store: &Arc<Mutex<Store>>, fail_at: Option<Arc<AtomicBool>>) {
    let strategy = WatermarkStrategy::bounded_out_of_orderness(Duration::from_millis(20));
    env.add_source("events", PacedSplitSource::new(count, 40), strategy)
        .uid("events")
        .map(move |v: u64| {
            if let Some(flag) = &fail_at
                && v == count / 2
                && !flag.swap(true, Ordering::SeqCst)
            {
                panic!("injected failure at event {v}");
            }
            v
        })
        .key_by(|v: &u64| v % KEYS)
        .window(WindowAssigner::tumbling(Duration::from_millis(WINDOW_MS as u64)))
        .count()
        .uid("counts")
        .map(|r| (r.key, r.window.start, r.value))
        .add_sink("txn-sink", TxnSink::new(store.clone()))
        .uid("sink");
}

#[test]
fn failure_and_restart_from_checkpoint_is_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let count = 12_000;
    let store = Arc::new(Mutex::new(Store::default()));
    let env = StreamEnvironment::new();
    env.set_parallelism(2);
    env.enable_checkpointing(CheckpointConfig::new(dir.path(), Duration::from_millis(30)));
    env.set_restart_strategy(RestartStrategy::FixedDelay {
        attempts: 3,
        delay: Duration::from_millis(10),
    });
    let failed = Arc::new(AtomicBool::new(false));
    build(&env, count, &store, Some(failed.clone()));
    let handle = env.job_handle();
    env.execute().unwrap();
    assert!(failed.load(Ordering::SeqCst), "the failure was injected");
    let progress = handle.progress();
    assert_eq!(progress.restarts, 1);
    assert!(
        progress.restored_from.is_some(),
        "the restart restored a checkpoint"
    );
    assert!(progress.last_checkpoint.is_some());
    let got = as_map(&store.lock().unwrap().committed);
    assert_eq!(got, expected(count));
    // Retention: at most 3 completed checkpoints, no unfinished directory left behind.
    let dirs: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(!dirs.is_empty() && dirs.len() <= 3, "{dirs:?}");
    assert!(dirs.iter().all(|d| d.join("_metadata").exists()));
}

#[test]
fn stop_with_savepoint_and_resume_at_another_parallelism() {
    let dir = tempfile::tempdir().unwrap();
    let count = 12_000;
    let store = Arc::new(Mutex::new(Store::default()));

    let env = StreamEnvironment::new();
    env.set_parallelism(2);
    build(&env, count, &store, None);
    let handle = env.job_handle();
    let target = dir.path().to_path_buf();
    let stopper = std::thread::spawn(move || {
        while handle.progress().records_in < count / 3 {
            std::thread::sleep(Duration::from_millis(5));
        }
        handle.stop_with_savepoint(&target)
    });
    env.execute().unwrap();
    let savepoint = stopper.join().unwrap().unwrap();
    assert!(savepoint.join("_metadata").exists());
    let partial = store.lock().unwrap().committed.len();
    assert!(
        partial < expected(count).len(),
        "the job stopped early ({partial} windows)"
    );

    let env = StreamEnvironment::new();
    env.set_parallelism(3);
    env.restore_from(&savepoint);
    build(&env, count, &store, None);
    env.execute().unwrap();
    let got = as_map(&store.lock().unwrap().committed);
    assert_eq!(got, expected(count));
}

#[test]
fn restoring_a_job_without_the_checkpointed_operator_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Mutex::new(Store::default()));
    let env = StreamEnvironment::new();
    build(&env, 2_000, &store, None);
    let handle = env.job_handle();
    let target = dir.path().to_path_buf();
    let stopper = std::thread::spawn(move || {
        while handle.progress().records_in < 500 {
            std::thread::sleep(Duration::from_millis(5));
        }
        handle.savepoint(&target)
    });
    env.execute().unwrap();
    let savepoint = stopper.join().unwrap().unwrap();

    let env = StreamEnvironment::new();
    env.restore_from(&savepoint);
    env.from_sequence(0, 10)
        .uid("something-else")
        .for_each_batch(|_| {});
    let err = env.execute().unwrap_err().to_string();
    assert!(err.contains("events"), "{err}");
}

/// A tumbling count written by hand: keyed `ValueState` per (key) holding per-window counts in
/// a map, and an event-time timer per window end: checkpoints must carry both state and timers.
#[derive(Clone, Default)]
struct HandWindow {
    counts: Option<spate_engine::state::MapState<i64, u64>>,
}

impl spate_engine::keyed_process::KeyedProcessFunction<u64, u64, (u64, i64, u64)> for HandWindow {
    fn open(&mut self, states: &mut spate_engine::state::StateRegistry<'_, u64>) {
        self.counts = Some(states.map("counts"));
    }
    fn process_element(
        &mut self,
        v: u64,
        ctx: &mut spate_engine::keyed_process::KeyedContext<'_, u64, (u64, i64, u64)>,
    ) {
        let _ = v;
        let start = ctx.timestamp() - ctx.timestamp().rem_euclid(WINDOW_MS);
        let counts = self.counts.as_ref().unwrap();
        let n = counts.get(ctx, &start).copied().unwrap_or(0);
        counts.put(ctx, start, n + 1);
        ctx.register_event_time_timer(start + WINDOW_MS - 1);
    }
    fn on_timer(
        &mut self,
        time: i64,
        _: spate_engine::keyed_process::TimeDomain,
        ctx: &mut spate_engine::keyed_process::KeyedContext<'_, u64, (u64, i64, u64)>,
    ) {
        let start = time + 1 - WINDOW_MS;
        let counts = self.counts.as_ref().unwrap();
        if let Some(n) = counts.remove(ctx, &start) {
            let key = *ctx.key();
            ctx.collect((key, start, n));
        }
    }
}

#[test]
fn keyed_state_and_timers_survive_a_failure_and_a_rescale() {
    let dir = tempfile::tempdir().unwrap();
    let count = 30_000;
    let store = Arc::new(Mutex::new(Store::default()));
    let build = |env: &StreamEnvironment, fail_at: Option<Arc<AtomicBool>>| {
        let strategy = WatermarkStrategy::bounded_out_of_orderness(Duration::from_millis(20));
        env.add_source("events", PacedSplitSource::new(count, 40), strategy)
            .map(move |v: u64| {
                if let Some(flag) = &fail_at
                    && v == count / 2
                    && !flag.swap(true, Ordering::SeqCst)
                {
                    panic!("injected failure at event {v}");
                }
                v
            })
            .key_by(|v: &u64| v % KEYS)
            .process(HandWindow::default())
            .add_sink("txn-sink", TxnSink::new(store.clone()));
    };
    let env = StreamEnvironment::new();
    env.set_parallelism(2);
    env.enable_checkpointing(CheckpointConfig::new(
        dir.path().join("chk"),
        Duration::from_millis(25),
    ));
    env.set_restart_strategy(RestartStrategy::FixedDelay {
        attempts: 2,
        delay: Duration::from_millis(10),
    });
    let failed = Arc::new(AtomicBool::new(false));
    build(&env, Some(failed.clone()));
    let handle = env.job_handle();
    let target = dir.path().join("savepoints");
    let stopper = std::thread::spawn(move || {
        // After the restart (whose counters start again from the restored checkpoint), with
        // most of the input still to come so the job cannot end before the savepoint.
        while handle.progress().restarts == 0 || handle.progress().records_in < count / 10 {
            std::thread::sleep(Duration::from_millis(2));
        }
        handle.stop_with_savepoint(&target)
    });
    env.execute().unwrap();
    assert!(failed.load(Ordering::SeqCst));
    let savepoint = stopper.join().unwrap().unwrap();

    let env = StreamEnvironment::new();
    env.set_parallelism(3);
    env.restore_from(&savepoint);
    build(&env, None);
    env.execute().unwrap();
    assert_eq!(as_map(&store.lock().unwrap().committed), expected(count));
}

/// Under backpressure the stop barrier can sit in a full channel's pending queue after the
/// source stopped emitting; the source must keep flushing it or the savepoint never completes.
#[test]
fn stop_with_savepoint_completes_under_backpressure() {
    let dir = tempfile::tempdir().unwrap();
    let (handle_tx, handle_rx) = std::sync::mpsc::channel();
    let job = std::thread::spawn(move || {
        let env = StreamEnvironment::new();
        env.set_parallelism(1)
            .set_batch_size(16)
            .set_channel_capacity(1)
            .set_worker_threads(2);
        // Sink subtask 1 runs on the other worker and is slow: its channel stays full.
        env.add_source(
            "events",
            PacedSplitSource::new(u64::MAX / 2, 1_000_000),
            WatermarkStrategy::no_watermarks(),
        )
        .rebalance()
        .for_each_batch(|_| std::thread::sleep(Duration::from_millis(5)))
        .set_parallelism(2);
        handle_tx.send(env.job_handle()).unwrap();
        env.execute().unwrap();
    });
    let handle = handle_rx.recv().unwrap();
    while handle.progress().records_in < 1_000 {
        std::thread::sleep(Duration::from_millis(5));
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let target = dir.path().to_path_buf();
    std::thread::spawn(move || {
        let _ = tx.send(handle.stop_with_savepoint(&target).map_err(|e| e.to_string()));
    });
    let savepoint = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the stop savepoint completes")
        .unwrap();
    assert!(savepoint.join("_metadata").exists());
    job.join().unwrap();
}
