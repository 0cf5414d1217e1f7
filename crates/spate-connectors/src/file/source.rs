//! The file source (see the module docs of [`crate::file`]).

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use spate_engine::{EngineError, NO_TIMESTAMP, Source, SourceBatch, SourceContext, SourceStatus};

use crate::emit::Emitter;
use crate::error::ConnectorError;
use crate::state_codec::{StateReader, StateWriter};

const VERSION: u8 = 1;

/// Turns one record's text (without its final line break) into a value.
pub trait LineDecoder: Clone + Send + 'static {
    /// The record type.
    type Item;
    /// Whether `record` (the record's lines so far, each ending with `\n` but perhaps the
    /// file's last) needs more lines to be whole, as when a quoted CSV field holds a line
    /// break. `line_start` is where its newest line starts, so a decoder can scan each line
    /// once instead of the whole record again; 0 means a new record.
    fn needs_more(&mut self, record: &[u8], line_start: usize) -> bool {
        let _ = (record, line_start);
        false
    }
    /// Whether the first record of every file is a header to skip.
    fn has_header(&self) -> bool {
        false
    }
    /// The value, or what is wrong with the text.
    fn decode(&mut self, text: &str) -> Result<Self::Item, String>;
}

/// One JSON value per line.
#[derive(Debug, Clone, Copy, Default)]
pub struct NdjsonDecoder;

impl LineDecoder for NdjsonDecoder {
    type Item = serde_json::Value;
    fn decode(&mut self, text: &str) -> Result<serde_json::Value, String> {
        serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))
    }
}

/// CSV records as vectors of fields (see [`crate::file::csv`]).
#[derive(Debug, Clone, Copy)]
pub struct CsvDecoder {
    delimiter: char,
    header: bool,
}

impl LineDecoder for CsvDecoder {
    type Item = Vec<String>;
    fn needs_more(&mut self, record: &[u8], _line_start: usize) -> bool {
        !super::csv::is_complete(record)
    }
    fn has_header(&self) -> bool {
        self.header
    }
    fn decode(&mut self, text: &str) -> Result<Vec<String>, String> {
        super::csv::decode_record(text, self.delimiter).map_err(|e| format!("invalid CSV: {e}"))
    }
}

/// Where a subtask is in one of its files.
#[derive(Debug, Clone)]
struct FileSplit {
    name: String,
    path: PathBuf,
    offset: u64,
    /// Lines consumed so far (the next record starts on line `line + 1`).
    line: u64,
}

/// Reads newline-delimited records from files (see the module docs of [`crate::file`]).
#[derive(Debug)]
pub struct FileSource<D> {
    path: PathBuf,
    decoder: D,
    skip_bad_lines: bool,
    skipped: Arc<AtomicU64>,
    splits: Vec<FileSplit>,
    current: usize,
    reader: Option<BufReader<File>>,
    buf: Vec<u8>,
}

impl<D: Clone> Clone for FileSource<D> {
    /// A clone shares the skipped-lines counter and starts unopened.
    fn clone(&self) -> Self {
        Self {
            path: self.path.clone(),
            decoder: self.decoder.clone(),
            skip_bad_lines: self.skip_bad_lines,
            skipped: self.skipped.clone(),
            splits: Vec::new(),
            current: 0,
            reader: None,
            buf: Vec::new(),
        }
    }
}

impl FileSource<NdjsonDecoder> {
    /// Newline-delimited JSON from a file or a directory; blank lines are ignored.
    pub fn ndjson(path: impl Into<PathBuf>) -> Self {
        Self::new(path, NdjsonDecoder)
    }
}

impl FileSource<CsvDecoder> {
    /// Comma-separated records from a file or a directory; blank lines are ignored.
    pub fn csv(path: impl Into<PathBuf>) -> Self {
        Self::new(
            path,
            CsvDecoder {
                delimiter: ',',
                header: false,
            },
        )
    }

    /// Skips the first record of every file.
    pub fn with_header(mut self) -> Self {
        self.decoder.header = true;
        self
    }

    /// Separates fields with `delimiter` instead of `,`.
    pub fn with_delimiter(mut self, delimiter: char) -> Self {
        self.decoder.delimiter = delimiter;
        self
    }
}

impl<D: LineDecoder> FileSource<D> {
    /// Records decoded by `decoder` from a file or a directory.
    pub fn new(path: impl Into<PathBuf>, decoder: D) -> Self {
        Self {
            path: path.into(),
            decoder,
            skip_bad_lines: false,
            skipped: Arc::default(),
            splits: Vec::new(),
            current: 0,
            reader: None,
            buf: Vec::new(),
        }
    }

    /// Skips records that do not decode instead of failing; [`Self::skipped_lines`] counts them.
    pub fn skip_bad_lines(mut self) -> Self {
        self.skip_bad_lines = true;
        self
    }

    /// Records skipped so far by this source and all its clones (subtasks).
    pub fn skipped_lines(&self) -> Arc<AtomicU64> {
        self.skipped.clone()
    }

    fn io_err(path: &Path, source: std::io::Error) -> ConnectorError {
        ConnectorError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// The files to read, in name order.
    fn list_files(&self) -> Result<Vec<(String, PathBuf)>, ConnectorError> {
        list_files(&self.path)
    }

    /// Opens the subtask: takes files `subtask, subtask + parallelism, ...`; returns their count.
    pub fn open_subtask(&mut self, ctx: &SourceContext) -> Result<usize, ConnectorError> {
        let p = ctx.parallelism.max(1);
        self.splits = self
            .list_files()?
            .into_iter()
            .enumerate()
            .filter(|(i, _)| i % p == ctx.subtask)
            .map(|(_, (name, path))| FileSplit {
                name,
                path,
                offset: 0,
                line: 0,
            })
            .collect();
        self.current = 0;
        self.reader = None;
        Ok(self.splits.len().max(1))
    }

    /// The position after the last emitted record: `(file, offset, line)` for every own file.
    pub fn position(&self) -> Vec<u8> {
        let mut w = StateWriter::new(VERSION);
        w.u64(self.splits.len() as u64);
        for s in &self.splits {
            w.str(&s.name).u64(s.offset).u64(s.line);
        }
        w.finish()
    }

    /// Takes the positions of this subtask's files from every old subtask's position.
    pub fn restore(&mut self, positions: &[Vec<u8>]) -> Result<(), ConnectorError> {
        let mut known = HashMap::new();
        for position in positions {
            let mut r = StateReader::new(position, VERSION, "file source position")?;
            for _ in 0..r.len()? {
                let name = r.string()?;
                let offset = r.u64()?;
                let line = r.u64()?;
                known.insert(name, (offset, line));
            }
            r.end()?;
        }
        for s in &mut self.splits {
            if let Some(&(offset, line)) = known.get(&s.name) {
                s.offset = offset;
                s.line = line;
            }
        }
        self.current = 0;
        self.reader = None;
        Ok(())
    }

    /// Emits up to `out.remaining()` records of one file (what [`Source::poll`] does).
    pub fn poll_into(&mut self, out: &mut impl Emitter<D::Item>) -> Result<SourceStatus, ConnectorError> {
        let mut emitted = false;
        while out.remaining() > 0 {
            let Some(split) = self.splits.get_mut(self.current) else {
                return Ok(SourceStatus::Finished);
            };
            let reader = match &mut self.reader {
                Some(r) => r,
                None => {
                    if emitted {
                        // One split per poll.
                        return Ok(SourceStatus::Available);
                    }
                    let mut file = File::open(&split.path).map_err(|e| Self::io_err(&split.path, e))?;
                    file.seek(SeekFrom::Start(split.offset))
                        .map_err(|e| Self::io_err(&split.path, e))?;
                    out.set_split(self.current);
                    self.reader.insert(BufReader::with_capacity(256 * 1024, file))
                }
            };
            let at_start = split.offset == 0;
            let first_line = split.line + 1;
            self.buf.clear();
            let mut lines = 0;
            loop {
                let line_start = self.buf.len();
                let n = reader
                    .read_until(b'\n', &mut self.buf)
                    .map_err(|e| Self::io_err(&split.path, e))?;
                if n == 0 {
                    break;
                }
                lines += 1;
                if !self.decoder.needs_more(&self.buf, line_start) {
                    break;
                }
            }
            if self.buf.is_empty() {
                self.reader = None;
                self.current += 1;
                continue;
            }
            split.offset += self.buf.len() as u64;
            split.line += lines;
            let mut text = self.buf.as_slice();
            text = text.strip_suffix(b"\n").unwrap_or(text);
            text = text.strip_suffix(b"\r").unwrap_or(text);
            if text.iter().all(|b| b.is_ascii_whitespace()) || (at_start && self.decoder.has_header()) {
                continue;
            }
            let decoded = std::str::from_utf8(text)
                .map_err(|_| "not UTF-8".to_string())
                .and_then(|t| self.decoder.decode(t));
            match decoded {
                Ok(v) => {
                    out.emit(v, NO_TIMESTAMP);
                    emitted = true;
                }
                Err(_) if self.skip_bad_lines => {
                    self.skipped.fetch_add(1, Ordering::Relaxed);
                }
                Err(message) => {
                    return Err(ConnectorError::Format {
                        location: format!("{}:{first_line}", split.path.display()),
                        message,
                    });
                }
            }
        }
        Ok(if self.current >= self.splits.len() {
            SourceStatus::Finished
        } else {
            SourceStatus::Available
        })
    }
}

impl<D: LineDecoder> Source<D::Item> for FileSource<D> {
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

/// The files a file source reads at `path`: the file itself, or the visible files of the
/// directory (names starting with `.` or `_` are hidden, as in Flink), in name order, as
/// `(name, path)`.
pub(super) fn list_files(path: &Path) -> Result<Vec<(String, PathBuf)>, ConnectorError> {
    let io = |p: &Path, source| ConnectorError::Io {
        path: p.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(|e| io(path, e))?;
    if meta.is_file() {
        return Ok(vec![(path.to_string_lossy().into_owned(), path.to_path_buf())]);
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path).map_err(|e| io(path, e))? {
        let entry = entry.map_err(|e| io(path, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_file = entry.file_type().map_err(|e| io(&entry.path(), e))?.is_file();
        if is_file && !name.starts_with('.') && !name.starts_with('_') {
            files.push((name, entry.path()));
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::VecBatch;

    fn ctx(subtask: usize, parallelism: usize) -> SourceContext {
        SourceContext { subtask, parallelism }
    }

    fn drain<D: LineDecoder>(s: &mut FileSource<D>, cap: usize) -> Result<Vec<D::Item>, ConnectorError> {
        let mut all = Vec::new();
        loop {
            let mut b = VecBatch::new(cap);
            let st = s.poll_into(&mut b)?;
            all.extend(b.into_values());
            if st == SourceStatus::Finished {
                return Ok(all);
            }
        }
    }

    #[test]
    fn restore_mid_file_replays_after_last_record() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.csv"), "h1,h2\n1,\"x\ny\"\r\n\n2,b\n3,c").unwrap();
        std::fs::write(dir.path().join("b.csv"), "h1,h2\n4,d\n").unwrap();
        std::fs::write(dir.path().join(".hidden"), "junk\n").unwrap();
        let mut s = FileSource::csv(dir.path()).with_header();
        assert_eq!(s.open_subtask(&ctx(0, 1)).unwrap(), 2);
        let mut b = VecBatch::new(2);
        s.poll_into(&mut b).unwrap();
        assert_eq!(b.into_values(), vec![vec!["1", "x\ny"], vec!["2", "b"]]);
        let pos = s.position();
        let rest = drain(&mut s, 10).unwrap();
        assert_eq!(rest, vec![vec!["3", "c"], vec!["4", "d"]]);

        // Restore at parallelism 2: each subtask takes its file's position from the old entry.
        let mut restored = Vec::new();
        for sub in 0..2 {
            let mut r = FileSource::csv(dir.path()).with_header();
            r.open_subtask(&ctx(sub, 2)).unwrap();
            r.restore(std::slice::from_ref(&pos)).unwrap();
            restored.extend(drain(&mut r, 1).unwrap());
        }
        assert_eq!(restored, rest);
    }

    #[test]
    fn bad_lines_fail_with_location_or_are_counted() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("in.json");
        std::fs::write(&file, "{\"a\":1}\n\n{oops\n{\"a\":2}\n").unwrap();
        let mut s = FileSource::ndjson(&file);
        s.open_subtask(&ctx(0, 1)).unwrap();
        let err = drain(&mut s, 10).unwrap_err().to_string();
        assert!(err.contains("in.json:3"), "{err}");
        assert!(err.contains("invalid JSON"), "{err}");

        let mut s = FileSource::ndjson(&file).skip_bad_lines();
        s.open_subtask(&ctx(0, 1)).unwrap();
        assert_eq!(drain(&mut s, 10).unwrap().len(), 2);
        assert_eq!(s.skipped_lines().load(Ordering::Relaxed), 1);

        let mut missing = FileSource::ndjson(dir.path().join("nope"));
        assert!(missing.open_subtask(&ctx(0, 1)).is_err());
        assert!(s.restore(&[vec![9, 9]]).is_err());
    }
}
