//! Partition logs of a Kafka broker running in this process, for readers in the same process
//! (the engine's Kafka source reads them directly: whole stored batches, no socket, no client).
//!
//! The broker implements [`LocalLogs`] and registers itself here under every address a client
//! would be given ([`register`]); a reader holding a bootstrap list looks it up with [`find`].
//! This is the only way from the engine side to the broker: the reader sees a trait of this
//! crate, never the broker's types, so the connectors do not depend on the broker.
//!
//! Contracts of a [`LocalLogs`]:
//! - [`LocalLogs::read`] returns what a Fetch at the same isolation level would: whole stored
//!   batches from the one holding the offset, and for read_committed the aborted transactions
//!   among them.
//! - Once the broker's shutdown began, every call fails with [`Error::Stopped`] and [`find`] no
//!   longer returns it; a broker restarted in this process on the same address is found again.
//! - [`LocalLogs::append_generation`] changes after every append, transaction marker and
//!   transaction resolution (everything that can move a high watermark or a last stable
//!   offset), so a reader that found nothing reads again only once it changed.

use std::any::Any;
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;

use crate::Error;

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
    /// [`crate::consume::ConsumerCursor::reset`] (read_committed only; empty otherwise).
    pub aborted: Vec<(i64, i64)>,
    /// The partition's high watermark when the read began.
    pub high_watermark: i64,
    /// Its last stable offset when the read began.
    pub last_stable_offset: i64,
    /// Its first retained offset.
    pub log_start_offset: i64,
}

/// Read access to the partition logs of a broker in this process (see the module docs for the
/// contracts).
pub trait LocalLogs: Send + Sync + std::fmt::Debug {
    /// Whether the broker still serves (its shutdown has not begun).
    fn is_serving(&self) -> bool;

    /// Changes after every append, marker or transaction resolution.
    fn append_generation(&self) -> u64;

    /// Whole stored batches of `topic`-`partition` from the one holding `offset`, at most
    /// `max_bytes` unless the first batch alone is larger. Errors: [`Error::Stopped`],
    /// [`Error::UnknownPartition`], [`Error::OffsetOutOfRange`] (retention deleted the offset,
    /// or it is past the end), or a storage error.
    fn read(
        &self,
        topic: &str,
        partition: i32,
        offset: i64,
        max_bytes: usize,
        isolation: Isolation,
    ) -> Result<LocalRead, Error>;

    /// The implementation, for code that knows it (the broker's own front ends).
    fn as_any(&self) -> &dyn Any;
}

/// A registered broker and the addresses it is found under.
struct Registered {
    addresses: Vec<String>,
    logs: Arc<dyn LocalLogs>,
}

static REGISTRY: Mutex<Vec<Registered>> = Mutex::new(Vec::new());

/// Registers the logs of a started broker under `addresses` (`host:port` as advertised and as
/// bound); registrations that no longer serve are dropped.
pub fn register(addresses: Vec<String>, logs: Arc<dyn LocalLogs>) {
    let mut registry = REGISTRY.lock().unwrap_or_else(PoisonError::into_inner);
    registry.retain(|r| r.logs.is_serving());
    registry.push(Registered { addresses, logs });
}

/// Removes every registration for which `is_mine` holds (a broker whose shutdown begins).
pub fn unregister(is_mine: impl Fn(&dyn LocalLogs) -> bool) {
    let mut registry = REGISTRY.lock().unwrap_or_else(PoisonError::into_inner);
    registry.retain(|r| r.logs.is_serving() && !is_mine(r.logs.as_ref()));
}

/// The broker running in this process at one of the comma-separated `bootstrap_servers`, if
/// any.
pub fn find(bootstrap_servers: &str) -> Option<Arc<dyn LocalLogs>> {
    let registry = REGISTRY.lock().unwrap_or_else(PoisonError::into_inner);
    bootstrap_servers.split(',').map(str::trim).find_map(|wanted| {
        registry
            .iter()
            .find(|r| r.logs.is_serving() && r.addresses.iter().any(|a| a == wanted))
            .map(|r| r.logs.clone())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};

    #[derive(Debug)]
    struct Fake {
        serving: AtomicBool,
    }

    impl LocalLogs for Fake {
        fn is_serving(&self) -> bool {
            self.serving.load(Ordering::Acquire)
        }
        fn append_generation(&self) -> u64 {
            0
        }
        fn read(&self, _: &str, _: i32, _: i64, _: usize, _: Isolation) -> Result<LocalRead, Error> {
            Err(Error::Stopped)
        }
        fn as_any(&self) -> &dyn Any {
            self
        }
    }

    #[test]
    fn a_broker_is_found_by_any_of_its_addresses_until_it_stops_serving() {
        let fake = Arc::new(Fake {
            serving: AtomicBool::new(true),
        });
        register(
            vec!["in-process-test:1".into(), "127.0.0.1:1".into()],
            fake.clone(),
        );
        assert!(find("elsewhere:9, 127.0.0.1:1").is_some());
        assert!(find("in-process-test:1").is_some());
        assert!(find("in-process-test:2").is_none());
        fake.serving.store(false, Ordering::Release);
        assert!(
            find("in-process-test:1").is_none(),
            "a stopped broker is not found"
        );
        let again = Arc::new(Fake {
            serving: AtomicBool::new(true),
        });
        register(vec!["in-process-test:1".into()], again.clone());
        let found = find("in-process-test:1").expect("the restarted broker");
        assert!(
            found
                .as_any()
                .downcast_ref::<Fake>()
                .is_some_and(|f| std::ptr::eq(f, again.as_ref()))
        );
        unregister(|l| {
            l.as_any()
                .downcast_ref::<Fake>()
                .is_some_and(|f| std::ptr::eq(f, again.as_ref()))
        });
        assert!(find("in-process-test:1").is_none(), "unregistered");
    }
}
