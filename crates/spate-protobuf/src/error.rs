//! The crate's one error type.

/// Everything that can go wrong with a Protobuf schema or a message index.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ProtoError {
    /// The schema text (or a reference's) does not compile: the compiler's message, with the
    /// file name and line:column where it has them.
    #[error("{0}")]
    Schema(String),
    /// A schema uses a Protobuf feature Spate does not carry through (named in the message).
    #[error("unsupported Protobuf schema: {0}")]
    Unsupported(String),
    /// A message-index list (Confluent's framing) that is cut short, too long, or names no
    /// message of the schema.
    #[error("invalid message indexes: {0}")]
    Indexes(String),
    /// A file named in configuration could not be read.
    #[error("cannot read {path}: {message}")]
    File {
        /// The file.
        path: String,
        /// Why.
        message: String,
    },
}

/// Results of this crate.
pub type Result<T> = std::result::Result<T, ProtoError>;
