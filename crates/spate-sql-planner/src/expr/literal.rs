//! Literals: numbers (`INT`, `BIGINT`, `DECIMAL(p, s)` with every written digit counted,
//! `DOUBLE` for exponents), strings (`CHAR(n)`), booleans, `DATE`/`TIME`/`TIMESTAMP` literals
//! with the precision written, `INTERVAL`s (milliseconds or months), and the untyped `NULL`.

use super::BoundExpr;
use crate::ast::{Literal, TimeUnit};
use crate::error::{Result, SqlError};
use crate::types::{DataType, TypeKind};
use crate::value::Value;
use crate::{decimal, temporal};

pub(super) fn bind_literal(lit: &Literal) -> Result<BoundExpr> {
    let lit_of = |value: Value, kind: TypeKind| BoundExpr::Literal {
        value,
        ty: DataType::new(kind).not_null(),
    };
    Ok(match lit {
        Literal::Null => BoundExpr::Literal {
            value: Value::Null,
            // Flink's untyped NULL; it takes the type of its context through `coerce`.
            ty: DataType::new(TypeKind::Varchar(1)),
        },
        Literal::Boolean(b) => lit_of(Value::Boolean(*b), TypeKind::Boolean),
        Literal::String(s) => lit_of(
            Value::String(s.clone()),
            TypeKind::Char(s.chars().count().max(1) as u32),
        ),
        Literal::Number(text) => {
            if text.contains(['e', 'E']) {
                let f: f64 = text
                    .parse()
                    .map_err(|_| SqlError::validation(format!("bad number '{text}'"), None))?;
                lit_of(Value::Float(f), TypeKind::Double)
            } else if let Some((int, frac)) = text.split_once('.') {
                let scale = frac.len() as u32;
                // Every digit written counts, leading zeros too (Calcite: `0.5` is DECIMAL(2, 1);
                // Flink run 3: ROUND(-0.5) is DECIMAL(2, 0)).
                let precision = (int.len() as u32 + scale).max(1);
                if precision > 38 {
                    return Err(SqlError::validation(format!("number out of range: {text}"), None));
                }
                let d = decimal::parse(text, 38, scale)
                    .ok_or_else(|| SqlError::validation(format!("number out of range: {text}"), None))?;
                lit_of(Value::Decimal(d), TypeKind::Decimal { precision, scale })
            } else {
                match text.parse::<i64>() {
                    Ok(i) if i32::try_from(i).is_ok() => lit_of(Value::Int(i), TypeKind::Int),
                    Ok(i) => lit_of(Value::Int(i), TypeKind::BigInt),
                    Err(_) => {
                        let d = decimal::parse(text, 38, 0).ok_or_else(|| {
                            SqlError::validation(format!("number out of range: {text}"), None)
                        })?;
                        lit_of(
                            Value::Decimal(d),
                            TypeKind::Decimal {
                                precision: text.trim_start_matches('0').len().clamp(1, 38) as u32,
                                scale: 0,
                            },
                        )
                    }
                }
            }
        }
        Literal::Date(s) => lit_of(
            Value::Date(temporal::parse_date(s).ok_or_else(|| bad_literal("DATE", s))?),
            TypeKind::Date,
        ),
        Literal::Time(s) => {
            let precision = s.split_once('.').map_or(0, |(_, f)| f.trim().len() as u32).min(9);
            lit_of(
                Value::Time(temporal::parse_time(s).ok_or_else(|| bad_literal("TIME", s))?),
                TypeKind::Time(precision),
            )
        }
        Literal::Timestamp(s) => {
            let precision = s.split_once('.').map_or(0, |(_, f)| f.trim().len() as u32).min(9);
            lit_of(
                Value::Timestamp(temporal::parse_timestamp(s).ok_or_else(|| bad_literal("TIMESTAMP", s))?),
                TypeKind::Timestamp(precision),
            )
        }
    })
}

fn bad_literal(what: &str, s: &str) -> SqlError {
    SqlError::validation(format!("invalid {what} literal '{s}'"), None)
}

/// An `INTERVAL 'value' unit [TO unit]` literal (`INTERVAL '5' SECOND`, `INTERVAL '1' DAY`).
/// Day-time intervals are milliseconds, year-month intervals months.
pub fn bind_literal_interval(value: &str, unit: TimeUnit, to: Option<TimeUnit>) -> Result<BoundExpr> {
    let bad = || SqlError::validation(format!("invalid interval '{value}' {}", unit.name()), None);
    let text = value.trim();
    let (neg, text) = match text.strip_prefix('-') {
        Some(t) => (true, t),
        None => (false, text),
    };
    let sign: i64 = if neg { -1 } else { 1 };
    let ms_per = |u: TimeUnit| -> Option<i64> {
        Some(match u {
            TimeUnit::Day => 86_400_000,
            TimeUnit::Hour => 3_600_000,
            TimeUnit::Minute => 60_000,
            TimeUnit::Second => 1000,
            TimeUnit::Millisecond => 1,
            _ => return None,
        })
    };
    let interval = |kind: TypeKind, value: Value| BoundExpr::Literal {
        value,
        ty: DataType::new(kind).not_null(),
    };
    let int = |s: &str| s.trim().parse::<i64>().map_err(|_| bad());
    match (unit, to) {
        (TimeUnit::Year | TimeUnit::Month, _) => {
            let months = match (unit, to) {
                (TimeUnit::Year, Some(TimeUnit::Month)) => {
                    let (y, m) = text.split_once('-').ok_or_else(bad)?;
                    int(y)?.checked_mul(12).and_then(|y| y.checked_add(int(m).ok()?))
                }
                (TimeUnit::Year, None) => int(text)?.checked_mul(12),
                (TimeUnit::Month, None) => Some(int(text)?),
                _ => return Err(bad()),
            };
            let months = months
                .and_then(|m| i32::try_from(sign * m).ok())
                .ok_or_else(bad)?;
            Ok(interval(
                TypeKind::IntervalYearMonth,
                Value::IntervalMonths(months),
            ))
        }
        (u, None) => {
            let per = ms_per(u).ok_or_else(bad)?;
            let millis = if u == TimeUnit::Second {
                let secs: f64 = text.parse().map_err(|_| bad())?;
                let ms = (secs * 1000.0).round();
                if !ms.is_finite() || ms.abs() > 9.0e18 {
                    return Err(bad());
                }
                ms as i64
            } else {
                int(text)?.checked_mul(per).ok_or_else(bad)?
            };
            Ok(interval(
                TypeKind::IntervalDayTime,
                Value::IntervalMillis(sign * millis),
            ))
        }
        (_, Some(_)) => {
            // `'1 10:00:00' DAY TO SECOND` and the like: days, then a time of day.
            let (days, time) = match text.split_once(' ') {
                Some((d, t)) => (int(d)?, t),
                None if unit == TimeUnit::Day => (int(text)?, ""),
                None => (0, text),
            };
            let mut millis = days.checked_mul(86_400_000).ok_or_else(bad)?;
            let units = [3_600_000f64, 60_000.0, 1000.0];
            let start = match unit {
                TimeUnit::Day | TimeUnit::Hour => 0,
                TimeUnit::Minute => 1,
                _ => 2,
            };
            if !time.is_empty() {
                let mut parts = time.split(':');
                for per in &units[start..] {
                    match parts.next() {
                        Some(p) => {
                            let v = p.parse::<f64>().map_err(|_| bad())? * per;
                            if !v.is_finite() || v.abs() > 9.0e15 {
                                return Err(bad());
                            }
                            millis = millis.checked_add(v.round() as i64).ok_or_else(bad)?;
                        }
                        None => break,
                    }
                }
                if parts.next().is_some() {
                    return Err(bad());
                }
            }
            Ok(interval(
                TypeKind::IntervalDayTime,
                Value::IntervalMillis(sign * millis),
            ))
        }
    }
}

/// The milliseconds of a constant day-time interval expression (window sizes, gaps, offsets,
/// watermark delays).
#[allow(dead_code)] // The planner reads window sizes with it.
pub(crate) fn interval_millis(e: &BoundExpr) -> Option<i64> {
    match e.as_literal() {
        Some(Value::IntervalMillis(ms)) => Some(*ms),
        _ => None,
    }
}
