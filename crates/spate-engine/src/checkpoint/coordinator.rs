//! The checkpoint coordinator: triggers barriers, collects acknowledgements, writes the state
//! files and `_metadata`, and tells the tasks when a checkpoint is complete. One coordinator
//! thread runs per job attempt; [`JobHandle`] reaches it from outside (savepoints, stop).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use crate::checkpoint::contents::{CheckpointPublisher, CompletedCheckpoint};
use crate::checkpoint::restore::RestoredCheckpoint;
use crate::checkpoint::snapshot::{CheckpointCtx, FinalKeyGroup, OperatorSnapshot};
use crate::checkpoint::storage::{
    self, CheckpointMetadata, FORMAT_VERSION, OperatorState, SubtaskState, checkpoint_dir_name, io_error,
};
use crate::checkpoint::{Barrier, CheckpointConfig};
use crate::clock::now_millis;
use crate::error::{EngineError, FailureSlot};
use crate::memory::MemoryAccount;
use crate::metrics::{OperatorProbe, OperatorReport};

/// Messages from tasks and from the [`JobHandle`] to the coordinator.
pub(crate) enum Msg {
    Ack {
        id: u64,
        task: usize,
        ctx: CheckpointCtx,
    },
    /// A task finished; its final snapshot stands in for it in every later checkpoint.
    Finished {
        task: usize,
        snapshots: Vec<OperatorSnapshot>,
    },
    Savepoint {
        dir: PathBuf,
        stop: bool,
        reply: Sender<Result<PathBuf, EngineError>>,
    },
}

/// What the tasks of one attempt share with the coordinator (checked once per task step).
#[derive(Debug)]
pub(crate) struct CheckpointShared {
    /// The newest barrier sources should inject (id 0: none yet).
    requested: Mutex<Barrier>,
    requested_id: AtomicU64,
    /// The newest checkpoint whose side effects may be committed.
    completed: AtomicU64,
    /// A stop-with-savepoint barrier id: sources stop emitting after it, and every task ends
    /// once it was told the savepoint completed. 0 = none.
    stop_at: AtomicU64,
    /// The newest abandoned checkpoint id (sources waiting for a stop resume when it is theirs).
    abandoned: AtomicU64,
    /// Checkpoints are taken periodically (the job has a checkpoint configuration), so a task
    /// that reaches the end of its input waits for a checkpoint covering its final snapshot
    /// before its sinks commit (FLIP-147); without, sinks commit when their input ends.
    pub(crate) periodic: bool,
    pub(crate) tx: Sender<Msg>,
}

impl CheckpointShared {
    pub(crate) fn requested(&self, after: u64) -> Option<Barrier> {
        if self.requested_id.load(Ordering::Acquire) <= after {
            return None;
        }
        Some(*self.requested.lock().unwrap_or_else(|e| e.into_inner()))
    }
    pub(crate) fn completed(&self) -> u64 {
        self.completed.load(Ordering::Acquire)
    }
    pub(crate) fn stop_at(&self) -> u64 {
        self.stop_at.load(Ordering::Acquire)
    }
    pub(crate) fn abandoned(&self) -> u64 {
        self.abandoned.load(Ordering::Acquire)
    }
}

/// A task's view of checkpointing: which barrier it injected or aligned last, which completion
/// it passed on last.
#[derive(Debug)]
pub(crate) struct TaskCheckpointing {
    pub(crate) shared: Arc<CheckpointShared>,
    pub(crate) task: usize,
    pub(crate) last_barrier: u64,
    pub(crate) last_notified: u64,
    /// The id the final snapshot was taken under while the task waits for a checkpoint that
    /// covers it (see [`CheckpointShared::periodic`]).
    final_id: Option<u64>,
}

impl TaskCheckpointing {
    pub(crate) fn new(shared: Arc<CheckpointShared>, task: usize, restored: u64) -> Self {
        Self {
            shared,
            task,
            last_barrier: restored,
            last_notified: restored,
            final_id: None,
        }
    }

    /// The id of the final snapshot a task takes when its input ended: every checkpoint from
    /// this id on holds that snapshot in place of the task (the task acknowledged every
    /// earlier one it saw before finishing, and acknowledges none after). With periodic
    /// checkpoints the task then waits for one of them to complete ([`Self::awaits_final`]).
    pub(crate) fn begin_final(&mut self) -> u64 {
        let id = self.last_barrier + 1;
        if self.shared.periodic {
            self.final_id = Some(id);
        }
        id
    }

    /// The task finished and waits for a checkpoint covering its final snapshot.
    pub(crate) fn awaits_final(&self) -> bool {
        self.final_id.is_some()
    }

    /// Completion `id` (passed on already) covers the final snapshot: the wait is over.
    pub(crate) fn final_covered_by(&mut self, id: u64) -> bool {
        if self.final_id.is_some_and(|f| id >= f) {
            self.final_id = None;
            return true;
        }
        false
    }

    /// A completion not passed on yet.
    pub(crate) fn new_completion(&mut self) -> Option<u64> {
        let c = self.shared.completed();
        (c > self.last_notified).then(|| {
            self.last_notified = c;
            c
        })
    }

    pub(crate) fn ack(&self, ctx: CheckpointCtx) {
        let _ = self.shared.tx.send(Msg::Ack {
            id: ctx.barrier.id,
            task: self.task,
            ctx,
        });
    }

    pub(crate) fn finished(&self, snapshots: Vec<OperatorSnapshot>) {
        let _ = self.shared.tx.send(Msg::Finished {
            task: self.task,
            snapshots,
        });
    }
}

/// Live figures of a running job, for progress output.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobProgress {
    /// Records emitted by all sources (this attempt).
    pub records_in: u64,
    /// Records received by all sinks (this attempt).
    pub records_out: u64,
    /// The smallest watermark at the sinks (`i64::MIN` before the first).
    pub watermark: i64,
    /// The newest completed checkpoint.
    pub last_checkpoint: Option<u64>,
    /// When it completed.
    pub last_checkpoint_at: Option<SystemTime>,
    /// How long its snapshot took from trigger to `_metadata`.
    pub last_checkpoint_duration: Option<Duration>,
    /// Its longest barrier alignment: how long one task held some input channels back
    /// waiting for the barrier on the others.
    pub last_checkpoint_alignment: Option<Duration>,
    /// Restarts so far.
    pub restarts: u32,
    /// The checkpoint or savepoint the job (last) restored from.
    pub restored_from: Option<u64>,
    /// The checkpoint in flight: its id and when it was triggered.
    pub pending_checkpoint: Option<(u64, SystemTime)>,
    /// Checkpoints that failed (abandoned: timed out, a task's snapshot or a file write
    /// failed) over the job's life.
    pub checkpoints_failed: u64,
    /// The latest failed checkpoints, oldest first (the last [`FAILED_CHECKPOINTS_KEPT`]).
    pub failed_checkpoints: Vec<CheckpointFailure>,
    /// Flink's name of the job's restart strategy (`none`, `fixed-delay`, ...).
    pub restart_strategy: &'static str,
    /// Failed attempts with the restart strategy's decisions, oldest first (the last
    /// [`FAILURES_KEPT`](crate::FAILURES_KEPT)).
    pub failures: Vec<super::FailureRecord>,
}

/// A checkpoint that failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointFailure {
    /// Its id.
    pub id: u64,
    /// When it was triggered.
    pub triggered_at: SystemTime,
    /// When it was abandoned.
    pub failed_at: SystemTime,
    /// Why.
    pub reason: String,
}

/// Failed checkpoints kept in [`JobProgress::failed_checkpoints`].
pub const FAILED_CHECKPOINTS_KEPT: usize = 16;

pub(crate) type ProgressProbe = Box<dyn Fn() -> (u64, u64, i64) + Send>;

#[derive(Default)]
pub(crate) struct JobControl {
    coordinator: Mutex<Option<Sender<Msg>>>,
    pub(crate) cancelled: AtomicBool,
    progress: Mutex<JobProgress>,
    probe: Mutex<Option<ProgressProbe>>,
    operators: Mutex<Vec<OperatorProbe>>,
}

/// Controls a running job from another thread: progress, savepoints, stop, cancel. Get it
/// with [`crate::StreamEnvironment::job_handle`] before `execute`.
#[derive(Clone, Default)]
pub struct JobHandle {
    pub(crate) inner: Arc<JobControl>,
}

impl std::fmt::Debug for JobHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobHandle").finish_non_exhaustive()
    }
}

impl JobHandle {
    /// Current progress figures.
    pub fn progress(&self) -> JobProgress {
        let mut p = self
            .inner
            .progress
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if let Some(probe) = &*self.inner.probe.lock().unwrap_or_else(|e| e.into_inner()) {
            let (i, o, w) = probe();
            p.records_in = i;
            p.records_out = o;
            p.watermark = w;
        }
        p
    }

    /// Every operator subtask's metrics as they are now (records in and out, watermark, its
    /// task's busy and backpressured time), in graph order; empty while no attempt runs.
    /// Counters start at zero with each attempt, as [`JobProgress`]'s do.
    pub fn operators(&self) -> Vec<OperatorReport> {
        self.inner
            .operators
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(OperatorProbe::report)
            .collect()
    }

    /// Takes a savepoint into a new directory under `dir` and returns its path. The job keeps
    /// running; its sinks do not commit on a savepoint (the next checkpoint commits).
    pub fn savepoint(&self, dir: &Path) -> Result<PathBuf, EngineError> {
        self.request_savepoint(dir, false)
    }

    /// Takes a savepoint, commits the sinks' work up to it, and stops the job without draining
    /// (windows still open stay in the savepoint). `execute` then returns normally.
    pub fn stop_with_savepoint(&self, dir: &Path) -> Result<PathBuf, EngineError> {
        self.request_savepoint(dir, true)
    }

    fn request_savepoint(&self, dir: &Path, stop: bool) -> Result<PathBuf, EngineError> {
        let tx = self
            .inner
            .coordinator
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or_else(|| EngineError::Checkpoint("the job is not running".into()))?;
        let (reply, rx) = crossbeam_channel::bounded(1);
        tx.send(Msg::Savepoint {
            dir: dir.to_path_buf(),
            stop,
            reply,
        })
        .map_err(|_| EngineError::Checkpoint("the job is not running".into()))?;
        rx.recv()
            .map_err(|_| EngineError::Checkpoint("the job ended before the savepoint completed".into()))?
    }

    /// Stops the job at once (no savepoint); `execute` returns normally.
    pub fn cancel(&self) {
        self.inner.cancelled.store(true, Ordering::Release);
    }

    /// Whether `cancel` was called.
    pub fn is_cancelled(&self) -> bool {
        self.inner.cancelled.load(Ordering::Acquire)
    }

    pub(crate) fn set_probe(&self, probe: Option<ProgressProbe>) {
        *self.inner.probe.lock().unwrap_or_else(|e| e.into_inner()) = probe;
    }

    pub(crate) fn set_operators(&self, probes: Vec<OperatorProbe>) {
        *self.inner.operators.lock().unwrap_or_else(|e| e.into_inner()) = probes;
    }

    pub(crate) fn update(&self, f: impl FnOnce(&mut JobProgress)) {
        f(&mut self.inner.progress.lock().unwrap_or_else(|e| e.into_inner()));
    }
}

/// A savepoint asked for: target directory, stop afterwards, where to reply.
type SavepointRequest = (PathBuf, bool, Sender<Result<PathBuf, EngineError>>);
/// Where an operator subtask's sections went: (key group or `None` for operator state, section).
type SectionRefs = Vec<(Option<u32>, storage::SectionRef)>;

/// One checkpoint in flight.
struct Pending {
    barrier: Barrier,
    dir: PathBuf,
    started: Instant,
    triggered_at_ms: i64,
    /// The longest alignment of a task so far.
    alignment: Duration,
    acked: HashMap<usize, Vec<(OperatorSnapshot, SectionRefs)>>,
    savepoint: Option<SavepointRequest>,
    /// Triggered after every task had finished: it holds only final snapshots.
    all_final: bool,
}

/// Runs one attempt's coordination until `done` is set.
pub(crate) struct Coordinator {
    pub(crate) config: Option<CheckpointConfig>,
    pub(crate) shared: Arc<CheckpointShared>,
    rx: Receiver<Msg>,
    tasks: usize,
    max_parallelism: usize,
    next_id: u64,
    finished: HashMap<usize, Vec<OperatorSnapshot>>,
    /// A checkpoint triggered after every task had finished completed: the job's final one,
    /// which every sink's last transaction waits for; none is taken after it.
    final_completed: bool,
    pending: Option<Pending>,
    queued_savepoints: Vec<SavepointRequest>,
    next_trigger: Instant,
    handle: JobHandle,
    /// A distributed attempt's publisher (see [`CheckpointPublisher`]).
    publisher: Option<Arc<dyn CheckpointPublisher>>,
    /// A publish failed: the attempt fails with it.
    publish_failure: Option<EngineError>,
}

impl Coordinator {
    /// A coordinator for an attempt with `tasks` tasks. Checkpoint ids continue after every id
    /// the directory has seen (complete or not) and after the restored one.
    pub(crate) fn new(
        config: Option<CheckpointConfig>,
        restored: Option<&RestoredCheckpoint>,
        tasks: usize,
        max_parallelism: usize,
        handle: JobHandle,
    ) -> Result<Self, EngineError> {
        let mut highest = restored.map_or(0, |r| r.id());
        if let Some(cfg) = &config {
            std::fs::create_dir_all(&cfg.dir).map_err(|e| io_error(&cfg.dir, e))?;
            let (_, seen) = storage::scan(&cfg.dir)?;
            highest = highest.max(seen);
            storage::remove_unfinished(&cfg.dir)?;
        }
        let (tx, rx) = crossbeam_channel::unbounded();
        let restored_id = restored.map_or(0, |r| r.id());
        let shared = Arc::new(CheckpointShared {
            requested: Mutex::new(Barrier {
                id: restored_id,
                savepoint: false,
            }),
            requested_id: AtomicU64::new(restored_id),
            completed: AtomicU64::new(restored_id),
            stop_at: AtomicU64::new(0),
            abandoned: AtomicU64::new(0),
            periodic: config.is_some(),
            tx,
        });
        *handle.inner.coordinator.lock().unwrap_or_else(|e| e.into_inner()) = Some(shared.tx.clone());
        let interval = config.as_ref().map_or(Duration::MAX, |c| c.interval);
        Ok(Self {
            config,
            shared,
            rx,
            tasks,
            max_parallelism,
            next_id: highest + 1,
            finished: HashMap::new(),
            final_completed: false,
            pending: None,
            queued_savepoints: Vec::new(),
            next_trigger: Instant::now().checked_add(interval).unwrap_or_else(far_future),
            handle,
            publisher: None,
            publish_failure: None,
        })
    }

    /// Publishes every completed checkpoint before it counts (a distributed attempt).
    pub(crate) fn with_publisher(mut self, publisher: Option<Arc<dyn CheckpointPublisher>>) -> Self {
        self.publisher = publisher;
        self
    }

    /// Sets the number of tasks that acknowledge each checkpoint (known after planning).
    pub(crate) fn with_tasks(mut self, tasks: usize) -> Self {
        self.tasks = tasks;
        self
    }

    /// Serves until `done` is set (all tasks finished, or the attempt failed).
    pub(crate) fn run(
        mut self,
        done: &AtomicBool,
        failure: &FailureSlot,
        handle: &JobHandle,
        memory: Option<&MemoryAccount>,
    ) {
        while !done.load(Ordering::Acquire) {
            if handle.is_cancelled() {
                failure.cancel();
            }
            if let Some(account) = memory.filter(|a| a.over_limit()) {
                failure.fail(EngineError::MemoryBudget {
                    used: account.used(),
                    limit: account.limit(),
                });
            }
            let wait = if self.pending.is_some() {
                Duration::from_millis(20)
            } else {
                self.next_trigger
                    .saturating_duration_since(Instant::now())
                    .min(Duration::from_millis(20))
            };
            match self.rx.recv_timeout(wait) {
                Ok(msg) => self.handle_msg(msg),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            if let Some(e) = self.publish_failure.take() {
                failure.fail(e);
            }
            self.maybe_trigger();
        }
        *self
            .handle
            .inner
            .coordinator
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = None;
        self.handle.update(|pr| pr.pending_checkpoint = None);
        let reason = "the job ended before the savepoint completed";
        if let Some(p) = self.pending.take() {
            // Never completed: its files are of no use to a restore.
            let _ = std::fs::remove_dir_all(&p.dir);
            if let Some((_, _, reply)) = p.savepoint {
                let _ = reply.send(Err(EngineError::Checkpoint(reason.into())));
            }
        }
        for (_, _, reply) in self.queued_savepoints.drain(..) {
            let _ = reply.send(Err(EngineError::Checkpoint(reason.into())));
        }
        // Finished tasks' final snapshots share their keyed state: freed like that state.
        if !self.finished.is_empty() {
            crate::reclaim::drop_in_background(std::mem::take(&mut self.finished));
        }
    }

    fn handle_msg(&mut self, msg: Msg) {
        match msg {
            Msg::Ack { id, task, ctx } => {
                if let Some(p) = self.pending.as_mut().filter(|p| p.barrier.id == id) {
                    p.alignment = p.alignment.max(ctx.alignment);
                    if ctx.errors.is_empty() {
                        self.store_ack(task, ctx.snapshots);
                    } else {
                        self.abandon(&ctx.errors.join("; "));
                    }
                }
            }
            Msg::Finished { task, snapshots } => {
                self.finished.insert(task, snapshots);
                if let Some(p) = &self.pending
                    && !p.acked.contains_key(&task)
                {
                    let snaps = self.finished_copy(task);
                    self.store_ack(task, snaps);
                } else if self.all_finished() {
                    // The end of a bounded job is a checkpoint like any other: its sinks
                    // commit their last transactions when it completes, so take it now
                    // rather than an interval later.
                    self.next_trigger = Instant::now();
                }
            }
            Msg::Savepoint { dir, stop, reply } => {
                self.queued_savepoints.push((dir, stop, reply));
            }
        }
        self.maybe_complete();
    }

    fn all_finished(&self) -> bool {
        self.tasks > 0 && self.finished.len() >= self.tasks
    }

    fn finished_copy(&self, task: usize) -> Vec<OperatorSnapshot> {
        self.finished
            .get(&task)
            .map(|snaps| {
                snaps
                    .iter()
                    .map(|s| OperatorSnapshot {
                        uid: s.uid.clone(),
                        subtask: s.subtask,
                        parallelism: s.parallelism,
                        keyed: s.keyed.clone(),
                        deferred: s.kept.iter().map(FinalKeyGroup::for_checkpoint).collect(),
                        kept: Vec::new(),
                        operator: s.operator.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Writes a task's state file (this is the asynchronous part of a snapshot: the task has
    /// moved on already).
    fn store_ack(&mut self, task: usize, mut snapshots: Vec<OperatorSnapshot>) {
        let Some(p) = &mut self.pending else {
            return;
        };
        let file = format!("task-{task}.state");
        match storage::write_task_file(&p.dir, &file, &mut snapshots) {
            Ok(refs) => {
                let mut per_op: Vec<Vec<(Option<u32>, storage::SectionRef)>> =
                    vec![Vec::new(); snapshots.len()];
                for (i, kg, r) in refs {
                    per_op[i].push((kg, r));
                }
                // Only where the bytes went is kept; the bytes themselves are on disk now.
                let entry = snapshots
                    .into_iter()
                    .map(|s| OperatorSnapshot {
                        keyed: Vec::new(),
                        kept: Vec::new(),
                        operator: None,
                        ..s
                    })
                    .zip(per_op)
                    .collect();
                p.acked.insert(task, entry);
            }
            Err(e) => self.abandon(&e.to_string()),
        }
    }

    fn maybe_trigger(&mut self) {
        if let Some(p) = &self.pending {
            let timeout = self
                .config
                .as_ref()
                .map_or(Duration::from_secs(600), |c| c.timeout);
            if p.started.elapsed() > timeout {
                self.abandon("timed out");
            }
            return;
        }
        if !self.queued_savepoints.is_empty() {
            let (dir, stop, reply) = self.queued_savepoints.remove(0);
            self.trigger(Some((dir, stop, reply)));
        } else if self.config.is_some() && !self.final_completed && Instant::now() >= self.next_trigger {
            self.trigger(None);
        }
    }

    fn trigger(&mut self, savepoint: Option<SavepointRequest>) {
        let triggered = Instant::now();
        let id = self.next_id;
        self.next_id += 1;
        let all_final = self.all_finished();
        // A stop-with-savepoint is a regular checkpoint too (so that a restart without the
        // savepoint also resumes from it), copied to the savepoint directory when complete.
        let as_checkpoint = savepoint.as_ref().is_none_or(|(_, stop, _)| *stop);
        let dir = match (&self.config, &savepoint) {
            (Some(cfg), _) if as_checkpoint => cfg.dir.join(checkpoint_dir_name(id)),
            (_, Some((target, _, _))) => target.join(format!("savepoint-{id}")),
            _ => return,
        };
        if let Err(e) = std::fs::create_dir_all(&dir) {
            let err = io_error(&dir, e);
            if let Some((_, _, reply)) = savepoint {
                let _ = reply.send(Err(err));
            }
            self.schedule_next(triggered);
            return;
        }
        let barrier = Barrier {
            id,
            savepoint: savepoint.is_some(),
        };
        if let Some((_, true, _)) = &savepoint {
            self.shared.stop_at.store(id, Ordering::Release);
        }
        self.handle
            .update(|pr| pr.pending_checkpoint = Some((id, SystemTime::now())));
        self.pending = Some(Pending {
            barrier,
            dir,
            started: triggered,
            triggered_at_ms: now_millis(),
            alignment: Duration::ZERO,
            acked: HashMap::new(),
            savepoint,
            all_final,
        });
        for task in self.finished.keys().copied().collect::<Vec<_>>() {
            let snaps = self.finished_copy(task);
            self.store_ack(task, snaps);
        }
        *self.shared.requested.lock().unwrap_or_else(|e| e.into_inner()) = barrier;
        self.shared.requested_id.store(id, Ordering::Release);
        self.maybe_complete();
    }

    /// Flink's periodic trigger: the next checkpoint starts `interval` after the previous one
    /// was `triggered` (at once if that has passed), and at least `min_pause` after it ended. Counting
    /// the interval from the end instead stretched every period by the checkpoint's duration,
    /// and exactly-once results wait a whole period to become visible.
    fn schedule_next(&mut self, triggered: Instant) {
        let Some(cfg) = &self.config else {
            self.next_trigger = far_future();
            return;
        };
        let now = Instant::now();
        let periodic = triggered.checked_add(cfg.interval).unwrap_or_else(far_future);
        let paused = now.checked_add(cfg.min_pause).unwrap_or_else(far_future);
        self.next_trigger = periodic.max(paused);
    }

    fn abandon(&mut self, reason: &str) {
        let triggered = self.pending.as_ref().map_or_else(Instant::now, |p| p.started);
        if let Some(p) = self.pending.take() {
            tracing::warn!(checkpoint = p.barrier.id, reason, "checkpoint abandoned");
            let now = SystemTime::now();
            self.handle.update(|pr| {
                pr.pending_checkpoint = None;
                pr.checkpoints_failed += 1;
                if pr.failed_checkpoints.len() == FAILED_CHECKPOINTS_KEPT {
                    pr.failed_checkpoints.remove(0);
                }
                pr.failed_checkpoints.push(CheckpointFailure {
                    id: p.barrier.id,
                    triggered_at: now.checked_sub(p.started.elapsed()).unwrap_or(now),
                    failed_at: now,
                    reason: reason.to_string(),
                });
            });
            let _ = std::fs::remove_dir_all(&p.dir);
            if let Some((_, _, reply)) = p.savepoint {
                let _ = reply.send(Err(EngineError::Checkpoint(format!(
                    "savepoint {} failed: {reason}",
                    p.barrier.id
                ))));
            }
            self.shared.abandoned.store(p.barrier.id, Ordering::Release);
            let _ =
                self.shared
                    .stop_at
                    .compare_exchange(p.barrier.id, 0, Ordering::AcqRel, Ordering::Acquire);
        }
        self.schedule_next(triggered);
    }

    fn maybe_complete(&mut self) {
        let Some(p) = &self.pending else {
            return;
        };
        if p.acked.len() < self.tasks {
            return;
        }
        let Some(p) = self.pending.take() else {
            return;
        };
        let id = p.barrier.id;
        let meta = self.metadata(&p);
        let files: Vec<String> = p.acked.keys().map(|t| format!("task-{t}.state")).collect();
        let commits = p.savepoint.as_ref().is_none_or(|(_, stop, _)| *stop);
        let result =
            storage::sync_files(&p.dir, &files).and_then(|()| storage::write_metadata(&p.dir, &meta));
        let published = match (&result, &self.publisher) {
            (Ok(()), Some(publisher)) if commits => {
                CompletedCheckpoint::open(&p.dir).and_then(|c| publisher.publish(&c))
            }
            _ => Ok(()),
        };
        if let Err(e) = published {
            let reason = format!("publishing it failed: {e}");
            self.publish_failure = Some(e);
            self.pending = Some(p);
            self.abandon(&reason);
            return;
        }
        if let Err(e) = result {
            self.pending = Some(p);
            self.abandon(&e.to_string());
            return;
        }
        let duration = p.started.elapsed();
        tracing::debug!(
            checkpoint = id,
            duration_us = duration.as_micros() as u64,
            alignment_us = p.alignment.as_micros() as u64,
            "checkpoint written"
        );
        self.handle.update(|pr| pr.pending_checkpoint = None);
        let mut reply_result = Ok(p.dir.clone());
        if let Some((target, true, _)) = &p.savepoint
            && self.config.is_some()
        {
            let to = target.join(format!("savepoint-{id}"));
            reply_result = storage::copy_checkpoint(&p.dir, &to).map(|()| to);
        }
        if commits {
            if let Some(cfg) = &self.config
                && let Err(e) = storage::prune(&cfg.dir, cfg.retained)
            {
                tracing::warn!(error = %e, "could not delete old checkpoints");
            }
            self.shared.completed.store(id, Ordering::Release);
            self.handle.update(|pr| {
                pr.last_checkpoint = Some(id);
                pr.last_checkpoint_at = Some(SystemTime::now());
                pr.last_checkpoint_duration = Some(duration);
                pr.last_checkpoint_alignment = Some(p.alignment);
            });
        }
        if let Some((_, _, reply)) = p.savepoint {
            let _ = reply.send(reply_result);
        }
        self.schedule_next(p.started);
        if commits && p.all_final {
            self.final_completed = true;
        } else if commits && self.all_finished() {
            // Some task acknowledged this one before it finished: its final snapshot waits
            // for the next.
            self.next_trigger = Instant::now();
        }
    }

    fn metadata(&self, p: &Pending) -> CheckpointMetadata {
        let mut operators: Vec<OperatorState> = Vec::new();
        let mut tasks: Vec<_> = p.acked.keys().copied().collect();
        tasks.sort_unstable();
        for task in tasks {
            for (snap, refs) in &p.acked[&task] {
                let op = match operators.iter().position(|o| *o.uid == *snap.uid) {
                    Some(i) => &mut operators[i],
                    None => {
                        operators.push(OperatorState {
                            uid: snap.uid.to_string(),
                            parallelism: snap.parallelism,
                            subtasks: Vec::new(),
                        });
                        operators.last_mut().expect("just pushed")
                    }
                };
                let mut st = SubtaskState {
                    subtask: snap.subtask,
                    operator_state: None,
                    key_groups: Vec::new(),
                };
                for (kg, r) in refs {
                    match kg {
                        None => st.operator_state = Some(r.clone()),
                        Some(kg) => st.key_groups.push((*kg, r.clone())),
                    }
                }
                op.subtasks.push(st);
            }
        }
        for op in &mut operators {
            op.subtasks.sort_by_key(|s| s.subtask);
        }
        CheckpointMetadata {
            format_version: FORMAT_VERSION,
            checkpoint_id: p.barrier.id,
            savepoint: p.barrier.savepoint,
            triggered_at_ms: p.triggered_at_ms,
            max_parallelism: self.max_parallelism,
            operators,
        }
    }
}

fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(86_400 * 365)
}
