//! Rows kept in keyed state packed into one byte buffer per key.
//!
//! A regular join keeps every row of both inputs for ever (Nexmark q7 keeps every bid). As
//! `Vec<Value>`s, each such row was several heap blocks (the row, each string) of mostly
//! padding: a 32-byte `Value` holds an 8-byte integer. Packed, a row is its encoded bytes
//! appended to its key's buffer: a fifth of the memory and no allocation per row, and the
//! buffered rows are decoded only when a partner arrives under their key.
//!
//! Layout of one row: its event time (8 bytes, little-endian), the length of its values'
//! encoding (4 bytes, little-endian), then the values: one tag byte each, then integers as
//! zigzag LEB128, floats as their 8 bits, decimals as 16 bytes, strings and byte strings as a
//! LEB128 length and the bytes, nested values as a LEB128 count and the items.

use serde::{Deserialize, Serialize};
use spate_engine::Timestamp;
use spate_engine::state::Blob;

use crate::value::Value;

/// Why packed bytes could not be read back (only a corrupted checkpoint gets here).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum UnpackError {
    /// The bytes end inside a row.
    #[error("packed row truncated")]
    Truncated,
    /// A value tag no version wrote.
    #[error("unknown packed value tag {0}")]
    UnknownTag(u8),
    /// A string's bytes are not UTF-8.
    #[error("packed string is not UTF-8")]
    InvalidUtf8,
}

/// Tags of the value kinds; part of the checkpoint format, so never renumbered.
mod tag {
    pub(super) const NULL: u8 = 0;
    pub(super) const FALSE: u8 = 1;
    pub(super) const TRUE: u8 = 2;
    pub(super) const INT: u8 = 3;
    pub(super) const FLOAT: u8 = 4;
    pub(super) const DECIMAL: u8 = 5;
    pub(super) const STRING: u8 = 6;
    pub(super) const BYTES: u8 = 7;
    pub(super) const DATE: u8 = 8;
    pub(super) const TIME: u8 = 9;
    pub(super) const TIMESTAMP: u8 = 10;
    pub(super) const INTERVAL_MILLIS: u8 = 11;
    pub(super) const INTERVAL_MONTHS: u8 = 12;
    pub(super) const ARRAY: u8 = 13;
    pub(super) const MAP: u8 = 14;
    pub(super) const ROW: u8 = 15;
}

/// The rows of one key, each with its event time, in the order they were pushed. Checkpointed
/// as one byte block ([`Blob`]: bincode copies it at once; a `Vec<u8>` would go byte by byte).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct PackedRows {
    bytes: Blob,
}

impl PackedRows {
    /// Appends a row and its event time.
    pub(crate) fn push(&mut self, ts: Timestamp, row: &[Value]) {
        let out = &mut self.bytes.0;
        // Most keys of a join hold one or two rows: the first gets exactly its size (growing
        // from nothing took four reallocations and left a third unused), later ones the
        // vector's doubling.
        let mut size = Counted(12);
        for v in row {
            write_value(v, &mut size, f64::to_bits);
        }
        if out.is_empty() {
            out.reserve_exact(size.0);
        } else {
            out.reserve(size.0);
        }
        out.extend_from_slice(&ts.to_le_bytes());
        let len_at = out.len();
        out.extend_from_slice(&[0; 4]);
        for v in row {
            write_value(v, out, f64::to_bits);
        }
        // A row's encoding is bounded by its memory, and rows are far below 4 GiB.
        let len = u32::try_from(out.len() - len_at - 4).unwrap_or(u32::MAX);
        out[len_at..len_at + 4].copy_from_slice(&len.to_le_bytes());
    }

    /// The rows, oldest first.
    pub(crate) fn iter(&self) -> PackedIter<'_> {
        PackedIter { rest: &self.bytes.0 }
    }
}

/// Iterates the rows of a [`PackedRows`] without decoding them.
pub(crate) struct PackedIter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for PackedIter<'a> {
    type Item = Result<PackedRow<'a>, UnpackError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let row = (|| {
            let ts = i64::from_le_bytes(take_array(&mut self.rest)?);
            let len = u32::from_le_bytes(take_array(&mut self.rest)?) as usize;
            let values = take(&mut self.rest, len)?;
            Ok(PackedRow { ts, values })
        })();
        if row.is_err() {
            self.rest = &[]; // Nothing after a broken row can be found.
        }
        Some(row)
    }
}

/// One packed row: its event time and its still encoded values.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PackedRow<'a> {
    pub(crate) ts: Timestamp,
    values: &'a [u8],
}

impl PackedRow<'_> {
    /// Appends the row's values to `out`.
    pub(crate) fn decode_into(&self, out: &mut Vec<Value>) -> Result<(), UnpackError> {
        decode_values(self.values, out)
    }
}

/// Appends the values encoded one after another in `bytes` (by [`write_value`]) to `out`.
pub(super) fn decode_values(mut bytes: &[u8], out: &mut Vec<Value>) -> Result<(), UnpackError> {
    while !bytes.is_empty() {
        out.push(read_value(&mut bytes)?);
    }
    Ok(())
}

/// The encoding of the next value of `rest`, which moves past it, without decoding it.
pub(super) fn next_value<'a>(rest: &mut &'a [u8]) -> Result<&'a [u8], UnpackError> {
    let all = *rest;
    skip_value(rest)?;
    Ok(&all[..all.len() - rest.len()])
}

fn skip_value(rest: &mut &[u8]) -> Result<(), UnpackError> {
    let [t] = take_array(rest)?;
    match t {
        tag::NULL | tag::FALSE | tag::TRUE => {}
        tag::INT | tag::DATE | tag::TIME | tag::TIMESTAMP | tag::INTERVAL_MILLIS | tag::INTERVAL_MONTHS => {
            read_uint(rest)?;
        }
        tag::FLOAT => {
            take(rest, 8)?;
        }
        tag::DECIMAL => {
            take(rest, 16)?;
        }
        tag::STRING | tag::BYTES => {
            let n = read_len(rest)?;
            take(rest, n)?;
        }
        tag::ARRAY | tag::ROW => {
            for _ in 0..read_len(rest)? {
                skip_value(rest)?;
            }
        }
        tag::MAP => {
            for _ in 0..read_len(rest)? {
                skip_value(rest)?;
                skip_value(rest)?;
            }
        }
        other => return Err(UnpackError::UnknownTag(other)),
    }
    Ok(())
}

/// Whether two values' encodings (spans from [`next_value`]) are equal as [`Value`]s are:
/// byte for byte, except that floats compare by [`crate::value::float_key`] (every NaN one
/// value, `-0.0` = `0.0`), and so do nested values that hold floats.
pub(super) fn value_encodings_equal(a: &[u8], b: &[u8]) -> Result<bool, UnpackError> {
    if a == b {
        return Ok(true);
    }
    match (a.first(), b.first()) {
        (Some(&x), Some(&y)) if x == y && matches!(x, tag::FLOAT | tag::ARRAY | tag::MAP | tag::ROW) => {
            Ok(read_value(&mut &*a)? == read_value(&mut &*b)?)
        }
        _ => Ok(false),
    }
}

/// Where values are encoded: a row buffer, or a key on the stack ([`super::join_key`]).
pub(super) trait ByteOut {
    fn push(&mut self, byte: u8);
    fn extend_from_slice(&mut self, bytes: &[u8]);
}

impl ByteOut for Vec<u8> {
    #[inline]
    fn push(&mut self, byte: u8) {
        Vec::push(self, byte);
    }
    #[inline]
    fn extend_from_slice(&mut self, bytes: &[u8]) {
        Vec::extend_from_slice(self, bytes);
    }
}

impl<A: smallvec::Array<Item = u8>> ByteOut for smallvec::SmallVec<A> {
    #[inline]
    fn push(&mut self, byte: u8) {
        smallvec::SmallVec::push(self, byte);
    }
    #[inline]
    fn extend_from_slice(&mut self, bytes: &[u8]) {
        smallvec::SmallVec::extend_from_slice(self, bytes);
    }
}

/// Counts the bytes an encoding takes.
struct Counted(usize);

impl ByteOut for Counted {
    #[inline]
    fn push(&mut self, _: u8) {
        self.0 += 1;
    }
    #[inline]
    fn extend_from_slice(&mut self, bytes: &[u8]) {
        self.0 += bytes.len();
    }
}

fn write_uint(mut n: u64, out: &mut impl ByteOut) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Zigzag first, so small negative numbers are short too.
fn write_int(n: i64, out: &mut impl ByteOut) {
    write_uint(((n << 1) ^ (n >> 63)) as u64, out);
}

fn write_len(n: usize, out: &mut impl ByteOut) {
    write_uint(n as u64, out);
}

/// Writes `v`; `float_bits` gives a float's 8 bytes (its bits for rows, [`float_key`] for
/// keys, where `-0.0` and `0.0`, and every NaN, must be one value).
pub(super) fn write_value(v: &Value, out: &mut impl ByteOut, float_bits: fn(f64) -> u64) {
    match v {
        Value::Null => out.push(tag::NULL),
        Value::Boolean(false) => out.push(tag::FALSE),
        Value::Boolean(true) => out.push(tag::TRUE),
        Value::Int(i) => {
            out.push(tag::INT);
            write_int(*i, out);
        }
        Value::Float(f) => {
            out.push(tag::FLOAT);
            out.extend_from_slice(&float_bits(*f).to_le_bytes());
        }
        Value::Decimal(d) => {
            out.push(tag::DECIMAL);
            out.extend_from_slice(&d.to_le_bytes());
        }
        Value::String(s) => {
            out.push(tag::STRING);
            write_len(s.len(), out);
            out.extend_from_slice(s.as_bytes());
        }
        Value::Bytes(b) => {
            out.push(tag::BYTES);
            write_len(b.len(), out);
            out.extend_from_slice(b);
        }
        Value::Date(d) => {
            out.push(tag::DATE);
            write_int(i64::from(*d), out);
        }
        Value::Time(t) => {
            out.push(tag::TIME);
            write_int(*t, out);
        }
        Value::Timestamp(t) => {
            out.push(tag::TIMESTAMP);
            write_int(*t, out);
        }
        Value::IntervalMillis(i) => {
            out.push(tag::INTERVAL_MILLIS);
            write_int(*i, out);
        }
        Value::IntervalMonths(i) => {
            out.push(tag::INTERVAL_MONTHS);
            write_int(i64::from(*i), out);
        }
        Value::Array(items) => {
            out.push(tag::ARRAY);
            write_len(items.len(), out);
            items.iter().for_each(|x| write_value(x, out, float_bits));
        }
        Value::Map(entries) => {
            out.push(tag::MAP);
            write_len(entries.len(), out);
            for (k, x) in entries {
                write_value(k, out, float_bits);
                write_value(x, out, float_bits);
            }
        }
        Value::Row(fields) => {
            out.push(tag::ROW);
            write_len(fields.len(), out);
            fields.iter().for_each(|x| write_value(x, out, float_bits));
        }
    }
}

/// The next `n` bytes of `rest`, which moves past them.
pub(super) fn take<'a>(rest: &mut &'a [u8], n: usize) -> Result<&'a [u8], UnpackError> {
    if rest.len() < n {
        return Err(UnpackError::Truncated);
    }
    let (head, tail) = rest.split_at(n);
    *rest = tail;
    Ok(head)
}

/// The next `N` bytes of `rest`, which moves past them.
pub(super) fn take_array<const N: usize>(rest: &mut &[u8]) -> Result<[u8; N], UnpackError> {
    let mut a = [0; N];
    a.copy_from_slice(take(rest, N)?);
    Ok(a)
}

fn read_uint(rest: &mut &[u8]) -> Result<u64, UnpackError> {
    let mut n = 0u64;
    for shift in (0..64).step_by(7) {
        let [b] = take_array(rest)?;
        n |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Ok(n);
        }
    }
    Err(UnpackError::Truncated)
}

fn read_int(rest: &mut &[u8]) -> Result<i64, UnpackError> {
    let z = read_uint(rest)?;
    Ok(((z >> 1) as i64) ^ -((z & 1) as i64))
}

/// A length or count, checked against the bytes left so a corrupted one cannot make a huge
/// allocation (every item takes at least one byte).
fn read_len(rest: &mut &[u8]) -> Result<usize, UnpackError> {
    let n = read_uint(rest)?;
    usize::try_from(n)
        .ok()
        .filter(|&n| n <= rest.len())
        .ok_or(UnpackError::Truncated)
}

fn read_values(n: usize, rest: &mut &[u8]) -> Result<Vec<Value>, UnpackError> {
    let mut items = Vec::with_capacity(n);
    for _ in 0..n {
        items.push(read_value(rest)?);
    }
    Ok(items)
}

fn read_value(rest: &mut &[u8]) -> Result<Value, UnpackError> {
    let [t] = take_array(rest)?;
    Ok(match t {
        tag::NULL => Value::Null,
        tag::FALSE => Value::Boolean(false),
        tag::TRUE => Value::Boolean(true),
        tag::INT => Value::Int(read_int(rest)?),
        tag::FLOAT => Value::Float(f64::from_bits(u64::from_le_bytes(take_array(rest)?))),
        tag::DECIMAL => Value::Decimal(i128::from_le_bytes(take_array(rest)?)),
        tag::STRING => {
            let n = read_len(rest)?;
            let s = std::str::from_utf8(take(rest, n)?).map_err(|_| UnpackError::InvalidUtf8)?;
            Value::String(s.to_owned())
        }
        tag::BYTES => {
            let n = read_len(rest)?;
            Value::Bytes(take(rest, n)?.to_vec())
        }
        // Dates and year-month intervals were written from i32s; anything wider is corruption.
        tag::DATE => Value::Date(i32::try_from(read_int(rest)?).map_err(|_| UnpackError::Truncated)?),
        tag::TIME => Value::Time(read_int(rest)?),
        tag::TIMESTAMP => Value::Timestamp(read_int(rest)?),
        tag::INTERVAL_MILLIS => Value::IntervalMillis(read_int(rest)?),
        tag::INTERVAL_MONTHS => {
            Value::IntervalMonths(i32::try_from(read_int(rest)?).map_err(|_| UnpackError::Truncated)?)
        }
        tag::ARRAY => {
            let n = read_len(rest)?;
            Value::Array(read_values(n, rest)?)
        }
        tag::MAP => {
            let n = read_len(rest)?;
            let mut entries = Vec::with_capacity(n);
            for _ in 0..n {
                let k = read_value(rest)?;
                entries.push((k, read_value(rest)?));
            }
            Value::Map(entries)
        }
        tag::ROW => {
            let n = read_len(rest)?;
            Value::Row(read_values(n, rest)?)
        }
        other => return Err(UnpackError::UnknownTag(other)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_kind() -> Vec<Value> {
        vec![
            Value::Null,
            Value::Boolean(true),
            Value::Boolean(false),
            Value::Int(i64::MIN),
            Value::Int(-1),
            Value::Int(0),
            Value::Int(i64::MAX),
            Value::Float(-0.5),
            Value::Float(f64::NAN),
            Value::Decimal(-170_141_183_460_469_231_731_687_303_715_884_105_728),
            Value::String(String::new()),
            Value::String("héllo".into()),
            Value::Bytes(vec![0, 255, 7]),
            Value::Date(i32::MIN),
            Value::Time(86_399_999_999_999),
            Value::Timestamp(-1_000_000),
            Value::IntervalMillis(i64::MAX),
            Value::IntervalMonths(-13),
            Value::Array(vec![Value::Int(1), Value::Null]),
            Value::Map(vec![(
                Value::String("k".into()),
                Value::Row(vec![Value::Boolean(true)]),
            )]),
            Value::Row(vec![]),
        ]
    }

    fn unpack(p: &PackedRows) -> Vec<(Timestamp, Vec<Value>)> {
        p.iter()
            .map(|r| {
                let r = r.unwrap();
                let mut row = Vec::new();
                r.decode_into(&mut row).unwrap();
                (r.ts, row)
            })
            .collect()
    }

    #[test]
    fn rows_of_every_value_kind_come_back_equal_and_in_order() {
        let mut p = PackedRows::default();
        p.push(i64::MIN, &every_kind());
        p.push(5, &[]);
        p.push(-7, &[Value::String("x".repeat(300))]);
        assert_eq!(
            unpack(&p),
            vec![
                (i64::MIN, every_kind()),
                (5, vec![]),
                (-7, vec![Value::String("x".repeat(300))])
            ]
        );
    }

    #[test]
    fn a_first_row_takes_exactly_its_bytes() {
        for row in [
            every_kind(),
            vec![],
            vec![Value::String("x".repeat(300)), Value::Int(-1)],
        ] {
            let mut p = PackedRows::default();
            p.push(3, &row);
            assert_eq!(p.bytes.0.capacity(), p.bytes.0.len(), "{row:?}");
            p.push(4, &row);
            assert_eq!(unpack(&p), vec![(3, row.clone()), (4, row)]);
        }
    }

    #[test]
    fn packed_rows_survive_a_checkpoint_round_trip() {
        let mut p = PackedRows::default();
        p.push(1, &every_kind());
        let bytes = bincode::serialize(&p).unwrap();
        let back: PackedRows = bincode::deserialize(&bytes).unwrap();
        assert_eq!(back, p);
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<PackedRows>(&json).unwrap(), p);
    }

    #[test]
    fn corrupted_bytes_are_an_error_not_a_panic() {
        let mut p = PackedRows::default();
        p.push(1, &every_kind());
        // Cut anywhere inside the row, the length prefix no longer fits: an error, not a
        // shorter row.
        for cut in 1..p.bytes.0.len() {
            let broken = PackedRows {
                bytes: Blob(p.bytes.0[..cut].to_vec()),
            };
            assert_eq!(broken.iter().count(), 1);
            assert!(broken.iter().all(|r| r.is_err()), "cut at {cut}");
        }
        let mut bad = p.clone();
        bad.bytes.0[12] = 200;
        let row = bad.iter().next().unwrap().unwrap();
        assert_eq!(
            row.decode_into(&mut Vec::new()),
            Err(UnpackError::UnknownTag(200))
        );
    }

    fn value() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Boolean),
            any::<i64>().prop_map(Value::Int),
            any::<f64>().prop_map(Value::Float),
            any::<i128>().prop_map(Value::Decimal),
            ".{0,20}".prop_map(Value::String),
            proptest::collection::vec(any::<u8>(), 0..20).prop_map(Value::Bytes),
            any::<i32>().prop_map(Value::Date),
            any::<i64>().prop_map(Value::Time),
            any::<i64>().prop_map(Value::Timestamp),
            any::<i64>().prop_map(Value::IntervalMillis),
            any::<i32>().prop_map(Value::IntervalMonths),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::vec((inner.clone(), inner.clone()), 0..3).prop_map(Value::Map),
                proptest::collection::vec(inner, 0..4).prop_map(Value::Row),
            ]
        })
    }

    proptest::proptest! {
        /// Any rows, packed one after another, come back equal and in order (equality is SQL
        /// grouping's: every NaN is one value).
        #[test]
        fn any_rows_round_trip(rows in proptest::collection::vec(
            (proptest::prelude::any::<i64>(), proptest::collection::vec(value(), 0..6)), 0..8)) {
            let mut p = PackedRows::default();
            for (ts, row) in &rows {
                p.push(*ts, row);
            }
            proptest::prop_assert_eq!(unpack(&p), rows);
        }

        /// Values compare on their encodings exactly as they compare as values, and skipping
        /// values walks the same spans that decoding does.
        #[test]
        fn encodings_compare_as_values_do(a in value(), b in value(), same in proptest::prelude::any::<bool>()) {
            let b = if same { a.clone() } else { b };
            let (mut ea, mut eb) = (Vec::new(), Vec::new());
            write_value(&a, &mut ea, f64::to_bits);
            write_value(&b, &mut eb, f64::to_bits);
            proptest::prop_assert_eq!(value_encodings_equal(&ea, &eb), Ok(a == b));
            let mut both = ea.clone();
            both.extend_from_slice(&eb);
            let mut rest = both.as_slice();
            proptest::prop_assert_eq!(next_value(&mut rest), Ok(ea.as_slice()));
            proptest::prop_assert_eq!(next_value(&mut rest), Ok(eb.as_slice()));
            proptest::prop_assert!(rest.is_empty());
        }

        /// Arbitrary bytes (a corrupted checkpoint) give rows or errors, never a panic.
        #[test]
        fn decoding_any_bytes_never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            let p = PackedRows { bytes: Blob(bytes.clone()) };
            for row in p.iter().flatten() {
                let _ = row.decode_into(&mut Vec::new());
            }
            let mut rest = bytes.as_slice();
            while let Ok(span) = next_value(&mut rest) {
                let _ = value_encodings_equal(span, span);
                if rest.is_empty() {
                    break;
                }
            }
        }
    }
}
