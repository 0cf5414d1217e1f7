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
    /// Not a Kafka topic config: after an unclean shutdown, recovery checks the CRCs of the
    /// newest sealed segments of each partition up to about this many bytes (the segment that
    /// crosses the limit is checked whole); 0 checks none. Sealed segments were fsynced when
    /// they were rolled, so this looks for damage the disk did, not for torn writes.
    pub recovery_check_sealed_bytes: u64,
    /// `cleanup.policy` contains `delete`: segments past `retention.ms` / `retention.bytes` are
    /// deleted.
    pub cleanup_delete: bool,
    /// `cleanup.policy` contains `compact`: the cleaner keeps the latest record per key, and
    /// records without a key are refused.
    pub cleanup_compact: bool,
    /// `delete.retention.ms`: how long a tombstone (or a transaction marker whose records are
    /// gone) is kept after the first cleaning pass that kept it (KIP-534's delete horizon,
    /// written into its batch) before the cleaner may remove it.
    pub delete_retention_ms: u64,
    /// `min.cleanable.dirty.ratio` in millionths (Kafka's ratio is a double; an integer keeps
    /// the config `Eq`): the share of the log not yet cleaned that triggers a cleaning.
    pub min_cleanable_dirty_ratio_ppm: u32,
    /// `min.compaction.lag.ms`: records younger than this are never compacted.
    pub min_compaction_lag_ms: u64,
    /// `max.compaction.lag.ms`: a dirty record older than this makes the log cleanable whatever
    /// its dirty ratio.
    pub max_compaction_lag_ms: u64,
}

/// A rejected topic config, with the key and why (INVALID_CONFIG to clients).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid value {value:?} for config {key}: {reason}")]
pub struct ConfigError {
    pub key: String,
    pub value: String,
    pub reason: String,
}

/// Kafka's "no limit" value for long configs such as `flush.messages`.
const KAFKA_LONG_MAX: &str = "9223372036854775807";

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            segment_bytes: 1 << 30,
            segment_ms: 7 * 24 * 60 * 60 * 1000,
            retention_ms: Some(7 * 24 * 60 * 60 * 1000),
            retention_bytes: None,
            max_message_bytes: 1_048_588,
            index_interval_bytes: 4096,
            flush: FlushPolicy::OnAck {
                interval: Duration::from_secs(1),
            },
            timestamp_type: TimestampType::CreateTime,
            recovery_check_sealed_bytes: 1 << 30,
            cleanup_delete: true,
            cleanup_compact: false,
            delete_retention_ms: 24 * 60 * 60 * 1000,
            min_cleanable_dirty_ratio_ppm: 500_000,
            min_compaction_lag_ms: 0,
            max_compaction_lag_ms: i64::MAX as u64,
        }
    }
}

fn config_error(key: &str, value: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError {
        key: key.to_string(),
        value: value.to_string(),
        reason: reason.into(),
    }
}

/// Parses a Kafka long/int config value within `[min, max]`.
fn parse_ranged(key: &str, value: &str, min: i64, max: i64) -> Result<i64, ConfigError> {
    let parsed: i64 = value
        .trim()
        .parse()
        .map_err(|_| config_error(key, value, "expected an integer"))?;
    if parsed < min || parsed > max {
        return Err(config_error(key, value, format!("must be in [{min}, {max}]")));
    }
    Ok(parsed)
}

/// Parses a retention limit where -1 (or any negative value, as Kafka treats it) means none.
fn parse_limit(key: &str, value: &str) -> Result<Option<u64>, ConfigError> {
    let parsed = parse_ranged(key, value, -1, i64::MAX)?;
    Ok(u64::try_from(parsed).ok())
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
        "delete.retention.ms",
        "min.cleanable.dirty.ratio",
        "min.compaction.lag.ms",
        "max.compaction.lag.ms",
    ];

    /// Applies `overrides` (Kafka topic config keys to string values) on top of `self`.
    /// Unknown keys and bad values are rejected with the key named; nothing is applied then.
    ///
    /// `flush.messages=1` selects [`FlushPolicy::Always`]; any larger value keeps the periodic
    /// policy (flushing by message count is approximated by `flush.ms`). `flush.ms` sets the
    /// periodic interval. `cleanup.policy` is `delete`, `compact` or both (comma-separated).
    pub fn with_overrides(&self, overrides: &BTreeMap<String, String>) -> Result<LogConfig, ConfigError> {
        let mut config = self.clone();
        let mut interval = match self.flush {
            FlushPolicy::OnAck { interval } => interval,
            FlushPolicy::Always => LogConfig::default_flush_interval(),
        };
        let mut always = matches!(self.flush, FlushPolicy::Always);
        for (key, value) in overrides {
            let v = value.as_str();
            match key.as_str() {
                // Kafka's lower bound is the size of one legacy record; the positions in the
                // sparse index are 32-bit, hence the i32 bound.
                "segment.bytes" => {
                    config.segment_bytes = parse_ranged(key, v, 14, i64::from(i32::MAX))? as u64
                }
                "segment.ms" => config.segment_ms = parse_ranged(key, v, 1, i64::MAX)? as u64,
                "retention.ms" => config.retention_ms = parse_limit(key, v)?,
                "retention.bytes" => config.retention_bytes = parse_limit(key, v)?,
                "max.message.bytes" => {
                    config.max_message_bytes = parse_ranged(key, v, 0, i64::from(i32::MAX))? as usize
                }
                "index.interval.bytes" => {
                    config.index_interval_bytes = parse_ranged(key, v, 0, i64::from(i32::MAX))? as u32
                }
                "flush.messages" => always = parse_ranged(key, v, 1, i64::MAX)? == 1,
                "flush.ms" => interval = Duration::from_millis(parse_ranged(key, v, 0, i64::MAX)? as u64),
                "message.timestamp.type" => {
                    config.timestamp_type = match v.trim() {
                        "CreateTime" => TimestampType::CreateTime,
                        "LogAppendTime" => TimestampType::LogAppendTime,
                        _ => return Err(config_error(key, v, "expected CreateTime or LogAppendTime")),
                    }
                }
                "cleanup.policy" => {
                    let policies: Vec<&str> = v.split(',').map(str::trim).collect();
                    if policies.is_empty() || policies.iter().any(|p| !matches!(*p, "delete" | "compact")) {
                        return Err(config_error(key, v, "expected delete, compact or compact,delete"));
                    }
                    config.cleanup_delete = policies.contains(&"delete");
                    config.cleanup_compact = policies.contains(&"compact");
                }
                "delete.retention.ms" => {
                    config.delete_retention_ms = parse_ranged(key, v, 0, i64::MAX)? as u64
                }
                "min.compaction.lag.ms" => {
                    config.min_compaction_lag_ms = parse_ranged(key, v, 0, i64::MAX)? as u64
                }
                "max.compaction.lag.ms" => {
                    config.max_compaction_lag_ms = parse_ranged(key, v, 1, i64::MAX)? as u64
                }
                "min.cleanable.dirty.ratio" => {
                    let ratio: f64 = v
                        .trim()
                        .parse()
                        .map_err(|_| config_error(key, v, "expected a number"))?;
                    if !(0.0..=1.0).contains(&ratio) {
                        return Err(config_error(key, v, "must be in [0, 1]"));
                    }
                    config.min_cleanable_dirty_ratio_ppm = (ratio * 1e6).round() as u32;
                }
                _ => return Err(config_error(key, v, "unknown or unsupported topic config")),
            }
        }
        config.flush = if always {
            FlushPolicy::Always
        } else {
            FlushPolicy::OnAck { interval }
        };
        Ok(config)
    }

    fn default_flush_interval() -> Duration {
        match LogConfig::default().flush {
            FlushPolicy::OnAck { interval } => interval,
            FlushPolicy::Always => Duration::from_secs(1),
        }
    }

    /// The value of `key` under this config as Kafka would print it (for DescribeConfigs).
    ///
    /// Under [`FlushPolicy::Always`], `flush.ms` prints `0` (every append is flushed at once).
    pub fn value_of(&self, key: &str) -> Option<String> {
        let limit = |v: Option<u64>| v.map_or_else(|| "-1".to_string(), |v| v.to_string());
        Some(match key {
            "segment.bytes" => self.segment_bytes.to_string(),
            "segment.ms" => self.segment_ms.to_string(),
            "retention.ms" => limit(self.retention_ms),
            "retention.bytes" => limit(self.retention_bytes),
            "max.message.bytes" => self.max_message_bytes.to_string(),
            "index.interval.bytes" => self.index_interval_bytes.to_string(),
            "flush.messages" => match self.flush {
                FlushPolicy::Always => "1".to_string(),
                FlushPolicy::OnAck { .. } => KAFKA_LONG_MAX.to_string(),
            },
            "flush.ms" => match self.flush {
                FlushPolicy::Always => "0".to_string(),
                FlushPolicy::OnAck { interval } => interval.as_millis().to_string(),
            },
            "message.timestamp.type" => match self.timestamp_type {
                TimestampType::CreateTime => "CreateTime".to_string(),
                TimestampType::LogAppendTime => "LogAppendTime".to_string(),
            },
            "cleanup.policy" => match (self.cleanup_compact, self.cleanup_delete) {
                (true, true) => "compact,delete".to_string(),
                (true, false) => "compact".to_string(),
                _ => "delete".to_string(),
            },
            "delete.retention.ms" => self.delete_retention_ms.to_string(),
            "min.cleanable.dirty.ratio" => format!("{}", self.min_cleanable_dirty_ratio()),
            "min.compaction.lag.ms" => self.min_compaction_lag_ms.to_string(),
            "max.compaction.lag.ms" => self.max_compaction_lag_ms.to_string(),
            _ => return None,
        })
    }

    /// `min.cleanable.dirty.ratio` as Kafka states it.
    pub fn min_cleanable_dirty_ratio(&self) -> f64 {
        f64::from(self.min_cleanable_dirty_ratio_ppm) / 1e6
    }

    /// The periodic flush interval in milliseconds, or 0 when every append is flushed.
    pub fn flush_interval_ms(&self) -> i64 {
        match self.flush {
            FlushPolicy::Always => 0,
            FlushPolicy::OnAck { interval } => i64::try_from(interval.as_millis()).unwrap_or(i64::MAX),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn overrides(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_are_kafkas() {
        let c = LogConfig::default();
        assert_eq!(c.value_of("segment.bytes").unwrap(), "1073741824");
        assert_eq!(c.value_of("segment.ms").unwrap(), "604800000");
        assert_eq!(c.value_of("retention.ms").unwrap(), "604800000");
        assert_eq!(c.value_of("retention.bytes").unwrap(), "-1");
        assert_eq!(c.value_of("max.message.bytes").unwrap(), "1048588");
        assert_eq!(c.value_of("index.interval.bytes").unwrap(), "4096");
        assert_eq!(c.value_of("flush.ms").unwrap(), "1000");
        assert_eq!(c.value_of("flush.messages").unwrap(), KAFKA_LONG_MAX);
        assert_eq!(c.value_of("message.timestamp.type").unwrap(), "CreateTime");
        assert_eq!(c.value_of("cleanup.policy").unwrap(), "delete");
        assert_eq!(c.value_of("nope"), None);
        for key in LogConfig::KEYS {
            assert!(c.value_of(key).is_some(), "{key}");
        }
    }

    #[test]
    fn overrides_apply_and_print_back() {
        let c = LogConfig::default()
            .with_overrides(&overrides(&[
                ("retention.ms", "-1"),
                ("retention.bytes", "1000"),
                ("segment.bytes", "2048"),
                ("flush.ms", "250"),
                ("message.timestamp.type", "LogAppendTime"),
                ("cleanup.policy", "delete"),
            ]))
            .unwrap();
        assert_eq!(c.retention_ms, None);
        assert_eq!(c.retention_bytes, Some(1000));
        assert_eq!(c.segment_bytes, 2048);
        assert_eq!(
            c.flush,
            FlushPolicy::OnAck {
                interval: Duration::from_millis(250)
            }
        );
        assert_eq!(c.timestamp_type, TimestampType::LogAppendTime);
        assert_eq!(c.value_of("retention.ms").unwrap(), "-1");
        assert_eq!(c.value_of("flush.ms").unwrap(), "250");
        let always = c.with_overrides(&overrides(&[("flush.messages", "1")])).unwrap();
        assert_eq!(always.flush, FlushPolicy::Always);
        assert_eq!(always.value_of("flush.messages").unwrap(), "1");
    }

    #[test]
    fn bad_values_are_rejected_with_the_key() {
        for (k, v) in [
            ("segment.bytes", "abc"),
            ("segment.bytes", "10"),
            ("segment.bytes", "4294967296"),
            ("retention.ms", "-2"),
            ("flush.messages", "0"),
            ("message.timestamp.type", "Whenever"),
            ("cleanup.policy", "shred"),
            ("cleanup.policy", "compact,shred"),
            ("min.cleanable.dirty.ratio", "1.5"),
            ("min.cleanable.dirty.ratio", "half"),
            ("delete.retention.ms", "-1"),
            ("no.such.key", "1"),
        ] {
            let err = LogConfig::default()
                .with_overrides(&overrides(&[(k, v)]))
                .unwrap_err();
            assert_eq!(err.key, k);
            assert_eq!(err.value, v);
        }
    }

    #[test]
    fn compaction_configs_apply_and_print_back() {
        let c = LogConfig::default()
            .with_overrides(&overrides(&[
                ("cleanup.policy", "delete, compact"),
                ("delete.retention.ms", "100"),
                ("min.cleanable.dirty.ratio", "0.25"),
                ("min.compaction.lag.ms", "5"),
                ("max.compaction.lag.ms", "60000"),
            ]))
            .unwrap();
        assert!(c.cleanup_compact && c.cleanup_delete);
        assert_eq!(c.value_of("cleanup.policy").unwrap(), "compact,delete");
        assert_eq!(c.value_of("delete.retention.ms").unwrap(), "100");
        assert_eq!(c.value_of("min.cleanable.dirty.ratio").unwrap(), "0.25");
        assert_eq!(c.value_of("min.compaction.lag.ms").unwrap(), "5");
        assert_eq!(c.value_of("max.compaction.lag.ms").unwrap(), "60000");
        let compact = c
            .with_overrides(&overrides(&[("cleanup.policy", "compact")]))
            .unwrap();
        assert!(compact.cleanup_compact && !compact.cleanup_delete);
        assert_eq!(compact.value_of("cleanup.policy").unwrap(), "compact");
        let d = LogConfig::default();
        assert_eq!(d.value_of("min.cleanable.dirty.ratio").unwrap(), "0.5");
        assert_eq!(d.value_of("delete.retention.ms").unwrap(), "86400000");
        assert_eq!(d.value_of("max.compaction.lag.ms").unwrap(), KAFKA_LONG_MAX);
    }
}
