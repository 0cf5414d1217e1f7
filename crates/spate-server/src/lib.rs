//! `spate-server`: Spate as a service. One process hosts Spate's Kafka broker (or talks to an
//! external cluster), a job manager that runs Flink SQL scripts as jobs, and a REST API shaped
//! like Flink's, documented in `docs/rest-api.md`.
//!
//! - [`Server`] ([`server`]): starts the broker, resumes stored jobs, serves the API; its
//!   shutdown stops every job with a savepoint and flushes the broker.
//! - [`JobManager`] ([`manager`]): submit, cancel, savepoints, stop, resume; each [`job::Job`]
//!   runs its script in a [`spate_sql::Session`] on a thread of its own.
//! - [`store`]: job definitions and states under `<data-dir>/jobs/<id>/job.json`, beside the
//!   job's checkpoints, so a server killed with SIGKILL resumes its running jobs from their
//!   latest checkpoints on the next start.
//! - [`view`]: vertices, rates and checkpoint history from the engine's live metrics;
//!   [`kafka_view`]: topics, groups and lag read over the Kafka protocol.
//! - [`graph`]: a job's operators and edges, from its script's `EXPLAIN`;
//!   [`messages`]: records of a partition for the message browser; [`preview`]: `SELECT`s
//!   run for the dashboard's SQL page, their rows polled.
//! - [`schemas`]: the schema registry's subjects, versions and levels for the dashboard's
//!   Schemas page, read from the registry the binary attaches ([`Server::schema_registry`]).
//! - [`principal`]: who a request comes from (the token's holder, or a user of the broker by
//!   HTTP basic authentication or client certificate); [`rights`]: what it may do, by the
//!   broker's ACLs; jobs keep their owner and each run is checked against the owner's rights.
//! - [`rest`]: the HTTP routes and the embedded web dashboard; [`Client`] ([`client`]): the API from Rust (the CLI's
//!   `spate jobs`).
//!
//! Contracts: a job id is 32 hex digits; states are Flink's (`RUNNING`, `FINISHED`,
//! `FAILED`, `CANCELED`); a job script holds exactly one `INSERT INTO` or statement set,
//! checked (parsed and planned) before it is accepted; every job checkpoints (a default
//! interval applies when its script sets none).

pub mod allowed_dirs;
pub mod client;
pub mod cluster;
pub mod embedded;
pub mod error;
pub mod graph;
pub mod job;
pub mod job_id;
pub mod kafka_view;
pub mod manager;
pub mod messages;
pub mod preview;
pub mod principal;
pub mod rest;
pub mod rights;
pub mod schemas;
pub mod script;
pub mod server;
pub mod store;
pub mod token;
pub mod view;

pub use client::Client;
pub use cluster::Cluster;
pub use error::{Result, ServerError};
pub use job_id::JobId;
pub use manager::JobManager;
pub use principal::{Owner, Principal};
pub use rest::connections::HttpLimits;
pub use rights::Rights;
pub use server::{DEFAULT_MAX_JOBS, Server, ServerConfig};
pub use spate_broker::BrokerConfig;
pub use store::JobState;
