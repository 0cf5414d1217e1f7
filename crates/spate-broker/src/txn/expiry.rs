//! Removal of idle transactional ids (`transactional.id.expiration.ms`), as Kafka's
//! `TransactionStateManager.removeExpiredTransactionalIds`: an id with no transaction in
//! progress (Empty, CompleteCommit, CompleteAbort) whose state last changed that long ago is
//! removed, with a removal record in the state log. Its producer id is not reused; the next
//! InitProducerId for the id starts it afresh with a new producer id.
//!
//! The removal record need not be durable at once: its last change time is, so a restart that
//! lost the record removes the id again at the next check.

use super::coordinator::{TransactionCoordinator, lock};
use super::metadata::TxnState;

impl TransactionCoordinator {
    /// Removes the ids idle for at least `expiration_ms` at `now_ms`; returns them, sorted.
    /// An id busy with a request is left for the next check.
    pub(crate) fn expire_transactional_ids(&self, now_ms: i64, expiration_ms: i64) -> Vec<String> {
        let mut removed = Vec::new();
        lock(&self.entries).retain(|id, entry| {
            let Ok(mut m) = entry.try_lock() else {
                return true;
            };
            let idle = matches!(
                m.state,
                TxnState::Empty | TxnState::CompleteCommit | TxnState::CompleteAbort
            );
            if !idle || m.last_update_ms > now_ms.saturating_sub(expiration_ms) {
                return true;
            }
            if let Err(e) = self.log.append_removal(id, false) {
                tracing::error!(transactional_id = %id, "cannot record the expiry of a transactional id: {e}");
                return true;
            }
            // Requests that found the entry before it left the map see it gone.
            m.state = TxnState::Dead;
            removed.push(id.clone());
            false
        });
        removed.sort();
        removed
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use kafka_protocol::ResponseError;
    use spate_log::{LogStore, StoreConfig};

    use super::*;
    use crate::clock::Clock;
    use crate::groups::{GroupConfig, GroupCoordinator};
    use crate::producer_ids::ProducerIdAllocator;
    use crate::txn::state_log::{DEFAULT_COMPACT_MIN_BYTES, LOG_FILE};

    const DAY: i64 = 86_400_000;
    const WEEK: i64 = 7 * DAY;

    struct Setup {
        dir: tempfile::TempDir,
        store: LogStore,
        groups: GroupCoordinator,
        ids: ProducerIdAllocator,
    }

    fn setup() -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let store = LogStore::open(dir.path().join("log"), StoreConfig::default()).unwrap();
        store.create_topic("t", 1, &Default::default()).unwrap();
        let groups = GroupCoordinator::open(&store, GroupConfig::default()).unwrap();
        let ids = ProducerIdAllocator::open(dir.path().join("ids")).unwrap();
        Setup {
            dir,
            store,
            groups,
            ids,
        }
    }

    fn open(s: &Setup, clock: &Clock) -> TransactionCoordinator {
        TransactionCoordinator::open_with(s.dir.path().join("txn"), DEFAULT_COMPACT_MIN_BYTES, clock.clone())
            .unwrap()
    }

    fn init(s: &Setup, c: &TransactionCoordinator, id: &str) -> (i64, i16) {
        c.init_producer_id(&s.store, &s.groups, &s.ids, id, 60_000, None)
            .unwrap()
    }

    fn listed(c: &TransactionCoordinator) -> Vec<String> {
        c.list(|_, _, _| true)
            .into_iter()
            .map(|v| v.transactional_id)
            .collect()
    }

    #[test]
    fn idle_ids_expire_and_come_back_with_a_new_producer_id() {
        let s = setup();
        let (clock, now) = Clock::manual(1_000);
        let c = open(&s, &clock);
        let (pid, epoch) = init(&s, &c, "idle");
        init(&s, &c, "busy");
        assert!(c.expire_transactional_ids(1_000 + WEEK - 1, WEEK).is_empty());
        // Any transactional request restarts the count.
        now.store(1_000 + DAY, Ordering::Relaxed);
        let (busy_pid, busy_epoch) = init(&s, &c, "busy");
        assert_eq!(c.expire_transactional_ids(1_000 + WEEK, WEEK), ["idle"]);
        assert_eq!(listed(&c), ["busy"]);
        assert!(c.describe("idle").is_none());
        // The old producer is unknown now; EndTxn and AddPartitions say so.
        assert_eq!(
            c.end_txn(&s.store, &s.groups, "idle", pid, epoch, true),
            Err(ResponseError::InvalidProducerIdMapping)
        );
        let t0 = [("t".to_string(), 0)];
        assert_eq!(
            c.add_partitions("idle", pid, epoch, &t0, 0),
            Err(ResponseError::InvalidProducerIdMapping)
        );
        assert_eq!(c.expire_transactional_ids(1_000 + DAY + WEEK, WEEK), ["busy"]);
        assert!(listed(&c).is_empty());
        // A new producer with the same id starts afresh, and can run a transaction.
        let (new_pid, new_epoch) = init(&s, &c, "idle");
        assert_ne!(new_pid, pid);
        assert_eq!(new_epoch, 0);
        c.add_partitions("idle", new_pid, new_epoch, &t0, 0).unwrap();
        c.end_txn(&s.store, &s.groups, "idle", new_pid, new_epoch, true)
            .unwrap();
        let (again_pid, again_epoch) = init(&s, &c, "busy");
        assert!(again_pid != busy_pid && again_epoch == 0 && busy_epoch == 1);
    }

    #[test]
    fn ids_in_a_transaction_do_not_expire_and_completion_restarts_the_count() {
        let s = setup();
        let (clock, now) = Clock::manual(0);
        let c = open(&s, &clock);
        let (pid, epoch) = init(&s, &c, "open");
        c.add_partitions("open", pid, epoch, &[("t".to_string(), 0)], 0)
            .unwrap();
        assert!(c.expire_transactional_ids(10 * WEEK, WEEK).is_empty());
        now.store(10 * WEEK, Ordering::Relaxed);
        c.end_txn(&s.store, &s.groups, "open", pid, epoch, false).unwrap();
        assert!(c.expire_transactional_ids(11 * WEEK - 1, WEEK).is_empty());
        assert_eq!(c.expire_transactional_ids(11 * WEEK, WEEK), ["open"]);
    }

    #[test]
    fn a_request_that_found_the_id_before_it_expired_sees_it_gone() {
        let s = setup();
        let (clock, _) = Clock::manual(0);
        let c = open(&s, &clock);
        let (pid, epoch) = init(&s, &c, "racy");
        let found = c.entry("racy").unwrap();
        assert_eq!(c.expire_transactional_ids(WEEK, WEEK), ["racy"]);
        assert_eq!(lock(&found).state, TxnState::Dead);
        assert_eq!(
            c.with_transactional_append("racy", pid, epoch, "t", 0, || ()),
            Err(ResponseError::InvalidProducerIdMapping)
        );
        // InitProducerId looks the id up again instead of reviving the dead entry.
        let (new_pid, _) = init(&s, &c, "racy");
        assert_ne!(new_pid, pid);
        assert_eq!(listed(&c), ["racy"]);
    }

    #[test]
    fn expiry_holds_across_restarts_even_when_its_record_was_lost() {
        let s = setup();
        let (clock, now) = Clock::manual(0);
        let c = open(&s, &clock);
        init(&s, &c, "gone");
        init(&s, &c, "kept");
        now.store(WEEK, Ordering::Relaxed);
        init(&s, &c, "kept");
        let log_path = s.dir.path().join("txn").join(LOG_FILE);
        let before_removal = std::fs::metadata(&log_path).unwrap().len();
        assert_eq!(c.expire_transactional_ids(WEEK, WEEK), ["gone"]);
        c.log.sync().unwrap();
        drop(c);
        let c = open(&s, &clock);
        assert_eq!(listed(&c), ["kept"], "the removal record holds");
        drop(c);
        // A crash before the removal record reached the disk: the id is back, with the time
        // of its last change, and the first check removes it again.
        let file = std::fs::OpenOptions::new().write(true).open(&log_path).unwrap();
        file.set_len(before_removal).unwrap();
        drop(file);
        let c = open(&s, &clock);
        assert_eq!(listed(&c), ["gone", "kept"]);
        assert_eq!(c.expire_transactional_ids(WEEK, WEEK), ["gone"]);
    }

    #[test]
    fn ids_recorded_before_expiry_existed_count_from_the_start() {
        let s = setup();
        let (clock, now) = Clock::manual(0);
        let c = open(&s, &clock);
        init(&s, &c, "old");
        // Rewrite the id's record as a version-1 record (no lastUpdateMs).
        let mut m = lock(&c.entry("old").unwrap()).clone();
        m.last_update_ms = crate::txn::metadata::UNKNOWN_LAST_UPDATE;
        drop(c);
        let v1 = m.encode_as_version_1();
        let log_path = s.dir.path().join("txn").join(LOG_FILE);
        std::fs::write(&log_path, crate::txn::state_log::encode_frame(&v1)).unwrap();
        now.store(5 * WEEK, Ordering::Relaxed);
        let c = open(&s, &clock);
        assert!(c.expire_transactional_ids(6 * WEEK - 1, WEEK).is_empty());
        assert_eq!(c.expire_transactional_ids(6 * WEEK, WEEK), ["old"]);
    }
}
