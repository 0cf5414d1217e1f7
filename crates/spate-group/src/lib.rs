//! The processes of one Spate job as a Kafka group.
//!
//! A distributed job (`--distributed GROUP`) runs the same plan in several processes; its work
//! is cut into [`TaskId`]s (a stage over one partition), and the processes share them the way
//! Kafka Streams' instances do: they form a consumer group on the classic group protocol and
//! the leader assigns tasks with Spate's own assignor ([`assignor::assign`]: balanced,
//! sticky, spread over stages), since librdkafka cannot host a custom assignor. The group's
//! protocol type is `consumer`, so Kafka's group tools list it, and its members' assigned
//! partitions are the source partitions of their tasks.
//!
//! Key types:
//! - [`Membership`]: one process's membership, on a thread of its own that joins, syncs and
//!   heartbeats; the job reads [`MembershipEvent`]s from it (tasks assigned, tasks to give
//!   up) and the generation to fence its transactional offset commits with.
//! - [`member_data`]: what members and the leader exchange (the job's plan fingerprint, the
//!   tasks owned, the tasks assigned), with its byte layout.
//! - [`changelog`]: keyed state in compacted changelog topics (a key-group section per
//!   record), written in the process's transaction and restored by a task that moves.
//! - [`GroupError`]: the crate's errors.
//!
//! The crate knows nothing of the engine: a task is two numbers, and what a stage is belongs
//! to the job that asks for membership.
//!
//! ```no_run
//! use std::time::Duration;
//! use spate_group::{Membership, MembershipConfig, MembershipEvent, TaskId};
//!
//! # fn main() -> Result<(), spate_group::GroupError> {
//! let tasks: Vec<TaskId> = (0..12).map(|i| TaskId::new(0, i)).collect();
//! let mut config = MembershipConfig::new("localhost:9092", "my-job", 0x5eed);
//! config.topics = vec!["orders".into()];
//! let membership = Membership::start(config, tasks)?;
//! if let Some(MembershipEvent::Assigned { generation, tasks }) =
//!     membership.next_event(Duration::from_secs(30))?
//! {
//!     println!("generation {generation}: running {tasks:?}");
//! }
//! membership.close(true);
//! # Ok(())
//! # }
//! ```

pub mod assignor;
pub mod changelog;
mod error;
pub mod member_data;
mod membership;
mod task;

pub use error::GroupError;
pub use membership::{ASSIGNOR_NAME, Membership, MembershipConfig, MembershipEvent};
pub use spate_kafka_client::GroupMetadata;
pub use task::TaskId;
