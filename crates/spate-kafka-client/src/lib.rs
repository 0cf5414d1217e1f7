//! Spate's own Kafka wire client: blocking, one connection per broker, on the `kafka-protocol`
//! codec, for what `rdkafka` does not do or does not do fast enough.
//!
//! - [`BrokerConnection`]: a connection to one broker (TCP or TLS, with a SASL PLAIN or SCRAM
//!   login from [`ClientSecurity`]), versions negotiated with ApiVersions, and the requests
//!   librdkafka does not expose: transactions of *another* producer (the exactly-once sink's
//!   recovery, `spate transactions`), topics with the broker's error messages, ACLs
//!   ([`acls`]), SCRAM users ([`scram_users`]), client quotas ([`quotas`]).
//! - [`GroupMember`]: one member of a group on the classic group protocol (join, sync,
//!   heartbeat, leave) whose leader assigns with code of its own, and the `consumer` protocol's
//!   embedded messages ([`consumer_protocol`]) so Kafka's tools can list such a group.
//! - [`fetch_committed_offsets`]: a group's offsets with `require_stable`, as a task taking
//!   over partitions reads them.
//! - [`TransactionalProducer`]: Kafka's exactly-once v2 producer (one per process; its
//!   transactions carry a group member's offsets, fenced by the member's generation).
//! - [`fetcher::Fetcher`]: a thread fetching whole record batches from the partition leaders,
//!   for the engine's Kafka source on any cluster.
//! - [`produce_load`]: a Produce load generator for broker benchmarks.
//!
//! Contracts: every call has a timeout; a broker that cannot be reached is
//! [`ClientError::Unreachable`] (a retry may succeed), an error the broker answered is
//! [`ClientError::Code`] with its Kafka code and name. The crate knows nothing of Spate's broker
//! or engine: the shared security vocabulary is `spate_kafka_security`.
//!
//! ```no_run
//! use std::time::Duration;
//! use spate_kafka_client::BrokerConnection;
//!
//! # fn main() -> Result<(), spate_kafka_client::ClientError> {
//! let mut broker = BrokerConnection::connect_to("localhost:9092", Duration::from_secs(5))?;
//! broker.create_topic("orders", 3, 1, &[])?;
//! for t in broker.list(&["Ongoing"])? {
//!     println!("{} is open since {}", t.transactional_id, t.producer_id);
//! }
//! # Ok(())
//! # }
//! ```

pub mod acls;
mod broker_connection;
pub mod client_security;
mod client_stream;
pub mod consumer_protocol;
mod error;
pub mod fetcher;
mod group_description;
mod group_member;
mod group_offsets;
pub mod produce_load;
pub mod quotas;
mod record_batch;
mod reply_buffers;
pub mod scram_users;
mod transactional_producer;

pub use broker_connection::{
    ActiveProducer, BrokerConnection, ListedTransaction, TransactionDescription, error_name,
};
pub use client_security::ClientSecurity;
pub use error::ClientError;
pub use group_description::{GroupDescription, GroupMemberDescription, describe_group};
pub use group_member::{GroupMember, GroupProtocol, Heartbeat, Joined, JoinedMember, MemberConfig, Synced};
pub use group_offsets::{CommittedOffset, fetch_all_committed_offsets, fetch_committed_offsets};
pub use transactional_producer::{GroupMetadata, OutRecord, TransactionalProducer, TxnProducerConfig};
