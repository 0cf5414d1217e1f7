//! Sliding count windows: every `slide` elements of a key, a window over its last `size`
//! elements (Flink's `countWindow(size, slide)`: global windows, a count evictor keeping `size`
//! elements and a count trigger firing every `slide`).
//!
//! Elements must be kept (the evictor drops the oldest), so each key holds a ring buffer of at
//! most `size` elements, and each firing folds the buffer into a fresh accumulator. Elements
//! after the last firing of a key are discarded at end of input, as for tumbling count windows.
//!
//! Checkpoints hold, per key group, each key's buffered elements (oldest first) and the count
//! since its last firing.

use std::collections::VecDeque;
use std::marker::PhantomData;

use rustc_hash::FxHashMap;

use crate::checkpoint::CheckpointCtx;
use crate::checkpoint::snapshot::{OperatorIdentity, decode, group_by_key_group};
use crate::record::{Data, Key, Record, StateData, Window};
use crate::runtime::output::Output;
use crate::runtime::output::{Control, Downstream};
use crate::stream::{DataStream, KeyedStream};
use crate::window::function::{AggregateWindowFn, ProcessWindowFn, ReduceAggregate, WindowFn};
use crate::window::{AggregateFunction, Count, ProcessWindowFunction, WindowResult};

/// A keyed stream in sliding count windows; finish it with `reduce`, `aggregate`, `count` or
/// `process`. Results carry the global window.
pub struct SlidingCountWindowedStream<K, T, KS> {
    keyed: KeyedStream<K, T, KS>,
    size: usize,
    slide: u64,
}

impl<K, T, KS> std::fmt::Debug for SlidingCountWindowedStream<K, T, KS> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlidingCountWindowedStream")
            .field("size", &self.size)
            .field("slide", &self.slide)
            .finish_non_exhaustive()
    }
}

impl<K, T, KS> KeyedStream<K, T, KS>
where
    K: Key,
    T: Data,
    KS: Fn(&T) -> K + Clone + Send + 'static,
{
    /// Sliding count windows: every `slide` elements of a key, the last `size` of them (fewer
    /// while a key has not seen `size` yet). Zero sizes and slides count as one.
    pub fn count_window_sliding(&self, size: u64, slide: u64) -> SlidingCountWindowedStream<K, T, KS> {
        SlidingCountWindowedStream {
            keyed: self.clone(),
            size: usize::try_from(size.max(1)).unwrap_or(usize::MAX),
            slide: slide.max(1),
        }
    }
}

impl<K, T, KS> SlidingCountWindowedStream<K, T, KS>
where
    K: Key,
    T: Data + StateData,
    KS: Fn(&T) -> K + Clone + Send + 'static,
{
    fn apply<WF: WindowFn<K, T> + Clone>(self, name: &str, wf: WF) -> DataStream<WF::Out> {
        let ks = self.keyed.key_selector.clone();
        let (size, slide) = (self.size, self.slide);
        self.keyed
            .stream
            .one_input(name, self.keyed.edge(0), move |ctx, down| {
                let op = SlidingCountWindowOp {
                    key_selector: ks.clone(),
                    wf: wf.clone(),
                    size,
                    slide,
                    keys: FxHashMap::default(),
                    down,
                    identity: ctx.identity(),
                    max_parallelism: ctx.max_parallelism,
                };
                Box::new(ctx.restored(op, SlidingCountWindowOp::restore))
            })
    }

    /// Reduces each window.
    pub fn reduce<F>(self, f: F) -> DataStream<WindowResult<K, T>>
    where
        F: Fn(T, T) -> T + Clone + Send + 'static,
    {
        self.apply(
            "count-window-reduce",
            AggregateWindowFn(ReduceAggregate { f, _t: PhantomData }),
        )
    }

    /// Aggregates each window.
    pub fn aggregate<A: AggregateFunction<T>>(self, aggregate: A) -> DataStream<WindowResult<K, A::Out>> {
        self.apply("count-window-aggregate", AggregateWindowFn(aggregate))
    }

    /// Counts each window's elements.
    pub fn count(self) -> DataStream<WindowResult<K, u64>> {
        self.aggregate(Count)
    }

    /// Calls `f` on each window's elements (oldest first).
    pub fn process<O: Data, P: ProcessWindowFunction<K, T, O>>(self, f: P) -> DataStream<O> {
        self.apply(
            "count-window-process",
            ProcessWindowFn {
                f,
                scratch: Vec::new(),
            },
        )
    }
}

struct KeyWindow<T> {
    elements: VecDeque<T>,
    since_fire: u64,
}

struct SlidingCountWindowOp<K, T, KS, WF: WindowFn<K, T>> {
    key_selector: KS,
    wf: WF,
    size: usize,
    slide: u64,
    keys: FxHashMap<K, KeyWindow<T>>,
    down: Downstream<WF::Out>,
    identity: OperatorIdentity,
    max_parallelism: usize,
}

/// One key as checkpointed: its buffered elements (oldest first) and the count since it fired.
type KeyEntry<T> = (VecDeque<T>, u64);

impl<K, T, KS, WF> SlidingCountWindowOp<K, T, KS, WF>
where
    K: Key,
    T: Data + StateData,
    WF: WindowFn<K, T>,
{
    /// Loads checkpointed key groups (before any input). A job resumed with a smaller window
    /// size keeps the newest elements, as the evictor would have.
    fn restore(&mut self, groups: &[(usize, Vec<u8>)]) -> Result<(), String> {
        for (_, bytes) in groups {
            let entries: Vec<(K, KeyEntry<T>)> = decode(bytes)?;
            for (key, (mut elements, since_fire)) in entries {
                while elements.len() > self.size {
                    elements.pop_front();
                }
                let since_fire = since_fire.min(self.slide - 1);
                self.keys.insert(key, KeyWindow { elements, since_fire });
            }
        }
        Ok(())
    }
}

impl<K, T, KS, WF> Control for SlidingCountWindowOp<K, T, KS, WF>
where
    K: Key,
    T: Data + StateData,
    KS: Send,
    WF: WindowFn<K, T>,
{
    fn downstream(&mut self) -> Option<&mut dyn Control> {
        Some(&mut self.down)
    }
    fn snapshot(&mut self, cp: &mut CheckpointCtx) {
        cp.touch(&self.identity);
        let entries = self.keys.iter().map(|(k, w)| (k, (&w.elements, w.since_fire)));
        for (kg, group) in group_by_key_group(entries, self.max_parallelism) {
            cp.add_key_group(&self.identity, kg, &group);
        }
    }
}

impl<K, T, KS, WF> Output<T> for SlidingCountWindowOp<K, T, KS, WF>
where
    K: Key,
    T: Data + StateData,
    KS: Fn(&T) -> K + Send,
    WF: WindowFn<K, T>,
{
    fn push(&mut self, batch: &mut Vec<Record<T>>) {
        for r in batch.drain(..) {
            let key = (self.key_selector)(&r.value);
            let state = self.keys.entry(key.clone()).or_insert_with(|| KeyWindow {
                elements: VecDeque::new(),
                since_fire: 0,
            });
            if state.elements.len() == self.size {
                state.elements.pop_front();
            }
            state.elements.push_back(r.value);
            state.since_fire += 1;
            if state.since_fire == self.slide {
                state.since_fire = 0;
                let mut acc = self.wf.create();
                for e in &state.elements {
                    self.wf.add(&mut acc, e.clone());
                }
                self.wf.emit(&key, &Window::global(), &acc, &mut self.down.buffer);
            }
        }
        self.down.emit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keygroup::{KeyGroupRange, key_group_of};
    use crate::operator_test_support::{Collect, checkpoint, downstream, identity, key_groups_in};
    use crate::window::function::AggregateWindowFn;
    use crate::window::function::ReduceAggregate;

    type Sum = AggregateWindowFn<ReduceAggregate<u64, fn(u64, u64) -> u64>>;
    type Op = SlidingCountWindowOp<u64, u64, fn(&u64) -> u64, Sum>;

    fn new(subtask: usize, parallelism: usize) -> (Op, Collect<WindowResult<u64, u64>>) {
        let out = Collect::new();
        let op = SlidingCountWindowOp {
            key_selector: (|v: &u64| v % 3) as fn(&u64) -> u64,
            wf: AggregateWindowFn(ReduceAggregate {
                f: (|a, b| a + b) as fn(u64, u64) -> u64,
                _t: PhantomData,
            }),
            size: 5,
            slide: 2,
            keys: FxHashMap::default(),
            down: downstream(&out),
            identity: identity(subtask, parallelism),
            max_parallelism: 128,
        };
        (op, out)
    }

    fn input(range: std::ops::Range<u64>) -> Vec<Record<u64>> {
        range.map(|i| Record::new(i as i64, i)).collect()
    }

    #[test]
    fn restored_ring_buffers_and_counts_give_the_same_windows() {
        let (mut reference, out) = new(0, 1);
        reference.push(&mut input(0..20));
        out.take();
        reference.push(&mut input(20..60));
        let mut expected: Vec<_> = out.take().into_iter().map(|r| r.value).collect();
        expected.sort();

        let (mut original, _) = new(0, 1);
        original.push(&mut input(0..20));
        let cp = checkpoint(&mut original);
        let mut got = Vec::new();
        for s in 0..2 {
            let (mut op, out) = new(s, 2);
            let range = KeyGroupRange::for_subtask(s, 2, 128);
            op.restore(&key_groups_in(&[&cp], range)).unwrap();
            let mut mine: Vec<_> = input(20..60)
                .into_iter()
                .filter(|r| range.contains(key_group_of(&(r.value % 3), 128)))
                .collect();
            op.push(&mut mine);
            got.extend(out.take().into_iter().map(|r| r.value));
        }
        got.sort();
        assert_eq!(got, expected);
    }
}
