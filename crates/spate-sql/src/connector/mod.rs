//! Tables as engine sources and sinks: the `kafka`, `datagen`, `filesystem`, `print`,
//! `blackhole` and `nexmark` connectors with Flink's option names.
//!
//! Contract with the planner:
//! - [`scan`] produces one [`Row`] per record with a value for every column of the table in
//!   declaration order: physical and metadata columns from the record, computed columns by
//!   [`ScanPlan::complete`]. With a [`Rowtime`], each record's engine timestamp is that
//!   column's value in ms and watermarks are generated per source split (Kafka partition) as
//!   bounded out-of-orderness, combined by minimum, with the idle timeout from the context.
//! - [`write`] consumes rows with one value per *persisted* column of the table (physical
//!   and non-virtual metadata columns, in declaration order) and writes them with the table's
//!   delivery guarantee; exactly-once sinks commit on checkpoints.

use std::sync::Arc;
use std::time::Duration;

use spate_engine::{DataStream, StreamEnvironment};

use crate::ast::TableDef;
use crate::error::SqlError;
use crate::expr::EvalError;
use crate::value::Row;

/// Settings every connector may need.
#[derive(Debug, Clone, Default)]
pub struct ConnectorContext {
    /// The Kafka bootstrap servers for tables without `properties.bootstrap.servers`
    /// (`--bootstrap`, or the embedded broker's address).
    pub bootstrap: Option<String>,
    /// `table.exec.source.idle-timeout`: a split without records for this long stops holding
    /// the watermark back (a table's `scan.watermark.idle-timeout` overrides it).
    pub idle_timeout: Option<Duration>,
    /// Whether the job checkpoints (exactly-once sinks need it).
    pub checkpointing: bool,
}

/// Fills a row's computed columns in place, given its physical and metadata columns.
pub type CompleteRow = Arc<dyn Fn(&mut Row) -> Result<(), EvalError> + Send + Sync>;

/// Event time of a source table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rowtime {
    /// Index of the rowtime column in the table's rows.
    pub column: usize,
    /// The watermark trails the largest rowtime seen by this much (`WATERMARK FOR ts AS ts -
    /// INTERVAL '5' SECOND` is 5000).
    pub delay_ms: i64,
}

/// What the planner asks of a source table.
#[derive(Clone)]
pub struct ScanPlan {
    /// The table (columns, options).
    pub table: TableDef,
    /// Computes the computed columns.
    pub complete: CompleteRow,
    /// Event time, when the table declares a watermark.
    pub rowtime: Option<Rowtime>,
}

impl std::fmt::Debug for ScanPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScanPlan")
            .field("table", &self.table.name)
            .field("rowtime", &self.rowtime)
            .finish_non_exhaustive()
    }
}

/// Adds the table's source to `env`.
pub fn scan(
    env: &StreamEnvironment,
    plan: ScanPlan,
    ctx: &ConnectorContext,
) -> Result<DataStream<Row>, SqlError> {
    let _ = (env, ctx);
    Err(not_yet(&plan.table))
}

/// Adds the table's sink after `input`.
pub fn write(input: &DataStream<Row>, table: &TableDef, ctx: &ConnectorContext) -> Result<(), SqlError> {
    let _ = (input, ctx);
    Err(not_yet(table))
}

fn not_yet(table: &TableDef) -> SqlError {
    SqlError::validation(
        format!(
            "connector '{}' of table '{}' is not wired yet",
            table.option("connector").unwrap_or("?"),
            table.name
        ),
        table.loc.pos(),
    )
}
