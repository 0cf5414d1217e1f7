//! The broker's ACLs: in memory for the authorizer, on disk in `DATA_DIR/broker/acls`.
//!
//! Contracts: a change is durable (written atomically: temp file, fsync, rename, directory
//! fsync) before anyone sees it and before CreateAcls/DeleteAcls answer; changes are serialized;
//! a damaged file stops the broker's start with an error naming it, never an empty ACL list.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use super::file_format;
use super::matcher::filter_matches;
use crate::{Error, Result, state_file};
use spate_kafka_security::acl::{AclBinding, AclFilter};

/// Every ACL of the broker.
#[derive(Debug)]
pub struct AclStore {
    path: PathBuf,
    /// Replaced whole on every change, so readers take a cheap snapshot and never wait on disk.
    acls: RwLock<Arc<Vec<AclBinding>>>,
    /// Held across a change's write, so changes apply in one order on disk and in memory.
    writing: Mutex<()>,
}

impl AclStore {
    /// Where the ACLs of the broker with data directory `data_dir` live.
    pub fn path_in(data_dir: &Path) -> PathBuf {
        data_dir.join("broker").join("acls")
    }

    /// Opens the ACLs of the broker with data directory `data_dir` (none if it has no file yet).
    pub fn open(data_dir: &Path) -> Result<AclStore> {
        let path = AclStore::path_in(data_dir);
        let acls = match state_file::read(&path)? {
            Some(text) => file_format::decode(&text).map_err(|reason| Error::CorruptState {
                path: path.clone(),
                reason: format!(
                    "{reason} (restore the file from a backup, or move it away to start without ACLs)"
                ),
            })?,
            None => Vec::new(),
        };
        Ok(AclStore {
            path,
            acls: RwLock::new(Arc::new(acls)),
            writing: Mutex::new(()),
        })
    }

    /// The ACLs now.
    pub fn snapshot(&self) -> Arc<Vec<AclBinding>> {
        self.acls.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// The ACLs `filter` selects.
    pub fn describe(&self, filter: &AclFilter) -> Vec<AclBinding> {
        self.snapshot()
            .iter()
            .filter(|a| filter_matches(filter, a))
            .cloned()
            .collect()
    }

    /// Adds `acls` (those already there are no change, as in Kafka) durably.
    pub fn add(&self, acls: &[AclBinding]) -> Result<()> {
        self.change(|current| {
            let mut set: BTreeSet<AclBinding> = current.iter().cloned().collect();
            set.extend(acls.iter().cloned());
            set.into_iter().collect()
        })
        .map(|_| ())
    }

    /// Removes the ACLs each filter selects, durably; returns them per filter (an ACL two
    /// filters select is listed under both, as Kafka does).
    pub fn remove(&self, filters: &[AclFilter]) -> Result<Vec<Vec<AclBinding>>> {
        let mut removed = Vec::new();
        self.change(|current| {
            removed = filters
                .iter()
                .map(|f| current.iter().filter(|a| filter_matches(f, a)).cloned().collect())
                .collect();
            current
                .iter()
                .filter(|a| !filters.iter().any(|f| filter_matches(f, a)))
                .cloned()
                .collect()
        })?;
        Ok(removed)
    }

    fn change(&self, edit: impl FnOnce(&[AclBinding]) -> Vec<AclBinding>) -> Result<()> {
        let _writing = self.writing.lock().unwrap_or_else(PoisonError::into_inner);
        let current = self.snapshot();
        let next = edit(&current);
        if next == *current {
            return Ok(());
        }
        state_file::write_atomically(&self.path, &file_format::encode(&next))?;
        *self.acls.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(next);
        Ok(())
    }
}
