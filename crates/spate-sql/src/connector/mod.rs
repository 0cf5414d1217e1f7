//! Tables as engine sources and sinks: the `kafka`, `datagen`, `filesystem`, `print`,
//! `blackhole` and `nexmark` connectors with Flink's option names.
//!
//! Contract with the planner:
//! - [`scan`] produces one [`Row`] per record with a value for every column of the table in
//!   declaration order: physical and metadata columns from the record, computed columns by
//!   [`ScanPlan::complete`]. With a [`Rowtime`], each record's engine timestamp is that
//!   column's value in ms and watermarks are generated per source split (Kafka partition) as
//!   bounded out-of-orderness, combined by minimum, with the idle timeout from the context.
//! - [`write()`] consumes rows with one value per *persisted* column of the table (physical
//!   and non-virtual metadata columns, in declaration order) and writes them with the table's
//!   delivery guarantee; exactly-once sinks commit on checkpoints.
//!
//! One file per connector: `datagen.rs`, `nexmark.rs`, `file_source.rs` and `filesystem.rs`
//! (the sink), `kafka.rs` with `metadata.rs`, `print.rs` (with `blackhole`). `source.rs` is
//! the engine source they share (computed columns, rowtime, watermarks), `opts.rs` reads
//! option values, `columns.rs` says which column is what, `text.rs` prints values as Flink's
//! `print` does. Kafka's key/value layout is `crate::format::key_value`'s.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use spate_connectors::print::PrintTarget;
use spate_engine::{DataStream, Record, StreamEnvironment};

use crate::ast::TableDef;
use crate::error::SqlError;
use crate::expr::EvalError;
use crate::format::RowFormat;
use crate::plan::Rowtime;
use crate::plan::{ColumnUse, Projection};
use crate::value::{Change, Row};

mod columns;
mod datagen;
mod dir_state;
mod file_source;
mod filesystem;
mod iceberg;
mod jdbc;
mod kafka;
mod kafka_sink;
mod metadata;
mod nexmark;
mod not_null_enforcer;
mod opts;
mod partition_commit;
mod partition_committer;
mod partition_path;
mod print;
mod row_lines;
mod sink_input;
mod source;

pub(crate) use jdbc::{Found as LookupRows, JdbcLookup as LookupSource, lookup as lookup_source};
pub(crate) use source::into_change;
mod stream;
mod text;
mod upsert_buffer;

pub use crate::option_values::{parse_duration, parse_memory_size};
pub use not_null_enforcer::{NOT_NULL_ENFORCER, NotNullEnforcer};
pub use stream::{STREAM_CONNECTOR, StreamTables};

/// Settings every connector may need.
#[derive(Debug, Clone, Default)]
pub struct ConnectorContext {
    /// The Kafka bootstrap servers for tables without `properties.bootstrap.servers`
    /// (`--bootstrap`, or the embedded broker's address).
    pub bootstrap: Option<String>,
    /// Client properties for tables without `properties.bootstrap.servers` (they reach
    /// `bootstrap`), under the table's own `properties.*`: how a server's jobs authenticate to
    /// its own cluster (`security.protocol`, `sasl.*`).
    pub bootstrap_properties: Vec<(String, String)>,
    /// The schema registry URL for `avro-confluent` formats that name none.
    pub schema_registry: Option<String>,
    /// `table.exec.source.idle-timeout`: a split without records for this long stops holding
    /// the watermark back (a table's `scan.watermark.idle-timeout` overrides it).
    pub idle_timeout: Option<Duration>,
    /// Whether the job checkpoints (exactly-once sinks need it).
    pub checkpointing: bool,
    /// Where `print` tables write instead of stdout/stderr (tests, embedding); `None`: as the
    /// table says.
    pub print_target: Option<PrintTarget>,
    /// Counters the connectors keep (skipped malformed records, rows a blackhole received).
    pub stats: ConnectorStats,
    /// Flink's `pipeline.auto-watermark-interval` = 0: the watermark advances after every
    /// record instead of after every batch, so which records are late does not depend on how
    /// input happens to be batched (Flink's golden outputs rely on it).
    pub per_record_watermarks: bool,
    /// Flink's `pipeline.auto-watermark-interval` otherwise: sources emit their watermark at
    /// most this often (Flink's default is 200 ms; zero emits after every batch). With a
    /// watermark equal to the largest rowtime, a row sharing that rowtime in a later batch is
    /// late, so emitting per batch would drop such rows far more often than Flink does.
    pub watermark_interval: Duration,
    /// The streams behind tables made from `DataStream`s (`crate::stream_table`).
    pub streams: StreamTables,
    /// `table.local-time-zone`: the zone operators evaluate `TIMESTAMP_LTZ` in and `print`
    /// tables show it in.
    pub zone: crate::zone::SessionZone,
    /// `table.optimizer.agg-phase-strategy` = `TWO_PHASE`: window aggregates over tumbling and
    /// hopping windows whose aggregates allow it fold rows before the keyed exchange too.
    pub two_phase_windows: bool,
    /// Unbounded `GROUP BY`s over insert-only input fold each input batch per key before the
    /// keyed exchange (Flink's local-global aggregation: mini-batch on and
    /// `table.optimizer.agg-phase-strategy` not `ONE_PHASE`).
    pub two_phase_groups: bool,
    /// `table.exec.sink.not-null-enforcer`: what sinks do with a `NULL` for a `NOT NULL`
    /// column.
    pub not_null_enforcer: NotNullEnforcer,
    /// `table.exec.state.ttl`: how long the state of an updating query's key lives after its
    /// last write (`None`: forever, Flink's default).
    pub state_ttl: Option<Duration>,
    /// `table.exec.mini-batch.allow-latency` when `table.exec.mini-batch.enabled`: updating
    /// operators emit a key's change once per bundle of this long (`None`: per row).
    pub mini_batch_latency: Option<Duration>,
}

/// A [`ConnectorContext`] without its stream tables (which belong to one thread's
/// environment): what building the same job again on another thread needs.
#[derive(Debug, Clone)]
pub(crate) struct PortableContext {
    bootstrap: Option<String>,
    bootstrap_properties: Vec<(String, String)>,
    schema_registry: Option<String>,
    idle_timeout: Option<Duration>,
    pub(crate) checkpointing: bool,
    print_target: Option<PrintTarget>,
    stats: ConnectorStats,
    per_record_watermarks: bool,
    watermark_interval: Duration,
    zone: crate::zone::SessionZone,
    two_phase_windows: bool,
    two_phase_groups: bool,
    not_null_enforcer: NotNullEnforcer,
    state_ttl: Option<Duration>,
    mini_batch_latency: Option<Duration>,
}

impl ConnectorContext {
    /// The context without its stream tables (see [`PortableContext`]).
    pub(crate) fn portable(&self) -> PortableContext {
        PortableContext {
            bootstrap: self.bootstrap.clone(),
            bootstrap_properties: self.bootstrap_properties.clone(),
            schema_registry: self.schema_registry.clone(),
            idle_timeout: self.idle_timeout,
            checkpointing: self.checkpointing,
            print_target: self.print_target.clone(),
            stats: self.stats.clone(),
            per_record_watermarks: self.per_record_watermarks,
            watermark_interval: self.watermark_interval,
            zone: self.zone,
            two_phase_windows: self.two_phase_windows,
            two_phase_groups: self.two_phase_groups,
            not_null_enforcer: self.not_null_enforcer,
            state_ttl: self.state_ttl,
            mini_batch_latency: self.mini_batch_latency,
        }
    }
}

impl PortableContext {
    /// A context for a new environment (no stream tables).
    pub(crate) fn context(&self) -> ConnectorContext {
        ConnectorContext {
            bootstrap: self.bootstrap.clone(),
            bootstrap_properties: self.bootstrap_properties.clone(),
            schema_registry: self.schema_registry.clone(),
            idle_timeout: self.idle_timeout,
            checkpointing: self.checkpointing,
            print_target: self.print_target.clone(),
            stats: self.stats.clone(),
            per_record_watermarks: self.per_record_watermarks,
            watermark_interval: self.watermark_interval,
            zone: self.zone,
            two_phase_windows: self.two_phase_windows,
            two_phase_groups: self.two_phase_groups,
            not_null_enforcer: self.not_null_enforcer,
            state_ttl: self.state_ttl,
            mini_batch_latency: self.mini_batch_latency,
            streams: StreamTables::default(),
        }
    }
}

/// Named counters shared by every subtask of a job's connectors: `<table>.skipped-records`
/// (malformed records skipped by a format's `ignore-parse-errors`), `<table>.records-written`
/// (rows a `blackhole` table received).
#[derive(Debug, Clone, Default)]
pub struct ConnectorStats(Arc<Mutex<BTreeMap<String, Vec<Arc<AtomicU64>>>>>);

impl ConnectorStats {
    /// The counter `name` (its first part when connectors registered several), created at 0.
    pub fn counter(&self, name: &str) -> Arc<AtomicU64> {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let parts = map.entry(name.to_string()).or_default();
        if parts.is_empty() {
            parts.push(Arc::default());
        }
        parts[0].clone()
    }

    /// The value of counter `name` (0 if it does not exist).
    pub fn get(&self, name: &str) -> u64 {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .map_or(0, |parts| parts.iter().map(|c| c.load(Ordering::Relaxed)).sum())
    }

    /// Adds `counter` to the counter `name`, whose value is the sum of its parts (connectors
    /// that count in counters of their own, one per directory say).
    pub(crate) fn register(&self, name: &str, counter: Arc<AtomicU64>) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(name.to_string())
            .or_default()
            .push(counter);
    }

    /// Every counter and its value, by name.
    pub fn snapshot(&self) -> Vec<(String, u64)> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(k, parts)| (k.clone(), parts.iter().map(|c| c.load(Ordering::Relaxed)).sum()))
            .collect()
    }
}

/// Fills the computed columns of the rows one poll of a source emitted, in place, given their
/// physical and metadata columns (a batch at a time: each expression's dispatch is paid once
/// per batch). On a failure: the index of the first record, in order, that could not be
/// completed, and why.
pub type CompleteRows = Arc<dyn Fn(&mut [Record<Row>]) -> Result<(), (usize, EvalError)> + Send + Sync>;

/// What the planner asks of a source table.
#[derive(Clone)]
pub struct ScanPlan {
    /// The table (columns, options).
    pub table: TableDef,
    /// Computes the computed columns.
    pub complete: CompleteRows,
    /// Event time, when the table declares a watermark.
    pub rowtime: Option<Rowtime>,
    /// What the query reads of each column (`None`: everything). A connector may leave the
    /// rest `NULL`; the row keeps every column.
    pub used: Option<Projection>,
}

impl ScanPlan {
    /// Whether the query reads the row's column `column` (a connector may leave it `NULL`).
    pub(crate) fn reads(&self, column: usize) -> bool {
        self.used
            .as_ref()
            .is_none_or(|u| u.get(column).is_none_or(Option::is_some))
    }

    /// `format` (whose field `i` is the row's column `columns[i]`) reading only what the query
    /// reads.
    pub(crate) fn projected_format(&self, format: &RowFormat, columns: &[usize]) -> RowFormat {
        match &self.used {
            None => format.clone(),
            Some(used) => {
                let per_field: Vec<Option<ColumnUse>> = columns
                    .iter()
                    .map(|c| used.get(*c).cloned().unwrap_or(Some(ColumnUse::Whole)))
                    .collect();
                format.projected(&per_field)
            }
        }
    }
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
    let options = opts::Options::new(&plan.table);
    let parallelism = parallelism(options, "scan.parallelism")?;
    match connector(options)? {
        "datagen" => datagen::scan(env, &plan, ctx, parallelism),
        "nexmark" => nexmark::scan(env, &plan, ctx, parallelism),
        "filesystem" => file_source::scan(env, &plan, ctx, parallelism),
        "kafka" | "upsert-kafka" => kafka::scan(env, &plan, ctx, parallelism),
        STREAM_CONNECTOR => ctx.streams.scan(&plan),
        "jdbc" => jdbc::scan(env, &plan, ctx, parallelism),
        "iceberg" => iceberg::scan(env, &plan, ctx, parallelism),
        other => Err(options.error(format!("connector '{other}' can only be written to, not read"))),
    }
}

/// Adds the table's sink after `input`.
pub fn write(input: &DataStream<Row>, table: &TableDef, ctx: &ConnectorContext) -> Result<(), SqlError> {
    let options = opts::Options::new(table);
    let parallelism = parallelism(options, "sink.parallelism")?;
    match connector(options)? {
        "print" => print::write_print(input, options, ctx, parallelism),
        "blackhole" => print::write_blackhole(input, options, ctx),
        "filesystem" => filesystem::write(input, options, ctx, parallelism),
        "kafka" | "upsert-kafka" => kafka_sink::write(input, options, ctx, parallelism),
        "jdbc" => jdbc::write(input, options, parallelism),
        "iceberg" => iceberg::write(input, options, parallelism),
        other => Err(options.error(format!("connector '{other}' can only be read, not written to"))),
    }
}

/// Adds the sink of `table` after an updating plan's `changes`. The planner lets only sinks
/// that take updates reach here (`print`, `blackhole`, `upsert-kafka`, and `kafka` and
/// `filesystem` with a changelog format); any other is an internal error.
pub fn write_changes(
    changes: &DataStream<Change>,
    table: &TableDef,
    ctx: &ConnectorContext,
) -> Result<(), SqlError> {
    let options = opts::Options::new(table);
    let parallelism = parallelism(options, "sink.parallelism")?;
    match connector(options)? {
        "print" => print::write_print(changes, options, ctx, parallelism),
        "blackhole" => print::write_blackhole(changes, options, ctx),
        "upsert-kafka" | "kafka" => kafka_sink::write(changes, options, ctx, parallelism),
        "filesystem" => filesystem::write(changes, options, ctx, parallelism),
        "jdbc" => jdbc::write(changes, options, parallelism),
        "iceberg" => iceberg::write(changes, options, parallelism),
        other => Err(options.error(format!(
            "internal error: the connector '{other}' was given updates it cannot write"
        ))),
    }
}

fn connector(options: opts::Options<'_>) -> Result<&str, SqlError> {
    options
        .get("connector")
        .ok_or_else(|| options.error("the option 'connector' is required"))
}

fn parallelism(options: opts::Options<'_>, key: &str) -> Result<Option<usize>, SqlError> {
    match options.u64(key)? {
        None => Ok(None),
        Some(0) => Err(options.invalid(key, "the parallelism must be at least 1")),
        Some(p) => Ok(Some(usize::try_from(p).unwrap_or(usize::MAX))),
    }
}
