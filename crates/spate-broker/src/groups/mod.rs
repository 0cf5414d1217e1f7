//! The group coordinator: consumer group membership (classic protocol) and committed offsets,
//! durable in the internal `__consumer_offsets` topic.
//!
//! Every group lives behind one lock; requests that must wait (JoinGroup until the rebalance
//! completes, SyncGroup until the leader's assignment) get a oneshot receiver and wait outside
//! the lock. Deadlines (initial delay, rebalance timeout, session expiry) are checked by
//! [`GroupCoordinator::tick`], which the broker runs every few tens of milliseconds.

pub(crate) mod coordinator;
mod group;
pub(crate) mod records;
mod store;

pub(crate) use coordinator::{GroupConfig, GroupCoordinator, MemberRequest};
pub(crate) use group::{JoinOutcome, SyncOutcome};
pub(crate) use store::OFFSETS_TOPIC;
