//! One partition: an append-only sequence of segments.

use bytes::Bytes;
use std::path::Path;

use crate::{Durability, LogConfig, Result};

/// What an append did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppendOutcome {
    /// Offset assigned to the first record of the first batch.
    pub base_offset: i64,
    /// Offset of the last record appended.
    pub last_offset: i64,
    /// The broker's append time when the topic uses LogAppendTime, else -1.
    pub log_append_time: i64,
    pub log_start_offset: i64,
    /// True when the batch was a retry of one already stored (idempotent producer): nothing was
    /// written and `base_offset` is where the original landed.
    pub duplicate: bool,
}

/// Whole stored batches, read from a partition.
#[derive(Debug, Clone)]
pub struct ReadResult {
    /// Whole batches, starting with the batch that contains the requested offset. Empty when the
    /// requested offset is the log end offset.
    pub records: Bytes,
    pub high_watermark: i64,
    pub log_start_offset: i64,
}

/// What a retention pass deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetentionOutcome {
    pub segments_deleted: usize,
    pub bytes_deleted: u64,
    pub log_start_offset: i64,
}

/// One partition's log. `Send + Sync`: appends are serialized by an internal lock, reads and
/// offset queries run concurrently with them and see only fully written batches.
#[derive(Debug)]
pub struct Partition {
    _private: (),
}

impl Partition {
    /// Opens (creating if needed) the partition in `dir`, recovering it: CRCs of the tail batches
    /// are validated, a torn or corrupt tail is truncated, missing or corrupt indexes are rebuilt,
    /// idempotent producer state is rebuilt.
    pub fn open(dir: &Path, config: LogConfig) -> Result<Partition> {
        let _ = (dir, config);
        todo!()
    }

    /// Appends the v2 batches in `records` (as received in a Produce request), assigning offsets.
    /// The batches are validated first (magic, sizes, CRC, `max.message.bytes`, idempotent
    /// producer sequence and epoch); on any error nothing is written. Returns once the data is
    /// readable (and, with [`Durability::Sync`] or `FlushPolicy::Always`, on stable storage).
    pub fn append(&self, records: &[u8], durability: Durability) -> Result<AppendOutcome> {
        let _ = (records, durability);
        todo!()
    }

    /// Whole batches starting with the one containing `offset`, at most `max_bytes` unless the
    /// first batch alone is larger (it is then returned whole, as Kafka does).
    pub fn read(&self, offset: i64, max_bytes: usize) -> Result<ReadResult> {
        let _ = (offset, max_bytes);
        todo!()
    }

    /// Offset and timestamp of the first record whose timestamp is >= `timestamp`, or `None`
    /// when every record is older.
    pub fn offset_for_timestamp(&self, timestamp: i64) -> Result<Option<(i64, i64)>> {
        let _ = timestamp;
        todo!()
    }

    pub fn log_start_offset(&self) -> i64 {
        todo!()
    }
    /// Offset the next appended record gets.
    pub fn log_end_offset(&self) -> i64 {
        todo!()
    }
    /// Offsets below this are readable by consumers.
    pub fn high_watermark(&self) -> i64 {
        todo!()
    }
    /// Bytes on disk over all segments.
    pub fn size_bytes(&self) -> u64 {
        todo!()
    }
    /// Largest record timestamp seen and its offset (-1, -1 when empty): ListOffsets MAX_TIMESTAMP.
    pub fn max_timestamp(&self) -> (i64, i64) {
        todo!()
    }

    /// fsyncs everything appended so far (group commit: concurrent callers share one fsync).
    pub fn sync(&self) -> Result<()> {
        todo!()
    }
    /// Whether there is appended data not yet fsynced, and since when (ms since epoch).
    pub fn unsynced_since(&self) -> Option<i64> {
        todo!()
    }

    /// Deletes whole segments past `retention.ms` / `retention.bytes` (never the active one).
    pub fn apply_retention(&self, now_ms: i64) -> Result<RetentionOutcome> {
        let _ = now_ms;
        todo!()
    }

    pub fn config(&self) -> LogConfig {
        todo!()
    }
    pub fn set_config(&self, config: LogConfig) {
        let _ = config;
        todo!()
    }
}
