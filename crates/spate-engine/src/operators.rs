//! Stateless operators and sinks, fused into chains.

use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::error::EngineError;
use crate::record::{Data, MAX_WATERMARK, MIN_WATERMARK, Record, Timestamp};
use crate::runtime::output::{BoxOutput, Control, Output, SideOutputs};
use crate::runtime::task::FailureSlot;
use crate::watermark::{SplitWatermarks, TimestampAssigner, WatermarkGeneration};

/// Identifies a side output of type `T`. Create it once and use it both where records are
/// emitted (`ctx.output(&tag, v)`) and where the side stream is read (`stream.side_output(&tag)`).
#[derive(Debug)]
pub struct OutputTag<T> {
    pub(crate) id: u64,
    name: Arc<str>,
    _t: PhantomData<fn() -> T>,
}

impl<T> Clone for OutputTag<T> {
    fn clone(&self) -> Self {
        Self {
            id: self.id,
            name: self.name.clone(),
            _t: PhantomData,
        }
    }
}

static NEXT_TAG: AtomicU64 = AtomicU64::new(1);

impl<T> OutputTag<T> {
    /// A new tag; every call makes a distinct tag, whatever the name.
    pub fn new(name: &str) -> Self {
        Self {
            id: NEXT_TAG.fetch_add(1, Ordering::Relaxed),
            name: name.into(),
            _t: PhantomData,
        }
    }

    /// The tag's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// The output side of an operator: main output buffer, downstream and side outputs.
pub(crate) struct Downstream<O> {
    pub(crate) buffer: Vec<Record<O>>,
    pub(crate) out: BoxOutput<O>,
    pub(crate) side: SideOutputs,
}

impl<O: Data> Downstream<O> {
    pub(crate) fn new(out: BoxOutput<O>, side: SideOutputs) -> Self {
        Self {
            buffer: Vec::new(),
            out,
            side,
        }
    }

    /// Pushes what was buffered during a batch.
    pub(crate) fn emit(&mut self) {
        if !self.buffer.is_empty() {
            self.out.push(&mut self.buffer);
            self.buffer.clear();
        }
        self.side.flush_buffers();
    }

    /// Calls `process` on every element of `batch` with a [`ProcessContext`] at `watermark`,
    /// then pushes what it emitted: the batch loop of every unkeyed process-style operator.
    #[inline]
    pub(crate) fn process_batch<I>(
        &mut self,
        watermark: Timestamp,
        batch: &mut Vec<Record<I>>,
        mut process: impl FnMut(I, &mut ProcessContext<'_, O>),
    ) {
        for r in batch.drain(..) {
            let mut ctx = ProcessContext {
                timestamp: r.timestamp,
                watermark,
                down: self,
            };
            process(r.value, &mut ctx);
        }
        self.emit();
    }
}

impl<O: Data> Control for Downstream<O> {
    fn watermark(&mut self, watermark: Timestamp) {
        self.emit();
        self.side.watermark(watermark);
        self.out.watermark(watermark);
    }
    fn idle(&mut self, idle: bool) {
        self.side.idle(idle);
        self.out.idle(idle);
    }
    fn tick(&mut self, now: Timestamp) {
        self.side.tick(now);
        self.out.tick(now);
    }
    fn finish(&mut self) {
        self.emit();
        self.side.finish();
        self.out.finish();
    }
    fn flush(&mut self) -> bool {
        let side = self.side.flush();
        self.out.flush() && side
    }
    fn checkpoint(&mut self, cp: &mut crate::checkpoint::CheckpointCtx) {
        self.emit();
        self.side.checkpoint(cp);
        self.out.checkpoint(cp);
    }
    fn checkpoint_complete(&mut self, id: u64) {
        self.side.checkpoint_complete(id);
        self.out.checkpoint_complete(id);
    }
}

/// Implements `Control` by delegating to a `down: Downstream<_>` field. The `track_watermark`
/// form also keeps each watermark in a `watermark: Timestamp` field, for operators whose
/// [`ProcessContext`] reports the current watermark. The `snapshot <method>` forms are for
/// stateful operators: at a barrier they push buffered output, call
/// `self.<method>(cp: &mut CheckpointCtx)` to write their state, then pass the barrier on.
macro_rules! delegate_control {
    ($ty:ident < $($g:ident),* > where $($bounds:tt)*) => {
        impl<$($g),*> $crate::runtime::output::Control for $ty<$($g),*> where $($bounds)* {
            fn watermark(&mut self, w: $crate::record::Timestamp) { self.down.watermark(w) }
            fn idle(&mut self, i: bool) { self.down.idle(i) }
            fn tick(&mut self, now: $crate::record::Timestamp) { self.down.tick(now) }
            fn finish(&mut self) { self.down.finish() }
            fn flush(&mut self) -> bool { self.down.flush() }
            fn checkpoint(&mut self, cp: &mut $crate::checkpoint::CheckpointCtx) { self.down.checkpoint(cp) }
            fn checkpoint_complete(&mut self, id: u64) { self.down.checkpoint_complete(id) }
        }
    };
    (track_watermark $ty:ident < $($g:ident),* > where $($bounds:tt)*) => {
        impl<$($g),*> $crate::runtime::output::Control for $ty<$($g),*> where $($bounds)* {
            fn watermark(&mut self, w: $crate::record::Timestamp) {
                self.watermark = w;
                self.down.watermark(w)
            }
            fn idle(&mut self, i: bool) { self.down.idle(i) }
            fn tick(&mut self, now: $crate::record::Timestamp) { self.down.tick(now) }
            fn finish(&mut self) { self.down.finish() }
            fn flush(&mut self) -> bool { self.down.flush() }
            fn checkpoint(&mut self, cp: &mut $crate::checkpoint::CheckpointCtx) { self.down.checkpoint(cp) }
            fn checkpoint_complete(&mut self, id: u64) { self.down.checkpoint_complete(id) }
        }
    };
    (snapshot $snap:ident, $ty:ident < $($g:ident),* > where $($bounds:tt)*) => {
        impl<$($g),*> $crate::runtime::output::Control for $ty<$($g),*> where $($bounds)* {
            fn watermark(&mut self, w: $crate::record::Timestamp) { self.down.watermark(w) }
            fn idle(&mut self, i: bool) { self.down.idle(i) }
            fn tick(&mut self, now: $crate::record::Timestamp) { self.down.tick(now) }
            fn finish(&mut self) { self.down.finish() }
            fn flush(&mut self) -> bool { self.down.flush() }
            fn checkpoint(&mut self, cp: &mut $crate::checkpoint::CheckpointCtx) {
                self.down.emit();
                self.$snap(cp);
                self.down.checkpoint(cp)
            }
            fn checkpoint_complete(&mut self, id: u64) { self.down.checkpoint_complete(id) }
        }
    };
    (track_watermark snapshot $snap:ident, $ty:ident < $($g:ident),* > where $($bounds:tt)*) => {
        impl<$($g),*> $crate::runtime::output::Control for $ty<$($g),*> where $($bounds)* {
            fn watermark(&mut self, w: $crate::record::Timestamp) {
                self.watermark = w;
                self.down.watermark(w)
            }
            fn idle(&mut self, i: bool) { self.down.idle(i) }
            fn tick(&mut self, now: $crate::record::Timestamp) { self.down.tick(now) }
            fn finish(&mut self) { self.down.finish() }
            fn flush(&mut self) -> bool { self.down.flush() }
            fn checkpoint(&mut self, cp: &mut $crate::checkpoint::CheckpointCtx) {
                self.down.emit();
                self.$snap(cp);
                self.down.checkpoint(cp)
            }
            fn checkpoint_complete(&mut self, id: u64) { self.down.checkpoint_complete(id) }
        }
    };
}
pub(crate) use delegate_control;

pub(crate) struct MapOp<T, U, F> {
    pub(crate) f: F,
    pub(crate) down: Downstream<U>,
    pub(crate) _t: PhantomData<fn(T)>,
}

delegate_control!(MapOp<T, U, F> where T: Send + 'static, U: Data, F: FnMut(T) -> U + Send);

impl<T: Send + 'static, U: Data, F: FnMut(T) -> U + Send> Output<T> for MapOp<T, U, F> {
    fn push(&mut self, batch: &mut Vec<Record<T>>) {
        let f = &mut self.f;
        self.down.buffer.extend(batch.drain(..).map(|r| Record {
            timestamp: r.timestamp,
            value: f(r.value),
        }));
        self.down.emit();
    }
}

pub(crate) struct FilterOp<T, F> {
    pub(crate) f: F,
    pub(crate) down: Downstream<T>,
}

delegate_control!(FilterOp<T, F> where T: Data, F: FnMut(&T) -> bool + Send);

impl<T: Data, F: FnMut(&T) -> bool + Send> Output<T> for FilterOp<T, F> {
    fn push(&mut self, batch: &mut Vec<Record<T>>) {
        let f = &mut self.f;
        batch.retain(|r| f(&r.value));
        self.down.out.push(batch);
    }
}

pub(crate) struct FlatMapOp<T, U, F> {
    pub(crate) f: F,
    pub(crate) down: Downstream<U>,
    pub(crate) _t: PhantomData<fn(T)>,
}

delegate_control!(FlatMapOp<T, U, F> where T: Send + 'static, U: Data, F: Send);

impl<T, U, I, F> Output<T> for FlatMapOp<T, U, F>
where
    T: Send + 'static,
    U: Data,
    I: IntoIterator<Item = U>,
    F: FnMut(T) -> I + Send,
{
    fn push(&mut self, batch: &mut Vec<Record<T>>) {
        for r in batch.drain(..) {
            let ts = r.timestamp;
            self.down.buffer.extend(
                (self.f)(r.value)
                    .into_iter()
                    .map(|value| Record { timestamp: ts, value }),
            );
        }
        self.down.emit();
    }
}

/// What a [`ProcessFunction`] can do for the element it processes.
pub struct ProcessContext<'a, O> {
    pub(crate) timestamp: Timestamp,
    pub(crate) watermark: Timestamp,
    pub(crate) down: &'a mut Downstream<O>,
}

impl<O> std::fmt::Debug for ProcessContext<'_, O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessContext")
            .field("timestamp", &self.timestamp)
            .finish_non_exhaustive()
    }
}

impl<O: Data> ProcessContext<'_, O> {
    /// The element's timestamp.
    pub fn timestamp(&self) -> Timestamp {
        self.timestamp
    }
    /// The operator's current watermark.
    pub fn current_watermark(&self) -> Timestamp {
        self.watermark
    }
    /// Emits on the main output with the element's timestamp.
    pub fn collect(&mut self, value: O) {
        self.down.buffer.push(Record {
            timestamp: self.timestamp,
            value,
        });
    }
    /// Emits on the main output with an explicit timestamp.
    pub fn collect_with_timestamp(&mut self, value: O, timestamp: Timestamp) {
        self.down.buffer.push(Record { timestamp, value });
    }
    /// Emits to a side output.
    pub fn output<S: Data>(&mut self, tag: &OutputTag<S>, value: S) {
        self.down.side.emit(
            tag.id,
            Record {
                timestamp: self.timestamp,
                value,
            },
        );
    }
}

/// A general per-element function with side outputs. Implemented for closures
/// `FnMut(T, &mut ProcessContext<O>)`.
pub trait ProcessFunction<I, O>: Clone + Send + 'static {
    /// Called for every element.
    fn process_element(&mut self, value: I, ctx: &mut ProcessContext<'_, O>);
}

impl<I, O, F> ProcessFunction<I, O> for F
where
    F: FnMut(I, &mut ProcessContext<'_, O>) + Clone + Send + 'static,
{
    fn process_element(&mut self, value: I, ctx: &mut ProcessContext<'_, O>) {
        self(value, ctx)
    }
}

pub(crate) struct ProcessOp<T, O, F> {
    pub(crate) f: F,
    pub(crate) down: Downstream<O>,
    pub(crate) watermark: Timestamp,
    pub(crate) _t: PhantomData<fn(T)>,
}

impl<T, O, F> ProcessOp<T, O, F> {
    pub(crate) fn new(f: F, down: Downstream<O>) -> Self {
        Self {
            f,
            down,
            watermark: MIN_WATERMARK,
            _t: PhantomData,
        }
    }
}

delegate_control!(track_watermark ProcessOp<T, O, F> where T: Send + 'static, O: Data, F: ProcessFunction<T, O>);

impl<T: Send + 'static, O: Data, F: ProcessFunction<T, O>> Output<T> for ProcessOp<T, O, F> {
    fn push(&mut self, batch: &mut Vec<Record<T>>) {
        self.down
            .process_batch(self.watermark, batch, |v, ctx| self.f.process_element(v, ctx));
    }
}

/// Assigns timestamps and watermarks in the middle of a pipeline (upstream watermarks are
/// replaced; only the final watermark of a bounded input passes through).
pub(crate) struct TimestampsOp<T, A> {
    pub(crate) assigner: A,
    pub(crate) watermarks: SplitWatermarks,
    pub(crate) out: BoxOutput<T>,
    pub(crate) now: Timestamp,
}

impl<T, A> TimestampsOp<T, A> {
    pub(crate) fn new(assigner: A, generation: WatermarkGeneration, out: BoxOutput<T>) -> Self {
        Self {
            assigner,
            watermarks: SplitWatermarks::new(generation, None),
            out,
            now: 0,
        }
    }
}

impl<T: Send + 'static, A: TimestampAssigner<T>> Control for TimestampsOp<T, A> {
    fn watermark(&mut self, w: Timestamp) {
        if w == MAX_WATERMARK {
            self.out.watermark(w);
        }
    }
    fn idle(&mut self, i: bool) {
        self.out.idle(i)
    }
    fn tick(&mut self, now: Timestamp) {
        self.now = now;
        self.out.tick(now)
    }
    fn finish(&mut self) {
        self.out.finish()
    }
    fn flush(&mut self) -> bool {
        self.out.flush()
    }
    fn checkpoint(&mut self, cp: &mut crate::checkpoint::CheckpointCtx) {
        self.out.checkpoint(cp)
    }
    fn checkpoint_complete(&mut self, id: u64) {
        self.out.checkpoint_complete(id)
    }
}

impl<T: Send + 'static, A: TimestampAssigner<T>> Output<T> for TimestampsOp<T, A> {
    fn push(&mut self, batch: &mut Vec<Record<T>>) {
        if batch.is_empty() {
            return;
        }
        let mut max = i64::MIN;
        for r in batch.iter_mut() {
            r.timestamp = self.assigner.extract(&r.value, r.timestamp);
            max = max.max(r.timestamp);
        }
        self.watermarks.on_batch(0, max, self.now);
        self.out.push(batch);
        if let (Some(w), _) = self.watermarks.advance(self.now) {
            self.out.watermark(w);
        }
    }
}

/// Where a sink subtask runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SinkContext {
    /// This subtask's index.
    pub subtask: usize,
    /// Number of subtasks of the sink.
    pub parallelism: usize,
}

/// A destination of records.
///
/// Contract:
/// - `write` is called with batches in the order they reached this subtask (per input channel
///   order is preserved); `on_watermark` after all records that precede the watermark;
///   `finish` once after the final watermark of a bounded job, and nothing after it. A sink
///   that returns an error fails the job (which then restarts from the last checkpoint, if the
///   job has a restart strategy).
/// - Checkpoints (two-phase commit, as Flink's `TwoPhaseCommittingSink`):
///   [`snapshot_state`](Self::snapshot_state) is called when checkpoint `id`'s barrier reached
///   the sink, after every record before the barrier was written and before any record after
///   it. The sink *pre-commits*: it makes those records durable but not yet visible (flushes a
///   Kafka transaction without committing it, writes a temporary file), starts a new
///   transaction for what follows, and returns what it needs to finish the pre-committed work
///   after a crash (transaction ids, temporary file names). The bytes are stored in the
///   checkpoint. [`notify_checkpoint_complete`](Self::notify_checkpoint_complete)`(id)` then
///   says the checkpoint is durable: commit everything pre-committed at checkpoints `<= id`
///   (notifications can be skipped when checkpoints complete quickly, and a checkpoint can be
///   abandoned, whose pre-committed work then rides on the next completed one). Committing
///   must be idempotent.
/// - Restore: [`restore_state`](Self::restore_state) is called after `open` and before any
///   `write`, with the states every subtask of the previous run returned at the restored
///   checkpoint (index = old subtask). The sink commits the pre-committed work recorded there
///   (it belongs to a completed checkpoint, though the commit may not have happened before the
///   crash) and aborts anything else it may have left behind (transactions opened after that
///   checkpoint). When the parallelism changed, subtask `s` of `p` takes the entries of old
///   subtasks `i` with `i % p == s`, so each entry is handled exactly once.
/// - At-least-once sinks only flush in `snapshot_state` and return no state; a sink without
///   side effects (collect, print) needs none of this.
pub trait Sink<T>: Send {
    /// Prepares the subtask.
    fn open(&mut self, ctx: &SinkContext) -> Result<(), EngineError> {
        let _ = ctx;
        Ok(())
    }
    /// Finishes the work of the previous run recorded in the restored checkpoint (see above).
    fn restore_state(&mut self, ctx: &SinkContext, states: &[Vec<u8>]) -> Result<(), EngineError> {
        let _ = (ctx, states);
        Ok(())
    }
    /// Writes a batch (the sink may take the records out of the vector).
    fn write(&mut self, records: &mut Vec<Record<T>>) -> Result<(), EngineError>;
    /// The input watermark advanced.
    fn on_watermark(&mut self, watermark: Timestamp) -> Result<(), EngineError> {
        let _ = watermark;
        Ok(())
    }
    /// Pre-commits at checkpoint `checkpoint_id` and returns the state to store (see above).
    fn snapshot_state(&mut self, checkpoint_id: u64) -> Result<Vec<u8>, EngineError> {
        let _ = checkpoint_id;
        Ok(Vec::new())
    }
    /// Checkpoint `checkpoint_id` is complete: commit what was pre-committed up to it.
    fn notify_checkpoint_complete(&mut self, checkpoint_id: u64) -> Result<(), EngineError> {
        let _ = checkpoint_id;
        Ok(())
    }
    /// End of a bounded input: flush and commit everything (there is no later checkpoint).
    fn finish(&mut self) -> Result<(), EngineError> {
        Ok(())
    }
}

/// The entries of `states` that subtask `ctx.subtask` restores (see [`Sink`]'s contract).
pub fn sink_states_for<'a>(ctx: &SinkContext, states: &'a [Vec<u8>]) -> impl Iterator<Item = &'a [u8]> {
    let (s, p) = (ctx.subtask, ctx.parallelism.max(1));
    states
        .iter()
        .enumerate()
        .filter(move |(i, _)| i % p == s)
        .map(|(_, v)| v.as_slice())
}

pub(crate) struct SinkOp<T> {
    pub(crate) sink: Box<dyn Sink<T>>,
    pub(crate) identity: crate::checkpoint::snapshot::OperatorIdentity,
    pub(crate) name: String,
    pub(crate) failure: FailureSlot,
    pub(crate) failed: bool,
}

impl<T> SinkOp<T> {
    fn check(&mut self, r: Result<(), EngineError>) {
        if let Err(e) = r
            && !self.failed
        {
            self.failed = true;
            self.failure.fail(EngineError::Sink {
                operator: self.name.clone(),
                message: e.to_string(),
            });
        }
    }
}

impl<T: Send + 'static> Control for SinkOp<T> {
    fn watermark(&mut self, w: Timestamp) {
        let r = self.sink.on_watermark(w);
        self.check(r);
    }
    fn idle(&mut self, _: bool) {}
    fn tick(&mut self, _: Timestamp) {}
    fn finish(&mut self) {
        let r = self.sink.finish();
        self.check(r);
    }
    fn flush(&mut self) -> bool {
        true
    }
    fn checkpoint(&mut self, cp: &mut crate::checkpoint::CheckpointCtx) {
        if cp.is_final {
            // `finish` committed everything; nothing is left to redo after a restore.
            cp.set_operator_state(&self.identity, Vec::new());
            return;
        }
        match self.sink.snapshot_state(cp.id()) {
            Ok(state) => cp.set_operator_state(&self.identity, state),
            Err(e) => cp.fail(&self.identity, &format!("pre-commit failed: {e}")),
        }
    }
    fn checkpoint_complete(&mut self, id: u64) {
        let r = self.sink.notify_checkpoint_complete(id);
        self.check(r);
    }
}

impl<T: Send + 'static> Output<T> for SinkOp<T> {
    fn push(&mut self, batch: &mut Vec<Record<T>>) {
        if !self.failed {
            let r = self.sink.write(batch);
            self.check(r);
        }
        batch.clear();
    }
}

/// The records a [`CollectSink`] gathered, readable after (or during) the job.
#[derive(Debug)]
pub struct CollectHandle<T> {
    pub(crate) records: Arc<Mutex<Vec<Record<T>>>>,
}

impl<T> Clone for CollectHandle<T> {
    fn clone(&self) -> Self {
        Self {
            records: self.records.clone(),
        }
    }
}

impl<T: Clone> CollectHandle<T> {
    /// All records collected so far (from all subtasks, in arrival order per subtask).
    pub fn records(&self) -> Vec<Record<T>> {
        self.records.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
    /// The values collected so far.
    pub fn values(&self) -> Vec<T> {
        self.records
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|r| r.value.clone())
            .collect()
    }
}

/// Collects every record into a shared vector (for tests and small results).
#[derive(Debug)]
pub struct CollectSink<T> {
    records: Arc<Mutex<Vec<Record<T>>>>,
}

impl<T> Clone for CollectSink<T> {
    fn clone(&self) -> Self {
        Self {
            records: self.records.clone(),
        }
    }
}

impl<T> CollectSink<T> {
    /// A sink and the handle to read what it collected.
    pub fn new() -> (Self, CollectHandle<T>) {
        let records = Arc::new(Mutex::new(Vec::new()));
        (
            Self {
                records: records.clone(),
            },
            CollectHandle { records },
        )
    }
}

impl<T: Send> Sink<T> for CollectSink<T> {
    fn write(&mut self, records: &mut Vec<Record<T>>) -> Result<(), EngineError> {
        self.records
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .append(records);
        Ok(())
    }
}

/// A sink that calls a function per batch (for counting, printing, or discarding).
#[derive(Debug, Clone)]
pub struct FnSink<F>(pub F);

impl<T, F: FnMut(&[Record<T>]) + Send> Sink<T> for FnSink<F> {
    fn write(&mut self, records: &mut Vec<Record<T>>) -> Result<(), EngineError> {
        (self.0)(records);
        Ok(())
    }
}
