//! Checkpoints end to end: a keyed event-time window job with a split-based source and a
//! two-phase-commit sink, failed on purpose and restarted from its checkpoints, stopped with a
//! savepoint and resumed at another parallelism. The committed output must equal a brute-force
//! recomputation exactly: nothing lost, nothing twice.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::{PacedSplitSource, SharedStore, TxnSink};
use spate_engine::window::WindowAssigner;
use spate_engine::{CheckpointConfig, RestartStrategy, StreamEnvironment, WatermarkStrategy};

/// (key, window start, count): what the window jobs below commit.
type Output = (u64, i64, u64);

const SPLITS: u64 = 6;
const KEYS: u64 = 7;
const WINDOW_MS: i64 = 100;

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
fn build(env: &StreamEnvironment, count: u64, store: &SharedStore<Output>, fail_at: Option<Arc<AtomicBool>>) {
    build_with(env, count, store, fail_at, false);
}

/// As [`build`], the count pre-aggregated before the keyed exchange when `pre_aggregate`.
fn build_with(
    env: &StreamEnvironment,
    count: u64,
    store: &SharedStore<Output>,
    fail_at: Option<Arc<AtomicBool>>,
    pre_aggregate: bool,
) {
    let strategy = WatermarkStrategy::bounded_out_of_orderness(Duration::from_millis(20));
    let windowed = env
        .add_source("events", PacedSplitSource::new(count, 40, SPLITS), strategy)
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
        .window(WindowAssigner::tumbling(Duration::from_millis(WINDOW_MS as u64)));
    let windowed = if pre_aggregate {
        windowed.pre_aggregate()
    } else {
        windowed
    };
    windowed
        .count()
        .uid("counts")
        .map(|r| (r.key, r.window.start, r.value))
        .add_sink("txn-sink", TxnSink::new(store))
        .uid("sink");
}

/// Also with the count pre-aggregated before the keyed exchange (`pre_aggregate`: its local
/// phase flushes before each barrier and keeps no state).
#[test]
fn failure_and_restart_from_checkpoint_is_exactly_once() {
    for pre_aggregate in [false, true] {
        failure_and_restart_is_exactly_once(pre_aggregate);
    }
}

fn failure_and_restart_is_exactly_once(pre_aggregate: bool) {
    let dir = tempfile::tempdir().unwrap();
    let count = 12_000;
    let store = common::store::<Output>();
    let env = StreamEnvironment::new();
    env.set_parallelism(2);
    env.enable_checkpointing(CheckpointConfig::new(dir.path(), Duration::from_millis(30)));
    env.set_restart_strategy(RestartStrategy::FixedDelay {
        attempts: 3,
        delay: Duration::from_millis(10),
    });
    let failed = Arc::new(AtomicBool::new(false));
    build_with(&env, count, &store, Some(failed.clone()), pre_aggregate);
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
    // Keyed windows at parallelism 2 read two channels each: their barriers are aligned, and
    // the longest alignment is part of the checkpoint's time.
    let (alignment, duration) = (
        progress.last_checkpoint_alignment.unwrap(),
        progress.last_checkpoint_duration.unwrap(),
    );
    assert!(alignment <= duration, "{alignment:?} > {duration:?}");
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
    for pre_aggregate in [false, true] {
        stop_and_resume_at_another_parallelism(pre_aggregate);
    }
}

fn stop_and_resume_at_another_parallelism(pre_aggregate: bool) {
    let dir = tempfile::tempdir().unwrap();
    let count = 12_000;
    let store = common::store::<Output>();

    let env = StreamEnvironment::new();
    env.set_parallelism(2);
    build_with(&env, count, &store, None, pre_aggregate);
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
    build_with(&env, count, &store, None, pre_aggregate);
    env.execute().unwrap();
    let got = as_map(&store.lock().unwrap().committed);
    assert_eq!(got, expected(count));
}

/// Runs the window job over 2 000 events and takes a savepoint into `dir` once 500 are in;
/// also the operators' names and state uids as the job reported them then.
fn savepoint_midway(dir: &std::path::Path) -> (std::path::PathBuf, Vec<(String, String)>) {
    let store = common::store::<Output>();
    let env = StreamEnvironment::new();
    build(&env, 2_000, &store, None);
    let handle = env.job_handle();
    let target = dir.to_path_buf();
    let stopper = std::thread::spawn(move || {
        while handle.progress().records_in < 500 {
            std::thread::sleep(Duration::from_millis(5));
        }
        let uids = handle
            .operators()
            .iter()
            .map(|o| (o.operator.clone(), o.state_uid.to_string()))
            .collect();
        (handle.savepoint(&target), uids)
    });
    env.execute().unwrap();
    let (savepoint, uids) = stopper.join().unwrap();
    (savepoint.unwrap(), uids)
}

#[test]
fn restoring_a_job_without_the_checkpointed_operator_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (savepoint, _) = savepoint_midway(dir.path());

    let env = StreamEnvironment::new();
    env.restore_from(&savepoint);
    env.from_sequence(0, 10)
        .uid("something-else")
        .for_each_batch(|_| {});
    let err = env.execute().unwrap_err().to_string();
    assert!(err.contains("events"), "{err}");
}

/// A savepoint's sizes name the operators that hold state by the uid their metrics carry: the
/// source's position, the window's keyed counts and the sink's pre-commit; the stateless map
/// is absent.
#[test]
fn a_checkpoint_reports_each_operators_state_size_by_its_uid() {
    let dir = tempfile::tempdir().unwrap();
    let (savepoint, uids) = savepoint_midway(dir.path());
    let sizes = spate_engine::checkpoint_state_sizes(&savepoint).unwrap();
    let size = |uid: &str| sizes.iter().find(|s| s.uid == uid).map(|s| s.bytes);
    assert!(size("counts").is_some_and(|b| b > 0), "{sizes:?}");
    assert!(size("events").is_some_and(|b| b > 0), "{sizes:?}");
    assert!(uids.iter().any(|(_, uid)| uid == "counts"), "{uids:?}");
    let map_uid = uids
        .iter()
        .find(|(name, _)| name == "map")
        .map(|(_, uid)| uid.clone())
        .unwrap();
    assert!(map_uid.ends_with("-map"), "{map_uid}");
    assert_eq!(size(&map_uid), None, "{sizes:?}");
    assert!(
        sizes.iter().all(|s| uids.iter().any(|(_, u)| *u == s.uid)),
        "{sizes:?} {uids:?}"
    );
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
    let store = common::store::<Output>();
    let build = |env: &StreamEnvironment, fail_at: Option<Arc<AtomicBool>>| {
        let strategy = WatermarkStrategy::bounded_out_of_orderness(Duration::from_millis(20));
        // 20 events/ms: the stop-with-savepoint issued after the restart must complete before
        // the bounded input runs out, also on a loaded machine (at 40/ms it once did not).
        env.add_source("events", PacedSplitSource::new(count, 20, SPLITS), strategy)
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
            .add_sink("txn-sink", TxnSink::new(&store));
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
            PacedSplitSource::new(u64::MAX / 2, 1_000_000, SPLITS),
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

#[test]
fn operator_metrics_are_readable_while_the_job_runs() {
    let count = 12_000;
    let store = common::store::<Output>();
    let env = StreamEnvironment::new();
    env.set_parallelism(2);
    build(&env, count, &store, None);
    let handle = env.job_handle();
    let watched = handle.clone();
    let watcher = std::thread::spawn(move || {
        loop {
            let ops = watched.operators();
            let emitted: u64 = ops
                .iter()
                .filter(|o| o.operator == "events")
                .map(|o| o.records_out)
                .sum();
            if emitted >= count / 3 {
                return ops;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    });
    let result = env.execute().unwrap();
    let live = watcher.join().unwrap();
    let sources: Vec<_> = live.iter().filter(|o| o.operator == "events").collect();
    assert_eq!(sources.iter().map(|o| o.subtask).collect::<Vec<_>>(), [0, 1]);
    let names: Vec<&str> = live.iter().map(|o| o.operator.as_str()).collect();
    let final_names: Vec<&str> = result.operators.iter().map(|o| o.operator.as_str()).collect();
    assert_eq!(
        names, final_names,
        "the live view has the final report's operators, in order"
    );
    let at_end: u64 = result.operator("events").iter().map(|o| o.records_out).sum();
    assert_eq!(at_end, count);
    assert!(sources.iter().all(|o| o.task_busy > Duration::ZERO));
    assert!(
        handle.operators().is_empty(),
        "nothing is live once the job ended"
    );
}

#[test]
fn checkpoints_that_time_out_are_reported_as_failed_and_the_job_goes_on() {
    // A map that takes 20 ms per record holds every barrier back longer than the 5 ms the
    // checkpoints may take: each one is abandoned, counted and kept with its reason, and the
    // job still produces all its output.
    let dir = tempfile::tempdir().unwrap();
    let env = StreamEnvironment::new();
    let mut config = CheckpointConfig::new(dir.path(), Duration::from_millis(10));
    config.timeout = Duration::from_millis(5);
    env.enable_checkpointing(config);
    let out = env
        .from_sequence(0, 30)
        .map(|v: u64| {
            std::thread::sleep(Duration::from_millis(20));
            v
        })
        .collect();
    let handle = env.job_handle();
    env.execute().unwrap();
    assert_eq!(out.values().len(), 30);
    let progress = handle.progress();
    assert!(progress.checkpoints_failed > 0, "{progress:?}");
    assert_eq!(
        progress.failed_checkpoints.len() as u64,
        progress
            .checkpoints_failed
            .min(spate_engine::FAILED_CHECKPOINTS_KEPT as u64)
    );
    let f = &progress.failed_checkpoints[0];
    assert!(f.reason.contains("timed out"), "{f:?}");
    assert!(f.failed_at >= f.triggered_at);
    assert_eq!(
        progress.pending_checkpoint, None,
        "nothing in flight after the job"
    );
}

/// Records when each checkpoint reached it and takes `snapshot_time` to pre-commit.
#[derive(Clone)]
struct SlowSnapshotSink {
    snapshot_time: Duration,
    snapshots: Arc<std::sync::Mutex<Vec<std::time::Instant>>>,
}

impl spate_engine::Sink<u64> for SlowSnapshotSink {
    fn write(
        &mut self,
        records: &mut Vec<spate_engine::Record<u64>>,
    ) -> Result<(), spate_engine::EngineError> {
        records.clear();
        Ok(())
    }
    fn snapshot_state(&mut self, _: u64) -> Result<Vec<u8>, spate_engine::EngineError> {
        self.snapshots.lock().unwrap().push(std::time::Instant::now());
        std::thread::sleep(self.snapshot_time);
        Ok(Vec::new())
    }
}

/// Median time between the checkpoints a job with a 250 ms pre-commit takes every 400 ms.
fn median_checkpoint_spacing(min_pause: Duration) -> Duration {
    let dir = tempfile::tempdir().unwrap();
    let env = StreamEnvironment::new();
    let mut config = CheckpointConfig::new(dir.path(), Duration::from_millis(400));
    config.min_pause = min_pause;
    env.enable_checkpointing(config);
    let sink = SlowSnapshotSink {
        snapshot_time: Duration::from_millis(250),
        snapshots: Arc::default(),
    };
    // 3.5 s of input, 1 event per ms.
    env.add_source(
        "events",
        PacedSplitSource::new(3500, 1, 2),
        WatermarkStrategy::bounded_out_of_orderness(Duration::ZERO),
    )
    .add_sink("slow-snapshots", sink.clone());
    env.execute().unwrap();
    let at = sink.snapshots.lock().unwrap().clone();
    assert!(at.len() >= 4, "{} checkpoints in 3.5 s", at.len());
    let mut gaps: Vec<Duration> = at.windows(2).map(|w| w[1] - w[0]).collect();
    gaps.sort_unstable();
    gaps[gaps.len() / 2]
}

#[test]
fn checkpoints_start_an_interval_apart_unless_a_minimum_pause_says_otherwise() {
    // Flink's `execution.checkpointing.interval` is the time between two triggers: a 250 ms
    // checkpoint does not stretch the 400 ms period (counting from its end gave 650 ms).
    let periodic = median_checkpoint_spacing(Duration::ZERO);
    assert!(periodic < Duration::from_millis(525), "{periodic:?}");
    // `min-pause` 300 ms after a 250 ms checkpoint: at least 550 ms from start to start.
    let paused = median_checkpoint_spacing(Duration::from_millis(300));
    assert!(paused >= Duration::from_millis(545), "{paused:?}");
}

/// A running count per key in keyed state, emitted with every element.
#[derive(Clone, Default)]
struct RunningCount {
    count: Option<spate_engine::state::ValueState<u64>>,
}

impl spate_engine::keyed_process::KeyedProcessFunction<u64, u64, (u64, u64)> for RunningCount {
    fn open(&mut self, states: &mut spate_engine::state::StateRegistry<'_, u64>) {
        self.count = Some(states.value("count"));
    }
    fn process_element(
        &mut self,
        _: u64,
        ctx: &mut spate_engine::keyed_process::KeyedContext<'_, u64, (u64, u64)>,
    ) {
        let count = self.count.as_ref().unwrap();
        let n = count.get(ctx).copied().unwrap_or(0) + 1;
        count.update(ctx, n);
        let key = *ctx.key();
        ctx.collect((key, n));
    }
}

/// A task that finished before a checkpoint is in that checkpoint through its final snapshot
/// (kept unserialised until a checkpoint writes it): a job restored from a savepoint taken
/// long after one branch ended finds that branch's keyed state and counts on from it.
#[test]
fn keyed_state_of_a_branch_that_finished_before_the_savepoint_is_restored() {
    let dir = tempfile::tempdir().unwrap();
    let short = 700; // 100 per key
    let counts = common::store::<(u64, u64)>();
    let idle = common::store::<u64>();
    let build = |env: &StreamEnvironment, short_count: u64, long_count: u64| {
        let strategy = WatermarkStrategy::bounded_out_of_orderness(Duration::from_millis(20));
        env.add_source(
            "short",
            PacedSplitSource::new(short_count, 50, SPLITS),
            strategy.clone(),
        )
        .uid("short")
        .key_by(|v: &u64| v % KEYS)
        .process(RunningCount::default())
        .uid("running-count")
        .add_sink("counts", TxnSink::new(&counts))
        .uid("counts");
        // Keeps the job (and its checkpoints) going after the short branch has finished.
        env.add_source("long", PacedSplitSource::new(long_count, 1, SPLITS), strategy)
            .uid("long")
            .filter(|_| false)
            .add_sink("idle", TxnSink::new(&idle))
            .uid("idle");
    };
    let env = StreamEnvironment::new();
    env.enable_checkpointing(CheckpointConfig::new(
        dir.path().join("chk"),
        Duration::from_millis(25),
    ));
    build(&env, short, 10_000_000);
    let handle = env.job_handle();
    let target = dir.path().join("savepoints");
    let committed = counts.clone();
    let stopper = std::thread::spawn(move || {
        // Every count committed means a checkpoint completed after the short branch ended.
        while committed.lock().unwrap().committed.len() < short as usize {
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(100));
        handle.stop_with_savepoint(&target)
    });
    env.execute().unwrap();
    let savepoint = stopper.join().unwrap().unwrap();

    let env = StreamEnvironment::new();
    env.restore_from(&savepoint);
    // The short branch now has as much again to read; the long one ends at once.
    build(&env, 2 * short, 0);
    env.execute().unwrap();
    let mut got = counts.lock().unwrap().committed.clone();
    got.sort_unstable();
    let expected: Vec<(u64, u64)> = (0..KEYS)
        .flat_map(|k| (1..=2 * short / KEYS).map(move |n| (k, n)))
        .collect();
    assert_eq!(got, expected);
}

/// A source that, after its events, stays open with nothing more to read (as a Kafka source
/// does once it has read everything).
#[derive(Clone)]
struct HeldOpen(PacedSplitSource);

impl spate_engine::Source<u64> for HeldOpen {
    fn open(&mut self, ctx: &spate_engine::SourceContext) -> Result<usize, spate_engine::EngineError> {
        self.0.open(ctx)
    }

    fn poll(
        &mut self,
        out: &mut spate_engine::SourceBatch<u64>,
    ) -> Result<spate_engine::SourceStatus, spate_engine::EngineError> {
        match self.0.poll(out)? {
            spate_engine::SourceStatus::Finished => {
                std::thread::sleep(Duration::from_millis(1));
                Ok(spate_engine::SourceStatus::Pending)
            }
            status => Ok(status),
        }
    }

    fn snapshot_position(&mut self, id: u64) -> Result<Vec<u8>, spate_engine::EngineError> {
        self.0.snapshot_position(id)
    }

    fn restore_positions(
        &mut self,
        ctx: &spate_engine::SourceContext,
        positions: &[Vec<u8>],
    ) -> Result<(), spate_engine::EngineError> {
        self.0.restore_positions(ctx, positions)
    }
}

/// A source holds its watermark back between emissions (here for an hour), but a checkpoint
/// barrier must not overtake it: the barrier's positions cover the records, a restored source
/// no longer knows their timestamps, and the windows they complete would never fire after a
/// restore until newer records came. So the savepoint taken once every record was read
/// commits every window the records complete.
#[test]
fn a_barrier_carries_the_watermark_of_the_records_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let count = 1_200;
    let store = common::store::<Output>();
    let env = StreamEnvironment::new();
    env.set_parallelism(2);
    let strategy = WatermarkStrategy::bounded_out_of_orderness(Duration::from_millis(20))
        .with_emit_interval(Duration::from_secs(3600));
    env.add_source(
        "events",
        HeldOpen(PacedSplitSource::new(count, 40, SPLITS)),
        strategy,
    )
    .uid("events")
    .key_by(|v: &u64| v % KEYS)
    .window(WindowAssigner::tumbling(Duration::from_millis(WINDOW_MS as u64)))
    .count()
    .uid("counts")
    .map(|r| (r.key, r.window.start, r.value))
    .add_sink("txn-sink", TxnSink::new(&store))
    .uid("sink");
    let handle = env.job_handle();
    let target = dir.path().to_path_buf();
    let stopper = std::thread::spawn(move || {
        while handle.progress().records_in < count {
            std::thread::sleep(Duration::from_millis(5));
        }
        handle.stop_with_savepoint(&target)
    });
    env.execute().unwrap();
    stopper.join().unwrap().unwrap();
    // The smallest last timestamp of a split is count - SPLITS, so the watermark is that
    // minus the bound and 1: every window ending at or before it fires.
    let watermark = (count - SPLITS) as i64 - 20 - 1;
    let want: BTreeMap<_, _> = expected(count)
        .into_iter()
        .filter(|((_, start), _)| start + WINDOW_MS - 1 <= watermark)
        .collect();
    assert!(!want.is_empty());
    assert_eq!(as_map(&store.lock().unwrap().committed), want);
}

/// A job of two branches (issue 39): a short one whose sink subtasks reach the end of their
/// input at once, and a long one that fails once before any checkpoint completed. The restart
/// runs the short branch again from the start, so the transactions its sink committed at the
/// end of input would be committed twice; the end of input must wait for a checkpoint instead
/// (FLIP-147), and the job's final checkpoint then commits it once.
#[test]
fn a_branch_that_finished_before_a_failure_commits_its_output_once() {
    const SHORT: u64 = 200;
    const LONG: u64 = 6_000;
    let dir = tempfile::tempdir().unwrap();
    let short_store = common::store::<u64>();
    let long_store = common::store::<u64>();
    let env = StreamEnvironment::new();
    env.set_parallelism(2);
    // No periodic checkpoint before the failure: the restart starts from nothing.
    env.enable_checkpointing(CheckpointConfig::new(dir.path(), Duration::from_secs(3600)));
    env.set_restart_strategy(RestartStrategy::FixedDelay {
        attempts: 3,
        delay: Duration::from_millis(10),
    });
    env.add_source(
        "short",
        PacedSplitSource::new(SHORT, 1_000, 2),
        WatermarkStrategy::no_watermarks(),
    )
    .add_sink("short-sink", TxnSink::new(&short_store));
    env.add_source(
        "long",
        PacedSplitSource::new(LONG, 10, 2),
        WatermarkStrategy::no_watermarks(),
    )
    .map(common::fail_once_at(LONG / 2))
    .add_sink("long-sink", TxnSink::new(&long_store));
    let handle = env.job_handle();
    env.execute().unwrap();
    assert_eq!(
        handle.progress().restarts,
        1,
        "the injected failure restarted the job once"
    );
    for (name, store, count) in [("short", &short_store, SHORT), ("long", &long_store, LONG)] {
        let mut got = store.lock().unwrap().committed.clone();
        got.sort_unstable();
        assert_eq!(
            got,
            (0..count).collect::<Vec<_>>(),
            "the {name} branch's committed output"
        );
    }
}

/// A two-phase-commit sink whose pre-commit fails once, after it handed its open transaction
/// to the pre-commit (as the Kafka sink does when its flush fails: the transaction and its
/// records are gone).
#[derive(Clone)]
struct FailingPreCommit {
    inner: TxnSink<u64>,
    fail_at_checkpoint: Arc<AtomicBool>,
}

impl spate_engine::Sink<u64> for FailingPreCommit {
    fn open(&mut self, ctx: &spate_engine::SinkContext) -> Result<(), spate_engine::EngineError> {
        self.inner.open(ctx)
    }
    fn restore_state(
        &mut self,
        ctx: &spate_engine::SinkContext,
        states: &[Vec<u8>],
    ) -> Result<(), spate_engine::EngineError> {
        self.inner.restore_state(ctx, states)
    }
    fn write(
        &mut self,
        records: &mut Vec<spate_engine::Record<u64>>,
    ) -> Result<(), spate_engine::EngineError> {
        self.inner.write(records)
    }
    fn snapshot_state(&mut self, checkpoint_id: u64) -> Result<Vec<u8>, spate_engine::EngineError> {
        if checkpoint_id >= 3 && self.fail_at_checkpoint.swap(false, Ordering::SeqCst) {
            self.inner.drop_open();
            return Err(spate_engine::EngineError::connector(std::io::Error::other(
                "flushing the transaction timed out",
            )));
        }
        self.inner.snapshot_state(checkpoint_id)
    }
    fn notify_checkpoint_complete(&mut self, checkpoint_id: u64) -> Result<(), spate_engine::EngineError> {
        self.inner.notify_checkpoint_complete(checkpoint_id)
    }
    fn finish(&mut self) -> Result<(), spate_engine::EngineError> {
        self.inner.finish()
    }
}

/// A failed pre-commit must not let a later checkpoint complete past the records it lost
/// (issue 39): the job fails and restarts from the last completed checkpoint.
#[test]
fn a_failed_pre_commit_fails_the_job_instead_of_skipping_its_records() {
    const COUNT: u64 = 3_000;
    let dir = tempfile::tempdir().unwrap();
    let store = common::store::<u64>();
    let env = StreamEnvironment::new();
    env.set_parallelism(1);
    env.enable_checkpointing(CheckpointConfig::new(dir.path(), Duration::from_millis(25)));
    env.set_restart_strategy(RestartStrategy::FixedDelay {
        attempts: 3,
        delay: Duration::from_millis(10),
    });
    let fail = Arc::new(AtomicBool::new(true));
    env.add_source(
        "paced",
        PacedSplitSource::new(COUNT, 5, 1),
        WatermarkStrategy::no_watermarks(),
    )
    .add_sink(
        "fails-once",
        FailingPreCommit {
            inner: TxnSink::new(&store),
            fail_at_checkpoint: fail.clone(),
        },
    );
    let handle = env.job_handle();
    env.execute().unwrap();
    assert!(
        !fail.load(Ordering::SeqCst),
        "the pre-commit failure was injected"
    );
    assert_eq!(
        handle.progress().restarts,
        1,
        "the failed pre-commit failed the job once"
    );
    let mut got = store.lock().unwrap().committed.clone();
    got.sort_unstable();
    assert_eq!(got, (0..COUNT).collect::<Vec<_>>());
}
