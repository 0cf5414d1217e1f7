//! Formats: rows ↔ bytes, as Flink's `json`, `csv` and `raw` formats read and write them.
//!
//! Contract: [`RowFormat::new`] validates the format's options once (unknown or bad values are
//! errors that name the option); `decode` never panics on any input: a malformed record is a
//! [`FormatError`] (the connector fails the job with the record's position, or skips and counts
//! it when the format's `ignore-parse-errors` option is set, which `decode` reports through
//! [`RowFormat::ignores_parse_errors`]).

use std::collections::BTreeMap;

use crate::error::SqlError;
use crate::types::DataType;
use crate::value::Value;

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

/// A configured format for a fixed list of fields. Cheap to clone (one per subtask).
#[derive(Debug, Clone)]
pub struct RowFormat {
    name: String,
    fields: Vec<FormatField>,
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
        let _ = options;
        Ok(Self {
            name: name.to_string(),
            fields,
        })
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
        false
    }

    /// Appends one value per field to `out`, decoded from `bytes`.
    pub fn decode(&self, bytes: &[u8], out: &mut Vec<Value>) -> Result<(), FormatError> {
        let _ = (bytes, out);
        Err(FormatError(format!(
            "format '{}' is not implemented yet",
            self.name
        )))
    }

    /// Appends the encoding of `values` (one per field) to `out`.
    pub fn encode(&self, values: &[Value], out: &mut Vec<u8>) -> Result<(), FormatError> {
        let _ = (values, out);
        Err(FormatError(format!(
            "format '{}' is not implemented yet",
            self.name
        )))
    }
}
