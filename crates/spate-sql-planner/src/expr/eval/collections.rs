//! Constructors and accessors of `ARRAY`, `ROW` and `MAP` values: `ARRAY[..]`, `ROW(..)`,
//! `MAP[..]`, `c[i]`, `CARDINALITY`, `ARRAY_CONTAINS`, `r.field`, and the array and map
//! functions of `functions/array.rs`.

use std::cmp::Ordering;

use super::{Result, arg, compare};
use crate::expr::BoundExpr;
use crate::expr::context::{EvalContext, EvalError};
use crate::expr::func::ScalarFunc;
use crate::expr::functions;
use crate::value::{Row, Value};

/// One of this file's functions of `row`; any other function is an error (the caller
/// dispatches by family).
#[inline]
pub(super) fn collection(
    func: &ScalarFunc,
    args: &[BoundExpr],
    row: &Row,
    ctx: &EvalContext,
) -> Result<Value> {
    let arg = |i: usize| arg(func, args, i, row, ctx);
    Ok(match func {
        ScalarFunc::ArrayCtor | ScalarFunc::RowCtor => {
            let items = args
                .iter()
                .map(|a| a.eval(row, ctx))
                .collect::<Result<Vec<_>>>()?;
            if matches!(func, ScalarFunc::ArrayCtor) {
                Value::Array(items)
            } else {
                Value::Row(items)
            }
        }
        ScalarFunc::MapCtor => {
            let mut entries = Vec::with_capacity(args.len() / 2);
            for pair in args.chunks_exact(2) {
                let (key, value) = (pair[0].eval(row, ctx)?, pair[1].eval(row, ctx)?);
                // Flink 2.3: `MAP['a', 1, 'b', 2, 'a', 3]` is `{a=3, b=2}`.
                crate::value::put_entry(&mut entries, key, value);
            }
            Value::Map(entries)
        }
        ScalarFunc::Index => {
            let (c, i) = (arg(0)?, arg(1)?);
            match (c.as_ref(), i.as_ref()) {
                (Value::Null, _) | (_, Value::Null) => Value::Null,
                (Value::Array(items), Value::Int(i)) => {
                    if *i < 1 {
                        return Err(EvalError(format!(
                            "array index {i} is out of bounds (arrays start at 1)"
                        )));
                    }
                    usize::try_from(*i - 1)
                        .ok()
                        .and_then(|i| items.get(i))
                        .cloned()
                        .unwrap_or(Value::Null)
                }
                (Value::Map(entries), key) => entries
                    .iter()
                    .find(|(k, _)| compare(k, key) == Some(Ordering::Equal))
                    .map_or(Value::Null, |(_, v)| v.clone()),
                _ => Value::Null,
            }
        }
        ScalarFunc::Cardinality => match arg(0)?.as_ref() {
            Value::Array(items) => Value::Int(items.len() as i64),
            Value::Map(entries) => Value::Int(entries.len() as i64),
            _ => Value::Null,
        },
        ScalarFunc::ArrayContains => {
            let (array, needle) = (arg(0)?, arg(1)?);
            functions::array_contains(&array, &needle)
        }
        ScalarFunc::Array(f) => {
            let values = args
                .iter()
                .map(|a| a.eval(row, ctx))
                .collect::<Result<Vec<_>>>()?;
            functions::eval_array(*f, values)?
        }
        ScalarFunc::Field(i) => match arg(0)?.as_ref() {
            Value::Row(fields) => fields.get(*i).cloned().unwrap_or(Value::Null),
            _ => Value::Null,
        },
        other => return Err(EvalError(format!("{other:?} is not a collection function"))),
    })
}
