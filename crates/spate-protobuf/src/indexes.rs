//! Confluent's message indexes: which message of a schema file a record was written with.
//!
//! After the 5-byte header (magic 0, schema id) Confluent's Protobuf framing puts the path from
//! the file to the message: a count, then that many indexes (the message's position among the
//! file's top-level messages, then among each level's nested messages), all as zig-zag varints.
//! The common case — the file's first message, path `[0]` — is written as the single byte 0
//! (a count of zero), so the bytes `0x00` and `0x02 0x00` both mean `[0]`.

use crate::error::{ProtoError, Result};

/// At most this many indexes: nesting deeper than this is not a schema anyone writes, and the
/// bound keeps a corrupt count from allocating.
const MAX_DEPTH: usize = 100;

/// Appends `indexes` in Confluent's framing.
pub fn write(indexes: &[i32], out: &mut Vec<u8>) {
    if indexes == [0] {
        out.push(0);
        return;
    }
    write_zigzag(indexes.len() as i64, out);
    for &i in indexes {
        write_zigzag(i64::from(i), out);
    }
}

/// Reads message indexes from the front of `bytes`: the path and the bytes it took.
pub fn read(bytes: &[u8]) -> Result<(Vec<i32>, usize)> {
    let mut at = 0;
    let count = read_zigzag(bytes, &mut at)?;
    if count == 0 {
        return Ok((vec![0], at));
    }
    let count = usize::try_from(count)
        .ok()
        .filter(|c| *c <= MAX_DEPTH)
        .ok_or_else(|| ProtoError::Indexes(format!("count {count} is not between 0 and {MAX_DEPTH}")))?;
    let mut indexes = Vec::with_capacity(count);
    for _ in 0..count {
        let i = read_zigzag(bytes, &mut at)?;
        let i = i32::try_from(i)
            .ok()
            .filter(|i| *i >= 0)
            .ok_or_else(|| ProtoError::Indexes(format!("index {i} is negative or too large")))?;
        indexes.push(i);
    }
    Ok((indexes, at))
}

fn write_zigzag(v: i64, out: &mut Vec<u8>) {
    let mut u = ((v << 1) ^ (v >> 63)) as u64;
    while u >= 0x80 {
        out.push((u as u8) | 0x80);
        u >>= 7;
    }
    out.push(u as u8);
}

fn read_zigzag(bytes: &[u8], at: &mut usize) -> Result<i64> {
    let mut u: u64 = 0;
    for shift in (0..64).step_by(7) {
        let b = *bytes
            .get(*at)
            .ok_or_else(|| ProtoError::Indexes(format!("the record ends inside them, at byte {}", *at)))?;
        *at += 1;
        u |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Ok(((u >> 1) as i64) ^ -((u & 1) as i64));
        }
    }
    Err(ProtoError::Indexes(format!(
        "a varint longer than 10 bytes ends at byte {}",
        *at
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn first_message_is_one_zero_byte_and_both_spellings_read_back() {
        let mut out = Vec::new();
        write(&[0], &mut out);
        assert_eq!(out, [0]);
        assert_eq!(read(&[0, 9]).unwrap(), (vec![0], 1));
        // The long spelling of [0]: count 1 (zig-zag 2), index 0.
        assert_eq!(read(&[2, 0]).unwrap(), (vec![0], 2));
    }

    #[test]
    fn nested_path_is_count_then_zigzag_indexes() {
        let mut out = Vec::new();
        write(&[1, 0, 2], &mut out);
        assert_eq!(out, [6, 2, 0, 4]);
    }

    #[test]
    fn corrupt_indexes_are_errors_not_panics() {
        assert!(read(&[]).is_err());
        assert!(read(&[4, 2]).is_err(), "count 2 but one index");
        assert!(read(&[1]).is_err(), "negative count");
        assert!(read(&[2, 1]).is_err(), "negative index");
        assert!(read(&[0xfe, 0x7f]).is_err(), "count above the bound");
        assert!(read(&[0xff; 11]).is_err(), "endless varint");
    }

    proptest! {
        #[test]
        fn round_trips(path in proptest::collection::vec(0i32..i32::MAX, 1..20), tail in any::<Vec<u8>>()) {
            let mut out = Vec::new();
            write(&path, &mut out);
            let len = out.len();
            out.extend_from_slice(&tail);
            prop_assert_eq!(read(&out).unwrap(), (path, len));
        }

        #[test]
        fn any_bytes_read_without_panic(bytes in any::<Vec<u8>>()) {
            let _ = read(&bytes);
        }
    }
}
