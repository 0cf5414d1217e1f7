//! Unit-test plumbing for operators: an output that collects what an operator emits, and a way
//! to take an operator's checkpoint and hand its sections to a fresh operator.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::checkpoint::snapshot::OperatorIdentity;
use crate::checkpoint::{Barrier, CheckpointCtx};
use crate::keygroup::KeyGroupRange;
use crate::record::{Data, Record, Timestamp};
use crate::runtime::output::Downstream;
use crate::runtime::output::{Control, Output, SideOutputs};

/// Collects every record pushed into it; clones share the records.
#[derive(Clone)]
pub(crate) struct Collect<T>(pub(crate) Arc<Mutex<Vec<Record<T>>>>);

impl<T> Collect<T> {
    pub(crate) fn new() -> Self {
        Self(Arc::new(Mutex::new(Vec::new())))
    }

    /// Takes what was collected so far.
    pub(crate) fn take(&self) -> Vec<Record<T>> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

impl<T: Data> Control for Collect<T> {
    fn downstream(&mut self) -> Option<&mut dyn Control> {
        None
    }
}

impl<T: Data> Output<T> for Collect<T> {
    fn push(&mut self, batch: &mut Vec<Record<T>>) {
        self.0.lock().unwrap().append(batch);
    }
}

/// A downstream that collects into `out`.
pub(crate) fn downstream<T: Data>(out: &Collect<T>) -> Downstream<T> {
    Downstream::new(Box::new(out.clone()), SideOutputs::default())
}

pub(crate) fn identity(subtask: usize, parallelism: usize) -> OperatorIdentity {
    OperatorIdentity {
        uid: "op".into(),
        subtask,
        parallelism,
    }
}

/// Runs a checkpoint through `op` and returns what it wrote (failing on a declined checkpoint).
pub(crate) fn checkpoint(op: &mut dyn Control) -> CheckpointCtx {
    let mut cp = CheckpointCtx::new(Barrier {
        id: 1,
        savepoint: false,
    });
    op.checkpoint(&mut cp);
    assert!(cp.errors.is_empty(), "checkpoint declined: {:?}", cp.errors);
    for s in &mut cp.snapshots {
        s.resolve().expect("deferred key groups encode");
    }
    cp
}

/// The key groups of `cps` (any old subtasks) that fall into `range`, as a restore reads them.
pub(crate) fn key_groups_in(cps: &[&CheckpointCtx], range: KeyGroupRange) -> Vec<(usize, Vec<u8>)> {
    cps.iter()
        .flat_map(|cp| cp.snapshots.iter())
        .flat_map(|s| s.keyed.iter())
        .filter(|(kg, _)| range.contains(*kg as usize))
        .map(|(kg, bytes)| (*kg as usize, bytes.clone()))
        .collect()
}

/// The operator state of every old subtask in `cps`, indexed by old subtask.
pub(crate) fn operator_states(cps: &[&CheckpointCtx]) -> Vec<Vec<u8>> {
    let mut states: Vec<(usize, Vec<u8>)> = cps
        .iter()
        .flat_map(|cp| cp.snapshots.iter())
        .map(|s| (s.subtask, s.operator.clone().unwrap_or_default()))
        .collect();
    states.sort_by_key(|(s, _)| *s);
    states.into_iter().map(|(_, b)| b).collect()
}

/// What a [`Gated`] output saw, in order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Seen<T> {
    Record(T),
    Watermark(Timestamp),
}

/// An output that logs records and watermarks in order and reports backpressure while
/// `open` is false, as an edge whose channel is full does (for operators that stop a firing
/// under backpressure). Clones share the log and the switch.
#[derive(Clone)]
pub(crate) struct Gated<T> {
    pub(crate) log: Arc<Mutex<Vec<Seen<T>>>>,
    pub(crate) open: Arc<AtomicBool>,
}

impl<T> Gated<T> {
    /// A closed gate with an empty log.
    pub(crate) fn closed() -> Self {
        Self {
            log: Arc::default(),
            open: Arc::new(AtomicBool::new(false)),
        }
    }

    pub(crate) fn open(&self) {
        self.open.store(true, Ordering::SeqCst);
    }

    /// The log so far.
    pub(crate) fn seen(&self) -> Vec<Seen<T>>
    where
        T: Clone,
    {
        self.log.lock().unwrap().clone()
    }

    /// How many records the log holds.
    pub(crate) fn records(&self) -> usize {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|e| matches!(e, Seen::Record(_)))
            .count()
    }

    /// A downstream that writes into this gate.
    pub(crate) fn downstream(&self) -> Downstream<T>
    where
        T: Data,
    {
        Downstream::new(Box::new(self.clone()), SideOutputs::default())
    }
}

impl<T: Data> Control for Gated<T> {
    fn downstream(&mut self) -> Option<&mut dyn Control> {
        None
    }
    fn watermark(&mut self, watermark: Timestamp) {
        self.log.lock().unwrap().push(Seen::Watermark(watermark));
    }
    fn flush(&mut self) -> bool {
        self.open.load(Ordering::SeqCst)
    }
}

impl<T: Data> Output<T> for Gated<T> {
    fn push(&mut self, batch: &mut Vec<Record<T>>) {
        let mut log = self.log.lock().unwrap();
        log.extend(batch.drain(..).map(|r| Seen::Record(r.value)));
    }
}
