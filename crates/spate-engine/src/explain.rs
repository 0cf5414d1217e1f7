//! [`StreamEnvironment::operator_graph`] and [`StreamEnvironment::explain`]: the job graph as it
//! would run, as data and as text, without running it (what Flink shows as a job's execution
//! plan).
//!
//! One line per operator, numbered in the order the job added them: its name (and `uid` when
//! set), its parallelism, and per input edge the upstream operator and how records cross it
//! (`FORWARD`, `REBALANCE`, `HASH`, `BROADCAST`), with `chained` when the downstream operator
//! is called directly in the upstream's task (the planner's rule, `plan::is_chained`). Then
//! the tasks: each chain of operators that runs as one task, with its parallelism. Operators
//! reached through a side output print `side output of [n]`.

use std::fmt::Write;

use crate::error::EngineError;
use crate::graph::{NodeKind, Partitioning};
use crate::plan::{effective_parallelism, is_chained, resolve_partitioning};
use crate::stream::StreamEnvironment;

fn partitioning_name(p: Partitioning) -> &'static str {
    match p {
        Partitioning::Default | Partitioning::Forward => "FORWARD",
        Partitioning::Rebalance => "REBALANCE",
        Partitioning::Broadcast => "BROADCAST",
        Partitioning::Hash => "HASH",
    }
}

/// One input edge of an operator in an [`OperatorGraph`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OperatorEdge {
    /// The upstream operator (index in [`OperatorGraph::nodes`]).
    pub from: usize,
    /// How records cross it: `FORWARD`, `REBALANCE`, `HASH`, `BROADCAST`.
    pub partitioning: String,
    /// Whether the downstream operator runs in the upstream's task (called directly).
    pub chained: bool,
}

/// One operator of an [`OperatorGraph`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OperatorNode {
    /// Its name (as its metrics name it).
    pub name: String,
    /// Its `uid`, when set.
    pub uid: Option<String>,
    /// Its subtasks.
    pub parallelism: usize,
    /// The operator whose side output this is, if it is one (it has no metrics of its own).
    pub side_output_of: Option<usize>,
    /// Its inputs.
    pub inputs: Vec<OperatorEdge>,
    /// The first operator of the task (chain) it runs in; itself when it heads one.
    pub chain: usize,
}

/// The job graph as it would run: operators in the order the job added them, with their
/// parallelism, edges and chains (what [`StreamEnvironment::explain`] prints, for programs:
/// `spate server` draws a job's graph from it).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OperatorGraph {
    /// The operators, numbered from 0 (the explain text numbers them from 1).
    pub nodes: Vec<OperatorNode>,
}

impl StreamEnvironment {
    /// The job graph built so far, as it would run: operators with parallelism, the
    /// partitioning of every edge and which operators are chained into one task. Fails as
    /// [`execute`](Self::execute) would on an operator with parallelism 0.
    pub fn operator_graph(&self) -> Result<OperatorGraph, EngineError> {
        let graph = self.shared.graph.borrow();
        let config = self.shared.config.borrow();
        let parallelism = effective_parallelism(&graph, &config)?;
        let mut nodes: Vec<OperatorNode> = Vec::with_capacity(graph.nodes.len());
        for (id, node) in graph.nodes.iter().enumerate() {
            let mut chain = id;
            let side_output_of = match node.kind {
                NodeKind::SideOutput { parent, .. } => {
                    chain = nodes[parent].chain;
                    Some(parent)
                }
                _ => None,
            };
            let mut inputs = Vec::with_capacity(node.inputs.len());
            for edge in &node.inputs {
                let kind = resolve_partitioning(edge.partitioning, parallelism[edge.from], parallelism[id]);
                let chained = is_chained(kind, node);
                if chained {
                    chain = nodes[edge.from].chain;
                }
                inputs.push(OperatorEdge {
                    from: edge.from,
                    partitioning: partitioning_name(kind).to_string(),
                    chained,
                });
            }
            nodes.push(OperatorNode {
                name: node.name.clone(),
                uid: node.uid.clone(),
                parallelism: parallelism[id],
                side_output_of,
                inputs,
                chain,
            });
        }
        Ok(OperatorGraph { nodes })
    }

    /// [`Self::operator_graph`] as text: one line per operator (numbered from 1, with its
    /// `uid`, parallelism, side-output parent and input edges), then the tasks (each chain with
    /// its parallelism).
    pub fn explain(&self) -> Result<String, EngineError> {
        let graph = self.operator_graph()?;
        let mut out = String::new();
        for (id, node) in graph.nodes.iter().enumerate() {
            let _ = write!(out, "[{}] {}", id + 1, node.name);
            if let Some(uid) = &node.uid {
                let _ = write!(out, " (uid {uid})");
            }
            let _ = write!(out, ", parallelism={}", node.parallelism);
            if let Some(parent) = node.side_output_of {
                let _ = write!(out, ", side output of [{}]", parent + 1);
            }
            for edge in &node.inputs {
                let _ = write!(out, ", input [{}] {}", edge.from + 1, edge.partitioning);
                if edge.chained {
                    out.push_str(" chained");
                }
            }
            out.push('\n');
        }
        out.push_str("Tasks:\n");
        for (head, node) in graph.nodes.iter().enumerate() {
            if node.chain != head {
                continue;
            }
            let members: Vec<String> = (0..graph.nodes.len())
                .filter(|&n| graph.nodes[n].chain == head)
                .map(|n| format!("[{}]", n + 1))
                .collect();
            let _ = writeln!(
                out,
                "  {} x{} ({})",
                members.join(" -> "),
                node.parallelism,
                node.name
            );
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use crate::StreamEnvironment;

    #[test]
    fn explain_shows_parallelism_partitioning_and_chains() {
        let env = StreamEnvironment::new();
        env.set_parallelism(2);
        let counts = env
            .from_collection(vec![1u64, 2, 3])
            .set_parallelism(1)
            .map(|v: u64| v * 2)
            .set_parallelism(1)
            .key_by(|v: &u64| *v % 2)
            .reduce(|a: u64, b: u64| a + b)
            .uid("per-key");
        let _ = counts.map(|v: u64| v + 1).collect();
        let text = env.explain().unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[0].starts_with("[1] ") && lines[0].ends_with("parallelism=1"),
            "{text}"
        );
        assert!(
            lines[1].ends_with("parallelism=1, input [1] FORWARD chained"),
            "{text}"
        );
        assert!(
            lines[2].contains("(uid per-key), parallelism=2, input [2] HASH"),
            "{text}"
        );
        assert!(!lines[2].contains("chained"), "{text}");
        assert!(
            lines[3].ends_with("parallelism=2, input [3] FORWARD chained"),
            "{text}"
        );
        assert!(text.contains("Tasks:\n  [1] -> [2] x1 ("), "{text}");
        assert!(text.contains("  [3] -> [4] -> [5] x2 ("), "{text}");
    }
}
