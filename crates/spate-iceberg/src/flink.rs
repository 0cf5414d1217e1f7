//! What Flink's Iceberg sink records for exactly-once (`IcebergFilesCommitter`): every commit's
//! snapshot summary names the job, the committer operator and the checkpoint it completes; on
//! restore the sink walks `main`'s ancestry for its own last commit and re-commits only the
//! checkpoints after it.

use std::collections::BTreeMap;

use crate::metadata::{MAIN_BRANCH, TableMetadata};

/// Summary key: the checkpoint whose files the snapshot committed.
pub const MAX_COMMITTED_CHECKPOINT_ID: &str = "flink.max-committed-checkpoint-id";
/// Summary key: the committing job's id.
pub const JOB_ID: &str = "flink.job-id";
/// Summary key: the committer operator's id.
pub const OPERATOR_ID: &str = "flink.operator-id";
/// Table property: commit an empty snapshot every this many empty checkpoints (default 10).
pub const MAX_CONTINUOUS_EMPTY_COMMITS: &str = "flink.max-continuous-empty-commits";
/// What [`max_committed_checkpoint_id`] returns when the job never committed (Flink's
/// `INITIAL_CHECKPOINT_ID`).
pub const INITIAL_CHECKPOINT_ID: i64 = -1;

/// Who commits: the job and operator a snapshot's summary names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlinkCommitter {
    /// The job id (stays the restored job's id when a savepoint starts a new job).
    pub job_id: String,
    /// The committer operator's id.
    pub operator_id: String,
}

impl FlinkCommitter {
    /// The summary entries of a commit of `checkpoint_id`, over `user` properties (the Flink
    /// keys win, as Flink sets them last).
    pub fn summary(&self, checkpoint_id: i64, user: &BTreeMap<String, String>) -> BTreeMap<String, String> {
        let mut s = user.clone();
        s.insert(MAX_COMMITTED_CHECKPOINT_ID.into(), checkpoint_id.to_string());
        s.insert(JOB_ID.into(), self.job_id.clone());
        s.insert(OPERATOR_ID.into(), self.operator_id.clone());
        s
    }

    /// The last checkpoint this committer committed on `branch` (see
    /// [`max_committed_checkpoint_id`]).
    pub fn max_committed(&self, metadata: &TableMetadata, branch: &str) -> i64 {
        max_committed_checkpoint_id(metadata, &self.job_id, &self.operator_id, branch)
    }
}

/// Flink's `getMaxCommittedCheckpointId`: from the head of `branch` back through parents, the
/// first snapshot whose summary has `flink.job-id == job_id` and an `flink.operator-id` that is
/// absent or equal gives its `flink.max-committed-checkpoint-id`; none gives -1.
pub fn max_committed_checkpoint_id(
    metadata: &TableMetadata,
    job_id: &str,
    operator_id: &str,
    branch: &str,
) -> i64 {
    let head = metadata.branch_head(if branch.is_empty() { MAIN_BRANCH } else { branch });
    for snapshot in metadata.ancestry(head) {
        if snapshot.summary_value(JOB_ID) != Some(job_id) {
            continue;
        }
        if snapshot
            .summary_value(OPERATOR_ID)
            .is_some_and(|op| op != operator_id)
        {
            continue;
        }
        if let Some(id) = snapshot.summary_i64(MAX_COMMITTED_CHECKPOINT_ID) {
            return id;
        }
    }
    INITIAL_CHECKPOINT_ID
}
