//! The Kafka side of the API: topics with their partitions and offsets, consumer groups with
//! their members, committed offsets and lag. Read through the Kafka protocol with an rdkafka
//! consumer (metadata, ListOffsets, ListGroups/DescribeGroups, OffsetFetch), so the same code
//! serves the embedded broker and an external cluster given with `--bootstrap`. Every call
//! blocks (up to [`TIMEOUT`] per request); the REST layer runs it on the blocking pool.

use std::collections::BTreeMap;
use std::time::Duration;

use rdkafka::Offset;
use rdkafka::TopicPartitionList;
use rdkafka::consumer::{BaseConsumer, Consumer};
use serde::Serialize;

use spate_distributed::{ASSIGNOR_NAME, KafkaSettings, job_status};
use spate_kafka_client::client_security::ClientSecurity;

use crate::cluster::Cluster;
use crate::error::{Result, ServerError};

/// How long one request to the cluster may take.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// One partition of a topic.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PartitionView {
    /// Partition number.
    pub partition: i32,
    /// The leader's broker id.
    pub leader: i32,
    /// The log start offset.
    pub low: i64,
    /// The high watermark (the next offset).
    pub high: i64,
    /// Records in the partition (`high - low`, transaction markers included).
    pub messages: i64,
    /// Bytes on disk (known for the embedded broker only).
    pub size: Option<u64>,
}

/// A topic.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TopicView {
    /// Its name.
    pub name: String,
    /// Whether it is internal (`__consumer_offsets`, ...).
    pub internal: bool,
    /// Its partitions.
    pub partitions: Vec<PartitionView>,
}

/// A group's committed offset of one partition.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct GroupOffset {
    /// Topic.
    pub topic: String,
    /// Partition.
    pub partition: i32,
    /// The committed offset.
    pub committed: i64,
    /// The partition's high watermark.
    pub end: i64,
    /// `end - committed` (0 when the group is ahead, as after a truncation).
    pub lag: i64,
}

/// A member of a group.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct MemberView {
    /// The member id the coordinator gave it.
    pub id: String,
    /// Its `client.id`.
    pub client_id: String,
    /// Where it connects from.
    pub client_host: String,
    /// A distributed Spate job's process: the tasks assigned to it (`stage_index`).
    pub tasks: Vec<String>,
}

/// A task of a distributed Spate job (a group whose assignor is `spate-tasks`).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TaskView {
    /// `stage_index`.
    pub task: String,
    /// The member id of its owner, if assigned.
    pub owner: Option<String>,
    /// The last checkpoint it committed.
    pub checkpoint: Option<u64>,
    /// Offsets behind its inputs' last stable offsets.
    pub lag: i64,
    /// Its input partitions (sources and repartition topics).
    pub inputs: Vec<GroupOffset>,
}

/// A consumer group.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct GroupView {
    /// The group id.
    pub group: String,
    /// Its state (`Stable`, `Empty`, ...).
    pub state: String,
    /// The protocol type (`consumer` for consumer groups).
    pub protocol_type: String,
    /// Its members.
    pub members: Vec<MemberView>,
    /// Committed offsets of partitions of existing topics (of a distributed Spate job: its
    /// tasks' inputs).
    pub offsets: Vec<GroupOffset>,
    /// Total lag over its partitions.
    pub lag: i64,
    /// A distributed Spate job's tasks; empty for other groups.
    pub tasks: Vec<TaskView>,
}

fn consumer(cluster: &Cluster, group: &str) -> Result<BaseConsumer> {
    let bootstrap = &cluster.bootstrap;
    cluster
        .client_config()
        .set("group.id", group)
        .set("client.id", "spate-server")
        .set("enable.auto.commit", "false")
        .set("socket.connection.setup.timeout.ms", "5000")
        .set("log_level", "3")
        .create()
        .map_err(|e| ServerError::Kafka(format!("creating a client for {bootstrap}: {e}")))
}

fn kafka_error(bootstrap: &str, what: &str, e: rdkafka::error::KafkaError) -> ServerError {
    ServerError::Kafka(format!("{what} from {bootstrap}: {e}"))
}

/// Every topic with its partitions' offsets, by name. From the broker in this process when
/// there is one (its in-memory figures, with sizes: no client, so a dashboard polling this
/// costs next to nothing), else over the Kafka protocol.
pub fn topics(cluster: &Cluster) -> Result<Vec<TopicView>> {
    let bootstrap = cluster.bootstrap.as_str();
    if let Some(local) = spate_broker::local::find(bootstrap)
        && let Ok(topics) = local.topics()
    {
        return Ok(topics
            .into_iter()
            .map(|t| TopicView {
                internal: t.name.starts_with("__"),
                name: t.name,
                partitions: t
                    .partitions
                    .iter()
                    .map(|p| PartitionView {
                        partition: p.partition,
                        leader: 0,
                        low: p.log_start_offset,
                        high: p.high_watermark,
                        messages: p.high_watermark - p.log_start_offset,
                        size: Some(p.size_bytes),
                    })
                    .collect(),
            })
            .collect());
    }
    let c = consumer(cluster, "spate-server")?;
    topics_with(&c, bootstrap)
}

fn topics_with(c: &BaseConsumer, bootstrap: &str) -> Result<Vec<TopicView>> {
    let metadata = c
        .fetch_metadata(None, TIMEOUT)
        .map_err(|e| kafka_error(bootstrap, "reading metadata", e))?;
    let mut out = Vec::new();
    for t in metadata.topics() {
        if t.error().is_some() {
            continue;
        }
        let mut partitions = Vec::new();
        for p in t.partitions() {
            let (low, high) = c
                .fetch_watermarks(t.name(), p.id(), TIMEOUT)
                .map_err(|e| kafka_error(bootstrap, "reading offsets", e))?;
            partitions.push(PartitionView {
                partition: p.id(),
                leader: p.leader(),
                low,
                high,
                messages: high - low,
                size: None,
            });
        }
        partitions.sort_by_key(|p| p.partition);
        out.push(TopicView {
            name: t.name().to_string(),
            internal: t.name().starts_with("__"),
            partitions,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Every consumer group with its members, committed offsets and lag, by group id.
pub fn groups(cluster: &Cluster) -> Result<Vec<GroupView>> {
    let bootstrap = cluster.bootstrap.as_str();
    let c = consumer(cluster, "spate-server")?;
    let list = c
        .fetch_group_list(None, TIMEOUT)
        .map_err(|e| kafka_error(bootstrap, "listing groups", e))?;
    let topics: Vec<TopicView> = topics_with(&c, bootstrap)?
        .into_iter()
        .filter(|t| !t.internal)
        .collect();
    let mut out = Vec::new();
    for g in list.groups() {
        if g.protocol() == ASSIGNOR_NAME {
            out.push(distributed_job(cluster, g.name())?);
            continue;
        }
        let offsets = committed(cluster, g.name(), &topics)?;
        out.push(GroupView {
            group: g.name().to_string(),
            state: g.state().to_string(),
            protocol_type: g.protocol_type().to_string(),
            members: g
                .members()
                .iter()
                .map(|m| MemberView {
                    id: m.id().to_string(),
                    client_id: m.client_id().to_string(),
                    client_host: m.client_host().to_string(),
                    tasks: Vec::new(),
                })
                .collect(),
            lag: offsets.iter().map(|o| o.lag).sum(),
            offsets,
            tasks: Vec::new(),
        });
    }
    out.sort_by(|a, b| a.group.cmp(&b.group));
    Ok(out)
}

/// A distributed Spate job's group as [`spate_distributed::job_status`] reads it: members
/// with their tasks, and the tasks' inputs as the group's offsets (its changelog offsets are
/// checkpoint ids, not positions, so they count in no lag).
fn distributed_job(cluster: &Cluster, group: &str) -> Result<GroupView> {
    let properties: BTreeMap<String, String> = cluster.properties.iter().cloned().collect();
    let security = ClientSecurity::from_properties(&properties)
        .map_err(|e| ServerError::Kafka(format!("the cluster's client properties: {e}")))?;
    let status = job_status(&KafkaSettings {
        bootstrap: cluster.bootstrap.clone(),
        security,
        group: group.to_string(),
        replication_factor: -1,
        request_timeout: TIMEOUT,
    })
    .map_err(|e| ServerError::Kafka(format!("reading distributed job {group}: {e}")))?;
    let offset = |i: &spate_distributed::InputStatus| GroupOffset {
        topic: i.topic.clone(),
        partition: i.partition,
        committed: i.committed,
        end: i.end,
        lag: i.lag,
    };
    let tasks: Vec<TaskView> = status
        .tasks
        .iter()
        .map(|t| TaskView {
            task: t.task.to_string(),
            owner: t.owner.clone(),
            checkpoint: t.checkpoint,
            lag: t.lag,
            inputs: t.inputs.iter().map(offset).collect(),
        })
        .collect();
    Ok(GroupView {
        group: status.group,
        state: status.state,
        protocol_type: "consumer".into(),
        members: status
            .members
            .into_iter()
            .map(|m| MemberView {
                client_id: m.client_id,
                id: m.member_id,
                client_host: m.client_host,
                tasks: m.tasks.iter().map(ToString::to_string).collect(),
            })
            .collect(),
        offsets: tasks.iter().flat_map(|t| t.inputs.iter().cloned()).collect(),
        lag: tasks.iter().map(|t| t.lag).sum(),
        tasks,
    })
}

/// The group's committed offsets (OffsetFetch, which does not join the group).
fn committed(cluster: &Cluster, group: &str, topics: &[TopicView]) -> Result<Vec<GroupOffset>> {
    let bootstrap = cluster.bootstrap.as_str();
    let mut tpl = TopicPartitionList::new();
    for t in topics {
        for p in &t.partitions {
            tpl.add_partition(&t.name, p.partition);
        }
    }
    if tpl.count() == 0 {
        return Ok(Vec::new());
    }
    let c = consumer(cluster, group)?;
    let committed = c
        .committed_offsets(tpl, TIMEOUT)
        .map_err(|e| kafka_error(bootstrap, &format!("reading group {group}'s offsets"), e))?;
    let mut out = Vec::new();
    for e in committed.elements() {
        let Offset::Offset(offset) = e.offset() else {
            continue;
        };
        let end = topics
            .iter()
            .find(|t| t.name == e.topic())
            .and_then(|t| t.partitions.iter().find(|p| p.partition == e.partition()))
            .map_or(offset, |p| p.high);
        out.push(GroupOffset {
            topic: e.topic().to_string(),
            partition: e.partition(),
            committed: offset,
            end,
            lag: (end - offset).max(0),
        });
    }
    Ok(out)
}
