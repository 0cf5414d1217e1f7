//! Conditional expressions: `CASE`, `COALESCE`, `NULLIF`, `GREATEST`, `LEAST`.

use std::borrow::Cow;
use std::cmp::Ordering;

use super::{Result, arg, compare};
use crate::expr::BoundExpr;
use crate::expr::context::{EvalContext, EvalError};
use crate::expr::func::ScalarFunc;
use crate::value::{Row, Value};

/// One of this file's functions of `row`; any other function is an error (the caller
/// dispatches by family).
#[inline]
pub(super) fn conditional(
    func: &ScalarFunc,
    args: &[BoundExpr],
    row: &Row,
    ctx: &EvalContext,
) -> Result<Value> {
    let arg = |i: usize| arg(func, args, i, row, ctx);
    Ok(match func {
        ScalarFunc::Case => {
            let mut i = 0;
            while i + 1 < args.len() {
                if args[i].eval_predicate(row, ctx)? {
                    return args[i + 1].eval(row, ctx);
                }
                i += 2;
            }
            match args.get(i) {
                Some(e) => e.eval(row, ctx)?,
                None => Value::Null,
            }
        }
        ScalarFunc::Coalesce => {
            for a in args {
                let v = a.eval(row, ctx)?;
                if !v.is_null() {
                    return Ok(v);
                }
            }
            Value::Null
        }
        ScalarFunc::NullIf => {
            let a = arg(0)?;
            let b = arg(1)?;
            if !a.is_null() && !b.is_null() && compare(&a, &b) == Some(Ordering::Equal) {
                Value::Null
            } else {
                a.into_owned()
            }
        }
        ScalarFunc::Greatest | ScalarFunc::Least => {
            let want = if matches!(func, ScalarFunc::Greatest) {
                Ordering::Greater
            } else {
                Ordering::Less
            };
            let mut best: Option<Cow<'_, Value>> = None;
            for a in args {
                let v = a.eval_ref(row, ctx)?;
                if v.is_null() {
                    return Ok(Value::Null);
                }
                best = match best {
                    Some(b) if compare(&v, &b) != Some(want) => Some(b),
                    _ => Some(v),
                };
            }
            best.map_or(Value::Null, Cow::into_owned)
        }
        other => return Err(EvalError(format!("{other:?} is not a conditional function"))),
    })
}
