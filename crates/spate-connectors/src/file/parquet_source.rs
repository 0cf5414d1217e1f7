//! Reading Parquet files as a bounded source: the files of a directory are the splits (file
//! `i` in name order to subtask `i % parallelism`, as for line files), each read a batch of
//! rows at a time with only the columns the decoder asks for. The position is the number of
//! rows emitted per file, so a restore skips exactly those (the reader's row offset) at any
//! parallelism.

use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::path::PathBuf;

use arrow_array::RecordBatch;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use spate_engine::{EngineError, NO_TIMESTAMP, Source, SourceBatch, SourceContext, SourceStatus};

use super::source::list_files;
use crate::emit::Emitter;
use crate::error::ConnectorError;
use crate::state_codec::{StateReader, StateWriter};

const VERSION: u8 = 1;

/// Rows to decode at a time.
const BATCH_ROWS: usize = 1024;

/// Turns Arrow record batches read from Parquet files into records, one per row.
pub trait BatchDecoder: Clone + Send + 'static {
    /// The record type.
    type Item;
    /// The top-level columns to read, by name (columns a file lacks are simply not read; the
    /// decoder sees batches without them).
    fn columns(&self) -> Vec<String>;
    /// Appends exactly one record per row of `batch` to `out`, or says what is wrong.
    fn decode(&mut self, batch: &RecordBatch, out: &mut Vec<Self::Item>) -> Result<(), String>;
}

#[derive(Debug, Clone)]
struct Split {
    name: String,
    path: PathBuf,
    /// Rows emitted so far.
    rows: u64,
}

/// A bounded source of the rows of Parquet files (see the module docs).
pub struct ParquetSource<D: BatchDecoder> {
    path: PathBuf,
    /// Files named by the caller (an Iceberg table's data files) instead of `path`'s.
    files: Option<Vec<(String, PathBuf)>>,
    decoder: D,
    splits: Vec<Split>,
    current: usize,
    reader: Option<ParquetRecordBatchReader>,
    pending: VecDeque<D::Item>,
    decoded: Vec<D::Item>,
}

impl<D: BatchDecoder> Clone for ParquetSource<D> {
    fn clone(&self) -> Self {
        Self {
            files: self.files.clone(),
            ..Self::new(self.path.clone(), self.decoder.clone())
        }
    }
}

impl<D: BatchDecoder> std::fmt::Debug for ParquetSource<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParquetSource")
            .field("path", &self.path)
            .field("splits", &self.splits)
            .finish_non_exhaustive()
    }
}

fn format_error(path: &std::path::Path, message: impl std::fmt::Display) -> ConnectorError {
    ConnectorError::Format {
        location: path.display().to_string(),
        message: message.to_string(),
    }
}

impl<D: BatchDecoder> ParquetSource<D> {
    /// The Parquet file `path`, or the visible files of the directory `path`.
    pub fn new(path: impl Into<PathBuf>, decoder: D) -> Self {
        Self {
            path: path.into(),
            files: None,
            decoder,
            splits: Vec::new(),
            current: 0,
            reader: None,
            pending: VecDeque::new(),
            decoded: Vec::new(),
        }
    }

    /// Reads `files` (each named by its key in positions), in this order, instead of a
    /// directory's.
    pub fn of_files(files: Vec<(String, PathBuf)>, decoder: D) -> Self {
        Self {
            files: Some(files),
            ..Self::new(PathBuf::new(), decoder)
        }
    }

    /// Picks this subtask's files; returns how many splits it reads (at least 1).
    pub fn open_subtask(&mut self, ctx: &SourceContext) -> Result<usize, ConnectorError> {
        let p = ctx.parallelism.max(1);
        let files = match &self.files {
            Some(files) => files.clone(),
            None => list_files(&self.path)?,
        };
        self.splits = files
            .into_iter()
            .enumerate()
            .filter(|(i, _)| i % p == ctx.subtask)
            .map(|(_, (name, path))| Split { name, path, rows: 0 })
            .collect();
        self.current = 0;
        self.reader = None;
        self.pending.clear();
        Ok(self.splits.len().max(1))
    }

    /// Rows emitted per file.
    pub fn position(&self) -> Vec<u8> {
        let mut w = StateWriter::new(VERSION);
        w.u64(self.splits.len() as u64);
        for s in &self.splits {
            w.str(&s.name).u64(s.rows);
        }
        w.finish()
    }

    /// Resumes every known file after its emitted rows (positions of any old subtasks).
    pub fn restore(&mut self, positions: &[Vec<u8>]) -> Result<(), ConnectorError> {
        let mut known = HashMap::new();
        for position in positions {
            let mut r = StateReader::new(position, VERSION, "parquet source position")?;
            for _ in 0..r.len()? {
                let name = r.string()?;
                known.insert(name, r.u64()?);
            }
            r.end()?;
        }
        for s in &mut self.splits {
            if let Some(&rows) = known.get(&s.name) {
                s.rows = rows;
            }
        }
        self.current = 0;
        self.reader = None;
        self.pending.clear();
        Ok(())
    }

    fn open_reader(&self, split: &Split) -> Result<ParquetRecordBatchReader, ConnectorError> {
        let file = File::open(&split.path).map_err(|e| ConnectorError::Io {
            path: split.path.clone(),
            source: e,
        })?;
        let builder =
            ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| format_error(&split.path, e))?;
        let wanted = self.decoder.columns();
        let roots: Vec<usize> = builder
            .parquet_schema()
            .root_schema()
            .get_fields()
            .iter()
            .enumerate()
            .filter(|(_, f)| wanted.iter().any(|w| w == f.name()))
            .map(|(i, _)| i)
            .collect();
        let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
        let offset = usize::try_from(split.rows).unwrap_or(usize::MAX);
        builder
            .with_projection(mask)
            .with_batch_size(BATCH_ROWS)
            .with_offset(offset)
            .build()
            .map_err(|e| format_error(&split.path, e))
    }

    /// Emits rows until `out` is full or the files end.
    pub fn poll_into(&mut self, out: &mut impl Emitter<D::Item>) -> Result<SourceStatus, ConnectorError> {
        while out.remaining() > 0 {
            if let Some(item) = self.pending.pop_front() {
                out.emit(item, NO_TIMESTAMP);
                if let Some(split) = self.splits.get_mut(self.current) {
                    split.rows += 1;
                }
                continue;
            }
            let Some(split) = self.splits.get(self.current) else {
                return Ok(SourceStatus::Finished);
            };
            if self.reader.is_none() {
                let reader = self.open_reader(split)?;
                out.set_split(self.current);
                self.reader = Some(reader);
            }
            let next = self.reader.as_mut().and_then(Iterator::next);
            match next {
                None => {
                    self.reader = None;
                    self.current += 1;
                }
                Some(batch) => {
                    let batch = batch.map_err(|e| format_error(&split.path, e))?;
                    self.decoded.clear();
                    self.decoder
                        .decode(&batch, &mut self.decoded)
                        .map_err(|m| format_error(&split.path, format!("rows from {}: {m}", split.rows)))?;
                    self.pending.extend(self.decoded.drain(..));
                }
            }
        }
        Ok(if self.current >= self.splits.len() && self.pending.is_empty() {
            SourceStatus::Finished
        } else {
            SourceStatus::Available
        })
    }
}

impl<D: BatchDecoder> Source<D::Item> for ParquetSource<D>
where
    D::Item: Send,
{
    fn open(&mut self, ctx: &SourceContext) -> Result<usize, EngineError> {
        Ok(self.open_subtask(ctx)?)
    }

    fn poll(&mut self, out: &mut SourceBatch<D::Item>) -> Result<SourceStatus, EngineError> {
        Ok(self.poll_into(out)?)
    }

    fn snapshot_position(&mut self, _checkpoint_id: u64) -> Result<Vec<u8>, EngineError> {
        Ok(self.position())
    }

    fn restore_positions(&mut self, _ctx: &SourceContext, positions: &[Vec<u8>]) -> Result<(), EngineError> {
        Ok(self.restore(positions)?)
    }
}
