//! [`ServerError`]: everything the server and its client can fail with. Each error knows the
//! HTTP status the REST API answers it with ([`ServerError::status`]), so a bad request is a
//! 4xx with a message and never a crash.

use std::path::{Path, PathBuf};

/// The server's and the client's errors.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// A file or directory under the data directory could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A listener could not be bound, or the embedded broker did not start.
    #[error("{0}")]
    Start(String),
    /// The request is malformed or asks for something impossible (HTTP 400).
    #[error("{0}")]
    BadRequest(String),
    /// The request carries no valid token or credentials (HTTP 401).
    #[error("{0}")]
    Unauthorized(String),
    /// The request is authenticated but not allowed: a switched-off feature, a directory
    /// outside the allow-list, a cross-origin or foreign-host request (HTTP 403).
    #[error("{0}")]
    Forbidden(String),
    /// The request's body is larger than the server takes (HTTP 413).
    #[error("{0}")]
    PayloadTooLarge(String),
    /// The request's body has a content type the endpoint refuses (HTTP 415).
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The server runs as many jobs as it is allowed to (HTTP 429).
    #[error("{0}")]
    TooManyJobs(String),
    /// No job has this id (HTTP 404).
    #[error("job {0} not found")]
    JobNotFound(String),
    /// Something else the request names does not exist (HTTP 404).
    #[error("{0}")]
    NotFound(String),
    /// The job is not in a state that allows the request (HTTP 409).
    #[error("{0}")]
    Conflict(String),
    /// A savepoint or another request to a running job failed (HTTP 500).
    #[error("{0}")]
    Job(String),
    /// The in-process schema registry could not be read (HTTP 500).
    #[error("schema registry: {0}")]
    SchemaRegistry(String),
    /// The Kafka cluster could not be asked (HTTP 502).
    #[error("Kafka: {0}")]
    Kafka(String),
    /// A stored job definition cannot be read back.
    #[error("job definition {}: {message}", path.display())]
    CorruptJob {
        /// The `job.json` file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// The client could not reach the server or read its answer.
    #[error("{0}")]
    Http(String),
    /// The server answered a client's request with an error.
    #[error("{message} (HTTP {status})")]
    Api {
        /// The HTTP status.
        status: u16,
        /// The server's `errors`, joined.
        message: String,
    },
}

impl ServerError {
    /// An I/O error with the path it concerns.
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// The HTTP status the REST API answers this error with.
    pub fn status(&self) -> u16 {
        match self {
            Self::BadRequest(_) => 400,
            Self::Unauthorized(_) => 401,
            Self::Forbidden(_) => 403,
            Self::PayloadTooLarge(_) => 413,
            Self::UnsupportedMediaType(_) => 415,
            Self::TooManyJobs(_) => 429,
            Self::JobNotFound(_) | Self::NotFound(_) => 404,
            Self::Conflict(_) => 409,
            Self::Kafka(_) => 502,
            Self::Api { status, .. } => *status,
            _ => 500,
        }
    }
}

/// The crate's result type.
pub type Result<T, E = ServerError> = std::result::Result<T, E>;
