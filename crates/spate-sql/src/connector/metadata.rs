//! Kafka's metadata columns, with Flink's keys and types.
//!
//! Readable: `topic` (STRING), `partition` (INT), `offset` (BIGINT), `timestamp`
//! (TIMESTAMP_LTZ(3)), `timestamp-type` (STRING: `NoTimestampType`, `CreateTime`,
//! `LogAppendTime`), `headers` (MAP<STRING, BYTES>), `leader-epoch` (INT; always NULL here:
//! the Kafka client Spate uses does not expose it), and the value format's keys under `value.`
//! (the CDC formats': `value.source.timestamp`, ...), which the format reads. Writable
//! (non-`VIRTUAL` columns of a sink table): `timestamp` and `headers`; the others are read-only,
//! as in Flink (Flink's error).
//!
//! A column declared with another type than its key's gets the key's value cast to it (the
//! catalog allows only types Flink can cast to), `TIMESTAMP_LTZ` in the session's time zone.

use spate_connectors::kafka::KafkaMessage;

use super::columns::{Columns, SinkLayout};
use super::opts::Options;
use crate::ast::ColumnKind;
use crate::catalog::{VALUE_PREFIX, readable_metadata};
use crate::error::SqlError;
use crate::expr::cast;
use crate::types::DataType;
use crate::value::{Row, Value};
use crate::zone::SessionZone;

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

/// Where a metadata value goes in a row: its column, and the cast from the key's type to the
/// column's when they differ.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// The column's index in the table's rows.
    pub(crate) index: usize,
    /// The column's name, for errors.
    column: String,
    cast: Option<(DataType, DataType)>,
}

impl Target {
    /// Stores the key's value `v` in `row`, cast to the column's type in `zone`; why not when
    /// the cast fails (a `CAST` error fails the job in Flink too).
    pub(crate) fn store(&self, row: &mut Row, v: Value, zone: SessionZone) -> Result<(), String> {
        row[self.index] = match &self.cast {
            None => v,
            Some((from, to)) => {
                cast(&v, from, to, zone).map_err(|e| format!("the metadata column {}: {e}", self.column))?
            }
        };
        Ok(())
    }
}

/// The metadata columns a Kafka source fills.
#[derive(Debug, Clone, Default)]
pub(crate) struct Readers {
    /// The connector's keys.
    pub(crate) connector: Vec<(Target, ReadKey)>,
    /// The value format's keys (without `value.`), in the order of `format_targets`.
    pub(crate) format_keys: Vec<String>,
    /// Where the value format's metadata goes.
    pub(crate) format_targets: Vec<Target>,
}

/// The metadata columns of a Kafka table's source.
pub(crate) fn readers(options: Options<'_>, columns: &Columns) -> Result<Readers, SqlError> {
    let types = readable_metadata(options.table());
    let mut readers = Readers::default();
    for m in &columns.metadata {
        let Some((_, key_type)) = types.iter().find(|(k, _)| *k == m.key) else {
            return Err(options.error(format!("the Kafka connector has no metadata '{}'", m.key)));
        };
        let target = Target {
            index: m.index,
            column: options
                .table()
                .columns
                .get(m.index)
                .map_or_else(String::new, |c| c.name.as_str().to_string()),
            cast: (key_type.kind != m.ty.kind).then(|| (key_type.clone(), m.ty.clone())),
        };
        if let Some(format_key) = m.key.strip_prefix(VALUE_PREFIX) {
            readers.format_keys.push(format_key.to_string());
            readers.format_targets.push(target);
        } else {
            let key = ReadKey::parse(&m.key)
                .ok_or_else(|| options.error(format!("the Kafka connector has no metadata '{}'", m.key)))?;
            readers.connector.push((target, key));
        }
    }
    Ok(readers)
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
                // Flink 2.3's message, word for word.
                return Err(options.error(format!(
                    "Invalid metadata key '{key}' in column '{}' of table 'default_catalog.default_database.{}'. \
                     The DynamicTableSink class 'org.apache.flink.streaming.connectors.kafka.table.KafkaDynamicSink' \
                     supports the following metadata keys for writing:\nheaders\ntimestamp",
                    persisted_column(options, key),
                    options.table().name.base()
                )));
            }
        }
        Ok(Self {
            timestamp: layout.metadata("timestamp"),
            headers: layout.metadata("headers"),
        })
    }
}

/// The name of the table's non-`VIRTUAL` metadata column of `key`.
fn persisted_column<'a>(options: Options<'a>, key: &str) -> &'a str {
    options
        .table()
        .columns
        .iter()
        .find(|c| match &c.kind {
            ColumnKind::Metadata {
                key: from,
                is_virtual: false,
                ..
            } => from.as_deref().unwrap_or(c.name.as_str()) == key,
            _ => false,
        })
        .map_or("", |c| c.name.as_str())
}
