//! The logical job graph that the DataStream API builds, with types erased.
//!
//! Operator code stays fully typed: every node stores closures created where the types were
//! known (in the API calls), which the planner calls with `Box<dyn Any>` holding the typed
//! outputs. Type mismatches are impossible by construction; the `expect`s in [`unbox`] document
//! that invariant.

use std::any::Any;
use std::rc::Rc;
use std::sync::Arc;

use crate::checkpoint::coordinator::CheckpointShared;
use crate::checkpoint::restore::RestoredCheckpoint;
use crate::checkpoint::snapshot::OperatorIdentity;
use crate::error::EngineError;
use crate::keygroup::KeyGroupRange;
use crate::metrics::OperatorMetrics;
use crate::record::Data;
use crate::runtime::channel::{
    BroadcastRouter, ChannelRx, ChannelTx, ChannelWriter, ForwardRouter, InputGate, RebalanceRouter,
    TypedGate, WorkerSignal, channel,
};
use crate::runtime::output::{
    BoxOutput, Discard, Fanout, Metered, SideBuffer, SideChannel, SideOutputs, TypeTag,
};
use crate::runtime::task::{FailureSlot, Task};

pub(crate) type AnyBox = Box<dyn Any + Send>;
pub(crate) type NodeId = usize;

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

pub(crate) type SourceBuild = Box<dyn Fn(&mut BuildCtx<'_>, AnyBox) -> Result<Box<dyn Task>, EngineError>>;
pub(crate) type OneInputBuild = Box<dyn Fn(&mut BuildCtx<'_>, AnyBox) -> AnyBox>;
pub(crate) type TwoInputBuild = Box<dyn Fn(&mut BuildCtx<'_>, AnyBox) -> (AnyBox, AnyBox)>;
pub(crate) type WriterBuild = Rc<dyn Fn(Vec<AnyBox>, usize) -> AnyBox>;

pub(crate) enum NodeKind {
    Source(SourceBuild),
    OneInput(OneInputBuild),
    TwoInput(TwoInputBuild),
    /// Several inputs of one type merged; always reads from channels.
    Union,
    /// The records an operator emitted under a tag.
    SideOutput {
        parent: NodeId,
        tag: u64,
    },
}

/// How records cross an edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Partitioning {
    /// Forward when parallelisms match, rebalance otherwise (Flink's default).
    Default,
    Forward,
    Rebalance,
    Broadcast,
    Hash,
}

pub(crate) struct LogicalEdge {
    pub(crate) from: NodeId,
    /// Which input of a two-input operator (0 otherwise).
    pub(crate) input: usize,
    pub(crate) partitioning: Partitioning,
    /// For hash edges: builds the typed key-group writer from the senders.
    pub(crate) hash_writer: Option<WriterBuild>,
}

pub(crate) struct LogicalNode {
    pub(crate) name: String,
    /// Set with `DataStream::uid`; otherwise derived from the node's position and name.
    pub(crate) uid: Option<String>,
    pub(crate) parallelism: usize,
    pub(crate) kind: NodeKind,
    pub(crate) inputs: Vec<LogicalEdge>,
    pub(crate) out: Rc<dyn StreamType>,
}

#[derive(Default)]
pub(crate) struct Graph {
    pub(crate) nodes: Vec<LogicalNode>,
}

impl Graph {
    pub(crate) fn add(&mut self, node: LogicalNode) -> NodeId {
        self.nodes.push(node);
        self.nodes.len() - 1
    }
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
    fn writer(&self, senders: Vec<AnyBox>, batch_size: usize, partitioning: Partitioning) -> AnyBox;
    fn gate(&self, receivers: Vec<AnyBox>, out: AnyBox) -> Box<dyn InputGate>;
    fn side_channel(&self, out: AnyBox) -> Box<dyn SideChannel>;
}

pub(crate) fn stream_type<T: Data>() -> Rc<dyn StreamType> {
    Rc::new(TypeTag::<T>::new())
}

pub(crate) fn senders<T: 'static>(senders: Vec<AnyBox>) -> Vec<ChannelTx<T>> {
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
    fn writer(&self, tx: Vec<AnyBox>, batch_size: usize, partitioning: Partitioning) -> AnyBox {
        let tx = senders::<T>(tx);
        match partitioning {
            Partitioning::Forward | Partitioning::Default | Partitioning::Hash => {
                boxed::<T>(Box::new(ChannelWriter::new(tx, ForwardRouter, batch_size)))
            }
            Partitioning::Rebalance => boxed::<T>(Box::new(ChannelWriter::new(
                tx,
                RebalanceRouter::default(),
                batch_size,
            ))),
            Partitioning::Broadcast => {
                boxed::<T>(Box::new(ChannelWriter::new(tx, BroadcastRouter, batch_size)))
            }
        }
    }
    fn gate(&self, receivers: Vec<AnyBox>, out: AnyBox) -> Box<dyn InputGate> {
        let rx: Vec<ChannelRx<T>> = receivers.into_iter().map(unbox_value::<ChannelRx<T>>).collect();
        Box::new(TypedGate::new(rx, unbox::<T>(out)))
    }
    fn side_channel(&self, out: AnyBox) -> Box<dyn SideChannel> {
        Box::new(SideBuffer::new(unbox::<T>(out)))
    }
}
