//! Flink's `raw` format: the record's bytes are the single column's value.
//!
//! `STRING`/`CHAR`/`VARCHAR` are the text in UTF-8 (`raw.charset` other than UTF-8 is not
//! supported; invalid UTF-8 reads with U+FFFD as Java's decoder does), `BYTES`/`BINARY` the
//! bytes as they are, and `BOOLEAN` (1 byte), `TINYINT`..`BIGINT`, `FLOAT`, `DOUBLE` their
//! fixed-size binary form in `raw.endianness` (`big-endian` by default). A `NULL` value is an
//! absent Kafka value (a tombstone) and an absent value reads as `NULL`; see
//! [`RowFormat::encodes_absent`](super::RowFormat::encodes_absent).

use std::collections::BTreeMap;

use super::options::FormatOptions;
use super::{FormatError, FormatField};
use crate::error::SqlError;
use crate::types::TypeKind;
use crate::value::Value;

const OPTIONS: &[&str] = &["charset", "endianness"];

#[derive(Debug, Clone, Copy)]
enum Kind {
    Text,
    Bytes,
    Boolean,
    /// A signed integer of this many bytes.
    Int(usize),
    Float,
    Double,
}

/// A configured `raw` format.
#[derive(Debug)]
pub(crate) struct Raw {
    kind: Kind,
    little_endian: bool,
}

impl Raw {
    pub(crate) fn new(fields: &[FormatField], options: &BTreeMap<String, String>) -> Result<Self, SqlError> {
        let opts = FormatOptions::new("raw", options, OPTIONS)?;
        let [field] = fields else {
            let list: Vec<String> = fields.iter().map(|f| format!("`{}` {}", f.name, f.ty)).collect();
            return Err(opts.error(format!(
                "The 'raw' format only supports single physical column. However the defined schema \
                 contains multiple physical columns: [{}]",
                list.join(", ")
            )));
        };
        if let Some(cs) = opts.get("charset")
            && !(cs.eq_ignore_ascii_case("UTF-8") || cs.eq_ignore_ascii_case("UTF8"))
        {
            return Err(opts.error(format!(
                "charset '{cs}' is not supported for {} (only UTF-8)",
                opts.name("charset")
            )));
        }
        let little_endian = match opts.get("endianness") {
            None | Some("big-endian") => false,
            Some("little-endian") => true,
            Some(other) => {
                return Err(opts.error(format!(
                    "unsupported endianness '{other}' for {}; supported values: big-endian, little-endian",
                    opts.name("endianness")
                )));
            }
        };
        let kind = match &field.ty.kind {
            TypeKind::Char(_) | TypeKind::Varchar(_) => Kind::Text,
            TypeKind::Binary(_) | TypeKind::Varbinary(_) => Kind::Bytes,
            TypeKind::Boolean => Kind::Boolean,
            TypeKind::TinyInt => Kind::Int(1),
            TypeKind::SmallInt => Kind::Int(2),
            TypeKind::Int => Kind::Int(4),
            TypeKind::BigInt => Kind::Int(8),
            TypeKind::Float => Kind::Float,
            TypeKind::Double => Kind::Double,
            other => {
                return Err(opts.error(format!(
                    "the 'raw' format doesn't support type {other} (column '{}')",
                    field.name
                )));
            }
        };
        Ok(Self { kind, little_endian })
    }

    pub(crate) fn decode(&self, bytes: &[u8], out: &mut Vec<Value>) -> Result<(), FormatError> {
        let fixed = |n: usize| -> Result<[u8; 8], FormatError> {
            if bytes.len() != n {
                return Err(FormatError(format!(
                    "expected {n} bytes for the raw value, found {}",
                    bytes.len()
                )));
            }
            let mut buf = [0u8; 8];
            if self.little_endian {
                buf[..n].copy_from_slice(bytes);
                // Sign-extend into the unused high bytes.
                if bytes[n - 1] & 0x80 != 0 {
                    buf[n..].fill(0xff);
                }
                Ok(buf)
            } else {
                buf[8 - n..].copy_from_slice(bytes);
                if bytes[0] & 0x80 != 0 {
                    buf[..8 - n].fill(0xff);
                }
                Ok(buf)
            }
        };
        let v = match self.kind {
            Kind::Text => Value::String(String::from_utf8_lossy(bytes).into_owned()),
            Kind::Bytes => Value::Bytes(bytes.to_vec()),
            Kind::Boolean => {
                fixed(1)?;
                Value::Boolean(bytes[0] != 0)
            }
            Kind::Int(n) => {
                let buf = fixed(n)?;
                Value::Int(if self.little_endian {
                    i64::from_le_bytes(buf)
                } else {
                    i64::from_be_bytes(buf)
                })
            }
            Kind::Float => {
                let b: [u8; 4] = bytes.try_into().map_err(|_| {
                    FormatError(format!("expected 4 bytes for a FLOAT, found {}", bytes.len()))
                })?;
                let f = if self.little_endian {
                    f32::from_le_bytes(b)
                } else {
                    f32::from_be_bytes(b)
                };
                Value::Float(f64::from(f))
            }
            Kind::Double => {
                let b: [u8; 8] = bytes.try_into().map_err(|_| {
                    FormatError(format!("expected 8 bytes for a DOUBLE, found {}", bytes.len()))
                })?;
                Value::Float(if self.little_endian {
                    f64::from_le_bytes(b)
                } else {
                    f64::from_be_bytes(b)
                })
            }
        };
        out.push(v);
        Ok(())
    }

    pub(crate) fn encode(&self, values: &[Value], out: &mut Vec<u8>) -> Result<(), FormatError> {
        let v = values.first().unwrap_or(&Value::Null);
        let le = self.little_endian;
        match (self.kind, v) {
            (_, Value::Null) => {}
            (Kind::Text, Value::String(s)) => out.extend_from_slice(s.as_bytes()),
            (Kind::Bytes, Value::Bytes(b)) => out.extend_from_slice(b),
            (Kind::Boolean, Value::Boolean(b)) => out.push(u8::from(*b)),
            (Kind::Int(n), Value::Int(i)) => {
                if le {
                    out.extend_from_slice(&i.to_le_bytes()[..n]);
                } else {
                    out.extend_from_slice(&i.to_be_bytes()[8 - n..]);
                }
            }
            (Kind::Float, Value::Float(f)) => {
                let f = *f as f32;
                out.extend_from_slice(&if le { f.to_le_bytes() } else { f.to_be_bytes() });
            }
            (Kind::Double, Value::Float(f)) => {
                out.extend_from_slice(&if le { f.to_le_bytes() } else { f.to_be_bytes() });
            }
            (kind, other) => {
                return Err(FormatError(format!(
                    "cannot write {} with the raw format's {kind:?} column",
                    super::json::value_kind(other)
                )));
            }
        }
        Ok(())
    }
}
