//! `TO_BASE64` and `FROM_BASE64` with Java's basic `Base64` encoder and decoder, which Flink
//! calls: the decoder accepts text without its `=` padding and ignores the unused low bits of
//! the last character (`YR==` is `a`), and refuses everything else Java refuses — characters
//! outside the alphabet (whitespace and line breaks too), wrong or partial padding, anything
//! after the padding, a last group of one character — which fails the job, as in Flink.
//! Also Java's URL encoding (`URL_ENCODE`, `URL_DECODE`) and Flink's `JSON_QUOTE` and
//! `JSON_UNQUOTE` escapes.

use crate::base64;
use crate::expr::context::EvalError;
use crate::value::Value;

/// Base64 of `bytes`, padded with `=` (the same text Jackson writes for `BYTES`).
pub(crate) fn to_base64(bytes: &[u8]) -> String {
    let mut out = Vec::new();
    base64::encode(bytes, &mut out);
    out.into_iter().map(char::from).collect()
}

fn fail(why: String) -> EvalError {
    EvalError(format!("FROM_BASE64: {why}"))
}

/// The character at byte `at` of `src` for an error message (the whole character when `src`
/// is UTF-8 text, else the byte in hex).
fn shown(src: &[u8], at: usize) -> String {
    match std::str::from_utf8(&src[at..])
        .ok()
        .and_then(|s| s.chars().next())
    {
        Some(c) if !c.is_control() => format!("'{c}'"),
        _ => format!("byte 0x{:02x}", src[at]),
    }
}

/// Java's `Base64.getDecoder().decode`, with the decoded bytes as a string (invalid UTF-8
/// replaced, as Flink shows it).
pub(crate) fn from_base64(src: &[u8]) -> Result<Value, EvalError> {
    decode(src).map(|bytes| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
}

/// Java's basic decoder (`Base64.Decoder.decode0`) step by step.
fn decode(src: &[u8]) -> Result<Vec<u8>, EvalError> {
    if src.is_empty() {
        return Ok(Vec::new());
    }
    if src.len() < 2 {
        return Err(fail("the input has fewer than 2 characters".into()));
    }
    let mut out = Vec::with_capacity(src.len() / 4 * 3 + 2);
    let (mut bits, mut shift, mut at) = (0u32, 18i32, 0usize);
    while at < src.len() {
        let b = src[at];
        at += 1;
        let Some(d) = base64::sextet(b) else {
            if b == b'=' {
                // `=` where no padding can be (a whole group, or after one character), or a
                // group of two not closed by a second `=`.
                let second_pad_missing = shift == 6 && (at == src.len() || src[at] != b'=');
                if second_pad_missing || shift == 18 {
                    return Err(fail("wrong padding at the end of a 4-character group".into()));
                }
                if shift == 6 {
                    at += 1;
                }
                break;
            }
            return Err(fail(format!("{} is not a base64 character", shown(src, at - 1))));
        };
        bits |= d << shift;
        shift -= 6;
        if shift < 0 {
            out.extend_from_slice(&[(bits >> 16) as u8, (bits >> 8) as u8, bits as u8]);
            shift = 18;
            bits = 0;
        }
    }
    match shift {
        6 => out.push((bits >> 16) as u8),
        0 => out.extend_from_slice(&[(bits >> 16) as u8, (bits >> 8) as u8]),
        12 => return Err(fail("the last group has a single character".into())),
        _ => {}
    }
    if at < src.len() {
        return Err(fail(format!(
            "{} after the end of the base64 text",
            shown(src, at)
        )));
    }
    Ok(out)
}

/// Java's `URLEncoder.encode(s, UTF_8)`: letters, digits and `-_.*` stay, a space becomes `+`,
/// every other character its UTF-8 bytes as `%XX` (upper-case hex).
pub(crate) fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => out.push(char::from(b)),
            b' ' => out.push('+'),
            _ => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                out.push('%');
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 15)]));
            }
        }
    }
    out
}

/// Java's `URLDecoder.decode(s, UTF_8)`: `+` is a space, each run of `%XX` escapes is decoded
/// as UTF-8 (malformed bytes become U+FFFD); `None` where Java throws (a bad or incomplete
/// escape).
pub(crate) fn url_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => {
                out.push(' ');
                i += 1;
            }
            b'%' => {
                let mut run = Vec::new();
                while i + 2 < bytes.len() && bytes[i] == b'%' {
                    // `Integer.parseInt(s, i + 1, i + 3, 16)`: a sign is allowed, a negative
                    // value is refused.
                    let digits = std::str::from_utf8(&bytes[i + 1..i + 3]).ok()?;
                    let v = i32::from_str_radix(digits, 16).ok().filter(|v| *v >= 0)?;
                    run.push(v as u8);
                    i += 3;
                }
                if i < bytes.len() && bytes[i] == b'%' {
                    return None;
                }
                out.push_str(&String::from_utf8_lossy(&run));
            }
            _ => {
                let end = s[i..].find(['+', '%']).map_or(s.len(), |n| i + n);
                out.push_str(&s[i..end]);
                i = end;
            }
        }
    }
    Some(out)
}

/// Flink's `JSON_QUOTE`: the string in double quotes with `"`, `\`, `/` and the short escapes
/// escaped; each UTF-16 unit above 127 as `\u` and the hex of Java's `codePointAt` there (so a
/// surrogate pair is written as its code point followed by its low surrogate, as Flink 2.3
/// writes it); other control characters as they are.
pub(crate) fn json_quote(s: &str) -> String {
    use std::fmt::Write as _;
    let units: Vec<u16> = s.encode_utf16().collect();
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for (i, &u) in units.iter().enumerate() {
        match u {
            0x22 => out.push_str("\\\""),
            0x5C => out.push_str("\\\\"),
            0x2F => out.push_str("\\/"),
            0x08 => out.push_str("\\b"),
            0x0C => out.push_str("\\f"),
            0x0A => out.push_str("\\n"),
            0x0D => out.push_str("\\r"),
            0x09 => out.push_str("\\t"),
            0..=127 => out.push(char::from(u as u8)),
            _ => {
                let code_point = match units.get(i + 1) {
                    Some(&low) if (0xD800..0xDC00).contains(&u) && (0xDC00..0xE000).contains(&low) => {
                        0x10000 + ((u32::from(u) - 0xD800) << 10) + (u32::from(low) - 0xDC00)
                    }
                    _ => u32::from(u),
                };
                let _ = write!(out, "\\u{code_point:04x}");
            }
        }
    }
    out.push('"');
    out
}

/// Flink's `JSON_UNQUOTE`: for text that starts with a valid JSON string literal (what
/// Jackson's `readTree` accepts, trailing text aside) and ends with `"`, the text between the
/// outer quotes unescaped; `None` (the input unchanged) otherwise.
pub(crate) fn json_unquote(s: &str) -> Option<String> {
    if s.len() < 2 || !s.starts_with('"') || !s.ends_with('"') {
        return None;
    }
    // The leading JSON string literal must be valid.
    let mut chars = s[1..].chars();
    loop {
        match chars.next()? {
            '"' => break,
            '\\' => match chars.next()? {
                '"' | '\\' | '/' | 'b' | 'f' | 'n' | 'r' | 't' => {}
                'u' => {
                    for _ in 0..4 {
                        chars.next().filter(char::is_ascii_hexdigit)?;
                    }
                }
                _ => return None,
            },
            c if (c as u32) < 0x20 => return None,
            _ => {}
        }
    }
    let inner = &s[1..s.len() - 1];
    let mut units: Vec<u16> = Vec::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut buf = [0u16; 2];
            units.extend_from_slice(c.encode_utf16(&mut buf));
            continue;
        }
        let unit = match chars.next()? {
            '"' => 0x22,
            '\\' => 0x5C,
            '/' => 0x2F,
            'b' => 0x08,
            'f' => 0x0C,
            'n' => 0x0A,
            'r' => 0x0D,
            't' => 0x09,
            'u' => {
                let hex: String = chars.by_ref().take(4).collect();
                if hex.len() != 4 {
                    return None;
                }
                u16::from_str_radix(&hex, 16).ok()?
            }
            _ => return None,
        };
        units.push(unit);
    }
    Some(String::from_utf16_lossy(&units))
}

/// `UNHEX` of text as Flink's `EncodingUtils.unhex` reads its UTF-8 bytes: pairs of ASCII hex
/// digits from the end; with an odd count the first digit is checked but, as in Flink, lost
/// (`abc` is `[0x00, 0xbc]`); `None` for any other byte.
pub(crate) fn unhex(hex: &[u8]) -> Option<Vec<u8>> {
    let digit = |b: u8| char::from(b).to_digit(16).filter(|_| b.is_ascii());
    let mut out = vec![0u8; hex.len().div_ceil(2)];
    let mut slot = out.len();
    for pair in hex.rchunks(2) {
        slot -= 1;
        match pair {
            [hi, lo] => out[slot] = u8::try_from((digit(*hi)? << 4) | digit(*lo)?).ok()?,
            [single] => {
                digit(*single)?;
            }
            _ => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_and_json_escapes_like_flink() {
        // Flink 2.3 (2026-11-27).
        assert_eq!(url_encode("a b&c=d/é~*-._+"), "a+b%26c%3Dd%2F%C3%A9%7E*-._%2B");
        assert_eq!(url_decode("a+b%26c%3Dd%2F%C3%A9").as_deref(), Some("a b&c=d/é"));
        assert_eq!(url_decode("%C3").as_deref(), Some("\u{FFFD}"));
        assert_eq!(url_decode("%zz"), None);
        assert_eq!(url_decode("100%"), None);
        assert_eq!(url_decode("%2"), None);
        assert_eq!(
            json_quote("a\"b/\u{1}é😀"),
            "\"a\\\"b\\/\u{1}\\u00e9\\u1f600\\ude00\""
        );
        assert_eq!(json_unquote("\"a\\\"b\\u00e9\"").as_deref(), Some("a\"bé"));
        assert_eq!(json_unquote("\"a\"b\"").as_deref(), Some("a\"b"));
        assert_eq!(json_unquote("\"a\\x\""), None);
        assert_eq!(json_unquote("\"\\u00\""), None);
        assert_eq!(json_unquote(" \"a\" "), None);
        assert_eq!(json_unquote("\""), None);
    }

    fn text(s: &str) -> Result<String, EvalError> {
        decode(s.as_bytes()).map(|b| String::from_utf8_lossy(&b).into_owned())
    }

    #[test]
    fn encodes_like_java() {
        assert_eq!(to_base64(b""), "");
        assert_eq!(to_base64(b"a"), "YQ==");
        assert_eq!(to_base64(b"hi"), "aGk=");
        assert_eq!(to_base64(b"hello"), "aGVsbG8=");
        assert_eq!(to_base64(&[0xff, 0xfe, 0xfd]), "//79");
    }

    #[test]
    fn decodes_what_java_decodes_and_refuses_the_rest() {
        // Flink runs 4 and 5.
        assert_eq!(text(""), Ok(String::new()));
        assert_eq!(text("aGVsbG8="), Ok("hello".into()));
        assert_eq!(text("aGVsbG8"), Ok("hello".into()));
        assert_eq!(text("YQ=="), Ok("a".into()));
        assert_eq!(text("YQ"), Ok("a".into()));
        assert_eq!(text("YR=="), Ok("a".into()));
        assert_eq!(text("/w=="), Ok("\u{FFFD}".into()));
        for bad in [
            "!!!",
            "aGVs bG8=",
            "aGVsbG8=\\n",
            "Y",
            "YQ==YQ==",
            "aGVsbG8-",
            "YQ=",
            "=",
            "YQ==\n",
            "YQ=a",
        ] {
            assert!(text(bad).is_err(), "{bad:?} decoded");
        }
        for n in 0..20u8 {
            let bytes: Vec<u8> = (0..n).map(|i| i.wrapping_mul(37)).collect();
            assert_eq!(decode(to_base64(&bytes).as_bytes()), Ok(bytes));
        }
    }
}
