//! [`JobTopology`]: a job cut into stages and tasks, for running one job on several processes.
//!
//! A *stage* is a part of the job graph whose operators are joined by forward edges (equal
//! parallelism, subtask `i` to subtask `i`) or side outputs: all of it runs for one subtask
//! index without talking to another index. Every hash, rebalance or broadcast edge is an
//! *exchange* between two stages. A *task* is one stage at one subtask index, so a stage of
//! parallelism `p` has tasks `0..p`, and task `i` of a keyed stage owns exactly the key
//! groups subtask `i` owns in one process. Stages are numbered by their first operator, so
//! the numbering depends only on the job.
//!
//! The [`JobTopology::fingerprint`] hashes the whole operator graph (names, uids, parallelism,
//! edges): two processes share tasks only if their fingerprints agree.

use std::collections::HashMap;

use crate::error::EngineError;
use crate::exchange::TaskScope;
use crate::explain::OperatorGraph;
use crate::plan::{DistributedPlan, JobResult, exchange_uid, execute, state_uid};
use crate::source::LogOffsetsFn;
use crate::stream::StreamEnvironment;

impl StreamEnvironment {
    /// The job cut into stages and tasks, for running it on several processes. Fails as
    /// [`Self::operator_graph`] does.
    pub fn topology(&self) -> Result<JobTopology, EngineError> {
        Ok(JobTopology::of(&self.operator_graph()?))
    }

    /// How each source's checkpointed positions read as log offsets, by the uid its
    /// positions are checkpointed under ([`Source::log_offsets`](crate::Source::log_offsets)).
    pub fn source_log_offsets(&self) -> HashMap<String, LogOffsetsFn> {
        let graph = self.shared.graph.borrow();
        graph
            .log_offsets
            .iter()
            .filter_map(|(&id, &read)| {
                let node = graph.nodes.get(id)?;
                Some((state_uid(id, &node.name, node.uid.as_deref()), read))
            })
            .collect()
    }

    /// Runs the tasks `scope` owns of this job (see [`crate::exchange`]): every process of a
    /// distributed job builds the same job and runs its share; records crossing stages go
    /// through `scope.transport`, whose stream types must be registered with
    /// [`Self::exchange_type`]. Returns when the owned tasks finished.
    pub fn execute_tasks(&self, scope: TaskScope) -> Result<JobResult, EngineError> {
        let topology = self.topology()?;
        let plan = DistributedPlan {
            owned: scope.owned,
            stage_of: topology.stage_of.clone(),
            exchanges: topology
                .exchanges
                .iter()
                .enumerate()
                .map(|(i, e)| ((e.to, e.input), i))
                .collect(),
            transport: scope.transport,
            publisher: scope.publisher,
            wire_types: self.shared.wire_types.borrow().clone(),
        };
        let graph = self.shared.graph.borrow();
        let config = self.shared.config.borrow();
        let run = self.shared.run.borrow().clone();
        execute(&graph, &config, &run, Some(&plan))
    }
}

/// One stage (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    /// The stage's number, from 0.
    pub id: u32,
    /// Its parallelism: the number of its tasks.
    pub parallelism: usize,
    /// Its operators (indexes in [`OperatorGraph::nodes`]), ascending.
    pub operators: Vec<usize>,
}

/// An edge between two stages: in one process a channel per pair of subtasks, across
/// processes a repartition topic with a partition per downstream task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    /// The upstream operator.
    pub from: usize,
    /// The downstream operator.
    pub to: usize,
    /// Which input of the downstream operator.
    pub input: usize,
    /// `HASH`, `REBALANCE` or `BROADCAST`.
    pub partitioning: String,
    /// The upstream stage.
    pub from_stage: u32,
    /// The downstream stage.
    pub to_stage: u32,
}

/// A job's stages, the exchanges between them and its fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobTopology {
    /// The stages, by number.
    pub stages: Vec<Stage>,
    /// The exchanges, in the order of their downstream operator and input.
    pub exchanges: Vec<Exchange>,
    /// A hash of the operator graph (FNV-1a over its canonical text).
    pub fingerprint: u64,
    stage_of: Vec<u32>,
    /// State uid → stage (operators, and exchange receivers at their downstream stage).
    state_stage: HashMap<String, u32>,
}

impl JobTopology {
    /// Cuts `graph` into stages.
    pub fn of(graph: &OperatorGraph) -> Self {
        let n = graph.nodes.len();
        let mut parent: Vec<usize> = (0..n).collect();
        for (id, node) in graph.nodes.iter().enumerate() {
            if let Some(p) = node.side_output_of {
                union(&mut parent, id, p);
            }
            for edge in &node.inputs {
                if edge.partitioning == "FORWARD" {
                    union(&mut parent, id, edge.from);
                }
            }
        }
        // Number the stages by their first operator.
        let mut number: Vec<Option<u32>> = vec![None; n];
        let mut stage_of = vec![0u32; n];
        let mut stages: Vec<Stage> = Vec::new();
        for (id, node) in graph.nodes.iter().enumerate() {
            let root = find(&mut parent, id);
            let s = *number[root].get_or_insert_with(|| {
                stages.push(Stage {
                    id: stages.len() as u32,
                    parallelism: node.parallelism,
                    operators: Vec::new(),
                });
                stages.len() as u32 - 1
            });
            stage_of[id] = s;
            stages[s as usize].operators.push(id);
        }
        let mut exchanges = Vec::new();
        for (id, node) in graph.nodes.iter().enumerate() {
            for (input, edge) in node.inputs.iter().enumerate() {
                if edge.partitioning != "FORWARD" {
                    exchanges.push(Exchange {
                        from: edge.from,
                        to: id,
                        input,
                        partitioning: edge.partitioning.clone(),
                        from_stage: stage_of[edge.from],
                        to_stage: stage_of[id],
                    });
                }
            }
        }
        let mut state_stage: HashMap<String, u32> = graph
            .nodes
            .iter()
            .enumerate()
            .map(|(id, node)| (state_uid(id, &node.name, node.uid.as_deref()), stage_of[id]))
            .collect();
        for (e, ex) in exchanges.iter().enumerate() {
            state_stage.insert(exchange_uid(e).to_string(), ex.to_stage);
        }
        JobTopology {
            stages,
            exchanges,
            fingerprint: fingerprint(graph),
            stage_of,
            state_stage,
        }
    }

    /// The stage of operator `operator`.
    pub fn stage_of(&self, operator: usize) -> u32 {
        self.stage_of[operator]
    }

    /// The stage whose tasks keep the state of `uid` (an operator's, or an exchange
    /// receiver's), or `None` for a uid the job does not have. Operator subtask `i` of that
    /// stage belongs to its task `i`.
    pub fn stage_of_state(&self, uid: &str) -> Option<u32> {
        self.state_stage.get(uid).copied()
    }

    /// Every task as `(stage, index)`, by stage then index.
    pub fn tasks(&self) -> Vec<(u32, u32)> {
        self.stages
            .iter()
            .flat_map(|s| (0..s.parallelism as u32).map(move |i| (s.id, i)))
            .collect()
    }
}

fn find(parent: &mut [usize], mut x: usize) -> usize {
    while parent[x] != x {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    x
}

fn union(parent: &mut [usize], a: usize, b: usize) {
    let (ra, rb) = (find(parent, a), find(parent, b));
    // The smaller index becomes the root, so a stage's root is its first operator.
    let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
    parent[hi] = lo;
}

/// FNV-1a (64 bit) over a canonical text of the graph: stable across processes, builds and
/// platforms, unlike `std`'s randomly keyed hasher.
fn fingerprint(graph: &OperatorGraph) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        // A separator, so ("ab", "c") and ("a", "bc") differ.
        h ^= 0xff;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    };
    for node in &graph.nodes {
        eat(node.name.as_bytes());
        eat(node.uid.as_deref().unwrap_or("").as_bytes());
        eat(&(node.parallelism as u64).to_be_bytes());
        eat(&node.side_output_of.map_or(u64::MAX, |p| p as u64).to_be_bytes());
        for e in &node.inputs {
            eat(&(e.from as u64).to_be_bytes());
            eat(e.partitioning.as_bytes());
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::window::WindowAssigner;
    use crate::{JobConfig, OutputTag, ProcessContext, StreamEnvironment};

    fn env(parallelism: usize) -> StreamEnvironment {
        StreamEnvironment::with_config(JobConfig {
            parallelism,
            ..JobConfig::default()
        })
    }

    #[test]
    fn a_keyed_window_job_is_cut_at_its_hash_and_rebalance_edges() {
        let env = env(4);
        env.from_sequence(0, 100)
            .map(|v| v % 7)
            .key_by(|v: &u64| *v)
            .window(WindowAssigner::tumbling(Duration::from_millis(10)))
            .count()
            .set_parallelism(3)
            .collect();
        let t = env.topology().unwrap();
        // The collecting sink runs at the default parallelism 4: a rebalance behind the
        // window, so a third stage.
        let stages: Vec<(usize, Vec<usize>)> = t
            .stages
            .iter()
            .map(|s| (s.parallelism, s.operators.clone()))
            .collect();
        assert_eq!(stages, [(4, vec![0, 1]), (3, vec![2]), (4, vec![3])]);
        let cuts: Vec<(&str, u32, u32)> = t
            .exchanges
            .iter()
            .map(|e| (e.partitioning.as_str(), e.from_stage, e.to_stage))
            .collect();
        assert_eq!(cuts, [("HASH", 0, 1), ("REBALANCE", 1, 2)]);
        assert_eq!(t.tasks().len(), 11);
        assert_eq!(t.tasks()[4], (1, 0));
        // State lives with its stage: the window's (derived uid), the exchange receivers'
        // at their downstream stage.
        assert_eq!(t.stage_of_state("2-window-aggregate"), Some(1), "{t:?}");
        assert_eq!(t.stage_of_state("exchange-0"), Some(1));
        assert_eq!(t.stage_of_state("exchange-1"), Some(2));
        assert_eq!(t.stage_of_state("nope"), None);
    }

    #[test]
    fn side_outputs_and_forward_unions_stay_in_their_stage_and_rebalances_cut() {
        let env = env(2);
        let small = OutputTag::<u64>::new("small");
        let tag = small.clone();
        let big = env
            .from_sequence(0, 10)
            .process(move |v: u64, ctx: &mut ProcessContext<'_, u64>| {
                if v < 5 {
                    ctx.output(&tag, v);
                } else {
                    ctx.collect(v);
                }
            });
        let both = big.union(&[big.side_output(&small)]);
        both.rebalance().map(|v| v + 1).collect();
        let t = env.topology().unwrap();
        assert_eq!(t.stages.len(), 2, "{t:?}");
        assert_eq!(t.exchanges.len(), 1);
        assert_eq!(t.exchanges[0].partitioning, "REBALANCE");
        assert_eq!(t.stage_of(t.exchanges[0].from), 0);
        assert_eq!(t.stage_of(t.exchanges[0].to), 1);
    }

    #[test]
    fn the_fingerprint_follows_the_graph() {
        let job = |p: usize, name: &str| {
            let env = env(p);
            env.from_sequence(0, 10).map(|v| v).name(name).collect();
            env.topology().unwrap().fingerprint
        };
        assert_eq!(job(2, "m"), job(2, "m"));
        assert_ne!(job(2, "m"), job(3, "m"));
        assert_ne!(job(2, "m"), job(2, "n"));
    }
}
