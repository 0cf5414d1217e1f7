//! The runtime's factory interface: what the closures recorded in the logical graph are
//! called with when the planner builds a subtask, and what they return.
//!
//! The DataStream API records each node as type-erased closures created where the types were
//! known; the planner (`plan.rs`) walks the logical graph and calls them with a [`BuildCtx`]
//! and `Box<dyn Any>` values holding the typed outputs, channels and tasks built here. Type
//! mismatches are impossible by construction; the `expect`s in [`unbox`] document that
//! invariant. The logical graph names only the types of this module, never channels, outputs
//! or tasks themselves.

use std::any::Any;
use std::rc::Rc;
use std::sync::Arc;

use crate::checkpoint::coordinator::{CheckpointShared, TaskCheckpointing};
use crate::checkpoint::restore::RestoredCheckpoint;
use crate::checkpoint::snapshot::OperatorIdentity;
use crate::checkpoint::storage::SectionRef;
use crate::clock::now_millis;
use crate::error::{EngineError, FailureSlot};
use crate::keygroup::KeyGroupRange;
use crate::metrics::OperatorMetrics;
use crate::record::{Data, Key};
use crate::runtime::channel::{
    BroadcastRouter, ChannelRx, ChannelTx, ChannelWriter, ForwardRouter, HashRouter, InputGate,
    RebalanceRouter, TypedGate, WorkerSignal, channel,
};
use crate::runtime::output::{
    BoxOutput, Discard, Fanout, Metered, SideBuffer, SideChannel, SideOutputs, TypeTag,
};
use crate::runtime::task::{SourceTask, Task, TaskTimer};
use crate::source::{Source, SourceBatch, SourceContext};
use crate::watermark::{SplitWatermarks, TimestampAssigner, WatermarkStrategy};

pub(crate) type AnyBox = Box<dyn Any + Send>;

pub(crate) fn boxed<T: 'static>(out: BoxOutput<T>) -> AnyBox {
    Box::new(out)
}

pub(crate) fn unbox<T: 'static>(any: AnyBox) -> BoxOutput<T> {
    *any.downcast::<BoxOutput<T>>()
        .expect("the planner only wires outputs of the type the API recorded")
}

fn unbox_value<X: 'static>(any: AnyBox) -> X {
    *any.downcast::<X>()
        .expect("the planner only wires channels of the type the API recorded")
}

/// What an operator factory gets to know about the subtask it builds.
pub(crate) struct BuildCtx<'a> {
    pub(crate) subtask: usize,
    pub(crate) parallelism: usize,
    pub(crate) max_parallelism: usize,
    pub(crate) batch_size: usize,
    pub(crate) failure: &'a FailureSlot,
    pub(crate) side_outputs: Option<SideOutputs>,
    /// The operator's uid (its name in checkpoints).
    pub(crate) uid: Arc<str>,
    /// The checkpoint or savepoint this attempt restores from.
    pub(crate) restore: Option<&'a RestoredCheckpoint>,
    /// Checkpointing of the task being built (sources need it).
    pub(crate) checkpointing: Option<Arc<CheckpointShared>>,
    pub(crate) task: usize,
    /// The job attempt (see [`SinkContext::attempt`](crate::SinkContext::attempt)).
    pub(crate) attempt: u64,
}

impl BuildCtx<'_> {
    pub(crate) fn take_side_outputs(&mut self) -> SideOutputs {
        self.side_outputs.take().unwrap_or_default()
    }

    pub(crate) fn identity(&self) -> OperatorIdentity {
        OperatorIdentity {
            uid: self.uid.clone(),
            subtask: self.subtask,
            parallelism: self.parallelism,
        }
    }

    pub(crate) fn key_group_range(&self) -> KeyGroupRange {
        KeyGroupRange::for_subtask(self.subtask, self.parallelism, self.max_parallelism)
    }

    /// The checkpointed key groups this subtask now owns (empty without a restore). A broken
    /// checkpoint fails the attempt with the reason.
    pub(crate) fn restored_key_groups(&self) -> Vec<(usize, Vec<u8>)> {
        let Some(r) = self.restore else {
            return Vec::new();
        };
        match r.key_groups(&self.uid, self.key_group_range()) {
            Ok(g) => g,
            Err(e) => {
                self.failure.fail(e);
                Vec::new()
            }
        }
    }

    /// `op` with the checkpointed key groups this subtask owns loaded by `restore` (a broken
    /// checkpoint fails the attempt).
    pub(crate) fn restored<Op>(
        &self,
        mut op: Op,
        restore: impl FnOnce(&mut Op, &[(usize, Vec<u8>)]) -> Result<(), String>,
    ) -> Op {
        if let Err(e) = restore(&mut op, &self.restored_key_groups()) {
            self.restore_failed(&e);
        }
        op
    }

    /// Where this subtask's checkpointed key groups are, with the checkpoint to read them from
    /// (`None` without a restore; a broken checkpoint fails the attempt with the reason).
    pub(crate) fn restored_key_group_sections(
        &self,
    ) -> Option<(&RestoredCheckpoint, Vec<(usize, SectionRef)>)> {
        let r = self.restore?;
        match r.key_group_sections(&self.uid, self.key_group_range()) {
            Ok(sections) => Some((r, sections)),
            Err(e) => {
                self.failure.fail(e);
                None
            }
        }
    }

    /// The operator state of every old subtask (`None` without a restore or when the
    /// checkpoint does not know this operator).
    pub(crate) fn restored_operator_states(&self) -> Option<Vec<Vec<u8>>> {
        match self.restore?.operator_states(&self.uid) {
            Ok(s) => s,
            Err(e) => {
                self.failure.fail(e);
                None
            }
        }
    }

    pub(crate) fn restore_failed(&self, reason: &str) {
        self.failure.fail(EngineError::Checkpoint(format!(
            "cannot restore operator `{}` subtask {}: {reason}",
            self.uid, self.subtask
        )));
    }
}

/// Builds a source subtask's task from its (erased) output.
pub(crate) type SourceFactory = Box<dyn Fn(&mut BuildCtx<'_>, AnyBox) -> Result<Box<dyn Task>, EngineError>>;
/// Builds a one-input operator subtask from its output; returns its input.
pub(crate) type OneInputFactory = Box<dyn Fn(&mut BuildCtx<'_>, AnyBox) -> AnyBox>;
/// Builds a two-input operator subtask from its output; returns its two inputs.
pub(crate) type TwoInputFactory = Box<dyn Fn(&mut BuildCtx<'_>, AnyBox) -> (AnyBox, AnyBox)>;
/// Builds the typed writer of a hash edge from the channel senders and the batch size.
pub(crate) type WriterFactory = Rc<dyn Fn(Vec<AnyBox>, usize) -> AnyBox>;

/// How a channel writer spreads batches over its channels (hash edges build their own writer
/// with [`hash_writer`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Routing {
    /// One channel (forward edges).
    Forward,
    /// Round-robin.
    Rebalance,
    /// Every channel.
    Broadcast,
}

/// The writer of a hash edge: routes each record by the key group of `key_selector`'s key.
pub(crate) fn hash_writer<K, T, KS>(key_selector: KS, max_parallelism: usize) -> WriterFactory
where
    K: Key,
    T: Data,
    KS: Fn(&T) -> K + Clone + Send + 'static,
{
    Rc::new(move |tx, batch_size| {
        let router = HashRouter::new(key_selector.clone(), max_parallelism);
        boxed::<T>(Box::new(ChannelWriter::new(senders::<T>(tx), router, batch_size)))
    })
}

/// Opens one subtask of a source (restoring its position from the checkpoint the attempt
/// restores, if any) and builds the task that polls it into `out`.
pub(crate) fn source_task<T, A, S>(
    ctx: &BuildCtx<'_>,
    name: &str,
    mut source: S,
    strategy: &WatermarkStrategy<A>,
    out: AnyBox,
) -> Result<Box<dyn Task>, EngineError>
where
    T: Data,
    A: TimestampAssigner<T>,
    S: Source<T> + 'static,
{
    let source_ctx = SourceContext {
        subtask: ctx.subtask,
        parallelism: ctx.parallelism,
    };
    let splits = source.open(&source_ctx).map_err(|e| EngineError::Source {
        operator: name.to_string(),
        message: e.to_string(),
        cause: Some(Box::new(e)),
    })?;
    if let Some(positions) = ctx.restored_operator_states() {
        source
            .restore_positions(&source_ctx, &positions)
            .map_err(|e| EngineError::Source {
                operator: name.to_string(),
                message: format!("cannot restore the checkpointed position: {e}"),
                cause: Some(Box::new(e)),
            })?;
    }
    let ckpt = ctx.checkpointing.clone().map(|shared| {
        let restored = shared.completed();
        TaskCheckpointing::new(shared, ctx.task, restored)
    });
    let mut watermarks = SplitWatermarks::new(strategy.generation, strategy.idle_timeout)
        .with_emit_interval(strategy.emit_interval);
    watermarks.ensure_splits(splits, now_millis());
    Ok(Box::new(SourceTask {
        name: name.to_string(),
        source: Box::new(source),
        assigner: strategy.assigner.clone(),
        watermarks,
        batch: SourceBatch::new(ctx.batch_size),
        out: unbox::<T>(out),
        timer: TaskTimer::new(Default::default()),
        failure: ctx.failure.clone(),
        last_tick: i64::MIN,
        finished: false,
        identity: ctx.identity(),
        ckpt,
        stopping: None,
    }))
}

/// Typed operations on the output type of a node, callable with erased values.
pub(crate) trait StreamType {
    fn fanout(&self, outputs: Vec<AnyBox>) -> AnyBox;
    fn discard(&self) -> AnyBox;
    fn meter(&self, out: AnyBox, metrics: Arc<OperatorMetrics>, input: bool) -> AnyBox;
    fn channel(
        &self,
        capacity: usize,
        sender: &Arc<WorkerSignal>,
        receiver: &Arc<WorkerSignal>,
    ) -> (AnyBox, AnyBox);
    fn writer(&self, senders: Vec<AnyBox>, batch_size: usize, routing: Routing) -> AnyBox;
    fn gate(&self, receivers: Vec<AnyBox>, out: AnyBox) -> Box<dyn InputGate>;
    fn side_channel(&self, out: AnyBox) -> Box<dyn SideChannel>;
    /// The type's id (the key of the exchange codec registry).
    fn type_id(&self) -> std::any::TypeId;
    /// The type's name, for errors.
    fn type_name(&self) -> &'static str;
}

pub(crate) fn stream_type<T: Data>() -> Rc<dyn StreamType> {
    Rc::new(TypeTag::<T>::new())
}

fn senders<T: 'static>(senders: Vec<AnyBox>) -> Vec<ChannelTx<T>> {
    senders.into_iter().map(unbox_value::<ChannelTx<T>>).collect()
}

impl<T: Data> StreamType for TypeTag<T> {
    fn fanout(&self, outputs: Vec<AnyBox>) -> AnyBox {
        let mut outs: Vec<BoxOutput<T>> = outputs.into_iter().map(unbox::<T>).collect();
        if outs.len() == 1 {
            return boxed(outs.remove(0));
        }
        boxed::<T>(Box::new(Fanout::new(outs)))
    }
    fn discard(&self) -> AnyBox {
        boxed::<T>(Box::new(Discard))
    }
    fn meter(&self, out: AnyBox, metrics: Arc<OperatorMetrics>, input: bool) -> AnyBox {
        boxed::<T>(Box::new(Metered::new(unbox::<T>(out), metrics, input)))
    }
    fn channel(
        &self,
        capacity: usize,
        sender: &Arc<WorkerSignal>,
        receiver: &Arc<WorkerSignal>,
    ) -> (AnyBox, AnyBox) {
        let (tx, rx) = channel::<T>(capacity, sender, receiver);
        (Box::new(tx), Box::new(rx))
    }
    fn writer(&self, tx: Vec<AnyBox>, batch_size: usize, routing: Routing) -> AnyBox {
        let tx = senders::<T>(tx);
        match routing {
            Routing::Forward => boxed::<T>(Box::new(ChannelWriter::new(tx, ForwardRouter, batch_size))),
            Routing::Rebalance => boxed::<T>(Box::new(ChannelWriter::new(
                tx,
                RebalanceRouter::default(),
                batch_size,
            ))),
            Routing::Broadcast => boxed::<T>(Box::new(ChannelWriter::new(tx, BroadcastRouter, batch_size))),
        }
    }
    fn gate(&self, receivers: Vec<AnyBox>, out: AnyBox) -> Box<dyn InputGate> {
        let rx: Vec<ChannelRx<T>> = receivers.into_iter().map(unbox_value::<ChannelRx<T>>).collect();
        Box::new(TypedGate::new(rx, unbox::<T>(out)))
    }
    fn side_channel(&self, out: AnyBox) -> Box<dyn SideChannel> {
        Box::new(SideBuffer::new(unbox::<T>(out)))
    }
    fn type_id(&self) -> std::any::TypeId {
        std::any::TypeId::of::<T>()
    }
    fn type_name(&self) -> &'static str {
        std::any::type_name::<T>()
    }
}
