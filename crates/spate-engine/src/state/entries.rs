//! The entries of one shard of one state's key group: a hash table probed once per access,
//! with the key's hash computed once.
//!
//! A `HashMap` has no stable way to find-or-insert with a borrowed key, so reading a value and
//! creating it when absent took three hashes and three probes (contains, insert, get), and the
//! shard was found by a fourth hash. On Nexmark q7, whose regular join keeps a million bids by
//! price, those probes were a fifth of the job. Here the caller hashes the key once
//! ([`key_hash`]), picks the shard from it, and the table is probed once with it.

use hashbrown::HashTable;
use hashbrown::hash_table::Entry;

use crate::keygroup::key_hash;
use crate::record::{Key, StateData};

/// The hash a table slot is found by, from the key's [`key_hash`]. The key hash's low bits
/// choose the key group and its top bits the shard, so within one table both are nearly
/// constant; the table needs varied low bits (its bucket) and top bits (its tag), so they are
/// mixed again.
#[inline]
fn slot_hash(key_hash: u64) -> u64 {
    (key_hash ^ (key_hash >> 29)).wrapping_mul(0xbf58_476d_1ce4_e5b9) ^ (key_hash >> 32)
}

/// One shard's `(key, value)` entries.
#[derive(Clone)]
pub(super) struct Entries<K, S>(HashTable<(K, S)>);

impl<K, S> Default for Entries<K, S> {
    fn default() -> Self {
        Self(HashTable::new())
    }
}

impl<K: Key, S: StateData> Entries<K, S> {
    pub(super) fn len(&self) -> usize {
        self.0.len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(super) fn reserve(&mut self, additional: usize) {
        self.0.reserve(additional, |(k, _)| slot_hash(key_hash(k)));
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = (&K, &S)> {
        self.0.iter().map(|(k, s)| (k, s))
    }

    /// The value of `key`, whose [`key_hash`] is `hash`.
    pub(super) fn get(&self, hash: u64, key: &K) -> Option<&S> {
        self.0.find(slot_hash(hash), |(k, _)| k == key).map(|(_, s)| s)
    }

    pub(super) fn get_mut(&mut self, hash: u64, key: &K) -> Option<&mut S> {
        self.0
            .find_mut(slot_hash(hash), |(k, _)| k == key)
            .map(|(_, s)| s)
    }

    /// The value of `key`, created with `init` (and the key cloned) only when absent.
    pub(super) fn get_or_insert_with(&mut self, hash: u64, key: &K, init: impl FnOnce() -> S) -> &mut S {
        let entry = self.0.entry(
            slot_hash(hash),
            |(k, _)| k == key,
            |(k, _)| slot_hash(key_hash(k)),
        );
        let (_, value) = match entry {
            Entry::Occupied(found) => found.into_mut(),
            Entry::Vacant(absent) => absent.insert((key.clone(), init())).into_mut(),
        };
        value
    }

    /// Sets the value of `key` (restores: a key is in one checkpoint entry at most).
    pub(super) fn insert(&mut self, hash: u64, key: K, value: S) {
        match self.0.entry(
            slot_hash(hash),
            |(k, _)| *k == key,
            |(k, _)| slot_hash(key_hash(k)),
        ) {
            Entry::Occupied(mut found) => found.get_mut().1 = value,
            Entry::Vacant(absent) => {
                absent.insert((key, value));
            }
        }
    }

    pub(super) fn remove(&mut self, hash: u64, key: &K) -> Option<S> {
        let found = self.0.find_entry(slot_hash(hash), |(k, _)| k == key).ok()?;
        let ((_, value), _) = found.remove();
        Some(value)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::*;

    #[derive(Debug, Clone)]
    enum Op {
        GetOrInsert(u32, u64),
        Set(u32, u64),
        Remove(u32),
        Add(u32, u64),
    }

    fn op() -> impl Strategy<Value = Op> {
        // Few distinct keys, so that keys are found again, removed and re-added.
        prop_oneof![
            (0u32..500, any::<u64>()).prop_map(|(k, v)| Op::GetOrInsert(k, v)),
            (0u32..500, any::<u64>()).prop_map(|(k, v)| Op::Set(k, v)),
            (0u32..500).prop_map(Op::Remove),
            (0u32..500, any::<u64>()).prop_map(|(k, v)| Op::Add(k, v)),
        ]
    }

    proptest! {
        /// The table behaves as a map: after any operations its entries and every lookup equal
        /// a `HashMap`'s given the same operations.
        #[test]
        fn entries_behave_as_a_hash_map(ops in proptest::collection::vec(op(), 0..3000)) {
            let mut entries = Entries::<u32, u64>::default();
            let mut oracle = HashMap::new();
            for op in &ops {
                match *op {
                    Op::GetOrInsert(k, v) => {
                        let got = *entries.get_or_insert_with(key_hash(&k), &k, || v);
                        prop_assert_eq!(got, *oracle.entry(k).or_insert(v));
                    }
                    Op::Set(k, v) => {
                        entries.insert(key_hash(&k), k, v);
                        oracle.insert(k, v);
                    }
                    Op::Remove(k) => prop_assert_eq!(entries.remove(key_hash(&k), &k), oracle.remove(&k)),
                    Op::Add(k, v) => {
                        let got = entries.get_mut(key_hash(&k), &k).map(|s| {
                            *s = s.wrapping_add(v);
                            *s
                        });
                        let want = oracle.get_mut(&k).map(|s| {
                            *s = s.wrapping_add(v);
                            *s
                        });
                        prop_assert_eq!(got, want);
                    }
                }
            }
            prop_assert_eq!(entries.len(), oracle.len());
            let all: HashMap<u32, u64> = entries.iter().map(|(k, v)| (*k, *v)).collect();
            prop_assert_eq!(&all, &oracle);
            for k in 0u32..500 {
                prop_assert_eq!(entries.get(key_hash(&k), &k), oracle.get(&k));
            }
        }
    }

    #[test]
    fn keys_of_one_key_group_and_shard_spread_over_the_table() {
        // Keys that share a key group (low bits) and a shard (top bits), as one table holds.
        let keys: Vec<u64> = (0u64..200_000)
            .filter(|k| key_hash(k) % 128 == 5 && key_hash(k) >> 60 == 3)
            .collect();
        assert!(keys.len() > 50, "{}", keys.len());
        let buckets: std::collections::HashSet<u64> =
            keys.iter().map(|k| slot_hash(key_hash(k)) & 1023).collect();
        let tags: std::collections::HashSet<u64> =
            keys.iter().map(|k| slot_hash(key_hash(k)) >> 57).collect();
        assert!(
            buckets.len() * 10 > keys.len().min(1024) * 6,
            "{} buckets",
            buckets.len()
        );
        assert!(tags.len() > 40, "{} tags", tags.len());
    }
}
