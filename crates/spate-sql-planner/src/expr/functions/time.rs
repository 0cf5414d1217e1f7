//! Date and time functions. Timestamps are microseconds, dates days, times nanoseconds (see
//! [`crate::value`]); a `TIMESTAMP_LTZ` is an instant, read as a wall-clock time of the session
//! zone (`table.local-time-zone`) where Flink reads it so: `DATE_FORMAT`, `EXTRACT`/`HOUR`,
//! `FLOOR`/`CEIL`, `FROM_UNIXTIME`, and `UNIX_TIMESTAMP`'s parsing. `TO_TIMESTAMP` is
//! zone-less and `TO_TIMESTAMP_LTZ(string)` reads the text as UTC, as in Flink. Parsing
//! functions give `NULL` on text that does not parse (`UNIX_TIMESTAMP` gives `Long.MIN_VALUE`,
//! as Flink does); week-based results follow Flink: `DAYOFWEEK` is 1 for Sunday, `WEEK` is the ISO week,
//! `FLOOR(.. TO WEEK)` goes back to Sunday.

use super::{Arg, Call, datefmt};
use crate::ast::TimeUnit;
use crate::error::Result;
use crate::expr::BoundExpr;
use crate::expr::context::EvalError;
use crate::expr::func::ScalarFunc;
use crate::temporal::{self, MICROS_PER_DAY, MICROS_PER_SECOND, civil_from_days, days_from_civil};
use crate::types::{DataType, MAX_LENGTH, TypeKind};
use crate::value::Value;
use crate::zone::{Overlap, SessionZone};

/// A date/time function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeFunc {
    /// `DATE_FORMAT(ts or string, pattern)`.
    DateFormat,
    /// `TO_TIMESTAMP(s[, pattern])` → `TIMESTAMP(3)`; also `TO_TIMESTAMP_LTZ(s[, pattern[,
    /// zone]])` (the text read as a wall-clock time of `zone`, UTC without one).
    ToTimestamp,
    /// `TO_TIMESTAMP_LTZ(n[, precision])`: epoch seconds (precision 0) or milliseconds (3).
    ToTimestampLtz,
    /// `FROM_UNIXTIME(seconds[, pattern])` → string.
    FromUnixtime,
    /// `UNIX_TIMESTAMP(s[, pattern])` → epoch seconds.
    UnixTimestamp,
    /// `TO_DATE(s[, pattern])`.
    ToDate,
    /// `EXTRACT(unit FROM x)` and `YEAR(x)`, `HOUR(x)`, ... → `BIGINT`.
    Extract(TimeUnit),
    /// `FLOOR(x TO unit)` / `CEIL(x TO unit)`.
    FloorCeil {
        /// `CEIL`.
        ceil: bool,
        /// The unit.
        unit: TimeUnit,
    },
    /// `TIMESTAMPADD(unit, n, x)`: arguments `n, x`.
    TimestampAdd(TimeUnit),
    /// `TIMESTAMPDIFF(unit, a, b)`: whole units from `a` to `b`.
    TimestampDiff(TimeUnit),
    /// `CONVERT_TZ(s, from, to)`: a `yyyy-MM-dd HH:mm:ss` text read in zone `from` and written
    /// in zone `to` (zones as `java.util.TimeZone` reads them).
    ConvertTz,
}

impl TimeFunc {
    /// All time functions are strict.
    pub fn is_strict(&self) -> bool {
        true
    }
}

/// The names bound here.
pub(super) const NAMES: &[&str] = &[
    "DATE_FORMAT",
    "TO_TIMESTAMP",
    "TO_TIMESTAMP_LTZ",
    "FROM_UNIXTIME",
    "UNIX_TIMESTAMP",
    "TO_DATE",
    "YEAR",
    "QUARTER",
    "MONTH",
    "WEEK",
    "DAYOFYEAR",
    "DAYOFMONTH",
    "DAYOFWEEK",
    "HOUR",
    "MINUTE",
    "SECOND",
    "TIMESTAMPADD",
    "TIMESTAMPDIFF",
    "CURRENT_TIMESTAMP",
    "LOCALTIMESTAMP",
    "CURRENT_DATE",
    "CURRENT_TIME",
    "LOCALTIME",
    "NOW",
    "PROCTIME",
    "CURRENT_WATERMARK",
    "CURRENT_ROW_TIMESTAMP",
    "CONVERT_TZ",
];

fn string() -> TypeKind {
    TypeKind::Varchar(MAX_LENGTH)
}

fn unit_arg(c: &Call) -> Option<TimeUnit> {
    match c.args.first() {
        Some(BoundExpr::Literal {
            value: Value::String(u),
            ..
        }) => unit_from_name(u),
        _ => None,
    }
}

/// The unit a `TIMESTAMPADD`/`TIMESTAMPDIFF` literal names (the binder passes units as string
/// literals).
pub(crate) fn unit_from_name(u: &str) -> Option<TimeUnit> {
    Some(match u {
        "YEAR" => TimeUnit::Year,
        "QUARTER" => TimeUnit::Quarter,
        "MONTH" => TimeUnit::Month,
        "WEEK" => TimeUnit::Week,
        "DAY" => TimeUnit::Day,
        "HOUR" => TimeUnit::Hour,
        "MINUTE" => TimeUnit::Minute,
        "SECOND" => TimeUnit::Second,
        "MILLISECOND" => TimeUnit::Millisecond,
        "MICROSECOND" => TimeUnit::Microsecond,
        _ => return None,
    })
}

fn now(c: Call, f: ScalarFunc, kind: TypeKind) -> Result<BoundExpr> {
    if !c.args.is_empty() {
        return Err(c.mismatch("no arguments"));
    }
    Ok(BoundExpr::Call {
        func: f,
        args: vec![],
        ty: DataType::new(kind).not_null(),
    })
}

pub(super) fn bind(mut c: Call) -> Result<BoundExpr> {
    use Arg::{Any, DateTime, Int, Str};
    let extract = |mut c: Call, unit: TimeUnit| -> Result<BoundExpr> {
        c.check(&[DateTime], 1, "(DATE or TIMESTAMP)")?;
        Ok(c.done(ScalarFunc::Time(TimeFunc::Extract(unit)), TypeKind::BigInt, false))
    };
    match c.name.as_str() {
        "DATE_FORMAT" => {
            c.check(&[Any, Str], 2, "(TIMESTAMP or STRING, STRING)")?;
            let k = &c.args[0].ty().kind;
            if !(matches!(k, TypeKind::Timestamp(_) | TypeKind::TimestampLtz(_)) || super::is_string(k)) {
                return Err(c.mismatch("(TIMESTAMP or STRING, STRING)"));
            }
            Ok(c.done(ScalarFunc::Time(TimeFunc::DateFormat), string(), true))
        }
        "TO_TIMESTAMP" => {
            c.check(&[Str, Str], 1, "(STRING[, STRING])")?;
            Ok(c.done(
                ScalarFunc::Time(TimeFunc::ToTimestamp),
                TypeKind::Timestamp(3),
                true,
            ))
        }
        // The text form (Flink 2.x): parsed as UTC whatever the session zone (Flink run, LA:
        // TO_TIMESTAMP_LTZ('2026-11-01 01:30:00') shows as 2026-10-31 18:30:00.000).
        "TO_TIMESTAMP_LTZ" if c.args.first().is_some_and(|a| super::is_string(&a.ty().kind)) => {
            let takes = "(STRING[, STRING format[, STRING time zone]])";
            c.check(&[Str, Str, Str], 1, takes)?;
            // Flink refuses a constant zone Java does not know when it validates the call.
            if let Some(Some(Value::String(z))) = c.args.get(2).map(BoundExpr::constant_value)
                && SessionZone::parse_zone_id(&z).is_none()
            {
                return Err(c.mismatch(&format!("{takes}; '{z}' is no time zone")));
            }
            Ok(c.done(
                ScalarFunc::Time(TimeFunc::ToTimestamp),
                TypeKind::TimestampLtz(3),
                true,
            ))
        }
        "TO_TIMESTAMP_LTZ" => {
            c.check(&[Arg::Num, Int], 1, "(NUMERIC[, INT precision 0 or 3])")?;
            match c.args.get(1).map(BoundExpr::constant_value) {
                None | Some(Some(Value::Int(0 | 3))) => {}
                _ => return Err(c.mismatch("(NUMERIC[, INT precision 0 or 3])")),
            }
            Ok(c.done(
                ScalarFunc::Time(TimeFunc::ToTimestampLtz),
                TypeKind::TimestampLtz(3),
                false,
            ))
        }
        "FROM_UNIXTIME" => {
            c.check(&[Int, Str], 1, "(BIGINT[, STRING])")?;
            Ok(c.done(ScalarFunc::Time(TimeFunc::FromUnixtime), string(), false))
        }
        "UNIX_TIMESTAMP" if c.args.is_empty() => now(c, ScalarFunc::UnixTimestampNow, TypeKind::BigInt),
        "CONVERT_TZ" => {
            c.check(&[Str, Str, Str], 3, "(STRING, STRING from zone, STRING to zone)")?;
            Ok(c.done(
                ScalarFunc::Time(TimeFunc::ConvertTz),
                TypeKind::Varchar(MAX_LENGTH),
                true,
            ))
        }
        "UNIX_TIMESTAMP" => {
            c.check(&[Str, Str], 1, "([STRING[, STRING]])")?;
            Ok(c.done(ScalarFunc::Time(TimeFunc::UnixTimestamp), TypeKind::BigInt, false))
        }
        "TO_DATE" => {
            c.check(&[Str, Str], 1, "(STRING[, STRING])")?;
            Ok(c.done(ScalarFunc::Time(TimeFunc::ToDate), TypeKind::Date, true))
        }
        "YEAR" => extract(c, TimeUnit::Year),
        "QUARTER" => extract(c, TimeUnit::Quarter),
        "MONTH" => extract(c, TimeUnit::Month),
        "WEEK" => extract(c, TimeUnit::Week),
        "DAYOFYEAR" => extract(c, TimeUnit::DayOfYear),
        "DAYOFMONTH" => extract(c, TimeUnit::Day),
        "DAYOFWEEK" => extract(c, TimeUnit::DayOfWeek),
        "HOUR" | "MINUTE" | "SECOND" => {
            let unit = match c.name.as_str() {
                "HOUR" => TimeUnit::Hour,
                "MINUTE" => TimeUnit::Minute,
                _ => TimeUnit::Second,
            };
            c.check(&[Any], 1, "(TIMESTAMP or TIME)")?;
            let k = &c.args[0].ty().kind;
            if !(super::is_datetime(k) || matches!(k, TypeKind::Time(_))) {
                return Err(c.mismatch("(TIMESTAMP or TIME)"));
            }
            Ok(c.done(ScalarFunc::Time(TimeFunc::Extract(unit)), TypeKind::BigInt, false))
        }
        "TIMESTAMPADD" => {
            let unit = unit_arg(&c).ok_or_else(|| c.mismatch("(unit, INT, DATE or TIMESTAMP)"))?;
            c.args.remove(0);
            let takes = "(unit, INT, DATE, TIME or TIMESTAMP)";
            c.check(&[Int, Any], 2, takes)?;
            let day_or_longer = matches!(
                unit,
                TimeUnit::Year | TimeUnit::Quarter | TimeUnit::Month | TimeUnit::Week | TimeUnit::Day
            );
            // Flink run 2: TIMESTAMPADD(HOUR, 1, DATE ..) is a TIMESTAMP(6); on a TIME it stays a TIME.
            let kind = match &c.args[1].ty().kind {
                TypeKind::Date if !day_or_longer => TypeKind::Timestamp(6),
                TypeKind::Time(_) if day_or_longer => return Err(c.mismatch(takes)),
                k if super::is_datetime(k) || matches!(k, TypeKind::Time(_)) => k.clone(),
                _ => return Err(c.mismatch(takes)),
            };
            Ok(c.done(ScalarFunc::Time(TimeFunc::TimestampAdd(unit)), kind, false))
        }
        "TIMESTAMPDIFF" => {
            let unit =
                unit_arg(&c).ok_or_else(|| c.mismatch("(unit, DATE or TIMESTAMP, DATE or TIMESTAMP)"))?;
            c.args.remove(0);
            c.check(
                &[DateTime, DateTime],
                2,
                "(unit, DATE or TIMESTAMP, DATE or TIMESTAMP)",
            )?;
            Ok(c.done(
                ScalarFunc::Time(TimeFunc::TimestampDiff(unit)),
                TypeKind::Int,
                false,
            ))
        }
        "CURRENT_TIMESTAMP" | "NOW" | "CURRENT_ROW_TIMESTAMP" => {
            now(c, ScalarFunc::CurrentTimestamp, TypeKind::TimestampLtz(3))
        }
        "PROCTIME" => now(c, ScalarFunc::Proctime, TypeKind::TimestampLtz(3)),
        "LOCALTIMESTAMP" => now(c, ScalarFunc::LocalTimestamp, TypeKind::Timestamp(3)),
        "CURRENT_DATE" => now(c, ScalarFunc::CurrentDate, TypeKind::Date),
        "CURRENT_TIME" | "LOCALTIME" => now(c, ScalarFunc::CurrentTime, TypeKind::Time(0)),
        "CURRENT_WATERMARK" => {
            if c.args.len() != 1 || !super::is_datetime(&c.args[0].ty().kind) {
                return Err(c.mismatch("(a rowtime attribute)"));
            }
            let ty = DataType::new(c.args[0].ty().kind.clone());
            Ok(BoundExpr::Call {
                func: ScalarFunc::CurrentWatermark,
                args: c.args,
                ty,
            })
        }
        _ => Err(c.mismatch("no such signature")),
    }
}

type EvalResult = std::result::Result<Value, EvalError>;

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

/// Whether argument `i` is a `TIMESTAMP_LTZ` (an instant to read in the session zone).
fn is_ltz(args: &[BoundExpr], i: usize) -> bool {
    args.get(i)
        .is_some_and(|a| matches!(a.ty().kind, TypeKind::TimestampLtz(_)))
}

/// Evaluates `f` on non-NULL arguments of types `args`, giving `ty`, in the session `zone`.
/// `yyyy-MM-dd HH:mm:ss` read as a lenient `java.text.SimpleDateFormat` reads it (Flink's
/// `CONVERT_TZ`): whitespace before a number is skipped, numbers take any count of digits,
/// fields past their range roll over (`2026-02-30` is March 2, hour 25 the next day), and text
/// after the seconds is ignored; `None` when a field or separator is missing.
fn parse_lenient_timestamp(s: &str) -> Option<i64> {
    let mut rest = s;
    let mut fields = [0i64; 6];
    for (i, field) in fields.iter_mut().enumerate() {
        if i > 0 {
            let sep = [' ', '-', '-', ' ', ':', ':'][i];
            rest = rest.strip_prefix(sep)?;
        }
        rest = rest.trim_start_matches(char::is_whitespace);
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits == 0 || digits > 9 {
            return None;
        }
        *field = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
    }
    let [year, month, day, hour, minute, second] = fields;
    let months = year * 12 + (month - 1);
    let first = days_from_civil(months.div_euclid(12), (months.rem_euclid(12) + 1) as u32, 1);
    let days = first + (day - 1);
    Some(
        days * MICROS_PER_DAY
            + hour * 3_600 * MICROS_PER_SECOND
            + minute * 60 * MICROS_PER_SECOND
            + second * MICROS_PER_SECOND,
    )
}

pub(crate) fn eval(
    f: TimeFunc,
    v: &[&Value],
    args: &[BoundExpr],
    ty: &DataType,
    zone: SessionZone,
) -> EvalResult {
    // A TIMESTAMP_LTZ first argument as the session zone's wall-clock time.
    let local = |t: i64| if is_ltz(args, 0) { zone.to_local(t) } else { t };
    Ok(match f {
        TimeFunc::DateFormat => {
            let micros = match v[0] {
                Value::Timestamp(t) => Some(local(*t)),
                Value::String(s) => temporal::parse_timestamp_strict(s),
                _ => None,
            };
            micros.map_or(Value::Null, |t| Value::String(datefmt::format(t, text(v[1]))))
        }
        TimeFunc::ToTimestamp => {
            // Flink run 3: TO_TIMESTAMP('2026-11-01T08:01:02') and '.. 08:01' are NULL.
            let t = match v.get(1) {
                Some(p) => datefmt::parse_resolving(text(v[0]), text(p), datefmt::PastMonthEnd::Clamp),
                None => temporal::parse_timestamp_strict(text(v[0])),
            };
            // TO_TIMESTAMP_LTZ(s, fmt, zone): the text is a wall-clock time of `zone` (Flink
            // run: the overlap's earlier instant; a gap moves forward); an unknown zone is NULL.
            let t = match v.get(2) {
                Some(z) => match SessionZone::parse_zone_id(text(z)) {
                    Some(z) => t.map(|t| z.to_utc(t, Overlap::Earlier)),
                    None => None,
                },
                None => t,
            };
            t.map_or(Value::Null, |t| {
                Value::Timestamp(crate::expr::cast::truncate_micros(t, 3))
            })
        }
        TimeFunc::ToTimestampLtz => {
            let precision = v.get(1).copied().and_then(Value::as_i64).unwrap_or(3);
            let per = if precision == 0 { MICROS_PER_SECOND } else { 1000 };
            let micros = match v[0] {
                Value::Int(i) => i.checked_mul(per),
                other => {
                    let x = super::math::to_f64(other, args[0].ty()) * per as f64;
                    (x.is_finite() && x.abs() < 9.2e18).then_some(x as i64)
                }
            };
            micros.map_or(Value::Null, |m| {
                Value::Timestamp(crate::expr::cast::truncate_micros(m, 3))
            })
        }
        TimeFunc::FromUnixtime => {
            let secs = v[0].as_i64().unwrap_or(0);
            let pattern = v.get(1).copied().map_or("yyyy-MM-dd HH:mm:ss", text);
            match secs.checked_mul(MICROS_PER_SECOND) {
                Some(m) => Value::String(datefmt::format_in(m, pattern, zone)),
                None => Value::Null,
            }
        }
        TimeFunc::UnixTimestamp => {
            // Flink run 3: the default pattern needs a time ('2026-11-01' gives Long.MIN_VALUE)
            // but takes a fraction.
            let t = match v.get(1) {
                Some(p) => datefmt::parse(text(v[0]), text(p)),
                None => Some(text(v[0]))
                    .filter(|s| s.contains(' '))
                    .and_then(temporal::parse_timestamp_strict),
            };
            // Java's SimpleDateFormat: standard time in a fall-back overlap (Flink run, LA:
            // '2026-11-01 01:30:00' is 1793525400).
            let t = t.map(|t| zone.to_utc(t, Overlap::Later));
            Value::Int(t.map_or(i64::MIN, |t| t.div_euclid(MICROS_PER_SECOND)))
        }
        TimeFunc::ConvertTz => match parse_lenient_timestamp(text(v[0])) {
            Some(local) => {
                // Java's Calendar: a time in a gap moves forward, one in an overlap is standard
                // time (Flink run, LA: '2026-11-01 01:30:00' is 09:30 UTC).
                let from = SessionZone::java_time_zone(text(v[1]));
                let to = SessionZone::java_time_zone(text(v[2]));
                let utc = from.to_utc(local, Overlap::Later);
                Value::String(datefmt::format(to.to_local(utc), "yyyy-MM-dd HH:mm:ss"))
            }
            None => Value::Null,
        },
        TimeFunc::ToDate => {
            let d = match v.get(1) {
                Some(p) => datefmt::parse_resolving(text(v[0]), text(p), datefmt::PastMonthEnd::Roll)
                    .map(|t| t.div_euclid(MICROS_PER_DAY) as i32),
                // Flink run 3: TO_DATE('2026-11-01 10:00:00') is 2026-11-01.
                None => temporal::parse_date(text(v[0])).or_else(|| {
                    temporal::parse_timestamp_strict(text(v[0])).map(|t| t.div_euclid(MICROS_PER_DAY) as i32)
                }),
            };
            d.map_or(Value::Null, Value::Date)
        }
        TimeFunc::Extract(unit) => match v[0] {
            Value::Timestamp(t) => extract(unit, &Value::Timestamp(local(*t)))?,
            other => extract(unit, other)?,
        },
        TimeFunc::FloorCeil { ceil, unit } => match v[0] {
            // Flink floors the wall-clock time and takes it back with the offset of the
            // original instant, not the result's (golden case `timezone`, LA: FLOOR(01:05 PST TO
            // DAY) on the fall-back day is 08:00 UTC, shown as 01:00 PDT).
            Value::Timestamp(t) if is_ltz(args, 0) => {
                let offset = i64::from(zone.offset_seconds(*t)) * MICROS_PER_SECOND;
                match floor_ceil(ceil, unit, &Value::Timestamp(t.saturating_add(offset)))? {
                    Value::Timestamp(r) => Value::Timestamp(r.saturating_sub(offset)),
                    other => other,
                }
            }
            other => floor_ceil(ceil, unit, other)?,
        },
        TimeFunc::TimestampAdd(unit) => {
            let n = v[0].as_i64().unwrap_or(0);
            let overflow = || EvalError(format!("TIMESTAMPADD({}, {n}, ..) overflows", unit.name()));
            let micros = match v[1] {
                Value::Date(d) => i64::from(*d) * MICROS_PER_DAY,
                Value::Timestamp(t) => *t,
                Value::Time(nanos) => {
                    let t = add_units(nanos / 1000, unit, n).ok_or_else(overflow)?;
                    return Ok(Value::Time(t.rem_euclid(MICROS_PER_DAY) * 1000));
                }
                _ => return Ok(Value::Null),
            };
            let t = add_units(micros, unit, n).ok_or_else(overflow)?;
            match &ty.kind {
                TypeKind::Date => {
                    Value::Date(i32::try_from(t.div_euclid(MICROS_PER_DAY)).map_err(|_| overflow())?)
                }
                _ => Value::Timestamp(t),
            }
        }
        TimeFunc::TimestampDiff(unit) => {
            let micros = |x: &Value| match x {
                Value::Date(d) => i64::from(*d) * MICROS_PER_DAY,
                Value::Timestamp(t) => *t,
                _ => 0,
            };
            let (a, b) = (micros(v[0]), micros(v[1]));
            let diff = match unit {
                TimeUnit::Year => temporal::months_between(b, a) / 12,
                TimeUnit::Quarter => temporal::months_between(b, a) / 3,
                TimeUnit::Month => temporal::months_between(b, a),
                other => (b - a) / unit_micros(other).unwrap_or(1),
            };
            Value::Int(i64::from(diff as i32))
        }
    })
}

/// Microseconds in a fixed-length unit.
fn unit_micros(unit: TimeUnit) -> Option<i64> {
    Some(match unit {
        TimeUnit::Week => 7 * MICROS_PER_DAY,
        TimeUnit::Day => MICROS_PER_DAY,
        TimeUnit::Hour => 3_600 * MICROS_PER_SECOND,
        TimeUnit::Minute => 60 * MICROS_PER_SECOND,
        TimeUnit::Second => MICROS_PER_SECOND,
        TimeUnit::Millisecond => 1000,
        TimeUnit::Microsecond => 1,
        _ => return None,
    })
}

/// `micros` plus `n` units (months clamp the day of month).
pub(crate) fn add_units(micros: i64, unit: TimeUnit, n: i64) -> Option<i64> {
    let months = match unit {
        TimeUnit::Year => Some(n.checked_mul(12)?),
        TimeUnit::Quarter => Some(n.checked_mul(3)?),
        TimeUnit::Month => Some(n),
        _ => None,
    };
    match months {
        Some(m) => add_months_micros(micros, m),
        None => micros.checked_add(n.checked_mul(unit_micros(unit)?)?),
    }
}

/// A timestamp plus whole months, keeping the time of day.
pub(crate) fn add_months_micros(micros: i64, months: i64) -> Option<i64> {
    let days = micros.div_euclid(MICROS_PER_DAY);
    let of_day = micros.rem_euclid(MICROS_PER_DAY);
    temporal::add_months(days, months)?
        .checked_mul(MICROS_PER_DAY)?
        .checked_add(of_day)
}

/// `EXTRACT(unit FROM v)` for dates, timestamps, times and intervals.
pub(crate) fn extract(unit: TimeUnit, v: &Value) -> EvalResult {
    let bad = || {
        EvalError(format!(
            "EXTRACT({} FROM ..) is not defined for this value",
            unit.name()
        ))
    };
    let micros = match v {
        Value::Date(d) => i64::from(*d) * MICROS_PER_DAY,
        Value::Timestamp(t) => *t,
        Value::Time(n) => n / 1000,
        Value::IntervalMillis(ms) => {
            let ms = *ms;
            return Ok(Value::Int(match unit {
                TimeUnit::Day => ms / 86_400_000,
                TimeUnit::Hour => ms / 3_600_000 % 24,
                TimeUnit::Minute => ms / 60_000 % 60,
                TimeUnit::Second => ms / 1000 % 60,
                TimeUnit::Millisecond => ms % 60_000,
                TimeUnit::Epoch => ms / 1000,
                _ => return Err(bad()),
            }));
        }
        Value::IntervalMonths(m) => {
            let m = i64::from(*m);
            return Ok(Value::Int(match unit {
                TimeUnit::Year => m / 12,
                TimeUnit::Quarter => m % 12 / 3 + 1,
                TimeUnit::Month => m % 12,
                _ => return Err(bad()),
            }));
        }
        _ => return Err(bad()),
    };
    Ok(Value::Int(extract_micros(unit, micros)))
}

/// `EXTRACT(unit FROM t)` of a timestamp `micros` after the epoch (wall-clock time): defined
/// for every unit, as for any timestamp value.
pub(crate) fn extract_micros(unit: TimeUnit, micros: i64) -> i64 {
    let days = micros.div_euclid(MICROS_PER_DAY);
    let of_day = micros.rem_euclid(MICROS_PER_DAY);
    let (y, m, d) = civil_from_days(days);
    match unit {
        TimeUnit::Year => y,
        TimeUnit::Quarter => i64::from((m - 1) / 3 + 1),
        TimeUnit::Month => i64::from(m),
        TimeUnit::Week => temporal::iso_week(days),
        TimeUnit::Day => i64::from(d),
        TimeUnit::Hour => of_day / 3_600_000_000,
        TimeUnit::Minute => of_day / 60_000_000 % 60,
        TimeUnit::Second => of_day / MICROS_PER_SECOND % 60,
        TimeUnit::Millisecond => of_day / 1000 % 1000,
        TimeUnit::Microsecond => of_day % MICROS_PER_SECOND,
        TimeUnit::Nanosecond => of_day % MICROS_PER_SECOND * 1000,
        TimeUnit::DayOfWeek => temporal::days_since_sunday(days) + 1,
        TimeUnit::DayOfYear => days - days_from_civil(y, 1, 1) + 1,
        TimeUnit::Epoch => micros.div_euclid(MICROS_PER_SECOND),
        // Calcite's (and so Flink's) reading: no year 0 between the centuries and millennia.
        TimeUnit::Decade => y.div_euclid(10),
        TimeUnit::Century if y > 0 => (y + 99) / 100,
        TimeUnit::Century => (y - 99) / 100,
        TimeUnit::Millennium if y > 0 => (y + 999) / 1000,
        TimeUnit::Millennium => (y - 999) / 1000,
        TimeUnit::IsoDayOfWeek => temporal::days_since_monday(days) + 1,
        TimeUnit::IsoYear => temporal::iso_year(days),
    }
}

/// `FLOOR(v TO unit)` / `CEIL(v TO unit)` of a date or timestamp.
pub(crate) fn floor_ceil(ceil: bool, unit: TimeUnit, v: &Value) -> EvalResult {
    let bad = || {
        EvalError(format!(
            "FLOOR/CEIL(.. TO {}) is not defined for this value",
            unit.name()
        ))
    };
    let (micros, is_date) = match v {
        Value::Date(d) => (i64::from(*d) * MICROS_PER_DAY, true),
        Value::Timestamp(t) => (*t, false),
        _ => return Err(bad()),
    };
    let floor = |t: i64| -> Option<i64> {
        let days = t.div_euclid(MICROS_PER_DAY);
        let (y, m, _) = civil_from_days(days);
        let to_day = |d: i64| d.checked_mul(MICROS_PER_DAY);
        match unit {
            TimeUnit::Year => to_day(days_from_civil(y, 1, 1)),
            TimeUnit::Quarter => to_day(days_from_civil(y, (m - 1) / 3 * 3 + 1, 1)),
            TimeUnit::Month => to_day(days_from_civil(y, m, 1)),
            // Weeks start on Sunday; 1970-01-04 was one.
            TimeUnit::Week => to_day(days - temporal::days_since_sunday(days)),
            u => {
                let per = unit_micros(u)?;
                Some(t.div_euclid(per) * per)
            }
        }
    };
    let f = floor(micros).ok_or_else(bad)?;
    let r = if ceil && f != micros {
        match unit {
            TimeUnit::Year => add_months_micros(f, 12),
            TimeUnit::Quarter => add_months_micros(f, 3),
            TimeUnit::Month => add_months_micros(f, 1),
            u => f.checked_add(unit_micros(u).ok_or_else(bad)?),
        }
        .ok_or_else(bad)?
    } else {
        f
    };
    Ok(if is_date {
        Value::Date(r.div_euclid(MICROS_PER_DAY) as i32)
    } else {
        Value::Timestamp(r)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn convert_tz_reads_text_leniently() {
        let parsed = |s: &str| parse_lenient_timestamp(s).map(|t| datefmt::format(t, "yyyy-MM-dd HH:mm:ss"));
        assert_eq!(parsed("2026-1-1 1:2:3").as_deref(), Some("2026-01-01 01:02:03"));
        assert_eq!(
            parsed(" 2026-02-30 25:00:00.123").as_deref(),
            Some("2026-03-03 01:00:00")
        );
        assert_eq!(parsed("2026-01-01"), None);
        assert_eq!(parsed("2026-01-01T12:00:00"), None);
        let convert = |s: &str, from: &str, to: &str| {
            let v = [
                Value::String(s.into()),
                Value::String(from.into()),
                Value::String(to.into()),
            ];
            let refs: Vec<&Value> = v.iter().collect();
            eval(
                TimeFunc::ConvertTz,
                &refs,
                &[],
                &DataType::new(TypeKind::Varchar(MAX_LENGTH)),
                SessionZone::UTC,
            )
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
        };
        // Flink 2.3 (2026-11-27): an overlap is standard time, unknown ids are GMT, EST fixed.
        assert_eq!(
            convert("2026-11-01 01:30:00", "America/Los_Angeles", "UTC").as_deref(),
            Some("2026-11-01 09:30:00")
        );
        assert_eq!(
            convert("2026-03-08 02:30:00", "America/Los_Angeles", "UTC").as_deref(),
            Some("2026-03-08 10:30:00")
        );
        assert_eq!(
            convert("2026-01-01 12:00:00", "PST", "GMT+08:00").as_deref(),
            Some("2026-01-02 04:00:00")
        );
        assert_eq!(
            convert("2026-01-01 12:00:00", "UTC", "UTC+8").as_deref(),
            Some("2026-01-01 12:00:00")
        );
        assert_eq!(
            convert("2026-07-01 12:00:00", "EST", "CET").as_deref(),
            Some("2026-07-01 19:00:00")
        );
    }

    fn ts(s: &str) -> Value {
        Value::Timestamp(temporal::parse_timestamp(s).unwrap_or_default())
    }

    #[test]
    fn extract_and_floor_like_flink() {
        // Flink run 1.
        let t = ts("2026-11-01 08:01:02.5");
        assert_eq!(extract(TimeUnit::DayOfWeek, &t), Ok(Value::Int(1)));
        assert_eq!(extract(TimeUnit::DayOfYear, &t), Ok(Value::Int(305)));
        assert_eq!(extract(TimeUnit::Millisecond, &t), Ok(Value::Int(500)));
        assert_eq!(extract(TimeUnit::Second, &t), Ok(Value::Int(2)));
        assert_eq!(
            extract(TimeUnit::Epoch, &ts("2026-11-01 08:01:02")),
            Ok(Value::Int(1793520062))
        );
        assert_eq!(
            floor_ceil(false, TimeUnit::Week, &ts("2026-11-11 08:31:02")),
            Ok(ts("2026-11-08 00:00:00"))
        );
        assert_eq!(
            floor_ceil(true, TimeUnit::Day, &ts("2026-11-01 00:00:00")),
            Ok(ts("2026-11-01 00:00:00"))
        );
        assert_eq!(
            floor_ceil(true, TimeUnit::Day, &ts("2026-11-01 08:31:02")),
            Ok(ts("2026-11-02 00:00:00"))
        );
        assert_eq!(
            floor_ceil(false, TimeUnit::Quarter, &ts("2026-11-11 08:31:02")),
            Ok(ts("2026-10-01 00:00:00"))
        );
    }
}
