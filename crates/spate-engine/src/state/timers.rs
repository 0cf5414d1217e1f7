//! Per-key event-time and processing-time timers of keyed process functions.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;
use smallvec::SmallVec;

use crate::record::{Key, Timestamp};

/// Timers of one domain: fired in timestamp order, at most once per (time, key), deletable.
/// (Timers are keyed state too: the checkpoint issue snapshots them per key group.)
///
/// Registered timers are kept per key, so registering a timer that exists already (a function
/// that registers one per element, as a window join does for every row of its window) is one
/// lookup by reference: no copy of the key, which for SQL keys is an allocation.
pub(crate) struct TimerQueue<K> {
    by_time: BTreeMap<Timestamp, Vec<K>>,
    /// Per key, its registered times in ascending order (usually one).
    registered: FxHashMap<K, SmallVec<[Timestamp; 2]>>,
}

impl<K: Key> TimerQueue<K> {
    fn new() -> Self {
        Self {
            by_time: BTreeMap::new(),
            registered: FxHashMap::default(),
        }
    }

    pub(crate) fn register(&mut self, time: Timestamp, key: &K) {
        match self.registered.get_mut(key) {
            Some(times) => match times.binary_search(&time) {
                Ok(_) => return,
                Err(at) => times.insert(at, time),
            },
            None => {
                let mut times = SmallVec::new();
                times.push(time);
                self.registered.insert(key.clone(), times);
            }
        }
        self.by_time.entry(time).or_default().push(key.clone());
    }

    /// Forgets the timer; its entry in `by_time` is skipped when it comes due.
    pub(crate) fn delete(&mut self, time: Timestamp, key: &K) {
        self.unregister(time, key);
    }

    fn unregister(&mut self, time: Timestamp, key: &K) -> bool {
        let Some(times) = self.registered.get_mut(key) else {
            return false;
        };
        let Ok(at) = times.binary_search(&time) else {
            return false;
        };
        times.remove(at);
        if times.is_empty() {
            self.registered.remove(key);
        }
        true
    }

    /// The next due timer at or before `upto`.
    pub(crate) fn pop_due(&mut self, upto: Timestamp) -> Option<(Timestamp, K)> {
        loop {
            let mut entry = self.by_time.first_entry()?;
            let time = *entry.key();
            if time > upto {
                return None;
            }
            let Some(key) = entry.get_mut().pop() else {
                entry.remove();
                continue;
            };
            if entry.get().is_empty() {
                entry.remove();
            }
            if self.unregister(time, &key) {
                return Some((time, key));
            }
        }
    }

    /// Every registered timer as (time, key).
    pub(crate) fn all(&self) -> impl Iterator<Item = (Timestamp, &K)> {
        self.registered
            .iter()
            .flat_map(|(k, times)| times.iter().map(move |t| (*t, k)))
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.registered.values().map(|t| t.len()).sum()
    }
}

pub(crate) struct TimerService<K> {
    pub(crate) event: TimerQueue<K>,
    pub(crate) processing: TimerQueue<K>,
    /// Set by the final watermark: event-time registrations are ignored from then on.
    pub(crate) event_quiesced: bool,
    /// Set at the end of input, before the remaining processing-time timers fire:
    /// processing-time registrations are ignored from then on. Records can still arrive
    /// between the final watermark and the end of input (an upstream operator's own final
    /// timers emit them), and their processing-time timers must still fire.
    pub(crate) processing_quiesced: bool,
}

impl<K: Key> TimerService<K> {
    pub(crate) fn new() -> Self {
        Self {
            event: TimerQueue::new(),
            processing: TimerQueue::new(),
            event_quiesced: false,
            processing_quiesced: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fires_in_order_once_and_respects_deletes() {
        let mut q = TimerQueue::<u32>::new();
        q.register(30, &1);
        q.register(10, &2);
        q.register(10, &2);
        q.register(20, &3);
        q.delete(20, &3);
        assert_eq!(q.len(), 2);
        assert_eq!(q.pop_due(25), Some((10, 2)));
        assert_eq!(q.pop_due(25), None);
        assert_eq!(q.pop_due(100), Some((30, 1)));
        assert_eq!(q.pop_due(100), None);
    }

    #[derive(Debug, Clone)]
    enum Op {
        Register(i64, u8),
        Delete(i64, u8),
        PopDue(i64),
    }

    fn op() -> impl proptest::strategy::Strategy<Value = Op> {
        use proptest::prelude::*;
        prop_oneof![
            4 => (0..20i64, 0..5u8).prop_map(|(t, k)| Op::Register(t, k)),
            1 => (0..20i64, 0..5u8).prop_map(|(t, k)| Op::Delete(t, k)),
            1 => (0..25i64).prop_map(Op::PopDue),
        ]
    }

    proptest::proptest! {
        /// Against a set of (time, key): registering is idempotent, deletes forget, due timers
        /// come out in time order exactly once, and `all` lists what is registered.
        #[test]
        fn behaves_as_a_set_of_time_key_pairs(ops in proptest::collection::vec(op(), 0..200)) {
            use std::collections::BTreeSet;
            let mut q = TimerQueue::<u8>::new();
            let mut model: BTreeSet<(i64, u8)> = BTreeSet::new();
            for op in ops {
                match op {
                    Op::Register(t, k) => {
                        q.register(t, &k);
                        model.insert((t, k));
                    }
                    Op::Delete(t, k) => {
                        q.delete(t, &k);
                        model.remove(&(t, k));
                    }
                    Op::PopDue(upto) => {
                        let mut fired = Vec::new();
                        while let Some(t) = q.pop_due(upto) {
                            fired.push(t);
                        }
                        let due: Vec<(i64, u8)> = model.iter().copied().filter(|(t, _)| *t <= upto).collect();
                        for d in &due {
                            model.remove(d);
                        }
                        let times: Vec<i64> = fired.iter().map(|(t, _)| *t).collect();
                        proptest::prop_assert!(times.windows(2).all(|w| w[0] <= w[1]), "{fired:?}");
                        fired.sort_unstable();
                        proptest::prop_assert_eq!(fired, due);
                    }
                }
                let mut all: Vec<(i64, u8)> = q.all().map(|(t, k)| (t, *k)).collect();
                all.sort_unstable();
                proptest::prop_assert_eq!(all, model.iter().copied().collect::<Vec<_>>());
                proptest::prop_assert_eq!(q.len(), model.len());
            }
        }
    }
}
