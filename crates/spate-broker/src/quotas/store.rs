//! The broker's client quotas: in memory for enforcement, on disk in
//! `DATA_DIR/broker/client-quotas`.
//!
//! Contracts (the ACL store's): a change is durable (temp file, fsync, rename, directory fsync)
//! before anyone sees it and before AlterClientQuotas answers; changes are serialized; a damaged
//! file stops the broker's start with an error naming it, never an empty quota list.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

pub use super::entity::QuotaMap;
use super::entity::{QuotaEntity, QuotaKey};
use super::file_format;
use crate::{Error, Result, state_file};

/// One entity's requested changes: a key to a new value, or to `None` to remove it.
pub type QuotaChanges = Vec<(QuotaEntity, Vec<(QuotaKey, Option<f64>)>)>;

#[derive(Debug)]
pub struct QuotaStore {
    path: PathBuf,
    /// Replaced whole on every change, so readers take a cheap snapshot and never wait on disk.
    quotas: RwLock<Arc<QuotaMap>>,
    /// Held across a change's write, so changes apply in one order on disk and in memory.
    writing: Mutex<()>,
}

impl QuotaStore {
    /// Where the quotas of the broker with data directory `data_dir` live.
    pub fn path_in(data_dir: &Path) -> PathBuf {
        data_dir.join("broker").join("client-quotas")
    }

    pub fn open(data_dir: &Path) -> Result<QuotaStore> {
        let path = QuotaStore::path_in(data_dir);
        let quotas = match state_file::read(&path)? {
            Some(text) => file_format::decode(&text).map_err(|reason| Error::CorruptState {
                path: path.clone(),
                reason: format!(
                    "{reason} (restore the file from a backup, or move it away to start without client quotas)"
                ),
            })?,
            None => QuotaMap::new(),
        };
        Ok(QuotaStore {
            path,
            quotas: RwLock::new(Arc::new(quotas)),
            writing: Mutex::new(()),
        })
    }

    pub fn snapshot(&self) -> Arc<QuotaMap> {
        self.quotas.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Applies `changes` durably, all or none; returns the quotas after them.
    pub fn alter(&self, changes: &QuotaChanges) -> Result<Arc<QuotaMap>> {
        let _writing = self.writing.lock().unwrap_or_else(PoisonError::into_inner);
        let current = self.snapshot();
        let next = apply(&current, changes);
        if next == *current {
            return Ok(current);
        }
        state_file::write_atomically(&self.path, &file_format::encode(&next))?;
        let next = Arc::new(next);
        *self.quotas.write().unwrap_or_else(PoisonError::into_inner) = next.clone();
        Ok(next)
    }
}

/// `current` with `changes` applied; an entity left without keys is gone.
pub fn apply(current: &QuotaMap, changes: &QuotaChanges) -> QuotaMap {
    let mut next = current.clone();
    for (entity, ops) in changes {
        let values = next.entry(entity.clone()).or_default();
        for (key, value) in ops {
            match value {
                Some(v) => {
                    values.insert(*key, *v);
                }
                None => {
                    values.remove(key);
                }
            }
        }
        if values.is_empty() {
            next.remove(entity);
        }
    }
    next
}
