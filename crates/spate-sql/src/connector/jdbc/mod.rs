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
//! Not yet: reading a `jdbc` table (the scan source) and lookup joins; other databases.

use std::sync::Arc;

use spate_engine::DataStream;

use super::opts::Options;
use crate::error::SqlError;
use crate::types::TypeKind;
use crate::value::Value;

mod bind;
mod buffer;
mod dialect;
mod options;
mod sink;
mod url;
mod writer;

use sink::JdbcInput;

/// Adds a `jdbc` table's sink after `input` (rows, or an updating query's changes).
pub(crate) fn write<T: JdbcInput>(
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
                let row = t.row();
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
