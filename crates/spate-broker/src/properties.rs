//! Java `.properties` text, read and written as `java.util.Properties` does, so an operator's
//! Kafka `server.properties` means the same to Spate as to Kafka.
//!
//! Reading ([`parse`]): `#` and `!` start comment lines; a line ending in an odd number of
//! backslashes continues on the next (whose leading blanks are skipped); the key ends at the
//! first unescaped `=`, `:` or blank, and one `=`/`:` with blanks around it separates it from
//! the value; `\t \n \r \f \uXXXX` are escapes and a backslash before any other character
//! stands for that character. Each entry keeps the line it starts on, for error messages.
//! Unlike Java (which reads ISO-8859-1 from a stream) the text is UTF-8.
//!
//! Writing ([`encode`]) escapes so that [`parse`] gives back exactly the pairs written.

use std::fmt::Write as _;

/// One `key=value` entry and the 1-based line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Property {
    /// The key, unescaped.
    pub key: String,
    /// The value, unescaped.
    pub value: String,
    /// Line (1-based) where the entry starts.
    pub line: usize,
}

/// Text that is not valid `.properties` (only a malformed `\u` escape is; Java accepts the rest).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct PropertiesError {
    /// Line (1-based) of the entry with the fault.
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

/// Parses `.properties` text into its entries, in file order (a repeated key appears twice;
/// the later one wins when they are applied).
pub fn parse(text: &str) -> Result<Vec<Property>, PropertiesError> {
    let mut entries = Vec::new();
    let mut lines = natural_lines(text).peekable();
    while let Some((line_no, line)) = lines.next() {
        let start = line.trim_start_matches(is_blank);
        if start.is_empty() || start.starts_with('#') || start.starts_with('!') {
            continue;
        }
        let mut logical = String::from(start);
        while ends_in_continuation(&logical) {
            logical.pop();
            match lines.next() {
                Some((_, next)) => logical.push_str(next.trim_start_matches(is_blank)),
                None => break,
            }
        }
        let (key, value) = split_entry(&logical);
        let unescape_here = |s: &str| {
            unescape(s).map_err(|reason| PropertiesError {
                line: line_no,
                reason,
            })
        };
        entries.push(Property {
            key: unescape_here(key)?,
            value: unescape_here(value)?,
            line: line_no,
        });
    }
    Ok(entries)
}

/// Writes `pairs` as `.properties` text, one `key=value` line each, escaped so that [`parse`]
/// returns the same pairs. Characters outside printable ASCII are written as `\uXXXX`, as
/// Java's `Properties.store` does.
pub fn encode<K: AsRef<str>, V: AsRef<str>>(pairs: &[(K, V)]) -> String {
    let mut out = String::new();
    for (key, value) in pairs {
        escape_into(&mut out, key.as_ref(), true);
        out.push('=');
        escape_into(&mut out, value.as_ref(), false);
        out.push('\n');
    }
    out
}

/// Blanks as Java's `Properties` knows them.
fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\u{c}')
}

/// Lines split at `\n`, `\r` or `\r\n`, numbered from 1.
fn natural_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut rest = text;
    let mut number = 0;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        number += 1;
        let end = rest.find(['\n', '\r']).unwrap_or(rest.len());
        let line = &rest[..end];
        let after = &rest[end..];
        rest = if let Some(r) = after.strip_prefix("\r\n") {
            r
        } else if after.is_empty() {
            after
        } else {
            &after[1..]
        };
        Some((number, line))
    })
}

fn ends_in_continuation(line: &str) -> bool {
    line.bytes().rev().take_while(|&b| b == b'\\').count() % 2 == 1
}

/// Splits a logical line (leading blanks removed) into raw key and raw value.
fn split_entry(line: &str) -> (&str, &str) {
    let mut escaped = false;
    let mut key_end = line.len();
    for (i, c) in line.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == '=' || c == ':' || is_blank(c) {
            key_end = i;
            break;
        }
    }
    let key = &line[..key_end];
    let mut rest = line[key_end..].trim_start_matches(is_blank);
    if let Some(r) = rest.strip_prefix(['=', ':']) {
        rest = r.trim_start_matches(is_blank);
    }
    (key, rest)
}

fn unescape(raw: &str) -> Result<String, String> {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    // UTF-16 units from `\u` escapes, so surrogate pairs written as two escapes combine.
    let mut units: Vec<u16> = Vec::new();
    while let Some(c) = chars.next() {
        if c != '\\' {
            flush_units(&mut units, &mut out)?;
            out.push(c);
            continue;
        }
        let Some(e) = chars.next() else {
            // A trailing lone backslash (continuation at end of text) stands for nothing.
            break;
        };
        if e == 'u' {
            let hex: String = chars.by_ref().take(4).collect();
            let unit = (hex.len() == 4)
                .then(|| u16::from_str_radix(&hex, 16).ok())
                .flatten()
                .ok_or_else(|| format!("malformed \\uxxxx escape: \\u{hex}"))?;
            units.push(unit);
            continue;
        }
        flush_units(&mut units, &mut out)?;
        out.push(match e {
            't' => '\t',
            'n' => '\n',
            'r' => '\r',
            'f' => '\u{c}',
            other => other,
        });
    }
    flush_units(&mut units, &mut out)?;
    Ok(out)
}

fn flush_units(units: &mut Vec<u16>, out: &mut String) -> Result<(), String> {
    for c in char::decode_utf16(units.drain(..)) {
        out.push(c.map_err(|e| {
            format!(
                "\\u escape is half a surrogate pair: {:#06x}",
                e.unpaired_surrogate()
            )
        })?);
    }
    Ok(())
}

fn escape_into(out: &mut String, s: &str, is_key: bool) {
    for (i, c) in s.chars().enumerate() {
        match c {
            // Blanks would end a key, and leading blanks of a value would be skipped.
            ' ' if is_key || i == 0 => out.push_str("\\ "),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\u{c}' => out.push_str("\\f"),
            '\\' | '=' | ':' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            _ => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    let _ = write!(out, "\\u{unit:04X}");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pairs(text: &str) -> Vec<(String, String)> {
        parse(text)
            .unwrap()
            .into_iter()
            .map(|p| (p.key, p.value))
            .collect()
    }

    fn owned(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn separators_blanks_and_comments() {
        let text = "# comment\n  ! also a comment\n\nlisteners=PLAINTEXT://:9092\n\
                    a = 1\nb:2\nc 3\n  d\t=\t 4 \ne\nf=\ng = x = y\n";
        assert_eq!(
            pairs(text),
            owned(&[
                ("listeners", "PLAINTEXT://:9092"),
                ("a", "1"),
                ("b", "2"),
                ("c", "3"),
                // Trailing blanks of a value are kept, as in Java.
                ("d", "4 "),
                ("e", ""),
                ("f", ""),
                ("g", "x = y"),
            ])
        );
    }

    #[test]
    fn continuation_lines_join_and_skip_leading_blanks() {
        let text = "super.users=User:alice;\\\n    User:bob\nodd=a\\\\\nnext=1\nthree=a\\\\\\\n  b\n";
        assert_eq!(
            pairs(text),
            owned(&[
                ("super.users", "User:alice;User:bob"),
                // An even number of backslashes is an escaped backslash, not a continuation.
                ("odd", "a\\"),
                ("next", "1"),
                ("three", "a\\b"),
            ])
        );
        // A comment line cannot be continued; a continued line can look like a comment.
        assert_eq!(
            pairs("# x \\\nk=v\\\n# not a comment\n"),
            owned(&[("k", "v# not a comment")])
        );
        // Continuation at the end of the text.
        assert_eq!(pairs("k=v\\"), owned(&[("k", "v")]));
    }

    #[test]
    fn line_endings_and_line_numbers() {
        let entries = parse("a=1\r\nb=2\rc=\\\r\n 3\nd=4").unwrap();
        let got: Vec<_> = entries
            .iter()
            .map(|p| (p.key.as_str(), p.value.as_str(), p.line))
            .collect();
        assert_eq!(got, [("a", "1", 1), ("b", "2", 2), ("c", "3", 3), ("d", "4", 5)]);
    }

    #[test]
    fn escapes() {
        assert_eq!(
            pairs("k\\ with\\=odd\\:chars = \\tv\\n\\u00e9\\uD83D\\uDE00\\x\\\\"),
            owned(&[("k with=odd:chars", "\tv\né😀x\\")])
        );
        let err = parse("ok=1\nbad=\\u12G4\n").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.reason.contains("malformed"), "{err}");
        assert_eq!(parse("bad=\\u12").unwrap_err().line, 1);
        assert!(parse("bad=\\uD83D").unwrap_err().reason.contains("surrogate"));
    }

    #[test]
    fn encode_escapes_what_parse_would_change() {
        assert_eq!(
            encode(&[("a key", " lead=x#\n"), ("é", "")]),
            "a\\ key=\\ lead\\=x\\#\\n\n\\u00E9=\n"
        );
    }

    proptest! {
        #[test]
        fn encode_then_parse_round_trips(
            entries in proptest::collection::vec((any::<String>(), any::<String>()), 0..8)
        ) {
            let text = encode(&entries);
            let back: Vec<(String, String)> = parse(&text)
                .unwrap()
                .into_iter()
                .map(|p| (p.key, p.value))
                .collect();
            prop_assert_eq!(back, entries);
        }

        #[test]
        fn parse_never_panics(text in "(?s).{0,200}") {
            let _ = parse(&text);
        }
    }
}
