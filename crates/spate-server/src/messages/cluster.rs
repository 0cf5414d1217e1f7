//! The message browser on an external cluster (`--bootstrap`): an rdkafka consumer assigned
//! to the one partition (no group membership, nothing committed), positioned at the start
//! the request asks for, polled until it has the records, reaches the end of the partition
//! (the last stable offset when reading committed) or runs out of time.

use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::{Headers, Message, Timestamp};
use rdkafka::{Offset, TopicPartitionList};

use super::{Browse, MessagePage, MessageView, Start, render};
use crate::cluster::Cluster;
use crate::error::{Result, ServerError};
use crate::kafka_view::TIMEOUT;

/// How long one browse may poll for records.
const POLL_BUDGET: Duration = Duration::from_secs(3);

/// Reads records of `topic`-`partition` from the cluster at `bootstrap`.
pub(super) fn browse(cluster: &Cluster, topic: &str, partition: i32, browse: Browse) -> Result<MessagePage> {
    let bootstrap = cluster.bootstrap.as_str();
    let kafka = |what: &str, e: KafkaError| {
        ServerError::Kafka(format!("{what} {topic}-{partition} from {bootstrap}: {e}"))
    };
    let consumer: BaseConsumer = cluster
        .client_config()
        // Required by the client, never joined: the partition is assigned, not subscribed.
        .set("group.id", "spate-server-message-browser")
        .set("client.id", "spate-server")
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("enable.partition.eof", "true")
        .set(
            "isolation.level",
            if browse.read_committed {
                "read_committed"
            } else {
                "read_uncommitted"
            },
        )
        .set("socket.connection.setup.timeout.ms", "5000")
        .set("log_level", "3")
        .create()
        .map_err(|e| ServerError::Kafka(format!("creating a client for {bootstrap}: {e}")))?;
    let metadata = consumer
        .fetch_metadata(Some(topic), TIMEOUT)
        .map_err(|e| kafka("reading the metadata of", e))?;
    let partitions = metadata
        .topics()
        .first()
        .filter(|t| t.error().is_none())
        .map(|t| t.partitions().len())
        .ok_or_else(|| ServerError::NotFound(format!("topic {topic} does not exist")))?;
    if partition < 0 || partition as usize >= partitions {
        return Err(ServerError::NotFound(format!(
            "topic {topic} has no partition {partition} (it has {partitions})"
        )));
    }
    let (low, high) = consumer
        .fetch_watermarks(topic, partition, TIMEOUT)
        .map_err(|e| kafka("reading the offsets of", e))?;
    let count = browse.count.clamp(1, super::MAX_COUNT);
    let from = match browse.start {
        Start::Offset(o) => o.clamp(low, high),
        Start::Tail => (high - count as i64).max(low),
        Start::Timestamp(t) => {
            let mut query = TopicPartitionList::new();
            query
                .add_partition_offset(topic, partition, Offset::Offset(t))
                .map_err(|e| kafka("looking up a time in", e))?;
            let found = consumer
                .offsets_for_times(query, TIMEOUT)
                .map_err(|e| kafka("looking up a time in", e))?;
            match found.find_partition(topic, partition).map(|p| p.offset()) {
                Some(Offset::Offset(o)) => o,
                _ => high,
            }
        }
    };
    let mut messages = Vec::new();
    let mut next = from;
    if from < high {
        let mut assignment = TopicPartitionList::new();
        assignment
            .add_partition_offset(topic, partition, Offset::Offset(from))
            .map_err(|e| kafka("assigning", e))?;
        consumer.assign(&assignment).map_err(|e| kafka("assigning", e))?;
        let deadline = Instant::now() + POLL_BUDGET;
        while messages.len() < count && next < high {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            match consumer.poll(left.min(Duration::from_millis(200))) {
                None => {}
                Some(Err(KafkaError::PartitionEOF(_))) => break,
                Some(Err(e)) => return Err(kafka("reading", e)),
                Some(Ok(m)) => {
                    next = m.offset() + 1;
                    messages.push(MessageView {
                        offset: m.offset(),
                        timestamp: m.timestamp().to_millis().unwrap_or(-1),
                        timestamp_type: match m.timestamp() {
                            Timestamp::LogAppendTime(_) => "LogAppendTime",
                            _ => "CreateTime",
                        },
                        key: render(m.key()),
                        value: render(m.payload()),
                        headers: m
                            .headers()
                            .map(|hs| hs.iter().map(|h| (h.key.to_string(), render(h.value))).collect())
                            .unwrap_or_default(),
                    });
                }
            }
        }
        // Where this page ended: past the records read, and past control records and
        // aborted ones the client skipped (its position).
        if let Ok(position) = consumer.position()
            && let Some(Offset::Offset(o)) = position.find_partition(topic, partition).map(|p| p.offset())
        {
            next = next.max(o);
        }
    }
    Ok(MessagePage {
        topic: topic.to_string(),
        partition,
        low,
        high,
        from,
        next_offset: next,
        messages,
    })
}
