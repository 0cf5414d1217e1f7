//! Shared pieces of the checkpoint tests: a paced, split-based source whose positions survive
//! rescaling, a two-phase-commit sink whose committed output is exactly once, and a runner that
//! fails a job once and checks that it restarted from a checkpoint.
#![allow(clippy::unwrap_used, dead_code)]

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde::de::DeserializeOwned;
use spate_engine::{
    CheckpointConfig, EngineError, Record, RestartStrategy, Sink, SinkContext, Source, SourceBatch,
    SourceContext, SourceStatus, StreamEnvironment, sink_states_for,
};

/// `count` events `0..count` over `splits` splits (split j emits j, j + splits, ... in order,
/// timestamp = value), paced at about `per_ms` events per millisecond so that a run spans
/// several checkpoints. Positions are per split, so a restore can change parallelism.
#[derive(Clone)]
pub struct PacedSplitSource {
    count: u64,
    per_ms: u64,
    splits: u64,
    owned: Vec<(u64, u64)>,
    next_split: usize,
    started: Option<Instant>,
    emitted: u64,
}

impl PacedSplitSource {
    pub fn new(count: u64, per_ms: u64, splits: u64) -> Self {
        Self {
            count,
            per_ms,
            splits,
            owned: Vec::new(),
            next_split: 0,
            started: None,
            emitted: 0,
        }
    }
}

impl Source<u64> for PacedSplitSource {
    fn open(&mut self, ctx: &SourceContext) -> Result<usize, EngineError> {
        self.owned = (0..self.splits)
            .filter(|j| (*j as usize) % ctx.parallelism == ctx.subtask)
            .map(|j| (j, j))
            .collect();
        Ok(self.owned.len().max(1))
    }

    fn poll(&mut self, out: &mut SourceBatch<u64>) -> Result<SourceStatus, EngineError> {
        if self.owned.iter().all(|(_, next)| *next >= self.count) {
            return Ok(SourceStatus::Finished);
        }
        let started = *self.started.get_or_insert_with(Instant::now);
        let allowed = started.elapsed().as_millis() as u64 * self.per_ms + 64;
        if self.emitted >= allowed {
            return Ok(SourceStatus::Pending);
        }
        let i = self.next_split % self.owned.len();
        self.next_split += 1;
        out.set_split(i);
        let (_, next) = &mut self.owned[i];
        let mut n = 0;
        while *next < self.count && out.remaining() > 0 && n < 64 {
            out.push_with_timestamp(*next, *next as i64);
            *next += self.splits;
            n += 1;
        }
        self.emitted += n;
        Ok(SourceStatus::Available)
    }

    fn snapshot_position(&mut self, _: u64) -> Result<Vec<u8>, EngineError> {
        Ok(serde_json::to_vec(&self.owned).expect("plain numbers"))
    }

    fn restore_positions(&mut self, _: &SourceContext, positions: &[Vec<u8>]) -> Result<(), EngineError> {
        for p in positions {
            let entries: Vec<(u64, u64)> =
                serde_json::from_slice(p).map_err(|e| EngineError::InvalidPosition(e.to_string()))?;
            for (split, next) in entries {
                if let Some(own) = self.owned.iter_mut().find(|(s, _)| *s == split) {
                    own.1 = next;
                }
            }
        }
        Ok(())
    }
}

/// What the "external system" holds: committed results and the ids of committed transactions
/// (a commit is idempotent by transaction id, as Kafka's EndTxn is).
pub struct Store<R> {
    pub committed: Vec<R>,
    txns: HashSet<String>,
}

pub type SharedStore<R> = Arc<Mutex<Store<R>>>;

pub fn store<R>() -> SharedStore<R> {
    Arc::new(Mutex::new(Store {
        committed: Vec::new(),
        txns: HashSet::new(),
    }))
}

type Pending<R> = Vec<(String, u64, Vec<R>)>;

/// A two-phase-commit sink: records of a checkpoint interval form a transaction, pre-committed
/// (kept in the checkpoint) at the barrier and committed when the checkpoint completes.
pub struct TxnSink<R> {
    store: SharedStore<R>,
    subtask: usize,
    attempt: u64,
    open: Vec<R>,
    pending: Pending<R>,
}

impl<R: Clone> Clone for TxnSink<R> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            subtask: self.subtask,
            attempt: self.attempt,
            open: self.open.clone(),
            pending: self.pending.clone(),
        }
    }
}

static ATTEMPTS: AtomicU64 = AtomicU64::new(0);

impl<R: Clone> TxnSink<R> {
    pub fn new(store: &SharedStore<R>) -> Self {
        Self {
            store: store.clone(),
            subtask: 0,
            attempt: 0,
            open: Vec::new(),
            pending: Vec::new(),
        }
    }

    /// Loses the open transaction's records (a failed flush).
    pub fn drop_open(&mut self) {
        self.open.clear();
    }

    fn commit(&self, txn: &str, records: &[R]) {
        let mut store = self.store.lock().unwrap();
        if store.txns.insert(txn.to_string()) {
            store.committed.extend_from_slice(records);
        }
    }
}

impl<R> Sink<R> for TxnSink<R>
where
    R: Clone + Send + Serialize + DeserializeOwned + 'static,
{
    fn open(&mut self, ctx: &SinkContext) -> Result<(), EngineError> {
        self.subtask = ctx.subtask;
        self.attempt = ATTEMPTS.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
    fn restore_state(&mut self, ctx: &SinkContext, states: &[Vec<u8>]) -> Result<(), EngineError> {
        for state in sink_states_for(ctx, states) {
            if state.is_empty() {
                continue;
            }
            let pending: Pending<R> = serde_json::from_slice(state).unwrap();
            for (txn, _, records) in pending {
                self.commit(&txn, &records);
            }
        }
        Ok(())
    }
    fn write(&mut self, records: &mut Vec<Record<R>>) -> Result<(), EngineError> {
        self.open.extend(records.drain(..).map(|r| r.value));
        Ok(())
    }
    fn snapshot_state(&mut self, checkpoint_id: u64) -> Result<Vec<u8>, EngineError> {
        let txn = format!("{}-{}-{checkpoint_id}", self.attempt, self.subtask);
        self.pending
            .push((txn, checkpoint_id, std::mem::take(&mut self.open)));
        Ok(serde_json::to_vec(&self.pending).unwrap())
    }
    fn notify_checkpoint_complete(&mut self, checkpoint_id: u64) -> Result<(), EngineError> {
        let (done, keep): (Pending<R>, Pending<R>) = std::mem::take(&mut self.pending)
            .into_iter()
            .partition(|(_, id, _)| *id <= checkpoint_id);
        for (txn, _, records) in &done {
            self.commit(txn, records);
        }
        self.pending = keep;
        Ok(())
    }
    fn finish(&mut self) -> Result<(), EngineError> {
        let all: Pending<R> = std::mem::take(&mut self.pending);
        for (txn, _, records) in &all {
            self.commit(txn, records);
        }
        let txn = format!("{}-{}-final", self.attempt, self.subtask);
        let open = std::mem::take(&mut self.open);
        self.commit(&txn, &open);
        Ok(())
    }
}

/// Panics once, the first time it sees `at` (a task failure in the middle of the stream).
pub fn fail_once_at(at: u64) -> impl Fn(u64) -> u64 + Clone + Send + 'static {
    let failed = Arc::new(AtomicBool::new(false));
    move |v| {
        if v == at && !failed.swap(true, Ordering::SeqCst) {
            panic!("injected failure at event {v}");
        }
        v
    }
}

/// Runs the job `build` adds (at parallelism 2, checkpoints every 25 ms, one restart allowed
/// per failure) and returns the sorted committed output, after checking that the job failed
/// once and restarted from a checkpoint.
pub fn run_with_one_failure<R>(build: impl FnOnce(&StreamEnvironment, &SharedStore<R>)) -> Vec<R>
where
    R: Clone + Ord,
{
    let dir = tempfile::tempdir().unwrap();
    let store = store::<R>();
    let env = StreamEnvironment::new();
    env.set_parallelism(2);
    env.enable_checkpointing(CheckpointConfig::new(dir.path(), Duration::from_millis(25)));
    env.set_restart_strategy(RestartStrategy::FixedDelay {
        attempts: 3,
        delay: Duration::from_millis(10),
    });
    build(&env, &store);
    let handle = env.job_handle();
    env.execute().unwrap();
    let progress = handle.progress();
    assert_eq!(
        progress.restarts, 1,
        "the injected failure restarted the job once"
    );
    assert!(
        progress.restored_from.is_some(),
        "the restart restored a checkpoint"
    );
    let mut got = store.lock().unwrap().committed.clone();
    got.sort();
    got
}
