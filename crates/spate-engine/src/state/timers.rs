//! Per-key event-time and processing-time timers of keyed process functions.

use std::collections::BTreeMap;

use rustc_hash::FxHashSet;

use crate::record::{Key, Timestamp};

/// Timers of one domain: fired in timestamp order, at most once per (time, key), deletable.
/// (Timers are keyed state too: the checkpoint issue snapshots them per key group.)
pub(crate) struct TimerQueue<K> {
    by_time: BTreeMap<Timestamp, Vec<K>>,
    registered: FxHashSet<(Timestamp, K)>,
}

impl<K: Key> TimerQueue<K> {
    fn new() -> Self {
        Self {
            by_time: BTreeMap::new(),
            registered: FxHashSet::default(),
        }
    }

    pub(crate) fn register(&mut self, time: Timestamp, key: &K) {
        if self.registered.insert((time, key.clone())) {
            self.by_time.entry(time).or_default().push(key.clone());
        }
    }

    pub(crate) fn delete(&mut self, time: Timestamp, key: &K) {
        self.registered.remove(&(time, key.clone()));
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
            if self.registered.remove(&(time, key.clone())) {
                return Some((time, key));
            }
        }
    }

    /// Every registered timer as (time, key).
    pub(crate) fn all(&self) -> impl Iterator<Item = &(Timestamp, K)> {
        self.registered.iter()
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.registered.len()
    }
}

pub(crate) struct TimerService<K> {
    pub(crate) event: TimerQueue<K>,
    pub(crate) processing: TimerQueue<K>,
    /// Set at the end of input: registrations are ignored from then on.
    pub(crate) quiesced: bool,
}

impl<K: Key> TimerService<K> {
    pub(crate) fn new() -> Self {
        Self {
            event: TimerQueue::new(),
            processing: TimerQueue::new(),
            quiesced: false,
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
}
