//! The engine sink: each subtask writes its data files (`data_files.rs`), closes them at every
//! checkpoint and keeps them in its state until the shared committer (`committer.rs`) has
//! committed their checkpoint. A restored run's subtask 0 commits, under the restored job's
//! id, the files of checkpoints the table does not have yet.

use std::sync::{Arc, Mutex};

use spate_engine::{EngineError, Record, Sink, SinkContext};
use spate_iceberg::flink::{FlinkCommitter, max_committed_checkpoint_id};
use spate_iceberg::{Catalog, MAIN_BRANCH, TableIdent};

use super::committer::{self, Committer, Due, FilesByCheckpoint};
use super::data_files::{DataFiles, FileLayout};
use super::state::SinkState;
use crate::value::Row;

/// What every subtask of one sink shares.
#[derive(Debug)]
pub(crate) struct Target {
    pub(crate) catalog: Arc<dyn Catalog>,
    pub(crate) ident: TableIdent,
    pub(crate) layout: Arc<FileLayout>,
    /// This run's job and the sink's operator, as commits name them.
    pub(crate) committer: FlinkCommitter,
    /// `flink.max-continuous-empty-commits`.
    pub(crate) empty_every: u32,
}

impl Target {
    fn error(&self, e: impl std::fmt::Display) -> EngineError {
        EngineError::connector(format!(
            "Iceberg table {} (catalog {}): {e}",
            self.ident,
            self.catalog.name()
        ))
    }

    /// Commits `due` for `committer` (this run's, or a restored run's).
    fn commit(&self, committer: &FlinkCommitter, due: Due) -> Result<(), EngineError> {
        committer::commit(self.catalog.as_ref(), &self.ident, committer, due)
            .map(|_| ())
            .map_err(|e| self.error(e))
    }
}

/// One subtask of the sink (see the module docs).
pub(crate) struct IcebergSink {
    pub(crate) target: Arc<Target>,
    pub(crate) shared: Arc<Mutex<Committer>>,
    pub(crate) ctx: SinkContext,
    pub(crate) files: Option<DataFiles>,
    /// Closed files not known committed, by the checkpoint that closed them.
    pub(crate) pending: FilesByCheckpoint,
}

impl Clone for IcebergSink {
    fn clone(&self) -> Self {
        Self {
            target: self.target.clone(),
            shared: self.shared.clone(),
            ctx: self.ctx,
            files: None,
            pending: FilesByCheckpoint::new(),
        }
    }
}

impl std::fmt::Debug for IcebergSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IcebergSink")
            .field("table", &self.target.ident)
            .field("subtask", &self.ctx.subtask)
            .finish_non_exhaustive()
    }
}

impl IcebergSink {
    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Committer>, EngineError> {
        self.shared
            .lock()
            .map_err(|_| EngineError::fatal("the iceberg committer's lock is poisoned"))
    }

    fn close_files(&mut self, checkpoint: u64) -> Result<(), EngineError> {
        if let Some(files) = &mut self.files
            && !files.is_empty()
        {
            let closed = files.close()?;
            self.pending.entry(checkpoint).or_default().extend(closed);
        }
        Ok(())
    }

    /// Hands the files of checkpoints `<= checkpoint` to the committer and commits what became
    /// due; forgets what is committed.
    fn report(&mut self, checkpoint: u64) -> Result<(), EngineError> {
        let target = self.target.clone();
        let subtask = self.ctx.subtask;
        let mut shared = self.lock()?;
        let due = shared.report(subtask, checkpoint, &self.pending, target.empty_every);
        if let Some(due) = due {
            // Under the lock: one commit at a time, in checkpoint order.
            target.commit(&target.committer, due)?;
        }
        let committed = shared.committed();
        drop(shared);
        self.forget_committed(committed);
        Ok(())
    }

    fn forget_committed(&mut self, committed: Option<u64>) {
        if let Some(done) = committed {
            self.pending = match done.checked_add(1) {
                Some(next) => self.pending.split_off(&next),
                None => FilesByCheckpoint::new(),
            };
        }
    }

    /// Commits the restored runs' files whose checkpoints the table lacks, one snapshot per
    /// restored committer, at the latest checkpoint among them.
    fn commit_restored(&self, states: &[Vec<u8>]) -> Result<(), EngineError> {
        let target = &self.target;
        let table = target
            .catalog
            .load_table(&target.ident)
            .map_err(|e| target.error(e))?
            .ok_or_else(|| target.error("the table is gone"))?;
        let types = table
            .metadata
            .default_spec()
            .partition_types(table.metadata.current_schema())
            .map_err(|e| target.error(e))?;
        let mut by_committer: Vec<(FlinkCommitter, FilesByCheckpoint)> = Vec::new();
        for bytes in states.iter().filter(|s| !s.is_empty()) {
            let state = SinkState::decode(bytes)?;
            let committer = FlinkCommitter {
                job_id: state.job_id.clone(),
                operator_id: state.operator_id.clone(),
            };
            let done = max_committed_checkpoint_id(
                &table.metadata,
                &committer.job_id,
                &committer.operator_id,
                MAIN_BRANCH,
            );
            let files = state.files(&types)?;
            let slot = match by_committer.iter().position(|(c, _)| *c == committer) {
                Some(i) => i,
                None => {
                    by_committer.push((committer, FilesByCheckpoint::new()));
                    by_committer.len() - 1
                }
            };
            for (c, f) in files {
                if i64::try_from(c).unwrap_or(i64::MAX) > done
                    && let Some((_, all)) = by_committer.get_mut(slot)
                {
                    all.entry(c).or_default().extend(f);
                }
            }
        }
        for (committer, files) in by_committer {
            let Some(checkpoint) = files.keys().next_back().copied() else {
                continue;
            };
            let due = Due {
                checkpoint,
                files: files.into_values().flatten().collect(),
            };
            target.commit(&committer, due)?;
        }
        Ok(())
    }
}

impl Sink<Row> for IcebergSink {
    fn open(&mut self, ctx: &SinkContext) -> Result<(), EngineError> {
        self.ctx = *ctx;
        self.lock()?.join(ctx.attempt, ctx.parallelism);
        self.files = Some(DataFiles::new(
            self.target.layout.clone(),
            ctx.subtask,
            ctx.attempt,
        ));
        Ok(())
    }

    fn restore_state(&mut self, ctx: &SinkContext, states: &[Vec<u8>]) -> Result<(), EngineError> {
        // Every subtask gets every old subtask's state; one commits them all, before any
        // subtask of this run can complete a checkpoint (that needs every subtask open).
        if ctx.subtask == 0 {
            self.commit_restored(states)?;
        }
        Ok(())
    }

    fn write(&mut self, records: &mut Vec<Record<Row>>) -> Result<(), EngineError> {
        let files = self
            .files
            .as_mut()
            .ok_or_else(|| EngineError::fatal("the iceberg sink was not opened"))?;
        files.write(records.drain(..).map(|r| r.value))
    }

    fn snapshot_state(&mut self, checkpoint_id: u64) -> Result<Vec<u8>, EngineError> {
        self.close_files(checkpoint_id)?;
        let committed = self.lock()?.committed();
        self.forget_committed(committed);
        let c = &self.target.committer;
        SinkState::new(&c.job_id, &c.operator_id, &self.pending).encode()
    }

    fn notify_checkpoint_complete(&mut self, checkpoint_id: u64) -> Result<(), EngineError> {
        self.report(checkpoint_id)
    }

    fn finish(&mut self) -> Result<(), EngineError> {
        // Without periodic checkpoints the last files are closed here; with them, the final
        // checkpoint closed them and this reports that nothing more comes.
        self.close_files(u64::MAX)?;
        self.report(u64::MAX)
    }
}
