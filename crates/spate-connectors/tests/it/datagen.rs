//! Bounded jobs through `StreamEnvironment` with the generator sources and the print sinks.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use spate_connectors::datagen::DatagenSource;
use spate_connectors::datagen::nexmark::{self, Event, NexmarkConfig};
use spate_connectors::print::{BlackholeSink, PrintSink, PrintTarget};
use spate_engine::window::WindowAssigner;
use spate_engine::{StreamEnvironment, WatermarkStrategy};

#[test]
fn nexmark_bids_per_auction_do_not_depend_on_parallelism() {
    let run = |parallelism: usize| {
        let env = StreamEnvironment::new();
        env.set_parallelism(parallelism);
        let counts = env
            .add_source(
                "nexmark",
                nexmark::source(NexmarkConfig::default(), 20_000),
                WatermarkStrategy::monotonic(),
            )
            .flat_map(|e: Event| match e {
                Event::Bid(b) => Some(b.auction),
                _ => None,
            })
            .key_by(|a: &u64| *a)
            .window(WindowAssigner::tumbling(Duration::from_secs(1)))
            .count()
            .collect();
        env.execute().unwrap();
        let mut v: Vec<_> = counts
            .records()
            .into_iter()
            .map(|r| (r.value.window.start, r.value.key, r.value.value))
            .collect();
        v.sort();
        v
    };
    let one = run(1);
    assert_eq!(one.iter().map(|(_, _, c)| c).sum::<u64>(), 20_000 / 50 * 46);
    assert_eq!(one, run(3));
}

#[test]
fn sequence_and_random_sources_feed_print_and_blackhole() {
    let env = StreamEnvironment::new();
    env.set_parallelism(2);
    let (hole, count) = BlackholeSink::new();
    env.add_source(
        "random",
        DatagenSource::random(1000, 3, |i: u64, r: &mut spate_engine::source::SeededRng| {
            i + r.below(10)
        }),
        WatermarkStrategy::no_watermarks(),
    )
    .add_sink("blackhole", hole);
    let target = PrintTarget::buffer();
    env.add_source(
        "seq",
        DatagenSource::sequence(0, 10),
        WatermarkStrategy::no_watermarks(),
    )
    .add_sink("print", PrintSink::new().to(target.clone()));
    env.execute().unwrap();
    assert_eq!(count.get(), 1000);
    let mut lines: Vec<String> = target.contents().lines().map(String::from).collect();
    lines.sort();
    let mut expected: Vec<String> = (0..10).map(|i| format!("{}> {i}", i % 2 + 1)).collect();
    expected.sort();
    assert_eq!(lines, expected);
}

#[test]
fn throttled_source_takes_at_least_the_rate_time() {
    let env = StreamEnvironment::new();
    let (hole, count) = BlackholeSink::new();
    env.add_source(
        "slow",
        DatagenSource::sequence(0, 30).with_rows_per_second(100),
        WatermarkStrategy::no_watermarks(),
    )
    .add_sink("blackhole", hole);
    let result = env.execute().unwrap();
    assert_eq!(count.get(), 30);
    // 30 rows at 100 rows/s: the first is free, the rest need ~290 ms.
    assert!(
        result.elapsed >= Duration::from_millis(250),
        "{:?}",
        result.elapsed
    );
}
