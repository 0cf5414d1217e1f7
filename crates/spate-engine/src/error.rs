//! The crate's error type.

/// Everything that can go wrong while building or running a job.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The job graph is not valid (for example a forward edge between different parallelisms).
    #[error("invalid job graph: {0}")]
    InvalidGraph(String),
    /// A configuration value is out of range.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
    /// A source failed to open or to read.
    #[error("source `{operator}` failed: {message}")]
    Source {
        /// Name of the source operator.
        operator: String,
        /// What went wrong.
        message: String,
    },
    /// A sink failed to write.
    #[error("sink `{operator}` failed: {message}")]
    Sink {
        /// Name of the sink operator.
        operator: String,
        /// What went wrong.
        message: String,
    },
    /// User code panicked inside a task.
    #[error("task `{task}` panicked: {message}")]
    TaskPanicked {
        /// Name of the task (head operator and subtask index).
        task: String,
        /// The panic payload, if it was a string.
        message: String,
    },
    /// A source position handed to `restore_position` could not be decoded.
    #[error("invalid source position: {0}")]
    InvalidPosition(String),
    /// A connector (Kafka, files, ...) failed; the message says which and why.
    #[error("{0}")]
    Connector(String),
    /// A checkpoint could not be written or read back.
    #[error("checkpoint: {0}")]
    Checkpoint(String),
    /// A worker thread could not be started.
    #[error("could not start worker thread: {0}")]
    Spawn(#[from] std::io::Error),
}
