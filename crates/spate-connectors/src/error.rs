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
    /// A record could not be encoded for its destination (a value the format cannot hold):
    /// fatal, since a restart would meet the same record again.
    #[error("{location}: {message}")]
    Encode {
        /// Where it was to be written (a file, a topic).
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
    #[error(
        "kafka: {request} failed with {name} (error code {code}){}",
        message.as_deref().map(|m| format!(": {m}")).unwrap_or_default()
    )]
    KafkaCode {
        /// The request (and its subject, e.g. the transactional id).
        request: String,
        /// The Kafka error code.
        code: i16,
        /// Its name, e.g. `PRODUCER_FENCED`.
        name: String,
        /// The broker's error message, when the reply carries one.
        message: Option<String>,
    },
    /// A broker could not be reached or stopped answering (connection refused or reset, a
    /// timeout): worth a retry, unlike an error the broker answered.
    #[error("kafka: {0}")]
    Unreachable(String),
    /// A checkpointed position or sink state could not be decoded.
    #[error("invalid checkpoint state: {0}")]
    State(String),
    /// A record its destination can never accept (over the topic's `max.message.bytes` or the
    /// producer's `message.max.bytes`). Fatal: a restart replays it and fails again.
    #[error(transparent)]
    OversizedRecord(Box<OversizedRecord>),
}

/// A record a Kafka sink could not write because it is too large, with what is known of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OversizedRecord {
    /// The destination topic.
    pub topic: String,
    /// The partition the record was sent to, if it was chosen (not left to the key's hash).
    pub partition: Option<i32>,
    /// The record's key (`None`: a null key).
    pub key: Option<Vec<u8>>,
    /// Bytes of the record as the sink estimates them on the wire (key, value, headers and
    /// batch overhead), or as the client reported them.
    pub size: usize,
    /// Bytes of its value alone.
    pub value_size: usize,
    /// The limit it exceeds, in bytes.
    pub limit: usize,
    /// Where the limit comes from (`max.message.bytes of topic out`, ...).
    pub limit_source: String,
    /// The last checkpoint the sink took before the record (`None`: none in this run). The
    /// engine does not track which input record a result came from; the record comes from the
    /// input after this checkpoint, which a restore replays.
    pub after_checkpoint: Option<u64>,
}

impl std::fmt::Display for OversizedRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let key = show_key(self.key.as_deref());
        let partition = match self.partition {
            Some(p) => format!("partition {p}"),
            None => "the partition of its key".to_string(),
        };
        let checkpoint = match self.after_checkpoint {
            Some(id) => format!("after checkpoint {id}"),
            None => "before the first checkpoint of this run".to_string(),
        };
        write!(
            f,
            "kafka: record with key {key} and a value of {} bytes is {} bytes in a batch, over the {}-byte limit ({}): it can never be \
             written to topic {} ({partition}; no offset, nothing was written). It is a result of \
             the input read {checkpoint}, which every restart replays, so the job fails instead of \
             retrying; skip such records or send them to a dead-letter topic (the sink's \
             on_oversized option, --on-oversized in the examples), or raise the limit",
            self.value_size, self.size, self.limit, self.limit_source, self.topic
        )
    }
}

impl std::error::Error for OversizedRecord {}

/// A record key for messages: escaped, cut after 200 bytes (a key can be as large as the
/// record that is too large).
pub(crate) fn show_key(key: Option<&[u8]>) -> String {
    const SHOWN: usize = 200;
    match key {
        Some(k) if k.len() > SHOWN => format!("\"{}\"... ({} bytes)", k[..SHOWN].escape_ascii(), k.len()),
        Some(k) => format!("\"{}\"", k.escape_ascii()),
        None => "null".to_string(),
    }
}

impl ConnectorError {
    /// Whether no restart can cure this: a bad configuration, undecodable checkpoint state, a
    /// record too large for its destination, or
    /// a Kafka error that says this producer or client can never succeed (fenced, not
    /// authorized, a fatal client error). Everything else (connections, timeouts, files) is
    /// worth a restart.
    pub fn is_fatal(&self) -> bool {
        match self {
            ConnectorError::Config(_)
            | ConnectorError::State(_)
            | ConnectorError::OversizedRecord(_)
            | ConnectorError::Encode { .. } => true,
            ConnectorError::KafkaClient { source, .. } => is_fatal_client_error(source),
            ConnectorError::KafkaCode { code, .. } => is_fatal_code(*code),
            ConnectorError::Io { .. }
            | ConnectorError::Format { .. }
            | ConnectorError::Kafka(_)
            | ConnectorError::Unreachable(_) => false,
        }
    }
}

/// The wire client's errors keep their kind: a bad property stays a configuration error, an
/// answered error code keeps its code (so [`ConnectorError::is_fatal`] sees a fenced producer),
/// an unreachable broker stays worth a retry.
impl From<spate_kafka_client::ClientError> for ConnectorError {
    fn from(e: spate_kafka_client::ClientError) -> Self {
        use spate_kafka_client::ClientError;
        match e {
            ClientError::Config(m) => ConnectorError::Config(m),
            ClientError::Protocol(m) => ConnectorError::Kafka(m),
            ClientError::Code {
                request,
                code,
                name,
                message,
            } => ConnectorError::KafkaCode {
                request,
                code,
                name,
                message,
            },
            ClientError::Unreachable(m) => ConnectorError::Unreachable(m),
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
