//! The data files one subtask of the sink is writing, one per partition of the table's spec:
//! Parquet with Iceberg field ids under `<table location>/data/<partition path>/`, named as
//! Flink names them (`<subtask>-<attempt>-<unique id>-<count>.parquet`). At every checkpoint
//! they are closed and fsynced, and become [`DataFile`]s for the committer; rows that follow go
//! into new files.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use spate_connectors::ConnectorError;
use spate_connectors::file::{PartFormat, PartWriter};
use spate_engine::{EngineError, NO_TIMESTAMP, Record};
use spate_iceberg::{DataFile, FileIo, PartitionSpec, PrimitiveType, Schema, Value as IcebergValue};

use super::metrics::add_metrics;
use super::schema::source_value;
use crate::value::{Row, RowKind, Value};

/// A part record: the row's written columns (insertions only).
pub(crate) type PartRecord = (RowKind, Row);

/// What the subtasks share about where and how files are written.
pub(crate) struct FileLayout {
    pub(crate) format: Arc<dyn PartFormat<PartRecord>>,
    /// `<table location>/data`, as readers will open it.
    pub(crate) data_location: String,
    pub(crate) spec: PartitionSpec,
    /// Per partition field: the row position and Iceberg type of its source column.
    pub(crate) sources: Vec<(i32, usize, PrimitiveType)>,
    /// Row positions of the written columns, in the Parquet schema's order.
    pub(crate) columns: Vec<usize>,
    /// The table's schema the files are written in (the metrics' types by field id).
    pub(crate) schema: Schema,
}

impl std::fmt::Debug for FileLayout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileLayout")
            .field("data_location", &self.data_location)
            .finish_non_exhaustive()
    }
}

/// A partition's rows of one batch: its directory, tuple and records.
type PartitionBatch = (String, Vec<Option<IcebergValue>>, Vec<Record<PartRecord>>);

struct OpenFile {
    location: String,
    path: PathBuf,
    partition: Vec<Option<IcebergValue>>,
    writer: Box<dyn PartWriter<PartRecord>>,
}

/// One subtask's open data files (see the module docs).
pub(crate) struct DataFiles {
    layout: Arc<FileLayout>,
    io: FileIo,
    /// `<subtask>-<attempt>-<unique id>`.
    prefix: String,
    count: u64,
    open: BTreeMap<String, OpenFile>,
    /// The partition tuple and directory of the last row (`None` while unpartitioned).
    last: Option<(Vec<Option<IcebergValue>>, String)>,
}

fn io_error(path: &Path, e: std::io::Error) -> EngineError {
    EngineError::connector(ConnectorError::Io {
        path: path.to_path_buf(),
        source: e,
    })
}

impl DataFiles {
    pub(crate) fn new(layout: Arc<FileLayout>, subtask: usize, attempt: u64) -> Self {
        let unique = format!("{:016x}", spate_iceberg::new_snapshot_id());
        Self {
            layout,
            io: FileIo::local(),
            prefix: format!("{subtask:05}-{attempt}-{unique}"),
            count: 0,
            open: BTreeMap::new(),
            last: None,
        }
    }

    /// Whether no file is open.
    pub(crate) fn is_empty(&self) -> bool {
        self.open.is_empty()
    }

    /// Moves [`last`](Self::last) to `row`'s partition; returns whether it changed (never
    /// for an unpartitioned table, whose partition is `last` = `None`).
    fn next_partition(&mut self, row: &Row) -> Result<bool, EngineError> {
        if self.layout.sources.is_empty() {
            return Ok(false);
        }
        let spec = &self.layout.spec;
        let sources = &self.layout.sources;
        let tuple = spec
            .partition_of(|id| {
                let (_, pos, t) = sources.iter().find(|(s, _, _)| *s == id)?;
                source_value(row.get(*pos)?, *t)
            })
            .map_err(|e| EngineError::fatal(format!("iceberg partition: {e}")))?;
        if self.last.as_ref().is_some_and(|(last, _)| *last == tuple) {
            return Ok(false);
        }
        let dir = spec
            .partition_path(&tuple)
            .map_err(|e| EngineError::fatal(format!("iceberg partition: {e}")))?;
        self.last = Some((tuple, dir));
        Ok(true)
    }

    fn file_for(
        &mut self,
        dir: &str,
        partition: Vec<Option<IcebergValue>>,
    ) -> Result<&mut OpenFile, EngineError> {
        if !self.open.contains_key(dir) {
            self.count += 1;
            let name = format!("{}-{:05}{}", self.prefix, self.count, self.layout.format.suffix());
            let location = if dir.is_empty() {
                format!("{}/{name}", self.layout.data_location)
            } else {
                format!("{}/{dir}/{name}", self.layout.data_location)
            };
            let path = self
                .io
                .local_path(&location)
                .map_err(|e| EngineError::fatal(e.to_string()))?;
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| io_error(parent, e))?;
            }
            let file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
                .map_err(|e| io_error(&path, e))?;
            let writer = self
                .layout
                .format
                .create(file, &path)
                .map_err(EngineError::connector)?;
            self.open.insert(
                dir.to_string(),
                OpenFile {
                    location,
                    path,
                    partition,
                    writer,
                },
            );
        }
        self.open
            .get_mut(dir)
            .ok_or_else(|| EngineError::fatal("iceberg data file vanished"))
    }

    /// Writes rows (each batch's rows grouped by partition, in the order partitions appear).
    pub(crate) fn write(&mut self, rows: impl Iterator<Item = Row>) -> Result<(), EngineError> {
        let mut batches: Vec<PartitionBatch> = Vec::new();
        // The batch of the last row's partition: rows come in runs of one partition, so the
        // batches are searched (and the directory named) only when the partition changes.
        let mut current: Option<usize> = None;
        // The written columns are the row's first ones when the table has no computed or
        // metadata columns between them: the row is cut short, not copied.
        let layout = self.layout.clone();
        let columns = &layout.columns;
        let prefix = columns.iter().enumerate().all(|(i, &p)| i == p);
        for row in rows {
            let changed = self.next_partition(&row)?;
            let at = match current {
                Some(at) if !changed => at,
                _ => {
                    let (tuple, dir) = self.last.clone().unwrap_or_default();
                    match batches.iter().position(|(d, _, _)| *d == dir) {
                        Some(at) => at,
                        None => {
                            batches.push((dir, tuple, Vec::new()));
                            batches.len() - 1
                        }
                    }
                }
            };
            current = Some(at);
            let record: Row = if prefix && row.len() >= columns.len() {
                let mut row = row;
                row.truncate(columns.len());
                row
            } else {
                columns
                    .iter()
                    .map(|&i| row.get(i).cloned().unwrap_or(Value::Null))
                    .collect()
            };
            if let Some((_, _, batch)) = batches.get_mut(at) {
                batch.push(Record::new(NO_TIMESTAMP, (RowKind::Insert, record)));
            }
        }
        for (dir, tuple, mut batch) in batches {
            let file = self.file_for(&dir, tuple)?;
            file.writer.write(&mut batch).map_err(EngineError::connector)?;
        }
        Ok(())
    }

    /// Closes every open file: footers written, contents and directories fsynced.
    pub(crate) fn close(&mut self) -> Result<Vec<DataFile>, EngineError> {
        let mut out = Vec::with_capacity(self.open.len());
        let mut dirs = std::collections::BTreeSet::new();
        for (_, f) in std::mem::take(&mut self.open) {
            let closed = f.writer.close().map_err(EngineError::connector)?;
            let file: File = closed.file;
            file.sync_all().map_err(|e| io_error(&f.path, e))?;
            let bytes = file.metadata().map_err(|e| io_error(&f.path, e))?.len();
            if let Some(parent) = f.path.parent() {
                dirs.insert(parent.to_path_buf());
            }
            let mut data_file = DataFile::parquet(
                f.location,
                f.partition,
                i64::try_from(closed.records).unwrap_or(i64::MAX),
                i64::try_from(bytes).unwrap_or(i64::MAX),
            );
            add_metrics(&mut data_file, &f.path, &self.layout.schema)
                .map_err(|e| EngineError::connector(format!("iceberg data file metrics: {e}")))?;
            out.push(data_file);
        }
        // The files' names must survive a crash as well as their contents.
        for dir in dirs {
            File::open(&dir)
                .and_then(|d| d.sync_all())
                .map_err(|e| io_error(&dir, e))?;
        }
        Ok(out)
    }
}
