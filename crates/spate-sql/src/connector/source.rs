//! [`RowSource`]: the one engine source every scanned table becomes.
//!
//! A connector supplies a [`RowReader`] (records of one split per call, with physical and
//! metadata columns filled), which emits into a [`RowOut`] that appends each row to the engine's
//! batch, so a row is moved once between the connector and the engine. Every
//! [`COMPLETE_CHUNK`] rows, and at the end of the poll, the rows are completed in the batch
//! (computed columns, an expression at a time over the chunk) and each gets its rowtime as the
//! record's engine timestamp. Watermarks are the engine's:
//! per split, bounded out of orderness, combined by minimum, with idleness. Doing this in the
//! source (not in a later operator) is what keeps watermarks per Kafka partition, as Flink's
//! watermark push-down does.

use std::sync::Arc;
use std::time::Duration;

use spate_connectors::Emitter;
use spate_engine::{
    DataStream, EngineError, LogOffset, Source, SourceBatch, SourceContext, SourceStatus, StreamEnvironment,
    Timestamp, WatermarkStrategy,
};

use super::{CompleteRows, ConnectorContext, Rowtime, ScanPlan};
use crate::error::SqlError;
use crate::value::{Change, Row, RowKind, Value};

/// A connector's reader of one source subtask (see [`spate_engine::Source`] for the contract of
/// each method; `poll` emits records of a single split per call).
pub(crate) trait RowReader: Clone + Send + 'static {
    /// Opens the subtask; returns its number of splits.
    fn open(&mut self, ctx: &SourceContext) -> Result<usize, EngineError>;
    /// Emits up to `out.remaining()` rows of one split (named with `out.set_split`) with their
    /// source timestamps. Rows go straight into the engine's batch: no buffer in between.
    fn poll(&mut self, out: &mut RowOut<'_>) -> Result<SourceStatus, EngineError>;
    /// The position after the last row handed out.
    fn snapshot(&mut self, checkpoint_id: u64) -> Result<Vec<u8>, EngineError>;
    /// Rewinds to the positions of every old subtask.
    fn restore(&mut self, ctx: &SourceContext, positions: &[Vec<u8>]) -> Result<(), EngineError>;
    /// A checkpoint completed.
    fn checkpoint_complete(&mut self, checkpoint_id: u64) -> Result<(), EngineError> {
        let _ = checkpoint_id;
        Ok(())
    }

    /// The log offsets a snapshotted position stands for ([`Source::log_offsets`]).
    fn log_offsets(position: &[u8]) -> Vec<LogOffset> {
        let _ = position;
        Vec::new()
    }
}

/// Rows completed at a time while a poll goes on. Completed once the whole batch was read, a
/// batch of 4096 rows (384 KiB of values in the tumble-count benchmark) was walked once by the
/// reader, once per computed column and once for the rowtime, each time from the L2 cache; a
/// chunk of 128 rows stays in L1 from its making to its rowtime.
const COMPLETE_CHUNK: usize = 128;

/// Where a [`RowReader`] puts its rows during one poll: each row is appended to the engine's
/// batch with its source timestamp, and every [`COMPLETE_CHUNK`] rows (and once the reader is
/// done) [`RowSource`] completes them (computed columns) and gives each its rowtime as the
/// engine timestamp. A row that cannot be completed fails the job (the rows from it on are
/// dropped).
pub(crate) struct RowOut<'a> {
    batch: &'a mut SourceBatch<Row>,
    /// Rows this poll may still emit (below the batch's room when watermarks follow every row).
    left: usize,
    complete: &'a CompleteRows,
    /// The rowtime column.
    rowtime: Option<usize>,
    /// The batch's rows before this index are completed.
    completed: usize,
    /// The first row that could not be completed (its index in the batch), and why.
    failed: Option<(usize, Failure)>,
}

/// Why a row could not be completed.
#[derive(Debug)]
enum Failure {
    Compute(crate::expr::EvalError),
    NullRowtime,
    NotTimestamp,
}

impl RowOut<'_> {
    /// Names the split of this poll's rows.
    pub(crate) fn set_split(&mut self, split: usize) {
        self.batch.set_split(split);
    }

    /// Appends `row` with its source timestamp (see the type's docs). A row past `remaining`
    /// is still kept (the reader's position already covers it).
    #[inline]
    pub(crate) fn push(&mut self, row: Row, source_ts: Timestamp) {
        self.left = self.left.saturating_sub(1);
        self.batch.push_with_timestamp(row, source_ts);
        if self.batch.len() - self.completed >= COMPLETE_CHUNK {
            self.complete_rows();
        }
    }

    /// How many more rows this poll takes.
    #[inline]
    pub(crate) fn remaining(&self) -> usize {
        self.left
    }

    /// Completes the rows pushed since the last call, unless an earlier row failed.
    #[inline(never)]
    fn complete_rows(&mut self) {
        let from = self.completed;
        self.completed = self.batch.len();
        if self.failed.is_some() {
            return;
        }
        let rows = self.batch.emitted_mut(from);
        if let Err((i, error)) = (self.complete)(rows) {
            self.failed = Some((from + i, Failure::Compute(error)));
            return;
        }
        let Some(column) = self.rowtime else {
            return;
        };
        for (i, r) in rows.iter_mut().enumerate() {
            let failure = match r.value.get(column) {
                Some(Value::Timestamp(micros)) => {
                    r.timestamp = micros.div_euclid(1000);
                    continue;
                }
                Some(Value::Null) | None => Failure::NullRowtime,
                Some(_) => Failure::NotTimestamp,
            };
            self.failed = Some((from + i, failure));
            return;
        }
    }
}

/// What one record becomes: nothing (a record the format skips, or one
/// `*.ignore-parse-errors` skipped), one row, or several (a changelog format's update: its
/// `-U` and `+U`; a Canal event's batch).
#[derive(Debug)]
pub(crate) enum Decoded {
    None,
    One(Row),
    Many(Vec<Row>),
}

impl Decoded {
    /// `rows`, without a vector for none or one.
    pub(crate) fn of_rows(mut rows: Vec<Row>) -> Self {
        match rows.len() {
            0 => Decoded::None,
            1 => rows.pop().map_or(Decoded::None, Decoded::One),
            _ => Decoded::Many(rows),
        }
    }

    /// Calls `f` with each row, in order.
    #[inline]
    pub(crate) fn for_each(self, mut f: impl FnMut(Row)) {
        match self {
            Decoded::None => {}
            Decoded::One(row) => f(row),
            Decoded::Many(rows) => rows.into_iter().for_each(f),
        }
    }
}

impl Emitter<Decoded> for RowOut<'_> {
    fn set_split(&mut self, split: usize) {
        RowOut::set_split(self, split);
    }

    #[inline]
    fn emit(&mut self, rows: Decoded, source_ts: Timestamp) {
        rows.for_each(|row| self.push(row, source_ts));
    }

    #[inline]
    fn remaining(&self) -> usize {
        RowOut::remaining(self)
    }
}

/// A changelog table's source rows (a table whose format is a CDC format) have one column more
/// than the table, after its own: the row's kind, which [`into_change`] takes off again (so a
/// changelog travels through the one `Row` source every table has).
pub(crate) fn kind_value(kind: RowKind) -> Value {
    Value::Int(kind as i64)
}

/// The change a changelog table's source row stands for: `row` must end with the kind column
/// [`kind_value`] made.
pub(crate) fn into_change(mut row: Row) -> Change {
    let kind = match row.pop() {
        Some(Value::Int(k)) if k == RowKind::UpdateBefore as i64 => RowKind::UpdateBefore,
        Some(Value::Int(k)) if k == RowKind::UpdateAfter as i64 => RowKind::UpdateAfter,
        Some(Value::Int(k)) if k == RowKind::Delete as i64 => RowKind::Delete,
        _ => RowKind::Insert,
    };
    Change { kind, row }
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
    complete: CompleteRows,
    rowtime: Option<(usize, String)>,
    table: Arc<str>,
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
        let mut rows = RowOut {
            left: out.remaining().min(self.max_per_poll),
            completed: out.len(),
            batch: out,
            complete: &self.complete,
            rowtime: self.rowtime.as_ref().map(|(column, _)| *column),
            failed: None,
        };
        let status = self.reader.poll(&mut rows)?;
        rows.complete_rows();
        let Some((i, failure)) = rows.failed else {
            return Ok(status);
        };
        out.truncate(i);
        let table = self.table.to_string();
        let column = || {
            self.rowtime
                .as_ref()
                .map(|(_, name)| name.clone())
                .unwrap_or_default()
        };
        Err(EngineError::fatal(match failure {
            Failure::Compute(source) => RowError::Compute { table, source },
            Failure::NullRowtime => RowError::NullRowtime {
                table,
                column: column(),
            },
            Failure::NotTimestamp => RowError::NotTimestamp {
                table,
                column: column(),
            },
        }))
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

    fn log_offsets(position: &[u8]) -> Vec<LogOffset> {
        R::log_offsets(position)
    }
}

/// Flink 2.3's `scan.watermark.*` table options (`FactoryUtil`'s source watermark options):
/// `emit.strategy` `on-event` advances the watermark after every record (as
/// `pipeline.auto-watermark-interval` = 0 does for every table), `on-periodic` at the
/// session's interval; `idle-timeout` is read by [`add_source`]. Watermark alignment
/// (`alignment.group`, `alignment.max-drift`, `alignment.update-interval`) is refused rather
/// than ignored: Spate's sources do not pause for one another.
fn watermark_per_record(
    options: &super::opts::Options<'_>,
    ctx: &ConnectorContext,
) -> Result<bool, SqlError> {
    for key in [
        "scan.watermark.alignment.group",
        "scan.watermark.alignment.max-drift",
        "scan.watermark.alignment.update-interval",
    ] {
        if options.get(key).is_some() {
            return Err(options.invalid(
                key,
                "watermark alignment is not supported yet (Spate's sources do not pause for each other); remove the option",
            ));
        }
    }
    const KEY: &str = "scan.watermark.emit.strategy";
    Ok(match options.get(KEY).map(str::trim) {
        None => ctx.per_record_watermarks,
        Some(v) if v.eq_ignore_ascii_case("on-event") => true,
        Some(v) if v.eq_ignore_ascii_case("on-periodic") => ctx.per_record_watermarks,
        Some(v) => {
            return Err(options.invalid(
                KEY,
                format!("'{v}' is not a watermark emit strategy (on-event or on-periodic)"),
            ));
        }
    })
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
    let per_record = watermark_per_record(&options, ctx)?;
    let source = RowSource {
        reader,
        complete: plan.complete.clone(),
        rowtime,
        table: Arc::from(name.as_str()),
        max_per_poll: if per_record { 1 } else { usize::MAX },
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
    if !per_record {
        strategy = strategy.with_emit_interval(ctx.watermark_interval);
    }
    let mut stream = env.add_source(&name, source, strategy);
    if let Some(p) = parallelism {
        stream = stream.set_parallelism(p);
    }
    Ok(stream)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::Statement;
    use crate::expr::EvalError;
    use spate_engine::{NO_TIMESTAMP, Record};

    /// Emits `per_poll` rows `[i]` per poll, whatever `remaining` says, up to `total`.
    #[derive(Clone)]
    struct Eager {
        next: i64,
        total: i64,
        per_poll: i64,
    }

    impl RowReader for Eager {
        fn open(&mut self, _ctx: &SourceContext) -> Result<usize, EngineError> {
            Ok(1)
        }
        fn poll(&mut self, out: &mut RowOut<'_>) -> Result<SourceStatus, EngineError> {
            out.set_split(0);
            for _ in 0..self.per_poll.min(self.total - self.next) {
                out.push(vec![Value::Int(self.next)], NO_TIMESTAMP);
                self.next += 1;
            }
            Ok(if self.next == self.total {
                SourceStatus::Finished
            } else {
                SourceStatus::Available
            })
        }
        fn snapshot(&mut self, _checkpoint_id: u64) -> Result<Vec<u8>, EngineError> {
            Ok(Vec::new())
        }
        fn restore(&mut self, _ctx: &SourceContext, _positions: &[Vec<u8>]) -> Result<(), EngineError> {
            Ok(())
        }
    }

    fn plan(complete: CompleteRows) -> ScanPlan {
        let Ok(Statement::CreateTable(c)) =
            crate::parse_statement("CREATE TABLE t (id BIGINT) WITH ('connector' = 'datagen')")
        else {
            panic!("the DDL parses");
        };
        ScanPlan {
            table: c.table,
            complete,
            rowtime: None,
            used: None,
        }
    }

    fn run(complete: CompleteRows, reader: Eager) -> Result<Vec<Row>, EngineError> {
        let env = StreamEnvironment::new();
        let ctx = ConnectorContext {
            // One row per poll: the reader below emits more than that.
            per_record_watermarks: true,
            ..ConnectorContext::default()
        };
        let rows = add_source(&env, &plan(complete), &ctx, reader, Some(1))
            .map_err(|e| EngineError::fatal(std::io::Error::other(e.to_string())))?
            .collect();
        env.execute()?;
        Ok(rows.values())
    }

    #[test]
    fn rows_a_reader_emits_past_its_limit_are_kept() {
        let reader = Eager {
            next: 0,
            total: 10,
            per_poll: 3,
        };
        let rows = run(Arc::new(|_: &mut [Record<Row>]| Ok(())), reader).expect("the job runs");
        let ids: Vec<Row> = (0..10).map(|i| vec![Value::Int(i)]).collect();
        assert_eq!(rows, ids);
    }

    #[test]
    fn a_row_that_cannot_be_completed_fails_the_job_with_the_table_named() {
        let reader = Eager {
            next: 0,
            total: 10,
            per_poll: 3,
        };
        let complete: CompleteRows = Arc::new(|rows: &mut [Record<Row>]| {
            match rows.iter().position(|r| r.value.first() == Some(&Value::Int(4))) {
                Some(i) => Err((i, EvalError("division by zero".into()))),
                None => Ok(()),
            }
        });
        let err = run(complete, reader).expect_err("the job fails").to_string();
        assert!(
            err.contains("table t") && err.contains("division by zero"),
            "{err}"
        );
    }
}
