//! `CAST` between Flink's types, value by value, with Flink 2.3's results: integers narrow by
//! wrapping (Java's casts), fractions truncate toward zero when cast to an integer, a `DECIMAL`
//! that does not fit its precision is `NULL`, a string that does not parse is an error
//! (`TRY_CAST` turns it into `NULL`), and values print as Flink prints them (`TRUE`, `1.0E10`,
//! `2026-11-01 08:01:00.000`).
//!
//! The binder only builds casts that [`can_cast`](super::typing::can_cast) allows, so an
//! unsupported pair here is an internal mismatch reported as an error, never a panic.

use super::context::EvalError;
use super::typing::{decimal_scale, is_integer};
use crate::types::{DataType, TypeKind};
use crate::value::Value;
use crate::zone::{Overlap, SessionZone};
use crate::{decimal, temporal};

type Result<T> = std::result::Result<T, EvalError>;

/// Whether casting any value of type `from` to `to` returns it unchanged: integer widening, a
/// VARCHAR at least as long, a timestamp at least as precise, or the same type (a nullability
/// change). Such casts (Flink adds them to conform a query to its sink) are skipped at run time.
pub(crate) fn preserves_values(from: &TypeKind, to: &TypeKind) -> bool {
    fn int_rank(k: &TypeKind) -> Option<u8> {
        Some(match k {
            TypeKind::TinyInt => 1,
            TypeKind::SmallInt => 2,
            TypeKind::Int => 3,
            TypeKind::BigInt => 4,
            _ => return None,
        })
    }
    match (from, to) {
        _ if from == to => true,
        (TypeKind::Varchar(a), TypeKind::Varchar(b)) => a <= b,
        (TypeKind::Timestamp(a), TypeKind::Timestamp(b))
        | (TypeKind::TimestampLtz(a), TypeKind::TimestampLtz(b)) => a <= b,
        _ => matches!((int_rank(from), int_rank(to)), (Some(a), Some(b)) if a <= b),
    }
}

/// [`preserves_values`], and also, in a UTC session, the casts between `TIMESTAMP` and
/// `TIMESTAMP_LTZ` that keep the precision (a window over a `TIMESTAMP_LTZ` rowtime has a
/// `TIMESTAMP` `window_start` that a sink's `TIMESTAMP_LTZ` column casts back).
pub(crate) fn preserves_values_in(from: &TypeKind, to: &TypeKind, zone: SessionZone) -> bool {
    preserves_values(from, to)
        || (zone.is_utc()
            && matches!((from, to),
                (TypeKind::Timestamp(a), TypeKind::TimestampLtz(b))
                | (TypeKind::TimestampLtz(a), TypeKind::Timestamp(b)) if a <= b))
}

/// Converts a value of type `from` to type `to` (`NULL` stays `NULL`); `TIMESTAMP_LTZ` values
/// become wall-clock times (and back) in `zone`, as Flink's casts use `table.local-time-zone`.
pub fn cast(v: &Value, from: &DataType, to: &DataType, zone: SessionZone) -> Result<Value> {
    let fail = || {
        EvalError(format!(
            "cannot cast {} '{}' to {}",
            from.kind,
            to_text(v, from, zone),
            to.kind
        ))
    };
    let k = &to.kind;
    let from_ltz = matches!(from.kind, TypeKind::TimestampLtz(_));
    // A wall-clock time read into TIMESTAMP_LTZ: the earlier instant in an overlap (`atZone`).
    let to_instant = |local: i64| match k {
        TypeKind::TimestampLtz(_) => zone.to_utc(local, Overlap::Earlier),
        _ => local,
    };
    Ok(match (k, v) {
        (_, Value::Null) => Value::Null,
        (TypeKind::Varchar(n), v) => Value::String(truncate_chars(to_text(v, from, zone), *n)),
        (TypeKind::Char(n), v) => Value::String(pad_chars(truncate_chars(to_text(v, from, zone), *n), *n)),
        (k, Value::Int(i)) if is_integer(k) => wrap_int(*i, k),
        (k, Value::Float(f)) if is_integer(k) => wrap_int(float_to_integer(*f, k), k),
        (k, Value::Decimal(d)) if is_integer(k) => {
            let whole = *d / decimal::pow10(decimal_scale(&from.kind));
            wrap_int(whole as i64, k)
        }
        (k, Value::Boolean(b)) if is_integer(k) => Value::Int(i64::from(*b)),
        (k, Value::String(s)) if is_integer(k) => {
            let i = parse_integer(s.trim(), k).ok_or_else(fail)?;
            Value::Int(i)
        }
        (k, Value::Timestamp(t)) if is_integer(k) => wrap_int(t.div_euclid(temporal::MICROS_PER_SECOND), k),
        (TypeKind::Double, Value::Int(i)) => Value::Float(*i as f64),
        (TypeKind::Float, Value::Int(i)) => Value::Float(f64::from(*i as f32)),
        (TypeKind::Double, Value::Float(f)) => Value::Float(*f),
        (TypeKind::Float, Value::Float(f)) => Value::Float(f64::from(*f as f32)),
        (TypeKind::Double | TypeKind::Float, Value::Decimal(d)) => {
            let f = decimal::to_f64(*d, decimal_scale(&from.kind));
            Value::Float(if *k == TypeKind::Float {
                f64::from(f as f32)
            } else {
                f
            })
        }
        (TypeKind::Double | TypeKind::Float, Value::Boolean(b)) => Value::Float(f64::from(u8::from(*b))),
        (TypeKind::Double | TypeKind::Float, Value::String(s)) => {
            let f = parse_double(s.trim()).ok_or_else(fail)?;
            Value::Float(if *k == TypeKind::Float {
                f64::from(f as f32)
            } else {
                f
            })
        }
        (TypeKind::Decimal { precision, scale }, v) => {
            let (p, s) = (*precision, *scale);
            let d = match v {
                Value::Int(i) => decimal::rescale(i128::from(*i), 0, s),
                Value::Decimal(d) => decimal::rescale(*d, decimal_scale(&from.kind), s),
                Value::Float(f) => decimal::from_f64(*f, 38, s),
                Value::Boolean(b) => decimal::rescale(i128::from(*b), 0, s),
                Value::String(st) => {
                    // A number too big for its precision is NULL; text that is no number fails.
                    let t = st.trim();
                    if decimal::parse(t, 38, 0).is_none() && parse_double(t).is_none() {
                        return Err(fail());
                    }
                    decimal::parse(t, 38, s)
                }
                _ => return Err(fail()),
            };
            d.filter(|d| decimal::fits(*d, p))
                .map_or(Value::Null, Value::Decimal)
        }
        (TypeKind::Boolean, Value::Boolean(b)) => Value::Boolean(*b),
        (TypeKind::Boolean, Value::Int(i)) => Value::Boolean(*i != 0),
        (TypeKind::Boolean, Value::Decimal(d)) => Value::Boolean(*d != 0),
        (TypeKind::Boolean, Value::Float(f)) => Value::Boolean(*f != 0.0),
        (TypeKind::Boolean, Value::String(s)) => Value::Boolean(parse_bool(s).ok_or_else(fail)?),
        (TypeKind::TimestampLtz(p), Value::Timestamp(t)) if !from_ltz => {
            Value::Timestamp(truncate_micros(zone.to_utc(*t, Overlap::Earlier), *p))
        }
        (TypeKind::Timestamp(p), Value::Timestamp(t)) if from_ltz => {
            Value::Timestamp(truncate_micros(zone.to_local(*t), *p))
        }
        (TypeKind::Timestamp(p) | TypeKind::TimestampLtz(p), Value::Timestamp(t)) => {
            Value::Timestamp(truncate_micros(*t, *p))
        }
        (TypeKind::Timestamp(p) | TypeKind::TimestampLtz(p), Value::String(s)) => {
            let t = temporal::parse_timestamp_strict(s).ok_or_else(fail)?;
            Value::Timestamp(truncate_micros(to_instant(t), *p))
        }
        (TypeKind::Timestamp(_) | TypeKind::TimestampLtz(_), Value::Date(d)) => {
            Value::Timestamp(to_instant(i64::from(*d) * temporal::MICROS_PER_DAY))
        }
        (TypeKind::Timestamp(_) | TypeKind::TimestampLtz(_), Value::Time(n)) => {
            Value::Timestamp(to_instant(n / 1000))
        }
        (TypeKind::TimestampLtz(p), Value::Int(secs)) => Value::Timestamp(truncate_micros(
            secs.checked_mul(temporal::MICROS_PER_SECOND).ok_or_else(fail)?,
            *p,
        )),
        (TypeKind::TimestampLtz(p), Value::Decimal(_) | Value::Float(_)) => {
            let secs = match v {
                Value::Decimal(d) => decimal::to_f64(*d, decimal_scale(&from.kind)),
                Value::Float(f) => *f,
                _ => return Err(fail()),
            };
            let micros = secs * 1e6;
            if !micros.is_finite() || micros.abs() > 9.2e18 {
                return Err(fail());
            }
            Value::Timestamp(truncate_micros(micros as i64, *p))
        }
        (TypeKind::Date, Value::Timestamp(t)) => {
            let t = if from_ltz { zone.to_local(*t) } else { *t };
            Value::Date(t.div_euclid(temporal::MICROS_PER_DAY) as i32)
        }
        (TypeKind::Date, Value::String(s)) => Value::Date(temporal::parse_date(s).ok_or_else(fail)?),
        (TypeKind::Time(p), Value::Timestamp(t)) => {
            let t = if from_ltz { zone.to_local(*t) } else { *t };
            Value::Time(truncate_nanos(t.rem_euclid(temporal::MICROS_PER_DAY) * 1000, *p))
        }
        (TypeKind::Time(p), Value::String(s)) => {
            Value::Time(truncate_nanos(temporal::parse_time(s).ok_or_else(fail)?, *p))
        }
        (TypeKind::Time(p), Value::Time(n)) => Value::Time(truncate_nanos(*n, *p)),
        (TypeKind::Binary(_) | TypeKind::Varbinary(_), Value::String(s)) => {
            Value::Bytes(s.as_bytes().to_vec())
        }
        (TypeKind::Binary(_) | TypeKind::Varbinary(_), Value::Bytes(b)) => Value::Bytes(b.clone()),
        (TypeKind::Array(to_el), Value::Array(items)) => {
            let from_el = match &from.kind {
                TypeKind::Array(t) => t,
                _ => return Err(fail()),
            };
            let items = items
                .iter()
                .map(|i| cast(i, from_el, to_el, zone))
                .collect::<Result<_>>()?;
            Value::Array(items)
        }
        (TypeKind::Map(to_key, to_value), Value::Map(entries)) => {
            let TypeKind::Map(from_key, from_value) = &from.kind else {
                return Err(fail());
            };
            let entries = entries
                .iter()
                .map(|(k, v)| {
                    Ok((
                        cast(k, from_key, to_key, zone)?,
                        cast(v, from_value, to_value, zone)?,
                    ))
                })
                .collect::<Result<_>>()?;
            Value::Map(entries)
        }
        _ if from.kind == to.kind => v.clone(),
        _ => return Err(fail()),
    })
}

/// An integer wrapped into its type's range, as Java's fixed-width arithmetic and casts do.
pub fn wrap_int(i: i64, k: &TypeKind) -> Value {
    Value::Int(wrap_i64(i, k))
}

/// [`wrap_int`]'s integer.
#[inline]
pub fn wrap_i64(i: i64, k: &TypeKind) -> i64 {
    match k {
        TypeKind::TinyInt => i64::from(i as i8),
        TypeKind::SmallInt => i64::from(i as i16),
        TypeKind::Int => i64::from(i as i32),
        _ => i,
    }
}

/// Java's `(long) d` for `BIGINT`, `(int) d` (then narrowed) for the smaller types: toward
/// zero, saturating, NaN is 0.
fn float_to_integer(f: f64, k: &TypeKind) -> i64 {
    // Rust's `as` saturates and maps NaN to 0, exactly Java's rule.
    if *k == TypeKind::BigInt {
        f as i64
    } else {
        i64::from(f as i32)
    }
}

/// An integer from text, in the target type's range; `None` when it is not one. A fraction
/// is dropped (Flink run 1: `CAST('1.5' AS INT)` is 1).
fn parse_integer(s: &str, k: &TypeKind) -> Option<i64> {
    let s = match s.split_once('.') {
        Some((int, frac)) if !int.is_empty() && frac.bytes().all(|b| b.is_ascii_digit()) => int,
        _ => s,
    };
    let i: i64 = s.strip_prefix('+').unwrap_or(s).parse().ok()?;
    let fits = match k {
        TypeKind::TinyInt => i8::try_from(i).is_ok(),
        TypeKind::SmallInt => i16::try_from(i).is_ok(),
        TypeKind::Int => i32::try_from(i).is_ok(),
        _ => true,
    };
    fits.then_some(i)
}

/// A double from text as Java's `Double.parseDouble` reads it (also `NaN`, `Infinity`, and
/// the `d`/`f` suffixes): one grammar for casts and formats, in [`crate::java_text`].
pub(crate) fn parse_double(s: &str) -> Option<f64> {
    crate::java_text::parse_java_double(s)
}

/// Flink's text to boolean (`BinaryStringDataUtil.toBoolean`): case-insensitive
/// `t/true/y/yes/1` and `f/false/n/no/0`, not trimmed (Flink run 2: `'  true '` fails).
pub(crate) fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "t" | "true" | "y" | "yes" | "1" => Some(true),
        "f" | "false" | "n" | "no" | "0" => Some(false),
        _ => None,
    }
}

/// Microseconds truncated to `precision` fractional digits.
pub(crate) fn truncate_micros(t: i64, precision: u32) -> i64 {
    if precision >= 6 {
        t
    } else {
        let unit = 10i64.pow(6 - precision);
        t.div_euclid(unit) * unit
    }
}

fn truncate_nanos(t: i64, precision: u32) -> i64 {
    let unit = 10i64.pow(9 - precision.min(9));
    t.div_euclid(unit) * unit
}

fn truncate_chars(s: String, n: u32) -> String {
    match s.char_indices().nth(n as usize) {
        Some((at, _)) => s[..at].to_string(),
        None => s,
    }
}

fn pad_chars(mut s: String, n: u32) -> String {
    let len = s.chars().count();
    for _ in len..n as usize {
        s.push(' ');
    }
    s
}

/// A value as `CAST(v AS STRING)` writes it (`TIMESTAMP_LTZ` in `zone`).
pub fn to_text(v: &Value, ty: &DataType, zone: SessionZone) -> String {
    let mut out = String::new();
    write_text(v, &ty.kind, zone, &mut out);
    out
}

fn write_text(v: &Value, k: &TypeKind, zone: SessionZone, out: &mut String) {
    use std::fmt::Write;
    match (v, k) {
        (Value::Null, _) => out.push_str("NULL"),
        (Value::String(s), _) => out.push_str(s),
        (Value::Int(i), _) => {
            let _ = write!(out, "{i}");
        }
        (Value::Boolean(b), _) => out.push_str(if *b { "TRUE" } else { "FALSE" }),
        (Value::Float(f), TypeKind::Float) => out.push_str(&format_float(*f as f32)),
        (Value::Float(f), _) => out.push_str(&format_double(*f)),
        (Value::Decimal(d), k) => decimal::format(*d, decimal_scale(k), out),
        (Value::Timestamp(t), TypeKind::TimestampLtz(p)) => {
            temporal::format_timestamp(zone.to_local(*t), *p, false, false, out)
        }
        (Value::Timestamp(t), TypeKind::Timestamp(p)) => {
            temporal::format_timestamp(*t, *p, false, false, out)
        }
        (Value::Timestamp(t), _) => temporal::format_timestamp(*t, 6, false, false, out),
        (Value::Date(d), _) => temporal::format_date(*d, out),
        // Flink 2.3 trims the fraction's trailing zeros but keeps one digit: `01:02:03.0`,
        // `12:00:00.5` for a TIME(3) (the conformance probes of 2026-11-26).
        (Value::Time(t), TypeKind::Time(p)) if *p > 0 => {
            let start = out.len();
            temporal::format_time_nanos(*t, *p, true, out);
            if !out[start..].contains('.') {
                out.push_str(".0");
            }
        }
        (Value::Time(t), TypeKind::Time(p)) => temporal::format_time_nanos(*t, *p, false, out),
        (Value::Time(t), _) => temporal::format_time_nanos(*t, 0, false, out),
        (Value::Bytes(b), _) => out.push_str(&String::from_utf8_lossy(b)),
        (Value::IntervalMillis(ms), _) => format_interval_millis(*ms, out),
        (Value::IntervalMonths(m), _) => {
            let sign = if *m < 0 { '-' } else { '+' };
            let _ = write!(
                out,
                "{sign}{}-{:02}",
                m.unsigned_abs() / 12,
                m.unsigned_abs() % 12
            );
        }
        (Value::Array(items), k) => {
            let el = match k {
                TypeKind::Array(t) | TypeKind::Multiset(t) => Some(&t.kind),
                _ => None,
            };
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_text(item, el.unwrap_or(&TypeKind::Varchar(1)), zone, out);
            }
            out.push(']');
        }
        (Value::Map(entries), k) => {
            let (kt, vt) = match k {
                TypeKind::Map(a, b) => (a.kind.clone(), b.kind.clone()),
                _ => (TypeKind::Varchar(1), TypeKind::Varchar(1)),
            };
            out.push('{');
            for (i, (key, val)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_text(key, &kt, zone, out);
                out.push('=');
                write_text(val, &vt, zone, out);
            }
            out.push('}');
        }
        (Value::Row(fields), k) => {
            out.push('(');
            for (i, f) in fields.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                let fk = match k {
                    TypeKind::Row(fs) => fs.get(i).map(|f| f.ty.kind.clone()),
                    _ => None,
                };
                write_text(f, &fk.unwrap_or(TypeKind::Varchar(1)), zone, out);
            }
            out.push(')');
        }
    }
}

/// `+d hh:mm:ss.fff`, Flink's text form of a day-time interval.
fn format_interval_millis(ms: i64, out: &mut String) {
    use std::fmt::Write;
    let sign = if ms < 0 { '-' } else { '+' };
    let a = ms.unsigned_abs();
    let (days, rest) = (a / 86_400_000, a % 86_400_000);
    let _ = write!(
        out,
        "{sign}{days} {:02}:{:02}:{:02}.{:03}",
        rest / 3_600_000,
        rest / 60_000 % 60,
        rest / 1000 % 60,
        rest % 1000
    );
}

/// A double as Java's `Double.toString` writes it (`1.0`, `0.5`, `1.0E10`, `1.0E-4`).
pub(crate) fn format_double(f: f64) -> String {
    let mut out = Vec::with_capacity(24);
    crate::java_text::write_double(f, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// A float as Java's `Float.toString` writes it (shortest digits of the `f32`).
pub(crate) fn format_float(f: f32) -> String {
    let mut out = Vec::with_capacity(24);
    crate::java_text::write_float(f64::from(f), &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_print_as_java() {
        assert_eq!(format_double(1.0), "1.0");
        assert_eq!(format_double(0.5), "0.5");
        assert_eq!(format_double(1e10), "1.0E10");
        assert_eq!(format_double(1e7), "1.0E7");
        assert_eq!(format_double(1234567.0), "1234567.0");
        assert_eq!(format_double(0.0001), "1.0E-4");
        assert_eq!(format_double(0.001), "0.001");
        assert_eq!(format_double(1.0 / 3.0), "0.3333333333333333");
        assert_eq!(format_double(-12.5), "-12.5");
        assert_eq!(format_double(123.0), "123.0");
        assert_eq!(format_float(0.1), "0.1");
        assert_eq!(format_float(1.5), "1.5");
    }

    #[test]
    fn casts_between_numbers() {
        let int = DataType::new(TypeKind::Int);
        let tiny = DataType::new(TypeKind::TinyInt);
        assert_eq!(
            cast(&Value::Int(300), &int, &tiny, SessionZone::UTC),
            Ok(Value::Int(44))
        );
        let d = DataType::new(TypeKind::Decimal {
            precision: 4,
            scale: 2,
        });
        let d3 = DataType::new(TypeKind::Decimal {
            precision: 5,
            scale: 3,
        });
        assert_eq!(
            cast(&Value::Decimal(12345), &d3, &d, SessionZone::UTC),
            Ok(Value::Decimal(1235))
        );
        assert_eq!(
            cast(&Value::Decimal(-1700), &d3, &int, SessionZone::UTC),
            Ok(Value::Int(-1))
        );
        let s = DataType::new(TypeKind::Varchar(10));
        assert!(cast(&Value::String("abc".into()), &s, &int, SessionZone::UTC).is_err());
        assert_eq!(
            cast(&Value::String(" 12 ".into()), &s, &int, SessionZone::UTC),
            Ok(Value::Int(12))
        );
    }
}
