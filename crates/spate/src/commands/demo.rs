//! `spate demo`: the main job until the pipeline engine lands — an embedded broker, a topic,
//! records produced with acks=all by an idempotent producer, read back and checked.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::FromClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Offset, TopicPartitionList};
use spate_broker::{Broker, BrokerConfig};

use crate::cli::DemoArgs;
use crate::delivery::Deliveries;
use crate::kafka_client;

const TOPIC: &str = "demo-events";

pub async fn run(args: DemoArgs) -> Result<()> {
    ensure!(args.partitions >= 1, "--partitions must be at least 1");
    let temp;
    let data_dir = match &args.data_dir {
        Some(d) => d.clone(),
        None => {
            temp = tempfile::tempdir().context("creating a temporary data dir")?;
            temp.path().to_path_buf()
        }
    };
    let broker = Broker::start(BrokerConfig::ephemeral(&data_dir)).await?;
    let bootstrap = broker.bootstrap_servers();
    println!("embedded broker on {bootstrap} (data dir {})", data_dir.display());

    let admin: AdminClient<DefaultClientContext> =
        AdminClient::from_config(&kafka_client::base_config(&bootstrap)).context("creating admin client")?;
    let topic = NewTopic::new(TOPIC, args.partitions, TopicReplication::Fixed(1));
    for r in admin.create_topics([&topic], &AdminOptions::new()).await? {
        if let Err((t, code)) = r {
            bail!("creating {t}: {code}");
        }
    }

    let producer: FutureProducer = kafka_client::base_config(&bootstrap)
        .set("acks", "all")
        .set("enable.idempotence", "true")
        .set("linger.ms", "5")
        .set("compression.type", "lz4")
        .create()
        .context("creating producer")?;
    let started = Instant::now();
    let mut deliveries = Deliveries::new(50_000);
    for i in 0..args.records {
        let key = format!("user-{}", i % 1000);
        let value = format!("{{\"seq\":{i},\"user\":\"{key}\"}}");
        deliveries
            .send(&producer, FutureRecord::to(TOPIC).key(&key).payload(&value))
            .await?;
    }
    let tally = deliveries.finish().await;
    if let Some(e) = tally.first_error {
        bail!("{} of {} records not delivered: {e}", tally.failed, args.records);
    }
    let produce_secs = started.elapsed().as_secs_f64();
    println!(
        "produced {} records (acks=all, idempotent, lz4) in {:.2}s: {:.0} records/s",
        args.records,
        produce_secs,
        args.records as f64 / produce_secs
    );

    let consumer: BaseConsumer = kafka_client::base_config(&bootstrap)
        .set("group.id", "spate-demo")
        .set("enable.auto.commit", "false")
        .create()
        .context("creating consumer")?;
    let mut tpl = TopicPartitionList::new();
    for p in 0..args.partitions {
        tpl.add_partition_offset(TOPIC, p, Offset::Beginning)?;
    }
    consumer.assign(&tpl)?;
    let started = Instant::now();
    let mut next_seq_per_key: HashMap<Vec<u8>, u64> = HashMap::new();
    let mut read = 0u64;
    while read < args.records {
        ensure!(
            started.elapsed() < Duration::from_secs(60),
            "read only {read} of {} records within 60 s",
            args.records
        );
        let Some(m) = consumer.poll(Duration::from_millis(500)) else {
            continue;
        };
        let m = m.context("consuming")?;
        let key = m.key().unwrap_or_default().to_vec();
        let value = std::str::from_utf8(m.payload().unwrap_or_default()).context("payload is not UTF-8")?;
        let seq: u64 = value
            .strip_prefix("{\"seq\":")
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.parse().ok())
            .with_context(|| format!("unexpected payload {value:?}"))?;
        // Records of one key land in one partition, so each key's sequence must be in order.
        let expected = next_seq_per_key.entry(key).or_insert(seq % 1000);
        ensure!(
            seq == *expected,
            "out of order or missing record: got seq {seq}, expected {expected}"
        );
        *expected += 1000;
        read += 1;
    }
    let consume_secs = started.elapsed().as_secs_f64();
    println!(
        "consumed and checked {read} records in {:.2}s: {:.0} records/s — every record present, in order per key",
        consume_secs,
        read as f64 / consume_secs
    );
    // Clients go first, so that they do not report the broker's shutdown as an error.
    drop((consumer, producer, admin));
    broker.shutdown().await?;
    println!("demo OK");
    Ok(())
}
