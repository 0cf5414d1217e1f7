//! Java `SimpleDateFormat`-style patterns (`yyyy-MM-dd HH:mm:ss.SSS`), as Flink's
//! `DATE_FORMAT`, `FROM_UNIXTIME`, `TO_TIMESTAMP(s, fmt)`, `UNIX_TIMESTAMP(s, fmt)` and
//! `TO_DATE(s, fmt)` take them, on zone-less wall-clock times (the callers convert instants
//! through the session zone; `FROM_UNIXTIME` also writes the zone's fields). Patterns are read letter run by letter run while
//! formatting or parsing (no compiled form, no allocation besides the output).
//!
//! Formatting knows `G y M d H k K h m s S E a D w u z Z X` and quoted text; parsing knows the
//! numeric fields, month and day names and `a`. Numbers are parsed greedily unless the next
//! field follows without a separator (`yyyyMMdd`), then with the pattern's width, as Java does.

use crate::temporal::{MICROS_PER_DAY, civil_from_days, days_from_civil, days_in_month};
use crate::zone::SessionZone;

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// One piece of a pattern: a run of one letter, or literal text.
#[derive(Debug, PartialEq, Eq)]
enum Piece<'a> {
    Field(char, usize),
    Text(&'a str),
    Quote,
}

/// Iterates over a pattern's pieces.
struct Pieces<'a> {
    rest: &'a str,
}

impl<'a> Iterator for Pieces<'a> {
    type Item = Piece<'a>;

    fn next(&mut self) -> Option<Piece<'a>> {
        let c = self.rest.chars().next()?;
        if c.is_ascii_alphabetic() {
            let n = self.rest.chars().take_while(|&x| x == c).count();
            self.rest = &self.rest[n..];
            return Some(Piece::Field(c, n));
        }
        if c == '\'' {
            if let Some(r) = self.rest.strip_prefix("''") {
                self.rest = r;
                return Some(Piece::Quote);
            }
            let body = &self.rest[1..];
            let end = body.find('\'').unwrap_or(body.len());
            let text = &body[..end];
            self.rest = body.get(end + 1..).unwrap_or("");
            return Some(Piece::Text(text));
        }
        let end = self
            .rest
            .find(|x: char| x.is_ascii_alphabetic() || x == '\'')
            .unwrap_or(self.rest.len());
        let text = &self.rest[..end];
        self.rest = &self.rest[end..];
        Some(Piece::Text(text))
    }
}

fn pieces(pattern: &str) -> Pieces<'_> {
    Pieces { rest: pattern }
}

/// `v` in decimal, its digits zero-padded to `width` (a sign comes first). Written digit by
/// digit: `write!`'s formatting machinery was a third of `DATE_FORMAT`'s time (Nexmark q10).
fn pad(out: &mut String, v: i64, width: usize) {
    if v < 0 {
        out.push('-');
    }
    let mut buf = [0; 20];
    let digits = crate::digits::decimal(v.unsigned_abs(), &mut buf);
    for _ in digits.len()..width {
        out.push('0');
    }
    out.push_str(digits);
}

/// Formats `micros` (a zone-less wall-clock time) with `pattern`; zone fields (`z`, `Z`, `X`)
/// write UTC's.
pub(crate) fn format(micros: i64, pattern: &str) -> String {
    format_fields(micros, pattern, None)
}

/// Formats the instant `utc_micros` as a wall-clock time of `zone`, zone fields included
/// (`FROM_UNIXTIME(n, 'HH:mm z Z')` is `01:30 PST -0800` in `America/Los_Angeles`).
pub(crate) fn format_in(utc_micros: i64, pattern: &str, zone: SessionZone) -> String {
    format_fields(zone.to_local(utc_micros), pattern, Some((zone, utc_micros)))
}

/// A pattern read once into its pieces, for formatting many times (`DATE_FORMAT(ts, 'HH:mm')`
/// with a constant pattern: reading the pattern was a fifth of the call).
#[derive(Debug, Clone)]
pub(crate) struct Pattern {
    pieces: Vec<OwnedPiece>,
}

#[derive(Debug, Clone)]
enum OwnedPiece {
    Field(char, usize),
    Text(String),
    Quote,
}

impl Pattern {
    pub(crate) fn new(pattern: &str) -> Self {
        let pieces = pieces(pattern)
            .map(|p| match p {
                Piece::Field(c, n) => OwnedPiece::Field(c, n),
                Piece::Text(t) => OwnedPiece::Text(t.to_string()),
                Piece::Quote => OwnedPiece::Quote,
            })
            .collect();
        Pattern { pieces }
    }

    /// What [`format`] gives for this pattern.
    pub(crate) fn format(&self, micros: i64) -> String {
        let pieces = self.pieces.iter().map(|p| match p {
            OwnedPiece::Field(c, n) => Piece::Field(*c, *n),
            OwnedPiece::Text(t) => Piece::Text(t),
            OwnedPiece::Quote => Piece::Quote,
        });
        format_pieces(micros, pieces, None)
    }
}

fn format_fields(micros: i64, pattern: &str, zone: Option<(SessionZone, i64)>) -> String {
    format_pieces(micros, pieces(pattern), zone)
}

fn format_pieces<'p>(
    micros: i64,
    pieces: impl Iterator<Item = Piece<'p>>,
    zone: Option<(SessionZone, i64)>,
) -> String {
    let days = micros.div_euclid(MICROS_PER_DAY);
    let of_day = micros.rem_euclid(MICROS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    let hour = of_day / 3_600_000_000;
    let minute = of_day / 60_000_000 % 60;
    let second = of_day / 1_000_000 % 60;
    let frac_micros = of_day % 1_000_000;
    let dow = (days + 4).rem_euclid(7) as usize; // 1970-01-01 was a Thursday; 0 = Sunday.
    let doy = days - days_from_civil(year, 1, 1) + 1;
    let mut out = String::with_capacity(24);
    for p in pieces {
        match p {
            Piece::Text(t) => out.push_str(t),
            Piece::Quote => out.push('\''),
            Piece::Field(c, n) => match c {
                'G' => out.push_str(if year > 0 { "AD" } else { "BC" }),
                'y' | 'Y' | 'u' if c != 'u' || n > 1 => {
                    if n == 2 {
                        pad(&mut out, year.rem_euclid(100), 2)
                    } else {
                        pad(&mut out, year, n)
                    }
                }
                'u' => pad(&mut out, if dow == 0 { 7 } else { dow as i64 }, n),
                'M' | 'L' => match n {
                    1 | 2 => pad(&mut out, i64::from(month), n),
                    3 => out.push_str(&MONTHS[month as usize - 1][..3]),
                    _ => out.push_str(MONTHS[month as usize - 1]),
                },
                'd' => pad(&mut out, i64::from(day), n),
                'H' => pad(&mut out, hour, n),
                'k' => pad(&mut out, if hour == 0 { 24 } else { hour }, n),
                'K' => pad(&mut out, hour % 12, n),
                'h' => pad(&mut out, if hour % 12 == 0 { 12 } else { hour % 12 }, n),
                'm' => pad(&mut out, minute, n),
                's' => pad(&mut out, second, n),
                'S' => {
                    // The fraction of the second to `n` digits (java.time's reading of `S`).
                    let digits = format!("{frac_micros:06}000");
                    out.push_str(&digits[..n.min(9)]);
                }
                'E' => {
                    let name = DAYS[dow];
                    out.push_str(if n <= 3 { &name[..3] } else { name });
                }
                'a' => out.push_str(if hour < 12 { "AM" } else { "PM" }),
                'D' => pad(&mut out, doy, n),
                'w' => pad(&mut out, week_of_year(doy, dow as i64), n),
                'z' => match zone {
                    Some((z, at)) => z.abbreviation(at, &mut out),
                    None => out.push_str("UTC"),
                },
                'Z' | 'X' => {
                    let offset = zone.map_or(0, |(z, at)| z.offset_seconds(at));
                    write_offset(offset, c, n, &mut out);
                }
                other => {
                    for _ in 0..n {
                        out.push(other);
                    }
                }
            },
        }
    }
    out
}

/// A zone offset as `Z` (`+0800`) or `X` (`Z` for zero, else `+08`, `+0800`, `+08:00` by
/// the run's length) write it.
fn write_offset(seconds: i32, letter: char, n: usize, out: &mut String) {
    use std::fmt::Write;
    if letter == 'X' && seconds == 0 {
        out.push('Z');
        return;
    }
    let sign = if seconds < 0 { '-' } else { '+' };
    let minutes = seconds.unsigned_abs() / 60;
    let (h, m) = (minutes / 60, minutes % 60);
    let _ = match (letter, n) {
        ('X', 1) if m == 0 => write!(out, "{sign}{h:02}"),
        ('X', 3..) => write!(out, "{sign}{h:02}:{m:02}"),
        _ => write!(out, "{sign}{h:02}{m:02}"),
    };
}

/// `SimpleDateFormat`'s week of year (weeks start on Sunday, week 1 holds January 1st).
fn week_of_year(doy: i64, dow: i64) -> i64 {
    let jan1_dow = (dow - (doy - 1)).rem_euclid(7);
    (doy - 1 + jan1_dow) / 7 + 1
}

/// Fields read by [`parse`].
#[derive(Debug, Default)]
struct Parsed {
    year: Option<i64>,
    month: Option<u32>,
    day: Option<u32>,
    hour: i64,
    pm: Option<bool>,
    twelve_hour: bool,
    minute: i64,
    second: i64,
    micros: i64,
}

/// Parses `text` with `pattern` into a zone-less wall-clock time (microseconds); `None` when
/// it does not match. Missing date fields default to 1970-01-01, as Java's do.
pub(crate) fn parse(text: &str, pattern: &str) -> Option<i64> {
    let mut p = Parsed::default();
    let mut rest = text;
    let mut it = pieces(pattern).peekable();
    while let Some(piece) = it.next() {
        match piece {
            Piece::Text(t) => rest = rest.strip_prefix(t)?,
            Piece::Quote => rest = rest.strip_prefix('\'')?,
            Piece::Field(c, n) => {
                let adjacent_number =
                    matches!(it.peek(), Some(Piece::Field(x, _)) if "yMdHkKhmsSDu".contains(*x));
                let width = if adjacent_number { Some(n) } else { None };
                match c {
                    'M' if n >= 3 => {
                        let (i, len) = MONTHS.iter().enumerate().find_map(|(i, m)| {
                            let full = rest.get(..m.len()).is_some_and(|h| h.eq_ignore_ascii_case(m));
                            let short = rest.get(..3).is_some_and(|h| h.eq_ignore_ascii_case(&m[..3]));
                            if full {
                                Some((i, m.len()))
                            } else if short {
                                Some((i, 3))
                            } else {
                                None
                            }
                        })?;
                        p.month = Some(i as u32 + 1);
                        rest = &rest[len..];
                    }
                    'E' => {
                        let len = DAYS.iter().find_map(|d| {
                            if rest.get(..d.len()).is_some_and(|h| h.eq_ignore_ascii_case(d)) {
                                Some(d.len())
                            } else if rest.get(..3).is_some_and(|h| h.eq_ignore_ascii_case(&d[..3])) {
                                Some(3)
                            } else {
                                None
                            }
                        })?;
                        rest = &rest[len..];
                    }
                    'a' => {
                        let head = rest.get(..2)?;
                        p.pm = Some(match head.to_ascii_uppercase().as_str() {
                            "AM" => false,
                            "PM" => true,
                            _ => return None,
                        });
                        rest = &rest[2..];
                    }
                    'S' => {
                        let (digits, r) = take_digits(rest, width)?;
                        let len = digits.len().min(9);
                        let v: i64 = digits[..len].parse().ok()?;
                        p.micros = if len <= 6 {
                            v * 10i64.pow(6 - len as u32)
                        } else {
                            v / 10i64.pow(len as u32 - 6)
                        };
                        rest = r;
                    }
                    'y' | 'M' | 'd' | 'H' | 'k' | 'K' | 'h' | 'm' | 's' | 'D' | 'u' => {
                        let (neg, body) = match (c, rest.strip_prefix('-')) {
                            ('y', Some(b)) => (true, b),
                            _ => (false, rest),
                        };
                        let (digits, r) = take_digits(body, width)?;
                        let mut v: i64 = digits.parse().ok()?;
                        if neg {
                            v = -v;
                        }
                        rest = r;
                        match c {
                            'y' if n == 2 && digits.len() == 2 => p.year = Some(2000 + v),
                            'y' => p.year = Some(v),
                            'M' => p.month = Some(u32::try_from(v).ok()?),
                            'd' => p.day = Some(u32::try_from(v).ok()?),
                            'H' => p.hour = v,
                            'k' => p.hour = v % 24,
                            'K' | 'h' => {
                                p.hour = v % 12;
                                p.twelve_hour = true;
                            }
                            'm' => p.minute = v,
                            's' => p.second = v,
                            _ => {}
                        }
                    }
                    _ => return None,
                }
            }
        }
    }
    if !rest.is_empty() {
        return None;
    }
    let year = p.year.unwrap_or(1970);
    let month = p.month.unwrap_or(1);
    let day = p.day.unwrap_or(1);
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    if !(0..24).contains(&p.hour) || !(0..60).contains(&p.minute) || !(0..60).contains(&p.second) {
        return None;
    }
    let hour = if p.twelve_hour && p.pm == Some(true) {
        p.hour + 12
    } else {
        p.hour
    };
    let days = days_from_civil(year, month, day);
    let secs = (hour * 60 + p.minute) * 60 + p.second;
    days.checked_mul(MICROS_PER_DAY)?
        .checked_add(secs * 1_000_000 + p.micros)
}

/// The leading digits of `s` (exactly `width` of them when given).
fn take_digits(s: &str, width: Option<usize>) -> Option<(&str, &str)> {
    let n = s.bytes().take_while(u8::is_ascii_digit).count();
    let n = match width {
        Some(w) if n >= w => w,
        Some(_) => return None,
        None => n,
    };
    if n == 0 || n > 18 {
        return None;
    }
    Some(s.split_at(n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::temporal::parse_timestamp;

    #[test]
    fn formats_like_flink() {
        // Flink run 1: DATE_FORMAT of TIMESTAMP '2026-11-01 08:01:02.123'.
        let ts = parse_timestamp("2026-11-01 08:01:02.123").unwrap_or_default();
        assert_eq!(
            format(ts, "yyyy/MM/dd HH:mm:ss.SSS EEE MMM a hh"),
            "2026/11/01 08:01:02.123 Sun Nov AM 08"
        );
        assert_eq!(format(ts, "yy-M-d H:m:s 'T' D"), "26-11-1 8:1:2 T 305");
        assert_eq!(format(ts, "yyyyMMdd"), "20261101");
    }

    proptest::proptest! {
        #[test]
        fn odd_patterns_and_text_never_panic(pattern in "[yMdHhmsSEaDkKuwzZX'é: -]{0,12}", text in "[0-9a-zA-Zé:' -]{0,16}") {
            let _ = format(1_793_520_062_000_000, &pattern);
            let _ = parse(&text, &pattern);
        }

        /// The digit writer is `format!`'s zero padding, sign first, for every `i64`.
        #[test]
        fn pad_is_format_zero_padding(v in proptest::prop_oneof![proptest::prelude::any::<i64>(), -120i64..120], width in 0usize..24) {
            let mut out = String::new();
            pad(&mut out, v, width);
            let sign = if v < 0 { "-" } else { "" };
            proptest::prop_assert_eq!(out, format!("{sign}{:0width$}", v.unsigned_abs()));
        }
    }

    #[test]
    fn parses_patterns() {
        let expect = parse_timestamp("2026-11-01 00:00:00");
        assert_eq!(parse("2026/11/01", "yyyy/MM/dd"), expect);
        assert_eq!(parse("20261101", "yyyyMMdd"), expect);
        assert_eq!(
            parse("2026-11-01 08:01:02", "yyyy-MM-dd HH:mm:ss"),
            parse_timestamp("2026-11-01 08:01:02")
        );
        assert_eq!(
            parse("01 Nov 2026 08:01 PM", "dd MMM yyyy hh:mm a"),
            parse_timestamp("2026-11-01 20:01:00")
        );
        assert_eq!(parse("2026-13-01", "yyyy-MM-dd"), None);
        assert_eq!(parse("2026-11-01x", "yyyy-MM-dd"), None);
        assert_eq!(parse("", "yyyy"), None);
    }
}
