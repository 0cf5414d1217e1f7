//! Integration tests of spate-log: one binary, one module per area.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod compaction;
mod compaction_crash;
mod delete_horizon;
mod idempotence;
mod recovery;
mod retention;
mod segments;
mod store;
mod timestamps;
mod transactions;
