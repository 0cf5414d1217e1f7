//! [`StreamEnvironment::explain`]: the job graph as it would run, in text, without running it
//! (what Flink shows as a job's execution plan).
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

impl StreamEnvironment {
    /// The job graph built so far, as it would run: operators with parallelism, the
    /// partitioning of every edge and which operators are chained into one task. Fails as
    /// [`execute`](Self::execute) would on an operator with parallelism 0.
    pub fn explain(&self) -> Result<String, EngineError> {
        let graph = self.shared.graph.borrow();
        let config = self.shared.config.borrow();
        let parallelism = effective_parallelism(&graph, &config)?;
        let mut out = String::new();
        // chain_head[n]: the operator whose task n runs in (n itself when it heads a task).
        let mut chain_head: Vec<usize> = (0..graph.nodes.len()).collect();
        for (id, node) in graph.nodes.iter().enumerate() {
            let _ = write!(out, "[{}] {}", id + 1, node.name);
            if let Some(uid) = &node.uid {
                let _ = write!(out, " (uid {uid})");
            }
            let _ = write!(out, ", parallelism={}", parallelism[id]);
            if let NodeKind::SideOutput { parent, .. } = node.kind {
                let _ = write!(out, ", side output of [{}]", parent + 1);
                chain_head[id] = chain_head[parent];
            }
            for edge in &node.inputs {
                let kind = resolve_partitioning(edge.partitioning, parallelism[edge.from], parallelism[id]);
                let _ = write!(out, ", input [{}] {}", edge.from + 1, partitioning_name(kind));
                if is_chained(kind, node) {
                    out.push_str(" chained");
                    chain_head[id] = chain_head[edge.from];
                }
            }
            out.push('\n');
        }
        out.push_str("Tasks:\n");
        for (head, node) in graph.nodes.iter().enumerate() {
            if chain_head[head] != head {
                continue;
            }
            let members: Vec<String> = (0..graph.nodes.len())
                .filter(|&n| chain_head[n] == head)
                .map(|n| format!("[{}]", n + 1))
                .collect();
            let _ = writeln!(
                out,
                "  {} x{} ({})",
                members.join(" -> "),
                parallelism[head],
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
