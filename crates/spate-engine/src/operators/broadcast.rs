//! Broadcast state: a stream whose every element reaches every subtask of an operator writes
//! key/value maps that the other input reads (Flink's broadcast state pattern).
//!
//! - [`BroadcastProcessFunction`] joins a non-keyed stream with a broadcast stream;
//!   [`KeyedBroadcastProcessFunction`] joins a keyed stream (with keyed state and timers).
//! - Broadcast state is a set of maps named by [`BroadcastStateDescriptor`]s. Only the broadcast
//!   side gets `&mut BroadcastStates`; the other side gets `&BroadcastStates`, so it can read but
//!   never write: every subtask receives the same broadcast elements in the same order and so
//!   holds the same broadcast state (as long as the function derives it only from them).
//! - Checkpoints (non-keyed [`BroadcastProcessFunction`]): every subtask writes its maps as its
//!   operator state, by descriptor *name* (ids differ between runs). As in Flink, a restored
//!   subtask, at any parallelism, takes old subtask 0's copy. The maps are type-erased, so each
//!   keeps the encoder of its types; a restored map stays serialised until a descriptor first
//!   reads it, which gives it its types.

use std::any::Any;
use std::cell::OnceCell;
use std::hash::Hash;
use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rustc_hash::FxHashMap;

use crate::checkpoint::CheckpointCtx;
use crate::checkpoint::snapshot::{OperatorIdentity, decode, encode};
use crate::error::FailureSlot;
use crate::keygroup::KeyGroupRange;
use crate::operators::process::ProcessContext;
use crate::operators::two_input::TwoInputOperator;
use crate::record::{Data, Key, MIN_WATERMARK, Record, StateData, Timestamp};
use crate::runtime::output::{Control, Downstream};
use crate::state::StateRegistry;
use crate::state::keyed_runtime::{KeyedContext, KeyedRuntime, TimeDomain};
use crate::stream::{DataStream, KeyedStream};

static NEXT_DESCRIPTOR: AtomicU64 = AtomicU64::new(1);

/// Names one broadcast map with its key and value types. Every call to [`new`](Self::new) makes
/// a distinct map, whatever the name; clones name the same map. Checkpoints store maps by name,
/// so the maps of one operator need distinct names, and keys and values must be serde types.
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

impl<MK: Hash + Eq + StateData, MV: StateData> BroadcastStateDescriptor<MK, MV> {
    /// A new broadcast map.
    pub fn new(name: &str) -> Self {
        Self {
            id: NEXT_DESCRIPTOR.fetch_add(1, Ordering::Relaxed),
            name: name.into(),
            _t: PhantomData,
        }
    }
}

impl<MK, MV> BroadcastStateDescriptor<MK, MV> {
    /// The map's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

type ErasedMap = Box<dyn Any + Send>;

/// One live broadcast map with the encoder of its types.
struct TypedMap {
    name: Arc<str>,
    map: ErasedMap,
    encode: fn(&dyn Any) -> Result<Vec<u8>, String>,
}

/// A map restored from a checkpoint that no descriptor wrote to yet. Reads decode it once (the
/// reading descriptor gives the types); the bytes stay the map's checkpointed form.
struct RestoredMap {
    bytes: Vec<u8>,
    decoded: OnceCell<Result<ErasedMap, String>>,
}

/// A checkpointed broadcast state: (map name, serialised map) pairs.
type BroadcastSnapshot = Vec<(String, Vec<u8>)>;

fn encode_map<MK: Hash + Eq + StateData, MV: StateData>(map: &dyn Any) -> Result<Vec<u8>, String> {
    let map = map
        .downcast_ref::<FxHashMap<MK, MV>>()
        .expect("a map's encoder is created with the map's own types");
    encode(map)
}

/// The broadcast maps of one subtask (identical on every subtask; see the module docs for how
/// they are checkpointed).
#[derive(Default)]
pub struct BroadcastStates {
    maps: FxHashMap<u64, TypedMap>,
    restored: FxHashMap<Arc<str>, RestoredMap>,
    decode_failure: Option<String>,
}

impl std::fmt::Debug for BroadcastStates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BroadcastStates")
            .field("maps", &self.maps.len())
            .field("restored", &self.restored.len())
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
        MK: Hash + Eq + StateData,
        MV: StateData,
    {
        let live = self.maps.get(&descriptor.id).map(|m| &m.map);
        let restored = || {
            let r = self.restored.get(&descriptor.name)?;
            let decoded = r
                .decoded
                .get_or_init(|| Self::decode_map::<MK, MV>(&descriptor.name, &r.bytes));
            decoded.as_ref().ok()
        };
        ReadOnlyBroadcastState {
            map: live
                .or_else(restored)
                .and_then(|m| m.downcast_ref::<FxHashMap<MK, MV>>()),
        }
    }

    /// The map named by `descriptor`, for writing (only the broadcast side can call this).
    pub fn get_mut<MK, MV>(&mut self, descriptor: &BroadcastStateDescriptor<MK, MV>) -> &mut FxHashMap<MK, MV>
    where
        MK: Hash + Eq + StateData,
        MV: StateData,
    {
        if !self.maps.contains_key(&descriptor.id) {
            let map = match self.restored.remove(&descriptor.name) {
                Some(r) => {
                    let decoded = match r.decoded.into_inner() {
                        Some(d) => d,
                        None => Self::decode_map::<MK, MV>(&descriptor.name, &r.bytes),
                    };
                    decoded.unwrap_or_else(|e| {
                        // The task fails on it (see `decode_error`): nothing derived from the
                        // empty map it continues with until then is committed.
                        self.decode_failure.get_or_insert(e);
                        Box::new(FxHashMap::<MK, MV>::default())
                    })
                }
                None => Box::new(FxHashMap::<MK, MV>::default()),
            };
            self.maps.insert(
                descriptor.id,
                TypedMap {
                    name: descriptor.name.clone(),
                    map,
                    encode: encode_map::<MK, MV>,
                },
            );
        }
        self.maps
            .get_mut(&descriptor.id)
            .and_then(|m| m.map.downcast_mut())
            .expect("a descriptor id is unique to one descriptor, so its map has the descriptor's types")
    }

    fn decode_map<MK: Hash + Eq + StateData, MV: StateData>(
        name: &str,
        bytes: &[u8],
    ) -> Result<ErasedMap, String> {
        let map: FxHashMap<MK, MV> = decode(bytes).map_err(|e| format!("broadcast state `{name}`: {e}"))?;
        Ok(Box::new(map))
    }

    /// The first restored map that could not be decoded with its descriptor's types.
    fn decode_error(&self) -> Option<&str> {
        self.decode_failure.as_deref().or_else(|| {
            self.restored
                .values()
                .find_map(|r| r.decoded.get().and_then(|d| d.as_ref().err()))
                .map(String::as_str)
        })
    }

    /// Every map, by name, serialised.
    fn snapshot(&self) -> Result<Vec<u8>, String> {
        let mut entries: BroadcastSnapshot = Vec::with_capacity(self.maps.len() + self.restored.len());
        for m in self.maps.values() {
            entries.push((m.name.to_string(), (m.encode)(m.map.as_ref())?));
        }
        for (name, r) in &self.restored {
            entries.push((name.to_string(), r.bytes.clone()));
        }
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        if let Some(w) = entries.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(format!(
                "two broadcast state descriptors of one operator are named `{}`; checkpoints need distinct names",
                w[0].0
            ));
        }
        encode(&entries)
    }

    /// Broadcast state restored from the operator states of every old subtask: old subtask 0's
    /// copy (all copies are the same).
    fn restore(states: &[Vec<u8>]) -> Result<Self, String> {
        let mut restored = Self::default();
        let Some(bytes) = states.first().filter(|b| !b.is_empty()) else {
            return Ok(restored);
        };
        let entries: BroadcastSnapshot = decode(bytes)?;
        for (name, bytes) in entries {
            restored.restored.insert(
                name.into(),
                RestoredMap {
                    bytes,
                    decoded: OnceCell::new(),
                },
            );
        }
        Ok(restored)
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
            move |ctx, down| {
                let states = match ctx.restored_operator_states() {
                    Some(old) => BroadcastStates::restore(&old).unwrap_or_else(|e| {
                        ctx.restore_failed(&e);
                        BroadcastStates::default()
                    }),
                    None => BroadcastStates::default(),
                };
                BroadcastProcessOp {
                    f: f.clone(),
                    states,
                    watermark: MIN_WATERMARK,
                    down,
                    identity: ctx.identity(),
                    failure: ctx.failure.clone(),
                    _t: PhantomData,
                }
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
                let states = match ctx.restored_operator_states() {
                    Some(old) => BroadcastStates::restore(&old).unwrap_or_else(|e| {
                        ctx.restore_failed(&e);
                        BroadcastStates::default()
                    }),
                    None => BroadcastStates::default(),
                };
                KeyedBroadcastProcessOp {
                    ka: ka.clone(),
                    f,
                    states,
                    rt,
                    identity: ctx.identity(),
                    failure: ctx.failure.clone(),
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
    identity: OperatorIdentity,
    /// Fails the job when a restored map does not decode with its descriptor's types.
    failure: FailureSlot,
    _t: PhantomData<fn(A, B)>,
}

impl<A, B, O, F> BroadcastProcessOp<A, B, O, F> {
    /// Writes the broadcast maps as this subtask's operator state.
    fn snapshot_states(&self, cp: &mut CheckpointCtx) {
        match self.states.snapshot() {
            Ok(bytes) => cp.set_operator_state(&self.identity, bytes),
            Err(e) => cp.fail(&self.identity, &e),
        }
    }

    fn check_restored_maps(&self) {
        if let Some(e) = self.states.decode_error() {
            self.failure.fail(crate::EngineError::Checkpoint(format!(
                "cannot restore operator `{}` subtask {}: {e}",
                self.identity.uid, self.identity.subtask
            )));
        }
    }
}

impl<A, B, O, F> Control for BroadcastProcessOp<A, B, O, F>
where
    A: Send + 'static,
    B: Send + 'static,
    O: Data,
    F: BroadcastProcessFunction<A, B, O>,
{
    fn downstream(&mut self) -> Option<&mut dyn Control> {
        Some(&mut self.down)
    }
    // The process context reports the current watermark.
    fn watermark(&mut self, watermark: Timestamp) {
        self.watermark = watermark;
        self.down.watermark(watermark);
    }
    fn snapshot(&mut self, cp: &mut CheckpointCtx) {
        self.snapshot_states(cp);
    }
}

impl<A: Send + 'static, B: Send + 'static, O: Data, F: BroadcastProcessFunction<A, B, O>>
    TwoInputOperator<A, B> for BroadcastProcessOp<A, B, O, F>
{
    fn push_first(&mut self, batch: &mut Vec<Record<A>>) {
        self.down.process_batch(self.watermark, batch, |v, ctx| {
            self.f.process_element(v, &self.states, ctx)
        });
        self.check_restored_maps();
    }
    fn push_second(&mut self, batch: &mut Vec<Record<B>>) {
        self.down.process_batch(self.watermark, batch, |v, ctx| {
            self.f.process_broadcast_element(v, &mut self.states, ctx)
        });
        self.check_restored_maps();
    }
}

struct KeyedBroadcastProcessOp<K, A, B, O, KA, F> {
    ka: KA,
    f: F,
    states: BroadcastStates,
    rt: KeyedRuntime<K, O>,
    identity: OperatorIdentity,
    failure: FailureSlot,
    _t: PhantomData<fn(A, B)>,
}

impl<K, A, B, O, KA, F> KeyedBroadcastProcessOp<K, A, B, O, KA, F> {
    fn check_restored_maps(&self) {
        if let Some(e) = self.states.decode_error() {
            self.failure.fail(crate::EngineError::Checkpoint(format!(
                "cannot restore operator `{}` subtask {}: {e}",
                self.identity.uid, self.identity.subtask
            )));
        }
    }
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
    fn downstream(&mut self) -> Option<&mut dyn Control> {
        Some(&mut self.rt.down)
    }
    fn watermark(&mut self, watermark: Timestamp) {
        let (f, states) = (&mut self.f, &self.states);
        self.rt
            .on_watermark(watermark, |t, d, ctx| f.on_timer(t, d, states, ctx));
    }
    fn tick(&mut self, now: Timestamp) {
        let (f, states) = (&mut self.f, &self.states);
        self.rt.on_tick(now, |t, d, ctx| f.on_timer(t, d, states, ctx));
    }
    fn finish(&mut self) {
        let (f, states) = (&mut self.f, &self.states);
        self.rt.on_finish(|t, d, ctx| f.on_timer(t, d, states, ctx));
    }
    // Broadcast state is operator state (every subtask has a copy), keyed state per key group.
    fn snapshot(&mut self, cp: &mut CheckpointCtx) {
        match self.states.snapshot() {
            Ok(bytes) => cp.set_operator_state(&self.identity, bytes),
            Err(e) => cp.fail(&self.identity, &e),
        }
        self.rt.snapshot(cp);
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
        self.check_restored_maps();
    }
    fn push_second(&mut self, batch: &mut Vec<Record<B>>) {
        self.rt.down.process_batch(self.rt.watermark, batch, |v, ctx| {
            self.f.process_broadcast_element(v, &mut self.states, ctx)
        });
        self.check_restored_maps();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operator_test_support::{Collect, checkpoint, downstream, identity, operator_states};

    /// Broadcast side: adds rules and reports the rule count; other side: passes allowed values.
    #[derive(Clone)]
    struct Allow {
        rules: BroadcastStateDescriptor<u64, String>,
    }

    impl BroadcastProcessFunction<u64, (u64, String), String> for Allow {
        fn process_element(&mut self, v: u64, state: &BroadcastStates, ctx: &mut ProcessContext<'_, String>) {
            if let Some(label) = state.get(&self.rules).get(&(v % 10)) {
                ctx.collect(format!("{label}-{v}"));
            }
        }
        fn process_broadcast_element(
            &mut self,
            (k, label): (u64, String),
            state: &mut BroadcastStates,
            ctx: &mut ProcessContext<'_, String>,
        ) {
            state.get_mut(&self.rules).insert(k, label);
            ctx.collect(format!("rules-{}", state.get(&self.rules).len()));
        }
    }

    type Op = BroadcastProcessOp<u64, (u64, String), String, Allow>;

    fn new(f: &Allow, states: BroadcastStates, subtask: usize, parallelism: usize) -> (Op, Collect<String>) {
        let out = Collect::new();
        let op = BroadcastProcessOp {
            f: f.clone(),
            states,
            watermark: MIN_WATERMARK,
            down: downstream(&out),
            identity: identity(subtask, parallelism),
            failure: FailureSlot::default(),
            _t: PhantomData,
        };
        (op, out)
    }

    fn rules(keys: &[u64]) -> Vec<Record<(u64, String)>> {
        keys.iter()
            .map(|k| Record::new(0, (*k, format!("r{k}"))))
            .collect()
    }

    fn values() -> Vec<Record<u64>> {
        (0..40).map(|v| Record::new(v as i64, v)).collect()
    }

    fn run_after(op: &mut Op, out: &Collect<String>) -> Vec<String> {
        op.push_first(&mut values());
        op.push_second(&mut rules(&[7]));
        op.push_first(&mut values());
        out.take().into_iter().map(|r| r.value).collect()
    }

    #[test]
    fn every_new_subtask_restores_old_subtask_zeros_broadcast_state() {
        let f = Allow {
            rules: BroadcastStateDescriptor::new("rules"),
        };
        let (mut reference, out) = new(&f, BroadcastStates::default(), 0, 1);
        reference.push_second(&mut rules(&[1, 4]));
        out.take();
        let expected = run_after(&mut reference, &out);
        assert!(expected.contains(&"r7-17".to_string()));

        // Two old subtasks hold the same state; a job resumed at parallelism 3 with a *new*
        // descriptor (ids differ between runs, names do not) continues identically.
        let cps: Vec<_> = (0..2)
            .map(|s| {
                let (mut op, _) = new(&f, BroadcastStates::default(), s, 2);
                op.push_second(&mut rules(&[1, 4]));
                checkpoint(&mut op)
            })
            .collect();
        let old = operator_states(&cps.iter().collect::<Vec<_>>());
        assert_eq!(old.len(), 2);
        let resumed = Allow {
            rules: BroadcastStateDescriptor::new("rules"),
        };
        for s in 0..3 {
            let states = BroadcastStates::restore(&old).unwrap();
            let (mut op, out) = new(&resumed, states, s, 3);
            assert_eq!(run_after(&mut op, &out), expected, "subtask {s}");
            assert!(op.failure.take().is_none());
        }
    }

    #[test]
    fn a_restored_map_read_with_other_types_fails_the_task() {
        let f = Allow {
            rules: BroadcastStateDescriptor::new("rules"),
        };
        let (mut op, _) = new(&f, BroadcastStates::default(), 0, 1);
        op.push_second(&mut rules(&[1]));
        let cp = checkpoint(&mut op);
        let states = BroadcastStates::restore(&operator_states(&[&cp])).unwrap();
        // The u64 key 1 read as a string of length 1, then a value length of 2^56: no decode.
        let wrong: BroadcastStateDescriptor<String, String> = BroadcastStateDescriptor::new("rules");
        assert!(states.get(&wrong).is_empty());
        assert!(states.decode_error().is_some_and(|e| e.contains("`rules`")));
        let mut states2 = BroadcastStates::restore(&operator_states(&[&cp])).unwrap();
        assert!(states2.get_mut(&wrong).is_empty());
        assert!(states2.decode_error().is_some_and(|e| e.contains("`rules`")));
    }

    #[test]
    fn duplicate_map_names_decline_the_checkpoint() {
        let mut states = BroadcastStates::default();
        states.get_mut(&BroadcastStateDescriptor::<u64, u64>::new("same"));
        states.get_mut(&BroadcastStateDescriptor::<u64, u64>::new("same"));
        assert!(states.snapshot().unwrap_err().contains("`same`"));
    }
}
