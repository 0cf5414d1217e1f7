//! `JSON_STRING`, `JSON_OBJECT` and `JSON_ARRAY`: SQL values written as JSON text the way
//! Flink's Jackson tree writes them: compact, object keys sorted (a repeated key keeps its last
//! value), non-ASCII characters as they are, `DOUBLE` and `FLOAT` as `BigDecimal.valueOf(d)`
//! prints (`1.5`, `1.0E+20`, `0.10000000149011612` for the `FLOAT` 0.1), `NaN` and infinities
//! as strings, `DECIMAL` as `BigDecimal.toString`, `BYTES` in base64, `TIMESTAMP` as
//! `LocalDateTime.toString` and `TIMESTAMP_LTZ` as `Instant.toString`, `ROW` as an object of
//! its field names. A `JSON_OBJECT` or `JSON_ARRAY` call as a value is nested as JSON; any
//! other string, `JSON_STRING`'s and `JSON_QUERY`'s included, is a JSON string. `DATE`, `TIME`,
//! intervals and maps whose keys are not strings are refused, as Flink refuses them.

use std::fmt::Write as _;

use super::{Call, encoding};
use crate::error::{Result, SqlError};
use crate::expr::BoundExpr;
use crate::expr::context::EvalError;
use crate::expr::func::ScalarFunc;
use crate::expr::typing::{is_string, is_untyped_null};
use crate::java_text::write_big_decimal_digits;
use crate::types::{DataType, MAX_LENGTH, TypeKind};
use crate::value::{Value, put_entry};

/// Whether Flink can write a value of type `k` as JSON; `Err` names what it cannot.
fn check_writable(k: &TypeKind) -> std::result::Result<(), String> {
    match k {
        TypeKind::Date | TypeKind::Time(_) | TypeKind::IntervalDayTime | TypeKind::IntervalYearMonth => {
            Err(format!("{k} cannot be written as JSON"))
        }
        TypeKind::Array(e) | TypeKind::Multiset(e) => check_writable(&e.kind),
        TypeKind::Map(key, v) => {
            if !is_string(&key.kind) {
                return Err(format!("{k} cannot be written as JSON: a key must be a string"));
            }
            check_writable(&v.kind)
        }
        TypeKind::Row(fields) => fields.iter().try_for_each(|f| check_writable(&f.ty.kind)),
        _ => Ok(()),
    }
}

/// Checks the values of a `JSON_OBJECT` or `JSON_ARRAY` (`what` names it): each must have a
/// type Flink writes.
fn check_values<'a>(mut values: impl Iterator<Item = &'a BoundExpr>, what: &str) -> Result<()> {
    values.try_for_each(|v| {
        if is_untyped_null(v) {
            // Flink fails to plan it ("Type is not supported: ANY", run 8).
            return Err(SqlError::validation(
                format!("{what} needs a typed NULL value: CAST(NULL AS type)"),
                None,
            ));
        }
        check_writable(&v.ty().kind).map_err(|m| SqlError::validation(format!("{what}: {m}"), None))
    })
}

/// `JSON_OBJECT`: `args` are the keys and values in turn; `raw` says which values are nested
/// `JSON_OBJECT`/`JSON_ARRAY` calls (judged on the SQL text, as constant ones are folded into
/// strings by now).
pub(crate) fn bind_object(args: Vec<BoundExpr>, absent_on_null: bool, raw: Vec<bool>) -> Result<BoundExpr> {
    for key in args.iter().step_by(2) {
        // Flink: "Expected a character type"; a key that may be NULL is refused too ("must not
        // be NULL", run 8), a column of a nullable type included.
        if !is_string(&key.ty().kind) || is_untyped_null(key) {
            return Err(SqlError::validation(
                format!("JSON_OBJECT keys must be strings, not {}", key.ty().kind),
                None,
            ));
        }
        if key.ty().nullable {
            return Err(SqlError::validation(
                "JSON_OBJECT keys must not be NULL: this key's type is nullable (COALESCE it or use a NOT NULL column)",
                None,
            ));
        }
    }
    check_values(args.iter().skip(1).step_by(2), "JSON_OBJECT")?;
    Ok(BoundExpr::Call {
        func: ScalarFunc::JsonObject { absent_on_null, raw },
        args,
        ty: DataType::new(TypeKind::Varchar(MAX_LENGTH)).not_null(),
    })
}

/// `JSON_ARRAY` of `args`; `raw` as for [`bind_object`].
pub(crate) fn bind_array(args: Vec<BoundExpr>, absent_on_null: bool, raw: Vec<bool>) -> Result<BoundExpr> {
    check_values(args.iter(), "JSON_ARRAY")?;
    Ok(BoundExpr::Call {
        func: ScalarFunc::JsonArray { absent_on_null, raw },
        args,
        ty: DataType::new(TypeKind::Varchar(MAX_LENGTH)).not_null(),
    })
}

/// `JSON_STRING(value)`: `NULL` for `NULL` (an untyped `NULL` too, as in Flink).
pub(crate) fn bind_json_string(c: Call) -> Result<BoundExpr> {
    if c.args.len() != 1 {
        return Err(c.mismatch("(value)"));
    }
    if !is_untyped_null(&c.args[0])
        && let Err(m) = check_writable(&c.args[0].ty().kind)
    {
        return Err(c.mismatch(&format!("(value): {m}")));
    }
    Ok(c.done(ScalarFunc::JsonString, TypeKind::Varchar(MAX_LENGTH), false))
}

/// `JSON_STRING` of a non-NULL value of type `ty`.
pub(crate) fn json_string(v: &Value, ty: &DataType) -> Value {
    let mut out = String::new();
    write_value(v, &ty.kind, &mut out);
    Value::String(out)
}

/// One entry or element: `None` when it is left out (`ABSENT ON NULL`).
fn member(v: &Value, ty: &DataType, raw: bool, absent_on_null: bool) -> Option<String> {
    match v {
        Value::Null if absent_on_null => None,
        Value::Null => Some("null".into()),
        Value::String(s) if raw => Some(s.clone()),
        _ => {
            let mut out = String::new();
            write_value(v, &ty.kind, &mut out);
            Some(out)
        }
    }
}

/// `JSON_OBJECT` of evaluated keys and values (`pairs` with the value's type and whether it is
/// nested JSON).
pub(crate) fn json_object<'v>(
    pairs: impl Iterator<Item = (&'v Value, &'v Value, &'v DataType, bool)>,
    absent_on_null: bool,
) -> std::result::Result<Value, EvalError> {
    let mut entries: Vec<(String, String)> = Vec::new();
    for (key, value, ty, raw) in pairs {
        let Value::String(key) = key else {
            return Err(EvalError("JSON_OBJECT: a key is NULL".into()));
        };
        let Some(text) = member(value, ty, raw, absent_on_null) else {
            continue;
        };
        put_entry(&mut entries, key.clone(), text);
    }
    entries.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
    let mut out = String::from("{");
    for (i, (k, v)) in entries.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(k, &mut out);
        out.push(':');
        out.push_str(v);
    }
    out.push('}');
    Ok(Value::String(out))
}

/// `JSON_ARRAY` of evaluated values.
pub(crate) fn json_array<'v>(
    values: impl Iterator<Item = (&'v Value, &'v DataType, bool)>,
    absent_on_null: bool,
) -> Value {
    let members: Vec<String> = values
        .filter_map(|(v, ty, raw)| member(v, ty, raw, absent_on_null))
        .collect();
    Value::String(format!("[{}]", members.join(",")))
}

/// A JSON string as Jackson escapes it: `"` and `\`, control characters (`\n`, `\t`, ...,
/// else `\u00XX`); everything else as it is.
pub(super) fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `BigDecimal.valueOf(d).toString()`: Java's shortest digits of the double, laid out by
/// `BigDecimal` (`1.0E+20`, `100.0`, `0.00010`).
fn write_double(d: f64, out: &mut String) {
    let text = crate::expr::cast::format_double(d);
    let (mantissa, exp) = match text.split_once('E') {
        Some((m, e)) => (m, e.parse::<i64>().unwrap_or(0)),
        None => (text.as_str(), 0),
    };
    write_as_big_decimal(mantissa, exp, out);
}

/// The number `mantissa × 10^exp` (`mantissa` a decimal with an optional sign and point) as
/// Java's `BigDecimal.toString` writes it.
pub(super) fn write_as_big_decimal(mantissa: &str, exp: i64, out: &mut String) {
    let neg = mantissa.starts_with('-');
    let fraction = mantissa.split_once('.').map_or(0, |(_, f)| f.len() as i64);
    let all: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let trimmed = all.trim_start_matches('0');
    let digits = if trimmed.is_empty() { "0" } else { trimmed };
    let mut bytes = Vec::new();
    write_big_decimal_digits(
        neg && digits != "0",
        digits.as_bytes(),
        fraction - exp,
        &mut bytes,
    );
    out.push_str(&String::from_utf8_lossy(&bytes));
}

fn write_value(v: &Value, kind: &TypeKind, out: &mut String) {
    match (v, kind) {
        (Value::Null, _) => out.push_str("null"),
        (Value::Boolean(b), _) => out.push_str(if *b { "true" } else { "false" }),
        (Value::Int(i), _) => {
            let _ = write!(out, "{i}");
        }
        (Value::Float(f), _) if !f.is_finite() => write_string(&crate::expr::cast::format_double(*f), out),
        (Value::Float(f), _) => write_double(*f, out),
        (Value::Decimal(d), TypeKind::Decimal { scale, .. }) => {
            let mut bytes = Vec::new();
            crate::java_text::write_big_decimal(*d, i64::from(*scale), &mut bytes);
            out.push_str(&String::from_utf8_lossy(&bytes));
        }
        (Value::String(s), _) => write_string(s, out),
        (Value::Bytes(b), _) => write_string(&encoding::to_base64(b), out),
        (Value::Timestamp(micros), TypeKind::TimestampLtz(_)) => {
            let mut s = String::new();
            crate::temporal::format_timestamp(*micros, 9, true, true, &mut s);
            s.push('Z');
            write_string(&s, out);
        }
        (Value::Timestamp(micros), _) => {
            let mut s = String::new();
            crate::temporal::format_timestamp(*micros, 9, true, true, &mut s);
            write_string(&s, out);
        }
        (Value::Array(items), TypeKind::Array(e) | TypeKind::Multiset(e)) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(item, &e.kind, out);
            }
            out.push(']');
        }
        (Value::Map(entries), TypeKind::Map(_, vt)) => {
            let mut members: Vec<(&str, String)> = Vec::new();
            for (k, val) in entries {
                let mut text = String::new();
                write_value(val, &vt.kind, &mut text);
                let key = k.as_str().unwrap_or("");
                match members.iter_mut().find(|(mk, _)| *mk == key) {
                    Some(m) => m.1 = text,
                    None => members.push((key, text)),
                }
            }
            members.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            write_members(members.iter().map(|(k, t)| (*k, t.as_str())), out);
        }
        (Value::Row(values), TypeKind::Row(fields)) => {
            let mut members: Vec<(&str, String)> = fields
                .iter()
                .zip(values)
                .map(|(f, val)| {
                    let mut text = String::new();
                    write_value(val, &f.ty.kind, &mut text);
                    (f.name.as_str(), text)
                })
                .collect();
            members.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            write_members(members.iter().map(|(k, t)| (*k, t.as_str())), out);
        }
        // Types the binder refuses; written as their text rather than failing.
        (other, _) => write_string(&format!("{other:?}"), out),
    }
}

fn write_members<'a>(members: impl Iterator<Item = (&'a str, &'a str)>, out: &mut String) {
    out.push('{');
    for (i, (k, t)) in members.enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(k, out);
        out.push(':');
        out.push_str(t);
    }
    out.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn double(d: f64) -> String {
        let mut out = String::new();
        write_double(d, &mut out);
        out
    }

    #[test]
    fn doubles_as_big_decimal_value_of() {
        // Flink runs 7 and 8 (JSON_STRING, JSON_ARRAY).
        assert_eq!(double(1.5), "1.5");
        assert_eq!(double(1e20), "1.0E+20");
        assert_eq!(double(f64::from(0.1f32)), "0.10000000149011612");
        assert_eq!(double(1e-7), "1.0E-7");
        assert_eq!(double(12345678.9), "12345678.9");
        assert_eq!(double(0.001), "0.001");
        assert_eq!(double(1e7), "1.0E+7");
        assert_eq!(double(100.0), "100.0");
        assert_eq!(double(0.0), "0.0");
        assert_eq!(double(-0.0), "0.0");
    }

    #[test]
    fn strings_escape_like_jackson() {
        let mut out = String::new();
        write_string("he said \"hi\" é 😀 \\ / <\u{1}\t", &mut out);
        assert_eq!(out, "\"he said \\\"hi\\\" é 😀 \\\\ / <\\u0001\\t\"");
    }
}
