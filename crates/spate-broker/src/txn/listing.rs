//! Read-only views of the coordinator's transactions, for DescribeTransactions and
//! ListTransactions (KIP-664): what an operator, or a sink recovering after a crash, needs to
//! find lingering transactions and end them with the right producer id and epoch.

use super::coordinator::{TransactionCoordinator, lock};
use super::metadata::TxnState;

/// Every transaction state name Kafka knows (`TransactionState`), including the two no listing
/// shows (`Dead`: an expired id is already gone; `PrepareEpochFence`: fencing goes straight to
/// `PrepareAbort` with the bumped epoch). A filter naming those is known, and matches nothing.
pub(crate) const KAFKA_STATE_NAMES: [&str; 8] = [
    "Empty",
    "Ongoing",
    "PrepareCommit",
    "PrepareAbort",
    "CompleteCommit",
    "CompleteAbort",
    "Dead",
    "PrepareEpochFence",
];

/// One transactional id as described to clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TxnView {
    pub transactional_id: String,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub state: &'static str,
    pub timeout_ms: i32,
    /// When the ongoing transaction began (ms since the epoch), -1 when none is open.
    pub start_ms: i64,
    /// The partitions in the transaction, sorted by topic then partition.
    pub partitions: Vec<(String, i32)>,
}

impl TransactionCoordinator {
    /// The current state of `transactional_id`, `None` if the coordinator has never seen it or
    /// it expired. Waits for an EndTxn in progress on the same id, so the state is never
    /// half-written.
    pub(crate) fn describe(&self, transactional_id: &str) -> Option<TxnView> {
        let entry = lock(&self.entries).get(transactional_id).cloned()?;
        let m = lock(&entry);
        if m.state == TxnState::Dead {
            return None;
        }
        Some(TxnView {
            transactional_id: m.transactional_id.clone(),
            producer_id: m.producer_id,
            producer_epoch: m.producer_epoch,
            state: m.state.kafka_name(),
            timeout_ms: m.timeout_ms,
            start_ms: m.started_ms,
            partitions: m.partitions.iter().cloned().collect(),
        })
    }

    /// Every transactional id for which `include(producer id, state name, start ms)` holds,
    /// sorted by id.
    pub(crate) fn list(&self, include: impl Fn(i64, &str, i64) -> bool) -> Vec<TxnView> {
        let mut ids: Vec<String> = lock(&self.entries).keys().cloned().collect();
        ids.sort();
        ids.iter()
            .filter_map(|id| self.describe(id))
            .filter(|v| include(v.producer_id, v.state, v.start_ms))
            .collect()
    }

    /// Whether an open or deciding transaction has staged an offset of `group`'s
    /// `topic`-`partition` (OffsetFetch's `require_stable`).
    pub(crate) fn has_pending_offset(&self, group: &str, topic: &str, partition: i32) -> bool {
        let entries: Vec<_> = lock(&self.entries).values().cloned().collect();
        entries.iter().any(|entry| {
            let m = lock(entry);
            matches!(
                m.state,
                TxnState::Ongoing | TxnState::PrepareCommit | TxnState::PrepareAbort
            ) && m
                .offsets
                .iter()
                .any(|o| o.group == group && o.topic == topic && o.partition == partition)
        })
    }
}
