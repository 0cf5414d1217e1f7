//! The push interface between fused operators of one chain, and its plumbing (fan-out,
//! discarding, metering, side outputs, and [`Downstream`]: an operator's output side).
//!
//! Records move as batches: an operator receives `&mut Vec<Record<T>>`, may take the records out
//! (leaving the vector empty, or swapping in a fresh one), and the caller clears whatever is left
//! before refilling it. That keeps the per-record path free of allocation and of dynamic
//! dispatch: one virtual call per batch per operator.

use std::any::Any;
use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::checkpoint::CheckpointCtx;
use crate::metrics::OperatorMetrics;
use crate::record::{Data, Record, Timestamp};

/// Control signals that every operator of a chain must pass on downstream.
///
/// Every method forwards to [`downstream`](Self::downstream) by default, so an operator
/// overrides only what it reacts to: a stateful operator implements
/// [`snapshot`](Self::snapshot) (and perhaps `watermark` or `tick` for its timers), a stateless
/// one nothing but `downstream`. Ends of a chain (edge writers, sinks, fan-outs) have no single
/// downstream and override the signals themselves.
pub(crate) trait Control: Send {
    /// Where signals go unless a method is overridden; `None` at the end of a chain (then the
    /// defaults do nothing and `flush` reports nothing pending).
    fn downstream(&mut self) -> Option<&mut dyn Control>;
    /// The (aligned) input watermark advanced; it never goes backwards.
    fn watermark(&mut self, watermark: Timestamp) {
        if let Some(d) = self.downstream() {
            d.watermark(watermark);
        }
    }
    /// The input became idle (`true`) or active again (`false`).
    fn idle(&mut self, idle: bool) {
        if let Some(d) = self.downstream() {
            d.idle(idle);
        }
    }
    /// Processing time advanced (ms since the epoch).
    fn tick(&mut self, now: Timestamp) {
        if let Some(d) = self.downstream() {
            d.tick(now);
        }
    }
    /// End of input: the final watermark was already delivered. Operators emit what they still
    /// hold and pass `finish` on; edge writers send end-of-stream.
    fn finish(&mut self) {
        if let Some(d) = self.downstream() {
            d.finish();
        }
    }
    /// Tries to send output that an edge could not take yet; `true` when nothing is pending.
    /// A task consumes no more input while this is `false`: that is backpressure.
    fn flush(&mut self) -> bool {
        self.downstream().is_none_or(|d| d.flush())
    }
    /// Writes the operator's state into `cp` at a barrier (stateless operators: nothing). Called
    /// by the default [`checkpoint`](Self::checkpoint) before the barrier is passed on, which
    /// pushes output buffered before and during the snapshot ahead of the barrier.
    fn snapshot(&mut self, cp: &mut CheckpointCtx) {
        let _ = cp;
    }
    /// A checkpoint barrier, after every record before it: stateful operators add their state
    /// to `cp` ([`snapshot`](Self::snapshot)), then pass the barrier on; edge writers send it
    /// downstream in band. (Barrier *alignment* happens before this, in the task that reads
    /// the channels: `runtime/task.rs`, `InputTask`.)
    fn checkpoint(&mut self, cp: &mut CheckpointCtx) {
        self.snapshot(cp);
        if let Some(d) = self.downstream() {
            d.checkpoint(cp);
        }
    }
    /// Checkpoint `id` is durable: sinks commit, sources publish positions. Passed along the
    /// chain only (every task learns of completions itself).
    fn checkpoint_complete(&mut self, id: u64) {
        if let Some(d) = self.downstream() {
            d.checkpoint_complete(id);
        }
    }
}

/// Something that accepts batches of `T`: the next fused operator, a fan-out, or an edge writer.
pub(crate) trait Output<T>: Control {
    /// Accepts a batch (see the module docs for the ownership convention).
    fn push(&mut self, batch: &mut Vec<Record<T>>);
}

pub(crate) type BoxOutput<T> = Box<dyn Output<T>>;

/// Sends every batch to several outputs (cloning for all but the last).
pub(crate) struct Fanout<T> {
    outputs: Vec<BoxOutput<T>>,
    scratch: Vec<Record<T>>,
}

impl<T: Data> Fanout<T> {
    pub(crate) fn new(outputs: Vec<BoxOutput<T>>) -> Self {
        Self {
            outputs,
            scratch: Vec::new(),
        }
    }
}

impl<T: Data> Control for Fanout<T> {
    fn downstream(&mut self) -> Option<&mut dyn Control> {
        None
    }
    fn watermark(&mut self, watermark: Timestamp) {
        self.outputs.iter_mut().for_each(|o| o.watermark(watermark));
    }
    fn idle(&mut self, idle: bool) {
        self.outputs.iter_mut().for_each(|o| o.idle(idle));
    }
    fn tick(&mut self, now: Timestamp) {
        self.outputs.iter_mut().for_each(|o| o.tick(now));
    }
    fn finish(&mut self) {
        self.outputs.iter_mut().for_each(|o| o.finish());
    }
    fn checkpoint(&mut self, cp: &mut CheckpointCtx) {
        self.outputs.iter_mut().for_each(|o| o.checkpoint(cp));
    }
    fn checkpoint_complete(&mut self, id: u64) {
        self.outputs.iter_mut().for_each(|o| o.checkpoint_complete(id));
    }
    fn flush(&mut self) -> bool {
        let mut all = true;
        for o in &mut self.outputs {
            all &= o.flush();
        }
        all
    }
}

impl<T: Data> Output<T> for Fanout<T> {
    fn push(&mut self, batch: &mut Vec<Record<T>>) {
        let Some((last, rest)) = self.outputs.split_last_mut() else {
            return;
        };
        for out in rest {
            self.scratch.clear();
            self.scratch.extend(batch.iter().cloned());
            out.push(&mut self.scratch);
        }
        last.push(batch);
    }
}

/// The output of a stream nobody consumes.
pub(crate) struct Discard;

impl Control for Discard {
    fn downstream(&mut self) -> Option<&mut dyn Control> {
        None
    }
}

impl<T> Output<T> for Discard {
    fn push(&mut self, batch: &mut Vec<Record<T>>) {
        batch.clear();
    }
}

/// Counts what an operator receives (`input == true`) or emits, and tracks its watermark.
pub(crate) struct Metered<T> {
    inner: BoxOutput<T>,
    metrics: Arc<OperatorMetrics>,
    input: bool,
}

impl<T> Metered<T> {
    pub(crate) fn new(inner: BoxOutput<T>, metrics: Arc<OperatorMetrics>, input: bool) -> Self {
        Self {
            inner,
            metrics,
            input,
        }
    }
}

impl<T: Send> Control for Metered<T> {
    fn downstream(&mut self) -> Option<&mut dyn Control> {
        Some(self.inner.as_mut())
    }
    fn watermark(&mut self, watermark: Timestamp) {
        self.metrics.set_watermark(watermark);
        self.inner.watermark(watermark);
    }
}

impl<T: Send> Output<T> for Metered<T> {
    fn push(&mut self, batch: &mut Vec<Record<T>>) {
        let n = batch.len() as u64;
        if self.input {
            self.metrics.add_in(n);
        } else {
            self.metrics
                .add_out(n, n * std::mem::size_of::<Record<T>>() as u64);
        }
        self.inner.push(batch);
    }
}

/// One side output of an operator: a buffer of tagged records and their downstream.
pub(crate) trait SideChannel: Send {
    fn as_any_mut(&mut self) -> &mut dyn Any;
    fn flush_buffer(&mut self);
    fn control(&mut self) -> &mut dyn Control;
}

pub(crate) struct SideBuffer<S> {
    buffer: Vec<Record<S>>,
    out: BoxOutput<S>,
}

impl<S: Data> SideBuffer<S> {
    pub(crate) fn new(out: BoxOutput<S>) -> Self {
        Self {
            buffer: Vec::new(),
            out,
        }
    }
}

impl<S: Data> SideChannel for SideBuffer<S> {
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
    fn flush_buffer(&mut self) {
        if !self.buffer.is_empty() {
            self.out.push(&mut self.buffer);
            self.buffer.clear();
        }
    }
    fn control(&mut self) -> &mut dyn Control {
        self.out.as_mut()
    }
}

/// The side outputs an operator was wired with, by tag id. Records for a tag nobody consumes
/// are dropped, as in Flink.
#[derive(Default)]
pub(crate) struct SideOutputs {
    channels: Vec<(u64, Box<dyn SideChannel>)>,
}

impl SideOutputs {
    pub(crate) fn new(channels: Vec<(u64, Box<dyn SideChannel>)>) -> Self {
        Self { channels }
    }

    pub(crate) fn emit<S: Data>(&mut self, tag: u64, record: Record<S>) {
        for (id, channel) in &mut self.channels {
            if *id == tag {
                if let Some(buffer) = channel.as_any_mut().downcast_mut::<SideBuffer<S>>() {
                    buffer.buffer.push(record);
                }
                return;
            }
        }
    }

    /// Pushes buffered side records downstream; operators call it at the end of every batch.
    pub(crate) fn flush_buffers(&mut self) {
        self.channels.iter_mut().for_each(|(_, c)| c.flush_buffer());
    }
}

impl Control for SideOutputs {
    fn downstream(&mut self) -> Option<&mut dyn Control> {
        None
    }
    fn watermark(&mut self, watermark: Timestamp) {
        for (_, c) in &mut self.channels {
            c.flush_buffer();
            c.control().watermark(watermark);
        }
    }
    fn idle(&mut self, idle: bool) {
        self.channels.iter_mut().for_each(|(_, c)| c.control().idle(idle));
    }
    fn tick(&mut self, now: Timestamp) {
        self.channels.iter_mut().for_each(|(_, c)| c.control().tick(now));
    }
    fn finish(&mut self) {
        for (_, c) in &mut self.channels {
            c.flush_buffer();
            c.control().finish();
        }
    }
    fn flush(&mut self) -> bool {
        self.channels
            .iter_mut()
            .fold(true, |all, (_, c)| c.control().flush() && all)
    }
    fn checkpoint(&mut self, cp: &mut CheckpointCtx) {
        for (_, c) in &mut self.channels {
            c.flush_buffer();
            c.control().checkpoint(cp);
        }
    }
    fn checkpoint_complete(&mut self, id: u64) {
        self.channels
            .iter_mut()
            .for_each(|(_, c)| c.control().checkpoint_complete(id));
    }
}

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
/// Results a firing loop buffers before pushing them on (see [`Downstream::emit_when_full`]).
const FIRING_CHUNK: usize = 1024;

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

    /// Pushes the buffer on once it holds a batch's worth, for loops that emit without bound
    /// (a watermark firing every window or timer it reached). Pushing in chunks, before the
    /// watermark that caused them, keeps order and spares one buffer of every fired result:
    /// the final watermark of a bounded job fires all its windows at once, and a buffer of
    /// millions of results, doubled in place as it grows, was a third of such a job's time.
    ///
    /// Returns whether it pushed, so a firing loop that can stop part-way checks for
    /// backpressure only then.
    #[inline]
    pub(crate) fn emit_when_full(&mut self) -> bool {
        if self.buffer.len() >= FIRING_CHUNK {
            self.emit();
            return true;
        }
        false
    }

    /// Pushes what was buffered during a batch.
    pub(crate) fn emit(&mut self) {
        if !self.buffer.is_empty() {
            self.out.push(&mut self.buffer);
            self.buffer.clear();
        }
        self.side.flush_buffers();
    }
}

// Two downstreams (main and side outputs), so every signal is overridden.
impl<O: Data> Control for Downstream<O> {
    fn downstream(&mut self) -> Option<&mut dyn Control> {
        None
    }
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

/// Marker for typed helpers that only carry a type.
pub(crate) struct TypeTag<T>(PhantomData<fn() -> T>);

impl<T> TypeTag<T> {
    pub(crate) fn new() -> Self {
        Self(PhantomData)
    }
}
