//! The consumer's side of stored batches: which records a Kafka consumer is handed from the
//! whole batches a read returned, decoded in place (no per-record allocation).
//!
//! [`ConsumerCursor`] is what a Kafka client does with a Fetch response, for readers in the
//! broker's process (the engine's Kafka source) that read [`crate::Partition`] directly:
//! - records below the requested offset (the first batch may start before it) are skipped;
//! - control batches (transaction markers) are never handed out;
//! - read_committed: the aborted transactions listed with the read (producer id, first offset;
//!   see [`crate::Partition::aborted_transactions`]) drop their producer's transactional
//!   batches from the first offset up to the producer's abort marker — Kafka's consumer
//!   algorithm (`CompletedFetch.nextFetchedRecord`), so the same log yields the same records as
//!   through any Kafka client;
//! - [`ConsumerCursor::next_offset`] is where the next read starts: after the last record handed
//!   out, or after a whole batch that was skipped, so markers and aborted batches are passed
//!   once and never re-read.
//!
//! Compressed batches are decompressed into one buffer the cursor reuses.

use bytes::Bytes;

use crate::batch::{BatchHeader, HEADER_LEN};
use crate::control::{self, MarkerType};
use crate::records::{self, RecordView};
use crate::{Result, compression};

/// One record handed to the consumer.
#[derive(Debug, Clone, Copy)]
pub struct ConsumedRecord<'a> {
    /// Its offset.
    pub offset: i64,
    /// Its timestamp (ms): the batch's append time under LogAppendTime, else the producer's.
    pub timestamp: i64,
    /// Whether `timestamp` is the broker's append time.
    pub log_append_time: bool,
    /// Key, value and headers.
    pub record: RecordView<'a>,
}

/// The batch being handed out.
#[derive(Debug)]
struct OpenBatch {
    header: BatchHeader,
    /// The record section: in the read's bytes (uncompressed) or in the cursor's scratch buffer.
    compressed: bool,
    start: usize,
    end: usize,
    /// Position of the next record in the section, and its index.
    at: usize,
    index: usize,
    /// Every record from `at` on is at or after the requested offset (offsets grow in a batch).
    caught_up: bool,
}

/// Iterates the records a consumer sees in the whole batches of one or more reads (see the
/// [module docs](self)).
#[derive(Debug, Default)]
pub struct ConsumerCursor {
    data: Bytes,
    /// Position of the next batch in `data`.
    at: usize,
    /// Aborted transactions of the current read, by first offset, not yet reached.
    aborted: Vec<(i64, i64)>,
    next_aborted: usize,
    /// Producers whose transactional batches are being dropped.
    aborting: Vec<i64>,
    batch: Option<OpenBatch>,
    scratch: Vec<u8>,
    next_offset: i64,
}

impl ConsumerCursor {
    /// An empty cursor.
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts on the batches of a new read that began at `from`; `aborted` are the
    /// `(producer id, first offset)` of the aborted transactions overlapping it (empty for
    /// read_uncommitted). Whatever was left of the previous read is dropped.
    pub fn reset(&mut self, data: Bytes, from: i64, mut aborted: Vec<(i64, i64)>) {
        aborted.sort_by_key(|&(_, first)| first);
        self.data = data;
        self.at = 0;
        self.aborted = aborted;
        self.next_aborted = 0;
        self.aborting.clear();
        self.batch = None;
        self.next_offset = from;
    }

    /// Where the next read starts: after the last record handed out or batch passed over.
    pub fn next_offset(&self) -> i64 {
        self.next_offset
    }

    /// Whether every batch of the current read has been handed out or passed over.
    pub fn is_exhausted(&self) -> bool {
        self.batch.is_none() && self.at >= self.data.len()
    }

    /// The next record the consumer sees, `None` when the read's batches are used up. A
    /// malformed batch or record is an error (the log validated it when it was produced).
    pub fn next_record(&mut self) -> Result<Option<ConsumedRecord<'_>>> {
        if !self.position_at_next_record()? {
            return Ok(None);
        }
        let Some(b) = self.batch.as_mut() else {
            return Ok(None);
        };
        let section = if b.compressed {
            &self.scratch[..]
        } else {
            &self.data[b.start..b.end]
        };
        let record = records::decode_record(section, &mut b.at, b.index)?;
        b.index += 1;
        let offset = b.header.base_offset + i64::from(record.offset_delta);
        self.next_offset = offset + 1;
        let log_append_time = b.header.has_log_append_time();
        let timestamp = if log_append_time {
            b.header.max_timestamp
        } else {
            b.header.base_timestamp.saturating_add(record.timestamp_delta)
        };
        Ok(Some(ConsumedRecord {
            offset,
            timestamp,
            log_append_time,
            record,
        }))
    }

    /// Opens batches and passes over records below [`Self::next_offset`] until the open
    /// batch's next record is one to hand out; false when the read is used up.
    fn position_at_next_record(&mut self) -> Result<bool> {
        loop {
            if self.batch.is_none() && !self.open_next_batch()? {
                return Ok(false);
            }
            let Some(b) = self.batch.as_mut() else {
                continue;
            };
            if b.index >= b.header.record_count.max(0) as usize || b.at >= b.end - b.start {
                self.next_offset = self.next_offset.max(b.header.last_offset() + 1);
                self.batch = None;
                continue;
            }
            if b.caught_up {
                return Ok(true);
            }
            let section = if b.compressed {
                &self.scratch[..]
            } else {
                &self.data[b.start..b.end]
            };
            let mut at = b.at;
            let record = records::decode_record(section, &mut at, b.index)?;
            if b.header.base_offset + i64::from(record.offset_delta) >= self.next_offset {
                b.caught_up = true;
                return Ok(true);
            }
            b.at = at;
            b.index += 1;
        }
    }

    /// Moves to the next batch with records for the consumer; false when there is none.
    fn open_next_batch(&mut self) -> Result<bool> {
        while let Some(rest) = self.data.get(self.at..).filter(|r| !r.is_empty()) {
            let header = BatchHeader::parse(rest)?;
            let start = self.at;
            let end = start + header.total_len();
            self.at = end;
            let last = header.last_offset();
            if last < self.next_offset {
                continue;
            }
            let batch = self.data.slice(start..end);
            if self.skipped(&header, &batch)? {
                self.next_offset = last + 1;
                continue;
            }
            let compressed = header.compression() != 0;
            if compressed {
                compression::decompress_into(
                    header.compression(),
                    &self.data[start + HEADER_LEN..end],
                    &mut self.scratch,
                )?;
            }
            let (start, end) = if compressed {
                (0, self.scratch.len())
            } else {
                (start + HEADER_LEN, end)
            };
            self.batch = Some(OpenBatch {
                caught_up: header.base_offset >= self.next_offset,
                header,
                compressed,
                start,
                end,
                at: 0,
                index: 0,
            });
            return Ok(true);
        }
        Ok(false)
    }

    /// Whether the consumer passes over this whole batch: a control batch, or a batch of an
    /// aborted transaction.
    fn skipped(&mut self, header: &BatchHeader, batch: &[u8]) -> Result<bool> {
        if header.is_transactional() {
            // Transactions that start at or before this batch's end become active.
            while let Some(&(producer, first)) = self.aborted.get(self.next_aborted)
                && first <= header.last_offset()
            {
                self.next_aborted += 1;
                if !self.aborting.contains(&producer) {
                    self.aborting.push(producer);
                }
            }
            if header.is_control() {
                if control::parse_marker(batch)?.0 == MarkerType::Abort {
                    self.aborting.retain(|&p| p != header.producer_id);
                }
                return Ok(true);
            }
            if self.aborting.contains(&header.producer_id) {
                return Ok(true);
            }
        }
        Ok(header.is_control())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::records::tests::{TestRecord, encode_batch, fix_crc};

    fn records(n: usize) -> Vec<TestRecord> {
        (0..n)
            .map(|i| TestRecord {
                timestamp_delta: i as i64,
                key: Some(format!("k{i}").into_bytes()),
                value: Some(format!("v{i}").into_bytes()),
                headers: vec![(b"h".to_vec(), Some(vec![i as u8]))],
            })
            .collect()
    }

    /// A batch of `n` records at `base`, transactional for `producer` when given.
    fn batch(codec: u8, base: i64, n: usize, producer: Option<i64>) -> Vec<u8> {
        let mut b = encode_batch(codec, &records(n));
        b[0..8].copy_from_slice(&base.to_be_bytes());
        if let Some(p) = producer {
            b[21..23].copy_from_slice(&(i16::from(codec) | 0x10).to_be_bytes());
            b[43..51].copy_from_slice(&p.to_be_bytes());
        }
        fix_crc(&mut b);
        b
    }

    fn marker(base: i64, producer: i64, kind: MarkerType) -> Vec<u8> {
        let mut b = control::encode_marker(producer, 0, kind, 0, 5);
        b[0..8].copy_from_slice(&base.to_be_bytes());
        b
    }

    fn drain(c: &mut ConsumerCursor) -> Vec<(i64, String)> {
        let mut out = Vec::new();
        while let Some(r) = c.next_record().unwrap() {
            let v = String::from_utf8(r.record.value.unwrap().to_vec()).unwrap();
            assert_eq!(r.record.headers().count(), 1);
            out.push((r.offset, v));
        }
        out
    }

    #[test]
    fn skips_records_before_the_start_in_every_codec() {
        for codec in 0..=4 {
            let data: Vec<u8> = [batch(codec, 10, 3, None), batch(codec, 13, 2, None)].concat();
            let mut c = ConsumerCursor::new();
            c.reset(Bytes::from(data), 11, Vec::new());
            let got = drain(&mut c);
            assert_eq!(
                got,
                vec![
                    (11, "v1".into()),
                    (12, "v2".into()),
                    (13, "v0".into()),
                    (14, "v1".into())
                ],
                "codec {codec}"
            );
            assert_eq!(c.next_offset(), 15);
            assert!(c.is_exhausted());
        }
    }

    #[test]
    fn drops_aborted_transactions_and_markers_and_keeps_committed_ones() {
        // 0-1 plain; 2-3 txn of 7 (aborted); 4-5 txn of 8 (committed); 6 abort 7; 7 commit 8;
        // 8-9 txn of 7 again (committed); 10 commit 7.
        let data: Vec<u8> = [
            batch(3, 0, 2, None),
            batch(0, 2, 2, Some(7)),
            batch(0, 4, 2, Some(8)),
            marker(6, 7, MarkerType::Abort),
            marker(7, 8, MarkerType::Commit),
            batch(3, 8, 2, Some(7)),
            marker(10, 7, MarkerType::Commit),
        ]
        .concat();
        let mut c = ConsumerCursor::new();
        c.reset(Bytes::from(data.clone()), 0, vec![(7, 2)]);
        let offsets: Vec<i64> = drain(&mut c).into_iter().map(|(o, _)| o).collect();
        assert_eq!(offsets, vec![0, 1, 4, 5, 8, 9]);
        assert_eq!(c.next_offset(), 11, "markers are passed over");
        // Without the aborted list (read_uncommitted), only markers are dropped.
        c.reset(Bytes::from(data), 3, Vec::new());
        let offsets: Vec<i64> = drain(&mut c).into_iter().map(|(o, _)| o).collect();
        assert_eq!(offsets, vec![3, 4, 5, 8, 9]);
    }
}
