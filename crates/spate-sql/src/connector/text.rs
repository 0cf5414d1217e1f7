//! Values as Flink's `print` connector prints them: the Java `toString` of each value's
//! external class (`LocalDateTime`, `Instant`, `BigDecimal`, `Double`, ...), rows as
//! `+I[a, b]`.
//!
//! Checked against Flink 2.3 (a `print` table fed by `VALUES`, /tmp/conn-probe/probe1.sql):
//! `+I[1, foo, 2026-11-01T08:01, 12.50, true, 2026-11-01, 08:01:02, 1.5, 10000000000, [1, 2],
//! {k=1}, +I[1, x], 2026-01-01T00:00:00.123Z, [1, 2, -1], 2026-11-01T08:01:02.120,
//! 2026-11-01T08:01:02.123456, 0.1]` and `1.0E20`, `1.0E10` (FLOAT), `null`.

use std::fmt::Write as _;

use crate::temporal;
use crate::types::{DataType, TypeKind};
use crate::value::{RowKind, Value};

/// Appends `+I[v1, v2, ...]` for a row of values of `types`.
pub(crate) fn write_row(kind: RowKind, values: &[Value], types: &[DataType], out: &mut String) {
    out.push_str(kind.short_string());
    out.push('[');
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        match types.get(i) {
            Some(ty) => write_value(v, ty, out),
            None => out.push('?'),
        }
    }
    out.push(']');
}

/// Appends one value of type `ty`.
pub(crate) fn write_value(v: &Value, ty: &DataType, out: &mut String) {
    match (v, &ty.kind) {
        (Value::Null, _) => out.push_str("null"),
        (Value::Boolean(b), _) => {
            let _ = write!(out, "{b}");
        }
        (Value::Int(i), _) => {
            let _ = write!(out, "{i}");
        }
        (Value::Float(f), TypeKind::Float) => java_float(*f, true, out),
        (Value::Float(f), _) => java_float(*f, false, out),
        (Value::Decimal(d), TypeKind::Decimal { scale, .. }) => crate::decimal::format(*d, *scale, out),
        (Value::Decimal(d), _) => crate::decimal::format(*d, 0, out),
        (Value::String(s), _) => out.push_str(s),
        (Value::Bytes(b), _) => {
            out.push('[');
            for (i, byte) in b.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                let _ = write!(out, "{}", *byte as i8);
            }
            out.push(']');
        }
        (Value::Date(d), _) => temporal::format_date(*d, out),
        (Value::Time(nanos), _) => java_local_time(*nanos, out),
        (Value::Timestamp(micros), TypeKind::TimestampLtz(_)) => {
            let days = micros.div_euclid(MICROS_PER_DAY);
            temporal::format_date(days as i32, out);
            out.push('T');
            let nanos = micros.rem_euclid(MICROS_PER_DAY) * 1000;
            let secs = nanos / 1_000_000_000;
            let _ = write!(out, "{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
            java_fraction(nanos % 1_000_000_000, out);
            out.push('Z');
        }
        (Value::Timestamp(micros), _) => {
            let days = micros.div_euclid(MICROS_PER_DAY);
            temporal::format_date(days as i32, out);
            out.push('T');
            java_local_time(micros.rem_euclid(MICROS_PER_DAY) * 1000, out);
        }
        (Value::IntervalMillis(ms), _) => java_duration(*ms, out),
        (Value::IntervalMonths(m), _) => {
            // java.time.Period: P1Y2M, P0D for zero.
            let (y, mo) = (m / 12, m % 12);
            out.push('P');
            if y != 0 {
                let _ = write!(out, "{y}Y");
            }
            if mo != 0 {
                let _ = write!(out, "{mo}M");
            }
            if *m == 0 {
                out.push_str("0D");
            }
        }
        (Value::Array(items), TypeKind::Multiset(elem)) => {
            // A multiset is a Map<element, count> in Java.
            let mut counts: Vec<(&Value, u64)> = Vec::new();
            for item in items {
                match counts.iter_mut().find(|(v, _)| *v == item) {
                    Some((_, n)) => *n += 1,
                    None => counts.push((item, 1)),
                }
            }
            out.push('{');
            for (i, (item, n)) in counts.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(item, elem, out);
                let _ = write!(out, "={n}");
            }
            out.push('}');
        }
        (Value::Array(items), kind) => {
            let elem = match kind {
                TypeKind::Array(e) => Some(e.as_ref()),
                _ => None,
            };
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_nested(item, elem, out);
            }
            out.push(']');
        }
        (Value::Map(entries), kind) => {
            let (k_ty, v_ty) = match kind {
                TypeKind::Map(k, v) => (Some(k.as_ref()), Some(v.as_ref())),
                _ => (None, None),
            };
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_nested(k, k_ty, out);
                out.push('=');
                write_nested(v, v_ty, out);
            }
            out.push('}');
        }
        (Value::Row(fields), kind) => {
            let types: Vec<DataType> = match kind {
                TypeKind::Row(fs) => fs.iter().map(|f| f.ty.clone()).collect(),
                _ => Vec::new(),
            };
            out.push_str("+I[");
            for (i, f) in fields.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_nested(f, types.get(i), out);
            }
            out.push(']');
        }
    }
}

fn write_nested(v: &Value, ty: Option<&DataType>, out: &mut String) {
    match ty {
        Some(ty) => write_value(v, ty, out),
        None => write_value(v, &DataType::new(TypeKind::BigInt), out),
    }
}

const MICROS_PER_DAY: i64 = 86_400_000_000;

/// `java.time.LocalTime.toString`: `HH:mm`, then `:ss` unless seconds and fraction are zero,
/// then the fraction in groups of three digits.
fn java_local_time(nanos_of_day: i64, out: &mut String) {
    let secs = nanos_of_day / 1_000_000_000;
    let nanos = nanos_of_day % 1_000_000_000;
    let _ = write!(out, "{:02}:{:02}", secs / 3600, secs / 60 % 60);
    if secs % 60 != 0 || nanos != 0 {
        let _ = write!(out, ":{:02}", secs % 60);
        java_fraction(nanos, out);
    }
}

/// `.SSS`, `.SSSSSS` or `.SSSSSSSSS`: as few groups of three as the value needs (none for 0).
fn java_fraction(nanos: i64, out: &mut String) {
    if nanos == 0 {
    } else if nanos % 1_000_000 == 0 {
        let _ = write!(out, ".{:03}", nanos / 1_000_000);
    } else if nanos % 1000 == 0 {
        let _ = write!(out, ".{:06}", nanos / 1000);
    } else {
        let _ = write!(out, ".{nanos:09}");
    }
}

/// `java.time.Duration.toString`: `PT8H6M12.345S`, `PT0S` for zero.
fn java_duration(ms: i64, out: &mut String) {
    if ms == 0 {
        out.push_str("PT0S");
        return;
    }
    out.push_str("PT");
    let neg = ms < 0;
    let abs = ms.unsigned_abs();
    let (h, m, s, frac) = (abs / 3_600_000, abs / 60_000 % 60, abs / 1000 % 60, abs % 1000);
    let sign = if neg { "-" } else { "" };
    if h != 0 {
        let _ = write!(out, "{sign}{h}H");
    }
    if m != 0 {
        let _ = write!(out, "{sign}{m}M");
    }
    if s != 0 || frac != 0 {
        let _ = write!(out, "{sign}{s}");
        if frac != 0 {
            let f = format!("{frac:03}");
            let _ = write!(out, ".{}", f.trim_end_matches('0'));
        }
        out.push('S');
    }
}

/// `Double.toString` / `Float.toString`: the shortest digits that read back, plain between
/// 10^-3 and 10^7 (`1.5`, `100.0`), else `d.dddE±n` (`1.0E20`, `1.0E-5`).
pub(crate) fn java_float(v: f64, single: bool, out: &mut String) {
    if v.is_nan() {
        out.push_str("NaN");
        return;
    }
    if v.is_infinite() {
        out.push_str(if v > 0.0 { "Infinity" } else { "-Infinity" });
        return;
    }
    if v.is_sign_negative() {
        out.push('-');
    }
    let abs = v.abs();
    if abs == 0.0 {
        out.push_str("0.0");
        return;
    }
    // Shortest round-trip digits and exponent, of the f32 for FLOAT.
    let sci = if single {
        format!("{:e}", abs as f32)
    } else {
        format!("{abs:e}")
    };
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if (1e-3..1e7).contains(&abs) {
        if exp >= 0 {
            let int_len = exp as usize + 1;
            let (int, frac) = if digits.len() > int_len {
                (digits[..int_len].to_string(), digits[int_len..].to_string())
            } else {
                (format!("{digits:0<int_len$}"), String::new())
            };
            let _ = write!(out, "{int}.{}", if frac.is_empty() { "0" } else { &frac });
        } else {
            let zeros = (-exp - 1) as usize;
            let _ = write!(out, "0.{}{digits}", "0".repeat(zeros));
        }
    } else {
        let (first, rest) = digits.split_at(1);
        let _ = write!(out, "{first}.{}E{exp}", if rest.is_empty() { "0" } else { rest });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(v: f64, single: bool) -> String {
        let mut s = String::new();
        java_float(v, single, &mut s);
        s
    }

    #[test]
    fn floats_print_as_java_does() {
        // Flink 2.3 printed 1.5, 1.0E20 (DOUBLE) and 0.1, 1.0E10 (FLOAT).
        assert_eq!(f(1.5, false), "1.5");
        assert_eq!(f(1e20, false), "1.0E20");
        assert_eq!(f(0.1f32 as f64, true), "0.1");
        assert_eq!(f(1e10, true), "1.0E10");
        // Java's Double.toString rules.
        assert_eq!(f(100.0, false), "100.0");
        assert_eq!(f(1234567.0, false), "1234567.0");
        assert_eq!(f(12345678.0, false), "1.2345678E7");
        assert_eq!(f(0.001, false), "0.001");
        assert_eq!(f(0.0001, false), "1.0E-4");
        assert_eq!(f(-2.25, false), "-2.25");
        assert_eq!(f(0.0, false), "0.0");
        assert_eq!(f(f64::NAN, false), "NaN");
    }

    #[test]
    fn times_print_as_java_time_does() {
        let mut s = String::new();
        java_local_time((8 * 3600 + 60) * 1_000_000_000, &mut s);
        assert_eq!(s, "08:01");
        s.clear();
        java_local_time((8 * 3600 + 60 + 2) * 1_000_000_000 + 120_000_000, &mut s);
        assert_eq!(s, "08:01:02.120");
        s.clear();
        java_duration(3_723_500, &mut s);
        assert_eq!(s, "PT1H2M3.5S");
    }
}
