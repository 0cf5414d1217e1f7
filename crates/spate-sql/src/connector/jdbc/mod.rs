//! The `jdbc` connector's sink for PostgreSQL (Flink's `flink-connector-jdbc` with its
//! PostgreSQL dialect): `url` = `jdbc:postgresql://host:port/db`, `table-name`, `username`,
//! `password`, `sink.buffer-flush.max-rows` (100), `sink.buffer-flush.interval` (1 s),
//! `sink.max-retries` (3), `sink.parallelism`, `connection.max-retry-timeout` (60 s, the
//! connect timeout).
//!
//! A table without a primary key takes insert-only queries and appends their rows; with one it
//! takes updating queries too and keeps the PostgreSQL table equal to the query's result:
//! `+I`/`+U` upsert (`INSERT .. ON CONFLICT (pk) DO UPDATE`), `-D` deletes by key. Files, one
//! job each: `options.rs` (the options), `url.rs` (the JDBC URL), `dialect.rs` (the SQL text),
//! `bind.rs` (types and values as parameters), `buffer.rs` (rows between flushes), `writer.rs`
//! (connection, transactions, retries, errors), `sink.rs` (the engine sink).
//!
//! Reading: `scan.rs` reads the table once (bounded, maybe partitioned: `partitions.rs`,
//! `scan_options.rs`), `decode.rs` turns PostgreSQL's values into Spate's.
//!
//! Lookup joins: `lookup.rs` queries the rows of a key (batched where one key column is
//! joined on), through the partial cache of `cache.rs`, with `lookup_options.rs`' options.
//!
//! Not yet: other databases; `lookup.cache` = `FULL`.

use std::sync::Arc;

use spate_engine::{DataStream, StreamEnvironment};

use super::opts::Options;
use super::source::add_source;
use super::{ConnectorContext, ScanPlan};
use crate::error::SqlError;
use crate::types::TypeKind;
use crate::value::Value;

mod bind;
mod buffer;
mod cache;
mod decode;
mod dialect;
mod lookup;
mod lookup_options;
mod options;
mod partitions;
mod scan;
mod scan_options;
mod sink;
mod url;
mod writer;

use super::sink_input::SinkInput;
pub(crate) use lookup::{Found, JdbcLookup};

/// Adds a `jdbc` table's sink after `input` (rows, or an updating query's changes).
pub(crate) fn write<T: SinkInput>(
    input: &DataStream<T>,
    options: Options<'_>,
    parallelism: Option<usize>,
) -> Result<(), SqlError> {
    let table = options.table();
    let opts = options::SinkOptions::of(options)?;
    let mut names = Vec::new();
    let mut types: Vec<TypeKind> = Vec::new();
    for c in table.persisted_columns() {
        let crate::ast::ColumnKind::Physical(ty) = &c.kind else {
            return Err(options.error(format!(
                "column {}: the jdbc connector has no metadata columns",
                c.name
            )));
        };
        bind::check_type(c.name.as_str(), ty).map_err(|e| options.error(e))?;
        names.push(c.name.as_str().to_string());
        types.push(ty.kind.clone());
    }
    let keys: Vec<usize> = match &table.primary_key {
        None => Vec::new(),
        Some(pk) => pk
            .columns
            .iter()
            .map(|k| {
                names.iter().position(|n| n == k.as_str()).ok_or_else(|| {
                    options.error(format!("the primary key column {k} is not a physical column"))
                })
            })
            .collect::<Result<_, _>>()?,
    };
    let dialect = dialect::Dialect::new(&opts.table, names, keys.clone());
    let name = options.table_name();
    let writer = writer::Writer::new(
        format!("table {name} (PostgreSQL table {})", opts.table),
        opts.config,
        dialect,
        types,
        opts.max_retries,
    );
    let sink = sink::JdbcSink {
        writer,
        buffer: buffer::Buffer::new(keys.clone()),
        max_rows: opts.max_rows,
        interval_ms: opts.interval_ms,
        last_flush: None,
    };
    match parallelism {
        None => {
            input.add_sink(&name, sink);
        }
        // Rows reach a sink of its own parallelism by the hash of the primary key, as Flink
        // shuffles them (`table.exec.sink.keyed-shuffle`): one subtask writes all changes of
        // a key, in order.
        Some(p) if !keys.is_empty() => {
            let keys: Arc<[usize]> = keys.into();
            let key = move |t: &T| -> Vec<Value> {
                let (row, _) = t.parts();
                keys.iter()
                    .map(|&c| row.get(c).cloned().unwrap_or_default())
                    .collect()
            };
            input.key_by(key).add_sink(&name, sink).set_parallelism(p);
        }
        Some(p) => {
            input.add_sink(&name, sink).set_parallelism(p);
        }
    }
    Ok(())
}

/// The physical columns of `table` as read by a scan or lookups: those `used` marks (all
/// without it), at least one; refuses metadata columns and types the dialect does not read.
fn read_columns(
    options: Options<'_>,
    used: Option<&crate::plan::Projection>,
) -> Result<Vec<decode::ReadColumn>, SqlError> {
    let table = options.table();
    let mut all = Vec::new();
    let mut columns = Vec::new();
    for (index, c) in table.columns.iter().enumerate() {
        let ty = match &c.kind {
            crate::ast::ColumnKind::Physical(ty) => ty,
            crate::ast::ColumnKind::Computed(_) => continue,
            crate::ast::ColumnKind::Metadata { .. } => {
                return Err(options.error(format!(
                    "column {}: the jdbc connector has no metadata columns",
                    c.name
                )));
            }
        };
        bind::check_type(c.name.as_str(), ty).map_err(|e| options.error(e))?;
        let column = decode::ReadColumn {
            index,
            ty: ty.kind.clone(),
            name: c.name.as_str().to_string(),
        };
        // Only what the query reads is selected (the rest stays NULL in the row).
        if used.is_none_or(|u| u.get(index).is_none_or(Option::is_some)) {
            columns.push(column.clone());
        }
        all.push(column);
    }
    if columns.is_empty() {
        // `SELECT COUNT(*)` reads no column; PostgreSQL still needs one to count rows by.
        columns.extend(all.into_iter().take(1));
    }
    Ok(columns)
}

/// Lookups of the `jdbc` table `table` by the physical columns `keys` (indexes into its
/// rows), reading the columns `used` marks (see `lookup.rs`).
pub(crate) fn lookup(
    table: &crate::ast::TableDef,
    used: Option<&crate::plan::Projection>,
    keys: &[usize],
) -> Result<JdbcLookup, SqlError> {
    let options = Options::new(table);
    let opts = lookup_options::LookupOptions::of(options)?;
    let columns = read_columns(options, used)?;
    let all = read_columns(options, None)?;
    let keys = keys
        .iter()
        .map(|k| {
            all.iter().find(|c| c.index == *k).cloned().ok_or_else(|| {
                options.error(format!(
                    "internal error: the lookup key column {k} is not a physical column"
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let spec = lookup::LookupSpec {
        name: format!(
            "table {} (PostgreSQL table {})",
            options.table_name(),
            opts.connection.table
        ),
        config: opts.connection.config,
        table: opts.connection.table,
        columns,
        width: table.columns.len(),
        keys,
        max_retries: opts.max_retries,
        cache: opts.cache,
    };
    Ok(JdbcLookup::new(Arc::new(spec)))
}

/// Adds a `jdbc` table's bounded scan source (see `scan.rs`).
pub(crate) fn scan(
    env: &StreamEnvironment,
    plan: &ScanPlan,
    ctx: &ConnectorContext,
    parallelism: Option<usize>,
) -> Result<DataStream<crate::value::Row>, SqlError> {
    let options = Options::new(&plan.table);
    let opts = scan_options::ScanOptions::of(options)?;
    let columns = read_columns(options, plan.used.as_ref())?;
    let partitions = opts.partitioning.map(|p| {
        let ranges = partitions::ranges(p.lower, p.upper, p.num);
        (p.column, ranges)
    });
    let spec = scan::ScanSpec {
        name: format!(
            "table {} (PostgreSQL table {})",
            options.table_name(),
            opts.connection.table
        ),
        config: opts.connection.config,
        table: opts.connection.table,
        columns,
        width: plan.table.columns.len(),
        partitions,
        fetch_size: opts.fetch_size,
        auto_commit: opts.auto_commit,
    };
    add_source(env, plan, ctx, scan::JdbcReader::new(spec), parallelism)
}
