//! Snapshots and their summaries (spec "Snapshots", Appendix F "Snapshot Summary").

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The `operation` of an append.
pub const OPERATION_APPEND: &str = "append";
/// The `operation` of a snapshot that adds delete files alone.
pub const OPERATION_DELETE: &str = "delete";
/// The `operation` of a snapshot that adds data and delete files (a row delta).
pub const OPERATION_OVERWRITE: &str = "overwrite";

/// Summary keys this crate writes (Appendix F, as Java's `SnapshotSummary` spells them).
pub mod summary_keys {
    /// What the snapshot did: `append`, `overwrite`, `delete`, `replace`.
    pub const OPERATION: &str = "operation";
    /// Data files the snapshot added.
    pub const ADDED_DATA_FILES: &str = "added-data-files";
    /// Delete files the snapshot added.
    pub const ADDED_DELETE_FILES: &str = "added-delete-files";
    /// Equality-delete files the snapshot added.
    pub const ADDED_EQUALITY_DELETE_FILES: &str = "added-equality-delete-files";
    /// Position-delete files the snapshot added.
    pub const ADDED_POSITION_DELETE_FILES: &str = "added-position-delete-files";
    /// Rows in the added data files.
    pub const ADDED_RECORDS: &str = "added-records";
    /// Bytes of the added files.
    pub const ADDED_FILES_SIZE: &str = "added-files-size";
    /// Position-delete rows added.
    pub const ADDED_POSITION_DELETES: &str = "added-position-deletes";
    /// Equality-delete rows added.
    pub const ADDED_EQUALITY_DELETES: &str = "added-equality-deletes";
    /// Partitions the snapshot touched.
    pub const CHANGED_PARTITION_COUNT: &str = "changed-partition-count";
    /// Data files in the table after the snapshot.
    pub const TOTAL_DATA_FILES: &str = "total-data-files";
    /// Delete files in the table after the snapshot.
    pub const TOTAL_DELETE_FILES: &str = "total-delete-files";
    /// Rows in the table's data files after the snapshot.
    pub const TOTAL_RECORDS: &str = "total-records";
    /// Bytes of the table's files after the snapshot.
    pub const TOTAL_FILES_SIZE: &str = "total-files-size";
    /// Position-delete rows in the table after the snapshot.
    pub const TOTAL_POSITION_DELETES: &str = "total-position-deletes";
    /// Equality-delete rows in the table after the snapshot.
    pub const TOTAL_EQUALITY_DELETES: &str = "total-equality-deletes";
}

/// One snapshot of a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Snapshot {
    /// Its id (random, positive, unique in the table).
    pub snapshot_id: i64,
    /// The snapshot it was made on, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_snapshot_id: Option<i64>,
    /// Its data sequence number.
    pub sequence_number: i64,
    /// When it was committed.
    pub timestamp_ms: i64,
    /// Location of its manifest list.
    pub manifest_list: String,
    /// `operation` and the other summary entries, all strings.
    pub summary: BTreeMap<String, String>,
    /// The schema current when it was written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_id: Option<i32>,
}

impl Snapshot {
    /// A summary entry.
    pub fn summary_value(&self, key: &str) -> Option<&str> {
        self.summary.get(key).map(String::as_str)
    }

    /// A summary entry read as a number (absent or not a number: `None`).
    pub fn summary_i64(&self, key: &str) -> Option<i64> {
        self.summary_value(key).and_then(|v| v.parse().ok())
    }
}

/// A named reference to a snapshot (`refs` in table metadata): a branch or a tag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct SnapshotRef {
    /// The snapshot it points at.
    pub snapshot_id: i64,
    /// `branch` or `tag`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Retention settings and anything else, kept as read.
    #[serde(flatten)]
    pub other: BTreeMap<String, serde_json::Value>,
}

impl SnapshotRef {
    /// A branch at `snapshot_id`.
    pub fn branch(snapshot_id: i64) -> SnapshotRef {
        SnapshotRef {
            snapshot_id,
            kind: "branch".into(),
            other: BTreeMap::new(),
        }
    }
}
