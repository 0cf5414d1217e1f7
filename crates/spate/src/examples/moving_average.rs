//! `spate example moving-average`: per sensor, the average of the last `--count` values
//! (sliding count window, one result per new value) or of a `--span` of event time sliding by
//! `--slide`. Input `{"sensor":..,"value":..}`, output
//! `{"sensor":..,"average":..,"values":n,"window_end":ms}` keyed by sensor.

use anyhow::{Result, bail};
use spate_connectors::ConnectorError;
use spate_connectors::kafka::{KafkaMessage, KafkaSink};
use spate_engine::window::{AggregateFunction, WindowAssigner};
use spate_engine::{StreamEnvironment, WatermarkStrategy};

use crate::cli::MovingAverageArgs;
use crate::examples::{configure, delivery, kafka_source, on_oversized};

/// Running sum and count.
#[derive(Debug, Clone, Copy)]
pub struct Mean;

impl AggregateFunction<(String, f64)> for Mean {
    type Acc = (f64, u64);
    type Out = (f64, u64);
    fn create(&self) -> (f64, u64) {
        (0.0, 0)
    }
    fn add(&self, acc: &mut (f64, u64), v: (String, f64)) {
        acc.0 += v.1;
        acc.1 += 1;
    }
    fn result(&self, acc: &(f64, u64)) -> (f64, u64) {
        (acc.0 / acc.1.max(1) as f64, acc.1)
    }
    fn merge(&self, a: &mut (f64, u64), b: (f64, u64)) {
        a.0 += b.0;
        a.1 += b.1;
    }
}

fn reading(m: &KafkaMessage<'_>) -> Result<(String, f64), ConnectorError> {
    let bad = |why: &str| ConnectorError::Format {
        location: format!("{}-{}@{}", m.topic(), m.partition(), m.offset()),
        message: why.to_string(),
    };
    let v: serde_json::Value =
        serde_json::from_slice(m.value().unwrap_or_default()).map_err(|e| bad(&e.to_string()))?;
    let sensor = v["sensor"]
        .as_str()
        .ok_or_else(|| bad("no string field `sensor`"))?;
    let value = v["value"]
        .as_f64()
        .ok_or_else(|| bad("no number field `value`"))?;
    Ok((sensor.to_string(), value))
}

pub fn build(env: &StreamEnvironment, args: &MovingAverageArgs, bootstrap: &str) -> Result<()> {
    // What crosses processes in a distributed run (`--distributed`).
    env.exchange_type::<(String, f64)>();
    configure(env, &args.common, "moving-average");
    let source = kafka_source(&args.common, "moving-average", bootstrap, &args.input, reading)?;
    let sink = KafkaSink::builder(
        bootstrap,
        &args.output,
        |(sensor, avg, n, end): &(String, f64, u64, i64)| {
            let json = format!(
                "{{\"sensor\":{},\"average\":{avg:.3},\"values\":{n},\"window_end\":{end}}}",
                serde_json::Value::String(sensor.clone())
            );
            (Some(sensor.as_bytes().to_vec()), json.into_bytes())
        },
    )
    .delivery_guarantee(delivery(&args.common, "moving-average"));
    let sink = on_oversized(sink, &args.common).build()?;
    let keyed = env
        .add_source(
            "kafka-source",
            source,
            WatermarkStrategy::bounded_out_of_orderness(std::time::Duration::ZERO),
        )
        .uid("kafka-source")
        .key_by(|r: &(String, f64)| r.0.clone());
    let averages = match (args.count, args.span) {
        (Some(n), None) => keyed.count_window_sliding(n as u64, 1).aggregate(Mean),
        (None, Some(span)) => keyed
            .window(WindowAssigner::sliding(span, args.slide))
            .aggregate(Mean),
        _ => bail!("give exactly one of --count N (values) or --span DURATION (event time)"),
    };
    averages
        .uid("average")
        .map(|r| (r.key, r.value.0, r.value.1, r.window.end))
        .add_sink("kafka-sink", sink)
        .uid("kafka-sink");
    Ok(())
}
