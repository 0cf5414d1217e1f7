//! Idempotent and transactional producer state of one partition, checked like Kafka's
//! `ProducerStateManager`.
//!
//! Per producer id: the current epoch, the metadata of its last [`RETAINED_BATCHES`] batches
//! (enough to recognise a retried batch and return where the original landed) and the first
//! offset of its ongoing transaction, if any. The ongoing transactions bound the last stable
//! offset. The state is rebuilt on open from a snapshot plus the batch headers after it.
//!
//! Expiry (Kafka's `producer.id.expiration.ms`): each producer keeps the max timestamp of its
//! last batch (or marker), as Kafka's `lastTimestamp`; [`ProducerStateMap::remove_expired`]
//! forgets producers without an ongoing transaction whose last timestamp is that old. The
//! timestamp is in the snapshot and in every batch header replayed after it, so a restart
//! rebuilds exactly the timestamps that decided expiry before it and the same producers expire
//! again.
//!
//! Snapshot file (`<offset:020>.snapshot`, big-endian): `"SPPS" | version u16 = 3 | offset i64 |
//! count u32 | count × entry | crc32c u32` over everything before it; entry = `producerId i64 |
//! epoch i16 | lastTimestamp i64 | txnFirstOffset i64 (-1: none) | n u8 | n × (firstSeq i32 |
//! lastSeq i32 | firstOffset i64 | lastOffset i64)`. Version 2 is the same without
//! `lastTimestamp`, version 1 also without `txnFirstOffset`; both are still read, their
//! producers' last timestamps unknown until the first expiry check, which counts from then
//! (never expiring a producer early). The state covers every batch whose base offset is below
//! `offset`.

use std::collections::{BTreeSet, HashMap, VecDeque};

use crate::batch::{BatchHeader, increment_sequence};
use crate::{Error, Result};

/// Batches remembered per producer for duplicate detection (Kafka keeps 5).
pub(crate) const RETAINED_BATCHES: usize = 5;
const SNAPSHOT_MAGIC: &[u8; 4] = b"SPPS";
const SNAPSHOT_VERSION: u16 = 3;
/// Snapshots written before producer expiry: no `lastTimestamp` field.
const SNAPSHOT_VERSION_NO_TIMESTAMP: u16 = 2;
/// Snapshots written before transactions: no `txnFirstOffset` field either.
const SNAPSHOT_VERSION_NO_TXN: u16 = 1;
/// `last_timestamp` of producers loaded from snapshots that did not record it.
const UNKNOWN_TIMESTAMP: i64 = -1;

/// Where one producer batch landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BatchMeta {
    pub first_seq: i32,
    pub last_seq: i32,
    pub first_offset: i64,
    pub last_offset: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProducerEntry {
    pub epoch: i16,
    /// Max timestamp of the producer's last batch or marker (Kafka's `lastTimestamp`), what
    /// expiry is counted from; [`UNKNOWN_TIMESTAMP`] when loaded from an old snapshot.
    pub last_timestamp: i64,
    pub batches: VecDeque<BatchMeta>,
    /// First offset of the producer's ongoing transaction on this partition.
    pub txn_first_offset: Option<i64>,
}

/// Result of checking an incoming batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SequenceCheck {
    /// The batch continues the producer's sequence (or has none to check).
    Fresh,
    /// A retry of a stored batch.
    Duplicate(BatchMeta),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ProducerStateMap {
    pub producers: HashMap<i64, ProducerEntry>,
    /// `(first offset, producer id)` of every ongoing transaction; the smallest bounds the last
    /// stable offset. Kept in step with `txn_first_offset` of the entries.
    ongoing: BTreeSet<(i64, i64)>,
}

fn in_sequence(last_seq: i32, next_seq: i32) -> bool {
    next_seq == increment_sequence(last_seq, 1)
}

impl ProducerStateMap {
    pub fn epoch(&self, producer_id: i64) -> Option<i16> {
        self.producers.get(&producer_id).map(|e| e.epoch)
    }

    /// First offset of the oldest ongoing transaction.
    pub fn first_unstable_offset(&self) -> Option<i64> {
        self.ongoing.first().map(|&(offset, _)| offset)
    }

    /// First offset of `producer_id`'s ongoing transaction.
    pub fn ongoing_transaction(&self, producer_id: i64) -> Option<i64> {
        self.producers.get(&producer_id)?.txn_first_offset
    }

    /// Checks a batch against the producer's state. Batches without a producer id or sequence
    /// are not sequence-checked; control batches (transaction markers) only have their epoch
    /// checked.
    pub fn check(&self, h: &BatchHeader) -> Result<SequenceCheck> {
        if h.producer_id < 0 {
            if h.is_transactional() {
                return Err(Error::CorruptBatch(
                    "transactional batch without a producer id".to_string(),
                ));
            }
            return Ok(SequenceCheck::Fresh);
        }
        if h.is_control() {
            return match self.producers.get(&h.producer_id) {
                Some(entry) if h.producer_epoch < entry.epoch => Err(Error::InvalidProducerEpoch {
                    producer_id: h.producer_id,
                    got: h.producer_epoch,
                    current: entry.epoch,
                }),
                _ => Ok(SequenceCheck::Fresh),
            };
        }
        let out_of_order = |expected: i32| Error::OutOfOrderSequence {
            producer_id: h.producer_id,
            expected,
            got: h.base_sequence,
        };
        let Some(entry) = self.producers.get(&h.producer_id) else {
            // Any sequence from a producer without state, as Kafka since 2.5 (KIP-360): its state
            // may have expired or its batches gone to retention, and refusing it would leave the
            // producer no way on but a fatal error (Kafka 2.0-2.4 answered UNKNOWN_PRODUCER_ID).
            return Ok(SequenceCheck::Fresh);
        };
        if h.producer_epoch < entry.epoch {
            return Err(Error::InvalidProducerEpoch {
                producer_id: h.producer_id,
                got: h.producer_epoch,
                current: entry.epoch,
            });
        }
        if !h.is_transactional() && entry.txn_first_offset.is_some() {
            return Err(Error::InvalidTxnState(format!(
                "producer {} wrote a non-transactional batch during its transaction",
                h.producer_id
            )));
        }
        if h.base_sequence < 0 {
            return Ok(SequenceCheck::Fresh);
        }
        if h.producer_epoch > entry.epoch {
            // A bumped epoch restarts the sequence.
            return if h.base_sequence == 0 {
                Ok(SequenceCheck::Fresh)
            } else {
                Err(out_of_order(0))
            };
        }
        let last_seq = h.last_sequence();
        if let Some(dup) = entry
            .batches
            .iter()
            .find(|b| b.first_seq == h.base_sequence && b.last_seq == last_seq)
        {
            return Ok(SequenceCheck::Duplicate(*dup));
        }
        match entry.batches.back() {
            None if h.base_sequence != 0 => Err(out_of_order(0)),
            Some(last) if !in_sequence(last.last_seq, h.base_sequence) => {
                Err(out_of_order(increment_sequence(last.last_seq, 1)))
            }
            _ => Ok(SequenceCheck::Fresh),
        }
    }

    /// Records a stored batch (with its assigned base offset). Never fails: used both after a
    /// checked append and when replaying the log on open. A transactional batch starts the
    /// producer's transaction if none is ongoing; a control batch (marker) ends it, and the
    /// ended transaction's first offset is returned.
    pub fn record(&mut self, h: &BatchHeader) -> Option<i64> {
        if h.producer_id < 0 {
            return None;
        }
        let entry = self
            .producers
            .entry(h.producer_id)
            .or_insert_with(|| ProducerEntry {
                epoch: h.producer_epoch,
                last_timestamp: h.max_timestamp,
                batches: VecDeque::new(),
                txn_first_offset: None,
            });
        entry.last_timestamp = h.max_timestamp;
        if h.producer_epoch != entry.epoch {
            entry.epoch = h.producer_epoch;
            entry.batches.clear();
        }
        if h.is_control() {
            let ended = entry.txn_first_offset.take();
            if let Some(first) = ended {
                self.ongoing.remove(&(first, h.producer_id));
            }
            return ended;
        }
        if h.is_transactional() && entry.txn_first_offset.is_none() {
            entry.txn_first_offset = Some(h.base_offset);
            self.ongoing.insert((h.base_offset, h.producer_id));
        }
        if h.base_sequence < 0 {
            return None;
        }
        if entry.batches.len() == RETAINED_BATCHES {
            entry.batches.pop_front();
        }
        entry.batches.push_back(BatchMeta {
            first_seq: h.base_sequence,
            last_seq: h.last_sequence(),
            first_offset: h.base_offset,
            last_offset: h.last_offset(),
        });
        None
    }

    /// Copies the entries of `staged` (a checked, written append) over this state.
    pub fn merge(&mut self, staged: ProducerStateMap) {
        for (id, entry) in staged.producers {
            if let Some(first) = entry.txn_first_offset {
                self.ongoing.insert((first, id));
            }
            if let Some(old) = self.producers.insert(id, entry)
                && let Some(first) = old.txn_first_offset
                && self.producers[&id].txn_first_offset != Some(first)
            {
                self.ongoing.remove(&(first, id));
            }
        }
    }

    /// Forgets the producers that have no ongoing transaction and whose last timestamp is at
    /// least `expiration_ms` before `now_ms` (Kafka's `removeExpiredProducers`); returns how
    /// many. A producer whose last timestamp is unknown starts its count now.
    pub fn remove_expired(&mut self, now_ms: i64, expiration_ms: i64) -> usize {
        let before = self.producers.len();
        self.producers.retain(|_, entry| {
            if entry.last_timestamp == UNKNOWN_TIMESTAMP {
                entry.last_timestamp = now_ms;
            }
            entry.txn_first_offset.is_some() || now_ms.saturating_sub(entry.last_timestamp) < expiration_ms
        });
        before - self.producers.len()
    }

    /// Encodes the snapshot file for state covering batches below `offset`.
    pub fn encode_snapshot(&self, offset: i64) -> Vec<u8> {
        let mut out = Vec::with_capacity(18 + self.producers.len() * 64);
        out.extend_from_slice(SNAPSHOT_MAGIC);
        out.extend_from_slice(&SNAPSHOT_VERSION.to_be_bytes());
        out.extend_from_slice(&offset.to_be_bytes());
        out.extend_from_slice(&(self.producers.len() as u32).to_be_bytes());
        let mut ids: Vec<_> = self.producers.keys().copied().collect();
        ids.sort_unstable();
        for id in ids {
            let entry = &self.producers[&id];
            out.extend_from_slice(&id.to_be_bytes());
            out.extend_from_slice(&entry.epoch.to_be_bytes());
            out.extend_from_slice(&entry.last_timestamp.to_be_bytes());
            out.extend_from_slice(&entry.txn_first_offset.unwrap_or(-1).to_be_bytes());
            out.push(entry.batches.len() as u8);
            for b in &entry.batches {
                out.extend_from_slice(&b.first_seq.to_be_bytes());
                out.extend_from_slice(&b.last_seq.to_be_bytes());
                out.extend_from_slice(&b.first_offset.to_be_bytes());
                out.extend_from_slice(&b.last_offset.to_be_bytes());
            }
        }
        let crc = crc32c::crc32c(&out);
        out.extend_from_slice(&crc.to_be_bytes());
        out
    }

    /// Decodes a snapshot: the offset it covers up to and the state. `None` if damaged.
    pub fn decode_snapshot(bytes: &[u8]) -> Option<(i64, ProducerStateMap)> {
        let (body, crc) = bytes.split_at_checked(bytes.len().checked_sub(4)?)?;
        if crc32c::crc32c(body).to_be_bytes() != crc {
            return None;
        }
        let mut r = Reader { buf: body };
        if r.take(4)? != SNAPSHOT_MAGIC {
            return None;
        }
        let (has_timestamp, has_txn) = match u16::from_be_bytes(r.array()?) {
            SNAPSHOT_VERSION => (true, true),
            SNAPSHOT_VERSION_NO_TIMESTAMP => (false, true),
            SNAPSHOT_VERSION_NO_TXN => (false, false),
            _ => return None,
        };
        let offset = i64::from_be_bytes(r.array()?);
        let count = u32::from_be_bytes(r.array()?);
        let mut map = ProducerStateMap::default();
        for _ in 0..count {
            let id = i64::from_be_bytes(r.array()?);
            let epoch = i16::from_be_bytes(r.array()?);
            let last_timestamp = if has_timestamp {
                i64::from_be_bytes(r.array()?)
            } else {
                UNKNOWN_TIMESTAMP
            };
            let txn_first_offset = if has_txn {
                Some(i64::from_be_bytes(r.array()?)).filter(|&o| o >= 0)
            } else {
                None
            };
            let n = r.take(1)?[0] as usize;
            if n > RETAINED_BATCHES {
                return None;
            }
            let mut batches = VecDeque::with_capacity(n);
            for _ in 0..n {
                batches.push_back(BatchMeta {
                    first_seq: i32::from_be_bytes(r.array()?),
                    last_seq: i32::from_be_bytes(r.array()?),
                    first_offset: i64::from_be_bytes(r.array()?),
                    last_offset: i64::from_be_bytes(r.array()?),
                });
            }
            if let Some(first) = txn_first_offset {
                map.ongoing.insert((first, id));
            }
            map.producers.insert(
                id,
                ProducerEntry {
                    epoch,
                    last_timestamp,
                    batches,
                    txn_first_offset,
                },
            );
        }
        if !r.buf.is_empty() {
            return None;
        }
        Some((offset, map))
    }
}

struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.buf.split_at_checked(n)?;
        self.buf = rest;
        Some(head)
    }
    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn header(pid: i64, epoch: i16, seq: i32, count: i32, base_offset: i64) -> BatchHeader {
        BatchHeader {
            base_offset,
            batch_length: 49,
            partition_leader_epoch: 0,
            magic: 2,
            crc: 0,
            attributes: 0,
            last_offset_delta: count - 1,
            base_timestamp: 0,
            max_timestamp: 0,
            producer_id: pid,
            producer_epoch: epoch,
            base_sequence: seq,
            record_count: count,
        }
    }

    #[test]
    fn sequence_rules() {
        let mut s = ProducerStateMap::default();
        assert_eq!(s.check(&header(7, 0, 0, 3, 0)).unwrap(), SequenceCheck::Fresh);
        s.record(&header(7, 0, 0, 3, 0));
        assert!(matches!(
            s.check(&header(7, 0, 2, 1, 0)),
            Err(Error::OutOfOrderSequence {
                expected: 3,
                got: 2,
                ..
            })
        ));
        assert!(matches!(
            s.check(&header(7, 0, 5, 1, 0)),
            Err(Error::OutOfOrderSequence { expected: 3, .. })
        ));
        assert!(matches!(
            s.check(&header(7, 0, 0, 3, 99)),
            Ok(SequenceCheck::Duplicate(BatchMeta {
                first_offset: 0,
                last_offset: 2,
                ..
            }))
        ));
        // epoch rules
        s.record(&header(7, 2, 0, 1, 3));
        assert!(matches!(
            s.check(&header(7, 1, 1, 1, 0)),
            Err(Error::InvalidProducerEpoch {
                got: 1,
                current: 2,
                ..
            })
        ));
        assert!(matches!(
            s.check(&header(7, 3, 4, 1, 0)),
            Err(Error::OutOfOrderSequence { expected: 0, .. })
        ));
        assert_eq!(s.check(&header(7, 3, 0, 1, 0)).unwrap(), SequenceCheck::Fresh);
    }

    fn transactional(mut h: BatchHeader) -> BatchHeader {
        h.attributes = 0x10;
        h
    }

    fn marker(pid: i64, epoch: i16, offset: i64) -> BatchHeader {
        let mut h = header(pid, epoch, -1, 1, offset);
        h.attributes = 0x30;
        h
    }

    #[test]
    fn transactions_track_first_offsets_and_fence_old_epochs() {
        let mut s = ProducerStateMap::default();
        assert_eq!(s.record(&transactional(header(1, 0, 0, 2, 10))), None);
        assert_eq!(s.record(&transactional(header(2, 0, 0, 1, 12))), None);
        assert_eq!(s.record(&transactional(header(1, 0, 2, 1, 13))), None);
        assert_eq!(s.ongoing_transaction(1), Some(10));
        assert_eq!(s.first_unstable_offset(), Some(10));
        // A non-transactional write in the middle of a transaction is refused.
        assert!(matches!(
            s.check(&header(1, 0, 3, 1, 0)),
            Err(Error::InvalidTxnState(_))
        ));
        // A marker from an older epoch is fenced; one from the current epoch ends the txn.
        s.record(&transactional(header(3, 4, 0, 1, 14)));
        assert!(matches!(
            s.check(&marker(3, 3, 0)),
            Err(Error::InvalidProducerEpoch {
                got: 3,
                current: 4,
                ..
            })
        ));
        assert_eq!(s.record(&marker(1, 0, 15)), Some(10));
        assert_eq!(s.first_unstable_offset(), Some(12));
        assert_eq!(s.record(&marker(1, 0, 16)), None, "no transaction left to end");
        // Staged state merged back keeps the ongoing set in step.
        let mut staged = ProducerStateMap::default();
        staged.producers.insert(2, s.producers[&2].clone());
        assert_eq!(staged.record(&marker(2, 1, 17)), Some(12));
        s.merge(staged);
        assert_eq!(s.first_unstable_offset(), Some(14));
        assert_eq!(s.epoch(2), Some(1));
        assert!(matches!(
            s.check(&transactional(header(2, 0, 1, 1, 0))),
            Err(Error::InvalidProducerEpoch { .. })
        ));
    }

    /// `snapshot` rewritten in an older layout: version `version`, with the entry fields that
    /// layout lacks cut out (the first `cut` bytes after the epoch of the first entry).
    fn older_layout(snapshot: &[u8], version: u16, cut: usize) -> Vec<u8> {
        let mut old = snapshot[..snapshot.len() - 4].to_vec();
        old[4..6].copy_from_slice(&version.to_be_bytes());
        let entry_start = 4 + 2 + 8 + 4 + 8 + 2;
        old.drain(entry_start..entry_start + cut);
        let crc = crc32c::crc32c(&old);
        old.extend_from_slice(&crc.to_be_bytes());
        old
    }

    #[test]
    fn older_snapshots_still_load_with_unknown_timestamps() {
        let mut s = ProducerStateMap::default();
        s.record(&header(9, 1, 0, 2, 0));
        let v3 = s.encode_snapshot(2);
        let mut expected = s.clone();
        expected.producers.get_mut(&9).unwrap().last_timestamp = UNKNOWN_TIMESTAMP;
        // Version 2: no lastTimestamp; version 1: no txnFirstOffset either.
        let v2 = older_layout(&v3, 2, 8);
        assert_eq!(
            ProducerStateMap::decode_snapshot(&v2),
            Some((2, expected.clone()))
        );
        let v1 = older_layout(&v3, 1, 16);
        assert_eq!(
            ProducerStateMap::decode_snapshot(&v1),
            Some((2, expected.clone()))
        );
        // Unknown timestamps count from the first check, never expiring anything at once.
        assert_eq!(expected.remove_expired(1_000_000, 10), 0);
        assert_eq!(expected.producers[&9].last_timestamp, 1_000_000);
        assert_eq!(expected.remove_expired(1_000_010, 10), 1);
    }

    fn at(mut h: BatchHeader, timestamp: i64) -> BatchHeader {
        h.max_timestamp = timestamp;
        h
    }

    #[test]
    fn idle_producers_expire_unless_in_a_transaction() {
        let mut s = ProducerStateMap::default();
        s.record(&at(header(1, 0, 0, 1, 0), 1_000));
        s.record(&at(header(2, 0, 0, 1, 1), 1_500));
        s.record(&at(transactional(header(3, 0, 0, 1, 2)), 1_000));
        assert_eq!(s.remove_expired(1_999, 1_000), 0, "not idle long enough");
        assert_eq!(
            s.remove_expired(2_000, 1_000),
            1,
            "idle for exactly the expiration"
        );
        assert_eq!(
            s.producers.keys().copied().collect::<BTreeSet<_>>(),
            BTreeSet::from([2, 3])
        );
        assert_eq!(
            s.remove_expired(1_000_000, 1_000),
            1,
            "the open transaction keeps 3"
        );
        assert_eq!(s.first_unstable_offset(), Some(2));
        // Its marker counts as activity, and ends the transaction that kept it.
        s.record(&at(marker(3, 0, 3), 1_000_000));
        assert_eq!(s.remove_expired(1_000_999, 1_000), 0);
        assert_eq!(s.remove_expired(1_001_000, 1_000), 1);
        assert!(s.producers.is_empty());
        // A producer that comes back after expiry continues with whatever sequence it has.
        assert_eq!(s.check(&header(1, 0, 42, 1, 4)).unwrap(), SequenceCheck::Fresh);
        s.record(&header(1, 0, 42, 1, 4));
        assert!(matches!(
            s.check(&header(1, 0, 42, 1, 4)),
            Ok(SequenceCheck::Duplicate(_))
        ));
        assert!(matches!(
            s.check(&header(1, 0, 44, 1, 5)),
            Err(Error::OutOfOrderSequence { expected: 43, .. })
        ));
    }

    #[test]
    fn only_last_five_batches_are_duplicates_and_sequences_wrap() {
        let mut s = ProducerStateMap::default();
        for i in 0..7 {
            s.record(&header(1, 0, i, 1, i64::from(i)));
        }
        assert!(matches!(
            s.check(&header(1, 0, 2, 1, 0)),
            Ok(SequenceCheck::Duplicate(_))
        ));
        assert!(matches!(
            s.check(&header(1, 0, 1, 1, 0)),
            Err(Error::OutOfOrderSequence { expected: 7, .. })
        ));
        let mut w = ProducerStateMap::default();
        w.producers.insert(
            2,
            ProducerEntry {
                epoch: 0,
                last_timestamp: 0,
                batches: VecDeque::new(),
                txn_first_offset: None,
            },
        );
        w.record(&header(2, 0, i32::MAX - 1, 2, 0));
        assert_eq!(w.check(&header(2, 0, 0, 1, 2)).unwrap(), SequenceCheck::Fresh);
        w.record(&header(2, 0, 0, 1, 2));
        assert!(matches!(
            w.check(&header(2, 0, i32::MAX - 1, 2, 0)),
            Ok(SequenceCheck::Duplicate(_))
        ));
    }

    proptest! {
        #[test]
        fn snapshot_round_trip(entries in proptest::collection::vec((0i64..1000, 0i16..5, proptest::collection::vec((0i32..100, 1i32..5, 0u8..3), 0..8)), 0..20), offset in 0i64..1_000_000) {
            let mut s = ProducerStateMap::default();
            let mut next = 0;
            for (pid, epoch, batches) in entries {
                for (seq, n, kind) in batches {
                    // kind: 0 plain, 1 transactional, 2 marker
                    let mut h = header(pid, epoch, seq, n, next);
                    h.attributes = [0, 0x10, 0x30][usize::from(kind)];
                    s.record(&h);
                    next += i64::from(n);
                }
            }
            let expected_ongoing: BTreeSet<(i64, i64)> = s.producers.iter()
                .filter_map(|(&id, e)| e.txn_first_offset.map(|f| (f, id))).collect();
            prop_assert_eq!(&s.ongoing, &expected_ongoing);
            let bytes = s.encode_snapshot(offset);
            let (o, decoded) = ProducerStateMap::decode_snapshot(&bytes).unwrap();
            prop_assert_eq!(o, offset);
            prop_assert_eq!(&decoded, &s);
            let mut damaged = bytes.clone();
            let i = damaged.len() / 2;
            damaged[i] ^= 1;
            prop_assert!(ProducerStateMap::decode_snapshot(&damaged).is_none());
        }
    }
}
