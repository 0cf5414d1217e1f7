//! Fast append (Java's `FastAppend`): a new snapshot whose manifest list is one new manifest
//! of the added files followed by every manifest of the parent, unchanged. The manifest is
//! written once; each attempt (a retry after a conflicting commit) writes only a new manifest
//! list on the base it is applied to, as the new manifest's entries inherit their sequence
//! number from the list.

use std::collections::{BTreeMap, BTreeSet};

use crate::data_file::{DataContent, DataFile};
use crate::error::{IcebergError, Result};
use crate::io::FileIo;
use crate::manifest::write_manifest;
use crate::manifest_list::{ManifestFile, ManifestListHeader, read_manifest_list, write_manifest_list};
use crate::metadata::{MAIN_BRANCH, SnapshotLogEntry, TableMetadata, now_ms};
use crate::snapshot::{OPERATION_APPEND, Snapshot, SnapshotRef, summary_keys as k};

/// A random positive snapshot id (from a v4 UUID, as Java derives them).
pub fn new_snapshot_id() -> i64 {
    let bits = uuid::Uuid::new_v4().as_u128();
    (((bits >> 64) as u64 ^ bits as u64) >> 1) as i64
}

/// An append prepared on one base: the files' manifest is written; [`PendingAppend::apply`]
/// makes the table metadata of the commit on any base.
#[derive(Debug, Clone)]
pub struct PendingAppend {
    snapshot_id: i64,
    manifest: Option<ManifestFile>,
    spec_id: i32,
    summary: BTreeMap<String, String>,
    added_files: i64,
    added_records: i64,
    added_size: i64,
    changed_partitions: usize,
}

impl PendingAppend {
    /// Writes the manifest of `files` (none for an empty snapshot, as Flink commits every
    /// `flink.max-continuous-empty-commits` empty checkpoints) into `<location>/metadata/`.
    /// `properties` go into the snapshot summary (e.g. Flink's job and checkpoint ids); the
    /// computed keys override them.
    pub fn new(
        io: &FileIo,
        base: &TableMetadata,
        files: Vec<DataFile>,
        properties: BTreeMap<String, String>,
    ) -> Result<Self> {
        if files.iter().any(|f| f.content != DataContent::Data) {
            return Err(IcebergError::invalid(
                "an append takes data files only (deletes need a row delta)",
            ));
        }
        let snapshot_id = new_snapshot_id();
        let spec = base.default_spec();
        let manifest = if files.is_empty() {
            None
        } else {
            let location = format!("{}/metadata/{}-m0.avro", base.location, uuid::Uuid::new_v4());
            Some(write_manifest(io, &location, base, snapshot_id, &files)?)
        };
        let partitions: BTreeSet<String> = files
            .iter()
            .map(|f| spec.partition_path(&f.partition))
            .collect::<Result<_>>()?;
        Ok(PendingAppend {
            snapshot_id,
            manifest,
            spec_id: spec.spec_id,
            summary: properties,
            added_files: files.len() as i64,
            added_records: files.iter().map(|f| f.record_count).sum(),
            added_size: files.iter().map(|f| f.file_size_in_bytes).sum(),
            changed_partitions: partitions.len(),
        })
    }

    /// The new snapshot's id (the same on every attempt).
    pub fn snapshot_id(&self) -> i64 {
        self.snapshot_id
    }

    /// Writes this attempt's manifest list on `base` and returns the metadata to commit: the
    /// snapshot appended, `main` and `current-snapshot-id` moved to it, the sequence number
    /// and snapshot log advanced. (The catalog adds the `metadata-log` entry when it writes.)
    pub fn apply(&self, io: &FileIo, base: &TableMetadata) -> Result<TableMetadata> {
        if base.default_spec().spec_id != self.spec_id {
            return Err(IcebergError::invalid(
                "the table's partition spec changed under the append",
            ));
        }
        let parent = base.current_snapshot();
        let sequence_number = base.last_sequence_number + 1;
        let mut manifests = Vec::new();
        if let Some(m) = &self.manifest {
            manifests.push(ManifestFile {
                sequence_number,
                min_sequence_number: sequence_number,
                ..m.clone()
            });
        }
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
        summary.insert(k::OPERATION.into(), OPERATION_APPEND.into());
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

    /// The `added-*` keys, and `total-*` carried from the parent's totals (a total the parent
    /// lacks stays unset, as Java's `SnapshotSummary` leaves it; a first snapshot starts at 0).
    fn add_counts(&self, summary: &mut BTreeMap<String, String>, parent: Option<&Snapshot>) {
        if self.added_files > 0 {
            summary.insert(k::ADDED_DATA_FILES.into(), self.added_files.to_string());
            summary.insert(k::ADDED_RECORDS.into(), self.added_records.to_string());
            summary.insert(k::ADDED_FILES_SIZE.into(), self.added_size.to_string());
        }
        summary.insert(
            k::CHANGED_PARTITION_COUNT.into(),
            self.changed_partitions.to_string(),
        );
        for (key, added) in [
            (k::TOTAL_DATA_FILES, self.added_files),
            (k::TOTAL_RECORDS, self.added_records),
            (k::TOTAL_FILES_SIZE, self.added_size),
            (k::TOTAL_DELETE_FILES, 0),
            (k::TOTAL_POSITION_DELETES, 0),
            (k::TOTAL_EQUALITY_DELETES, 0),
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
        let first = PendingAppend::new(&io, &base, vec![f1.clone(), f2], props).expect("manifest");
        let m1 = first.apply(&io, &base).expect("applies");
        let s1 = m1.current_snapshot().expect("snapshot");
        assert_eq!(s1.sequence_number, 1);
        assert_eq!(s1.summary_value("total-records"), Some("8"));
        assert_eq!(s1.summary_value("changed-partition-count"), Some("2"));
        assert_eq!(s1.summary_value("flink.job-id"), Some("j"));
        let empty = PendingAppend::new(&io, &m1, vec![], BTreeMap::new()).expect("empty");
        let m2 = empty.apply(&io, &m1).expect("applies");
        let second = PendingAppend::new(
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
}
