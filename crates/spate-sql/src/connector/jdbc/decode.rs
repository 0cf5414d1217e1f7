//! PostgreSQL's values, as its binary protocol sends them, into Spate's values of the table's
//! declared types: the reverse of `bind.rs`, with the pairs of types Flink's PostgreSQL dialect
//! reads (`PostgresDialectConverter` over the JDBC driver's `getObject`): `int2`/`int4`/`int8`
//! into the integer types at least as wide, `float4`/`float8`, `numeric` (rounded half up to
//! the declared scale, `NULL` when it does not fit the precision, as Flink's
//! `DecimalData.fromBigDecimal`), the character types (and `json`, `jsonb`, `uuid` as their
//! text), `bytea`, `date`, `time`, `timestamp`, `timestamptz` and arrays of these.
//!
//! [`fits`] is checked once per query against the columns PostgreSQL describes, so a column of
//! a type that does not fit fails before any row is read, naming the table and the column.

use std::error::Error;
use std::fmt::Write;

use postgres::types::{FromSql, Kind, Type};

use crate::types::TypeKind;
use crate::value::{Row, Value};

/// One column read: where it goes in the row, its declared type and name.
#[derive(Debug, Clone)]
pub(crate) struct ReadColumn {
    pub(crate) index: usize,
    pub(crate) ty: TypeKind,
    pub(crate) name: String,
}

/// A row of `width` columns from PostgreSQL's row of `columns` (the others `NULL`); `Err`
/// names the column that could not be read.
pub(crate) fn row_of(pg_row: &postgres::Row, columns: &[ReadColumn], width: usize) -> Result<Row, String> {
    let mut row: Row = vec![Value::Null; width];
    for (i, column) in columns.iter().enumerate() {
        let pg = pg_row.columns()[i].type_();
        let raw = pg_row
            .try_get::<_, Option<Raw<'_>>>(i)
            .map_err(|e| format!("column {}: {e}", column.name))?;
        let value =
            decode(raw.map(|r| r.0), pg, &column.ty).map_err(|e| format!("column {}: {e}", column.name))?;
        if let Some(slot) = row.get_mut(column.index) {
            *slot = value;
        }
    }
    Ok(row)
}

/// The first of `columns` whose PostgreSQL type (in `statement`'s result) cannot be read as
/// its declared type, as a message.
pub(crate) fn check_columns(columns: &[ReadColumn], statement: &postgres::Statement) -> Result<(), String> {
    for (column, pg) in columns.iter().zip(statement.columns()) {
        if !fits(&column.ty, pg.type_()) {
            return Err(format!(
                "column {} is {} in PostgreSQL, which cannot be read as {}",
                column.name,
                pg.type_(),
                column.ty
            ));
        }
    }
    Ok(())
}

/// Microseconds from Unix's epoch to PostgreSQL's (2000-01-01).
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;
/// Days from Unix's epoch to PostgreSQL's.
const PG_EPOCH_DAYS: i32 = 10_957;

/// A column's raw bytes, whatever its type (decoded by [`decode`]).
#[derive(Debug)]
pub(crate) struct Raw<'a>(pub(crate) &'a [u8]);

impl<'a> FromSql<'a> for Raw<'a> {
    fn from_sql(_ty: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn Error + Sync + Send>> {
        Ok(Raw(raw))
    }

    fn accepts(_ty: &Type) -> bool {
        true
    }
}

/// Whether a PostgreSQL column of type `pg` can be read as `ty`.
pub(crate) fn fits(ty: &TypeKind, pg: &Type) -> bool {
    let any = |types: &[Type]| types.contains(pg);
    match ty {
        TypeKind::Boolean => any(&[Type::BOOL]),
        TypeKind::TinyInt | TypeKind::SmallInt => any(&[Type::INT2]),
        TypeKind::Int => any(&[Type::INT2, Type::INT4]),
        TypeKind::BigInt => any(&[Type::INT2, Type::INT4, Type::INT8]),
        TypeKind::Float => any(&[Type::FLOAT4]),
        TypeKind::Double => any(&[Type::FLOAT4, Type::FLOAT8]),
        TypeKind::Decimal { .. } => any(&[Type::NUMERIC, Type::INT2, Type::INT4, Type::INT8]),
        TypeKind::Char(_) | TypeKind::Varchar(_) => any(&[
            Type::TEXT,
            Type::VARCHAR,
            Type::BPCHAR,
            Type::NAME,
            Type::JSON,
            Type::JSONB,
            Type::UUID,
        ]),
        TypeKind::Varbinary(_) => any(&[Type::BYTEA]),
        TypeKind::Date => any(&[Type::DATE]),
        TypeKind::Time(_) => any(&[Type::TIME]),
        TypeKind::Timestamp(_) => any(&[Type::TIMESTAMP]),
        TypeKind::TimestampLtz(_) => any(&[Type::TIMESTAMPTZ]),
        // PostgreSQL's arrays of any dimension share one type: a nested declared array reads
        // the inner dimensions of the same column type.
        TypeKind::Array(element) => match (&element.kind, pg.kind()) {
            (TypeKind::Array(_), Kind::Array(_)) => fits(&element.kind, pg),
            (kind, Kind::Array(inner)) => fits(kind, inner),
            _ => false,
        },
        _ => false,
    }
}

/// The value of `raw` (a column of PostgreSQL type `pg`, `None` for `NULL`) as `ty`.
pub(crate) fn decode(raw: Option<&[u8]>, pg: &Type, ty: &TypeKind) -> Result<Value, String> {
    let Some(raw) = raw else {
        return Ok(Value::Null);
    };
    if let Kind::Array(element) = pg.kind() {
        let TypeKind::Array(declared) = ty else {
            return Err(format!("an array where {ty} was declared"));
        };
        return decode_array(raw, element, &declared.kind);
    }
    Ok(match ty {
        TypeKind::Boolean => Value::Boolean(raw.first().is_some_and(|b| *b != 0)),
        TypeKind::TinyInt => {
            let v = int(raw)?;
            if i8::try_from(v).is_err() {
                return Err(format!("{v} is out of TINYINT's range"));
            }
            Value::Int(v)
        }
        TypeKind::SmallInt | TypeKind::Int | TypeKind::BigInt => Value::Int(int(raw)?),
        TypeKind::Float | TypeKind::Double if *pg == Type::FLOAT4 => {
            Value::Float(f64::from(f32::from_be_bytes(fixed(raw)?)))
        }
        TypeKind::Float | TypeKind::Double => Value::Float(f64::from_be_bytes(fixed(raw)?)),
        TypeKind::Decimal { precision, scale } => {
            let text = if *pg == Type::NUMERIC {
                numeric_text(raw)?
            } else {
                int(raw)?.to_string()
            };
            // Flink's `DecimalData.fromBigDecimal`: a value too wide for the type is NULL.
            crate::decimal::parse(&text, *precision, *scale).map_or(Value::Null, Value::Decimal)
        }
        TypeKind::Char(_) | TypeKind::Varchar(_) => Value::String(text(raw, pg)?),
        TypeKind::Varbinary(_) => Value::Bytes(raw.to_vec()),
        TypeKind::Date => Value::Date(i32::from_be_bytes(fixed(raw)?).saturating_add(PG_EPOCH_DAYS)),
        TypeKind::Time(_) => Value::Time(i64::from_be_bytes(fixed(raw)?).saturating_mul(1000)),
        TypeKind::Timestamp(_) | TypeKind::TimestampLtz(_) => {
            let micros = i64::from_be_bytes(fixed(raw)?);
            if micros == i64::MAX || micros == i64::MIN {
                return Err("an infinite timestamp has no Flink value".to_string());
            }
            Value::Timestamp(micros.saturating_add(PG_EPOCH_MICROS))
        }
        other => return Err(format!("the type {other} cannot be read from PostgreSQL")),
    })
}

fn fixed<const N: usize>(raw: &[u8]) -> Result<[u8; N], String> {
    raw.try_into()
        .map_err(|_| format!("{} bytes where {N} were expected", raw.len()))
}

/// An `int2`, `int4` or `int8` by its width.
fn int(raw: &[u8]) -> Result<i64, String> {
    Ok(match raw.len() {
        2 => i64::from(i16::from_be_bytes(fixed(raw)?)),
        4 => i64::from(i32::from_be_bytes(fixed(raw)?)),
        _ => i64::from_be_bytes(fixed(raw)?),
    })
}

/// A character value (`jsonb` after its version byte, `uuid` in its canonical text).
fn text(raw: &[u8], pg: &Type) -> Result<String, String> {
    if *pg == Type::UUID {
        let mut out = String::with_capacity(36);
        for (i, b) in raw.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                out.push('-');
            }
            let _ = write!(out, "{b:02x}");
        }
        return Ok(out);
    }
    let bytes = match (pg == &Type::JSONB, raw.split_first()) {
        (true, Some((1, rest))) => rest,
        _ => raw,
    };
    String::from_utf8(bytes.to_vec()).map_err(|_| "a string that is not UTF-8".to_string())
}

/// A binary `numeric` as decimal text (`-123.45`, `NaN`).
fn numeric_text(raw: &[u8]) -> Result<String, String> {
    let word = |i: usize| -> Result<u16, String> {
        raw.get(i * 2..i * 2 + 2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
            .ok_or_else(|| "a truncated numeric".to_string())
    };
    let digits = usize::from(word(0)?);
    let weight = i64::from(word(1)? as i16);
    let sign = word(2)?;
    if sign & 0xC000 == 0xC000 {
        return Err("NaN and infinite numerics have no DECIMAL value".to_string());
    }
    let mut out = String::new();
    if sign == 0x4000 {
        out.push('-');
    }
    if digits == 0 {
        out.push('0');
        return Ok(out);
    }
    for i in 0..digits {
        let _ = write!(out, "{:04}", word(4 + i)?);
    }
    // The digits are base 10000, the first worth 10000^weight.
    let exp = (weight + 1 - i64::try_from(digits).unwrap_or(0)) * 4;
    let _ = write!(out, "e{exp}");
    Ok(out)
}

/// A binary array (any dimensions) as nested `Value::Array`s.
fn decode_array(raw: &[u8], element: &Type, declared: &TypeKind) -> Result<Value, String> {
    let mut at = 0usize;
    let next_i32 = |at: &mut usize| -> Result<i32, String> {
        let v = raw
            .get(*at..*at + 4)
            .map(|b| i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
            .ok_or_else(|| "a truncated array".to_string())?;
        *at += 4;
        Ok(v)
    };
    let dims = usize::try_from(next_i32(&mut at)?).map_err(|_| "a negative dimension count")?;
    let _has_nulls = next_i32(&mut at)?;
    let _element_oid = next_i32(&mut at)?;
    let mut lengths = Vec::with_capacity(dims);
    for _ in 0..dims {
        lengths.push(usize::try_from(next_i32(&mut at)?).map_err(|_| "a negative array length")?);
        let _lower_bound = next_i32(&mut at)?;
    }
    let mut items = Vec::new();
    let total: usize = if dims == 0 { 0 } else { lengths.iter().product() };
    for _ in 0..total {
        let len = next_i32(&mut at)?;
        let value = match usize::try_from(len) {
            Err(_) => Value::Null,
            Ok(len) => {
                let bytes = raw.get(at..at + len).ok_or("a truncated array element")?;
                at += len;
                decode(Some(bytes), element, innermost(declared))?
            }
        };
        items.push(value);
    }
    Ok(nest(items, &lengths))
}

/// The element type under every array of `ty`.
fn innermost(ty: &TypeKind) -> &TypeKind {
    match ty {
        TypeKind::Array(inner) => innermost(&inner.kind),
        other => other,
    }
}

/// Flat elements into arrays of the given dimensions (row-major, as PostgreSQL sends them).
fn nest(items: Vec<Value>, lengths: &[usize]) -> Value {
    match lengths {
        [] | [_] => Value::Array(items),
        [_, rest @ ..] => {
            let inner: usize = rest.iter().product::<usize>().max(1);
            let mut items = items.into_iter();
            let mut out = Vec::new();
            loop {
                let chunk: Vec<Value> = items.by_ref().take(inner).collect();
                if chunk.is_empty() {
                    break;
                }
                out.push(nest(chunk, rest));
            }
            Value::Array(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numerics_as_text() {
        // 12.34: digits [12, 3400], weight 0, dscale 2.
        let raw = [0, 2, 0, 0, 0, 0, 0, 2, 0, 12, 0x0d, 0x48];
        assert_eq!(numeric_text(&raw).expect("numeric"), "00123400e-4");
        let dec = TypeKind::Decimal {
            precision: 10,
            scale: 2,
        };
        assert_eq!(
            decode(Some(&raw), &Type::NUMERIC, &dec).expect("decimal"),
            Value::Decimal(1234)
        );
        // -10000: one digit [1], weight 1, negative.
        let raw = [0, 1, 0, 1, 0x40, 0, 0, 0, 0, 1];
        assert_eq!(numeric_text(&raw).expect("numeric"), "-0001e4");
        let narrow = TypeKind::Decimal {
            precision: 3,
            scale: 0,
        };
        assert_eq!(
            decode(Some(&raw), &Type::NUMERIC, &narrow).expect("decimal"),
            Value::Null
        );
    }

    #[test]
    fn types_that_fit() {
        assert!(fits(&TypeKind::BigInt, &Type::INT4));
        assert!(!fits(&TypeKind::Int, &Type::INT8));
        assert!(!fits(&TypeKind::Int, &Type::TEXT));
        let ints = TypeKind::Array(Box::new(crate::types::DataType::new(TypeKind::Int)));
        assert!(fits(&ints, &Type::INT4_ARRAY));
        assert!(!fits(&ints, &Type::TEXT_ARRAY));
    }
}
