//! Boolean logic and comparisons with SQL's three-valued logic: `AND`, `OR`, `NOT`, `IS [NOT]
//! NULL`, `IS [NOT] TRUE/FALSE`, `IS [NOT] DISTINCT FROM`, `=`, `<>`, `<`, ...

use std::cmp::Ordering;

use super::{Result, arg, compare};
use crate::expr::BoundExpr;
use crate::expr::context::{EvalContext, EvalError};
use crate::expr::func::{CmpOp, ScalarFunc};
use crate::value::{Row, Value};

/// One of this file's functions of `row`; any other function is an error (the caller
/// dispatches by family).
#[inline]
pub(super) fn logical(func: &ScalarFunc, args: &[BoundExpr], row: &Row, ctx: &EvalContext) -> Result<Value> {
    let arg = |i: usize| arg(func, args, i, row, ctx);
    Ok(match func {
        ScalarFunc::And | ScalarFunc::Or => {
            let decisive = matches!(func, ScalarFunc::Or);
            let mut saw_null = false;
            for a in args {
                match a.eval_ref(row, ctx)?.as_ref() {
                    Value::Boolean(b) if *b == decisive => return Ok(Value::Boolean(decisive)),
                    Value::Null => saw_null = true,
                    _ => {}
                }
            }
            if saw_null {
                Value::Null
            } else {
                Value::Boolean(!decisive)
            }
        }
        ScalarFunc::Not => match arg(0)?.as_ref() {
            Value::Boolean(b) => Value::Boolean(!b),
            _ => Value::Null,
        },
        ScalarFunc::IsNull => Value::Boolean(arg(0)?.is_null()),
        ScalarFunc::IsNotNull => Value::Boolean(!arg(0)?.is_null()),
        ScalarFunc::IsBool { value, negated } => {
            let is = matches!(arg(0)?.as_ref(), Value::Boolean(b) if b == value);
            Value::Boolean(is != *negated)
        }
        ScalarFunc::IsDistinctFrom { negated } => {
            let (a, b) = (arg(0)?, arg(1)?);
            let distinct = match (a.is_null(), b.is_null()) {
                (true, true) => false,
                (true, false) | (false, true) => true,
                _ => compare(&a, &b) != Some(Ordering::Equal),
            };
            Value::Boolean(distinct != *negated)
        }
        ScalarFunc::Compare(op) => {
            let (a, b) = (arg(0)?, arg(1)?);
            if a.is_null() || b.is_null() {
                return Ok(Value::Null);
            }
            match compare(&a, &b) {
                // NaN: only `<>` holds, as in Java.
                None => Value::Boolean(*op == CmpOp::NotEq && same_variant(&a, &b)),
                Some(o) => Value::Boolean(op.holds(o)),
            }
        }
        other => return Err(EvalError(format!("{other:?} is not a logical function"))),
    })
}

fn same_variant(a: &Value, b: &Value) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}
