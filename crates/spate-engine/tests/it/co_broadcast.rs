//! Keyed co-process functions, broadcast state, and timers at the end of bounded input.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::time::Instant;

use spate_engine::broadcast::{
    BroadcastProcessFunction, BroadcastStateDescriptor, BroadcastStates, KeyedBroadcastProcessFunction,
};
use spate_engine::keyed_co_process::KeyedCoProcessFunction;
use spate_engine::keyed_process::{KeyedContext, KeyedProcessFunction, TimeDomain};
use spate_engine::source::SeededRng;
use spate_engine::state::{ListState, StateRegistry, ValueState};
use spate_engine::{ProcessContext, Record, StreamEnvironment, Timestamp, WatermarkStrategy};

/// Orders add to a key's balance, payments (keyed by their second field) subtract; both inputs
/// share the key's state, and one event-time timer per key reports the final balance.
#[derive(Clone, Default)]
struct Ledger {
    balance: Option<ValueState<i64>>,
    counts: Option<ValueState<(u64, u64)>>,
}

type Report = (u64, i64, u64, u64, Timestamp);

impl KeyedCoProcessFunction<u64, (u64, i64), (i64, u64), Report> for Ledger {
    fn open(&mut self, s: &mut StateRegistry<'_, u64>) {
        self.balance = Some(s.value("balance"));
        self.counts = Some(s.value("counts"));
    }
    fn process_element1(&mut self, (_, amount): (u64, i64), ctx: &mut KeyedContext<'_, u64, Report>) {
        let (balance, counts) = (self.balance.as_ref().unwrap(), self.counts.as_ref().unwrap());
        let b = balance.get(ctx).copied().unwrap_or(0);
        balance.update(ctx, b + amount);
        let (o, p) = counts.get(ctx).copied().unwrap_or((0, 0));
        counts.update(ctx, (o + 1, p));
        ctx.register_event_time_timer(1_000);
    }
    fn process_element2(&mut self, (amount, _): (i64, u64), ctx: &mut KeyedContext<'_, u64, Report>) {
        let (balance, counts) = (self.balance.as_ref().unwrap(), self.counts.as_ref().unwrap());
        let b = balance.get(ctx).copied().unwrap_or(0);
        balance.update(ctx, b - amount);
        let (o, p) = counts.get(ctx).copied().unwrap_or((0, 0));
        counts.update(ctx, (o, p + 1));
        ctx.register_event_time_timer(1_000);
    }
    fn on_timer(&mut self, time: Timestamp, domain: TimeDomain, ctx: &mut KeyedContext<'_, u64, Report>) {
        assert_eq!(domain, TimeDomain::EventTime);
        let key = *ctx.key();
        let b = self.balance.as_ref().unwrap().get(ctx).copied().unwrap_or(0);
        let (o, p) = self.counts.as_ref().unwrap().get(ctx).copied().unwrap_or((0, 0));
        ctx.collect((key, b, o, p, time));
    }
}

#[test]
fn keyed_co_process_shares_keyed_state_and_timers_across_both_inputs() {
    let mut rng = SeededRng::new(42);
    let orders: Vec<Record<(u64, i64)>> = (0..400)
        .map(|i| Record::new(i % 900, (rng.below(13), rng.below(100) as i64)))
        .collect();
    let payments: Vec<Record<(i64, u64)>> = (0..300)
        .map(|i| Record::new(i % 900, (rng.below(50) as i64, rng.below(13))))
        .collect();
    let mut expected: BTreeMap<u64, (i64, u64, u64)> = BTreeMap::new();
    for r in &orders {
        let e = expected.entry(r.value.0).or_default();
        e.0 += r.value.1;
        e.1 += 1;
    }
    for r in &payments {
        let e = expected.entry(r.value.1).or_default();
        e.0 -= r.value.0;
        e.2 += 1;
    }
    let expected: Vec<Report> = expected
        .into_iter()
        .map(|(k, (b, o, p))| (k, b, o, p, 1_000))
        .collect();
    for parallelism in [1, 4] {
        let env = StreamEnvironment::new();
        env.set_parallelism(parallelism);
        let a = env.from_records(orders.clone(), WatermarkStrategy::monotonic());
        let b = env.from_records(payments.clone(), WatermarkStrategy::monotonic());
        let out = a
            .key_by(|o: &(u64, i64)| o.0)
            .connect(&b.key_by(|p: &(i64, u64)| p.1))
            .process(Ledger::default())
            .collect();
        env.execute().unwrap();
        let mut got = out.values();
        got.sort();
        assert_eq!(
            got, expected,
            "one report per key with both inputs' effects, p={parallelism}"
        );
    }
}

/// Registers a processing-time timer an hour ahead and one two hours ahead (then deletes the
/// latter); the timer callback tries to register more timers, which end of input ignores.
#[derive(Clone)]
struct FarTimers {
    base: Timestamp,
}

impl KeyedProcessFunction<u64, u64, (u64, Timestamp, bool)> for FarTimers {
    fn process_element(&mut self, _: u64, ctx: &mut KeyedContext<'_, u64, (u64, Timestamp, bool)>) {
        ctx.register_processing_time_timer(self.base + 3_600_000);
        ctx.register_processing_time_timer(self.base + 7_200_000);
        ctx.delete_processing_time_timer(self.base + 7_200_000);
        ctx.register_processing_time_timer(self.base + 1_800_000 + *ctx.key() as i64);
    }
    fn on_timer(
        &mut self,
        time: Timestamp,
        domain: TimeDomain,
        ctx: &mut KeyedContext<'_, u64, (u64, Timestamp, bool)>,
    ) {
        let key = *ctx.key();
        ctx.collect((key, time - self.base, domain == TimeDomain::ProcessingTime));
        ctx.register_processing_time_timer(time + 1);
        ctx.register_event_time_timer(time + 1);
    }
}

#[test]
fn processing_time_timers_fire_at_end_of_bounded_input_in_order_and_quiesce() {
    let base = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let env = StreamEnvironment::new();
    env.set_parallelism(2);
    let out = env
        .from_collection(vec![0u64, 1, 2, 1, 0])
        .key_by(|v: &u64| *v)
        .process(FarTimers { base })
        .collect();
    let started = Instant::now();
    env.execute().unwrap();
    assert!(
        started.elapsed().as_secs() < 60,
        "timers an hour ahead do not hold the job"
    );
    let mut per_key: BTreeMap<u64, Vec<(Timestamp, bool)>> = BTreeMap::new();
    for (k, t, processing) in out.values() {
        per_key.entry(k).or_default().push((t, processing));
    }
    for k in 0..3u64 {
        assert_eq!(
            per_key.get(&k).unwrap(),
            &vec![(1_800_000 + k as i64, true), (3_600_000, true)],
            "key {k}: every live timer once, in timestamp order; deleted and re-registered ones never"
        );
    }
}

/// An event-time timer that re-registers itself one ms later: it keeps firing while the
/// watermark allows, and the final watermark fires the pending one without looping forever.
#[derive(Clone)]
struct Chain;

impl KeyedProcessFunction<u64, u64, Timestamp> for Chain {
    fn process_element(&mut self, _: u64, ctx: &mut KeyedContext<'_, u64, Timestamp>) {
        ctx.register_event_time_timer(5);
    }
    fn on_timer(&mut self, time: Timestamp, _: TimeDomain, ctx: &mut KeyedContext<'_, u64, Timestamp>) {
        ctx.collect(time);
        ctx.register_event_time_timer(time + 1);
    }
}

#[test]
fn final_watermark_quiesces_self_registering_event_time_timers() {
    let env = StreamEnvironment::new();
    let records = (0..=10).map(|t| Record::new(t, 7u64)).collect();
    let out = env
        .from_records(records, WatermarkStrategy::monotonic())
        .key_by(|v: &u64| *v)
        .process(Chain)
        .collect();
    env.execute().unwrap();
    let fired = out.values();
    let last = *fired.last().unwrap();
    assert!(
        (10..=11).contains(&last),
        "stops right after the input's event time: {fired:?}"
    );
    assert_eq!(fired, (5..=last).collect::<Vec<_>>());
}

/// Emits each element when a processing-time timer an hour ahead fires (at the end of input,
/// after the final watermark went by).
#[derive(Clone)]
struct Delay {
    held: Option<ListState<u64>>,
}

impl KeyedProcessFunction<u64, u64, u64> for Delay {
    fn open(&mut self, states: &mut spate_engine::state::StateRegistry<'_, u64>) {
        self.held = Some(states.list("held"));
    }
    fn process_element(&mut self, v: u64, ctx: &mut KeyedContext<'_, u64, u64>) {
        if let Some(held) = &self.held {
            held.add(ctx, v);
        }
        let later = ctx.current_processing_time() + 3_600_000;
        ctx.register_processing_time_timer(later);
    }
    fn on_timer(&mut self, _: Timestamp, _: TimeDomain, ctx: &mut KeyedContext<'_, u64, u64>) {
        for v in self.held.as_ref().map(|h| h.clear(ctx)).unwrap_or_default() {
            ctx.collect(v);
        }
    }
}

/// Records an upstream operator emits from its final processing-time timers arrive after the
/// final watermark; the timers a downstream operator registers for them still fire at the end
/// of input (only timers registered from the final callbacks themselves are ignored).
#[test]
fn processing_time_timers_registered_after_the_final_watermark_fire_at_end_of_input() {
    let env = StreamEnvironment::new();
    env.set_parallelism(1);
    let records = (0..5u64).map(|v| Record::new(v as Timestamp, v)).collect();
    let out = env
        .from_records(records, WatermarkStrategy::monotonic())
        .key_by(|v: &u64| *v % 2)
        .process(Delay { held: None })
        .key_by(|v: &u64| *v % 3)
        .process(Delay { held: None })
        .collect();
    env.execute().unwrap();
    let mut got = out.values();
    got.sort_unstable();
    assert_eq!(got, vec![0, 1, 2, 3, 4]);
}

/// Rules (key -> threshold) arrive on the broadcast side; keyed elements are buffered in keyed
/// state and judged at the end of input by an event-time timer, which reads the (by then
/// complete) broadcast state: the output is deterministic whatever the arrival interleaving.
#[derive(Clone)]
struct Thresholds {
    rules: BroadcastStateDescriptor<u64, u64>,
    rule_count: BroadcastStateDescriptor<String, usize>,
    pending: Option<ListState<u64>>,
}

impl KeyedBroadcastProcessFunction<u64, (u64, u64), (u64, u64), (u64, u64, Option<bool>)> for Thresholds {
    fn open(&mut self, s: &mut StateRegistry<'_, u64>) {
        self.pending = Some(s.list("pending"));
    }
    fn process_element(
        &mut self,
        (_, v): (u64, u64),
        _state: &BroadcastStates,
        ctx: &mut KeyedContext<'_, u64, (u64, u64, Option<bool>)>,
    ) {
        self.pending.as_ref().unwrap().add(ctx, v);
        ctx.register_event_time_timer(Timestamp::MAX - 1);
    }
    fn process_broadcast_element(
        &mut self,
        (key, threshold): (u64, u64),
        state: &mut BroadcastStates,
        ctx: &mut ProcessContext<'_, (u64, u64, Option<bool>)>,
    ) {
        state.get_mut(&self.rules).insert(key, threshold);
        let n = state.get(&self.rules).len();
        *state
            .get_mut(&self.rule_count)
            .entry("rules".to_string())
            .or_default() = n;
        ctx.collect((u64::MAX, key, None));
    }
    fn on_timer(
        &mut self,
        _: Timestamp,
        _: TimeDomain,
        state: &BroadcastStates,
        ctx: &mut KeyedContext<'_, u64, (u64, u64, Option<bool>)>,
    ) {
        let key = *ctx.key();
        let threshold = state.get(&self.rules).get(&key).copied();
        assert_eq!(state.get(&self.rule_count).get(&"rules".to_string()), Some(&3));
        let values = self.pending.as_ref().unwrap().clear(ctx);
        for v in values {
            ctx.collect((key, v, threshold.map(|t| v >= t)));
        }
    }
}

#[test]
fn keyed_broadcast_state_is_written_by_the_broadcast_side_and_read_by_keyed_timers() {
    let rules = vec![(0u64, 10u64), (1, 50), (2, 0)];
    let elements: Vec<Record<(u64, u64)>> = (0..200u64).map(|i| Record::new(i as i64, (i % 4, i))).collect();
    for parallelism in [1, 3] {
        let env = StreamEnvironment::new();
        env.set_parallelism(parallelism);
        let main = env.from_records(elements.clone(), WatermarkStrategy::monotonic());
        let rule_stream = env.from_collection(rules.clone());
        let out = main
            .key_by(|e: &(u64, u64)| e.0)
            .connect_broadcast(&rule_stream)
            .process(Thresholds {
                rules: BroadcastStateDescriptor::new("rules"),
                rule_count: BroadcastStateDescriptor::new("rule-count"),
                pending: None,
            })
            .collect();
        env.execute().unwrap();
        let mut got = out.values();
        got.sort();
        let mut expected: Vec<(u64, u64, Option<bool>)> = elements
            .iter()
            .map(|r| {
                let (k, v) = r.value;
                let t = rules.iter().find(|(rk, _)| *rk == k).map(|(_, t)| *t);
                (k, v, t.map(|t| v >= t))
            })
            .collect();
        // Every subtask receives every rule once.
        for (k, _) in &rules {
            expected.extend(std::iter::repeat_n((u64::MAX, *k, None), parallelism));
        }
        expected.sort();
        assert_eq!(got, expected, "p={parallelism}");
    }
}

/// Non-keyed: passes elements whose value is in the allow-list seen so far; the broadcast side
/// reports the list size it reached, identical on every subtask.
#[derive(Clone)]
struct AllowList {
    allowed: BroadcastStateDescriptor<u64, ()>,
}

impl BroadcastProcessFunction<u64, u64, String> for AllowList {
    fn process_element(&mut self, v: u64, state: &BroadcastStates, ctx: &mut ProcessContext<'_, String>) {
        if state.get(&self.allowed).contains_key(&(v % 10)) {
            ctx.collect(format!("pass-{v}"));
        }
    }
    fn process_broadcast_element(
        &mut self,
        rule: u64,
        state: &mut BroadcastStates,
        ctx: &mut ProcessContext<'_, String>,
    ) {
        state.get_mut(&self.allowed).insert(rule, ());
        ctx.collect(format!("size-{}", state.get(&self.allowed).len()));
    }
}

#[test]
fn broadcast_process_function_sees_the_same_broadcast_state_on_every_subtask() {
    let env = StreamEnvironment::new();
    env.set_parallelism(3);
    let out = env
        .from_sequence(0, 3000)
        .connect_broadcast(&env.from_collection(vec![1u64, 4, 4]))
        .process(AllowList {
            allowed: BroadcastStateDescriptor::new("allowed"),
        })
        .collect();
    env.execute().unwrap();
    let values = out.values();
    let count = |s: &str| values.iter().filter(|v| *v == s).count();
    assert_eq!(
        (count("size-1"), count("size-2")),
        (3, 6),
        "1, then 2, then 2 on each of 3 subtasks"
    );
    let passed: Vec<&String> = values.iter().filter(|v| v.starts_with("pass-")).collect();
    assert!(
        passed.iter().all(|v| v.ends_with('1') || v.ends_with('4')),
        "only allowed values pass"
    );
}
