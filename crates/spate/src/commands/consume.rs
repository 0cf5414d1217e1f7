//! `spate consume TOPIC`: assigned partitions (no consumer group), records to stdout.

use std::collections::HashSet;
use std::io::Write;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use rdkafka::consumer::Consumer;
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};

use crate::cli::ConsumeArgs;
use crate::client_properties::ClientSettings;
use crate::kafka_client;

pub async fn run(args: ConsumeArgs) -> Result<()> {
    let bootstrap = &args.client.bootstrap;
    let mut config = ClientSettings::from_args(&args.client)?
        .consumer_config(args.group.as_deref().unwrap_or("spate-cli"))?;
    config
        .set(
            // A group member commits what it consumed; a reader of assigned partitions does not.
            "enable.auto.commit",
            if args.group.is_some() { "true" } else { "false" },
        )
        .set(
            "auto.offset.reset",
            if args.from_beginning { "earliest" } else { "latest" },
        )
        .set(
            "enable.partition.eof",
            if args.exit_at_end { "true" } else { "false" },
        );
    let consumer: rdkafka::consumer::BaseConsumer = config.create().context("creating Kafka consumer")?;
    let mut partitions = kafka_client::topic_partitions(&consumer, bootstrap, &args.topic)?;
    if args.group.is_some() {
        // The group assigns partitions; committed offsets win over --from-beginning.
        consumer
            .subscribe(&[args.topic.as_str()])
            .with_context(|| format!("subscribing to {}", args.topic))?;
    } else {
        if let Some(p) = args.partition {
            if !partitions.contains(&p) {
                bail!(
                    "topic {} has no partition {p} (partitions: {partitions:?})",
                    args.topic
                );
            }
            partitions = vec![p];
        }
        let start = if args.from_beginning {
            Offset::Beginning
        } else {
            Offset::End
        };
        let mut tpl = TopicPartitionList::new();
        for &p in &partitions {
            tpl.add_partition_offset(&args.topic, p, start)
                .with_context(|| format!("assigning {}/{p}", args.topic))?;
        }
        consumer.assign(&tpl).context("assigning partitions")?;
    }

    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut at_end: HashSet<i32> = HashSet::new();
    let mut count = 0u64;
    // The blocking poll runs on this thread; Ctrl-C ends the process as usual.
    loop {
        if args.max.is_some_and(|m| count >= m) {
            break;
        }
        match consumer.poll(Duration::from_millis(200)) {
            None => out.flush()?,
            Some(Ok(m)) => {
                at_end.remove(&m.partition());
                if let Some(sep) = &args.print_key {
                    out.write_all(m.key().unwrap_or_default())?;
                    out.write_all(sep.as_bytes())?;
                }
                out.write_all(m.payload().unwrap_or_default())?;
                out.write_all(b"\n")?;
                count += 1;
            }
            Some(Err(KafkaError::PartitionEOF(p))) => {
                at_end.insert(p);
                // With a group, "every partition" means every partition assigned to us.
                let owned = match &args.group {
                    Some(_) => consumer.assignment().map(|a| a.count()).unwrap_or(0),
                    None => partitions.len(),
                };
                if args.exit_at_end && owned > 0 && at_end.len() >= owned {
                    break;
                }
            }
            Some(Err(e)) => bail!("consuming {}: {e}", args.topic),
        }
    }
    out.flush()?;
    eprintln!("consumed {count} record(s) from {}", args.topic);
    Ok(())
}
