//! Sliding count windows: every `slide` elements of a key, a window over its last `size`
//! elements (Flink's `countWindow(size, slide)`: global windows, a count evictor keeping `size`
//! elements and a count trigger firing every `slide`).
//!
//! Elements must be kept (the evictor drops the oldest), so each key holds a ring buffer of at
//! most `size` elements, and each firing folds the buffer into a fresh accumulator. Elements
//! after the last firing of a key are discarded at end of input, as for tumbling count windows.

use std::collections::VecDeque;
use std::marker::PhantomData;

use rustc_hash::FxHashMap;

use crate::operators::{Downstream, delegate_control};
use crate::record::{Data, Key, Record, Window};
use crate::runtime::output::Output;
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
    T: Data,
    KS: Fn(&T) -> K + Clone + Send + 'static,
{
    fn apply<WF: WindowFn<K, T> + Clone>(self, name: &str, wf: WF) -> DataStream<WF::Out> {
        let ks = self.keyed.key_selector.clone();
        let (size, slide) = (self.size, self.slide);
        self.keyed
            .stream
            .one_input(name, self.keyed.edge(0), move |_, down| {
                Box::new(SlidingCountWindowOp {
                    key_selector: ks.clone(),
                    wf: wf.clone(),
                    size,
                    slide,
                    keys: FxHashMap::default(),
                    down,
                })
            })
    }

    /// Reduces each window.
    pub fn reduce<F>(self, f: F) -> DataStream<WindowResult<K, T>>
    where
        T: crate::record::StateData,
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
    pub fn process<O: Data, P: ProcessWindowFunction<K, T, O>>(self, f: P) -> DataStream<O>
    where
        T: crate::record::StateData,
    {
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
}

delegate_control!(no_checkpoint "sliding count windows", SlidingCountWindowOp<K, T, KS, WF> where K: Key, T: Data, KS: Send, WF: WindowFn<K, T>);

impl<K, T, KS, WF> Output<T> for SlidingCountWindowOp<K, T, KS, WF>
where
    K: Key,
    T: Data,
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
