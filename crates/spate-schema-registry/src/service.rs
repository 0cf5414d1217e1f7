//! The registry over its log: reads answer from the state in memory; a write catches up with
//! the log, computes its records, appends them, and applies what the log hands back — so the
//! state is always a replay of the log, and what a client was told survives a restart.

use std::sync::{Mutex, MutexGuard};

use crate::error::{RegistryError, Result};
use crate::records::Key;
use crate::state::{Registry, Write};

/// One record of the log: JSON key bytes and value bytes (`None`: a tombstone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRecord {
    /// The key.
    pub key: Vec<u8>,
    /// The value.
    pub value: Option<Vec<u8>>,
}

/// Where the registry keeps its records: the `_schemas` topic, or memory in tests.
///
/// Contract: [`read_new`](SchemaLog::read_new) returns every record after those it returned
/// before, in log order, up to at least the last record [`append`](SchemaLog::append)
/// acknowledged; `append` returns only when the records are durable.
pub trait SchemaLog: Send {
    /// Records not read yet, in order.
    fn read_new(&mut self) -> Result<Vec<LogRecord>>;
    /// Appends records durably.
    fn append(&mut self, records: &[LogRecord]) -> Result<()>;
}

/// A log in memory: for tests and for a registry that need not survive its process.
#[derive(Debug, Default)]
pub struct MemoryLog {
    records: Vec<LogRecord>,
    read: usize,
}

impl SchemaLog for MemoryLog {
    fn read_new(&mut self) -> Result<Vec<LogRecord>> {
        let new = self.records[self.read..].to_vec();
        self.read = self.records.len();
        Ok(new)
    }

    fn append(&mut self, records: &[LogRecord]) -> Result<()> {
        self.records.extend_from_slice(records);
        Ok(())
    }
}

struct Inner {
    registry: Registry,
    log: Box<dyn SchemaLog>,
}

impl Inner {
    fn catch_up(&mut self) -> Result<()> {
        for r in self.log.read_new()? {
            // Keys of kinds this registry does not know are skipped, as Confluent skips them.
            if let Some(key) = Key::from_bytes(&r.key) {
                self.registry.apply(&key, r.value.as_deref());
            }
        }
        Ok(())
    }
}

/// A registry served over a log.
pub struct Service {
    inner: Mutex<Inner>,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service").finish_non_exhaustive()
    }
}

impl Service {
    /// Opens the registry on `log`, replaying it.
    pub fn open(log: Box<dyn SchemaLog>) -> Result<Service> {
        let mut inner = Inner {
            registry: Registry::new(),
            log,
        };
        inner.catch_up()?;
        Ok(Service {
            inner: Mutex::new(inner),
        })
    }

    fn lock(&self) -> Result<MutexGuard<'_, Inner>> {
        self.inner
            .lock()
            .map_err(|_| RegistryError::Store("the registry's state was poisoned by a failed write".into()))
    }

    /// Answers from the state.
    pub fn read<T>(&self, f: impl FnOnce(&Registry) -> Result<T>) -> Result<T> {
        f(&self.lock()?.registry)
    }

    /// Makes a change: `f` computes it on the current state (after catching up with the log)
    /// as records; they are appended, and the state becomes the log's replay again.
    pub fn write<T>(&self, f: impl FnOnce(&Registry) -> Result<(T, Vec<Write>)>) -> Result<T> {
        let mut inner = self.lock()?;
        inner.catch_up()?;
        let (answer, writes) = f(&inner.registry)?;
        if !writes.is_empty() {
            let records: Vec<LogRecord> = writes
                .iter()
                .map(|w| LogRecord {
                    key: w.key.to_bytes(),
                    value: w.value.clone(),
                })
                .collect();
            inner.log.append(&records)?;
            inner.catch_up()?;
        }
        Ok(answer)
    }
}
