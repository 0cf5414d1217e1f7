//! `spate produce TOPIC`: one record per stdin line, every delivery confirmed before exit.

use anyhow::{Context, Result, bail};
use rdkafka::producer::{FutureProducer, FutureRecord};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::cli::{Acks, ProduceArgs};
use crate::delivery::Deliveries;
use crate::kafka_client;

/// Deliveries in flight at most; bounds memory on large inputs while keeping the pipe full.
const MAX_PENDING: usize = 100_000;

pub async fn run(args: ProduceArgs) -> Result<()> {
    let acks = match args.acks {
        Acks::All => "all",
        Acks::One => "1",
        Acks::Zero => "0",
    };
    let mut config = kafka_client::base_config(&args.client.bootstrap);
    config
        .set("acks", acks)
        .set(
            "enable.idempotence",
            if matches!(args.acks, Acks::All) {
                "true"
            } else {
                "false"
            },
        )
        .set("linger.ms", "5")
        .set("message.timeout.ms", "30000");
    let producer: FutureProducer = config.create().context("creating Kafka producer")?;
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut deliveries = Deliveries::new(MAX_PENDING);
    while let Some(line) = lines.next_line().await.context("reading stdin")? {
        let (key, value) = match &args.key_separator {
            Some(sep) => match line.split_once(sep.as_str()) {
                Some((k, v)) => (Some(k), v),
                None => (None, line.as_str()),
            },
            None => (None, line.as_str()),
        };
        let mut record = FutureRecord::to(&args.topic).payload(value.as_bytes());
        if let Some(k) = key {
            record = record.key(k.as_bytes());
        }
        if let Some(p) = args.partition {
            record = record.partition(p);
        }
        deliveries.send(&producer, record).await?;
    }
    let tally = deliveries.finish().await;
    if let Some(e) = tally.first_error {
        bail!(
            "{} of {} record(s) not delivered to {}: {e}",
            tally.failed,
            tally.failed + tally.delivered,
            args.topic
        );
    }
    eprintln!("produced {} record(s) to {}", tally.delivered, args.topic);
    Ok(())
}
