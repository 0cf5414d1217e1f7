//! Which worker thread runs each task.
//!
//! A task is a chain head and everything chained to it, for one subtask. Tasks are dealt out
//! round-robin in graph order, subtask by subtask: at parallelism `p` = workers every chain's
//! subtask `s` lands on worker `s` (an exchange between two chains of one subtask stays on
//! one core), and a job whose chains run at parallelism 1 still spreads its chains over the
//! cores. Dealing by subtask alone put every task of such a job on one worker while the other
//! cores idled: a SQL join job (a source chain decoding JSON, a join, aggregates) ran on one
//! core where Flink, at the same parallelism, uses all of them.

use crate::graph::{Graph, NodeId, NodeKind};

/// Where each node's subtasks run: `[node][subtask]` → worker index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Placement {
    worker: Vec<Vec<usize>>,
}

impl Placement {
    /// Deals the tasks of `graph` (chain heads as `chained` says; `parallelism` per node) over
    /// `workers` threads.
    pub(crate) fn new(graph: &Graph, parallelism: &[usize], chained: &[Vec<bool>], workers: usize) -> Self {
        let workers = workers.max(1);
        let mut worker: Vec<Vec<usize>> = Vec::with_capacity(graph.nodes.len());
        let mut next = 0usize;
        for (n, node) in graph.nodes.iter().enumerate() {
            let p = parallelism.get(n).copied().unwrap_or(1);
            let upstream = match node.kind {
                _ if is_chain_head(&node.kind, chained, n) => None,
                NodeKind::SideOutput { parent, .. } => Some(parent),
                _ => node.inputs.first().map(|e| e.from),
            };
            let of_node = match upstream.and_then(|u| worker.get(u)) {
                // Chained: the head's task runs it, subtask for subtask.
                Some(head) => (0..p)
                    .map(|s| head.get(s).copied().unwrap_or(s % workers))
                    .collect(),
                None => (0..p)
                    .map(|_| {
                        let w = next % workers;
                        next += 1;
                        w
                    })
                    .collect(),
            };
            worker.push(of_node);
        }
        Self { worker }
    }

    /// The number of tasks a graph has: its chain heads' subtasks.
    pub(crate) fn task_count(graph: &Graph, parallelism: &[usize], chained: &[Vec<bool>]) -> usize {
        graph
            .nodes
            .iter()
            .enumerate()
            .filter(|(n, node)| is_chain_head(&node.kind, chained, *n))
            .map(|(n, _)| parallelism.get(n).copied().unwrap_or(1))
            .sum()
    }

    /// The worker running subtask `subtask` of node `node`.
    pub(crate) fn worker(&self, node: NodeId, subtask: usize) -> usize {
        self.worker
            .get(node)
            .and_then(|w| w.get(subtask))
            .copied()
            .unwrap_or(0)
    }
}

/// Whether `node` heads a task: sources, unions and two-input nodes always do, a one-input
/// node unless every input edge is chained into its input's task, a side output never (it
/// runs in its parent's task).
pub(crate) fn is_chain_head(kind: &NodeKind, chained: &[Vec<bool>], node: NodeId) -> bool {
    match kind {
        NodeKind::Source(_) | NodeKind::Union | NodeKind::TwoInput(_) => true,
        NodeKind::OneInput(_) => !chained.get(node).is_some_and(|c| c.iter().all(|c| *c)),
        NodeKind::SideOutput { .. } => false,
    }
}
