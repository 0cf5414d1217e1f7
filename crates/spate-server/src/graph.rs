//! A job's graph with its edges, for `/jobs/:id/plan` and the dashboard's job graph. The
//! engine's live metrics name operators but not how they connect, so the graph comes from
//! planning the job's script again: the engine's [`OperatorGraph`] (operators with their
//! parallelism, inputs with their partitioning, chains), as data — the same types the engine
//! renders `EXPLAIN` from. Planning a script costs milliseconds, so [`GraphCache`] does it
//! once per job.
//!
//! Side outputs are operators of the graph but have no metrics of their own, so they are not
//! vertices: an edge leaving a side output leaves its parent, marked as such.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub use spate_engine::{OperatorEdge as GraphEdge, OperatorGraph, OperatorNode as GraphNode};

/// A job's operators and edges in graph order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobGraph {
    /// The operators, numbered from 0.
    pub nodes: Vec<GraphNode>,
}

impl From<OperatorGraph> for JobGraph {
    fn from(graph: OperatorGraph) -> Self {
        Self { nodes: graph.nodes }
    }
}

impl JobGraph {
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
        let graph = crate::script::operator_graph(sql, bootstrap)
            .ok()
            .map(|g| Arc::new(JobGraph::from(g)));
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

    /// A job script's graph, planned: datagen -> calc (chained) -> window (HASH) -> print.
    #[test]
    fn a_scripts_graph_has_its_operators_edges_and_chains() {
        let sql = "SET 'parallelism.default' = '2';
CREATE TABLE gen (k INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'datagen');
CREATE TABLE out (k INT, c BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO out SELECT k, COUNT(*) FROM TABLE(TUMBLE(TABLE gen, DESCRIPTOR(ts), INTERVAL '1' SECOND))
GROUP BY window_start, window_end, k;";
        let g = JobGraph::from(crate::script::operator_graph(sql, None).unwrap());
        assert!(g.nodes.len() >= 3, "{g:#?}");
        let window = g
            .nodes
            .iter()
            .position(|n| n.inputs.iter().any(|e| e.partitioning == "HASH"))
            .unwrap();
        assert!(!g.nodes[window].inputs[0].chained, "{g:#?}");
        assert_eq!(g.nodes[0].chain, 0);
        assert_eq!(g.vertex_ids().len(), g.nodes.len());
        assert_eq!(g.owner(window), window);
    }

    #[test]
    fn side_outputs_are_not_vertices_and_their_edges_leave_the_parent() {
        let node = |side_output_of, chain| GraphNode {
            name: "x".into(),
            uid: None,
            parallelism: 1,
            side_output_of,
            inputs: Vec::new(),
            chain,
        };
        let g = JobGraph {
            nodes: vec![node(None, 0), node(None, 0), node(Some(1), 0), node(None, 3)],
        };
        assert_eq!(g.vertex_ids(), vec![Some(0), Some(1), None, Some(2)]);
        assert_eq!(g.owner(2), 1);
        assert_eq!(g.owner(3), 3);
    }
}
