//! One job run as several attempts with disjoint task sets (as a distributed job's processes
//! run it), joined by an in-memory exchange: the output equals a single-process run, with
//! watermarks crossing the exchange (late records are dropped exactly as in one process).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use spate_engine::exchange::TaskScope;
use spate_engine::exchange::local::LocalExchange;
use spate_engine::window::WindowAssigner;
use spate_engine::{Record, StreamEnvironment, WatermarkStrategy};

/// Keyed events, mostly in order, every 37th one 400 ms late (behind the 50 ms bound: the
/// window operator drops it once the watermark passed its window).
fn events() -> Vec<Record<(u64, u64)>> {
    (0..3000u64)
        .map(|i| {
            let late = i % 37 == 36;
            let ts = (i * 3) as i64 - if late { 400 } else { (i % 5) as i64 * 7 };
            Record::new(ts.max(0), (i % 11, i))
        })
        .collect()
}

/// The job: window counts per key, at parallelism 2 behind a one-subtask source.
fn job(env: &StreamEnvironment) -> spate_engine::CollectHandle<(u64, i64, u64)> {
    env.set_parallelism(2);
    // Small batches: the source's watermark advances between them, so late records exist.
    env.set_batch_size(16);
    env.exchange_type::<(u64, u64)>();
    env.from_records(
        events(),
        WatermarkStrategy::bounded_out_of_orderness(Duration::from_millis(50)),
    )
    .key_by(|(k, _): &(u64, u64)| *k)
    .window(WindowAssigner::tumbling(Duration::from_millis(100)))
    .count()
    .map(|r| (r.key, r.window.start, r.value))
    .collect()
}

fn sorted(mut v: Vec<(u64, i64, u64)>) -> Vec<(u64, i64, u64)> {
    v.sort_unstable();
    v
}

#[test]
fn two_attempts_with_disjoint_tasks_equal_one_process() {
    let env = StreamEnvironment::new();
    let single = job(&env);
    env.execute().expect("single process");
    let expected = sorted(single.values());
    let total: u64 = expected.iter().map(|r| r.2).sum();
    assert!(total < 3000, "some records must be late: {total}");

    let topology = {
        let env = StreamEnvironment::new();
        let _ = job(&env);
        env.topology().expect("topology")
    };
    assert_eq!(topology.tasks(), [(0, 0), (1, 0), (1, 1)]);
    let transport = Arc::new(LocalExchange::new());
    let run = |owned: &[(u32, u32)]| {
        let owned: BTreeSet<(u32, u32)> = owned.iter().copied().collect();
        let transport = transport.clone();
        std::thread::spawn(move || {
            let env = StreamEnvironment::new();
            let out = job(&env);
            env.execute_tasks(TaskScope {
                owned,
                transport,
                publisher: None,
            })
            .expect("attempt");
            out.values()
        })
    };
    let a = run(&[(0, 0), (1, 0)]);
    let b = run(&[(1, 1)]);
    let mut got = a.join().expect("a");
    let from_b = b.join().expect("b");
    assert!(
        !got.is_empty() && !from_b.is_empty(),
        "both processes emit windows"
    );
    got.extend(from_b);
    assert_eq!(sorted(got), expected);
}

#[test]
fn a_type_without_an_exchange_codec_is_refused_naming_the_edge() {
    let env = StreamEnvironment::new();
    env.set_parallelism(2);
    env.from_sequence(0, 10)
        .key_by(|v: &u64| *v % 3)
        .reduce(|a, b| a + b)
        .collect();
    let err = env
        .execute_tasks(TaskScope {
            owned: [(0, 0)].into_iter().collect(),
            transport: Arc::new(LocalExchange::new()),
            publisher: None,
        })
        .expect_err("u64 was not registered");
    assert!(err.to_string().contains("u64"), "{err}");
    assert!(err.to_string().contains("exchange_type"), "{err}");
}
