//! The `filesystem` connector: `path` (a file or a directory; `file://` URIs too) in a row
//! format (`json`, `csv`, `raw`, a changelog format), one record per line, or in the bulk
//! `parquet` format (`crate::format::parquet`), one Parquet file per part.
//!
//! - Source (`file_source.rs`): bounded; plain and partitioned tables, metadata columns. A
//!   malformed line fails the job with `file:line`, or with the format's `ignore-parse-errors`
//!   is skipped and counted (`<table>.skipped-records`).
//! - Sink: exactly-once through spate_connectors' `FileSink` (part files renamed into place
//!   when the checkpoint covering them completes, or at the end of a bounded job). `PARTITIONED
//!   BY (col)` writes into `col=value/` directories and leaves the partition columns out of the
//!   records, NULL and empty values going to `partition.default-name` (default
//!   `__DEFAULT_PARTITION__`), as Flink 2.3 does (checked with a partitioned csv table). Part
//!   files roll at checkpoints only; `sink.rolling-policy.*` options are accepted and have no
//!   effect. File names differ from Flink's; contents do not. What a part file holds is its
//!   `PartFormat`'s business (`row_lines.rs` for row formats, Parquet's for `parquet`).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use spate_connectors::file::{FileSink, PartFormat};
use spate_engine::{DataStream, EngineError, NO_TIMESTAMP, Record, Sink, SinkContext, sink_states_for};

use super::ConnectorContext;
use super::columns::Columns;
use super::dir_state::{decode_state, encode_state};
use super::opts::Options;
use super::partition_commit::{self, PartitionCommit};
use super::partition_path::escape_partition;
use super::row_lines::RowLineFormat;
use crate::error::SqlError;
use crate::format::RowFormat;
use crate::format::parquet::Parquet;
use crate::types::DataType;
use crate::value::{Change, Row, RowKind, Value};

/// The `path` option as a filesystem path.
pub(crate) fn path(options: Options<'_>) -> Result<PathBuf, SqlError> {
    let raw = options
        .get("path")
        .ok_or_else(|| options.error("the option 'path' is required"))?;
    let p = raw.strip_prefix("file://").unwrap_or(raw);
    if p.is_empty() || raw.contains("://") && !raw.starts_with("file://") {
        return Err(options.invalid("path", format!("'{raw}' is not a local path or file:// URI")));
    }
    Ok(PathBuf::from(p))
}

pub(crate) fn format_name(options: Options<'_>) -> Result<&str, SqlError> {
    options
        .get("format")
        .ok_or_else(|| options.error("the option 'format' is required"))
}

/// A partition value's text (what `CAST(v AS STRING)` gives for the common types).
fn partition_text(v: &Value, ty: &DataType) -> Option<String> {
    let mut s = String::new();
    match v {
        Value::Null => return None,
        Value::String(x) => s.push_str(x),
        Value::Int(i) => s.push_str(&i.to_string()),
        Value::Boolean(b) => s.push_str(&b.to_string()),
        Value::Date(d) => crate::temporal::format_date(*d, &mut s),
        Value::Decimal(d) => {
            let scale = match ty.kind {
                crate::types::TypeKind::Decimal { scale, .. } => scale,
                _ => 0,
            };
            crate::decimal::format(*d, scale, &mut s);
        }
        Value::Timestamp(t) => crate::temporal::format_timestamp(*t, 9, true, false, &mut s),
        other => super::text::write_value(other, ty, &mut s),
    }
    (!s.is_empty()).then_some(s)
}

/// A part file's record: a change (insertions only, but for a changelog format's lines) of
/// the record's fields (the row without its partition columns).
type PartRecord = (RowKind, Row);

/// Writes rows into (partition) directories of part files (see the module docs).
#[derive(Clone)]
pub(crate) struct PartitionedFileSink {
    dir: PathBuf,
    /// Lines of a row format, or Parquet files.
    format: Arc<dyn PartFormat<PartRecord>>,
    /// Sink-row positions of the record's fields, and of the partition columns (with names
    /// and types).
    record: Arc<[usize]>,
    partitions: Arc<[(usize, String, DataType)]>,
    default_name: Arc<str>,
    ctx: SinkContext,
    sinks: BTreeMap<String, FileSink<PartRecord>>,
    /// The partition values of the last row written (see `same_partition`).
    last_partition: Vec<Value>,
    /// `sink.partition-commit.*`, when a policy is set.
    commit: Option<PartitionCommit>,
}

impl std::fmt::Debug for PartitionedFileSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PartitionedFileSink")
            .field("dir", &self.dir)
            .field("partitions", &self.sinks.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl PartitionedFileSink {
    fn sink_for(&mut self, rel: &str) -> Result<&mut FileSink<PartRecord>, EngineError> {
        if !self.sinks.contains_key(rel) {
            let mut s = FileSink::with_format(self.dir.join(rel), self.format.clone());
            Sink::<PartRecord>::open(&mut s, &self.ctx)?;
            self.sinks.insert(rel.to_string(), s);
        }
        self.sinks
            .get_mut(rel)
            .ok_or_else(|| EngineError::InvalidPosition("partition sink vanished".into()))
    }

    /// Keeps `row`'s partition values for [`same_partition`](Self::same_partition).
    fn remember_partition(&mut self, row: &Row) {
        self.last_partition.clear();
        self.last_partition.extend(
            self.partitions
                .iter()
                .map(|(pos, _, _)| row.get(*pos).cloned().unwrap_or(Value::Null)),
        );
    }

    /// Whether `row`'s partition values are those remembered last, so its directory is the
    /// same. Only values whose text is a function of their variant and payload count (two
    /// DOUBLEs can be equal and print differently: 0.0 and -0.0).
    fn same_partition(&self, row: &Row) -> bool {
        self.partitions.len() == self.last_partition.len()
            && self
                .partitions
                .iter()
                .zip(&self.last_partition)
                .all(|((pos, _, _), last)| match (row.get(*pos), last) {
                    (Some(Value::String(a)), Value::String(b)) => a == b,
                    (Some(Value::Int(a)), Value::Int(b)) => a == b,
                    (Some(Value::Date(a)), Value::Date(b)) => a == b,
                    (Some(Value::Timestamp(a)), Value::Timestamp(b)) => a == b,
                    (Some(Value::Boolean(a)), Value::Boolean(b)) => a == b,
                    (Some(Value::Decimal(a)), Value::Decimal(b)) => a == b,
                    (Some(Value::Null) | None, Value::Null) => true,
                    _ => false,
                })
    }

    fn partition_dir(&self, row: &Row) -> String {
        let mut rel = String::new();
        for (pos, name, ty) in self.partitions.iter() {
            if !rel.is_empty() {
                rel.push('/');
            }
            escape_partition(name, &mut rel);
            rel.push('=');
            match row.get(*pos).and_then(|v| partition_text(v, ty)) {
                Some(text) => escape_partition(&text, &mut rel),
                None => rel.push_str(&self.default_name),
            }
        }
        rel
    }
}

impl PartitionedFileSink {
    /// Writes rows, each a change of its kind (a row format's table takes insertions only; a
    /// changelog format writes the kind into the line).
    fn write_rows(&mut self, rows: impl Iterator<Item = (RowKind, Row)>) -> Result<(), EngineError> {
        // Records per partition directory, in the order the directories first appear.
        let mut batches: Vec<(String, Vec<Record<PartRecord>>)> = Vec::new();
        let mut current: Option<usize> = None;
        // The record's fields are a prefix of the row when the partition columns come last
        // (the usual schema): the row is cut short, not copied.
        let prefix = self.record.iter().enumerate().all(|(i, &p)| i == p);
        for (kind, row) in rows {
            // Rows come in runs of one partition (a day, a minute): its directory is named
            // again only when a partition value changes.
            let at = match current {
                Some(i) if self.partitions.is_empty() || self.same_partition(&row) => i,
                _ => {
                    let rel = if self.partitions.is_empty() {
                        String::new()
                    } else {
                        self.remember_partition(&row);
                        self.partition_dir(&row)
                    };
                    if let Some(commit) = &mut self.commit {
                        commit.written(&rel, spate_engine::clock::now_millis());
                    }
                    match batches.iter().position(|(dir, _)| *dir == rel) {
                        Some(i) => i,
                        None => {
                            batches.push((rel, Vec::new()));
                            batches.len() - 1
                        }
                    }
                }
            };
            current = Some(at);
            let record = if prefix && row.len() >= self.record.len() {
                let mut row = row;
                row.truncate(self.record.len());
                row
            } else {
                self.record
                    .iter()
                    .map(|&i| row.get(i).cloned().unwrap_or(Value::Null))
                    .collect()
            };
            if let Some((_, batch)) = batches.get_mut(at) {
                batch.push(Record::new(NO_TIMESTAMP, (kind, record)));
            }
        }
        for (rel, mut batch) in batches {
            Sink::<PartRecord>::write(self.sink_for(&rel)?, &mut batch)?;
        }
        Ok(())
    }
}

impl Sink<Row> for PartitionedFileSink {
    fn open(&mut self, ctx: &SinkContext) -> Result<(), EngineError> {
        self.ctx = *ctx;
        if let Some(commit) = &mut self.commit {
            commit.open(ctx)?;
        }
        std::fs::create_dir_all(&self.dir).map_err(|e| {
            EngineError::from(spate_connectors::ConnectorError::Io {
                path: self.dir.clone(),
                source: e,
            })
        })?;
        Ok(())
    }

    fn restore_state(&mut self, ctx: &SinkContext, states: &[Vec<u8>]) -> Result<(), EngineError> {
        // Per partition, the entries of the old subtasks this subtask restores, at the indices
        // `FileSink` selects for it (see `sink_states_for`).
        let p = ctx.parallelism.max(1);
        let mut per_dir: BTreeMap<String, Vec<Vec<u8>>> = BTreeMap::new();
        for state in sink_states_for(ctx, states) {
            for (dir, inner) in decode_state(state)? {
                per_dir.entry(dir).or_default().push(inner);
            }
        }
        for (dir, inners) in per_dir {
            if dir == partition_commit::STATE_ENTRY {
                // Without a policy now, the old one's pending partitions are not committed.
                if let Some(commit) = &mut self.commit {
                    for inner in &inners {
                        commit.restore(inner)?;
                    }
                }
                continue;
            }
            let mut shaped = vec![Vec::new(); ctx.subtask + 1 + (inners.len().saturating_sub(1)) * p];
            for (k, inner) in inners.into_iter().enumerate() {
                shaped[ctx.subtask + k * p] = inner;
            }
            let sink = self.sink_for(&dir)?;
            Sink::<PartRecord>::restore_state(sink, ctx, &shaped)?;
        }
        Ok(())
    }

    fn write(&mut self, records: &mut Vec<Record<Row>>) -> Result<(), EngineError> {
        self.write_rows(records.drain(..).map(|r| (RowKind::Insert, r.value)))
    }

    fn on_watermark(&mut self, watermark: spate_engine::Timestamp) -> Result<(), EngineError> {
        if let Some(commit) = &mut self.commit {
            commit.watermark(watermark);
        }
        Ok(())
    }

    fn snapshot_state(&mut self, checkpoint_id: u64) -> Result<Vec<u8>, EngineError> {
        let mut entries = Vec::new();
        for (dir, sink) in &mut self.sinks {
            entries.push((
                dir.clone(),
                Sink::<PartRecord>::snapshot_state(sink, checkpoint_id)?,
            ));
        }
        if let Some(commit) = &mut self.commit {
            entries.push((
                partition_commit::STATE_ENTRY.to_string(),
                commit.snapshot(checkpoint_id)?,
            ));
        }
        Ok(encode_state(&entries))
    }

    fn notify_checkpoint_complete(&mut self, checkpoint_id: u64) -> Result<(), EngineError> {
        for sink in self.sinks.values_mut() {
            Sink::<PartRecord>::notify_checkpoint_complete(sink, checkpoint_id)?;
        }
        // After the files: a partition is marked done only once they are visible.
        if let Some(commit) = &mut self.commit {
            commit.checkpoint_complete(checkpoint_id, &self.dir, spate_engine::clock::now_millis())?;
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), EngineError> {
        for sink in self.sinks.values_mut() {
            Sink::<PartRecord>::finish(sink)?;
        }
        if let Some(commit) = &mut self.commit {
            commit.end_of_input(&self.dir)?;
        }
        Ok(())
    }
}

/// A changelog format's table (`debezium-json`, ...) written with every kind of change.
impl Sink<Change> for PartitionedFileSink {
    fn open(&mut self, ctx: &SinkContext) -> Result<(), EngineError> {
        Sink::<Row>::open(self, ctx)
    }

    fn restore_state(&mut self, ctx: &SinkContext, states: &[Vec<u8>]) -> Result<(), EngineError> {
        Sink::<Row>::restore_state(self, ctx, states)
    }

    fn write(&mut self, records: &mut Vec<Record<Change>>) -> Result<(), EngineError> {
        self.write_rows(records.drain(..).map(|r| (r.value.kind, r.value.row)))
    }

    fn on_watermark(&mut self, watermark: spate_engine::Timestamp) -> Result<(), EngineError> {
        Sink::<Row>::on_watermark(self, watermark)
    }

    fn snapshot_state(&mut self, checkpoint_id: u64) -> Result<Vec<u8>, EngineError> {
        Sink::<Row>::snapshot_state(self, checkpoint_id)
    }

    fn notify_checkpoint_complete(&mut self, checkpoint_id: u64) -> Result<(), EngineError> {
        Sink::<Row>::notify_checkpoint_complete(self, checkpoint_id)
    }

    fn finish(&mut self) -> Result<(), EngineError> {
        Sink::<Row>::finish(self)
    }
}

/// Adds a `filesystem` table's sink after `input` (rows, or a changelog format's changes).
pub(crate) fn write<T>(
    input: &DataStream<T>,
    options: Options<'_>,
    _ctx: &ConnectorContext,
    parallelism: Option<usize>,
) -> Result<(), SqlError>
where
    T: spate_engine::Data,
    PartitionedFileSink: Sink<T>,
{
    let table = options.table();
    let columns = Columns::of(table);
    let layout = columns.sink_layout();
    if let Some((key, _)) = layout.metadata.first() {
        return Err(options.error(format!("the filesystem metadata '{key}' cannot be written")));
    }
    let partition_names: Vec<&str> = table.partitioned_by.iter().map(|i| i.as_str()).collect();
    let mut record_fields = Vec::new();
    let mut record = Vec::new();
    let mut partitions = Vec::new();
    for ((_, f), pos) in columns.physical.iter().zip(&layout.physical) {
        if partition_names.contains(&f.name.as_str()) {
            partitions.push((*pos, f.name.clone(), f.ty.clone()));
        } else {
            record.push(*pos);
            record_fields.push(f.clone());
        }
    }
    // In PARTITIONED BY order, as Flink nests the directories.
    partitions.sort_by_key(|(_, n, _)| partition_names.iter().position(|p| p == n));
    let name = format_name(options)?;
    let format_options = options.with_prefix(&format!("{name}."));
    let format: Arc<dyn PartFormat<PartRecord>> = if name == "parquet" {
        Arc::new(Parquet::new(record_fields, &format_options)?.part_format())
    } else {
        let format = RowFormat::new(name, record_fields, &format_options)?;
        if let Some(why) = format.unwritable() {
            return Err(options.error(why));
        }
        Arc::new(RowLineFormat::new(format))
    };
    let sink = PartitionedFileSink {
        dir: path(options)?,
        format,
        record: record.into(),
        partitions: partitions.into(),
        default_name: Arc::from(
            options
                .get("partition.default-name")
                .unwrap_or("__DEFAULT_PARTITION__"),
        ),
        ctx: SinkContext {
            subtask: 0,
            parallelism: 1,
            attempt: 0,
        },
        sinks: BTreeMap::new(),
        last_partition: Vec::new(),
        commit: PartitionCommit::from_options(
            options,
            partition_names.iter().map(|n| n.to_string()).collect(),
        )?,
    };
    let mut s = input.add_sink(&options.table_name(), sink);
    if let Some(p) = parallelism {
        s = s.set_parallelism(p);
    }
    let _ = s;
    Ok(())
}
