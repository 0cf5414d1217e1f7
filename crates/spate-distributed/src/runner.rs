//! [`run_distributed`]: one process of a distributed job, driven by its group membership.
//!
//! The process joins the job's group with the job's plan fingerprint and every task; the
//! leader assigns tasks ([`spate_group::assignor`]). Then, per event:
//!
//! - `Assigned`: an *attempt* starts on a thread of its own: the job is built afresh, the
//!   assigned tasks are restored from their changelogs ([`restore_tasks`]), and the engine
//!   runs them with the Kafka exchange and publisher, checkpointing into a local directory
//!   of the attempt (never restored from: Kafka is the truth).
//! - `Revoke` (a rebalance): the attempt stops with a final checkpoint, which commits like
//!   any other, so the next owner resumes exactly there; then the tasks are released.
//! - `Lost` (this member was dropped): the attempt is cancelled without committing (its
//!   generation is stale, so a commit would be refused anyway) and the tasks are released.
//!
//! An attempt that fails (Kafka unreachable, a fenced commit) is started again on the same
//! tasks after a pause, from what Kafka holds. An attempt whose tasks all finished (a bounded
//! job) ends the process.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use spate_engine::checkpoint::{CheckpointConfig, JobHandle, RestartStrategy};
use spate_engine::exchange::TaskScope;
use spate_engine::{EngineError, StreamEnvironment};
use spate_group::{GroupMetadata, Membership, MembershipConfig, MembershipEvent, TaskId};
use spate_kafka_client::TxnProducerConfig;

use crate::error::DistributedError;
use crate::exchange::KafkaExchange;
use crate::publish::KafkaCheckpoints;
use crate::restore::restore_tasks;
use crate::topics::{KafkaSettings, ensure_topics};
use crate::txn::ProcessTxn;

/// Builds the job: every process and every attempt builds the same one.
pub type JobBuilder = Arc<dyn Fn() -> Result<StreamEnvironment, EngineError> + Send + Sync>;

/// How one process of a distributed job runs.
#[derive(Debug, Clone)]
pub struct RunnerConfig {
    /// The cluster, the group and the topics' settings.
    pub kafka: KafkaSettings,
    /// A static member id (`group.instance.id`): a restarted process gets its tasks back
    /// without a rebalance, and fences its previous instance's transaction at once.
    pub instance_id: Option<String>,
    /// How long a silent process keeps its tasks (Kafka's `session.timeout.ms`).
    pub session_timeout: Duration,
    /// How often the member heartbeats.
    pub heartbeat_interval: Duration,
    /// How long a rebalance waits for every process to release its tasks.
    pub rebalance_timeout: Duration,
    /// A transaction left open by a killed process is aborted after this; below the session
    /// timeout, so it is over when the process's tasks move.
    pub transaction_timeout: Duration,
    /// Time between checkpoints, hence between commits: what read_committed readers wait
    /// (unless the job sets its own).
    pub checkpoint_interval: Duration,
    /// Local directory for the attempts' checkpoints and restores.
    pub work_dir: PathBuf,
    /// Pause before an attempt that failed is started again; it doubles with every failure
    /// in a row up to [`Self::max_retry_backoff`] (Flink's exponential-delay restarts), and
    /// starts over once an attempt ran for that long.
    pub retry_backoff: Duration,
    /// The longest pause between attempts.
    pub max_retry_backoff: Duration,
}

impl RunnerConfig {
    /// A dynamic member with Kafka Streams' exactly-once timings (45 s session, 3 s
    /// heartbeat, 10 s transactions) and a checkpoint every second.
    pub fn new(kafka: KafkaSettings, work_dir: impl Into<PathBuf>) -> Self {
        Self {
            kafka,
            instance_id: None,
            session_timeout: Duration::from_secs(45),
            heartbeat_interval: Duration::from_secs(3),
            rebalance_timeout: Duration::from_secs(60),
            transaction_timeout: Duration::from_secs(10),
            checkpoint_interval: Duration::from_secs(1),
            work_dir: work_dir.into(),
            retry_backoff: Duration::from_secs(1),
            max_retry_backoff: Duration::from_secs(60),
        }
    }

    /// The session timeout `timeout`, with the heartbeat (a tenth of it, at least 100 ms)
    /// and transaction timeout (two thirds, at least a second: an open transaction of a dead
    /// process is aborted before its tasks move) that follow from it.
    pub fn with_session_timeout(mut self, timeout: Duration) -> Self {
        self.session_timeout = timeout;
        self.heartbeat_interval = (timeout / 10).max(Duration::from_millis(100));
        self.transaction_timeout = (timeout * 2 / 3).max(Duration::from_secs(1));
        self
    }

    fn transactional_id(&self) -> String {
        match &self.instance_id {
            Some(id) => format!("{}-{id}", self.kafka.group),
            // A dynamic member's transaction is left to the timeout when it dies.
            None => format!("{}-pid{}-{}", self.kafka.group, std::process::id(), unique()),
        }
    }
}

fn unique() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

/// An attempt running on its thread.
struct Attempt {
    tasks: BTreeSet<(u32, u32)>,
    started: Instant,
    handle: Option<JobHandle>,
    handles: mpsc::Receiver<JobHandle>,
    thread: JoinHandle<Result<(), DistributedError>>,
    dir: PathBuf,
}

impl Attempt {
    fn handle(&mut self) -> Option<&JobHandle> {
        if self.handle.is_none() {
            self.handle = self.handles.try_recv().ok();
        }
        self.handle.as_ref()
    }

    /// Stops with a committed final checkpoint when `commit`, else cancels; waits for the
    /// thread.
    fn stop(mut self, commit: bool) -> Result<(), DistributedError> {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.handle().is_none() && !self.thread.is_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        if let Some(h) = self.handle.take() {
            let stopped = commit && h.stop_with_savepoint(&self.dir.join("revoked")).is_ok();
            if !stopped {
                h.cancel();
            }
        }
        self.join()
    }

    fn join(self) -> Result<(), DistributedError> {
        self.thread.join().unwrap_or_else(|_| {
            Err(DistributedError::Engine(EngineError::Fatal(
                "the attempt panicked".into(),
            )))
        })
    }
}

/// Runs this process's share of the job `build` makes until its tasks finish, `stop` is
/// set, or the membership fails (see the module docs).
pub fn run_distributed(
    config: RunnerConfig,
    build: JobBuilder,
    stop: Arc<AtomicBool>,
) -> Result<(), DistributedError> {
    let env = build()?;
    let topology = env.topology()?;
    drop(env);
    ensure_topics(&config.kafka, &topology)?;
    let tasks: Vec<TaskId> = topology
        .tasks()
        .into_iter()
        .map(|(s, i)| TaskId::new(s, i))
        .collect();
    let mut member =
        MembershipConfig::new(&config.kafka.bootstrap, &config.kafka.group, topology.fingerprint);
    member.security = config.kafka.security.clone();
    member.instance_id = config.instance_id.clone();
    member.session_timeout = config.session_timeout;
    member.heartbeat_interval = config.heartbeat_interval;
    member.rebalance_timeout = config.rebalance_timeout;
    member.request_timeout = config.kafka.request_timeout;
    let membership = Membership::start(member, tasks).map_err(|e| DistributedError::Group(e.to_string()))?;
    let transactional_id = config.transactional_id();
    let mut attempt: Option<Attempt> = None;
    let mut assigned: Option<BTreeSet<(u32, u32)>> = None;
    let mut retry_at: Option<Instant> = None;
    let mut number = 0u64;
    let mut backoff = config.retry_backoff;
    let result = loop {
        if stop.load(Ordering::Acquire) {
            if let Some(a) = attempt.take() {
                let _ = a.stop(true);
            }
            break Ok(());
        }
        let event = match membership.next_event(Duration::from_millis(50)) {
            Ok(e) => e,
            Err(e) => break Err(DistributedError::Group(e.to_string())),
        };
        match event {
            Some(MembershipEvent::Assigned { generation, tasks }) => {
                let owned: BTreeSet<(u32, u32)> = tasks.iter().map(|t| (t.stage, t.index)).collect();
                tracing::info!(group = %config.kafka.group, generation, tasks = owned.len(), "tasks assigned");
                assigned = Some(owned);
                retry_at = Some(Instant::now());
            }
            Some(given_up @ (MembershipEvent::Revoke | MembershipEvent::Lost)) => {
                // Revoked tasks commit where they stop; lost ones cannot (a stale generation).
                let commit = given_up == MembershipEvent::Revoke;
                if let Some(a) = attempt.take()
                    && let Err(e) = a.stop(commit)
                {
                    tracing::warn!(error = %e, "the attempt ended with an error while giving its tasks up");
                }
                assigned = None;
                membership.released();
                tracing::info!(group = %config.kafka.group, commit, "tasks released");
            }
            None => {}
        }
        if attempt.as_ref().is_some_and(|a| a.thread.is_finished())
            && let Some(a) = attempt.take()
        {
            let tasks = a.tasks.clone();
            let ran = a.started.elapsed();
            let ended = a.join();
            tracing::info!(group = %config.kafka.group, tasks = tasks.len(), ok = ended.is_ok(), "attempt ended");
            match ended {
                Ok(()) if !tasks.is_empty() => break Ok(()),
                Ok(()) => {}
                Err(e) => {
                    if ran >= config.max_retry_backoff {
                        backoff = config.retry_backoff;
                    }
                    tracing::warn!(error = %e, retry_in = ?backoff, "attempt failed; starting it again from Kafka");
                    retry_at = Some(Instant::now() + backoff);
                    backoff = (backoff * 2).min(config.max_retry_backoff);
                }
            }
        }
        if attempt.is_none()
            && let (Some(owned), Some(at)) = (&assigned, retry_at)
            && Instant::now() >= at
        {
            retry_at = None;
            number += 1;
            attempt = Some(start_attempt(
                &config,
                &build,
                owned.clone(),
                membership.identity_source(),
                transactional_id.clone(),
                number,
            ));
        }
    };
    membership.close(config.instance_id.is_none());
    result
}

fn start_attempt(
    config: &RunnerConfig,
    build: &JobBuilder,
    owned: BTreeSet<(u32, u32)>,
    identity: Box<dyn Fn() -> GroupMetadata + Send + Sync>,
    transactional_id: String,
    number: u64,
) -> Attempt {
    let dir = config
        .work_dir
        .join(format!("attempt-{}-{number}", std::process::id()));
    let (tx, handles) = mpsc::channel();
    let (config, build, tasks, thread_dir) = (config.clone(), build.clone(), owned.clone(), dir.clone());
    let thread = std::thread::spawn(move || {
        run_attempt(
            &config,
            &build,
            owned,
            identity,
            transactional_id,
            &thread_dir,
            &tx,
        )
    });
    Attempt {
        tasks,
        started: Instant::now(),
        handle: None,
        handles,
        thread,
        dir,
    }
}

fn run_attempt(
    config: &RunnerConfig,
    build: &JobBuilder,
    owned: BTreeSet<(u32, u32)>,
    identity: Box<dyn Fn() -> GroupMetadata + Send + Sync>,
    transactional_id: String,
    dir: &std::path::Path,
    handles: &mpsc::Sender<JobHandle>,
) -> Result<(), DistributedError> {
    let env = build()?;
    let topology = env.topology()?;
    let restored = restore_tasks(
        &config.kafka,
        &topology,
        &owned,
        env.config().max_parallelism,
        dir,
    )?;
    if let Some(cp) = &restored.checkpoint {
        env.restore_from(cp);
    }
    // The job's own interval when it set one (a SQL script's
    // `execution.checkpointing.interval`), else the runner's; always into the attempt's
    // directory.
    let interval = env
        .checkpointing()
        .map_or(config.checkpoint_interval, |c| c.interval);
    env.enable_checkpointing(CheckpointConfig::new(dir.join("checkpoints"), interval));
    // A failure ends the attempt: the runner restores the next one from Kafka.
    env.set_restart_strategy(RestartStrategy::None);
    let txn = Arc::new(ProcessTxn::init(
        TxnProducerConfig {
            bootstrap: config.kafka.bootstrap.clone(),
            security: config.kafka.security.clone(),
            transactional_id,
            transaction_timeout: config.transaction_timeout,
            request_timeout: config.kafka.request_timeout,
        },
        restored.id,
    )?);
    let publisher = KafkaCheckpoints::new(
        txn.clone(),
        &config.kafka.group,
        topology,
        owned.clone(),
        identity,
        restored.writer,
        env.source_log_offsets(),
    );
    let _ = handles.send(env.job_handle());
    env.execute_tasks(TaskScope {
        owned,
        transport: Arc::new(KafkaExchange::new(config.kafka.clone(), txn)),
        publisher: Some(Arc::new(publisher)),
    })?;
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}
