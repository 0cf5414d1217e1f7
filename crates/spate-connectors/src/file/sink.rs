//! The exactly-once file sink (see the module docs of [`crate::file`]).
//!
//! Life of a part file: records go to `.part-<subtask>-<n><suffix>.inprogress` in the target
//! directory. At checkpoint `c` ([`Sink::snapshot_state`]) the file is flushed, fsynced and
//! closed, recorded as pending for `c` in the returned state, and the next record starts part
//! `n + 1`. When `c` completes, pending files of checkpoints `<= c` are renamed to
//! `part-<subtask>-<n><suffix>` and the directory is fsynced. A restore renames the pending
//! files of the restored state (already renamed is fine) and deletes the in-progress files it
//! is responsible for that are not in it (written after the checkpoint). Part numbers start
//! above every part number of the subtask found in the directory, so restarts never reuse a
//! name.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use spate_engine::{EngineError, Record, Sink, SinkContext, sink_states_for};

use crate::error::ConnectorError;
use crate::state_codec::{StateReader, StateWriter};

const VERSION: u8 = 1;

/// Encodes a record as one line (appended to the buffer, without the line break).
pub type LineEncoder<T> = Arc<dyn Fn(&T, &mut String) + Send + Sync>;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Pending {
    checkpoint: u64,
    subtask: u64,
    part: u64,
}

struct OpenPart {
    part: u64,
    writer: BufWriter<File>,
}

/// Writes lines into part files committed by rename (see the module docs).
pub struct FileSink<T> {
    dir: PathBuf,
    suffix: String,
    encode: LineEncoder<T>,
    subtask: usize,
    next_part: Option<u64>,
    current: Option<OpenPart>,
    pending: Vec<Pending>,
    line: String,
}

impl<T> Clone for FileSink<T> {
    fn clone(&self) -> Self {
        Self {
            dir: self.dir.clone(),
            suffix: self.suffix.clone(),
            encode: self.encode.clone(),
            subtask: 0,
            next_part: None,
            current: None,
            pending: Vec::new(),
            line: String::new(),
        }
    }
}

impl<T> std::fmt::Debug for FileSink<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileSink")
            .field("dir", &self.dir)
            .field("subtask", &self.subtask)
            .field("pending", &self.pending)
            .finish_non_exhaustive()
    }
}

impl FileSink<serde_json::Value> {
    /// JSON values, one per line, into `part-*.json` files.
    pub fn ndjson(dir: impl Into<PathBuf>) -> Self {
        Self::new(dir, |v: &serde_json::Value, out: &mut String| {
            use std::fmt::Write as _;
            // Writing into a String cannot fail.
            let _ = write!(out, "{v}");
        })
        .with_suffix(".json")
    }
}

impl<T> FileSink<T> {
    /// Lines made by `encode` into files in `dir` (created if missing).
    pub fn new(dir: impl Into<PathBuf>, encode: impl Fn(&T, &mut String) + Send + Sync + 'static) -> Self {
        Self {
            dir: dir.into(),
            suffix: String::new(),
            encode: Arc::new(encode),
            subtask: 0,
            next_part: None,
            current: None,
            pending: Vec::new(),
            line: String::new(),
        }
    }

    /// CSV records made of the fields `fields(record)` into `part-*.csv` files.
    pub fn csv(dir: impl Into<PathBuf>, fields: impl Fn(&T) -> Vec<String> + Send + Sync + 'static) -> Self {
        Self::new(dir, move |v: &T, out: &mut String| {
            super::csv::encode_record(&fields(v), ',', out)
        })
        .with_suffix(".csv")
    }

    /// Ends final file names with `suffix` (for example `.json`).
    pub fn with_suffix(mut self, suffix: &str) -> Self {
        self.suffix = suffix.to_string();
        self
    }

    fn final_path(&self, subtask: u64, part: u64) -> PathBuf {
        self.dir.join(format!("part-{subtask}-{part}{}", self.suffix))
    }

    fn in_progress_path(&self, subtask: u64, part: u64) -> PathBuf {
        self.dir
            .join(format!(".part-{subtask}-{part}{}.inprogress", self.suffix))
    }

    /// `(subtask, part, in_progress)` of a part file name of this sink.
    fn parse_name(&self, name: &str) -> Option<(u64, u64, bool)> {
        let (rest, in_progress) = match name.strip_prefix(".part-") {
            Some(r) => (r.strip_suffix(".inprogress")?, true),
            None => (name.strip_prefix("part-")?, false),
        };
        let rest = rest.strip_suffix(self.suffix.as_str())?;
        let (s, p) = rest.split_once('-')?;
        Some((s.parse().ok()?, p.parse().ok()?, in_progress))
    }

    fn io(path: &Path, source: std::io::Error) -> ConnectorError {
        ConnectorError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    fn part_files(&self) -> Result<Vec<(u64, u64, bool)>, ConnectorError> {
        let mut found = Vec::new();
        for entry in std::fs::read_dir(&self.dir).map_err(|e| Self::io(&self.dir, e))? {
            let entry = entry.map_err(|e| Self::io(&self.dir, e))?;
            if let Some(parsed) = self.parse_name(&entry.file_name().to_string_lossy()) {
                found.push(parsed);
            }
        }
        Ok(found)
    }

    fn sync_dir(&self) -> Result<(), ConnectorError> {
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| Self::io(&self.dir, e))
    }

    /// Renames a pending file to its final name; an already renamed file is fine.
    fn commit(&self, p: &Pending) -> Result<(), ConnectorError> {
        let from = self.in_progress_path(p.subtask, p.part);
        let to = self.final_path(p.subtask, p.part);
        match std::fs::rename(&from, &to) {
            Ok(()) => Ok(()),
            Err(_) if to.exists() => Ok(()),
            Err(e) => Err(Self::io(&from, e)),
        }
    }

    fn close_current(&mut self) -> Result<Option<u64>, ConnectorError> {
        let Some(mut open) = self.current.take() else {
            return Ok(None);
        };
        let path = self.in_progress_path(self.subtask as u64, open.part);
        open.writer.flush().map_err(|e| Self::io(&path, e))?;
        open.writer.get_ref().sync_all().map_err(|e| Self::io(&path, e))?;
        Ok(Some(open.part))
    }

    fn encode_state(&self) -> Vec<u8> {
        let mut w = StateWriter::new(VERSION);
        w.u64(self.pending.len() as u64);
        for p in &self.pending {
            w.u64(p.checkpoint).u64(p.subtask).u64(p.part);
        }
        w.finish()
    }

    fn decode_state(bytes: &[u8]) -> Result<Vec<Pending>, ConnectorError> {
        let mut r = StateReader::new(bytes, VERSION, "file sink state")?;
        let n = r.len()?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(Pending {
                checkpoint: r.u64()?,
                subtask: r.u64()?,
                part: r.u64()?,
            });
        }
        r.end()?;
        Ok(out)
    }

    fn open_part(&mut self) -> Result<&mut OpenPart, ConnectorError> {
        if self.current.is_none() {
            let part = match self.next_part {
                Some(n) => n,
                None => {
                    let me = self.subtask as u64;
                    self.part_files()?
                        .into_iter()
                        .filter(|(s, _, _)| *s == me)
                        .map(|(_, p, _)| p + 1)
                        .max()
                        .unwrap_or(0)
                }
            };
            self.next_part = Some(part + 1);
            let path = self.in_progress_path(self.subtask as u64, part);
            let file = File::create(&path).map_err(|e| Self::io(&path, e))?;
            self.current = Some(OpenPart {
                part,
                writer: BufWriter::with_capacity(256 * 1024, file),
            });
        }
        self.current
            .as_mut()
            .ok_or_else(|| ConnectorError::State("part file was not opened".into()))
    }
}

impl<T: Send> Sink<T> for FileSink<T> {
    fn open(&mut self, ctx: &SinkContext) -> Result<(), EngineError> {
        self.subtask = ctx.subtask;
        std::fs::create_dir_all(&self.dir).map_err(|e| Self::io(&self.dir, e))?;
        Ok(())
    }

    fn restore_state(&mut self, ctx: &SinkContext, states: &[Vec<u8>]) -> Result<(), EngineError> {
        let mut keep = Vec::new();
        for state in sink_states_for(ctx, states) {
            keep.extend(Self::decode_state(state)?);
        }
        for p in &keep {
            self.commit(p)?;
        }
        let p = ctx.parallelism.max(1) as u64;
        for (subtask, part, in_progress) in self.part_files()? {
            // In-progress files of the old subtasks this subtask restores, not pending at the
            // checkpoint, hold records after it: they will be written again.
            if in_progress && subtask % p == ctx.subtask as u64 {
                let path = self.in_progress_path(subtask, part);
                std::fs::remove_file(&path).map_err(|e| Self::io(&path, e))?;
            }
        }
        self.sync_dir()?;
        self.next_part = None;
        Ok(())
    }

    fn write(&mut self, records: &mut Vec<Record<T>>) -> Result<(), EngineError> {
        if records.is_empty() {
            return Ok(());
        }
        let mut line = std::mem::take(&mut self.line);
        let encode = self.encode.clone();
        let path = self.dir.clone();
        let part = self.open_part()?;
        for r in records.drain(..) {
            line.clear();
            encode(&r.value, &mut line);
            line.push('\n');
            part.writer
                .write_all(line.as_bytes())
                .map_err(|e| Self::io(&path, e))?;
        }
        self.line = line;
        Ok(())
    }

    fn snapshot_state(&mut self, checkpoint_id: u64) -> Result<Vec<u8>, EngineError> {
        if let Some(part) = self.close_current()? {
            self.pending.push(Pending {
                checkpoint: checkpoint_id,
                subtask: self.subtask as u64,
                part,
            });
        }
        Ok(self.encode_state())
    }

    fn notify_checkpoint_complete(&mut self, checkpoint_id: u64) -> Result<(), EngineError> {
        let (done, rest): (Vec<_>, Vec<_>) = self
            .pending
            .drain(..)
            .partition(|p| p.checkpoint <= checkpoint_id);
        self.pending = rest;
        for p in &done {
            self.commit(p)?;
        }
        if !done.is_empty() {
            self.sync_dir()?;
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), EngineError> {
        if let Some(part) = self.close_current()? {
            self.pending.push(Pending {
                checkpoint: u64::MAX,
                subtask: self.subtask as u64,
                part,
            });
        }
        self.notify_checkpoint_complete(u64::MAX)
    }
}
