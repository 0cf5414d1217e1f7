//! The Kafka client side of the source: consumer settings, which partitions a subtask owns,
//! partition discovery on a background thread, offset lists, and which client errors are
//! transient.

use std::sync::mpsc;
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use spate_kafka_client::client_security::librdkafka_pairs;

use super::REQUEST_TIMEOUT;
use super::builder::{OffsetReset, StartingOffsets, TopicSelection};
use crate::ConnectorError;
use crate::kafka::error::kafka_error;

/// The `auto.offset.reset` of a source: where a partition restarts when its offset fell out of
/// range (and where librdkafka starts one without an offset).
pub(super) fn offset_reset(starting: &StartingOffsets) -> &'static str {
    match starting {
        StartingOffsets::Latest
        | StartingOffsets::Committed {
            reset: OffsetReset::Latest,
        }
        | StartingOffsets::Offsets {
            reset: OffsetReset::Latest,
            ..
        } => "latest",
        _ => "earliest",
    }
}

/// The consumer settings of a source.
pub(super) fn consumer_config(
    bootstrap: &str,
    group_id: &str,
    starting: &StartingOffsets,
    properties: &[(String, String)],
) -> ClientConfig {
    let reset = offset_reset(starting);
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", bootstrap)
        .set("group.id", group_id)
        .set("client.id", "spate-kafka-source")
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("enable.partition.eof", "false")
        .set("isolation.level", "read_committed")
        // An offset that fell out of retention restarts where the starting mode says.
        .set("auto.offset.reset", reset)
        .set("fetch.wait.max.ms", "100")
        // librdkafka stops fetching a partition for fetch.queue.backoff.ms (default 1 s) once
        // its local queue is full; the engine drains a full queue in milliseconds, so the
        // default left the source idle most of the time (0.47 M records/s vs 1.8 M with 10 ms,
        // see BENCHMARKS.md "Pipelines").
        .set("fetch.queue.backoff.ms", "10")
        .set("log_level", "3");
    for (k, v) in librdkafka_pairs(properties) {
        c.set(k, v);
    }
    c
}

/// Every (topic, partition) of the cluster that the selection matches, sorted.
pub(super) fn matching_partitions(
    consumer: &BaseConsumer,
    topics: &TopicSelection,
) -> Result<Vec<(String, i32)>, ConnectorError> {
    let mut out = Vec::new();
    let mut add = |md: &rdkafka::metadata::Metadata| {
        for t in md.topics() {
            if t.error().is_none() && topics.matches(t.name()) {
                out.extend(t.partitions().iter().map(|p| (t.name().to_string(), p.id())));
            }
        }
    };
    match topics {
        TopicSelection::Topics(list) => {
            for topic in list {
                let md = consumer
                    .fetch_metadata(Some(topic), REQUEST_TIMEOUT)
                    .map_err(|e| kafka_error(&format!("metadata of {topic}"), e))?;
                if md
                    .topics()
                    .iter()
                    .all(|t| t.error().is_some() || t.partitions().is_empty())
                {
                    return Err(ConnectorError::Kafka(format!("topic {topic} does not exist")));
                }
                add(&md);
            }
        }
        TopicSelection::Pattern(_) => {
            let md = consumer
                .fetch_metadata(None, REQUEST_TIMEOUT)
                .map_err(|e| kafka_error("metadata", e))?;
            add(&md);
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Partition discovery on its own thread, so `poll` never waits for metadata. It sends every
/// matching partition (with its earliest offset) it has not sent before; it stops when the
/// source is dropped.
pub(super) struct Discovery {
    pub(super) found: mpsc::Receiver<Vec<(String, i32, i64)>>,
    _stop: mpsc::Sender<()>,
}

impl Discovery {
    /// Starts discovery; `known` are the partitions the source saw when it opened.
    pub(super) fn start(
        config: ClientConfig,
        topics: TopicSelection,
        interval: Duration,
        mut known: std::collections::HashSet<(String, i32)>,
    ) -> Result<Self, ConnectorError> {
        let consumer: BaseConsumer = config
            .create()
            .map_err(|e| kafka_error("creating the discovery consumer", e))?;
        let (found_tx, found) = mpsc::channel();
        let (stop, stop_rx) = mpsc::channel::<()>();
        spate_engine::memory::spawn_tagged(
            std::thread::Builder::new().name("kafka-partition-discovery".into()),
            move || {
                while let Err(mpsc::RecvTimeoutError::Timeout) = stop_rx.recv_timeout(interval) {
                    // A failed look-up is retried at the next interval.
                    let Ok(all) = matching_partitions(&consumer, &topics) else {
                        continue;
                    };
                    let mut new = Vec::new();
                    for (t, p) in all {
                        if known.contains(&(t.clone(), p)) {
                            continue;
                        }
                        let Ok((low, _)) = consumer.fetch_watermarks(&t, p, REQUEST_TIMEOUT) else {
                            continue;
                        };
                        known.insert((t.clone(), p));
                        new.push((t, p, low));
                    }
                    if !new.is_empty() && found_tx.send(new).is_err() {
                        return;
                    }
                }
            },
        )
        .map_err(|e| ConnectorError::Kafka(format!("starting partition discovery: {e}")))?;
        Ok(Self { found, _stop: stop })
    }
}

pub(super) fn tpl_of<'a>(
    entries: impl Iterator<Item = (&'a str, i32, Offset)>,
) -> Result<TopicPartitionList, ConnectorError> {
    let mut tpl = TopicPartitionList::new();
    for (t, p, o) in entries {
        tpl.add_partition_offset(t, p, o)
            .map_err(|e| kafka_error("partition list", e))?;
    }
    Ok(tpl)
}

/// Client-level errors librdkafka recovers from on its own.
pub(super) fn is_transient(e: &KafkaError) -> bool {
    matches!(
        e.rdkafka_error_code(),
        Some(
            RDKafkaErrorCode::BrokerTransportFailure
                | RDKafkaErrorCode::AllBrokersDown
                | RDKafkaErrorCode::OperationTimedOut
        )
    )
}
