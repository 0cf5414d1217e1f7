//! Per-operator and per-task metrics, updated once per batch with relaxed atomics and readable
//! while a job runs or from its [`crate::JobResult`].

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use crate::record::{MIN_WATERMARK, Timestamp};

/// Live counters of one operator subtask.
#[derive(Debug)]
pub struct OperatorMetrics {
    records_in: AtomicU64,
    records_out: AtomicU64,
    bytes_out: AtomicU64,
    watermark: AtomicI64,
}

impl Default for OperatorMetrics {
    fn default() -> Self {
        Self {
            records_in: AtomicU64::new(0),
            records_out: AtomicU64::new(0),
            bytes_out: AtomicU64::new(0),
            watermark: AtomicI64::new(MIN_WATERMARK),
        }
    }
}

impl OperatorMetrics {
    pub(crate) fn add_in(&self, n: u64) {
        self.records_in.fetch_add(n, Ordering::Relaxed);
    }
    pub(crate) fn add_out(&self, n: u64, bytes: u64) {
        self.records_out.fetch_add(n, Ordering::Relaxed);
        self.bytes_out.fetch_add(bytes, Ordering::Relaxed);
    }
    pub(crate) fn set_watermark(&self, watermark: Timestamp) {
        self.watermark.store(watermark, Ordering::Relaxed);
    }
    /// Records received so far.
    pub fn records_in(&self) -> u64 {
        self.records_in.load(Ordering::Relaxed)
    }
    /// Records emitted so far (main output).
    pub fn records_out(&self) -> u64 {
        self.records_out.load(Ordering::Relaxed)
    }
    /// In-memory size of the emitted records (`size_of::<Record<T>>()` each; heap data not counted).
    pub fn bytes_out(&self) -> u64 {
        self.bytes_out.load(Ordering::Relaxed)
    }
    /// The operator's current input watermark.
    pub fn watermark(&self) -> Timestamp {
        self.watermark.load(Ordering::Relaxed)
    }
}

/// Live timing counters of one task (a chain of fused operators on one subtask).
#[derive(Debug, Default)]
pub struct TaskMetrics {
    busy_nanos: AtomicU64,
    backpressured_nanos: AtomicU64,
}

impl TaskMetrics {
    pub(crate) fn add_busy(&self, d: Duration) {
        self.busy_nanos.fetch_add(d.as_nanos() as u64, Ordering::Relaxed);
    }
    pub(crate) fn add_backpressured(&self, d: Duration) {
        self.backpressured_nanos
            .fetch_add(d.as_nanos() as u64, Ordering::Relaxed);
    }
    /// Time spent processing input or producing source records.
    pub fn busy(&self) -> Duration {
        Duration::from_nanos(self.busy_nanos.load(Ordering::Relaxed))
    }
    /// Time spent unable to emit because a downstream channel was full.
    pub fn backpressured(&self) -> Duration {
        Duration::from_nanos(self.backpressured_nanos.load(Ordering::Relaxed))
    }
}

/// A snapshot of one operator subtask's metrics, with the timing of the task it is fused into.
#[derive(Debug, Clone, PartialEq)]
pub struct OperatorReport {
    /// Operator name.
    pub operator: String,
    /// The name its state has in checkpoints (its `uid`, or one derived from its position and
    /// name): what [`crate::checkpoint_state_sizes`] reports sizes by.
    pub state_uid: Arc<str>,
    /// Subtask index.
    pub subtask: usize,
    /// Records received.
    pub records_in: u64,
    /// Records emitted on the main output.
    pub records_out: u64,
    /// Approximate bytes emitted.
    pub bytes_out: u64,
    /// Input watermark at the end (`i64::MAX` after a bounded job completed).
    pub watermark: Timestamp,
    /// Busy time of the task (chain) that runs this operator.
    pub task_busy: Duration,
    /// Backpressured time of the task (chain) that runs this operator.
    pub task_backpressured: Duration,
}

/// Where one operator subtask's live counters are: the job's [`crate::JobHandle`] reads them
/// while it runs, and the job's result is read from them once it ends.
#[derive(Debug, Clone)]
pub(crate) struct OperatorProbe {
    pub(crate) operator: String,
    pub(crate) state_uid: Arc<str>,
    pub(crate) subtask: usize,
    pub(crate) metrics: Arc<OperatorMetrics>,
    /// The task (chain) running the operator; `None` if it was never scheduled.
    pub(crate) task: Option<Arc<TaskMetrics>>,
}

impl OperatorProbe {
    /// The counters as they are now.
    pub(crate) fn report(&self) -> OperatorReport {
        let m = &self.metrics;
        OperatorReport {
            operator: self.operator.clone(),
            state_uid: self.state_uid.clone(),
            subtask: self.subtask,
            records_in: m.records_in(),
            records_out: m.records_out(),
            bytes_out: m.bytes_out(),
            watermark: m.watermark(),
            task_busy: self.task.as_ref().map(|t| t.busy()).unwrap_or_default(),
            task_backpressured: self.task.as_ref().map(|t| t.backpressured()).unwrap_or_default(),
        }
    }
}
