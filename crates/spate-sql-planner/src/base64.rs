//! Base64 as Jackson writes and reads `BYTES` (the standard alphabet with `=` padding, no line
//! breaks; reading requires the padding, as Jackson's default variant does).

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Appends the base64 of `bytes`.
pub fn encode(bytes: &[u8], out: &mut Vec<u8>) {
    out.reserve(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(ALPHABET[(n >> 18) as usize & 63]);
        out.push(ALPHABET[(n >> 12) as usize & 63]);
        out.push(if chunk.len() > 1 {
            ALPHABET[(n >> 6) as usize & 63]
        } else {
            b'='
        });
        out.push(if chunk.len() > 2 {
            ALPHABET[n as usize & 63]
        } else {
            b'='
        });
    }
}

/// The value of base64 character `c`.
pub(crate) fn sextet(c: u8) -> Option<u32> {
    Some(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    } as u32)
}

/// Decodes padded base64; `None` when `text` is not that.
pub fn decode(text: &[u8]) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let quads = text.len() / 4;
    for (i, q) in text.chunks(4).enumerate() {
        let last = i + 1 == quads;
        let pad = if last {
            q.iter().rev().take_while(|&&c| c == b'=').count()
        } else {
            0
        };
        if pad > 2 {
            return None;
        }
        let mut n = 0u32;
        for &c in &q[..4 - pad] {
            n = (n << 6) | sextet(c)?;
        }
        n <<= 6 * pad as u32;
        out.push((n >> 16) as u8);
        if pad < 2 {
            out.push((n >> 8) as u8);
        }
        if pad < 1 {
            out.push(n as u8);
        }
    }
    Some(out)
}

/// Decodes padded base64 with whitespace between 4-character groups, which Jackson's reader
/// skips.
pub fn decode_lenient(text: &[u8]) -> Option<Vec<u8>> {
    if !text.iter().any(|&c| c <= b' ') {
        return decode(text);
    }
    let mut compact = Vec::with_capacity(text.len());
    for &c in text {
        if c <= b' ' {
            if !compact.len().is_multiple_of(4) {
                return None;
            }
        } else {
            compact.push(c);
        }
    }
    decode(&compact)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_and_decodes() {
        let mut out = Vec::new();
        encode(&[0x00, 0xff, 0x10], &mut out);
        assert_eq!(out, b"AP8Q");
        out.clear();
        encode(&[1, 2, 0], &mut out);
        assert_eq!(out, b"AQIA");
        out.clear();
        encode(&[1], &mut out);
        assert_eq!(out, b"AQ==");
        assert_eq!(decode(b"AP8Q"), Some(vec![0, 0xff, 0x10]));
        assert_eq!(decode(b"AQ=="), Some(vec![1]));
        assert_eq!(decode(b"AP8"), None);
        assert_eq!(decode(b"A=8Q"), None);
        assert_eq!(decode(b""), Some(vec![]));
        // Flink 2.3 read "AP8Q\n" as the 3 bytes.
        assert_eq!(decode_lenient(b"AP8Q\n"), Some(vec![0, 0xff, 0x10]));
        assert_eq!(decode_lenient(b"AP 8Q"), None);
    }
}
