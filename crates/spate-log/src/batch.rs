//! Kafka v2 record batch headers: parsing, validation and the base-offset field.
//!
//! Layout (big-endian), as in the Kafka protocol guide:
//! ```text
//! 0  baseOffset i64 | 8 batchLength i32 | 12 partitionLeaderEpoch i32 | 16 magic i8 (=2)
//! 17 crc u32 (CRC-32C of bytes 21..end) | 21 attributes i16 | 23 lastOffsetDelta i32
//! 27 baseTimestamp i64 | 35 maxTimestamp i64 | 43 producerId i64 | 51 producerEpoch i16
//! 53 baseSequence i32 | 57 recordCount i32 | 61 records...
//! ```

use crate::{Error, Result};

/// Size of the fixed batch header.
pub const HEADER_LEN: usize = 61;
/// Bytes before the `batchLength`-counted part: baseOffset and batchLength.
pub const LOG_OVERHEAD: usize = 12;
/// Offset of the first byte covered by the CRC (the attributes field).
pub const CRC_START: usize = 21;
/// Offset of the `magic` byte.
pub const MAGIC_OFFSET: usize = 16;
/// Offset of the `attributes` field.
pub const ATTRIBUTES_OFFSET: usize = 21;
/// Offset of the `maxTimestamp` field.
pub const MAX_TIMESTAMP_OFFSET: usize = 35;
/// Offset of the `crc` field.
pub const CRC_OFFSET: usize = 17;
/// Attribute bit: the timestamps are the broker's append time.
pub const LOG_APPEND_TIME_FLAG: i16 = 0x08;
/// Attribute bit (KIP-534): the log cleaner set `baseTimestamp` to the batch's delete horizon,
/// the time from which its tombstones (or, for a marker, the marker) may be removed.
pub const DELETE_HORIZON_FLAG: i16 = 0x40;
/// Offset of the `baseTimestamp` field.
pub const BASE_TIMESTAMP_OFFSET: usize = 27;

/// The parsed header of one v2 record batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchHeader {
    pub base_offset: i64,
    /// Bytes after the length field; the whole batch is `12 + batch_length` bytes.
    pub batch_length: i32,
    pub partition_leader_epoch: i32,
    pub magic: i8,
    pub crc: u32,
    pub attributes: i16,
    pub last_offset_delta: i32,
    pub base_timestamp: i64,
    pub max_timestamp: i64,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
    pub record_count: i32,
}

fn be_i64(b: &[u8], at: usize) -> i64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    i64::from_be_bytes(a)
}
fn be_i32(b: &[u8], at: usize) -> i32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[at..at + 4]);
    i32::from_be_bytes(a)
}
fn be_i16(b: &[u8], at: usize) -> i16 {
    i16::from_be_bytes([b[at], b[at + 1]])
}

impl BatchHeader {
    /// Parses the header at the start of `buf` (which may hold more bytes than one batch).
    ///
    /// Checks only what is needed to read the fields: the buffer is long enough, the magic is 2
    /// and `batch_length` covers at least the header. Use [`validate_batches`] for a full check.
    pub fn parse(buf: &[u8]) -> Result<BatchHeader> {
        if buf.len() < HEADER_LEN {
            return Err(Error::CorruptBatch(format!(
                "{} bytes left, fewer than the {HEADER_LEN}-byte batch header",
                buf.len()
            )));
        }
        let magic = buf[MAGIC_OFFSET] as i8;
        if magic != 2 {
            return Err(Error::UnsupportedMagic(magic));
        }
        let header = BatchHeader {
            base_offset: be_i64(buf, 0),
            batch_length: be_i32(buf, 8),
            partition_leader_epoch: be_i32(buf, 12),
            magic,
            crc: be_i32(buf, CRC_OFFSET) as u32,
            attributes: be_i16(buf, ATTRIBUTES_OFFSET),
            last_offset_delta: be_i32(buf, 23),
            base_timestamp: be_i64(buf, 27),
            max_timestamp: be_i64(buf, MAX_TIMESTAMP_OFFSET),
            producer_id: be_i64(buf, 43),
            producer_epoch: be_i16(buf, 51),
            base_sequence: be_i32(buf, 53),
            record_count: be_i32(buf, 57),
        };
        if (header.batch_length as i64) < (HEADER_LEN - LOG_OVERHEAD) as i64 {
            return Err(Error::CorruptBatch(format!(
                "batch length {} is smaller than the header",
                header.batch_length
            )));
        }
        Ok(header)
    }
    /// Total size of the batch on the wire and on disk.
    pub fn total_len(&self) -> usize {
        12 + self.batch_length as usize
    }
    pub fn last_offset(&self) -> i64 {
        self.base_offset + i64::from(self.last_offset_delta)
    }
    /// Compression codec id (attributes bits 0-2): 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd.
    pub fn compression(&self) -> u8 {
        (self.attributes & 0x07) as u8
    }
    pub fn is_transactional(&self) -> bool {
        self.attributes & 0x10 != 0
    }
    pub fn is_control(&self) -> bool {
        self.attributes & 0x20 != 0
    }
    pub fn has_log_append_time(&self) -> bool {
        self.attributes & 0x08 != 0
    }
    /// The delete horizon a cleaning pass wrote into `baseTimestamp` (KIP-534), if any.
    pub fn delete_horizon(&self) -> Option<i64> {
        (self.attributes & DELETE_HORIZON_FLAG != 0).then_some(self.base_timestamp)
    }
    /// Sequence number of the last record: `base_sequence + last_offset_delta`, wrapping past
    /// `i32::MAX` to 0 as Kafka's producers do.
    pub fn last_sequence(&self) -> i32 {
        increment_sequence(self.base_sequence, self.last_offset_delta)
    }
    /// Checks the field invariants that do not need the batch body.
    fn check_fields(&self) -> Result<()> {
        if self.last_offset_delta < 0 {
            return Err(Error::CorruptBatch(format!(
                "negative lastOffsetDelta {}",
                self.last_offset_delta
            )));
        }
        if self.record_count < 0 {
            return Err(Error::CorruptBatch(format!(
                "negative record count {}",
                self.record_count
            )));
        }
        // Compaction may leave fewer records than the offset span, never more.
        if i64::from(self.record_count) > i64::from(self.last_offset_delta) + 1 {
            return Err(Error::CorruptBatch(format!(
                "record count {} exceeds offset span {}",
                self.record_count,
                i64::from(self.last_offset_delta) + 1
            )));
        }
        if self.compression() > 4 {
            return Err(Error::CorruptBatch(format!(
                "unknown compression codec {}",
                self.compression()
            )));
        }
        Ok(())
    }
}

/// `seq + delta` with Kafka's wrap-around at `i32::MAX` (to 0).
pub fn increment_sequence(seq: i32, delta: i32) -> i32 {
    if seq > i32::MAX - delta {
        delta - (i32::MAX - seq) - 1
    } else {
        seq + delta
    }
}

/// A batch validated by [`validate_batch_at`]: its header and where its bytes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ValidatedBatch {
    pub header: BatchHeader,
    /// Offset of the batch within the validated buffer.
    pub position: usize,
}

/// Validates the batch starting at `buf[position..]`: header, size and CRC.
pub(crate) fn validate_batch_at(buf: &[u8], position: usize) -> Result<ValidatedBatch> {
    let rest = &buf[position..];
    if rest.len() < LOG_OVERHEAD {
        return Err(Error::CorruptBatch(format!(
            "{} trailing bytes do not hold a batch",
            rest.len()
        )));
    }
    let header = BatchHeader::parse(rest)?;
    let total = header.total_len();
    if total > rest.len() {
        return Err(Error::CorruptBatch(format!(
            "batch length {} runs past the end of the data ({} bytes left)",
            header.batch_length,
            rest.len()
        )));
    }
    header.check_fields()?;
    // The checksummed range is contiguous: one pass, no CRC combination (which costs more than
    // the CRC itself for typical batch sizes).
    let computed = crc32c::crc32c(&rest[CRC_START..total]);
    if computed != header.crc {
        return Err(Error::CrcMismatch {
            stored: header.crc,
            computed,
        });
    }
    Ok(ValidatedBatch { header, position })
}

/// Validates every batch of `records`, returning each with its position.
pub(crate) fn validate_all(records: &[u8]) -> Result<Vec<ValidatedBatch>> {
    let mut out = Vec::new();
    let mut position = 0;
    while position < records.len() {
        let batch = validate_batch_at(records, position)?;
        position += batch.header.total_len();
        out.push(batch);
    }
    Ok(out)
}

/// Splits `records` (the bytes of a Produce request's partition, or of a segment range) into
/// whole batches, validating each header, size and CRC. Fails on the first bad batch.
pub fn validate_batches(records: &[u8]) -> Result<Vec<BatchHeader>> {
    Ok(validate_all(records)?.into_iter().map(|b| b.header).collect())
}

/// Rewrites the 61-byte `header` of a batch for log-append time: sets the timestamp-type bit and
/// `maxTimestamp`, and recomputes the CRC over the new header and the unchanged `records` (the
/// bytes after the header). Only LogAppendTime topics pay this second pass.
pub(crate) fn set_log_append_time(header: &mut [u8; HEADER_LEN], records: &[u8], now: i64) {
    let attributes = be_i16(header, ATTRIBUTES_OFFSET) | LOG_APPEND_TIME_FLAG;
    header[ATTRIBUTES_OFFSET..ATTRIBUTES_OFFSET + 2].copy_from_slice(&attributes.to_be_bytes());
    header[MAX_TIMESTAMP_OFFSET..MAX_TIMESTAMP_OFFSET + 8].copy_from_slice(&now.to_be_bytes());
    let crc = crc32c::crc32c_append(crc32c::crc32c(&header[CRC_START..HEADER_LEN]), records);
    header[CRC_OFFSET..CRC_OFFSET + 4].copy_from_slice(&crc.to_be_bytes());
}

/// One record's position in time and offset, as found by [`RecordWalker`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RecordStamp {
    pub offset_delta: i32,
    pub timestamp_delta: i64,
}

/// Walks the records of an uncompressed record section (varint record format), yielding only
/// the timestamp and offset deltas. Stops (yielding an error) at the first malformed record.
#[derive(Debug)]
pub(crate) struct RecordWalker<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> RecordWalker<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        RecordWalker { buf, at: 0 }
    }
}

/// Reads a zig-zag varint of at most `max_bytes` bytes, returning the value and bytes used.
fn read_varlong(buf: &[u8], max_bytes: usize) -> Option<(i64, usize)> {
    let mut raw: u64 = 0;
    for (i, &b) in buf.iter().take(max_bytes).enumerate() {
        raw |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            let value = ((raw >> 1) as i64) ^ -((raw & 1) as i64);
            return Some((value, i + 1));
        }
    }
    None
}

impl Iterator for RecordWalker<'_> {
    type Item = Result<RecordStamp>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.at >= self.buf.len() {
            return None;
        }
        let corrupt = |what: &str| Some(Err(Error::CorruptBatch(format!("malformed record: {what}"))));
        let rest = &self.buf[self.at..];
        let Some((length, n)) = read_varlong(rest, 5) else {
            return corrupt("length varint");
        };
        let Ok(length) = usize::try_from(length) else {
            return corrupt("negative length");
        };
        let Some(body) = rest.get(n..n.saturating_add(length)) else {
            return corrupt("length past end of batch");
        };
        // body: attributes i8, timestampDelta varlong, offsetDelta varint, ...
        let Some(after_attributes) = body.get(1..) else {
            return corrupt("empty record");
        };
        let Some((timestamp_delta, m)) = read_varlong(after_attributes, 10) else {
            return corrupt("timestamp varint");
        };
        let Some((offset_delta, _)) = read_varlong(&after_attributes[m..], 5) else {
            return corrupt("offset varint");
        };
        let Ok(offset_delta) = i32::try_from(offset_delta) else {
            return corrupt("offset delta range");
        };
        self.at += n + length;
        Some(Ok(RecordStamp {
            offset_delta,
            timestamp_delta,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_wraps_at_i32_max() {
        assert_eq!(increment_sequence(5, 3), 8);
        assert_eq!(increment_sequence(i32::MAX, 1), 0);
        assert_eq!(increment_sequence(i32::MAX - 1, 3), 1);
        assert_eq!(increment_sequence(i32::MAX, 0), i32::MAX);
    }

    #[test]
    fn short_and_garbage_input_is_an_error_not_a_panic() {
        assert!(validate_batches(&[0u8; 5]).is_err());
        let mut buf = vec![0u8; 70];
        buf[16] = 1;
        assert!(matches!(validate_batches(&buf), Err(Error::UnsupportedMagic(1))));
        buf[16] = 2;
        buf[8..12].copy_from_slice(&(-5i32).to_be_bytes());
        assert!(matches!(validate_batches(&buf), Err(Error::CorruptBatch(_))));
        buf[8..12].copy_from_slice(&i32::MAX.to_be_bytes());
        assert!(matches!(validate_batches(&buf), Err(Error::CorruptBatch(_))));
    }

    #[test]
    fn varlong_decoding() {
        assert_eq!(read_varlong(&[0x00], 10), Some((0, 1)));
        assert_eq!(read_varlong(&[0x01], 10), Some((-1, 1)));
        assert_eq!(read_varlong(&[0x02], 10), Some((1, 1)));
        assert_eq!(read_varlong(&[0xac, 0x02], 10), Some((150, 2)));
        assert_eq!(read_varlong(&[0x80, 0x80], 10), None);
    }

    proptest::proptest! {
        #[test]
        fn validate_never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            let _ = validate_batches(&bytes);
            for r in RecordWalker::new(&bytes) { if r.is_err() { break; } }
        }
    }
}
