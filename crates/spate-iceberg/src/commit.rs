//! Committing with retries, as Java's `SnapshotProducer.commit` does under `commit.retry.*`:
//! on a conflict the table is reloaded and the same snapshot (same manifests, same snapshot id)
//! re-applied on the new base. With a Flink committer, each attempt first checks the new base
//! for the checkpoint: if a previous attempt (or a previous run) already committed it, it is
//! not committed twice.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::catalog::{Catalog, Table, TableIdent};
use crate::data_file::DataFile;
use crate::error::{IcebergError, Result};
use crate::flink::FlinkCommitter;
use crate::metadata::{MAIN_BRANCH, TableMetadata};
use crate::pending_snapshot::PendingSnapshot;

/// Retry settings (the table properties `commit.retry.num-retries`, `min-wait-ms`,
/// `max-wait-ms`, with Java's defaults 4, 100 ms, 60 s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts after the first.
    pub num_retries: u32,
    /// The first wait.
    pub min_wait: Duration,
    /// The longest wait (waits double up to it).
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            num_retries: 4,
            min_wait: Duration::from_millis(100),
            max_wait: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The policy a table's properties set (defaults for what they do not).
    pub fn from_table(metadata: &TableMetadata) -> RetryPolicy {
        let d = RetryPolicy::default();
        let get = |k: &str| metadata.properties.get(k).and_then(|v| v.parse::<u64>().ok());
        RetryPolicy {
            num_retries: get("commit.retry.num-retries").map_or(d.num_retries, |v| v as u32),
            min_wait: get("commit.retry.min-wait-ms").map_or(d.min_wait, Duration::from_millis),
            max_wait: get("commit.retry.max-wait-ms").map_or(d.max_wait, Duration::from_millis),
        }
    }
}

/// How a commit ended.
#[derive(Debug, Clone, PartialEq)]
pub enum CommitOutcome {
    /// The snapshot was committed; the table as it is now.
    Committed(Table),
    /// The Flink checkpoint was already in the table (committed earlier); nothing was done.
    AlreadyCommitted(Table),
}

impl CommitOutcome {
    /// The table after the commit.
    pub fn table(&self) -> &Table {
        match self {
            CommitOutcome::Committed(t) | CommitOutcome::AlreadyCommitted(t) => t,
        }
    }
}

/// A Flink checkpoint's commit: who commits, and which checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointCommit {
    /// The job and operator.
    pub committer: FlinkCommitter,
    /// The checkpoint id (Flink's `Long.MAX_VALUE` at the end of bounded input).
    pub checkpoint_id: i64,
}

/// Adds `files` (data files, and delete files for a row delta) to the table `ident` as one
/// snapshot, with `properties` in its summary (and
/// the Flink keys when `checkpoint` is given), retrying on conflicts per `retry` (the table's
/// own `commit.retry.*` when `None`).
pub fn commit_files(
    catalog: &dyn Catalog,
    ident: &TableIdent,
    files: Vec<DataFile>,
    properties: &BTreeMap<String, String>,
    checkpoint: Option<&CheckpointCommit>,
    retry: Option<RetryPolicy>,
) -> Result<CommitOutcome> {
    let load = || {
        catalog
            .load_table(ident)?
            .ok_or_else(|| IcebergError::NoSuchTable(ident.to_string()))
    };
    let mut base = load()?;
    let already = |t: &Table| {
        checkpoint.is_some_and(|c| c.committer.max_committed(&t.metadata, MAIN_BRANCH) >= c.checkpoint_id)
    };
    if already(&base) {
        return Ok(CommitOutcome::AlreadyCommitted(base));
    }
    let summary = match checkpoint {
        Some(c) => c.committer.summary(c.checkpoint_id, properties),
        None => properties.clone(),
    };
    let retry = retry.unwrap_or_else(|| RetryPolicy::from_table(&base.metadata));
    let pending = PendingSnapshot::new(catalog.io(), &base.metadata, files, summary)?;
    let mut wait = retry.min_wait;
    let mut attempt = 0;
    loop {
        let next = pending.apply(catalog.io(), &base.metadata)?;
        match catalog.commit(&base, next) {
            Ok(table) => return Ok(CommitOutcome::Committed(table)),
            Err(IcebergError::CommitConflict(_)) if attempt < retry.num_retries => {
                attempt += 1;
                std::thread::sleep(wait);
                wait = (wait * 2).min(retry.max_wait);
                base = load()?;
                if already(&base) {
                    return Ok(CommitOutcome::AlreadyCommitted(base));
                }
            }
            Err(e) => return Err(e),
        }
    }
}
