//! Java's text forms of numbers, as Flink's formats (through Jackson) write and read them:
//! `Double.toString`/`Float.toString`, `BigDecimal.toString`/`toPlainString`, and the
//! `Integer.parseInt`/`Double.parseDouble`/`new BigDecimal(..)` grammars. Base64 is in
//! [`base64`](super::base64).
//!
//! Floats are written with the shortest digits that round-trip (what `Double.toString` prints
//! since JDK 19; JDK 17's older algorithm prints a longer form for a few values).

use std::io::Write;

/// Java's `trim()`: strips every char `<= ' '` from both ends.
pub fn java_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

/// Appends `Double.toString(v)`.
pub fn write_double(v: f64, out: &mut Vec<u8>) {
    if !v.is_finite() {
        out.extend_from_slice(non_finite(v).as_bytes());
        return;
    }
    let mut buf = [0u8; 40];
    let mut n = sci_digits(&mut buf, format_args!("{v:e}"));
    if one_digit(&buf[..n]) {
        n = sci_digits(&mut buf, format_args!("{v:.1e}"));
    }
    write_java_float_text(&buf[..n], out);
}

/// Appends `Float.toString(v)` of a `FLOAT` held as `f64`.
pub fn write_float(v: f64, out: &mut Vec<u8>) {
    let f = v as f32;
    if !f.is_finite() {
        out.extend_from_slice(non_finite(v).as_bytes());
        return;
    }
    let mut buf = [0u8; 40];
    let mut n = sci_digits(&mut buf, format_args!("{f:e}"));
    if one_digit(&buf[..n]) {
        n = sci_digits(&mut buf, format_args!("{f:.1e}"));
    }
    write_java_float_text(&buf[..n], out);
}

/// Java prints the closest 2-digit decimal when the shortest one has a single digit
/// (`4.9E-324` for the smallest double, not `5.0E-324`); `{:.1e}` is that decimal.
fn one_digit(sci: &[u8]) -> bool {
    let m = sci.strip_prefix(b"-").unwrap_or(sci);
    m.len() > 1 && m[0].is_ascii_digit() && m[1] == b'e'
}

/// `NaN`, `Infinity`, `-Infinity`.
pub fn non_finite(v: f64) -> &'static str {
    if v.is_nan() {
        "NaN"
    } else if v > 0.0 {
        "Infinity"
    } else {
        "-Infinity"
    }
}

fn sci_digits(buf: &mut [u8; 40], args: std::fmt::Arguments<'_>) -> usize {
    let mut cursor = std::io::Cursor::new(&mut buf[..]);
    // 40 bytes hold any `{:e}` of an f64 (17 digits, sign, point, exponent).
    let _ = cursor.write_fmt(args);
    cursor.position() as usize
}

/// Turns Rust's `{:e}` text (`-1.2345e-7`) into Java's `toString` form: plain between 1e-3
/// and 1e7 (`0.001`, `1234567.0`), computerized scientific outside (`1.0E7`, `1.2345E-7`).
fn write_java_float_text(sci: &[u8], out: &mut Vec<u8>) {
    let (neg, rest) = match sci.first() {
        Some(b'-') => (true, &sci[1..]),
        _ => (false, sci),
    };
    let e_pos = rest.iter().position(|&b| b == b'e').unwrap_or(rest.len());
    let mantissa = &rest[..e_pos];
    let exp: i32 = std::str::from_utf8(rest.get(e_pos + 1..).unwrap_or(b"0"))
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    // Digits without the point: "1.2345" -> "12345".
    let mut digits = [0u8; 24];
    let mut nd = 0;
    for &b in mantissa {
        if b.is_ascii_digit() && nd < digits.len() {
            digits[nd] = b;
            nd += 1;
        }
    }
    while nd > 1 && digits[nd - 1] == b'0' {
        nd -= 1;
    }
    let digits = &digits[..nd.max(1)];
    if neg {
        out.push(b'-');
    }
    if digits == b"0" {
        out.extend_from_slice(b"0.0");
        return;
    }
    if (-3..7).contains(&exp) {
        if exp >= 0 {
            let int_len = exp as usize + 1;
            for i in 0..int_len {
                out.push(*digits.get(i).unwrap_or(&b'0'));
            }
            out.push(b'.');
            if digits.len() > int_len {
                out.extend_from_slice(&digits[int_len..]);
            } else {
                out.push(b'0');
            }
        } else {
            out.extend_from_slice(b"0.");
            for _ in 0..(-exp - 1) {
                out.push(b'0');
            }
            out.extend_from_slice(digits);
        }
    } else {
        out.push(digits[0]);
        out.push(b'.');
        if digits.len() > 1 {
            out.extend_from_slice(&digits[1..]);
        } else {
            out.push(b'0');
        }
        out.push(b'E');
        let _ = write!(out, "{exp}");
    }
}

/// Appends a decimal the way Flink's JSON and CSV formats write `DECIMAL` by default:
/// `BigDecimal.stripTrailingZeros().toString()` (`12.50` → `12.5`, `100` → `1E+2`,
/// `0.000000001` → `1E-9`).
pub fn write_decimal_stripped(unscaled: i128, scale: u32, out: &mut Vec<u8>) {
    let mut u = unscaled;
    let mut s = i64::from(scale);
    if u == 0 {
        out.push(b'0');
        return;
    }
    while u % 10 == 0 {
        u /= 10;
        s -= 1;
    }
    write_big_decimal(u, s, out);
}

/// Appends `BigDecimal.toString()` of `unscaled × 10^-scale`.
pub(crate) fn write_big_decimal(unscaled: i128, scale: i64, out: &mut Vec<u8>) {
    let mut buf = [0u8; 48];
    let n = sci_digits_i128(&mut buf, unscaled.unsigned_abs());
    write_big_decimal_digits(unscaled < 0, &buf[..n], scale, out);
}

/// Appends `BigDecimal.toString()` of `±digits × 10^-scale` (`digits` without leading zeros,
/// or `0`).
pub(crate) fn write_big_decimal_digits(neg: bool, digits: &[u8], scale: i64, out: &mut Vec<u8>) {
    let n = digits.len();
    if neg {
        out.push(b'-');
    }
    let adjusted = -scale + (n as i64 - 1);
    if scale >= 0 && adjusted >= -6 {
        write_plain_digits(digits, scale as usize, out);
        return;
    }
    out.push(digits[0]);
    if n > 1 {
        out.push(b'.');
        out.extend_from_slice(&digits[1..]);
    }
    out.push(b'E');
    if adjusted >= 0 {
        out.push(b'+');
    }
    let _ = write!(out, "{adjusted}");
}

/// Appends a JSON integer's text as Jackson's tree prints it: `-0` → `0`, others as written
/// (JSON integers have no leading zeros).
pub fn write_json_int_normalized(text: &str, out: &mut Vec<u8>) {
    if text.trim_start_matches('-').bytes().all(|b| b == b'0') {
        out.push(b'0');
    } else {
        out.extend_from_slice(text.as_bytes());
    }
}

/// Appends `BigDecimal.toPlainString()` with exactly `scale` fraction digits.
pub fn write_decimal_plain(unscaled: i128, scale: u32, out: &mut Vec<u8>) {
    let mut buf = [0u8; 48];
    let n = sci_digits_i128(&mut buf, unscaled.unsigned_abs());
    if unscaled < 0 {
        out.push(b'-');
    }
    write_plain_digits(&buf[..n], scale as usize, out);
}

fn sci_digits_i128(buf: &mut [u8; 48], v: u128) -> usize {
    let mut cursor = std::io::Cursor::new(&mut buf[..]);
    let _ = write!(cursor, "{v}");
    cursor.position() as usize
}

fn write_plain_digits(digits: &[u8], scale: usize, out: &mut Vec<u8>) {
    if scale == 0 {
        out.extend_from_slice(digits);
    } else if digits.len() > scale {
        let (int, frac) = digits.split_at(digits.len() - scale);
        out.extend_from_slice(int);
        out.push(b'.');
        out.extend_from_slice(frac);
    } else {
        out.extend_from_slice(b"0.");
        out.resize(out.len() + (scale - digits.len()), b'0');
        out.extend_from_slice(digits);
    }
}

/// `Long.parseLong` (also `Integer.parseInt` etc. with a range check by the caller): an
/// optional sign and ASCII digits, nothing else.
pub fn parse_java_long(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let digits = match b.first()? {
        b'+' | b'-' => &b[1..],
        _ => b,
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    // Rust's parser takes the same grammar (sign, then digits) and checks the range.
    s.parse::<i64>().ok()
}

/// `Double.parseDouble` on already-trimmed text: `NaN`, `[+-]Infinity`, or a decimal number
/// with an optional exponent and an optional `f`/`d` suffix (Java's hex floats are not read).
pub fn parse_java_double(s: &str) -> Option<f64> {
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    match unsigned {
        "NaN" => return Some(f64::NAN),
        "Infinity" => {
            return Some(if s.starts_with('-') {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            });
        }
        _ => {}
    }
    let body = s.strip_suffix(['f', 'F', 'd', 'D']).unwrap_or(s);
    if !java_decimal_grammar(body) {
        return None;
    }
    body.parse().ok()
}

/// `Float.parseFloat`, rounding the decimal text straight to `f32` as Java does.
pub fn parse_java_float(s: &str) -> Option<f32> {
    let v = parse_java_double(s)?;
    if !v.is_finite() {
        return Some(v as f32);
    }
    let body = s.strip_suffix(['f', 'F', 'd', 'D']).unwrap_or(s);
    body.parse().ok()
}

/// `[+-]digits[.digits][(e|E)[+-]digits]` with at least one mantissa digit (`1.`, `.5` too).
fn java_decimal_grammar(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let mut mantissa_digits = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
        mantissa_digits += 1;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
            mantissa_digits += 1;
        }
    }
    if mantissa_digits == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    i == b.len()
}

/// The outcome of reading a `DECIMAL(p, s)` from text as Flink does (`new BigDecimal(text)`,
/// then `DecimalData.fromBigDecimal`, which rounds half up to the scale and gives `NULL` when
/// the value needs more than `p` digits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecimalText {
    /// The unscaled value.
    Value(i128),
    /// A number that does not fit the precision: Flink reads it as `NULL`.
    Overflow,
    /// Not a number (`new BigDecimal` throws).
    Invalid,
}

/// Reads `text` with `new BigDecimal(text)`'s grammar (no spaces) into `DECIMAL(p, s)`.
pub fn parse_java_decimal(text: &str, precision: u32, scale: u32) -> DecimalText {
    if !java_decimal_grammar(text) {
        return DecimalText::Invalid;
    }
    let b = text.as_bytes();
    let neg = b[0] == b'-';
    let body = text.trim_start_matches(['+', '-']);
    let (mantissa, exp) = match body.find(['e', 'E']) {
        Some(i) => match body[i + 1..].parse::<i64>() {
            Ok(e) => (&body[..i], e),
            // An exponent beyond i64 is beyond any BigDecimal too.
            Err(_) => return DecimalText::Invalid,
        },
        None => (body, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    // value = digits × 10^(exp - frac.len()); digits without leading zeros.
    let digits = || int.bytes().chain(frac.bytes()).skip_while(|&d| d == b'0');
    let n = digits().count();
    let shift = exp
        .saturating_sub(frac.len() as i64)
        .saturating_add(i64::from(scale));
    if n == 0 {
        return DecimalText::Value(0);
    }
    let unscaled: i128 = if shift >= 0 {
        if (n as i64).saturating_add(shift) > 38 {
            return DecimalText::Overflow;
        }
        let v = digits().fold(0i128, |v, d| v * 10 + i128::from(d - b'0'));
        v * 10i128.pow(shift as u32)
    } else {
        let drop = usize::try_from(shift.unsigned_abs()).unwrap_or(usize::MAX);
        if drop > n {
            return DecimalText::Value(0);
        }
        let keep = n - drop;
        if keep > 38 {
            return DecimalText::Overflow;
        }
        let mut v = digits()
            .take(keep)
            .fold(0i128, |v, d| v * 10 + i128::from(d - b'0'));
        // Half up: the first dropped digit decides.
        if digits().nth(keep).is_some_and(|d| d >= b'5') {
            v += 1;
        }
        v
    };
    if unscaled.unsigned_abs() >= 10u128.pow(precision.min(38)) {
        return DecimalText::Overflow;
    }
    DecimalText::Value(if neg { -unscaled } else { unscaled })
}

/// Appends an integer in decimal.
pub fn write_int(v: i64, out: &mut Vec<u8>) {
    // Digit by digit: `write!` was most of a CSV line's integer fields (Nexmark q10).
    if v < 0 {
        out.push(b'-');
    }
    out.extend_from_slice(crate::digits::decimal(v.unsigned_abs(), &mut [0; 20]).as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn write_int_is_display(v in proptest::prop_oneof![proptest::prelude::any::<i64>(), -1000i64..1000]) {
            let mut out = Vec::new();
            write_int(v, &mut out);
            proptest::prop_assert_eq!(String::from_utf8(out).unwrap(), v.to_string());
        }
    }

    fn d(v: f64) -> String {
        let mut out = Vec::new();
        write_double(v, &mut out);
        String::from_utf8(out).unwrap()
    }

    fn f(v: f32) -> String {
        let mut out = Vec::new();
        write_float(f64::from(v), &mut out);
        String::from_utf8(out).unwrap()
    }

    fn bd(u: i128, s: u32) -> String {
        let mut out = Vec::new();
        write_decimal_stripped(u, s, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn java_double_to_string() {
        // Values and texts from Flink 2.3's json sink (/tmp probe jfl, see spate-sql's tests/it/formats.rs).
        assert_eq!(d(1.0), "1.0");
        assert_eq!(d(1234567.0), "1234567.0");
        assert_eq!(d(12345678.0), "1.2345678E7");
        assert_eq!(d(0.001), "0.001");
        assert_eq!(d(0.0001), "1.0E-4");
        assert_eq!(d(1.7976931348623157e308), "1.7976931348623157E308");
        assert_eq!(d(4.9e-324), "4.9E-324");
        assert_eq!(d(1e7), "1.0E7");
        assert_eq!(d(123456789012345678.0), "1.2345678901234568E17");
        assert_eq!(d(0.30000000000000004), "0.30000000000000004");
        assert_eq!(d(9999999.0), "9999999.0");
        assert_eq!(d(-0.0), "-0.0");
        assert_eq!(d(1e23), "1.0E23");
        assert_eq!(d(2e-3), "0.002");
        assert_eq!(d(f64::NAN), "NaN");
        assert_eq!(f(3.4028235e38), "3.4028235E38");
        assert_eq!(f(1.4e-45), "1.4E-45");
        assert_eq!(f(0.1), "0.1");
        assert_eq!(f(1e10), "1.0E10");
    }

    #[test]
    fn big_decimal_to_string() {
        assert_eq!(bd(1250, 2), "12.5");
        assert_eq!(bd(10000, 2), "1E+2");
        assert_eq!(bd(0, 2), "0");
        assert_eq!(bd(1_000_000_000, 18), "1E-9");
        assert_eq!(bd(100, 8), "0.000001");
        assert_eq!(bd(-123456, 3), "-123.456");
        assert_eq!(bd(-12000, 2), "-1.2E+2");
        let mut out = Vec::new();
        write_decimal_plain(100, 9, &mut out);
        assert_eq!(out, b"0.000000100");
    }

    #[test]
    fn java_parsers() {
        assert_eq!(parse_java_long("+5"), Some(5));
        assert_eq!(parse_java_long("-"), None);
        assert_eq!(parse_java_long("0x10"), None);
        assert_eq!(parse_java_double("1.5f"), Some(1.5));
        assert_eq!(parse_java_double(".5"), Some(0.5));
        assert_eq!(parse_java_double("1."), Some(1.0));
        assert!(parse_java_double("inf").is_none());
        assert!(parse_java_double("-Infinity").is_some_and(|v| v == f64::NEG_INFINITY));
        assert!(matches!(
            parse_java_decimal("1.005", 10, 2),
            DecimalText::Value(101)
        ));
        assert!(matches!(
            parse_java_decimal("-1.005", 10, 2),
            DecimalText::Value(-101)
        ));
        assert!(matches!(
            parse_java_decimal("1e-20", 10, 2),
            DecimalText::Value(0)
        ));
        assert!(matches!(
            parse_java_decimal("99999999.999", 10, 2),
            DecimalText::Overflow
        ));
        assert!(matches!(parse_java_decimal(" 1", 10, 2), DecimalText::Invalid));
    }
}
