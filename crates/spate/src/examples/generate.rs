//! Input generators for the examples: a Spate job of its own (a deterministic generator source
//! into a Kafka sink), so `--generate N` fills the input topic before the example runs.

use anyhow::{Context, Result};
use spate_connectors::kafka::KafkaSink;
use spate_engine::source::SeededRng;
use spate_engine::{StreamEnvironment, WatermarkStrategy};

/// A generated input record: event time, optional key, value.
pub type Generated = (i64, Option<String>, String);

/// Writes `count` records made by `make(i, rng, start_ms)` into `topic` (event time taken from
/// the record, so windows see the generator's clock), then returns.
pub fn generate(
    bootstrap: &str,
    topic: &str,
    count: u64,
    make: fn(u64, &mut SeededRng, i64) -> Generated,
) -> Result<()> {
    let start_ms = spate_engine_now_floor();
    let env = StreamEnvironment::new();
    env.set_parallelism(1);
    let sink = KafkaSink::builder(bootstrap, topic, |(_, key, value): &Generated| {
        (
            key.as_ref().map(|k| k.as_bytes().to_vec()),
            value.as_bytes().to_vec(),
        )
    })
    .build()
    .context("creating the generator's Kafka sink")?;
    env.from_generator(count, 42, move |i, rng| make(i, rng, start_ms))
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::monotonic().with_timestamp_assigner(|g: &Generated, _| g.0),
        )
        .add_sink("generator-sink", sink);
    let started = std::time::Instant::now();
    env.execute().context("generating input")?;
    eprintln!(
        "generated {count} records into `{topic}` in {:.2}s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Wall clock rounded down to the minute: generated event time starts there.
fn spate_engine_now_floor() -> i64 {
    let now = spate_engine::clock::now_millis();
    now - now.rem_euclid(60_000)
}

const WORDS: &[&str] = &[
    "the",
    "stream",
    "kafka",
    "flink",
    "spate",
    "window",
    "event",
    "time",
    "state",
    "checkpoint",
    "barrier",
    "watermark",
    "partition",
    "offset",
    "exactly",
    "once",
    "record",
    "batch",
    "key",
    "value",
    "broker",
    "topic",
    "consumer",
    "producer",
    "transaction",
    "commit",
    "abort",
    "latency",
    "throughput",
    "job",
];

/// Lines of 1–8 words (a skewed pick from a small vocabulary), 10 lines per event-time ms.
pub fn text_line(i: u64, rng: &mut SeededRng, start_ms: i64) -> Generated {
    let n = 1 + rng.below(8) as usize;
    let mut line = String::new();
    for k in 0..n {
        // Squaring a uniform pick skews towards the first words, as real text does.
        let u = rng.below(1000) as f64 / 1000.0;
        let w = WORDS[((u * u) * WORDS.len() as f64) as usize % WORDS.len()];
        if k > 0 {
            line.push(' ');
        }
        line.push_str(w);
    }
    (start_ms + (i / 10) as i64, None, line)
}

/// Sensor readings `{"sensor":"s<k>","value":v}`, keyed by sensor, 100 sensors.
pub fn sensor_reading(i: u64, rng: &mut SeededRng, start_ms: i64) -> Generated {
    let sensor = format!("s{}", i % 100);
    let value = 20.0 + (rng.below(1000) as f64) / 100.0;
    let json = format!("{{\"sensor\":\"{sensor}\",\"value\":{value:.2}}}");
    (start_ms + (i / 10) as i64, Some(sensor), json)
}

const SERVICES: &[&str] = &["checkout", "payments", "search", "auth", "inventory"];
const LEVELS: &[&str] = &["INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"];

/// Log lines `<level> <service> <message>`, 5 services, one in six an ERROR.
pub fn log_line(i: u64, rng: &mut SeededRng, start_ms: i64) -> Generated {
    let service = SERVICES[rng.below(SERVICES.len() as u64) as usize];
    let level = LEVELS[rng.below(LEVELS.len() as u64) as usize];
    let line = format!("{level} {service} request {i} took {} ms", rng.below(500));
    (start_ms + (i / 10) as i64, Some(service.to_string()), line)
}
