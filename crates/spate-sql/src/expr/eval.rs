//! Row-at-a-time evaluation of [`BoundExpr`]s with SQL's three-valued logic.

use std::cmp::Ordering;

use super::BoundExpr;
use super::func::{ArithOp, CmpOp, ScalarFunc};
use crate::types::{DataType, TypeKind};
use crate::value::{Row, Value};
use crate::{decimal, temporal};

/// What an expression may read besides the row.
#[derive(Debug, Clone, Copy, Default)]
pub struct EvalContext {
    /// The operator's current watermark in ms (`i64::MIN` before the first).
    pub watermark: i64,
    /// The processing time in ms.
    pub now_millis: i64,
}

/// A data-dependent failure: Flink fails the job with such an error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct EvalError(pub String);

type Result<T> = std::result::Result<T, EvalError>;

impl BoundExpr {
    /// The expression's value for `row`.
    pub fn eval(&self, row: &Row, ctx: &EvalContext) -> Result<Value> {
        match self {
            BoundExpr::Column { index, .. } => Ok(row.get(*index).cloned().unwrap_or(Value::Null)),
            BoundExpr::Literal { value, .. } => Ok(value.clone()),
            BoundExpr::Call { func, args, ty } => call(func, args, ty, row, ctx),
        }
    }

    /// The expression as a predicate: only `TRUE` passes (`NULL` and `FALSE` do not).
    pub fn eval_predicate(&self, row: &Row, ctx: &EvalContext) -> Result<bool> {
        Ok(matches!(self.eval(row, ctx)?, Value::Boolean(true)))
    }
}

fn call(func: &ScalarFunc, args: &[BoundExpr], ty: &DataType, row: &Row, ctx: &EvalContext) -> Result<Value> {
    match func {
        ScalarFunc::And => {
            let mut saw_null = false;
            for a in args {
                match a.eval(row, ctx)? {
                    Value::Boolean(false) => return Ok(Value::Boolean(false)),
                    Value::Null => saw_null = true,
                    _ => {}
                }
            }
            Ok(if saw_null {
                Value::Null
            } else {
                Value::Boolean(true)
            })
        }
        ScalarFunc::Or => {
            let mut saw_null = false;
            for a in args {
                match a.eval(row, ctx)? {
                    Value::Boolean(true) => return Ok(Value::Boolean(true)),
                    Value::Null => saw_null = true,
                    _ => {}
                }
            }
            Ok(if saw_null {
                Value::Null
            } else {
                Value::Boolean(false)
            })
        }
        ScalarFunc::Case => {
            let mut i = 0;
            while i + 1 < args.len() {
                if args[i].eval_predicate(row, ctx)? {
                    return args[i + 1].eval(row, ctx);
                }
                i += 2;
            }
            match args.get(i) {
                Some(e) if i + 1 == args.len() => e.eval(row, ctx),
                _ => Ok(Value::Null),
            }
        }
        ScalarFunc::Coalesce => {
            for a in args {
                let v = a.eval(row, ctx)?;
                if !v.is_null() {
                    return Ok(v);
                }
            }
            Ok(Value::Null)
        }
        ScalarFunc::CurrentWatermark => Ok(if ctx.watermark == i64::MIN {
            Value::Null
        } else {
            Value::Timestamp(ctx.watermark.saturating_mul(1000))
        }),
        ScalarFunc::Proctime => Ok(Value::Timestamp(ctx.now_millis.saturating_mul(1000))),
        _ => {
            let values = args
                .iter()
                .map(|a| a.eval(row, ctx))
                .collect::<Result<Vec<_>>>()?;
            apply(func, &values, args, ty)
        }
    }
}

fn apply(func: &ScalarFunc, v: &[Value], args: &[BoundExpr], ty: &DataType) -> Result<Value> {
    match func {
        ScalarFunc::IsNull => return Ok(Value::Boolean(v[0].is_null())),
        ScalarFunc::IsNotNull => return Ok(Value::Boolean(!v[0].is_null())),
        _ => {}
    }
    if v.iter().any(Value::is_null) {
        return Ok(Value::Null);
    }
    match func {
        ScalarFunc::Not => Ok(Value::Boolean(!v[0].as_bool().unwrap_or(false))),
        ScalarFunc::Compare(op) => {
            let ord = compare(&v[0], &v[1]);
            Ok(match ord {
                None => Value::Null,
                Some(o) => Value::Boolean(match op {
                    CmpOp::Eq => o == Ordering::Equal,
                    CmpOp::NotEq => o != Ordering::Equal,
                    CmpOp::Lt => o == Ordering::Less,
                    CmpOp::LtEq => o != Ordering::Greater,
                    CmpOp::Gt => o == Ordering::Greater,
                    CmpOp::GtEq => o != Ordering::Less,
                }),
            })
        }
        ScalarFunc::Arith(op) => arith(*op, &v[0], &v[1], ty),
        ScalarFunc::Negate => Ok(match &v[0] {
            Value::Int(i) => wrap_int(i.wrapping_neg(), ty),
            Value::Float(f) => Value::Float(-f),
            Value::Decimal(d) => Value::Decimal(-d),
            Value::IntervalMillis(m) => Value::IntervalMillis(-m),
            Value::IntervalMonths(m) => Value::IntervalMonths(-m),
            other => other.clone(),
        }),
        ScalarFunc::Cast { try_cast } => match cast(&v[0], args[0].ty(), ty) {
            Ok(v) => Ok(v),
            Err(_) if *try_cast => Ok(Value::Null),
            Err(e) => Err(e),
        },
        _ => Err(EvalError(format!("{func:?} is not implemented"))),
    }
}

/// Order of two non-NULL values of one comparable type (`None` for NaN).
pub(crate) fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        (Value::Float(x), Value::Float(y)) => x.partial_cmp(y),
        (Value::Decimal(x), Value::Decimal(y)) => Some(x.cmp(y)),
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        (Value::Boolean(x), Value::Boolean(y)) => Some(x.cmp(y)),
        (Value::Bytes(x), Value::Bytes(y)) => Some(x.cmp(y)),
        (Value::Date(x), Value::Date(y)) => Some(x.cmp(y)),
        (Value::Time(x), Value::Time(y)) => Some(x.cmp(y)),
        (Value::Timestamp(x), Value::Timestamp(y)) => Some(x.cmp(y)),
        (Value::IntervalMillis(x), Value::IntervalMillis(y)) => Some(x.cmp(y)),
        (Value::IntervalMonths(x), Value::IntervalMonths(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// An integer wrapped into its type's range, as Java's fixed-width arithmetic does.
pub(crate) fn wrap_int(i: i64, ty: &DataType) -> Value {
    Value::Int(match ty.kind {
        TypeKind::TinyInt => i64::from(i as i8),
        TypeKind::SmallInt => i64::from(i as i16),
        TypeKind::Int => i64::from(i as i32),
        _ => i,
    })
}

fn arith(op: ArithOp, a: &Value, b: &Value, ty: &DataType) -> Result<Value> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => {
            let r = match op {
                ArithOp::Plus => x.wrapping_add(*y),
                ArithOp::Minus => x.wrapping_sub(*y),
                ArithOp::Multiply => x.wrapping_mul(*y),
                ArithOp::Divide | ArithOp::Modulo if *y == 0 => {
                    return Err(EvalError("division by zero".into()));
                }
                ArithOp::Divide => x.wrapping_div(*y),
                ArithOp::Modulo => x.wrapping_rem(*y),
            };
            Ok(wrap_int(r, ty))
        }
        (Value::Float(x), Value::Float(y)) => Ok(Value::Float(match op {
            ArithOp::Plus => x + y,
            ArithOp::Minus => x - y,
            ArithOp::Multiply => x * y,
            ArithOp::Divide => x / y,
            ArithOp::Modulo => x % y,
        })),
        _ => Err(EvalError(format!("{op:?} of {a:?} and {b:?} is not implemented"))),
    }
}

/// Converts a non-NULL value of type `from` to type `to`.
pub(crate) fn cast(v: &Value, from: &DataType, to: &DataType) -> Result<Value> {
    let fail = || EvalError(format!("cannot cast {} value {v:?} to {to}", from));
    Ok(match (&to.kind, v) {
        (_, Value::Null) => Value::Null,
        (TypeKind::TinyInt | TypeKind::SmallInt | TypeKind::Int | TypeKind::BigInt, Value::Int(i)) => {
            wrap_int(*i, to)
        }
        (TypeKind::TinyInt | TypeKind::SmallInt | TypeKind::Int | TypeKind::BigInt, Value::Float(f)) => {
            wrap_int(*f as i64, to)
        }
        (TypeKind::TinyInt | TypeKind::SmallInt | TypeKind::Int | TypeKind::BigInt, Value::String(s)) => {
            let i: i64 = s.trim().parse().map_err(|_| fail())?;
            wrap_int(i, to)
        }
        (TypeKind::Double | TypeKind::Float, Value::Int(i)) => Value::Float(*i as f64),
        (TypeKind::Double | TypeKind::Float, Value::Float(f)) => Value::Float(*f),
        (TypeKind::Double | TypeKind::Float, Value::String(s)) => {
            Value::Float(s.trim().parse().map_err(|_| fail())?)
        }
        (TypeKind::Decimal { precision, scale }, Value::Int(i)) => {
            let d = decimal::rescale(i128::from(*i), 0, *scale).filter(|d| decimal::fits(*d, *precision));
            d.map(Value::Decimal).unwrap_or(Value::Null)
        }
        (TypeKind::Decimal { precision, scale }, Value::Decimal(d)) => {
            let from_scale = match from.kind {
                TypeKind::Decimal { scale, .. } => scale,
                _ => 0,
            };
            let d = decimal::rescale(*d, from_scale, *scale).filter(|d| decimal::fits(*d, *precision));
            d.map(Value::Decimal).unwrap_or(Value::Null)
        }
        (TypeKind::Decimal { precision, scale }, Value::Float(f)) => {
            decimal::from_f64(*f, *precision, *scale)
                .map(Value::Decimal)
                .unwrap_or(Value::Null)
        }
        (TypeKind::Decimal { precision, scale }, Value::String(s)) => {
            Value::Decimal(decimal::parse(s, *precision, *scale).ok_or_else(fail)?)
        }
        (TypeKind::Varchar(_) | TypeKind::Char(_), v) => Value::String(to_text(v, from)),
        (TypeKind::Boolean, Value::Boolean(b)) => Value::Boolean(*b),
        (TypeKind::Timestamp(p) | TypeKind::TimestampLtz(p), Value::Timestamp(t)) => {
            Value::Timestamp(truncate_micros(*t, *p))
        }
        (TypeKind::Timestamp(_) | TypeKind::TimestampLtz(_), Value::String(s)) => {
            Value::Timestamp(temporal::parse_timestamp(s).ok_or_else(fail)?)
        }
        (TypeKind::Date, Value::Timestamp(t)) => Value::Date(t.div_euclid(temporal::MICROS_PER_DAY) as i32),
        (TypeKind::Date, Value::String(s)) => Value::Date(temporal::parse_date(s).ok_or_else(fail)?),
        (TypeKind::Timestamp(_) | TypeKind::TimestampLtz(_), Value::Date(d)) => {
            Value::Timestamp(i64::from(*d) * temporal::MICROS_PER_DAY)
        }
        _ if from.kind == to.kind => v.clone(),
        _ => return Err(fail()),
    })
}

fn truncate_micros(t: i64, precision: u32) -> i64 {
    if precision >= 6 {
        t
    } else {
        let unit = 10i64.pow(6 - precision);
        t.div_euclid(unit) * unit
    }
}

/// A value as `CAST(v AS STRING)` writes it.
pub(crate) fn to_text(v: &Value, ty: &DataType) -> String {
    let mut out = String::new();
    match (v, &ty.kind) {
        (Value::String(s), _) => return s.clone(),
        (Value::Int(i), _) => out = i.to_string(),
        (Value::Boolean(b), _) => out = if *b { "TRUE".into() } else { "FALSE".into() },
        (Value::Float(f), _) => out = format_double(*f),
        (Value::Decimal(d), TypeKind::Decimal { scale, .. }) => decimal::format(*d, *scale, &mut out),
        (Value::Timestamp(t), TypeKind::Timestamp(p) | TypeKind::TimestampLtz(p)) => {
            temporal::format_timestamp(*t, *p, false, false, &mut out)
        }
        (Value::Date(d), _) => temporal::format_date(*d, &mut out),
        (Value::Time(t), TypeKind::Time(p)) => temporal::format_time_nanos(*t, *p, false, &mut out),
        (other, _) => out = format!("{other:?}"),
    }
    out
}

/// A double as Java's `Double.toString` writes it in the common range (`1.0`, `0.5`, `1.0E10`).
pub(crate) fn format_double(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-3..1e7).contains(&abs) {
        let s = format!("{f:E}");
        // Rust writes `1E10`, Java `1.0E10`.
        return match s.split_once('E') {
            Some((m, e)) if !m.contains('.') => format!("{m}.0E{e}"),
            _ => s,
        };
    }
    let s = format!("{f}");
    if s.contains('.') { s } else { format!("{s}.0") }
}
