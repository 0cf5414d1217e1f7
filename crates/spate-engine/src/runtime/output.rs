//! The push interface between fused operators of one chain, and its plumbing (fan-out,
//! discarding, metering, side outputs).
//!
//! Records move as batches: an operator receives `&mut Vec<Record<T>>`, may take the records out
//! (leaving the vector empty, or swapping in a fresh one), and the caller clears whatever is left
//! before refilling it. That keeps the per-record path free of allocation and of dynamic
//! dispatch: one virtual call per batch per operator.

use std::any::Any;
use std::marker::PhantomData;
use std::sync::Arc;

use crate::checkpoint::CheckpointCtx;
use crate::metrics::OperatorMetrics;
use crate::record::{Data, Record, Timestamp};

/// Control signals that every operator of a chain must pass on downstream.
pub(crate) trait Control: Send {
    /// The (aligned) input watermark advanced; it never goes backwards.
    fn watermark(&mut self, watermark: Timestamp);
    /// The input became idle (`true`) or active again (`false`).
    fn idle(&mut self, idle: bool);
    /// Processing time advanced (ms since the epoch).
    fn tick(&mut self, now: Timestamp);
    /// End of input: the final watermark was already delivered. Operators emit what they still
    /// hold and pass `finish` on; edge writers send end-of-stream.
    fn finish(&mut self);
    /// Tries to send output that an edge could not take yet; `true` when nothing is pending.
    /// A task consumes no more input while this is `false`: that is backpressure.
    fn flush(&mut self) -> bool;
    /// A checkpoint barrier, after every record before it: stateful operators add their state
    /// to `cp` (buffered output is pushed first), then pass the barrier on; edge writers send
    /// it downstream in band.
    fn checkpoint(&mut self, cp: &mut CheckpointCtx);
    /// Checkpoint `id` is durable: sinks commit, sources publish positions. Passed along the
    /// chain only (every task learns of completions itself).
    fn checkpoint_complete(&mut self, id: u64);
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
    fn watermark(&mut self, _: Timestamp) {}
    fn idle(&mut self, _: bool) {}
    fn tick(&mut self, _: Timestamp) {}
    fn finish(&mut self) {}
    fn flush(&mut self) -> bool {
        true
    }
    fn checkpoint(&mut self, _: &mut CheckpointCtx) {}
    fn checkpoint_complete(&mut self, _: u64) {}
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
    fn watermark(&mut self, watermark: Timestamp) {
        self.metrics.set_watermark(watermark);
        self.inner.watermark(watermark);
    }
    fn idle(&mut self, idle: bool) {
        self.inner.idle(idle);
    }
    fn tick(&mut self, now: Timestamp) {
        self.inner.tick(now);
    }
    fn finish(&mut self) {
        self.inner.finish();
    }
    fn flush(&mut self) -> bool {
        self.inner.flush()
    }
    fn checkpoint(&mut self, cp: &mut CheckpointCtx) {
        self.inner.checkpoint(cp);
    }
    fn checkpoint_complete(&mut self, id: u64) {
        self.inner.checkpoint_complete(id);
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

/// Marker for typed helpers that only carry a type.
pub(crate) struct TypeTag<T>(PhantomData<fn() -> T>);

impl<T> TypeTag<T> {
    pub(crate) fn new() -> Self {
        Self(PhantomData)
    }
}
