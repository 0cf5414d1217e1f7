//! Dates, times and timestamps as Flink's `json` and `csv` formats write and read them.
//!
//! Writing (both formats): `yyyy-MM-dd`, `HH:mm:ss` and `yyyy-MM-dd HH:mm:ss` with the
//! fraction only as long as needed (`08:01:00.12`, none for a whole second), `T` instead of the
//! space in JSON's `ISO-8601` standard, and a `Z` after `TIMESTAMP_LTZ` values (in UTC
//! whatever `table.local-time-zone` is, as Flink writes and reads them).
//!
//! Reading follows the Java parsers Flink uses: JSON parses strictly with
//! `DateTimeFormatter`s (`ISO_LOCAL_DATE`, `HH:mm:ss[.f{0,9}]`, ...), CSV with
//! `java.sql.Date.valueOf` / `Timestamp.valueOf` / `LocalTime.parse`, which are looser.

use crate::temporal::{MICROS_PER_DAY, civil_from_days, days_from_civil, days_in_month};

/// Appends `yyyy-MM-dd` as `ISO_LOCAL_DATE` prints it (`+10000-01-01` past year 9999).
pub(crate) fn write_date(days: i64, out: &mut Vec<u8>) {
    let (y, m, d) = civil_from_days(days);
    if y > 9999 {
        out.push(b'+');
    } else if y < 0 {
        out.push(b'-');
    }
    push_padded(y.unsigned_abs(), 4, out);
    out.push(b'-');
    push_padded(u64::from(m), 2, out);
    out.push(b'-');
    push_padded(u64::from(d), 2, out);
}

/// Appends `HH:mm:ss` and, when `nanos` has any, `.` and the fraction without trailing zeros.
pub(crate) fn write_time(nanos_of_day: i64, out: &mut Vec<u8>) {
    let secs = nanos_of_day.div_euclid(1_000_000_000);
    let frac = nanos_of_day.rem_euclid(1_000_000_000);
    push_padded((secs / 3600) as u64, 2, out);
    out.push(b':');
    push_padded((secs / 60 % 60) as u64, 2, out);
    out.push(b':');
    push_padded((secs % 60) as u64, 2, out);
    if frac != 0 {
        out.push(b'.');
        let mut digits = [0u8; 9];
        let mut f = frac;
        for slot in digits.iter_mut().rev() {
            *slot = b'0' + (f % 10) as u8;
            f /= 10;
        }
        let len = 9 - digits.iter().rev().take_while(|&&d| d == b'0').count();
        out.extend_from_slice(&digits[..len]);
    }
}

/// Appends a timestamp (microseconds since the epoch): date, `sep`, time.
pub(crate) fn write_timestamp(micros: i64, sep: u8, out: &mut Vec<u8>) {
    write_date(micros.div_euclid(MICROS_PER_DAY), out);
    out.push(sep);
    write_time(micros.rem_euclid(MICROS_PER_DAY) * 1000, out);
}

fn push_padded(v: u64, width: usize, out: &mut Vec<u8>) {
    let mut buf = [b'0'; 20];
    let mut n = v;
    let mut len = 0;
    loop {
        buf[19 - len] = b'0' + (n % 10) as u8;
        len += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for _ in len..width {
        out.push(b'0');
    }
    out.extend_from_slice(&buf[20 - len..]);
}

/// A cursor over ASCII text for the strict parsers.
struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn digits(&mut self, n: usize) -> Option<u32> {
        let s = self.b.get(self.i..self.i + n)?;
        if !s.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.i += n;
        Some(s.iter().fold(0, |acc, d| acc * 10 + u32::from(d - b'0')))
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn done(&self) -> bool {
        self.i == self.b.len()
    }

    /// `yyyy-MM-dd` with a 4-digit year. `smart` is Java's SMART resolver (what Flink's
    /// timestamp formats use): a day 29..31 past the month's end is the month's last day;
    /// otherwise the day must exist (STRICT, as `ISO_LOCAL_DATE` alone resolves).
    fn iso_date(&mut self, smart: bool) -> Option<i64> {
        let y = self.digits(4)?;
        if !self.eat(b'-') {
            return None;
        }
        let m = self.digits(2)?;
        if !self.eat(b'-') {
            return None;
        }
        let mut d = self.digits(2)?;
        if !(1..=12).contains(&m) || d == 0 || d > 31 {
            return None;
        }
        let last = days_in_month(i64::from(y), m);
        if d > last {
            if !smart {
                return None;
            }
            d = last;
        }
        Some(days_from_civil(i64::from(y), m, d))
    }

    /// `HH:mm`, then `:ss` (optional only when `seconds_optional`), then `.` and 0 to 9
    /// fraction digits; nanoseconds of the day.
    fn time(&mut self, seconds_optional: bool, smart_midnight: bool) -> Option<i64> {
        let h = self.digits(2)?;
        if !self.eat(b':') {
            return None;
        }
        let m = self.digits(2)?;
        let mut s = 0;
        let mut nanos = 0i64;
        if self.eat(b':') {
            s = self.digits(2)?;
            if self.eat(b'.') {
                let start = self.i;
                while self.i < self.b.len() && self.b[self.i].is_ascii_digit() && self.i - start < 9 {
                    nanos = nanos * 10 + i64::from(self.b[self.i] - b'0');
                    self.i += 1;
                }
                nanos *= 10i64.pow(9 - (self.i - start) as u32);
            }
        } else if !seconds_optional {
            return None;
        }
        // SMART resolving reads 24:00:00 as the end of the day.
        if h == 24 && m == 0 && s == 0 && nanos == 0 && smart_midnight {
            return Some(86_400 * 1_000_000_000);
        }
        if h > 23 || m > 59 || s > 59 {
            return None;
        }
        Some((i64::from(h) * 3600 + i64::from(m) * 60 + i64::from(s)) * 1_000_000_000 + nanos)
    }
}

/// JSON `DATE`: `ISO_LOCAL_DATE`.
pub(crate) fn parse_json_date(s: &str) -> Option<i32> {
    let mut c = Cursor {
        b: s.as_bytes(),
        i: 0,
    };
    let days = c.iso_date(false)?;
    c.done().then_some(days as i32)
}

/// JSON `TIME`: `HH:mm:ss[.fffffffff]`, in nanoseconds of the day truncated to milliseconds
/// (Flink's `TIME` holds milliseconds).
pub(crate) fn parse_json_time(s: &str) -> Option<i64> {
    let mut c = Cursor {
        b: s.as_bytes(),
        i: 0,
    };
    let nanos = c.time(false, true)? % (86_400 * 1_000_000_000);
    c.done().then_some(nanos / 1_000_000 * 1_000_000)
}

/// JSON `TIMESTAMP` / `TIMESTAMP_LTZ` (`ltz` requires the trailing `Z`): with `iso`,
/// `yyyy-MM-ddTHH:mm[:ss[.f]]`, else `yyyy-MM-dd HH:mm:ss[.f]`. Microseconds since the
/// epoch (nanoseconds are dropped).
pub(crate) fn parse_json_timestamp(s: &str, iso: bool, ltz: bool) -> Option<i64> {
    let mut c = Cursor {
        b: s.as_bytes(),
        i: 0,
    };
    // Flink's SQL formats resolve SMART (a day past the month's end is its last day, 24:00:00
    // is the next midnight); `ISO_LOCAL_DATE_TIME`, its ISO format for TIMESTAMP, is STRICT.
    let smart = !iso || ltz;
    let days = c.iso_date(smart)?;
    if !c.eat(if iso { b'T' } else { b' ' }) {
        return None;
    }
    let nanos = c.time(iso, smart)?;
    if ltz && !c.eat(b'Z') {
        return None;
    }
    c.done().then_some(days * MICROS_PER_DAY + nanos / 1000)
}

/// Parses an unsigned decimal run of 1..=`max` digits at `b[*i..]`.
fn loose_digits(b: &[u8], i: &mut usize, max: usize) -> Option<u32> {
    let start = *i;
    while *i < b.len() && b[*i].is_ascii_digit() {
        *i += 1;
    }
    let n = *i - start;
    if n == 0 || n > max {
        return None;
    }
    std::str::from_utf8(&b[start..*i]).ok()?.parse().ok()
}

/// `java.sql.Date.valueOf`: `yyyy-[m]m-[d]d`, month 1..12 and day 1..31, rolled over the month
/// end as Java's lenient calendar does (`2026-02-30` is March 2).
fn sql_date_value_of(b: &[u8]) -> Option<i64> {
    let mut i = 0;
    let y = loose_digits(b, &mut i, 4)?;
    if i != 4 || b.get(i) != Some(&b'-') {
        return None;
    }
    i += 1;
    let m = loose_digits(b, &mut i, 2)?;
    if b.get(i) != Some(&b'-') {
        return None;
    }
    i += 1;
    let d = loose_digits(b, &mut i, 2)?;
    if i != b.len() || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    Some(days_from_civil(i64::from(y), m, 1) + i64::from(d) - 1)
}

/// CSV `DATE` (`java.sql.Date.valueOf`, no trimming).
pub(crate) fn parse_csv_date(s: &str) -> Option<i32> {
    sql_date_value_of(s.as_bytes()).and_then(|d| i32::try_from(d).ok())
}

/// CSV `TIME` (`LocalTime.parse`: `HH:mm[:ss[.f]]`), in nanoseconds truncated to `precision`
/// fraction digits (at most milliseconds).
pub(crate) fn parse_csv_time(s: &str, precision: u32) -> Option<i64> {
    let mut c = Cursor {
        b: s.as_bytes(),
        i: 0,
    };
    let nanos = c.time(true, false)?;
    if !c.done() {
        return None;
    }
    let unit = 10i64.pow(9 - precision.min(3));
    Some(nanos / unit * unit)
}

/// CSV `TIMESTAMP` / `TIMESTAMP_LTZ`: the JSON `SQL` standard after Java's `trim()`.
pub(crate) fn parse_csv_timestamp(s: &str, ltz: bool) -> Option<i64> {
    parse_json_timestamp(crate::java_text::java_trim(s), false, ltz)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(micros: i64, sep: u8) -> String {
        let mut out = Vec::new();
        write_timestamp(micros, sep, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn writes_like_flink() {
        let t = parse_json_timestamp("2026-11-01 08:01:00.12", false, false).unwrap();
        assert_eq!(ts(t, b' '), "2026-11-01 08:01:00.12");
        assert_eq!(ts(t, b'T'), "2026-11-01T08:01:00.12");
        assert_eq!(ts(-1, b' '), "1969-12-31 23:59:59.999999");
        let mut out = Vec::new();
        write_date(-719_162, &mut out);
        assert_eq!(out, b"0001-01-01");
    }

    #[test]
    fn json_parsers_are_strict() {
        assert!(parse_json_timestamp("2026-11-01T08:01:00", false, false).is_none());
        assert!(parse_json_timestamp("2026-11-01 08:01", false, false).is_none());
        assert!(parse_json_timestamp("2026-11-01T08:01", true, false).is_some());
        assert!(parse_json_timestamp("2026-11-01 08:01:00", false, true).is_none());
        assert!(parse_json_timestamp("2026-11-01 08:01:00Z", false, true).is_some());
        assert!(parse_json_timestamp("2026-11-01 08:01:00.1234567891", false, false).is_none());
        assert_eq!(parse_json_time("08:01:02.345678"), Some(28_862_345_000_000));
        assert!(parse_json_date("2026-1-1").is_none());
        assert!(parse_json_date("2026-02-30").is_none());
        // Flink 2.3 read "2026-11-01 24:00:00" as 2026-11-02 00:00 and "...08:01:00." as 08:01.
        assert_eq!(
            parse_json_timestamp("2026-11-01 24:00:00", false, false),
            parse_json_timestamp("2026-11-02 00:00:00", false, false)
        );
        assert!(parse_json_timestamp("2026-11-01 08:01:00.", false, false).is_some());
    }

    #[test]
    fn csv_parsers_are_loose() {
        assert_eq!(parse_csv_date("2026-1-1"), parse_json_date("2026-01-01"));
        assert_eq!(parse_csv_date("2026-02-30"), parse_json_date("2026-03-02"));
        assert_eq!(
            parse_csv_timestamp(" 2026-11-01 08:01:02 ", false),
            parse_json_timestamp("2026-11-01 08:01:02", false, false)
        );
        assert!(parse_csv_timestamp("2026-11-1 8:1:2", false).is_none());
        assert!(parse_csv_timestamp("2026-11-01", false).is_none());
        assert_eq!(parse_csv_time("08:01", 3), Some(28_860_000_000_000));
    }
}
