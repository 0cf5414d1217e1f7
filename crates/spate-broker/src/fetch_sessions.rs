//! Incremental fetch sessions (KIP-227), as Kafka's `FetchSession.scala`: a client that sends a
//! full Fetch with session epoch 0 gets a session id; its next requests (epoch 1, 2, ...) name
//! only the partitions whose fetch position changed and those it no longer wants, and the broker
//! answers only for partitions with records, an error, or a changed high watermark, last stable
//! offset or log start offset. Epoch -1 asks for no session (and closes the one named).
//!
//! The cache is bounded (`max.incremental.fetch.session.cache.slots`): when it is full, a new
//! session takes the slot of one idle for [`EVICTION_MS`] (the longest idle first), else of the
//! smallest one if that has fewer partitions than the new one, else the client gets no session
//! (id 0) and keeps sending full requests, as with Kafka.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard, PoisonError};

use kafka_protocol::ResponseError;
use uuid::Uuid;

/// Epoch of a full request that creates a session.
pub(crate) const INITIAL_EPOCH: i32 = 0;
/// Epoch of a request that wants no session (and closes the one it names).
pub(crate) const FINAL_EPOCH: i32 = -1;
/// Kafka's `MIN_INCREMENTAL_FETCH_SESSION_EVICTION_MS`: a session unused this long may lose its
/// slot to a new one.
pub(crate) const EVICTION_MS: i64 = 120_000;
/// Kafka's default `max.incremental.fetch.session.cache.slots`.
pub(crate) const DEFAULT_SLOTS: usize = 1000;

/// A topic as the request version names it: by name below Fetch v13, by id from v13.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum TopicKey {
    Name(String),
    Id(Uuid),
}

/// One partition of a session: what the client asked for and what it was last told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CachedPartition {
    pub fetch_offset: i64,
    pub max_bytes: i32,
    pub high_watermark: i64,
    pub last_stable_offset: i64,
    pub log_start_offset: i64,
}

impl CachedPartition {
    /// A partition the client has not been told anything about yet.
    pub(crate) fn requested(fetch_offset: i64, max_bytes: i32) -> CachedPartition {
        CachedPartition {
            fetch_offset,
            max_bytes,
            high_watermark: -1,
            last_stable_offset: -1,
            log_start_offset: -1,
        }
    }
}

/// What a response says of one partition, for deciding whether it must be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PartitionNews {
    pub has_records: bool,
    pub error_code: i16,
    pub high_watermark: i64,
    pub last_stable_offset: i64,
    pub log_start_offset: i64,
}

pub(crate) type SessionPartitions = BTreeMap<(TopicKey, i32), CachedPartition>;

#[derive(Debug)]
struct Session {
    /// The epoch the next request must carry.
    next_epoch: i32,
    uses_topic_ids: bool,
    partitions: SessionPartitions,
    last_used_ms: i64,
}

/// Partition changes an incremental request carries.
#[derive(Debug, Default)]
pub(crate) struct Changes {
    /// Added or updated: fetch offset and max bytes.
    pub upserts: Vec<((TopicKey, i32), i64, i32)>,
    pub forgotten: Vec<(TopicKey, i32)>,
}

#[derive(Debug)]
pub(crate) struct FetchSessionCache {
    slots: usize,
    sessions: Mutex<HashMap<i32, Session>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every change is a single insert or field update: a panic cannot leave half of one.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Kafka's `nextEpoch`: after `i32::MAX` comes 1 (0 is for creating sessions).
fn next_epoch(epoch: i32) -> i32 {
    if epoch == i32::MAX { 1 } else { epoch + 1 }
}

impl FetchSessionCache {
    pub(crate) fn new(slots: usize) -> FetchSessionCache {
        FetchSessionCache {
            slots,
            sessions: Mutex::new(HashMap::new()),
        }
    }

    /// Forgets session `id` (a full request replaces it, epoch -1 closes it); unknown ids are
    /// ignored, as in Kafka.
    pub(crate) fn remove(&self, id: i32) {
        lock(&self.sessions).remove(&id);
    }

    /// Creates a session for the partitions of a full response; returns its id, or 0 when no
    /// slot can be had.
    pub(crate) fn create(&self, uses_topic_ids: bool, partitions: SessionPartitions, now_ms: i64) -> i32 {
        if self.slots == 0 {
            return 0;
        }
        let mut sessions = lock(&self.sessions);
        if sessions.len() >= self.slots && !evict_for(&mut sessions, partitions.len(), now_ms) {
            return 0;
        }
        let id = loop {
            let candidate = (uuid::Uuid::new_v4().as_u128() as i32) & i32::MAX;
            if candidate != 0 && !sessions.contains_key(&candidate) {
                break candidate;
            }
        };
        sessions.insert(
            id,
            Session {
                next_epoch: next_epoch(INITIAL_EPOCH),
                uses_topic_ids,
                partitions,
                last_used_ms: now_ms,
            },
        );
        id
    }

    /// Checks an incremental request against session `id`, applies its changes and moves the
    /// epoch on; returns every partition the session now fetches.
    pub(crate) fn update(
        &self,
        id: i32,
        epoch: i32,
        uses_topic_ids: bool,
        changes: Changes,
        now_ms: i64,
    ) -> Result<SessionPartitions, ResponseError> {
        let mut sessions = lock(&self.sessions);
        let session = sessions
            .get_mut(&id)
            .ok_or(ResponseError::FetchSessionIdNotFound)?;
        if session.next_epoch != epoch {
            return Err(ResponseError::InvalidFetchSessionEpoch);
        }
        if session.uses_topic_ids != uses_topic_ids {
            return Err(if uses_topic_ids {
                ResponseError::FetchSessionTopicIdError
            } else {
                ResponseError::InvalidFetchSessionEpoch
            });
        }
        for (key, fetch_offset, max_bytes) in changes.upserts {
            session
                .partitions
                .entry(key)
                .and_modify(|p| {
                    p.fetch_offset = fetch_offset;
                    p.max_bytes = max_bytes;
                })
                .or_insert_with(|| CachedPartition::requested(fetch_offset, max_bytes));
        }
        for key in changes.forgotten {
            session.partitions.remove(&key);
        }
        session.next_epoch = next_epoch(session.next_epoch);
        session.last_used_ms = now_ms;
        Ok(session.partitions.clone())
    }

    /// Whether an incremental response must carry this partition of session `id`; records what
    /// the client is told. A session evicted meanwhile answers everything.
    pub(crate) fn must_respond(&self, id: i32, key: &(TopicKey, i32), news: PartitionNews) -> bool {
        let mut sessions = lock(&self.sessions);
        let Some(cached) = sessions.get_mut(&id).and_then(|s| s.partitions.get_mut(key)) else {
            return true;
        };
        let changed = cached.high_watermark != news.high_watermark
            || cached.last_stable_offset != news.last_stable_offset
            || cached.log_start_offset != news.log_start_offset;
        cached.high_watermark = news.high_watermark;
        cached.last_stable_offset = news.last_stable_offset;
        cached.log_start_offset = news.log_start_offset;
        changed || news.has_records || news.error_code != 0
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        lock(&self.sessions).len()
    }
}

/// Frees a slot for a new session of `size` partitions; false when no session may go.
fn evict_for(sessions: &mut HashMap<i32, Session>, size: usize, now_ms: i64) -> bool {
    let stale = sessions
        .iter()
        .filter(|(_, s)| now_ms.saturating_sub(s.last_used_ms) >= EVICTION_MS)
        .min_by_key(|(id, s)| (s.last_used_ms, **id))
        .map(|(&id, _)| id);
    let victim = stale.or_else(|| {
        sessions
            .iter()
            .filter(|(_, s)| s.partitions.len() < size)
            .min_by_key(|(id, s)| (s.partitions.len(), s.last_used_ms, **id))
            .map(|(&id, _)| id)
    });
    match victim {
        Some(id) => {
            sessions.remove(&id);
            true
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(topic: &str, partition: i32) -> (TopicKey, i32) {
        (TopicKey::Name(topic.to_string()), partition)
    }

    fn partitions(n: i32) -> SessionPartitions {
        (0..n)
            .map(|p| (key("t", p), CachedPartition::requested(0, 1024)))
            .collect()
    }

    fn news(high_watermark: i64, has_records: bool) -> PartitionNews {
        PartitionNews {
            has_records,
            error_code: 0,
            high_watermark,
            last_stable_offset: high_watermark,
            log_start_offset: 0,
        }
    }

    #[test]
    fn epochs_must_follow_and_changes_apply() {
        let cache = FetchSessionCache::new(10);
        let id = cache.create(false, partitions(2), 0);
        assert_ne!(id, 0);
        assert_eq!(
            cache.update(id + 1, 1, false, Changes::default(), 0).unwrap_err(),
            ResponseError::FetchSessionIdNotFound
        );
        assert_eq!(
            cache.update(id, 2, false, Changes::default(), 0).unwrap_err(),
            ResponseError::InvalidFetchSessionEpoch
        );
        assert_eq!(
            cache.update(id, 1, true, Changes::default(), 0).unwrap_err(),
            ResponseError::FetchSessionTopicIdError
        );
        let changes = Changes {
            upserts: vec![(key("t", 1), 7, 99), (key("u", 0), 3, 10)],
            forgotten: vec![key("t", 0)],
        };
        let now = cache.update(id, 1, false, changes, 0).unwrap();
        assert_eq!(now.len(), 2);
        assert_eq!(
            (now[&key("t", 1)].fetch_offset, now[&key("t", 1)].max_bytes),
            (7, 99)
        );
        assert_eq!(now[&key("u", 0)].fetch_offset, 3);
        // The same epoch again is stale.
        assert_eq!(
            cache.update(id, 1, false, Changes::default(), 0).unwrap_err(),
            ResponseError::InvalidFetchSessionEpoch
        );
        assert!(cache.update(id, 2, false, Changes::default(), 0).is_ok());
        cache.remove(id);
        assert_eq!(
            cache.update(id, 3, false, Changes::default(), 0).unwrap_err(),
            ResponseError::FetchSessionIdNotFound
        );
        assert_eq!(next_epoch(i32::MAX), 1);
    }

    #[test]
    fn only_news_is_sent() {
        let cache = FetchSessionCache::new(10);
        let id = cache.create(false, partitions(1), 0);
        let k = key("t", 0);
        assert!(cache.must_respond(id, &k, news(5, false)), "first high watermark");
        assert!(!cache.must_respond(id, &k, news(5, false)), "nothing new");
        assert!(cache.must_respond(id, &k, news(5, true)), "records");
        assert!(cache.must_respond(id, &k, news(6, false)), "moved high watermark");
        let mut failed = news(6, false);
        failed.error_code = 1;
        assert!(cache.must_respond(id, &k, failed), "errors");
        assert!(
            cache.must_respond(id + 1, &k, news(6, false)),
            "an evicted session answers all"
        );
    }

    #[test]
    fn a_full_cache_evicts_stale_then_smaller_sessions_or_gives_none() {
        let cache = FetchSessionCache::new(2);
        assert_eq!(FetchSessionCache::new(0).create(false, partitions(1), 0), 0);
        let old = cache.create(false, partitions(3), 0);
        let big = cache.create(false, partitions(3), 100);
        // Neither stale nor smaller: no session.
        assert_eq!(cache.create(false, partitions(3), 1_000), 0);
        assert_eq!(cache.len(), 2);
        // A larger one takes the smallest's slot... none is smaller than 3 but 4 wins.
        let bigger = cache.create(false, partitions(4), 1_000);
        assert_ne!(bigger, 0);
        assert!(
            cache.update(old, 1, false, Changes::default(), 1_000).is_err(),
            "oldest of equals went"
        );
        // A stale session gives its slot to anyone.
        let small = cache.create(false, partitions(1), 100 + EVICTION_MS);
        assert_ne!(small, 0);
        assert_eq!(
            cache.update(big, 1, false, Changes::default(), 0).unwrap_err(),
            ResponseError::FetchSessionIdNotFound
        );
        assert!(cache.update(bigger, 1, false, Changes::default(), 0).is_ok());
    }
}
