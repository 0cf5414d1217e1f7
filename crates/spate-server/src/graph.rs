//! A job's graph with its edges, for `/jobs/:id/plan` and the dashboard's job graph. The
//! engine's live metrics name operators but not how they connect, so the graph is read from
//! the job script's `EXPLAIN` (the engine graph text of `StreamEnvironment::explain`: one
//! line per operator with its parallelism, inputs with their partitioning and `chained`).
//! Planning a script costs milliseconds, so [`GraphCache`] does it once per job.
//!
//! Operators are numbered as the engine numbers them; side outputs are operators of the
//! explain text but have no metrics of their own, so they are not vertices: an edge leaving
//! a side output leaves its parent, marked as such.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// One edge into an operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphEdge {
    /// The upstream operator (index in [`JobGraph::nodes`]).
    pub from: usize,
    /// How records cross it: `FORWARD`, `REBALANCE`, `HASH`, `BROADCAST`.
    pub partitioning: String,
    /// Whether the downstream operator runs in the upstream's task.
    pub chained: bool,
}

/// One operator of the graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphNode {
    /// The operator's name (as its metrics name it).
    pub name: String,
    /// Its subtasks.
    pub parallelism: usize,
    /// The operator whose side output this is, if it is one.
    pub side_output_of: Option<usize>,
    /// Its inputs.
    pub inputs: Vec<GraphEdge>,
    /// The first operator of the task (chain) it runs in; itself when it heads one.
    pub chain: usize,
}

/// A job's operators and edges in graph order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobGraph {
    /// The operators, numbered from 0 (the explain text numbers them from 1).
    pub nodes: Vec<GraphNode>,
}

impl JobGraph {
    /// Reads the engine graph text; `None` when a line is not what `explain` writes.
    pub fn parse(text: &str) -> Option<Self> {
        let mut nodes: Vec<GraphNode> = Vec::new();
        for line in text.lines() {
            if line.starts_with("Tasks:") {
                break;
            }
            if line.trim().is_empty() {
                continue;
            }
            let node = parse_line(line, nodes.len())?;
            let chain = chain_of(&node, &nodes, nodes.len())?;
            nodes.push(GraphNode { chain, ..node });
        }
        Some(Self { nodes })
    }

    /// The vertex index of each operator (`None` for side outputs): vertices are the
    /// operators that have metrics, in graph order.
    pub fn vertex_ids(&self) -> Vec<Option<usize>> {
        let mut next = 0;
        self.nodes
            .iter()
            .map(|n| {
                n.side_output_of.is_none().then(|| {
                    next += 1;
                    next - 1
                })
            })
            .collect()
    }

    /// The operator that carries `node`'s metrics: itself, or for a side output its parent.
    pub fn owner(&self, mut node: usize) -> usize {
        // Bounded by the node count: a parent always comes before its side output.
        for _ in 0..self.nodes.len() {
            match self.nodes.get(node).and_then(|n| n.side_output_of) {
                Some(parent) if parent < node => node = parent,
                _ => break,
            }
        }
        node
    }
}

/// `[n] name (uid u), parallelism=p, side output of [m], input [k] HASH chained, ...`
fn parse_line(line: &str, index: usize) -> Option<GraphNode> {
    let rest = line.strip_prefix(&format!("[{}] ", index + 1))?;
    let (name, fields) = rest.split_once(", parallelism=")?;
    let name = match name.rfind(" (uid ") {
        Some(at) if name.ends_with(')') => &name[..at],
        _ => name,
    };
    let mut fields = fields.split(", ");
    let parallelism = fields.next()?.parse().ok()?;
    let mut side_output_of = None;
    let mut inputs = Vec::new();
    for field in fields {
        if let Some(parent) = field.strip_prefix("side output of ") {
            side_output_of = Some(operator_ref(parent)?);
        } else if let Some(edge) = field.strip_prefix("input ") {
            let mut words = edge.split(' ');
            let from = operator_ref(words.next()?)?;
            let partitioning = words.next()?.to_string();
            let chained = words.next() == Some("chained");
            inputs.push(GraphEdge {
                from,
                partitioning,
                chained,
            });
        }
    }
    Some(GraphNode {
        name: name.to_string(),
        parallelism,
        side_output_of,
        inputs,
        chain: index,
    })
}

/// `[n]` → index n - 1.
fn operator_ref(text: &str) -> Option<usize> {
    text.strip_prefix('[')?
        .strip_suffix(']')?
        .parse::<usize>()
        .ok()?
        .checked_sub(1)
}

/// The chain head of a new node, by the explain rule: a side output runs in its parent's
/// task, a chained input puts the node in its upstream's task. Upstream nodes come first.
fn chain_of(node: &GraphNode, before: &[GraphNode], index: usize) -> Option<usize> {
    let mut chain = index;
    if node.inputs.iter().any(|e| e.from >= index) {
        return None;
    }
    if let Some(parent) = node.side_output_of {
        chain = before.get(parent)?.chain;
    }
    for edge in node.inputs.iter().filter(|e| e.chained) {
        chain = before.get(edge.from)?.chain;
    }
    Some(chain)
}

/// Each job's graph, planned once (on first request) and kept. `None` when the script no
/// longer plans (a table's cluster is gone): the plan is then shown without edges.
#[derive(Debug, Default)]
pub struct GraphCache {
    graphs: Mutex<HashMap<String, Option<Arc<JobGraph>>>>,
}

impl GraphCache {
    /// The cached graph of `job`, if it was planned already (`Some(None)`: planning failed).
    pub fn get(&self, job: &str) -> Option<Option<Arc<JobGraph>>> {
        self.graphs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(job)
            .cloned()
    }

    /// Plans `sql` (blocking) and caches the graph under `job`.
    pub fn plan(&self, job: &str, sql: &str, bootstrap: Option<&str>) -> Option<Arc<JobGraph>> {
        let graph = crate::script::engine_graph(sql, bootstrap)
            .ok()
            .and_then(|text| JobGraph::parse(&text))
            .map(Arc::new);
        self.graphs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(job.to_string(), graph.clone());
        graph
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "[1] datagen: gen, parallelism=1
[2] Calc(a, b), parallelism=1, input [1] FORWARD chained
[3] late data, parallelism=1, side output of [2]
[4] Window(TUMBLE, COUNT) (uid w), parallelism=2, input [2] HASH
[5] print, parallelism=1, input [3] REBALANCE, input [4] REBALANCE
Tasks:
  [1] -> [2] -> [3] x1 (datagen: gen)
";

    #[test]
    fn explain_text_gives_operators_edges_and_chains() {
        let g = JobGraph::parse(TEXT).unwrap();
        assert_eq!(g.nodes.len(), 5);
        assert_eq!(g.nodes[1].name, "Calc(a, b)");
        assert_eq!(g.nodes[3].name, "Window(TUMBLE, COUNT)");
        assert_eq!(g.nodes[3].parallelism, 2);
        assert_eq!(
            g.nodes[3].inputs,
            vec![GraphEdge {
                from: 1,
                partitioning: "HASH".into(),
                chained: false
            }]
        );
        assert_eq!(
            g.nodes.iter().map(|n| n.chain).collect::<Vec<_>>(),
            vec![0, 0, 0, 3, 4]
        );
        assert_eq!(g.vertex_ids(), vec![Some(0), Some(1), None, Some(2), Some(3)]);
        assert_eq!(g.owner(2), 1);
        assert_eq!(g.owner(4), 4);
    }

    #[test]
    fn text_that_is_not_explain_output_is_refused() {
        assert!(JobGraph::parse("[2] x, parallelism=1").is_none());
        assert!(JobGraph::parse("[1] x, parallelism=one").is_none());
        assert!(JobGraph::parse("[1] x, parallelism=1, input [9] HASH").is_none());
    }
}
