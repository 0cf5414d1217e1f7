//! Checkpoints of the stateful operators beyond dense windows: event-time sessions, count
//! windows with a purging trigger, rolling reduce, sliding count windows and broadcast state.
//! Each job is failed once mid-stream and restarted from its latest checkpoint; the committed
//! output of a two-phase-commit sink must equal a brute-force recomputation exactly. Sessions
//! are also stopped with a savepoint at parallelism 2 and resumed at parallelism 3.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{PacedSplitSource, SharedStore, TxnSink, fail_once_at, run_with_one_failure};
use spate_engine::broadcast::{BroadcastProcessFunction, BroadcastStateDescriptor, BroadcastStates};
use spate_engine::window::{CountTrigger, PurgingTrigger, WindowAssigner};
use spate_engine::{ProcessContext, StreamEnvironment, WatermarkStrategy};

const COUNT: u64 = 12_000;
/// The paced source's splits; keying by split keeps each key's elements in source order.
const SPLITS: u64 = 6;
const SESSION_KEYS: u64 = 7;
const SESSION_GAP: i64 = 50;

fn source(env: &StreamEnvironment, splits: u64) -> spate_engine::DataStream<u64> {
    let strategy = WatermarkStrategy::bounded_out_of_orderness(Duration::from_millis(20));
    env.add_source("events", PacedSplitSource::new(COUNT, 40, splits), strategy)
        .uid("events")
}

/// Session input: every third block of 500 ms is silent, so keys have several sessions. A
/// key's timestamps are 7 ms apart, never exactly the gap, so merging never depends on timing.
fn in_session_input(v: &u64) -> bool {
    (v / 500) % 3 != 2
}

/// (key, session start, session end, count).
type Session = (u64, i64, i64, u64);

fn expected_sessions() -> Vec<Session> {
    let mut per_key: BTreeMap<u64, Vec<i64>> = BTreeMap::new();
    for v in (0..COUNT).filter(in_session_input) {
        per_key.entry(v % SESSION_KEYS).or_default().push(v as i64);
    }
    let mut out = Vec::new();
    for (key, ts) in per_key {
        let (mut start, mut end, mut n) = (ts[0], ts[0] + SESSION_GAP, 0);
        for t in ts {
            if t > end {
                out.push((key, start, end, n));
                (start, n) = (t, 0);
            }
            end = end.max(t + SESSION_GAP);
            n += 1;
        }
        out.push((key, start, end, n));
    }
    out.sort();
    out
}

fn build_sessions(env: &StreamEnvironment, store: &SharedStore<Session>, fail_at: Option<u64>) {
    let fail = fail_once_at(fail_at.unwrap_or(u64::MAX));
    source(env, SPLITS)
        .filter(in_session_input)
        .map(fail)
        .key_by(|v: &u64| v % SESSION_KEYS)
        .window(WindowAssigner::session(Duration::from_millis(SESSION_GAP as u64)))
        .count()
        .uid("sessions")
        .map(|r| (r.key, r.window.start, r.window.end, r.value))
        .add_sink("txn-sink", TxnSink::new(store))
        .uid("sink");
}

#[test]
fn event_time_sessions_are_exactly_once_across_a_failure() {
    let got = run_with_one_failure(|env, store| build_sessions(env, store, Some(COUNT / 2)));
    assert_eq!(got, expected_sessions());
}

#[test]
fn sessions_resume_from_a_savepoint_at_another_parallelism() {
    let dir = tempfile::tempdir().unwrap();
    let store = common::store::<Session>();
    let env = StreamEnvironment::new();
    env.set_parallelism(2);
    build_sessions(&env, &store, None);
    let handle = env.job_handle();
    let target = dir.path().to_path_buf();
    let stopper = std::thread::spawn(move || {
        while handle.progress().records_in < COUNT / 3 {
            std::thread::sleep(Duration::from_millis(5));
        }
        handle.stop_with_savepoint(&target)
    });
    env.execute().unwrap();
    let savepoint = stopper.join().unwrap().unwrap();
    let partial = store.lock().unwrap().committed.len();
    assert!(
        partial < expected_sessions().len(),
        "the job stopped early ({partial} sessions)"
    );

    let env = StreamEnvironment::new();
    env.set_parallelism(3);
    env.restore_from(&savepoint);
    build_sessions(&env, &store, None);
    env.execute().unwrap();
    let mut got = store.lock().unwrap().committed.clone();
    got.sort();
    assert_eq!(got, expected_sessions());
}

/// Each key's elements (key = split), in source order.
fn per_split() -> BTreeMap<u64, Vec<u64>> {
    let mut m: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    for v in 0..COUNT {
        m.entry(v % SPLITS).or_default().push(v);
    }
    m
}

#[test]
fn count_windows_with_a_purging_trigger_are_exactly_once_across_a_failure() {
    const SIZE: usize = 5;
    let got = run_with_one_failure(|env, store| {
        source(env, SPLITS)
            .map(fail_once_at(COUNT / 2))
            .key_by(|v: &u64| v % SPLITS)
            .window(WindowAssigner::global())
            .trigger(PurgingTrigger(CountTrigger::of(SIZE as u64)))
            .reduce(|a, b| a + b)
            .map(|r| (r.key, r.value))
            .add_sink("txn-sink", TxnSink::new(store));
    });
    let mut expected: Vec<(u64, u64)> = per_split()
        .into_iter()
        .flat_map(|(k, vs)| {
            vs.chunks_exact(SIZE)
                .map(|c| (k, c.iter().sum()))
                .collect::<Vec<_>>()
        })
        .collect();
    expected.sort();
    assert_eq!(got, expected);
}

#[test]
fn rolling_reduce_is_exactly_once_across_a_failure() {
    let got = run_with_one_failure(|env, store| {
        source(env, SPLITS)
            .map(fail_once_at(COUNT / 2))
            .map(|v| (v % SPLITS, v))
            .key_by(|e: &(u64, u64)| e.0)
            .reduce(|a, b| (a.0, a.1 + b.1))
            .add_sink("txn-sink", TxnSink::new(store));
    });
    let mut expected: Vec<(u64, u64)> = per_split()
        .into_iter()
        .flat_map(|(k, vs)| {
            vs.iter()
                .scan(0, |sum, v| {
                    *sum += v;
                    Some((k, *sum))
                })
                .collect::<Vec<_>>()
        })
        .collect();
    expected.sort();
    assert_eq!(got, expected);
}

#[test]
fn sliding_count_windows_are_exactly_once_across_a_failure() {
    const SIZE: usize = 4;
    const SLIDE: usize = 3;
    let got = run_with_one_failure(|env, store| {
        source(env, SPLITS)
            .map(fail_once_at(COUNT / 2))
            .key_by(|v: &u64| v % SPLITS)
            .count_window_sliding(SIZE as u64, SLIDE as u64)
            .reduce(|a, b| a + b)
            .map(|r| (r.key, r.value))
            .add_sink("txn-sink", TxnSink::new(store));
    });
    let mut expected: Vec<(u64, u64)> = per_split()
        .into_iter()
        .flat_map(|(k, vs)| {
            (1..=vs.len())
                .filter(|n| n % SLIDE == 0)
                .map(|n| (k, vs[n.saturating_sub(SIZE)..n].iter().sum()))
                .collect::<Vec<_>>()
        })
        .collect();
    expected.sort();
    assert_eq!(got, expected);
}

/// Counts broadcast elements per residue mod 5 in broadcast state and reports, for each, the
/// residue's count so far and the map's size: wrong restored state shows in the output.
#[derive(Clone)]
struct ResidueCounts {
    seen: BroadcastStateDescriptor<u64, u64>,
}

impl BroadcastProcessFunction<u64, u64, (u64, u64, usize)> for ResidueCounts {
    fn process_element(
        &mut self,
        _: u64,
        _: &BroadcastStates,
        _: &mut ProcessContext<'_, (u64, u64, usize)>,
    ) {
    }
    fn process_broadcast_element(
        &mut self,
        v: u64,
        state: &mut BroadcastStates,
        ctx: &mut ProcessContext<'_, (u64, u64, usize)>,
    ) {
        let seen = state.get_mut(&self.seen);
        let n = seen.entry(v % 5).or_default();
        *n += 1;
        let n = *n;
        ctx.collect((v, n, seen.len()));
    }
}

#[test]
fn broadcast_state_is_exactly_once_across_a_failure() {
    const PARALLELISM: usize = 2;
    let got = run_with_one_failure(|env, store| {
        // One split at parallelism 1: every subtask sees the broadcast elements in one order.
        let rules = source(env, 1)
            .set_parallelism(1)
            .map(fail_once_at(COUNT / 2))
            .set_parallelism(1);
        env.from_sequence(0, 10)
            .connect_broadcast(&rules)
            .process(ResidueCounts {
                seen: BroadcastStateDescriptor::new("seen"),
            })
            .uid("residues")
            .add_sink("txn-sink", TxnSink::new(store));
    });
    let mut expected = Vec::new();
    for v in 0..COUNT {
        let entry = (v, v / 5 + 1, (v + 1).min(5) as usize);
        expected.extend(std::iter::repeat_n(entry, PARALLELISM));
    }
    expected.sort();
    assert_eq!(got, expected);
}
