use std::collections::BTreeMap;
use std::time::Duration;

/// Whether an append must be on stable storage before the call returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// fsync (group-committed) before returning: acks=all, or a topic with `flush.messages=1`.
    Sync,
    /// Written to the page cache; the background flusher syncs it within `flush.ms`.
    Async,
}

/// When a partition fsyncs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlushPolicy {
    /// Default: appends with [`Durability::Sync`] (acks=all) are fsynced before the ack; others
    /// within `interval` by the background flusher.
    OnAck { interval: Duration },
    /// Every append is fsynced before it is acknowledged (`flush.messages=1`).
    Always,
}

/// `message.timestamp.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampType {
    CreateTime,
    LogAppendTime,
}

/// Per-topic storage settings, parsed from Kafka topic configs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogConfig {
    /// `segment.bytes`: roll the active segment when it would exceed this size.
    pub segment_bytes: u64,
    /// `segment.ms`: roll the active segment when its first batch is older than this.
    pub segment_ms: u64,
    /// `retention.ms`: delete segments whose newest record is older; `None` = forever (-1).
    pub retention_ms: Option<u64>,
    /// `retention.bytes`: delete oldest segments while the partition is larger; `None` = no limit.
    pub retention_bytes: Option<u64>,
    /// `max.message.bytes`: largest record batch accepted.
    pub max_message_bytes: usize,
    /// `index.interval.bytes`: bytes between sparse index entries.
    pub index_interval_bytes: u32,
    /// `flush.messages` / `flush.ms`.
    pub flush: FlushPolicy,
    /// `message.timestamp.type`.
    pub timestamp_type: TimestampType,
}

/// A rejected topic config, with the key and why (INVALID_CONFIG to clients).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid value {value:?} for config {key}: {reason}")]
pub struct ConfigError {
    pub key: String,
    pub value: String,
    pub reason: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        todo!(
            "Kafka defaults: 1 GiB segments, 7 days segment.ms and retention.ms, no size limit, 1 MiB max.message.bytes, 4 KiB index interval, OnAck with 1 s interval, CreateTime"
        )
    }
}

impl LogConfig {
    /// Kafka topic config keys this log understands (DescribeConfigs lists them with their values).
    pub const KEYS: &'static [&'static str] = &[
        "segment.bytes",
        "segment.ms",
        "retention.ms",
        "retention.bytes",
        "max.message.bytes",
        "index.interval.bytes",
        "flush.messages",
        "flush.ms",
        "message.timestamp.type",
        "cleanup.policy",
    ];

    /// Applies `overrides` (Kafka topic config keys to string values) on top of `self`.
    /// Unknown keys and bad values are rejected with the key named; nothing is applied then.
    pub fn with_overrides(&self, overrides: &BTreeMap<String, String>) -> Result<LogConfig, ConfigError> {
        let _ = overrides;
        todo!()
    }

    /// The value of `key` under this config as Kafka would print it (for DescribeConfigs).
    pub fn value_of(&self, key: &str) -> Option<String> {
        let _ = key;
        todo!()
    }
}
