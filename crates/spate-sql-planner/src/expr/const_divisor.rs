//! [`ConstDivisor`]: `x / d` and `x % d` by a literal `d`, with two multiplications instead of
//! a `div` instruction.
//!
//! Why: `k AS id % 1000` is how generated tables and bucketing (`MOD(user_id, 16)`) make keys,
//! and a computed column runs for every row a source reads. `perf annotate` put a third of the
//! computed columns' time of the tumble-count benchmark on the `div` of `id % 1000` (about 25
//! cycles). A compiler strength-reduces a division by a constant it sees; a literal of a SQL
//! statement is only known at run time, so this does the same by Lemire, Kaser and Kurz,
//! "Faster Remainder by Direct Computation" (2019): with `m = ⌈2^64 / d⌉`, for every 32-bit
//! `x` and `d`, `x / d` is the high word of `m · x` and `x % d` the high word of
//! `(m · x mod 2^64) · d`.
//!
//! Only non-negative dividends below 2^32 and divisors in `2..2^32` take this path; anything
//! else is `None` and the caller divides as before (Java's truncating semantics for negative
//! operands included).

/// A literal divisor prepared for [`quotient`](Self::quotient) and
/// [`remainder`](Self::remainder) (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ConstDivisor {
    d: u64,
    /// `⌈2^64 / d⌉`.
    m: u64,
}

impl ConstDivisor {
    /// The divisor `d`, when it is in `2..2^32`.
    pub(super) fn of(d: i64) -> Option<Self> {
        let d = u32::try_from(d).ok().filter(|d| *d >= 2)?;
        let d = u64::from(d);
        // d ≥ 2 does not divide 2^64 exactly unless it is a power of two; for those,
        // u64::MAX / d + 1 is 2^64 / d, and otherwise ⌊(2^64 - 1) / d⌋ + 1 = ⌈2^64 / d⌉.
        Some(Self {
            d,
            m: u64::MAX / d + 1,
        })
    }

    /// `x / d`, when `x` is in `0..2^32`.
    #[inline(always)]
    pub(super) fn quotient(self, x: i64) -> Option<i64> {
        let x = u64::from(u32::try_from(x).ok()?);
        Some(((u128::from(self.m) * u128::from(x)) >> 64) as i64)
    }

    /// `x % d`, when `x` is in `0..2^32`.
    #[inline(always)]
    pub(super) fn remainder(self, x: i64) -> Option<i64> {
        let x = u64::from(u32::try_from(x).ok()?);
        let low = self.m.wrapping_mul(x);
        Some(((u128::from(low) * u128::from(self.d)) >> 64) as i64)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn only_divisors_of_two_to_u32_max_qualify() {
        for d in [i64::MIN, -7, -1, 0, 1, 1 << 32, i64::MAX] {
            assert_eq!(ConstDivisor::of(d), None, "{d}");
        }
        for d in [2, 3, 1000, 1024, i64::from(u32::MAX)] {
            assert!(ConstDivisor::of(d).is_some(), "{d}");
        }
    }

    #[test]
    fn dividends_outside_u32_take_the_general_path() {
        let d = ConstDivisor::of(1000).expect("divisor");
        for x in [-1, i64::MIN, 1 << 32, i64::MAX] {
            assert_eq!(d.quotient(x), None);
            assert_eq!(d.remainder(x), None);
        }
    }

    #[test]
    fn edges_match_the_div_instruction() {
        let max = i64::from(u32::MAX);
        for d in [2, 3, 7, 10, 1000, 1 << 31, max - 1, max] {
            let c = ConstDivisor::of(d).expect("divisor");
            for x in [0, 1, d - 1, d, d + 1, max - 1, max]
                .into_iter()
                .filter(|x| *x <= max)
            {
                assert_eq!(c.quotient(x), Some(x / d), "{x} / {d}");
                assert_eq!(c.remainder(x), Some(x % d), "{x} % {d}");
            }
        }
    }

    proptest! {
        #[test]
        fn equals_the_div_instruction(x in 0..=i64::from(u32::MAX), d in 2..=i64::from(u32::MAX)) {
            let c = ConstDivisor::of(d).expect("divisor");
            prop_assert_eq!(c.quotient(x), Some(x / d));
            prop_assert_eq!(c.remainder(x), Some(x % d));
        }

        #[test]
        fn equals_the_div_instruction_for_small_divisors(x in 0..=i64::from(u32::MAX), d in 2i64..=1100) {
            let c = ConstDivisor::of(d).expect("divisor");
            prop_assert_eq!(c.quotient(x), Some(x / d));
            prop_assert_eq!(c.remainder(x), Some(x % d));
        }
    }
}
