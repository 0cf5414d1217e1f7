//! The running state of `STDDEV_POP`, `STDDEV_SAMP`, `VAR_POP` and `VAR_SAMP`.
//!
//! Flink 2.3 plans each of them as `$WELFORD_M2$1(x)` and `COUNT(x)` followed by a projection:
//! Welford's online update of the mean and of the sum of squared deviations (`m2`) in `DOUBLE`,
//! whatever the argument's type, then `m2 / n` (population) or `m2 / (n - 1)` (sample, NULL
//! for one row), its power 0.5 for a standard deviation, and a cast to the result type (which
//! is the argument's: an `INT` deviation is truncated, a `TINYINT` one wraps as Java's
//! `(byte) (int) d` does). Spate follows the same steps in the same `f64` operations, so the
//! last bits of a `DOUBLE` result match too (seen on Flink 2.3: `tests/flink/statistics_aggregates`).

use serde::{Deserialize, Serialize};

use crate::decimal;
use crate::expr::cast;
use crate::plan::AggKind;
use crate::types::{DataType, TypeKind};
use crate::value::Value;
use crate::zone::SessionZone;

/// The count, mean and sum of squared deviations of the values so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Welford {
    n: i64,
    mean: f64,
    m2: f64,
}

impl Welford {
    /// Folds in one value.
    pub(crate) fn add(&mut self, x: f64) {
        self.n += 1;
        let before = x - self.mean;
        self.mean += before / self.n as f64;
        let after = x - self.mean;
        self.m2 += before * after;
    }

    /// Takes one value back out (the inverse of [`add`](Self::add), for an aggregate over an
    /// updating input): the count, mean and `m2` the state had before `x` was added.
    pub(crate) fn retract(&mut self, x: f64) {
        let n = self.n - 1;
        if n <= 0 {
            *self = Welford::default();
            return;
        }
        let after = x - self.mean;
        let mean = self.mean - after / n as f64;
        let before = x - mean;
        self.m2 -= before * after;
        self.mean = mean;
        self.n = n;
    }

    /// Folds in another state as if its values had been added here (Chan et al.'s pairwise
    /// update, Flink's merge in the same operation order: a session window's or a two-phase
    /// aggregate's parts then give Flink's bits).
    pub(crate) fn merge(&mut self, other: &Welford) {
        if other.n <= 0 {
            return;
        }
        if self.n == 0 {
            *self = *other;
            return;
        }
        let n = self.n + other.n;
        let delta = other.mean - self.mean;
        let mean = self.mean + other.n as f64 / n as f64 * delta;
        let m2 = self.m2 + other.m2 + self.n as f64 * other.n as f64 / n as f64 * delta * delta;
        *self = Welford { n, mean, m2 };
    }

    /// The aggregate `kind`'s result, cast to `ty` as Flink casts its `DOUBLE`: NULL for no
    /// values, and for `STDDEV_SAMP`/`VAR_SAMP` of one value.
    pub(crate) fn result(&self, kind: AggKind, ty: &DataType) -> Value {
        // Flink's M2 aggregate is NULL for no rows and for a negative sum (rounding).
        if self.n <= 0 || self.m2 < 0.0 {
            return Value::Null;
        }
        let divisor = match kind {
            AggKind::StddevSamp | AggKind::VarSamp if self.n == 1 => return Value::Null,
            AggKind::StddevSamp | AggKind::VarSamp => self.n - 1,
            _ => self.n,
        };
        let variance = self.m2 / divisor as f64;
        let value = match kind {
            // `POWER(v, 0.5)` in Flink's plan, not SQRT (they differ for -0.0).
            AggKind::StddevPop | AggKind::StddevSamp => variance.powf(0.5),
            _ => variance,
        };
        let double = DataType::new(TypeKind::Double);
        cast(&Value::Float(value), &double, ty, SessionZone::UTC).unwrap_or(Value::Null)
    }
}

/// A numeric argument as the `DOUBLE` Flink folds into its state, `None` for another value.
/// A `DECIMAL` of up to 18 digits is its unscaled long divided by the power of ten (Flink's
/// compact decimals); a wider one is rounded from its exact value, as Java's `BigDecimal` does.
pub(crate) fn as_double(v: &Value, arg: &DataType) -> Option<f64> {
    match (v, &arg.kind) {
        (Value::Int(i), _) => Some(*i as f64),
        (Value::Float(f), _) => Some(*f),
        (Value::Decimal(d), TypeKind::Decimal { precision, scale }) => {
            if *precision <= 18 || d.unsigned_abs() < 1 << 53 {
                // Both operands are exact doubles here, so the division rounds once, either way.
                return Some(decimal::to_f64(*d, *scale));
            }
            let mut text = String::new();
            decimal::format(*d, *scale, &mut text);
            text.parse().ok()
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(values: &[f64]) -> Welford {
        let mut w = Welford::default();
        for v in values {
            w.add(*v);
        }
        w
    }

    fn ty(kind: TypeKind) -> DataType {
        DataType::new(kind)
    }

    /// Flink 2.3 (probe of 2026-11-26, `SELECT .. FROM (VALUES ..)`): over the doubles 1, 2,
    /// 4 the four aggregates are these exact doubles.
    #[test]
    fn doubles_match_flink_to_the_last_bit() {
        let w = of(&[1.0, 2.0, 4.0]);
        let d = ty(TypeKind::Double);
        assert_eq!(w.result(AggKind::StddevPop, &d), Value::Float(1.247219128924647));
        assert_eq!(
            w.result(AggKind::StddevSamp, &d),
            Value::Float(1.5275252316519465)
        );
        assert_eq!(w.result(AggKind::VarPop, &d), Value::Float(1.5555555555555554));
        assert_eq!(w.result(AggKind::VarSamp, &d), Value::Float(2.333333333333333));
        let w = of(&[0.1, 0.2, 0.3]);
        assert_eq!(
            w.result(AggKind::StddevPop, &d),
            Value::Float(0.08164965809277258)
        );
        assert_eq!(w.result(AggKind::VarSamp, &d), Value::Float(0.009999999999999995));
    }

    /// Flink 2.3: integers are cast back from the double, Java's way: `INT` saturates
    /// (`VAR_POP` of 2147483647 and 1 is 2147483647), `TINYINT` wraps through an int
    /// (`VAR_POP` of 1, 12, 100 is 1962.9 as a double, -86 as a TINYINT).
    #[test]
    fn integer_results_are_java_casts_of_the_double() {
        let int = ty(TypeKind::Int);
        let w = of(&[2147483647.0, 1.0]);
        assert_eq!(w.result(AggKind::VarPop, &int), Value::Int(2147483647));
        assert_eq!(w.result(AggKind::StddevPop, &int), Value::Int(1073741823));
        let tiny = ty(TypeKind::TinyInt);
        let w = of(&[1.0, 12.0, 100.0]);
        assert_eq!(w.result(AggKind::StddevPop, &tiny), Value::Int(44));
        assert_eq!(w.result(AggKind::StddevSamp, &tiny), Value::Int(54));
        assert_eq!(w.result(AggKind::VarPop, &tiny), Value::Int(-86));
        assert_eq!(w.result(AggKind::VarSamp, &tiny), Value::Int(-128));
    }

    /// Flink 2.3: `DECIMAL(38, 9)` results round the double's shortest text half up
    /// (`STDDEV_POP` of 1.123456789 and 2.5 is 0.688271606).
    #[test]
    fn decimal_results_round_the_double_half_up() {
        let arg = ty(TypeKind::Decimal {
            precision: 20,
            scale: 9,
        });
        let out = ty(TypeKind::Decimal {
            precision: 38,
            scale: 9,
        });
        let mut w = Welford::default();
        for unscaled in [1_123_456_789, 2_500_000_000] {
            w.add(as_double(&Value::Decimal(unscaled), &arg).unwrap_or(f64::NAN));
        }
        assert_eq!(w.result(AggKind::StddevPop, &out), Value::Decimal(688_271_606));
        assert_eq!(w.result(AggKind::VarSamp, &out), Value::Decimal(947_435_606));
    }

    #[test]
    fn no_rows_and_one_row() {
        let int = ty(TypeKind::Int);
        let none = Welford::default();
        for kind in [
            AggKind::StddevPop,
            AggKind::StddevSamp,
            AggKind::VarPop,
            AggKind::VarSamp,
        ] {
            assert_eq!(none.result(kind, &int), Value::Null);
        }
        let one = of(&[5.0]);
        assert_eq!(one.result(AggKind::StddevPop, &int), Value::Int(0));
        assert_eq!(one.result(AggKind::VarPop, &int), Value::Int(0));
        assert_eq!(one.result(AggKind::StddevSamp, &int), Value::Null);
        assert_eq!(one.result(AggKind::VarSamp, &int), Value::Null);
    }

    /// Merging parts gives the state of all their values (up to rounding), and merging into
    /// or from an empty state is the other state exactly.
    #[test]
    fn merged_parts_equal_the_whole() {
        let whole = of(&[1.0, 2.0, 4.0, 8.0, 16.0]);
        let mut left = of(&[1.0, 2.0]);
        left.merge(&of(&[4.0, 8.0, 16.0]));
        assert_eq!(left.n, whole.n);
        assert!((left.mean - whole.mean).abs() < 1e-12);
        assert!((left.m2 - whole.m2).abs() < 1e-9);
        let mut empty = Welford::default();
        empty.merge(&whole);
        assert_eq!(empty, whole);
        let mut same = whole;
        same.merge(&Welford::default());
        assert_eq!(same, whole);
    }
}
