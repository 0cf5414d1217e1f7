//! A new snapshot of added files: a fast append (Java's `FastAppend`) when they are all data
//! files, a row delta (Java's `BaseRowDelta`) when some are delete files. Its manifest list is
//! the new manifests (one of data files, one of delete files) followed by every manifest of
//! the parent, unchanged. The manifests are written once; each attempt (a retry after a
//! conflicting commit) writes only a new manifest list on the base it is applied to, as the
//! new manifests' entries inherit their sequence number from the list.
//!
//! Sequence numbers are what make a row delta mean what it should: an equality delete
//! applies to data files of a *lower* data sequence number, a position delete to those of a
//! lower or equal one. So the rows a snapshot adds survive its own equality deletes, and
//! consecutive row deltas must be separate snapshots (a writer's checkpoints are).

use std::collections::{BTreeMap, BTreeSet};

use crate::data_file::{DataContent, DataFile};
use crate::error::{IcebergError, Result};
use crate::io::FileIo;
use crate::manifest::write_manifest;
use crate::manifest_list::{ManifestFile, ManifestListHeader, read_manifest_list, write_manifest_list};
use crate::metadata::{MAIN_BRANCH, SnapshotLogEntry, TableMetadata, now_ms};
use crate::snapshot::{
    OPERATION_APPEND, OPERATION_DELETE, OPERATION_OVERWRITE, Snapshot, SnapshotRef, summary_keys as k,
};

/// A random positive snapshot id (from a v4 UUID, as Java derives them).
pub fn new_snapshot_id() -> i64 {
    let bits = uuid::Uuid::new_v4().as_u128();
    (((bits >> 64) as u64 ^ bits as u64) >> 1) as i64
}

/// What a snapshot adds, counted for its summary.
#[derive(Debug, Clone, Copy, Default)]
struct Added {
    data_files: i64,
    records: i64,
    size: i64,
    equality_delete_files: i64,
    position_delete_files: i64,
    equality_deletes: i64,
    position_deletes: i64,
}

impl Added {
    fn of(files: &[DataFile]) -> Added {
        let mut a = Added::default();
        for f in files {
            a.size += f.file_size_in_bytes;
            match f.content {
                DataContent::Data => {
                    a.data_files += 1;
                    a.records += f.record_count;
                }
                DataContent::EqualityDeletes => {
                    a.equality_delete_files += 1;
                    a.equality_deletes += f.record_count;
                }
                DataContent::PositionDeletes => {
                    a.position_delete_files += 1;
                    a.position_deletes += f.record_count;
                }
            }
        }
        a
    }

    fn delete_files(&self) -> i64 {
        self.equality_delete_files + self.position_delete_files
    }
}

/// A snapshot prepared on one base: the files' manifests are written;
/// [`PendingSnapshot::apply`] makes the table metadata of the commit on any base.
#[derive(Debug, Clone)]
pub struct PendingSnapshot {
    snapshot_id: i64,
    /// The data manifest, then the delete manifest (each when there are such files).
    manifests: Vec<ManifestFile>,
    spec_id: i32,
    summary: BTreeMap<String, String>,
    added: Added,
    changed_partitions: usize,
}

impl PendingSnapshot {
    /// Writes the manifests of `files` (none for an empty snapshot, as Flink commits every
    /// `flink.max-continuous-empty-commits` empty checkpoints) into `<location>/metadata/`.
    /// Equality-delete files must name their `equality_ids`. `properties` go into the snapshot
    /// summary (e.g. Flink's job and checkpoint ids); the computed keys override them.
    pub fn new(
        io: &FileIo,
        base: &TableMetadata,
        files: Vec<DataFile>,
        properties: BTreeMap<String, String>,
    ) -> Result<Self> {
        if let Some(f) = files.iter().find(|f| {
            f.content == DataContent::EqualityDeletes && f.equality_ids.as_ref().is_none_or(Vec::is_empty)
        }) {
            return Err(IcebergError::invalid(format!(
                "the equality-delete file {} names no equality ids",
                f.file_path
            )));
        }
        let snapshot_id = new_snapshot_id();
        let spec = base.default_spec();
        let partitions: BTreeSet<String> = files
            .iter()
            .map(|f| spec.partition_path(&f.partition))
            .collect::<Result<_>>()?;
        let added = Added::of(&files);
        let (data, deletes): (Vec<DataFile>, Vec<DataFile>) =
            files.into_iter().partition(|f| f.content == DataContent::Data);
        let mut manifests = Vec::new();
        for (i, group) in [data, deletes].iter().enumerate() {
            if !group.is_empty() {
                let location = format!("{}/metadata/{}-m{i}.avro", base.location, uuid::Uuid::new_v4());
                manifests.push(write_manifest(io, &location, base, snapshot_id, group)?);
            }
        }
        Ok(PendingSnapshot {
            snapshot_id,
            manifests,
            spec_id: spec.spec_id,
            summary: properties,
            added,
            changed_partitions: partitions.len(),
        })
    }

    /// The new snapshot's id (the same on every attempt).
    pub fn snapshot_id(&self) -> i64 {
        self.snapshot_id
    }

    /// The snapshot's `operation`: `append` (data files alone, or nothing), `delete` (delete
    /// files alone) or `overwrite` (both), as Java's `BaseRowDelta` names it.
    pub fn operation(&self) -> &'static str {
        match (self.added.data_files > 0, self.added.delete_files() > 0) {
            (_, false) => OPERATION_APPEND,
            (false, true) => OPERATION_DELETE,
            (true, true) => OPERATION_OVERWRITE,
        }
    }

    /// Writes this attempt's manifest list on `base` and returns the metadata to commit: the
    /// snapshot appended, `main` and `current-snapshot-id` moved to it, the sequence number
    /// and snapshot log advanced. (The catalog adds the `metadata-log` entry when it writes.)
    pub fn apply(&self, io: &FileIo, base: &TableMetadata) -> Result<TableMetadata> {
        if base.default_spec().spec_id != self.spec_id {
            return Err(IcebergError::invalid(
                "the table's partition spec changed under the commit",
            ));
        }
        let parent = base.current_snapshot();
        let sequence_number = base.last_sequence_number + 1;
        let mut manifests: Vec<ManifestFile> = self
            .manifests
            .iter()
            .map(|m| ManifestFile {
                sequence_number,
                min_sequence_number: sequence_number,
                ..m.clone()
            })
            .collect();
        if let Some(p) = parent {
            manifests.extend(read_manifest_list(io, &p.manifest_list)?);
        }
        let list = format!(
            "{}/metadata/snap-{}-1-{}.avro",
            base.location,
            self.snapshot_id,
            uuid::Uuid::new_v4()
        );
        write_manifest_list(
            io,
            &list,
            ManifestListHeader {
                snapshot_id: self.snapshot_id,
                parent_snapshot_id: parent.map(|p| p.snapshot_id),
                sequence_number,
            },
            &manifests,
        )?;
        let now = now_ms().max(base.last_updated_ms);
        let mut summary = self.summary.clone();
        summary.insert(k::OPERATION.into(), self.operation().into());
        self.add_counts(&mut summary, parent);
        let mut next = base.clone();
        next.snapshots.push(Snapshot {
            snapshot_id: self.snapshot_id,
            parent_snapshot_id: parent.map(|p| p.snapshot_id),
            sequence_number,
            timestamp_ms: now,
            manifest_list: list,
            summary,
            schema_id: Some(base.current_schema_id),
        });
        next.last_sequence_number = sequence_number;
        next.last_updated_ms = now;
        next.current_snapshot_id = Some(self.snapshot_id);
        next.refs
            .insert(MAIN_BRANCH.into(), SnapshotRef::branch(self.snapshot_id));
        next.snapshot_log.push(SnapshotLogEntry {
            timestamp_ms: now,
            snapshot_id: self.snapshot_id,
        });
        Ok(next)
    }

    /// The `added-*` keys (those that are not zero, as Java's `SnapshotSummary` writes them),
    /// and `total-*` carried from the parent's totals (a total the parent lacks stays unset,
    /// as Java leaves it; a first snapshot starts at 0).
    fn add_counts(&self, summary: &mut BTreeMap<String, String>, parent: Option<&Snapshot>) {
        let a = &self.added;
        for (key, added) in [
            (k::ADDED_DATA_FILES, a.data_files),
            (k::ADDED_DELETE_FILES, a.delete_files()),
            (k::ADDED_EQUALITY_DELETE_FILES, a.equality_delete_files),
            (k::ADDED_POSITION_DELETE_FILES, a.position_delete_files),
            (k::ADDED_RECORDS, a.records),
            (k::ADDED_FILES_SIZE, a.size),
            (k::ADDED_POSITION_DELETES, a.position_deletes),
            (k::ADDED_EQUALITY_DELETES, a.equality_deletes),
        ] {
            if added > 0 {
                summary.insert(key.into(), added.to_string());
            }
        }
        summary.insert(
            k::CHANGED_PARTITION_COUNT.into(),
            self.changed_partitions.to_string(),
        );
        for (key, added) in [
            (k::TOTAL_DATA_FILES, a.data_files),
            (k::TOTAL_RECORDS, a.records),
            (k::TOTAL_FILES_SIZE, a.size),
            (k::TOTAL_DELETE_FILES, a.delete_files()),
            (k::TOTAL_POSITION_DELETES, a.position_deletes),
            (k::TOTAL_EQUALITY_DELETES, a.equality_deletes),
        ] {
            let before = match parent {
                None => Some(0),
                Some(p) => p.summary_i64(key),
            };
            if let Some(before) = before {
                summary.insert(key.into(), (before + added).to_string());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{EntryStatus, read_manifest};
    use crate::manifest_list::ManifestContent;
    use crate::metadata::TableCreation;
    use crate::partition::UnboundPartitionField;
    use crate::schema::Schema;
    use crate::transform::Transform;
    use crate::types::{NestedField, PrimitiveType};
    use crate::value::Value;

    #[test]
    fn two_appends_chain_and_count() {
        let dir = tempfile::tempdir().expect("tempdir");
        let io = FileIo::local();
        let schema = Schema::with_fresh_ids(
            vec![
                NestedField::required(0, "id", PrimitiveType::Long),
                NestedField::optional(0, "day", PrimitiveType::Date),
            ],
            &[],
        )
        .expect("schema");
        let mut creation = TableCreation::new(schema);
        creation.partition = vec![UnboundPartitionField::new("day", Transform::Identity)];
        let base = TableMetadata::new(&creation, &format!("{}/t", dir.path().display())).expect("metadata");
        let mut f1 = DataFile::parquet("/x/1.parquet", vec![Some(Value::Date(10))], 5, 100);
        f1.set_bounds(1, &Value::Long(1), &Value::Long(5));
        f1.set_counts(1, 5, 0);
        let f2 = DataFile::parquet("/x/2.parquet", vec![None], 3, 50);
        let mut props = BTreeMap::new();
        props.insert("flink.job-id".to_owned(), "j".to_owned());
        let first = PendingSnapshot::new(&io, &base, vec![f1.clone(), f2], props).expect("manifest");
        let m1 = first.apply(&io, &base).expect("applies");
        let s1 = m1.current_snapshot().expect("snapshot");
        assert_eq!(s1.sequence_number, 1);
        assert_eq!(s1.summary_value("total-records"), Some("8"));
        assert_eq!(s1.summary_value("changed-partition-count"), Some("2"));
        assert_eq!(s1.summary_value("flink.job-id"), Some("j"));
        let empty = PendingSnapshot::new(&io, &m1, vec![], BTreeMap::new()).expect("empty");
        let m2 = empty.apply(&io, &m1).expect("applies");
        let second = PendingSnapshot::new(
            &io,
            &m2,
            vec![DataFile::parquet(
                "/x/3.parquet",
                vec![Some(Value::Date(11))],
                2,
                10,
            )],
            BTreeMap::new(),
        )
        .expect("manifest");
        let m3 = second.apply(&io, &m2).expect("applies");
        let s3 = m3.current_snapshot().expect("snapshot");
        assert_eq!((s3.sequence_number, m3.last_sequence_number), (3, 3));
        assert_eq!(s3.summary_value("total-records"), Some("10"));
        assert_eq!(s3.summary_value("total-data-files"), Some("3"));
        assert_eq!(m3.ancestry(Some(s3)).count(), 3);
        let manifests = read_manifest_list(&io, &s3.manifest_list).expect("list");
        assert_eq!(manifests.len(), 2);
        assert_eq!(manifests[0].sequence_number, 3);
        assert_eq!(manifests[1].sequence_number, 1);
        let summary = &manifests[1].partitions.as_ref().expect("summaries")[0];
        assert!(summary.contains_null);
        assert_eq!(summary.lower_bound.as_deref(), Some(&10i32.to_le_bytes()[..]));
        let entries = read_manifest(&io, &manifests[1], &m3).expect("entries");
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].status, EntryStatus::Added);
        assert_eq!(entries[0].sequence_number, 1);
        assert_eq!(entries[0].snapshot_id, s1.snapshot_id);
        assert_eq!(entries[0].data_file, f1);
        let back = TableMetadata::from_json(&m3.to_json().expect("json")).expect("parses");
        assert_eq!(back, m3);
    }

    #[test]
    fn a_row_delta_writes_a_data_and_a_delete_manifest_and_counts_deletes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let io = FileIo::local();
        let schema =
            Schema::with_fresh_ids(vec![NestedField::required(0, "id", PrimitiveType::Long)], &["id"])
                .expect("schema");
        let base = TableMetadata::new(
            &TableCreation::new(schema),
            &format!("{}/t", dir.path().display()),
        )
        .expect("metadata");
        let first = PendingSnapshot::new(
            &io,
            &base,
            vec![DataFile::parquet("/x/1.parquet", vec![], 5, 100)],
            BTreeMap::new(),
        )
        .expect("append");
        assert_eq!(first.operation(), "append");
        let m1 = first.apply(&io, &base).expect("applies");
        let mut eq = DataFile::parquet("/x/eq.parquet", vec![], 2, 30);
        eq.content = DataContent::EqualityDeletes;
        let refused = PendingSnapshot::new(&io, &m1, vec![eq.clone()], BTreeMap::new());
        assert!(refused.is_err(), "equality deletes name their ids");
        eq.equality_ids = Some(vec![1]);
        let mut pos = DataFile::parquet("/x/pos.parquet", vec![], 1, 20);
        pos.content = DataContent::PositionDeletes;
        let data = DataFile::parquet("/x/2.parquet", vec![], 4, 60);
        let delta =
            PendingSnapshot::new(&io, &m1, vec![eq.clone(), data, pos], BTreeMap::new()).expect("delta");
        assert_eq!(delta.operation(), "overwrite");
        let m2 = delta.apply(&io, &m1).expect("applies");
        let s2 = m2.current_snapshot().expect("snapshot");
        for (key, value) in [
            ("added-data-files", "1"),
            ("added-delete-files", "2"),
            ("added-equality-delete-files", "1"),
            ("added-position-delete-files", "1"),
            ("added-records", "4"),
            ("added-equality-deletes", "2"),
            ("added-position-deletes", "1"),
            ("total-records", "9"),
            ("total-data-files", "2"),
            ("total-delete-files", "2"),
            ("total-equality-deletes", "2"),
            ("total-position-deletes", "1"),
        ] {
            assert_eq!(s2.summary_value(key), Some(value), "{key}");
        }
        let manifests = read_manifest_list(&io, &s2.manifest_list).expect("list");
        let contents: Vec<ManifestContent> = manifests.iter().map(|m| m.content).collect();
        assert_eq!(
            contents,
            [
                ManifestContent::Data,
                ManifestContent::Deletes,
                ManifestContent::Data
            ]
        );
        assert!(manifests.iter().take(2).all(|m| m.sequence_number == 2));
        let deletes = read_manifest(&io, &manifests[1], &m2).expect("entries");
        assert_eq!(deletes.len(), 2);
        assert_eq!(deletes[0].data_file, eq);
        assert_eq!(deletes[0].sequence_number, 2);
        let only_deletes = PendingSnapshot::new(&io, &m2, vec![eq], BTreeMap::new()).expect("deletes");
        assert_eq!(only_deletes.operation(), "delete");
    }
}
