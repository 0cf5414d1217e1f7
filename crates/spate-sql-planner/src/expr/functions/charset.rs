//! `ENCODE(string, charset)` and `DECODE(bytes, charset)` with the charsets every Java runtime
//! has (`StandardCharsets`), named as Java's `Charset.forName` names them (case-insensitively,
//! with their common aliases), and with Java's replacements: a character the charset cannot
//! hold is encoded as `?` (one per character, a surrogate pair too), bytes that are not text in
//! the charset decode to U+FFFD.

use crate::expr::context::EvalError;

/// A charset `ENCODE` and `DECODE` take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Charset {
    Utf8,
    Ascii,
    Latin1,
    Utf16Be,
    Utf16Le,
    /// Big-endian with a byte-order mark (none for empty text) when encoding; the mark decides
    /// when decoding.
    Utf16,
}

/// The charset Java finds under `name`.
fn charset(name: &str) -> Option<Charset> {
    const NAMES: &[(&str, Charset)] = &[
        ("utf-8", Charset::Utf8),
        ("utf8", Charset::Utf8),
        ("unicode-1-1-utf-8", Charset::Utf8),
        ("us-ascii", Charset::Ascii),
        ("ascii", Charset::Ascii),
        ("iso646-us", Charset::Ascii),
        ("ascii7", Charset::Ascii),
        ("646", Charset::Ascii),
        ("cp367", Charset::Ascii),
        ("csascii", Charset::Ascii),
        ("default", Charset::Ascii),
        ("iso-8859-1", Charset::Latin1),
        ("iso8859_1", Charset::Latin1),
        ("iso_8859_1", Charset::Latin1),
        ("iso8859-1", Charset::Latin1),
        ("iso_8859-1", Charset::Latin1),
        ("8859_1", Charset::Latin1),
        ("latin1", Charset::Latin1),
        ("l1", Charset::Latin1),
        ("cp819", Charset::Latin1),
        ("ibm819", Charset::Latin1),
        ("csisolatin1", Charset::Latin1),
        ("utf-16be", Charset::Utf16Be),
        ("utf_16be", Charset::Utf16Be),
        ("x-utf-16be", Charset::Utf16Be),
        ("unicodebigunmarked", Charset::Utf16Be),
        ("utf-16le", Charset::Utf16Le),
        ("utf_16le", Charset::Utf16Le),
        ("x-utf-16le", Charset::Utf16Le),
        ("unicodelittleunmarked", Charset::Utf16Le),
        ("utf-16", Charset::Utf16),
        ("utf_16", Charset::Utf16),
        ("utf16", Charset::Utf16),
        ("unicode", Charset::Utf16),
        ("unicodebig", Charset::Utf16),
    ];
    let name = name.to_ascii_lowercase();
    NAMES.iter().find(|(n, _)| *n == name).map(|(_, c)| *c)
}

fn unsupported(function: &str, name: &str) -> EvalError {
    EvalError(format!(
        "{function}: unsupported charset '{name}' (UTF-8, US-ASCII, ISO-8859-1, UTF-16BE, UTF-16LE or UTF-16)"
    ))
}

/// Java's `String.getBytes(charset)`.
pub(crate) fn encode(text: &str, name: &str) -> Result<Vec<u8>, EvalError> {
    let cs = charset(name).ok_or_else(|| unsupported("ENCODE", name))?;
    let narrow = |limit: u32| -> Vec<u8> {
        text.chars()
            .map(|c| {
                u8::try_from(u32::from(c))
                    .ok()
                    .filter(|b| u32::from(*b) <= limit)
                    .unwrap_or(b'?')
            })
            .collect()
    };
    Ok(match cs {
        Charset::Utf8 => text.as_bytes().to_vec(),
        Charset::Ascii => narrow(0x7F),
        Charset::Latin1 => narrow(0xFF),
        Charset::Utf16Be => text.encode_utf16().flat_map(u16::to_be_bytes).collect(),
        Charset::Utf16Le => text.encode_utf16().flat_map(u16::to_le_bytes).collect(),
        // Java writes no byte-order mark for empty text.
        Charset::Utf16 if text.is_empty() => Vec::new(),
        Charset::Utf16 => [0xFE, 0xFF]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_be_bytes))
            .collect(),
    })
}

/// Java's `new String(bytes, charset)`.
pub(crate) fn decode(bytes: &[u8], name: &str) -> Result<String, EvalError> {
    let cs = charset(name).ok_or_else(|| unsupported("DECODE", name))?;
    Ok(match cs {
        Charset::Utf8 => String::from_utf8_lossy(bytes).into_owned(),
        Charset::Ascii => bytes
            .iter()
            .map(|b| {
                if b.is_ascii() {
                    char::from(*b)
                } else {
                    char::REPLACEMENT_CHARACTER
                }
            })
            .collect(),
        Charset::Latin1 => bytes.iter().map(|b| char::from(*b)).collect(),
        Charset::Utf16Be => utf16(bytes, true),
        Charset::Utf16Le => utf16(bytes, false),
        Charset::Utf16 => match bytes {
            [0xFE, 0xFF, rest @ ..] => utf16(rest, true),
            [0xFF, 0xFE, rest @ ..] => utf16(rest, false),
            _ => utf16(bytes, true),
        },
    })
}

/// UTF-16 code units, unpaired surrogates and a last odd byte as U+FFFD.
fn utf16(bytes: &[u8], big_endian: bool) -> String {
    let units = bytes.chunks_exact(2).map(|p| {
        let pair = [p[0], p[1]];
        if big_endian {
            u16::from_be_bytes(pair)
        } else {
            u16::from_le_bytes(pair)
        }
    });
    let mut out: String = char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect();
    if bytes.len() % 2 == 1 {
        out.push(char::REPLACEMENT_CHARACTER);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02X}")).collect()
    }

    #[test]
    fn charsets_as_java_encodes_and_decodes_them() {
        // Flink 2.3 run (session 41): ENCODE of 'é€' and '😀x', DECODE of their UTF-8 bytes.
        let enc = |s: &str, cs: &str| hex(&encode(s, cs).unwrap_or_default());
        assert_eq!(enc("é€", "UTF-8"), "C3A9E282AC");
        assert_eq!(enc("é€", "US-ASCII"), "3F3F");
        assert_eq!(enc("😀x", "US-ASCII"), "3F78");
        assert_eq!(enc("é€", "ISO-8859-1"), "E93F");
        assert_eq!(enc("é€", "UTF-16BE"), "00E920AC");
        assert_eq!(enc("é€", "UTF-16LE"), "E900AC20");
        assert_eq!(enc("abc", "UTF-16"), "FEFF006100620063");
        assert_eq!(enc("", "UTF-16"), "");
        let dec = |s: &str, cs: &str| decode(s.as_bytes(), cs).unwrap_or_default();
        assert_eq!(dec("é€", "US-ASCII"), "\u{FFFD}".repeat(5));
        assert_eq!(dec("é€", "latin1"), "Ã©â\u{82}¬");
        assert_eq!(dec("abc", "UTF-16BE"), "慢\u{FFFD}");
        assert_eq!(dec("abc", "UTF-16LE"), "扡\u{FFFD}");
        assert_eq!(dec("abc", "UTF-16"), "慢\u{FFFD}");
        assert!(encode("a", "EBCDIC").is_err());
    }
}
