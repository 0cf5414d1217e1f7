//! The `print` and `blackhole` sinks.
//!
//! `print` writes one line per row as Flink 2.3 does (checked with a `print` table in a script
//! run on Flink): the row as `+I[v1, v2]` ([`super::text`]), after the prefix
//! `identifier> ` (parallelism 1), `identifier:n> ` or `n> ` (subtask `n` from 1, parallelism
//! above 1), nothing without identifier at parallelism 1. `standard-error` writes to stderr.
//! `blackhole` discards rows and counts them in [`ConnectorStats`](super::ConnectorStats).

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use spate_connectors::print::PrintTarget;
use spate_engine::{DataStream, EngineError, Record, Sink, SinkContext};

use super::ConnectorContext;
use super::columns::Columns;
use super::opts::Options;
use crate::ast::ColumnKind;
use crate::error::SqlError;
use crate::row_memory::RowDrop;
use crate::types::DataType;
use crate::value::{Change, Row, RowKind};

/// Flink's print sink over rows.
#[derive(Clone)]
pub(crate) struct PrintRows {
    identifier: Option<String>,
    target: PrintTarget,
    types: Arc<[DataType]>,
    prefix: String,
    buffer: String,
}

impl std::fmt::Debug for PrintRows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrintRows")
            .field("identifier", &self.identifier)
            .finish_non_exhaustive()
    }
}

impl Sink<Row> for PrintRows {
    fn open(&mut self, ctx: &SinkContext) -> Result<(), EngineError> {
        let mut prefix = self.identifier.clone().unwrap_or_default();
        if ctx.parallelism > 1 {
            if !prefix.is_empty() {
                prefix.push(':');
            }
            prefix.push_str(&(ctx.subtask + 1).to_string());
        }
        if !prefix.is_empty() {
            prefix.push_str("> ");
        }
        self.prefix = prefix;
        Ok(())
    }

    fn write(&mut self, records: &mut Vec<Record<Row>>) -> Result<(), EngineError> {
        self.buffer.clear();
        for r in records.iter() {
            self.line(RowKind::Insert, &r.value);
        }
        self.flush()
    }
}

impl Sink<Change> for PrintRows {
    fn open(&mut self, ctx: &SinkContext) -> Result<(), EngineError> {
        Sink::<Row>::open(self, ctx)
    }

    fn write(&mut self, records: &mut Vec<Record<Change>>) -> Result<(), EngineError> {
        self.buffer.clear();
        for r in records.iter() {
            self.line(r.value.kind, &r.value.row);
        }
        self.flush()
    }
}

impl PrintRows {
    /// Appends one row's line to the buffer.
    fn line(&mut self, kind: RowKind, row: &Row) {
        self.buffer.push_str(&self.prefix);
        super::text::write_row(kind, row, &self.types, &mut self.buffer);
        self.buffer.push('\n');
    }

    /// Writes the buffer: one write per batch keeps the lines of concurrent subtasks whole.
    fn flush(&mut self) -> Result<(), EngineError> {
        let bytes = self.buffer.as_bytes();
        let written = match &self.target {
            PrintTarget::Stdout => std::io::stdout().lock().write_all(bytes),
            PrintTarget::Stderr => std::io::stderr().lock().write_all(bytes),
            PrintTarget::Buffer(b) => {
                b.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .extend_from_slice(bytes);
                Ok(())
            }
        };
        written.map_err(EngineError::connector)
    }
}

/// Adds a `print` sink after `input` (rows, or changes whose kinds it prints).
pub(crate) fn write_print<T>(
    input: &DataStream<T>,
    options: Options<'_>,
    ctx: &ConnectorContext,
    parallelism: Option<usize>,
) -> Result<(), SqlError>
where
    T: spate_engine::Data,
    PrintRows: Sink<T>,
{
    let columns = Columns::of(options.table());
    let target = match &ctx.print_target {
        Some(t) => t.clone(),
        None if options.bool("standard-error")?.unwrap_or(false) => PrintTarget::Stderr,
        None => PrintTarget::Stdout,
    };
    let sink = PrintRows {
        identifier: options.get("print-identifier").map(str::to_string),
        target,
        types: columns.physical.iter().map(|(_, f)| f.ty.clone()).collect(),
        prefix: String::new(),
        buffer: String::new(),
    };
    let mut s = input.add_sink(&options.table_name(), sink);
    if let Some(p) = parallelism {
        s = s.set_parallelism(p);
    }
    let _ = s;
    Ok(())
}

/// Discards rows, counting them.
#[derive(Debug, Clone)]
pub(crate) struct Blackhole {
    written: Arc<AtomicU64>,
    /// How a row of the table is freed.
    row_drop: RowDrop,
}

impl Sink<Row> for Blackhole {
    fn write(&mut self, records: &mut Vec<Record<Row>>) -> Result<(), EngineError> {
        self.written.fetch_add(records.len() as u64, Ordering::Relaxed);
        let row_drop = self.row_drop;
        records.drain(..).for_each(|r| row_drop.drop(r.value));
        Ok(())
    }
}

impl Sink<Change> for Blackhole {
    fn write(&mut self, records: &mut Vec<Record<Change>>) -> Result<(), EngineError> {
        self.written.fetch_add(records.len() as u64, Ordering::Relaxed);
        let row_drop = self.row_drop;
        records.drain(..).for_each(|r| row_drop.drop(r.value.row));
        Ok(())
    }
}

/// Adds a `blackhole` sink after `input`; its count is `ctx.stats`' `<table>.records-written`.
pub(crate) fn write_blackhole<T>(
    input: &DataStream<T>,
    options: Options<'_>,
    ctx: &ConnectorContext,
) -> Result<(), SqlError>
where
    T: spate_engine::Data,
    Blackhole: Sink<T>,
{
    let name = options.table_name();
    let counter = ctx.stats.counter(&format!("{name}.records-written"));
    // The rows written hold the physical and metadata columns (computed ones are never
    // written).
    let row_drop = RowDrop::of(options.table().columns.iter().filter_map(|c| match &c.kind {
        ColumnKind::Physical(ty) | ColumnKind::Metadata { ty, .. } => Some(&ty.kind),
        ColumnKind::Computed(_) => None,
    }));
    input.add_sink(
        &name,
        Blackhole {
            written: counter,
            row_drop,
        },
    );
    Ok(())
}
