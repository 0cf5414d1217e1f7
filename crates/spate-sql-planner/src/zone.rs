//! The session time zone, Flink's `table.local-time-zone`: the zone `TIMESTAMP_LTZ` values are
//! shown in and converted through (`CAST`, `DATE_FORMAT`, `FROM_UNIXTIME`, `CURRENT_DATE`,
//! windows over a `TIMESTAMP_LTZ` time attribute). Spate's default is UTC (Flink's is the JVM's
//! zone).
//!
//! A [`SessionZone`] is resolved once, when the session reads the setting, and is `Copy`: a named
//! zone's rules are parsed from the tzdb compiled into the binary (`jiff`'s bundled copy) once
//! per distinct name in the process and kept for its lifetime, so evaluating a row never parses,
//! locks or allocates — an offset lookup is a binary search over the zone's transitions.
//!
//! Accepted values are exactly those Flink 2.3 accepts (checked on Flink; its rule: the id must
//! mean the same to `java.util.TimeZone` and `java.time.ZoneId`): IANA names (`Europe/Berlin`,
//! `Etc/GMT-8`, `CET`), `UTC`, `GMT`, and `GMT` with an offset (`GMT+8`, `GMT+08:00`,
//! `GMT-0330`). Flink rejects `Z`, `UT`, `UTC+8`, bare offsets (`+08:00`), names in another
//! case (`europe/berlin`) and the three-letter ids Java maps to offsets (`EST`, `MST`, `HST`,
//! `PST`), and so does Spate.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use jiff::civil::DateTime;
use jiff::tz::{AmbiguousOffset, TimeZone};

use crate::temporal::{MICROS_PER_DAY, MICROS_PER_SECOND, civil_from_days};

/// Flink's message for a zone it refuses (`TableConfigValidation.validateTimeZone`).
pub const INVALID_ZONE: &str = "Invalid time zone. The value should be a Time Zone Database (TZDB) ID \
     such as 'America/Los_Angeles' to include daylight saving time. Fixed offsets are supported using \
     'GMT-03:00' or 'GMT+03:00'. Or use 'UTC' without time zone and daylight saving time.";

/// A resolved session time zone; the default is UTC.
#[derive(Clone, Copy)]
pub struct SessionZone {
    /// The id as written (`America/Los_Angeles`, `GMT+08:00`).
    name: &'static str,
    rules: Rules,
}

#[derive(Clone, Copy)]
enum Rules {
    /// A constant offset in seconds east of UTC (`UTC`, `GMT`, `GMT+8`).
    Fixed(i32),
    /// A tzdb zone's rules, interned for the process.
    Named(&'static TimeZone),
}

/// Which instant a local time in a fall-back overlap means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overlap {
    /// The earlier instant (the offset before the transition), as `java.time`'s `atZone` picks:
    /// `CAST(ts AS TIMESTAMP_LTZ)`, `CAST(string AS TIMESTAMP_LTZ)`.
    Earlier,
    /// The later instant (standard time), as `java.text.SimpleDateFormat` picks:
    /// `UNIX_TIMESTAMP(string)`.
    Later,
}

impl Default for SessionZone {
    fn default() -> Self {
        Self::UTC
    }
}

impl std::fmt::Debug for SessionZone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SessionZone({})", self.name)
    }
}

impl PartialEq for SessionZone {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for SessionZone {}

/// Named zones resolved so far: each is parsed once and lives as long as the process (there are
/// a few hundred names at most).
fn interned(name: &str) -> Option<(&'static str, &'static TimeZone)> {
    static ZONES: OnceLock<Mutex<HashMap<String, (&'static str, &'static TimeZone)>>> = OnceLock::new();
    let mut zones = ZONES
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(z) = zones.get(name) {
        return Some(*z);
    }
    let tz = TimeZone::get(name).ok()?;
    // The tzdb lookup ignores case; Java's does not (Flink refuses `EUROPE/BERLIN`).
    if tz.iana_name() != Some(name) {
        return None;
    }
    let entry: (&'static str, &'static TimeZone) = (
        Box::leak(name.to_string().into_boxed_str()),
        Box::leak(Box::new(tz)),
    );
    zones.insert(name.to_string(), entry);
    Some(entry)
}

/// The seconds of a `GMT` offset suffix as both `java.util.TimeZone` and `ZoneOffset.of` read
/// it: `+h`, `+hh`, `+hh:mm` or `+hhmm`, at most 18 hours.
fn gmt_offset(s: &str) -> Option<i32> {
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    if !rest.bytes().all(|b| b.is_ascii_digit() || b == b':') {
        return None;
    }
    let num = |t: &str| t.parse::<i32>().ok();
    let (h, m) = match rest.len() {
        1 | 2 if !rest.contains(':') => (num(rest)?, 0),
        4 if !rest.contains(':') => (num(&rest[..2])?, num(&rest[2..])?),
        5 if rest.as_bytes()[2] == b':' => (num(&rest[..2])?, num(&rest[3..])?),
        _ => return None,
    };
    if m > 59 || h * 60 + m > 18 * 60 {
        return None;
    }
    Some(sign * (h * 3600 + m * 60))
}

/// The seconds of a `java.time.ZoneOffset.of` text: `+h`, `+hh`, `+hh:mm`, `+hhmm`,
/// `+hh:mm:ss` or `+hhmmss`, at most 18 hours.
fn zone_offset(s: &str) -> Option<i32> {
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let num = |t: &str| -> Option<i32> {
        if t.len() == 2 && t.bytes().all(|b| b.is_ascii_digit()) {
            t.parse().ok()
        } else {
            None
        }
    };
    let b = rest.as_bytes();
    let (h, m, sec) = match rest.len() {
        1 if b[0].is_ascii_digit() => (i32::from(b[0] - b'0'), 0, 0),
        2 => (num(rest)?, 0, 0),
        4 => (num(&rest[..2])?, num(&rest[2..])?, 0),
        5 if b[2] == b':' => (num(&rest[..2])?, num(&rest[3..])?, 0),
        6 => (num(&rest[..2])?, num(&rest[2..4])?, num(&rest[4..])?),
        8 if b[2] == b':' && b[5] == b':' => (num(&rest[..2])?, num(&rest[3..5])?, num(&rest[6..])?),
        _ => return None,
    };
    let total = h * 3600 + m * 60 + sec;
    (m <= 59 && sec <= 59 && total <= 18 * 3600).then_some(sign * total)
}

impl SessionZone {
    /// UTC.
    pub const UTC: SessionZone = SessionZone {
        name: "UTC",
        rules: Rules::Fixed(0),
    };

    /// The zone `value` names, with Flink's rules for what is accepted; `None` when Flink
    /// refuses it (see [`INVALID_ZONE`]).
    pub fn parse(value: &str) -> Option<SessionZone> {
        if value == "UTC" || value == "GMT" {
            return Some(SessionZone {
                name: if value == "UTC" { "UTC" } else { "GMT" },
                rules: Rules::Fixed(0),
            });
        }
        if let Some(offset) = value.strip_prefix("GMT").filter(|o| o.starts_with(['+', '-'])) {
            let seconds = gmt_offset(offset)?;
            let name = interned_name(value);
            return Some(SessionZone {
                name,
                rules: Rules::Fixed(seconds),
            });
        }
        // Java maps these to fixed offsets in `TimeZone`, to tzdb regions in `ZoneId`: Flink
        // refuses them as ambiguous. `UT` and `Z` are `ZoneId`-only.
        if matches!(value, "EST" | "MST" | "HST" | "UT" | "Z")
            || !value.starts_with(|c: char| c.is_ascii_uppercase())
        {
            return None;
        }
        let (name, tz) = interned(value)?;
        Some(SessionZone {
            name,
            rules: Rules::Named(tz),
        })
    }

    /// The zone a function argument names, read as `java.time.ZoneId.of` reads it (Flink's
    /// `TO_TIMESTAMP_LTZ(s, fmt, zone)`): besides what [`parse`](Self::parse) takes, `Z`, bare
    /// offsets (`+8`, `+08:00`, `-0330`, `+08:30:15`) and `UTC`/`UT`/`GMT` with one (`UTC+8`).
    /// `None` when Java refuses it.
    pub fn parse_zone_id(value: &str) -> Option<SessionZone> {
        if let Some(z) = SessionZone::parse(value) {
            return Some(z);
        }
        let fixed = |seconds: i32| SessionZone {
            name: interned_name(value),
            rules: Rules::Fixed(seconds),
        };
        if value == "Z" || value == "UT" {
            return Some(fixed(0));
        }
        // tzdb regions to `ZoneId` (only the session setting refuses them).
        if matches!(value, "EST" | "MST" | "HST") {
            let (name, tz) = interned(value)?;
            return Some(SessionZone {
                name,
                rules: Rules::Named(tz),
            });
        }
        if value.starts_with(['+', '-']) {
            return zone_offset(value).map(fixed);
        }
        let offset = ["UTC", "GMT", "UT"]
            .iter()
            .find_map(|p| value.strip_prefix(p).filter(|o| o.starts_with(['+', '-'])))?;
        zone_offset(offset).map(fixed)
    }

    /// The zone `java.util.TimeZone.getTimeZone(id)` gives (Flink's `CONVERT_TZ`): besides
    /// what [`parse`](Self::parse) takes, Java's three-letter ids (`EST`, `MST` and `HST` as
    /// fixed offsets, `PST`, `CST`, `JST`, ... as the regions Java maps them to); any id Java
    /// does not know is GMT, as Java makes it (Flink 2.3: `UTC+8`, `+08:00`, `utc` are GMT).
    pub fn java_time_zone(id: &str) -> SessionZone {
        let fixed = |hours: i32| SessionZone {
            name: interned_name(id),
            rules: Rules::Fixed(hours * 3600),
        };
        match id {
            "EST" => return fixed(-5),
            "MST" => return fixed(-7),
            "HST" => return fixed(-10),
            _ => {}
        }
        const SHORT_IDS: [(&str, &str); 25] = [
            ("ACT", "Australia/Darwin"),
            ("AET", "Australia/Sydney"),
            ("AGT", "America/Argentina/Buenos_Aires"),
            ("ART", "Africa/Cairo"),
            ("AST", "America/Anchorage"),
            ("BET", "America/Sao_Paulo"),
            ("BST", "Asia/Dhaka"),
            ("CAT", "Africa/Harare"),
            ("CNT", "America/St_Johns"),
            ("CST", "America/Chicago"),
            ("CTT", "Asia/Shanghai"),
            ("EAT", "Africa/Addis_Ababa"),
            ("ECT", "Europe/Paris"),
            ("IET", "America/Indiana/Indianapolis"),
            ("IST", "Asia/Kolkata"),
            ("JST", "Asia/Tokyo"),
            ("MIT", "Pacific/Apia"),
            ("NET", "Asia/Yerevan"),
            ("NST", "Pacific/Auckland"),
            ("PLT", "Asia/Karachi"),
            ("PNT", "America/Phoenix"),
            ("PRT", "America/Puerto_Rico"),
            ("PST", "America/Los_Angeles"),
            ("SST", "Pacific/Guadalcanal"),
            ("VST", "Asia/Ho_Chi_Minh"),
        ];
        let region = SHORT_IDS
            .iter()
            .find(|(short, _)| *short == id)
            .map_or(id, |(_, r)| *r);
        SessionZone::parse(region).unwrap_or(SessionZone {
            name: "GMT",
            rules: Rules::Fixed(0),
        })
    }

    /// The id as it was set.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Whether wall-clock time is UTC at every instant: `TIMESTAMP` and `TIMESTAMP_LTZ` values
    /// then convert into each other unchanged.
    pub fn is_utc(&self) -> bool {
        matches!(self.rules, Rules::Fixed(0))
    }

    /// Seconds east of UTC at the instant `utc_micros`.
    pub fn offset_seconds(&self, utc_micros: i64) -> i32 {
        match self.rules {
            Rules::Fixed(s) => s,
            Rules::Named(tz) => tz.to_offset(instant(utc_micros)).seconds(),
        }
    }

    /// The wall-clock time (microseconds of a zone-less `TIMESTAMP`) at the instant
    /// `utc_micros`.
    pub fn to_local(&self, utc_micros: i64) -> i64 {
        utc_micros.saturating_add(i64::from(self.offset_seconds(utc_micros)) * MICROS_PER_SECOND)
    }

    /// The instant of the wall-clock time `local_micros`. A time in a spring-forward gap moves
    /// forward by the gap's length (`02:30` → `03:30` on a one-hour gap), as Java does; a time
    /// in a fall-back overlap is the instant `overlap` picks.
    pub fn to_utc(&self, local_micros: i64, overlap: Overlap) -> i64 {
        let offset = match self.rules {
            Rules::Fixed(s) => s,
            Rules::Named(tz) => match civil(local_micros) {
                Some(dt) => match tz.to_ambiguous_timestamp(dt).offset() {
                    AmbiguousOffset::Unambiguous { offset } => offset.seconds(),
                    // The pre-gap offset applied to a time past the transition lands after it.
                    AmbiguousOffset::Gap { before, .. } => before.seconds(),
                    AmbiguousOffset::Fold { before, after } => match overlap {
                        Overlap::Earlier => before.seconds(),
                        Overlap::Later => after.seconds(),
                    },
                },
                // Beyond the tzdb's calendar range: the offset at its edge.
                None => tz.to_offset(instant(local_micros)).seconds(),
            },
        };
        local_micros.saturating_sub(i64::from(offset) * MICROS_PER_SECOND)
    }

    /// The zone's short name at the instant `utc_micros`, as a date pattern's `z` writes it
    /// (`PST`, `CEST`; the id itself for fixed offsets: `UTC`, `GMT+08:00`).
    pub fn abbreviation(&self, utc_micros: i64, out: &mut String) {
        match self.rules {
            Rules::Fixed(_) => out.push_str(self.name),
            Rules::Named(tz) => out.push_str(tz.to_offset_info(instant(utc_micros)).abbreviation()),
        }
    }
}

/// The name of a fixed `GMT` zone, kept for the process like a named zone's.
fn interned_name(value: &str) -> &'static str {
    static NAMES: OnceLock<Mutex<HashMap<String, &'static str>>> = OnceLock::new();
    let mut names = NAMES
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    names
        .entry(value.to_string())
        .or_insert_with(|| Box::leak(value.to_string().into_boxed_str()))
}

/// `micros` as a tzdb instant, clamped to the tzdb's range (years -9999 to 9999).
fn instant(micros: i64) -> jiff::Timestamp {
    let lo = jiff::Timestamp::MIN.as_microsecond();
    let hi = jiff::Timestamp::MAX.as_microsecond();
    jiff::Timestamp::from_microsecond(micros.clamp(lo, hi)).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}

/// `micros` (a wall-clock time) as a civil date-time; `None` outside years -9999 to 9999.
fn civil(micros: i64) -> Option<DateTime> {
    let days = micros.div_euclid(MICROS_PER_DAY);
    let of_day = micros.rem_euclid(MICROS_PER_DAY);
    let (y, m, d) = civil_from_days(days);
    let secs = of_day / MICROS_PER_SECOND;
    DateTime::new(
        i16::try_from(y).ok()?,
        m as i8,
        d as i8,
        (secs / 3600) as i8,
        (secs / 60 % 60) as i8,
        (secs % 60) as i8,
        (of_day % MICROS_PER_SECOND * 1000) as i32,
    )
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::temporal::parse_timestamp;

    fn ts(s: &str) -> i64 {
        parse_timestamp(s).unwrap_or_default()
    }

    #[test]
    fn accepts_what_flink_accepts() {
        // Flink 2.3, one job per value (2026-11-23): accepted ...
        for ok in [
            "UTC",
            "GMT",
            "GMT+08:00",
            "GMT+8",
            "Etc/GMT-8",
            "CET",
            "Asia/Kolkata",
            "America/Los_Angeles",
        ] {
            assert!(SessionZone::parse(ok).is_some(), "{ok}");
        }
        // ... and refused ("Invalid time zone. ...").
        for bad in [
            "UTC+8",
            "+08:00",
            "Europe/Nowhere",
            "PST",
            "Z",
            "UT",
            "utc",
            "+8",
            "",
            "europe/berlin",
            "+08:30:15",
            "GMT+8:00",
            "UT+8",
            "-05",
            "+0530",
            "EST",
        ] {
            assert!(SessionZone::parse(bad).is_none(), "{bad}");
        }
        assert_eq!(
            SessionZone::parse("GMT-0330").map(|z| z.offset_seconds(0)),
            Some(-12_600)
        );
        assert_eq!(SessionZone::parse("GMT+19"), None);
        // Case matters, as in Java; links are zones of their own.
        assert_eq!(SessionZone::parse("EUROPE/BERLIN"), None);
        assert!(SessionZone::parse("US/Pacific").is_some());
        assert!(SessionZone::parse("Etc/UTC").is_some());
        assert!(SessionZone::parse("GMT0").is_some());
        assert_eq!(
            SessionZone::parse("GMT+18").map(|z| z.offset_seconds(0)),
            Some(64_800)
        );
    }

    #[test]
    fn function_zone_ids_read_as_java_zone_ids() {
        // Flink run (UTC session): TO_TIMESTAMP_LTZ('2026-11-01 01:30:00', fmt, zone) is
        // 17:30 UTC the day before for 'GMT+08:00', '+08:00' and 'UTC+8'.
        for z in ["GMT+08:00", "+08:00", "UTC+8", "+8", "+0800", "UT+08:00"] {
            assert_eq!(
                SessionZone::parse_zone_id(z).map(|z| z.offset_seconds(0)),
                Some(28_800),
                "{z}"
            );
        }
        assert_eq!(
            SessionZone::parse_zone_id("Z").map(|z| z.offset_seconds(0)),
            Some(0)
        );
        assert_eq!(
            SessionZone::parse_zone_id("-03:30:15").map(|z| z.offset_seconds(0)),
            Some(-12_615)
        );
        for bad in ["Foo/Bar", "+8:00", "+19", "UTC8", "", "+08:60"] {
            assert!(SessionZone::parse_zone_id(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn converts_like_java_across_dst() {
        let la = SessionZone::parse("America/Los_Angeles").unwrap_or_default();
        // Flink (LA): TO_TIMESTAMP_LTZ(1793520062000, 3) is 2026-11-01 01:01:02 local.
        assert_eq!(la.to_local(1_793_520_062_000_000), ts("2026-11-01 01:01:02"));
        // CAST(TIMESTAMP '2026-11-01 01:30:00' AS TIMESTAMP_LTZ) is the earlier instant;
        // UNIX_TIMESTAMP('2026-11-01 01:30:00') the later (1793525400).
        assert_eq!(
            la.to_utc(ts("2026-11-01 01:30:00"), Overlap::Earlier),
            1_793_521_800_000_000
        );
        assert_eq!(
            la.to_utc(ts("2026-11-01 01:30:00"), Overlap::Later),
            1_793_525_400_000_000
        );
        // The gap: 02:30 is 03:30 PDT (UNIX_TIMESTAMP 1772965800 either way).
        for o in [Overlap::Earlier, Overlap::Later] {
            assert_eq!(la.to_utc(ts("2026-03-08 02:30:00"), o), 1_772_965_800_000_000);
        }
        let mut s = String::new();
        la.abbreviation(1_793_525_400_000_000, &mut s);
        assert_eq!(s, "PST");
        // Out of the tzdb's range: no panic, a plausible offset.
        assert!(la.to_utc(i64::MAX / 2, Overlap::Earlier) < i64::MAX / 2 + 10 * 3_600_000_000);
        assert_eq!(la.to_local(i64::MIN), i64::MIN);
    }
}
