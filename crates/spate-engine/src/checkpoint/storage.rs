//! The checkpoint directory: state files, the `_metadata` that completes a checkpoint, discovery
//! of the latest completed one, retention.
//!
//! Format version 1:
//! - `task-<n>.state`: the magic `SPATECK1`, then sections back to back. A section is the raw
//!   serialised state of one key group or one operator subtask; `_metadata` knows its offset,
//!   length and CRC32C, so the file needs no framing of its own and a reader seeks straight to
//!   the sections it needs (a rescaled subtask reads only its key groups).
//! - `_metadata`: JSON [`CheckpointMetadata`], written last and atomically. Its presence is
//!   what makes a checkpoint complete.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::checkpoint::snapshot::OperatorSnapshot;
use crate::durable;
use crate::error::EngineError;

pub(crate) const FORMAT_VERSION: u32 = 1;
pub(crate) const FILE_MAGIC: &[u8; 8] = b"SPATECK1";
pub(crate) const METADATA: &str = "_metadata";

/// Where one section lives.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct SectionRef {
    pub(crate) file: String,
    pub(crate) offset: u64,
    pub(crate) len: u64,
    pub(crate) crc32c: u32,
}

/// One operator subtask's state in a checkpoint.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct SubtaskState {
    pub(crate) subtask: usize,
    pub(crate) operator_state: Option<SectionRef>,
    /// (key group, section).
    pub(crate) key_groups: Vec<(u32, SectionRef)>,
}

/// One operator's state in a checkpoint.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct OperatorState {
    pub(crate) uid: String,
    pub(crate) parallelism: usize,
    pub(crate) subtasks: Vec<SubtaskState>,
}

/// The `_metadata` of a completed checkpoint or savepoint.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct CheckpointMetadata {
    pub(crate) format_version: u32,
    pub(crate) checkpoint_id: u64,
    pub(crate) savepoint: bool,
    /// Wall-clock time the checkpoint was triggered (ms since the epoch).
    pub(crate) triggered_at_ms: i64,
    pub(crate) max_parallelism: usize,
    pub(crate) operators: Vec<OperatorState>,
}

pub(crate) fn io_error(path: &Path, e: std::io::Error) -> EngineError {
    EngineError::CheckpointIo {
        path: path.to_path_buf(),
        source: e,
    }
}

pub(crate) fn checkpoint_dir_name(id: u64) -> String {
    format!("chk-{id}")
}

fn parse_checkpoint_dir(name: &str) -> Option<u64> {
    name.strip_prefix("chk-")?.parse().ok()
}

/// Writes one task's snapshots as a state file (not yet fsynced: [`sync_files`] does that for
/// all of a checkpoint's files at once); returns where each section went, by (operator index
/// in `snapshots`, key group or `None` for operator state).
pub(crate) fn write_task_file(
    dir: &Path,
    file_name: &str,
    snapshots: &mut [OperatorSnapshot],
) -> Result<Vec<(usize, Option<u32>, SectionRef)>, EngineError> {
    let path = dir.join(file_name);
    let file = File::create(&path).map_err(|e| io_error(&path, e))?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    w.write_all(FILE_MAGIC).map_err(|e| io_error(&path, e))?;
    let mut offset = FILE_MAGIC.len() as u64;
    let mut refs = Vec::new();
    let mut section = |bytes: &[u8], w: &mut BufWriter<File>| -> Result<SectionRef, EngineError> {
        w.write_all(bytes).map_err(|e| io_error(&path, e))?;
        let r = SectionRef {
            file: file_name.to_string(),
            offset,
            len: bytes.len() as u64,
            crc32c: crc32c::crc32c(bytes),
        };
        offset += bytes.len() as u64;
        Ok(r)
    };
    for (i, snap) in snapshots.iter_mut().enumerate() {
        if let Some(op) = &snap.operator {
            refs.push((i, None, section(op, &mut w)?));
        }
        for (kg, bytes) in &snap.keyed {
            refs.push((i, Some(*kg), section(bytes, &mut w)?));
        }
        // Serialised here, one key group at a time, so at most one group's bytes are in
        // memory besides the (shared) state itself.
        for deferred in std::mem::take(&mut snap.deferred) {
            let (kg, bytes) = deferred.encode().map_err(|e| {
                EngineError::Checkpoint(format!("operator `{}` subtask {}: {e}", snap.uid, snap.subtask))
            })?;
            refs.push((i, Some(kg), section(&bytes, &mut w)?));
        }
    }
    w.into_inner().map_err(|e| io_error(&path, e.into_error()))?;
    Ok(refs)
}

/// Fsyncs the state files of a checkpoint in parallel (one thread each), so completing a
/// checkpoint costs about one fsync for them rather than one per task.
pub(crate) fn sync_files(dir: &Path, names: &[String]) -> Result<(), EngineError> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = names
            .iter()
            .map(|name| {
                let path = dir.join(name);
                scope.spawn(move || {
                    File::open(&path)
                        .and_then(|f| f.sync_all())
                        .map_err(|e| io_error(&path, e))
                })
            })
            .collect();
        for h in handles {
            h.join()
                .map_err(|_| EngineError::Checkpoint("fsync thread panicked".into()))??;
        }
        Ok(())
    })
}

fn sync_dir(dir: &Path) -> Result<(), EngineError> {
    durable::sync_dir(dir, io_error)
}

/// Makes a checkpoint complete: `_metadata` via temp file, fsync, rename, directory fsync; then
/// the parent directory, so the checkpoint directory itself is durable too.
pub(crate) fn write_metadata(dir: &Path, meta: &CheckpointMetadata) -> Result<(), EngineError> {
    let json = serde_json::to_vec_pretty(meta)
        .map_err(|e| EngineError::Checkpoint(format!("cannot encode checkpoint metadata: {e}")))?;
    durable::write_atomic(&dir.join(METADATA), &json, io_error)?;
    if let Some(parent) = dir.parent() {
        sync_dir(parent)?;
    }
    Ok(())
}

/// Reads and checks a checkpoint's `_metadata`.
pub(crate) fn read_metadata(dir: &Path) -> Result<CheckpointMetadata, EngineError> {
    let path = dir.join(METADATA);
    let bytes = fs::read(&path).map_err(|e| io_error(&path, e))?;
    let meta: CheckpointMetadata = serde_json::from_slice(&bytes)
        .map_err(|e| EngineError::Checkpoint(format!("{}: not a checkpoint: {e}", path.display())))?;
    if meta.format_version != FORMAT_VERSION {
        return Err(EngineError::Checkpoint(format!(
            "{}: checkpoint format version {} is not supported (this build reads version {FORMAT_VERSION})",
            path.display(),
            meta.format_version
        )));
    }
    Ok(meta)
}

/// How many bytes one operator's state takes in a completed checkpoint or savepoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorStateSize {
    /// The operator's state name ([`crate::OperatorReport::state_uid`]).
    pub uid: String,
    /// Its subtasks when the checkpoint was taken.
    pub parallelism: usize,
    /// Keyed and operator state over all its subtasks, as stored (Flink's checkpointed size).
    pub bytes: u64,
}

/// The state each operator wrote into the checkpoint at `dir`, from its `_metadata` (the
/// state files are not read), in the order the checkpoint lists them. Operators without state
/// are absent.
pub fn checkpoint_state_sizes(dir: &Path) -> Result<Vec<OperatorStateSize>, EngineError> {
    let meta = read_metadata(dir)?;
    Ok(meta
        .operators
        .into_iter()
        .map(|op| {
            let bytes = op
                .subtasks
                .iter()
                .flat_map(|s| s.operator_state.iter().chain(s.key_groups.iter().map(|(_, r)| r)))
                .map(|r| r.len)
                .sum();
            OperatorStateSize {
                uid: op.uid,
                parallelism: op.parallelism,
                bytes,
            }
        })
        .filter(|op| op.bytes > 0)
        .collect())
}

/// Completed checkpoints in `dir`, oldest first, and the highest id seen at all (complete or
/// not), so new ids never reuse an unfinished checkpoint's.
pub(crate) fn scan(dir: &Path) -> Result<(Vec<(u64, PathBuf)>, u64), EngineError> {
    let mut complete = Vec::new();
    let mut highest = 0;
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((complete, 0)),
        Err(e) => return Err(io_error(dir, e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| io_error(dir, e))?;
        let Some(id) = entry.file_name().to_str().and_then(parse_checkpoint_dir) else {
            continue;
        };
        highest = highest.max(id);
        if entry.path().join(METADATA).exists() {
            complete.push((id, entry.path()));
        }
    }
    complete.sort();
    Ok((complete, highest))
}

/// Deletes unfinished checkpoint directories and all but the newest `retained` completed ones.
pub(crate) fn prune(dir: &Path, retained: usize) -> Result<(), EngineError> {
    let (complete, _) = scan(dir)?;
    let keep_from = complete.len().saturating_sub(retained.max(1));
    let newest = complete.last().map(|(id, _)| *id).unwrap_or(0);
    for (_, path) in &complete[..keep_from] {
        fs::remove_dir_all(path).map_err(|e| io_error(path, e))?;
    }
    for entry in fs::read_dir(dir).map_err(|e| io_error(dir, e))? {
        let entry = entry.map_err(|e| io_error(dir, e))?;
        let Some(id) = entry.file_name().to_str().and_then(parse_checkpoint_dir) else {
            continue;
        };
        // Unfinished and older than the newest completed one: abandoned.
        if id < newest && !entry.path().join(METADATA).exists() {
            fs::remove_dir_all(entry.path()).map_err(|e| io_error(&entry.path(), e))?;
        }
    }
    Ok(())
}

/// Deletes every unfinished checkpoint directory (on start, before ids are handed out again).
pub(crate) fn remove_unfinished(dir: &Path) -> Result<(), EngineError> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_error(dir, e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| io_error(dir, e))?;
        if entry
            .file_name()
            .to_str()
            .and_then(parse_checkpoint_dir)
            .is_some()
            && !entry.path().join(METADATA).exists()
        {
            fs::remove_dir_all(entry.path()).map_err(|e| io_error(&entry.path(), e))?;
        }
    }
    Ok(())
}

/// Copies a completed checkpoint directory (a savepoint taken at stop) elsewhere, metadata last.
pub(crate) fn copy_checkpoint(from: &Path, to: &Path) -> Result<(), EngineError> {
    fs::create_dir_all(to).map_err(|e| io_error(to, e))?;
    for entry in fs::read_dir(from).map_err(|e| io_error(from, e))? {
        let entry = entry.map_err(|e| io_error(from, e))?;
        if entry.file_name() == METADATA {
            continue;
        }
        let dst = to.join(entry.file_name());
        fs::copy(entry.path(), &dst).map_err(|e| io_error(&dst, e))?;
        File::open(&dst)
            .and_then(|f| f.sync_all())
            .map_err(|e| io_error(&dst, e))?;
    }
    let meta = read_metadata(from)?;
    write_metadata(to, &meta)
}
