//! [`JobManager`]: the server's jobs. Submitting checks the script, stores the job and starts
//! it on a thread of its own; on start-up, [`JobManager::recover`] resumes every stored job
//! whose state is `RUNNING` (the server died or was stopped under it) from its latest
//! checkpoint; [`JobManager::shutdown`] stops every running job with a savepoint.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use crate::cluster::Cluster;
use crate::error::{Result, ServerError};
use crate::job::{Job, RunContext};
use crate::job_id::JobId;
use crate::principal::Principal;
use crate::rights::Rights;
use crate::script;
use crate::store::{JobRecord, JobState, JobStore};
use crate::view::epoch_millis;

/// The server's jobs.
#[derive(Debug)]
pub struct JobManager {
    ctx: RunContext,
    jobs: Mutex<Vec<Arc<Job>>>,
    closed: AtomicBool,
    max_running: usize,
}

impl JobManager {
    /// A manager keeping its jobs under `<data_dir>/jobs`; `cluster` is the Kafka cluster
    /// for tables that name none and `rights` what each job's owner may use; scripts that set no checkpoint interval get
    /// `default_interval`; at most `max_running` jobs run at once (resumed ones at start-up
    /// are not refused, only counted), each within `memory_budget` bytes.
    pub fn open(
        data_dir: &Path,
        cluster: Option<Cluster>,
        rights: Rights,
        default_interval: Duration,
        max_running: usize,
        memory_budget: Option<u64>,
    ) -> Result<Self> {
        Ok(Self {
            ctx: RunContext {
                store: JobStore::open(data_dir)?,
                cluster,
                rights,
                default_interval,
                memory_budget,
            },
            jobs: Mutex::new(Vec::new()),
            closed: AtomicBool::new(false),
            max_running,
        })
    }

    /// Loads the stored jobs and resumes those that were running; returns how many resumed.
    pub fn recover(&self) -> Result<usize> {
        let mut resumed = 0;
        for record in self.ctx.store.load_all()? {
            let Ok(id) = record.id.parse::<JobId>() else {
                continue;
            };
            let running = record.state == JobState::Running;
            let job = Job::new(id, record, &self.ctx.store);
            self.jobs
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(job.clone());
            if running {
                tracing::info!(job = %id, "resuming from its latest checkpoint");
                job.start(&self.ctx)?;
                resumed += 1;
            }
        }
        Ok(resumed)
    }

    /// Checks `sql` and `who`'s rights on its tables, stores it as a new job owned by `who`
    /// and starts it. Blocks while the script is planned.
    pub fn submit(&self, sql: &str, name: Option<&str>, who: &Principal) -> Result<JobId> {
        self.check_open()?;
        let bootstrap = self.ctx.cluster.as_ref().map(|c| c.bootstrap.as_str());
        let checked = script::check(sql, bootstrap)?;
        self.ctx.rights.check_tables(who, &checked.tables)?;
        let planned_name = checked.name;
        let id = JobId::generate();
        let now = epoch_millis(SystemTime::now());
        let record = JobRecord {
            id: id.to_string(),
            name: name.map(str::to_string).unwrap_or(planned_name),
            sql: sql.to_string(),
            submitted: now,
            started: now,
            ended: None,
            state: JobState::Running,
            failures: Vec::new(),
            runs: 0,
            owner: who.owner(),
        };
        let job = Job::new(id, record, &self.ctx.store);
        let mut jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        self.check_room(&jobs)?;
        job.start(&self.ctx)?;
        jobs.push(job);
        tracing::info!(job = %id, "submitted");
        Ok(id)
    }

    /// The job with this id (as text, so a malformed id is a 404 like an unknown one is).
    pub fn get(&self, id: &str) -> Result<Arc<Job>> {
        let parsed = id
            .parse::<JobId>()
            .map_err(|_| ServerError::JobNotFound(id.to_string()))?;
        self.jobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .find(|j| j.id() == parsed)
            .cloned()
            .ok_or_else(|| ServerError::JobNotFound(id.to_string()))
    }

    /// Every job, in submission order.
    pub fn list(&self) -> Vec<Arc<Job>> {
        self.jobs.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Cancels a running job.
    pub fn cancel(&self, id: &str) -> Result<()> {
        self.get(id)?.cancel()
    }

    /// Triggers a savepoint (into `dir`, or the job's own `savepoints/`), stopping the job
    /// after it when `stop`; returns the trigger id.
    pub fn savepoint(&self, id: &str, dir: Option<PathBuf>, stop: bool) -> Result<String> {
        self.check_open()?;
        let job = self.get(id)?;
        let dir = dir.unwrap_or_else(|| job.default_savepoint_dir());
        job.trigger_savepoint(dir, stop)
    }

    /// Runs an ended job again from its newest checkpoint or stop-savepoint (from the start
    /// when it has none).
    pub fn resume(&self, id: &str) -> Result<()> {
        self.check_open()?;
        let job = self.get(id)?;
        if job.snapshot().record.state == JobState::Running {
            return Err(ServerError::Conflict(format!("job {id} is already RUNNING")));
        }
        let jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        self.check_room(&jobs)?;
        job.start(&self.ctx)
    }

    /// How many jobs may run at once.
    pub fn max_running(&self) -> usize {
        self.max_running
    }

    /// Refuses one more running job when `jobs` already run as many as allowed.
    fn check_room(&self, jobs: &[Arc<Job>]) -> Result<()> {
        let running = jobs.iter().filter(|j| j.is_running()).count();
        if running >= self.max_running {
            return Err(ServerError::TooManyJobs(format!(
                "the server runs {running} jobs, its limit (spate server --max-jobs {}); \
                 cancel or stop one, or raise the limit",
                self.max_running
            )));
        }
        Ok(())
    }

    /// Samples every running job's figures (called once a second).
    pub fn sample(&self) {
        for job in self.list() {
            job.sample();
        }
    }

    /// Stops every running job with a savepoint (their stored state stays `RUNNING`, so the
    /// next start resumes them) and waits for their threads. Blocks.
    pub fn shutdown(&self) {
        self.closed.store(true, Ordering::Release);
        let threads: Vec<_> = self
            .list()
            .iter()
            .filter_map(|j| j.suspend(&j.default_savepoint_dir()))
            .collect();
        for t in threads {
            let _ = t.join();
        }
    }

    fn check_open(&self) -> Result<()> {
        if self.closed.load(Ordering::Acquire) {
            return Err(ServerError::Conflict("the server is shutting down".into()));
        }
        Ok(())
    }
}
