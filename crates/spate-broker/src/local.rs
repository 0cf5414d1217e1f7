//! In-process readers: the broker's side of `spate_log::in_process`. A started broker registers
//! a [`LocalBroker`] (a read-only handle) under its addresses, so that a reader in this process
//! (the engine's Kafka source) reads partition logs directly — whole stored batches, no sockets,
//! no client — with exactly what a Fetch at the same isolation level returns
//! (`crate::isolation` is the one implementation of both). Readers see only the
//! `spate_log::in_process::LocalLogs` trait; the broker's own front ends (the server's topic and
//! message views) get the handle itself from [`find`].
//!
//! A [`LocalBroker`] holds the broker weakly: once its shutdown began its reads fail with
//! `spate_log::Error::Stopped` and a reader looks the address up again (a broker restarted on
//! the same address is found).

use std::any::Any;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};

use spate_log::in_process::{self, LocalLogs};
pub use spate_log::in_process::{Isolation, LocalRead};
use spate_log::{Error, Partition};

use crate::isolation;
use crate::state::BrokerState;

type Result<T, E = Error> = std::result::Result<T, E>;

/// Registers a started broker under `addresses`.
pub(crate) fn register(addresses: Vec<String>, state: &Arc<BrokerState>) {
    let handle = LocalBroker {
        state: Arc::downgrade(state),
        running: Arc::new(AtomicBool::new(true)),
    };
    in_process::register(addresses, Arc::new(handle));
}

/// Removes a broker whose shutdown begins: readers holding it get `Error::Stopped` from now
/// on (even while its last connections drain), and [`find`] no longer returns it.
pub(crate) fn unregister(state: &Arc<BrokerState>) {
    in_process::unregister(|logs| {
        let Some(local) = logs.as_any().downcast_ref::<LocalBroker>() else {
            return false;
        };
        let this = local.is(state);
        if this {
            local.running.store(false, Ordering::Release);
        }
        this
    });
}

/// The broker running in this process at one of the comma-separated `bootstrap_servers`, if
/// any.
pub fn find(bootstrap_servers: &str) -> Option<LocalBroker> {
    in_process::find(bootstrap_servers)?
        .as_any()
        .downcast_ref::<LocalBroker>()
        .cloned()
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
        Ok(p.offset_for_timestamp(timestamp)?.map(|(offset, _)| offset))
    }
}

impl LocalLogs for LocalBroker {
    fn is_serving(&self) -> bool {
        self.is_running() && self.state.strong_count() > 0
    }

    /// Changes after every append, marker or transaction resolution (see the module docs):
    /// a read that found nothing needs repeating only once this has changed.
    fn append_generation(&self) -> u64 {
        self.state().map_or(0, |s| s.append_generation())
    }

    /// Whole stored batches of `topic`-`partition` from the one holding `offset`, at most
    /// `max_bytes` unless the first batch alone is larger — what a Fetch at `isolation`
    /// returns for the partition.
    fn read(
        &self,
        topic: &str,
        partition: i32,
        offset: i64,
        max_bytes: usize,
        isolation: Isolation,
    ) -> Result<LocalRead> {
        let p = self.partition(topic, partition)?;
        let read_committed = isolation == Isolation::ReadCommitted;
        let read = isolation::read(&p, offset, max_bytes, read_committed)?;
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

    fn as_any(&self) -> &dyn Any {
        self
    }
}
