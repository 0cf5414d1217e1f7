//! The crate's error type.

/// Everything the wire client can report. Connection and timeout failures are
/// [`ClientError::Unreachable`] (worth a retry); an error the broker answered keeps its Kafka code
/// ([`ClientError::Code`]) so a caller can tell a fenced producer from a leader change.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// A client property is missing or invalid.
    #[error("invalid client configuration: {0}")]
    Config(String),
    /// The exchange with the broker went wrong (an undecodable reply, a missing API version, a
    /// failed login, a stopped fetcher).
    #[error("kafka: {0}")]
    Protocol(String),
    /// A Kafka request was answered with an error code.
    #[error(
        "kafka: {request} failed with {name} (error code {code}){}",
        message.as_deref().map(|m| format!(": {m}")).unwrap_or_default()
    )]
    Code {
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
}
