//! One job: its stored record, the thread that runs its SQL script in a
//! [`spate_sql::Session`], the engine's [`JobHandle`] while its dataflow runs, and the
//! requests made to it (cancel, savepoints, stop). State changes are written to the job store
//! before they are shown, so a restarted server sees what the API last said.
//!
//! A run ends in one of four ways: its sources end (`FINISHED`), it is stopped with a
//! savepoint (`FINISHED`, as in Flink), cancelled (`CANCELED`), or it fails (`FAILED`, cause
//! recorded). A fifth, the server shutting down, stops it with a savepoint but leaves its
//! stored state `RUNNING`, so the next start resumes it from that savepoint.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use spate_engine::{JobHandle, JobProgress, OperatorReport, RestartDecision};
use spate_sql::{Session, SessionOptions, Statement, StatementResult, TableAccess};

use crate::cluster::Cluster;
use crate::error::{Result, ServerError};
use crate::job_id::JobId;
use crate::principal::Principal;
use crate::rights::Rights;
use crate::store::{Failure, JobRecord, JobState, JobStore, RestartNote};
use crate::view::{CheckpointEntry, LiveView, Vertex, epoch_millis};

/// What a job needs from the manager to run.
#[derive(Debug, Clone)]
pub struct RunContext {
    /// Where job records are written.
    pub store: JobStore,
    /// The Kafka cluster for tables that name none.
    pub cluster: Option<Cluster>,
    /// What each job's owner may read and write, checked at the start of every run.
    pub rights: Rights,
    /// The checkpoint interval of scripts that set none (so a job can always be resumed).
    pub default_interval: Duration,
    /// The bytes each job may hold (`spate_engine::memory`); `None`: unbounded.
    pub memory_budget: Option<u64>,
}

/// How a run is being ended on request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    Cancel,
    Stop,
    /// The server shuts down: stop with a savepoint, keep the stored state `RUNNING`.
    Suspend,
}

/// An asynchronous savepoint request (Flink's trigger id answers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// Still being taken.
    InProgress,
    /// Done, in this directory.
    Completed(PathBuf),
    /// Failed with this message.
    Failed(String),
}

/// A consistent copy of what the API shows of a job.
#[derive(Debug, Clone)]
pub struct JobSnapshot {
    /// The stored record.
    pub record: JobRecord,
    /// Whether its dataflow is running now (the engine's handle is attached).
    pub dataflow_running: bool,
    /// The engine's figures at the last sample.
    pub progress: JobProgress,
    /// Vertices at the last sample, or the final figures.
    pub vertices: Vec<Vertex>,
    /// Checkpoints and savepoints, completed and failed, oldest first.
    pub checkpoints: Vec<CheckpointEntry>,
}

impl JobSnapshot {
    /// The checkpoints and savepoints that completed, oldest first.
    pub fn completed_checkpoints(&self) -> impl DoubleEndedIterator<Item = &CheckpointEntry> {
        self.checkpoints.iter().filter(|c| c.failure.is_none())
    }

    /// Whether a checkpoint of the running dataflow is in flight.
    pub fn checkpoint_in_progress(&self) -> bool {
        self.dataflow_running && self.progress.pending_checkpoint.is_some()
    }
}

struct Inner {
    record: JobRecord,
    handle: Option<JobHandle>,
    ending: Option<Ending>,
    thread: Option<JoinHandle<()>>,
    view: LiveView,
    triggers: BTreeMap<String, Trigger>,
    /// When the newest engine failure already in `record.failures` happened (this run).
    failures_copied_to: Option<SystemTime>,
    /// The record changed but could not be written (out of descriptors, disk full): the
    /// sampler writes it again until `job.json` says what the API says.
    unsaved: bool,
}

impl Inner {
    /// Copies the dataflow's failures not recorded yet, with the restart strategy's
    /// decisions, into the record; returns whether there were any (the record needs saving).
    fn copy_failures(&mut self, handle: &JobHandle) -> bool {
        let progress = handle.progress();
        let fresh: Vec<_> = progress
            .failures
            .iter()
            .filter(|f| self.failures_copied_to.is_none_or(|t| f.at > t))
            .collect();
        for f in &fresh {
            self.record.failures.push(Failure {
                timestamp: epoch_millis(f.at),
                message: f.error.clone(),
                restart: Some(match &f.decision {
                    RestartDecision::Restart { attempt, delay } => RestartNote::Restarted {
                        attempt: *attempt,
                        delay_ms: u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                    },
                    RestartDecision::Fail { reason } => RestartNote::NotRestarted {
                        reason: reason.clone(),
                    },
                }),
            });
        }
        if let Some(last) = fresh.last() {
            self.failures_copied_to = Some(last.at);
        }
        !fresh.is_empty()
    }
}

/// One job.
pub struct Job {
    id: JobId,
    dir: PathBuf,
    store: JobStore,
    inner: Mutex<Inner>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl Job {
    /// A job from its stored record (not started).
    pub fn new(id: JobId, record: JobRecord, store: &JobStore) -> Arc<Self> {
        Arc::new(Self {
            id,
            dir: store.job_dir(&id),
            store: store.clone(),
            inner: Mutex::new(Inner {
                record,
                handle: None,
                ending: None,
                thread: None,
                view: LiveView::default(),
                triggers: BTreeMap::new(),
                failures_copied_to: None,
                unsaved: false,
            }),
        })
    }

    /// Who submitted the job (`None`: the administrator).
    pub fn owner(&self) -> Option<crate::principal::Owner> {
        self.lock().record.owner.clone()
    }

    /// The job's id.
    pub fn id(&self) -> JobId {
        self.id
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The job's checkpoint directory (the SQL session keeps each job's in a subdirectory).
    pub fn checkpoint_dir(&self) -> PathBuf {
        self.dir.join("checkpoints")
    }

    /// Where savepoints go unless a request names a directory.
    pub fn default_savepoint_dir(&self) -> PathBuf {
        self.dir.join("savepoints")
    }

    /// What the API shows.
    pub fn snapshot(&self) -> JobSnapshot {
        let inner = self.lock();
        JobSnapshot {
            record: inner.record.clone(),
            dataflow_running: inner.handle.is_some(),
            progress: inner.view.progress.clone(),
            vertices: inner.view.vertices.clone(),
            checkpoints: inner.view.checkpoints.iter().cloned().collect(),
        }
    }

    /// The state of a savepoint request.
    pub fn trigger(&self, trigger: &str) -> Option<Trigger> {
        self.lock().triggers.get(trigger).cloned()
    }

    /// Starts a run (the first, or a resume, which the engine restores from the newest
    /// checkpoint or stop-savepoint in the job's checkpoint directory). Refused while a run
    /// is going on.
    pub fn start(self: &Arc<Self>, ctx: &RunContext) -> Result<()> {
        let previous = {
            let mut inner = self.lock();
            if inner.thread.as_ref().is_some_and(|t| !t.is_finished()) {
                return Err(ServerError::Conflict(format!("job {} is running", self.id)));
            }
            let now = epoch_millis(SystemTime::now());
            inner.record.state = JobState::Running;
            inner.record.started = now;
            inner.record.ended = None;
            inner.record.runs += 1;
            inner.ending = None;
            inner.view.restart();
            ctx.store.save(&inner.record)?;
            inner.thread.take()
        };
        if let Some(t) = previous {
            let _ = t.join();
        }
        let job = self.clone();
        let run_ctx = ctx.clone();
        // The job thread plans the script again (as `script::check` did on its own thread):
        // the same stack, so a script that passed the check cannot overflow here.
        let thread = std::thread::Builder::new()
            .name(format!("spate-job-{}", &self.id.to_string()[..8]))
            .stack_size(crate::script::PLANNING_STACK)
            .spawn(move || job.run(&run_ctx))
            .map_err(|e| ServerError::Job(format!("cannot start a thread for job {}: {e}", self.id)))?;
        self.lock().thread = Some(thread);
        Ok(())
    }

    /// The job thread: the script's statements in a session, then the outcome recorded.
    fn run(self: Arc<Self>, ctx: &RunContext) {
        let (sql, owner) = {
            let inner = self.lock();
            (inner.record.sql.clone(), inner.record.owner.clone())
        };
        let job = self.clone();
        let mut session = Session::new(SessionOptions {
            executor: None,
            bootstrap: ctx.cluster.as_ref().map(|c| c.bootstrap.clone()),
            bootstrap_properties: ctx
                .cluster
                .as_ref()
                .map(|c| c.properties.clone())
                .unwrap_or_default(),
            checkpoint_dir: Some(self.checkpoint_dir()),
            observer: Some(Arc::new(move |h: &JobHandle| job.attach(h))),
            rows: None,
            memory_budget: ctx.memory_budget,
            print_target: None,
            schema_registry: None,
        });
        let mut operators = Vec::new();
        let who = owner.map_or(Principal::Admin, Principal::User);
        let authorize = |tables: &TableAccess| ctx.rights.check_tables(&who, tables);
        let result = run_script(
            &mut session,
            &sql,
            ctx.default_interval,
            &mut operators,
            &authorize,
        );
        self.finish(result, &operators, &ctx.store);
    }

    /// The dataflow started: keep its handle (a cancel or shutdown that came first applies now).
    fn attach(&self, handle: &JobHandle) {
        let mut inner = self.lock();
        if matches!(inner.ending, Some(Ending::Cancel | Ending::Suspend)) {
            handle.cancel();
        }
        inner.handle = Some(handle.clone());
    }

    fn finish(&self, result: Result<(), String>, operators: &[OperatorReport], store: &JobStore) {
        let mut inner = self.lock();
        if let Some(h) = inner.handle.take() {
            // The last sample may be up to a second old: keep the run's final figures.
            inner.view.progress = h.progress();
            inner.copy_failures(&h);
        }
        inner.failures_copied_to = None;
        inner.view.finish(operators);
        let now = epoch_millis(SystemTime::now());
        let state = match (inner.ending, result) {
            (Some(Ending::Suspend), _) => {
                tracing::info!(job = %self.id, "suspended; it resumes when the server starts again");
                return;
            }
            (Some(Ending::Cancel), _) => JobState::Canceled,
            (_, Ok(())) => JobState::Finished,
            (_, Err(message)) => {
                tracing::warn!(job = %self.id, "failed: {message}");
                let run_started = inner.record.started;
                match inner.record.failures.last_mut() {
                    // The dataflow's own last failure, which the strategy gave up on: keep
                    // its decision, with the error as the session renders it.
                    Some(
                        last @ Failure {
                            restart: Some(RestartNote::NotRestarted { .. }),
                            ..
                        },
                    ) if last.timestamp >= run_started => {
                        last.message = message;
                    }
                    _ => inner.record.failures.push(Failure {
                        timestamp: now,
                        message,
                        restart: None,
                    }),
                }
                JobState::Failed
            }
        };
        inner.record.state = state;
        inner.record.ended = Some(now);
        if let Err(e) = store.save(&inner.record) {
            tracing::error!(job = %self.id, "cannot record the job's end (retried every second): {e}");
            inner.unsaved = true;
        }
    }

    /// Cancels the job (no savepoint).
    pub fn cancel(&self) -> Result<()> {
        let mut inner = self.lock();
        if inner.record.state != JobState::Running {
            return Err(ServerError::Conflict(format!(
                "job {} is {}, not RUNNING",
                self.id,
                inner.record.state.name()
            )));
        }
        inner.ending = Some(Ending::Cancel);
        if let Some(h) = &inner.handle {
            h.cancel();
        }
        Ok(())
    }

    /// Starts taking a savepoint into `dir` (and stopping the job after it when `stop`);
    /// returns the trigger id to poll with [`Job::trigger`].
    pub fn trigger_savepoint(self: &Arc<Self>, dir: PathBuf, stop: bool) -> Result<String> {
        let handle = {
            let mut inner = self.lock();
            let handle = match (&inner.handle, inner.record.state, inner.ending) {
                (Some(h), JobState::Running, None) => h.clone(),
                (_, JobState::Running, Some(_)) => {
                    return Err(ServerError::Conflict(format!("job {} is being stopped", self.id)));
                }
                (None, JobState::Running, None) => {
                    return Err(ServerError::Conflict(format!(
                        "job {} has not started its dataflow yet; try again in a moment",
                        self.id
                    )));
                }
                (_, state, _) => {
                    return Err(ServerError::Conflict(format!(
                        "job {} is {}, not RUNNING",
                        self.id,
                        state.name()
                    )));
                }
            };
            if stop {
                inner.ending = Some(Ending::Stop);
            }
            handle
        };
        let trigger = JobId::generate().to_string();
        self.lock().triggers.insert(trigger.clone(), Trigger::InProgress);
        let job = self.clone();
        let t = trigger.clone();
        std::thread::Builder::new()
            .name("spate-savepoint".into())
            .spawn(move || {
                let result = if stop {
                    handle.stop_with_savepoint(&dir)
                } else {
                    handle.savepoint(&dir)
                };
                let mut inner = job.lock();
                let outcome = match result {
                    Ok(path) => {
                        inner.view.record_savepoint(&path);
                        Trigger::Completed(path)
                    }
                    Err(e) => {
                        if stop && inner.ending == Some(Ending::Stop) {
                            // The job goes on running; it may be stopped again.
                            inner.ending = None;
                        }
                        Trigger::Failed(e.to_string())
                    }
                };
                inner.triggers.insert(t, outcome);
            })
            .map_err(|e| ServerError::Job(format!("cannot start a savepoint thread: {e}")))?;
        Ok(trigger)
    }

    /// Takes a sample of the running dataflow's figures (rates, checkpoints), and records its
    /// new failures with the restart strategy's decisions.
    /// An ended run's thread is joined here, so its stack and what it held are returned
    /// without waiting for the job's next start. A record that could not be written is
    /// written again.
    pub fn sample(&self) {
        let mut inner = self.lock();
        if let Some(h) = inner.handle.clone() {
            inner.view.sample(&h, &self.dir.join("checkpoints"));
            if inner.copy_failures(&h) {
                inner.unsaved = true;
            }
        }
        if inner.unsaved {
            match self.store.save(&inner.record) {
                Ok(()) => inner.unsaved = false,
                Err(e) => tracing::error!(job = %self.id, "cannot record the job's state: {e}"),
            }
        }
        let ended = inner.thread.take_if(|t| t.is_finished());
        drop(inner);
        if let Some(t) = ended {
            let _ = t.join();
        }
    }

    /// Whether the job counts against the server's limit of running jobs.
    pub fn is_running(&self) -> bool {
        self.lock().record.state == JobState::Running
    }

    /// Server shutdown: stops the running dataflow with a savepoint into `dir` (cancels it if
    /// that fails), leaving the stored state `RUNNING`; returns the thread to join.
    pub fn suspend(&self, dir: &Path) -> Option<JoinHandle<()>> {
        let handle = {
            let mut inner = self.lock();
            if inner.record.state != JobState::Running || inner.ending.is_some() {
                // Already ending (cancel or stop): let it.
                return inner.thread.take();
            }
            inner.ending = Some(Ending::Suspend);
            inner.handle.clone()
        };
        if let Some(h) = handle {
            match h.stop_with_savepoint(dir) {
                Ok(path) => tracing::info!(job = %self.id, "stopped with savepoint {}", path.display()),
                Err(e) => {
                    tracing::warn!(job = %self.id, "savepoint at shutdown failed ({e}); cancelling");
                    h.cancel();
                }
            }
        }
        self.lock().thread.take()
    }
}

/// Runs the script; a checkpoint interval is set first so every job checkpoints (the script's
/// own `SET` overrides it). `operators` gets the job's final figures.
/// Runs the job script in `session`; before its job starts, `authorize` checks the tables
/// it reads and writes (the owner's rights may have changed since the last run). The error
/// is rendered for people (with the statement's position).
fn run_script(
    session: &mut Session,
    sql: &str,
    default_interval: Duration,
    operators: &mut Vec<OperatorReport>,
    authorize: &dyn Fn(&TableAccess) -> Result<()>,
) -> std::result::Result<(), String> {
    let render = |e: spate_sql::SqlError| e.render(sql);
    session
        .execute(&Statement::Set(Some((
            "execution.checkpointing.interval".into(),
            format!("{} ms", default_interval.as_millis().max(1)),
        ))))
        .map_err(render)?;
    for stmt in spate_sql::parse(sql).map_err(render)? {
        if matches!(stmt, Statement::Insert(_) | Statement::StatementSet(_)) {
            let tables = spate_sql::table_access(session.catalog(), &stmt).map_err(render)?;
            authorize(&tables).map_err(|e| e.to_string())?;
        }
        if let StatementResult::Job(result) = session.execute(&stmt).map_err(render)? {
            *operators = result.operators;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored_state(store: &JobStore, id: &JobId) -> String {
        std::fs::read_to_string(store.job_dir(id).join("job.json")).unwrap()
    }

    /// Out of descriptors (or disk) when a run ends, `job.json` would keep saying RUNNING
    /// while the API says FAILED, and a restarted server would run the job again.
    #[test]
    fn an_end_that_could_not_be_written_is_written_by_the_next_sample() {
        let dir = tempfile::tempdir().unwrap();
        let store = JobStore::open(dir.path()).unwrap();
        let id = JobId::generate();
        let record = JobRecord {
            id: id.to_string(),
            name: "j".into(),
            sql: String::new(),
            submitted: 1,
            started: 1,
            ended: None,
            state: JobState::Running,
            failures: Vec::new(),
            runs: 1,
            owner: None,
        };
        store.save(&record).unwrap();
        let job = Job::new(id, record, &store);
        let job_dir = store.job_dir(&id);
        let aside = dir.path().join("aside");
        std::fs::rename(&job_dir, &aside).unwrap();
        std::fs::write(&job_dir, b"a file where the job's directory was").unwrap();
        job.finish(Err("Too many open files".into()), &[], &store);
        assert_eq!(job.snapshot().record.state, JobState::Failed);
        job.sample();
        std::fs::remove_file(&job_dir).unwrap();
        std::fs::rename(&aside, &job_dir).unwrap();
        assert!(stored_state(&store, &id).contains("\"RUNNING\""));
        job.sample();
        let stored = stored_state(&store, &id);
        assert!(
            stored.contains("\"FAILED\"") && stored.contains("Too many open files"),
            "{stored}"
        );
    }
}
