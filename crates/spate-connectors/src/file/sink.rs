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
use std::path::{Path, PathBuf};
use std::sync::Arc;

use spate_engine::{EngineError, Record, Sink, SinkContext, sink_states_for};

use super::part::{LineEncoder, LineFormat, PartFormat, PartWriter};
use crate::error::ConnectorError;
use crate::state_codec::{StateReader, StateWriter};

const VERSION: u8 = 1;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Pending {
    checkpoint: u64,
    subtask: u64,
    part: u64,
}

struct OpenPart<T> {
    part: u64,
    writer: Box<dyn PartWriter<T>>,
}

/// Writes records into part files committed by rename (see the module docs): lines, or any
/// other [`PartFormat`] (Parquet).
pub struct FileSink<T> {
    dir: PathBuf,
    format: Arc<dyn PartFormat<T>>,
    /// The encoder of a line format (so that [`with_suffix`](Self::with_suffix) can rename).
    lines: Option<LineEncoder<T>>,
    subtask: usize,
    next_part: Option<u64>,
    current: Option<OpenPart<T>>,
    pending: Vec<Pending>,
}

impl<T> Clone for FileSink<T> {
    fn clone(&self) -> Self {
        Self {
            dir: self.dir.clone(),
            format: self.format.clone(),
            lines: self.lines.clone(),
            subtask: 0,
            next_part: None,
            current: None,
            pending: Vec::new(),
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

impl<T: Send + 'static> FileSink<T> {
    /// Lines made by `encode` into files in `dir` (created if missing).
    pub fn new(dir: impl Into<PathBuf>, encode: impl Fn(&T, &mut String) + Send + Sync + 'static) -> Self {
        let encode: LineEncoder<T> = Arc::new(encode);
        let mut sink = Self::with_format(dir, Arc::new(LineFormat::new(encode.clone(), "")));
        sink.lines = Some(encode);
        sink
    }

    /// CSV records made of the fields `fields(record)` into `part-*.csv` files.
    pub fn csv(dir: impl Into<PathBuf>, fields: impl Fn(&T) -> Vec<String> + Send + Sync + 'static) -> Self {
        Self::new(dir, move |v: &T, out: &mut String| {
            super::csv::encode_record(&fields(v), ',', out)
        })
        .with_suffix(".csv")
    }

    /// Ends final file names with `suffix` (for example `.json`); for line files only (a
    /// [`PartFormat`] names its own suffix).
    pub fn with_suffix(mut self, suffix: &str) -> Self {
        if let Some(lines) = &self.lines {
            self.format = Arc::new(LineFormat::new(lines.clone(), suffix));
        }
        self
    }
}

impl<T> FileSink<T> {
    /// Part files of `format` in `dir` (created if missing).
    pub fn with_format(dir: impl Into<PathBuf>, format: Arc<dyn PartFormat<T>>) -> Self {
        Self {
            dir: dir.into(),
            format,
            lines: None,
            subtask: 0,
            next_part: None,
            current: None,
            pending: Vec::new(),
        }
    }

    fn final_path(&self, subtask: u64, part: u64) -> PathBuf {
        self.dir
            .join(format!("part-{subtask}-{part}{}", self.format.suffix()))
    }

    fn in_progress_path(&self, subtask: u64, part: u64) -> PathBuf {
        self.dir.join(format!(
            ".part-{subtask}-{part}{}.inprogress",
            self.format.suffix()
        ))
    }

    /// `(subtask, part, in_progress)` of a part file name of this sink.
    fn parse_name(&self, name: &str) -> Option<(u64, u64, bool)> {
        let (rest, in_progress) = match name.strip_prefix(".part-") {
            Some(r) => (r.strip_suffix(".inprogress")?, true),
            None => (name.strip_prefix("part-")?, false),
        };
        let rest = rest.strip_suffix(self.format.suffix())?;
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
        spate_engine::durable::sync_dir(&self.dir, Self::io)
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
        let Some(open) = self.current.take() else {
            return Ok(None);
        };
        let path = self.in_progress_path(self.subtask as u64, open.part);
        let closed = open.writer.close()?;
        closed.file.sync_all().map_err(|e| Self::io(&path, e))?;
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

    fn open_part(&mut self) -> Result<&mut OpenPart<T>, ConnectorError> {
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
            let writer = self.format.create(file, &path)?;
            self.current = Some(OpenPart { part, writer });
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
        self.open_part()?.writer.write(records)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ctx(subtask: usize, parallelism: usize) -> SinkContext {
        SinkContext {
            subtask,
            parallelism,
            attempt: 0,
        }
    }

    fn sink(dir: &Path) -> FileSink<u64> {
        FileSink::new(dir, |v: &u64, out: &mut String| out.push_str(&v.to_string()))
    }

    fn records(range: std::ops::Range<u64>) -> Vec<Record<u64>> {
        range.map(|v| Record::new(0, v)).collect()
    }

    /// Every line of every final file, sorted; in-progress files are not visible output.
    fn committed(dir: &Path) -> Vec<u64> {
        let mut all = Vec::new();
        for e in std::fs::read_dir(dir).unwrap() {
            let name = e.as_ref().unwrap().file_name().to_string_lossy().into_owned();
            if name.starts_with("part-") {
                let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
                all.extend(text.lines().map(|l| l.parse::<u64>().unwrap()));
            }
        }
        all.sort_unstable();
        all
    }

    #[test]
    fn crash_after_checkpoint_before_commit_keeps_each_line_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut a = sink(dir.path());
        a.open(&ctx(0, 1)).unwrap();
        a.write(&mut records(0..10)).unwrap();
        a.snapshot_state(1).unwrap();
        a.notify_checkpoint_complete(1).unwrap();
        a.write(&mut records(10..20)).unwrap();
        let state = a.snapshot_state(2).unwrap();
        a.write(&mut records(20..25)).unwrap(); // after checkpoint 2: replayed after restore
        a.snapshot_state(3).unwrap(); // pre-committed, but checkpoint 3 never completes
        a.write(&mut records(25..27)).unwrap();
        drop(a); // crash: checkpoint 2 completed but its notification was lost
        assert_eq!(committed(dir.path()), (0..10).collect::<Vec<_>>());

        let mut b = sink(dir.path());
        b.open(&ctx(0, 1)).unwrap();
        b.restore_state(&ctx(0, 1), std::slice::from_ref(&state)).unwrap();
        b.write(&mut records(20..30)).unwrap();
        b.finish().unwrap();
        assert_eq!(committed(dir.path()), (0..30).collect::<Vec<_>>());
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| !n.ends_with(".inprogress")), "{names:?}");

        // Restoring the same state again is idempotent (already renamed files are fine).
        let mut c = sink(dir.path());
        c.open(&ctx(0, 1)).unwrap();
        c.restore_state(&ctx(0, 1), &[state]).unwrap();
        c.finish().unwrap();
        assert_eq!(committed(dir.path()), (0..30).collect::<Vec<_>>());
    }

    #[test]
    fn rescaled_restore_commits_and_cleans_every_old_subtask_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut states = Vec::new();
        for s in 0..3u64 {
            let mut k = sink(dir.path());
            k.open(&ctx(s as usize, 3)).unwrap();
            k.write(&mut records(s * 100..s * 100 + 5)).unwrap();
            states.push(k.snapshot_state(7).unwrap());
            k.write(&mut records(s * 100 + 50..s * 100 + 55)).unwrap();
            drop(k);
        }
        for s in 0..2 {
            let mut k = sink(dir.path());
            k.open(&ctx(s, 2)).unwrap();
            k.restore_state(&ctx(s, 2), &states).unwrap();
            k.write(&mut records(1000 + s as u64..1001 + s as u64)).unwrap();
            k.finish().unwrap();
        }
        let mut expected: Vec<u64> = (0..3).flat_map(|s| s * 100..s * 100 + 5).collect();
        expected.extend([1000, 1001]);
        expected.sort_unstable();
        assert_eq!(committed(dir.path()), expected);
    }

    #[test]
    fn corrupt_state_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut k = sink(dir.path());
        k.open(&ctx(0, 1)).unwrap();
        assert!(k.restore_state(&ctx(0, 1), &[vec![1, 5]]).is_err());
    }

    proptest! {
        #[test]
        fn state_round_trip(items in proptest::collection::vec((any::<u64>(), any::<u64>(), any::<u64>()), 0..10)) {
            let mut k = sink(Path::new("/nonexistent"));
            k.pending = items.iter().map(|&(checkpoint, subtask, part)| Pending { checkpoint, subtask, part }).collect();
            prop_assert_eq!(FileSink::<u64>::decode_state(&k.encode_state()).unwrap(), k.pending);
        }

        /// Oracle: a random schedule of writes, checkpoints, lost notifications and one crash
        /// ends with exactly the records the replaying source delivers, each once.
        #[test]
        fn random_crash_schedule_is_exactly_once(steps in proptest::collection::vec((1u64..20, any::<bool>()), 1..8), crash_at in 0usize..8) {
            let dir = tempfile::tempdir().unwrap();
            let mut k = sink(dir.path());
            k.open(&ctx(0, 1)).unwrap();
            let mut next = 0u64;
            let mut last_state: Option<(Vec<u8>, u64)> = None;
            for (i, &(n, notify)) in steps.iter().enumerate() {
                if i == crash_at { break; }
                k.write(&mut records(next..next + n)).unwrap();
                next += n;
                let id = i as u64 + 1;
                last_state = Some((k.snapshot_state(id).unwrap(), next));
                if notify { k.notify_checkpoint_complete(id).unwrap(); }
            }
            k.write(&mut records(next..next + 3)).unwrap();
            drop(k);
            let mut r = sink(dir.path());
            r.open(&ctx(0, 1)).unwrap();
            let resume = match &last_state {
                Some((state, pos)) => { r.restore_state(&ctx(0, 1), std::slice::from_ref(state)).unwrap(); *pos }
                None => { r.restore_state(&ctx(0, 1), &[]).unwrap(); 0 }
            };
            r.write(&mut records(resume..resume + 4)).unwrap();
            r.finish().unwrap();
            prop_assert_eq!(committed(dir.path()), (0..resume + 4).collect::<Vec<_>>());
        }
    }
}
