//! Exchanges across processes: a distributed attempt runs only the tasks (stage × subtask,
//! see [`crate::topology`]) its process owns, and records crossing a stage boundary go
//! through an [`ExchangeTransport`] (Kafka repartition topics in Spate's distributed runtime;
//! [`local::LocalExchange`] in memory for tests) instead of in-process channels.
//!
//! Contracts of a transport:
//! - A sender belongs to one exchange and one upstream subtask (task index). Everything it
//!   is handed reaches the receivers in the order handed; watermarks, idleness and the end
//!   go to every partition, tagged with the sender's index, so a receiver aligns watermarks
//!   over the upstream *tasks*, wherever they run.
//! - `flush` is called at a checkpoint barrier: what was handed before it belongs to that
//!   checkpoint (with Kafka: it is in the process's open transaction).
//! - A receiver belongs to one exchange and one downstream subtask (its partition). Its
//!   `position` is checkpointed as the operator state of the receiving side; a receiver
//!   restored from a position hands out exactly what followed it.

pub mod local;

use std::collections::BTreeSet;
use std::sync::Arc;

use bytes::Bytes;

use crate::error::EngineError;
use crate::record::Timestamp;

/// What crosses an exchange, as a receiver hands it out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExchangeEvent {
    /// Encoded records (one batch of the upstream task's output bound for this partition).
    Records(Bytes),
    /// The upstream task's watermark advanced.
    Watermark(Timestamp),
    /// The upstream task became idle (`true`) or active again.
    Idle(bool),
    /// The upstream task's input ended.
    End,
}

/// The sending half of one exchange at one upstream subtask (see the module docs).
pub trait ExchangeSender: Send {
    /// Records bound for `partition` (a downstream subtask).
    fn records(&mut self, partition: usize, encoded: Bytes) -> Result<(), EngineError>;
    /// An event for every partition (a watermark, idleness, the end).
    fn broadcast(&mut self, event: ExchangeEvent) -> Result<(), EngineError>;
    /// At the barrier of checkpoint `checkpoint_id`: everything handed so far belongs to
    /// that checkpoint, everything handed after it to a later one.
    fn flush(&mut self, checkpoint_id: u64) -> Result<(), EngineError>;
}

/// The receiving half of one exchange at one downstream subtask (see the module docs).
pub trait ExchangeReceiver: Send {
    /// Appends what arrived since the last poll as `(upstream subtask, event)`.
    fn poll(&mut self, out: &mut Vec<(usize, ExchangeEvent)>) -> Result<(), EngineError>;
    /// Where the receiver stands, for a checkpoint.
    fn position(&self) -> Vec<u8>;
}

/// Where a distributed attempt's exchanges go (see the module docs). `exchange` numbers the
/// job's exchanges as [`crate::topology::JobTopology::exchanges`] lists them.
pub trait ExchangeTransport: Send + Sync {
    /// The sender of `exchange` at upstream subtask `from`, to `partitions` downstream
    /// subtasks.
    fn sender(
        &self,
        exchange: usize,
        from: usize,
        partitions: usize,
    ) -> Result<Box<dyn ExchangeSender>, EngineError>;
    /// The receiver of `exchange` at downstream subtask `to`, from `upstreams` upstream
    /// subtasks, resuming at `position` (from a checkpoint) or from the start.
    fn receiver(
        &self,
        exchange: usize,
        to: usize,
        upstreams: usize,
        position: Option<&[u8]>,
    ) -> Result<Box<dyn ExchangeReceiver>, EngineError>;
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
    fn publish(&self, checkpoint: &crate::checkpoint::CompletedCheckpoint) -> Result<(), EngineError>;
}

/// What one process runs of a distributed job
/// ([`StreamEnvironment::execute_tasks`](crate::StreamEnvironment::execute_tasks)).
#[derive(Clone)]
pub struct TaskScope {
    /// The tasks it owns, as `(stage, subtask)` of [`crate::topology::JobTopology::tasks`].
    pub owned: BTreeSet<(u32, u32)>,
    /// Where records crossing stages go.
    pub transport: Arc<dyn ExchangeTransport>,
    /// Where completed checkpoints go besides the local directory, if anywhere.
    pub publisher: Option<Arc<dyn CheckpointPublisher>>,
}

impl std::fmt::Debug for TaskScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskScope")
            .field("owned", &self.owned)
            .finish_non_exhaustive()
    }
}
