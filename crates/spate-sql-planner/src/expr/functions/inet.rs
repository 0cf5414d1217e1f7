//! `INET_ATON` and `INET_NTOA`: IPv4 addresses as numbers, as Flink 2.3's `InetAtonFunction`
//! and `InetNtoaFunction` compute them (MySQL's behaviour).

/// An IPv4 address as a number: `a.b.c.d`, or the short forms of C's `inet_aton` — `a` (the
/// whole 32 bits), `a.b` (`a.0.0.b`), `a.b.c` (`a.b.0.c`) — with decimal parts only (leading
/// zeros are decimal too) and each dotted part at most 255; `None` for anything else (empty
/// text, spaces, signs, empty parts, more than four parts).
pub(crate) fn aton(text: &[u8]) -> Option<i64> {
    let mut parts = [0i64; 4];
    let mut count = 0;
    for part in text.split(|b| *b == b'.') {
        if count == 4 || part.is_empty() {
            return None;
        }
        let mut value: i64 = 0;
        for b in part {
            if !b.is_ascii_digit() {
                return None;
            }
            value = value * 10 + i64::from(b - b'0');
            if value > 0xFFFF_FFFF {
                return None;
            }
        }
        parts[count] = value;
        count += 1;
    }
    let octets = |ps: &[i64]| ps.iter().all(|p| *p <= 255);
    match count {
        1 => Some(parts[0]),
        2 if octets(&parts[..2]) => Some(parts[0] << 24 | parts[1]),
        3 if octets(&parts[..3]) => Some(parts[0] << 24 | parts[1] << 16 | parts[2]),
        4 if octets(&parts) => Some(parts[0] << 24 | parts[1] << 16 | parts[2] << 8 | parts[3]),
        _ => None,
    }
}

/// A number in `[0, 2^32)` as a dotted IPv4 address; `None` outside.
pub(crate) fn ntoa(n: i64) -> Option<String> {
    let n = u32::try_from(n).ok()?;
    let [a, b, c, d] = n.to_be_bytes();
    Some(format!("{a}.{b}.{c}.{d}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_as_flink_reads_them() {
        // Flink 2.3 run (session 41).
        let cases: &[(&str, Option<i64>)] = &[
            ("1.2.3.4", Some(16909060)),
            ("1.2.3", Some(16908291)),
            ("1.2", Some(16777218)),
            ("1", Some(1)),
            ("01.2.3.4", Some(16909060)),
            ("256.1.1.1", None),
            ("", None),
            ("a.b.c.d", None),
            ("1.2.3.4.5", None),
            (" 1.2.3.4", None),
            ("1.2.3.-4", None),
            ("1..2", None),
            ("4294967295", Some(4294967295)),
            ("4294967296", None),
        ];
        for (text, want) in cases {
            assert_eq!(aton(text.as_bytes()), *want, "INET_ATON({text:?})");
        }
        assert_eq!(ntoa(16909060).as_deref(), Some("1.2.3.4"));
        assert_eq!(ntoa(3232235777).as_deref(), Some("192.168.1.1"));
        assert_eq!(ntoa(4294967295).as_deref(), Some("255.255.255.255"));
        assert_eq!(ntoa(-1), None);
        assert_eq!(ntoa(4294967296), None);
    }
}
