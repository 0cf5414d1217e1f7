//! Typed handles to keyed state, used from keyed functions for the current key.

use std::hash::Hash;
use std::marker::PhantomData;

use rustc_hash::FxHashMap;

use crate::record::{Key, StateData};
use crate::state::backend::{HeapKeyedStateBackend, KeyedStateBackend, StateId};

/// Access to the backend for the key being processed (implemented by keyed contexts).
pub trait KeyedStateAccess<K: Key> {
    /// The backend, the current key's group and the current key.
    fn state_parts(&self) -> (&HeapKeyedStateBackend<K>, usize, &K);
    /// The backend (mutable), the current key's group and the current key.
    fn state_parts_mut(&mut self) -> (&mut HeapKeyedStateBackend<K>, usize, &K);
}

/// Registers state in a keyed function's `open`.
pub struct StateRegistry<'a, K> {
    pub(crate) backend: &'a mut HeapKeyedStateBackend<K>,
}

impl<K> std::fmt::Debug for StateRegistry<'_, K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateRegistry").finish_non_exhaustive()
    }
}

impl<K: Key> StateRegistry<'_, K> {
    /// A single value per key.
    pub fn value<V: StateData>(&mut self, name: &str) -> ValueState<V> {
        ValueState {
            id: self.backend.register::<V>(name),
            _v: PhantomData,
        }
    }
    /// A list per key.
    pub fn list<V: StateData>(&mut self, name: &str) -> ListState<V> {
        ListState {
            id: self.backend.register::<Vec<V>>(name),
            _v: PhantomData,
        }
    }
    /// A map per key.
    pub fn map<MK: Hash + Eq + StateData, MV: StateData>(&mut self, name: &str) -> MapState<MK, MV> {
        MapState {
            id: self.backend.register::<FxHashMap<MK, MV>>(name),
            _v: PhantomData,
        }
    }
    /// A value per key that folds added values with `reduce`.
    pub fn reducing<V: StateData, F: Fn(V, V) -> V>(&mut self, name: &str, reduce: F) -> ReducingState<V, F> {
        ReducingState {
            id: self.backend.register::<V>(name),
            reduce,
            _v: PhantomData,
        }
    }
}

/// One value per key.
#[derive(Debug)]
pub struct ValueState<V> {
    id: StateId,
    _v: PhantomData<fn() -> V>,
}

impl<V> Clone for ValueState<V> {
    fn clone(&self) -> Self {
        Self {
            id: self.id,
            _v: PhantomData,
        }
    }
}

impl<V: StateData> ValueState<V> {
    /// The current key's value.
    pub fn get<'c, K: Key>(&self, ctx: &'c impl KeyedStateAccess<K>) -> Option<&'c V> {
        let (b, kg, k) = ctx.state_parts();
        b.get::<V>(self.id, kg, k)
    }
    /// Sets the current key's value.
    pub fn update<K: Key>(&self, ctx: &mut impl KeyedStateAccess<K>, value: V) {
        let (b, kg, k) = ctx.state_parts_mut();
        match b.get_mut::<V>(self.id, kg, k) {
            Some(v) => *v = value,
            None => {
                b.get_or_insert_with(self.id, kg, k, || value);
            }
        }
    }
    /// Removes the current key's value.
    pub fn clear<K: Key>(&self, ctx: &mut impl KeyedStateAccess<K>) -> Option<V> {
        let (b, kg, k) = ctx.state_parts_mut();
        b.remove::<V>(self.id, kg, k)
    }
    /// The current key's value to change in place, created with `init` when absent (`None`
    /// only on a type mismatch): one lookup where `get` then `update` take two.
    pub fn get_or_insert_with<'c, K: Key>(
        &self,
        ctx: &'c mut impl KeyedStateAccess<K>,
        init: impl FnOnce() -> V,
    ) -> Option<&'c mut V> {
        let (b, kg, k) = ctx.state_parts_mut();
        b.get_or_insert_with(self.id, kg, k, init)
    }
}

/// A list per key.
#[derive(Debug)]
pub struct ListState<V> {
    id: StateId,
    _v: PhantomData<fn() -> V>,
}

impl<V> Clone for ListState<V> {
    fn clone(&self) -> Self {
        Self {
            id: self.id,
            _v: PhantomData,
        }
    }
}

impl<V: StateData> ListState<V> {
    /// The current key's list (empty when absent).
    pub fn get<'c, K: Key>(&self, ctx: &'c impl KeyedStateAccess<K>) -> &'c [V] {
        let (b, kg, k) = ctx.state_parts();
        b.get::<Vec<V>>(self.id, kg, k).map_or(&[], |v| v.as_slice())
    }
    /// The current key's list to change in place (`None` when absent).
    pub fn get_mut<'c, K: Key>(&self, ctx: &'c mut impl KeyedStateAccess<K>) -> Option<&'c mut Vec<V>> {
        let (b, kg, k) = ctx.state_parts_mut();
        b.get_mut::<Vec<V>>(self.id, kg, k)
    }
    /// Appends to the current key's list.
    pub fn add<K: Key>(&self, ctx: &mut impl KeyedStateAccess<K>, value: V) {
        let (b, kg, k) = ctx.state_parts_mut();
        if let Some(list) = b.get_or_insert_with(self.id, kg, k, Vec::new) {
            list.push(value);
        }
    }
    /// Replaces the current key's list.
    pub fn update<K: Key>(&self, ctx: &mut impl KeyedStateAccess<K>, values: Vec<V>) {
        let (b, kg, k) = ctx.state_parts_mut();
        if let Some(list) = b.get_or_insert_with(self.id, kg, k, Vec::new) {
            *list = values;
        }
    }
    /// Removes the current key's list.
    pub fn clear<K: Key>(&self, ctx: &mut impl KeyedStateAccess<K>) -> Vec<V> {
        let (b, kg, k) = ctx.state_parts_mut();
        b.remove::<Vec<V>>(self.id, kg, k).unwrap_or_default()
    }
}

/// A map per key.
#[derive(Debug)]
pub struct MapState<MK, MV> {
    id: StateId,
    _v: PhantomData<fn() -> (MK, MV)>,
}

impl<MK, MV> Clone for MapState<MK, MV> {
    fn clone(&self) -> Self {
        Self {
            id: self.id,
            _v: PhantomData,
        }
    }
}

impl<MK: Hash + Eq + StateData, MV: StateData> MapState<MK, MV> {
    fn map<'c, K: Key>(&self, ctx: &'c impl KeyedStateAccess<K>) -> Option<&'c FxHashMap<MK, MV>> {
        let (b, kg, k) = ctx.state_parts();
        b.get::<FxHashMap<MK, MV>>(self.id, kg, k)
    }
    /// The value under `map_key` for the current key.
    pub fn get<'c, K: Key>(&self, ctx: &'c impl KeyedStateAccess<K>, map_key: &MK) -> Option<&'c MV> {
        self.map(ctx)?.get(map_key)
    }
    /// Whether `map_key` is present for the current key.
    pub fn contains<K: Key>(&self, ctx: &impl KeyedStateAccess<K>, map_key: &MK) -> bool {
        self.map(ctx).is_some_and(|m| m.contains_key(map_key))
    }
    /// Entries of the current key (unordered).
    pub fn entries<'c, K: Key>(
        &self,
        ctx: &'c impl KeyedStateAccess<K>,
    ) -> impl Iterator<Item = (&'c MK, &'c MV)> {
        self.map(ctx).into_iter().flat_map(|m| m.iter())
    }
    /// Inserts for the current key; returns the previous value.
    pub fn put<K: Key>(&self, ctx: &mut impl KeyedStateAccess<K>, map_key: MK, value: MV) -> Option<MV> {
        let (b, kg, k) = ctx.state_parts_mut();
        b.get_or_insert_with(self.id, kg, k, FxHashMap::default)?
            .insert(map_key, value)
    }
    /// Removes `map_key` for the current key (and the key's map when it becomes empty).
    pub fn remove<K: Key>(&self, ctx: &mut impl KeyedStateAccess<K>, map_key: &MK) -> Option<MV> {
        let (b, kg, k) = ctx.state_parts_mut();
        let map = b.get_mut::<FxHashMap<MK, MV>>(self.id, kg, k)?;
        let removed = map.remove(map_key);
        if map.is_empty() {
            b.remove::<FxHashMap<MK, MV>>(self.id, kg, k);
        }
        removed
    }
    /// Removes the current key's map.
    pub fn clear<K: Key>(&self, ctx: &mut impl KeyedStateAccess<K>) {
        let (b, kg, k) = ctx.state_parts_mut();
        b.remove::<FxHashMap<MK, MV>>(self.id, kg, k);
    }
}

/// A value per key that folds every added value with a reduce function.
pub struct ReducingState<V, F> {
    id: StateId,
    reduce: F,
    _v: PhantomData<fn() -> V>,
}

impl<V, F: Clone> Clone for ReducingState<V, F> {
    fn clone(&self) -> Self {
        Self {
            id: self.id,
            reduce: self.reduce.clone(),
            _v: PhantomData,
        }
    }
}

impl<V, F> std::fmt::Debug for ReducingState<V, F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReducingState")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl<V: StateData, F: Fn(V, V) -> V> ReducingState<V, F> {
    /// The current key's reduction.
    pub fn get<'c, K: Key>(&self, ctx: &'c impl KeyedStateAccess<K>) -> Option<&'c V> {
        let (b, kg, k) = ctx.state_parts();
        b.get::<V>(self.id, kg, k)
    }
    /// Folds `value` into the current key's reduction.
    pub fn add<K: Key>(&self, ctx: &mut impl KeyedStateAccess<K>, value: V) {
        let (b, kg, k) = ctx.state_parts_mut();
        let next = match b.remove::<V>(self.id, kg, k) {
            Some(acc) => (self.reduce)(acc, value),
            None => value,
        };
        b.get_or_insert_with(self.id, kg, k, || next);
    }
    /// Removes the current key's reduction.
    pub fn clear<K: Key>(&self, ctx: &mut impl KeyedStateAccess<K>) -> Option<V> {
        let (b, kg, k) = ctx.state_parts_mut();
        b.remove::<V>(self.id, kg, k)
    }
}
