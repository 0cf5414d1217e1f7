//! End-to-end behaviour of stateless operators, partitioning, side outputs, bounded completion,
//! failures and backpressure.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use spate_engine::source::{SequenceSource, SourceContext};
use spate_engine::window::{CountTrigger, WindowAssigner};
use spate_engine::{
    EngineError, FnSink, MAX_WATERMARK, OutputTag, ProcessContext, Record, Source, SourceBatch, SourceStatus,
    StreamEnvironment, WatermarkStrategy,
};

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v
}

#[test]
fn map_filter_flat_map_at_several_parallelisms() {
    let expected: Vec<u64> = sorted(
        (0..10_000u64)
            .filter(|v| v % 3 != 0)
            .flat_map(|v| [v * 2, v * 2 + 1])
            .collect(),
    );
    for p in [1, 2, 4] {
        let env = StreamEnvironment::new();
        env.set_parallelism(p).set_batch_size(100);
        let out = env
            .from_sequence(0, 10_000)
            .filter(|v| v % 3 != 0)
            .flat_map(|v| [v * 2, v * 2 + 1])
            .collect();
        let result = env.execute().unwrap();
        assert_eq!(sorted(out.values()), expected, "p={p}");
        let flat: u64 = result.operator("flat_map").iter().map(|r| r.records_out).sum();
        assert_eq!(flat, expected.len() as u64);
    }
}

/// `map_batches` sees whole batches (never more than the batch size) and emits what it appends,
/// with the timestamps it gives.
#[test]
fn map_batches_replaces_each_batch_with_what_it_appends() {
    let env = StreamEnvironment::new();
    env.set_parallelism(1).set_batch_size(100);
    let largest = Arc::new(AtomicU64::new(0));
    let seen = Arc::clone(&largest);
    let out = env
        .from_sequence(0, 1000)
        .map_batches(
            move |batch: &mut Vec<Record<u64>>, out: &mut Vec<Record<(u64, u64)>>| {
                seen.fetch_max(batch.len() as u64, Ordering::Relaxed);
                let size = batch.len() as u64;
                out.extend(batch.drain(..).filter(|r| r.value % 2 == 0).map(|r| Record {
                    timestamp: r.timestamp,
                    value: (r.value, size),
                }));
            },
        )
        .collect();
    env.execute().unwrap();
    let values = out.values();
    assert_eq!(
        sorted(values.iter().map(|(v, _)| *v).collect()),
        (0..1000u64).filter(|v| v % 2 == 0).collect::<Vec<_>>()
    );
    let largest = largest.load(Ordering::Relaxed);
    assert!(largest > 1 && largest <= 100, "batches of {largest}");
    assert!(values.iter().all(|(_, size)| *size <= 100));
}

#[test]
fn rebalance_changes_parallelism_and_broadcast_copies() {
    let env = StreamEnvironment::new();
    env.set_parallelism(1);
    let src = env.from_sequence(0, 1000);
    let rebalanced = src
        .clone()
        .rebalance()
        .map(|v| v + 1)
        .set_parallelism(3)
        .collect();
    let broadcast = src.broadcast().map(|v| v).set_parallelism(3).collect();
    let result = env.execute().unwrap();
    assert_eq!(sorted(rebalanced.values()), (1..=1000).collect::<Vec<_>>());
    let mut expected: Vec<u64> = (0..1000).flat_map(|v| [v, v, v]).collect();
    expected.sort();
    assert_eq!(sorted(broadcast.values()), expected);
    assert_eq!(result.operator("map").len(), 6, "two maps of three subtasks each");
}

#[test]
fn union_merges_streams_and_watermarks() {
    let env = StreamEnvironment::new();
    env.set_parallelism(2);
    let a = env.from_sequence(0, 500);
    let b = env.from_sequence(500, 800).map(|v| v);
    let out = a.union(&[b]).collect();
    let result = env.execute().unwrap();
    assert_eq!(sorted(out.values()), (0..800).collect::<Vec<_>>());
    assert!(
        result
            .operator("union")
            .iter()
            .all(|r| r.watermark == MAX_WATERMARK)
    );
}

#[test]
fn process_function_side_outputs() {
    let odd = OutputTag::<String>::new("odd");
    let env = StreamEnvironment::new();
    env.set_parallelism(3);
    let odd_in = odd.clone();
    let main = env
        .from_sequence(0, 100)
        .process(move |v: u64, ctx: &mut ProcessContext<'_, u64>| {
            if v.is_multiple_of(2) {
                ctx.collect(v);
            } else {
                ctx.output(&odd_in, format!("odd-{v}"));
            }
        });
    let evens = main.collect();
    let odds = main.side_output(&odd).map(|s| s.len()).collect();
    env.execute().unwrap();
    assert_eq!(sorted(evens.values()), (0..100).step_by(2).collect::<Vec<_>>());
    let expected: Vec<usize> = sorted((1..100).step_by(2).map(|v| format!("odd-{v}").len()).collect());
    assert_eq!(sorted(odds.values()), expected);
}

#[test]
fn rolling_reduce_per_key() {
    for p in [1, 4] {
        let env = StreamEnvironment::new();
        env.set_parallelism(p).set_batch_size(7);
        let out = env
            .from_collection((0..200u64).map(|v| (v % 5, v)).collect())
            .key_by(|t: &(u64, u64)| t.0)
            .reduce(|a, b| (a.0, a.1 + b.1))
            .collect();
        env.execute().unwrap();
        let values = out.values();
        assert_eq!(values.len(), 200);
        for k in 0..5u64 {
            let mine: Vec<u64> = values.iter().filter(|t| t.0 == k).map(|t| t.1).collect();
            let total: u64 = (0..200).filter(|v| v % 5 == k).sum();
            assert_eq!(mine.len(), 40);
            // Running sums of one key arrive in order (one subtask, one channel).
            assert!(mine.windows(2).all(|w| w[0] < w[1]), "key {k} at p={p}: {mine:?}");
            assert_eq!(mine.last(), Some(&total));
        }
    }
}

#[test]
fn bounded_job_fires_every_window_and_reports_final_watermark() {
    let env = StreamEnvironment::new();
    env.set_parallelism(2);
    let strategy = WatermarkStrategy::bounded_out_of_orderness(Duration::from_secs(3600))
        .with_timestamp_assigner(|v: &u64, _| *v as i64);
    let counts = env
        .add_source("seq", SequenceSource::new(0, 10_000), strategy)
        .key_by(|v: &u64| v % 7)
        .window(WindowAssigner::tumbling(Duration::from_millis(1000)))
        .count()
        .collect();
    let result = env.execute().unwrap();
    // The watermark never passes any window before the end: only the final +inf fires them.
    let records = counts.records();
    assert_eq!(records.len(), 7 * 10);
    assert_eq!(records.iter().map(|r| r.value.value).sum::<u64>(), 10_000);
    assert!(records.iter().all(|r| r.timestamp == r.value.window.end - 1));
    assert!(
        result
            .operator("window-aggregate")
            .iter()
            .all(|r| r.watermark == MAX_WATERMARK)
    );
}

/// The final watermark of a bounded job fires every window at once; the results go downstream
/// in batches as they are fired, not in one buffer of them all (which doubled in place as it
/// grew and held every result twice while the chained operators converted them).
#[test]
fn windows_fired_together_go_downstream_in_batches() {
    const KEYS: u64 = 50_000;
    for (name, assigner) in [
        ("tumbling", WindowAssigner::tumbling(Duration::from_secs(3600))),
        ("session", WindowAssigner::session(Duration::from_secs(3600))),
    ] {
        let env = StreamEnvironment::new();
        env.set_parallelism(1);
        let strategy = WatermarkStrategy::bounded_out_of_orderness(Duration::from_secs(3600))
            .with_timestamp_assigner(|v: &u64, _| *v as i64);
        let largest = Arc::new(AtomicU64::new(0));
        let total = Arc::new(AtomicU64::new(0));
        let (l, t) = (largest.clone(), total.clone());
        env.add_source("seq", SequenceSource::new(0, KEYS), strategy)
            .key_by(|v: &u64| *v)
            .window(assigner)
            .count()
            .for_each_batch(move |batch: &[Record<_>]| {
                l.fetch_max(batch.len() as u64, Ordering::Relaxed);
                t.fetch_add(batch.len() as u64, Ordering::Relaxed);
            });
        env.execute().unwrap();
        assert_eq!(total.load(Ordering::Relaxed), KEYS, "{name}");
        let largest = largest.load(Ordering::Relaxed);
        assert!(largest <= KEYS / 10, "{name}: a batch of {largest} results");
    }
}

#[test]
fn processing_time_windows_flush_at_end_of_input() {
    let env = StreamEnvironment::new();
    env.set_parallelism(2);
    let out = env
        .from_sequence(0, 5000)
        .key_by(|v: &u64| v % 3)
        .window(WindowAssigner::tumbling(Duration::from_secs(3600)).processing_time())
        .count()
        .collect();
    env.execute().unwrap();
    assert_eq!(out.values().iter().map(|r| r.value).sum::<u64>(), 5000);
}

/// Emits one record per poll, about every 100 µs, until `left` runs out: the task steps (and
/// its operators see the clock tick) between any two records.
#[derive(Clone)]
struct TrickleSource {
    left: u64,
}

impl Source<u64> for TrickleSource {
    fn open(&mut self, _: &SourceContext) -> Result<usize, EngineError> {
        Ok(1)
    }
    fn poll(&mut self, batch: &mut SourceBatch<u64>) -> Result<SourceStatus, EngineError> {
        if self.left == 0 {
            return Ok(SourceStatus::Finished);
        }
        std::thread::sleep(Duration::from_micros(100));
        self.left -= 1;
        batch.push(self.left);
        Ok(SourceStatus::Available)
    }
    fn snapshot_position(&mut self, _: u64) -> Result<Vec<u8>, EngineError> {
        Ok(Vec::new())
    }
    fn restore_positions(&mut self, _: &SourceContext, _: &[Vec<u8>]) -> Result<(), EngineError> {
        Ok(())
    }
}

#[test]
fn a_processing_time_window_fires_once_even_for_records_of_its_last_millisecond() {
    // Records arrive in every millisecond, also in a window's last one after the window fired
    // at that millisecond's first tick: they must not reopen it (one result per window, none
    // lost).
    let env = StreamEnvironment::new();
    let out = env
        .add_source(
            "trickle",
            TrickleSource { left: 3000 },
            WatermarkStrategy::no_watermarks(),
        )
        .key_by(|_: &u64| 0u8)
        .window(WindowAssigner::tumbling(Duration::from_millis(5)).processing_time())
        .count()
        .collect();
    env.execute().unwrap();
    let results = out.values();
    assert_eq!(results.iter().map(|r| r.value).sum::<u64>(), 3000);
    let mut starts: Vec<i64> = results.iter().map(|r| r.window.start).collect();
    starts.sort_unstable();
    let windows = starts.len();
    starts.dedup();
    assert!(
        windows > 20,
        "{windows} windows: the test did not span many boundaries"
    );
    assert_eq!(starts.len(), windows, "a window fired twice");
}

#[test]
fn custom_trigger_on_event_time_windows() {
    // A count trigger on tumbling windows fires every 10 elements and keeps the state: the
    // results are running counts 10, 20, ... per window.
    let env = StreamEnvironment::new();
    let strategy = WatermarkStrategy::monotonic().with_timestamp_assigner(|v: &u64, _| *v as i64);
    let out = env
        .add_source("seq", SequenceSource::new(0, 100), strategy)
        .key_by(|_: &u64| 0u8)
        .window(WindowAssigner::tumbling(Duration::from_millis(50)))
        .trigger(CountTrigger::of(10))
        .count()
        .collect();
    env.execute().unwrap();
    let counts = sorted(out.values().iter().map(|r| (r.window.start, r.value)).collect());
    let expected: Vec<(i64, u64)> = [0i64, 50]
        .iter()
        .flat_map(|s| (1..=5).map(move |i| (*s, i * 10)))
        .collect();
    assert_eq!(counts, expected);
}

#[test]
fn panicking_user_code_fails_the_job() {
    let env = StreamEnvironment::new();
    env.from_sequence(0, 100)
        .map(|v| if v == 42 { panic!("boom at {v}") } else { v })
        .collect();
    match env.execute() {
        Err(EngineError::TaskPanicked { message, .. }) => assert!(message.contains("boom at 42")),
        other => panic!("expected a task failure, got {other:?}"),
    }
}

#[test]
fn invalid_graphs_are_rejected() {
    let env = StreamEnvironment::new();
    env.from_sequence(0, 10)
        .set_parallelism(2)
        .forward()
        .map(|v| v)
        .set_parallelism(3)
        .collect();
    assert!(matches!(env.execute(), Err(EngineError::InvalidGraph(_))));
    let env = StreamEnvironment::new();
    env.set_max_parallelism(4);
    env.from_sequence(0, 10)
        .key_by(|v: &u64| *v)
        .reduce(|a, b| a + b)
        .set_parallelism(8)
        .collect();
    assert!(matches!(env.execute(), Err(EngineError::InvalidConfig(_))));
}

/// A fast unbounded-style source that counts what it emitted.
#[derive(Clone)]
struct CountingSource {
    emitted: Arc<AtomicU64>,
    next: u64,
    end: u64,
}

impl Source<u64> for CountingSource {
    fn open(&mut self, _: &SourceContext) -> Result<usize, EngineError> {
        Ok(1)
    }
    fn poll(&mut self, out: &mut SourceBatch<u64>) -> Result<SourceStatus, EngineError> {
        while out.remaining() > 0 && self.next < self.end {
            out.push(self.next);
            self.next += 1;
        }
        self.emitted.store(self.next, Ordering::SeqCst);
        Ok(if self.next == self.end {
            SourceStatus::Finished
        } else {
            SourceStatus::Available
        })
    }
    fn snapshot_position(&mut self, _: u64) -> Result<Vec<u8>, EngineError> {
        Ok(self.next.to_le_bytes().to_vec())
    }
    fn restore_positions(&mut self, _: &SourceContext, _: &[Vec<u8>]) -> Result<(), EngineError> {
        Ok(())
    }
}

/// The worker threads each operator's records were seen on.
/// The worker threads that ran the source's chain and the chain after a rebalance (at
/// `parallelism`), in a job of parallelism 1 on two workers.
fn threads_of_two_chains(parallelism: usize) -> (Vec<String>, Vec<String>) {
    use std::collections::BTreeSet;
    use std::sync::Mutex;
    type Seen = Arc<Mutex<BTreeSet<String>>>;
    let record_threads = |seen: &Seen| {
        let seen = seen.clone();
        move |v: u64| {
            let name = std::thread::current().name().unwrap_or("?").to_string();
            seen.lock().unwrap().insert(name);
            v
        }
    };
    let env = StreamEnvironment::new();
    env.set_parallelism(1).set_worker_threads(2).set_batch_size(64);
    let (first, second): (Seen, Seen) = Default::default();
    let out = env
        .from_sequence(0, 5000)
        .map(record_threads(&first))
        .rebalance()
        .map(record_threads(&second))
        .set_parallelism(parallelism)
        .collect();
    env.execute().unwrap();
    assert_eq!(sorted(out.values()), (0..5000).collect::<Vec<_>>());
    let names = |s: &Seen| s.lock().unwrap().iter().cloned().collect::<Vec<_>>();
    (names(&first), names(&second))
}

#[test]
fn the_chains_of_a_parallelism_1_job_run_on_different_workers() {
    // The source's chain on one worker, the chain after the exchange on the other: dealt by
    // subtask alone, both were on worker 0 and the second core idled.
    let (first, second) = threads_of_two_chains(1);
    assert_eq!(first, ["spate-worker-0"]);
    assert_eq!(second, ["spate-worker-1"]);
}

#[test]
fn the_subtasks_of_a_parallel_chain_run_on_different_workers() {
    let (first, second) = threads_of_two_chains(2);
    assert_eq!(first, ["spate-worker-0"]);
    assert_eq!(second, ["spate-worker-0", "spate-worker-1"]);
}

#[test]
fn slow_sink_backpressures_the_source() {
    let (batch, capacity) = (16u64, 2u64);
    let emitted = Arc::new(AtomicU64::new(0));
    let consumed = Arc::new(AtomicU64::new(0));
    let max_in_flight = Arc::new(AtomicU64::new(0));
    let env = StreamEnvironment::new();
    env.set_batch_size(batch as usize)
        .set_channel_capacity(capacity as usize)
        .set_worker_threads(2);
    let src = CountingSource {
        emitted: emitted.clone(),
        next: 0,
        end: 4000,
    };
    let (e, c, m) = (emitted.clone(), consumed.clone(), max_in_flight.clone());
    env.add_source("fast", src, WatermarkStrategy::no_watermarks())
        .map(|v| v + 1)
        .rebalance()
        .add_sink(
            "slow",
            FnSink(move |records: &[Record<u64>]| {
                let in_flight = e.load(Ordering::SeqCst) - c.load(Ordering::SeqCst);
                m.fetch_max(in_flight, Ordering::SeqCst);
                std::thread::sleep(Duration::from_micros(300));
                c.fetch_add(records.len() as u64, Ordering::SeqCst);
            }),
        )
        // Sink subtask 0 runs on the second worker, so the source can outrun it.
        .set_parallelism(2);
    let result = env.execute().unwrap();
    assert_eq!(consumed.load(Ordering::SeqCst), 4000);
    // In flight: per sink subtask the channel's batches, one pending batch at the writer and
    // the batch being written; plus the batch the source is filling.
    let bound = (2 * (capacity + 2) + 1) * batch;
    let seen = max_in_flight.load(Ordering::SeqCst);
    assert!(seen <= bound, "{seen} records in flight > bound {bound}");
    // Not asserted: that the source task's backpressured time is positive. The source shares
    // its worker with sink subtask 1, so under load the worker is mostly busy in that sink and
    // the channel has drained by the time the source steps again: the bound above is what
    // shows the source was held back.
    let _ = result;
}
