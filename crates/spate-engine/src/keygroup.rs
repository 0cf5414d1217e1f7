//! Key groups: the unit in which keyed state is partitioned and (later) redistributed.
//!
//! A key is hashed deterministically (the same key maps to the same key group in every process
//! and run, which checkpoints depend on) into one of `max_parallelism` key groups; a contiguous
//! range of key groups belongs to each subtask, as Flink's `KeyGroupRangeAssignment` does.

use std::hash::{Hash, Hasher};

/// The default number of key groups (the largest parallelism a keyed operator can be rescaled to).
pub const DEFAULT_MAX_PARALLELISM: usize = 128;

/// A deterministic, well-mixed 64-bit hash of a key.
#[inline]
pub fn key_hash<K: Hash + ?Sized>(key: &K) -> u64 {
    let mut hasher = rustc_hash::FxHasher::default();
    key.hash(&mut hasher);
    fmix64(hasher.finish())
}

/// The key group of a key.
#[inline]
pub fn key_group_of<K: Hash + ?Sized>(key: &K, max_parallelism: usize) -> usize {
    (key_hash(key) % max_parallelism as u64) as usize
}

/// The subtask that owns a key group.
#[inline]
pub fn subtask_for_key_group(key_group: usize, parallelism: usize, max_parallelism: usize) -> usize {
    key_group * parallelism / max_parallelism
}

/// An inclusive-exclusive range of key groups `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyGroupRange {
    /// First key group.
    pub start: usize,
    /// One past the last key group.
    pub end: usize,
}

impl KeyGroupRange {
    /// The key groups owned by `subtask` of an operator with `parallelism` subtasks.
    pub fn for_subtask(subtask: usize, parallelism: usize, max_parallelism: usize) -> Self {
        let start = (subtask * max_parallelism).div_ceil(parallelism);
        let end = ((subtask + 1) * max_parallelism).div_ceil(parallelism);
        Self {
            start,
            end: end.min(max_parallelism),
        }
    }

    /// Whether the range contains a key group.
    pub fn contains(&self, key_group: usize) -> bool {
        (self.start..self.end).contains(&key_group)
    }

    /// Number of key groups in the range.
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// Whether the range is empty (more subtasks than key groups).
    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }
}

/// MurmurHash3's 64-bit finalizer: spreads Fx's weak low bits over the whole word.
#[inline]
fn fmix64(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^ (k >> 33)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_partition_all_key_groups_and_match_assignment() {
        for max in [1usize, 7, 128] {
            for p in 1..=max.min(16) {
                let mut covered = 0;
                for s in 0..p {
                    let r = KeyGroupRange::for_subtask(s, p, max);
                    assert_eq!(r.start, covered, "ranges are contiguous");
                    covered = r.end;
                    for kg in r.start..r.end {
                        assert_eq!(subtask_for_key_group(kg, p, max), s);
                    }
                }
                assert_eq!(covered, max);
            }
        }
    }

    #[test]
    fn key_groups_spread_keys() {
        let mut counts = [0usize; 128];
        for k in 0u64..12_800 {
            counts[key_group_of(&k, 128)] += 1;
        }
        assert!(counts.iter().all(|&c| c > 50 && c < 150), "{counts:?}");
    }
}
