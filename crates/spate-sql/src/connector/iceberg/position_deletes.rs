//! Position deletes of one subtask's checkpoint: `(file_path, pos)` of rows this subtask wrote
//! earlier in the same checkpoint and that a later change of their key replaced (Flink's
//! `SortedPosDeleteWriter`). They are gathered per partition and written at the checkpoint,
//! sorted by file and position as the spec requires, into a file in the partition of the data
//! files they name, with the spec's reserved field ids (2147483546 `file_path`, 2147483545
//! `pos`). A position delete applies to data files of its own sequence number too, so it
//! removes rows its snapshot adds, which an equality delete cannot.

use std::collections::BTreeMap;
use std::sync::Arc;

use spate_engine::EngineError;
use spate_iceberg::{DataContent, DataFile, Value as IcebergValue};

use super::data_files::DataFiles;
use crate::format::FormatField;
use crate::format::parquet::FieldIds;
use crate::types::{DataType, MAX_LENGTH, TypeKind};
use crate::value::Value;

/// The spec's field id of `file_path` in position-delete files.
pub(crate) const FILE_PATH_ID: i32 = 2_147_483_546;
/// The spec's field id of `pos` in position-delete files.
pub(crate) const POS_ID: i32 = 2_147_483_545;

/// The columns of a position-delete file and their field ids.
pub(crate) fn fields() -> (Vec<FormatField>, Vec<FieldIds>) {
    let fields = vec![
        FormatField {
            name: "file_path".into(),
            ty: DataType::new(TypeKind::Varchar(MAX_LENGTH)).not_null(),
        },
        FormatField {
            name: "pos".into(),
            ty: DataType::new(TypeKind::BigInt).not_null(),
        },
    ];
    let ids = [FILE_PATH_ID, POS_ID]
        .into_iter()
        .map(|id| FieldIds {
            id,
            children: Vec::new(),
        })
        .collect();
    (fields, ids)
}

/// A partition's deletes: its tuple and the `(file, position)`s.
type PartitionDeletes = (Vec<Option<IcebergValue>>, Vec<(Arc<str>, u64)>);

/// See the module docs.
pub(crate) struct PositionDeletes {
    files: DataFiles,
    /// By partition directory.
    pending: BTreeMap<String, PartitionDeletes>,
}

impl PositionDeletes {
    /// Deletes written into `files` (laid out with [`fields`]).
    pub(crate) fn new(files: DataFiles) -> Self {
        Self {
            files,
            pending: BTreeMap::new(),
        }
    }

    /// Deletes row `pos` of the data file at `location`, in partition `dir` (`partition`).
    pub(crate) fn delete(
        &mut self,
        location: &Arc<str>,
        dir: &str,
        partition: &[Option<IcebergValue>],
        pos: u64,
    ) {
        if let Some((_, rows)) = self.pending.get_mut(dir) {
            rows.push((location.clone(), pos));
        } else {
            self.pending.insert(
                dir.to_string(),
                (partition.to_vec(), vec![(location.clone(), pos)]),
            );
        }
    }

    /// Writes and closes the gathered deletes' files (none without deletes).
    pub(crate) fn close(&mut self) -> Result<Vec<DataFile>, EngineError> {
        // Per delete file: the least and greatest data file it names.
        let mut bounds: Vec<(String, Arc<str>, Arc<str>)> = Vec::new();
        for (dir, (partition, mut rows)) in std::mem::take(&mut self.pending) {
            rows.sort_unstable();
            rows.dedup();
            let (Some((first, _)), Some((last, _))) = (rows.first().cloned(), rows.last().cloned()) else {
                continue;
            };
            let mut at = None;
            for (path, pos) in rows {
                let row = vec![
                    Value::String(path.to_string()),
                    Value::Int(i64::try_from(pos).unwrap_or(i64::MAX)),
                ];
                at = Some(self.files.push_in(&dir, &partition, row)?.0);
            }
            if let Some(f) = at.and_then(|at| self.files.file(at)) {
                bounds.push((f.location.to_string(), first, last));
            }
        }
        let mut out = self.files.close()?;
        for file in &mut out {
            file.content = DataContent::PositionDeletes;
            // Readers match a delete file to the data files its `file_path` bounds cover; the
            // paths are kept whole (Java's metrics mode for `file_path` is `full`), as a
            // truncated path would match no file exactly.
            if let Some((_, first, last)) = bounds.iter().find(|(l, _, _)| *l == file.file_path) {
                file.lower_bounds
                    .insert(FILE_PATH_ID, IcebergValue::String(first.to_string()).to_bytes());
                file.upper_bounds
                    .insert(FILE_PATH_ID, IcebergValue::String(last.to_string()).to_bytes());
            }
        }
        Ok(out)
    }
}
