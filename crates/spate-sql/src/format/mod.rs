//! Formats: rows ↔ bytes, as Flink's `json`, `csv` and `raw` formats read and write them.
//!
//! Contract: [`RowFormat::new`] validates the format's options once (unknown or bad values are
//! errors that name the option); `decode` never panics on any input: a malformed record is a
//! [`FormatError`] (the connector fails the job with the record's position, or skips and counts
//! it when the format's `ignore-parse-errors` option is set, which `decode` reports through
//! [`RowFormat::ignores_parse_errors`]).
//!
//! - One record is one value of bytes: a Kafka message, or a record of a file without its
//!   line terminator (a line; for `csv` a record whose quoted fields may hold line breaks, cut
//!   by [`RowFormat::record_splitter`] and read by [`RowFormat::decode_file_record`]).
//!   `encode` appends one record without a terminator (the filesystem connector adds `\n`, as
//!   Flink's file writers do).
//! - `decode` appends exactly one value per field, or nothing: on an error it appends nothing,
//!   and a record Flink skips silently (an empty JSON record) appends nothing and returns
//!   `Ok(false)` through [`RowFormat::decode_record`].
//! - Kafka's absent (tombstone) values: [`RowFormat::decode_absent`] says what Flink reads from
//!   one and [`RowFormat::encodes_absent`] when Flink writes one (`raw` with a `NULL` value).
//! - With `ignore-parse-errors`, a field that cannot be converted is `NULL` (as Flink does) and
//!   only records that cannot be parsed at all are errors.
//! - [`key_value`] splits a Kafka table's columns between its key and value formats.
//!
//! Where Spate knowingly differs from Flink 2.3 is listed in each format's module docs.

mod avro;
mod changelog;
mod csv;
mod datetime;
mod json;
pub mod key_value;
mod options;
pub(crate) mod parquet;
mod protobuf;
mod raw;
mod registry;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::error::SqlError;
use crate::plan::ColumnUse;
use crate::types::DataType;
use crate::value::{RowKind, Value};

pub(crate) use changelog::ChangeValues;
pub use key_value::{
    FormatColumns, KeyValueLayout, kafka_layout, options_map, physical_fields, single_format,
};

/// A malformed record, with what was wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FormatError(pub String);

/// One field the format reads or writes: its name and type.
#[derive(Debug, Clone, PartialEq)]
pub struct FormatField {
    /// The column name (JSON object key; CSV uses the position).
    pub name: String,
    /// The column type.
    pub ty: DataType,
}

impl FormatField {
    /// A field.
    pub fn new(name: impl Into<String>, ty: DataType) -> Self {
        Self {
            name: name.into(),
            ty,
        }
    }
}

/// Where a format's records end in a file (see [`RowFormat::record_splitter`]).
#[derive(Debug, Clone)]
pub struct RecordSplitter(Option<csv::Splitter>);

impl RecordSplitter {
    /// Whether the record read so far (`record`: whole lines, the newest starting at
    /// `line_start`, 0 for a new record) goes on past its last line break.
    pub fn needs_more(&mut self, record: &[u8], line_start: usize) -> bool {
        self.0.as_mut().is_some_and(|s| s.needs_more(record, line_start))
    }
}

/// The formats Spate supports, as Flink names them.
pub const FORMATS: &[&str] = &[
    "avro",
    "avro-confluent",
    "debezium-avro-confluent",
    "protobuf",
    "protobuf-confluent",
    "csv",
    "json",
    "json-confluent",
    "raw",
    "debezium-json",
    "canal-json",
    "maxwell-json",
];

/// Whether format `name` keeps its schemas in a schema registry (and so takes a registry URL
/// and, on a Kafka table, Flink's default subject).
pub fn uses_schema_registry(name: &str) -> bool {
    matches!(
        name,
        "avro-confluent" | "debezium-avro-confluent" | "protobuf-confluent" | "json-confluent"
    )
}

/// A configured format for a fixed list of fields. Cheap to clone (one per subtask).
#[derive(Debug, Clone)]
pub struct RowFormat {
    name: String,
    fields: Arc<[FormatField]>,
    codec: Codec,
}

#[derive(Debug, Clone)]
enum Codec {
    Avro(Arc<avro::Avro>),
    AvroConfluent(Arc<avro::confluent::AvroConfluent>),
    DebeziumAvro(Arc<avro::debezium::DebeziumAvro>),
    Protobuf(Arc<protobuf::Protobuf>),
    ProtobufConfluent(Arc<protobuf::confluent::ProtobufConfluent>),
    Json(Arc<json::Json>),
    JsonConfluent(Arc<json::confluent::JsonConfluent>),
    Csv(Arc<csv::Csv>),
    Raw(Arc<raw::Raw>),
    Changelog(Arc<changelog::Changelog>),
}

impl RowFormat {
    /// The format `name` (`json`, `csv`, `raw`) for `fields`, configured by `options`: the
    /// table's options with the format's prefix removed (`ignore-parse-errors` for
    /// `'json.ignore-parse-errors'`, or for `'value.json.ignore-parse-errors'` when it is the
    /// value format of a Kafka table).
    pub fn new(
        name: &str,
        fields: Vec<FormatField>,
        options: &BTreeMap<String, String>,
    ) -> Result<Self, SqlError> {
        let codec = match name {
            "avro" => Codec::Avro(Arc::new(avro::Avro::new(&fields, options)?)),
            "avro-confluent" => {
                Codec::AvroConfluent(Arc::new(avro::confluent::AvroConfluent::new(&fields, options)?))
            }
            "debezium-avro-confluent" => {
                Codec::DebeziumAvro(Arc::new(avro::debezium::DebeziumAvro::new(&fields, options)?))
            }
            "protobuf" => Codec::Protobuf(Arc::new(protobuf::Protobuf::new(&fields, options)?)),
            "protobuf-confluent" => Codec::ProtobufConfluent(Arc::new(
                protobuf::confluent::ProtobufConfluent::new(&fields, options)?,
            )),
            "json" => Codec::Json(Arc::new(json::Json::new(&fields, options)?)),
            "json-confluent" => {
                Codec::JsonConfluent(Arc::new(json::confluent::JsonConfluent::new(&fields, options)?))
            }
            "csv" => Codec::Csv(Arc::new(csv::Csv::new(&fields, options)?)),
            "raw" => Codec::Raw(Arc::new(raw::Raw::new(&fields, options)?)),
            "debezium-json" => Codec::Changelog(Arc::new(changelog::Changelog::new(
                "debezium-json",
                &fields,
                options,
            )?)),
            "canal-json" => Codec::Changelog(Arc::new(changelog::Changelog::new(
                "canal-json",
                &fields,
                options,
            )?)),
            "maxwell-json" => Codec::Changelog(Arc::new(changelog::Changelog::new(
                "maxwell-json",
                &fields,
                options,
            )?)),
            "parquet" => {
                return Err(SqlError::validation(
                    "the parquet format is a bulk format: only filesystem tables take it",
                    None,
                ));
            }
            other => {
                return Err(SqlError::validation(
                    format!(
                        "format '{other}' is not supported; supported formats: {}",
                        FORMATS.join(", ")
                    ),
                    None,
                ));
            }
        };
        Ok(Self {
            name: name.to_string(),
            fields: fields.into(),
            codec,
        })
    }

    /// This format reading only what `used` says of each field (one entry per field); the
    /// rest may be left `NULL` without being converted. Only `json` (and `json-confluent`)
    /// skips anything: the others read every field as before.
    pub fn projected(&self, used: &[Option<ColumnUse>]) -> RowFormat {
        let codec = match &self.codec {
            Codec::Json(j) if used.len() == self.fields.len() => Codec::Json(Arc::new(j.projected(used))),
            Codec::JsonConfluent(j) if used.len() == self.fields.len() => {
                Codec::JsonConfluent(Arc::new(j.projected(used)))
            }
            other => other.clone(),
        };
        RowFormat {
            name: self.name.clone(),
            fields: self.fields.clone(),
            codec,
        }
    }

    /// The format's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The fields, in order.
    pub fn fields(&self) -> &[FormatField] {
        &self.fields
    }

    /// Whether malformed records are skipped (counted) instead of failing the job.
    pub fn ignores_parse_errors(&self) -> bool {
        match &self.codec {
            Codec::Json(j) => j.ignores_parse_errors(),
            Codec::Csv(c) => c.ignores_parse_errors(),
            Codec::Changelog(c) => c.ignores_parse_errors(),
            Codec::AvroConfluent(a) => a.ignores_parse_errors(),
            Codec::DebeziumAvro(d) => d.ignores_parse_errors(),
            Codec::Protobuf(p) => p.ignores_parse_errors(),
            Codec::ProtobufConfluent(p) => p.ignores_parse_errors(),
            Codec::JsonConfluent(j) => j.ignores_parse_errors(),
            Codec::Raw(_) | Codec::Avro(_) => false,
        }
    }

    /// Whether a record that failed to decode with `e` is skipped (counted) rather than
    /// failing the job: with `ignore-parse-errors`, unless the failure was not the record's
    /// (`avro-confluent` when the schema registry cannot be reached).
    pub fn skips(&self, e: &FormatError) -> bool {
        match &self.codec {
            Codec::AvroConfluent(a) => a.skippable(e),
            Codec::DebeziumAvro(d) => d.skippable(e),
            Codec::ProtobufConfluent(p) => p.skippable(e),
            Codec::JsonConfluent(j) => j.skippable(e),
            _ => self.ignores_parse_errors(),
        }
    }

    /// Whether a record is a change event of a database table (a CDC format: `debezium-json`,
    /// `canal-json`, `maxwell-json`) rather than a row: read it with
    /// [`decode_changes`](Self::decode_changes), write changes with
    /// [`encode_change`](Self::encode_change).
    pub fn is_changelog(&self) -> bool {
        matches!(self.codec, Codec::Changelog(_) | Codec::DebeziumAvro(_))
    }

    /// Appends the changes one record holds, in order, each with one value per field: none
    /// for a record that holds no change (an empty record, a DDL event, one skipped by a
    /// format's filter); a row format's record is one insertion (or none where
    /// [`decode_record`](Self::decode_record) makes none). On an error nothing is appended.
    pub fn decode_changes(&self, bytes: &[u8], out: &mut Vec<ChangeValues>) -> Result<(), FormatError> {
        match &self.codec {
            Codec::Changelog(c) => return c.decode(bytes, out),
            Codec::DebeziumAvro(d) => {
                let start = out.len();
                let result = d.decode(bytes, out);
                if result.is_err() {
                    out.truncate(start);
                }
                return result;
            }
            _ => {}
        }
        let mut values = Vec::with_capacity(self.fields.len());
        if self.decode_record(bytes, &mut values)? {
            out.push((RowKind::Insert, values));
        }
        Ok(())
    }

    /// This format also reading the metadata `keys` of each record (a CDC format's keys, by
    /// Flink's names without `value.`), for
    /// [`decode_changes_with_metadata`](Self::decode_changes_with_metadata). A format
    /// without such a key is an error (the catalog lets no table ask for one).
    pub fn reading_metadata(&self, keys: &[&str]) -> Result<RowFormat, FormatError> {
        let codec = match &self.codec {
            Codec::Changelog(c) => Codec::Changelog(Arc::new(c.with_metadata(keys)?)),
            _ => {
                return Err(FormatError(format!(
                    "format '{}' has no metadata '{}'",
                    self.name,
                    keys.first().copied().unwrap_or_default()
                )));
            }
        };
        Ok(RowFormat {
            name: self.name.clone(),
            fields: self.fields.clone(),
            codec,
        })
    }

    /// [`decode_changes`](Self::decode_changes), and when the record holds changes the
    /// values of the metadata keys [`reading_metadata`](Self::reading_metadata) asked for,
    /// appended to `metadata` in that order: one set for all the record's changes (Flink reads
    /// them from the event, so an update's `-U` and `+U` carry the same). On an error nothing
    /// is appended to either.
    pub fn decode_changes_with_metadata(
        &self,
        bytes: &[u8],
        out: &mut Vec<ChangeValues>,
        metadata: &mut Vec<Value>,
    ) -> Result<(), FormatError> {
        match &self.codec {
            Codec::Changelog(c) => c.decode_with_metadata(bytes, out, metadata),
            _ => self.decode_changes(bytes, out),
        }
    }

    /// Flink's message when this format, configured as it is, cannot be written (a sink's
    /// planning error): `debezium-json` with `schema-include`.
    pub fn unwritable(&self) -> Option<&'static str> {
        match &self.codec {
            Codec::Changelog(c) => c.unwritable(),
            _ => None,
        }
    }

    /// Appends the encoding of one change: a changelog format writes the kind into its event;
    /// a row format writes the row (its table takes insertions only). On an error `out` is left
    /// as it was.
    pub fn encode_change(
        &self,
        kind: RowKind,
        values: &[Value],
        out: &mut Vec<u8>,
    ) -> Result<(), FormatError> {
        match &self.codec {
            Codec::Changelog(c) => {
                self.check_width(values)?;
                c.encode(kind, values, out)
            }
            Codec::DebeziumAvro(d) => {
                let start = out.len();
                let result = d.encode(kind, values, out);
                if result.is_err() {
                    out.truncate(start);
                }
                result
            }
            _ => self.encode(values, out),
        }
    }

    /// Appends one value per field to `out`, decoded from `bytes`. A record that Flink skips
    /// without an error (an empty JSON record) is an error here naming that; use
    /// [`decode_record`](Self::decode_record) to tell it apart.
    pub fn decode(&self, bytes: &[u8], out: &mut Vec<Value>) -> Result<(), FormatError> {
        if self.decode_record(bytes, out)? {
            Ok(())
        } else {
            Err(FormatError("empty record".into()))
        }
    }

    /// Like [`decode`](Self::decode), but `Ok(false)` (nothing appended) for a record Flink
    /// skips silently: an empty `json` record, or a comment line in `csv` with
    /// `allow-comments`.
    pub fn decode_record(&self, bytes: &[u8], out: &mut Vec<Value>) -> Result<bool, FormatError> {
        let start = out.len();
        let result = match &self.codec {
            Codec::Json(j) => j.decode(bytes, out),
            Codec::Csv(c) => c.decode(bytes, out),
            Codec::Raw(r) => r.decode(bytes, out).map(|()| true),
            Codec::Avro(a) => a.decode(bytes, out),
            Codec::AvroConfluent(a) => a.decode(bytes, out),
            Codec::Protobuf(p) => p.decode(bytes, out),
            Codec::ProtobufConfluent(p) => p.decode(bytes, out),
            Codec::JsonConfluent(j) => j.decode(bytes, out),
            Codec::Changelog(_) | Codec::DebeziumAvro(_) => Err(FormatError(format!(
                "internal error: '{}' records are changes, read with decode_changes",
                self.name
            ))),
        };
        if !matches!(result, Ok(true)) {
            out.truncate(start);
        }
        result
    }

    /// Like [`decode_record`](Self::decode_record), for `bytes` that are one whole record cut
    /// from a file by [`record_splitter`](Self::record_splitter) (without the line break):
    /// where `decode_record` reads the first record of a Kafka message and ignores the rest,
    /// here anything after the record is an error, so no row can be lost unseen.
    pub fn decode_file_record(&self, bytes: &[u8], out: &mut Vec<Value>) -> Result<bool, FormatError> {
        let start = out.len();
        let result = match &self.codec {
            Codec::Csv(c) => c.decode_whole(bytes, out),
            Codec::Json(_)
            | Codec::Raw(_)
            | Codec::Changelog(_)
            | Codec::Avro(_)
            | Codec::AvroConfluent(_)
            | Codec::DebeziumAvro(_)
            | Codec::Protobuf(_)
            | Codec::ProtobufConfluent(_)
            | Codec::JsonConfluent(_) => {
                return self.decode_record(bytes, out);
            }
        };
        if !matches!(result, Ok(true)) {
            out.truncate(start);
        }
        result
    }

    /// Finds where this format's records end in a file: at the end of a line, or for `csv`
    /// at a line break outside quoted fields.
    pub fn record_splitter(&self) -> RecordSplitter {
        RecordSplitter(match &self.codec {
            Codec::Csv(c) => Some(c.splitter()),
            Codec::Json(_)
            | Codec::Raw(_)
            | Codec::Changelog(_)
            | Codec::Avro(_)
            | Codec::AvroConfluent(_)
            | Codec::DebeziumAvro(_)
            | Codec::Protobuf(_)
            | Codec::ProtobufConfluent(_)
            | Codec::JsonConfluent(_) => None,
        })
    }

    /// What Flink reads from an absent Kafka value (a tombstone): `raw` reads a row whose
    /// value is `NULL` (appended, `true`); `json` and `csv` read no row (`false`).
    pub fn decode_absent(&self, out: &mut Vec<Value>) -> bool {
        match &self.codec {
            Codec::Raw(_) => {
                out.push(Value::Null);
                true
            }
            Codec::Json(_)
            | Codec::Csv(_)
            | Codec::Changelog(_)
            | Codec::Avro(_)
            | Codec::AvroConfluent(_)
            | Codec::DebeziumAvro(_)
            | Codec::Protobuf(_)
            | Codec::ProtobufConfluent(_)
            | Codec::JsonConfluent(_) => false,
        }
    }

    /// Whether Flink writes these values as an absent Kafka value (a tombstone) rather than
    /// bytes: `raw` does for `NULL`.
    pub fn encodes_absent(&self, values: &[Value]) -> bool {
        matches!(self.codec, Codec::Raw(_)) && values.first().is_some_and(Value::is_null)
    }

    /// Appends the encoding of `values` (one per field) to `out`. On an error `out` is left
    /// as it was.
    /// A changelog format writes the row as an insertion.
    pub fn encode(&self, values: &[Value], out: &mut Vec<u8>) -> Result<(), FormatError> {
        self.check_width(values)?;
        let start = out.len();
        let result = match &self.codec {
            Codec::Json(j) => j.encode(values, out),
            Codec::Csv(c) => c.encode(values, out),
            Codec::Raw(r) => r.encode(values, out),
            Codec::Avro(a) => a.encode(values, out),
            Codec::AvroConfluent(a) => a.encode(values, out),
            Codec::Protobuf(p) => p.encode(values, out),
            Codec::ProtobufConfluent(p) => p.encode(values, out),
            Codec::JsonConfluent(j) => j.encode(values, out),
            Codec::DebeziumAvro(d) => d.encode(RowKind::Insert, values, out),
            Codec::Changelog(c) => c.encode(RowKind::Insert, values, out),
        };
        if result.is_err() {
            out.truncate(start);
        }
        result
    }

    fn check_width(&self, values: &[Value]) -> Result<(), FormatError> {
        if values.len() == self.fields.len() {
            return Ok(());
        }
        Err(FormatError(format!(
            "{} values for the {} fields of format '{}'",
            values.len(),
            self.fields.len(),
            self.name
        )))
    }
}
