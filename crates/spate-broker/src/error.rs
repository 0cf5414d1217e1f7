use std::path::PathBuf;

/// Failures of the broker as a whole (start-up, shutdown); in-process reads
/// ([`crate::local`]) fail with `spate_log::Error`. Per-request failures are Kafka error codes in responses, never this type.
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
}

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
