//! Calendar arithmetic and the text forms of dates, times and timestamps, as Flink writes and
//! reads them (`2026-11-01`, `08:01:00`, `2026-11-01 08:01:00.123`), on zone-less wall-clock
//! values: a `TIMESTAMP_LTZ` instant is turned into the session zone's wall clock (and back) by
//! [`crate::zone::SessionZone`] before it gets here.

/// Microseconds per second.
pub const MICROS_PER_SECOND: i64 = 1_000_000;
/// Microseconds per day.
pub const MICROS_PER_DAY: i64 = 86_400 * MICROS_PER_SECOND;

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The `(year, month, day)` of a day count since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Days in `month` of `year`.
pub fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

/// `yyyy-MM-dd`.
pub fn format_date(days: i32, out: &mut String) {
    use std::fmt::Write;
    let (y, m, d) = civil_from_days(i64::from(days));
    let _ = write!(out, "{y:04}-{m:02}-{d:02}");
}

/// `HH:mm:ss` followed by the fraction: `precision` digits, or with `trim` only as many as
/// needed (none for a whole second), as Flink's JSON format writes them.
pub fn format_time_nanos(nanos_of_day: i64, precision: u32, trim: bool, out: &mut String) {
    use std::fmt::Write;
    let secs = nanos_of_day.div_euclid(1_000_000_000);
    let nanos = nanos_of_day.rem_euclid(1_000_000_000);
    let _ = write!(out, "{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
    write_fraction(nanos, precision, trim, out);
}

fn write_fraction(nanos: i64, precision: u32, trim: bool, out: &mut String) {
    let precision = precision.min(9) as usize;
    let digits = format!("{nanos:09}");
    let mut shown = &digits[..precision];
    if trim {
        shown = digits.trim_end_matches('0');
    }
    if !shown.is_empty() {
        out.push('.');
        out.push_str(shown);
    }
}

/// `yyyy-MM-dd HH:mm:ss[.fff]` (or with `T` between date and time when `iso`). With `trim` the
/// fraction has as many digits as needed (Flink's JSON format: `2026-11-01 08:01:00`); otherwise
/// exactly `precision` digits (Flink's `CAST(ts AS STRING)`: `2026-11-01 08:01:00.000`).
pub fn format_timestamp(micros: i64, precision: u32, trim: bool, iso: bool, out: &mut String) {
    let days = micros.div_euclid(MICROS_PER_DAY);
    let of_day = micros.rem_euclid(MICROS_PER_DAY);
    format_date(days as i32, out);
    out.push(if iso { 'T' } else { ' ' });
    format_time_nanos(of_day * 1000, precision, trim, out);
}

/// Parses `yyyy-MM-dd` (also `yyyy-M-d`) into days since the epoch.
pub fn parse_date(s: &str) -> Option<i32> {
    let s = s.trim();
    let mut parts = s.splitn(3, '-');
    let (sign, year_text) = match parts.next()? {
        "" => return None,
        y => (1, y),
    };
    let year: i64 = year_text.parse().ok()?;
    let month: u32 = parts.next()?.parse().ok()?;
    let day: u32 = parts.next()?.parse().ok()?;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) || year_text.len() > 4 {
        return None;
    }
    i32::try_from(sign * days_from_civil(year, month, day)).ok()
}

/// Parses `HH:mm[:ss[.fffffffff]]` into nanoseconds since midnight.
pub fn parse_time(s: &str) -> Option<i64> {
    let s = s.trim();
    let (hms, frac) = match s.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (s, None),
    };
    let mut parts = hms.split(':');
    let h: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let sec: i64 = match parts.next() {
        Some(p) => p.parse().ok()?,
        None => 0,
    };
    if parts.next().is_some() || !(0..24).contains(&h) || !(0..60).contains(&m) || !(0..60).contains(&sec) {
        return None;
    }
    let mut nanos = 0i64;
    if let Some(f) = frac {
        if f.is_empty() || f.len() > 9 || !f.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        nanos = f.parse::<i64>().ok()? * 10i64.pow(9 - f.len() as u32);
    }
    Some(((h * 60 + m) * 60 + sec) * 1_000_000_000 + nanos)
}

/// Parses `yyyy-MM-dd[ HH:mm[:ss[.f]]]`, also with `T` between date and time and an optional
/// trailing `Z`, into microseconds since the epoch (digits past microseconds are dropped).
pub fn parse_timestamp(s: &str) -> Option<i64> {
    let s = s.trim();
    let s = s.strip_suffix('Z').unwrap_or(s);
    let (date, time) = match s.find([' ', 'T']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let days = i64::from(parse_date(date)?);
    let nanos = match time {
        Some(t) => parse_time(t)?,
        None => 0,
    };
    days.checked_mul(MICROS_PER_DAY)?.checked_add(nanos / 1000)
}

/// `days` (since the epoch) plus `months`, the day of month clamped to the target month's
/// length (`2024-01-31` + 1 month = `2024-02-29`); `None` past the calendar's range.
pub fn add_months(days: i64, months: i64) -> Option<i64> {
    let (y, m, d) = civil_from_days(days);
    let total = y
        .checked_mul(12)?
        .checked_add(i64::from(m) - 1)?
        .checked_add(months)?;
    let (ny, nm) = (total.div_euclid(12), total.rem_euclid(12) as u32 + 1);
    if ny.abs() > 5_000_000 {
        return None;
    }
    Some(days_from_civil(ny, nm, d.min(days_in_month(ny, nm))))
}

/// Whole months from `t1` to `t0` (microseconds), as Calcite's `subtractMonths` counts them:
/// the largest `m` with `t1 + m months <= t0` (negative when `t0 < t1`).
pub fn months_between(t0: i64, t1: i64) -> i64 {
    if t0 < t1 {
        return -months_between(t1, t0);
    }
    let (d0, r0) = (t0.div_euclid(MICROS_PER_DAY), t0.rem_euclid(MICROS_PER_DAY));
    let (d1, r1) = (t1.div_euclid(MICROS_PER_DAY), t1.rem_euclid(MICROS_PER_DAY));
    // No month has more than 31 days, so this estimate is at most the answer.
    let mut m = (d0 - d1) / 31;
    loop {
        let Some(d2) = add_months(d1, m) else { return m };
        if d2 >= d0 {
            break;
        }
        match add_months(d1, m + 1) {
            Some(d3) if d3 <= d0 => m += 1,
            _ => break,
        }
    }
    if add_months(d1, m) == Some(d0) && r0 < r1 {
        m -= 1;
    }
    m
}

/// The ISO-8601 week of the year (weeks start on Monday; week 1 holds the first Thursday).
pub fn iso_week(days: i64) -> i64 {
    let thursday = iso_thursday(days);
    let (y, _, _) = civil_from_days(thursday);
    (thursday - days_from_civil(y, 1, 1)) / 7 + 1
}

/// The ISO 8601 week-based year of the day `days` after the epoch: that of its week's
/// Thursday (2024-12-30 is in 2025's week 1).
pub fn iso_year(days: i64) -> i64 {
    civil_from_days(iso_thursday(days)).0
}

/// The Thursday of the ISO week (Monday to Sunday) holding the day `days`.
fn iso_thursday(days: i64) -> i64 {
    days - days_since_monday(days) + 3
}

/// The day of the week of the day `days` after the epoch, counted from Sunday (0) to Saturday
/// (6): 1970-01-01 was a Thursday.
pub fn days_since_sunday(days: i64) -> i64 {
    (days + 4).rem_euclid(7)
}

/// The day of the week of the day `days` after the epoch, counted from Monday (0) to Sunday
/// (6), as ISO 8601 weeks run.
pub fn days_since_monday(days: i64) -> i64 {
    (days + 3).rem_euclid(7)
}

/// Parses a timestamp as `CAST(s AS TIMESTAMP)` and `TO_TIMESTAMP(s)` do: `yyyy-MM-dd` or
/// `yyyy-MM-dd HH:mm:ss` with an optional fraction (no `T`, no zone, seconds required, no
/// surrounding spaces).
pub fn parse_timestamp_strict(s: &str) -> Option<i64> {
    if s.starts_with(' ') || s.ends_with(' ') {
        return None;
    }
    match s.split_once(' ') {
        None => Some(i64::from(parse_date(s)?) * MICROS_PER_DAY),
        Some((date, time)) => {
            if time.split(':').count() != 3 {
                return None;
            }
            let days = i64::from(parse_date(date)?);
            days.checked_mul(MICROS_PER_DAY)?
                .checked_add(parse_time(time)? / 1000)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formats_like_flink() {
        let ts = parse_timestamp("2026-11-01 08:01:00").unwrap();
        let mut s = String::new();
        format_timestamp(ts, 3, true, false, &mut s);
        assert_eq!(s, "2026-11-01 08:01:00");
        s.clear();
        format_timestamp(ts + 120_000, 3, false, false, &mut s);
        assert_eq!(s, "2026-11-01 08:01:00.120");
        s.clear();
        format_timestamp(ts + 120_000, 3, true, true, &mut s);
        assert_eq!(s, "2026-11-01T08:01:00.12");
        assert_eq!(parse_timestamp("1969-12-31T23:59:59.999Z"), Some(-1000));
        assert_eq!(parse_date("2024-02-30"), None);
        assert_eq!(parse_time("24:00:00"), None);
    }

    #[test]
    fn month_arithmetic_like_calcite() {
        let d = |s: &str| i64::from(parse_date(s).unwrap_or_default());
        let ts = |s: &str| parse_timestamp(s).unwrap_or_default();
        assert_eq!(add_months(d("2024-01-31"), 1), Some(d("2024-02-29")));
        assert_eq!(add_months(d("2024-03-31"), -13), Some(d("2023-02-28")));
        // TIMESTAMPDIFF(MONTH, ..) on Flink (run 1): 01-31 → 02-29 is 1, 01-15 → 03-14 is 1.
        assert_eq!(
            months_between(ts("2024-02-29 00:00:00"), ts("2024-01-31 00:00:00")),
            1
        );
        assert_eq!(
            months_between(ts("2024-03-14 00:00:00"), ts("2024-01-15 00:00:00")),
            1
        );
        assert_eq!(
            months_between(ts("2024-01-15 00:00:00"), ts("2024-03-14 00:00:00")),
            -1
        );
        assert_eq!(
            months_between(ts("2024-02-15 00:00:00"), ts("2024-01-15 00:00:01")),
            0
        );
        // WEEK(DATE '2027-01-01') = 53, WEEK(DATE '2026-11-01') = 44 (Flink run 1).
        assert_eq!(iso_week(d("2027-01-01")), 53);
        assert_eq!(iso_week(d("2026-11-01")), 44);
        assert_eq!(iso_week(d("2026-01-01")), 1);
        assert_eq!(parse_timestamp_strict("2026-11-01T08:01:00"), None);
        assert_eq!(parse_timestamp_strict("2026-11-01 08:01"), None);
        assert_eq!(
            parse_timestamp_strict("2026-11-01"),
            parse_timestamp("2026-11-01 00:00:00")
        );
    }

    proptest! {
        #[test]
        fn days_round_trip(days in -1_000_000i64..1_000_000) {
            let (y, m, d) = civil_from_days(days);
            prop_assert_eq!(days_from_civil(y, m, d), days);
        }

        #[test]
        fn timestamps_round_trip(micros in -10_000_000_000_000_000i64..10_000_000_000_000_000) {
            let mut s = String::new();
            format_timestamp(micros, 6, true, false, &mut s);
            prop_assert_eq!(parse_timestamp(&s), Some(micros), "{}", s);
        }
    }
}
