//! A completed checkpoint's sections seen from outside the engine, and a checkpoint assembled
//! from sections kept elsewhere: what a distributed job's process copies to its changelog
//! topics after each checkpoint, and writes back as a checkpoint directory to restore from.
//!
//! A *section* is the engine's unit of state: the bytes of one key group of one operator
//! subtask, or of one operator subtask's non-keyed state (a source's position, a sink's
//! pending transactions, an exchange receiver's position). Its CRC32C is known from the
//! checkpoint's metadata, so a copier can skip unchanged sections without reading them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::checkpoint::restore::RestoredCheckpoint;
use crate::checkpoint::snapshot::OperatorSnapshot;
use crate::checkpoint::storage::{
    self, CheckpointMetadata, FORMAT_VERSION, OperatorState, SectionRef, SubtaskState,
};
use crate::error::EngineError;

/// One section of a completed checkpoint (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The operator's state uid.
    pub uid: String,
    /// The operator's parallelism in the checkpoint.
    pub parallelism: usize,
    /// The operator subtask.
    pub subtask: usize,
    /// The key group, or `None` for the subtask's operator state.
    pub key_group: Option<u32>,
    /// CRC32C of the section's bytes.
    pub crc32c: u32,
    at: SectionRef,
}

/// A completed checkpoint, opened for reading its sections.
#[derive(Debug)]
pub struct CompletedCheckpoint {
    inner: RestoredCheckpoint,
}

impl CompletedCheckpoint {
    /// Opens the completed checkpoint in `dir` (its `_metadata` must exist).
    pub fn open(dir: &Path) -> Result<Self, EngineError> {
        Ok(Self {
            inner: RestoredCheckpoint::open(dir)?,
        })
    }

    /// The checkpoint's id.
    pub fn id(&self) -> u64 {
        self.inner.id()
    }

    /// The job's number of key groups.
    pub fn max_parallelism(&self) -> usize {
        self.inner.meta.max_parallelism
    }

    /// Every section, by operator then subtask (operator state first, then key groups).
    pub fn sections(&self) -> Vec<Section> {
        let mut out = Vec::new();
        for op in &self.inner.meta.operators {
            for st in &op.subtasks {
                let mut push = |key_group: Option<u32>, r: &SectionRef| {
                    out.push(Section {
                        uid: op.uid.clone(),
                        parallelism: op.parallelism,
                        subtask: st.subtask,
                        key_group,
                        crc32c: r.crc32c,
                        at: r.clone(),
                    });
                };
                if let Some(r) = &st.operator_state {
                    push(None, r);
                }
                for (kg, r) in &st.key_groups {
                    push(Some(*kg), r);
                }
            }
        }
        out
    }

    /// A section's bytes, checked against its CRC.
    pub fn read(&self, section: &Section) -> Result<Vec<u8>, EngineError> {
        self.inner.read_section(&section.at)
    }
}

/// Where a distributed attempt's completed checkpoints go besides its local directory.
///
/// Contract: `publish` is called on the checkpoint coordinator's thread once per completed
/// checkpoint (never for a savepoint alone), in increasing id order, after the checkpoint's
/// directory is complete and before any task hears that it completed. Until it returns
/// `Ok`, the checkpoint does not count: sinks do not commit and exchange senders keep what
/// they were handed after its barriers. An error fails the attempt (the publisher may have
/// been fenced: another process took over its tasks).
pub trait CheckpointPublisher: Send + Sync {
    /// Makes `checkpoint` durable where other processes can restore it.
    fn publish(&self, checkpoint: &CompletedCheckpoint) -> Result<(), EngineError>;
}

/// Writes a completed checkpoint from sections (see the module docs): restoring a job from
/// its directory is restoring from any other checkpoint.
#[derive(Debug)]
pub struct CheckpointAssembly {
    id: u64,
    max_parallelism: usize,
    subtasks: BTreeMap<(String, usize), AssembledSubtask>,
}

/// One operator subtask's sections: (parallelism, operator state, key groups).
type AssembledSubtask = (usize, Option<Vec<u8>>, Vec<(u32, Vec<u8>)>);

impl CheckpointAssembly {
    /// An empty checkpoint `id` of a job with `max_parallelism` key groups.
    pub fn new(id: u64, max_parallelism: usize) -> Self {
        Self {
            id,
            max_parallelism,
            subtasks: BTreeMap::new(),
        }
    }

    /// Adds one section (a later section of the same place replaces an earlier one).
    pub fn add(
        &mut self,
        uid: &str,
        parallelism: usize,
        subtask: usize,
        key_group: Option<u32>,
        bytes: Vec<u8>,
    ) {
        let entry = self
            .subtasks
            .entry((uid.to_string(), subtask))
            .or_insert_with(|| (parallelism, None, Vec::new()));
        entry.0 = parallelism;
        match key_group {
            None => entry.1 = Some(bytes),
            Some(kg) => {
                entry.2.retain(|(k, _)| *k != kg);
                entry.2.push((kg, bytes));
            }
        }
    }

    /// Whether no section was added.
    pub fn is_empty(&self) -> bool {
        self.subtasks.is_empty()
    }

    /// Writes the checkpoint as `dir` (created; one state file) and returns it.
    pub fn write(self, dir: &Path) -> Result<PathBuf, EngineError> {
        std::fs::create_dir_all(dir).map_err(|e| storage::io_error(dir, e))?;
        let mut snapshots: Vec<OperatorSnapshot> = self
            .subtasks
            .into_iter()
            .map(
                |((uid, subtask), (parallelism, operator, keyed))| OperatorSnapshot {
                    uid: uid.into(),
                    subtask,
                    parallelism,
                    keyed,
                    operator,
                    ..OperatorSnapshot::default()
                },
            )
            .collect();
        let file = "task-0.state";
        let refs = storage::write_task_file(dir, file, &mut snapshots)?;
        storage::sync_files(dir, &[file.to_string()])?;
        let mut operators: Vec<OperatorState> = Vec::new();
        let mut states: Vec<SubtaskState> = snapshots
            .iter()
            .map(|s| SubtaskState {
                subtask: s.subtask,
                operator_state: None,
                key_groups: Vec::new(),
            })
            .collect();
        for (i, kg, r) in refs {
            match kg {
                None => states[i].operator_state = Some(r),
                Some(kg) => states[i].key_groups.push((kg, r)),
            }
        }
        for (snap, state) in snapshots.iter().zip(states) {
            match operators.iter_mut().find(|o| *o.uid == *snap.uid) {
                Some(op) => op.subtasks.push(state),
                None => operators.push(OperatorState {
                    uid: snap.uid.to_string(),
                    parallelism: snap.parallelism,
                    subtasks: vec![state],
                }),
            }
        }
        let meta = CheckpointMetadata {
            format_version: FORMAT_VERSION,
            checkpoint_id: self.id,
            savepoint: false,
            triggered_at_ms: 0,
            max_parallelism: self.max_parallelism,
            operators,
        };
        storage::write_metadata(dir, &meta)?;
        Ok(dir.to_path_buf())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_assembled_checkpoint_reads_back_section_by_section() {
        let dir = tempfile::tempdir().unwrap();
        let mut a = CheckpointAssembly::new(42, 128);
        a.add("window", 3, 1, Some(7), b"seven".to_vec());
        a.add("window", 3, 1, Some(9), b"nine".to_vec());
        a.add("window", 3, 1, Some(7), b"seven again".to_vec());
        a.add("source", 2, 0, None, b"offset".to_vec());
        let path = a.write(&dir.path().join("chk-42")).unwrap();
        let c = CompletedCheckpoint::open(&path).unwrap();
        assert_eq!(c.id(), 42);
        assert_eq!(c.max_parallelism(), 128);
        let mut read: Vec<(String, usize, Option<u32>, Vec<u8>)> = c
            .sections()
            .iter()
            .map(|s| {
                let bytes = c.read(s).unwrap();
                assert_eq!(crc32c::crc32c(&bytes), s.crc32c);
                (s.uid.clone(), s.subtask, s.key_group, bytes)
            })
            .collect();
        read.sort();
        assert_eq!(
            read,
            [
                ("source".into(), 0, None, b"offset".to_vec()),
                ("window".into(), 1, Some(7), b"seven again".to_vec()),
                ("window".into(), 1, Some(9), b"nine".to_vec()),
            ]
        );
        let restored = RestoredCheckpoint::open(&path).unwrap();
        assert_eq!(
            restored.operator_states("source").unwrap().unwrap(),
            [b"offset".to_vec(), Vec::new()]
        );
    }
}
