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
//! - [`datagen`]: sequence, random and Nexmark generators ([`datagen::DatagenSource`]),
//!   rescalable and optionally throttled.
//! - [`file`](mod@file): newline-delimited JSON and CSV file sources and sinks (exactly-once file sink by
//!   rename on commit).
//! - [`print`](mod@print): print and blackhole sinks.
//! - [`Emitter`] / [`VecBatch`]: sources of this crate can be polled without a running job.
//!
//! ## Example
//! ```
//! use spate_connectors::datagen::DatagenSource;
//! use spate_connectors::print::BlackholeSink;
//! use spate_engine::{StreamEnvironment, WatermarkStrategy};
//!
//! # fn main() -> Result<(), spate_engine::EngineError> {
//! let env = StreamEnvironment::new();
//! let (sink, count) = BlackholeSink::new();
//! env.add_source("numbers", DatagenSource::sequence(0, 1000), WatermarkStrategy::no_watermarks())
//!     .add_sink("blackhole", sink);
//! env.execute()?;
//! assert_eq!(count.get(), 1000);
//! # Ok(()) }
//! ```

// No unsafe code here; `forbid` keeps it that way (the workspace lint only denies it).
#![forbid(unsafe_code)]
pub mod datagen;
mod emit;
mod error;
pub mod file;
pub mod kafka;
pub mod print;
mod rate_limit;
mod state_codec;

pub use emit::{Emitter, VecBatch};
pub use error::{ConnectorError, OversizedRecord};
pub use rate_limit::RateLimiter;
