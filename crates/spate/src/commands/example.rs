//! `spate example ...`: runs a job compiled into the binary against Kafka (the embedded broker
//! by default), with progress output, checkpoints and shutdown on SIGTERM.

use std::time::Duration;

use anyhow::{Context, Result};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;

use crate::cli::ExampleCommand;
use crate::examples::{self, Cluster, generate};

pub fn run(example: ExampleCommand) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let (common, input, output, name) = match &example {
        ExampleCommand::WordCount(a) => (&a.common, &a.input, &a.output, "word-count"),
        ExampleCommand::MovingAverage(a) => (&a.common, &a.input, &a.output, "moving-average"),
        ExampleCommand::LogErrors(a) => (&a.common, &a.input, &a.output, "log-errors"),
    };
    let common = common.clone();
    let cluster = Cluster::connect(&runtime, &common)?;
    let bootstrap = cluster.bootstrap.clone();
    examples::ensure_topic(&runtime, &bootstrap, input, common.partitions)?;
    examples::ensure_topic(&runtime, &bootstrap, output, common.partitions)?;
    if let Some(n) = common.generate {
        let make = match &example {
            ExampleCommand::WordCount(_) => generate::text_line,
            ExampleCommand::MovingAverage(_) => generate::sensor_reading,
            ExampleCommand::LogErrors(_) => generate::log_line,
        };
        generate::generate(&bootstrap, input, n, make)?;
    }
    let output = output.clone();
    let b = bootstrap.clone();
    let result = examples::run_job(&runtime, &common, name, move |env| match &example {
        ExampleCommand::WordCount(a) => examples::word_count::build(env, a, &b),
        ExampleCommand::MovingAverage(a) => examples::moving_average::build(env, a, &b),
        ExampleCommand::LogErrors(a) => examples::log_errors::build(env, a, &b),
    })?;
    eprintln!(
        "job finished in {:.2}s ({} tasks on {} workers)",
        result.elapsed.as_secs_f64(),
        result.tasks,
        result.workers
    );
    if common.show > 0 {
        show(&bootstrap, &output, common.show)?;
    }
    Ok(())
}

/// Prints the first `n` records of `topic` as a read_committed consumer sees them.
pub fn show(bootstrap: &str, topic: &str, n: usize) -> Result<()> {
    let records = read_committed(bootstrap, topic, n)?;
    println!(
        "first {} of the results in `{topic}` (read_committed):",
        records.len()
    );
    for (_, r) in records {
        println!("  {r}");
    }
    Ok(())
}

/// Up to `limit` records of `topic` from the beginning as (timestamp, value), read_committed,
/// until caught up with every partition.
pub fn read_committed(bootstrap: &str, topic: &str, limit: usize) -> Result<Vec<(i64, String)>> {
    let consumer: BaseConsumer = crate::kafka_client::consumer_config(bootstrap, "spate-example-show")
        .set("isolation.level", "read_committed")
        .set("enable.partition.eof", "true")
        .create()
        .context("creating consumer")?;
    let partitions = crate::kafka_client::topic_partitions(&consumer, bootstrap, topic)?;
    let mut tpl = rdkafka::TopicPartitionList::new();
    for p in &partitions {
        tpl.add_partition_offset(topic, *p, rdkafka::Offset::Beginning)?;
    }
    consumer.assign(&tpl)?;
    let mut out = Vec::new();
    let mut eof = 0;
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while out.len() < limit && eof < partitions.len() {
        anyhow::ensure!(
            std::time::Instant::now() < deadline,
            "reading {topic} took more than 120 s"
        );
        match consumer.poll(Duration::from_millis(200)) {
            Some(Ok(m)) => out.push((
                m.timestamp().to_millis().unwrap_or(0),
                String::from_utf8_lossy(m.payload().unwrap_or_default()).into_owned(),
            )),
            Some(Err(rdkafka::error::KafkaError::PartitionEOF(_))) => eof += 1,
            Some(Err(e)) => return Err(e.into()),
            None => {}
        }
    }
    Ok(out)
}
