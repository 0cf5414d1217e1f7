//! Record-level validation of produced v2 batches: every record inside a batch is walked before
//! the batch is stored, as Kafka's `LogValidator` does, so a batch with a valid CRC but malformed
//! records can never reach a consumer (librdkafka stalls silently on one, kafka-python raises).
//!
//! Record layout (varints are zig-zag, as in the Kafka protocol guide):
//! ```text
//! length varint | attributes i8 | timestampDelta varlong | offsetDelta varint |
//! keyLength varint | key | valueLength varint | value |
//! headerCount varint | headerCount × (keyLength varint | key | valueLength varint | value)
//! ```
//!
//! What is checked, and why it is what Kafka checks (or stricter, where Kafka would rewrite the
//! batch and Spate stores batches as received):
//! - exactly `recordCount` records fill the record section: none missing, no trailing bytes
//!   (Kafka: "Found invalid record structure", "Incorrect declared batch size");
//! - each `length` is non-negative and its body lies inside the section, and the fields use
//!   exactly `length` bytes (Kafka: "Invalid record size");
//! - varints are well-formed and fit their type (at most 5 bytes / 32 bits, 10 bytes / 64 bits);
//! - key and value lengths are `-1` (null) or a length that fits; a header count is
//!   non-negative, each header key non-null, each header value `-1` or fitting;
//! - `offsetDelta` of record `i` is exactly `i`. Kafka rewrites (recompresses) a compressed batch
//!   whose inner offsets are not `0..n-1`; Spate never rewrites records, so it refuses instead —
//!   otherwise consumers would see offsets go backwards.
//!
//! Record attributes are unused in v2 and, as in Kafka, not checked; timestamps are not bounded
//! (Kafka bounds them only through `message.timestamp.*.max.ms`, which Spate does not have).
//!
//! Compressed sections are decompressed into a per-thread buffer that is reused across batches
//! (the stored bytes stay exactly as received: nothing is recompressed). The uncompressed path
//! allocates nothing: it walks the section in place.

use std::cell::RefCell;

use crate::batch::{BatchHeader, HEADER_LEN};
use crate::compression;
use crate::{Error, Result};

/// A decompression buffer larger than this is dropped after use instead of kept for the next
/// batch, so one huge batch does not pin its memory on the thread for good.
const SCRATCH_KEPT_BYTES: usize = 8 << 20;

thread_local! {
    /// Decompressed record sections, reused by every validation on this thread.
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// One record of a batch's record section: borrowed slices of the section, no copies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordView<'a> {
    /// Record attributes (unused in v2).
    pub attributes: u8,
    /// Added to the batch's base timestamp.
    pub timestamp_delta: i64,
    /// Added to the batch's base offset.
    pub offset_delta: i32,
    /// The key (`None`: null).
    pub key: Option<&'a [u8]>,
    /// The value (`None`: null, a tombstone).
    pub value: Option<&'a [u8]>,
    /// The encoded headers (count excluded); [`RecordView::headers`] iterates them.
    pub(crate) headers: &'a [u8],
    pub(crate) header_count: usize,
}

fn invalid(index: usize, what: impl std::fmt::Display) -> Error {
    Error::InvalidRecord(format!("record {index}: {what}"))
}

/// Decodes a zig-zag varint (at most 5 bytes, 32 bits) at `buf[*at..]`, advancing `at`.
#[inline(always)]
fn varint(buf: &[u8], at: &mut usize) -> Option<i32> {
    let first = *buf.get(*at)?;
    if first < 0x80 {
        // One byte: by far the most common case (small lengths, deltas and counts).
        *at += 1;
        return Some(i32::from(first >> 1) ^ -i32::from(first & 1));
    }
    let mut raw = u32::from(first & 0x7f);
    for i in 1..5 {
        let b = *buf.get(*at + i)?;
        if i == 4 && b > 0x0f {
            // Bits beyond 32: Java's reader drops them silently, other clients may not;
            // no producer writes them, so refuse rather than let readers disagree.
            return None;
        }
        raw |= u32::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            *at += i + 1;
            return Some(((raw >> 1) as i32) ^ -((raw & 1) as i32));
        }
    }
    None
}

/// Decodes a zig-zag varlong (at most 10 bytes, 64 bits) at `buf[*at..]`, advancing `at`.
#[inline(always)]
fn varlong(buf: &[u8], at: &mut usize) -> Option<i64> {
    let mut raw: u64 = 0;
    for i in 0..10 {
        let b = *buf.get(*at + i)?;
        if i == 9 && b > 0x01 {
            return None;
        }
        raw |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            *at += i + 1;
            return Some(((raw >> 1) as i64) ^ -((raw & 1) as i64));
        }
    }
    None
}

/// Reads a length-prefixed byte field (`-1` = null) of `body` at `at`.
#[inline(always)]
fn bytes_field<'a>(body: &'a [u8], at: &mut usize, index: usize, what: &str) -> Result<Option<&'a [u8]>> {
    let len =
        varint(body, at).ok_or_else(|| invalid(index, format_args!("malformed {what} length varint")))?;
    if len == -1 {
        return Ok(None);
    }
    let Ok(len) = usize::try_from(len) else {
        return Err(invalid(index, format_args!("{what} length {len}")));
    };
    let Some(field) = body.get(*at..).and_then(|rest| rest.get(..len)) else {
        return Err(invalid(
            index,
            format_args!("{what} of {len} bytes runs past the record's end"),
        ));
    };
    *at += len;
    Ok(Some(field))
}

/// Walks exactly `count` records filling `section` (an uncompressed record section), checking
/// the structure described in the module docs and calling `visit` for each record. Allocates
/// nothing.
#[inline]
pub(crate) fn walk<'a>(
    section: &'a [u8],
    count: usize,
    mut visit: impl FnMut(usize, RecordView<'a>) -> Result<()>,
) -> Result<()> {
    let mut at = 0usize;
    for index in 0..count {
        if at >= section.len() {
            return Err(invalid(
                index,
                format_args!("missing: the batch declares {count} records"),
            ));
        }
        let record = decode_record(section, &mut at, index)?;
        if usize::try_from(record.offset_delta) != Ok(index) {
            return Err(invalid(
                index,
                format_args!("invalid offset delta {}, expected {index}", record.offset_delta),
            ));
        }
        visit(index, record)?;
    }
    if at != section.len() {
        return Err(Error::InvalidRecord(format!(
            "{} bytes after the {count} declared records",
            section.len() - at
        )));
    }
    Ok(())
}

/// Decodes the record at `section[*at..]` (the `index`-th of its batch, for messages) and moves
/// `at` past it, checking its structure as the module docs describe (all but the offset delta's
/// position, which only a walk over the whole batch knows). Allocates nothing.
#[inline(always)]
pub(crate) fn decode_record<'a>(section: &'a [u8], at: &mut usize, index: usize) -> Result<RecordView<'a>> {
    let length = varint(section, at).ok_or_else(|| invalid(index, "malformed length varint"))?;
    let Ok(length) = usize::try_from(length) else {
        return Err(invalid(index, format_args!("negative length {length}")));
    };
    let Some(body) = section.get(*at..).and_then(|rest| rest.get(..length)) else {
        return Err(invalid(
            index,
            format_args!(
                "length {length} runs past the end of the batch ({} bytes left)",
                section.len().saturating_sub(*at)
            ),
        ));
    };
    *at += length;
    let Some(&attributes) = body.first() else {
        return Err(invalid(index, "empty record"));
    };
    let mut p = 1;
    let timestamp_delta =
        varlong(body, &mut p).ok_or_else(|| invalid(index, "malformed timestampDelta varlong"))?;
    let offset_delta = varint(body, &mut p).ok_or_else(|| invalid(index, "malformed offsetDelta varint"))?;
    let key = bytes_field(body, &mut p, index, "key")?;
    let value = bytes_field(body, &mut p, index, "value")?;
    let header_count = varint(body, &mut p).ok_or_else(|| invalid(index, "malformed header count varint"))?;
    let headers_start = p;
    // Each header takes at least two bytes, so a count above the bytes left is corrupt (and
    // must not drive a long loop).
    let header_count = match usize::try_from(header_count) {
        Ok(n) if n <= body.len() - p => n,
        _ => {
            return Err(invalid(
                index,
                format_args!("invalid header count {header_count}"),
            ));
        }
    };
    for _ in 0..header_count {
        if bytes_field(body, &mut p, index, "header key")?.is_none() {
            return Err(invalid(index, "null header key"));
        }
        bytes_field(body, &mut p, index, "header value")?;
    }
    if p != body.len() {
        return Err(invalid(
            index,
            format_args!("length {length} declared but its fields use {p} bytes"),
        ));
    }
    Ok(RecordView {
        attributes,
        timestamp_delta,
        offset_delta,
        key,
        value,
        headers: &body[headers_start..],
        header_count,
    })
}

/// Appends `value` as a zig-zag varint.
pub(crate) fn write_varint(value: i32, out: &mut Vec<u8>) {
    write_varlong(i64::from(value), out);
}

/// Appends `value` as a zig-zag varlong.
pub(crate) fn write_varlong(value: i64, out: &mut Vec<u8>) {
    let mut v = ((value << 1) ^ (value >> 63)) as u64;
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Appends the record `record` (its bytes from the length varint on, already checked by
/// [`decode_record`]) with its `timestampDelta` relative to `new_base` instead of `old_base`,
/// so its timestamp stays the same. The other fields are copied byte for byte; the length
/// varint follows the delta's new size. A timestamp that does not fit is an error.
pub(crate) fn write_rebased(record: &[u8], old_base: i64, new_base: i64, out: &mut Vec<u8>) -> Result<()> {
    let malformed = || Error::InvalidRecord("malformed record while rebasing its timestamp".into());
    let mut at = 0;
    varint(record, &mut at).ok_or_else(malformed)?;
    let body = record.get(at..).ok_or_else(malformed)?;
    let attributes = *body.first().ok_or_else(malformed)?;
    let mut p = 1;
    let delta = varlong(body, &mut p).ok_or_else(malformed)?;
    let rest = &body[p..];
    let new_delta = old_base
        .checked_add(delta)
        .and_then(|timestamp| timestamp.checked_sub(new_base))
        .ok_or_else(|| {
            Error::InvalidRecord(format!(
                "timestamp {old_base} + {delta} cannot be rebased on {new_base}"
            ))
        })?;
    let mut head = vec![attributes];
    write_varlong(new_delta, &mut head);
    let length = i32::try_from(head.len() + rest.len()).map_err(|_| malformed())?;
    write_varint(length, out);
    out.extend_from_slice(&head);
    out.extend_from_slice(rest);
    Ok(())
}

impl<'a> RecordView<'a> {
    /// The record's headers in order: key and value (`None` for a null value). The record was
    /// checked when it was decoded, so the walk cannot fail.
    pub fn headers(&self) -> RecordHeaders<'a> {
        RecordHeaders {
            bytes: self.headers,
            at: 0,
            left: self.header_count,
        }
    }
}

/// The headers of a [`RecordView`], in order.
#[derive(Debug, Clone)]
pub struct RecordHeaders<'a> {
    bytes: &'a [u8],
    at: usize,
    left: usize,
}

impl<'a> Iterator for RecordHeaders<'a> {
    type Item = (&'a [u8], Option<&'a [u8]>);
    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let key = bytes_field(self.bytes, &mut self.at, 0, "header key").ok()??;
        let value = bytes_field(self.bytes, &mut self.at, 0, "header value").ok()?;
        Some((key, value))
    }
}

/// Iterates the `(key, value)` pairs of a record's headers, as [`walk`] validated them.
#[cfg(test)]
pub(crate) fn headers<'a>(view: &RecordView<'a>) -> Vec<(&'a [u8], Option<&'a [u8]>)> {
    let mut at = 0;
    (0..view.header_count)
        .map(|i| {
            let key = bytes_field(view.headers, &mut at, i, "header key")
                .unwrap()
                .unwrap();
            let value = bytes_field(view.headers, &mut at, i, "header value").unwrap();
            (key, value)
        })
        .collect()
}

/// Validates `records` as the produce path does, short of the topic's settings
/// (`max.message.bytes`) and the producer state: every batch's header, size and CRC, then the
/// producer rules (`recordCount >= 1`, `lastOffsetDelta == recordCount - 1`) and every record
/// inside it, decompressing compressed batches (this module's docs say exactly what is
/// checked). Fails on the first bad batch: structural damage to a
/// batch is [`Error::CorruptBatch`] or [`Error::CrcMismatch`], bad records
/// [`Error::InvalidRecord`].
pub fn validate_request(records: &[u8]) -> Result<Vec<BatchHeader>> {
    let batches = crate::batch::validate_all(records)?;
    for b in &batches {
        let bytes = &records[b.position..b.position + b.header.total_len()];
        validate_produced(&b.header, bytes, false)?;
    }
    Ok(batches.into_iter().map(|b| b.header).collect())
}

/// Validates the records of one produced batch (`batch` is its whole bytes, whose header and CRC
/// are already validated): the producer rules on the header (`recordCount >= 1` and
/// `lastOffsetDelta == recordCount - 1`) and every record's structure (module docs). Compressed
/// sections are decompressed into a reused per-thread buffer. With `require_keys` (a compacted
/// topic) a record without a key is refused too, as Kafka refuses it (INVALID_RECORD).
pub(crate) fn validate_produced(header: &BatchHeader, batch: &[u8], require_keys: bool) -> Result<()> {
    if header.record_count < 1 || i64::from(header.record_count) != i64::from(header.last_offset_delta) + 1 {
        // Kafka: "Inconsistent batch offset range ... and count of records" (INVALID_RECORD).
        return Err(Error::InvalidRecord(format!(
            "batch has {} records but lastOffsetDelta {}",
            header.record_count, header.last_offset_delta
        )));
    }
    let count = header.record_count as usize;
    let section = batch.get(HEADER_LEN..header.total_len()).unwrap_or_default();
    let codec = header.compression();
    let check_key = |index: usize, record: RecordView<'_>| {
        if require_keys && record.key.is_none() {
            return Err(invalid(
                index,
                "a compacted topic cannot accept a record without a key",
            ));
        }
        Ok(())
    };
    if codec == 0 {
        return walk(section, count, check_key);
    }
    SCRATCH.with(|scratch| {
        // Validation never re-enters itself; a fresh buffer keeps even that case correct.
        let mut fresh = Vec::new();
        let mut borrowed = scratch.try_borrow_mut();
        let buf = match borrowed.as_mut() {
            Ok(buf) => &mut **buf,
            Err(_) => &mut fresh,
        };
        let result =
            compression::decompress_into(codec, section, buf).and_then(|()| walk(buf, count, check_key));
        if buf.capacity() > SCRATCH_KEPT_BYTES {
            *buf = Vec::new();
        }
        result
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::batch::validate_batch_at;
    use proptest::prelude::*;
    use std::io::Write;

    /// A record for [`encode_batch`]: everything a v2 record can carry.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub(crate) struct TestRecord {
        pub timestamp_delta: i64,
        pub key: Option<Vec<u8>>,
        pub value: Option<Vec<u8>>,
        pub headers: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    }

    pub(crate) fn put_varlong(value: i64, out: &mut Vec<u8>) {
        let mut v = ((value << 1) ^ (value >> 63)) as u64;
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }

    fn put_bytes(field: Option<&[u8]>, out: &mut Vec<u8>) {
        match field {
            None => put_varlong(-1, out),
            Some(b) => {
                put_varlong(b.len() as i64, out);
                out.extend_from_slice(b);
            }
        }
    }

    /// The uncompressed record section of `records`.
    pub(crate) fn encode_records(records: &[TestRecord]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut body = Vec::new();
        for (i, r) in records.iter().enumerate() {
            body.clear();
            body.push(0); // attributes
            put_varlong(r.timestamp_delta, &mut body);
            put_varlong(i as i64, &mut body);
            put_bytes(r.key.as_deref(), &mut body);
            put_bytes(r.value.as_deref(), &mut body);
            put_varlong(r.headers.len() as i64, &mut body);
            for (k, v) in &r.headers {
                put_bytes(Some(k), &mut body);
                put_bytes(v.as_deref(), &mut body);
            }
            put_varlong(body.len() as i64, &mut out);
            out.extend_from_slice(&body);
        }
        out
    }

    pub(crate) fn compress(codec: u8, data: &[u8]) -> Vec<u8> {
        match codec {
            0 => data.to_vec(),
            1 => {
                let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                e.write_all(data).unwrap();
                e.finish().unwrap()
            }
            2 => snap::raw::Encoder::new().compress_vec(data).unwrap(),
            3 => {
                let mut e = lz4_flex::frame::FrameEncoder::new(Vec::new());
                e.write_all(data).unwrap();
                e.finish().unwrap()
            }
            4 => ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest),
            other => panic!("codec {other}"),
        }
    }

    /// A whole batch: header with `count` and `lastOffsetDelta` as given, `section` as the
    /// (already compressed) record section, correct CRC.
    pub(crate) fn batch_with(codec: u8, count: i32, last_offset_delta: i32, section: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_LEN + section.len());
        out.extend_from_slice(&0i64.to_be_bytes());
        out.extend_from_slice(&((HEADER_LEN - 12 + section.len()) as i32).to_be_bytes());
        out.extend_from_slice(&0i32.to_be_bytes());
        out.push(2);
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&i16::from(codec).to_be_bytes());
        out.extend_from_slice(&last_offset_delta.to_be_bytes());
        out.extend_from_slice(&1_000i64.to_be_bytes());
        out.extend_from_slice(&1_000i64.to_be_bytes());
        out.extend_from_slice(&(-1i64).to_be_bytes());
        out.extend_from_slice(&(-1i16).to_be_bytes());
        out.extend_from_slice(&(-1i32).to_be_bytes());
        out.extend_from_slice(&count.to_be_bytes());
        out.extend_from_slice(section);
        fix_crc(&mut out);
        out
    }

    pub(crate) fn fix_crc(batch: &mut [u8]) {
        let crc = crc32c::crc32c(&batch[21..]);
        batch[17..21].copy_from_slice(&crc.to_be_bytes());
    }

    pub(crate) fn encode_batch(codec: u8, records: &[TestRecord]) -> Vec<u8> {
        let n = records.len() as i32;
        batch_with(codec, n, n - 1, &compress(codec, &encode_records(records)))
    }

    fn check(batch: &[u8]) -> Result<()> {
        let v = validate_batch_at(batch, 0)?;
        validate_produced(&v.header, batch, false)
    }

    fn sample(n: usize) -> Vec<TestRecord> {
        (0..n)
            .map(|i| TestRecord {
                timestamp_delta: i as i64 * 3,
                key: (i % 3 != 0).then(|| format!("key-{i}").into_bytes()),
                value: (i % 5 != 4).then(|| vec![i as u8; i * 7]),
                headers: (0..i % 3)
                    .map(|h| (format!("h{h}").into_bytes(), (h != 1).then(|| b"v".to_vec())))
                    .collect(),
            })
            .collect()
    }

    fn invalid_record(r: Result<()>) -> String {
        match r {
            Err(Error::InvalidRecord(why)) => why,
            other => panic!("expected InvalidRecord, got {other:?}"),
        }
    }

    #[test]
    fn valid_batches_of_every_codec_validate() {
        for codec in 0..=4 {
            check(&encode_batch(codec, &sample(20))).unwrap_or_else(|e| panic!("codec {codec}: {e}"));
        }
        check(&encode_batch(0, &sample(1))).unwrap();
    }

    #[test]
    fn encoder_round_trips_through_the_walker() {
        let records = sample(12);
        let section = encode_records(&records);
        let mut seen = Vec::new();
        walk(&section, records.len(), |i, view| {
            assert_eq!(view.offset_delta as usize, i);
            assert_eq!(view.attributes, 0);
            seen.push(TestRecord {
                timestamp_delta: view.timestamp_delta,
                key: view.key.map(<[u8]>::to_vec),
                value: view.value.map(<[u8]>::to_vec),
                headers: headers(&view)
                    .into_iter()
                    .map(|(k, v)| (k.to_vec(), v.map(<[u8]>::to_vec)))
                    .collect(),
            });
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, records);
    }

    #[test]
    fn count_and_offset_span_must_agree_with_the_records() {
        let section = encode_records(&sample(3));
        // More records declared than present.
        let why = invalid_record(check(&batch_with(0, 4, 3, &section)));
        assert!(why.contains("record 3: missing"), "{why}");
        // Fewer declared than present: trailing bytes.
        let why = invalid_record(check(&batch_with(0, 2, 1, &section)));
        assert!(why.contains("after the 2 declared records"), "{why}");
        // Count and lastOffsetDelta disagree.
        invalid_record(check(&batch_with(0, 3, 4, &section)));
        invalid_record(check(&batch_with(0, 0, 0, &[])));
    }

    #[test]
    fn wrong_offset_deltas_are_refused() {
        let mut section = Vec::new();
        for delta in [0i64, 2, 1] {
            let mut body = vec![0u8, 0];
            put_varlong(delta, &mut body);
            body.extend_from_slice(&[1, 1, 0]); // null key, null value, no headers
            put_varlong(body.len() as i64, &mut section);
            section.extend_from_slice(&body);
        }
        let why = invalid_record(check(&batch_with(0, 3, 2, &section)));
        assert!(why.contains("record 1: invalid offset delta 2"), "{why}");
    }

    #[test]
    fn truncated_and_inconsistent_records_are_refused() {
        let records = sample(4);
        let section = encode_records(&records);
        // Cut the last record short (the header still declares 4 records).
        let why = invalid_record(check(&batch_with(0, 4, 3, &section[..section.len() - 2])));
        assert!(why.contains("record 3"), "{why}");
        // A record whose length says one byte more than its fields use.
        let mut body = vec![0u8, 0, 0, 1, 1, 0, 0];
        let mut bad = Vec::new();
        put_varlong(body.len() as i64, &mut bad);
        bad.append(&mut body);
        let why = invalid_record(check(&batch_with(0, 1, 0, &bad)));
        assert!(why.contains("fields use 6 bytes"), "{why}");
        // A null header key, a key length below -1, an overlong varint.
        for body in [
            vec![0u8, 0, 0, 1, 1, 2, 1, 1],
            vec![0u8, 0, 0, 3, 1, 0],
            vec![0u8, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x7f, 1, 0],
        ] {
            let mut bad = Vec::new();
            put_varlong(body.len() as i64, &mut bad);
            bad.extend_from_slice(&body);
            invalid_record(check(&batch_with(0, 1, 0, &bad)));
        }
    }

    #[test]
    fn garbage_compressed_sections_are_corrupt() {
        for codec in 1..=4 {
            let batch = batch_with(codec, 1, 0, b"this is not compressed at all");
            assert!(
                matches!(check(&batch), Err(Error::CorruptBatch(_))),
                "codec {codec}: {:?}",
                check(&batch)
            );
        }
        // Well-compressed but structurally bad records inside.
        let mut section = encode_records(&sample(3));
        section.push(0);
        let batch = batch_with(4, 3, 2, &compress(4, &section));
        invalid_record(check(&batch));
    }

    #[test]
    fn varints_decode_like_kafka() {
        let mut at = 0;
        assert_eq!(varint(&[0xac, 0x02], &mut at), Some(150));
        assert_eq!(at, 2);
        for value in [0i64, -1, 1, 63, -64, 64, 300, i32::MAX as i64, i32::MIN as i64] {
            let mut buf = Vec::new();
            put_varlong(value, &mut buf);
            let mut at = 0;
            assert_eq!(varint(&buf, &mut at), Some(value as i32), "{value}");
            assert_eq!(at, buf.len());
        }
        for value in [0i64, -1, i64::MAX, i64::MIN, 1 << 40] {
            let mut buf = Vec::new();
            put_varlong(value, &mut buf);
            let mut at = 0;
            assert_eq!(varlong(&buf, &mut at), Some(value), "{value}");
            assert_eq!(at, buf.len());
        }
        // Unterminated, too long, and bits past the type's width.
        assert_eq!(varint(&[0x80, 0x80], &mut 0), None);
        assert_eq!(varint(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x00], &mut 0), None);
        assert_eq!(varint(&[0x80, 0x80, 0x80, 0x80, 0x10], &mut 0), None);
        assert_eq!(
            varlong(
                &[0xff; 9].iter().copied().chain([0x02]).collect::<Vec<_>>(),
                &mut 0
            ),
            None
        );
    }

    /// Writes the fuzz target's seed corpus (valid batches of every codec, a few KB in all) to
    /// the directory named by `SPATE_FUZZ_SEED_DIR`:
    /// `SPATE_FUZZ_SEED_DIR=$PWD/fuzz/corpus/validate_records cargo test -p spate-log --lib
    /// write_fuzz_seeds -- --ignored`.
    #[test]
    #[ignore = "writes files; run by hand to regenerate the fuzz seeds"]
    fn write_fuzz_seeds() {
        let dir =
            std::path::PathBuf::from(std::env::var("SPATE_FUZZ_SEED_DIR").expect("SPATE_FUZZ_SEED_DIR"));
        std::fs::create_dir_all(&dir).unwrap();
        let names = ["none", "gzip", "snappy", "lz4", "zstd"];
        for (codec, name) in names.iter().enumerate() {
            let batch = encode_batch(codec as u8, &sample(6));
            check(&batch).unwrap();
            std::fs::write(dir.join(format!("batch-{name}")), batch).unwrap();
        }
        let one = encode_batch(0, &sample(1));
        let mut two = one.clone();
        two.extend_from_slice(&encode_batch(0, &sample(3)));
        assert!(validate_request(&two).is_ok());
        std::fs::write(dir.join("batch-single-record"), one).unwrap();
        std::fs::write(dir.join("two-batches"), two).unwrap();
    }

    fn arb_record() -> impl Strategy<Value = TestRecord> {
        let bytes = || proptest::option::of(proptest::collection::vec(any::<u8>(), 0..40));
        (
            any::<i64>(),
            bytes(),
            bytes(),
            proptest::collection::vec((proptest::collection::vec(any::<u8>(), 0..8), bytes()), 0..3),
        )
            .prop_map(|(timestamp_delta, key, value, headers)| TestRecord {
                timestamp_delta,
                key,
                value,
                headers,
            })
    }

    proptest! {
        #[test]
        fn generated_batches_validate_and_round_trip(
            records in proptest::collection::vec(arb_record(), 1..12),
            codec in 0u8..=4,
        ) {
            let batch = encode_batch(codec, &records);
            prop_assert!(check(&batch).is_ok());
            let section = encode_records(&records);
            let mut n = 0;
            walk(&section, records.len(), |i, view| {
                assert_eq!(view.key, records[i].key.as_deref());
                assert_eq!(view.value, records[i].value.as_deref());
                assert_eq!(view.timestamp_delta, records[i].timestamp_delta);
                n += 1;
                Ok(())
            }).unwrap();
            prop_assert_eq!(n, records.len());
        }

        /// Any single-byte change in the record section (CRC fixed up, so only the record checks
        /// can catch it) either still validates — and then walks to exactly `count` records with
        /// offset deltas 0..n-1 — or is refused; it never panics.
        #[test]
        fn single_byte_mutations_are_consistent_or_refused(
            records in proptest::collection::vec(arb_record(), 1..8),
            at in any::<proptest::sample::Index>(),
            byte in any::<u8>(),
        ) {
            let mut batch = encode_batch(0, &records);
            let at = HEADER_LEN + at.index(batch.len() - HEADER_LEN);
            batch[at] = byte;
            fix_crc(&mut batch);
            if check(&batch).is_ok() {
                let mut n = 0;
                walk(&batch[HEADER_LEN..], records.len(), |i, view| {
                    assert_eq!(view.offset_delta as usize, i);
                    n += 1;
                    Ok(())
                }).unwrap();
                prop_assert_eq!(n, records.len());
            }
        }

        #[test]
        fn arbitrary_sections_never_panic(
            section in proptest::collection::vec(any::<u8>(), 0..200),
            count in 0i32..20,
            codec in 0u8..=4,
        ) {
            let _ = check(&batch_with(codec, count, count - 1, &section));
        }
    }
}
