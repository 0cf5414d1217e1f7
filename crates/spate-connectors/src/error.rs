//! The crate's error type.

use std::path::PathBuf;

use rdkafka::error::{KafkaError, RDKafkaErrorCode};

/// Everything a connector can report. Engine-facing trait methods turn it into
/// [`spate_engine::EngineError`] with `From` (fatal errors into `EngineError::Fatal`, the
/// rest into `EngineError::Connector`, kept whole).
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
    /// A Kafka client call failed (`what` says which); the client's error is kept, so whether
    /// it is fatal (a fenced producer) can be told (see [`ConnectorError::is_fatal`]).
    #[error("kafka: {what}: {source}")]
    KafkaClient {
        /// The call and its subject.
        what: String,
        /// The client's error.
        source: rdkafka::error::KafkaError,
    },
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

impl ConnectorError {
    /// Whether no restart can cure this: a bad configuration, undecodable checkpoint state, or
    /// a Kafka error that says this producer or client can never succeed (fenced, not
    /// authorized, a fatal client error). Everything else (connections, timeouts, files) is
    /// worth a restart.
    pub fn is_fatal(&self) -> bool {
        match self {
            ConnectorError::Config(_) | ConnectorError::State(_) => true,
            ConnectorError::KafkaClient { source, .. } => is_fatal_client_error(source),
            ConnectorError::KafkaCode { code, .. } => is_fatal_code(*code),
            ConnectorError::Io { .. } | ConnectorError::Format { .. } | ConnectorError::Kafka(_) => false,
        }
    }
}

/// Keeps the error itself (its text and source chain) and whether a restart strategy may
/// retry it.
impl From<ConnectorError> for spate_engine::EngineError {
    fn from(e: ConnectorError) -> Self {
        if e.is_fatal() {
            spate_engine::EngineError::fatal(e)
        } else {
            spate_engine::EngineError::connector(e)
        }
    }
}

/// Whether a client error means a restart cannot succeed either: another producer with the
/// same transactional id took over (fenced; restarting would only fence it back), or the client
/// is not authorized. librdkafka's generic "fatal" flag is not enough: a new producer (which a
/// restart creates) recovers from most of those.
fn is_fatal_client_error(e: &KafkaError) -> bool {
    e.rdkafka_error_code().is_some_and(|code| {
        matches!(
            code,
            RDKafkaErrorCode::Fenced
                | RDKafkaErrorCode::ProducerFenced
                | RDKafkaErrorCode::InvalidProducerEpoch
                | RDKafkaErrorCode::TransactionalIdAuthorizationFailed
                | RDKafkaErrorCode::TopicAuthorizationFailed
                | RDKafkaErrorCode::ClusterAuthorizationFailed
                | RDKafkaErrorCode::GroupAuthorizationFailed
        )
    })
}

/// Whether a Kafka protocol error code (as answered to the raw-protocol client) is fatal:
/// PRODUCER_FENCED (90), INVALID_PRODUCER_EPOCH (47), TRANSACTIONAL_ID_AUTHORIZATION_FAILED (53),
/// CLUSTER_AUTHORIZATION_FAILED (31).
fn is_fatal_code(code: i16) -> bool {
    matches!(code, 31 | 47 | 53 | 90)
}
