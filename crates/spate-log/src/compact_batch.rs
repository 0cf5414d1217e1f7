//! Rewriting one stored batch for the log cleaner: which records it keeps, and the bytes of the
//! batch that results.
//!
//! A batch the cleaner changes keeps its base offset, `lastOffsetDelta`, timestamps, producer
//! id, epoch and base sequence, so its offset range and what it tells the producer state stay
//! the same; only `recordCount`, the record section, the length and the CRC-32C change. The
//! kept records are copied byte for byte (their offset and timestamp deltas stay relative to
//! the unchanged base), and a compressed batch is re-compressed with its own codec: the cleaned
//! log is never larger than what producers wrote, and a consumer sees the codec its producer
//! chose.
//!
//! A batch that keeps a tombstone (or a marker the cleaner may later drop) and has no delete
//! horizon yet gets one (KIP-534): attribute bit 6 set and `baseTimestamp` = the time from which
//! its tombstones may go; every kept record's `timestampDelta` is rewritten against that base
//! (the one change to kept records' bytes), so each record's timestamp reads as before, and
//! `maxTimestamp` is unchanged. The horizon is thus stored in the log itself: a restart or a
//! new clock cannot bring a tombstone's removal forward or push it back.
//!
//! Batches that keep nothing become either an *empty batch* (same header, no records, no
//! compression) when the producer state still needs them, as Kafka keeps them, or part of a
//! *filler*: one empty, non-transactional batch without a producer that spans a run of removed
//! batches. Fillers keep the offsets of a segment contiguous batch to batch, which recovery
//! checks (a batch's base offset is not covered by its CRC, so contiguity is what detects its
//! damage); consumers skip an empty batch and continue after its last offset, as they do in
//! Kafka's compacted logs.

use std::hash::{Hash, Hasher};

use crate::batch::{
    ATTRIBUTES_OFFSET, BASE_TIMESTAMP_OFFSET, BatchHeader, CRC_OFFSET, CRC_START, DELETE_HORIZON_FLAG,
    HEADER_LEN, LOG_OVERHEAD,
};
use crate::{Result, compression, records};

/// A key's 128-bit digest: the cleaner's offset map stores digests, not keys, so its memory is
/// bounded by the number of keys (Kafka's map stores an MD5 the same way).
pub(crate) type KeyDigest = u128;

/// Digest of a record key: two SipHash runs under different prefixes.
pub(crate) fn key_digest(key: &[u8]) -> KeyDigest {
    let half = |salt: u8| {
        // `DefaultHasher::new` has fixed keys: digests agree across threads within a process,
        // which is all a cleaning pass needs (the map is never stored).
        let mut h = std::hash::DefaultHasher::new();
        salt.hash(&mut h);
        key.hash(&mut h);
        h.finish()
    };
    (u128::from(half(1)) << 64) | u128::from(half(2))
}

/// One record of a batch, as the cleaner judges it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RecordInfo<'a> {
    pub offset: i64,
    /// Only tests read it (a rewrite keeps it); tombstones go by their batch's delete horizon.
    #[cfg_attr(not(test), expect(dead_code))]
    pub timestamp: i64,
    pub key: Option<&'a [u8]>,
    /// Null value: a tombstone.
    pub tombstone: bool,
}

/// Calls `visit` for every record of a stored data batch (`batch` is its whole bytes); `scratch`
/// holds the decompressed section. Returns the uncompressed section's record spans as
/// `(start, end)` in the section, in record order, and the section itself lives in `scratch`.
pub(crate) fn records_of(
    h: &BatchHeader,
    batch: &[u8],
    scratch: &mut Vec<u8>,
    mut visit: impl FnMut(RecordInfo<'_>),
) -> Result<Vec<(usize, usize)>> {
    let section = batch.get(HEADER_LEN..h.total_len()).unwrap_or_default();
    compression::decompress_into(h.compression(), section, scratch)?;
    let mut spans = Vec::with_capacity(h.record_count.max(0) as usize);
    let mut at = 0;
    let mut index = 0;
    while at < scratch.len() {
        let start = at;
        let record = records::decode_record(scratch, &mut at, index)?;
        index += 1;
        let timestamp = if h.has_log_append_time() {
            h.max_timestamp
        } else {
            h.base_timestamp.saturating_add(record.timestamp_delta)
        };
        visit(RecordInfo {
            offset: h.base_offset + i64::from(record.offset_delta),
            timestamp,
            key: record.key,
            tombstone: record.value.is_none(),
        });
        spans.push((start, at));
    }
    Ok(spans)
}

/// Writes the fixed header fields that change on a rewrite and the CRC.
fn finish(out: &mut [u8], record_count: i32) {
    let batch_length = (out.len() - LOG_OVERHEAD) as i32;
    out[8..12].copy_from_slice(&batch_length.to_be_bytes());
    out[57..61].copy_from_slice(&record_count.to_be_bytes());
    let crc = crc32c::crc32c(&out[CRC_START..]);
    out[CRC_OFFSET..CRC_OFFSET + 4].copy_from_slice(&crc.to_be_bytes());
}

/// The batch `batch` (header `h`) keeping only the records at `kept` (indexes into `spans`, in
/// order) of its uncompressed `section`. With `new_horizon` the batch gets its KIP-534 delete
/// horizon: the attribute flag, `baseTimestamp` = the horizon, and every kept record's
/// `timestampDelta` rewritten against it, so record timestamps read the same.
pub(crate) fn with_records(
    h: &BatchHeader,
    batch: &[u8],
    section: &[u8],
    spans: &[(usize, usize)],
    kept: &[usize],
    new_horizon: Option<i64>,
) -> Result<Vec<u8>> {
    let mut plain = Vec::with_capacity(section.len());
    for &i in kept {
        let (start, end) = spans[i];
        match new_horizon {
            None => plain.extend_from_slice(&section[start..end]),
            Some(horizon) => {
                records::write_rebased(&section[start..end], h.base_timestamp, horizon, &mut plain)?;
            }
        }
    }
    let packed = compression::compress(h.compression(), &plain)?;
    let mut out = Vec::with_capacity(HEADER_LEN + packed.len());
    out.extend_from_slice(&batch[..HEADER_LEN]);
    out.extend_from_slice(&packed);
    if let Some(horizon) = new_horizon {
        let attributes = h.attributes | DELETE_HORIZON_FLAG;
        out[ATTRIBUTES_OFFSET..ATTRIBUTES_OFFSET + 2].copy_from_slice(&attributes.to_be_bytes());
        out[BASE_TIMESTAMP_OFFSET..BASE_TIMESTAMP_OFFSET + 8].copy_from_slice(&horizon.to_be_bytes());
    }
    finish(&mut out, kept.len() as i32);
    Ok(out)
}

/// The batch with no records: kept because the producer state needs its header (sequence
/// numbers, epoch, transaction). Its codec bits are cleared: there is nothing to compress.
pub(crate) fn emptied(h: &BatchHeader, batch: &[u8]) -> Vec<u8> {
    let mut out = batch[..HEADER_LEN].to_vec();
    let attributes = h.attributes & !0x07;
    out[ATTRIBUTES_OFFSET..ATTRIBUTES_OFFSET + 2].copy_from_slice(&attributes.to_be_bytes());
    finish(&mut out, 0);
    out
}

/// A run of removed batches, merged into fillers as the cleaner meets them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FillerRun {
    pub first: i64,
    pub last: i64,
    pub max_timestamp: i64,
    pub leader_epoch: i32,
}

impl FillerRun {
    pub fn start(h: &BatchHeader) -> FillerRun {
        FillerRun {
            first: h.base_offset,
            last: h.last_offset(),
            max_timestamp: h.max_timestamp,
            leader_epoch: h.partition_leader_epoch,
        }
    }

    /// Extends the run with the next removed batch (which follows it directly).
    pub fn extend(&mut self, h: &BatchHeader) {
        self.last = h.last_offset();
        self.max_timestamp = self.max_timestamp.max(h.max_timestamp);
    }

    /// The filler batches covering the run: one, unless the run spans more offsets than a
    /// batch's `lastOffsetDelta` can.
    pub fn batches(&self) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut first = self.first;
        while first <= self.last {
            let last = self.last.min(first.saturating_add(i64::from(i32::MAX)));
            out.push(filler(
                first,
                (last - first) as i32,
                self.max_timestamp,
                self.leader_epoch,
            ));
            first = last + 1;
        }
        out
    }
}

fn filler(base_offset: i64, last_offset_delta: i32, timestamp: i64, leader_epoch: i32) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN);
    out.extend_from_slice(&base_offset.to_be_bytes());
    out.extend_from_slice(&0i32.to_be_bytes()); // length, set by finish
    out.extend_from_slice(&leader_epoch.to_be_bytes());
    out.push(2);
    out.extend_from_slice(&[0; 4]); // crc, set by finish
    out.extend_from_slice(&0i16.to_be_bytes()); // attributes: no codec, not transactional
    out.extend_from_slice(&last_offset_delta.to_be_bytes());
    out.extend_from_slice(&timestamp.to_be_bytes());
    out.extend_from_slice(&timestamp.to_be_bytes());
    out.extend_from_slice(&(-1i64).to_be_bytes()); // producer id
    out.extend_from_slice(&(-1i16).to_be_bytes()); // epoch
    out.extend_from_slice(&(-1i32).to_be_bytes()); // base sequence
    out.extend_from_slice(&0i32.to_be_bytes()); // record count, set by finish
    finish(&mut out, 0);
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::batch::validate_batches;
    use crate::records::tests::{TestRecord, encode_batch};

    fn sample(n: usize) -> Vec<TestRecord> {
        (0..n)
            .map(|i| TestRecord {
                timestamp_delta: i as i64,
                key: Some(format!("k{}", i % 3).into_bytes()),
                value: (i % 4 != 3).then(|| format!("v{i}").into_bytes()),
                headers: vec![],
            })
            .collect()
    }

    #[test]
    fn kept_records_survive_in_every_codec_with_the_offset_range() {
        for codec in 0..=4 {
            let mut b = encode_batch(codec, &sample(8));
            b[0..8].copy_from_slice(&100i64.to_be_bytes());
            crate::records::tests::fix_crc(&mut b);
            let h = validate_batches(&b).unwrap()[0];
            let mut scratch = Vec::new();
            let mut seen = Vec::new();
            let spans = records_of(&h, &b, &mut scratch, |r| seen.push((r.offset, r.tombstone))).unwrap();
            assert_eq!(seen.len(), 8);
            assert_eq!(seen[3], (103, true));
            let out = with_records(&h, &b, &scratch, &spans, &[2, 5, 7], None).unwrap();
            let nh = validate_batches(&out).unwrap()[0];
            assert_eq!((nh.base_offset, nh.last_offset(), nh.record_count), (100, 107, 3));
            assert_eq!(nh.compression(), codec);
            let mut offsets = Vec::new();
            records_of(&nh, &out, &mut Vec::new(), |r| offsets.push(r.offset)).unwrap();
            assert_eq!(offsets, vec![102, 105, 107], "codec {codec}");
        }
    }

    #[test]
    fn a_delete_horizon_rebases_record_timestamps_in_every_codec() {
        for codec in 0..=4 {
            let mut b = encode_batch(codec, &sample(8));
            b[27..35].copy_from_slice(&1_000i64.to_be_bytes());
            crate::records::tests::fix_crc(&mut b);
            let h = validate_batches(&b).unwrap()[0];
            let mut before = Vec::new();
            let mut scratch = Vec::new();
            let spans = records_of(&h, &b, &mut scratch, |r| before.push((r.offset, r.timestamp))).unwrap();
            let out = with_records(&h, &b, &scratch, &spans, &[1, 3, 6], Some(86_401_000)).unwrap();
            let nh = validate_batches(&out).unwrap()[0];
            assert_eq!(nh.delete_horizon(), Some(86_401_000), "codec {codec}");
            assert_eq!(nh.compression(), codec);
            assert_eq!(
                (nh.max_timestamp, nh.last_offset()),
                (h.max_timestamp, h.last_offset())
            );
            let mut after = Vec::new();
            records_of(&nh, &out, &mut Vec::new(), |r| {
                after.push((r.offset, r.timestamp))
            })
            .unwrap();
            assert_eq!(after, [before[1], before[3], before[6]], "codec {codec}");
        }
    }

    #[test]
    fn empty_batches_and_fillers_validate() {
        let b = encode_batch(3, &sample(4));
        let h = validate_batches(&b).unwrap()[0];
        let e = emptied(&h, &b);
        let eh = validate_batches(&e).unwrap()[0];
        assert_eq!(
            (eh.record_count, eh.last_offset_delta, eh.compression()),
            (0, 3, 0)
        );
        let run = FillerRun {
            first: 10,
            last: 10 + 3 * i64::from(i32::MAX),
            max_timestamp: 7,
            leader_epoch: 0,
        };
        let fillers = run.batches();
        assert_eq!(fillers.len(), 3);
        let mut next = 10;
        for f in &fillers {
            let fh = validate_batches(f).unwrap()[0];
            assert_eq!(fh.base_offset, next);
            assert_eq!(fh.producer_id, -1);
            next = fh.last_offset() + 1;
        }
        assert_eq!(next, run.last + 1);
    }

    #[test]
    fn digests_differ_by_key() {
        assert_eq!(key_digest(b"a"), key_digest(b"a"));
        assert_ne!(key_digest(b"a"), key_digest(b"b"));
        assert_ne!(key_digest(b""), key_digest(b"\0"));
    }
}
