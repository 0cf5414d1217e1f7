//! The crate's error type, and the slot where a running job keeps its first error.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Any error a connector or user code hands the engine, kept as it is (its source chain too).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

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
        /// The error the source returned, if it returned one. Its text is `message`; it is
        /// kept for [`EngineError::is_fatal`], not as `source()`, so an error chain does not
        /// print it twice.
        cause: Option<Box<EngineError>>,
    },
    /// A sink failed to write.
    #[error("sink `{operator}` failed: {message}")]
    Sink {
        /// Name of the sink operator.
        operator: String,
        /// What went wrong.
        message: String,
        /// The error the sink returned, if it returned one (see `Source::cause`).
        cause: Option<Box<EngineError>>,
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
    /// A connector (Kafka, files, ...) failed in a way a restart may cure (a broken
    /// connection, a timeout). The connector's error is kept as it is: its text and its source
    /// chain are this error's (and it can be downcast).
    #[error(transparent)]
    Connector(BoxError),
    /// A failure no restart can cure (a bad configuration, a fenced producer): the job fails at
    /// once, whatever its restart strategy. Kept as it is, like [`Connector`](Self::Connector).
    #[error(transparent)]
    Fatal(BoxError),
    /// A checkpoint could not be written or read back.
    #[error("checkpoint: {0}")]
    Checkpoint(String),
    /// A checkpoint file or directory could not be written or read.
    #[error("checkpoint: {}: {source}", path.display())]
    CheckpointIo {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A worker thread could not be started.
    #[error("could not start worker thread: {0}")]
    Spawn(#[from] std::io::Error),
    /// The job's threads held more memory than its budget allows (see `memory`).
    #[error(
        "the job holds {} MiB, over its memory budget of {} MiB; it was failed to keep the \
         process (and what else runs in it) alive. Bound its state (a TTL, a window instead of \
         an unbounded join or aggregation) or give it a larger budget",
        used >> 20,
        limit >> 20
    )]
    MemoryBudget {
        /// Bytes held when the budget was checked.
        used: u64,
        /// The budget in bytes.
        limit: u64,
    },
}

impl EngineError {
    /// A connector failure a restart may cure: a restart strategy retries the job.
    pub fn connector(error: impl Into<BoxError>) -> Self {
        EngineError::Connector(error.into())
    }

    /// A failure no restart can cure (a fenced producer, a bad configuration): the job fails
    /// at once, whatever its restart strategy.
    pub fn fatal(error: impl Into<BoxError>) -> Self {
        EngineError::Fatal(error.into())
    }

    /// Whether restarting the job cannot help: an invalid graph or configuration, or a
    /// connector error marked fatal (also when a source or sink reported it).
    /// [`RestartStrategy`](crate::RestartStrategy) retries only errors that are not fatal.
    pub fn is_fatal(&self) -> bool {
        match self {
            EngineError::InvalidGraph(_) | EngineError::InvalidConfig(_) | EngineError::Fatal(_) => true,
            EngineError::Source { cause, .. } | EngineError::Sink { cause, .. } => {
                cause.as_ref().is_some_and(|e| e.is_fatal())
            }
            _ => false,
        }
    }
}

/// The first error of a job, and the flag that tells every worker to stop. It lives beside the
/// error type (not in the runtime) because the checkpoint coordinator cancels through it too.
#[derive(Debug, Default, Clone)]
pub(crate) struct FailureSlot {
    cancelled: Arc<AtomicBool>,
    error: Arc<Mutex<Option<EngineError>>>,
}

impl FailureSlot {
    pub(crate) fn fail(&self, error: EngineError) {
        let mut slot = self.error.lock().unwrap_or_else(|e| e.into_inner());
        if slot.is_none() {
            *slot = Some(error);
        }
        self.cancelled.store(true, Ordering::Release);
    }
    pub(crate) fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Acquire)
    }
    /// Stops every worker without an error (a cancelled or stopped job).
    pub(crate) fn cancel(&self) {
        self.cancelled.store(true, Ordering::Release);
    }
    pub(crate) fn take(&self) -> Option<EngineError> {
        self.error.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}
