//! Avro's binary encoding of a [`Datum`] under one schema: zig-zag varints, length-prefixed
//! bytes and strings, blocked arrays and maps, a union's branch index before its value.
//!
//! Decoding trusts nothing: every length is checked against the bytes left before anything
//! is allocated, a varint longer than its type is an error, and recursion is bounded.

use crate::datum::Datum;
use crate::error::{AvroError, Result};
use crate::schema::{Node, Primitive, Schema, TypeId};

/// Deepest nesting decoded or encoded (recursive schemas meet untrusted data here).
const MAX_DEPTH: usize = 512;

/// Appends `v` zig-zag encoded as a varint.
pub fn write_long(v: i64, out: &mut Vec<u8>) {
    let mut z = ((v << 1) ^ (v >> 63)) as u64;
    while z >= 0x80 {
        out.push((z as u8) | 0x80);
        z >>= 7;
    }
    out.push(z as u8);
}

/// Appends a length-prefixed byte string.
pub fn write_bytes(b: &[u8], out: &mut Vec<u8>) {
    write_long(b.len() as i64, out);
    out.extend_from_slice(b);
}

/// A cursor over an encoded datum.
#[derive(Debug)]
pub struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, at: 0 }
    }

    /// Bytes consumed.
    pub fn position(&self) -> usize {
        self.at
    }

    /// Bytes left.
    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.at
    }

    pub(crate) fn fail<T>(&self, message: impl Into<String>) -> Result<T> {
        Err(AvroError::Decode {
            at: self.at,
            message: message.into(),
        })
    }

    /// A zig-zag varint of at most ten bytes.
    #[inline]
    pub fn long(&mut self) -> Result<i64> {
        let mut z: u64 = 0;
        let mut shift = 0;
        loop {
            let Some(&b) = self.bytes.get(self.at) else {
                return self.fail("unexpected end of data in a varint");
            };
            self.at += 1;
            if shift == 63 && b > 1 {
                return self.fail("varint longer than 64 bits");
            }
            z |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok((z >> 1) as i64 ^ -((z & 1) as i64));
            }
            shift += 7;
        }
    }

    /// An `int`: a varint that fits 32 bits.
    pub fn int(&mut self) -> Result<i32> {
        let v = self.long()?;
        i32::try_from(v).or_else(|_| self.fail(format!("int out of range: {v}")))
    }

    /// `n` raw bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.remaining() {
            return self.fail(format!("{n} bytes expected, {} left", self.remaining()));
        }
        let s = &self.bytes[self.at..self.at + n];
        self.at += n;
        Ok(s)
    }

    /// A length-prefixed byte string.
    pub fn bytes(&mut self) -> Result<&'a [u8]> {
        let n = self.long()?;
        if n < 0 {
            return self.fail(format!("negative length {n}"));
        }
        self.take(n as usize)
    }

    /// A length-prefixed UTF-8 string.
    pub fn string(&mut self) -> Result<&'a str> {
        let start = self.at;
        let b = self.bytes()?;
        std::str::from_utf8(b).map_err(|_| AvroError::Decode {
            at: start,
            message: "string is not UTF-8".into(),
        })
    }

    /// A boolean byte (0 or 1).
    pub fn boolean(&mut self) -> Result<bool> {
        match self.take(1)?[0] {
            0 => Ok(false),
            1 => Ok(true),
            b => self.fail(format!("boolean byte {b}")),
        }
    }

    /// A little-endian float.
    pub fn float(&mut self) -> Result<f32> {
        let b = self.take(4)?;
        Ok(f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A little-endian double.
    pub fn double(&mut self) -> Result<f64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(f64::from_le_bytes(a))
    }

    /// The item count of the next block of an array or map (0 at the end); a negative count
    /// is followed by the block's byte size, which is read and ignored. Each item takes at
    /// least `min_item` bytes, so a count that the bytes left cannot hold is refused before
    /// anything is allocated for it.
    pub fn block(&mut self, min_item: usize) -> Result<usize> {
        let n = self.long()?;
        let n = if n < 0 {
            self.long()?;
            n.checked_neg().unwrap_or(i64::MAX)
        } else {
            n
        };
        let n = n as u64;
        if min_item > 0 && n > (self.remaining() / min_item) as u64 {
            return self.fail(format!("block of {n} items in {} bytes", self.remaining()));
        }
        // With zero-size items (null, empty records) the count alone is bounded.
        if n > (1 << 24) {
            return self.fail(format!("block of {n} items"));
        }
        Ok(n as usize)
    }
}

/// The fewest bytes one value of `ty` takes (0 for `null` and records without fields).
pub(crate) fn min_size(schema: &Schema, ty: TypeId) -> usize {
    match schema.node(ty) {
        Node::Primitive { kind, .. } => match kind {
            Primitive::Null => 0,
            Primitive::Float => 4,
            Primitive::Double => 8,
            _ => 1,
        },
        Node::Fixed(f) => f.size,
        Node::Record(_) => 0,
        _ => 1,
    }
}

impl Schema {
    /// Encodes `datum` (which must follow this schema) and appends it to `out`.
    pub fn encode(&self, datum: &Datum, out: &mut Vec<u8>) -> Result<()> {
        self.encode_at(self.root, datum, out, 0)
    }

    /// Decodes one datum from the start of `bytes`; returns it and the bytes it took.
    pub fn decode(&self, bytes: &[u8]) -> Result<(Datum, usize)> {
        let mut r = Reader::new(bytes);
        let d = self.decode_at(self.root, &mut r, 0)?;
        Ok((d, r.position()))
    }

    fn encode_at(&self, ty: TypeId, datum: &Datum, out: &mut Vec<u8>, depth: usize) -> Result<()> {
        if depth > MAX_DEPTH {
            return Err(AvroError::Encode(format!("datum nested deeper than {MAX_DEPTH}")));
        }
        let mismatch = || {
            Err(AvroError::Encode(format!(
                "{} is not a {}",
                datum.kind_name(),
                self.kind_name(ty)
            )))
        };
        match (self.node(ty), datum) {
            (Node::Primitive { kind, .. }, d) => match (kind, d) {
                (Primitive::Null, Datum::Null) => {}
                (Primitive::Boolean, Datum::Boolean(b)) => out.push(u8::from(*b)),
                (Primitive::Int, Datum::Int(v)) => write_long(i64::from(*v), out),
                (Primitive::Long, Datum::Long(v)) => write_long(*v, out),
                (Primitive::Float, Datum::Float(v)) => out.extend_from_slice(&v.to_le_bytes()),
                (Primitive::Double, Datum::Double(v)) => out.extend_from_slice(&v.to_le_bytes()),
                (Primitive::Bytes, Datum::Bytes(b)) => write_bytes(b, out),
                (Primitive::String, Datum::String(s)) => write_bytes(s.as_bytes(), out),
                _ => return mismatch(),
            },
            (Node::Record(r), Datum::Record(values)) if values.len() == r.fields.len() => {
                for (f, v) in r.fields.iter().zip(values) {
                    self.encode_at(f.ty, v, out, depth + 1)?;
                }
            }
            (Node::Enum(e), Datum::Enum(i)) if (*i as usize) < e.symbols.len() => {
                write_long(i64::from(*i), out)
            }
            (Node::Fixed(f), Datum::Fixed(b)) if b.len() == f.size => out.extend_from_slice(b),
            (Node::Array { items, .. }, Datum::Array(elements)) => {
                if !elements.is_empty() {
                    write_long(elements.len() as i64, out);
                    for e in elements {
                        self.encode_at(*items, e, out, depth + 1)?;
                    }
                }
                out.push(0);
            }
            (Node::Map { values, .. }, Datum::Map(entries)) => {
                if !entries.is_empty() {
                    write_long(entries.len() as i64, out);
                    for (k, v) in entries {
                        write_bytes(k.as_bytes(), out);
                        self.encode_at(*values, v, out, depth + 1)?;
                    }
                }
                out.push(0);
            }
            (Node::Union(branches), Datum::Union(i, inner)) if (*i as usize) < branches.len() => {
                write_long(i64::from(*i), out);
                self.encode_at(branches[*i as usize], inner, out, depth + 1)?;
            }
            _ => return mismatch(),
        }
        Ok(())
    }

    pub(crate) fn decode_at(&self, ty: TypeId, r: &mut Reader<'_>, depth: usize) -> Result<Datum> {
        if depth > MAX_DEPTH {
            return r.fail(format!("datum nested deeper than {MAX_DEPTH}"));
        }
        Ok(match self.node(ty) {
            Node::Primitive { kind, .. } => match kind {
                Primitive::Null => Datum::Null,
                Primitive::Boolean => Datum::Boolean(r.boolean()?),
                Primitive::Int => Datum::Int(r.int()?),
                Primitive::Long => Datum::Long(r.long()?),
                Primitive::Float => Datum::Float(r.float()?),
                Primitive::Double => Datum::Double(r.double()?),
                Primitive::Bytes => Datum::Bytes(r.bytes()?.to_vec()),
                Primitive::String => Datum::String(r.string()?.to_string()),
            },
            Node::Record(rec) => {
                let mut values = Vec::with_capacity(rec.fields.len());
                for f in &rec.fields {
                    values.push(self.decode_at(f.ty, r, depth + 1)?);
                }
                Datum::Record(values)
            }
            Node::Enum(e) => {
                let i = r.long()?;
                if i < 0 || i as usize >= e.symbols.len() {
                    return r.fail(format!("enum index {i} of {} symbols", e.symbols.len()));
                }
                Datum::Enum(i as u32)
            }
            Node::Fixed(f) => Datum::Fixed(r.take(f.size)?.to_vec()),
            Node::Array { items, .. } => {
                let min = min_size(self, *items);
                let mut elements = Vec::new();
                loop {
                    let n = r.block(min)?;
                    if n == 0 {
                        break;
                    }
                    elements.reserve(n);
                    for _ in 0..n {
                        elements.push(self.decode_at(*items, r, depth + 1)?);
                    }
                }
                Datum::Array(elements)
            }
            Node::Map { values, .. } => {
                let min = 1 + min_size(self, *values);
                let mut entries = Vec::new();
                loop {
                    let n = r.block(min)?;
                    if n == 0 {
                        break;
                    }
                    entries.reserve(n);
                    for _ in 0..n {
                        let k = r.string()?.to_string();
                        entries.push((k, self.decode_at(*values, r, depth + 1)?));
                    }
                }
                Datum::Map(entries)
            }
            Node::Union(branches) => {
                let i = r.long()?;
                let Some(&b) = usize::try_from(i).ok().and_then(|i| branches.get(i)) else {
                    return r.fail(format!("union branch {i} of {}", branches.len()));
                };
                Datum::Union(i as u32, Box::new(self.decode_at(b, r, depth + 1)?))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_are_zig_zag() {
        for (v, bytes) in [
            (0i64, vec![0u8]),
            (-1, vec![1]),
            (1, vec![2]),
            (-64, vec![0x7f]),
            (64, vec![0x80, 1]),
        ] {
            let mut out = Vec::new();
            write_long(v, &mut out);
            assert_eq!(out, bytes, "{v}");
            assert_eq!(Reader::new(&bytes).long().expect("valid"), v);
        }
        let mut out = Vec::new();
        write_long(i64::MIN, &mut out);
        assert_eq!(Reader::new(&out).long().expect("valid"), i64::MIN);
        assert!(Reader::new(&[0xff; 11]).long().is_err());
    }

    #[test]
    fn hostile_lengths_fail_before_allocating() {
        let s = Schema::parse(r#"{"type":"array","items":"long"}"#).expect("valid");
        let mut huge = Vec::new();
        write_long(1 << 40, &mut huge);
        assert!(s.decode(&huge).is_err());
        let s = Schema::parse(r#"{"type":"array","items":"null"}"#).expect("valid");
        assert!(s.decode(&huge).is_err());
        let s = Schema::parse(r#""string""#).expect("valid");
        assert!(s.decode(&huge).is_err());
        assert!(s.decode(&[2, 0xff]).is_err(), "not UTF-8");
    }

    #[test]
    fn a_recursive_record_round_trips() {
        let s = Schema::parse(
            r#"{"type":"record","name":"L","fields":[{"name":"v","type":"int"},{"name":"next","type":["null","L"]}]}"#,
        )
        .expect("valid");
        let d = Datum::Record(vec![
            Datum::Int(1),
            Datum::Union(
                1,
                Box::new(Datum::Record(vec![
                    Datum::Int(2),
                    Datum::Union(0, Box::new(Datum::Null)),
                ])),
            ),
        ]);
        let mut out = Vec::new();
        s.encode(&d, &mut out).expect("fits");
        assert_eq!(out, vec![2, 2, 4, 0]);
        assert_eq!(s.decode(&out).expect("valid"), (d, 4));
    }
}
