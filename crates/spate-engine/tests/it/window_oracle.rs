//! Oracle tests: random out-of-order streams through the engine's windows, compared with a
//! brute-force simulation of the window semantics (fire when the watermark passes the window
//! end, re-fire on late elements within the allowed lateness, clean up after it, side-output
//! elements whose windows are all gone), at parallelism 1 and 4.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::time::Duration;

use spate_engine::source::SeededRng;
use spate_engine::window::{
    AggregateFunction, EventTimeTrigger, Trigger, TriggerContext, TriggerResult, WindowAssigner,
    WindowEmitter, WindowResult,
};
use spate_engine::{OutputTag, Record, StreamEnvironment, Timestamp, WatermarkStrategy, Window};

/// (key, id): ids are unique so multisets compare exactly.
type Ev = (u64, u64);

#[derive(Debug, Clone, Copy)]
enum Kind {
    Tumbling { size: i64 },
    Sliding { size: i64, slide: i64 },
    Session { gap: i64 },
}

#[derive(Debug, Clone)]
struct Case {
    records: Vec<Record<Ev>>,
    batch: usize,
    bound: i64,
    lateness: i64,
    kind: Kind,
}

fn random_case(seed: u64, kind: Kind) -> Case {
    let mut rng = SeededRng::new(seed);
    let n = 50 + rng.below(250) as usize;
    let keys = 1 + rng.below(6);
    let jitter = 1 + rng.below(40) as i64;
    let mut records = Vec::with_capacity(n);
    let mut base = 0i64;
    for id in 0..n as u64 {
        base += rng.below(6) as i64;
        let mut ts = (base + rng.below(jitter as u64) as i64 - jitter / 2).max(0);
        if rng.below(20) == 0 {
            ts = (ts - 30 - rng.below(60) as i64).max(0); // very late
        }
        records.push(Record::new(ts, (rng.below(keys), id)));
    }
    let batch = [1usize, 3, 7, 64][rng.below(4) as usize];
    let bound = rng.below(15) as i64;
    let lateness = [0i64, 0, 10, 25][rng.below(4) as usize];
    Case {
        records,
        batch,
        bound,
        lateness,
        kind,
    }
}

/// Count and sum of ids and the sorted ids: enough to identify a window's contents.
#[derive(Clone, Copy)]
struct Contents;

impl AggregateFunction<Ev> for Contents {
    type Acc = Vec<u64>;
    type Out = Vec<u64>;
    fn create(&self) -> Vec<u64> {
        Vec::new()
    }
    fn add(&self, acc: &mut Vec<u64>, v: Ev) {
        acc.push(v.1);
    }
    fn merge(&self, acc: &mut Vec<u64>, other: Vec<u64>) {
        acc.extend(other);
    }
    fn result(&self, acc: &Vec<u64>) -> Vec<u64> {
        let mut v = acc.clone();
        v.sort();
        v
    }
}

type Out = (u64, Window, Vec<u64>);

struct Outcome {
    fired: Vec<Out>,
    late: Vec<u64>,
}

fn assigner(kind: Kind) -> WindowAssigner {
    let ms = |v: i64| Duration::from_millis(v as u64);
    match kind {
        Kind::Tumbling { size } => WindowAssigner::tumbling(ms(size)),
        Kind::Sliding { size, slide } => WindowAssigner::sliding(ms(size), ms(slide)),
        Kind::Session { gap } => WindowAssigner::session(ms(gap)),
    }
}

/// The event-time trigger under another type: the engine runs default event-time windows on a
/// dense fast path and every other trigger on the general window operator; this makes the
/// general operator run the same semantics, so the oracle checks both.
#[derive(Clone, Copy)]
struct GeneralPath;

impl Trigger<Ev> for GeneralPath {
    type State = ();
    fn on_element(
        &mut self,
        v: &Ev,
        ts: Timestamp,
        w: &Window,
        ctx: &mut TriggerContext<'_, ()>,
    ) -> TriggerResult {
        EventTimeTrigger.on_element(v, ts, w, ctx)
    }
    fn on_event_time(&mut self, t: Timestamp, w: &Window, ctx: &mut TriggerContext<'_, ()>) -> TriggerResult {
        <EventTimeTrigger as Trigger<Ev>>::on_event_time(&mut EventTimeTrigger, t, w, ctx)
    }
    fn on_processing_time(
        &mut self,
        t: Timestamp,
        w: &Window,
        ctx: &mut TriggerContext<'_, ()>,
    ) -> TriggerResult {
        <EventTimeTrigger as Trigger<Ev>>::on_processing_time(&mut EventTimeTrigger, t, w, ctx)
    }
    fn on_merge(&mut self, w: &Window, ctx: &mut TriggerContext<'_, ()>) {
        <EventTimeTrigger as Trigger<Ev>>::on_merge(&mut EventTimeTrigger, w, ctx)
    }
}

fn run_engine(case: &Case, parallelism: usize, general_path: bool) -> Outcome {
    let env = StreamEnvironment::new();
    env.set_parallelism(parallelism)
        .set_batch_size(case.batch)
        .set_channel_capacity(2);
    let late_tag = OutputTag::<Ev>::new("late");
    let strategy = WatermarkStrategy::bounded_out_of_orderness(Duration::from_millis(case.bound as u64));
    let windowed = env
        .from_records(case.records.clone(), strategy)
        .key_by(|e: &Ev| e.0)
        .window(assigner(case.kind))
        .allowed_lateness(Duration::from_millis(case.lateness as u64))
        .side_output_late_data(&late_tag);
    let windows = if general_path {
        windowed.trigger(GeneralPath).aggregate(Contents)
    } else {
        windowed.aggregate(Contents)
    };
    let late = windows.side_output(&late_tag).collect();
    let fired = windows.collect();
    env.execute().unwrap();
    let fired = sorted(fired.values());
    let mut late: Vec<u64> = late.values().into_iter().map(|e| e.1).collect();
    late.sort();
    Outcome { fired, late }
}

/// The watermark in force before each batch, as the source emits it.
fn watermarks_before_batches(case: &Case) -> Vec<Timestamp> {
    let mut out = Vec::new();
    let mut wm = i64::MIN;
    let mut max = i64::MIN;
    for chunk in case.records.chunks(case.batch) {
        out.push(wm);
        for r in chunk {
            max = max.max(r.timestamp);
        }
        wm = wm.max(max - case.bound - 1);
    }
    out
}

/// Every window (brute force over all starts) that contains `ts`.
fn time_windows(ts: i64, size: i64, slide: i64) -> Vec<Window> {
    ((ts - size + 1)..=ts)
        .filter(|s| s.rem_euclid(slide) == 0)
        .map(|s| Window::new(s, s + size))
        .collect()
}

#[derive(Debug, Clone)]
struct SimWindow {
    window: Window,
    ids: Vec<u64>,
    timer_pending: bool,
}

fn oracle(case: &Case) -> Outcome {
    let mut fired = Vec::new();
    let mut late = Vec::new();
    let mut state: BTreeMap<u64, Vec<SimWindow>> = BTreeMap::new();
    let l = case.lateness;
    let emit = |key: u64, w: &SimWindow, fired: &mut Vec<Out>| {
        let mut ids = w.ids.clone();
        ids.sort();
        fired.push((key, w.window, ids));
    };
    let advance = |wm: Timestamp, state: &mut BTreeMap<u64, Vec<SimWindow>>, fired: &mut Vec<Out>| {
        for (key, wins) in state.iter_mut() {
            for w in wins.iter_mut() {
                if w.timer_pending && w.window.end - 1 <= wm {
                    w.timer_pending = false;
                    emit(*key, w, fired);
                }
            }
            wins.retain(|w| w.window.end - 1 + l > wm);
        }
    };
    let wms = watermarks_before_batches(case);
    for (b, chunk) in case.records.chunks(case.batch).enumerate() {
        let wm = wms[b];
        advance(wm, &mut state, &mut fired);
        for r in chunk {
            let (key, id) = r.value;
            let ts = r.timestamp;
            let wins = state.entry(key).or_default();
            match case.kind {
                Kind::Tumbling { size } | Kind::Sliding { size, .. } => {
                    let slide = match case.kind {
                        Kind::Sliding { slide, .. } => slide,
                        _ => size,
                    };
                    let mut added = false;
                    for w in time_windows(ts, size, slide) {
                        if w.end - 1 + l <= wm {
                            continue;
                        }
                        added = true;
                        let idx = match wins.iter().position(|s| s.window == w) {
                            Some(i) => i,
                            None => {
                                wins.push(SimWindow {
                                    window: w,
                                    ids: vec![],
                                    timer_pending: false,
                                });
                                wins.len() - 1
                            }
                        };
                        wins[idx].ids.push(id);
                        if w.end - 1 <= wm {
                            emit(key, &wins[idx], &mut fired);
                        } else {
                            wins[idx].timer_pending = true;
                        }
                    }
                    if !added {
                        late.push(id);
                    }
                }
                Kind::Session { gap } => {
                    let nw = Window::new(ts, ts + gap);
                    let mut merged = nw;
                    for s in wins.iter() {
                        if s.window.intersects(&nw) {
                            merged = merged.cover(&s.window);
                        }
                    }
                    if merged.end - 1 + l <= wm {
                        late.push(id);
                        continue;
                    }
                    let mut ids = vec![id];
                    wins.retain(|s| {
                        if s.window.intersects(&nw) {
                            ids.extend(&s.ids);
                            false
                        } else {
                            true
                        }
                    });
                    let mut w = SimWindow {
                        window: merged,
                        ids,
                        timer_pending: false,
                    };
                    if merged.end - 1 <= wm {
                        emit(key, &w, &mut fired);
                    } else {
                        w.timer_pending = true;
                    }
                    wins.push(w);
                }
            }
        }
    }
    advance(i64::MAX, &mut state, &mut fired);
    fired.sort();
    late.sort();
    Outcome { fired, late }
}

fn check(kind_of: impl Fn(&mut SeededRng) -> Kind, seed_base: u64, cases: u64) {
    for seed in seed_base..seed_base + cases {
        let mut rng = SeededRng::new(seed * 7919);
        let case = random_case(seed, kind_of(&mut rng));
        let expected = oracle(&case);
        for (p, general) in [(1, false), (4, false), (1, true), (4, true)] {
            let got = run_engine(&case, p, general);
            assert_eq!(
                got.late, expected.late,
                "late records, seed {seed}, p={p}, general path {general}, {:?}",
                case.kind
            );
            assert_eq!(
                got.fired, expected.fired,
                "window results, seed {seed}, p={p}, general path {general}, case {case:?}"
            );
        }
    }
}

#[test]
fn tumbling_windows_match_oracle() {
    check(random_tumbling, 1000, 40);
}

/// A random tumbling window.
fn random_tumbling(r: &mut SeededRng) -> Kind {
    Kind::Tumbling {
        size: 5 + r.below(40) as i64,
    }
}

/// A random sliding window, its size a multiple of the slide or not (an element then belongs
/// to a varying number of windows).
fn random_sliding(r: &mut SeededRng) -> Kind {
    let slide = 2 + r.below(10) as i64;
    let size = if r.below(2) == 0 {
        slide * (1 + r.below(4) as i64)
    } else {
        slide + 1 + r.below(3 * slide as u64) as i64
    };
    Kind::Sliding { size, slide }
}

#[test]
fn sliding_windows_match_oracle() {
    check(random_sliding, 2000, 40);
}

#[test]
fn session_windows_match_oracle() {
    check(
        |r| Kind::Session {
            gap: 1 + r.below(15) as i64,
        },
        3000,
        40,
    );
}

#[test]
fn count_windows_match_oracle() {
    for seed in 0..30u64 {
        let case = random_case(seed + 4000, Kind::Tumbling { size: 1 });
        let n = 1 + seed % 5;
        let mut per_key: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
        let mut expected = Vec::new();
        for r in &case.records {
            let ids = per_key.entry(r.value.0).or_default();
            ids.push(r.value.1);
            if ids.len() as u64 == n {
                let mut full = std::mem::take(ids);
                full.sort();
                expected.push((r.value.0, full));
            }
        }
        expected.sort();
        for p in [1, 4] {
            let env = StreamEnvironment::new();
            env.set_parallelism(p).set_batch_size(case.batch);
            let out = env
                .from_records(case.records.clone(), WatermarkStrategy::no_watermarks())
                .key_by(|e: &Ev| e.0)
                .count_window(n)
                .aggregate(Contents)
                .collect();
            env.execute().unwrap();
            let mut got: Vec<(u64, Vec<u64>)> = out.values().into_iter().map(|r| (r.key, r.value)).collect();
            got.sort();
            assert_eq!(got, expected, "seed {seed}, n {n}, p {p}");
        }
    }
}

#[test]
fn sliding_count_windows_match_oracle() {
    for seed in 0..30u64 {
        let case = random_case(seed + 5000, Kind::Tumbling { size: 1 });
        let size = 1 + seed % 6;
        let slide = 1 + (seed / 6) % 4;
        let mut per_key: BTreeMap<u64, (Vec<u64>, u64)> = BTreeMap::new();
        let mut expected = Vec::new();
        for r in &case.records {
            let (ids, seen) = per_key.entry(r.value.0).or_default();
            ids.push(r.value.1);
            *seen += 1;
            if *seen % slide == 0 {
                let from = ids.len().saturating_sub(size as usize);
                // Arrival order per key is preserved, so the window is the last `size` in order.
                expected.push((r.value.0, ids[from..].to_vec()));
            }
        }
        expected.sort();
        for p in [1, 4] {
            let env = StreamEnvironment::new();
            env.set_parallelism(p).set_batch_size(case.batch);
            let out = env
                .from_records(case.records.clone(), WatermarkStrategy::no_watermarks())
                .key_by(|e: &Ev| e.0)
                .count_window_sliding(size, slide)
                .process(
                    |k: &u64, w: &Window, elements: &[Ev], out: &mut Vec<(u64, Vec<u64>)>| {
                        assert!(w.is_global());
                        out.push((*k, elements.iter().map(|e| e.1).collect()));
                    },
                )
                .collect();
            env.execute().unwrap();
            let mut got = out.values();
            got.sort();
            assert_eq!(got, expected, "seed {seed}, size {size}, slide {slide}, p {p}");
        }
        let env = StreamEnvironment::new();
        let counts = env
            .from_records(case.records.clone(), WatermarkStrategy::no_watermarks())
            .key_by(|e: &Ev| e.0)
            .count_window_sliding(size, slide)
            .count()
            .collect();
        env.execute().unwrap();
        let mut got: Vec<(u64, u64)> = counts.values().into_iter().map(|r| (r.key, r.value)).collect();
        got.sort();
        let mut want: Vec<(u64, u64)> = expected.iter().map(|(k, v)| (*k, v.len() as u64)).collect();
        want.sort();
        assert_eq!(got, want, "seed {seed}: count aggregates the same windows");
    }
}

/// Thousands of keys that each appear in one window only: the dense path forgets keys whose
/// windows closed (key-id compaction) and must still count every (key, window) exactly.
#[test]
fn many_short_lived_keys_match_brute_force_on_both_paths() {
    let mut rng = SeededRng::new(77);
    let records: Vec<Record<Ev>> = (0..20_000u64)
        .map(|i| {
            let ts = (i / 4) as i64 + rng.below(3) as i64;
            Record::new(ts, (i / 8 + rng.below(2), i))
        })
        .collect();
    let mut expected: BTreeMap<(u64, Window), u64> = BTreeMap::new();
    for r in &records {
        let start = r.timestamp - r.timestamp.rem_euclid(10);
        *expected
            .entry((r.value.0, Window::new(start, start + 10)))
            .or_default() += 1;
    }
    let expected: Vec<(u64, Window, u64)> = expected.into_iter().map(|((k, w), c)| (k, w, c)).collect();
    for general in [false, true] {
        let env = StreamEnvironment::new();
        let windowed = env
            .from_records(
                records.clone(),
                WatermarkStrategy::bounded_out_of_orderness(Duration::from_millis(3)),
            )
            .key_by(|e: &Ev| e.0)
            .window(WindowAssigner::tumbling(Duration::from_millis(10)));
        let out = if general {
            windowed.trigger(GeneralPath).count()
        } else {
            windowed.count()
        }
        .collect();
        env.execute().unwrap();
        let mut got: Vec<(u64, Window, u64)> = out
            .values()
            .into_iter()
            .map(|r| (r.key, r.window, r.value))
            .collect();
        got.sort();
        assert_eq!(got, expected, "general path {general}");
    }
}

/// The case through `pre_aggregate()` (local-global aggregation; no side output for late
/// data, which it does not support): the fired results.
fn run_pre_aggregated(case: &Case, parallelism: usize) -> Vec<Out> {
    let env = StreamEnvironment::new();
    env.set_parallelism(parallelism)
        .set_batch_size(case.batch)
        .set_channel_capacity(2);
    let strategy = WatermarkStrategy::bounded_out_of_orderness(Duration::from_millis(case.bound as u64));
    let fired = env
        .from_records(case.records.clone(), strategy)
        .key_by(|e: &Ev| e.0)
        .window(assigner(case.kind))
        .allowed_lateness(Duration::from_millis(case.lateness as u64))
        .pre_aggregate()
        .aggregate(Contents)
        .collect();
    env.execute().unwrap();
    sorted(fired.values())
}

/// Window results as sorted (key, window, ids).
fn sorted(results: Vec<WindowResult<u64, Vec<u64>>>) -> Vec<Out> {
    let mut fired: Vec<Out> = results.into_iter().map(|r| (r.key, r.window, r.value)).collect();
    fired.sort();
    fired
}

/// Each (key, window)'s last result: the one with every element it took.
fn final_results(fired: &[Out]) -> BTreeMap<(u64, Window), Vec<u64>> {
    let mut m: BTreeMap<(u64, Window), Vec<u64>> = BTreeMap::new();
    for (k, w, ids) in fired {
        let e = m.entry((*k, *w)).or_default();
        if ids.len() >= e.len() {
            *e = ids.clone();
        }
    }
    m
}

/// Local-global aggregation gives the one-phase results: every firing when late elements are
/// dropped; with an allowed lateness, the same final result per window (late elements of one
/// key and pane in one batch re-fire their windows once, not once each).
fn check_pre_aggregated(kind_of: impl Fn(&mut SeededRng) -> Kind, seed_base: u64, cases: u64) {
    for seed in seed_base..seed_base + cases {
        let mut rng = SeededRng::new(seed * 7919);
        let case = random_case(seed, kind_of(&mut rng));
        let expected = oracle(&case);
        for p in [1, 3] {
            let got = run_pre_aggregated(&case, p);
            if case.lateness == 0 {
                assert_eq!(got, expected.fired, "seed {seed}, p={p}, case {case:?}");
            } else {
                assert_eq!(
                    final_results(&got),
                    final_results(&expected.fired),
                    "seed {seed}, p={p}, case {case:?}"
                );
            }
        }
    }
}

#[test]
fn pre_aggregated_tumbling_windows_match_oracle() {
    check_pre_aggregated(random_tumbling, 5000, 40);
}

#[test]
fn pre_aggregated_sliding_windows_match_oracle() {
    check_pre_aggregated(random_sliding, 6000, 40);
}

/// The case through `aggregate_with` (the output record made as the window fires), or with
/// `into` through `aggregate_into` (the record emitted by `f` itself), on the dense, session,
/// general and pre-aggregated paths: the records `f` makes are the oracle's window results.
fn run_aggregate_with(case: &Case, parallelism: usize, path: &str, into: bool) -> Vec<Out> {
    let env = StreamEnvironment::new();
    env.set_parallelism(parallelism)
        .set_batch_size(case.batch)
        .set_channel_capacity(2);
    let strategy = WatermarkStrategy::bounded_out_of_orderness(Duration::from_millis(case.bound as u64));
    let windowed = env
        .from_records(case.records.clone(), strategy)
        .key_by(|e: &Ev| e.0)
        .window(assigner(case.kind))
        .allowed_lateness(Duration::from_millis(case.lateness as u64));
    let make = |k: &u64, w: &Window, ids: Vec<u64>| (*k, *w, ids);
    let emit = move |k: &u64, w: &Window, ids: Vec<u64>, out: &mut WindowEmitter<'_, Out>| {
        // Every record of a window carries its max timestamp, as `aggregate_with`'s do.
        assert_eq!(out.timestamp(), w.max_timestamp());
        out.emit(make(k, w, ids));
    };
    let fired = match (path, into) {
        ("general", false) => windowed.trigger(GeneralPath).aggregate_with(Contents, make),
        ("general", true) => windowed.trigger(GeneralPath).aggregate_into(Contents, emit),
        ("pre-aggregated", false) => windowed.pre_aggregate().aggregate_with(Contents, make),
        ("pre-aggregated", true) => windowed.pre_aggregate().aggregate_into(Contents, emit),
        (_, false) => windowed.aggregate_with(Contents, make),
        (_, true) => windowed.aggregate_into(Contents, emit),
    }
    .collect();
    env.execute().unwrap();
    let mut fired = fired.values();
    fired.sort();
    fired
}

/// Draws a random window kind.
type KindOf = fn(&mut SeededRng) -> Kind;

#[test]
fn aggregate_with_makes_the_oracles_results_on_every_path() {
    let kinds: [(&str, KindOf); 3] = [
        ("tumbling", random_tumbling),
        ("sliding", random_sliding),
        ("session", |r| Kind::Session {
            gap: 1 + r.below(15) as i64,
        }),
    ];
    for (name, kind_of) in kinds {
        for seed in 7000..7012 {
            let mut rng = SeededRng::new(seed * 7919);
            let case = random_case(seed, kind_of(&mut rng));
            let expected = oracle(&case);
            for (p, path) in [
                (1, "fast"),
                (3, "fast"),
                (2, "general"),
                (1, "pre-aggregated"),
                (3, "pre-aggregated"),
            ] {
                let got = run_aggregate_with(&case, p, path, false);
                assert_eq!(
                    run_aggregate_with(&case, p, path, true),
                    got,
                    "aggregate_into: {name} seed {seed}, p={p}, {path}"
                );
                // Pre-aggregation re-fires a window once per batch of late elements, not once
                // per element (see `check_pre_aggregated`): its final results are compared.
                if path == "pre-aggregated" && case.lateness > 0 {
                    assert_eq!(
                        final_results(&got),
                        final_results(&expected.fired),
                        "{name} seed {seed}, p={p}, {path}"
                    );
                } else {
                    assert_eq!(got, expected.fired, "{name} seed {seed}, p={p}, {path}");
                }
            }
        }
    }
}
