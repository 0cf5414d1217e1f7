//! The logical job graph that the DataStream API builds, with types erased.
//!
//! A node is a name, a parallelism, its input edges and how its subtasks are built: closures
//! of the runtime's factory types (`runtime::build`), created by the API where the types were
//! known. Nothing here builds anything; the planner (`plan.rs`) turns this graph into tasks.

use std::collections::HashMap;
use std::rc::Rc;

use crate::runtime::build::{OneInputFactory, SourceFactory, StreamType, TwoInputFactory, WriterFactory};
use crate::runtime::exchange::PartitionerFactory;
use crate::source::LogOffsetsFn;

pub(crate) type NodeId = usize;

pub(crate) enum NodeKind {
    Source(SourceFactory),
    OneInput(OneInputFactory),
    TwoInput(TwoInputFactory),
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
    pub(crate) hash_writer: Option<WriterFactory>,
    /// For hash edges: the typed key-group partitioner an exchange across processes routes
    /// with (the same targets as `hash_writer`'s router).
    pub(crate) partitioner: Option<PartitionerFactory>,
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
    /// Per source node: how its positions read as log offsets.
    pub(crate) log_offsets: HashMap<NodeId, LogOffsetsFn>,
}

impl Graph {
    pub(crate) fn add(&mut self, node: LogicalNode) -> NodeId {
        self.nodes.push(node);
        self.nodes.len() - 1
    }
}
