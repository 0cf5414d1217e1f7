//! Java `SimpleDateFormat`-style patterns (`yyyy-MM-dd HH:mm:ss.SSS`), as Flink's
//! `DATE_FORMAT`, `FROM_UNIXTIME`, `TO_TIMESTAMP(s, fmt)`, `UNIX_TIMESTAMP(s, fmt)` and
//! `TO_DATE(s, fmt)` take them, on zone-less wall-clock times (the callers convert instants
//! through the session zone; `FROM_UNIXTIME` also writes the zone's fields). Patterns are read letter run by letter run while
//! formatting or parsing (no compiled form, no allocation besides the output).
//!
//! `DATE_FORMAT` reads its pattern as Flink 2.3 does, with java.time's `DateTimeFormatter` in
//! the US locale ([`Letters::JavaTime`]: `u` is the year, `e`/`c` the day of the week counted
//! from Sunday, `Q` the quarter, `n` the nanosecond, `A` the millisecond of the day, `W` the week
//! of the month, `F` (as JDK 17 reads it) the aligned day of the week in the month, five `E` or
//! `M` the narrow name); `FROM_UNIXTIME` with `SimpleDateFormat` ([`Letters::Simple`]: `u` is
//! the day of the week, Monday 1). Both know `G y Y M L d H k K h m s S E a D w z Z X` and quoted
//! text, and count weeks as the US locale does (Sunday first; week 1 holds January 1st, so the
//! last days of December can be week 1 of the next week-based year `Y`). Parsing knows the
//! numeric fields, month and day names and `a`. Numbers are parsed greedily unless the next
//! field follows without a separator (`yyyyMMdd`), then with the pattern's width, as Java does.

use crate::temporal::{MICROS_PER_DAY, civil_from_days, days_from_civil, days_in_month, days_since_sunday};
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

/// Which Java formatter a function's pattern letters follow (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Letters {
    /// `java.time.format.DateTimeFormatter` (Flink's `DATE_FORMAT`).
    JavaTime,
    /// `java.text.SimpleDateFormat` (Flink's `FROM_UNIXTIME`).
    Simple,
}

/// Formats `micros` (a zone-less wall-clock time) with `pattern` as `DATE_FORMAT` does; zone
/// fields (`z`, `Z`, `X`) write UTC's.
pub(crate) fn format(micros: i64, pattern: &str) -> String {
    format_pieces(micros, pieces(pattern), None, Letters::JavaTime)
}

/// Formats the instant `utc_micros` as a wall-clock time of `zone` as `FROM_UNIXTIME` does,
/// zone fields included (`FROM_UNIXTIME(n, 'HH:mm z Z')` is `01:30 PST -0800` in
/// `America/Los_Angeles`).
pub(crate) fn format_in(utc_micros: i64, pattern: &str, zone: SessionZone) -> String {
    format_pieces(
        zone.to_local(utc_micros),
        pieces(pattern),
        Some((zone, utc_micros)),
        Letters::Simple,
    )
}

/// A pattern read once into its pieces, for formatting many times (`DATE_FORMAT(ts, 'HH:mm')`
/// with a constant pattern: reading the pattern was a fifth of the call).
#[derive(Debug, Clone)]
pub struct Pattern {
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
        format_pieces(micros, pieces, None, Letters::JavaTime)
    }
}

fn format_pieces<'p>(
    micros: i64,
    pieces: impl Iterator<Item = Piece<'p>>,
    zone: Option<(SessionZone, i64)>,
    letters: Letters,
) -> String {
    let days = micros.div_euclid(MICROS_PER_DAY);
    let of_day = micros.rem_euclid(MICROS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    let hour = of_day / 3_600_000_000;
    let minute = of_day / 60_000_000 % 60;
    let second = of_day / 1_000_000 % 60;
    let frac_micros = of_day % 1_000_000;
    let dow = days_since_sunday(days) as usize; // 0 = Sunday.
    let doy = days - days_from_civil(year, 1, 1) + 1;
    let mut out = String::with_capacity(24);
    for p in pieces {
        match p {
            Piece::Text(t) => out.push_str(t),
            Piece::Quote => out.push('\''),
            Piece::Field(c, n) => match c {
                'G' => out.push_str(if year > 0 { "AD" } else { "BC" }),
                'y' => pad_year(&mut out, year, n),
                'u' if letters == Letters::JavaTime => pad_year(&mut out, year, n),
                'u' => pad(&mut out, if dow == 0 { 7 } else { dow as i64 }, n),
                'Y' => pad_year(&mut out, week_based_year(days, dow as i64), n),
                'M' | 'L' => match n {
                    1 | 2 => pad(&mut out, i64::from(month), n),
                    3 => out.push_str(&MONTHS[month as usize - 1][..3]),
                    5 if letters == Letters::JavaTime => out.push_str(&MONTHS[month as usize - 1][..1]),
                    _ => out.push_str(MONTHS[month as usize - 1]),
                },
                // The localized day of the week: Sunday is 1 in the US.
                'e' | 'c' if letters == Letters::JavaTime => match n {
                    1 | 2 => pad(&mut out, dow as i64 + 1, n),
                    _ => day_name(&mut out, dow, n),
                },
                'Q' | 'q' if letters == Letters::JavaTime => {
                    let quarter = (i64::from(month) - 1) / 3 + 1;
                    match n {
                        1 | 2 => pad(&mut out, quarter, n),
                        3 => {
                            out.push('Q');
                            pad(&mut out, quarter, 1);
                        }
                        4 => {
                            out.push_str(["1st", "2nd", "3rd", "4th"][quarter as usize - 1]);
                            out.push_str(" quarter");
                        }
                        _ => pad(&mut out, quarter, 1),
                    }
                }
                'n' if letters == Letters::JavaTime => pad(&mut out, frac_micros * 1000, n),
                'N' if letters == Letters::JavaTime => pad(&mut out, of_day * 1000, n),
                'A' if letters == Letters::JavaTime => pad(&mut out, of_day / 1000, n),
                'W' => pad(
                    &mut out,
                    (i64::from(day) - 1 + first_of_month_dow(dow, day)) / 7 + 1,
                    n,
                ),
                // JDK 17 reads `F` as the aligned day of the week in the month.
                'F' if letters == Letters::JavaTime => pad(&mut out, (i64::from(day) - 1) % 7 + 1, n),
                'F' => pad(&mut out, (i64::from(day) - 1) / 7 + 1, n),
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
                // SimpleDateFormat has no narrow name: five or more letters are the full one.
                'E' if letters == Letters::JavaTime => day_name(&mut out, dow, n),
                'E' => day_name(&mut out, dow, n.min(4)),
                'a' => out.push_str(if hour < 12 { "AM" } else { "PM" }),
                'D' => pad(&mut out, doy, n),
                'w' => pad(&mut out, week_of_week_based_year(days, dow as i64), n),
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

/// A year as `y` writes it: two digits for `yy`, else at least `n` digits.
fn pad_year(out: &mut String, year: i64, n: usize) {
    if n == 2 {
        pad(out, year.rem_euclid(100), 2);
    } else {
        pad(out, year, n);
    }
}

/// A day's name as java.time's `E` writes it: `Mon` (1 to 3 letters), `Monday` (4), `M` (5).
fn day_name(out: &mut String, dow: usize, n: usize) {
    let name = DAYS[dow];
    out.push_str(match n {
        ..=3 => &name[..3],
        4 => name,
        _ => &name[..1],
    });
}

/// The day of the week (0 = Sunday) of the 1st of the month of a day `day` whose day of the
/// week is `dow`.
fn first_of_month_dow(dow: usize, day: u32) -> i64 {
    (dow as i64 - (i64::from(day) - 1)).rem_euclid(7)
}

/// The first day (days since the epoch) of week 1 of week-based year `year` in the US locale:
/// the Sunday on or before January 1st.
fn week_one_start(year: i64) -> i64 {
    let jan1 = days_from_civil(year, 1, 1);
    jan1 - days_since_sunday(jan1)
}

/// The US week-based year of the day `days` (day of the week `dow`, 0 = Sunday): that of the
/// Saturday ending its week, as a week holding January 1st is week 1.
fn week_based_year(days: i64, dow: i64) -> i64 {
    civil_from_days(days - dow + 6).0
}

/// The week of the US week-based year of the day `days` (`w`; weeks start on Sunday, week 1
/// holds January 1st): December 30, 2024 is week 1 of 2025.
fn week_of_week_based_year(days: i64, dow: i64) -> i64 {
    (days - dow - week_one_start(week_based_year(days, dow))) / 7 + 1
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

/// What a parsed day of the month past the month's end (up to 31: `29/02/2023`) becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PastMonthEnd {
    /// No time: the text does not match.
    Reject,
    /// The month's last day, as java.time's smart resolver reads it (Flink's `TO_TIMESTAMP(s,
    /// fmt)`: `2023-02-28 10:00:00`).
    Clamp,
    /// The days past the end run into the next month, as a lenient `SimpleDateFormat` reads
    /// them (Flink's `TO_DATE(s, fmt)`: `2023-03-01`).
    Roll,
}

/// Parses `text` with `pattern` into a zone-less wall-clock time (microseconds); `None` when
/// it does not match. Missing date fields default to 1970-01-01, as Java's do.
pub fn parse(text: &str, pattern: &str) -> Option<i64> {
    parse_resolving(text, pattern, PastMonthEnd::Reject)
}

/// [`parse`], with a day past the month's end resolved as `past_end` says.
pub(crate) fn parse_resolving(text: &str, pattern: &str, past_end: PastMonthEnd) -> Option<i64> {
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
    if !(1..=12).contains(&month) || day == 0 || day > 31 {
        return None;
    }
    let month_end = days_in_month(year, month);
    // Days past the month's end, carried into the next month when they roll.
    let (day, carried) = match past_end {
        _ if day <= month_end => (day, 0),
        PastMonthEnd::Reject => return None,
        PastMonthEnd::Clamp => (month_end, 0),
        PastMonthEnd::Roll => (month_end, i64::from(day - month_end)),
    };
    if !(0..24).contains(&p.hour) || !(0..60).contains(&p.minute) || !(0..60).contains(&p.second) {
        return None;
    }
    let hour = if p.twelve_hour && p.pm == Some(true) {
        p.hour + 12
    } else {
        p.hour
    };
    let days = days_from_civil(year, month, day) + carried;
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

    /// The conformance probes of 2026-11-26: DATE_FORMAT in Flink 2.3 (java.time letters,
    /// US locale) against FROM_UNIXTIME (SimpleDateFormat).
    #[test]
    fn date_format_reads_java_time_letters() {
        let monday = parse_timestamp("2024-12-30 00:05:00.05").unwrap_or_default();
        assert_eq!(format(monday, "D w u"), "365 1 2024");
        assert_eq!(format(monday, "YYYY-ww"), "2025-01");
        assert_eq!(format(monday, "e c"), "2 2");
        assert_eq!(format(monday, "EEEEE MMMMM"), "M D");
        assert_eq!(format(monday, "Q QQQ"), "4 Q4");
        assert_eq!(format(monday, "n"), "50000000");
        assert_eq!(format(monday, "A"), "300050");
        assert_eq!(format(monday, "W F"), "5 2");
        let sunday = parse_timestamp("2026-06-07 13:07:08.123").unwrap_or_default();
        assert_eq!(format(sunday, "D w u"), "158 24 2026");
        // FROM_UNIXTIME keeps SimpleDateFormat's `u` (Monday 1 .. Sunday 7).
        assert_eq!(format_in(sunday, "u", SessionZone::UTC), "7");
        assert_eq!(format_in(monday, "u w YYYY", SessionZone::UTC), "1 1 2025");
        // Week 1 starts on the Sunday on or before January 1st; the week before is the last
        // of the year before.
        let saturday = parse_timestamp("2022-12-31 12:00:00").unwrap_or_default();
        assert_eq!(format(saturday, "YYYY-ww"), "2022-53");
        let jan1 = parse_timestamp("2023-01-01 00:00:00").unwrap_or_default();
        assert_eq!(format(jan1, "YYYY-ww"), "2023-01");
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

    /// The conformance probes of 2026-11-26: Flink's TO_TIMESTAMP(s, fmt) clamps a day past the
    /// month's end, its TO_DATE(s, fmt) rolls it over.
    #[test]
    fn a_day_past_the_month_end_is_rejected_clamped_or_rolled() {
        let (text, pattern) = ("29/02/2023 10:00", "dd/MM/yyyy HH:mm");
        assert_eq!(parse(text, pattern), None);
        let clamped = parse_resolving(text, pattern, PastMonthEnd::Clamp);
        assert_eq!(clamped, parse_timestamp("2023-02-28 10:00:00"));
        let rolled = parse_resolving(text, pattern, PastMonthEnd::Roll);
        assert_eq!(rolled, parse_timestamp("2023-03-01 10:00:00"));
        let rolled = parse_resolving("31/04/2024", "dd/MM/yyyy", PastMonthEnd::Roll);
        assert_eq!(rolled, parse_timestamp("2024-05-01 00:00:00"));
        for past_end in [PastMonthEnd::Reject, PastMonthEnd::Clamp, PastMonthEnd::Roll] {
            assert_eq!(parse_resolving("32/01/2024", "dd/MM/yyyy", past_end), None);
            assert_eq!(parse_resolving("00/01/2024", "dd/MM/yyyy", past_end), None);
            assert_eq!(
                parse_resolving("29/02/2024", "dd/MM/yyyy", past_end),
                parse_timestamp("2024-02-29 00:00:00")
            );
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
