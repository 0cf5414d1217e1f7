//! # spate-connectors — where the log side and the engine side meet
//!
//! Sources and sinks for [`spate_engine`] jobs. Every connector follows the checkpoint
//! contracts of [`spate_engine::Source`] (positions snapshotted at the barrier, restored from
//! every old subtask) and [`spate_engine::Sink`] (pre-commit at the barrier, commit when the
//! checkpoint completes, finish or abort leftovers on restore).
//!
//! ## Key types
//! - [`kafka`]: Kafka source and sink on `rdkafka`; they work against any Kafka cluster and
//!   against Spate's embedded broker.
//! - [`datagen`]: sequence, random and Nexmark generators.
//! - [`file`]: newline-delimited JSON and CSV file sources and sinks (exactly-once file sink by
//!   rename on commit).
//! - [`print`]: print and blackhole sinks.
pub mod datagen;
mod error;
pub mod file;
pub mod kafka;
pub mod print;

pub use error::ConnectorError;
