//! `TO_BASE64` and `FROM_BASE64` with Java's basic `Base64` encoder and decoder, which Flink
//! calls: the decoder accepts text without its `=` padding and ignores the unused low bits of
//! the last character (`YR==` is `a`), and refuses everything else Java refuses — characters
//! outside the alphabet (whitespace and line breaks too), wrong or partial padding, anything
//! after the padding, a last group of one character — which fails the job, as in Flink.

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

#[cfg(test)]
mod tests {
    use super::*;

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
