//! spate-engine
pub mod bench;
pub mod connect;
mod error;
mod graph;
mod keyed;
pub mod keyed_process;
pub mod keygroup;
mod metrics;
mod operators;
mod record;
mod runtime;
pub mod source;
pub mod state;
mod stream;
pub mod watermark;
pub mod window;

pub use error::EngineError;
pub use metrics::{OperatorMetrics, OperatorReport, TaskMetrics};
pub use operators::{
    CollectHandle, CollectSink, FnSink, OutputTag, ProcessContext, ProcessFunction, Sink, SinkContext,
};
pub use record::{Data, Key, MAX_WATERMARK, MIN_WATERMARK, NO_TIMESTAMP, Record, Timestamp, Window};
pub use runtime::plan::{JobConfig, JobResult};
pub use source::{Source, SourceBatch, SourceContext, SourceStatus};
pub use stream::{DataStream, KeyedStream, StreamEnvironment};
pub use watermark::WatermarkStrategy;
