//! [`TransactionCoordinator`]: the state of every transactional id and the two-phase end of
//! its transactions (see the module docs of `txn` for durability and contracts).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use kafka_protocol::ResponseError;
use spate_log::LogStore;

use super::markers;
use super::metadata::{StagedOffset, TxnMetadata, TxnState, UNKNOWN_LAST_UPDATE};

use super::state_log::StateLog;
use crate::clock::Clock;
use crate::groups::GroupCoordinator;
use crate::groups::records::CommittedOffset;
use crate::producer_ids::ProducerIdAllocator;
use crate::{Error, Result};

/// Kafka's default `transaction.max.timeout.ms` (15 minutes).
pub(crate) const MAX_TRANSACTION_TIMEOUT_MS: i32 = 15 * 60 * 1000;
/// Single-node broker: the coordinator epoch never changes.
const COORDINATOR_EPOCH: i32 = 0;
/// Suffix of the per-id state files of earlier versions, migrated into the log on open.
const LEGACY_FILE_SUFFIX: &str = "txn";

pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // State is written back whole after every change, so a poisoned lock holds consistent data.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A coordinator failure as the Kafka error the client should see.
pub(crate) type TxnResult<T> = std::result::Result<T, ResponseError>;

#[derive(Debug)]
pub(crate) struct TransactionCoordinator {
    pub(super) log: StateLog,
    pub(super) entries: Mutex<HashMap<String, Arc<Mutex<TxnMetadata>>>>,
    /// Stamps every persisted state's `last_update_ms`.
    clock: Clock,
}

impl TransactionCoordinator {
    /// Loads every transactional id's state from the state log in `dir` (and migrates the
    /// per-id files of earlier versions into it). A record that does not decode stops the
    /// broker (`CorruptState`) rather than forget a producer epoch.
    pub(crate) fn open(dir: PathBuf) -> Result<TransactionCoordinator> {
        Self::open_with(dir, super::state_log::DEFAULT_COMPACT_MIN_BYTES, Clock::System)
    }

    pub(super) fn open_with(
        dir: PathBuf,
        compact_min_bytes: u64,
        clock: Clock,
    ) -> Result<TransactionCoordinator> {
        let (log, states) = StateLog::open(&dir, compact_min_bytes)?;
        let opened_ms = clock.now_ms();
        let mut entries: HashMap<String, Arc<Mutex<TxnMetadata>>> = states
            .into_iter()
            .map(|mut m| {
                if m.last_update_ms == UNKNOWN_LAST_UPDATE {
                    // Records from before expiry existed: count from now, never expire early.
                    m.last_update_ms = opened_ms;
                }
                (m.transactional_id.clone(), Arc::new(Mutex::new(m)))
            })
            .collect();
        let legacy = read_legacy_files(&dir)?;
        if !legacy.is_empty() {
            // The log is newer than any file left over from a migration cut short by a crash.
            let mut migrated = 0;
            for m in legacy.iter().map(|(_, m)| m) {
                if !entries.contains_key(&m.transactional_id) {
                    log.append(m, true)?;
                    entries.insert(m.transactional_id.clone(), Arc::new(Mutex::new(m.clone())));
                    migrated += 1;
                }
            }
            for (path, _) in &legacy {
                std::fs::remove_file(path).map_err(|source| Error::Io {
                    path: path.clone(),
                    source,
                })?;
            }
            tracing::info!(
                migrated,
                "moved per-id transaction state files into the state log"
            );
        }
        Ok(TransactionCoordinator {
            log,
            entries: Mutex::new(entries),
            clock,
        })
    }

    /// Entries found here may turn [`TxnState::Dead`] before they are locked (expiry).
    pub(super) fn entry(&self, transactional_id: &str) -> TxnResult<Arc<Mutex<TxnMetadata>>> {
        lock(&self.entries)
            .get(transactional_id)
            .cloned()
            .ok_or(ResponseError::InvalidProducerIdMapping)
    }

    /// Records `m` as its id's state, stamped with the time of the change (every change, as
    /// Kafka's `txnLastUpdateTimestamp`, keeps the id from expiring); when `durable`, only
    /// returns once it is on stable storage.
    fn persist(&self, m: &mut TxnMetadata, durable: bool) -> TxnResult<()> {
        m.last_update_ms = self.clock.now_ms();
        self.log.append(m, durable).map_err(|e| {
            tracing::error!(transactional_id = %m.transactional_id, "cannot persist transaction state: {e}");
            ResponseError::KafkaStorageError
        })
    }

    /// InitProducerId with a transactional id: a new id gets a fresh producer id; a known one
    /// gets its epoch bumped after its unfinished transaction is completed (prepared) or
    /// aborted (open), which fences every older producer instance.
    pub(crate) fn init_producer_id(
        &self,
        store: &LogStore,
        groups: &GroupCoordinator,
        producer_ids: &ProducerIdAllocator,
        transactional_id: &str,
        timeout_ms: i32,
        expected: Option<(i64, i16)>,
    ) -> TxnResult<(i64, i16)> {
        if timeout_ms <= 0 || timeout_ms > MAX_TRANSACTION_TIMEOUT_MS {
            return Err(ResponseError::InvalidTransactionTimeout);
        }
        let allocate = || {
            producer_ids.allocate().map_err(|e| {
                tracing::error!("producer id allocation failed: {e}");
                ResponseError::KafkaStorageError
            })
        };
        // An entry that expired between the lookup and the lock is gone from the map: look again.
        loop {
            let entry = {
                let mut entries = lock(&self.entries);
                match entries.get(transactional_id) {
                    Some(entry) => entry.clone(),
                    None => {
                        let mut m = TxnMetadata::new(
                            transactional_id.to_string(),
                            allocate()?,
                            timeout_ms,
                            self.clock.now_ms(),
                        );
                        self.persist(&mut m, true)?;
                        let ids = (m.producer_id, m.producer_epoch);
                        entries.insert(transactional_id.to_string(), Arc::new(Mutex::new(m)));
                        return Ok(ids);
                    }
                }
            };
            let mut m = lock(&entry);
            if m.state != TxnState::Dead {
                return self.bump_epoch(store, groups, &mut m, timeout_ms, expected, allocate);
            }
        }
    }

    /// InitProducerId for a known id: ends what its last producer left unfinished, then gives
    /// it the next epoch (or a new producer id when epochs run out).
    fn bump_epoch(
        &self,
        store: &LogStore,
        groups: &GroupCoordinator,
        m: &mut TxnMetadata,
        timeout_ms: i32,
        expected: Option<(i64, i16)>,
        allocate: impl Fn() -> TxnResult<i64>,
    ) -> TxnResult<(i64, i16)> {
        if let Some((pid, epoch)) = expected
            && (pid != m.producer_id || epoch != m.producer_epoch)
        {
            return Err(ResponseError::ProducerFenced);
        }
        match m.state {
            TxnState::PrepareCommit => self.complete(store, groups, m, true)?,
            TxnState::PrepareAbort => self.complete(store, groups, m, false)?,
            TxnState::Ongoing => self.fence_and_abort(store, groups, m)?,
            TxnState::Empty | TxnState::CompleteCommit | TxnState::CompleteAbort | TxnState::Dead => {}
        }
        let mut next = m.clone();
        if next.producer_epoch >= i16::MAX - 1 {
            // Epochs exhausted: a new producer id starts again at 0.
            next.producer_id = allocate()?;
            next.producer_epoch = 0;
        } else {
            next.producer_epoch += 1;
        }
        next.state = TxnState::Empty;
        next.timeout_ms = timeout_ms;
        self.persist(&mut next, true)?;
        *m = next;
        Ok((m.producer_id, m.producer_epoch))
    }

    /// The request's producer id and epoch must be the transactional id's current ones.
    fn validate(m: &TxnMetadata, producer_id: i64, producer_epoch: i16) -> TxnResult<()> {
        // An expired id is unknown, as if the lookup had come a moment later.
        if producer_id != m.producer_id || m.state == TxnState::Dead {
            return Err(ResponseError::InvalidProducerIdMapping);
        }
        if producer_epoch != m.producer_epoch {
            return Err(ResponseError::ProducerFenced);
        }
        Ok(())
    }

    /// Moves to `Ongoing` (starting the timeout clock) unless already there.
    fn begin(m: &mut TxnMetadata, now_ms: i64) -> TxnResult<()> {
        match m.state {
            TxnState::Ongoing => Ok(()),
            s if s.can_begin() => {
                m.state = TxnState::Ongoing;
                m.started_ms = now_ms;
                Ok(())
            }
            // Markers of the previous transaction are still being written.
            _ => Err(ResponseError::ConcurrentTransactions),
        }
    }

    /// AddPartitionsToTxn (v0-3): the partitions join the ongoing transaction (which begins
    /// here if needed). The caller has checked that they exist.
    pub(crate) fn add_partitions(
        &self,
        transactional_id: &str,
        producer_id: i64,
        producer_epoch: i16,
        partitions: &[(String, i32)],
        now_ms: i64,
    ) -> TxnResult<()> {
        let entry = self.entry(transactional_id)?;
        let mut m = lock(&entry);
        Self::validate(&m, producer_id, producer_epoch)?;
        if m.state == TxnState::Ongoing && partitions.iter().all(|p| m.partitions.contains(p)) {
            return Ok(());
        }
        let mut next = m.clone();
        Self::begin(&mut next, now_ms)?;
        next.partitions.extend(partitions.iter().cloned());
        self.persist(&mut next, true)?;
        *m = next;
        Ok(())
    }

    /// AddOffsetsToTxn: the group's offsets may be committed with the transaction.
    pub(crate) fn add_offsets(
        &self,
        transactional_id: &str,
        producer_id: i64,
        producer_epoch: i16,
        group: &str,
        now_ms: i64,
    ) -> TxnResult<()> {
        let entry = self.entry(transactional_id)?;
        let mut m = lock(&entry);
        Self::validate(&m, producer_id, producer_epoch)?;
        if m.state == TxnState::Ongoing && m.groups.contains(group) {
            return Ok(());
        }
        let mut next = m.clone();
        Self::begin(&mut next, now_ms)?;
        next.groups.insert(group.to_string());
        self.persist(&mut next, true)?;
        *m = next;
        Ok(())
    }

    /// TxnOffsetCommit: stages offsets (durably) until the transaction ends; a later commit of
    /// the same partition in the same transaction replaces the earlier one.
    pub(crate) fn stage_offsets(
        &self,
        transactional_id: &str,
        producer_id: i64,
        producer_epoch: i16,
        group: &str,
        offsets: Vec<StagedOffset>,
    ) -> TxnResult<()> {
        let entry = self.entry(transactional_id)?;
        let mut m = lock(&entry);
        Self::validate(&m, producer_id, producer_epoch)?;
        if m.state != TxnState::Ongoing || !m.groups.contains(group) {
            return Err(ResponseError::InvalidTxnState);
        }
        let mut next = m.clone();
        for o in offsets {
            next.offsets
                .retain(|s| (&s.group, &s.topic, s.partition) != (&o.group, &o.topic, o.partition));
            next.offsets.push(o);
        }
        self.persist(&mut next, true)?;
        *m = next;
        Ok(())
    }

    /// EndTxn: decide (durably), write a marker to every partition of the transaction, then
    /// record completion. A retry of an ended transaction with the same outcome succeeds.
    pub(crate) fn end_txn(
        &self,
        store: &LogStore,
        groups: &GroupCoordinator,
        transactional_id: &str,
        producer_id: i64,
        producer_epoch: i16,
        commit: bool,
    ) -> TxnResult<()> {
        let entry = self.entry(transactional_id)?;
        let mut m = lock(&entry);
        Self::validate(&m, producer_id, producer_epoch)?;
        match (m.state, commit) {
            (TxnState::Ongoing, _) => {
                self.prepare(&mut m, commit)?;
                if let Err(e) = self.complete(store, groups, &mut m, commit) {
                    // The outcome is decided and durable: maintenance finishes the markers.
                    tracing::warn!(transactional_id, "markers not yet written ({e:?}); will retry");
                }
                Ok(())
            }
            (TxnState::PrepareCommit, true) | (TxnState::PrepareAbort, false) => {
                self.complete(store, groups, &mut m, commit)
            }
            (TxnState::CompleteCommit, true) | (TxnState::CompleteAbort, false) => Ok(()),
            _ => Err(ResponseError::InvalidTxnState),
        }
    }

    /// Runs `append` while holding the transaction's state, after checking that the producer
    /// is current and the partition is in its ongoing transaction. Holding the state means
    /// EndTxn cannot write its markers between the check and the append.
    pub(crate) fn with_transactional_append<R>(
        &self,
        transactional_id: &str,
        producer_id: i64,
        producer_epoch: i16,
        topic: &str,
        partition: i32,
        append: impl FnOnce() -> R,
    ) -> TxnResult<R> {
        let entry = self.entry(transactional_id)?;
        let m = lock(&entry);
        if producer_id != m.producer_id || m.state == TxnState::Dead {
            return Err(ResponseError::InvalidProducerIdMapping);
        }
        if producer_epoch != m.producer_epoch {
            return Err(ResponseError::InvalidProducerEpoch);
        }
        if m.state != TxnState::Ongoing || !m.partitions.contains(&(topic.to_string(), partition)) {
            return Err(ResponseError::InvalidTxnState);
        }
        Ok(append())
    }

    fn prepare(&self, m: &mut TxnMetadata, commit: bool) -> TxnResult<()> {
        let mut next = m.clone();
        next.state = if commit {
            TxnState::PrepareCommit
        } else {
            TxnState::PrepareAbort
        };
        self.persist(&mut next, true)?;
        *m = next;
        Ok(())
    }

    /// Aborts the open transaction with a bumped epoch: its markers fence the old producer on
    /// every partition, and the coordinator refuses the old epoch from now on.
    fn fence_and_abort(
        &self,
        store: &LogStore,
        groups: &GroupCoordinator,
        m: &mut TxnMetadata,
    ) -> TxnResult<()> {
        let mut next = m.clone();
        next.producer_epoch = next.producer_epoch.saturating_add(1).min(i16::MAX - 1);
        next.state = TxnState::PrepareAbort;
        self.persist(&mut next, true)?;
        *m = next;
        self.complete(store, groups, m, false)
    }

    /// Writes the prepared outcome's markers (fsynced) to every partition, applies or drops the
    /// staged offsets, and records completion.
    fn complete(
        &self,
        store: &LogStore,
        groups: &GroupCoordinator,
        m: &mut TxnMetadata,
        commit: bool,
    ) -> TxnResult<()> {
        markers::write_all(
            store,
            m.partitions.iter().cloned(),
            m.producer_id,
            m.producer_epoch,
            commit,
            COORDINATOR_EPOCH,
        )?;
        if commit && !m.offsets.is_empty() {
            apply_offsets(groups, &m.offsets)?;
        }
        let mut next = m.clone();
        next.state = if commit {
            TxnState::CompleteCommit
        } else {
            TxnState::CompleteAbort
        };
        next.partitions.clear();
        next.groups.clear();
        next.offsets.clear();
        next.started_ms = -1;
        // Completion need not be durable before the reply: the prepared outcome is, the
        // markers are, and a restart that finds the prepare record completes it again (markers
        // are idempotent). The next durable record of any id carries it to disk. Except when
        // offsets were applied: re-applying them after a restart could move a group's offsets
        // back over a later commit by another producer.
        let applied_offsets = commit && !m.offsets.is_empty();
        self.persist(&mut next, applied_offsets)?;
        *m = next;
        Ok(())
    }

    /// Completes prepared transactions and aborts open ones older than their
    /// `transaction.timeout.ms` (measured from the transaction's start, which is persisted, so
    /// time spent down counts). Runs at start-up and on every maintenance pass. Returns whether
    /// any marker was written. Busy transactions are left for the next pass.
    ///
    /// An open transaction survives a restart, as in Kafka: its state record (partitions,
    /// start time) was fsynced before its first record was appended, its acknowledged records
    /// are in the log, and the log rebuilds each partition's producer state (the transaction's
    /// first offset, which bounds the last stable offset and later goes into the
    /// aborted-transaction index) on open. So its producer (same producer id and epoch) can
    /// still end it, and an exactly-once sink can commit what its checkpoint pre-committed.
    pub(crate) fn resolve(&self, store: &LogStore, groups: &GroupCoordinator, now_ms: i64) -> bool {
        let entries: Vec<_> = lock(&self.entries).values().cloned().collect();
        let mut wrote = false;
        for entry in entries {
            let Ok(mut m) = entry.try_lock() else { continue };
            let result = match m.state {
                TxnState::PrepareCommit => self.complete(store, groups, &mut m, true),
                TxnState::PrepareAbort => self.complete(store, groups, &mut m, false),
                TxnState::Ongoing if now_ms.saturating_sub(m.started_ms) > i64::from(m.timeout_ms) => {
                    tracing::info!(transactional_id = %m.transactional_id, "aborting timed-out transaction");
                    self.fence_and_abort(store, groups, &mut m)
                }
                _ => continue,
            };
            wrote = true;
            if let Err(e) = result {
                tracing::error!(transactional_id = %m.transactional_id, "resolving transaction failed: {e:?}");
            }
        }
        // So that the next restart does not complete the same transactions again.
        if wrote && let Err(e) = self.log.sync() {
            tracing::error!("cannot sync the transaction state log: {e}");
        }
        wrote
    }
}

/// Makes a committed transaction's staged offsets the groups' committed offsets (durably:
/// the offsets log is fsynced before the transaction is recorded complete). Applying them
/// twice, when completion is retried after a crash, changes nothing.
fn apply_offsets(groups: &GroupCoordinator, offsets: &[StagedOffset]) -> TxnResult<()> {
    let now = crate::clock::now_ms();
    let mut by_group: HashMap<&str, Vec<(String, i32, CommittedOffset)>> = HashMap::new();
    for o in offsets {
        by_group.entry(&o.group).or_default().push((
            o.topic.clone(),
            o.partition,
            CommittedOffset {
                offset: o.offset,
                leader_epoch: o.leader_epoch,
                metadata: o.metadata.clone(),
                commit_timestamp: now,
            },
        ));
    }
    for (group, entries) in by_group {
        let storage_error = |e: &dyn std::fmt::Display| {
            tracing::error!(group, "cannot apply transactional offsets: {e}");
            ResponseError::KafkaStorageError
        };
        let (partition, errors) = groups
            .commit_offsets(group, entries)
            .map_err(|e| storage_error(&e))?;
        partition.sync().map_err(|e| storage_error(&e))?;
        for error in errors.into_iter().flatten() {
            // Refused entries (metadata too large) cannot be retried into success.
            tracing::warn!(group, "a transactional offset was refused: {error:?}");
        }
    }
    Ok(())
}

/// The per-id state files of earlier versions (`<hex of the id>.txn`, one [`TxnMetadata`]
/// each), with their paths.
fn read_legacy_files(dir: &Path) -> Result<Vec<(PathBuf, TxnMetadata)>> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Io { path, source }
    };
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let path = entry.map_err(io(dir))?.path();
        if path.extension().is_none_or(|e| e != LEGACY_FILE_SUFFIX) {
            continue;
        }
        let bytes = std::fs::read(&path).map_err(io(&path))?;
        let metadata = TxnMetadata::decode(&bytes).map_err(|reason| Error::CorruptState {
            path: path.clone(),
            reason,
        })?;
        out.push((path, metadata));
    }
    Ok(out)
}

/// Where the coordinator keeps its files under the broker's state directory.
pub(crate) fn coordinator_dir(broker_dir: &Path) -> PathBuf {
    broker_dir.join("transactions")
}

/// Kafka clients older than KIP-588 do not know PRODUCER_FENCED; they get INVALID_PRODUCER_EPOCH.
pub(crate) fn fenced_for_version(
    error: ResponseError,
    version: i16,
    first_version_with_fenced: i16,
) -> ResponseError {
    if error == ResponseError::ProducerFenced && version < first_version_with_fenced {
        ResponseError::InvalidProducerEpoch
    } else {
        error
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::groups::GroupConfig;
    use spate_log::{Durability, StoreConfig};

    /// A transactional batch of one record (producer `pid`, `epoch`, sequence `seq`).
    fn txn_batch(pid: i64, epoch: i16, seq: i32) -> Vec<u8> {
        // length 9 | attributes | timestamp delta | offset delta | null key | value "val" | no headers
        let record: &[u8] = &[18, 0, 0, 0, 1, 6, b'v', b'a', b'l', 0];
        let mut out = Vec::new();
        out.extend_from_slice(&0i64.to_be_bytes());
        out.extend_from_slice(&((49 + record.len()) as i32).to_be_bytes());
        out.extend_from_slice(&0i32.to_be_bytes());
        out.push(2);
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&0x10i16.to_be_bytes());
        out.extend_from_slice(&0i32.to_be_bytes());
        out.extend_from_slice(&0i64.to_be_bytes());
        out.extend_from_slice(&0i64.to_be_bytes());
        out.extend_from_slice(&pid.to_be_bytes());
        out.extend_from_slice(&epoch.to_be_bytes());
        out.extend_from_slice(&seq.to_be_bytes());
        out.extend_from_slice(&1i32.to_be_bytes());
        out.extend_from_slice(record);
        let crc = crc32c::crc32c(&out[21..]);
        out[17..21].copy_from_slice(&crc.to_be_bytes());
        out
    }

    struct Setup {
        _dir: tempfile::TempDir,
        store: LogStore,
        ids: ProducerIdAllocator,
        groups: GroupCoordinator,
        txn_dir: PathBuf,
    }

    fn setup() -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let store = LogStore::open(dir.path().join("log"), StoreConfig::default()).unwrap();
        store.create_topic("t", 2, &Default::default()).unwrap();
        let ids = ProducerIdAllocator::open(dir.path().join("ids")).unwrap();
        let groups = GroupCoordinator::open(&store, GroupConfig::default()).unwrap();
        let txn_dir = dir.path().join("txn");
        Setup {
            _dir: dir,
            store,
            ids,
            groups,
            txn_dir,
        }
    }

    /// Begins a transaction on both partitions with one record each; returns (pid, epoch).
    fn open_transaction(s: &Setup, c: &TransactionCoordinator, id: &str) -> (i64, i16) {
        let (pid, epoch) = c
            .init_producer_id(&s.store, &s.groups, &s.ids, id, 60_000, None)
            .unwrap();
        let partitions = [("t".to_string(), 0), ("t".to_string(), 1)];
        c.add_partitions(id, pid, epoch, &partitions, 0).unwrap();
        for p in 0..2 {
            let partition = s.store.partition("t", p).unwrap();
            c.with_transactional_append(id, pid, epoch, "t", p, || {
                partition.append(&txn_batch(pid, epoch, 0), Durability::Async)
            })
            .unwrap()
            .unwrap();
        }
        (pid, epoch)
    }

    fn stable(s: &Setup) -> bool {
        (0..2).all(|p| {
            let partition = s.store.partition("t", p).unwrap();
            partition.last_stable_offset() == partition.high_watermark()
        })
    }

    fn aborted(s: &Setup) -> Vec<(i64, i64)> {
        s.store
            .partition("t", 0)
            .unwrap()
            .aborted_transactions(0, i64::MAX)
    }

    #[test]
    fn prepared_outcomes_are_completed_on_restart() {
        for (case, commit) in [("commit", true), ("abort", false)] {
            let s = setup();
            let c = TransactionCoordinator::open(s.txn_dir.clone()).unwrap();
            let (pid, epoch) = open_transaction(&s, &c, case);
            // Crash right after the decision is durable, before any marker.
            let entry = c.entry(case).unwrap();
            c.prepare(&mut lock(&entry), commit).unwrap();
            drop(entry);
            drop(c);
            assert!(!stable(&s), "{case}: nothing written yet");
            let c = TransactionCoordinator::open(s.txn_dir.clone()).unwrap();
            assert!(c.resolve(&s.store, &s.groups, 0), "{case}");
            assert!(stable(&s), "{case}: restart left the transaction in doubt");
            let expect_aborted = if commit { vec![] } else { vec![(pid, 0)] };
            assert_eq!(aborted(&s), expect_aborted, "{case}");
            let retried = c.end_txn(&s.store, &s.groups, case, pid, epoch, true);
            if commit {
                assert_eq!(retried, Ok(()), "retry of the commit");
            } else {
                assert_eq!(retried, Err(ResponseError::InvalidTxnState));
            }
            // Nothing more to do on the next pass.
            assert!(!c.resolve(&s.store, &s.groups, 0), "{case}");
        }
    }

    #[test]
    fn an_open_transaction_survives_a_restart_and_its_producer_can_end_it() {
        for commit in [true, false] {
            let s = setup();
            let c = TransactionCoordinator::open(s.txn_dir.clone()).unwrap();
            let (pid, epoch) = open_transaction(&s, &c, "open");
            drop(c);
            let c = TransactionCoordinator::open(s.txn_dir.clone()).unwrap();
            // Started at 0 with a 60 s timeout: not timed out at 59 s.
            assert!(!c.resolve(&s.store, &s.groups, 59_000));
            let view = c.describe("open").unwrap();
            assert_eq!((view.state, view.producer_epoch), ("Ongoing", epoch));
            assert!(
                !stable(&s),
                "the open transaction still bounds the last stable offset"
            );
            c.end_txn(&s.store, &s.groups, "open", pid, epoch, commit)
                .unwrap();
            assert!(stable(&s));
            let expect_aborted = if commit { vec![] } else { vec![(pid, 0)] };
            assert_eq!(aborted(&s), expect_aborted, "commit {commit}");
        }
    }

    #[test]
    fn an_open_transaction_times_out_from_its_start_across_a_restart() {
        let s = setup();
        let c = TransactionCoordinator::open(s.txn_dir.clone()).unwrap();
        let (pid, epoch) = open_transaction(&s, &c, "late");
        drop(c);
        let c = TransactionCoordinator::open(s.txn_dir.clone()).unwrap();
        // Begun at 0 with a 60 s timeout; the broker was down past it.
        assert!(c.resolve(&s.store, &s.groups, 60_001));
        assert!(stable(&s));
        assert_eq!(aborted(&s), vec![(pid, 0)]);
        let view = c.describe("late").unwrap();
        assert_eq!((view.state, view.producer_epoch), ("CompleteAbort", epoch + 1));
        assert_eq!(
            c.end_txn(&s.store, &s.groups, "late", pid, epoch, true),
            Err(ResponseError::ProducerFenced)
        );
    }

    #[test]
    fn init_producer_id_after_a_restart_aborts_the_open_transaction() {
        let s = setup();
        let c = TransactionCoordinator::open(s.txn_dir.clone()).unwrap();
        let (pid, epoch) = open_transaction(&s, &c, "reinit");
        drop(c);
        let c = TransactionCoordinator::open(s.txn_dir.clone()).unwrap();
        assert!(!c.resolve(&s.store, &s.groups, 0));
        assert!(!stable(&s));
        let (pid2, epoch2) = c
            .init_producer_id(&s.store, &s.groups, &s.ids, "reinit", 60_000, None)
            .unwrap();
        assert_eq!(pid2, pid);
        assert!(epoch2 > epoch);
        assert!(stable(&s));
        assert_eq!(aborted(&s), vec![(pid, 0)]);
        assert_eq!(
            c.end_txn(&s.store, &s.groups, "reinit", pid, epoch, true),
            Err(ResponseError::ProducerFenced)
        );
    }

    #[test]
    fn a_lost_completion_record_is_completed_again_on_restart() {
        let s = setup();
        let c = TransactionCoordinator::open(s.txn_dir.clone()).unwrap();
        let (pid, epoch) = open_transaction(&s, &c, "lost");
        let entry = c.entry("lost").unwrap();
        c.prepare(&mut lock(&entry), true).unwrap();
        drop(entry);
        let log_path = s.txn_dir.join(super::super::state_log::LOG_FILE);
        let prepared_len = std::fs::metadata(&log_path).unwrap().len();
        c.end_txn(&s.store, &s.groups, "lost", pid, epoch, true).unwrap();
        assert!(stable(&s));
        assert!(std::fs::metadata(&log_path).unwrap().len() > prepared_len);
        drop(c);
        // A crash takes the completion record, which was never synced, with it.
        std::fs::OpenOptions::new()
            .write(true)
            .open(&log_path)
            .unwrap()
            .set_len(prepared_len)
            .unwrap();
        let c = TransactionCoordinator::open(s.txn_dir.clone()).unwrap();
        assert_eq!(c.describe("lost").unwrap().state, "PrepareCommit");
        assert!(c.resolve(&s.store, &s.groups, 0));
        let view = c.describe("lost").unwrap();
        assert_eq!((view.state, view.producer_epoch), ("CompleteCommit", epoch));
        assert!(stable(&s));
        assert_eq!(aborted(&s), vec![], "the repeated commit marker aborted nothing");
        assert_eq!(c.end_txn(&s.store, &s.groups, "lost", pid, epoch, true), Ok(()));
        assert!(!c.resolve(&s.store, &s.groups, 0));
    }

    #[test]
    fn per_id_files_of_earlier_versions_are_moved_into_the_log() {
        let s = setup();
        std::fs::create_dir_all(&s.txn_dir).unwrap();
        let mut old = TxnMetadata::new("old".to_string(), 42, 5_000, 0);
        old.producer_epoch = 3;
        old.state = TxnState::Ongoing;
        old.started_ms = 1;
        old.partitions.insert(("t".to_string(), 1));
        let legacy = s.txn_dir.join("6f6c64.txn");
        std::fs::write(&legacy, old.encode()).unwrap();
        let c = TransactionCoordinator::open(s.txn_dir.clone()).unwrap();
        assert!(!legacy.exists());
        assert_eq!(*lock(&c.entry("old").unwrap()), old);
        drop(c);
        let c = TransactionCoordinator::open(s.txn_dir.clone()).unwrap();
        assert_eq!(*lock(&c.entry("old").unwrap()), old);
        // Its open transaction times out like any other (started at 1, 5 s), fencing epoch 3.
        assert!(!c.resolve(&s.store, &s.groups, 5_001));
        assert_eq!(c.describe("old").unwrap().state, "Ongoing");
        c.resolve(&s.store, &s.groups, 5_002);
        let view = c.describe("old").unwrap();
        assert_eq!((view.state, view.producer_epoch), ("CompleteAbort", 4));
    }

    #[test]
    fn fencing_epochs_and_partition_membership() {
        let s = setup();
        let c = TransactionCoordinator::open(s.txn_dir.clone()).unwrap();
        let (pid, epoch) = open_transaction(&s, &c, "z");
        // A second InitProducerId aborts the open transaction and bumps the epoch.
        let (pid2, epoch2) = c
            .init_producer_id(&s.store, &s.groups, &s.ids, "z", 60_000, None)
            .unwrap();
        assert_eq!(pid2, pid);
        assert!(epoch2 > epoch);
        assert!(stable(&s));
        assert_eq!(aborted(&s), vec![(pid, 0)]);
        let partitions = [("t".to_string(), 0)];
        assert_eq!(
            c.add_partitions("z", pid, epoch, &partitions, 0),
            Err(ResponseError::ProducerFenced)
        );
        assert_eq!(
            c.add_partitions("z", pid + 1, epoch2, &partitions, 0),
            Err(ResponseError::InvalidProducerIdMapping)
        );
        let p1 = s.store.partition("t", 1).unwrap();
        // Not added to the transaction: refused; old epoch: refused.
        c.add_partitions("z", pid, epoch2, &partitions, 0).unwrap();
        let not_added = c.with_transactional_append("z", pid, epoch2, "t", 1, || ());
        assert_eq!(not_added, Err(ResponseError::InvalidTxnState));
        let old_epoch = c.with_transactional_append("z", pid, epoch, "t", 0, || ());
        assert_eq!(old_epoch, Err(ResponseError::InvalidProducerEpoch));
        // Commit, and a retried commit, succeed; an abort after it does not.
        c.end_txn(&s.store, &s.groups, "z", pid, epoch2, true).unwrap();
        c.end_txn(&s.store, &s.groups, "z", pid, epoch2, true).unwrap();
        assert_eq!(
            c.end_txn(&s.store, &s.groups, "z", pid, epoch2, false),
            Err(ResponseError::InvalidTxnState)
        );
        assert_eq!(p1.last_stable_offset(), p1.high_watermark());
        // State survives a reopen: the old epoch is still fenced.
        drop(c);
        let c = TransactionCoordinator::open(s.txn_dir.clone()).unwrap();
        assert_eq!(
            c.init_producer_id(&s.store, &s.groups, &s.ids, "z", 60_000, Some((pid, epoch))),
            Err(ResponseError::ProducerFenced)
        );
        let (_, epoch3) = c
            .init_producer_id(&s.store, &s.groups, &s.ids, "z", 60_000, None)
            .unwrap();
        assert!(epoch3 > epoch2);
    }

    #[test]
    fn timed_out_transactions_are_aborted_by_maintenance() {
        let s = setup();
        let c = TransactionCoordinator::open(s.txn_dir.clone()).unwrap();
        let id = "slow";
        let (pid, epoch) = c
            .init_producer_id(&s.store, &s.groups, &s.ids, id, 1_000, None)
            .unwrap();
        c.add_partitions(id, pid, epoch, &[("t".to_string(), 0)], 10_000)
            .unwrap();
        let p0 = s.store.partition("t", 0).unwrap();
        c.with_transactional_append(id, pid, epoch, "t", 0, || {
            p0.append(&txn_batch(pid, epoch, 0), Durability::Async)
        })
        .unwrap()
        .unwrap();
        assert!(!c.resolve(&s.store, &s.groups, 10_900), "not yet timed out");
        assert!(p0.last_stable_offset() < p0.high_watermark());
        assert!(c.resolve(&s.store, &s.groups, 11_001));
        assert_eq!(p0.last_stable_offset(), p0.high_watermark());
        assert_eq!(
            c.end_txn(&s.store, &s.groups, id, pid, epoch, true),
            Err(ResponseError::ProducerFenced)
        );
    }

    #[test]
    fn bad_timeouts_and_long_ids() {
        let s = setup();
        let c = TransactionCoordinator::open(s.txn_dir.clone()).unwrap();
        assert_eq!(
            c.init_producer_id(
                &s.store,
                &s.groups,
                &s.ids,
                "x",
                MAX_TRANSACTION_TIMEOUT_MS + 1,
                None
            ),
            Err(ResponseError::InvalidTransactionTimeout)
        );
        let long = "é".repeat(300);
        let (pid, _) = c
            .init_producer_id(&s.store, &s.groups, &s.ids, &long, 1000, None)
            .unwrap();
        drop(c);
        let c = TransactionCoordinator::open(s.txn_dir.clone()).unwrap();
        let (pid_again, epoch) = c
            .init_producer_id(&s.store, &s.groups, &s.ids, &long, 1000, None)
            .unwrap();
        assert_eq!((pid_again, epoch), (pid, 1));
    }

    #[test]
    fn staged_offsets_apply_on_commit_only_and_survive_restart_while_staged() {
        let s = setup();
        let c = TransactionCoordinator::open(s.txn_dir.clone()).unwrap();
        let offset = |o: i64| StagedOffset {
            group: "g".to_string(),
            topic: "in".to_string(),
            partition: 0,
            offset: o,
            leader_epoch: -1,
            metadata: Some("m".to_string()),
        };
        let (pid, epoch) = c
            .init_producer_id(&s.store, &s.groups, &s.ids, "o", 60_000, None)
            .unwrap();
        // Offsets need AddOffsetsToTxn first.
        assert_eq!(
            c.stage_offsets("o", pid, epoch, "g", vec![offset(5)]),
            Err(ResponseError::InvalidTxnState)
        );
        c.add_offsets("o", pid, epoch, "g", 0).unwrap();
        c.stage_offsets("o", pid, epoch, "g", vec![offset(5)]).unwrap();
        c.end_txn(&s.store, &s.groups, "o", pid, epoch, false).unwrap();
        assert_eq!(
            s.groups.committed("g", "in", 0),
            None,
            "aborted offsets are dropped"
        );

        c.add_offsets("o", pid, epoch, "g", 0).unwrap();
        c.stage_offsets("o", pid, epoch, "g", vec![offset(7)]).unwrap();
        c.stage_offsets("o", pid, epoch, "g", vec![offset(9)]).unwrap();
        assert_eq!(
            s.groups.committed("g", "in", 0),
            None,
            "staged, not yet committed"
        );
        // The staged offsets are durable: a restart with the commit prepared applies them.
        let entry = c.entry("o").unwrap();
        c.prepare(&mut lock(&entry), true).unwrap();
        drop(entry);
        drop(c);
        let c = TransactionCoordinator::open(s.txn_dir.clone()).unwrap();
        c.resolve(&s.store, &s.groups, 0);
        let committed = s.groups.committed("g", "in", 0).unwrap();
        assert_eq!((committed.offset, committed.metadata.as_deref()), (9, Some("m")));
    }
}
