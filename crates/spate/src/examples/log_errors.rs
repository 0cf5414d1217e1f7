//! `spate example log-errors`: real-time log processing. Parses log lines
//! `<LEVEL> <service> <message...>`, keeps the errors, and counts them per service per minute
//! of event time. Output `{"service":..,"window_start":ms,"errors":n}` keyed by service.

use std::time::Duration;

use anyhow::Result;
use spate_connectors::ConnectorError;
use spate_connectors::kafka::{KafkaMessage, KafkaSink};
use spate_engine::window::WindowAssigner;
use spate_engine::{StreamEnvironment, WatermarkStrategy};

use crate::cli::LogErrorsArgs;
use crate::examples::{configure, delivery, kafka_source, on_oversized};

/// (level, service) of a log line; lines that do not parse become level "UNPARSED".
fn parse(m: &KafkaMessage<'_>) -> Result<(String, String), ConnectorError> {
    let line = String::from_utf8_lossy(m.value().unwrap_or_default());
    let mut parts = line.split_whitespace();
    match (parts.next(), parts.next()) {
        (Some(level), Some(service)) => Ok((level.to_ascii_uppercase(), service.to_string())),
        _ => Ok(("UNPARSED".into(), String::new())),
    }
}

pub fn build(env: &StreamEnvironment, args: &LogErrorsArgs, bootstrap: &str) -> Result<()> {
    // What crosses processes in a distributed run (`--distributed`).
    env.exchange_type::<(String, String)>();
    configure(env, &args.common, "log-errors");
    let source = kafka_source(&args.common, "log-errors", bootstrap, &args.input, parse)?;
    let sink = KafkaSink::builder(
        bootstrap,
        &args.output,
        |(service, start, n): &(String, i64, u64)| {
            let json = format!(
                "{{\"service\":{},\"window_start\":{start},\"errors\":{n}}}",
                serde_json::Value::String(service.clone())
            );
            (Some(service.as_bytes().to_vec()), json.into_bytes())
        },
    )
    .delivery_guarantee(delivery(&args.common, "log-errors"));
    let sink = on_oversized(sink, &args.common).build()?;
    let level = args.level.to_ascii_uppercase();
    env.add_source(
        "kafka-source",
        source,
        WatermarkStrategy::bounded_out_of_orderness(Duration::from_secs(1)),
    )
    .uid("kafka-source")
    .filter(move |(l, _): &(String, String)| *l == level)
    .key_by(|(_, service): &(String, String)| service.clone())
    .window(WindowAssigner::tumbling(args.window))
    .count()
    .uid("errors-per-service")
    .map(|r| (r.key, r.window.start, r.value))
    .add_sink("kafka-sink", sink)
    .uid("kafka-sink");
    Ok(())
}
