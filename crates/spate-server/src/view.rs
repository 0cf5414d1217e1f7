//! What the REST API shows of a job beyond its state, computed from the engine's live
//! figures: vertices (an operator with all its subtasks) with totals and per-second rates
//! between two samples, and the history of completed checkpoints and savepoints. The job
//! manager samples every running job once a second ([`LiveView::sample`]).

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use spate_engine::{JobHandle, JobProgress, OperatorReport, OperatorStateSize};

/// Checkpoints kept in a job's history.
const HISTORY: usize = 50;

/// One operator over all its subtasks.
#[derive(Debug, Clone, PartialEq)]
pub struct Vertex {
    /// The operator's name.
    pub name: String,
    /// The name of its state in checkpoints (what [`CheckpointEntry::state_sizes`] lists).
    pub state_uid: Arc<str>,
    /// Its subtasks.
    pub parallelism: usize,
    /// Records received, all subtasks.
    pub records_in: u64,
    /// Records emitted, all subtasks.
    pub records_out: u64,
    /// Approximate bytes emitted (the engine's in-memory record size).
    pub bytes_out: u64,
    /// The smallest input watermark of its subtasks (`None` before the first).
    pub watermark: Option<i64>,
    /// Busy time of its tasks, summed over subtasks.
    pub busy: Duration,
    /// Backpressured time of its tasks, summed over subtasks.
    pub backpressured: Duration,
    /// Per-second rates since the previous sample (`None` for the first sample of a run).
    pub rates: Option<Rates>,
}

/// A vertex's rates between two samples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rates {
    /// Records received per second, all subtasks.
    pub records_in: f64,
    /// Records emitted per second, all subtasks.
    pub records_out: f64,
    /// Busy milliseconds per second of the busiest subtask (Flink's `busyTimeMsPerSecond`,
    /// whose maximum its UI shows).
    pub busy_ms_per_second: f64,
    /// Backpressured milliseconds per second of the most backpressured subtask.
    pub backpressured_ms_per_second: f64,
}

/// A completed checkpoint or savepoint.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckpointEntry {
    /// Its id (ids grow over the job's life, across restarts).
    pub id: u64,
    /// Taken on request (a savepoint) rather than periodically.
    pub is_savepoint: bool,
    /// When it completed (epoch milliseconds).
    pub completed_at: i64,
    /// From trigger to complete, if known.
    pub duration: Option<Duration>,
    /// The longest barrier alignment of a task, if known.
    pub alignment: Option<Duration>,
    /// Bytes on disk, if the directory was found.
    pub size: Option<u64>,
    /// The bytes of each operator's state in it (operators without state absent), if its
    /// `_metadata` could be read.
    pub state_sizes: Vec<OperatorStateSize>,
    /// Its directory.
    pub path: Option<PathBuf>,
    /// Why it failed (`completed_at` is then when it was abandoned); `None` when it completed.
    pub failure: Option<String>,
}

impl CheckpointEntry {
    /// The bytes of `v`'s state in this checkpoint (0 for an operator without state).
    pub fn state_size_of(&self, v: &Vertex) -> u64 {
        self.state_sizes
            .iter()
            .find(|o| *o.uid == *v.state_uid)
            .map_or(0, |o| o.bytes)
    }
}

/// A job's live figures.
#[derive(Debug, Default)]
pub struct LiveView {
    /// The engine's progress at the last sample.
    pub progress: JobProgress,
    /// Vertices at the last sample (or the final figures once the job ended).
    pub vertices: Vec<Vertex>,
    /// Completed checkpoints and savepoints, oldest first.
    pub checkpoints: VecDeque<CheckpointEntry>,
    previous: Option<(Instant, Vec<OperatorReport>)>,
}

impl LiveView {
    /// Takes a sample of a running job. `checkpoint_root` is where its checkpoints are
    /// written (sizes are read from there).
    pub fn sample(&mut self, handle: &JobHandle, checkpoint_root: &Path) {
        let now = Instant::now();
        let progress = handle.progress();
        let operators = handle.operators();
        let previous = self
            .previous
            .as_ref()
            .map(|(at, ops)| (ops.as_slice(), now.duration_since(*at)));
        self.vertices = vertices(&operators, previous);
        if let (Some(id), Some(at)) = (progress.last_checkpoint, progress.last_checkpoint_at)
            && self.checkpoints.iter().all(|c| c.id != id)
        {
            let path = find_checkpoint(checkpoint_root, id);
            self.push_checkpoint(CheckpointEntry {
                id,
                is_savepoint: false,
                completed_at: epoch_millis(at),
                duration: progress.last_checkpoint_duration,
                alignment: progress.last_checkpoint_alignment,
                size: path.as_deref().map(dir_size),
                state_sizes: path.as_deref().map(state_sizes).unwrap_or_default(),
                path,
                failure: None,
            });
        }
        let mut failed = false;
        for f in &progress.failed_checkpoints {
            if self.checkpoints.iter().all(|c| c.id != f.id) {
                self.push_checkpoint(CheckpointEntry {
                    id: f.id,
                    is_savepoint: false,
                    completed_at: epoch_millis(f.failed_at),
                    duration: f.failed_at.duration_since(f.triggered_at).ok(),
                    alignment: None,
                    size: None,
                    state_sizes: Vec::new(),
                    path: None,
                    failure: Some(f.reason.clone()),
                });
                failed = true;
            }
        }
        if failed {
            // A failure may be seen after a later checkpoint completed: keep the history by id.
            self.checkpoints.make_contiguous().sort_by_key(|c| c.id);
        }
        self.progress = progress;
        self.previous = Some((now, operators));
    }

    /// Records a savepoint taken through the API. Its id is read from the directory name
    /// (`savepoint-<id>`); a stop-with-savepoint is also the latest checkpoint, which the
    /// sampler may already have recorded: then that entry is marked instead.
    pub fn record_savepoint(&mut self, path: &Path) {
        let id = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.rsplit('-').next())
            .and_then(|n| n.parse::<u64>().ok());
        let Some(id) = id else { return };
        let size = Some(dir_size(path));
        if let Some(entry) = self.checkpoints.iter_mut().find(|c| c.id == id) {
            entry.is_savepoint = true;
            entry.path = Some(path.to_path_buf());
            entry.size = size;
            entry.state_sizes = state_sizes(path);
            return;
        }
        self.push_checkpoint(CheckpointEntry {
            id,
            is_savepoint: true,
            completed_at: epoch_millis(SystemTime::now()),
            duration: None,
            alignment: None,
            size,
            state_sizes: state_sizes(path),
            path: Some(path.to_path_buf()),
            failure: None,
        });
    }

    /// The job's run ended: its final figures replace the live ones (no rates).
    pub fn finish(&mut self, operators: &[OperatorReport]) {
        self.vertices = vertices(operators, None);
        self.previous = None;
    }

    /// A new run starts: rates restart, totals too (the engine's counters start at zero).
    pub fn restart(&mut self) {
        self.previous = None;
    }

    fn push_checkpoint(&mut self, entry: CheckpointEntry) {
        if self.checkpoints.len() == HISTORY {
            self.checkpoints.pop_front();
        }
        self.checkpoints.push_back(entry);
    }
}

/// Groups operator subtasks (in graph order, subtasks 0.. of one operator in a row) into
/// vertices, with rates against `previous` when it has the same shape.
pub fn vertices(ops: &[OperatorReport], previous: Option<(&[OperatorReport], Duration)>) -> Vec<Vertex> {
    let previous = previous.filter(|(p, dt)| {
        p.len() == ops.len()
            && !dt.is_zero()
            && p.iter()
                .zip(ops)
                .all(|(a, b)| a.operator == b.operator && a.subtask == b.subtask)
    });
    let mut out: Vec<Vertex> = Vec::new();
    let mut maxima: Vec<(f64, f64)> = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        if op.subtask == 0 || out.is_empty() {
            out.push(Vertex {
                name: op.operator.clone(),
                state_uid: op.state_uid.clone(),
                parallelism: 0,
                records_in: 0,
                records_out: 0,
                bytes_out: 0,
                watermark: None,
                busy: Duration::ZERO,
                backpressured: Duration::ZERO,
                rates: previous.map(|_| Rates {
                    records_in: 0.0,
                    records_out: 0.0,
                    busy_ms_per_second: 0.0,
                    backpressured_ms_per_second: 0.0,
                }),
            });
            maxima.push((0.0, 0.0));
        }
        let (Some(v), Some(max)) = (out.last_mut(), maxima.last_mut()) else {
            continue;
        };
        v.parallelism += 1;
        v.records_in += op.records_in;
        v.records_out += op.records_out;
        v.bytes_out += op.bytes_out;
        v.busy += op.task_busy;
        v.backpressured += op.task_backpressured;
        if op.watermark != i64::MIN {
            v.watermark = Some(v.watermark.map_or(op.watermark, |w| w.min(op.watermark)));
        }
        if let (Some(r), Some((prev, dt))) = (v.rates.as_mut(), previous) {
            let p = &prev[i];
            let secs = dt.as_secs_f64();
            r.records_in += op.records_in.saturating_sub(p.records_in) as f64 / secs;
            r.records_out += op.records_out.saturating_sub(p.records_out) as f64 / secs;
            let per_second = |now: Duration, before: Duration| {
                (now.saturating_sub(before).as_secs_f64() * 1000.0 / secs).min(1000.0)
            };
            max.0 = max.0.max(per_second(op.task_busy, p.task_busy));
            max.1 = max.1.max(per_second(op.task_backpressured, p.task_backpressured));
            r.busy_ms_per_second = max.0;
            r.backpressured_ms_per_second = max.1;
        }
    }
    out
}

/// Milliseconds since the epoch.
pub fn epoch_millis(t: SystemTime) -> i64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// `chk-<id>` somewhere under `root` (the SQL session puts each job's checkpoints in a
/// subdirectory of its own).
fn find_checkpoint(root: &Path, id: u64) -> Option<PathBuf> {
    let name = format!("chk-{id}");
    let direct = root.join(&name);
    if direct.is_dir() {
        return Some(direct);
    }
    std::fs::read_dir(root)
        .ok()?
        .flatten()
        .map(|e| e.path().join(&name))
        .find(|p| p.is_dir())
}

/// The operators' state sizes in the checkpoint at `dir`; none when its `_metadata` cannot be
/// read (the sizes are figures on a page, not worth failing the sample for).
fn state_sizes(dir: &Path) -> Vec<OperatorStateSize> {
    spate_engine::checkpoint_state_sizes(dir).unwrap_or_default()
}

/// Bytes of the files directly in `dir` (checkpoint directories are flat).
fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| e.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(name: &str, subtask: usize, n: u64, busy_ms: u64) -> OperatorReport {
        OperatorReport {
            operator: name.into(),
            state_uid: format!("uid-{name}").into(),
            subtask,
            records_in: n,
            records_out: 2 * n,
            bytes_out: 8 * n,
            watermark: if subtask == 0 { 10 } else { 7 },
            task_busy: Duration::from_millis(busy_ms),
            task_backpressured: Duration::ZERO,
        }
    }

    #[test]
    fn subtasks_group_into_vertices_with_rates_against_the_previous_sample() {
        let before = vec![op("src", 0, 0, 0), op("map", 0, 0, 0), op("map", 1, 0, 0)];
        let now = vec![
            op("src", 0, 100, 500),
            op("map", 0, 30, 200),
            op("map", 1, 70, 900),
        ];
        let first = vertices(&before, None);
        assert_eq!(first.len(), 2);
        assert!(first[0].rates.is_none());
        let v = vertices(&now, Some((&before, Duration::from_secs(2))));
        assert_eq!(v[1].name, "map");
        assert_eq!(v[1].parallelism, 2);
        assert_eq!(v[1].records_in, 100);
        assert_eq!(v[1].records_out, 200);
        assert_eq!(v[1].watermark, Some(7));
        let r = v[1].rates.unwrap();
        assert_eq!(r.records_in, 50.0);
        assert_eq!(r.records_out, 100.0);
        assert_eq!(r.busy_ms_per_second, 450.0, "the busiest subtask");
        // A sample of another shape (a new attempt) gives no rates.
        let v = vertices(&now[..2], Some((&before, Duration::from_secs(1))));
        assert!(v[0].rates.is_none());
    }
}
