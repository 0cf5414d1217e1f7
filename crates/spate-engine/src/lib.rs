//! # spate-engine — the dataflow runtime (the Flink half of Spate)
//!
//! A typed DataStream API over a batched, backpressured, event-time dataflow runtime. It needs
//! no broker: sources and sinks are traits, and Kafka connectors plug in later.
//!
//! ## Key types
//! - [`StreamEnvironment`]: builds a job (sources, config) and [`execute`](StreamEnvironment::execute)s it.
//! - [`DataStream<T>`]: `map`, `filter`, `flat_map`, `process` (side outputs via [`OutputTag`]),
//!   `union`, `connect` ([`connect::CoProcessFunction`]), `rebalance`, `broadcast`, `key_by`, sinks.
//! - [`KeyedStream<K, T, KS>`]: rolling `reduce`, `process` with keyed state and timers
//!   ([`keyed_process::KeyedProcessFunction`], [`state`]), `window`, `count_window` and
//!   `count_window_sliding`;
//!   `connect` with another keyed stream ([`keyed_co_process::KeyedCoProcessFunction`]: keyed
//!   state and timers over two inputs) and `connect_broadcast`.
//! - [`broadcast`]: broadcast state ([`broadcast::BroadcastStateDescriptor`]) written by a
//!   broadcast stream and read-only on the other input
//!   ([`broadcast::BroadcastProcessFunction`], [`broadcast::KeyedBroadcastProcessFunction`]).
//! - [`join`]: window joins (`a.join(&b).where_key(..).equal_to(..).window(..).apply(f)`) and
//!   interval joins (`ka.interval_join(&kb).between(lower, upper)?.process(f)`).
//! - [`window::WindowedStream`]: tumbling, sliding, session (merging) and global windows
//!   ([`window::WindowAssigner`]), triggers ([`window::Trigger`]), allowed lateness, a late-data
//!   side output, incremental `reduce` / `aggregate` ([`window::AggregateFunction`]) and
//!   full-window `process`; results carry their window ([`window::WindowResult`]).
//! - [`Source`] / [`Sink`]: the connector traits (contracts in their docs); built-ins are
//!   [`source::SequenceSource`], [`source::CollectionSource`], [`source::GeneratorSource`],
//!   [`CollectSink`] and [`FnSink`].
//! - [`WatermarkStrategy`]: timestamp assigner, bounded out-of-orderness or monotonic
//!   watermarks per source split, idleness.
//! - [`checkpoint`]: aligned checkpoints ([`CheckpointConfig`] via
//!   [`StreamEnvironment::enable_checkpointing`]), restarts ([`RestartStrategy`]), restore
//!   from a savepoint at any parallelism ([`StreamEnvironment::restore_from`]), and
//!   [`JobHandle`] for progress, savepoints and stop-with-savepoint while a job runs. State
//!   types implement serde's `Serialize`/`Deserialize` ([`StateData`]).
//! - [`JobResult`]: per-operator metrics (records in/out, bytes, watermark, busy and
//!   backpressured time of the task running it).
//! - [`bench::window_count`]: the benchmark job behind `spate bench window-count`.
//!
//! ## Execution model (see DESIGN.md)
//! The logical graph becomes tasks: forward edges between equal parallelisms are *chained*
//! (direct calls, no channel); other edges are bounded channels of record batches between every
//! pair of subtasks; `key_by` routes by key group (`max_parallelism` groups, default 128,
//! assigned to subtasks in ranges). Tasks are cooperative state machines run by a bounded pool
//! of worker threads; a full channel stops its producer from taking more input, which is how
//! backpressure reaches the sources. Watermarks, idleness and end-of-stream travel in-band; a
//! task's watermark is the minimum over its active input channels. Bounded jobs end with the
//! watermark `+inf`, which fires every event-time window and timer; then, as in Flink's batch
//! execution, the remaining processing-time timers of keyed functions fire and timers
//! registered after that are ignored.
//!
//! ## Example
//! ```
//! use std::time::Duration;
//! use spate_engine::{StreamEnvironment, WatermarkStrategy};
//! use spate_engine::source::SequenceSource;
//! use spate_engine::window::WindowAssigner;
//!
//! # fn main() -> Result<(), spate_engine::EngineError> {
//! let env = StreamEnvironment::new();
//! env.set_parallelism(2);
//! // Event time = the value in ms; count per key (value % 3) in 100 ms windows.
//! let strategy = WatermarkStrategy::monotonic().with_timestamp_assigner(|v: &u64, _| *v as i64);
//! let counts = env
//!     .add_source("numbers", SequenceSource::new(0, 1000), strategy)
//!     .key_by(|v: &u64| v % 3)
//!     .window(WindowAssigner::tumbling(Duration::from_millis(100)))
//!     .count()
//!     .collect();
//! let result = env.execute()?;
//! assert_eq!(counts.values().iter().map(|r| r.value).sum::<u64>(), 1000);
//! assert_eq!(counts.values().len(), 3 * 10);
//! assert!(result.elapsed.as_secs() < 60);
//! # Ok(()) }
//! ```

// No unsafe code here; `forbid` keeps it that way (the workspace lint only denies it).
#![forbid(unsafe_code)]
pub mod bench;
pub mod checkpoint;
pub mod clock;
pub mod durable;
mod error;
pub mod exchange;
mod explain;
mod graph;
pub mod join;
pub mod keygroup;
pub mod memory;
mod metrics;
#[cfg(test)]
mod operator_test_support;
mod operators;
mod placement;
mod plan;
mod reclaim;
mod record;
mod runtime;
mod sink;
pub mod source;
pub mod state;
mod stream;
pub mod topology;
pub mod watermark;
pub mod window;

pub use checkpoint::{
    CheckpointConfig, CheckpointFailure, FAILED_CHECKPOINTS_KEPT, FAILURES_KEPT, FailureRecord, JobHandle,
    JobProgress, OperatorStateSize, RestartDecision, RestartSeries, RestartStrategy, checkpoint_state_sizes,
};
pub use error::EngineError;
pub use explain::{OperatorEdge, OperatorGraph, OperatorNode};
pub use metrics::{OperatorMetrics, OperatorReport, TaskMetrics};
pub use operators::process::{ProcessContext, ProcessFunction};
// The function families keep their public paths (`spate_engine::keyed_process::...`).
pub use operators::local_aggregate::LocalPartial;
pub use operators::{broadcast, connect, keyed_co_process, keyed_process, local_aggregate};
pub use plan::{JobConfig, JobResult};
pub use record::{
    Data, Key, MAX_WATERMARK, MIN_WATERMARK, NO_TIMESTAMP, Record, StateData, Timestamp, Window,
};
pub use runtime::output::OutputTag;
pub use sink::{CollectHandle, CollectSink, FnSink, Sink, SinkContext, sink_states_for};
pub use source::{LogOffset, LogOffsetsFn, Source, SourceBatch, SourceContext, SourceStatus, own_position};
pub use stream::{DataStream, KeyedStream, StreamEnvironment};
pub use watermark::WatermarkStrategy;
