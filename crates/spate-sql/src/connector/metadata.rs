//! Kafka's metadata columns, with Flink's keys and types.
//!
//! Readable: `topic` (STRING), `partition` (INT), `offset` (BIGINT), `timestamp`
//! (TIMESTAMP_LTZ(3)), `timestamp-type` (STRING: `NoTimestampType`, `CreateTime`,
//! `LogAppendTime`), `headers` (MAP<STRING, BYTES>), `leader-epoch` (INT; always NULL here:
//! the Kafka client Spate uses does not expose it). Writable (non-`VIRTUAL` columns of a sink
//! table): `timestamp` and `headers`; the others are read-only, as in Flink.

use spate_connectors::kafka::KafkaMessage;

use super::columns::{Columns, SinkLayout};
use super::opts::Options;
use crate::error::SqlError;
use crate::value::Value;

/// A readable metadata key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReadKey {
    Topic,
    Partition,
    Offset,
    Timestamp,
    TimestampType,
    Headers,
    LeaderEpoch,
}

impl ReadKey {
    fn parse(key: &str) -> Option<Self> {
        Some(match key {
            "topic" => ReadKey::Topic,
            "partition" => ReadKey::Partition,
            "offset" => ReadKey::Offset,
            "timestamp" => ReadKey::Timestamp,
            "timestamp-type" => ReadKey::TimestampType,
            "headers" => ReadKey::Headers,
            "leader-epoch" => ReadKey::LeaderEpoch,
            _ => return None,
        })
    }

    /// The value for message `m`.
    pub(crate) fn read(self, m: &KafkaMessage<'_>) -> Value {
        match self {
            ReadKey::Topic => Value::String(m.topic().to_string()),
            ReadKey::Partition => Value::Int(i64::from(m.partition())),
            ReadKey::Offset => Value::Int(m.offset()),
            ReadKey::Timestamp => m
                .timestamp()
                .map_or(Value::Null, |ms| Value::Timestamp(ms.saturating_mul(1000))),
            ReadKey::TimestampType => Value::String(m.timestamp_type().to_string()),
            ReadKey::Headers => Value::Map(
                m.headers()
                    .map(|(k, v)| {
                        (
                            Value::String(k.to_string()),
                            v.map_or(Value::Null, |b| Value::Bytes(b.to_vec())),
                        )
                    })
                    .collect(),
            ),
            ReadKey::LeaderEpoch => Value::Null,
        }
    }
}

/// The metadata columns a Kafka source fills: (row index, key).
pub(crate) fn readers(options: Options<'_>, columns: &Columns) -> Result<Vec<(usize, ReadKey)>, SqlError> {
    columns
        .metadata
        .iter()
        .map(|m| {
            ReadKey::parse(&m.key)
                .map(|k| (m.index, k))
                .ok_or_else(|| options.error(format!("the Kafka connector has no metadata '{}'", m.key)))
        })
        .collect()
}

/// Where a Kafka sink finds the metadata it writes: sink-row positions of `timestamp` and
/// `headers`. Other non-virtual metadata columns are an error (read-only, as in Flink).
#[derive(Debug, Clone, Copy)]
pub(crate) struct WriteKeys {
    pub(crate) timestamp: Option<usize>,
    pub(crate) headers: Option<usize>,
}

impl WriteKeys {
    pub(crate) fn of(options: Options<'_>, layout: &SinkLayout) -> Result<Self, SqlError> {
        for (key, _) in &layout.metadata {
            if key != "timestamp" && key != "headers" {
                return Err(options.error(format!(
                    "the Kafka metadata '{key}' is read-only: declare its column VIRTUAL to write to the table (writable metadata: timestamp, headers)"
                )));
            }
        }
        Ok(Self {
            timestamp: layout.metadata("timestamp"),
            headers: layout.metadata("headers"),
        })
    }
}
