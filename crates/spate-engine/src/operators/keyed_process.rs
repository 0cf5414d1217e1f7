//! Keyed process functions: per-key state and timers.

use std::marker::PhantomData;

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
/// alive. Event-time registrations are ignored from the final watermark on; processing-time
/// ones only from the end of input, so records that arrive after the final watermark (emitted by
/// an upstream operator's final processing-time timers) still get theirs fired.
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

impl<K, I, O, KS, F> KeyedProcessOp<K, I, O, KS, F>
where
    K: Key,
    I: Send + 'static,
    O: Data,
    KS: Fn(&I) -> K + Send,
    F: KeyedProcessFunction<K, I, O>,
{
    /// Finishes in one go a watermark's firing that stopped under backpressure.
    fn complete_firing(&mut self) {
        let f = &mut self.f;
        self.rt
            .resume_firing(false, &mut |t, d, ctx| f.on_timer(t, d, ctx));
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
    super::resumable_timer_control::resumable_timer_control!();
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
        if self.rt.is_firing() {
            self.complete_firing();
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyed_process::TimeDomain;
    use crate::operator_test_support::{Gated, Seen};
    use crate::record::MAX_WATERMARK;

    /// Registers a timer at each element's time; the timer emits its key.
    #[derive(Clone)]
    struct EchoAtTimer;

    impl KeyedProcessFunction<u64, u64, u64> for EchoAtTimer {
        fn process_element(&mut self, _: u64, ctx: &mut KeyedContext<'_, u64, u64>) {
            let at = ctx.timestamp();
            ctx.register_event_time_timer(at);
        }
        fn on_timer(&mut self, _: Timestamp, _: TimeDomain, ctx: &mut KeyedContext<'_, u64, u64>) {
            let key = *ctx.key();
            ctx.collect(key);
        }
    }

    type Op = KeyedProcessOp<u64, u64, u64, fn(&u64) -> u64, EchoAtTimer>;

    fn key_of(v: &u64) -> u64 {
        *v
    }

    const KEYS: u64 = 5000;

    /// An operator with one timer per key at time 5, writing into a closed gate.
    fn new_op() -> (Op, Gated<u64>) {
        let out = Gated::closed();
        let mut op = KeyedProcessOp::new(
            key_of as fn(&u64) -> u64,
            EchoAtTimer,
            KeyGroupRange::for_subtask(0, 1, 128),
            128,
            out.downstream(),
        );
        let mut batch: Vec<Record<u64>> = (0..KEYS).map(|k| Record::new(5, k)).collect();
        op.push(&mut batch);
        (op, out)
    }

    #[test]
    fn timers_stop_firing_under_backpressure_and_flush_fires_the_rest_before_the_watermark() {
        let (mut op, out) = new_op();
        op.watermark(100);
        assert_eq!(
            out.records(),
            1024,
            "one chunk, then the closed output stops the firing"
        );
        assert!(!op.flush());
        assert_eq!(out.records(), 1024);
        out.open();
        assert!(op.flush());
        let log = out.seen();
        assert_eq!(out.records(), KEYS as usize);
        assert_eq!(log.last(), Some(&Seen::Watermark(100)));
        let mut keys: Vec<u64> = log
            .iter()
            .filter_map(|e| match e {
                Seen::Record(k) => Some(*k),
                Seen::Watermark(_) => None,
            })
            .collect();
        keys.sort_unstable();
        assert_eq!(keys, (0..KEYS).collect::<Vec<_>>(), "every timer fired once");
    }

    #[test]
    fn other_signals_finish_a_stopped_timer_firing_first() {
        // A batch: its element's timer comes after the rest of the firing and the watermark.
        let (mut op, out) = new_op();
        op.watermark(100);
        op.push(&mut vec![Record::new(150, 9_999)]);
        op.watermark(200);
        let log = out.seen();
        let n = KEYS as usize;
        assert_eq!(log[n], Seen::Watermark(100));
        assert_eq!(log[n + 1], Seen::Record(9_999));
        assert_eq!(log[n + 2], Seen::Watermark(200));

        // A barrier: the firing completes (results, then the watermark) before the snapshot.
        let (mut op, out) = new_op();
        op.watermark(100);
        // Not attached to a job, so the checkpoint itself is declined; the order is the point.
        op.checkpoint(&mut crate::checkpoint::CheckpointCtx::new(
            crate::checkpoint::Barrier {
                id: 1,
                savepoint: false,
            },
        ));
        assert_eq!(out.records(), n);
        assert_eq!(out.seen().last(), Some(&Seen::Watermark(100)));

        // The end of input.
        let (mut op, out) = new_op();
        op.watermark(MAX_WATERMARK);
        op.finish();
        assert_eq!(out.records(), n);
    }
}
