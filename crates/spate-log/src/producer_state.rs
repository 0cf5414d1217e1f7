//! Idempotent-producer state of one partition, checked like Kafka's `ProducerStateManager`.
//!
//! Per producer id: the current epoch and the metadata of its last
//! [`RETAINED_BATCHES`] batches, enough to recognise a retried batch and return where the
//! original landed. The state is rebuilt on open from a snapshot plus the batch headers after it.
//!
//! Snapshot file (`<offset:020>.snapshot`, big-endian): `"SPPS" | version u16 = 1 | offset i64 |
//! count u32 | count × entry | crc32c u32` over everything before it; entry = `producerId i64 |
//! epoch i16 | n u8 | n × (firstSeq i32 | lastSeq i32 | firstOffset i64 | lastOffset i64)`. The
//! state covers every batch whose base offset is below `offset`.

use std::collections::{HashMap, VecDeque};

use crate::batch::{BatchHeader, increment_sequence};
use crate::{Error, Result};

/// Batches remembered per producer for duplicate detection (Kafka keeps 5).
pub(crate) const RETAINED_BATCHES: usize = 5;
const SNAPSHOT_MAGIC: &[u8; 4] = b"SPPS";
const SNAPSHOT_VERSION: u16 = 1;

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
    pub batches: VecDeque<BatchMeta>,
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
}

fn in_sequence(last_seq: i32, next_seq: i32) -> bool {
    next_seq == increment_sequence(last_seq, 1)
}

impl ProducerStateMap {
    pub fn epoch(&self, producer_id: i64) -> Option<i16> {
        self.producers.get(&producer_id).map(|e| e.epoch)
    }

    /// Checks a batch against the producer's state. Batches without a producer id or sequence,
    /// and control batches, are not sequence-checked.
    pub fn check(&self, h: &BatchHeader) -> Result<SequenceCheck> {
        if h.producer_id < 0 || h.is_control() {
            return Ok(SequenceCheck::Fresh);
        }
        let out_of_order = |expected: i32| Error::OutOfOrderSequence {
            producer_id: h.producer_id,
            expected,
            got: h.base_sequence,
        };
        let Some(entry) = self.producers.get(&h.producer_id) else {
            if h.base_sequence > 0 {
                return Err(out_of_order(0));
            }
            return Ok(SequenceCheck::Fresh);
        };
        if h.producer_epoch < entry.epoch {
            return Err(Error::InvalidProducerEpoch {
                producer_id: h.producer_id,
                got: h.producer_epoch,
                current: entry.epoch,
            });
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
    /// checked append and when replaying the log on open.
    pub fn record(&mut self, h: &BatchHeader) {
        if h.producer_id < 0 {
            return;
        }
        let entry = self
            .producers
            .entry(h.producer_id)
            .or_insert_with(|| ProducerEntry {
                epoch: h.producer_epoch,
                batches: VecDeque::new(),
            });
        if h.producer_epoch != entry.epoch {
            entry.epoch = h.producer_epoch;
            entry.batches.clear();
        }
        if h.is_control() || h.base_sequence < 0 {
            return;
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
        if r.take(4)? != SNAPSHOT_MAGIC || u16::from_be_bytes(r.array()?) != SNAPSHOT_VERSION {
            return None;
        }
        let offset = i64::from_be_bytes(r.array()?);
        let count = u32::from_be_bytes(r.array()?);
        let mut map = ProducerStateMap::default();
        for _ in 0..count {
            let id = i64::from_be_bytes(r.array()?);
            let epoch = i16::from_be_bytes(r.array()?);
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
            map.producers.insert(id, ProducerEntry { epoch, batches });
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
        assert!(matches!(
            s.check(&header(7, 0, 3, 1, 0)),
            Err(Error::OutOfOrderSequence {
                expected: 0,
                got: 3,
                ..
            })
        ));
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
                batches: VecDeque::new(),
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
        fn snapshot_round_trip(entries in proptest::collection::vec((0i64..1000, 0i16..5, proptest::collection::vec((0i32..100, 1i32..5), 0..8)), 0..20), offset in 0i64..1_000_000) {
            let mut s = ProducerStateMap::default();
            let mut next = 0;
            for (pid, epoch, batches) in entries {
                for (seq, n) in batches {
                    s.record(&header(pid, epoch, seq, n, next));
                    next += i64::from(n);
                }
            }
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
