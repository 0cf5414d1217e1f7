//! The data directory: topics, their partitions and configs, persisted durably.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use crate::{LogConfig, Partition, Result};

/// Kafka topic id (a UUID, 16 bytes).
pub type TopicId = [u8; 16];

/// Settings of a whole store.
#[derive(Debug, Clone, Default)]
pub struct StoreConfig {
    /// Config of topics created without overrides (broker-level defaults).
    pub default_log_config: LogConfig,
}

/// A topic: immutable snapshot; changes replace the `Arc<Topic>` in the store.
#[derive(Debug)]
pub struct Topic {
    pub name: String,
    pub id: TopicId,
    /// The overrides given at creation or by AlterConfigs (Kafka "dynamic topic configs").
    pub overrides: BTreeMap<String, String>,
    pub config: LogConfig,
    pub partitions: Vec<Arc<Partition>>,
}

/// All topics in one data directory. `Send + Sync`.
#[derive(Debug)]
pub struct LogStore {
    _private: (),
}

impl LogStore {
    /// Opens (creating if needed) the store at `dir`, recovering every topic and partition.
    pub fn open(dir: impl AsRef<Path>, config: StoreConfig) -> Result<LogStore> {
        let _ = (dir, config);
        todo!()
    }
    /// Creates a topic durably (metadata written and fsynced before returning).
    pub fn create_topic(
        &self,
        name: &str,
        partitions: i32,
        overrides: &BTreeMap<String, String>,
    ) -> Result<Arc<Topic>> {
        let _ = (name, partitions, overrides);
        todo!()
    }
    /// Checks a create request without doing it (CreateTopics with validate_only).
    pub fn validate_new_topic(
        &self,
        name: &str,
        partitions: i32,
        overrides: &BTreeMap<String, String>,
    ) -> Result<()> {
        let _ = (name, partitions, overrides);
        todo!()
    }
    /// Deletes a topic and its data. A topic of the same name can be created right after.
    pub fn delete_topic(&self, name: &str) -> Result<()> {
        let _ = name;
        todo!()
    }
    /// Grows a topic to `total` partitions (never shrinks).
    pub fn create_partitions(&self, name: &str, total: i32) -> Result<Arc<Topic>> {
        let _ = (name, total);
        todo!()
    }
    /// Replaces a topic's overrides (AlterConfigs), validated first, persisted durably.
    pub fn set_topic_overrides(&self, name: &str, overrides: BTreeMap<String, String>) -> Result<Arc<Topic>> {
        let _ = (name, overrides);
        todo!()
    }
    pub fn topic(&self, name: &str) -> Option<Arc<Topic>> {
        let _ = name;
        todo!()
    }
    pub fn topic_by_id(&self, id: &TopicId) -> Option<Arc<Topic>> {
        let _ = id;
        todo!()
    }
    /// All topics, sorted by name.
    pub fn topics(&self) -> Vec<Arc<Topic>> {
        todo!()
    }
    pub fn partition(&self, topic: &str, partition: i32) -> Option<Arc<Partition>> {
        let _ = (topic, partition);
        todo!()
    }
    pub fn default_log_config(&self) -> &LogConfig {
        todo!()
    }
    /// fsyncs every partition with unsynced data (graceful shutdown).
    pub fn sync_all(&self) -> Result<()> {
        todo!()
    }
    /// One background maintenance pass: fsync partitions whose unsynced data is older than their
    /// flush interval, apply retention. The broker calls this periodically.
    pub fn maintenance(&self, now_ms: i64) -> Result<()> {
        let _ = now_ms;
        todo!()
    }
}
