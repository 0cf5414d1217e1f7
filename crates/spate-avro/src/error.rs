//! The crate's one error type.

/// Everything that can go wrong with a schema or a datum.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum AvroError {
    /// The schema text is not JSON.
    #[error("schema is not valid JSON: {0}")]
    Json(String),
    /// The JSON is not a valid Avro schema (Java Avro's `SchemaParseException`); the message
    /// names the offending part.
    #[error("{0}")]
    Schema(String),
    /// A binary datum ended early or holds a value its schema does not allow.
    #[error("invalid Avro datum at byte {at}: {message}")]
    Decode {
        /// Bytes consumed before the problem.
        at: usize,
        /// What is wrong.
        message: String,
    },
    /// A value that does not fit the schema it is written with.
    #[error("cannot encode: {0}")]
    Encode(String),
    /// A value of a writer's schema that the reader's schema cannot take (Avro's
    /// `AvroTypeException`: `Found X, expecting Y`).
    #[error("{0}")]
    Resolve(String),
}

/// Results of this crate.
pub type Result<T> = std::result::Result<T, AvroError>;
