//! The physical plan: from the logical graph (`graph.rs`) to running tasks (`runtime/`):
//! parallelism, chaining, channels, worker assignment, and the restart loop around attempts.
//!
//! An edge is *chained* (the downstream operator is called directly, no channel) when it is a
//! forward edge between equal parallelisms into a single-input operator. Every other edge gets
//! one bounded channel per (upstream subtask, downstream subtask) pair (only `i -> i` for forward
//! edges). Subtask `s` of every operator runs on worker `s % workers`, so a pipeline slice stays
//! on one thread and its channels need no cross-thread wake-ups.

use std::any::TypeId;
use std::collections::{BTreeSet, HashMap};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::checkpoint::CheckpointPublisher;
use crate::checkpoint::coordinator::{CheckpointShared, Coordinator, JobHandle, TaskCheckpointing};
use crate::checkpoint::restore::RestoredCheckpoint;
use crate::checkpoint::snapshot::OperatorIdentity;
use crate::checkpoint::storage;
use crate::checkpoint::{
    CheckpointConfig, FAILURES_KEPT, FailureRecord, RestartDecision, RestartSeries, RestartStrategy,
};
use crate::error::{EngineError, FailureSlot};
use crate::exchange::{ExchangeTransport, ReceiverState};
use crate::graph::{Graph, NodeId, NodeKind, Partitioning};
use crate::memory::MemoryAccount;
use crate::metrics::{OperatorMetrics, OperatorProbe, OperatorReport, TaskMetrics};
use crate::placement::{Placement, is_chain_head};
use crate::runtime::build::{AnyBox, BuildCtx, Routing};
use crate::runtime::channel::WorkerSignal;
use crate::runtime::exchange::{RestoredReceiver, RouteKind, WireType};
use crate::runtime::output::SideOutputs;
use crate::runtime::task::{InputTask, Task, TaskTimer};
use crate::runtime::worker::{ScheduledTask, run_worker};

/// Runtime settings of a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobConfig {
    /// Default parallelism of operators that do not set one.
    pub parallelism: usize,
    /// Number of key groups (upper bound of any keyed operator's parallelism).
    pub max_parallelism: usize,
    /// Records per batch emitted by sources (and the size writers aim for). 4096 by default:
    /// a keyed exchange splits each batch over its targets, and every channel batch has a
    /// fixed cost on both sides; at 1024 the parallelism-2 window count ran 13–16 % slower
    /// (BENCHMARKS.md, session 23) while parallelism 1 did not change.
    pub batch_size: usize,
    /// Batches (or control events) a channel holds before its writer is backpressured.
    pub channel_capacity: usize,
    /// Worker threads; `None` = min(largest parallelism, available cores).
    pub worker_threads: Option<usize>,
    /// The bytes the job's threads may hold (see [`crate::memory`]); over it, the attempt
    /// fails and the restart strategy decides what follows. `None`: unbounded.
    pub memory_budget: Option<u64>,
}

impl Default for JobConfig {
    fn default() -> Self {
        Self {
            parallelism: 1,
            max_parallelism: crate::keygroup::DEFAULT_MAX_PARALLELISM,
            batch_size: 4096,
            channel_capacity: 8,
            worker_threads: None,
            memory_budget: None,
        }
    }
}

/// What a completed job reports.
#[derive(Debug, Clone)]
pub struct JobResult {
    /// Wall-clock time from start to completion.
    pub elapsed: Duration,
    /// Number of tasks (chains × parallelism) that ran.
    pub tasks: usize,
    /// Worker threads used.
    pub workers: usize,
    /// Metrics of every operator subtask.
    pub operators: Vec<OperatorReport>,
}

impl JobResult {
    /// Reports of the operator with this name (one per subtask).
    pub fn operator(&self, name: &str) -> Vec<&OperatorReport> {
        self.operators.iter().filter(|r| r.operator == name).collect()
    }
}

type ChannelEnds = HashMap<(NodeId, usize), Vec<Vec<Option<AnyBox>>>>;

/// What a distributed attempt runs (see [`crate::exchange`]): the tasks its process owns and
/// where records crossing stages go.
pub(crate) struct DistributedPlan {
    /// Owned tasks as `(stage, subtask)`.
    pub(crate) owned: BTreeSet<(u32, u32)>,
    /// The stage of every node.
    pub(crate) stage_of: Vec<u32>,
    /// `(downstream node, input edge)` of every exchange → its number.
    pub(crate) exchanges: HashMap<(NodeId, usize), usize>,
    pub(crate) transport: Arc<dyn ExchangeTransport>,
    pub(crate) publisher: Option<Arc<dyn CheckpointPublisher>>,
    pub(crate) wire_types: HashMap<TypeId, Rc<dyn WireType>>,
}

impl DistributedPlan {
    fn owns(&self, n: NodeId, s: usize) -> bool {
        self.owned.contains(&(self.stage_of[n], s as u32))
    }

    /// The codec of the stream crossing input `ei` of `to`, or the error naming the edge.
    fn wire(&self, graph: &Graph, to: NodeId, ei: usize) -> Result<&Rc<dyn WireType>, EngineError> {
        let ty = &graph.nodes[graph.nodes[to].inputs[ei].from].out;
        self.wire_types.get(&ty.type_id()).ok_or_else(|| {
            EngineError::InvalidGraph(format!(
                "the exchange into `{}` carries {}, which cannot cross processes: register it with \
                 StreamEnvironment::exchange_type",
                graph.nodes[to].name,
                ty.type_name()
            ))
        })
    }
}

/// The uid under which operator `n` keeps its state: its `uid`, or its position and name.
pub(crate) fn state_uid(n: NodeId, name: &str, uid: Option<&str>) -> String {
    match uid {
        Some(uid) => uid.to_string(),
        None => format!("{n}-{name}"),
    }
}

/// The uid under which the receiving side of exchange `e` checkpoints its position.
pub(crate) fn exchange_uid(e: usize) -> Arc<str> {
    format!("exchange-{e}").into()
}

/// The next job attempt's number ([`SinkContext::attempt`](crate::SinkContext::attempt)):
/// counted across the process, so no two attempts of any jobs share one.
static NEXT_ATTEMPT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

struct Planner<'g> {
    graph: &'g Graph,
    cfg: &'g JobConfig,
    parallelism: Vec<usize>,
    chained: Vec<Vec<bool>>,
    resolved: Vec<Vec<Partitioning>>,
    consumers: Vec<Vec<(NodeId, usize)>>,
    side_children: Vec<Vec<NodeId>>,
    /// (to, edge) -> [upstream subtask] -> senders to each downstream subtask.
    senders: ChannelEnds,
    /// (to, edge) -> [downstream subtask] -> receivers from each upstream subtask.
    receivers: ChannelEnds,
    metrics: Vec<Vec<Arc<OperatorMetrics>>>,
    task_of: Vec<Vec<Option<usize>>>,
    failure: FailureSlot,
    current_task: usize,
    restore: Option<&'g RestoredCheckpoint>,
    checkpointing: Arc<CheckpointShared>,
    /// This attempt's number, unique within the process.
    attempt: u64,
    /// A distributed attempt's tasks and exchanges.
    scope: Option<&'g DistributedPlan>,
    /// (to, edge) of an exchange -> [owned downstream subtask] -> senders from each upstream
    /// subtask, for the exchange input task.
    exchange_senders: ChannelEnds,
}

pub(crate) fn effective_parallelism(graph: &Graph, cfg: &JobConfig) -> Result<Vec<usize>, EngineError> {
    let mut par = Vec::with_capacity(graph.nodes.len());
    for node in &graph.nodes {
        let p = match node.kind {
            NodeKind::SideOutput { parent, .. } => par[parent],
            _ => node.parallelism,
        };
        if p == 0 {
            return Err(EngineError::InvalidConfig(format!(
                "operator `{}` has parallelism 0",
                node.name
            )));
        }
        let _ = cfg;
        par.push(p);
    }
    Ok(par)
}

/// How an edge partitions once parallelisms are known: `Default` is forward between equal
/// parallelisms and rebalance otherwise (Flink's rule).
pub(crate) fn resolve_partitioning(p: Partitioning, from: usize, to: usize) -> Partitioning {
    match p {
        Partitioning::Default if from == to => Partitioning::Forward,
        Partitioning::Default => Partitioning::Rebalance,
        k => k,
    }
}

/// Whether `node`'s one input edge, partitioned as `kind`, is chained (a direct call, no
/// channel): a forward edge into a single-input operator.
pub(crate) fn is_chained(kind: Partitioning, node: &crate::graph::LogicalNode) -> bool {
    kind == Partitioning::Forward && node.inputs.len() == 1 && matches!(node.kind, NodeKind::OneInput(_))
}

impl<'g> Planner<'g> {
    fn new(
        graph: &'g Graph,
        cfg: &'g JobConfig,
        failure: FailureSlot,
        restore: Option<&'g RestoredCheckpoint>,
        checkpointing: Arc<CheckpointShared>,
        scope: Option<&'g DistributedPlan>,
    ) -> Result<Self, EngineError> {
        let parallelism = effective_parallelism(graph, cfg)?;
        if let Some(scope) = scope {
            for &(to, ei) in scope.exchanges.keys() {
                scope.wire(graph, to, ei)?;
            }
        }
        let n = graph.nodes.len();
        let mut chained = vec![Vec::new(); n];
        let mut resolved = vec![Vec::new(); n];
        let mut consumers = vec![Vec::new(); n];
        let mut side_children = vec![Vec::new(); n];
        for (id, node) in graph.nodes.iter().enumerate() {
            if let NodeKind::SideOutput { parent, .. } = node.kind {
                side_children[parent].push(id);
            }
            for (ei, edge) in node.inputs.iter().enumerate() {
                let (pf, pt) = (parallelism[edge.from], parallelism[id]);
                let kind = match resolve_partitioning(edge.partitioning, pf, pt) {
                    Partitioning::Forward if pf != pt => {
                        return Err(EngineError::InvalidGraph(format!(
                            "forward edge into `{}` joins parallelism {pf} to {pt}",
                            node.name
                        )));
                    }
                    Partitioning::Hash if pt > cfg.max_parallelism => {
                        return Err(EngineError::InvalidConfig(format!(
                            "keyed operator `{}` has parallelism {pt} > max parallelism {}",
                            node.name, cfg.max_parallelism
                        )));
                    }
                    k => k,
                };
                let chain = is_chained(kind, node);
                chained[id].push(chain);
                resolved[id].push(kind);
                consumers[edge.from].push((id, ei));
            }
        }
        if cfg.batch_size == 0 || cfg.channel_capacity == 0 {
            return Err(EngineError::InvalidConfig(
                "batch size and channel capacity must be positive".into(),
            ));
        }
        let metrics = parallelism
            .iter()
            .map(|&p| (0..p).map(|_| Arc::new(OperatorMetrics::default())).collect())
            .collect();
        let task_of = parallelism.iter().map(|&p| vec![None; p]).collect();
        Ok(Self {
            graph,
            cfg,
            parallelism,
            chained,
            resolved,
            consumers,
            side_children,
            senders: HashMap::new(),
            receivers: HashMap::new(),
            metrics,
            task_of,
            failure,
            current_task: 0,
            restore,
            checkpointing,
            attempt: NEXT_ATTEMPT.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            scope,
            exchange_senders: HashMap::new(),
        })
    }

    /// Sums source output and sink input for progress reports.
    fn progress_probe(&self) -> crate::checkpoint::coordinator::ProgressProbe {
        let mut sources = Vec::new();
        let mut sinks = Vec::new();
        for (n, node) in self.graph.nodes.iter().enumerate() {
            match node.kind {
                NodeKind::Source(_) => sources.extend(self.metrics[n].iter().cloned()),
                NodeKind::SideOutput { .. } => {}
                _ if self.consumers[n].is_empty() => sinks.extend(self.metrics[n].iter().cloned()),
                _ => {}
            }
        }
        Box::new(move || {
            let records_in = sources.iter().map(|m| m.records_out()).sum();
            let records_out = sinks.iter().map(|m| m.records_in()).sum();
            let watermark = sinks.iter().map(|m| m.watermark()).min().unwrap_or(i64::MIN);
            (records_in, records_out, watermark)
        })
    }

    fn uid(&self, n: NodeId) -> Arc<str> {
        let node = &self.graph.nodes[n];
        state_uid(n, &node.name, node.uid.as_deref()).into()
    }

    /// Operators whose state a restore would silently drop (renamed or removed): refused,
    /// as Flink refuses unless state may be ignored.
    fn check_restore_matches(&self) -> Result<(), EngineError> {
        let Some(r) = self.restore else {
            return Ok(());
        };
        let mut uids: Vec<Arc<str>> = (0..self.graph.nodes.len()).map(|n| self.uid(n)).collect();
        if let Some(scope) = self.scope {
            uids.extend(scope.exchanges.values().map(|e| exchange_uid(*e)));
        }
        for uid in r.uids() {
            if !uids.iter().any(|u| **u == *uid) {
                return Err(EngineError::Checkpoint(format!(
                    "checkpoint {} in {} has state of operator `{uid}`, which this job does not have \
                     (operator uids must stay the same; set them with DataStream::uid)",
                    r.id(),
                    r.dir.display()
                )));
            }
        }
        Ok(())
    }

    fn create_channels(&mut self, signals: &[Arc<WorkerSignal>], placement: &Placement) {
        let signal = |n: NodeId, s: usize| &signals[placement.worker(n, s) % signals.len()];
        for (to, node) in self.graph.nodes.iter().enumerate() {
            for (ei, edge) in node.inputs.iter().enumerate() {
                if self.chained[to][ei] {
                    continue;
                }
                let (pf, pt) = (self.parallelism[edge.from], self.parallelism[to]);
                let forward = self.resolved[to][ei] == Partitioning::Forward;
                let ty = &self.graph.nodes[edge.from].out;
                if let Some(scope) = self.scope.filter(|s| s.exchanges.contains_key(&(to, ei))) {
                    // Across processes: each owned downstream subtask reads a channel per
                    // upstream subtask, fed by its exchange input task.
                    let mut tx: Vec<Vec<Option<AnyBox>>> = (0..pt).map(|_| Vec::new()).collect();
                    let mut rx: Vec<Vec<Option<AnyBox>>> = (0..pt).map(|_| Vec::new()).collect();
                    for j in (0..pt).filter(|j| scope.owns(to, *j)) {
                        for _ in 0..pf {
                            let (s, r) = ty.channel(self.cfg.channel_capacity, signal(to, j), signal(to, j));
                            tx[j].push(Some(s));
                            rx[j].push(Some(r));
                        }
                    }
                    self.exchange_senders.insert((to, ei), tx);
                    self.receivers.insert((to, ei), rx);
                    continue;
                }
                let mut tx: Vec<Vec<Option<AnyBox>>> = (0..pf).map(|_| Vec::new()).collect();
                let mut rx: Vec<Vec<Option<AnyBox>>> = (0..pt).map(|_| Vec::new()).collect();
                for (i, sends) in tx.iter_mut().enumerate() {
                    for (j, receives) in rx.iter_mut().enumerate() {
                        if forward && i != j {
                            continue;
                        }
                        let (s, r) =
                            ty.channel(self.cfg.channel_capacity, signal(edge.from, i), signal(to, j));
                        sends.push(Some(s));
                        receives.push(Some(r));
                    }
                }
                self.senders.insert((to, ei), tx);
                self.receivers.insert((to, ei), rx);
            }
        }
    }

    fn take_ends(map: &mut ChannelEnds, key: (NodeId, usize), subtask: usize) -> Vec<AnyBox> {
        map.get_mut(&key)
            .map(|per| per[subtask].iter_mut().filter_map(Option::take).collect())
            .unwrap_or_default()
    }

    /// Everything downstream of node `n`'s main output on subtask `s`.
    fn build_output(&mut self, n: NodeId, s: usize) -> AnyBox {
        let graph = self.graph;
        let mut outs = Vec::new();
        for (to, ei) in self.consumers[n].clone() {
            if self.chained[to][ei] {
                let mut inputs = self.build_operator(to, s);
                outs.push(inputs.remove(0));
            } else if let Some((scope, e)) = self
                .scope
                .and_then(|sc| sc.exchanges.get(&(to, ei)).map(|e| (sc, *e)))
            {
                outs.push(self.exchange_out(scope, (n, s), (to, ei), e));
            } else {
                let tx = Self::take_ends(&mut self.senders, (to, ei), s);
                let kind = self.resolved[to][ei];
                let edge = &graph.nodes[to].inputs[ei];
                let writer = match (&edge.hash_writer, kind) {
                    (Some(build), Partitioning::Hash) => build(tx, self.cfg.batch_size),
                    (_, Partitioning::Rebalance) => {
                        graph.nodes[n]
                            .out
                            .writer(tx, self.cfg.batch_size, Routing::Rebalance)
                    }
                    (_, Partitioning::Broadcast) => {
                        graph.nodes[n]
                            .out
                            .writer(tx, self.cfg.batch_size, Routing::Broadcast)
                    }
                    _ => graph.nodes[n]
                        .out
                        .writer(tx, self.cfg.batch_size, Routing::Forward),
                };
                outs.push(writer);
            }
        }
        let ty = &graph.nodes[n].out;
        let out = if outs.is_empty() {
            ty.discard()
        } else {
            ty.fanout(outs)
        };
        match graph.nodes[n].kind {
            NodeKind::SideOutput { .. } => out,
            _ => ty.meter(out, self.metrics[n][s].clone(), false),
        }
    }

    /// The upstream half of exchange `e` (node `n` into input `ei` of `to`) at subtask `s`;
    /// a transport failure fails the attempt and the records go nowhere.
    fn exchange_out(
        &mut self,
        scope: &DistributedPlan,
        (n, s): (NodeId, usize),
        (to, ei): (NodeId, usize),
        e: usize,
    ) -> AnyBox {
        let graph = self.graph;
        let kind = match self.resolved[to][ei] {
            Partitioning::Hash => RouteKind::Hash,
            Partitioning::Broadcast => RouteKind::Broadcast,
            _ => RouteKind::Rebalance,
        };
        let pt = self.parallelism[to];
        let built = scope.wire(graph, to, ei).and_then(|wire| {
            let sender = scope.transport.sender(e, s, pt)?;
            let what = format!("{e} into `{}`", graph.nodes[to].name);
            wire.out(
                sender,
                kind,
                graph.nodes[to].inputs[ei].partitioner.as_ref(),
                pt,
                self.failure.clone(),
                what,
            )
        });
        match built {
            Ok(out) => out,
            Err(err) => {
                self.failure.fail(err);
                graph.nodes[n].out.discard()
            }
        }
    }

    /// The exchange input tasks of this process: one per exchange and owned downstream
    /// subtask, feeding that subtask's channels from every upstream subtask.
    fn build_exchange_inputs(
        &mut self,
        tasks: &mut Vec<(usize, ScheduledTask)>,
        task_metrics: &mut Vec<Arc<TaskMetrics>>,
        placement: &Placement,
    ) -> Result<(), EngineError> {
        let Some(scope) = self.scope else {
            return Ok(());
        };
        let graph = self.graph;
        let mut exchanges: Vec<((NodeId, usize), usize)> =
            scope.exchanges.iter().map(|(k, v)| (*k, *v)).collect();
        exchanges.sort_unstable();
        for ((to, ei), e) in exchanges {
            let from = graph.nodes[to].inputs[ei].from;
            let (pf, pt) = (self.parallelism[from], self.parallelism[to]);
            let wire = scope.wire(graph, to, ei)?;
            for j in (0..pt).filter(|j| scope.owns(to, *j)) {
                let senders = Self::take_ends(&mut self.exchange_senders, (to, ei), j);
                // Resumes where this subtask's last checkpoint left it (its operator state).
                let restored = match self.restore {
                    Some(r) => r
                        .operator_states(&exchange_uid(e))?
                        .and_then(|states| states.into_iter().nth(j))
                        .filter(|p| !p.is_empty())
                        .map(|bytes| {
                            ReceiverState::decode(&bytes).ok_or_else(|| {
                                EngineError::Checkpoint(format!(
                                    "exchange {e} into subtask {j}: an unreadable receiver state"
                                ))
                            })
                        })
                        .transpose()?,
                    None => None,
                };
                let receiver = RestoredReceiver {
                    receiver: scope.transport.receiver(
                        e,
                        j,
                        pf,
                        restored.as_ref().map(|r| r.position.as_slice()),
                    )?,
                    ended: restored.map(|r| r.ended).unwrap_or_default(),
                };
                let metrics = Arc::new(TaskMetrics::default());
                task_metrics.push(metrics.clone());
                let ckpt = TaskCheckpointing::new(
                    self.checkpointing.clone(),
                    tasks.len(),
                    self.checkpointing.completed(),
                );
                let task = wire.input_task(
                    receiver,
                    senders,
                    self.cfg.batch_size,
                    OperatorIdentity {
                        uid: exchange_uid(e),
                        subtask: j,
                        parallelism: pt,
                    },
                    Some(ckpt),
                    TaskTimer::new(metrics),
                    self.failure.clone(),
                );
                let name = format!("exchange {e} into {} ({}/{pt})", graph.nodes[to].name, j + 1);
                tasks.push((placement.worker(to, j), ScheduledTask { name, task }));
            }
        }
        Ok(())
    }

    /// The input(s) of operator `n` on subtask `s`, with its outputs built behind it.
    fn build_operator(&mut self, n: NodeId, s: usize) -> Vec<AnyBox> {
        let graph = self.graph;
        let node = &graph.nodes[n];
        self.task_of[n][s] = Some(self.current_task);
        let mut side = Vec::new();
        for child in self.side_children[n].clone() {
            let NodeKind::SideOutput { tag, .. } = graph.nodes[child].kind else {
                continue;
            };
            let out = self.build_output(child, s);
            side.push((tag, graph.nodes[child].out.side_channel(out)));
        }
        let out = self.build_output(n, s);
        let mut ctx = BuildCtx {
            subtask: s,
            parallelism: self.parallelism[n],
            max_parallelism: self.cfg.max_parallelism,
            batch_size: self.cfg.batch_size,
            failure: &self.failure,
            side_outputs: Some(SideOutputs::new(side)),
            uid: self.uid(n),
            restore: self.restore,
            checkpointing: Some(self.checkpointing.clone()),
            task: self.current_task,
            attempt: self.attempt,
        };
        let meter_in = |input: AnyBox, k: usize| -> AnyBox {
            match node.inputs.iter().find(|e| e.input == k) {
                Some(e) => graph.nodes[e.from]
                    .out
                    .meter(input, self.metrics[n][s].clone(), true),
                None => input,
            }
        };
        match &node.kind {
            NodeKind::OneInput(build) => vec![meter_in(build(&mut ctx, out), 0)],
            NodeKind::TwoInput(build) => {
                let (a, b) = build(&mut ctx, out);
                vec![meter_in(a, 0), meter_in(b, 1)]
            }
            NodeKind::Union => vec![meter_in(out, 0)],
            NodeKind::Source(_) | NodeKind::SideOutput { .. } => {
                unreachable!("sources and side outputs have no input to build")
            }
        }
    }

    /// The tasks, each with the worker `placement` gives it.
    fn build_tasks(
        &mut self,
        task_metrics: &mut Vec<Arc<TaskMetrics>>,
        placement: &Placement,
    ) -> Result<Vec<(usize, ScheduledTask)>, EngineError> {
        let graph = self.graph;
        let mut tasks = Vec::new();
        for (n, node) in graph.nodes.iter().enumerate() {
            if !is_chain_head(&node.kind, &self.chained, n) {
                continue;
            }
            for s in 0..self.parallelism[n] {
                if self.scope.is_some_and(|sc| !sc.owns(n, s)) {
                    continue;
                }
                self.current_task = tasks.len();
                let metrics = Arc::new(TaskMetrics::default());
                task_metrics.push(metrics.clone());
                let timer = TaskTimer::new(metrics);
                let name = format!("{} ({}/{})", node.name, s + 1, self.parallelism[n]);
                let task: Box<dyn Task> = if let NodeKind::Source(build) = &node.kind {
                    self.task_of[n][s] = Some(self.current_task);
                    let out = self.build_output(n, s);
                    let mut ctx = BuildCtx {
                        subtask: s,
                        parallelism: self.parallelism[n],
                        max_parallelism: self.cfg.max_parallelism,
                        batch_size: self.cfg.batch_size,
                        failure: &self.failure,
                        side_outputs: None,
                        uid: self.uid(n),
                        restore: self.restore,
                        checkpointing: Some(self.checkpointing.clone()),
                        task: self.current_task,
                        attempt: self.attempt,
                    };
                    let mut task = build(&mut ctx, out)?;
                    task.attach_timer(timer);
                    task
                } else {
                    let inputs = self.build_operator(n, s);
                    let mut gates = Vec::new();
                    for (k, input) in inputs.into_iter().enumerate() {
                        let mut rx = Vec::new();
                        let mut ty = None;
                        for (ei, edge) in node.inputs.iter().enumerate() {
                            if edge.input == k {
                                rx.extend(Self::take_ends(&mut self.receivers, (n, ei), s));
                                ty = Some(graph.nodes[edge.from].out.clone());
                            }
                        }
                        let ty = ty.ok_or_else(|| {
                            EngineError::InvalidGraph(format!(
                                "input {k} of `{}` is not connected",
                                node.name
                            ))
                        })?;
                        gates.push(ty.gate(rx, input));
                    }
                    let ckpt = TaskCheckpointing::new(
                        self.checkpointing.clone(),
                        self.current_task,
                        self.checkpointing.completed(),
                    );
                    Box::new(InputTask::new(gates, timer, Some(ckpt)))
                };
                tasks.push((placement.worker(n, s), ScheduledTask { name, task }));
            }
        }
        self.build_exchange_inputs(&mut tasks, task_metrics, placement)?;
        Ok(tasks)
    }
}

/// How a job runs beyond its graph: checkpoints, restarts, where it restores from.
#[derive(Debug, Clone)]
pub(crate) struct RunOptions {
    pub(crate) checkpoint: Option<CheckpointConfig>,
    pub(crate) restart: RestartStrategy,
    pub(crate) savepoint: Option<std::path::PathBuf>,
    pub(crate) handle: JobHandle,
}

/// The newest of the latest completed checkpoint in the checkpoint directory and the given
/// savepoint (ids only grow, also across runs, so "newest" is "highest id").
fn choose_restore(run: &RunOptions) -> Result<Option<RestoredCheckpoint>, EngineError> {
    let mut best: Option<RestoredCheckpoint> = None;
    if let Some(cfg) = &run.checkpoint {
        let (complete, _) = storage::scan(&cfg.dir)?;
        if let Some((_, dir)) = complete.last() {
            best = Some(RestoredCheckpoint::open(dir)?);
        }
    }
    if let Some(sp) = &run.savepoint {
        let sp = RestoredCheckpoint::open(sp)?;
        if best.as_ref().is_none_or(|b| b.id() < sp.id()) {
            best = Some(sp);
        }
    }
    Ok(best)
}

/// Every operator subtask's live counters with its task's timing (side outputs have none of
/// their own), in graph order.
fn operator_probes(
    graph: &Graph,
    planner: &Planner<'_>,
    task_metrics: &[Arc<TaskMetrics>],
) -> Vec<OperatorProbe> {
    let mut probes = Vec::new();
    for (n, node) in graph.nodes.iter().enumerate() {
        if matches!(node.kind, NodeKind::SideOutput { .. }) {
            continue;
        }
        for s in 0..planner.parallelism[n] {
            probes.push(OperatorProbe {
                operator: node.name.clone(),
                state_uid: planner.uid(n),
                subtask: s,
                metrics: planner.metrics[n][s].clone(),
                task: planner.task_of[n][s].map(|t| task_metrics[t].clone()),
            });
        }
    }
    probes
}

/// Plans and runs a job to completion, restarting it from its latest checkpoint on failure as
/// the restart strategy allows; every failure and decision goes into the job's progress.
pub(crate) fn execute(
    graph: &Graph,
    cfg: &JobConfig,
    run: &RunOptions,
    scope: Option<&DistributedPlan>,
) -> Result<JobResult, EngineError> {
    let started = Instant::now();
    let mut series = RestartSeries::default();
    loop {
        let attempt_started = Instant::now();
        // Reading the checkpoint directory is part of the attempt: a transient error there
        // (EMFILE while descriptors are short, say) is a failure the restart strategy
        // retries, not the end of the job.
        let attempt = choose_restore(run).and_then(|restore| {
            run.handle.update(|p| {
                p.restart_strategy = run.restart.name();
                p.restarts = series.restarts;
                p.restored_from = restore.as_ref().map(|r| r.id());
            });
            execute_attempt(graph, cfg, run, restore.as_ref(), started, scope)
        });
        let e = match attempt {
            Ok(r) => return Ok(r),
            Err(e) => e,
        };
        let decision = run
            .restart
            .decide(&mut series, e.is_fatal(), attempt_started.elapsed());
        run.handle.update(|p| {
            if p.failures.len() == FAILURES_KEPT {
                p.failures.remove(0);
            }
            p.failures.push(FailureRecord {
                at: std::time::SystemTime::now(),
                error: e.to_string(),
                decision: decision.clone(),
            });
        });
        match decision {
            RestartDecision::Restart { attempt, delay } => {
                tracing::warn!(error = %e, restart = attempt, strategy = run.restart.name(), ?delay, "job failed; restarting");
                wait_unless_cancelled(&run.handle, delay);
            }
            RestartDecision::Fail { reason } => {
                if series.restarts > 0 || !matches!(run.restart, RestartStrategy::None) {
                    tracing::warn!(error = %e, "job failed; not restarted: {reason}");
                }
                return Err(e);
            }
        }
    }
}

/// Sleeps `delay`, or less when the job is cancelled meanwhile (the next attempt then ends at
/// once, as a cancelled job does).
fn wait_unless_cancelled(handle: &crate::JobHandle, delay: Duration) {
    let until = Instant::now() + delay;
    while !handle.is_cancelled() {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return;
        }
        std::thread::sleep(left.min(Duration::from_millis(50)));
    }
}

fn execute_attempt(
    graph: &Graph,
    cfg: &JobConfig,
    run: &RunOptions,
    restore: Option<&RestoredCheckpoint>,
    started: Instant,
    scope: Option<&DistributedPlan>,
) -> Result<JobResult, EngineError> {
    let failure = FailureSlot::default();
    let account = match cfg.memory_budget {
        Some(limit) => Some(MemoryAccount::new(limit).ok_or_else(|| {
            EngineError::InvalidConfig("every memory account is in use: too many jobs run at once".into())
        })?),
        None => None,
    };
    // Building the tasks opens the connectors (their buffers, their threads): theirs too.
    let _tagged = account.as_ref().map(MemoryAccount::enter);
    let coordinator = Coordinator::new(
        run.checkpoint.clone(),
        restore,
        0,
        cfg.max_parallelism,
        run.handle.clone(),
    )?
    .with_publisher(scope.and_then(|s| s.publisher.clone()));
    let mut planner = Planner::new(
        graph,
        cfg,
        failure.clone(),
        restore,
        coordinator.shared.clone(),
        scope,
    )?;
    planner.check_restore_matches()?;
    // One worker per task up to the cores: a job's chains run side by side even at
    // parallelism 1, as Flink's tasks do (see `placement.rs`).
    let task_count = Placement::task_count(graph, &planner.parallelism, &planner.chained);
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let workers = cfg.worker_threads.unwrap_or_else(|| task_count.min(cores)).max(1);
    let placement = Placement::new(graph, &planner.parallelism, &planner.chained, workers);
    let signals: Vec<Arc<WorkerSignal>> = (0..workers).map(|_| Arc::new(WorkerSignal::default())).collect();
    planner.create_channels(&signals, &placement);
    let mut task_metrics = Vec::new();
    let tasks = planner.build_tasks(&mut task_metrics, &placement)?;
    if let Some(e) = failure.take() {
        // Opening a connector or restoring state failed while building.
        return Err(e);
    }
    let task_count = tasks.len();
    let coordinator = coordinator.with_tasks(task_count);
    run.handle.set_probe(Some(planner.progress_probe()));
    let probes = operator_probes(graph, &planner, &task_metrics);
    run.handle.set_operators(probes.clone());
    let mut per_worker: Vec<Vec<ScheduledTask>> = (0..workers).map(|_| Vec::new()).collect();
    for (w, t) in tasks {
        per_worker[w % workers].push(t);
    }
    let done = std::sync::atomic::AtomicBool::new(false);
    let spawned: Result<(), EngineError> = std::thread::scope(|scope| {
        let coordinator_failure = failure.clone();
        let handle = run.handle.clone();
        let done_ref = &done;
        let coordinator_account = account.clone();
        let coordinator_thread = std::thread::Builder::new()
            .name("spate-checkpoints".into())
            .spawn_scoped(scope, move || {
                let _tagged = coordinator_account.as_ref().map(MemoryAccount::enter);
                coordinator.run(
                    done_ref,
                    &coordinator_failure,
                    &handle,
                    coordinator_account.as_ref(),
                )
            });
        if let Err(e) = coordinator_thread {
            failure.fail(EngineError::Spawn(e));
            return Ok(());
        }
        let mut handles = Vec::new();
        for (w, tasks) in per_worker.into_iter().enumerate() {
            let signal = signals[w].clone();
            let worker_failure = failure.clone();
            let worker_account = account.clone();
            let handle = std::thread::Builder::new()
                .name(format!("spate-worker-{w}"))
                .spawn_scoped(scope, move || {
                    let _tagged = worker_account.as_ref().map(MemoryAccount::enter);
                    run_worker(tasks, signal, worker_failure);
                });
            match handle {
                Ok(h) => handles.push(h),
                Err(e) => {
                    failure.fail(EngineError::Spawn(e));
                    break;
                }
            }
        }
        for h in handles {
            if h.join().is_err() {
                failure.fail(EngineError::TaskPanicked {
                    task: "worker".into(),
                    message: "worker died".into(),
                });
            }
        }
        done.store(true, std::sync::atomic::Ordering::Release);
        Ok(())
    });
    run.handle.set_probe(None);
    run.handle.set_operators(Vec::new());
    spawned?;
    if let Some(e) = failure.take() {
        return Err(e);
    }
    let operators = probes.iter().map(OperatorProbe::report).collect();
    Ok(JobResult {
        elapsed: started.elapsed(),
        tasks: task_count,
        workers,
        operators,
    })
}
