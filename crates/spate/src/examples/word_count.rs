//! `spate example word-count`: words per tumbling event-time window, Kafka to Kafka.
//!
//! Each input record's value (UTF-8 text) is split on whitespace; every word is counted per
//! window of the record timestamp; one JSON object per word and window,
//! `{"word":..,"window_start":ms,"window_end":ms,"count":n}`, is written keyed by the word.

use std::time::Duration;

use anyhow::Result;
use spate_connectors::ConnectorError;
use spate_connectors::kafka::{KafkaMessage, KafkaSink};
use spate_engine::window::WindowAssigner;
use spate_engine::{StreamEnvironment, WatermarkStrategy};

use crate::cli::WordCountArgs;
use crate::examples::{configure, delivery, kafka_source, on_oversized};

/// The job's output record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WordCount {
    pub word: String,
    pub window_start: i64,
    pub window_end: i64,
    pub count: u64,
}

impl WordCount {
    /// The output JSON (words are escaped as JSON strings).
    pub fn to_json(&self) -> String {
        format!(
            "{{\"word\":{},\"window_start\":{},\"window_end\":{},\"count\":{}}}",
            serde_json::Value::String(self.word.clone()),
            self.window_start,
            self.window_end,
            self.count
        )
    }
}

fn text(m: &KafkaMessage<'_>) -> Result<String, ConnectorError> {
    Ok(String::from_utf8_lossy(m.value().unwrap_or_default()).into_owned())
}

/// Adds the word-count pipeline to `env`.
pub fn build(env: &StreamEnvironment, args: &WordCountArgs, bootstrap: &str) -> Result<()> {
    // What crosses processes in a distributed run (`--distributed`).
    env.exchange_type::<String>();
    configure(env, &args.common, "word-count");
    let source = kafka_source(&args.common, "word-count", bootstrap, &args.input, text)?;
    let strategy = WatermarkStrategy::bounded_out_of_orderness(args.out_of_orderness)
        .with_idleness(Duration::from_secs(5).max(args.out_of_orderness));
    let sink = KafkaSink::builder(bootstrap, &args.output, |wc: &WordCount| {
        (Some(wc.word.as_bytes().to_vec()), wc.to_json().into_bytes())
    })
    .delivery_guarantee(delivery(&args.common, "word-count"));
    let sink = on_oversized(sink, &args.common).build()?;
    env.add_source("kafka-source", source, strategy)
        .uid("kafka-source")
        .flat_map(|line: String| line.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
        .name("split")
        .key_by(|w: &String| w.clone())
        .window(WindowAssigner::tumbling(args.window))
        .count()
        .name("count")
        .uid("window-count")
        .map(|r| WordCount {
            word: r.key,
            window_start: r.window.start,
            window_end: r.window.end,
            count: r.value,
        })
        .name("to-json")
        .add_sink("kafka-sink", sink)
        .uid("kafka-sink");
    Ok(())
}
