//! Keyed process functions: per-key state and timers.

use std::marker::PhantomData;

use crate::checkpoint::CheckpointCtx;
use crate::keygroup::KeyGroupRange;
use crate::record::{Data, Key, Record, Timestamp};
use crate::runtime::output::{Control, Downstream, Output};
use crate::state::StateRegistry;
pub(crate) use crate::state::keyed_runtime::KeyedRuntime;
pub use crate::state::keyed_runtime::{KeyedContext, TimeDomain};
use crate::stream::{DataStream, KeyedStream};

/// A per-key function with state and timers (Flink's `KeyedProcessFunction`).
///
/// Timers fire in timestamp order per domain, at most once per (time, key). At the end of a
/// bounded input, as in Flink's batch execution of bounded streams, the timer service is
/// *quiesced*: the final watermark (`+inf`) fires every remaining event-time timer, then every
/// remaining processing-time timer fires in timestamp order (however far in the future it was
/// set; `current_processing_time` still reads the wall clock), and timers registered from those
/// final callbacks are ignored, so a timer that re-registers itself cannot keep a finished job
/// alive.
pub trait KeyedProcessFunction<K, I, O>: Clone + Send + 'static {
    /// Registers state handles; called once per subtask before any element.
    fn open(&mut self, states: &mut StateRegistry<'_, K>) {
        let _ = states;
    }
    /// Called for every element, with its key current.
    fn process_element(&mut self, value: I, ctx: &mut KeyedContext<'_, K, O>);
    /// Called when a timer of the current key fires (in timestamp order per domain; see the
    /// trait docs for the end of bounded input).
    fn on_timer(&mut self, time: Timestamp, domain: TimeDomain, ctx: &mut KeyedContext<'_, K, O>) {
        let _ = (time, domain, ctx);
    }
}

pub(crate) struct KeyedProcessOp<K, I, O, KS, F> {
    key_selector: KS,
    f: F,
    pub(crate) rt: KeyedRuntime<K, O>,
    _i: PhantomData<fn(I)>,
}

impl<K, I, O, KS, F> KeyedProcessOp<K, I, O, KS, F>
where
    K: Key,
    I: Send + 'static,
    O: Data,
    KS: Fn(&I) -> K + Send,
    F: KeyedProcessFunction<K, I, O>,
{
    pub(crate) fn new(
        key_selector: KS,
        mut f: F,
        range: KeyGroupRange,
        max_parallelism: usize,
        down: Downstream<O>,
    ) -> Self {
        let mut rt = KeyedRuntime::new(range, max_parallelism, down);
        f.open(&mut rt.registry());
        Self {
            key_selector,
            f,
            rt,
            _i: PhantomData,
        }
    }
}

impl<K, I, O, KS, F> Control for KeyedProcessOp<K, I, O, KS, F>
where
    K: Key,
    I: Send + 'static,
    O: Data,
    KS: Fn(&I) -> K + Send,
    F: KeyedProcessFunction<K, I, O>,
{
    fn downstream(&mut self) -> Option<&mut dyn Control> {
        Some(&mut self.rt.down)
    }
    fn watermark(&mut self, watermark: Timestamp) {
        let f = &mut self.f;
        self.rt.on_watermark(watermark, |t, d, ctx| f.on_timer(t, d, ctx));
    }
    fn tick(&mut self, now: Timestamp) {
        let f = &mut self.f;
        self.rt.on_tick(now, |t, d, ctx| f.on_timer(t, d, ctx));
    }
    fn finish(&mut self) {
        let f = &mut self.f;
        self.rt.on_finish(|t, d, ctx| f.on_timer(t, d, ctx));
    }
    fn snapshot(&mut self, cp: &mut CheckpointCtx) {
        self.rt.snapshot(cp);
    }
}

impl<K, I, O, KS, F> Output<I> for KeyedProcessOp<K, I, O, KS, F>
where
    K: Key,
    I: Send + 'static,
    O: Data,
    KS: Fn(&I) -> K + Send,
    F: KeyedProcessFunction<K, I, O>,
{
    fn push(&mut self, batch: &mut Vec<Record<I>>) {
        self.rt
            .process_batch(batch, &self.key_selector, |v, ctx| self.f.process_element(v, ctx));
    }
}

// The API method of this family.
impl<K: Key, T: Data, KS: Fn(&T) -> K + Clone + Send + 'static> KeyedStream<K, T, KS> {
    /// Runs a [`KeyedProcessFunction`] with keyed state and timers.
    pub fn process<O: Data, F: KeyedProcessFunction<K, T, O>>(&self, f: F) -> DataStream<O> {
        let ks = self.key_selector.clone();
        self.stream
            .one_input("keyed-process", self.edge(0), move |ctx, down| {
                let range = Self::key_groups(ctx);
                let mut op = KeyedProcessOp::new(ks.clone(), f.clone(), range, ctx.max_parallelism, down);
                op.rt.attach(ctx);
                Box::new(op)
            })
    }
}
