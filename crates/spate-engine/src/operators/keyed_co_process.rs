//! Keyed co-process functions: two keyed streams connected by key, sharing keyed state and
//! timers (Flink's `KeyedCoProcessFunction`).
//!
//! Both inputs are hash-partitioned by their key selectors, which must produce the same key type,
//! so elements of either input with equal keys meet on the same subtask and see the same state.

use std::marker::PhantomData;

use crate::keygroup::KeyGroupRange;
use crate::operators::two_input::TwoInputOperator;
use crate::record::{Data, Key, Record, Timestamp};
use crate::runtime::output::Control;
use crate::runtime::output::Downstream;
use crate::state::StateRegistry;
use crate::state::keyed_runtime::{KeyedContext, KeyedRuntime, TimeDomain};
use crate::stream::{DataStream, KeyedStream};

/// A function over two keyed inputs with keyed state and timers. Both `process_element` methods
/// and `on_timer` run with the element's (timer's) key current, on one subtask, never
/// concurrently. Timers behave as for [`crate::operators::keyed_process::KeyedProcessFunction`], including
/// at the end of bounded input.
pub trait KeyedCoProcessFunction<K, A, B, O>: Clone + Send + 'static {
    /// Registers state handles; called once per subtask before any element.
    fn open(&mut self, states: &mut StateRegistry<'_, K>) {
        let _ = states;
    }
    /// An element of the first input.
    fn process_element1(&mut self, value: A, ctx: &mut KeyedContext<'_, K, O>);
    /// An element of the second input.
    fn process_element2(&mut self, value: B, ctx: &mut KeyedContext<'_, K, O>);
    /// A timer of the current key fired.
    fn on_timer(&mut self, time: Timestamp, domain: TimeDomain, ctx: &mut KeyedContext<'_, K, O>) {
        let _ = (time, domain, ctx);
    }
}

/// Two keyed streams with the same key type, connected for a [`KeyedCoProcessFunction`].
pub struct KeyedConnectedStreams<K, A, B, KA, KB> {
    pub(crate) first: KeyedStream<K, A, KA>,
    pub(crate) second: KeyedStream<K, B, KB>,
}

impl<K, A, B, KA, KB> std::fmt::Debug for KeyedConnectedStreams<K, A, B, KA, KB> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyedConnectedStreams").finish_non_exhaustive()
    }
}

impl<K, A, KA> KeyedStream<K, A, KA>
where
    K: Key,
    A: Data,
    KA: Fn(&A) -> K + Clone + Send + 'static,
{
    /// Connects with another keyed stream of the same key type.
    pub fn connect<B, KB>(&self, other: &KeyedStream<K, B, KB>) -> KeyedConnectedStreams<K, A, B, KA, KB>
    where
        B: Data,
        KB: Fn(&B) -> K + Clone + Send + 'static,
    {
        KeyedConnectedStreams {
            first: self.clone(),
            second: other.clone(),
        }
    }
}

impl<K, A, B, KA, KB> KeyedConnectedStreams<K, A, B, KA, KB>
where
    K: Key,
    A: Data,
    B: Data,
    KA: Fn(&A) -> K + Clone + Send + 'static,
    KB: Fn(&B) -> K + Clone + Send + 'static,
{
    /// Runs a [`KeyedCoProcessFunction`] over both inputs.
    pub fn process<O: Data, F: KeyedCoProcessFunction<K, A, B, O>>(&self, f: F) -> DataStream<O> {
        self.process_named("keyed-co-process", f)
    }

    pub(crate) fn process_named<O: Data, F: KeyedCoProcessFunction<K, A, B, O>>(
        &self,
        name: &str,
        f: F,
    ) -> DataStream<O> {
        let ka = self.first.key_selector.clone();
        let kb = self.second.key_selector.clone();
        self.first
            .stream
            .two_input(name, self.first.edge(0), self.second.edge(1), move |ctx, down| {
                let range = KeyGroupRange::for_subtask(ctx.subtask, ctx.parallelism, ctx.max_parallelism);
                let mut op = KeyedCoProcessOp::new(
                    ka.clone(),
                    kb.clone(),
                    f.clone(),
                    range,
                    ctx.max_parallelism,
                    down,
                );
                op.rt.attach(ctx);
                op
            })
    }
}

pub(crate) struct KeyedCoProcessOp<K, A, B, O, KA, KB, F> {
    ka: KA,
    kb: KB,
    f: F,
    rt: KeyedRuntime<K, O>,
    _t: PhantomData<fn(A, B)>,
}

impl<K, A, B, O, KA, KB, F> KeyedCoProcessOp<K, A, B, O, KA, KB, F>
where
    K: Key,
    O: Data,
    F: KeyedCoProcessFunction<K, A, B, O>,
{
    fn new(
        ka: KA,
        kb: KB,
        mut f: F,
        range: KeyGroupRange,
        max_parallelism: usize,
        down: Downstream<O>,
    ) -> Self {
        let mut rt = KeyedRuntime::new(range, max_parallelism, down);
        f.open(&mut rt.registry());
        Self {
            ka,
            kb,
            f,
            rt,
            _t: PhantomData,
        }
    }
}

impl<K, A, B, O, KA, KB, F> KeyedCoProcessOp<K, A, B, O, KA, KB, F>
where
    K: Key,
    A: Send + 'static,
    B: Send + 'static,
    O: Data,
    KA: Send,
    KB: Send,
    F: KeyedCoProcessFunction<K, A, B, O>,
{
    /// Finishes in one go a watermark's firing that stopped under backpressure.
    fn complete_firing(&mut self) {
        let f = &mut self.f;
        self.rt
            .resume_firing(false, &mut |t, d, ctx| f.on_timer(t, d, ctx));
    }
}

impl<K, A, B, O, KA, KB, F> Control for KeyedCoProcessOp<K, A, B, O, KA, KB, F>
where
    K: Key,
    A: Send + 'static,
    B: Send + 'static,
    O: Data,
    KA: Send,
    KB: Send,
    F: KeyedCoProcessFunction<K, A, B, O>,
{
    super::resumable_timer_control::resumable_timer_control!();
}

impl<K, A, B, O, KA, KB, F> TwoInputOperator<A, B> for KeyedCoProcessOp<K, A, B, O, KA, KB, F>
where
    K: Key,
    A: Send + 'static,
    B: Send + 'static,
    O: Data,
    KA: Fn(&A) -> K + Send,
    KB: Fn(&B) -> K + Send,
    F: KeyedCoProcessFunction<K, A, B, O>,
{
    fn push_first(&mut self, batch: &mut Vec<Record<A>>) {
        if self.rt.is_firing() {
            self.complete_firing();
        }
        self.rt
            .process_batch(batch, &self.ka, |v, ctx| self.f.process_element1(v, ctx));
    }
    fn push_second(&mut self, batch: &mut Vec<Record<B>>) {
        if self.rt.is_firing() {
            self.complete_firing();
        }
        self.rt
            .process_batch(batch, &self.kb, |v, ctx| self.f.process_element2(v, ctx));
    }
}
