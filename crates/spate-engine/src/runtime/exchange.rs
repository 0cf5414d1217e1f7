//! The typed halves of an exchange across processes (see [`crate::exchange`]).
//!
//! - [`ExchangeOut`] replaces a boundary edge's channel writer in the upstream chain: it routes
//!   each record to a downstream partition (by key group, round robin, or to all), encodes
//!   each partition's share of a batch once (bincode of `(timestamp, value)` pairs), and
//!   sends the chain's watermark, idleness and end to every partition; at a barrier it
//!   flushes the sender.
//! - [`ExchangeInputTask`] reads one downstream subtask's partition and feeds one local
//!   channel per upstream subtask into the downstream operator's ordinary `InputTask`, which
//!   aligns watermarks and barriers over them as it always does. Barriers do not cross
//!   processes: when the local coordinator asks for one, this task records its receiver's
//!   position as its operator state and sends the barrier down every channel.

use std::marker::PhantomData;
use std::rc::Rc;
use std::time::Instant;

use bytes::Bytes;

use crate::checkpoint::CheckpointCtx;
use crate::checkpoint::coordinator::TaskCheckpointing;
use crate::checkpoint::snapshot::OperatorIdentity;
use crate::error::{EngineError, FailureSlot};
use crate::exchange::{ExchangeEvent, ExchangeReceiver, ExchangeSender, ReceiverState};
use crate::keygroup::{key_group_of, subtask_for_key_group};
use crate::record::{Data, Key, Record, StateData, Timestamp};
use crate::runtime::build::{AnyBox, boxed};
use crate::runtime::channel::{ChannelTx, ChannelWriter, ForwardRouter};
use crate::runtime::output::{BoxOutput, Control, Output};
use crate::runtime::task::{Step, Task, TaskTimer, check_output};

/// How an [`ExchangeOut`] picks partitions.
pub(crate) enum Route<T> {
    /// By the record's key group (the partitioner captured at `key_by`).
    Hash(Box<dyn Fn(&T) -> usize + Send>),
    /// Round robin over the partitions.
    Rebalance(usize),
    /// Every record to every partition.
    Broadcast,
}

/// The upstream half (see the module docs).
pub(crate) struct ExchangeOut<T> {
    sender: Box<dyn ExchangeSender>,
    route: Route<T>,
    buffers: Vec<Vec<(Timestamp, T)>>,
    failure: FailureSlot,
    what: String,
}

impl<T: StateData> ExchangeOut<T> {
    pub(crate) fn new(
        sender: Box<dyn ExchangeSender>,
        route: Route<T>,
        partitions: usize,
        failure: FailureSlot,
        what: String,
    ) -> Self {
        Self {
            sender,
            route,
            buffers: (0..partitions.max(1)).map(|_| Vec::new()).collect(),
            failure,
            what,
        }
    }

    fn check(&self, r: Result<(), EngineError>) {
        if let Err(e) = r {
            self.failure
                .fail(EngineError::Fatal(format!("exchange {}: {e}", self.what).into()));
        }
    }

    fn send_buffers(&mut self) {
        for p in 0..self.buffers.len() {
            if self.buffers[p].is_empty() {
                continue;
            }
            let r = bincode::serialize(&self.buffers[p])
                .map_err(|e| EngineError::InvalidConfig(format!("cannot encode a batch: {e}")))
                .and_then(|bytes| self.sender.records(p, Bytes::from(bytes)));
            self.buffers[p].clear();
            self.check(r);
        }
    }
}

impl<T: StateData> Control for ExchangeOut<T> {
    fn downstream(&mut self) -> Option<&mut dyn Control> {
        None
    }
    fn watermark(&mut self, watermark: Timestamp) {
        let r = self.sender.broadcast(ExchangeEvent::Watermark(watermark));
        self.check(r);
    }
    fn idle(&mut self, idle: bool) {
        let r = self.sender.broadcast(ExchangeEvent::Idle(idle));
        self.check(r);
    }
    fn finish(&mut self) {
        let r = self.sender.broadcast(ExchangeEvent::End);
        self.check(r);
    }
    fn checkpoint(&mut self, cp: &mut CheckpointCtx) {
        let r = self.sender.flush(cp.id());
        self.check(r);
    }
}

impl<T: StateData> Output<T> for ExchangeOut<T> {
    fn push(&mut self, batch: &mut Vec<Record<T>>) {
        let partitions = self.buffers.len();
        for r in batch.drain(..) {
            match &mut self.route {
                Route::Hash(partition_of) => {
                    let p = partition_of(&r.value).min(partitions - 1);
                    self.buffers[p].push((r.timestamp, r.value));
                }
                Route::Rebalance(next) => {
                    let p = *next % partitions;
                    *next = next.wrapping_add(1);
                    self.buffers[p].push((r.timestamp, r.value));
                }
                Route::Broadcast => {
                    for b in &mut self.buffers {
                        b.push((r.timestamp, r.value.clone()));
                    }
                }
            }
        }
        self.send_buffers();
    }
}

/// The downstream half (see the module docs).
pub(crate) struct ExchangeInputTask<T> {
    receiver: Box<dyn ExchangeReceiver>,
    /// One writer per upstream subtask, into the downstream task's channel from it.
    outs: Vec<BoxOutput<T>>,
    ended: Vec<bool>,
    /// Upstream subtasks that had ended at the restored checkpoint: their channels are
    /// ended at the first step.
    restored_ends: Vec<usize>,
    /// The stop-with-savepoint barrier it passed on: it reads nothing more.
    stopping: Option<u64>,
    events: Vec<(usize, ExchangeEvent)>,
    identity: OperatorIdentity,
    ckpt: Option<TaskCheckpointing>,
    timer: TaskTimer,
    failure: FailureSlot,
    finished: bool,
}

impl<T: StateData> ExchangeInputTask<T> {
    pub(crate) fn new(
        receiver: RestoredReceiver,
        outs: Vec<BoxOutput<T>>,
        identity: OperatorIdentity,
        ckpt: Option<TaskCheckpointing>,
        timer: TaskTimer,
        failure: FailureSlot,
    ) -> Self {
        let n = outs.len();
        let restored_ends = (0..n).filter(|i| receiver.ended.get(*i) == Some(&true)).collect();
        Self {
            receiver: receiver.receiver,
            outs,
            ended: vec![false; n],
            restored_ends,
            stopping: None,
            events: Vec::new(),
            identity,
            ckpt,
            timer,
            failure,
            finished: false,
        }
    }

    fn snapshot_and_send(&mut self, mut ctx: CheckpointCtx) -> CheckpointCtx {
        let state = ReceiverState {
            ended: self.ended.clone(),
            position: self.receiver.position(),
        };
        ctx.set_operator_state(&self.identity, state.encode());
        for o in &mut self.outs {
            o.checkpoint(&mut ctx);
        }
        ctx
    }

    /// Completions and new barriers between two polls.
    fn checkpointing(&mut self) -> Option<Step> {
        let tc = self.ckpt.as_mut()?;
        if let Some(id) = tc.new_completion() {
            let final_covered = tc.final_covered_by(id);
            for o in &mut self.outs {
                o.checkpoint_complete(id);
            }
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
            // A stop-with-savepoint: nothing after its barrier is read, as a source stops.
            if tc.shared.stop_at() == barrier.id {
                self.stopping = Some(barrier.id);
            }
            let ctx = self.snapshot_and_send(CheckpointCtx::new(barrier));
            if let Some(tc) = &self.ckpt {
                tc.ack(ctx);
            }
        }
        let tc = self.ckpt.as_ref()?;
        match self.stopping {
            Some(s) if tc.shared.abandoned() >= s => {
                self.stopping = None;
                None
            }
            // Keep flushing: the stop barrier may still sit in a full channel's queue.
            Some(_) => Some(if AllOuts(&mut self.outs).flush() {
                Step::Idle
            } else {
                Step::Blocked
            }),
            None => None,
        }
    }

    fn deliver(&mut self, from: usize, event: ExchangeEvent) -> Result<(), EngineError> {
        let Some(out) = self.outs.get_mut(from) else {
            return Err(EngineError::Fatal(
                format!(
                    "exchange `{}`: an event from upstream subtask {from} of {}",
                    self.identity.uid,
                    self.outs.len()
                )
                .into(),
            ));
        };
        match event {
            ExchangeEvent::Records(bytes) => {
                let pairs: Vec<(Timestamp, T)> = bincode::deserialize(&bytes).map_err(|e| {
                    EngineError::Fatal(
                        format!("exchange `{}`: an undecodable batch: {e}", self.identity.uid).into(),
                    )
                })?;
                let mut batch: Vec<Record<T>> = pairs
                    .into_iter()
                    .map(|(timestamp, value)| Record { timestamp, value })
                    .collect();
                out.push(&mut batch);
            }
            ExchangeEvent::Watermark(w) => out.watermark(w),
            ExchangeEvent::Idle(i) => out.idle(i),
            ExchangeEvent::End => {
                if !self.ended[from] {
                    self.ended[from] = true;
                    out.finish();
                }
            }
        }
        Ok(())
    }
}

/// The writers, seen as one control for `check_output`.
struct AllOuts<'a, T>(&'a mut [BoxOutput<T>]);

impl<T: Send> Control for AllOuts<'_, T> {
    fn downstream(&mut self) -> Option<&mut dyn Control> {
        None
    }
    fn flush(&mut self) -> bool {
        let mut all = true;
        for o in self.0.iter_mut() {
            all &= o.flush();
        }
        all
    }
}

impl<T: StateData> Task for ExchangeInputTask<T> {
    fn attach_timer(&mut self, timer: TaskTimer) {
        self.timer = timer;
    }

    fn step(&mut self, _now: Timestamp) -> Step {
        for from in std::mem::take(&mut self.restored_ends) {
            if let Err(e) = self.deliver(from, ExchangeEvent::End) {
                self.failure.fail(e);
                return Step::Finished;
            }
        }
        if let Some(s) = self.checkpointing() {
            return s;
        }
        if let Some(s) = check_output(
            &mut AllOuts(&mut self.outs),
            &mut self.timer,
            self.finished,
            self.ckpt.as_ref(),
        ) {
            return s;
        }
        let started = Instant::now();
        let mut events = std::mem::take(&mut self.events);
        if let Err(e) = self.receiver.poll(&mut events) {
            self.failure.fail(e);
            return Step::Finished;
        }
        let progressed = !events.is_empty();
        for (from, event) in events.drain(..) {
            if let Err(e) = self.deliver(from, event) {
                self.failure.fail(e);
                return Step::Finished;
            }
        }
        self.events = events;
        if !self.finished && self.ended.iter().all(|e| *e) {
            self.finished = true;
            if let Some(tc) = &mut self.ckpt {
                let id = tc.begin_final();
                let ctx = self.snapshot_and_send(CheckpointCtx::final_snapshot(id));
                if let Some(tc) = &self.ckpt {
                    tc.finished(ctx.snapshots);
                }
            }
        }
        let _ = AllOuts(&mut self.outs).flush();
        if progressed || self.finished {
            self.timer.metrics.add_busy(started.elapsed());
            Step::Progress
        } else {
            Step::Idle
        }
    }
}

/// A receiver with the upstream subtasks that had ended at the restored checkpoint.
pub(crate) struct RestoredReceiver {
    pub(crate) receiver: Box<dyn ExchangeReceiver>,
    pub(crate) ended: Vec<bool>,
}

/// The partitioner `key_by` records: given the downstream parallelism, a typed
/// `Box<dyn Fn(&T) -> usize + Send>` (boxed as `Any`) from a record to its partition.
pub(crate) type PartitionerFactory = Rc<dyn Fn(usize) -> AnyBox>;

/// The typed partitioner of a hash edge for an exchange across processes: the downstream
/// subtask of each record's key group, as `build::hash_writer`'s router picks it.
pub(crate) fn key_partitioner<K, T, KS>(key_selector: KS, max_parallelism: usize) -> PartitionerFactory
where
    K: Key,
    T: Data,
    KS: Fn(&T) -> K + Clone + Send + 'static,
{
    Rc::new(move |partitions| {
        let ks = key_selector.clone();
        let f: Box<dyn Fn(&T) -> usize + Send> = Box::new(move |v: &T| {
            subtask_for_key_group(key_group_of(&ks(v), max_parallelism), partitions, max_parallelism)
        });
        Box::new(f) as AnyBox
    })
}

/// How a boundary edge spreads records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RouteKind {
    Hash,
    Rebalance,
    Broadcast,
}

/// Builds the typed halves of an exchange for one stream type, from type-erased values (the
/// registry of `StreamEnvironment::exchange_type`).
pub(crate) trait WireType {
    /// The upstream half, as a `BoxOutput<T>` in an `AnyBox`.
    fn out(
        &self,
        sender: Box<dyn ExchangeSender>,
        kind: RouteKind,
        partitioner: Option<&PartitionerFactory>,
        partitions: usize,
        failure: FailureSlot,
        what: String,
    ) -> Result<AnyBox, EngineError>;

    /// The downstream half: a task writing into `senders` (`ChannelTx<T>`s, one per upstream
    /// subtask).
    #[allow(clippy::too_many_arguments)]
    fn input_task(
        &self,
        receiver: RestoredReceiver,
        senders: Vec<AnyBox>,
        batch_size: usize,
        identity: OperatorIdentity,
        ckpt: Option<TaskCheckpointing>,
        timer: TaskTimer,
        failure: FailureSlot,
    ) -> Box<dyn Task>;
}

struct Wire<T>(PhantomData<fn() -> T>);

/// The exchange halves of stream type `T`.
pub(crate) fn wire_type<T: StateData + Data>() -> Rc<dyn WireType> {
    Rc::new(Wire::<T>(PhantomData))
}

impl<T: StateData + Data> WireType for Wire<T> {
    fn out(
        &self,
        sender: Box<dyn ExchangeSender>,
        kind: RouteKind,
        partitioner: Option<&PartitionerFactory>,
        partitions: usize,
        failure: FailureSlot,
        what: String,
    ) -> Result<AnyBox, EngineError> {
        let route = match (kind, partitioner) {
            (RouteKind::Hash, Some(factory)) => {
                let erased = factory(partitions);
                let f = erased
                    .downcast::<Box<dyn Fn(&T) -> usize + Send>>()
                    .map_err(|_| {
                        EngineError::InvalidGraph(format!("exchange {what}: a partitioner of another type"))
                    })?;
                Route::Hash(*f)
            }
            (RouteKind::Hash, None) => {
                return Err(EngineError::InvalidGraph(format!(
                    "exchange {what}: a hash edge without a partitioner"
                )));
            }
            (RouteKind::Rebalance, _) => Route::Rebalance(0),
            (RouteKind::Broadcast, _) => Route::Broadcast,
        };
        Ok(boxed::<T>(Box::new(ExchangeOut::new(
            sender, route, partitions, failure, what,
        ))))
    }

    fn input_task(
        &self,
        receiver: RestoredReceiver,
        senders: Vec<AnyBox>,
        batch_size: usize,
        identity: OperatorIdentity,
        ckpt: Option<TaskCheckpointing>,
        timer: TaskTimer,
        failure: FailureSlot,
    ) -> Box<dyn Task> {
        let outs: Vec<BoxOutput<T>> = senders
            .into_iter()
            .map(|tx| {
                let tx = *tx
                    .downcast::<ChannelTx<T>>()
                    .expect("the planner only wires channels of the edge's type");
                Box::new(ChannelWriter::new(vec![tx], ForwardRouter, batch_size)) as BoxOutput<T>
            })
            .collect();
        Box::new(ExchangeInputTask::new(
            receiver, outs, identity, ckpt, timer, failure,
        ))
    }
}
