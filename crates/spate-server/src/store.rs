//! The job store: each job's definition and last known state in
//! `<data-dir>/jobs/<id>/job.json` (written atomically and durably), beside the job's
//! `checkpoints/` and `savepoints/`. A job whose file says `RUNNING` when the server starts
//! was running when the server died (or was stopped with SIGTERM), and is resumed.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Result, ServerError};
use crate::job_id::JobId;

/// A job's state, named as Flink names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobState {
    /// Running (or being resumed).
    Running,
    /// Its sources ended, or it was stopped with a savepoint.
    Finished,
    /// It failed; the cause is recorded.
    Failed,
    /// It was cancelled.
    Canceled,
}

impl JobState {
    /// Flink's name of the state.
    pub fn name(self) -> &'static str {
        match self {
            Self::Running => "RUNNING",
            Self::Finished => "FINISHED",
            Self::Failed => "FAILED",
            Self::Canceled => "CANCELED",
        }
    }

    /// Whether the job has ended (Flink's "globally terminal").
    pub fn is_terminal(self) -> bool {
        self != Self::Running
    }
}

/// A recorded failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// When it happened (epoch milliseconds).
    pub timestamp: i64,
    /// The error, as the SQL session renders it.
    pub message: String,
    /// What the restart strategy decided; absent for failures before the dataflow ran
    /// (planning, connecting) and in records written before decisions were kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart: Option<RestartNote>,
}

/// The restart strategy's decision after a failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "kebab-case")]
pub enum RestartNote {
    /// The job restarted from its latest checkpoint.
    Restarted {
        /// Restarts in this run so far, this one included.
        attempt: u32,
        /// The pause before it (milliseconds).
        delay_ms: u64,
    },
    /// The job was not restarted and failed.
    NotRestarted {
        /// Why.
        reason: String,
    },
}

/// What is stored of a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobRecord {
    /// The job's id (32 hex digits).
    pub id: String,
    /// A name for lists: given at submission, or the INSERT's target tables.
    pub name: String,
    /// The SQL script.
    pub sql: String,
    /// When it was submitted (epoch milliseconds).
    pub submitted: i64,
    /// When its current run started (epoch milliseconds).
    pub started: i64,
    /// When it ended (epoch milliseconds), if it did.
    pub ended: Option<i64>,
    /// The last known state.
    pub state: JobState,
    /// Failures so far, oldest first (a resumed job keeps its history).
    pub failures: Vec<Failure>,
    /// How many times the job was started (1 for its first run).
    pub runs: u32,
    /// Who submitted it (`None`: the administrator, or a job stored before owners were
    /// kept); every run is allowed what its owner is allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<crate::principal::Owner>,
}

/// The `jobs/` directory under the server's data directory.
#[derive(Debug, Clone)]
pub struct JobStore {
    root: PathBuf,
}

impl JobStore {
    /// Opens (creating) `<data_dir>/jobs`.
    pub fn open(data_dir: &Path) -> Result<Self> {
        let root = data_dir.join("jobs");
        std::fs::create_dir_all(&root).map_err(|e| ServerError::io(&root, e))?;
        Ok(Self { root })
    }

    /// The job's own directory.
    pub fn job_dir(&self, id: &JobId) -> PathBuf {
        self.root.join(id.to_string())
    }

    /// Writes the record durably (temp file, fsync, rename, directory fsync).
    pub fn save(&self, record: &JobRecord) -> Result<()> {
        let dir = self.root.join(&record.id);
        std::fs::create_dir_all(&dir).map_err(|e| ServerError::io(&dir, e))?;
        let bytes = serde_json::to_vec_pretty(record).map_err(|e| ServerError::CorruptJob {
            path: dir.join("job.json"),
            message: e.to_string(),
        })?;
        spate_engine::durable::write_atomic(&dir.join("job.json"), &bytes, ServerError::io)?;
        Ok(())
    }

    /// Every stored job. A directory without a readable `job.json` is skipped with a warning
    /// (a crash between creating the directory and the first write leaves one).
    pub fn load_all(&self) -> Result<Vec<JobRecord>> {
        let entries = std::fs::read_dir(&self.root).map_err(|e| ServerError::io(&self.root, e))?;
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| ServerError::io(&self.root, e))?;
            let path = entry.path().join("job.json");
            match Self::load(&path) {
                Ok(r) => out.push(r),
                Err(e) => tracing::warn!("skipping job directory {}: {e}", entry.path().display()),
            }
        }
        out.sort_by_key(|r| r.submitted);
        Ok(out)
    }

    fn load(path: &Path) -> Result<JobRecord> {
        let bytes = std::fs::read(path).map_err(|e| ServerError::io(path, e))?;
        let record: JobRecord = serde_json::from_slice(&bytes).map_err(|e| ServerError::CorruptJob {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        record.id.parse::<JobId>().map_err(|e| ServerError::CorruptJob {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        Ok(record)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn records_round_trip_and_unreadable_ones_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let store = JobStore::open(dir.path()).unwrap();
        let id = JobId::generate();
        let record = JobRecord {
            id: id.to_string(),
            name: "insert-into_out".into(),
            sql: "INSERT INTO out SELECT 1;".into(),
            submitted: 1,
            started: 2,
            ended: None,
            state: JobState::Running,
            failures: vec![
                Failure {
                    timestamp: 3,
                    message: "boom".into(),
                    restart: Some(RestartNote::Restarted {
                        attempt: 1,
                        delay_ms: 1000,
                    }),
                },
                Failure {
                    timestamp: 4,
                    message: "boom again".into(),
                    restart: None,
                },
            ],
            runs: 1,
            owner: Some(crate::principal::Owner {
                principal: "User:alice".into(),
                host: [10, 0, 0, 1].into(),
            }),
        };
        store.save(&record).unwrap();
        std::fs::create_dir_all(dir.path().join("jobs/garbage")).unwrap();
        std::fs::write(dir.path().join("jobs/garbage/job.json"), b"{not json").unwrap();
        assert_eq!(store.load_all().unwrap(), vec![record]);
        let text = std::fs::read_to_string(store.job_dir(&id).join("job.json")).unwrap();
        assert!(text.contains("\"RUNNING\""), "{text}");
    }
}
