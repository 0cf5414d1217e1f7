//! The `filesystem` source: spate_connectors' `FileSource` per directory, for plain and
//! `PARTITIONED BY` tables, with Flink's metadata columns.
//!
//! - A plain table reads `path` (a file, or the visible files of a directory; names starting
//!   with `.` or `_` are hidden, as in Flink).
//! - A partitioned table reads every `k1=v1/k2=v2/...` directory under `path` (one level per
//!   partition column, in `PARTITIONED BY` order); the partition columns take their values
//!   from the directory names (unescaped; `partition.default-name`, default
//!   `__DEFAULT_PARTITION__`, is NULL), the records hold the other physical columns, as the
//!   sink writes them. Directories are listed when the job is built.
//! - Metadata: `file.path`, `file.name` (STRING), `file.size` (BIGINT),
//!   `file.modification-time` (TIMESTAMP_LTZ(3)).
//! - Files are splits; the position is kept per directory, so a restore resumes every file
//!   after its last record, at any parallelism.
//! - Not supported (an error naming the option): `source.monitor-interval` (continuous
//!   reading), `source.path.regex-pattern`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use spate_connectors::Emitter;
use spate_connectors::file::{BatchDecoder, FileSource, LineDecoder, ParquetSource};
use spate_engine::{DataStream, EngineError, SourceContext, SourceStatus, StreamEnvironment, Timestamp};

use super::columns::Columns;
use super::opts::Options;
use super::source::{Decoded, RowOut, RowReader, add_source, kind_value};
use super::{ConnectorContext, ScanPlan};
use crate::error::SqlError;
use crate::format::parquet::ParquetRowDecoder;
use crate::format::{FormatError, FormatField, RecordSplitter, RowFormat};
use crate::types::{DataType, TypeKind};
use crate::value::{Row, Value};

/// One record → one row (the format's fields at their columns), or none for a record Flink
/// skips (a CSV comment line); a changelog format's record → its changes, each a row ending
/// with its kind.
#[derive(Clone)]
struct RowDecoder {
    format: RowFormat,
    splitter: RecordSplitter,
    width: usize,
    targets: Arc<[usize]>,
    values: Vec<Value>,
}

impl LineDecoder for RowDecoder {
    type Item = Decoded;

    fn needs_more(&mut self, record: &[u8], line_start: usize) -> bool {
        self.splitter.needs_more(record, line_start)
    }

    fn decode(&mut self, text: &str) -> Result<Decoded, String> {
        if self.format.is_changelog() {
            return self.decode_changes(text);
        }
        self.values.clear();
        let made = self
            .format
            .decode_file_record(text.as_bytes(), &mut self.values)
            .map_err(|FormatError(m)| m)?;
        if !made {
            return Ok(Decoded::None);
        }
        let mut row = vec![Value::Null; self.width];
        for (target, v) in self.targets.iter().zip(self.values.drain(..)) {
            row[*target] = v;
        }
        Ok(Decoded::One(row))
    }
}

impl RowDecoder {
    fn decode_changes(&mut self, text: &str) -> Result<Decoded, String> {
        let mut changes = Vec::new();
        self.format
            .decode_changes(text.as_bytes(), &mut changes)
            .map_err(|FormatError(m)| m)?;
        let rows: Vec<Row> = changes
            .into_iter()
            .map(|(kind, values)| {
                let mut row = vec![Value::Null; self.width + 1];
                for (target, v) in self.targets.iter().zip(values) {
                    row[*target] = v;
                }
                row[self.width] = kind_value(kind);
                row
            })
            .collect();
        Ok(Decoded::of_rows(rows))
    }
}

/// Parquet files: a row per row of each batch.
impl BatchDecoder for ParquetRowDecoder {
    type Item = Decoded;

    fn columns(&self) -> Vec<String> {
        self.column_names().map(str::to_string).collect()
    }

    fn decode(&mut self, batch: &arrow_array::RecordBatch, out: &mut Vec<Decoded>) -> Result<(), String> {
        let mut rows = Vec::with_capacity(batch.num_rows());
        ParquetRowDecoder::decode(self, batch, &mut rows)?;
        out.extend(rows.into_iter().map(Decoded::One));
        Ok(())
    }
}

/// How a table's files are read: lines of a row format, or Parquet files.
enum DirDecoder {
    Lines(RowDecoder),
    Parquet(ParquetRowDecoder),
}

/// The files of one directory: lines of a row format, or Parquet files.
#[derive(Clone)]
enum PartSource {
    Lines(FileSource<RowDecoder>),
    Parquet(ParquetSource<ParquetRowDecoder>),
}

impl PartSource {
    fn open_subtask(&mut self, ctx: &SourceContext) -> Result<usize, EngineError> {
        Ok(match self {
            PartSource::Lines(s) => s.open_subtask(ctx)?,
            PartSource::Parquet(s) => s.open_subtask(ctx)?,
        })
    }

    fn poll_into(&mut self, out: &mut impl Emitter<Decoded>) -> Result<SourceStatus, EngineError> {
        Ok(match self {
            PartSource::Lines(s) => s.poll_into(out)?,
            PartSource::Parquet(s) => s.poll_into(out)?,
        })
    }

    fn position(&self) -> Vec<u8> {
        match self {
            PartSource::Lines(s) => s.position(),
            PartSource::Parquet(s) => s.position(),
        }
    }

    fn restore(&mut self, positions: &[Vec<u8>]) -> Result<(), EngineError> {
        match self {
            PartSource::Lines(s) => s.restore(positions)?,
            PartSource::Parquet(s) => s.restore(positions)?,
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileMeta {
    Path,
    Name,
    Size,
    ModificationTime,
}

/// Facts about a file, for its metadata columns.
#[derive(Debug, Clone)]
struct FileFacts {
    path: String,
    name: String,
    size: i64,
    modified_ms: Option<i64>,
}

impl FileFacts {
    fn of(path: &Path) -> Self {
        let meta = std::fs::metadata(path).ok();
        FileFacts {
            path: path.display().to_string(),
            name: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            size: meta
                .as_ref()
                .map_or(0, |m| i64::try_from(m.len()).unwrap_or(i64::MAX)),
            modified_ms: meta
                .and_then(|m| m.modified().ok())
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .and_then(|d| i64::try_from(d.as_millis()).ok()),
        }
    }

    fn value(&self, m: FileMeta) -> Value {
        match m {
            FileMeta::Path => Value::String(self.path.clone()),
            FileMeta::Name => Value::String(self.name.clone()),
            FileMeta::Size => Value::Int(self.size),
            FileMeta::ModificationTime => self
                .modified_ms
                .map_or(Value::Null, |ms| Value::Timestamp(ms.saturating_mul(1000))),
        }
    }
}

/// The files `FileSource` gives subtask `ctx` of `path`, in its split order (the same rule:
/// visible files by name, file `i` to subtask `i % parallelism`).
fn own_files(path: &Path, ctx: &SourceContext) -> Vec<PathBuf> {
    let mut files: Vec<(String, PathBuf)> = match std::fs::metadata(path) {
        Ok(m) if m.is_file() => vec![(String::new(), path.to_path_buf())],
        _ => std::fs::read_dir(path)
            .map(|rd| {
                rd.filter_map(Result::ok)
                    .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                    .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
                    .filter(|(n, _)| !n.starts_with('.') && !n.starts_with('_'))
                    .collect()
            })
            .unwrap_or_default(),
    };
    files.sort();
    let p = ctx.parallelism.max(1);
    files
        .into_iter()
        .enumerate()
        .filter(|(i, _)| i % p == ctx.subtask)
        .map(|(_, (_, f))| f)
        .collect()
}

/// One directory (or file) the table reads, with its partition values.
#[derive(Clone)]
struct Part {
    rel: String,
    path: PathBuf,
    constants: Arc<[(usize, Value)]>,
    source: PartSource,
    /// Set at open: the first global split index of this part, and its files' facts.
    offset: usize,
    files: Vec<FileFacts>,
    /// The split (local to this part) of the last poll.
    split: usize,
    done: bool,
}

/// One part's rows on their way out: the partition's constants and the file's metadata
/// filled in, the split numbered among all parts'.
struct PartRows<'a, 'o> {
    out: &'a mut RowOut<'o>,
    constants: &'a [(usize, Value)],
    metadata: &'a [(usize, FileMeta)],
    files: &'a [FileFacts],
    offset: usize,
    /// The split (local to the part) of the rows now emitted.
    split: usize,
}

impl PartRows<'_, '_> {
    fn name_split(&mut self, split: usize) {
        self.split = split;
        self.out.set_split(self.offset + split);
    }
}

impl PartRows<'_, '_> {
    fn push(&mut self, mut row: Row, timestamp: Timestamp) {
        for (i, v) in self.constants {
            row[*i] = v.clone();
        }
        let facts = self.files.get(self.split);
        for (i, m) in self.metadata {
            row[*i] = facts.map_or(Value::Null, |f| f.value(*m));
        }
        self.out.push(row, timestamp);
    }
}

impl Emitter<Decoded> for PartRows<'_, '_> {
    fn set_split(&mut self, split: usize) {
        self.name_split(split);
    }

    fn emit(&mut self, rows: Decoded, timestamp: Timestamp) {
        rows.for_each(|row| self.push(row, timestamp));
    }

    fn remaining(&self) -> usize {
        self.out.remaining()
    }
}

#[derive(Clone)]
struct FileReader {
    parts: Vec<Part>,
    metadata: Arc<[(usize, FileMeta)]>,
    current: usize,
}

impl RowReader for FileReader {
    fn open(&mut self, ctx: &SourceContext) -> Result<usize, EngineError> {
        let mut offset = 0;
        for part in &mut self.parts {
            part.offset = offset;
            offset += part.source.open_subtask(ctx)?;
            if !self.metadata.is_empty() {
                part.files = own_files(&part.path, ctx)
                    .iter()
                    .map(|f| FileFacts::of(f))
                    .collect();
            }
        }
        Ok(offset.max(1))
    }

    fn poll(&mut self, out: &mut RowOut<'_>) -> Result<SourceStatus, EngineError> {
        while let Some(part) = self.parts.get_mut(self.current) {
            if part.done {
                self.current += 1;
                continue;
            }
            let room = out.remaining();
            // `FileSource` names the split only when it opens a file; a poll that goes on in
            // the same file emits records of the split named before.
            let mut rows = PartRows {
                out: &mut *out,
                constants: &part.constants,
                metadata: &self.metadata,
                files: &part.files,
                offset: part.offset,
                split: part.split,
            };
            rows.name_split(part.split);
            let status = part.source.poll_into(&mut rows)?;
            part.split = rows.split;
            if status == SourceStatus::Finished {
                part.done = true;
            }
            if out.remaining() < room || status != SourceStatus::Finished {
                return Ok(SourceStatus::Available);
            }
        }
        Ok(SourceStatus::Finished)
    }

    fn snapshot(&mut self, _checkpoint_id: u64) -> Result<Vec<u8>, EngineError> {
        let entries: Vec<(String, Vec<u8>)> = self
            .parts
            .iter()
            .map(|p| (p.rel.clone(), p.source.position()))
            .collect();
        Ok(super::dir_state::encode_state(&entries))
    }

    fn restore(&mut self, _ctx: &SourceContext, positions: &[Vec<u8>]) -> Result<(), EngineError> {
        let mut per_dir: std::collections::BTreeMap<String, Vec<Vec<u8>>> = Default::default();
        for position in positions {
            for (rel, inner) in super::dir_state::decode_state(position)? {
                per_dir.entry(rel).or_default().push(inner);
            }
        }
        for part in &mut self.parts {
            if let Some(inner) = per_dir.get(&part.rel) {
                part.source.restore(inner)?;
            }
        }
        Ok(())
    }
}

/// Flink's `PartitionPathUtils.unescapePathName`: `%XX` back to the character.
fn unescape(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A partition directory's value as the column's type.
fn partition_value(options: Options<'_>, column: &str, text: &str, ty: &DataType) -> Result<Value, SqlError> {
    let bad = || options.error(format!("partition directory {column}={text}: not a {ty} value"));
    Ok(match &ty.kind {
        TypeKind::Char(_) | TypeKind::Varchar(_) => Value::String(text.to_string()),
        TypeKind::TinyInt | TypeKind::SmallInt | TypeKind::Int | TypeKind::BigInt => {
            Value::Int(text.parse().map_err(|_| bad())?)
        }
        TypeKind::Boolean => Value::Boolean(text.parse().map_err(|_| bad())?),
        TypeKind::Date => Value::Date(crate::temporal::parse_date(text).ok_or_else(bad)?),
        TypeKind::Decimal { precision, scale } => {
            Value::Decimal(crate::decimal::parse(text, *precision, *scale).ok_or_else(bad)?)
        }
        TypeKind::Double | TypeKind::Float => Value::Float(text.parse().map_err(|_| bad())?),
        TypeKind::Timestamp(_) => Value::Timestamp(crate::temporal::parse_timestamp(text).ok_or_else(bad)?),
        other => {
            return Err(options.error(format!(
                "partition column {column} of type {other} is not supported"
            )));
        }
    })
}

/// A directory to read: its path relative to the table's `path`, its path, and the partition
/// columns' values (row index, value).
type PartitionDir = (String, PathBuf, Vec<(usize, Value)>);

/// Every `k=v/...` directory under `root`, one level per partition column: the relative path
/// and the values.
fn partition_dirs(
    options: Options<'_>,
    root: &Path,
    partitions: &[(usize, String, DataType)],
    default_name: &str,
) -> Result<Vec<PartitionDir>, SqlError> {
    let mut level: Vec<PartitionDir> = vec![(String::new(), root.to_path_buf(), Vec::new())];
    for (index, name, ty) in partitions {
        let mut next = Vec::new();
        for (rel, dir, values) in level {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            let mut dirs: Vec<(String, PathBuf)> = entries
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
                .collect();
            dirs.sort();
            for (dname, path) in dirs {
                let Some((k, v)) = dname.split_once('=') else {
                    continue;
                };
                if unescape(k) != *name {
                    continue;
                }
                let v = unescape(v);
                let value = if v == default_name {
                    Value::Null
                } else {
                    partition_value(options, name, &v, ty)?
                };
                let mut values = values.clone();
                values.push((*index, value));
                let rel = if rel.is_empty() {
                    dname.clone()
                } else {
                    format!("{rel}/{dname}")
                };
                next.push((rel, path, values));
            }
        }
        level = next;
    }
    Ok(level)
}

/// Adds a `filesystem` table's source.
pub(crate) fn scan(
    env: &StreamEnvironment,
    plan: &ScanPlan,
    ctx: &ConnectorContext,
    parallelism: Option<usize>,
) -> Result<DataStream<Row>, SqlError> {
    let options = Options::new(&plan.table);
    // Options that would change what is read: refused rather than silently ignored.
    for key in ["source.monitor-interval", "source.path.regex-pattern"] {
        if options.get(key).is_some() {
            return Err(options.invalid(key, "is not supported yet (the source reads every file once)"));
        }
    }
    let columns = Columns::of(&plan.table);
    let mut metadata = Vec::new();
    for m in &columns.metadata {
        let kind = match m.key.as_str() {
            "file.path" => FileMeta::Path,
            "file.name" => FileMeta::Name,
            "file.size" => FileMeta::Size,
            "file.modification-time" => FileMeta::ModificationTime,
            other => return Err(options.error(format!("the filesystem connector has no metadata '{other}'"))),
        };
        metadata.push((m.index, kind));
    }
    let partition_names: Vec<&str> = plan.table.partitioned_by.iter().map(|i| i.as_str()).collect();
    let mut fields: Vec<FormatField> = Vec::new();
    let mut targets = Vec::new();
    let mut partitions = Vec::new();
    for (index, f) in &columns.physical {
        if partition_names.contains(&f.name.as_str()) {
            partitions.push((*index, f.name.clone(), f.ty.clone()));
        } else {
            fields.push(f.clone());
            targets.push(*index);
        }
    }
    partitions.sort_by_key(|(_, n, _)| partition_names.iter().position(|p| p == n));
    let name = super::filesystem::format_name(options)?;
    let format_options = options.with_prefix(&format!("{name}."));
    let decoder = if name == "parquet" {
        // Validates the options and types as the sink would; only the columns the query
        // uses are read.
        crate::format::parquet::Parquet::new(fields.clone(), &format_options)?;
        let (fields, targets): (Vec<FormatField>, Vec<usize>) = fields
            .into_iter()
            .zip(targets)
            .filter(|(_, t)| plan.reads(*t))
            .unzip();
        DirDecoder::Parquet(ParquetRowDecoder::new(fields, &targets, columns.width))
    } else {
        let format = RowFormat::new(name, fields, &format_options)?;
        let format = plan.projected_format(&format, &targets);
        DirDecoder::Lines(RowDecoder {
            splitter: format.record_splitter(),
            format,
            width: columns.width,
            targets: targets.into(),
            values: Vec::new(),
        })
    };
    let root = super::filesystem::path(options)?;
    let dirs = if partitions.is_empty() {
        vec![(String::new(), root, Vec::new())]
    } else {
        let default_name = options
            .get("partition.default-name")
            .unwrap_or("__DEFAULT_PARTITION__");
        partition_dirs(options, &root, &partitions, default_name)?
    };
    let counter = format!("{}.skipped-records", options.table_name());
    let mut parts = Vec::new();
    for (rel, path, constants) in dirs {
        let source = match &decoder {
            DirDecoder::Lines(lines) => {
                let mut source = FileSource::new(path.clone(), lines.clone());
                if lines.format.ignores_parse_errors() {
                    source = source.skip_bad_lines();
                    ctx.stats.register(&counter, source.skipped_lines());
                }
                PartSource::Lines(source)
            }
            DirDecoder::Parquet(parquet) => {
                PartSource::Parquet(ParquetSource::new(path.clone(), parquet.clone()))
            }
        };
        parts.push((rel, path, constants, source));
    }
    let reader = FileReader {
        parts: parts
            .into_iter()
            .map(|(rel, path, constants, source)| Part {
                rel,
                path,
                constants: constants.into(),
                source,
                offset: 0,
                files: Vec::new(),
                split: 0,
                done: false,
            })
            .collect(),
        metadata: metadata.into(),
        current: 0,
    };
    add_source(env, plan, ctx, reader, parallelism)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_names_unescape() {
        assert_eq!(unescape("a%2Fb%3Dc"), "a/b=c");
        assert_eq!(unescape("100%"), "100%");
        assert_eq!(unescape("%zz"), "%zz");
    }
}
