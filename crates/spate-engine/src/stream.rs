//! The typed DataStream API: [`StreamEnvironment`], [`DataStream`] and [`KeyedStream`].

use std::any::TypeId;
use std::cell::RefCell;
use std::collections::HashMap;
use std::marker::PhantomData;
use std::rc::Rc;

use crate::checkpoint::coordinator::JobHandle;
use crate::checkpoint::{CheckpointConfig, RestartStrategy};
use crate::error::EngineError;
use crate::graph::{Graph, LogicalEdge, LogicalNode, NodeId, NodeKind, Partitioning};
use crate::keygroup::KeyGroupRange;
use crate::plan::{JobConfig, JobResult, RunOptions, execute};
use crate::record::{Data, Key, Record, StateData};
use crate::runtime::build::{AnyBox, BuildCtx, boxed, hash_writer, source_task, stream_type, unbox};
use crate::runtime::exchange::{WireType, key_partitioner, wire_type};
use crate::runtime::output::{Downstream, Output, OutputTag};
use crate::sink::{CollectHandle, CollectSink, FnSink, Sink, SinkOp};
use crate::source::{CollectionSource, GeneratorSource, SeededRng, SequenceSource, Source};
use crate::watermark::{TimestampAssigner, WatermarkStrategy};

pub(crate) struct Shared {
    pub(crate) graph: RefCell<Graph>,
    pub(crate) config: RefCell<JobConfig>,
    pub(crate) run: RefCell<RunOptions>,
    /// Stream types that may cross an exchange between processes, by type id.
    pub(crate) wire_types: RefCell<HashMap<TypeId, Rc<dyn WireType>>>,
}

/// Builds a job: add sources, transform streams, add sinks, then [`execute`](Self::execute).
pub struct StreamEnvironment {
    pub(crate) shared: Rc<Shared>,
}

impl std::fmt::Debug for StreamEnvironment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamEnvironment")
            .field("operators", &self.shared.graph.borrow().nodes.len())
            .field("config", &*self.shared.config.borrow())
            .finish()
    }
}

impl Default for StreamEnvironment {
    fn default() -> Self {
        Self::new()
    }
}

impl StreamEnvironment {
    /// An environment with the default [`JobConfig`].
    pub fn new() -> Self {
        Self::with_config(JobConfig::default())
    }

    /// An environment with a given configuration.
    pub fn with_config(config: JobConfig) -> Self {
        Self {
            shared: Rc::new(Shared {
                graph: RefCell::new(Graph::default()),
                config: RefCell::new(config),
                run: RefCell::new(RunOptions {
                    checkpoint: None,
                    restart: RestartStrategy::None,
                    savepoint: None,
                    handle: JobHandle::default(),
                }),
                wire_types: RefCell::new(HashMap::new()),
            }),
        }
    }

    /// Default parallelism of operators created from now on.
    pub fn set_parallelism(&self, parallelism: usize) -> &Self {
        self.shared.config.borrow_mut().parallelism = parallelism;
        self
    }

    /// Number of key groups.
    pub fn set_max_parallelism(&self, max_parallelism: usize) -> &Self {
        self.shared.config.borrow_mut().max_parallelism = max_parallelism;
        self
    }

    /// Records per source batch.
    pub fn set_batch_size(&self, batch_size: usize) -> &Self {
        self.shared.config.borrow_mut().batch_size = batch_size;
        self
    }

    /// Batches a channel buffers before backpressuring its writer.
    pub fn set_channel_capacity(&self, capacity: usize) -> &Self {
        self.shared.config.borrow_mut().channel_capacity = capacity;
        self
    }

    /// Bounds the memory the job's threads may hold (see [`crate::memory`]): over it, the
    /// attempt fails with [`crate::EngineError::MemoryBudget`] and the restart strategy
    /// decides what follows.
    pub fn set_memory_budget(&self, bytes: u64) -> &Self {
        self.shared.config.borrow_mut().memory_budget = Some(bytes);
        self
    }

    /// Sets the number of worker threads (default: min(largest parallelism, available cores)).
    pub fn set_worker_threads(&self, workers: usize) -> &Self {
        self.shared.config.borrow_mut().worker_threads = Some(workers);
        self
    }

    /// Takes a checkpoint every `config.interval` into `config.dir`; a job started again with
    /// the same directory resumes from its latest completed checkpoint.
    pub fn enable_checkpointing(&self, config: CheckpointConfig) -> &Self {
        self.shared.run.borrow_mut().checkpoint = Some(config);
        self
    }

    /// The checkpoints [`Self::enable_checkpointing`] set, if any.
    pub fn checkpointing(&self) -> Option<CheckpointConfig> {
        self.shared.run.borrow().checkpoint.clone()
    }

    /// What happens when a task fails (default: the job fails).
    pub fn set_restart_strategy(&self, strategy: RestartStrategy) -> &Self {
        self.shared.run.borrow_mut().restart = strategy;
        self
    }

    /// Starts from a savepoint (or a retained checkpoint directory `.../chk-<id>`), possibly
    /// at another parallelism. A newer checkpoint in the checkpoint directory wins.
    pub fn restore_from(&self, savepoint: impl Into<std::path::PathBuf>) -> &Self {
        self.shared.run.borrow_mut().savepoint = Some(savepoint.into());
        self
    }

    /// A handle to watch and control the job while `execute` runs on this thread: progress,
    /// savepoints, stop with savepoint, cancel.
    pub fn job_handle(&self) -> JobHandle {
        self.shared.run.borrow().handle.clone()
    }

    /// The current configuration.
    pub fn config(&self) -> JobConfig {
        self.shared.config.borrow().clone()
    }

    /// Adds a source; every subtask gets a clone of `source` and opens it with its
    /// [`SourceContext`](crate::SourceContext). The strategy assigns timestamps and generates watermarks per split.
    pub fn add_source<T, S, A>(&self, name: &str, source: S, strategy: WatermarkStrategy<A>) -> DataStream<T>
    where
        T: Data,
        S: Source<T> + Clone + 'static,
        A: TimestampAssigner<T>,
    {
        let op_name = name.to_string();
        let build = move |ctx: &mut BuildCtx<'_>, out: AnyBox| {
            source_task(ctx, &op_name, source.clone(), &strategy, out)
        };
        let parallelism = self.shared.config.borrow().parallelism;
        let mut graph = self.shared.graph.borrow_mut();
        let id = graph.add(LogicalNode {
            name: name.to_string(),
            uid: None,
            parallelism,
            kind: NodeKind::Source(Box::new(build)),
            inputs: Vec::new(),
            out: stream_type::<T>(),
        });
        graph.log_offsets.insert(id, S::log_offsets);
        drop(graph);
        DataStream::new(self.shared.clone(), id)
    }

    /// The numbers `start..end` (without timestamps).
    pub fn from_sequence(&self, start: u64, end: u64) -> DataStream<u64> {
        self.add_source(
            "sequence",
            SequenceSource::new(start, end),
            WatermarkStrategy::no_watermarks(),
        )
    }

    /// The elements of a vector, in order, from a single source subtask.
    pub fn from_collection<T: Data + Sync>(&self, values: Vec<T>) -> DataStream<T> {
        self.add_source(
            "collection",
            CollectionSource::new(values),
            WatermarkStrategy::no_watermarks(),
        )
        .set_parallelism(1)
    }

    /// Timestamped elements, in order, from a single source subtask, with the given watermarks.
    pub fn from_records<T: Data + Sync>(
        &self,
        records: Vec<Record<T>>,
        strategy: WatermarkStrategy,
    ) -> DataStream<T> {
        self.add_source("collection", CollectionSource::with_timestamps(records), strategy)
            .set_parallelism(1)
    }

    /// `count` generated elements (see [`GeneratorSource`]).
    pub fn from_generator<T, F>(&self, count: u64, seed: u64, make: F) -> DataStream<T>
    where
        T: Data,
        F: FnMut(u64, &mut SeededRng) -> T + Clone + Send + 'static,
    {
        self.add_source(
            "generator",
            GeneratorSource::new(count, seed, make),
            WatermarkStrategy::no_watermarks(),
        )
    }

    /// Lets streams of `T` cross an exchange between processes (a distributed attempt,
    /// [`Self::execute_tasks`]): their records travel as bincode. Every type on a stage
    /// boundary must be registered; SQL registers its row types itself.
    pub fn exchange_type<T: StateData + Data>(&self) -> &Self {
        self.shared
            .wire_types
            .borrow_mut()
            .insert(TypeId::of::<T>(), wire_type::<T>());
        self
    }

    /// Runs the job to completion (all sources bounded) and reports its metrics.
    pub fn execute(&self) -> Result<JobResult, EngineError> {
        let graph = self.shared.graph.borrow();
        let config = self.shared.config.borrow();
        let run = self.shared.run.borrow().clone();
        execute(&graph, &config, &run, None)
    }
}

/// A stream of `T`: the output of one operator, plus how its next edge partitions.
pub struct DataStream<T> {
    pub(crate) shared: Rc<Shared>,
    pub(crate) node: NodeId,
    pub(crate) partitioning: Partitioning,
    _t: PhantomData<fn() -> T>,
}

impl<T> Clone for DataStream<T> {
    fn clone(&self) -> Self {
        Self {
            shared: self.shared.clone(),
            node: self.node,
            partitioning: self.partitioning,
            _t: PhantomData,
        }
    }
}

impl<T> std::fmt::Debug for DataStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let graph = self.shared.graph.borrow();
        f.debug_struct("DataStream")
            .field("operator", &graph.nodes[self.node].name)
            .finish()
    }
}

impl<T: Data> DataStream<T> {
    pub(crate) fn new(shared: Rc<Shared>, node: NodeId) -> Self {
        Self {
            shared,
            node,
            partitioning: Partitioning::Default,
            _t: PhantomData,
        }
    }

    pub(crate) fn edge(&self, input: usize) -> LogicalEdge {
        LogicalEdge {
            from: self.node,
            input,
            partitioning: self.partitioning,
            hash_writer: None,
            partitioner: None,
        }
    }

    /// The parallelism of the operator producing this stream.
    pub(crate) fn parallelism(&self) -> usize {
        self.shared.graph.borrow().nodes[self.node].parallelism
    }

    pub(crate) fn default_parallelism(&self) -> usize {
        self.shared.config.borrow().parallelism
    }

    pub(crate) fn add_node<U: Data>(
        &self,
        name: &str,
        kind: NodeKind,
        inputs: Vec<LogicalEdge>,
    ) -> DataStream<U> {
        let parallelism = self.default_parallelism();
        let id = self.shared.graph.borrow_mut().add(LogicalNode {
            name: name.to_string(),
            uid: None,
            parallelism,
            kind,
            inputs,
            out: stream_type::<U>(),
        });
        DataStream::new(self.shared.clone(), id)
    }

    pub(crate) fn one_input<U: Data>(
        &self,
        name: &str,
        edge: LogicalEdge,
        build: impl Fn(&mut BuildCtx<'_>, Downstream<U>) -> Box<dyn Output<T>> + 'static,
    ) -> DataStream<U> {
        let kind = NodeKind::OneInput(Box::new(move |ctx: &mut BuildCtx<'_>, out: AnyBox| {
            let down = Downstream::new(unbox::<U>(out), ctx.take_side_outputs());
            boxed::<T>(build(ctx, down))
        }));
        self.add_node(name, kind, vec![edge])
    }

    /// Names the operator that produces this stream (names appear in metrics).
    pub fn name(self, name: &str) -> Self {
        self.shared.graph.borrow_mut().nodes[self.node].name = name.to_string();
        self
    }

    /// Names the operator's state in checkpoints and savepoints. Without it the name is derived
    /// from the operator's position and name in the job, so changing the job's shape makes a
    /// savepoint unusable; set uids on stateful operators of long-lived jobs (as in Flink).
    pub fn uid(self, uid: &str) -> Self {
        self.shared.graph.borrow_mut().nodes[self.node].uid = Some(uid.to_string());
        self
    }

    /// Sets the parallelism of the operator that produces this stream.
    pub fn set_parallelism(self, parallelism: usize) -> Self {
        self.shared.graph.borrow_mut().nodes[self.node].parallelism = parallelism;
        self
    }

    /// Distributes batches round-robin over the next operator's subtasks.
    pub fn rebalance(mut self) -> Self {
        self.partitioning = Partitioning::Rebalance;
        self
    }

    /// Sends every record to every subtask of the next operator.
    pub fn broadcast(mut self) -> Self {
        self.partitioning = Partitioning::Broadcast;
        self
    }

    /// Keeps records on the same subtask index (parallelisms must match).
    pub fn forward(mut self) -> Self {
        self.partitioning = Partitioning::Forward;
        self
    }

    /// The records this stream's operator emitted under `tag`.
    pub fn side_output<S: Data>(&self, tag: &OutputTag<S>) -> DataStream<S> {
        self.add_node(
            &format!("side-output:{}", tag.name()),
            NodeKind::SideOutput {
                parent: self.node,
                tag: tag.id,
            },
            vec![],
        )
    }

    /// Merges streams of the same type.
    pub fn union(&self, others: &[DataStream<T>]) -> DataStream<T> {
        let mut inputs = vec![self.edge(0)];
        inputs.extend(others.iter().map(|o| o.edge(0)));
        self.add_node("union", NodeKind::Union, inputs)
    }

    /// Partitions by key: records with equal keys go to the same subtask (by key group).
    pub fn key_by<K: Key, KS>(&self, key_selector: KS) -> KeyedStream<K, T, KS>
    where
        KS: Fn(&T) -> K + Clone + Send + 'static,
    {
        KeyedStream {
            stream: self.clone(),
            key_selector,
            _k: PhantomData,
        }
    }

    /// Writes to a sink; every subtask gets a clone of `sink`.
    pub fn add_sink<S: Sink<T> + Clone + 'static>(&self, name: &str, sink: S) -> DataStream<T> {
        self.add_sink_over(self.edge(0), name, sink)
    }

    /// A sink node reading this stream over `edge` (forward or rebalancing, or hashed by key).
    fn add_sink_over<S: Sink<T> + Clone + 'static>(
        &self,
        edge: LogicalEdge,
        name: &str,
        sink: S,
    ) -> DataStream<T> {
        let name_owned = name.to_string();
        self.add_node::<T>(
            name,
            NodeKind::OneInput(Box::new(move |ctx, _out| {
                boxed::<T>(Box::new(SinkOp::open(ctx, &name_owned, sink.clone())))
            })),
            vec![edge],
        )
    }

    /// Collects every record; read them from the handle after `execute`.
    pub fn collect(&self) -> CollectHandle<T> {
        let (sink, handle) = CollectSink::new();
        self.add_sink("collect", sink);
        handle
    }

    /// Calls `f` for every batch (a discarding sink when `f` ignores it).
    pub fn for_each_batch<F: FnMut(&[Record<T>]) + Clone + Send + 'static>(&self, f: F) -> DataStream<T> {
        self.add_sink("for_each", FnSink(f))
    }
}

/// A stream partitioned by key. Keyed operators see all records of a key on one subtask.
pub struct KeyedStream<K, T, KS> {
    pub(crate) stream: DataStream<T>,
    pub(crate) key_selector: KS,
    _k: PhantomData<fn() -> K>,
}

impl<K, T, KS: Clone> Clone for KeyedStream<K, T, KS> {
    fn clone(&self) -> Self {
        Self {
            stream: self.stream.clone(),
            key_selector: self.key_selector.clone(),
            _k: PhantomData,
        }
    }
}

impl<K, T, KS> std::fmt::Debug for KeyedStream<K, T, KS> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyedStream").finish_non_exhaustive()
    }
}

impl<K: Key, T: Data, KS: Fn(&T) -> K + Clone + Send + 'static> KeyedStream<K, T, KS> {
    /// The hash edge into a keyed operator (input `input` of it).
    pub(crate) fn edge(&self, input: usize) -> LogicalEdge {
        let max_parallelism = self.stream.shared.config.borrow().max_parallelism;
        LogicalEdge {
            from: self.stream.node,
            input,
            partitioning: Partitioning::Hash,
            hash_writer: Some(hash_writer::<K, T, KS>(
                self.key_selector.clone(),
                max_parallelism,
            )),
            partitioner: Some(key_partitioner::<K, T, KS>(
                self.key_selector.clone(),
                max_parallelism,
            )),
        }
    }

    /// The key selector.
    pub fn key_selector(&self) -> &KS {
        &self.key_selector
    }

    /// Writes to a sink whose subtasks each get the records of their keys (a hash exchange):
    /// all records of a key reach one subtask, in order, whatever the two sides' parallelism.
    pub fn add_sink<S: Sink<T> + Clone + 'static>(&self, name: &str, sink: S) -> DataStream<T> {
        self.stream.add_sink_over(self.edge(0), name, sink)
    }

    pub(crate) fn key_groups(ctx: &BuildCtx<'_>) -> KeyGroupRange {
        KeyGroupRange::for_subtask(ctx.subtask, ctx.parallelism, ctx.max_parallelism)
    }
}
