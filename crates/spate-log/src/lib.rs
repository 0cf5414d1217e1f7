//! # spate-log — durable storage of Kafka record batches
//!
//! A *partition* is a directory of *segments*. A segment is a file of Kafka v2 record batches
//! stored byte-for-byte as the producer sent them (only the 8-byte base offset is assigned by the
//! log), with a sparse offset index and a time index beside it. This crate knows nothing of the
//! network: the broker hands it the `records` bytes of a Produce request and serves Fetch
//! requests from the slices it returns.
//!
//! Key types:
//! - [`LogStore`]: a data directory: topics, their partitions and their configs, recovered on open.
//! - [`Partition`]: one append-only log; appends are serialized, reads run concurrently.
//! - [`LogConfig`]: per-topic settings (`segment.bytes`, `retention.ms`, flush policy, ...).
//! - [`Partition::clean`] / [`LogStore::clean_due`]: log compaction (`cleanup.policy=compact`),
//!   with a [`Throttle`] on its I/O.
//! - [`batch::BatchHeader`]: the parsed 61-byte header of a v2 record batch.
//! - [`consume::ConsumerCursor`]: the records a Kafka consumer sees in read batches (control
//!   batches and aborted transactions dropped), for readers in the broker's process.
//!
//! Contracts the broker can rely on:
//! - **Atomic appends**: the batches of one `append` become readable together, after they are
//!   completely written; on any error nothing is appended.
//! - **Durability**: an append with [`Durability::Sync`] (or under `flush.messages=1`) returns
//!   after an fsync that covers it (concurrent appenders share one fsync); any other append is in
//!   the page cache when it returns and survives a crash of the process; the periodic
//!   [`LogStore::maintenance`] fsyncs it within `flush.ms`.
//! - **Idempotence**: a retried idempotent-producer batch (one of the producer's last five) is
//!   not written again; the outcome says `duplicate` and where the original is, also after a
//!   restart.
//! - **Recovery**: opening a partition validates the active segment's CRCs (and, after an
//!   unclean shutdown, those of the newest sealed segments), truncates a torn or corrupt tail
//!   into a quarantine file beside the segment, and rebuilds missing or damaged indexes.
//!   [`LogStore::close`] marks a clean shutdown.
//! - **Transactions**: transactional batches open their producer's transaction on the partition;
//!   [`Partition::append_control`] writes the commit or abort marker that ends it. The last
//!   stable offset ([`Partition::last_stable_offset`]) is the first offset of the oldest open
//!   transaction (else the high watermark), never decreases and never passes the high
//!   watermark; [`Partition::read_committed`] reads only below it and
//!   [`Partition::aborted_transactions`] lists the aborted ranges a read_committed consumer must
//!   drop. Open transactions and the aborted-transaction index survive a restart.
//! - **Compaction**: the cleaner keeps the latest record per key below the last stable offset
//!   in sealed segments, never moves an offset, and swaps cleaned segments in with renames, so
//!   a crash recovers the old or the new segments of a cleaning, never a mix. Records without a
//!   key are refused on compacted topics (`InvalidRecord`).
//!
//! The byte layouts of every file and the recovery algorithm are in `FORMAT.md` beside this
//! crate's `Cargo.toml`.
//!
//! ```no_run
//! use spate_log::{LogStore, StoreConfig, Durability};
//! # fn main() -> Result<(), spate_log::Error> {
//! let store = LogStore::open("/tmp/spate-data", StoreConfig::default())?;
//! store.create_topic("events", 3, &Default::default())?;
//! let p = store.partition("events", 0).expect("partition 0 exists");
//! # let records: Vec<u8> = vec![];
//! let appended = p.append(&records, Durability::Sync)?;
//! let read = p.read(appended.base_offset, 1 << 20)?;
//! # let _ = read;
//! # Ok(()) }
//! ```

// No unsafe code here; `forbid` keeps it that way (the workspace lint only denies it).
#![forbid(unsafe_code)]

pub mod batch;
mod clean_swap;
mod cleaner;
mod compact_batch;
mod compression;
mod config;
pub mod consume;
mod control;
mod error;
pub mod in_process;
mod index;
pub mod open_files;
mod partition;
mod producer_state;
mod records;
mod recovery;
mod segment;
mod store;
mod txn_index;

pub use cleaner::{CleanOutcome, CleanerSettings, Throttle};
pub use config::{ConfigError, Durability, FlushPolicy, LogConfig, TimestampType};
pub use control::MarkerType;
pub use error::Error;
pub use partition::{AppendOutcome, Partition, ProducerView, ReadResult, RetentionOutcome};
pub use records::{RecordHeaders, RecordView, validate_request};
pub use store::{
    CLEAN_SHUTDOWN_FILE, LogStore, MAX_PARTITIONS, MAX_TOPIC_NAME_LEN, StoreConfig, Topic, TopicId,
    validate_topic_name,
};

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
