//! The partial lookup cache (Flink's `DefaultLookupCache`, `lookup.cache` = `PARTIAL`): the
//! rows found for a key, kept until `expire-after-write` after they were read, or until
//! `expire-after-access` after they were last used, and at most `max-rows` keys (Flink's
//! cache counts keys, not rows), the least recently used leaving first. A key PostgreSQL
//! has no row for is kept as an empty result when `cache-missing-key` is on (the default).
//!
//! Each subtask of a lookup join has its own cache, as each of Flink's lookup functions does.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::value::{Row, Value};

/// How the cache is bounded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CacheSpec {
    pub(crate) max_rows: Option<u64>,
    pub(crate) expire_after_write: Option<Duration>,
    pub(crate) expire_after_access: Option<Duration>,
    pub(crate) cache_missing_key: bool,
}

#[derive(Debug)]
struct Entry {
    rows: Arc<[Row]>,
    written: Instant,
    accessed: Instant,
    /// Its place in `order`.
    tick: u64,
}

/// One subtask's cache.
#[derive(Debug)]
pub(crate) struct LookupCache {
    spec: CacheSpec,
    entries: HashMap<Vec<Value>, Entry>,
    /// The keys by last use, oldest first.
    order: BTreeMap<u64, Vec<Value>>,
    next_tick: u64,
}

impl LookupCache {
    pub(crate) fn new(spec: CacheSpec) -> Self {
        Self {
            spec,
            entries: HashMap::new(),
            order: BTreeMap::new(),
            next_tick: 0,
        }
    }

    /// The rows cached for `key` at `now`, unless expired (then dropped).
    pub(crate) fn get(&mut self, key: &[Value], now: Instant) -> Option<Arc<[Row]>> {
        let expired = match self.entries.get(key) {
            None => return None,
            Some(e) => {
                self.spec
                    .expire_after_write
                    .is_some_and(|d| now.duration_since(e.written) >= d)
                    || self
                        .spec
                        .expire_after_access
                        .is_some_and(|d| now.duration_since(e.accessed) >= d)
            }
        };
        if expired {
            if let Some(e) = self.entries.remove(key) {
                self.order.remove(&e.tick);
            }
            return None;
        }
        let tick = self.tick();
        let e = self.entries.get_mut(key)?;
        e.accessed = now;
        let old = std::mem::replace(&mut e.tick, tick);
        let rows = Arc::clone(&e.rows);
        if let Some(k) = self.order.remove(&old) {
            self.order.insert(tick, k);
        }
        Some(rows)
    }

    /// Keeps `rows` for `key` (nothing for an empty result unless missing keys are cached).
    pub(crate) fn put(&mut self, key: Vec<Value>, rows: Arc<[Row]>, now: Instant) {
        if rows.is_empty() && !self.spec.cache_missing_key {
            return;
        }
        let tick = self.tick();
        let entry = Entry {
            rows,
            written: now,
            accessed: now,
            tick,
        };
        if let Some(old) = self.entries.insert(key.clone(), entry) {
            self.order.remove(&old.tick);
        }
        self.order.insert(tick, key);
        let max = self
            .spec
            .max_rows
            .map_or(usize::MAX, |m| usize::try_from(m).unwrap_or(usize::MAX));
        while self.entries.len() > max {
            let Some((_, oldest)) = self.order.pop_first() else {
                break;
            };
            self.entries.remove(&oldest);
        }
    }

    fn tick(&mut self) -> u64 {
        self.next_tick += 1;
        self.next_tick
    }

    /// Keys cached.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(max_rows: Option<u64>, write: Option<u64>, access: Option<u64>, missing: bool) -> CacheSpec {
        CacheSpec {
            max_rows,
            expire_after_write: write.map(Duration::from_secs),
            expire_after_access: access.map(Duration::from_secs),
            cache_missing_key: missing,
        }
    }

    fn rows(v: i64) -> Arc<[Row]> {
        vec![vec![Value::Int(v)]].into()
    }

    #[test]
    fn least_recently_used_keys_leave_first() {
        let mut c = LookupCache::new(spec(Some(2), None, None, true));
        let t = Instant::now();
        c.put(vec![Value::Int(1)], rows(1), t);
        c.put(vec![Value::Int(2)], rows(2), t);
        assert!(c.get(&[Value::Int(1)], t).is_some());
        c.put(vec![Value::Int(3)], rows(3), t);
        assert_eq!(c.len(), 2);
        assert!(c.get(&[Value::Int(2)], t).is_none(), "2 was used least recently");
        assert!(c.get(&[Value::Int(1)], t).is_some());
        assert!(c.get(&[Value::Int(3)], t).is_some());
    }

    #[test]
    fn entries_expire_after_write_and_after_access() {
        let t = Instant::now();
        let mut c = LookupCache::new(spec(None, Some(10), None, true));
        c.put(vec![Value::Int(1)], rows(1), t);
        assert!(c.get(&[Value::Int(1)], t + Duration::from_secs(9)).is_some());
        assert!(c.get(&[Value::Int(1)], t + Duration::from_secs(10)).is_none());
        let mut c = LookupCache::new(spec(None, None, Some(10), true));
        c.put(vec![Value::Int(1)], rows(1), t);
        assert!(c.get(&[Value::Int(1)], t + Duration::from_secs(9)).is_some());
        assert!(c.get(&[Value::Int(1)], t + Duration::from_secs(18)).is_some());
        assert!(c.get(&[Value::Int(1)], t + Duration::from_secs(28)).is_none());
    }

    #[test]
    fn missing_keys_are_cached_only_when_asked() {
        let t = Instant::now();
        let mut c = LookupCache::new(spec(Some(10), None, None, false));
        c.put(vec![Value::Int(1)], Vec::new().into(), t);
        assert!(c.get(&[Value::Int(1)], t).is_none());
        let mut c = LookupCache::new(spec(Some(10), None, None, true));
        c.put(vec![Value::Int(1)], Vec::new().into(), t);
        assert_eq!(c.get(&[Value::Int(1)], t).map(|r| r.len()), Some(0));
    }
}
