//! Interval joins: per-key buffers of both sides, cleaned up by the watermark.
//!
//! An element is *late* when its timestamp is at or below the watermark (the watermark `w`
//! promises that no element with timestamp `<= w` follows) or when it has no timestamp; late
//! elements are dropped or sent to a side output and join with nothing. A buffered left element at `t` can only pair with right
//! elements up to `t + upper`, so it is dropped when the watermark reaches `t + max(upper, 0)`;
//! a right element at `t` is dropped at `t + max(-lower, 0)`. Every on-time pair is therefore
//! found exactly once, whichever side arrives first.

use std::collections::BTreeMap;

use crate::error::EngineError;
use crate::operators::keyed_co_process::{KeyedCoProcessFunction, KeyedConnectedStreams};
use crate::operators::keyed_process::{KeyedContext, TimeDomain};
use crate::record::{Data, Key, NO_TIMESTAMP, Record, Timestamp};
use crate::runtime::output::{Downstream, OutputTag};
use crate::state::{KeyedStateBackend, StateId, StateRegistry};
use crate::stream::{DataStream, KeyedStream};

/// What a [`ProcessJoinFunction`] sees for one joined pair.
pub struct JoinContext<'a, O> {
    left_timestamp: Timestamp,
    right_timestamp: Timestamp,
    down: &'a mut Downstream<O>,
}

impl<O> std::fmt::Debug for JoinContext<'_, O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JoinContext")
            .field("left_timestamp", &self.left_timestamp)
            .field("right_timestamp", &self.right_timestamp)
            .finish_non_exhaustive()
    }
}

impl<O: Data> JoinContext<'_, O> {
    /// The left element's timestamp.
    pub fn left_timestamp(&self) -> Timestamp {
        self.left_timestamp
    }
    /// The right element's timestamp.
    pub fn right_timestamp(&self) -> Timestamp {
        self.right_timestamp
    }
    /// The pair's timestamp: the larger of both.
    pub fn timestamp(&self) -> Timestamp {
        self.left_timestamp.max(self.right_timestamp)
    }
    /// Emits with the pair's timestamp.
    pub fn collect(&mut self, value: O) {
        let ts = self.timestamp();
        self.down.buffer.push(Record::new(ts, value));
    }
    /// Emits to a side output with the pair's timestamp.
    pub fn output<S: Data>(&mut self, tag: &OutputTag<S>, value: S) {
        let ts = self.timestamp();
        self.down.side.emit(tag.id, Record::new(ts, value));
    }
}

/// Called for every joined pair (Flink's `ProcessJoinFunction`). Implemented for closures
/// `FnMut(&A, &B, &mut JoinContext<O>)`.
pub trait ProcessJoinFunction<A, B, O>: Clone + Send + 'static {
    /// One pair of a left and a right element with equal keys within the interval.
    fn process_element(&mut self, left: &A, right: &B, ctx: &mut JoinContext<'_, O>);
}

impl<A, B, O, F> ProcessJoinFunction<A, B, O> for F
where
    F: FnMut(&A, &B, &mut JoinContext<'_, O>) + Clone + Send + 'static,
{
    fn process_element(&mut self, left: &A, right: &B, ctx: &mut JoinContext<'_, O>) {
        self(left, right, ctx)
    }
}

/// Two keyed streams to be interval-joined; set the interval with [`between`](Self::between).
pub struct IntervalJoin<K, A, B, KA, KB> {
    streams: KeyedConnectedStreams<K, A, B, KA, KB>,
}

/// An interval join with its bounds; finish it with [`process`](Self::process).
pub struct IntervalJoined<K, A, B, KA, KB> {
    streams: KeyedConnectedStreams<K, A, B, KA, KB>,
    lower: Timestamp,
    upper: Timestamp,
    left_late: Option<OutputTag<A>>,
    right_late: Option<OutputTag<B>>,
}

impl<K, A, B, KA, KB> std::fmt::Debug for IntervalJoin<K, A, B, KA, KB> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntervalJoin").finish_non_exhaustive()
    }
}

impl<K, A, B, KA, KB> std::fmt::Debug for IntervalJoined<K, A, B, KA, KB> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntervalJoined")
            .field("lower", &self.lower)
            .field("upper", &self.upper)
            .finish_non_exhaustive()
    }
}

impl<K, A, KA> KeyedStream<K, A, KA>
where
    K: Key,
    A: Data,
    KA: Fn(&A) -> K + Clone + Send + 'static,
{
    /// Starts an interval join with another keyed stream of the same key type.
    pub fn interval_join<B, KB>(&self, other: &KeyedStream<K, B, KB>) -> IntervalJoin<K, A, B, KA, KB>
    where
        B: Data,
        KB: Fn(&B) -> K + Clone + Send + 'static,
    {
        IntervalJoin {
            streams: self.connect(other),
        }
    }
}

impl<K, A, B, KA, KB> IntervalJoin<K, A, B, KA, KB> {
    /// Pairs `a` with `b` when `a.ts + lower <= b.ts <= a.ts + upper` (milliseconds, either may
    /// be negative). An error when `lower > upper`.
    pub fn between(
        self,
        lower: Timestamp,
        upper: Timestamp,
    ) -> Result<IntervalJoined<K, A, B, KA, KB>, EngineError> {
        if lower > upper {
            return Err(EngineError::InvalidConfig(format!(
                "interval join lower bound {lower} is above upper bound {upper}"
            )));
        }
        Ok(IntervalJoined {
            streams: self.streams,
            lower,
            upper,
            left_late: None,
            right_late: None,
        })
    }
}

impl<K, A, B, KA, KB> IntervalJoined<K, A, B, KA, KB>
where
    K: Key,
    A: Data + crate::record::StateData,
    B: Data + crate::record::StateData,
    KA: Fn(&A) -> K + Clone + Send + 'static,
    KB: Fn(&B) -> K + Clone + Send + 'static,
{
    /// Excludes `b.ts == a.ts + lower`.
    pub fn lower_bound_exclusive(mut self) -> Self {
        self.lower = self.lower.saturating_add(1);
        self
    }

    /// Excludes `b.ts == a.ts + upper`.
    pub fn upper_bound_exclusive(mut self) -> Self {
        self.upper = self.upper.saturating_sub(1);
        self
    }

    /// Sends late left elements to `tag` instead of dropping them.
    pub fn side_output_left_late_data(mut self, tag: &OutputTag<A>) -> Self {
        self.left_late = Some(tag.clone());
        self
    }

    /// Sends late right elements to `tag` instead of dropping them.
    pub fn side_output_right_late_data(mut self, tag: &OutputTag<B>) -> Self {
        self.right_late = Some(tag.clone());
        self
    }

    /// Calls `f` for every pair.
    pub fn process<O: Data, F: ProcessJoinFunction<A, B, O>>(self, f: F) -> DataStream<O> {
        let join = IntervalJoinFn {
            f,
            lower: self.lower,
            upper: self.upper,
            left_late: self.left_late,
            right_late: self.right_late,
            left: None,
            right: None,
        };
        self.streams.process_named("interval-join", join)
    }
}

/// One side's buffer for a key: elements by timestamp.
type Buffer<T> = BTreeMap<Timestamp, Vec<T>>;

#[derive(Clone)]
struct IntervalJoinFn<A, B, F> {
    f: F,
    lower: Timestamp,
    upper: Timestamp,
    left_late: Option<OutputTag<A>>,
    right_late: Option<OutputTag<B>>,
    left: Option<StateId>,
    right: Option<StateId>,
}

fn is_late(ts: Timestamp, watermark: Timestamp) -> bool {
    ts == NO_TIMESTAMP || ts <= watermark
}

/// Drops the entries of `buffer` with a timestamp at or below `upto`.
fn drop_upto<T>(buffer: &mut Buffer<T>, upto: Timestamp) {
    match upto.checked_add(1) {
        Some(keep_from) => *buffer = buffer.split_off(&keep_from),
        None => buffer.clear(),
    }
}

impl<K, A, B, O, F> KeyedCoProcessFunction<K, A, B, O> for IntervalJoinFn<A, B, F>
where
    K: Key,
    A: Data + crate::record::StateData,
    B: Data + crate::record::StateData,
    O: Data,
    F: ProcessJoinFunction<A, B, O>,
{
    fn open(&mut self, states: &mut StateRegistry<'_, K>) {
        self.left = Some(states.backend.register::<Buffer<A>>("interval-join-left"));
        self.right = Some(states.backend.register::<Buffer<B>>("interval-join-right"));
    }

    fn process_element1(&mut self, value: A, ctx: &mut KeyedContext<'_, K, O>) {
        let ts = ctx.timestamp();
        if is_late(ts, ctx.current_watermark()) {
            if let Some(tag) = &self.left_late {
                ctx.output(tag, value);
            }
            return;
        }
        let (Some(left_id), Some(right_id)) = (self.left, self.right) else {
            return;
        };
        let (lo, hi) = (ts.saturating_add(self.lower), ts.saturating_add(self.upper));
        {
            let (backend, kg, key, down) = ctx.parts();
            if let Some(right) = backend.get::<Buffer<B>>(right_id, kg, key) {
                for (&rts, values) in right.range(lo..=hi) {
                    let mut jc = JoinContext {
                        left_timestamp: ts,
                        right_timestamp: rts,
                        down: &mut *down,
                    };
                    for b in values {
                        self.f.process_element(&value, b, &mut jc);
                    }
                }
            }
            if let Some(left) = backend.get_or_insert_with(left_id, kg, key, Buffer::<A>::new) {
                left.entry(ts).or_default().push(value);
            }
        }
        ctx.register_event_time_timer(ts.saturating_add(self.upper.max(0)));
    }

    fn process_element2(&mut self, value: B, ctx: &mut KeyedContext<'_, K, O>) {
        let ts = ctx.timestamp();
        if is_late(ts, ctx.current_watermark()) {
            if let Some(tag) = &self.right_late {
                ctx.output(tag, value);
            }
            return;
        }
        let (Some(left_id), Some(right_id)) = (self.left, self.right) else {
            return;
        };
        // b pairs with a when a.ts in [b.ts - upper, b.ts - lower].
        let (lo, hi) = (ts.saturating_sub(self.upper), ts.saturating_sub(self.lower));
        {
            let (backend, kg, key, down) = ctx.parts();
            if let Some(left) = backend.get::<Buffer<A>>(left_id, kg, key) {
                for (&lts, values) in left.range(lo..=hi) {
                    let mut jc = JoinContext {
                        left_timestamp: lts,
                        right_timestamp: ts,
                        down: &mut *down,
                    };
                    for a in values {
                        self.f.process_element(a, &value, &mut jc);
                    }
                }
            }
            if let Some(right) = backend.get_or_insert_with(right_id, kg, key, Buffer::<B>::new) {
                right.entry(ts).or_default().push(value);
            }
        }
        let neg_lower = self.lower.checked_neg().unwrap_or(Timestamp::MAX);
        ctx.register_event_time_timer(ts.saturating_add(neg_lower.max(0)));
    }

    fn on_timer(&mut self, time: Timestamp, _: TimeDomain, ctx: &mut KeyedContext<'_, K, O>) {
        let (Some(left_id), Some(right_id)) = (self.left, self.right) else {
            return;
        };
        let neg_lower = self.lower.checked_neg().unwrap_or(Timestamp::MAX);
        let (backend, kg, key, _) = ctx.parts();
        let mut left_empty = false;
        if let Some(left) = backend.get_mut::<Buffer<A>>(left_id, kg, key) {
            drop_upto(left, time.saturating_sub(self.upper.max(0)));
            left_empty = left.is_empty();
        }
        if left_empty {
            backend.remove::<Buffer<A>>(left_id, kg, key);
        }
        let mut right_empty = false;
        if let Some(right) = backend.get_mut::<Buffer<B>>(right_id, kg, key) {
            drop_upto(right, time.saturating_sub(neg_lower.max(0)));
            right_empty = right.is_empty();
        }
        if right_empty {
            backend.remove::<Buffer<B>>(right_id, kg, key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keygroup::KeyGroupRange;
    use crate::runtime::output::{Discard, SideOutputs};
    use crate::state::keyed_runtime::KeyedRuntime;

    type Pair = (u64, u64);
    type Join = fn(&u64, &u64, &mut JoinContext<'_, Pair>);

    fn entries(rt: &KeyedRuntime<u64, Pair>) -> usize {
        (0..8).map(|kg| rt.backend.entries_in_key_group(kg)).sum()
    }

    #[test]
    fn buffers_are_dropped_once_the_watermark_passes_their_last_partner_time() {
        let mut rt: KeyedRuntime<u64, Pair> = KeyedRuntime::new(
            KeyGroupRange::for_subtask(0, 1, 8),
            8,
            Downstream::new(Box::new(Discard), SideOutputs::default()),
        );
        let mut f = IntervalJoinFn::<u64, u64, Join> {
            f: |a, b, ctx| ctx.collect((*a, *b)),
            lower: -5,
            upper: 10,
            left_late: None,
            right_late: None,
            left: None,
            right: None,
        };
        <IntervalJoinFn<u64, u64, Join> as KeyedCoProcessFunction<u64, u64, u64, Pair>>::open(
            &mut f,
            &mut rt.registry(),
        );
        let (k1, k2) = (1u64, 2u64);
        // Left at 100 (key 1) can meet rights up to 110; right at 100 (key 2) lefts from 95
        // to 105, so it is needed until the watermark reaches 105.
        KeyedCoProcessFunction::process_element1(&mut f, 7, &mut rt.context(&k1, 100));
        KeyedCoProcessFunction::process_element2(&mut f, 8, &mut rt.context(&k2, 100));
        KeyedCoProcessFunction::process_element2(&mut f, 9, &mut rt.context(&k1, 108));
        assert_eq!(
            rt.down
                .buffer
                .iter()
                .map(|r| (r.timestamp, r.value))
                .collect::<Vec<_>>(),
            vec![(108, (7, 9))]
        );
        assert_eq!(entries(&rt), 3, "two keys' left/right buffers");
        let mut advance = |rt: &mut KeyedRuntime<u64, Pair>, w| {
            rt.on_watermark(w, |t, d, ctx| KeyedCoProcessFunction::on_timer(&mut f, t, d, ctx));
            entries(rt)
        };
        assert_eq!(advance(&mut rt, 104), 3);
        assert_eq!(advance(&mut rt, 105), 2, "key 2's right buffer is gone");
        assert_eq!(advance(&mut rt, 109), 2);
        assert_eq!(advance(&mut rt, 110), 1, "key 1's left buffer is gone");
        assert_eq!(advance(&mut rt, 113), 0, "key 1's right buffer (108 + 5) is gone");
    }
}
