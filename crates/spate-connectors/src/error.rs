//! The crate's error type.

use std::path::PathBuf;

/// Everything a connector can report. Engine-facing trait methods turn it into
/// [`spate_engine::EngineError`] with [`ConnectorError::into_engine`] / `From`.
#[derive(Debug, thiserror::Error)]
pub enum ConnectorError {
    /// A configuration value is missing or invalid.
    #[error("invalid connector configuration: {0}")]
    Config(String),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Input could not be parsed (with its position).
    #[error("{location}: {message}")]
    Format {
        /// Where (file and line, topic-partition and offset, ...).
        location: String,
        /// What is wrong.
        message: String,
    },
    /// The Kafka client reported an error.
    #[error("kafka: {0}")]
    Kafka(String),
    /// A Kafka request was answered with an error code.
    #[error("kafka: {request} failed with {name} (error code {code})")]
    KafkaCode {
        /// The request (and its subject, e.g. the transactional id).
        request: String,
        /// The Kafka error code.
        code: i16,
        /// Its name, e.g. `PRODUCER_FENCED`.
        name: String,
    },
    /// A checkpointed position or sink state could not be decoded.
    #[error("invalid checkpoint state: {0}")]
    State(String),
}

impl From<ConnectorError> for spate_engine::EngineError {
    fn from(e: ConnectorError) -> Self {
        spate_engine::EngineError::Connector(e.to_string())
    }
}
