//! The keyed state backend trait and its in-memory implementation.
//!
//! Snapshots are copy-on-write: [`KeyedStateBackend::snapshot_key_group`] shares each state's
//! maps of the group with the returned [`KeyGroupSnapshot`] (no copy, no serialisation on the
//! task thread), and the first write to a map that a snapshot still holds copies that map. The
//! snapshot is serialised later, on another thread. Each key group is split into [`SHARDS`]
//! maps by the key's hash, so such a copy is a sixteenth of a key group (about 0.5 MiB for
//! 1 GiB of state over 128 key groups), never a pause of its own.

use std::any::Any;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::entries::Entries;
use crate::checkpoint::snapshot::{decode, encode};
use crate::keygroup::KeyGroupRange;
use crate::keygroup::key_hash;
use crate::record::{Key, StateData};

/// Identifies one registered state (a "state descriptor") within a backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StateId(pub(crate) usize);

/// Where keyed operators keep per-key state, organised by key group.
///
/// Contract:
/// - A backend serves exactly the key groups of [`key_groups`](Self::key_groups); callers pass
///   the key group of every key (computed with [`crate::keygroup::key_group_of`]).
/// - States are registered once per operator instance, by name, with their value type; the same
///   name always yields the same [`StateId`]. Accessing a state with another type than it was
///   registered with returns `None` / does nothing rather than panicking.
/// - Checkpoints take the state key group by key group with
///   [`snapshot_key_group`](Self::snapshot_key_group), which must be cheap (the task waits for
///   it) and must capture the state as it is at the call: later writes never show in the
///   returned [`KeyGroupSnapshot`], which is serialised afterwards on another thread. Restores
///   write entries back with [`restore_key_group`](Self::restore_key_group), and groups that
///   moved elsewhere are dropped with [`clear_key_group`](Self::clear_key_group). A disk-backed
///   backend would implement the same trait for state larger than memory.
pub trait KeyedStateBackend<K: Key>: Send {
    /// The key groups this backend holds.
    fn key_groups(&self) -> KeyGroupRange;
    /// Registers (or looks up) a state of value type `S`.
    fn register<S: StateData>(&mut self, name: &str) -> StateId;
    /// The value of a state for a key.
    fn get<S: StateData>(&self, state: StateId, key_group: usize, key: &K) -> Option<&S>;
    /// Mutable access to the value of a state for a key.
    fn get_mut<S: StateData>(&mut self, state: StateId, key_group: usize, key: &K) -> Option<&mut S>;
    /// The value, created with `init` when absent. `None` only on a type mismatch.
    fn get_or_insert_with<S: StateData>(
        &mut self,
        state: StateId,
        key_group: usize,
        key: &K,
        init: impl FnOnce() -> S,
    ) -> Option<&mut S>;
    /// Removes and returns the value of a state for a key.
    fn remove<S: StateData>(&mut self, state: StateId, key_group: usize, key: &K) -> Option<S>;
    /// Keys that have a value of `state` in a key group.
    fn keys_in_key_group(&self, state: StateId, key_group: usize) -> Vec<K>;
    /// Number of (state, key) entries in a key group.
    fn entries_in_key_group(&self, key_group: usize) -> usize;
    /// Drops every entry of a key group.
    fn clear_key_group(&mut self, key_group: usize);
    /// Every state's entries of a key group as they are now, for serialisation later (on any
    /// thread): writes after this call never show in the snapshot.
    fn snapshot_key_group(&mut self, key_group: usize) -> KeyGroupSnapshot;
    /// Loads entries written by `snapshot_key_group`. States not registered yet are kept and
    /// loaded when they are registered.
    fn restore_key_group(&mut self, key_group: usize, states: Vec<(String, Vec<u8>)>) -> Result<(), String>;
}

/// The states of one key group at a barrier, serialised by [`encode`](Self::encode) on
/// whichever thread writes the checkpoint.
#[derive(Default)]
pub struct KeyGroupSnapshot {
    states: Vec<(String, Box<dyn EncodeState>)>,
}

impl std::fmt::Debug for KeyGroupSnapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.states.iter().map(|(name, _)| name))
            .finish()
    }
}

impl KeyGroupSnapshot {
    /// Whether no state has entries in the group.
    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
    }

    /// (state name, serialised entries) for each state with entries in the group.
    pub fn encode(&self) -> Result<Vec<(String, Vec<u8>)>, String> {
        self.states
            .iter()
            .map(|(name, state)| Ok((name.clone(), state.encode()?)))
            .collect()
    }
}

/// One state's entries of one key group, shared with the task until serialised.
trait EncodeState: Send + Sync {
    fn encode(&self) -> Result<Vec<u8>, String>;
}

/// The shards of one key group (all of its entries, in one list as checkpoints hold them).
struct SharedGroup<K, S>(Vec<Arc<Entries<K, S>>>);

impl<K: Key, S: StateData> EncodeState for SharedGroup<K, S> {
    fn encode(&self) -> Result<Vec<u8>, String> {
        let entries: Vec<(&K, &S)> = self.0.iter().flat_map(|shard| shard.iter()).collect();
        encode(&entries)
    }
}

/// Maps per key group and state: the unit a write after a barrier copies.
pub(crate) const SHARDS: usize = 16;

/// The shard of a key within its key group, from its [`key_hash`]: the hash's top bits (the
/// key group takes the bottom ones).
#[inline]
fn shard_of(hash: u64) -> usize {
    (hash >> (64 - SHARDS.trailing_zeros())) as usize
}

/// One shard of one state's entries of one key group: owned by the task, or shared with
/// snapshots that have not been serialised yet.
enum Shard<K, S> {
    Owned(Entries<K, S>),
    Shared(Arc<Entries<K, S>>),
}

impl<K: Key, S: StateData> Shard<K, S> {
    fn map(&self) -> &Entries<K, S> {
        match self {
            Self::Owned(m) => m,
            Self::Shared(m) => m,
        }
    }

    /// The map for writing: a shared map is taken back when the snapshots are done with it,
    /// else copied (the copy-on-write; the snapshot keeps the old one).
    fn map_mut(&mut self) -> &mut Entries<K, S> {
        if matches!(self, Self::Shared(_))
            && let Self::Shared(shared) = std::mem::replace(self, Self::Owned(Entries::default()))
        {
            *self = Self::Owned(Arc::try_unwrap(shared).unwrap_or_else(|still| (*still).clone()));
        }
        match self {
            Self::Owned(m) => m,
            Self::Shared(m) => Arc::make_mut(m),
        }
    }

    fn share(&mut self) -> Arc<Entries<K, S>> {
        let shared = match std::mem::replace(self, Self::Owned(Entries::default())) {
            Self::Owned(map) => Arc::new(map),
            Self::Shared(shared) => shared,
        };
        *self = Self::Shared(shared.clone());
        shared
    }
}

type Group<K, S> = [Shard<K, S>; SHARDS];

fn empty_group<K, S>() -> Group<K, S> {
    std::array::from_fn(|_| Shard::Owned(Entries::default()))
}

/// One state's values: per key group (relative to the range start) its shards.
struct Table<K: Key, S: StateData> {
    groups: Vec<Group<K, S>>,
}

/// Entries from which a dropped table is freed on a background thread.
const RECLAIM_IN_BACKGROUND: usize = 16 * 1024;

impl<K: Key, S: StateData> Drop for Table<K, S> {
    /// A large table is freed on a background thread: walking and freeing millions of entries
    /// (Nexmark q7's regular join keeps every bid) took a fifth of the job's time after its
    /// last result, on the task's thread. State values have no side effects to wait for.
    fn drop(&mut self) {
        let entries: usize = self
            .groups
            .iter()
            .flat_map(|g| g.iter())
            .map(|shard| shard.map().len())
            .sum();
        if entries >= RECLAIM_IN_BACKGROUND {
            crate::reclaim::drop_in_background(std::mem::take(&mut self.groups));
        }
    }
}

impl<K: Key, S: StateData> Table<K, S> {
    fn shard(&self, group: usize, hash: u64) -> Option<&Shard<K, S>> {
        Some(&self.groups.get(group)?[shard_of(hash)])
    }
    fn shard_mut(&mut self, group: usize, hash: u64) -> Option<&mut Shard<K, S>> {
        Some(&mut self.groups.get_mut(group)?[shard_of(hash)])
    }
}

trait ErasedTable<K>: Send + Sync {
    fn as_any(&self) -> &dyn Any;
    fn as_any_mut(&mut self) -> &mut dyn Any;
    fn len_of(&self, group: usize) -> usize;
    fn clear_group(&mut self, group: usize);
    fn keys_of(&self, group: usize) -> Vec<K>;
    fn share_group(&mut self, group: usize) -> Option<Box<dyn EncodeState>>;
    fn decode_group(&mut self, group: usize, bytes: &[u8]) -> Result<(), String>;
    /// Decodes entries written by `share_group` without touching the table (any thread).
    fn decode_entries(&self, bytes: &[u8]) -> Result<Box<dyn Any + Send>, String>;
    /// Adds entries from `decode_entries` to a group.
    fn install(&mut self, group: usize, entries: Box<dyn Any + Send>);
}

impl<K: Key, S: StateData> ErasedTable<K> for Table<K, S> {
    fn share_group(&mut self, group: usize) -> Option<Box<dyn EncodeState>> {
        let g = self.groups.get_mut(group)?;
        let shared: Vec<_> = g
            .iter_mut()
            .filter(|shard| !shard.map().is_empty())
            .map(Shard::share)
            .collect();
        (!shared.is_empty()).then(|| Box::new(SharedGroup(shared)) as Box<dyn EncodeState>)
    }
    fn decode_group(&mut self, group: usize, bytes: &[u8]) -> Result<(), String> {
        let entries = self.decode_entries(bytes)?;
        self.install(group, entries);
        Ok(())
    }
    fn decode_entries(&self, bytes: &[u8]) -> Result<Box<dyn Any + Send>, String> {
        let entries: Vec<(K, S)> = decode(bytes)?;
        Ok(Box::new(entries))
    }
    fn install(&mut self, group: usize, entries: Box<dyn Any + Send>) {
        if let (Some(g), Ok(entries)) = (self.groups.get_mut(group), entries.downcast::<Vec<(K, S)>>()) {
            let per_shard = entries.len() / SHARDS;
            for (k, v) in *entries {
                let hash = key_hash(&k);
                let map = g[shard_of(hash)].map_mut();
                if map.is_empty() {
                    map.reserve(per_shard);
                }
                map.insert(hash, k, v);
            }
        }
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
    fn len_of(&self, group: usize) -> usize {
        self.groups
            .get(group)
            .map_or(0, |g| g.iter().map(|shard| shard.map().len()).sum())
    }
    fn clear_group(&mut self, group: usize) {
        if let Some(g) = self.groups.get_mut(group) {
            *g = empty_group();
        }
    }
    fn keys_of(&self, group: usize) -> Vec<K> {
        self.groups
            .get(group)
            .map(|g| {
                g.iter()
                    .flat_map(|shard| shard.map().iter().map(|(k, _)| k.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Keeps all keyed state on the heap, in hash maps per state and key group.
pub struct HeapKeyedStateBackend<K> {
    range: KeyGroupRange,
    names: FxHashMap<String, StateId>,
    tables: Vec<Box<dyn ErasedTable<K>>>,
    /// Restored entries of states not registered yet: name -> (key group, entries).
    unclaimed: FxHashMap<String, Vec<(usize, Vec<u8>)>>,
}

impl<K> std::fmt::Debug for HeapKeyedStateBackend<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HeapKeyedStateBackend")
            .field("range", &self.range)
            .field("states", &self.names.len())
            .finish()
    }
}

impl<K: Key> HeapKeyedStateBackend<K> {
    /// An empty backend for the given key groups.
    pub fn new(range: KeyGroupRange) -> Self {
        Self {
            range,
            names: FxHashMap::default(),
            tables: Vec::new(),
            unclaimed: FxHashMap::default(),
        }
    }

    fn table<S: StateData>(&self, state: StateId) -> Option<&Table<K, S>> {
        self.tables.get(state.0)?.as_any().downcast_ref()
    }

    fn table_mut<S: StateData>(&mut self, state: StateId) -> Option<&mut Table<K, S>> {
        self.tables.get_mut(state.0)?.as_any_mut().downcast_mut()
    }

    fn local(&self, key_group: usize) -> Option<usize> {
        self.range
            .contains(key_group)
            .then(|| key_group - self.range.start)
    }
}

impl<K: Key> KeyedStateBackend<K> for HeapKeyedStateBackend<K> {
    fn key_groups(&self) -> KeyGroupRange {
        self.range
    }

    fn register<S: StateData>(&mut self, name: &str) -> StateId {
        if let Some(id) = self.names.get(name) {
            return *id;
        }
        let id = StateId(self.tables.len());
        let groups = (0..self.range.len()).map(|_| empty_group()).collect();
        self.tables.push(Box::new(Table::<K, S> { groups }));
        self.names.insert(name.to_string(), id);
        // A restore that ran before this registration left the state's entries here. They were
        // written by the same type (state names are per operator), so decoding cannot fail
        // short of a corrupt checkpoint, which the CRC already rules out.
        for (kg, bytes) in self.unclaimed.remove(name).unwrap_or_default() {
            if let (Some(g), Some(t)) = (self.local(kg), self.tables.last_mut()) {
                let _ = t.decode_group(g, &bytes);
            }
        }
        id
    }

    fn get<S: StateData>(&self, state: StateId, key_group: usize, key: &K) -> Option<&S> {
        let g = self.local(key_group)?;
        let hash = key_hash(key);
        self.table::<S>(state)?.shard(g, hash)?.map().get(hash, key)
    }

    fn get_mut<S: StateData>(&mut self, state: StateId, key_group: usize, key: &K) -> Option<&mut S> {
        let g = self.local(key_group)?;
        let hash = key_hash(key);
        self.table_mut::<S>(state)?
            .shard_mut(g, hash)?
            .map_mut()
            .get_mut(hash, key)
    }

    fn get_or_insert_with<S: StateData>(
        &mut self,
        state: StateId,
        key_group: usize,
        key: &K,
        init: impl FnOnce() -> S,
    ) -> Option<&mut S> {
        let g = self.local(key_group)?;
        let hash = key_hash(key);
        let map = self.table_mut::<S>(state)?.shard_mut(g, hash)?.map_mut();
        Some(map.get_or_insert_with(hash, key, init))
    }

    fn remove<S: StateData>(&mut self, state: StateId, key_group: usize, key: &K) -> Option<S> {
        let g = self.local(key_group)?;
        let hash = key_hash(key);
        self.table_mut::<S>(state)?
            .shard_mut(g, hash)?
            .map_mut()
            .remove(hash, key)
    }

    fn keys_in_key_group(&self, state: StateId, key_group: usize) -> Vec<K> {
        match (self.local(key_group), self.tables.get(state.0)) {
            (Some(g), Some(t)) => t.keys_of(g),
            _ => Vec::new(),
        }
    }

    fn entries_in_key_group(&self, key_group: usize) -> usize {
        self.local(key_group)
            .map_or(0, |g| self.tables.iter().map(|t| t.len_of(g)).sum())
    }

    fn clear_key_group(&mut self, key_group: usize) {
        if let Some(g) = self.local(key_group) {
            self.tables.iter_mut().for_each(|t| t.clear_group(g));
        }
    }

    fn snapshot_key_group(&mut self, key_group: usize) -> KeyGroupSnapshot {
        let Some(g) = self.local(key_group) else {
            return KeyGroupSnapshot::default();
        };
        let mut names: Vec<(&String, &StateId)> = self.names.iter().collect();
        names.sort_by_key(|(_, id)| **id);
        let tables = &mut self.tables;
        let states = names
            .into_iter()
            .filter_map(|(name, id)| Some((name.clone(), tables[id.0].share_group(g)?)))
            .collect();
        KeyGroupSnapshot { states }
    }

    fn restore_key_group(&mut self, key_group: usize, states: Vec<(String, Vec<u8>)>) -> Result<(), String> {
        let decoded = self.decode_key_group(states)?;
        self.install_key_group(key_group, decoded);
        Ok(())
    }
}

/// A key group's states decoded by [`HeapKeyedStateBackend::decode_key_group`], waiting to be
/// installed.
pub(crate) struct DecodedKeyGroup {
    /// (table index, entries) of registered states.
    registered: Vec<(usize, Box<dyn Any + Send>)>,
    /// States not registered yet, still serialised.
    unclaimed: Vec<(String, Vec<u8>)>,
}

impl<K: Key> HeapKeyedStateBackend<K> {
    /// The first half of [`KeyedStateBackend::restore_key_group`]: decodes without changing
    /// the backend, so several key groups can be decoded on several threads at once.
    pub(crate) fn decode_key_group(&self, states: Vec<(String, Vec<u8>)>) -> Result<DecodedKeyGroup, String> {
        let mut decoded = DecodedKeyGroup {
            registered: Vec::new(),
            unclaimed: Vec::new(),
        };
        for (name, bytes) in states {
            match self.names.get(&name) {
                Some(id) => decoded.registered.push((
                    id.0,
                    self.tables[id.0]
                        .decode_entries(&bytes)
                        .map_err(|e| format!("state `{name}`: {e}"))?,
                )),
                None => decoded.unclaimed.push((name, bytes)),
            }
        }
        Ok(decoded)
    }

    /// The second half: adds decoded entries to their key group.
    pub(crate) fn install_key_group(&mut self, key_group: usize, decoded: DecodedKeyGroup) {
        let Some(g) = self.local(key_group) else {
            return;
        };
        for (table, entries) in decoded.registered {
            if let Some(t) = self.tables.get_mut(table) {
                t.install(g, entries);
            }
        }
        for (name, bytes) in decoded.unclaimed {
            self.unclaimed.entry(name).or_default().push((key_group, bytes));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keygroup::key_group_of;

    #[test]
    fn states_are_separated_by_id_type_and_key_group() {
        let range = KeyGroupRange::for_subtask(0, 1, 8);
        let mut b = HeapKeyedStateBackend::<String>::new(range);
        let count = b.register::<u64>("count");
        let names = b.register::<Vec<String>>("names");
        assert_eq!(b.register::<u64>("count"), count);
        let k = "alice".to_string();
        let kg = key_group_of(&k, 8);
        *b.get_or_insert_with(count, kg, &k, || 0u64).unwrap() += 5;
        b.get_or_insert_with(names, kg, &k, Vec::<String>::new)
            .unwrap()
            .push("x".into());
        assert_eq!(b.get::<u64>(count, kg, &k), Some(&5));
        assert_eq!(b.get::<String>(count, kg, &k), None, "wrong type is not a panic");
        assert_eq!(b.entries_in_key_group(kg), 2);
        assert_eq!(b.keys_in_key_group(count, kg), vec![k.clone()]);
        b.clear_key_group(kg);
        assert_eq!(b.get::<u64>(count, kg, &k), None);
        assert_eq!(b.get::<u64>(count, 99, &k), None, "foreign key group");
    }

    /// One mutation applied after the barrier.
    #[derive(Debug, Clone)]
    enum Change {
        Put(u16, u64),
        Push(u16, u8),
        Remove(u16),
        ClearGroup(u16),
    }

    fn change() -> impl proptest::strategy::Strategy<Value = Change> {
        use proptest::prelude::*;
        prop_oneof![
            (0u16..300, any::<u64>()).prop_map(|(k, v)| Change::Put(k, v)),
            (0u16..300, any::<u8>()).prop_map(|(k, v)| Change::Push(k, v)),
            (0u16..300).prop_map(Change::Remove),
            (0u16..300).prop_map(Change::ClearGroup),
        ]
    }

    fn apply(b: &mut HeapKeyedStateBackend<u16>, ids: (StateId, StateId), c: &Change, groups: usize) {
        let kg = |k: &u16| key_group_of(k, groups);
        match c {
            Change::Put(k, v) => *b.get_or_insert_with(ids.0, kg(k), k, || 0u64).unwrap() = *v,
            Change::Push(k, v) => b
                .get_or_insert_with(ids.1, kg(k), k, Vec::<u8>::new)
                .unwrap()
                .push(*v),
            Change::Remove(k) => {
                b.remove::<u64>(ids.0, kg(k), k);
            }
            Change::ClearGroup(k) => b.clear_key_group(kg(k)),
        }
    }

    /// Every (state, key, value) of a backend, in order.
    fn contents(b: &HeapKeyedStateBackend<u16>, ids: (StateId, StateId), groups: usize) -> Vec<String> {
        let mut all = Vec::new();
        for kg in 0..groups {
            for k in b.keys_in_key_group(ids.0, kg) {
                all.push(format!("count {k} {:?}", b.get::<u64>(ids.0, kg, &k)));
            }
            for k in b.keys_in_key_group(ids.1, kg) {
                all.push(format!("bytes {k} {:?}", b.get::<Vec<u8>>(ids.1, kg, &k)));
            }
        }
        all.sort();
        all
    }

    proptest::proptest! {
        /// The copy-on-write oracle: state changed while a snapshot is being serialised (on
        /// another thread) restores to exactly the state at the barrier.
        #[test]
        fn snapshot_is_the_state_at_the_barrier_whatever_changes_after(
            before in proptest::collection::vec(change(), 0..200),
            after in proptest::collection::vec(change(), 0..200),
        ) {
            let groups = 8;
            let range = KeyGroupRange::for_subtask(0, 1, groups);
            let mut b = HeapKeyedStateBackend::<u16>::new(range);
            let ids = (b.register::<u64>("count"), b.register::<Vec<u8>>("bytes"));
            for c in &before {
                apply(&mut b, ids, c, groups);
            }
            let at_barrier = contents(&b, ids, groups);
            let snaps: Vec<(usize, KeyGroupSnapshot)> =
                (0..groups).map(|kg| (kg, b.snapshot_key_group(kg))).collect();
            let encoder = std::thread::spawn(move || {
                snaps
                    .into_iter()
                    .map(|(kg, s)| (kg, s.encode().unwrap()))
                    .collect::<Vec<_>>()
            });
            for c in &after {
                apply(&mut b, ids, c, groups);
            }
            let encoded = encoder.join().unwrap();
            let mut restored = HeapKeyedStateBackend::<u16>::new(range);
            let rids = (restored.register::<u64>("count"), restored.register::<Vec<u8>>("bytes"));
            for (kg, states) in encoded {
                restored.restore_key_group(kg, states).unwrap();
            }
            proptest::prop_assert_eq!(contents(&restored, rids, groups), at_barrier);
        }
    }
}
