//! Decimal digits of an integer written without `fmt`'s machinery, for the per-row writers
//! (`DATE_FORMAT`'s fields, CSV and JSON integers) where `write!` was a measurable share.

/// The decimal digits of `n` (no sign, no padding), written into `buf`.
pub(crate) fn decimal(n: u64, buf: &mut [u8; 20]) -> &str {
    let mut n = n;
    let mut start = buf.len();
    loop {
        start -= 1;
        buf[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    // Only ASCII digits were written.
    std::str::from_utf8(&buf[start..]).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    proptest::proptest! {
        #[test]
        fn decimal_is_display(n in proptest::prelude::any::<u64>()) {
            let mut buf = [0; 20];
            proptest::prop_assert_eq!(super::decimal(n, &mut buf), n.to_string());
        }
    }
}
