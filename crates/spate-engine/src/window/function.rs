//! What a window computes: incremental aggregation or a function over all elements.

use std::marker::PhantomData;

use crate::record::{Data, Record, Window};

/// Accumulator-style aggregation (Flink's `AggregateFunction`): elements are folded into an
/// accumulator as they arrive, so a window holds one accumulator instead of its elements.
pub trait AggregateFunction<T>: Clone + Send + 'static {
    /// The running state.
    type Acc: crate::record::StateData;
    /// The result type.
    type Out: Data;
    /// A fresh accumulator.
    fn create(&self) -> Self::Acc;
    /// Folds one element in.
    fn add(&self, acc: &mut Self::Acc, value: T);
    /// Folds in an element that also goes into other windows (sliding windows give it to all
    /// but the last this way). Must have the same effect as [`add`](Self::add) of a clone,
    /// which is what the default does; an aggregate that only reads its elements implements
    /// it so overlapping windows do not copy (and drop) the element once per window.
    fn add_ref(&self, acc: &mut Self::Acc, value: &T)
    where
        T: Clone,
    {
        self.add(acc, value.clone());
    }
    /// Combines two accumulators (session windows merging).
    fn merge(&self, acc: &mut Self::Acc, other: Self::Acc);
    /// The result for the current accumulator (windows may fire more than once).
    fn result(&self, acc: &Self::Acc) -> Self::Out;
}

/// Counts elements.
#[derive(Debug, Clone, Copy, Default)]
pub struct Count;

impl<T> AggregateFunction<T> for Count {
    type Acc = u64;
    type Out = u64;
    #[inline]
    fn create(&self) -> u64 {
        0
    }
    #[inline]
    fn add(&self, acc: &mut u64, _: T) {
        *acc += 1;
    }
    fn merge(&self, acc: &mut u64, other: u64) {
        *acc += other;
    }
    fn result(&self, acc: &u64) -> u64 {
        *acc
    }
}

/// A window's result with its key and window bounds.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WindowResult<K, R> {
    /// The key.
    pub key: K,
    /// The window (`start`, `end`).
    pub window: Window,
    /// The aggregate.
    pub value: R,
}

/// A function over all elements of a window (they are buffered until it fires).
/// Implemented for closures `FnMut(&K, &Window, &[T], &mut Vec<O>)`.
pub trait ProcessWindowFunction<K, T, O>: Clone + Send + 'static {
    /// Called when the window fires; pushes results to `out`.
    fn process(&mut self, key: &K, window: &Window, elements: &[T], out: &mut Vec<O>);
}

impl<K, T, O, F> ProcessWindowFunction<K, T, O> for F
where
    F: FnMut(&K, &Window, &[T], &mut Vec<O>) + Clone + Send + 'static,
{
    fn process(&mut self, key: &K, window: &Window, elements: &[T], out: &mut Vec<O>) {
        self(key, window, elements, out)
    }
}

/// The window operator's view of a window function.
pub(crate) trait WindowFn<K, T>: Send + 'static {
    type Acc: crate::record::StateData;
    type Out: Data;
    fn create(&self) -> Self::Acc;
    fn add(&self, acc: &mut Self::Acc, value: T);
    /// As [`AggregateFunction::add_ref`].
    fn add_ref(&self, acc: &mut Self::Acc, value: &T)
    where
        T: Clone,
    {
        self.add(acc, value.clone());
    }
    fn merge(&self, acc: &mut Self::Acc, other: Self::Acc);
    fn emit(&mut self, key: &K, window: &Window, acc: &Self::Acc, out: &mut Vec<Record<Self::Out>>);
}

pub(crate) struct AggregateWindowFn<A>(pub(crate) A);

impl<K: Data, T, A: AggregateFunction<T>> WindowFn<K, T> for AggregateWindowFn<A> {
    type Acc = A::Acc;
    type Out = WindowResult<K, A::Out>;
    #[inline]
    fn create(&self) -> A::Acc {
        self.0.create()
    }
    #[inline]
    fn add(&self, acc: &mut A::Acc, value: T) {
        self.0.add(acc, value)
    }
    #[inline]
    fn add_ref(&self, acc: &mut A::Acc, value: &T)
    where
        T: Clone,
    {
        self.0.add_ref(acc, value)
    }
    fn merge(&self, acc: &mut A::Acc, other: A::Acc) {
        self.0.merge(acc, other)
    }
    fn emit(&mut self, key: &K, window: &Window, acc: &A::Acc, out: &mut Vec<Record<Self::Out>>) {
        let value = WindowResult {
            key: key.clone(),
            window: *window,
            value: self.0.result(acc),
        };
        out.push(Record::new(window.max_timestamp(), value));
    }
}

/// Where the output of one fired window goes, for [`aggregate_into`]: each value emitted is a
/// record at the window's [`max_timestamp`](Window::max_timestamp).
///
/// [`aggregate_into`]: super::WindowedStream::aggregate_into
#[derive(Debug)]
pub struct WindowEmitter<'a, O> {
    out: &'a mut Vec<Record<O>>,
    timestamp: crate::record::Timestamp,
}

impl<O> WindowEmitter<'_, O> {
    /// Emits `value`.
    #[inline]
    pub fn emit(&mut self, value: O) {
        self.out.push(Record {
            timestamp: self.timestamp,
            value,
        });
    }

    /// The timestamp every record of this window carries.
    #[inline]
    pub fn timestamp(&self) -> crate::record::Timestamp {
        self.timestamp
    }

    /// The output records themselves, for a caller that builds a record in place (each record
    /// pushed must carry [`timestamp`](Self::timestamp)).
    #[inline]
    pub fn records(&mut self) -> &mut Vec<Record<O>> {
        self.out
    }
}

/// An aggregate whose result `f` emits as the window fires (Flink's
/// `aggregate(AggregateFunction, ProcessWindowFunction)` with its `Collector`): no
/// [`WindowResult`] in between, and a value made inside `f` is stored straight into the output
/// batch. Returned from `f` instead, a row went through a
/// stack copy whose 16-byte loads straddled the 8-byte stores that had just made it, which
/// the CPU cannot forward (`perf annotate` put about half of `emit`'s samples on that load
/// in SQL's window aggregates).
#[derive(Clone)]
pub(crate) struct AggregateIntoFn<A, F, O> {
    pub(crate) aggregate: A,
    pub(crate) f: F,
    pub(crate) _out: PhantomData<fn() -> O>,
}

impl<K, T, O, A, F> WindowFn<K, T> for AggregateIntoFn<A, F, O>
where
    O: Data,
    A: AggregateFunction<T>,
    F: FnMut(&K, &Window, A::Out, &mut WindowEmitter<'_, O>) + Send + 'static,
{
    type Acc = A::Acc;
    type Out = O;
    #[inline]
    fn create(&self) -> A::Acc {
        self.aggregate.create()
    }
    #[inline]
    fn add(&self, acc: &mut A::Acc, value: T) {
        self.aggregate.add(acc, value)
    }
    #[inline]
    fn add_ref(&self, acc: &mut A::Acc, value: &T)
    where
        T: Clone,
    {
        self.aggregate.add_ref(acc, value)
    }
    fn merge(&self, acc: &mut A::Acc, other: A::Acc) {
        self.aggregate.merge(acc, other)
    }
    #[inline(always)]
    fn emit(&mut self, key: &K, window: &Window, acc: &A::Acc, out: &mut Vec<Record<O>>) {
        let mut emitter = WindowEmitter {
            out,
            timestamp: window.max_timestamp(),
        };
        (self.f)(key, window, self.aggregate.result(acc), &mut emitter);
    }
}

/// Reduce as an aggregate: the accumulator is the reduction so far.
#[derive(Clone)]
pub(crate) struct ReduceAggregate<T, F> {
    pub(crate) f: F,
    pub(crate) _t: PhantomData<fn() -> T>,
}

impl<T: Data + crate::record::StateData, F: Fn(T, T) -> T + Clone + Send + 'static> AggregateFunction<T>
    for ReduceAggregate<T, F>
{
    type Acc = Option<T>;
    type Out = T;
    fn create(&self) -> Option<T> {
        None
    }
    fn add(&self, acc: &mut Option<T>, value: T) {
        *acc = Some(match acc.take() {
            None => value,
            Some(a) => (self.f)(a, value),
        });
    }
    fn merge(&self, acc: &mut Option<T>, other: Option<T>) {
        if let Some(o) = other {
            self.add(acc, o);
        }
    }
    fn result(&self, acc: &Option<T>) -> T {
        acc.clone()
            .expect("a window only exists once an element was added")
    }
}

pub(crate) struct ProcessWindowFn<P, O> {
    pub(crate) f: P,
    pub(crate) scratch: Vec<O>,
}

impl<K, T: Data + crate::record::StateData, O: Data, P: ProcessWindowFunction<K, T, O>> WindowFn<K, T>
    for ProcessWindowFn<P, O>
{
    type Acc = Vec<T>;
    type Out = O;
    fn create(&self) -> Vec<T> {
        Vec::new()
    }
    fn add(&self, acc: &mut Vec<T>, value: T) {
        acc.push(value);
    }
    fn merge(&self, acc: &mut Vec<T>, mut other: Vec<T>) {
        acc.append(&mut other);
    }
    fn emit(&mut self, key: &K, window: &Window, acc: &Vec<T>, out: &mut Vec<Record<O>>) {
        self.scratch.clear();
        self.f.process(key, window, acc, &mut self.scratch);
        let ts = window.max_timestamp();
        out.extend(self.scratch.drain(..).map(|v| Record::new(ts, v)));
    }
}
