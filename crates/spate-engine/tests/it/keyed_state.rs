//! Keyed state kinds, timers, connect and broadcast streams.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use spate_engine::connect::CoProcessFunction;
use spate_engine::keyed_process::{KeyedContext, KeyedProcessFunction, TimeDomain};
use spate_engine::source::SeededRng;
use spate_engine::state::{ListState, MapState, ReducingState, StateRegistry, ValueState};
use spate_engine::{
    EngineError, ProcessContext, Record, Source, SourceBatch, SourceContext, SourceStatus, StreamEnvironment,
    Timestamp, WatermarkStrategy,
};

type Sum = fn(u64, u64) -> u64;

/// Exercises every state kind: per key a count (value), all values (list), a histogram of
/// value % 3 (map) and a running max (reducing).
#[derive(Clone, Default)]
struct AllStates {
    count: Option<ValueState<u64>>,
    values: Option<ListState<u64>>,
    histogram: Option<MapState<u64, u64>>,
    max: Option<ReducingState<u64, Sum>>,
}

type Summary = (u64, u64, Vec<u64>, Vec<(u64, u64)>, u64);

impl KeyedProcessFunction<u64, (u64, u64), Summary> for AllStates {
    fn open(&mut self, s: &mut StateRegistry<'_, u64>) {
        self.count = Some(s.value("count"));
        self.values = Some(s.list("values"));
        self.histogram = Some(s.map("histogram"));
        self.max = Some(s.reducing("max", u64::max as Sum));
    }
    fn process_element(&mut self, (key, v): (u64, u64), ctx: &mut KeyedContext<'_, u64, Summary>) {
        let (count, values, histogram, max) = (
            self.count.as_ref().unwrap(),
            self.values.as_ref().unwrap(),
            self.histogram.as_ref().unwrap(),
            self.max.as_ref().unwrap(),
        );
        let c = count.get(ctx).copied().unwrap_or(0) + 1;
        count.update(ctx, c);
        values.add(ctx, v);
        let h = histogram.get(ctx, &(v % 3)).copied().unwrap_or(0);
        histogram.put(ctx, v % 3, h + 1);
        if v % 7 == 0 {
            histogram.remove(ctx, &(v % 3));
        }
        max.add(ctx, v);
        let mut hist: Vec<(u64, u64)> = histogram.entries(ctx).map(|(a, b)| (*a, *b)).collect();
        hist.sort();
        let out = (key, c, values.get(ctx).to_vec(), hist, *max.get(ctx).unwrap());
        ctx.collect(out);
    }
}

#[test]
fn every_state_kind_matches_a_brute_force_model() {
    let mut rng = SeededRng::new(11);
    let input: Vec<(u64, u64)> = (0..600).map(|_| (rng.below(13), rng.below(1000))).collect();
    let mut expected = Vec::new();
    type Model = (u64, Vec<u64>, BTreeMap<u64, u64>, u64);
    let mut model: BTreeMap<u64, Model> = BTreeMap::new();
    for &(k, v) in &input {
        let m = model.entry(k).or_insert((0, vec![], BTreeMap::new(), 0));
        m.0 += 1;
        m.1.push(v);
        *m.2.entry(v % 3).or_insert(0) += 1;
        if v % 7 == 0 {
            m.2.remove(&(v % 3));
        }
        m.3 = m.3.max(v);
        expected.push((
            k,
            m.0,
            m.1.clone(),
            m.2.iter().map(|(a, b)| (*a, *b)).collect(),
            m.3,
        ));
    }
    expected.sort();
    for p in [1, 4] {
        let env = StreamEnvironment::new();
        env.set_parallelism(p).set_batch_size(16);
        let out = env
            .from_collection(input.clone())
            .key_by(|e: &(u64, u64)| e.0)
            .process(AllStates::default())
            .collect();
        env.execute().unwrap();
        let mut got = out.values();
        got.sort();
        assert_eq!(got, expected, "p={p}");
    }
}

/// Registers a timer at ts + 10 per element; elements with value 0 delete their key's timer.
#[derive(Clone)]
struct Timers;

impl KeyedProcessFunction<u64, (u64, u64), (u64, Timestamp)> for Timers {
    fn process_element(&mut self, (_, v): (u64, u64), ctx: &mut KeyedContext<'_, u64, (u64, Timestamp)>) {
        let t = ctx.timestamp() + 10;
        if v == 0 {
            ctx.delete_event_time_timer(t - 1);
        } else {
            ctx.register_event_time_timer(t);
        }
    }
    fn on_timer(
        &mut self,
        time: Timestamp,
        domain: TimeDomain,
        ctx: &mut KeyedContext<'_, u64, (u64, Timestamp)>,
    ) {
        assert_eq!(domain, TimeDomain::EventTime);
        assert!(
            ctx.current_watermark() >= time,
            "fired before the watermark reached it"
        );
        let key = *ctx.key();
        ctx.collect((key, time));
    }
}

#[test]
fn event_time_timers_fire_once_in_order_and_deletes_hold() {
    let mut rng = SeededRng::new(5);
    let mut records = Vec::new();
    for i in 0..400i64 {
        let ts = i * 3 + rng.below(5) as i64;
        records.push(Record::new(ts, (rng.below(4), 1 + rng.below(9))));
        if rng.below(10) == 0 {
            // Deletes the timer at ts + 9 registered by an element at ts - 1 (if any).
            records.push(Record::new(ts, (rng.below(4), 0)));
        }
    }
    let mut expected: Vec<(u64, Timestamp)> = Vec::new();
    for r in &records {
        let (k, v) = r.value;
        if v == 0 {
            expected.retain(|e| *e != (k, r.timestamp + 9));
        } else if !expected.contains(&(k, r.timestamp + 10)) {
            expected.push((k, r.timestamp + 10));
        }
    }
    // (A delete only cancels a timer that has not fired yet: with a 20 ms bound the watermark
    // stays far enough behind for that in this input.)
    expected.sort();
    for p in [1, 3] {
        let env = StreamEnvironment::new();
        env.set_parallelism(p).set_batch_size(8);
        let strategy = WatermarkStrategy::bounded_out_of_orderness(Duration::from_millis(20));
        let out = env
            .from_records(records.clone(), strategy)
            .key_by(|e: &(u64, u64)| e.0)
            .process(Timers)
            .collect();
        env.execute().unwrap();
        let fired = out.values();
        if p == 1 {
            assert!(fired.windows(2).all(|w| w[0].1 <= w[1].1), "timestamp order");
        }
        let mut fired = fired;
        fired.sort();
        assert_eq!(fired, expected, "p={p}");
    }
}

/// Emits a few records, then stays pending for 100 ms before finishing.
#[derive(Clone)]
struct SlowEnd {
    emitted: bool,
    started: Option<Instant>,
}

impl Source<u64> for SlowEnd {
    fn poll(&mut self, out: &mut SourceBatch<u64>) -> Result<SourceStatus, EngineError> {
        let started = *self.started.get_or_insert_with(Instant::now);
        if !self.emitted {
            self.emitted = true;
            (0..3).for_each(|k| out.push(k));
            return Ok(SourceStatus::Available);
        }
        Ok(if started.elapsed() > Duration::from_millis(100) {
            SourceStatus::Finished
        } else {
            SourceStatus::Pending
        })
    }
    fn snapshot_position(&mut self, _: u64) -> Result<Vec<u8>, EngineError> {
        Ok(vec![u8::from(self.emitted)])
    }
    fn restore_positions(&mut self, ctx: &SourceContext, p: &[Vec<u8>]) -> Result<(), EngineError> {
        self.emitted = spate_engine::own_position(ctx, p)?.first() == Some(&1);
        Ok(())
    }
}

#[derive(Clone)]
struct ProcTimer;

impl KeyedProcessFunction<u64, u64, (u64, bool)> for ProcTimer {
    fn process_element(&mut self, _: u64, ctx: &mut KeyedContext<'_, u64, (u64, bool)>) {
        let now = ctx.current_processing_time();
        ctx.register_processing_time_timer(now + 10);
        ctx.register_processing_time_timer(now + 30);
        ctx.delete_processing_time_timer(now + 30);
    }
    fn on_timer(
        &mut self,
        time: Timestamp,
        domain: TimeDomain,
        ctx: &mut KeyedContext<'_, u64, (u64, bool)>,
    ) {
        let key = *ctx.key();
        ctx.collect((
            key,
            domain == TimeDomain::ProcessingTime && ctx.current_processing_time() >= time,
        ));
    }
}

#[test]
fn processing_time_timers_fire_on_the_wall_clock() {
    let env = StreamEnvironment::new();
    let out = env
        .add_source(
            "slow",
            SlowEnd {
                emitted: false,
                started: None,
            },
            WatermarkStrategy::no_watermarks(),
        )
        .key_by(|v: &u64| *v)
        .process(ProcTimer)
        .collect();
    env.execute().unwrap();
    let mut got = out.values();
    got.sort();
    assert_eq!(got, vec![(0, true), (1, true), (2, true)]);
}

/// Main elements pass when their value is in the broadcast allow-list seen so far; broadcast
/// elements are echoed so the test can count how many subtasks received them.
#[derive(Clone, Default)]
struct AllowList {
    allowed: Vec<u64>,
}

impl CoProcessFunction<u64, u64, String> for AllowList {
    fn process_element1(&mut self, v: u64, ctx: &mut ProcessContext<'_, String>) {
        if self.allowed.contains(&(v % 10)) {
            ctx.collect(format!("pass-{v}"));
        }
    }
    fn process_element2(&mut self, rule: u64, ctx: &mut ProcessContext<'_, String>) {
        self.allowed.push(rule);
        ctx.collect(format!("rule-{rule}"));
    }
}

#[test]
fn broadcast_stream_reaches_every_subtask_of_a_connected_operator() {
    let env = StreamEnvironment::new();
    env.set_parallelism(3);
    let main = env.from_sequence(0, 300);
    let rules = env.from_collection(vec![1u64, 4]);
    let out = main
        .connect(&rules.broadcast())
        .process(AllowList::default())
        .collect();
    let result = env.execute().unwrap();
    let values = out.values();
    for rule in [1, 4] {
        assert_eq!(
            values.iter().filter(|v| **v == format!("rule-{rule}")).count(),
            3,
            "one copy per subtask"
        );
    }
    // Which main elements pass depends on arrival order; none may pass that is not allowed.
    assert!(
        values
            .iter()
            .filter(|v| v.starts_with("pass-"))
            .all(|v| v.ends_with('1') || v.ends_with('4'))
    );
    assert_eq!(
        result
            .operator("co-process")
            .iter()
            .map(|r| r.records_in)
            .sum::<u64>(),
        300 + 6
    );
}
