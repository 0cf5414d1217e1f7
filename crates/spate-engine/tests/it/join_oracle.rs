//! Oracle tests for window joins and interval joins: two random out-of-order keyed streams,
//! compared with a brute-force join over all pairs, at parallelism 1 and 4.
//!
//! When every element is on time with respect to its own stream's watermarks, the join must
//! equal the brute force exactly. With late elements the operator sees the minimum of both
//! streams' watermarks, which depends on arrival interleaving; the result must then contain
//! every pair of on-time elements and nothing that is not a true pair.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::time::Duration;

use spate_engine::source::SeededRng;
use spate_engine::window::WindowAssigner;
use spate_engine::{OutputTag, Record, StreamEnvironment, Timestamp, WatermarkStrategy};

/// (key, id): ids are unique across both streams so pairs identify themselves.
type Ev = (u64, u64);

#[derive(Debug, Clone)]
struct Side {
    records: Vec<Record<Ev>>,
    batch: usize,
    bound: i64,
}

fn random_side(rng: &mut SeededRng, keys: u64, first_id: u64, with_late: bool) -> Side {
    let n = 20 + rng.below(150) as usize;
    let jitter = 1 + rng.below(30) as i64;
    let mut records = Vec::with_capacity(n);
    let mut base = 0i64;
    for i in 0..n as u64 {
        base += rng.below(5) as i64;
        let mut ts = (base + rng.below(jitter as u64) as i64 - jitter / 2).max(0);
        if with_late && rng.below(15) == 0 {
            ts = (ts - 30 - rng.below(60) as i64).max(0);
        }
        records.push(Record::new(ts, (rng.below(keys), first_id + i)));
    }
    Side {
        records,
        batch: [1usize, 3, 7, 64][rng.below(4) as usize],
        // Without late data the bound covers the jitter: every element is on time.
        bound: if with_late { rng.below(10) as i64 } else { jitter },
    }
}

/// Ids of the elements that are on time with respect to their own stream's watermark (the
/// watermark in force before each batch, as the source emits it: max ts - bound - 1).
fn on_time_ids(side: &Side) -> Vec<u64> {
    let mut out = Vec::new();
    let mut wm = i64::MIN;
    let mut max = i64::MIN;
    for chunk in side.records.chunks(side.batch) {
        for r in chunk {
            if r.timestamp > wm {
                out.push(r.value.1);
            }
            max = max.max(r.timestamp);
        }
        wm = wm.max(max - side.bound - 1);
    }
    out
}

fn strategy(side: &Side) -> WatermarkStrategy {
    WatermarkStrategy::bounded_out_of_orderness(Duration::from_millis(side.bound as u64))
}

/// Multiset of (left id, right id) pairs, as a sorted vector.
type Pairs = Vec<(u64, u64)>;

fn brute_force(left: &Side, right: &Side, matches: impl Fn(Timestamp, Timestamp) -> usize) -> Pairs {
    let mut out = Vec::new();
    for a in &left.records {
        for b in &right.records {
            if a.value.0 == b.value.0 {
                for _ in 0..matches(a.timestamp, b.timestamp) {
                    out.push((a.value.1, b.value.1));
                }
            }
        }
    }
    out.sort();
    out
}

fn restrict(left: &Side, right: &Side) -> (Side, Side) {
    let (l, r) = (on_time_ids(left), on_time_ids(right));
    let keep = |s: &Side, ids: &[u64]| Side {
        records: s
            .records
            .iter()
            .filter(|r| ids.contains(&r.value.1))
            .cloned()
            .collect(),
        ..s.clone()
    };
    (keep(left, &l), keep(right, &r))
}

/// `sub` is a sub-multiset of `sup` (both sorted).
fn is_sub_multiset(sub: &Pairs, sup: &Pairs) -> bool {
    let mut counts: BTreeMap<(u64, u64), i64> = BTreeMap::new();
    for p in sup {
        *counts.entry(*p).or_default() += 1;
    }
    sub.iter().all(|p| {
        let c = counts.entry(*p).or_default();
        *c -= 1;
        *c >= 0
    })
}

struct Run {
    pairs: Pairs,
    late_left: Vec<u64>,
    late_right: Vec<u64>,
}

fn run_interval(left: &Side, right: &Side, lower: i64, upper: i64, p: usize) -> Run {
    let env = StreamEnvironment::new();
    env.set_parallelism(p).set_channel_capacity(2);
    let a = env
        .from_records(left.records.clone(), strategy(left))
        .set_parallelism(1);
    let b = env.from_records(right.records.clone(), strategy(right));
    let late_a = OutputTag::<Ev>::new("late-left");
    let late_b = OutputTag::<Ev>::new("late-right");
    let joined = a
        .key_by(|e: &Ev| e.0)
        .interval_join(&b.key_by(|e: &Ev| e.0))
        .between(lower, upper)
        .unwrap()
        .side_output_left_late_data(&late_a)
        .side_output_right_late_data(&late_b)
        .process(
            |x: &Ev, y: &Ev, ctx: &mut spate_engine::join::JoinContext<'_, (u64, u64, i64)>| {
                let ts = ctx.left_timestamp().max(ctx.right_timestamp());
                ctx.collect((x.1, y.1, ts));
            },
        );
    let late_left = joined.side_output(&late_a).collect();
    let late_right = joined.side_output(&late_b).collect();
    let out = joined.collect();
    env.execute().unwrap();
    for r in out.records() {
        assert_eq!(r.timestamp, r.value.2, "pairs carry the larger timestamp");
    }
    let mut pairs: Pairs = out.values().into_iter().map(|(x, y, _)| (x, y)).collect();
    pairs.sort();
    let ids = |h: spate_engine::CollectHandle<Ev>| {
        let mut v: Vec<u64> = h.values().into_iter().map(|e| e.1).collect();
        v.sort();
        v
    };
    Run {
        pairs,
        late_left: ids(late_left),
        late_right: ids(late_right),
    }
}

fn random_bounds(rng: &mut SeededRng) -> (i64, i64) {
    let a = rng.below(41) as i64 - 20;
    let b = rng.below(41) as i64 - 20;
    (a.min(b), a.max(b))
}

#[test]
fn interval_join_on_time_matches_brute_force_at_parallelism_1_and_4() {
    for seed in 0..16u64 {
        let mut rng = SeededRng::new(seed + 100);
        let keys = 1 + rng.below(5);
        let left = random_side(&mut rng, keys, 0, false);
        let right = random_side(&mut rng, keys, 1_000_000, false);
        let (lower, upper) = random_bounds(&mut rng);
        let expected = brute_force(&left, &right, |ta, tb| {
            usize::from(tb >= ta + lower && tb <= ta + upper)
        });
        let p1 = run_interval(&left, &right, lower, upper, 1);
        let p4 = run_interval(&left, &right, lower, upper, 4);
        assert!(
            p1.late_left.is_empty() && p1.late_right.is_empty(),
            "seed {seed}: nothing is late"
        );
        assert_eq!(p1.pairs, expected, "seed {seed}, bounds [{lower}, {upper}], p=1");
        assert_eq!(
            p4.pairs, p1.pairs,
            "seed {seed}: parallelism 1 and 4 give the same multiset"
        );
    }
}

#[test]
fn interval_join_with_late_data_keeps_on_time_pairs_and_invents_none() {
    for seed in 0..16u64 {
        let mut rng = SeededRng::new(seed + 500);
        let keys = 1 + rng.below(4);
        let left = random_side(&mut rng, keys, 0, true);
        let right = random_side(&mut rng, keys, 1_000_000, true);
        let (lower, upper) = random_bounds(&mut rng);
        let matches = |ta: i64, tb: i64| usize::from(tb >= ta + lower && tb <= ta + upper);
        let all = brute_force(&left, &right, matches);
        let (l_on, r_on) = restrict(&left, &right);
        let on_time = brute_force(&l_on, &r_on, matches);
        for p in [1, 4] {
            let run = run_interval(&left, &right, lower, upper, p);
            assert!(
                is_sub_multiset(&run.pairs, &all),
                "seed {seed} p={p}: only true pairs, once"
            );
            assert!(
                is_sub_multiset(&on_time, &run.pairs),
                "seed {seed} p={p}: every on-time pair"
            );
            let l_ids = on_time_ids(&left);
            let r_ids = on_time_ids(&right);
            assert!(
                run.late_left.iter().all(|id| !l_ids.contains(id)),
                "seed {seed}: on-time left is never late"
            );
            assert!(
                run.late_right.iter().all(|id| !r_ids.contains(id)),
                "seed {seed}: on-time right is never late"
            );
        }
    }
}

#[test]
fn interval_join_rejects_inverted_bounds_and_honours_exclusive_bounds() {
    let env = StreamEnvironment::new();
    let a = env.from_records(
        vec![Record::new(10, (0u64, 1u64))],
        WatermarkStrategy::monotonic(),
    );
    let b = env.from_records(
        vec![
            Record::new(5, (0u64, 2u64)),
            Record::new(8, (0, 3)),
            Record::new(12, (0, 4)),
            Record::new(15, (0, 5)),
        ],
        WatermarkStrategy::monotonic(),
    );
    let ka = a.key_by(|e: &Ev| e.0);
    let kb = b.key_by(|e: &Ev| e.0);
    assert!(ka.interval_join(&kb).between(3, -3).is_err());
    let out = ka
        .interval_join(&kb)
        .between(-2, 5)
        .unwrap()
        .lower_bound_exclusive()
        .upper_bound_exclusive()
        .process(
            |x: &Ev, y: &Ev, ctx: &mut spate_engine::join::JoinContext<'_, (u64, u64)>| {
                ctx.collect((x.1, y.1))
            },
        )
        .collect();
    env.execute().unwrap();
    // b.ts in (8, 15): only 12.
    assert_eq!(out.values(), vec![(1, 4)]);
}

fn windows_shared(ta: i64, tb: i64, size: i64, slide: i64) -> usize {
    // Window starts are multiples of `slide`; a window [s, s + size) holds both timestamps.
    ((ta.max(tb) - size + 1)..=ta.min(tb))
        .filter(|s| s.rem_euclid(slide) == 0)
        .count()
}

fn run_window_join(left: &Side, right: &Side, size: i64, slide: i64, p: usize) -> Pairs {
    let env = StreamEnvironment::new();
    env.set_parallelism(p).set_channel_capacity(2);
    let a = env.from_records(left.records.clone(), strategy(left));
    let b = env.from_records(right.records.clone(), strategy(right));
    let ms = |v: i64| Duration::from_millis(v as u64);
    let assigner = if size == slide {
        WindowAssigner::tumbling(ms(size))
    } else {
        WindowAssigner::sliding(ms(size), ms(slide))
    };
    let out = a
        .join(&b)
        .where_key(|e: &Ev| e.0)
        .equal_to(|e: &Ev| e.0)
        .window(assigner)
        .apply(|x: &Ev, y: &Ev| (x.1, y.1))
        .collect();
    env.execute().unwrap();
    let mut pairs = out.values();
    pairs.sort();
    pairs
}

fn random_windows(rng: &mut SeededRng) -> (i64, i64) {
    let size = 5 + rng.below(40) as i64;
    if rng.below(2) == 0 {
        (size, size)
    } else {
        let slide = 1 + rng.below(size as u64) as i64;
        (size, slide)
    }
}

#[test]
fn window_join_on_time_matches_brute_force_at_parallelism_1_and_4() {
    for seed in 0..16u64 {
        let mut rng = SeededRng::new(seed + 900);
        let keys = 1 + rng.below(5);
        let left = random_side(&mut rng, keys, 0, false);
        let right = random_side(&mut rng, keys, 1_000_000, false);
        let (size, slide) = random_windows(&mut rng);
        let expected = brute_force(&left, &right, |ta, tb| windows_shared(ta, tb, size, slide));
        let p1 = run_window_join(&left, &right, size, slide, 1);
        let p4 = run_window_join(&left, &right, size, slide, 4);
        assert_eq!(p1, expected, "seed {seed}, size {size}, slide {slide}, p=1");
        assert_eq!(p4, p1, "seed {seed}: parallelism 1 and 4 give the same multiset");
    }
}

#[test]
fn window_join_with_late_data_keeps_on_time_pairs_and_invents_none() {
    for seed in 0..16u64 {
        let mut rng = SeededRng::new(seed + 1300);
        let keys = 1 + rng.below(4);
        let left = random_side(&mut rng, keys, 0, true);
        let right = random_side(&mut rng, keys, 1_000_000, true);
        let (size, slide) = random_windows(&mut rng);
        let shared = |ta, tb| windows_shared(ta, tb, size, slide);
        let all = brute_force(&left, &right, shared);
        let (l_on, r_on) = restrict(&left, &right);
        let on_time = brute_force(&l_on, &r_on, shared);
        for p in [1, 4] {
            let got = run_window_join(&left, &right, size, slide, p);
            assert!(
                is_sub_multiset(&got, &all),
                "seed {seed} p={p}: only true pairs, once per window"
            );
            assert!(
                is_sub_multiset(&on_time, &got),
                "seed {seed} p={p}: every on-time pair"
            );
        }
    }
}
