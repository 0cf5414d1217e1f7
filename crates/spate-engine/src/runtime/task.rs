//! Tasks: the unit a worker thread schedules. A task is the head of a chain (a source, or the
//! input gates of an operator that reads from channels) plus every operator fused behind it.
//!
//! Tasks are cooperative: `step` does a bounded amount of work and never blocks, so a small pool
//! of workers can run any number of tasks without deadlock, and a slow consumer shows up as
//! `Blocked` steps (backpressure) rather than as a blocked thread.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::checkpoint::coordinator::TaskCheckpointing;
use crate::checkpoint::snapshot::OperatorIdentity;
use crate::checkpoint::{Barrier, CheckpointCtx};
use crate::error::{EngineError, FailureSlot};
use crate::metrics::TaskMetrics;
use crate::record::{MAX_WATERMARK, Timestamp};
use crate::runtime::align::{AlignOutcome, WatermarkAligner};
use crate::runtime::channel::{InputGate, Polled};
use crate::runtime::output::{BoxOutput, Control};
use crate::source::{Source, SourceBatch, SourceStatus};
use crate::watermark::{SplitWatermarks, TimestampAssigner};

/// What one step achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    Progress,
    Idle,
    Blocked,
    Finished,
}

pub(crate) trait Task: Send {
    fn step(&mut self, now: Timestamp) -> Step;
    /// Gives the task its metrics (sources are built by API closures before the planner knows
    /// their task slot).
    fn attach_timer(&mut self, timer: TaskTimer) {
        let _ = timer;
    }
}

/// Measures busy and backpressured time of a task around its steps.
pub(crate) struct TaskTimer {
    pub(crate) metrics: Arc<TaskMetrics>,
    blocked_since: Option<Instant>,
}

impl TaskTimer {
    pub(crate) fn new(metrics: Arc<TaskMetrics>) -> Self {
        Self {
            metrics,
            blocked_since: None,
        }
    }
    fn blocked(&mut self) {
        if self.blocked_since.is_none() {
            self.blocked_since = Some(Instant::now());
        }
    }
    fn unblocked(&mut self) {
        if let Some(t) = self.blocked_since.take() {
            self.metrics.add_backpressured(t.elapsed());
        }
    }
}

/// Flushes pending output; `Some(step)` when the task cannot take more input. A finished task
/// whose sinks wait for the checkpoint covering its final snapshot stays scheduled (`Idle`)
/// until that checkpoint completes.
pub(crate) fn check_output(
    out: &mut dyn Control,
    timer: &mut TaskTimer,
    finished: bool,
    ckpt: Option<&TaskCheckpointing>,
) -> Option<Step> {
    if !out.flush() {
        timer.blocked();
        return Some(Step::Blocked);
    }
    timer.unblocked();
    let awaits_final = ckpt.is_some_and(TaskCheckpointing::awaits_final);
    finished.then_some(if awaits_final { Step::Idle } else { Step::Finished })
}

pub(crate) struct SourceTask<T, A> {
    pub(crate) name: String,
    pub(crate) source: Box<dyn Source<T>>,
    pub(crate) assigner: A,
    pub(crate) watermarks: SplitWatermarks,
    pub(crate) batch: SourceBatch<T>,
    pub(crate) out: BoxOutput<T>,
    pub(crate) timer: TaskTimer,
    pub(crate) failure: FailureSlot,
    pub(crate) last_tick: Timestamp,
    pub(crate) finished: bool,
    pub(crate) identity: OperatorIdentity,
    pub(crate) ckpt: Option<TaskCheckpointing>,
    /// Id of a stop-with-savepoint barrier this source injected: it emits nothing more and
    /// ends once that savepoint completed (or resumes if it was abandoned).
    pub(crate) stopping: Option<u64>,
}

impl<T: Send + 'static, A: TimestampAssigner<T>> SourceTask<T, A> {
    fn snapshot_into(&mut self, id: u64, ctx: &mut CheckpointCtx) {
        match self.source.snapshot_position(id) {
            Ok(pos) => ctx.set_operator_state(&self.identity, pos),
            Err(e) => ctx.fail(
                &self.identity,
                &format!("cannot snapshot the source position: {e}"),
            ),
        }
    }

    /// Checkpoint work between two polls: completions, a new barrier, a pending stop.
    /// `Some(step)` when the task must not poll now.
    fn checkpointing(&mut self) -> Option<Step> {
        let tc = self.ckpt.as_mut()?;
        if let Some(id) = tc.new_completion() {
            let final_covered = tc.final_covered_by(id);
            if let Err(e) = self.source.notify_checkpoint_complete(id) {
                tracing::warn!(source = %self.name, checkpoint = id, error = %e, "publishing a completed checkpoint failed");
            }
            self.out.checkpoint_complete(id);
            if final_covered || self.stopping.is_some_and(|s| id >= s) {
                return Some(Step::Finished);
            }
        }
        let tc = self.ckpt.as_mut()?;
        if !self.finished
            && self.stopping.is_none()
            && let Some(barrier) = tc.shared.requested(tc.last_barrier)
        {
            tc.last_barrier = barrier.id;
            let stop = tc.shared.stop_at() == barrier.id;
            self.inject(barrier);
            if stop {
                self.stopping = Some(barrier.id);
            }
        }
        let tc = self.ckpt.as_ref()?;
        match self.stopping {
            Some(s) if tc.shared.abandoned() >= s => {
                self.stopping = None;
                None
            }
            // Emit nothing more, but keep flushing: the stop barrier itself may still sit in a
            // full channel's pending queue, and the savepoint cannot complete without it.
            Some(_) => Some(if self.out.flush() {
                Step::Idle
            } else {
                Step::Blocked
            }),
            None => None,
        }
    }

    fn inject(&mut self, barrier: Barrier) {
        // The barrier must not overtake the watermark of the records before it (see
        // `SplitWatermarks::flush`).
        if let Some(w) = self.watermarks.flush() {
            self.out.watermark(w);
        }
        let mut ctx = CheckpointCtx::new(barrier);
        self.snapshot_into(barrier.id, &mut ctx);
        self.out.checkpoint(&mut ctx);
        if let Some(tc) = &self.ckpt {
            tc.ack(ctx);
        }
    }

    fn apply(&mut self, (watermark, idle): (Option<Timestamp>, Option<bool>)) {
        if idle == Some(false) {
            self.out.idle(false);
        }
        if let Some(w) = watermark {
            self.out.watermark(w);
        }
        if idle == Some(true) {
            self.out.idle(true);
        }
    }
}

impl<T: Send + 'static, A: TimestampAssigner<T>> Task for SourceTask<T, A> {
    fn attach_timer(&mut self, timer: TaskTimer) {
        self.timer = timer;
    }

    fn step(&mut self, now: Timestamp) -> Step {
        if let Some(s) = self.checkpointing() {
            return s;
        }
        if let Some(s) = check_output(
            self.out.as_mut(),
            &mut self.timer,
            self.finished,
            self.ckpt.as_ref(),
        ) {
            return s;
        }
        let started = Instant::now();
        if now != self.last_tick {
            self.last_tick = now;
            self.out.tick(now);
        }
        self.batch.records.clear();
        self.batch.split = 0;
        let status = match self.source.poll(&mut self.batch) {
            Ok(s) => s,
            Err(e) => {
                self.failure.fail(EngineError::Source {
                    operator: self.name.clone(),
                    message: e.to_string(),
                    cause: Some(Box::new(e)),
                });
                return Step::Finished;
            }
        };
        let emitted = !self.batch.records.is_empty();
        if emitted {
            let mut max = i64::MIN;
            for r in &mut self.batch.records {
                r.timestamp = self.assigner.extract(&r.value, r.timestamp);
                max = max.max(r.timestamp);
            }
            self.watermarks.on_batch(self.batch.split, max, now);
            // A split that emits is active again; say so before its records.
            let (wm, idle) = self.watermarks.advance(now);
            if idle == Some(false) {
                self.out.idle(false);
            }
            self.out.push(&mut self.batch.records);
            self.apply((wm, idle.filter(|i| *i)));
        } else {
            let change = self.watermarks.advance(now);
            self.apply(change);
        }
        if status == SourceStatus::Finished {
            self.out.watermark(MAX_WATERMARK);
            self.out.finish();
            self.finished = true;
            if let Some(tc) = &mut self.ckpt {
                let mut ctx = CheckpointCtx::final_snapshot(tc.begin_final());
                self.snapshot_into(0, &mut ctx);
                self.out.checkpoint(&mut ctx);
                if let Some(tc) = &self.ckpt {
                    tc.finished(ctx.snapshots);
                }
            }
        }
        if emitted || status == SourceStatus::Finished {
            self.timer.metrics.add_busy(started.elapsed());
            Step::Progress
        } else {
            Step::Idle
        }
    }
}

/// A task that reads channels: one gate per logical input, watermarks aligned over all channels.
pub(crate) struct InputTask {
    gates: Vec<Box<dyn InputGate>>,
    /// (gate, channel within gate) for each aligned channel index.
    channels: Vec<(usize, usize)>,
    aligner: WatermarkAligner,
    timer: TaskTimer,
    next_channel: usize,
    last_tick: Timestamp,
    finished: bool,
    events_per_step: usize,
    ckpt: Option<TaskCheckpointing>,
    /// The barrier being aligned, and which channels delivered it (they are not read until
    /// every channel did).
    aligning: Option<Barrier>,
    /// When the barrier being aligned arrived on its first channel.
    aligning_since: Option<Instant>,
    blocked: Vec<bool>,
    ended: Vec<bool>,
    stopping: Option<u64>,
    /// Every input ended; the chain finishes once its output is flushed, so an operator still
    /// firing the final watermark part by part (see `window/dense.rs`) completes it first
    /// under backpressure instead of all at once.
    ending: bool,
}

impl InputTask {
    pub(crate) fn new(
        gates: Vec<Box<dyn InputGate>>,
        timer: TaskTimer,
        ckpt: Option<TaskCheckpointing>,
    ) -> Self {
        let channels: Vec<(usize, usize)> = gates
            .iter()
            .enumerate()
            .flat_map(|(g, gate)| (0..gate.channels()).map(move |c| (g, c)))
            .collect();
        let aligner = WatermarkAligner::new(channels.len());
        let n = channels.len();
        Self {
            gates,
            channels,
            aligner,
            timer,
            next_channel: 0,
            last_tick: i64::MIN,
            finished: false,
            events_per_step: 64,
            ckpt,
            aligning: None,
            aligning_since: None,
            blocked: vec![false; n],
            ended: vec![false; n],
            stopping: None,
            ending: false,
        }
    }

    fn on_barrier(&mut self, ch: usize, barrier: Barrier) {
        let last = self.ckpt.as_ref().map_or(0, |t| t.last_barrier);
        if barrier.id <= last {
            return;
        }
        match self.aligning {
            Some(b) if b.id == barrier.id => {}
            Some(b) if b.id > barrier.id => return,
            _ => {
                // A newer barrier overtakes an alignment (its checkpoint was abandoned).
                self.blocked.iter_mut().for_each(|x| *x = false);
                self.aligning = Some(barrier);
                self.aligning_since = Some(Instant::now());
            }
        }
        self.blocked[ch] = true;
        self.try_complete_alignment();
    }

    /// Every channel delivered the barrier (or ended): snapshot the chain and pass it on.
    fn try_complete_alignment(&mut self) {
        let Some(barrier) = self.aligning else {
            return;
        };
        if !self.blocked.iter().zip(&self.ended).all(|(b, e)| *b || *e) {
            return;
        }
        let mut ctx = CheckpointCtx::new(barrier);
        ctx.alignment = self.aligning_since.take().map_or(Duration::ZERO, |t| t.elapsed());
        self.control().checkpoint(&mut ctx);
        if let Some(tc) = &mut self.ckpt {
            tc.last_barrier = barrier.id;
            if tc.shared.stop_at() == barrier.id {
                self.stopping = Some(barrier.id);
            }
            tc.ack(ctx);
        }
        self.aligning = None;
        self.blocked.iter_mut().for_each(|x| *x = false);
    }

    fn final_snapshot(&mut self) {
        let Some(tc) = &mut self.ckpt else {
            return;
        };
        let mut ctx = CheckpointCtx::final_snapshot(tc.begin_final());
        self.control().checkpoint(&mut ctx);
        if let Some(tc) = &self.ckpt {
            tc.finished(ctx.snapshots);
        }
    }

    fn control(&mut self) -> &mut dyn Control {
        self.gates[0].control()
    }

    fn apply(&mut self, outcome: AlignOutcome) {
        if outcome.idle == Some(false) {
            self.control().idle(false);
        }
        if let Some(w) = outcome.watermark {
            self.control().watermark(w);
        }
        if outcome.idle == Some(true) {
            self.control().idle(true);
        }
    }
}

impl Task for InputTask {
    fn step(&mut self, now: Timestamp) -> Step {
        if let Some(tc) = &mut self.ckpt
            && let Some(id) = tc.new_completion()
        {
            let final_covered = tc.final_covered_by(id);
            self.gates[0].control().checkpoint_complete(id);
            if final_covered || self.stopping.is_some_and(|s| id >= s) {
                return Step::Finished;
            }
        }
        if let (Some(s), Some(tc)) = (self.stopping, &self.ckpt)
            && tc.shared.abandoned() >= s
        {
            self.stopping = None;
        }
        let finished = self.finished;
        if let Some(s) = check_output(
            self.gates[0].control(),
            &mut self.timer,
            finished,
            self.ckpt.as_ref(),
        ) {
            return s;
        }
        if self.ending {
            self.ending = false;
            self.control().finish();
            self.finished = true;
            self.final_snapshot();
            return Step::Progress;
        }
        let started = Instant::now();
        if now != self.last_tick {
            self.last_tick = now;
            self.control().tick(now);
        }
        if self.channels.is_empty() {
            self.control().watermark(MAX_WATERMARK);
            self.ending = true;
            return Step::Progress;
        }
        let mut handled = 0;
        let mut empty_in_a_row = 0;
        while handled < self.events_per_step && empty_in_a_row < self.channels.len() {
            let idx = self.next_channel;
            self.next_channel = (idx + 1) % self.channels.len();
            if self.blocked[idx] {
                empty_in_a_row += 1;
                continue;
            }
            let (g, c) = self.channels[idx];
            let polled = self.gates[g].poll(c);
            if polled == Polled::Empty {
                empty_in_a_row += 1;
                continue;
            }
            empty_in_a_row = 0;
            handled += 1;
            let outcome = match polled {
                Polled::Records => self.aligner.on_records(idx),
                Polled::Watermark(w) => self.aligner.on_watermark(idx, w),
                Polled::Idle(i) => self.aligner.on_idle(idx, i),
                Polled::End => {
                    self.ended[idx] = true;
                    self.aligner.on_end(idx)
                }
                Polled::Barrier(b) => {
                    self.on_barrier(idx, b);
                    AlignOutcome::default()
                }
                Polled::Empty => AlignOutcome::default(),
            };
            self.apply(outcome);
            if polled == Polled::End {
                // The barrier being aligned may have been waiting for this channel only.
                self.try_complete_alignment();
            }
            if polled == Polled::End && self.aligner.all_ended() {
                self.ending = true;
                break;
            }
            if !self.control().flush() {
                break;
            }
        }
        if handled > 0 {
            self.timer.metrics.add_busy(started.elapsed());
            Step::Progress
        } else {
            Step::Idle
        }
    }
}
