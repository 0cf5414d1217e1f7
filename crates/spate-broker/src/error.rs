use std::path::PathBuf;

/// Failures of the broker as a whole (start-up, shutdown) and of in-process reads
/// ([`crate::local`]). Per-request failures are Kafka error codes in responses, never this type.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot listen on {listener}: {source}")]
    Bind {
        listener: String,
        #[source]
        source: std::io::Error,
    },
    #[error("I/O error on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("storage: {0}")]
    Log(#[from] spate_log::Error),
    #[error("corrupt broker state in {path}: {reason}")]
    CorruptState { path: PathBuf, reason: String },
    #[error("invalid broker property {key}={value:?} ({origin}): {reason}")]
    Property {
        key: String,
        value: String,
        origin: String,
        reason: String,
    },
    #[error("invalid SCRAM credential: {0}")]
    InvalidCredential(String),
    #[error("invalid broker config: {0}")]
    Config(String),
    /// An in-process read found the broker shut down (look it up again with
    /// [`crate::local::find`]).
    #[error("the in-process broker has stopped")]
    Stopped,
    /// An in-process read named a topic or partition that does not exist.
    #[error("unknown topic or partition {topic}-{partition}")]
    UnknownPartition { topic: String, partition: i32 },
    /// An in-process read asked for an offset outside `[log_start, log_end]` (e.g. retention
    /// deleted it).
    #[error("offset {offset} is out of range [{log_start}, {log_end}]")]
    OffsetOutOfRange {
        offset: i64,
        log_start: i64,
        log_end: i64,
    },
}

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
