//! # spate-broker — a Kafka-wire-compatible broker on durable storage
//!
//! Serves the Kafka protocol (codec from the `kafka-protocol` crate) over TCP on top of
//! [`spate_log::LogStore`]. Any Kafka client — librdkafka/kcat, confluent-kafka, kafka-python,
//! the Java client — uses it unchanged. It runs as the `spate broker` command or embedded in a
//! process (the engine, tests) on an ephemeral port.
//!
//! Key types:
//! - [`Broker::start`] opens (recovering) a data directory and starts serving.
//! - [`BrokerHandle`]: the running broker: address, storage, graceful shutdown.
//! - [`BrokerConfig`]: listen address, data directory, topic defaults, and
//!   [`ExpirationConfig`] (Kafka's producer and transactional id expiration).
//! - [`local::LocalBroker`]: a read-only handle for readers in the broker's process (the
//!   engine's Kafka source reads partition logs through it, without a socket).
//! - [`tls`]: SSL and SASL_SSL listeners (rustls), the certificate-subject principal, and the
//!   client TLS settings of Spate's raw-protocol client.
//! - [`BrokerAccess`]: the users and ACLs for a front end in the broker's process (HTTP basic
//!   authentication against the SCRAM users, its actions checked against the ACLs).
//! - [`acl`]: Kafka's ACL model, matching rules and ACL file format; the authorizer that every
//!   request passes when it is on ([`BrokerConfig::authorizer_enabled`]).
//! - [`quotas`]: client quotas (produce/consume byte rates per user and client id, Kafka's
//!   defaults and precedence), managed with AlterClientQuotas/DescribeClientQuotas and
//!   enforced by throttling (KIP-219); [`BrokerConfig::quota_window`] is how rates are measured.
//!
//! Contracts: requests on one connection are answered in the order they were sent; appends to a
//! partition are serialized while partitions proceed in parallel; an acks=all produce is
//! acknowledged only after its data is fsynced; malformed input gets a Kafka error code or a
//! closed connection, never a panic. Transactions (`txn` module): a transaction's outcome is
//! durable before any marker is written, EndTxn replies after every marker is fsynced, zombie
//! producers are fenced by epoch, and a restart completes prepared transactions while open ones
//! survive it (as in Kafka) until their producer ends them, their timeout (counted from their
//! start) passes, or InitProducerId for their id fences them; read_committed consumers never see
//! an open or aborted transaction's records.
//! DescribeTransactions and ListTransactions expose each transactional id's state, producer id
//! and epoch, so a process that lost its producer can end a lingering transaction with EndTxn
//! from any connection.
//! Compacted topics (`cleanup.policy=compact`) are cleaned by background threads
//! ([`CleanerConfig`], Kafka's `log.cleaner.*`) that are stopped before the clean-shutdown
//! marker is written; `__consumer_offsets` is one of them.
//!
//! ```no_run
//! # async fn run() -> Result<(), spate_broker::Error> {
//! use spate_broker::{Broker, BrokerConfig};
//! let broker = Broker::start(BrokerConfig::ephemeral("/tmp/spate-data")).await?;
//! println!("bootstrap.servers={}", broker.bootstrap_servers());
//! broker.shutdown().await?;
//! # Ok(()) }
//! ```

// No unsafe code here; `forbid` keeps it that way (the workspace lint only denies it).
#![forbid(unsafe_code)]

mod access;
pub mod acl;
mod clock;
pub mod codec;
mod config;
mod connection;
mod disk_full;
mod dispatch;
mod error;
mod error_codes;
mod expiration;
mod fetch_sessions;
mod file_limits;
mod groups;
mod handlers;
mod handshake_failure_log;
mod internal_topics;
mod isolation;
mod line_file;
mod listeners;
pub mod local;
mod log_cleaner;
mod memory_budget;
mod producer_ids;
pub mod properties;
pub mod quotas;
mod reply;
mod sasl;
mod server;
mod server_properties;
mod session;
mod setting;
mod state;
mod state_file;
mod syncer;
mod throttle;
pub mod tls;
mod transport;
mod txn;

pub use access::BrokerAccess;
pub use config::BrokerConfig;
pub use error::{Error, Result};
pub use expiration::ExpirationConfig;
pub use listeners::{ListenerConfig, SecurityProtocol};
pub use log_cleaner::CleanerConfig;
pub use sasl::{PlainLoginLimits, SaltedPassword, SaslMechanism, ScramClient, ScramCredential, credentials};
pub use server::{Broker, BrokerHandle};
pub use server_properties::NotApplied;
pub use setting::Setting;

/// The SASL exchange of one unauthenticated connection without a socket, for the fuzzer.
#[doc(hidden)]
pub mod sasl_exchange {
    pub use crate::sasl::authenticator::Step;
    pub use crate::sasl::standalone::SaslExchange;
}
