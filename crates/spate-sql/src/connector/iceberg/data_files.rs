//! The files of one kind (data, equality deletes or position deletes) one subtask of the sink
//! is writing, one per partition of the table's spec: Parquet with Iceberg field ids under
//! `<table location>/data/<partition path>/`, named as Flink names them
//! (`<subtask>-<attempt>-<unique id>-<count>.parquet`). A row is placed first (its file and
//! position are known at once, which position deletes need) and written with its batch. At
//! every checkpoint the files are closed and fsynced, and become [`DataFile`]s for the
//! committer; rows that follow go into new files.

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

struct OpenFile {
    /// The partition's directory under `data/` (empty while unpartitioned).
    dir: String,
    location: Arc<str>,
    path: PathBuf,
    partition: Vec<Option<IcebergValue>>,
    writer: Box<dyn PartWriter<PartRecord>>,
    /// Rows placed in the file so far (written or queued): the next row's position.
    rows: u64,
    /// Rows placed and not yet handed to the writer.
    queued: Vec<Record<PartRecord>>,
}

/// Where an open file is: its location (as manifests and position deletes name it), its
/// partition's directory and tuple.
pub(crate) struct PlacedFile<'a> {
    pub(crate) location: &'a Arc<str>,
    pub(crate) dir: &'a str,
    pub(crate) partition: &'a [Option<IcebergValue>],
}

/// One subtask's open files of one kind (see the module docs).
pub(crate) struct DataFiles {
    layout: Arc<FileLayout>,
    io: FileIo,
    /// `<subtask>-<attempt>-<unique id>`.
    prefix: String,
    count: u64,
    open: Vec<OpenFile>,
    /// The partition tuple of the last row and its file (`None` before the first row).
    last: Option<(Vec<Option<IcebergValue>>, usize)>,
    /// The written columns are the row's first ones, in order.
    prefix_columns: bool,
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
        let prefix_columns = layout.columns.iter().enumerate().all(|(i, &p)| i == p);
        Self {
            prefix_columns,
            layout,
            io: FileIo::local(),
            prefix: format!("{subtask:05}-{attempt}-{unique}"),
            count: 0,
            open: Vec::new(),
            last: None,
        }
    }

    /// Whether no file is open.
    pub(crate) fn is_empty(&self) -> bool {
        self.open.is_empty()
    }

    /// Open file `file`, an index [`push`](Self::push) returned.
    pub(crate) fn file(&self, file: usize) -> Option<PlacedFile<'_>> {
        self.open.get(file).map(|f| PlacedFile {
            location: &f.location,
            dir: &f.dir,
            partition: &f.partition,
        })
    }

    /// The open file of `row`'s partition; the last row's when the partition did not change
    /// (an unpartitioned table has one file), so a run of rows of one partition neither
    /// computes a path nor searches.
    fn file_of(&mut self, row: &Row) -> Result<usize, EngineError> {
        if self.layout.sources.is_empty()
            && let Some((_, at)) = self.last
        {
            return Ok(at);
        }
        let spec = &self.layout.spec;
        let sources = &self.layout.sources;
        let tuple = spec
            .partition_of(|id| {
                let (_, pos, t) = sources.iter().find(|(s, _, _)| *s == id)?;
                source_value(row.get(*pos)?, *t)
            })
            .map_err(|e| EngineError::fatal(format!("iceberg partition: {e}")))?;
        if let Some((last, at)) = &self.last
            && *last == tuple
        {
            return Ok(*at);
        }
        let dir = spec
            .partition_path(&tuple)
            .map_err(|e| EngineError::fatal(format!("iceberg partition: {e}")))?;
        let at = self.file_in(&dir, &tuple)?;
        self.last = Some((tuple, at));
        Ok(at)
    }

    /// The open file of the partition `dir` (tuple `partition`), opened if there is none.
    fn file_in(&mut self, dir: &str, partition: &[Option<IcebergValue>]) -> Result<usize, EngineError> {
        if let Some(at) = self.open.iter().position(|f| f.dir == dir) {
            return Ok(at);
        }
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
        self.open.push(OpenFile {
            dir: dir.to_string(),
            location: location.into(),
            path,
            partition: partition.to_vec(),
            writer,
            rows: 0,
            queued: Vec::new(),
        });
        Ok(self.open.len() - 1)
    }

    /// The written columns of `row`: its first ones when the table has no computed or
    /// metadata columns between them (the row is cut short, not copied).
    fn written(&self, row: Row) -> Row {
        let columns = &self.layout.columns;
        if self.prefix_columns && row.len() >= columns.len() {
            let mut row = row;
            row.truncate(columns.len());
            row
        } else {
            columns
                .iter()
                .map(|&i| row.get(i).cloned().unwrap_or(Value::Null))
                .collect()
        }
    }

    /// Places `row` in the file of its partition; returns the file (see [`file`](Self::file))
    /// and the row's position in it. The row is written at the next [`flush`](Self::flush).
    pub(crate) fn push(&mut self, row: Row) -> Result<(usize, u64), EngineError> {
        let at = self.file_of(&row)?;
        self.push_to(at, row)
    }

    /// Places `row` in the file of the partition `dir` (tuple `partition`), whatever its
    /// values (a position delete belongs with the data file it names).
    pub(crate) fn push_in(
        &mut self,
        dir: &str,
        partition: &[Option<IcebergValue>],
        row: Row,
    ) -> Result<(usize, u64), EngineError> {
        let at = self.file_in(dir, partition)?;
        self.push_to(at, row)
    }

    fn push_to(&mut self, at: usize, row: Row) -> Result<(usize, u64), EngineError> {
        let record = self.written(row);
        let file = self
            .open
            .get_mut(at)
            .ok_or_else(|| EngineError::fatal("iceberg data file vanished"))?;
        let pos = file.rows;
        file.rows += 1;
        file.queued
            .push(Record::new(NO_TIMESTAMP, (RowKind::Insert, record)));
        Ok((at, pos))
    }

    /// Hands the placed rows to the files' writers.
    pub(crate) fn flush(&mut self) -> Result<(), EngineError> {
        for f in &mut self.open {
            if !f.queued.is_empty() {
                f.writer.write(&mut f.queued).map_err(EngineError::connector)?;
                f.queued.clear();
            }
        }
        Ok(())
    }

    /// Writes rows (an insert-only table's).
    pub(crate) fn write(&mut self, rows: impl Iterator<Item = Row>) -> Result<(), EngineError> {
        for row in rows {
            self.push(row)?;
        }
        self.flush()
    }

    /// Closes every open file: footers written, contents and directories fsynced.
    pub(crate) fn close(&mut self) -> Result<Vec<DataFile>, EngineError> {
        self.flush()?;
        self.last = None;
        let mut out = Vec::with_capacity(self.open.len());
        let mut dirs = std::collections::BTreeSet::new();
        for f in std::mem::take(&mut self.open) {
            let closed = f.writer.close().map_err(EngineError::connector)?;
            let file: File = closed.file;
            file.sync_all().map_err(|e| io_error(&f.path, e))?;
            let bytes = file.metadata().map_err(|e| io_error(&f.path, e))?.len();
            if let Some(parent) = f.path.parent() {
                dirs.insert(parent.to_path_buf());
            }
            let mut data_file = DataFile::parquet(
                f.location.to_string(),
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
