//! Transaction markers: the control batches that end a transaction on a partition.
//!
//! A marker is a v2 batch with attributes `control (0x20) | transactional (0x10)`, the
//! producer's id and epoch, base sequence -1 and exactly one record, laid out as Kafka's
//! `EndTransactionMarker`:
//!
//! ```text
//! record key:   version i16 = 0 | type i16 (0 = abort, 1 = commit)
//! record value: version i16 = 0 | coordinatorEpoch i32
//! ```
//!
//! Markers are never compressed, so the record can be read straight after the batch header.

use crate::batch::{CRC_START, HEADER_LEN};
use crate::{Error, Result};

/// Attributes of a marker batch: control and transactional.
pub(crate) const MARKER_ATTRIBUTES: i16 = 0x20 | 0x10;
const ABORT: i16 = 0;
const COMMIT: i16 = 1;

/// How a transaction ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkerType {
    Abort,
    Commit,
}

fn push_varint(value: i64, out: &mut Vec<u8>) {
    let mut v = ((value << 1) ^ (value >> 63)) as u64;
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn read_varint(buf: &[u8]) -> Option<(i64, usize)> {
    let mut raw: u64 = 0;
    for (i, &b) in buf.iter().take(10).enumerate() {
        raw |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((((raw >> 1) as i64) ^ -((raw & 1) as i64), i + 1));
        }
    }
    None
}

/// Encodes a marker batch (base offset 0; the log assigns the real one).
pub(crate) fn encode_marker(
    producer_id: i64,
    producer_epoch: i16,
    marker: MarkerType,
    coordinator_epoch: i32,
    timestamp: i64,
) -> Vec<u8> {
    let kind = match marker {
        MarkerType::Abort => ABORT,
        MarkerType::Commit => COMMIT,
    };
    let mut body = vec![0u8]; // record attributes
    push_varint(0, &mut body); // timestamp delta
    push_varint(0, &mut body); // offset delta
    push_varint(4, &mut body);
    body.extend_from_slice(&0i16.to_be_bytes());
    body.extend_from_slice(&kind.to_be_bytes());
    push_varint(6, &mut body);
    body.extend_from_slice(&0i16.to_be_bytes());
    body.extend_from_slice(&coordinator_epoch.to_be_bytes());
    push_varint(0, &mut body); // no headers
    let mut record = Vec::with_capacity(body.len() + 2);
    push_varint(body.len() as i64, &mut record);
    record.extend_from_slice(&body);

    let mut out = Vec::with_capacity(HEADER_LEN + record.len());
    out.extend_from_slice(&0i64.to_be_bytes());
    out.extend_from_slice(&((HEADER_LEN - 12 + record.len()) as i32).to_be_bytes());
    out.extend_from_slice(&0i32.to_be_bytes()); // partition leader epoch
    out.push(2);
    out.extend_from_slice(&[0; 4]); // crc, set below
    out.extend_from_slice(&MARKER_ATTRIBUTES.to_be_bytes());
    out.extend_from_slice(&0i32.to_be_bytes()); // last offset delta
    out.extend_from_slice(&timestamp.to_be_bytes());
    out.extend_from_slice(&timestamp.to_be_bytes());
    out.extend_from_slice(&producer_id.to_be_bytes());
    out.extend_from_slice(&producer_epoch.to_be_bytes());
    out.extend_from_slice(&(-1i32).to_be_bytes()); // base sequence
    out.extend_from_slice(&1i32.to_be_bytes()); // record count
    out.extend_from_slice(&record);
    let crc = crc32c::crc32c(&out[CRC_START..]);
    out[17..21].copy_from_slice(&crc.to_be_bytes());
    out
}

/// The marker type and coordinator epoch of a whole control batch (header included).
pub(crate) fn parse_marker(batch: &[u8]) -> Result<(MarkerType, i32)> {
    let corrupt = |why: &str| Error::CorruptBatch(format!("transaction marker: {why}"));
    let records = batch
        .get(HEADER_LEN..)
        .ok_or_else(|| corrupt("shorter than a header"))?;
    let (len, n) = read_varint(records).ok_or_else(|| corrupt("record length"))?;
    let len = usize::try_from(len).map_err(|_| corrupt("negative record length"))?;
    let body = records
        .get(n..n.saturating_add(len))
        .ok_or_else(|| corrupt("record past the end of the batch"))?;
    let mut at = 1; // record attributes
    for what in ["timestamp delta", "offset delta"] {
        let (_, used) = read_varint(body.get(at..).unwrap_or_default()).ok_or_else(|| corrupt(what))?;
        at += used;
    }
    let (key_len, used) =
        read_varint(body.get(at..).unwrap_or_default()).ok_or_else(|| corrupt("key length"))?;
    at += used;
    if key_len < 4 {
        return Err(corrupt("key shorter than version and type"));
    }
    let key = body.get(at..at + 4).ok_or_else(|| corrupt("key past the end"))?;
    let kind = i16::from_be_bytes([key[2], key[3]]);
    at += usize::try_from(key_len).map_err(|_| corrupt("key length"))?;
    let marker = match kind {
        ABORT => MarkerType::Abort,
        COMMIT => MarkerType::Commit,
        other => return Err(corrupt(&format!("control record type {other} is not a marker"))),
    };
    let (value_len, used) =
        read_varint(body.get(at..).unwrap_or_default()).ok_or_else(|| corrupt("value length"))?;
    at += used;
    let coordinator_epoch = if value_len >= 6 {
        let v = body
            .get(at..at + 6)
            .ok_or_else(|| corrupt("value past the end"))?;
        i32::from_be_bytes([v[2], v[3], v[4], v[5]])
    } else {
        -1
    };
    Ok((marker, coordinator_epoch))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::validate_batches;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn marker_round_trip(pid in 0i64..i64::MAX, epoch in 0i16..i16::MAX, commit: bool,
                             coordinator_epoch in -1i32..i32::MAX, ts in 0i64..i64::MAX / 2) {
            let marker = if commit { MarkerType::Commit } else { MarkerType::Abort };
            let bytes = encode_marker(pid, epoch, marker, coordinator_epoch, ts);
            let headers = validate_batches(&bytes).unwrap();
            prop_assert_eq!(headers.len(), 1);
            let h = headers[0];
            prop_assert!(h.is_control() && h.is_transactional());
            prop_assert_eq!((h.producer_id, h.producer_epoch, h.record_count, h.last_offset_delta), (pid, epoch, 1, 0));
            prop_assert_eq!(parse_marker(&bytes).unwrap(), (marker, coordinator_epoch));
        }

        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..120)) {
            let _ = parse_marker(&bytes);
        }
    }

    #[test]
    fn byte_exact_kafka_layout() {
        let bytes = encode_marker(7, 3, MarkerType::Commit, 5, 1000);
        // key: version 0, type 1; value: version 0, coordinator epoch 5
        let record = &bytes[HEADER_LEN..];
        assert_eq!(record, &[32, 0, 0, 0, 8, 0, 0, 0, 1, 12, 0, 0, 0, 0, 0, 5, 0]);
    }
}
