//! What a subtask of the sink stores in a checkpoint: the job and operator its commits name,
//! and its data files not yet known committed, by the checkpoint that closed them (Flink keeps
//! the same in the committer's state, as manifests). A restored sink commits those of them
//! whose checkpoint the table does not have yet.

use serde::{Deserialize, Serialize};
use spate_engine::EngineError;
use spate_iceberg::{DataContent, DataFile, PrimitiveType, Value as IcebergValue};

use super::committer::FilesByCheckpoint;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct SinkState {
    pub(crate) job_id: String,
    pub(crate) operator_id: String,
    pub(crate) pending: Vec<StoredCheckpoint>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct StoredCheckpoint {
    pub(crate) checkpoint: u64,
    pub(crate) files: Vec<StoredFile>,
}

/// A data or delete file: its location, partition tuple (each value in Iceberg's
/// single-value serialization), rows and bytes; what it holds (Iceberg's `content`: 0 data,
/// 1 position deletes, 2 equality deletes; absent in states written before deletes existed)
/// and an equality-delete file's field ids.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct StoredFile {
    pub(crate) path: String,
    pub(crate) partition: Vec<Option<Vec<u8>>>,
    pub(crate) records: i64,
    pub(crate) bytes: i64,
    #[serde(default, skip_serializing_if = "is_data")]
    pub(crate) content: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) equality_ids: Option<Vec<i32>>,
}

fn is_data(content: &u8) -> bool {
    *content == 0
}

impl SinkState {
    pub(crate) fn new(job_id: &str, operator_id: &str, pending: &FilesByCheckpoint) -> Self {
        let pending = pending
            .iter()
            .map(|(c, files)| StoredCheckpoint {
                checkpoint: *c,
                files: files
                    .iter()
                    .map(|f| StoredFile {
                        path: f.file_path.clone(),
                        partition: f
                            .partition
                            .iter()
                            .map(|v| v.as_ref().map(IcebergValue::to_bytes))
                            .collect(),
                        records: f.record_count,
                        bytes: f.file_size_in_bytes,
                        content: f.content as u8,
                        equality_ids: f.equality_ids.clone(),
                    })
                    .collect(),
            })
            .collect();
        Self {
            job_id: job_id.to_string(),
            operator_id: operator_id.to_string(),
            pending,
        }
    }

    pub(crate) fn encode(&self) -> Result<Vec<u8>, EngineError> {
        serde_json::to_vec(self).map_err(|e| EngineError::Checkpoint(format!("iceberg sink state: {e}")))
    }

    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, EngineError> {
        serde_json::from_slice(bytes)
            .map_err(|e| EngineError::Checkpoint(format!("a corrupt iceberg sink state: {e}")))
    }

    /// The pending files, their partition values read as `types` (the table's partition
    /// spec's result types).
    pub(crate) fn files(&self, types: &[PrimitiveType]) -> Result<FilesByCheckpoint, EngineError> {
        let mut out = FilesByCheckpoint::new();
        for c in &self.pending {
            let files = c
                .files
                .iter()
                .map(|f| {
                    let partition = f
                        .partition
                        .iter()
                        .enumerate()
                        .map(|(i, v)| match (v, types.get(i)) {
                            (None, _) => Ok(None),
                            (Some(bytes), Some(t)) => {
                                IcebergValue::from_bytes(*t, bytes).map(Some).map_err(|e| {
                                    EngineError::Checkpoint(format!(
                                        "iceberg sink state, file {}: {e}",
                                        f.path
                                    ))
                                })
                            }
                            (Some(_), None) => Err(EngineError::Checkpoint(format!(
                                "iceberg sink state, file {}: the table's partition spec changed",
                                f.path
                            ))),
                        })
                        .collect::<Result<Vec<_>, EngineError>>()?;
                    let mut file = DataFile::parquet(f.path.clone(), partition, f.records, f.bytes);
                    file.content = match f.content {
                        0 => DataContent::Data,
                        1 => DataContent::PositionDeletes,
                        2 => DataContent::EqualityDeletes,
                        other => {
                            return Err(EngineError::Checkpoint(format!(
                                "iceberg sink state, file {}: unknown content {other}",
                                f.path
                            )));
                        }
                    };
                    file.equality_ids = f.equality_ids.clone();
                    Ok(file)
                })
                .collect::<Result<Vec<_>, EngineError>>()?;
            out.insert(c.checkpoint, files);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip_with_partition_values() {
        let mut pending = FilesByCheckpoint::new();
        let mut deletes = DataFile::parquet(
            "/t/data/d=1/e.parquet",
            vec![Some(IcebergValue::Date(19_000)), None],
            2,
            80,
        );
        deletes.content = DataContent::EqualityDeletes;
        deletes.equality_ids = Some(vec![1, 3]);
        pending.insert(
            4,
            vec![
                DataFile::parquet(
                    "/t/data/d=1/f.parquet",
                    vec![Some(IcebergValue::Date(19_000)), None],
                    7,
                    900,
                ),
                deletes,
            ],
        );
        let s = SinkState::new("job", "op", &pending);
        let back = SinkState::decode(&s.encode().expect("encodes")).expect("decodes");
        assert_eq!(back, s);
        let files = back
            .files(&[PrimitiveType::Date, PrimitiveType::String])
            .expect("files");
        assert_eq!(files, pending);
        assert!(back.files(&[]).is_err());
    }
}
