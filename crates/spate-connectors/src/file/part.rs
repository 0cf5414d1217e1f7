//! What goes into one part file: a [`PartFormat`] opens a [`PartWriter`] over each new part
//! file; the [`FileSink`](super::FileSink) decides when parts start, close and become visible.
//!
//! Row formats (lines) and bulk formats (Parquet) differ in one way that matters here: a line
//! file is whole after every line, a bulk file only after its footer is written by
//! [`PartWriter::close`]. The sink closes every part at each checkpoint, so both kinds are
//! rolled there (Flink's `OnCheckpointRollingPolicy`, the only policy bulk formats allow).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Arc;

use spate_engine::Record;

use crate::error::ConnectorError;

/// Opens writers over new part files.
pub trait PartFormat<T>: Send + Sync {
    /// What final part file names end with (`.json`, `.parquet`, or nothing).
    fn suffix(&self) -> &str;
    /// A writer over the freshly created, empty `file` at `path` (for error messages).
    fn create(&self, file: File, path: &Path) -> Result<Box<dyn PartWriter<T>>, ConnectorError>;
}

/// Encodes records into one part file.
///
/// Contract: [`write`](Self::write) takes every record out of the vector (an error fails the
/// job; the part is then abandoned and its records replayed from the last checkpoint);
/// [`close`](Self::close) writes whatever the format keeps buffered (a Parquet row group, the
/// footer) and hands the file back for the sink to fsync. Nothing is written after `close`.
pub trait PartWriter<T>: Send {
    /// Encodes the records (in order) into the part.
    fn write(&mut self, records: &mut Vec<Record<T>>) -> Result<(), ConnectorError>;
    /// Finishes the part and returns its file.
    fn close(self: Box<Self>) -> Result<ClosedPart, ConnectorError>;
}

/// A finished part file, with what its format knows about it.
#[derive(Debug)]
pub struct ClosedPart {
    /// The file, written through; the sink fsyncs it.
    pub file: File,
    /// Records in the file.
    pub records: u64,
}

/// Encodes a record as one line (appended to the buffer, without the line break).
pub type LineEncoder<T> = Arc<dyn Fn(&T, &mut String) + Send + Sync>;

/// One record per line, made by a [`LineEncoder`].
pub struct LineFormat<T> {
    encode: LineEncoder<T>,
    suffix: String,
}

impl<T> std::fmt::Debug for LineFormat<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LineFormat")
            .field("suffix", &self.suffix)
            .finish_non_exhaustive()
    }
}

impl<T> LineFormat<T> {
    /// Lines made by `encode`, in files whose names end with `suffix`.
    pub fn new(encode: LineEncoder<T>, suffix: &str) -> Self {
        Self {
            encode,
            suffix: suffix.to_string(),
        }
    }
}

impl<T: Send + 'static> PartFormat<T> for LineFormat<T> {
    fn suffix(&self) -> &str {
        &self.suffix
    }

    fn create(&self, file: File, path: &Path) -> Result<Box<dyn PartWriter<T>>, ConnectorError> {
        Ok(Box::new(LineWriter {
            encode: self.encode.clone(),
            out: BufWriter::with_capacity(256 * 1024, file),
            path: path.to_path_buf(),
            line: String::new(),
            records: 0,
        }))
    }
}

struct LineWriter<T> {
    encode: LineEncoder<T>,
    out: BufWriter<File>,
    path: std::path::PathBuf,
    line: String,
    records: u64,
}

impl<T: Send> PartWriter<T> for LineWriter<T> {
    fn write(&mut self, records: &mut Vec<Record<T>>) -> Result<(), ConnectorError> {
        for r in records.drain(..) {
            self.line.clear();
            (self.encode)(&r.value, &mut self.line);
            self.line.push('\n');
            self.out
                .write_all(self.line.as_bytes())
                .map_err(|e| ConnectorError::Io {
                    path: self.path.clone(),
                    source: e,
                })?;
            self.records += 1;
        }
        Ok(())
    }

    fn close(self: Box<Self>) -> Result<ClosedPart, ConnectorError> {
        let path = self.path;
        let file = self.out.into_inner().map_err(|e| ConnectorError::Io {
            path,
            source: e.into_error(),
        })?;
        Ok(ClosedPart {
            file,
            records: self.records,
        })
    }
}
