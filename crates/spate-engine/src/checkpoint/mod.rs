//! Checkpoints, savepoints and recovery (aligned barriers, as Flink's aligned checkpoints).
//!
//! # How a checkpoint runs
//! 1. The coordinator (`coordinator.rs`) picks the next id and asks every source task to inject a
//!    [`Barrier`]. A source task does so between two polls: it snapshots its source's position
//!    (the position *after* the last record it emitted), then sends the barrier downstream in
//!    band, behind every record it already emitted.
//! 2. A task that reads channels *aligns*: a channel that delivered the barrier is not read
//!    again until every channel delivered it (ended channels count as aligned), so the state it
//!    then snapshots reflects exactly the records before the barrier on every input. Barrier
//!    alignment lives with the task that reads the channels: `runtime/task.rs`
//!    (`InputTask::on_barrier`, `try_complete_alignment`); sources inject barriers in
//!    `SourceTask::checkpointing`; the barrier type is [`Barrier`] (`record.rs`, an in-band event).
//! 3. At the barrier each operator of the chain writes its state into the [`CheckpointCtx`]
//!    (`Control::snapshot` in `runtime/output.rs`; the default `Control::checkpoint` then
//!    passes the barrier on):
//!    keyed state per key group, operator state (source positions, sink pre-commits) per
//!    subtask. Serialising into memory is the only pause; the files are written and fsynced by
//!    the coordinator's writer thread while processing goes on.
//! 4. When every task acknowledged, the coordinator writes `_metadata` atomically (temp file,
//!    fsync, rename, directory fsync): only then is the checkpoint complete. It keeps the last
//!    [`CheckpointConfig::retained`] checkpoints and tells every task, which lets sinks commit
//!    their pre-committed transactions and sources publish their offsets.
//!
//! # Layout (format version 1, see `storage.rs` and DESIGN.md)
//! `<dir>/chk-<id>/task-<n>.state` (state sections, each CRC32C-checked) and
//! `<dir>/chk-<id>/_metadata` (JSON: which section of which file holds which operator's key
//! group or operator state). A directory without `_metadata` is an unfinished checkpoint and is
//! deleted on the next start. A savepoint is the same layout in a directory of its own.
//!
//! # Restore and rescaling
//! A restored operator subtask reads the key groups of its new key-group range from the files
//! of *all* old subtasks, so a job can resume at another parallelism; sources and sinks get the
//! operator state of every old subtask (see [`crate::Source`] and [`crate::Sink`]).

pub mod contents;
pub(crate) mod coordinator;
pub(crate) mod restart;
pub(crate) mod restore;
pub(crate) mod snapshot;
pub(crate) mod storage;

use std::path::PathBuf;
use std::time::Duration;

pub use crate::record::Barrier;
pub use contents::{CheckpointAssembly, CheckpointPublisher, CompletedCheckpoint, Section};
pub use coordinator::{CheckpointFailure, FAILED_CHECKPOINTS_KEPT, JobHandle, JobProgress};
pub use restart::{FAILURES_KEPT, FailureRecord, RestartDecision, RestartSeries, RestartStrategy};
pub use snapshot::CheckpointCtx;
pub use storage::{OperatorStateSize, checkpoint_state_sizes};

/// Periodic checkpoints of a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointConfig {
    /// Where checkpoints are written; running a job again with the same directory resumes it.
    pub dir: PathBuf,
    /// Time between the starts of two checkpoints (Flink's `execution.checkpointing.interval`):
    /// a checkpoint that takes longer is followed by the next one as soon as it ends.
    pub interval: Duration,
    /// Least time between the end of one checkpoint and the start of the next (Flink's
    /// `execution.checkpointing.min-pause`, default 0).
    pub min_pause: Duration,
    /// Completed checkpoints to keep (at least 1).
    pub retained: usize,
    /// A checkpoint that takes longer is abandoned (the next one starts afresh).
    pub timeout: Duration,
}

impl CheckpointConfig {
    /// Checkpoints into `dir` every `interval` with no minimum pause, keeping the last 3,
    /// abandoning after 10 minutes.
    pub fn new(dir: impl Into<PathBuf>, interval: Duration) -> Self {
        Self {
            dir: dir.into(),
            interval,
            min_pause: Duration::ZERO,
            retained: 3,
            timeout: Duration::from_secs(600),
        }
    }
}
