//! The transaction coordinator: producer ids and epochs of transactional ids, the partitions
//! and consumer-group offsets in each ongoing transaction, and the two-phase end of a
//! transaction (decide durably, then write markers everywhere, then record completion).
//!
//! Durability: every state change of every transactional id is a checksummed record appended
//! to one log, `<data>/broker/transactions/state.log` ([`state_log`]); an id's last record is
//! its state. A log per coordinator rather than a `__transaction_state` topic because
//! spate-log has no compaction: an internal topic would grow without bound, or lose the
//! producer id and epoch of idle transactional ids to retention (and with them the fencing of
//! zombies); the state log compacts itself. Per transaction this costs one `fdatasync` at
//! begin (AddPartitionsToTxn/AddOffsetsToTxn), one for the prepare record, the markers' fsyncs
//! (in parallel across partitions, [`markers`]), and none for completion, which reaches the
//! disk with the next durable record: a restart that finds only the prepare record completes
//! the transaction again, and markers are idempotent. (Completion of a commit that applied
//! consumer-group offsets is the exception and is synced: re-applying them could undo a later
//! commit.) Per-id `.txn` files of earlier versions are moved into the log on open.
//!
//! Contracts:
//! - A request must carry the transactional id's current producer id and epoch; an older epoch
//!   is fenced (`PRODUCER_FENCED`, or `INVALID_PRODUCER_EPOCH` for clients that predate it).
//! - EndTxn records `PrepareCommit`/`PrepareAbort` durably *before* any marker is written, and
//!   `CompleteCommit`/`CompleteAbort` only after every partition's marker is fsynced, so a crash
//!   at any point is resolved by completing the prepared outcome. EndTxn is not tied to the
//!   connection that produced: any client with the id's current producer id and epoch (from
//!   DescribeTransactions) may end its transaction.
//! - On start, prepared transactions are completed; open ones stay open, as in Kafka (their
//!   producer can still commit them after the restart). Start-up and every maintenance pass
//!   abort transactions older than their `transaction.timeout.ms` (from their persisted start,
//!   so downtime counts) with a bumped epoch, which fences the producer that owned them;
//!   InitProducerId for the id does the same.
//! - An id with no transaction in progress whose state has not changed for
//!   `transactional.id.expiration.ms` is removed ([`expiry`]): a removal record in the state log
//!   ([`tombstone`]), gone from DescribeTransactions and ListTransactions; requests with its old
//!   producer id get `INVALID_PRODUCER_ID_MAPPING`, and InitProducerId starts it afresh with a new
//!   producer id. Every persisted state carries the time of its change, so a restart (even one
//!   that lost the removal record) removes the same ids.
//! - Markers are idempotent on the log side (a second marker for an ended transaction changes
//!   nothing), so completing an outcome twice is harmless.

mod coordinator;
mod expiry;
mod listing;
mod markers;
mod metadata;
mod state_log;
mod tombstone;

pub(crate) use listing::KAFKA_STATE_NAMES;

pub(crate) use coordinator::{TransactionCoordinator, TxnResult, coordinator_dir, fenced_for_version};
pub(crate) use metadata::StagedOffset;
