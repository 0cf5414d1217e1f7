//! Broadcast state: a stream whose every element reaches every subtask of an operator writes
//! key/value maps that the other input reads (Flink's broadcast state pattern).
//!
//! - [`BroadcastProcessFunction`] joins a non-keyed stream with a broadcast stream;
//!   [`KeyedBroadcastProcessFunction`] joins a keyed stream (with keyed state and timers).
//! - Broadcast state is a set of maps named by [`BroadcastStateDescriptor`]s. Only the broadcast
//!   side gets `&mut BroadcastStates`; the other side gets `&BroadcastStates`, so it can read but
//!   never write: every subtask receives the same broadcast elements in the same order and so
//!   holds the same broadcast state (as long as the function derives it only from them).

use std::any::Any;
use std::hash::Hash;
use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rustc_hash::FxHashMap;

use crate::keyed_process::{KeyedContext, KeyedRuntime, TimeDomain};
use crate::keygroup::KeyGroupRange;
use crate::operators::{Downstream, ProcessContext};
use crate::record::{Data, Key, MIN_WATERMARK, Record, Timestamp};
use crate::runtime::output::Control;
use crate::state::StateRegistry;
use crate::stream::{DataStream, KeyedStream};
use crate::two_input::TwoInputOperator;

static NEXT_DESCRIPTOR: AtomicU64 = AtomicU64::new(1);

/// Names one broadcast map with its key and value types. Every call to [`new`](Self::new) makes
/// a distinct map, whatever the name; clones name the same map.
#[derive(Debug)]
pub struct BroadcastStateDescriptor<MK, MV> {
    id: u64,
    name: Arc<str>,
    _t: PhantomData<fn() -> (MK, MV)>,
}

impl<MK, MV> Clone for BroadcastStateDescriptor<MK, MV> {
    fn clone(&self) -> Self {
        Self {
            id: self.id,
            name: self.name.clone(),
            _t: PhantomData,
        }
    }
}

impl<MK, MV> BroadcastStateDescriptor<MK, MV> {
    /// A new broadcast map.
    pub fn new(name: &str) -> Self {
        Self {
            id: NEXT_DESCRIPTOR.fetch_add(1, Ordering::Relaxed),
            name: name.into(),
            _t: PhantomData,
        }
    }

    /// The map's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// The broadcast maps of one subtask (the checkpoint issue snapshots them once per operator,
/// since all subtasks hold the same).
#[derive(Default)]
pub struct BroadcastStates {
    maps: FxHashMap<u64, Box<dyn Any + Send>>,
}

impl std::fmt::Debug for BroadcastStates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BroadcastStates")
            .field("maps", &self.maps.len())
            .finish()
    }
}

/// Read access to one broadcast map (empty until the broadcast side writes it).
#[derive(Debug)]
pub struct ReadOnlyBroadcastState<'a, MK, MV> {
    map: Option<&'a FxHashMap<MK, MV>>,
}

impl<'a, MK: Hash + Eq, MV> ReadOnlyBroadcastState<'a, MK, MV> {
    /// The value under `key`.
    pub fn get(&self, key: &MK) -> Option<&'a MV> {
        self.map?.get(key)
    }
    /// Whether `key` is present.
    pub fn contains_key(&self, key: &MK) -> bool {
        self.map.is_some_and(|m| m.contains_key(key))
    }
    /// All entries (unordered).
    pub fn iter(&self) -> impl Iterator<Item = (&'a MK, &'a MV)> + use<'a, MK, MV> {
        self.map.into_iter().flat_map(|m| m.iter())
    }
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.map.map_or(0, |m| m.len())
    }
    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl BroadcastStates {
    /// Reads the map named by `descriptor`.
    pub fn get<MK, MV>(
        &self,
        descriptor: &BroadcastStateDescriptor<MK, MV>,
    ) -> ReadOnlyBroadcastState<'_, MK, MV>
    where
        MK: Hash + Eq + Send + 'static,
        MV: Send + 'static,
    {
        ReadOnlyBroadcastState {
            map: self
                .maps
                .get(&descriptor.id)
                .and_then(|m| m.downcast_ref::<FxHashMap<MK, MV>>()),
        }
    }

    /// The map named by `descriptor`, for writing (only the broadcast side can call this).
    pub fn get_mut<MK, MV>(&mut self, descriptor: &BroadcastStateDescriptor<MK, MV>) -> &mut FxHashMap<MK, MV>
    where
        MK: Hash + Eq + Send + 'static,
        MV: Send + 'static,
    {
        self.maps
            .entry(descriptor.id)
            .or_insert_with(|| Box::new(FxHashMap::<MK, MV>::default()))
            .downcast_mut()
            .expect("a descriptor id is unique to one descriptor, so its map has the descriptor's types")
    }
}

/// A function over a non-keyed stream and a broadcast stream (Flink's `BroadcastProcessFunction`).
pub trait BroadcastProcessFunction<A, B, O>: Clone + Send + 'static {
    /// An element of the non-broadcast input; broadcast state is read-only here.
    fn process_element(&mut self, value: A, state: &BroadcastStates, ctx: &mut ProcessContext<'_, O>);
    /// An element of the broadcast input (every subtask receives every one).
    fn process_broadcast_element(
        &mut self,
        value: B,
        state: &mut BroadcastStates,
        ctx: &mut ProcessContext<'_, O>,
    );
}

/// A function over a keyed stream and a broadcast stream (Flink's
/// `KeyedBroadcastProcessFunction`): keyed state and timers on the keyed side, broadcast state
/// written by the broadcast side and read by the keyed side and timers.
pub trait KeyedBroadcastProcessFunction<K, A, B, O>: Clone + Send + 'static {
    /// Registers keyed state handles; called once per subtask before any element.
    fn open(&mut self, states: &mut StateRegistry<'_, K>) {
        let _ = states;
    }
    /// An element of the keyed input, with its key current; broadcast state is read-only.
    fn process_element(&mut self, value: A, state: &BroadcastStates, ctx: &mut KeyedContext<'_, K, O>);
    /// An element of the broadcast input (no key is current).
    fn process_broadcast_element(
        &mut self,
        value: B,
        state: &mut BroadcastStates,
        ctx: &mut ProcessContext<'_, O>,
    );
    /// A timer of the current key fired (timers behave as for keyed process functions).
    fn on_timer(
        &mut self,
        time: Timestamp,
        domain: TimeDomain,
        state: &BroadcastStates,
        ctx: &mut KeyedContext<'_, K, O>,
    ) {
        let _ = (time, domain, state, ctx);
    }
}

/// A stream connected with a broadcast stream.
pub struct BroadcastConnectedStreams<A, B> {
    first: DataStream<A>,
    broadcast: DataStream<B>,
}

/// A keyed stream connected with a broadcast stream.
pub struct KeyedBroadcastConnectedStreams<K, A, B, KA> {
    first: KeyedStream<K, A, KA>,
    broadcast: DataStream<B>,
}

impl<A, B> std::fmt::Debug for BroadcastConnectedStreams<A, B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BroadcastConnectedStreams")
            .finish_non_exhaustive()
    }
}

impl<K, A, B, KA> std::fmt::Debug for KeyedBroadcastConnectedStreams<K, A, B, KA> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyedBroadcastConnectedStreams")
            .finish_non_exhaustive()
    }
}

impl<A: Data> DataStream<A> {
    /// Connects with `broadcast`, whose every element goes to every subtask of the operator.
    pub fn connect_broadcast<B: Data>(&self, broadcast: &DataStream<B>) -> BroadcastConnectedStreams<A, B> {
        BroadcastConnectedStreams {
            first: self.clone(),
            broadcast: broadcast.clone().broadcast(),
        }
    }
}

impl<K, A, KA> KeyedStream<K, A, KA>
where
    K: Key,
    A: Data,
    KA: Fn(&A) -> K + Clone + Send + 'static,
{
    /// Connects with `broadcast`, whose every element goes to every subtask of the operator.
    pub fn connect_broadcast<B: Data>(
        &self,
        broadcast: &DataStream<B>,
    ) -> KeyedBroadcastConnectedStreams<K, A, B, KA> {
        KeyedBroadcastConnectedStreams {
            first: self.clone(),
            broadcast: broadcast.clone().broadcast(),
        }
    }
}

impl<A: Data, B: Data> BroadcastConnectedStreams<A, B> {
    /// Runs a [`BroadcastProcessFunction`].
    pub fn process<O: Data, F: BroadcastProcessFunction<A, B, O>>(&self, f: F) -> DataStream<O> {
        self.first.two_input(
            "broadcast-process",
            self.first.edge(0),
            self.broadcast.edge(1),
            move |_, down| BroadcastProcessOp {
                f: f.clone(),
                states: BroadcastStates::default(),
                watermark: MIN_WATERMARK,
                down,
                _t: PhantomData,
            },
        )
    }
}

impl<K, A, B, KA> KeyedBroadcastConnectedStreams<K, A, B, KA>
where
    K: Key,
    A: Data,
    B: Data,
    KA: Fn(&A) -> K + Clone + Send + 'static,
{
    /// Runs a [`KeyedBroadcastProcessFunction`].
    pub fn process<O: Data, F: KeyedBroadcastProcessFunction<K, A, B, O>>(&self, f: F) -> DataStream<O> {
        let ka = self.first.key_selector.clone();
        self.first.stream.two_input(
            "keyed-broadcast-process",
            self.first.edge(0),
            self.broadcast.edge(1),
            move |ctx, down| {
                let range = KeyGroupRange::for_subtask(ctx.subtask, ctx.parallelism, ctx.max_parallelism);
                let mut rt = KeyedRuntime::new(range, ctx.max_parallelism, down);
                let mut f = f.clone();
                f.open(&mut rt.registry());
                rt.attach(ctx);
                KeyedBroadcastProcessOp {
                    ka: ka.clone(),
                    f,
                    states: BroadcastStates::default(),
                    rt,
                    _t: PhantomData,
                }
            },
        )
    }
}

struct BroadcastProcessOp<A, B, O, F> {
    f: F,
    states: BroadcastStates,
    watermark: Timestamp,
    down: Downstream<O>,
    _t: PhantomData<fn(A, B)>,
}

impl<A, B, O, F> Control for BroadcastProcessOp<A, B, O, F>
where
    A: Send + 'static,
    B: Send + 'static,
    O: Data,
    F: BroadcastProcessFunction<A, B, O>,
{
    fn watermark(&mut self, w: Timestamp) {
        self.watermark = w;
        self.down.watermark(w)
    }
    fn idle(&mut self, i: bool) {
        self.down.idle(i)
    }
    fn tick(&mut self, now: Timestamp) {
        self.down.tick(now)
    }
    fn finish(&mut self) {
        self.down.finish()
    }
    fn flush(&mut self) -> bool {
        self.down.flush()
    }
    fn checkpoint(&mut self, cp: &mut crate::checkpoint::CheckpointCtx) {
        cp.unsupported("broadcast state");
        self.down.checkpoint(cp)
    }
    fn checkpoint_complete(&mut self, id: u64) {
        self.down.checkpoint_complete(id)
    }
}

impl<A: Send + 'static, B: Send + 'static, O: Data, F: BroadcastProcessFunction<A, B, O>>
    TwoInputOperator<A, B> for BroadcastProcessOp<A, B, O, F>
{
    fn push_first(&mut self, batch: &mut Vec<Record<A>>) {
        self.down.process_batch(self.watermark, batch, |v, ctx| {
            self.f.process_element(v, &self.states, ctx)
        });
    }
    fn push_second(&mut self, batch: &mut Vec<Record<B>>) {
        self.down.process_batch(self.watermark, batch, |v, ctx| {
            self.f.process_broadcast_element(v, &mut self.states, ctx)
        });
    }
}

struct KeyedBroadcastProcessOp<K, A, B, O, KA, F> {
    ka: KA,
    f: F,
    states: BroadcastStates,
    rt: KeyedRuntime<K, O>,
    _t: PhantomData<fn(A, B)>,
}

impl<K, A, B, O, KA, F> Control for KeyedBroadcastProcessOp<K, A, B, O, KA, F>
where
    K: Key,
    A: Send + 'static,
    B: Send + 'static,
    O: Data,
    KA: Send,
    F: KeyedBroadcastProcessFunction<K, A, B, O>,
{
    fn watermark(&mut self, watermark: Timestamp) {
        let (f, states) = (&mut self.f, &self.states);
        self.rt
            .on_watermark(watermark, |t, d, ctx| f.on_timer(t, d, states, ctx));
    }
    fn idle(&mut self, idle: bool) {
        self.rt.down.idle(idle);
    }
    fn tick(&mut self, now: Timestamp) {
        let (f, states) = (&mut self.f, &self.states);
        self.rt.on_tick(now, |t, d, ctx| f.on_timer(t, d, states, ctx));
    }
    fn finish(&mut self) {
        let (f, states) = (&mut self.f, &self.states);
        self.rt.on_finish(|t, d, ctx| f.on_timer(t, d, states, ctx));
    }
    fn flush(&mut self) -> bool {
        self.rt.down.flush()
    }
    fn checkpoint(&mut self, cp: &mut crate::checkpoint::CheckpointCtx) {
        cp.unsupported("keyed broadcast functions (their broadcast state)");
        self.rt.snapshot(cp);
        self.rt.down.checkpoint(cp)
    }
    fn checkpoint_complete(&mut self, id: u64) {
        self.rt.down.checkpoint_complete(id)
    }
}

impl<K, A, B, O, KA, F> TwoInputOperator<A, B> for KeyedBroadcastProcessOp<K, A, B, O, KA, F>
where
    K: Key,
    A: Send + 'static,
    B: Send + 'static,
    O: Data,
    KA: Fn(&A) -> K + Send,
    F: KeyedBroadcastProcessFunction<K, A, B, O>,
{
    fn push_first(&mut self, batch: &mut Vec<Record<A>>) {
        self.rt.process_batch(batch, &self.ka, |v, ctx| {
            self.f.process_element(v, &self.states, ctx)
        });
    }
    fn push_second(&mut self, batch: &mut Vec<Record<B>>) {
        self.rt.down.process_batch(self.rt.watermark, batch, |v, ctx| {
            self.f.process_broadcast_element(v, &mut self.states, ctx)
        });
    }
}
