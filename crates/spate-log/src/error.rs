use std::path::PathBuf;

/// Every failure of the storage layer. The broker maps each variant to a Kafka error code.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An I/O failure (including a full disk) with the file it happened on.
    #[error("I/O error on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The records are not a well-formed sequence of v2 record batches (Kafka: CORRUPT_MESSAGE).
    #[error("corrupt record batch: {0}")]
    CorruptBatch(String),
    /// The records inside a batch break the v2 record format or the producer rules: a record count
    /// that does not match the records, bad lengths or varints, offset deltas other than `0..n-1`
    /// (Kafka: INVALID_RECORD, as its `InvalidRecordException`).
    #[error("invalid record: {0}")]
    InvalidRecord(String),
    /// A batch's CRC-32C does not match its contents (Kafka: CORRUPT_MESSAGE).
    #[error("record batch CRC mismatch: stored {stored:#010x}, computed {computed:#010x}")]
    CrcMismatch { stored: u32, computed: u32 },
    /// Magic byte other than 2 (Kafka: UNSUPPORTED_FOR_MESSAGE_FORMAT).
    #[error("unsupported record batch magic {0}; only v2 batches are stored")]
    UnsupportedMagic(i8),
    /// A batch larger than the topic's `max.message.bytes` (Kafka: MESSAGE_TOO_LARGE).
    #[error("record batch of {size} bytes exceeds max.message.bytes {max}")]
    BatchTooLarge { size: usize, max: usize },
    /// The requested offset is outside `[log_start_offset, log_end_offset]` (OFFSET_OUT_OF_RANGE).
    #[error("offset {offset} out of range [{log_start}, {log_end}]")]
    OffsetOutOfRange {
        offset: i64,
        log_start: i64,
        log_end: i64,
    },
    /// The idempotent producer skipped sequence numbers (OUT_OF_ORDER_SEQUENCE_NUMBER).
    #[error("out of order sequence for producer {producer_id}: expected {expected}, got {got}")]
    OutOfOrderSequence {
        producer_id: i64,
        expected: i32,
        got: i32,
    },
    /// A producer epoch older than the one the partition has seen (INVALID_PRODUCER_EPOCH).
    #[error("producer {producer_id} epoch {got} is older than current epoch {current}")]
    InvalidProducerEpoch {
        producer_id: i64,
        got: i16,
        current: i16,
    },
    /// A write that the producer's transaction state does not allow, such as a
    /// non-transactional batch in the middle of its transaction (INVALID_TXN_STATE).
    #[error("invalid transaction state: {0}")]
    InvalidTxnState(String),
    /// The topic does not exist (UNKNOWN_TOPIC_OR_PARTITION).
    #[error("unknown topic {0}")]
    UnknownTopic(String),
    /// The topic already exists (TOPIC_ALREADY_EXISTS).
    #[error("topic {0} already exists")]
    TopicExists(String),
    /// The topic name breaks Kafka's naming rules (INVALID_TOPIC_EXCEPTION).
    #[error("invalid topic name {name:?}: {reason}")]
    InvalidTopicName { name: String, reason: &'static str },
    /// A partition count that is zero, negative, too large, or a decrease (INVALID_PARTITIONS).
    #[error("invalid partition count: {0}")]
    InvalidPartitions(String),
    /// A topic config key or value that is not accepted (INVALID_CONFIG).
    #[error(transparent)]
    InvalidConfig(#[from] crate::ConfigError),
    /// An in-process read found the broker shut down (look it up again with
    /// [`crate::in_process::find`]).
    #[error("the in-process broker has stopped")]
    Stopped,
    /// An in-process read named a topic or partition that does not exist.
    #[error("unknown topic or partition {topic}-{partition}")]
    UnknownPartition { topic: String, partition: i32 },
    /// Stored metadata that cannot be read back.
    #[error("corrupt metadata in {path}: {reason}")]
    CorruptMetadata { path: PathBuf, reason: String },
}
