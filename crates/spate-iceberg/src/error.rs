//! The crate's one error type.

use std::path::PathBuf;

/// Everything that can go wrong reading, writing or committing an Iceberg table.
#[derive(Debug, thiserror::Error)]
pub enum IcebergError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// Table metadata JSON that does not parse or lacks a required field.
    #[error("invalid table metadata JSON: {0}")]
    Json(String),
    /// An Avro manifest or manifest list that does not decode.
    #[error("Avro: {0}")]
    Avro(#[from] spate_avro::AvroError),
    /// Content that breaks the table spec (a bad type, a missing field id, a bad bound...).
    #[error("invalid Iceberg content: {0}")]
    Invalid(String),
    /// Something this crate does not do (yet): a transform, a URI scheme, format v1/v3.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// The catalog has no such table.
    #[error("table {0} does not exist")]
    NoSuchTable(String),
    /// The catalog has no such namespace.
    #[error("namespace {0} does not exist")]
    NoSuchNamespace(String),
    /// `create_table` found the table there already.
    #[error("table {0} already exists")]
    TableAlreadyExists(String),
    /// Another writer committed first (the compare-and-swap failed); reload and retry.
    #[error("commit conflict on {0}: another writer changed the table; reload and retry")]
    CommitConflict(String),
    /// The catalog (database, REST server) failed or answered something unexpected.
    #[error("catalog {catalog}: {message}")]
    Catalog {
        /// The catalog's name.
        catalog: String,
        /// What went wrong.
        message: String,
    },
}

impl IcebergError {
    /// An I/O error on `path`.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        IcebergError::Io {
            path: path.into(),
            source,
        }
    }

    /// Content that breaks the spec.
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        IcebergError::Invalid(message.into())
    }
}

/// Results of this crate.
pub type Result<T> = std::result::Result<T, IcebergError>;
