//! Flink's `parquet` format for the filesystem connector: a bulk format, so not a
//! [`RowFormat`](super::RowFormat) — rows go into Parquet part files a batch at a time
//! (`spate_connectors::file::parquet`) and are read back a row group at a time.
//!
//! - Types as Flink's `ParquetSchemaConverter` writes them (see `schema.rs`): every column
//!   OPTIONAL, TINYINT/SMALLINT as annotated INT32, every DECIMAL a fixed-length byte array of
//!   Flink's width, DATE, TIME as TIME_MILLIS, ARRAY as a 3-level list, MAP and MULTISET as
//!   `key_value` maps, ROW as a group.
//! - **Where Spate differs:** TIMESTAMP and TIMESTAMP_LTZ are INT64 with the `TIMESTAMP`
//!   logical type in `parquet.timestamp.time.unit` (default micros; TIMESTAMP not adjusted to
//!   UTC, TIMESTAMP_LTZ adjusted), which is what Flink writes with
//!   `parquet.write.int64.timestamp = true`; Flink's default INT96 is deprecated in Parquet
//!   and arrow-rs does not write it. Files Flink wrote with INT96 are read (as UTC).
//! - Options (`parquet.` + ...): `compression` (SNAPPY by default, as Flink; UNCOMPRESSED,
//!   GZIP, ZSTD, LZ4), `block.size` (the row-group size in bytes, 128 MB), `page.size`,
//!   `dictionary.page.size`, `enable.dictionary`, `writer.version` (PARQUET_1_0/PARQUET_2_0),
//!   `write.int64.timestamp` and `utc-timezone` (accepted; see above), `timestamp.time.unit`.
//! - Reading matches columns by name, as Flink does; a column the file lacks reads NULL, and
//!   a column whose stored type cannot become the table's is an error naming the file.

mod decode;
mod encode;
mod schema;

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use parquet::schema::types::SchemaDescriptor;
use spate_connectors::file::parquet::{ParquetCompression, ParquetFormat, ParquetOptions};
use spate_engine::Record;

pub(crate) use decode::ParquetRowDecoder;
use schema::TimestampUnit;
pub(crate) use schema::{FieldIds, Layout};

use super::FormatField;
use super::options::FormatOptions;
use crate::error::SqlError;
use crate::option_values::parse_positive_size;
use crate::value::{Row, RowKind, Value};

/// The format's options, without the `parquet.` prefix.
const OPTIONS: &[&str] = &[
    "compression",
    "block.size",
    "page.size",
    "dictionary.page.size",
    "enable.dictionary",
    "writer.version",
    "write.int64.timestamp",
    "timestamp.time.unit",
    "utc-timezone",
];

/// A table's Parquet layout: its columns and how files are written.
#[derive(Debug, Clone)]
pub(crate) struct Parquet {
    fields: Vec<FormatField>,
    unit: Layout,
    options: ParquetOptions,
    arrow: SchemaRef,
    /// Flink's Parquet schema of the fields, made once at planning (a type it cannot hold
    /// fails there).
    parquet: SchemaDescriptor,
}

impl Parquet {
    /// The format for `fields` with the table's `parquet.*` options (prefix removed).
    pub(crate) fn new(
        fields: Vec<FormatField>,
        options: &BTreeMap<String, String>,
    ) -> Result<Self, SqlError> {
        let o = FormatOptions::new("parquet", options, OPTIONS)?;
        let mut write = ParquetOptions::default();
        if let Some(c) = o.get("compression") {
            write.compression = ParquetCompression::parse(c).ok_or_else(|| {
                o.error(format!(
                    "'{}' = '{c}' is not supported; one of UNCOMPRESSED, SNAPPY, GZIP, ZSTD, LZ4",
                    o.name("compression")
                ))
            })?;
        }
        let size = |key: &str, default: usize| -> Result<usize, SqlError> {
            match o.get(key) {
                None => Ok(default),
                Some(v) => parse_positive_size(v).ok_or_else(|| {
                    o.error(format!(
                        "'{}' = '{v}' is not a positive size in bytes",
                        o.name(key)
                    ))
                }),
            }
        };
        write.row_group_bytes = size("block.size", write.row_group_bytes)?;
        write.page_bytes = size("page.size", write.page_bytes)?;
        write.dictionary_page_bytes = size("dictionary.page.size", write.dictionary_page_bytes)?;
        write.dictionary = o.flag("enable.dictionary", true)?;
        write.writer_v2 = match o.get("writer.version") {
            None => false,
            Some(v) if v.eq_ignore_ascii_case("PARQUET_1_0") || v == "v1" => false,
            Some(v) if v.eq_ignore_ascii_case("PARQUET_2_0") || v == "v2" => true,
            Some(v) => {
                return Err(o.error(format!(
                    "'{}' = '{v}': one of PARQUET_1_0, PARQUET_2_0",
                    o.name("writer.version")
                )));
            }
        };
        o.flag("write.int64.timestamp", false)?;
        o.flag("utc-timezone", false)?;
        let unit = match o
            .get("timestamp.time.unit")
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("micros") => TimestampUnit::Micros,
            Some("millis") => TimestampUnit::Millis,
            Some("nanos") => TimestampUnit::Nanos,
            Some(v) => {
                return Err(o.error(format!(
                    "'{}' = '{v}': one of millis, micros, nanos",
                    o.name("timestamp.time.unit")
                )));
            }
        };
        Self::with_layout(fields, write, Layout::flink(unit), None).map_err(|e| o.error(e))
    }

    /// The format for `fields` written with `options` in `layout`, with Iceberg field ids
    /// when given (see [`FieldIds`]); the error names the column that cannot be written.
    pub(crate) fn with_layout(
        fields: Vec<FormatField>,
        options: ParquetOptions,
        layout: Layout,
        ids: Option<&[FieldIds]>,
    ) -> Result<Self, String> {
        let arrow = schema::arrow_schema(&fields, layout)?;
        let parquet = schema::parquet_schema(&fields, layout, ids)?;
        Ok(Self {
            fields,
            unit: layout,
            options,
            arrow: Arc::new(arrow),
            parquet,
        })
    }

    /// Part files of rows (each a change whose kind is an insertion: the filesystem sink takes
    /// insert-only input in this format) holding the format's fields in order.
    pub(crate) fn part_format(&self) -> ParquetFormat<(RowKind, Row)> {
        let fields = self.fields.clone();
        let arrow = self.arrow.clone();
        let unit = self.unit;
        let format = ParquetFormat::new(self.arrow.clone(), self.options.clone(), move |records| {
            rows_to_batch(&fields, &arrow, unit, records)
        });
        let format = format.with_parquet_schema(self.parquet.clone());
        if self.unit.arrow_metadata {
            format
        } else {
            format.without_arrow_metadata()
        }
    }
}

fn rows_to_batch(
    fields: &[FormatField],
    schema: &SchemaRef,
    unit: Layout,
    records: &[Record<(RowKind, Row)>],
) -> Result<RecordBatch, String> {
    let mut columns = Vec::with_capacity(fields.len());
    let mut values: Vec<&Value> = Vec::with_capacity(records.len());
    for (i, f) in fields.iter().enumerate() {
        values.clear();
        values.extend(records.iter().map(|r| r.value.1.get(i).unwrap_or(&Value::Null)));
        columns.push(encode::array(&f.ty, &values, unit).map_err(|e| format!("column {}: {e}", f.name))?);
    }
    RecordBatch::try_new(schema.clone(), columns).map_err(|e| e.to_string())
}
