//! In-process readers: a read-only handle on a broker running in this process, so that a
//! reader here (the engine's Kafka source) reads partition logs directly — whole stored
//! batches, no sockets, no client — with exactly what a Fetch at the same isolation level
//! returns (`crate::isolation` is the one implementation of both).
//!
//! Every started broker registers itself under its addresses (`host:port` as advertised and
//! as bound) until it shuts down; [`find`] looks a bootstrap list up. A [`LocalBroker`] holds
//! the broker weakly: once its shutdown began its reads fail with [`Error::Stopped`]
//! and a reader looks the address up again (a broker restarted on the same address is found).
//!
//! Waiting for data without polling the log: [`LocalBroker::append_generation`] changes after
//! every append, transaction marker and transaction resolution — everything that can move a
//! partition's high watermark or last stable offset — so a reader that found nothing new reads
//! again only once it has changed.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};

use bytes::Bytes;
use spate_log::Partition;

use crate::state::BrokerState;
use crate::{Error, Result, isolation};

/// A registered broker: its addresses, the broker (weak, so registration never keeps one
/// alive) and whether it still serves (cleared when its shutdown begins).
struct Registered {
    addresses: Vec<String>,
    state: Weak<BrokerState>,
    running: Arc<AtomicBool>,
}

static REGISTRY: Mutex<Vec<Registered>> = Mutex::new(Vec::new());

/// Registers a started broker under `addresses`; entries of brokers that are gone are dropped.
pub(crate) fn register(addresses: Vec<String>, state: &Arc<BrokerState>) {
    let mut registry = REGISTRY.lock().unwrap_or_else(PoisonError::into_inner);
    registry.retain(|r| r.state.strong_count() > 0 && r.running.load(Ordering::Acquire));
    registry.push(Registered {
        addresses,
        state: Arc::downgrade(state),
        running: Arc::new(AtomicBool::new(true)),
    });
}

/// Removes a broker whose shutdown begins: readers holding it get [`Error::Stopped`] from now
/// on (even while its last connections drain), and [`find`] no longer returns it.
pub(crate) fn unregister(state: &Arc<BrokerState>) {
    let mut registry = REGISTRY.lock().unwrap_or_else(PoisonError::into_inner);
    registry.retain(|r| {
        let this = std::ptr::eq(r.state.as_ptr(), Arc::as_ptr(state));
        if this {
            r.running.store(false, Ordering::Release);
        }
        !this && r.state.strong_count() > 0
    });
}

/// The broker running in this process at one of the comma-separated `bootstrap_servers`, if
/// any.
pub fn find(bootstrap_servers: &str) -> Option<LocalBroker> {
    let registry = REGISTRY.lock().unwrap_or_else(PoisonError::into_inner);
    bootstrap_servers.split(',').map(str::trim).find_map(|wanted| {
        registry
            .iter()
            .find(|r| r.state.strong_count() > 0 && r.addresses.iter().any(|a| a == wanted))
            .map(|r| LocalBroker {
                state: r.state.clone(),
                running: r.running.clone(),
            })
    })
}

/// Which records a reader sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isolation {
    /// Everything up to the high watermark (aborted and open transactions included).
    ReadUncommitted,
    /// Batches below the last stable offset; the read lists the aborted transactions to drop.
    ReadCommitted,
}

/// One read of a partition: what a Fetch of it would return.
#[derive(Debug, Clone)]
pub struct LocalRead {
    /// Whole stored batches, starting with the one holding the requested offset; empty when
    /// there is nothing (yet) to read there.
    pub records: Bytes,
    /// `(producer id, first offset)` of the aborted transactions overlapping `records`, for
    /// [`spate_log::consume::ConsumerCursor::reset`] (read_committed only; empty otherwise).
    pub aborted: Vec<(i64, i64)>,
    /// The partition's high watermark when the read began.
    pub high_watermark: i64,
    /// Its last stable offset when the read began.
    pub last_stable_offset: i64,
    /// Its first retained offset.
    pub log_start_offset: i64,
}

/// A topic as [`LocalBroker::topics`] sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalTopic {
    /// Its name.
    pub name: String,
    /// Its partitions, by number.
    pub partitions: Vec<LocalPartition>,
}

/// A partition's offsets and size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalPartition {
    /// Its number.
    pub partition: i32,
    /// The first retained offset.
    pub log_start_offset: i64,
    /// The high watermark (the next offset).
    pub high_watermark: i64,
    /// Bytes on disk over its segments.
    pub size_bytes: u64,
}

/// A read-only handle on a broker in this process (see the [module docs](self)).
#[derive(Debug, Clone)]
pub struct LocalBroker {
    state: Weak<BrokerState>,
    running: Arc<AtomicBool>,
}

impl LocalBroker {
    /// Whether this is a handle on the broker with state `state`.
    pub(crate) fn is(&self, state: &Arc<BrokerState>) -> bool {
        std::ptr::eq(self.state.as_ptr(), Arc::as_ptr(state))
    }

    fn state(&self) -> Result<Arc<BrokerState>> {
        if !self.is_running() {
            return Err(Error::Stopped);
        }
        self.state.upgrade().ok_or(Error::Stopped)
    }

    /// The partition `topic`-`partition` of the running broker.
    fn partition(&self, topic: &str, partition: i32) -> Result<Arc<Partition>> {
        self.state()?
            .store
            .partition(topic, partition)
            .ok_or_else(|| Error::UnknownPartition {
                topic: topic.to_string(),
                partition,
            })
    }

    /// Whether the broker still serves (its shutdown has not begun).
    pub fn is_running(&self) -> bool {
        self.running.load(Ordering::Acquire)
    }

    /// The number of partitions of `topic`, `None` when it does not exist.
    pub fn partition_count(&self, topic: &str) -> Option<usize> {
        Some(self.state().ok()?.store.topic(topic)?.partitions.len())
    }

    /// Every topic's partitions with their offsets and bytes on disk, by topic name (a
    /// look at in-memory figures: no log is read).
    pub fn topics(&self) -> Result<Vec<LocalTopic>> {
        let state = self.state()?;
        let mut topics: Vec<LocalTopic> = state
            .store
            .topics()
            .iter()
            .map(|t| LocalTopic {
                name: t.name.clone(),
                partitions: t
                    .partitions
                    .iter()
                    .enumerate()
                    .map(|(i, p)| LocalPartition {
                        partition: i32::try_from(i).unwrap_or(i32::MAX),
                        log_start_offset: p.log_start_offset(),
                        high_watermark: p.high_watermark(),
                        size_bytes: p.size_bytes(),
                    })
                    .collect(),
            })
            .collect();
        topics.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(topics)
    }

    /// The first offset of `topic`-`partition` whose record timestamp is at or after
    /// `timestamp` (ListOffsets by time), `None` when every record is older.
    pub fn offset_for_timestamp(&self, topic: &str, partition: i32, timestamp: i64) -> Result<Option<i64>> {
        let p = self.partition(topic, partition)?;
        Ok(p.offset_for_timestamp(timestamp)
            .map_err(Error::Log)?
            .map(|(offset, _)| offset))
    }

    /// Changes after every append, marker or transaction resolution (see the module docs):
    /// a read that found nothing needs repeating only once this has changed.
    pub fn append_generation(&self) -> u64 {
        self.state().map_or(0, |s| s.append_generation())
    }

    /// Whole stored batches of `topic`-`partition` from the one holding `offset`, at most
    /// `max_bytes` unless the first batch alone is larger — what a Fetch at `isolation`
    /// returns for the partition.
    pub fn read(
        &self,
        topic: &str,
        partition: i32,
        offset: i64,
        max_bytes: usize,
        isolation: Isolation,
    ) -> Result<LocalRead> {
        let p = self.partition(topic, partition)?;
        let read_committed = isolation == Isolation::ReadCommitted;
        let read = isolation::read(&p, offset, max_bytes, read_committed).map_err(|e| match e {
            spate_log::Error::OffsetOutOfRange {
                offset,
                log_start,
                log_end,
            } => Error::OffsetOutOfRange {
                offset,
                log_start,
                log_end,
            },
            e => Error::Log(e),
        })?;
        let aborted = if read_committed {
            isolation::aborted_in(&p, offset, &read.records)
        } else {
            Vec::new()
        };
        Ok(LocalRead {
            records: read.records,
            aborted,
            high_watermark: read.high_watermark,
            last_stable_offset: read.last_stable_offset,
            log_start_offset: read.log_start_offset,
        })
    }
}
