//! Flink's query hints (`SELECT /*+ NAME(options) */ ..`), of which Spate takes `STATE_TTL`:
//! `SELECT /*+ STATE_TTL('o' = '1d') */ .. FROM orders AS o GROUP BY ..` keeps the aggregate's
//! state for that long without writes, for that aggregate only (over
//! `table.exec.state.ttl`); and the dynamic table options `FROM t /*+ OPTIONS('k' = 'v') */`,
//! which override the table's `WITH` options for this read of it ([`TableHints`]). Other hints
//! change what a query reads or how it joins, and are refused rather than ignored: `LOOKUP`
//! and join hints as not supported yet, unknown names with Flink's error.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::time::Duration;

use sqlparser::tokenizer::Location;

use crate::ast::StateTtlHint;
use crate::error::{Position, Result, SqlError};

/// The `OPTIONS` hints of a script, by where the table name each follows ends. The converter
/// takes each when it meets that table; a hint no table took stood somewhere else, which is an
/// error rather than an option silently dropped.
#[derive(Debug, Default)]
pub(crate) struct TableHints {
    /// (line, column) of the name's end → the options and the hint's position.
    hints: RefCell<BTreeMap<(u64, u64), HintedOptions>>,
}

/// The options of one table's hints, and where the first of them stands.
type HintedOptions = (Vec<(String, String)>, Position);

impl TableHints {
    pub(crate) fn add(&self, name_end: Location, options: Vec<(String, String)>, at: Position) {
        let mut hints = self.hints.borrow_mut();
        let entry = hints
            .entry((name_end.line, name_end.column))
            .or_insert((Vec::new(), at));
        for (k, v) in options {
            entry.0.retain(|(old, _)| *old != k);
            entry.0.push((k, v));
        }
    }

    /// The options of the hint after the name ending at `name_end`, taken.
    pub(crate) fn take(&self, name_end: Location) -> Vec<(String, String)> {
        self.hints
            .borrow_mut()
            .remove(&(name_end.line, name_end.column))
            .map(|(options, _)| options)
            .unwrap_or_default()
    }

    /// Fails on a hint no table took.
    pub(crate) fn check_all_taken(&self) -> Result<()> {
        match self.hints.borrow().values().next() {
            None => Ok(()),
            Some((_, at)) => Err(SqlError::validation(
                "an OPTIONS hint stands right after the name of a table in FROM: FROM t /*+ OPTIONS('k' = 'v') */ [AS a]",
                Some(*at),
            )),
        }
    }
}

/// The options of an `OPTIONS` hint, with Flink's errors for an empty or a keyless one.
pub(crate) fn table_options(hint: &QueryHint) -> std::result::Result<Vec<(String, String)>, String> {
    if hint.options.is_empty() {
        return Err("Hint [OPTIONS] only support non empty key value options".into());
    }
    hint.options
        .iter()
        .map(|(k, v)| match k {
            Some(k) => Ok((k.clone(), v.clone())),
            None => Err("Hint [OPTIONS] only support non empty key value options".into()),
        })
        .collect()
}

/// One hint of a hint comment: its name (upper case) and options, each `key = value` or a
/// bare value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QueryHint {
    pub(crate) name: String,
    pub(crate) options: Vec<(Option<String>, String)>,
}

/// Flink's hints that Spate knows but does not run.
const NOT_YET: &[&str] = &[
    "OPTIONS",
    "LOOKUP",
    "BROADCAST",
    "SHUFFLE_HASH",
    "SHUFFLE_MERGE",
    "NEST_LOOP",
    "JSON_AGGREGATE",
];

/// The hints of a comment's text (after `/*+`); `Err` says why it does not read as hints.
pub(crate) fn parse_hints(text: &str) -> Result<Vec<QueryHint>, String> {
    let mut chars = text.chars().peekable();
    let mut hints = Vec::new();
    loop {
        skip_spaces(&mut chars);
        let name: String =
            std::iter::from_fn(|| chars.next_if(|c| c.is_alphanumeric() || *c == '_')).collect();
        if name.is_empty() {
            return Err(format!("cannot read the hint '{}'", text.trim()));
        }
        skip_spaces(&mut chars);
        let mut options = Vec::new();
        if chars.next_if_eq(&'(').is_some() {
            loop {
                skip_spaces(&mut chars);
                if chars.next_if_eq(&')').is_some() {
                    break;
                }
                let first = word(&mut chars)?;
                skip_spaces(&mut chars);
                let option = if chars.next_if_eq(&'=').is_some() {
                    skip_spaces(&mut chars);
                    (Some(first), word(&mut chars)?)
                } else {
                    (None, first)
                };
                options.push(option);
                skip_spaces(&mut chars);
                if chars.next_if_eq(&',').is_none() {
                    if chars.next_if_eq(&')').is_none() {
                        return Err(format!("cannot read the options of hint {name}"));
                    }
                    break;
                }
            }
        }
        hints.push(QueryHint {
            name: name.to_ascii_uppercase(),
            options,
        });
        skip_spaces(&mut chars);
        match chars.next() {
            None => return Ok(hints),
            Some(',') => {}
            Some(c) => return Err(format!("unexpected '{c}' in the hint '{}'", text.trim())),
        }
    }
}

/// Why `hints` may not stand where they are: `after_select` says whether they follow a
/// `SELECT` (the one place `STATE_TTL` goes).
pub(crate) fn check_hints(hints: &[QueryHint], after_select: bool) -> Result<(), String> {
    for h in hints {
        if h.name == "STATE_TTL" && after_select {
            continue;
        }
        if h.name == "OPTIONS" {
            return Err(
                "an OPTIONS hint stands right after the name of a table in FROM: FROM t /*+ OPTIONS('k' = 'v') */ [AS a]"
                    .into(),
            );
        }
        if h.name == "STATE_TTL" || NOT_YET.contains(&h.name.as_str()) {
            return Err(format!(
                "SQL hints (/*+ {}(..) */ here) are not supported yet; Spate takes /*+ STATE_TTL(..) */ after SELECT",
                h.name
            ));
        }
        return Err(format!(
            "Hint: {} should be registered in the HintStrategyTable",
            h.name
        ));
    }
    Ok(())
}

/// The options of the first `STATE_TTL` hint: (input name, time to live), a key given twice
/// keeping its last value, each read as Flink reads them.
pub(crate) fn state_ttl_options(hints: &[QueryHint]) -> Result<Vec<(String, StateTtlHint)>, String> {
    let Some(hint) = hints.iter().find(|h| h.name == "STATE_TTL") else {
        return Ok(Vec::new());
    };
    if hint.options.is_empty() {
        return Err("Invalid STATE_TTL hint, expecting at least one key-value options specified.".into());
    }
    let mut out: Vec<(String, StateTtlHint)> = Vec::new();
    for (key, value) in &hint.options {
        let Some(key) = key else {
            return Err("Invalid list options in STATE_TTL hint, only support key-value options.".into());
        };
        let ttl = parse_ttl(value).map_err(|why| format!("Invalid STATE_TTL hint value: {why}"))?;
        out.retain(|(k, _)| k != key);
        out.push((
            key.clone(),
            StateTtlHint {
                ttl,
                text: value.clone(),
            },
        ));
    }
    Ok(out)
}

/// A duration as Flink's `TimeUtils.parseDuration` reads it: a number and an optional unit
/// (milliseconds without one).
fn parse_ttl(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("argument is an empty- or whitespace-only string".into());
    }
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    if number.is_empty() {
        return Err(format!(
            "text does not start with a number, and is not a valid ISO-8601 duration format: {t}"
        ));
    }
    let nanos_per: u128 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "ms" | "milli" | "millis" | "millisecond" | "milliseconds" => 1_000_000,
        "ns" | "nano" | "nanos" | "nanosecond" | "nanoseconds" => 1,
        "µs" | "micro" | "micros" | "microsecond" | "microseconds" => 1_000,
        "s" | "sec" | "secs" | "second" | "seconds" => 1_000_000_000,
        "m" | "min" | "minute" | "minutes" => 60_000_000_000,
        "h" | "hour" | "hours" => 3_600_000_000_000,
        "d" | "day" | "days" => 86_400_000_000_000,
        other => {
            return Err(format!(
                "Time interval unit label '{other}' does not match any of the recognized units: DAYS: \
                 (d | day | days), HOURS: (h | hour | hours), MINUTES: (min | m | minute | minutes), \
                 SECONDS: (s | sec | secs | second | seconds), MILLISECONDS: (ms | milli | millis | \
                 millisecond | milliseconds), MICROSECONDS: (µs | micro | micros | microsecond | \
                 microseconds), NANOSECONDS: (ns | nano | nanos | nanosecond | nanoseconds)"
            ));
        }
    };
    let overflow = || format!("The value '{number}' cannot be represented as Duration (numeric overflow).");
    let n: u128 = number.parse().map_err(|_| overflow())?;
    let nanos = n.checked_mul(nanos_per).ok_or_else(overflow)?;
    let secs = u64::try_from(nanos / 1_000_000_000).map_err(|_| overflow())?;
    Ok(Duration::new(secs, (nanos % 1_000_000_000) as u32))
}

fn skip_spaces(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while chars.next_if(|c| c.is_whitespace()).is_some() {}
}

/// A quoted string (`'..'`, `''` for a quote) or a bare word.
fn word(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Result<String, String> {
    if chars.next_if_eq(&'\'').is_some() {
        let mut s = String::new();
        loop {
            match chars.next() {
                Some('\'') if chars.next_if_eq(&'\'').is_some() => s.push('\''),
                Some('\'') => return Ok(s),
                Some(c) => s.push(c),
                None => return Err("an unclosed string in a hint".into()),
            }
        }
    }
    let w: String =
        std::iter::from_fn(|| chars.next_if(|c| c.is_alphanumeric() || "_.$".contains(*c))).collect();
    if w.is_empty() {
        return Err("expected a name or a string in a hint".into());
    }
    Ok(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_read_as_flink_writes_them() {
        let hints = parse_hints(" STATE_TTL('o' = '1d', x = '2 h', 'o' = '3d') ").unwrap();
        assert_eq!(hints[0].name, "STATE_TTL");
        let hint = |text: &str, secs: u64| StateTtlHint {
            ttl: Duration::from_secs(secs),
            text: text.to_string(),
        };
        assert_eq!(
            state_ttl_options(&hints).unwrap(),
            [
                ("x".to_string(), hint("2 h", 7200)),
                ("o".to_string(), hint("3d", 3 * 86_400))
            ]
        );
        assert!(check_hints(&hints, true).is_ok());
        assert!(check_hints(&hints, false).is_err());
        let empty = parse_hints("state_ttl()").unwrap();
        assert!(
            state_ttl_options(&empty)
                .unwrap_err()
                .contains("expecting at least one key-value")
        );
        let list = parse_hints("STATE_TTL('1d')").unwrap();
        assert!(
            state_ttl_options(&list)
                .unwrap_err()
                .contains("only support key-value options")
        );
        let foo = parse_hints("FOO('a'='b')").unwrap();
        assert_eq!(
            check_hints(&foo, true).unwrap_err(),
            "Hint: FOO should be registered in the HintStrategyTable"
        );
        assert!(
            check_hints(&parse_hints("OPTIONS('a'='b')").unwrap(), false)
                .unwrap_err()
                .contains("right after the name of a table")
        );
        assert!(
            check_hints(&parse_hints("LOOKUP('table'='d')").unwrap(), false)
                .unwrap_err()
                .contains("not supported yet")
        );
    }

    #[test]
    fn durations_parse_as_flinks_time_utils() {
        assert_eq!(parse_ttl("1d"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_ttl(" 1 min "), Ok(Duration::from_secs(60)));
        assert_eq!(parse_ttl("90"), Ok(Duration::from_millis(90)));
        assert_eq!(parse_ttl("2 HOURS"), Ok(Duration::from_secs(7200)));
        assert!(
            parse_ttl("abc")
                .unwrap_err()
                .starts_with("text does not start with a number")
        );
        assert!(
            parse_ttl("1x")
                .unwrap_err()
                .starts_with("Time interval unit label 'x'")
        );
        assert!(
            parse_ttl("99999999999999999999d")
                .unwrap_err()
                .contains("numeric overflow")
        );
        assert!(parse_ttl("").unwrap_err().contains("empty"));
    }
}
