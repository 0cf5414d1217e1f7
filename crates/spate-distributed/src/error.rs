//! The crate's error type.

use spate_engine::EngineError;
use spate_kafka_client::ClientError;

/// What can go wrong running a job's share in this process.
#[derive(Debug, thiserror::Error)]
pub enum DistributedError {
    /// Kafka refused or could not be reached (a fenced producer or an old generation's
    /// offset commit among them: another process took over).
    #[error("{what}: {source}")]
    Kafka {
        /// What was being done, naming the topic, partition or group.
        what: String,
        /// What the wire client reported.
        #[source]
        source: ClientError,
    },
    /// The engine refused (a checkpoint that cannot be read or written).
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// A changelog or repartition record this build cannot read.
    #[error("{0}")]
    Corrupt(String),
    /// The group membership failed (the coordinator unreachable past the timeouts, another
    /// job's processes in the group).
    #[error("{0}")]
    Group(String),
    /// The process transaction failed before and must be started over.
    #[error("the process transaction failed before: {0}")]
    Poisoned(String),
}

impl DistributedError {
    pub(crate) fn kafka(what: impl Into<String>) -> impl FnOnce(ClientError) -> Self {
        let what = what.into();
        move |source| DistributedError::Kafka { what, source }
    }
}

impl From<DistributedError> for EngineError {
    fn from(e: DistributedError) -> Self {
        match e {
            DistributedError::Engine(e) => e,
            other => EngineError::Fatal(other.to_string().into()),
        }
    }
}
