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

use crate::checkpoint::CheckpointPublisher;
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

/// The operator state the receiving side of an exchange checkpoints (uid `exchange-<n>`, one
/// per downstream subtask): which upstream subtasks ended (their end is behind the
/// position, so a restored receiver would never see it again), then the transport's
/// [`ExchangeReceiver::position`].
///
/// Layout: upstream count `u32` big-endian, one byte per upstream (1 ended, 0 not), then the
/// position's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiverState {
    /// Per upstream subtask: its end was received.
    pub ended: Vec<bool>,
    /// The transport's position.
    pub position: Vec<u8>,
}

impl ReceiverState {
    /// The state's bytes (see the type docs).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + self.ended.len() + self.position.len());
        out.extend_from_slice(&(self.ended.len() as u32).to_be_bytes());
        out.extend(self.ended.iter().map(|e| u8::from(*e)));
        out.extend_from_slice(&self.position);
        out
    }

    /// Reads [`Self::encode`]'s bytes; `None` when they are not such a state.
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        let n = u32::from_be_bytes(bytes.get(..4)?.try_into().ok()?) as usize;
        let flags = bytes.get(4..4usize.checked_add(n)?)?;
        if flags.iter().any(|f| *f > 1) {
            return None;
        }
        Some(Self {
            ended: flags.iter().map(|f| *f == 1).collect(),
            position: bytes[4 + n..].to_vec(),
        })
    }
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

#[cfg(test)]
mod tests {
    use super::ReceiverState;

    #[test]
    fn receiver_states_read_back_and_garbage_is_refused() {
        let s = ReceiverState {
            ended: vec![true, false, true],
            position: vec![0, 0, 0, 0, 0, 0, 1, 2],
        };
        assert_eq!(ReceiverState::decode(&s.encode()), Some(s));
        assert_eq!(ReceiverState::decode(&[0, 0]), None);
        assert_eq!(ReceiverState::decode(&[0, 0, 0, 9, 1]), None);
        assert_eq!(ReceiverState::decode(&[0, 0, 0, 1, 7]), None);
    }
}
