//! The message browser on the broker in this process (`spate_broker::local`): whole stored
//! batches, decoded by `spate_log::consume`, through the same isolation code as Fetch.

use spate_broker::local::{Isolation, LocalBroker};
use spate_log::consume::ConsumerCursor;
use spate_log::in_process::LocalLogs as _;

use super::{Browse, MAX_COUNT, MAX_READ_BYTES, MessagePage, MessageView, Start, render};
use crate::error::{Result, ServerError};

/// Reads records of `topic`-`partition` from `broker`.
pub(super) fn browse(
    broker: &LocalBroker,
    topic: &str,
    partition: i32,
    browse: Browse,
) -> Result<MessagePage> {
    let count = browse.count.clamp(1, MAX_COUNT);
    let (low, high) = bounds(broker, topic, partition)?;
    let from = match browse.start {
        Start::Offset(o) => o.clamp(low, high),
        Start::Tail => (high - count as i64).max(low),
        Start::Timestamp(t) => broker
            .offset_for_timestamp(topic, partition, t)
            .map_err(|e| broker_error(topic, partition, e))?
            .unwrap_or(high),
    };
    let isolation = if browse.read_committed {
        Isolation::ReadCommitted
    } else {
        Isolation::ReadUncommitted
    };
    let mut messages = Vec::new();
    let mut cursor = ConsumerCursor::new();
    let mut next = from;
    let mut budget = MAX_READ_BYTES;
    while messages.len() < count && next < high && budget > 0 {
        let read = match broker.read(topic, partition, next, budget.min(1 << 20), isolation) {
            Ok(read) => read,
            // Retention moved the start past `next` between two reads.
            Err(spate_log::Error::OffsetOutOfRange { .. }) => break,
            Err(e) => return Err(broker_error(topic, partition, e)),
        };
        if read.records.is_empty() {
            break;
        }
        budget = budget.saturating_sub(read.records.len());
        cursor.reset(read.records, next, read.aborted);
        while messages.len() < count {
            let record = cursor
                .next_record()
                .map_err(|e| ServerError::Kafka(format!("decoding {topic}-{partition}: {e}")))?;
            let Some(r) = record else { break };
            messages.push(MessageView {
                offset: r.offset,
                timestamp: r.timestamp,
                timestamp_type: if r.log_append_time {
                    "LogAppendTime"
                } else {
                    "CreateTime"
                },
                key: render(r.record.key),
                value: render(r.record.value),
                headers: r
                    .record
                    .headers()
                    .map(|(k, v)| (String::from_utf8_lossy(k).into_owned(), render(v)))
                    .collect(),
            });
        }
        if cursor.next_offset() <= next {
            break;
        }
        next = cursor.next_offset();
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

/// The partition's retained range; a 404 for an unknown topic or partition.
fn bounds(broker: &LocalBroker, topic: &str, partition: i32) -> Result<(i64, i64)> {
    let topics = broker
        .topics()
        .map_err(|e| ServerError::Kafka(format!("the broker: {e}")))?;
    let t = topics
        .iter()
        .find(|t| t.name == topic)
        .ok_or_else(|| ServerError::NotFound(format!("topic {topic} does not exist")))?;
    let p = t
        .partitions
        .iter()
        .find(|p| p.partition == partition)
        .ok_or_else(|| {
            ServerError::NotFound(format!(
                "topic {topic} has no partition {partition} (it has {})",
                t.partitions.len()
            ))
        })?;
    Ok((p.log_start_offset, p.high_watermark))
}

fn broker_error(topic: &str, partition: i32, e: spate_log::Error) -> ServerError {
    ServerError::Kafka(format!("reading {topic}-{partition}: {e}"))
}
