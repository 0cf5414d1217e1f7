//! `DECIMAL(p, s)` values as unscaled `i128`s: text forms, rescaling with Flink's rounding
//! (half up, away from zero) and the precision check (a value that does not fit is `NULL` in
//! Flink's casts and arithmetic).

/// `10^n` for `n` up to 38.
pub fn pow10(n: u32) -> i128 {
    10i128.pow(n)
}

/// Whether `unscaled` fits in `precision` digits.
pub fn fits(unscaled: i128, precision: u32) -> bool {
    unscaled.unsigned_abs() < pow10(precision.min(38)) as u128
}

/// Changes the scale of `unscaled` from `from` to `to`, rounding half away from zero; `None` on
/// overflow.
pub fn rescale(unscaled: i128, from: u32, to: u32) -> Option<i128> {
    use std::cmp::Ordering;
    match to.cmp(&from) {
        Ordering::Equal => Some(unscaled),
        Ordering::Greater => unscaled.checked_mul(pow10(to - from)),
        Ordering::Less => {
            let div = pow10(from - to);
            let q = unscaled / div;
            let r = unscaled % div;
            if r.unsigned_abs() * 2 >= div as u128 {
                Some(q + unscaled.signum())
            } else {
                Some(q)
            }
        }
    }
}

/// Plain notation with exactly `scale` digits after the point (`12.50`, `-0.05`, `7`).
pub fn format(unscaled: i128, scale: u32, out: &mut String) {
    let digits = unscaled.unsigned_abs().to_string();
    if unscaled < 0 {
        out.push('-');
    }
    let scale = scale as usize;
    if scale == 0 {
        out.push_str(&digits);
    } else if digits.len() > scale {
        let (int, frac) = digits.split_at(digits.len() - scale);
        out.push_str(int);
        out.push('.');
        out.push_str(frac);
    } else {
        out.push_str("0.");
        for _ in digits.len()..scale {
            out.push('0');
        }
        out.push_str(&digits);
    }
}

/// Parses a decimal number (`12.5`, `-3`, `1e2`, `.5`) into an unscaled value with `scale`,
/// rounding half up; `None` when it is not a number or does not fit `precision`.
pub fn parse(text: &str, precision: u32, scale: u32) -> Option<i128> {
    let t = text.trim();
    let (mantissa, exp) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], t[i + 1..].parse::<i32>().ok()?),
        None => (t, 0),
    };
    let (neg, m) = match mantissa.as_bytes().first()? {
        b'-' => (true, &mantissa[1..]),
        b'+' => (false, &mantissa[1..]),
        _ => (false, mantissa),
    };
    let (int, frac) = m.split_once('.').unwrap_or((m, ""));
    if int.is_empty() && frac.is_empty() || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let all = format!("{int}{frac}");
    let all = all.trim_start_matches('0');
    // value = all * 10^(exp - frac.len())
    let shift = exp.checked_sub(i32::try_from(frac.len()).ok()?)?;
    let target = shift.checked_add(i32::try_from(scale).ok()?)?;
    if all.len() > 60 {
        return None;
    }
    let digits: i128 = if all.is_empty() { 0 } else { all.parse().ok()? };
    let unscaled = if target >= 0 {
        digits.checked_mul(10i128.checked_pow(u32::try_from(target).ok()?)?)?
    } else {
        let down = u32::try_from(-target).ok()?;
        if down > 38 { 0 } else { rescale(digits, down, 0)? }
    };
    let unscaled = if neg { -unscaled } else { unscaled };
    fits(unscaled, precision).then_some(unscaled)
}

/// The unscaled value as an `f64`.
pub fn to_f64(unscaled: i128, scale: u32) -> f64 {
    unscaled as f64 / 10f64.powi(scale as i32)
}

/// An `f64` as a decimal with `scale`, rounded half up; `None` when it does not fit.
pub fn from_f64(v: f64, precision: u32, scale: u32) -> Option<i128> {
    if !v.is_finite() {
        return None;
    }
    // Through the shortest text form, so 0.1 becomes 0.1 and not 0.1000000000000000055.
    parse(&format!("{v:e}"), precision, scale)
}

/// `|a| * |b|` as a 256-bit `(high, low)` pair.
fn mul_wide(a: u128, b: u128) -> (u128, u128) {
    const MASK: u128 = u64::MAX as u128;
    let (a1, a0) = (a >> 64, a & MASK);
    let (b1, b0) = (b >> 64, b & MASK);
    let (p00, p01, p10, p11) = (a0 * b0, a0 * b1, a1 * b0, a1 * b1);
    let mid = (p00 >> 64) + (p01 & MASK) + (p10 & MASK);
    let lo = (p00 & MASK) | (mid << 64);
    let hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
    (hi, lo)
}

/// `(high, low) / d` as quotient and remainder; `None` when the quotient needs more than 128
/// bits.
fn div_wide(hi: u128, lo: u128, d: u128) -> Option<(u128, u128)> {
    if d == 0 || hi >= d {
        return None;
    }
    let (mut r, mut q) = (hi, 0u128);
    for i in (0..128).rev() {
        let carry = r >> 127;
        r = (r << 1) | ((lo >> i) & 1);
        q <<= 1;
        if carry == 1 || r >= d {
            r = r.wrapping_sub(d);
            q |= 1;
        }
    }
    Some((q, r))
}

/// `q` rounded up by one when the remainder `r` of a division by `d` is at least half of `d`,
/// with `negative`'s sign; `None` past `i128`.
fn signed_rounded(q: u128, r: u128, d: u128, negative: bool) -> Option<i128> {
    let q = if r >= d - r { q.checked_add(1)? } else { q };
    let q = i128::try_from(q).ok()?;
    Some(if negative { -q } else { q })
}

/// `x * y / 10^drop`, rounded half away from zero, exact even when `x * y` does not fit in
/// `i128` (DECIMAL multiplication whose scale is then reduced); `None` when the result does not
/// fit.
pub fn mul_round(x: i128, y: i128, drop: u32) -> Option<i128> {
    let negative = (x < 0) != (y < 0);
    let (hi, lo) = mul_wide(x.unsigned_abs(), y.unsigned_abs());
    let (mut hi, mut lo, mut drop) = (hi, lo, drop);
    if drop > 38 {
        // Dividing by 10^38 first and rounding on the second remainder alone is exact: 10^k
        // is even, so that remainder decides half-up on its own.
        let (q, _) = div_wide(hi, lo, pow10(38) as u128)?;
        (hi, lo, drop) = (0, q, drop - 38);
        if drop > 38 {
            return Some(0);
        }
    }
    let d = pow10(drop) as u128;
    let (q, r) = div_wide(hi, lo, d)?;
    signed_rounded(q, r, d, negative)
}

/// `x * 10^shift / y`, rounded half away from zero, with a 256-bit numerator (DECIMAL
/// division); `None` when `y` is 0, `shift` exceeds 38 or the result does not fit.
pub fn div_round(x: i128, shift: u32, y: i128) -> Option<i128> {
    if y == 0 || shift > 38 {
        return None;
    }
    let negative = (x < 0) != (y < 0);
    let (hi, lo) = mul_wide(x.unsigned_abs(), pow10(shift) as u128);
    let d = y.unsigned_abs();
    let (q, r) = div_wide(hi, lo, d)?;
    signed_rounded(q, r, d, negative)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn text(u: i128, s: u32) -> String {
        let mut out = String::new();
        format(u, s, &mut out);
        out
    }

    #[test]
    fn formats_and_parses() {
        assert_eq!(text(1250, 2), "12.50");
        assert_eq!(text(-5, 2), "-0.05");
        assert_eq!(text(7, 0), "7");
        assert_eq!(parse("12.345", 10, 2), Some(1235));
        assert_eq!(parse("-12.345", 10, 2), Some(-1235));
        assert_eq!(parse("1e2", 10, 0), Some(100));
        assert_eq!(parse(".5", 3, 1), Some(5));
        assert_eq!(parse("1000", 3, 0), None);
        assert_eq!(parse("abc", 10, 0), None);
        assert_eq!(from_f64(0.1, 10, 3), Some(100));
        assert_eq!(rescale(15, 1, 0), Some(2));
        assert_eq!(rescale(-15, 1, 0), Some(-2));
    }

    #[test]
    fn wide_multiplication_and_division() {
        // 10^30 * 10^20 / 10^14 = 10^36: the product overflows i128, the result does not.
        assert_eq!(mul_round(pow10(30), pow10(20), 14), Some(pow10(36)));
        assert_eq!(mul_round(-pow10(30), pow10(20), 14), Some(-pow10(36)));
        assert_eq!(mul_round(15, 1, 1), Some(2));
        assert_eq!(mul_round(-15, 1, 1), Some(-2));
        assert_eq!(mul_round(14, 1, 1), Some(1));
        assert_eq!(mul_round(pow10(37), pow10(37), 76), Some(0));
        assert_eq!(mul_round(pow10(37), pow10(37), 0), None);
        // 1 / 3 at scale 6, and 10^37 / 7 at scale 20 (numerator past i128).
        assert_eq!(div_round(1, 6, 3), Some(333_333));
        assert_eq!(div_round(2, 6, 3), Some(666_667));
        assert_eq!(div_round(-2, 6, 3), Some(-666_667));
        assert_eq!(
            div_round(pow10(20), 20, 7 * pow10(18)),
            Some(1_428_571_428_571_428_571_429)
        );
        assert_eq!(div_round(1, 6, 0), None);
    }

    proptest! {
        #[test]
        fn wide_ops_agree_with_narrow(x in -(10i128.pow(15))..10i128.pow(15), y in 1i128..10i128.pow(15), d in 0u32..10) {
            let narrow = rescale(x * y, d, 0);
            prop_assert_eq!(mul_round(x, y, d), narrow);
            let expect = rescale((x * 10i128.pow(d + 1)) / y, 1, 0);
            prop_assert_eq!(div_round(x, d, y), expect);
        }

        #[test]
        fn text_round_trips(u in -(10i128.pow(18))..10i128.pow(18), s in 0u32..18) {
            prop_assert_eq!(parse(&text(u, s), 38, s), Some(u));
        }
    }
}
