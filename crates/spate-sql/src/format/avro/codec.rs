//! Rows ↔ Avro binary under the schema [`derive`](super::derive) makes from the same column
//! types, walking the types beside the bytes: no intermediate Avro value, one `Value` per
//! field, as Flink's `AvroToRowDataConverters` and `RowDataToAvroConverters` convert them.

use spate_avro::binary::{Reader, write_bytes, write_long};

use super::super::FormatError;
use crate::types::{DataType, TypeKind};
use crate::value::Value;

/// Deepest nesting of rows, arrays and maps read (the types bound it; this is a second guard).
const MAX_DEPTH: usize = 64;

fn fail<T>(message: impl Into<String>) -> Result<T, FormatError> {
    Err(FormatError(message.into()))
}

fn decode_error(e: spate_avro::AvroError) -> FormatError {
    FormatError(e.to_string())
}

/// Appends `v` of type `ty` (legacy timestamps: `TIMESTAMP` as UTC epoch milliseconds).
pub(super) fn encode(ty: &DataType, v: &Value, out: &mut Vec<u8>, depth: usize) -> Result<(), FormatError> {
    if depth > MAX_DEPTH {
        return fail("value nested too deeply");
    }
    if ty.nullable {
        if v.is_null() {
            out.push(0);
            return Ok(());
        }
        out.push(2); // branch 1, zig-zag
    } else if v.is_null() {
        return fail(format!("NULL in the NOT NULL type {ty}"));
    }
    match (&ty.kind, v) {
        (TypeKind::Boolean, Value::Boolean(b)) => out.push(u8::from(*b)),
        (TypeKind::TinyInt | TypeKind::SmallInt | TypeKind::Int | TypeKind::BigInt, Value::Int(i)) => {
            write_long(*i, out)
        }
        (TypeKind::Float, Value::Float(f)) => out.extend_from_slice(&(*f as f32).to_le_bytes()),
        (TypeKind::Double, Value::Float(f)) => out.extend_from_slice(&f.to_le_bytes()),
        (TypeKind::Char(_) | TypeKind::Varchar(_), Value::String(s)) => write_bytes(s.as_bytes(), out),
        (TypeKind::Binary(_) | TypeKind::Varbinary(_), Value::Bytes(b)) => write_bytes(b, out),
        (TypeKind::Decimal { .. }, Value::Decimal(unscaled)) => write_bytes(&twos_complement(*unscaled), out),
        (TypeKind::Date, Value::Date(d)) => write_long(i64::from(*d), out),
        (TypeKind::Time(_), Value::Time(nanos)) => write_long(nanos.div_euclid(1_000_000), out),
        (TypeKind::Timestamp(p) | TypeKind::TimestampLtz(p), Value::Timestamp(micros)) if *p <= 3 => {
            write_long(micros.div_euclid(1000), out)
        }
        (TypeKind::Timestamp(_) | TypeKind::TimestampLtz(_), Value::Timestamp(micros)) => {
            write_long(*micros, out)
        }
        (TypeKind::Row(fields), Value::Row(values)) if fields.len() == values.len() => {
            for (f, v) in fields.iter().zip(values) {
                encode(&f.ty, v, out, depth + 1)?;
            }
        }
        (TypeKind::Array(element), Value::Array(items)) => {
            if !items.is_empty() {
                write_long(items.len() as i64, out);
                for item in items {
                    encode(element, item, out, depth + 1)?;
                }
            }
            out.push(0);
        }
        (TypeKind::Map(_, value_ty), Value::Map(entries)) => {
            if !entries.is_empty() {
                write_long(entries.len() as i64, out);
                for (k, v) in entries {
                    let Value::String(k) = k else {
                        return fail("a map key that is NULL cannot be written in Avro");
                    };
                    write_bytes(k.as_bytes(), out);
                    encode(value_ty, v, out, depth + 1)?;
                }
            }
            out.push(0);
        }
        _ => return fail(format!("value {v:?} does not fit the type {ty}")),
    }
    Ok(())
}

/// Java's `BigInteger.toByteArray`: the shortest big-endian two's complement.
fn twos_complement(v: i128) -> Vec<u8> {
    let bytes = v.to_be_bytes();
    let mut start = 0;
    while start < 15 {
        let (b, next) = (bytes[start], bytes[start + 1]);
        let redundant = (b == 0 && next & 0x80 == 0) || (b == 0xff && next & 0x80 != 0);
        if !redundant {
            break;
        }
        start += 1;
    }
    bytes[start..].to_vec()
}

pub(super) fn from_twos_complement(b: &[u8]) -> Option<i128> {
    if b.is_empty() || b.len() > 16 {
        return if b.is_empty() { Some(0) } else { None };
    }
    let fill = if b[0] & 0x80 != 0 { 0xff } else { 0 };
    let mut full = [fill; 16];
    full[16 - b.len()..].copy_from_slice(b);
    Some(i128::from_be_bytes(full))
}

/// Reads one value of `ty`.
pub(super) fn decode(ty: &DataType, r: &mut Reader<'_>, depth: usize) -> Result<Value, FormatError> {
    if depth > MAX_DEPTH {
        return fail("value nested too deeply");
    }
    if ty.nullable {
        match r.long().map_err(decode_error)? {
            0 => return Ok(Value::Null),
            1 => {}
            other => return fail(format!("union branch {other} of a nullable column (2 branches)")),
        }
    }
    Ok(match &ty.kind {
        TypeKind::Boolean => Value::Boolean(r.boolean().map_err(decode_error)?),
        TypeKind::TinyInt | TypeKind::SmallInt | TypeKind::Int => {
            Value::Int(i64::from(r.int().map_err(decode_error)?))
        }
        TypeKind::BigInt => Value::Int(r.long().map_err(decode_error)?),
        TypeKind::Float => Value::Float(f64::from(r.float().map_err(decode_error)?)),
        TypeKind::Double => Value::Float(r.double().map_err(decode_error)?),
        TypeKind::Char(_) | TypeKind::Varchar(_) => {
            Value::String(r.string().map_err(decode_error)?.to_string())
        }
        TypeKind::Binary(_) | TypeKind::Varbinary(_) => {
            Value::Bytes(r.bytes().map_err(decode_error)?.to_vec())
        }
        TypeKind::Decimal { precision, .. } => {
            let at = r.position();
            let b = r.bytes().map_err(decode_error)?;
            match from_twos_complement(b) {
                Some(v) if crate::decimal::fits(v, *precision) => Value::Decimal(v),
                _ => return fail(format!("decimal at byte {at} does not fit DECIMAL({precision})")),
            }
        }
        TypeKind::Date => Value::Date(r.int().map_err(decode_error)?),
        TypeKind::Time(_) => Value::Time(i64::from(r.int().map_err(decode_error)?) * 1_000_000),
        TypeKind::Timestamp(p) | TypeKind::TimestampLtz(p) => {
            let v = r.long().map_err(decode_error)?;
            if *p <= 3 {
                match v.checked_mul(1000) {
                    Some(micros) => Value::Timestamp(micros),
                    None => return fail(format!("timestamp {v} ms is out of range")),
                }
            } else {
                Value::Timestamp(v)
            }
        }
        TypeKind::Row(fields) => {
            let mut values = Vec::with_capacity(fields.len());
            for f in fields {
                values.push(decode(&f.ty, r, depth + 1)?);
            }
            Value::Row(values)
        }
        TypeKind::Array(element) => {
            let mut items = Vec::new();
            loop {
                let n = r.block(1).map_err(decode_error)?;
                if n == 0 {
                    break;
                }
                items.reserve(n);
                for _ in 0..n {
                    items.push(decode(element, r, depth + 1)?);
                }
            }
            Value::Array(items)
        }
        TypeKind::Map(_, value_ty) => {
            let mut entries = Vec::new();
            loop {
                let n = r.block(2).map_err(decode_error)?;
                if n == 0 {
                    break;
                }
                entries.reserve(n);
                for _ in 0..n {
                    let k = r.string().map_err(decode_error)?.to_string();
                    entries.push((Value::String(k), decode(value_ty, r, depth + 1)?));
                }
            }
            Value::Map(entries)
        }
        other => return fail(format!("the avro format cannot read type {other}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_use_javas_shortest_twos_complement() {
        for (v, bytes) in [
            (0i128, vec![0u8]),
            (127, vec![0x7f]),
            (128, vec![0x00, 0x80]),
            (-1, vec![0xff]),
            (-128, vec![0x80]),
            (-129, vec![0xff, 0x7f]),
            (12345, vec![0x30, 0x39]),
        ] {
            assert_eq!(twos_complement(v), bytes, "{v}");
            assert_eq!(from_twos_complement(&bytes), Some(v));
        }
        assert_eq!(from_twos_complement(&[0x01; 17]), None);
    }
}
