//! Part files of a row format (`json`, `csv`, `raw`, a changelog format): one encoded change
//! per line, for the filesystem sink.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use spate_connectors::ConnectorError;
use spate_connectors::file::{ClosedPart, PartFormat, PartWriter};
use spate_engine::Record;

use crate::format::RowFormat;
use crate::value::{Row, RowKind};

/// Lines of `format` (see the module docs).
#[derive(Debug, Clone)]
pub(crate) struct RowLineFormat {
    format: RowFormat,
}

impl RowLineFormat {
    pub(crate) fn new(format: RowFormat) -> Self {
        Self { format }
    }
}

impl PartFormat<(RowKind, Row)> for RowLineFormat {
    fn suffix(&self) -> &str {
        ""
    }

    fn create(&self, file: File, path: &Path) -> Result<Box<dyn PartWriter<(RowKind, Row)>>, ConnectorError> {
        Ok(Box::new(RowLineWriter {
            format: self.format.clone(),
            out: BufWriter::with_capacity(256 * 1024, file),
            path: path.to_path_buf(),
            bytes: Vec::new(),
            records: 0,
        }))
    }
}

struct RowLineWriter {
    format: RowFormat,
    out: BufWriter<File>,
    path: PathBuf,
    bytes: Vec<u8>,
    records: u64,
}

impl RowLineWriter {
    fn io(&self, e: std::io::Error) -> ConnectorError {
        ConnectorError::Io {
            path: self.path.clone(),
            source: e,
        }
    }
}

impl PartWriter<(RowKind, Row)> for RowLineWriter {
    fn write(&mut self, records: &mut Vec<Record<(RowKind, Row)>>) -> Result<(), ConnectorError> {
        for r in records.drain(..) {
            let (kind, row) = r.value;
            self.bytes.clear();
            self.format
                .encode_change(kind, &row, &mut self.bytes)
                .map_err(|e| ConnectorError::Encode {
                    location: self.path.display().to_string(),
                    message: format!("encoding a row: {e}"),
                })?;
            self.bytes.push(b'\n');
            self.out.write_all(&self.bytes).map_err(|e| self.io(e))?;
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
