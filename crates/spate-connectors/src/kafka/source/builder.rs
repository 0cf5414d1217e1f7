//! How a Kafka source is configured: which topics, where to start, bounded or not, client
//! properties, the deserializer; [`KafkaSourceBuilder`] checks them and builds the source.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use super::KafkaSource;
use crate::ConnectorError;
use crate::kafka::message::KafkaMessage;

/// Which topics a source reads.
#[derive(Debug, Clone)]
pub enum TopicSelection {
    /// These topics.
    Topics(Vec<String>),
    /// Every topic whose whole name matches the regular expression.
    Pattern(regex::Regex),
}

impl TopicSelection {
    pub(super) fn matches(&self, topic: &str) -> bool {
        match self {
            TopicSelection::Topics(t) => t.iter().any(|t| t == topic),
            TopicSelection::Pattern(r) => r
                .find(topic)
                .is_some_and(|m| m.start() == 0 && m.end() == topic.len()),
        }
    }
}

/// Where a partition without a checkpointed position starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartingOffsets {
    /// The first retained record.
    Earliest,
    /// After the last record at start (only new records).
    Latest,
    /// The consumer group's committed offset; partitions without one use `reset`.
    Committed {
        /// Used where the group has no committed offset.
        reset: OffsetReset,
    },
    /// The first record with a timestamp at or after this one (milliseconds); partitions with
    /// no such record start at their end.
    Timestamp(i64),
    /// Explicit offsets per (topic, partition); partitions not listed use `reset`.
    Offsets {
        /// The offsets.
        offsets: HashMap<(String, i32), i64>,
        /// Used for partitions not listed.
        reset: OffsetReset,
    },
}

/// The fallback of [`StartingOffsets::Committed`] and [`StartingOffsets::Offsets`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetReset {
    /// The first retained record.
    Earliest,
    /// The end of the partition.
    Latest,
}

/// How a source reads records (its control plane — metadata, starting offsets, partition
/// discovery, offset commits — always goes through the Kafka client).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReadPath {
    /// Straight from the partition logs when the bootstrap servers name a Spate broker running
    /// in this process (whole stored batches, no socket, no per-message client work), else
    /// through Spate's protocol fetcher ([`ReadPath::Fetch`]), or through the Kafka client
    /// when the properties need what only the client supports (SASL mechanisms other than
    /// PLAIN and SCRAM, Java key stores, ...).
    #[default]
    Auto,
    /// Always through the Kafka client (librdkafka), even from a broker in this process.
    Client,
    /// Through Spate's own fetcher on the Kafka protocol, for any Kafka cluster: whole record
    /// batches per Fetch, decoded in the task like the direct path's, with no per-message
    /// client work. The control plane (metadata, starting offsets, commits) stays on the client.
    Fetch,
}

/// Turns a consumed message into a record value.
pub type Deserializer<T> = Arc<dyn Fn(&KafkaMessage<'_>) -> Result<T, ConnectorError> + Send + Sync>;

/// Builds a [`KafkaSource`].
pub struct KafkaSourceBuilder<T> {
    pub(super) bootstrap_servers: String,
    pub(super) group_id: String,
    pub(super) topics: Option<TopicSelection>,
    pub(super) starting: StartingOffsets,
    pub(super) bounded: bool,
    pub(super) discovery_interval: Option<Duration>,
    pub(super) properties: Vec<(String, String)>,
    pub(super) deserializer: Deserializer<T>,
    pub(super) read_path: ReadPath,
}

impl<T> std::fmt::Debug for KafkaSourceBuilder<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaSourceBuilder")
            .field("bootstrap_servers", &self.bootstrap_servers)
            .field("group_id", &self.group_id)
            .field("topics", &self.topics)
            .field("starting", &self.starting)
            .field("bounded", &self.bounded)
            .field("read_path", &self.read_path)
            .finish_non_exhaustive()
    }
}

impl<T> KafkaSourceBuilder<T> {
    /// Reads these topics.
    pub fn topics<S: Into<String>>(mut self, topics: impl IntoIterator<Item = S>) -> Self {
        self.topics = Some(TopicSelection::Topics(
            topics.into_iter().map(Into::into).collect(),
        ));
        self
    }

    /// Reads every topic whose whole name matches `pattern` (new matching topics are picked up
    /// by partition discovery).
    pub fn topic_pattern(mut self, pattern: &str) -> Result<Self, ConnectorError> {
        let r =
            regex::Regex::new(pattern).map_err(|e| ConnectorError::Config(format!("topic pattern: {e}")))?;
        self.topics = Some(TopicSelection::Pattern(r));
        Ok(self)
    }

    /// Where partitions without a checkpointed position start (default: earliest).
    pub fn starting_offsets(mut self, starting: StartingOffsets) -> Self {
        self.starting = starting;
        self
    }

    /// Stops at the end offsets read when the subtask opens (then `Finished`); disables
    /// partition discovery.
    pub fn bounded(mut self) -> Self {
        self.bounded = true;
        self
    }

    /// How often to look for new partitions of matching topics (default 30 s; `None`: never).
    pub fn partition_discovery(mut self, interval: Option<Duration>) -> Self {
        self.discovery_interval = interval;
        self
    }

    /// Sets an rdkafka consumer property (overrides the source's defaults, e.g.
    /// `isolation.level=read_uncommitted`).
    pub fn property(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.properties.push((key.into(), value.into()));
        self
    }

    /// How records are read (default [`ReadPath::Auto`]: from the log directly when the broker
    /// runs in this process, else through Spate's protocol fetcher).
    pub fn read_path(mut self, path: ReadPath) -> Self {
        self.read_path = path;
        self
    }

    /// The source. Fails when no topics were given.
    pub fn build(self) -> Result<KafkaSource<T>, ConnectorError> {
        let topics = self
            .topics
            .ok_or_else(|| ConnectorError::Config("a Kafka source needs topics or a topic pattern".into()))?;
        Ok(KafkaSource::unopened(KafkaSourceConfig {
            bootstrap_servers: self.bootstrap_servers,
            group_id: self.group_id,
            topics,
            starting: self.starting,
            bounded: self.bounded,
            discovery_interval: if self.bounded {
                None
            } else {
                self.discovery_interval
            },
            properties: self.properties,
            deserializer: self.deserializer,
            read_path: self.read_path,
        }))
    }
}

/// The settings of a source (what a clone for another subtask copies).
pub(super) struct KafkaSourceConfig<T> {
    pub(super) bootstrap_servers: String,
    pub(super) group_id: String,
    pub(super) topics: TopicSelection,
    pub(super) starting: StartingOffsets,
    pub(super) bounded: bool,
    pub(super) discovery_interval: Option<Duration>,
    pub(super) properties: Vec<(String, String)>,
    pub(super) deserializer: Deserializer<T>,
    pub(super) read_path: ReadPath,
}
