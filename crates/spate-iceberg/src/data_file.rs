//! A data (or delete) file as a manifest records it: where it is, its partition tuple, its
//! size, and optional per-column metrics keyed by field id.

use std::collections::BTreeMap;

use crate::value::Value;

/// What a file holds (`content`, field 134).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataContent {
    /// Rows.
    Data = 0,
    /// Position deletes (`file_path`, `pos`).
    PositionDeletes = 1,
    /// Equality deletes (rows of the `equality_ids` columns).
    EqualityDeletes = 2,
}

impl DataContent {
    pub(crate) fn from_i32(v: i32) -> Option<DataContent> {
        match v {
            0 => Some(DataContent::Data),
            1 => Some(DataContent::PositionDeletes),
            2 => Some(DataContent::EqualityDeletes),
            _ => None,
        }
    }
}

/// One file of a table.
#[derive(Debug, Clone, PartialEq)]
pub struct DataFile {
    /// Data or deletes.
    pub content: DataContent,
    /// The file's full location (as readers will open it).
    pub file_path: String,
    /// `PARQUET`, `AVRO` or `ORC` (Java writes upper case; readers ignore case).
    pub file_format: String,
    /// The partition tuple, in the spec's field order (`None` is null).
    pub partition: Vec<Option<Value>>,
    /// Rows in the file.
    pub record_count: i64,
    /// The file's size in bytes.
    pub file_size_in_bytes: i64,
    /// Bytes on disk per column.
    pub column_sizes: BTreeMap<i32, i64>,
    /// Values (including nulls and NaNs) per column.
    pub value_counts: BTreeMap<i32, i64>,
    /// Nulls per column.
    pub null_value_counts: BTreeMap<i32, i64>,
    /// NaNs per float/double column.
    pub nan_value_counts: BTreeMap<i32, i64>,
    /// Lower bound per column, in the single-value serialization ([`Value::to_bytes`]).
    pub lower_bounds: BTreeMap<i32, Vec<u8>>,
    /// Upper bound per column, likewise.
    pub upper_bounds: BTreeMap<i32, Vec<u8>>,
    /// Offsets where a reader may split the file (Parquet row-group starts).
    pub split_offsets: Option<Vec<i64>>,
    /// The field ids an equality-delete file's rows compare (required for those files).
    pub equality_ids: Option<Vec<i32>>,
    /// The sort order the file was written in.
    pub sort_order_id: Option<i32>,
}

impl DataFile {
    /// A Parquet data file with no metrics.
    pub fn parquet(
        file_path: impl Into<String>,
        partition: Vec<Option<Value>>,
        record_count: i64,
        file_size_in_bytes: i64,
    ) -> Self {
        DataFile {
            content: DataContent::Data,
            file_path: file_path.into(),
            file_format: "PARQUET".into(),
            partition,
            record_count,
            file_size_in_bytes,
            column_sizes: BTreeMap::new(),
            value_counts: BTreeMap::new(),
            null_value_counts: BTreeMap::new(),
            nan_value_counts: BTreeMap::new(),
            lower_bounds: BTreeMap::new(),
            upper_bounds: BTreeMap::new(),
            split_offsets: None,
            equality_ids: None,
            sort_order_id: None,
        }
    }

    /// Records a column's bounds (encoded with the single-value serialization).
    pub fn set_bounds(&mut self, field_id: i32, lower: &Value, upper: &Value) {
        self.lower_bounds.insert(field_id, lower.to_bytes());
        self.upper_bounds.insert(field_id, upper.to_bytes());
    }

    /// Records a column's value and null counts.
    pub fn set_counts(&mut self, field_id: i32, values: i64, nulls: i64) {
        self.value_counts.insert(field_id, values);
        self.null_value_counts.insert(field_id, nulls);
    }
}
