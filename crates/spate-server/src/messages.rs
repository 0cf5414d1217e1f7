//! The message browser: records of one partition from an offset, a timestamp or the tail,
//! with key, value and headers rendered for people (JSON when the bytes are JSON, text when
//! they are UTF-8, hex otherwise). Read from the broker in this process
//! (`spate_broker::local`: whole stored batches, decoded by `spate_log::consume`, no client),
//! so a look at a topic costs the broker a log read and nothing else. Bounded by a record
//! count and a byte budget; an external cluster (`--bootstrap`) is not browsable yet.

use serde::Serialize;
use serde_json::Value;
use spate_broker::local::{Isolation, LocalBroker};
use spate_log::consume::ConsumerCursor;

use crate::error::{Result, ServerError};

/// Most records one request returns.
pub const MAX_COUNT: usize = 500;
/// Most bytes of stored batches one request reads.
const MAX_READ_BYTES: usize = 4 << 20;
/// Longest rendered key, value or header value; longer ones are cut (and marked).
const MAX_FIELD_BYTES: usize = 16 << 10;

/// Where reading starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// At this offset (clamped into the partition's retained range).
    Offset(i64),
    /// At the first record whose timestamp is at or after this (epoch ms).
    Timestamp(i64),
    /// The last `count` records.
    Tail,
}

/// What to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Browse {
    /// Where to start.
    pub start: Start,
    /// Records wanted (1..=[`MAX_COUNT`]).
    pub count: usize,
    /// Whether records of aborted and open transactions are hidden.
    pub read_committed: bool,
}

/// Bytes shown as what they look like.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Rendered {
    /// `json`, `text`, `binary` (hex in `data`) or `null`.
    pub format: &'static str,
    /// The parsed JSON, the text, the hex digits, or null.
    pub data: Value,
    /// The size in bytes.
    pub size: usize,
    /// Whether `data` shows only the first bytes.
    pub truncated: bool,
}

/// One record.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MessageView {
    /// Its offset.
    pub offset: i64,
    /// Its timestamp (epoch ms).
    pub timestamp: i64,
    /// `CreateTime` or `LogAppendTime`.
    pub timestamp_type: &'static str,
    /// Its key.
    pub key: Rendered,
    /// Its value.
    pub value: Rendered,
    /// Its headers in order, values rendered.
    pub headers: Vec<(String, Rendered)>,
}

/// A read's records with where the partition stands.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MessagePage {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: i32,
    /// The first retained offset.
    pub low: i64,
    /// The high watermark.
    pub high: i64,
    /// Where the read started.
    pub from: i64,
    /// Where the next page starts.
    pub next_offset: i64,
    /// The records, by offset.
    pub messages: Vec<MessageView>,
}

/// Reads records of `topic`-`partition` from the broker in this process at `bootstrap`.
pub fn browse(bootstrap: &str, topic: &str, partition: i32, browse: Browse) -> Result<MessagePage> {
    let broker = spate_broker::local::find(bootstrap).ok_or_else(|| {
        ServerError::BadRequest(
            "the message browser reads the embedded broker; this server uses an external \
             Kafka cluster (--bootstrap)"
                .into(),
        )
    })?;
    let count = browse.count.clamp(1, MAX_COUNT);
    let (low, high) = bounds(&broker, topic, partition)?;
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
            Err(spate_broker::Error::OffsetOutOfRange { .. }) => break,
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

fn broker_error(topic: &str, partition: i32, e: spate_broker::Error) -> ServerError {
    ServerError::Kafka(format!("reading {topic}-{partition}: {e}"))
}

/// Bytes as JSON when they parse as a JSON object or array, as text when UTF-8, else hex.
pub fn render(bytes: Option<&[u8]>) -> Rendered {
    let Some(bytes) = bytes else {
        return Rendered {
            format: "null",
            data: Value::Null,
            size: 0,
            truncated: false,
        };
    };
    let size = bytes.len();
    let looks_json = bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| matches!(b, b'{' | b'[' | b'"'));
    if looks_json
        && size <= MAX_FIELD_BYTES
        && let Ok(v) = serde_json::from_slice::<Value>(bytes)
    {
        return Rendered {
            format: "json",
            data: v,
            size,
            truncated: false,
        };
    }
    let shown = &bytes[..size.min(MAX_FIELD_BYTES)];
    let truncated = shown.len() < size;
    match std::str::from_utf8(shown) {
        Ok(text) => Rendered {
            format: "text",
            data: Value::String(text.to_string()),
            size,
            truncated,
        },
        // A cut may split a character: text up to the last whole one.
        Err(e) if e.error_len().is_none() && truncated => Rendered {
            format: "text",
            data: Value::String(String::from_utf8_lossy(&shown[..e.valid_up_to()]).into_owned()),
            size,
            truncated,
        },
        Err(_) => {
            let hex_shown = &bytes[..size.min(MAX_FIELD_BYTES / 2)];
            Rendered {
                format: "binary",
                data: Value::String(hex_shown.iter().map(|b| format!("{b:02x}")).collect()),
                size,
                truncated: hex_shown.len() < size,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_render_as_json_text_or_hex() {
        let j = render(Some(br#"{"n": 1}"#));
        assert_eq!((j.format, j.data.clone()), ("json", serde_json::json!({"n": 1})));
        let t = render(Some(b"hello"));
        assert_eq!((t.format, t.data), ("text", Value::String("hello".into())));
        let n = render(Some(b"42"));
        assert_eq!(n.format, "text", "a bare number stays text");
        let b = render(Some(&[0xff, 0x00, 0x10]));
        assert_eq!((b.format, b.data), ("binary", Value::String("ff0010".into())));
        assert_eq!(render(None).format, "null");
        let long = vec![b'a'; MAX_FIELD_BYTES + 10];
        let cut = render(Some(&long));
        assert!(cut.truncated && cut.size == MAX_FIELD_BYTES + 10);
    }
}
