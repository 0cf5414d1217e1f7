//! Arithmetic on values: integers wrap to their type as Java's do, doubles follow IEEE,
//! `DECIMAL`s are exact (operands keep their own scales, the result is rounded half up to the
//! type's scale and is `NULL` past its precision), and dates, times and timestamps move by
//! intervals (months clamp the day of month; a `DATE` moves by whole days only).

use super::BoundExpr;
use super::arith_op::ArithOp;
use super::cast::wrap_int;
use super::context::EvalError;
use super::functions;
use super::typing::decimal_scale;
use crate::types::{DataType, TypeKind};
use crate::value::Value;
use crate::{decimal, temporal};

type Result<T> = std::result::Result<T, EvalError>;

pub(super) fn division_by_zero() -> EvalError {
    EvalError("division by zero".into())
}

/// Integer arithmetic as Java's `long` does it (wrapping), division by zero an error; the
/// caller narrows the result to its type.
pub(super) fn int_arith(op: ArithOp, x: i64, y: i64) -> Result<i64> {
    checked_int_arith(op, x, y).ok_or_else(division_by_zero)
}

/// [`int_arith`] with division by zero as `None`.
#[inline]
pub(super) fn checked_int_arith(op: ArithOp, x: i64, y: i64) -> Option<i64> {
    Some(match op {
        ArithOp::Plus => x.wrapping_add(y),
        ArithOp::Minus => x.wrapping_sub(y),
        ArithOp::Multiply => x.wrapping_mul(y),
        ArithOp::Divide | ArithOp::Modulo if y == 0 => return None,
        ArithOp::Divide => x.wrapping_div(y),
        ArithOp::Modulo => x.wrapping_rem(y),
    })
}

pub(super) fn arith(op: ArithOp, a: &Value, b: &Value, args: &[BoundExpr], ty: &DataType) -> Result<Value> {
    Ok(match (a, b) {
        (Value::Int(x), Value::Int(y)) => wrap_int(int_arith(op, *x, *y)?, &ty.kind),
        (Value::Float(x), Value::Float(y)) => {
            let r = match op {
                ArithOp::Plus => x + y,
                ArithOp::Minus => x - y,
                ArithOp::Multiply => x * y,
                ArithOp::Divide => x / y,
                ArithOp::Modulo => x % y,
            };
            Value::Float(if ty.kind == TypeKind::Float {
                f64::from(r as f32)
            } else {
                r
            })
        }
        (Value::Decimal(x), Value::Decimal(y)) => {
            let sx = decimal_scale(&args[0].ty().kind);
            let sy = decimal_scale(&args[1].ty().kind);
            let (p, s) = match ty.kind {
                TypeKind::Decimal { precision, scale } => (precision, scale),
                _ => (38, sx.max(sy)),
            };
            decimal_arith(op, *x, sx, *y, sy, s)?
                .filter(|r| decimal::fits(*r, p))
                .map_or(Value::Null, Value::Decimal)
        }
        (Value::Timestamp(t), Value::IntervalMillis(ms))
        | (Value::IntervalMillis(ms), Value::Timestamp(t)) => {
            let ms = if op == ArithOp::Minus {
                ms.checked_neg()
            } else {
                Some(*ms)
            };
            let r = ms
                .and_then(|ms| ms.checked_mul(1000))
                .and_then(|d| t.checked_add(d));
            Value::Timestamp(r.ok_or_else(|| EvalError("timestamp arithmetic overflows".into()))?)
        }
        (Value::Timestamp(t), Value::IntervalMonths(m)) | (Value::IntervalMonths(m), Value::Timestamp(t)) => {
            let m = if op == ArithOp::Minus {
                -i64::from(*m)
            } else {
                i64::from(*m)
            };
            let r = functions::add_months_micros(*t, m);
            Value::Timestamp(r.ok_or_else(|| EvalError("timestamp arithmetic overflows".into()))?)
        }
        (Value::Date(d), Value::IntervalMillis(ms)) | (Value::IntervalMillis(ms), Value::Date(d)) => {
            // Whole days only, toward zero (Flink run 1: DATE - INTERVAL '25' HOUR is one day back).
            let days = ms / 86_400_000;
            let days = if op == ArithOp::Minus { -days } else { days };
            let r = i64::from(*d) + days;
            Value::Date(i32::try_from(r).map_err(|_| EvalError("date arithmetic overflows".into()))?)
        }
        (Value::Date(d), Value::IntervalMonths(m)) | (Value::IntervalMonths(m), Value::Date(d)) => {
            let m = if op == ArithOp::Minus {
                -i64::from(*m)
            } else {
                i64::from(*m)
            };
            let r = temporal::add_months(i64::from(*d), m).and_then(|r| i32::try_from(r).ok());
            Value::Date(r.ok_or_else(|| EvalError("date arithmetic overflows".into()))?)
        }
        (Value::Time(n), Value::IntervalMillis(ms)) | (Value::IntervalMillis(ms), Value::Time(n)) => {
            let delta = (ms % 86_400_000) * 1_000_000;
            let delta = if op == ArithOp::Minus { -delta } else { delta };
            Value::Time((n + delta).rem_euclid(86_400_000_000_000))
        }
        (Value::Time(n), Value::IntervalMonths(_)) => Value::Time(*n),
        (Value::IntervalMillis(x), Value::IntervalMillis(y)) => Value::IntervalMillis(match op {
            ArithOp::Plus => x.wrapping_add(*y),
            _ => x.wrapping_sub(*y),
        }),
        (Value::IntervalMonths(x), Value::IntervalMonths(y)) => Value::IntervalMonths(match op {
            ArithOp::Plus => x.wrapping_add(*y),
            _ => x.wrapping_sub(*y),
        }),
        (Value::IntervalMillis(_) | Value::IntervalMonths(_), n)
        | (n, Value::IntervalMillis(_) | Value::IntervalMonths(_)) => {
            let (iv, n_ty) = if matches!(a, Value::IntervalMillis(_) | Value::IntervalMonths(_)) {
                (a, args[1].ty())
            } else {
                (b, args[0].ty())
            };
            let factor = functions::to_f64(n, n_ty);
            let scaled = |x: f64| {
                let r = if op == ArithOp::Divide {
                    x / factor
                } else {
                    x * factor
                };
                if op == ArithOp::Divide && factor == 0.0 {
                    return Err(division_by_zero());
                }
                if r.is_finite() && r.abs() < 9.2e18 {
                    Ok(r)
                } else {
                    Err(EvalError("interval arithmetic overflows".into()))
                }
            };
            match iv {
                Value::IntervalMillis(x) => Value::IntervalMillis(scaled(*x as f64)?.round() as i64),
                Value::IntervalMonths(x) => {
                    let m = scaled(f64::from(*x))?;
                    Value::IntervalMonths(
                        i32::try_from(m as i64)
                            .map_err(|_| EvalError("interval arithmetic overflows".into()))?,
                    )
                }
                _ => Value::Null,
            }
        }
        _ => {
            return Err(EvalError(format!(
                "'{}' of {a:?} and {b:?} is not defined",
                op.symbol()
            )));
        }
    })
}

/// Decimal arithmetic on unscaled values with scales `sx`, `sy`, giving scale `s` (rounded half
/// up); `None` on overflow (the SQL result is `NULL`, as in Flink).
pub(super) fn decimal_arith(op: ArithOp, x: i128, sx: u32, y: i128, sy: u32, s: u32) -> Result<Option<i128>> {
    let m = sx.max(sy);
    let align = |v: i128, from: u32| decimal::rescale(v, from, m);
    Ok(match op {
        ArithOp::Plus | ArithOp::Minus => {
            let (Some(a), Some(b)) = (align(x, sx), align(y, sy)) else {
                return Ok(None);
            };
            let r = if op == ArithOp::Plus {
                a.checked_add(b)
            } else {
                a.checked_sub(b)
            };
            r.and_then(|r| decimal::rescale(r, m, s))
        }
        ArithOp::Multiply if s >= sx + sy => x.checked_mul(y).and_then(|r| decimal::rescale(r, sx + sy, s)),
        ArithOp::Multiply => decimal::mul_round(x, y, sx + sy - s),
        ArithOp::Divide => {
            if y == 0 {
                return Err(division_by_zero());
            }
            // x / y with scale s is x * 10^(s + sy - sx) / y, rounded half up.
            let shift = i64::from(s) + i64::from(sy) - i64::from(sx);
            match u32::try_from(shift) {
                Ok(up) => decimal::div_round(x, up, y),
                // A dividend with more scale than the result needs: scale it down after.
                Err(_) => {
                    let down = u32::try_from(-shift).unwrap_or(u32::MAX);
                    if down > 38 {
                        Some(0)
                    } else {
                        decimal::div_round(x, 0, y).and_then(|q| decimal::rescale(q, down, 0))
                    }
                }
            }
        }
        ArithOp::Modulo => {
            let (Some(a), Some(b)) = (align(x, sx), align(y, sy)) else {
                return Ok(None);
            };
            if b == 0 {
                return Err(division_by_zero());
            }
            decimal::rescale(a % b, m, s)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_division_rounds_half_up() {
        // 1.25 / 3.000 at scale 8 = 0.41666667 (Flink run 1).
        assert_eq!(
            decimal_arith(ArithOp::Divide, 125, 2, 3000, 3, 8),
            Ok(Some(41_666_667))
        );
        assert_eq!(
            decimal_arith(ArithOp::Divide, -125, 2, 3000, 3, 8),
            Ok(Some(-41_666_667))
        );
        // 10.00 / 4 at scale 13 = 2.5 (Flink run 1).
        assert_eq!(
            decimal_arith(ArithOp::Divide, 1000, 2, 4, 0, 13),
            Ok(Some(25_000_000_000_000))
        );
        assert_eq!(
            decimal_arith(ArithOp::Divide, 1, 0, 0, 0, 6),
            Err(division_by_zero())
        );
        // 1.25 * 1.500 = 1.87500; 1.25 % 1.000 = 0.250.
        assert_eq!(
            decimal_arith(ArithOp::Multiply, 125, 2, 1500, 3, 5),
            Ok(Some(187_500))
        );
        assert_eq!(decimal_arith(ArithOp::Modulo, 125, 2, 1000, 3, 3), Ok(Some(250)));
    }
}
