//! [`job_status`]: a distributed job as Kafka sees it — the group's members, the tasks each
//! owns, and per task its last committed checkpoint and how far behind its inputs it is.
//!
//! Everything is read from the group, so it works from any machine with only the bootstrap
//! address and the group name: DescribeGroups (members, and their assignments in Spate's
//! assignor encoding), OffsetFetch of every committed offset (inputs carry the metadata
//! `spate task S_I`, changelog partitions the task's checkpoint id, see [`crate::publish`]),
//! and ListOffsets of each input partition's last stable offset. Lag is counted in offsets
//! up to the last stable offset, so a repartition topic's transaction markers count too: a
//! caught-up task shows a lag of at most a few markers.

use std::collections::{BTreeMap, HashMap};

use spate_group::TaskId;
use spate_group::member_data::{MemberAssignment, MemberSubscription};
use spate_kafka_client::consumer_protocol::{Assignment, Subscription};
use spate_kafka_client::{BrokerConnection, describe_group, fetch_all_committed_offsets};

use crate::error::DistributedError;
use crate::publish::{CHECKPOINT_OFFSET_METADATA, parse_input_offset_metadata};
use crate::topics::{KafkaSettings, connect_first};

/// A distributed job's group and tasks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobStatus {
    /// The group.
    pub group: String,
    /// The group's state (`Stable`, `PreparingRebalance`, `Empty`, ...).
    pub state: String,
    /// The assignor the group chose (`spate-tasks` for a Spate job).
    pub protocol: String,
    /// The generation of the members' assignments (-1 when none is known).
    pub generation: i32,
    /// The members, by member id.
    pub members: Vec<MemberStatus>,
    /// Every task known from an assignment or a committed offset, by stage then index.
    pub tasks: Vec<TaskStatus>,
}

/// One process of the job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberStatus {
    /// The member id the coordinator gave it.
    pub member_id: String,
    /// Its static instance id, if it has one.
    pub instance_id: Option<String>,
    /// Its `client.id`.
    pub client_id: String,
    /// Where it connects from.
    pub client_host: String,
    /// What it says it is (host and process id).
    pub process: String,
    /// The tasks assigned to it.
    pub tasks: Vec<TaskId>,
}

/// One task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskStatus {
    /// The task.
    pub task: TaskId,
    /// The member id of its owner, if it is assigned.
    pub owner: Option<String>,
    /// The last checkpoint it committed.
    pub checkpoint: Option<u64>,
    /// Its inputs: source partitions and repartition partitions it read and committed.
    pub inputs: Vec<InputStatus>,
    /// The sum of its inputs' lag.
    pub lag: i64,
}

/// One input partition of a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputStatus {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: i32,
    /// The committed next offset.
    pub committed: i64,
    /// The partition's last stable offset.
    pub end: i64,
    /// `end - committed`, at least 0.
    pub lag: i64,
}

/// Reads the status of the job whose group `kafka.group` names (see the module docs).
pub fn job_status(kafka: &KafkaSettings) -> Result<JobStatus, DistributedError> {
    let (bootstrap, group, timeout) = (&kafka.bootstrap, &kafka.group, kafka.request_timeout);
    let described = describe_group(bootstrap, &kafka.security, group, timeout)
        .map_err(DistributedError::kafka(format!("describing group {group}")))?;
    let offsets = fetch_all_committed_offsets(bootstrap, &kafka.security, group, timeout).map_err(
        DistributedError::kafka(format!("reading group {group}'s offsets")),
    )?;
    let mut generation = -1;
    let mut members = Vec::with_capacity(described.members.len());
    let mut tasks: BTreeMap<TaskId, TaskStatus> = BTreeMap::new();
    for m in described.members {
        let assignment = spate_assignment(&m.assignment);
        let process = Subscription::decode(&m.metadata)
            .ok()
            .and_then(|s| MemberSubscription::decode(&s.user_data).ok())
            .map(|s| s.process)
            .unwrap_or_default();
        generation = generation.max(assignment.generation);
        for t in &assignment.tasks {
            task_entry(&mut tasks, *t).owner = Some(m.member_id.clone());
        }
        members.push(MemberStatus {
            member_id: m.member_id,
            instance_id: m.instance_id,
            client_id: m.client_id,
            client_host: m.client_host,
            process,
            tasks: assignment.tasks,
        });
    }
    members.sort_by(|a, b| a.member_id.cmp(&b.member_id));
    let mut ends = LastStableOffsets::new(kafka);
    for (topic, partition, committed) in offsets {
        if committed.metadata == CHECKPOINT_OFFSET_METADATA {
            if let (Some(stage), Ok(index)) = (changelog_stage(&topic), u32::try_from(partition)) {
                task_entry(&mut tasks, TaskId::new(stage, index)).checkpoint =
                    u64::try_from(committed.offset).ok();
            }
        } else if let Some((stage, index)) = parse_input_offset_metadata(&committed.metadata) {
            let end = ends.get(&topic, partition)?;
            let lag = (end - committed.offset).max(0);
            let task = task_entry(&mut tasks, TaskId::new(stage, index));
            task.lag += lag;
            task.inputs.push(InputStatus {
                topic,
                partition,
                committed: committed.offset,
                end,
                lag,
            });
        }
    }
    Ok(JobStatus {
        group: described.group,
        state: described.state,
        protocol: described.protocol,
        generation,
        members,
        tasks: tasks.into_values().collect(),
    })
}

/// A member's assignment in Spate's encoding; empty for a member without one (joining) or
/// of another assignor.
fn spate_assignment(bytes: &[u8]) -> MemberAssignment {
    Assignment::decode(bytes)
        .ok()
        .and_then(|a| MemberAssignment::decode(&a.user_data).ok())
        .unwrap_or(MemberAssignment {
            generation: -1,
            tasks: Vec::new(),
        })
}

fn task_entry(tasks: &mut BTreeMap<TaskId, TaskStatus>, task: TaskId) -> &mut TaskStatus {
    tasks.entry(task).or_insert_with(|| TaskStatus {
        task,
        owner: None,
        checkpoint: None,
        inputs: Vec::new(),
        lag: 0,
    })
}

/// The stage a changelog topic `<group>-stage-<s>-changelog` belongs to.
fn changelog_stage(topic: &str) -> Option<u32> {
    let (_, stage) = topic.strip_suffix("-changelog")?.rsplit_once("-stage-")?;
    stage.parse().ok()
}

/// Last stable offsets, one connection per partition leader.
struct LastStableOffsets<'k> {
    kafka: &'k KafkaSettings,
    bootstrap: Option<BrokerConnection>,
    leaders: HashMap<(String, i32), BrokerConnection>,
}

impl<'k> LastStableOffsets<'k> {
    fn new(kafka: &'k KafkaSettings) -> Self {
        Self {
            kafka,
            bootstrap: None,
            leaders: HashMap::new(),
        }
    }

    fn get(&mut self, topic: &str, partition: i32) -> Result<i64, DistributedError> {
        let what = || format!("reading the end of {topic}-{partition}");
        let (timeout, security) = (self.kafka.request_timeout, &self.kafka.security);
        let bootstrap = match &mut self.bootstrap {
            Some(c) => c,
            None => self.bootstrap.insert(connect_first(self.kafka)?),
        };
        let leader = bootstrap
            .leader_of(topic, partition)
            .map_err(DistributedError::kafka(what()))?;
        let conn = match self.leaders.entry(leader) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                let address = format!("{}:{}", e.key().0, e.key().1);
                let conn = BrokerConnection::connect_secured(&address, timeout, security)
                    .map_err(DistributedError::kafka(format!("connecting to {address}")))?;
                e.insert(conn)
            }
        };
        conn.list_offset(topic, partition, -1, true)
            .map_err(DistributedError::kafka(what()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changelog_topics_name_their_stage() {
        assert_eq!(changelog_stage("wc-stage-3-changelog"), Some(3));
        assert_eq!(changelog_stage("my-stage-job-stage-12-changelog"), Some(12));
        assert_eq!(changelog_stage("wc-exchange-0"), None);
        assert_eq!(changelog_stage("wc-stage-x-changelog"), None);
    }

    #[test]
    fn a_foreign_assignment_is_empty() {
        assert!(spate_assignment(b"").tasks.is_empty());
        assert!(spate_assignment(&[0, 1, 2]).tasks.is_empty());
        let ours = Assignment {
            partitions: Vec::new(),
            user_data: MemberAssignment {
                generation: 4,
                tasks: vec![TaskId::new(0, 1), TaskId::new(1, 1)],
            }
            .encode(),
        }
        .encode()
        .expect("encode");
        let read = spate_assignment(&ours);
        assert_eq!((read.generation, read.tasks.len()), (4, 2));
    }
}
