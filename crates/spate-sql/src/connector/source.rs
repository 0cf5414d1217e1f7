//! [`RowSource`]: the one engine source every scanned table becomes.
//!
//! A connector supplies a [`RowReader`] (records of one split per call, with physical and
//! metadata columns filled); `RowSource` completes each row (computed columns), takes its
//! rowtime as the record's engine timestamp and hands it on. Watermarks are the engine's:
//! per split, bounded out of orderness, combined by minimum, with idleness. Doing this in the
//! source (not in a later operator) is what keeps watermarks per Kafka partition, as Flink's
//! watermark push-down does.

use std::sync::Arc;
use std::time::Duration;

use spate_engine::{
    DataStream, EngineError, Source, SourceBatch, SourceContext, SourceStatus, StreamEnvironment, Timestamp,
    WatermarkStrategy,
};

use super::{CompleteRow, ConnectorContext, Rowtime, ScanPlan};
use crate::error::SqlError;
use crate::value::{Row, Value};

/// A connector's reader of one source subtask (see [`spate_engine::Source`] for the contract of
/// each method; `poll` emits records of a single split per call).
pub(crate) trait RowReader: Clone + Send + 'static {
    /// Opens the subtask; returns its number of splits.
    fn open(&mut self, ctx: &SourceContext) -> Result<usize, EngineError>;
    /// Appends up to `max` rows of one split with their source timestamps; returns the split.
    fn poll(
        &mut self,
        max: usize,
        out: &mut Vec<(Row, Timestamp)>,
    ) -> Result<(usize, SourceStatus), EngineError>;
    /// The position after the last row handed out.
    fn snapshot(&mut self, checkpoint_id: u64) -> Result<Vec<u8>, EngineError>;
    /// Rewinds to the positions of every old subtask.
    fn restore(&mut self, ctx: &SourceContext, positions: &[Vec<u8>]) -> Result<(), EngineError>;
    /// A checkpoint completed.
    fn checkpoint_complete(&mut self, checkpoint_id: u64) -> Result<(), EngineError> {
        let _ = checkpoint_id;
        Ok(())
    }
}

/// What went wrong with a row after its connector read it.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RowError {
    /// A computed column failed.
    #[error("table {table}: computing a column failed: {source}")]
    Compute {
        table: String,
        source: crate::expr::EvalError,
    },
    /// The rowtime column is NULL (Flink fails the job too).
    #[error(
        "table {table}: RowTime field should not be null, please convert it to a non-null long value (column {column} is NULL)"
    )]
    NullRowtime { table: String, column: String },
    /// The rowtime column is not a timestamp.
    #[error("table {table}: the rowtime column {column} is not a timestamp")]
    NotTimestamp { table: String, column: String },
}

/// The engine source of a table (see the module docs).
#[derive(Clone)]
pub(crate) struct RowSource<R> {
    reader: R,
    complete: CompleteRow,
    rowtime: Option<(usize, String)>,
    table: Arc<str>,
    buf: Vec<(Row, Timestamp)>,
    /// Rows per poll: 1 makes the watermark follow every record (see
    /// `ConnectorContext::per_record_watermarks`).
    max_per_poll: usize,
}

impl<R> std::fmt::Debug for RowSource<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowSource")
            .field("table", &self.table)
            .finish_non_exhaustive()
    }
}

impl<R: RowReader> Source<Row> for RowSource<R> {
    fn open(&mut self, ctx: &SourceContext) -> Result<usize, EngineError> {
        self.reader.open(ctx)
    }

    fn poll(&mut self, out: &mut SourceBatch<Row>) -> Result<SourceStatus, EngineError> {
        self.buf.clear();
        let (split, status) = self
            .reader
            .poll(out.remaining().min(self.max_per_poll), &mut self.buf)?;
        out.set_split(split);
        for (mut row, source_ts) in self.buf.drain(..) {
            (self.complete)(&mut row).map_err(|source| {
                EngineError::fatal(RowError::Compute {
                    table: self.table.to_string(),
                    source,
                })
            })?;
            let ts = match &self.rowtime {
                None => source_ts,
                Some((column, name)) => match row.get(*column) {
                    Some(Value::Timestamp(micros)) => micros.div_euclid(1000),
                    Some(Value::Null) | None => {
                        return Err(EngineError::fatal(RowError::NullRowtime {
                            table: self.table.to_string(),
                            column: name.clone(),
                        }));
                    }
                    Some(_) => {
                        return Err(EngineError::fatal(RowError::NotTimestamp {
                            table: self.table.to_string(),
                            column: name.clone(),
                        }));
                    }
                },
            };
            out.push_with_timestamp(row, ts);
        }
        Ok(status)
    }

    fn snapshot_position(&mut self, checkpoint_id: u64) -> Result<Vec<u8>, EngineError> {
        self.reader.snapshot(checkpoint_id)
    }

    fn restore_positions(&mut self, ctx: &SourceContext, positions: &[Vec<u8>]) -> Result<(), EngineError> {
        self.reader.restore(ctx, positions)
    }

    fn notify_checkpoint_complete(&mut self, checkpoint_id: u64) -> Result<(), EngineError> {
        self.reader.checkpoint_complete(checkpoint_id)
    }
}

/// Adds `reader` as the source of `plan`'s table.
///
/// Watermarks are Flink SQL's, `max(rowtime) - delay` (the engine's `trailing` strategy; the
/// DataStream API's bounded out of orderness trails by one millisecond more).
pub(crate) fn add_source<R: RowReader>(
    env: &StreamEnvironment,
    plan: &ScanPlan,
    ctx: &ConnectorContext,
    reader: R,
    parallelism: Option<usize>,
) -> Result<DataStream<Row>, SqlError> {
    let options = super::opts::Options::new(&plan.table);
    let name = options.table_name();
    let rowtime = plan
        .rowtime
        .map(|Rowtime { column, .. }| {
            plan.table
                .columns
                .get(column)
                .map(|c| (column, c.name.as_str().to_string()))
                .ok_or_else(|| options.error(format!("the rowtime column index {column} is out of range")))
        })
        .transpose()?;
    let source = RowSource {
        reader,
        complete: plan.complete.clone(),
        rowtime,
        table: Arc::from(name.as_str()),
        buf: Vec::new(),
        max_per_poll: if ctx.per_record_watermarks { 1 } else { usize::MAX },
    };
    let idle = options
        .duration("scan.watermark.idle-timeout")?
        .or(ctx.idle_timeout)
        .filter(|d| !d.is_zero());
    let mut strategy = match plan.rowtime {
        Some(r) => {
            if r.delay_ms < 0 {
                return Err(options.error(format!(
                    "the watermark runs ahead of the rowtime by {} ms; only delays of 0 or more are supported",
                    -r.delay_ms
                )));
            }
            let delay = u64::try_from(r.delay_ms).unwrap_or(0);
            WatermarkStrategy::trailing(Duration::from_millis(delay))
        }
        None => WatermarkStrategy::no_watermarks(),
    };
    if let Some(idle) = idle {
        strategy = strategy.with_idleness(idle);
    }
    if !ctx.per_record_watermarks {
        strategy = strategy.with_emit_interval(ctx.watermark_interval);
    }
    let mut stream = env.add_source(&name, source, strategy);
    if let Some(p) = parallelism {
        stream = stream.set_parallelism(p);
    }
    Ok(stream)
}
