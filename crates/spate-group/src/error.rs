//! The crate's error type.

use spate_kafka_client::ClientError;

/// What can go wrong in a job's group.
#[derive(Debug, thiserror::Error)]
pub enum GroupError {
    /// The group's coordinator answered with an error no rejoin cures, or could not be reached
    /// for longer than the rebalance timeout.
    #[error("group {group}: {source}")]
    Kafka {
        /// The group.
        group: String,
        /// What the wire client reported.
        #[source]
        source: ClientError,
    },
    /// A member's subscription or assignment could not be read (another application's member
    /// in the group, or a newer Spate's data).
    #[error("group {group}: {message}")]
    MemberData {
        /// The group.
        group: String,
        /// What was wrong, naming the member.
        message: String,
    },
    /// The members run different jobs (their plans' fingerprints differ), so no task means
    /// the same to all of them.
    #[error(
        "group {group}: member {member} runs another job (plan fingerprint {theirs:016x}, this job's is {ours:016x}); every process of a distributed job must run the same job"
    )]
    DifferentJobs {
        /// The group.
        group: String,
        /// The member that differs.
        member: String,
        /// Its fingerprint.
        theirs: u64,
        /// The leader's.
        ours: u64,
    },
    /// The membership thread is gone (it failed; its error was reported before).
    #[error("group {0}: the membership thread stopped")]
    Stopped(String),
}
