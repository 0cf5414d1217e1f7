//! The engine sink: each subtask writes its data files (`data_files.rs`), closes them at every
//! checkpoint and keeps them in its state until the shared committer (`committer.rs`) has
//! committed their checkpoint. A restored run's subtask 0 commits, under the restored job's
//! id, the files of checkpoints the table does not have yet.

use std::sync::{Arc, Mutex};

use spate_engine::{EngineError, Record, Sink, SinkContext};
use spate_iceberg::flink::{FlinkCommitter, max_committed_checkpoint_id};
use spate_iceberg::{Catalog, DataContent, MAIN_BRANCH, TableIdent};

use super::committer::{self, Committer, Due, FilesByCheckpoint};
use super::data_files::{DataFiles, FileLayout};
use super::delta_files::{DeltaFiles, DeltaSettings};
use super::position_deletes::PositionDeletes;
use super::state::SinkState;
use crate::connector::sink_input::SinkInput;

/// How a table with equality fields gets its delete files.
#[derive(Debug)]
pub(crate) struct DeltaLayout {
    pub(crate) equality: Arc<FileLayout>,
    pub(crate) positions: Arc<FileLayout>,
    pub(crate) settings: Arc<DeltaSettings>,
}

/// What every subtask of one sink shares.
#[derive(Debug)]
pub(crate) struct Target {
    pub(crate) catalog: Arc<dyn Catalog>,
    pub(crate) ident: TableIdent,
    pub(crate) layout: Arc<FileLayout>,
    /// For a table with a primary key: its deletes (`None`: the sink appends).
    pub(crate) delta: Option<DeltaLayout>,
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
        let started = std::time::Instant::now();
        let checkpoint = due.checkpoint;
        let (mut data, mut deletes, mut records) = (0, 0, 0);
        for f in due.all_files() {
            if f.content == DataContent::Data {
                data += 1;
                records += f.record_count;
            } else {
                deletes += 1;
            }
        }
        let made = committer::commit(self.catalog.as_ref(), &self.ident, committer, due)
            .map_err(|e| self.error(e))?;
        if made > 0 {
            tracing::info!(
                "iceberg table {}: committed checkpoint {checkpoint} of job {} in {made} snapshots ({data} data files, {records} records, {deletes} delete files) in {:.1} ms",
                self.ident,
                committer.job_id,
                started.elapsed().as_secs_f64() * 1e3
            );
        }
        Ok(())
    }
}

/// A subtask's open files: data alone (appends), or data and deletes.
pub(crate) enum SubtaskFiles {
    Append(DataFiles),
    Delta(Box<DeltaFiles>),
}

impl SubtaskFiles {
    fn open(target: &Target, ctx: &SinkContext) -> Self {
        let files = |layout: &Arc<FileLayout>| DataFiles::new(layout.clone(), ctx.subtask, ctx.attempt);
        let data = files(&target.layout);
        match &target.delta {
            None => SubtaskFiles::Append(data),
            Some(d) => SubtaskFiles::Delta(Box::new(DeltaFiles::new(
                data,
                files(&d.equality),
                PositionDeletes::new(files(&d.positions)),
                d.settings.clone(),
            ))),
        }
    }

    fn is_empty(&self) -> bool {
        match self {
            SubtaskFiles::Append(f) => f.is_empty(),
            SubtaskFiles::Delta(f) => f.is_empty(),
        }
    }

    fn close(&mut self) -> Result<Vec<spate_iceberg::DataFile>, EngineError> {
        match self {
            SubtaskFiles::Append(f) => f.close(),
            SubtaskFiles::Delta(f) => f.close(),
        }
    }
}

/// One subtask of the sink (see the module docs).
pub(crate) struct IcebergSink {
    pub(crate) target: Arc<Target>,
    pub(crate) shared: Arc<Mutex<Committer>>,
    pub(crate) ctx: SinkContext,
    pub(crate) files: Option<SubtaskFiles>,
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
            let due = Due { checkpoint, files };
            target.commit(&committer, due)?;
        }
        Ok(())
    }
}

impl<T: SinkInput> Sink<T> for IcebergSink {
    fn open(&mut self, ctx: &SinkContext) -> Result<(), EngineError> {
        self.ctx = *ctx;
        self.lock()?.join(ctx.attempt, ctx.parallelism);
        self.files = Some(SubtaskFiles::open(&self.target, ctx));
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

    fn write(&mut self, records: &mut Vec<Record<T>>) -> Result<(), EngineError> {
        match self.files.as_mut() {
            // Only insert-only queries reach a table without a primary key (the planner).
            Some(SubtaskFiles::Append(files)) => {
                files.write(records.drain(..).map(|r| r.value.into_parts().0))
            }
            Some(SubtaskFiles::Delta(files)) => files.write(records.drain(..).map(|r| r.value.into_parts())),
            None => Err(EngineError::fatal("the iceberg sink was not opened")),
        }
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use spate_iceberg::{HadoopCatalog, PartitionSpec, TableCreation, load_or_create_table};

    use super::*;
    use crate::format::FormatField;
    use crate::format::parquet::{Layout, Parquet};
    use crate::types::{DataType, TypeKind};
    use crate::value::Row;
    use crate::value::Value;

    fn sink(warehouse: &str, job: &str, shared: &Arc<Mutex<Committer>>) -> IcebergSink {
        let catalog = HadoopCatalog::new("lake", warehouse).unwrap();
        let ident = TableIdent::new("db", "t");
        let fields = vec![FormatField {
            name: "id".into(),
            ty: DataType::new(TypeKind::BigInt),
        }];
        let schema = super::super::schema::create_schema(&fields, &[]).unwrap();
        let ids = super::super::schema::check_write_schema(&fields, &schema).unwrap();
        let table = load_or_create_table(&catalog, &ident, &TableCreation::new(schema.clone())).unwrap();
        let format = Parquet::with_layout(fields, Default::default(), Layout::iceberg(), Some(&ids))
            .unwrap()
            .part_format();
        IcebergSink {
            target: Arc::new(Target {
                catalog: Arc::new(catalog),
                ident,
                layout: Arc::new(FileLayout {
                    format: Arc::new(format),
                    data_location: format!("{}/data", table.metadata.location),
                    spec: PartitionSpec::unpartitioned(),
                    sources: Vec::new(),
                    columns: vec![0],
                    schema,
                }),
                delta: None,
                committer: FlinkCommitter {
                    job_id: job.into(),
                    operator_id: "op".into(),
                },
                empty_every: 10,
            }),
            shared: shared.clone(),
            ctx: SinkContext {
                subtask: 0,
                parallelism: 1,
                attempt: 0,
            },
            files: None,
            pending: BTreeMap::new(),
        }
    }

    fn ctx(subtask: usize, parallelism: usize, attempt: u64) -> SinkContext {
        SinkContext {
            subtask,
            parallelism,
            attempt,
        }
    }

    fn write(s: &mut IcebergSink, ids: std::ops::Range<i64>) {
        let mut records: Vec<Record<Row>> = ids
            .map(|i| Record::new(0, std::iter::once(Value::Int(i)).collect()))
            .collect();
        Sink::<Row>::write(s, &mut records).unwrap();
    }

    /// (records, job id, checkpoint) of each snapshot, oldest first.
    fn snapshots(s: &IcebergSink) -> Vec<(String, String, String)> {
        let t = s.target.catalog.load_table(&s.target.ident).unwrap().unwrap();
        t.metadata
            .snapshots
            .iter()
            .map(|snap| {
                let get = |k: &str| snap.summary_value(k).unwrap_or_default().to_string();
                (
                    get("added-records"),
                    get("flink.job-id"),
                    get("flink.max-committed-checkpoint-id"),
                )
            })
            .collect()
    }

    #[test]
    fn a_restored_run_commits_the_checkpoints_the_table_lacks_once() {
        let dir = tempfile::tempdir().unwrap();
        let w = dir.path().to_str().unwrap();
        // Run 1 completes checkpoint 5 and dies before its commit.
        let mut a = sink(w, "job1", &Arc::new(Mutex::new(Committer::default())));
        Sink::<Row>::open(&mut a, &ctx(0, 1, 1)).unwrap();
        write(&mut a, 0..3);
        let state = Sink::<Row>::snapshot_state(&mut a, 5).unwrap();
        assert!(snapshots(&a).is_empty());
        drop(a);
        // Run 2 restores checkpoint 5: its files are committed under run 1's job id.
        let shared = Arc::new(Mutex::new(Committer::default()));
        let mut b = sink(w, "job2", &shared);
        Sink::<Row>::open(&mut b, &ctx(0, 1, 2)).unwrap();
        Sink::<Row>::restore_state(&mut b, &ctx(0, 1, 2), std::slice::from_ref(&state)).unwrap();
        let one = ("3".to_string(), "job1".to_string(), "5".to_string());
        assert_eq!(snapshots(&b), std::slice::from_ref(&one));
        // Restoring the same checkpoint again (run 2 died too) commits nothing twice.
        let mut c = sink(w, "job3", &shared);
        Sink::<Row>::open(&mut c, &ctx(0, 1, 3)).unwrap();
        Sink::<Row>::restore_state(&mut c, &ctx(0, 1, 3), &[state]).unwrap();
        assert_eq!(snapshots(&c), std::slice::from_ref(&one));
        // The new run's own checkpoints commit under its own id.
        write(&mut c, 3..5);
        Sink::<Row>::snapshot_state(&mut c, 6).unwrap();
        Sink::<Row>::notify_checkpoint_complete(&mut c, 6).unwrap();
        assert_eq!(snapshots(&c), [one, ("2".into(), "job3".into(), "6".into())]);
    }

    #[test]
    fn subtasks_commit_a_checkpoint_together_once_all_completed_it() {
        let dir = tempfile::tempdir().unwrap();
        let w = dir.path().to_str().unwrap();
        let shared = Arc::new(Mutex::new(Committer::default()));
        let mut s0 = sink(w, "job", &shared);
        let mut s1 = s0.clone();
        Sink::<Row>::open(&mut s0, &ctx(0, 2, 7)).unwrap();
        Sink::<Row>::open(&mut s1, &ctx(1, 2, 7)).unwrap();
        write(&mut s0, 0..2);
        write(&mut s1, 2..5);
        Sink::<Row>::snapshot_state(&mut s0, 1).unwrap();
        let state1 = Sink::<Row>::snapshot_state(&mut s1, 1).unwrap();
        Sink::<Row>::notify_checkpoint_complete(&mut s0, 1).unwrap();
        assert!(
            snapshots(&s0).is_empty(),
            "subtask 1 has not completed checkpoint 1"
        );
        Sink::<Row>::notify_checkpoint_complete(&mut s1, 1).unwrap();
        assert_eq!(snapshots(&s0), [("5".into(), "job".into(), "1".into())]);
        // What is committed leaves the subtasks' states.
        assert!(SinkState::decode(&state1).unwrap().pending.len() == 1);
        let after = Sink::<Row>::snapshot_state(&mut s1, 2).unwrap();
        assert!(SinkState::decode(&after).unwrap().pending.is_empty());
    }
}
