//! Sinks: the [`Sink`] connector contract (two-phase commit with checkpoints), the operator
//! that drives a sink, and the built-in [`CollectSink`] and [`FnSink`]. The source side of the
//! contract is `source.rs`.

use std::sync::{Arc, Mutex};

use crate::checkpoint::CheckpointCtx;
use crate::checkpoint::snapshot::OperatorIdentity;
use crate::error::{EngineError, FailureSlot};
use crate::record::{Record, Timestamp};
use crate::runtime::build::BuildCtx;
use crate::runtime::output::{Control, Output};

/// Where a sink subtask runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SinkContext {
    /// This subtask's index.
    pub subtask: usize,
    /// Number of subtasks of the sink.
    pub parallelism: usize,
    /// The job attempt this subtask runs in: unique within the process, a new one for every
    /// run and every restart. State that a sink's subtasks share in the process (a committer
    /// gathering what each subtask committed) belongs to one attempt and starts afresh with
    /// the next.
    pub attempt: u64,
}

/// A destination of records.
///
/// Contract:
/// - `write` is called with batches in the order they reached this subtask (per input channel
///   order is preserved); `on_watermark` after all records that precede the watermark;
///   `finish` once at the end of a bounded input, and nothing after it. A sink that returns an
///   error fails the job (which then restarts from the last checkpoint, if the job has a
///   restart strategy); so does a failed pre-commit in `snapshot_state`, whose records would
///   otherwise be skipped by the next checkpoint.
/// - The end of input is a checkpoint like any other (Flink's FLIP-147): when the job takes
///   checkpoints periodically, the subtask's final snapshot calls `snapshot_state(f)` after its
///   last record (pre-commit them), a later `notify_checkpoint_complete(c)` with `c >= f` says
///   a checkpoint that holds that snapshot completed, and only then `finish` runs (commit
///   what is left, wait for asynchronous commits). Without periodic checkpoints `finish` runs
///   right at the end of input and commits everything itself.
/// - Checkpoints (two-phase commit, as Flink's `TwoPhaseCommittingSink`):
///   [`snapshot_state`](Self::snapshot_state) is called when checkpoint `id`'s barrier reached
///   the sink, after every record before the barrier was written and before any record after
///   it. The sink *pre-commits*: it makes those records durable but not yet visible (flushes a
///   Kafka transaction without committing it, writes a temporary file), starts a new
///   transaction for what follows, and returns what it needs to finish the pre-committed work
///   after a crash (transaction ids, temporary file names). The bytes are stored in the
///   checkpoint. [`notify_checkpoint_complete`](Self::notify_checkpoint_complete)`(id)` then
///   says the checkpoint is durable: commit everything pre-committed at checkpoints `<= id`
///   (notifications can be skipped when checkpoints complete quickly, and a checkpoint can be
///   abandoned, whose pre-committed work then rides on the next completed one). Committing
///   must be idempotent.
/// - Restore: [`restore_state`](Self::restore_state) is called after `open` and before any
///   `write`, with the states every subtask of the previous run returned at the restored
///   checkpoint (index = old subtask). The sink commits the pre-committed work recorded there
///   (it belongs to a completed checkpoint, though the commit may not have happened before the
///   crash) and aborts anything else it may have left behind (transactions opened after that
///   checkpoint). When the parallelism changed, subtask `s` of `p` takes the entries of old
///   subtasks `i` with `i % p == s`, so each entry is handled exactly once.
/// - At-least-once sinks only flush in `snapshot_state` and return no state; a sink without
///   side effects (collect, print) needs none of this.
pub trait Sink<T>: Send {
    /// Prepares the subtask.
    fn open(&mut self, ctx: &SinkContext) -> Result<(), EngineError> {
        let _ = ctx;
        Ok(())
    }
    /// Finishes the work of the previous run recorded in the restored checkpoint (see above).
    fn restore_state(&mut self, ctx: &SinkContext, states: &[Vec<u8>]) -> Result<(), EngineError> {
        let _ = (ctx, states);
        Ok(())
    }
    /// Writes a batch (the sink may take the records out of the vector).
    fn write(&mut self, records: &mut Vec<Record<T>>) -> Result<(), EngineError>;
    /// The input watermark advanced.
    fn on_watermark(&mut self, watermark: Timestamp) -> Result<(), EngineError> {
        let _ = watermark;
        Ok(())
    }
    /// Processing time advanced to `now` (ms since the epoch, never backwards): called between
    /// batches about once a millisecond while the subtask runs, and also while no input
    /// arrives, from `open` until `finish`; so a sink can write what it buffered on an
    /// interval (Flink's `sink.buffer-flush.interval`).
    fn on_processing_time(&mut self, now: Timestamp) -> Result<(), EngineError> {
        let _ = now;
        Ok(())
    }
    /// Pre-commits at checkpoint `checkpoint_id` and returns the state to store (see above).
    fn snapshot_state(&mut self, checkpoint_id: u64) -> Result<Vec<u8>, EngineError> {
        let _ = checkpoint_id;
        Ok(Vec::new())
    }
    /// Checkpoint `checkpoint_id` is complete: commit what was pre-committed up to it.
    fn notify_checkpoint_complete(&mut self, checkpoint_id: u64) -> Result<(), EngineError> {
        let _ = checkpoint_id;
        Ok(())
    }
    /// End of a bounded input, after the checkpoint that covers it when there is one (see
    /// above): flush and commit everything still open.
    fn finish(&mut self) -> Result<(), EngineError> {
        Ok(())
    }
}

/// The entries of `states` that subtask `ctx.subtask` restores (see [`Sink`]'s contract).
pub fn sink_states_for<'a>(ctx: &SinkContext, states: &'a [Vec<u8>]) -> impl Iterator<Item = &'a [u8]> {
    let (s, p) = (ctx.subtask, ctx.parallelism.max(1));
    states
        .iter()
        .enumerate()
        .filter(move |(i, _)| i % p == s)
        .map(|(_, v)| v.as_slice())
}

pub(crate) struct SinkOp<T> {
    pub(crate) sink: Box<dyn Sink<T>>,
    pub(crate) identity: OperatorIdentity,
    pub(crate) name: String,
    pub(crate) failure: FailureSlot,
    pub(crate) failed: bool,
    /// The job checkpoints periodically: the end of input is pre-committed in the final
    /// snapshot and committed with the checkpoint that covers it, not at once.
    periodic: bool,
    /// The id of the final snapshot, once taken: the first completed checkpoint at or after
    /// it covers the last pre-commit, and then `Sink::finish` runs.
    final_id: Option<u64>,
    /// `Sink::finish` ran (once).
    finished: bool,
}

impl<T> SinkOp<T> {
    /// Opens one subtask of a sink and finishes what the restored checkpoint recorded (see the
    /// [`Sink`] contract). A failure fails the attempt; the operator then drops its input.
    pub(crate) fn open<S: Sink<T> + 'static>(ctx: &BuildCtx<'_>, name: &str, mut sink: S) -> Self {
        let sink_ctx = SinkContext {
            subtask: ctx.subtask,
            parallelism: ctx.parallelism,
            attempt: ctx.attempt,
        };
        let opened = sink
            .open(&sink_ctx)
            .and_then(|()| match ctx.restored_operator_states() {
                Some(states) => sink.restore_state(&sink_ctx, &states),
                None => Ok(()),
            });
        if let Err(e) = opened {
            ctx.failure.fail(EngineError::Sink {
                operator: name.to_string(),
                message: e.to_string(),
                cause: Some(Box::new(e)),
            });
        }
        Self {
            sink: Box::new(sink),
            identity: ctx.identity(),
            name: name.to_string(),
            failure: ctx.failure.clone(),
            failed: false,
            periodic: ctx.checkpointing.as_ref().is_some_and(|c| c.periodic),
            final_id: None,
            finished: false,
        }
    }

    fn finish_sink(&mut self) {
        if !self.finished {
            self.finished = true;
            let r = self.sink.finish();
            self.check(r);
        }
    }

    fn check(&mut self, r: Result<(), EngineError>) {
        if let Err(e) = r
            && !self.failed
        {
            self.failed = true;
            self.failure.fail(EngineError::Sink {
                operator: self.name.clone(),
                message: e.to_string(),
                cause: Some(Box::new(e)),
            });
        }
    }
}

impl<T: Send + 'static> Control for SinkOp<T> {
    fn downstream(&mut self) -> Option<&mut dyn Control> {
        None
    }
    fn watermark(&mut self, w: Timestamp) {
        let r = self.sink.on_watermark(w);
        self.check(r);
    }
    fn tick(&mut self, now: Timestamp) {
        if !self.failed && !self.finished {
            let r = self.sink.on_processing_time(now);
            self.check(r);
        }
    }
    fn finish(&mut self) {
        // With periodic checkpoints the end of input is a checkpoint like any other (Flink's
        // FLIP-147): committing here, before a checkpoint covers the records, would write
        // them again after a crash of the rest of the job re-runs them.
        if !self.periodic {
            self.finish_sink();
        }
    }
    fn checkpoint(&mut self, cp: &mut CheckpointCtx) {
        if cp.is_final && !self.periodic {
            // `finish` committed everything; nothing is left to redo after a restore.
            cp.set_operator_state(&self.identity, Vec::new());
            return;
        }
        if cp.is_final {
            self.final_id = Some(cp.id());
        }
        match self.sink.snapshot_state(cp.id()) {
            Ok(state) => cp.set_operator_state(&self.identity, state),
            Err(e) => {
                // The pre-committed records are gone with the failed transaction; a later
                // checkpoint would complete with the sources past them. Flink fails the task:
                // the job restarts from the last completed checkpoint and writes them again.
                cp.fail(&self.identity, &format!("pre-commit failed: {e}"));
                self.check(Err(e));
            }
        }
    }
    fn checkpoint_complete(&mut self, id: u64) {
        let r = self.sink.notify_checkpoint_complete(id);
        self.check(r);
        if self.final_id.is_some_and(|f| id >= f) && !self.failed {
            self.finish_sink();
        }
    }
}

impl<T: Send + 'static> Output<T> for SinkOp<T> {
    fn push(&mut self, batch: &mut Vec<Record<T>>) {
        if !self.failed {
            let r = self.sink.write(batch);
            self.check(r);
        }
        batch.clear();
    }
}

/// The records a [`CollectSink`] gathered, readable after (or during) the job.
#[derive(Debug)]
pub struct CollectHandle<T> {
    pub(crate) records: Arc<Mutex<Vec<Record<T>>>>,
}

impl<T> Clone for CollectHandle<T> {
    fn clone(&self) -> Self {
        Self {
            records: self.records.clone(),
        }
    }
}

impl<T: Clone> CollectHandle<T> {
    /// All records collected so far (from all subtasks, in arrival order per subtask).
    pub fn records(&self) -> Vec<Record<T>> {
        self.records.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
    /// The values collected so far.
    pub fn values(&self) -> Vec<T> {
        self.records
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|r| r.value.clone())
            .collect()
    }
}

/// Collects every record into a shared vector (for tests and small results).
#[derive(Debug)]
pub struct CollectSink<T> {
    records: Arc<Mutex<Vec<Record<T>>>>,
}

impl<T> Clone for CollectSink<T> {
    fn clone(&self) -> Self {
        Self {
            records: self.records.clone(),
        }
    }
}

impl<T> CollectSink<T> {
    /// A sink and the handle to read what it collected.
    pub fn new() -> (Self, CollectHandle<T>) {
        let records = Arc::new(Mutex::new(Vec::new()));
        (
            Self {
                records: records.clone(),
            },
            CollectHandle { records },
        )
    }
}

impl<T: Send> Sink<T> for CollectSink<T> {
    fn write(&mut self, records: &mut Vec<Record<T>>) -> Result<(), EngineError> {
        self.records
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .append(records);
        Ok(())
    }
}

/// A sink that calls a function per batch (for counting, printing, or discarding).
#[derive(Debug, Clone)]
pub struct FnSink<F>(pub F);

impl<T, F: FnMut(&[Record<T>]) + Send> Sink<T> for FnSink<F> {
    fn write(&mut self, records: &mut Vec<Record<T>>) -> Result<(), EngineError> {
        (self.0)(records);
        Ok(())
    }
}
