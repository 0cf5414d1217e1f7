//! Spate's values as PostgreSQL statement parameters, and which column types the PostgreSQL
//! dialect takes (Flink's `PostgresDialect.supportedTypes`, precision ranges and messages).
//!
//! Parameters are sent in PostgreSQL's *text* format: the server has typed each parameter from
//! its target column when the statement was prepared, and parses the text by that type. So a
//! `BIGINT` reaches an `int4` or `numeric` column as the JDBC driver's `setLong` does (an
//! assignment cast, an out-of-range value an error), where binary parameters would have to
//! match the column's type to the byte. The texts are PostgreSQL's input syntax for the mapped
//! types (research notes §4): `DECIMAL` → `numeric`, `TIMESTAMP` → `timestamp`,
//! `TIMESTAMP_LTZ` → `timestamptz` (an instant, written in UTC), `BYTES` → `bytea` (hex),
//! `ARRAY` → an array literal.

use std::error::Error;
use std::fmt::Write;

use bytes::BytesMut;
use postgres::types::{Format, IsNull, ToSql, Type, to_sql_checked};

use crate::types::{DataType, TypeKind};
use crate::value::Value;

/// The dialect's name in Flink's messages.
const DIALECT: &str = "PostgreSQL";

/// Flink's validation of a column (`AbstractDialect.validate` with the PostgreSQL ranges):
/// `Err` with Flink's message for a type the dialect does not take.
pub(crate) fn check_type(column: &str, ty: &DataType) -> Result<(), String> {
    let supported = match &ty.kind {
        TypeKind::Boolean
        | TypeKind::TinyInt
        | TypeKind::SmallInt
        | TypeKind::Int
        | TypeKind::BigInt
        | TypeKind::Float
        | TypeKind::Double
        | TypeKind::Char(_)
        | TypeKind::Varchar(_)
        | TypeKind::Date
        | TypeKind::Time(_)
        | TypeKind::Decimal { .. }
        | TypeKind::Timestamp(_)
        | TypeKind::TimestampLtz(_) => true,
        // Only `BYTES` (Flink: "We can't convert VARBINARY(n) ...").
        TypeKind::Varbinary(n) => *n == crate::types::MAX_LENGTH,
        TypeKind::Array(element) => return check_type(column, element),
        _ => false,
    };
    if !supported {
        return Err(format!("The {DIALECT} dialect doesn't support type: {ty}."));
    }
    if let TypeKind::Decimal { precision, .. } = ty.kind
        && !(1..=1000).contains(&precision)
    {
        return Err(format!(
            "The precision of field '{column}' is out of the DECIMAL precision range [1, 1000] supported by {DIALECT} dialect."
        ));
    }
    if let TypeKind::Timestamp(p) = ty.kind
        && !(1..=6).contains(&p)
    {
        return Err(format!(
            "The precision of field '{column}' is out of the TIMESTAMP precision range [1, 6] supported by {DIALECT} dialect."
        ));
    }
    Ok(())
}

/// A value that has no PostgreSQL text for its column's type (a value of the wrong kind: a
/// bug, never retried).
#[derive(Debug)]
pub(crate) struct BindError(String);

impl std::fmt::Display for BindError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Error for BindError {}

/// One value bound as a parameter, in text format.
#[derive(Debug)]
pub(crate) struct Param<'a> {
    pub(crate) value: &'a Value,
    pub(crate) ty: &'a TypeKind,
}

impl ToSql for Param<'_> {
    fn to_sql(&self, _ty: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        if matches!(self.value, Value::Null) {
            return Ok(IsNull::Yes);
        }
        let mut text = String::new();
        write_text(self.value, self.ty, &mut text).map_err(|e| Box::new(BindError(e)))?;
        out.extend_from_slice(text.as_bytes());
        Ok(IsNull::No)
    }

    /// Any column type: the server parses the text by it.
    fn accepts(_ty: &Type) -> bool {
        true
    }

    fn encode_format(&self, _ty: &Type) -> Format {
        Format::Text
    }

    to_sql_checked!();
}

/// PostgreSQL's input text for `value` of type `ty` (not `NULL`).
pub(crate) fn write_text(value: &Value, ty: &TypeKind, out: &mut String) -> Result<(), String> {
    match (value, ty) {
        (Value::Boolean(b), _) => out.push(if *b { 't' } else { 'f' }),
        (Value::Int(i), _) => {
            let _ = write!(out, "{i}");
        }
        (Value::Float(f), TypeKind::Float) => write_float(f64::from(*f as f32), true, out),
        (Value::Float(f), _) => write_float(*f, false, out),
        (Value::Decimal(unscaled), TypeKind::Decimal { scale, .. }) => {
            crate::decimal::format(*unscaled, *scale, out);
        }
        (Value::String(s), _) => out.push_str(s),
        (Value::Bytes(b), _) => {
            out.push_str("\\x");
            for byte in b {
                let _ = write!(out, "{byte:02x}");
            }
        }
        (Value::Date(days), _) => crate::temporal::format_date(*days, out),
        (Value::Time(nanos), _) => crate::temporal::format_time_nanos(*nanos, 9, true, out),
        (Value::Timestamp(micros), TypeKind::TimestampLtz(_)) => {
            crate::temporal::format_timestamp(*micros, 6, true, false, out);
            out.push_str("+00");
        }
        (Value::Timestamp(micros), _) => crate::temporal::format_timestamp(*micros, 6, true, false, out),
        (Value::Array(items), TypeKind::Array(element)) => write_array(items, &element.kind, out)?,
        (other, ty) => {
            return Err(format!(
                "a value {other:?} of type {ty} cannot be written to PostgreSQL"
            ));
        }
    }
    Ok(())
}

/// Shortest text that reads back as the same float; `f32` for `FLOAT` (`float4`).
fn write_float(f: f64, single: bool, out: &mut String) {
    if f.is_nan() {
        out.push_str("NaN");
    } else if f.is_infinite() {
        out.push_str(if f > 0.0 { "Infinity" } else { "-Infinity" });
    } else if single {
        let _ = write!(out, "{:?}", f as f32);
    } else {
        let _ = write!(out, "{f:?}");
    }
}

/// An array literal: `{"1","2",NULL}`, nested arrays as nested braces.
fn write_array(items: &[Value], element: &TypeKind, out: &mut String) -> Result<(), String> {
    out.push('{');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match item {
            Value::Null => out.push_str("NULL"),
            Value::Array(inner) => {
                let TypeKind::Array(inner_ty) = element else {
                    return Err(format!("a nested array where {element} was expected"));
                };
                write_array(inner, &inner_ty.kind, out)?;
            }
            value => {
                let mut text = String::new();
                write_text(value, element, &mut text)?;
                out.push('"');
                for c in text.chars() {
                    if c == '"' || c == '\\' {
                        out.push('\\');
                    }
                    out.push(c);
                }
                out.push('"');
            }
        }
    }
    out.push('}');
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(value: Value, ty: TypeKind) -> String {
        let mut out = String::new();
        write_text(&value, &ty, &mut out).expect("writable");
        out
    }

    #[test]
    fn values_in_postgres_input_syntax() {
        assert_eq!(text(Value::Boolean(true), TypeKind::Boolean), "t");
        assert_eq!(text(Value::Int(-7), TypeKind::BigInt), "-7");
        assert_eq!(text(Value::Float(0.1), TypeKind::Double), "0.1");
        assert_eq!(text(Value::Float(f64::from(0.1f32)), TypeKind::Float), "0.1");
        assert_eq!(
            text(Value::Float(f64::NEG_INFINITY), TypeKind::Double),
            "-Infinity"
        );
        let dec = TypeKind::Decimal {
            precision: 10,
            scale: 2,
        };
        assert_eq!(text(Value::Decimal(-12345), dec), "-123.45");
        assert_eq!(
            text(
                Value::Bytes(vec![0, 255]),
                TypeKind::Varbinary(crate::types::MAX_LENGTH)
            ),
            "\\x00ff"
        );
        assert_eq!(text(Value::Date(19_000), TypeKind::Date), "2022-01-08");
        assert_eq!(
            text(Value::Time(3_723_000_000_000), TypeKind::Time(0)),
            "01:02:03"
        );
        assert_eq!(
            text(Value::Timestamp(1_000_000_000_123_456), TypeKind::Timestamp(6)),
            "2001-09-09 01:46:40.123456"
        );
        assert_eq!(
            text(Value::Timestamp(0), TypeKind::TimestampLtz(3)),
            "1970-01-01 00:00:00+00"
        );
        let strings = TypeKind::Array(Box::new(DataType::new(TypeKind::Varchar(10))));
        assert_eq!(
            text(
                Value::Array(vec![
                    Value::String("a \"b\"".into()),
                    Value::Null,
                    Value::String("\\".into())
                ]),
                strings
            ),
            r#"{"a \"b\"",NULL,"\\"}"#
        );
    }

    #[test]
    fn types_outside_the_dialect_are_refused_with_flinks_messages() {
        let map = DataType::new(TypeKind::Map(
            Box::new(DataType::new(TypeKind::Int)),
            Box::new(DataType::new(TypeKind::Int)),
        ));
        assert_eq!(
            check_type("m", &map).expect_err("map"),
            "The PostgreSQL dialect doesn't support type: MAP<INT, INT>."
        );
        assert!(check_type("b", &DataType::new(TypeKind::Binary(3))).is_err());
        assert!(check_type("ts", &DataType::new(TypeKind::Timestamp(0))).is_err());
        assert!(check_type("ts", &DataType::new(TypeKind::Timestamp(3))).is_ok());
        assert!(
            check_type(
                "d",
                &DataType::new(TypeKind::Decimal {
                    precision: 38,
                    scale: 0
                })
            )
            .is_ok()
        );
    }
}
