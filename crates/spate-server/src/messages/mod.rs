//! The message browser: records of one partition from an offset, a timestamp or the tail,
//! with key, value and headers rendered for people (JSON when the bytes are JSON, text when
//! they are UTF-8, hex otherwise). Bounded by a record count and a byte budget.
//!
//! Two readers give the same [`MessagePage`]: `local.rs` reads the broker in this process
//! (whole stored batches, no client, so a look at a topic costs the broker a log read and
//! nothing else); `cluster.rs` reads an external cluster (`--bootstrap`) with a Kafka client.

mod cluster;
mod local;

use serde::Serialize;
use serde_json::Value;

use crate::cluster::Cluster;
use crate::error::Result;

/// Most records one request returns.
pub const MAX_COUNT: usize = 500;
/// Most bytes of stored batches one request reads.
pub(crate) const MAX_READ_BYTES: usize = 4 << 20;
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

/// Reads records of `topic`-`partition` from the cluster at `bootstrap`: the broker in this
/// process when it is there, else over the Kafka protocol.
pub fn browse(cluster: &Cluster, topic: &str, partition: i32, browse: Browse) -> Result<MessagePage> {
    match spate_broker::local::find(&cluster.bootstrap) {
        Some(broker) => local::browse(&broker, topic, partition, browse),
        None => cluster::browse(cluster, topic, partition, browse),
    }
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
