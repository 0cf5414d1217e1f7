//! Table metadata v2: the JSON document a catalog points at (spec "Table Metadata"). Read and
//! written with every required field; fields this crate does not model (`statistics`, future
//! additions) are kept as read and written back.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::error::{IcebergError, Result};
use crate::partition::{PartitionSpec, UnboundPartitionField};
use crate::schema::Schema;
use crate::snapshot::{Snapshot, SnapshotRef};

/// The branch appends go to.
pub const MAIN_BRANCH: &str = "main";

/// Table property: how many previous metadata files `metadata-log` keeps (Java's default 100).
pub const PREVIOUS_VERSIONS_MAX: &str = "write.metadata.previous-versions-max";

/// `snapshot-log` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct SnapshotLogEntry {
    /// When the snapshot became current.
    pub timestamp_ms: i64,
    /// Which one.
    pub snapshot_id: i64,
}

/// `metadata-log` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct MetadataLogEntry {
    /// When that metadata file was replaced... or written (Java: its `last-updated-ms`).
    pub timestamp_ms: i64,
    /// Its location.
    pub metadata_file: String,
}

/// The table metadata document, format version 2.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct TableMetadata {
    /// Always 2 here.
    pub format_version: u8,
    /// The table's UUID; a commit must keep it.
    pub table_uuid: String,
    /// The table's base location (data under `data/`, metadata under `metadata/`).
    pub location: String,
    /// The highest sequence number assigned.
    pub last_sequence_number: i64,
    /// When the metadata last changed.
    pub last_updated_ms: i64,
    /// The highest field id ever assigned.
    pub last_column_id: i32,
    /// All schemas.
    pub schemas: Vec<Schema>,
    /// The current schema's id.
    pub current_schema_id: i32,
    /// All partition specs.
    pub partition_specs: Vec<PartitionSpec>,
    /// The spec new files are written with.
    pub default_spec_id: i32,
    /// The highest partition field id ever assigned.
    pub last_partition_id: i32,
    /// Table properties.
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
    /// The current snapshot of `main` (Java writes -1 for none, which is read as none).
    #[serde(
        default,
        serialize_with = "ser_current_snapshot",
        deserialize_with = "de_current_snapshot"
    )]
    pub current_snapshot_id: Option<i64>,
    /// All snapshots still kept.
    #[serde(default)]
    pub snapshots: Vec<Snapshot>,
    /// When each snapshot became current.
    #[serde(default)]
    pub snapshot_log: Vec<SnapshotLogEntry>,
    /// Previous metadata files.
    #[serde(default)]
    pub metadata_log: Vec<MetadataLogEntry>,
    /// Sort orders, kept as read (this crate writes unsorted files only).
    pub sort_orders: Vec<Json>,
    /// The default sort order's id.
    pub default_sort_order_id: i32,
    /// Branches and tags.
    #[serde(default)]
    pub refs: BTreeMap<String, SnapshotRef>,
    /// Anything else (`statistics`, `partition-statistics`, ...), kept as read.
    #[serde(flatten)]
    pub other: BTreeMap<String, Json>,
}

fn ser_current_snapshot<S: serde::Serializer>(v: &Option<i64>, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_i64(v.unwrap_or(-1))
}

fn de_current_snapshot<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<i64>, D::Error> {
    Ok(Option::<i64>::deserialize(d)?.filter(|id| *id != -1))
}

/// What a new table is made of.
#[derive(Debug, Clone, PartialEq)]
pub struct TableCreation {
    /// The schema; its ids are renumbered from 1 (see [`Schema::with_fresh_ids`]) unless
    /// `keep_ids` is set.
    pub schema: Schema,
    /// Whether `schema`'s ids are used as given.
    pub keep_ids: bool,
    /// The partition fields.
    pub partition: Vec<UnboundPartitionField>,
    /// Table properties.
    pub properties: BTreeMap<String, String>,
    /// The table's location; the catalog's default when `None`.
    pub location: Option<String>,
}

impl TableCreation {
    /// An unpartitioned table of `schema` (ids kept as given).
    pub fn new(schema: Schema) -> Self {
        TableCreation {
            schema,
            keep_ids: true,
            partition: Vec::new(),
            properties: BTreeMap::new(),
            location: None,
        }
    }
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl TableMetadata {
    /// The metadata of a new, empty table at `location`.
    pub fn new(creation: &TableCreation, location: &str) -> Result<TableMetadata> {
        let mut schema = creation.schema.clone();
        if !creation.keep_ids {
            let names: Vec<&str> = schema
                .identifier_field_ids
                .iter()
                .filter_map(|id| creation.schema.field(*id).map(|f| f.name.as_str()))
                .collect();
            schema = Schema::with_fresh_ids(schema.fields.clone(), &names)?;
        }
        schema.schema_id = 0;
        let spec = PartitionSpec::bind(&schema, &creation.partition)?;
        let mut properties = creation.properties.clone();
        // Java persists this default for tables it creates since 1.4; readers use it too.
        properties
            .entry("write.parquet.compression-codec".into())
            .or_insert_with(|| "zstd".into());
        Ok(TableMetadata {
            format_version: 2,
            table_uuid: uuid::Uuid::new_v4().to_string(),
            location: location.trim_end_matches('/').to_owned(),
            last_sequence_number: 0,
            last_updated_ms: now_ms(),
            last_column_id: schema.highest_field_id(),
            current_schema_id: 0,
            schemas: vec![schema],
            last_partition_id: spec.last_field_id(),
            default_spec_id: spec.spec_id,
            partition_specs: vec![spec],
            properties,
            current_snapshot_id: None,
            snapshots: Vec::new(),
            snapshot_log: Vec::new(),
            metadata_log: Vec::new(),
            sort_orders: vec![serde_json::json!({"order-id": 0, "fields": []})],
            default_sort_order_id: 0,
            refs: BTreeMap::new(),
            other: BTreeMap::new(),
        })
    }

    /// Parses a metadata document; only format version 2 is accepted.
    pub fn from_json(text: &str) -> Result<TableMetadata> {
        let m: TableMetadata = serde_json::from_str(text).map_err(|e| IcebergError::Json(e.to_string()))?;
        if m.format_version != 2 {
            return Err(IcebergError::Unsupported(format!(
                "table format version {} (only 2)",
                m.format_version
            )));
        }
        m.check()?;
        Ok(m)
    }

    /// The document as pretty JSON (as Java and pyiceberg write it, more or less).
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string_pretty(self).map_err(|e| IcebergError::Json(e.to_string()))
    }

    fn check(&self) -> Result<()> {
        self.schemas
            .iter()
            .find(|s| s.schema_id == self.current_schema_id)
            .ok_or_else(|| {
                IcebergError::Json(format!(
                    "current-schema-id {} not among schemas",
                    self.current_schema_id
                ))
            })?;
        self.partition_specs
            .iter()
            .find(|s| s.spec_id == self.default_spec_id)
            .ok_or_else(|| {
                IcebergError::Json(format!(
                    "default-spec-id {} not among specs",
                    self.default_spec_id
                ))
            })?;
        if let Some(id) = self.current_snapshot_id
            && self.snapshot(id).is_none()
        {
            return Err(IcebergError::Json(format!(
                "current-snapshot-id {id} is not a snapshot"
            )));
        }
        Ok(())
    }

    /// The current schema.
    pub fn current_schema(&self) -> &Schema {
        // `check` made sure it exists; the first schema is a harmless fallback.
        self.schemas
            .iter()
            .find(|s| s.schema_id == self.current_schema_id)
            .unwrap_or(&self.schemas[0])
    }

    /// The default partition spec.
    pub fn default_spec(&self) -> &PartitionSpec {
        self.partition_specs
            .iter()
            .find(|s| s.spec_id == self.default_spec_id)
            .unwrap_or(&self.partition_specs[0])
    }

    /// A snapshot by id.
    pub fn snapshot(&self, id: i64) -> Option<&Snapshot> {
        self.snapshots.iter().find(|s| s.snapshot_id == id)
    }

    /// The head of `branch` (for `main`, falling back to `current-snapshot-id` when the
    /// table has no `refs`, as old writers left it).
    pub fn branch_head(&self, branch: &str) -> Option<&Snapshot> {
        match self.refs.get(branch) {
            Some(r) => self.snapshot(r.snapshot_id),
            None if branch == MAIN_BRANCH => self.current_snapshot_id.and_then(|id| self.snapshot(id)),
            None => None,
        }
    }

    /// The current snapshot (the head of `main`).
    pub fn current_snapshot(&self) -> Option<&Snapshot> {
        self.branch_head(MAIN_BRANCH)
    }

    /// `snapshot` and its ancestors, newest first (stops where a parent is expired).
    pub fn ancestry<'a>(&'a self, snapshot: Option<&'a Snapshot>) -> impl Iterator<Item = &'a Snapshot> + 'a {
        std::iter::successors(snapshot, |s| s.parent_snapshot_id.and_then(|p| self.snapshot(p)))
    }

    /// Records that this metadata replaces the file at `previous` (written at
    /// `previous_updated_ms`), keeping at most `write.metadata.previous-versions-max` entries.
    pub fn push_metadata_log(&mut self, previous: &str, previous_updated_ms: i64) {
        self.metadata_log.push(MetadataLogEntry {
            timestamp_ms: previous_updated_ms,
            metadata_file: previous.to_owned(),
        });
        let max = self
            .properties
            .get(PREVIOUS_VERSIONS_MAX)
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(100)
            .max(1);
        if self.metadata_log.len() > max {
            let drop = self.metadata_log.len() - max;
            self.metadata_log.drain(..drop);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::Transform;
    use crate::types::{NestedField, PrimitiveType};

    pub(crate) fn sample() -> TableMetadata {
        let schema = Schema::with_fresh_ids(
            vec![
                NestedField::required(0, "id", PrimitiveType::Long),
                NestedField::optional(0, "ts", PrimitiveType::Timestamptz),
            ],
            &["id"],
        )
        .expect("schema");
        let mut creation = TableCreation::new(schema);
        creation.partition = vec![UnboundPartitionField::new("ts", Transform::Hour)];
        TableMetadata::new(&creation, "/tmp/t/").expect("metadata")
    }

    #[test]
    fn new_table_json_has_every_required_field_and_round_trips() {
        let m = sample();
        let json: Json = serde_json::from_str(&m.to_json().expect("json")).expect("parses");
        for key in [
            "format-version",
            "table-uuid",
            "location",
            "last-sequence-number",
            "last-updated-ms",
            "last-column-id",
            "schemas",
            "current-schema-id",
            "partition-specs",
            "default-spec-id",
            "last-partition-id",
            "sort-orders",
            "default-sort-order-id",
        ] {
            assert!(json.get(key).is_some(), "{key} missing");
        }
        assert_eq!(json["current-snapshot-id"], -1);
        assert_eq!(json["last-partition-id"], 1000);
        assert_eq!(json["location"], "/tmp/t");
        let back = TableMetadata::from_json(&m.to_json().expect("json")).expect("reads back");
        assert_eq!(back, m);
        assert!(back.current_snapshot().is_none());
    }

    #[test]
    fn unknown_fields_survive_and_v1_is_refused() {
        let mut json: Json = serde_json::from_str(&sample().to_json().expect("json")).expect("parses");
        json["statistics"] = serde_json::json!([{"snapshot-id": 1}]);
        let m = TableMetadata::from_json(&json.to_string()).expect("reads");
        assert!(m.to_json().expect("json").contains("statistics"));
        json["format-version"] = 1.into();
        assert!(TableMetadata::from_json(&json.to_string()).is_err());
    }

    #[test]
    fn metadata_log_is_capped() {
        let mut m = sample();
        m.properties.insert(PREVIOUS_VERSIONS_MAX.into(), "2".into());
        for i in 0..5 {
            m.push_metadata_log(&format!("v{i}"), i);
        }
        let files: Vec<_> = m.metadata_log.iter().map(|e| e.metadata_file.as_str()).collect();
        assert_eq!(files, ["v3", "v4"]);
    }
}
