//! Reading a completed checkpoint back: the key groups of a new key-group range from every old
//! subtask's file, or the operator state of every old subtask.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::checkpoint::storage::{CheckpointMetadata, OperatorState, SectionRef, io_error, read_metadata};
use crate::error::EngineError;
use crate::keygroup::KeyGroupRange;

/// A completed checkpoint or savepoint chosen for a restore.
#[derive(Debug, Clone)]
pub(crate) struct RestoredCheckpoint {
    pub(crate) dir: PathBuf,
    pub(crate) meta: CheckpointMetadata,
}

impl RestoredCheckpoint {
    pub(crate) fn open(dir: &Path) -> Result<Self, EngineError> {
        Ok(Self {
            dir: dir.to_path_buf(),
            meta: read_metadata(dir)?,
        })
    }

    pub(crate) fn id(&self) -> u64 {
        self.meta.checkpoint_id
    }

    fn operator(&self, uid: &str) -> Option<&OperatorState> {
        self.meta.operators.iter().find(|o| o.uid == uid)
    }

    /// Reads one section and checks its CRC (any thread).
    pub(crate) fn read_section(&self, r: &SectionRef) -> Result<Vec<u8>, EngineError> {
        let path = self.dir.join(&r.file);
        let mut f = File::open(&path).map_err(|e| io_error(&path, e))?;
        f.seek(SeekFrom::Start(r.offset))
            .map_err(|e| io_error(&path, e))?;
        let len = usize::try_from(r.len)
            .map_err(|_| EngineError::Checkpoint(format!("{}: section too large", path.display())))?;
        let mut buf = vec![0; len];
        f.read_exact(&mut buf).map_err(|e| io_error(&path, e))?;
        if crc32c::crc32c(&buf) != r.crc32c {
            return Err(EngineError::Checkpoint(format!(
                "{}: section at offset {} is corrupt (CRC mismatch)",
                path.display(),
                r.offset
            )));
        }
        Ok(buf)
    }

    /// Serialised key groups of `uid` that fall into `range`, from all old subtasks.
    pub(crate) fn key_groups(
        &self,
        uid: &str,
        range: KeyGroupRange,
    ) -> Result<Vec<(usize, Vec<u8>)>, EngineError> {
        self.key_group_sections(uid, range)?
            .into_iter()
            .map(|(kg, r)| Ok((kg, self.read_section(&r)?)))
            .collect()
    }

    /// Where the key groups of `uid` that fall into `range` are, from all old subtasks (to be
    /// read with [`read_section`](Self::read_section), possibly on several threads).
    pub(crate) fn key_group_sections(
        &self,
        uid: &str,
        range: KeyGroupRange,
    ) -> Result<Vec<(usize, SectionRef)>, EngineError> {
        let mut out = Vec::new();
        if let Some(op) = self.operator(uid) {
            if self.meta.max_parallelism != 0 && range.end > self.meta.max_parallelism {
                return Err(EngineError::Checkpoint(format!(
                    "the checkpoint has {} key groups; the job now uses more (max parallelism must not change)",
                    self.meta.max_parallelism
                )));
            }
            for st in &op.subtasks {
                for (kg, r) in &st.key_groups {
                    let kg = *kg as usize;
                    if range.contains(kg) {
                        out.push((kg, r.clone()));
                    }
                }
            }
        }
        Ok(out)
    }

    /// Operator state of every old subtask of `uid` (index = old subtask; empty when that
    /// subtask stored none), or `None` when the checkpoint does not know the operator.
    pub(crate) fn operator_states(&self, uid: &str) -> Result<Option<Vec<Vec<u8>>>, EngineError> {
        let Some(op) = self.operator(uid) else {
            return Ok(None);
        };
        let mut out = vec![Vec::new(); op.parallelism];
        for st in &op.subtasks {
            if let (Some(r), Some(slot)) = (&st.operator_state, out.get_mut(st.subtask)) {
                *slot = self.read_section(r)?;
            }
        }
        Ok(Some(out))
    }

    /// Whether the checkpoint holds state of `uid` (used to warn about state left behind).
    pub(crate) fn uids(&self) -> impl Iterator<Item = &str> {
        self.meta.operators.iter().map(|o| o.uid.as_str())
    }
}
