//! The `JSON_*` functions: arguments evaluated here, the JSON work in `functions`.

use super::{Result, arg};
use crate::expr::BoundExpr;
use crate::expr::context::{EvalContext, EvalError};
use crate::expr::func::ScalarFunc;
use crate::expr::functions;
use crate::value::{Row, Value};

/// One of this file's functions of `row`; any other function is an error (the caller
/// dispatches by family).
#[inline]
pub(super) fn json(func: &ScalarFunc, args: &[BoundExpr], row: &Row, ctx: &EvalContext) -> Result<Value> {
    let arg = |i: usize| arg(func, args, i, row, ctx);
    Ok(match func {
        ScalarFunc::JsonValue(path) => {
            let j = arg(0)?;
            if j.is_null() {
                return Ok(Value::Null);
            }
            functions::eval_json(path, &j)
        }
        ScalarFunc::JsonExists { path, on_error } => {
            let j = arg(0)?;
            if j.is_null() {
                return Ok(Value::Null);
            }
            functions::json_exists(path, &j, *on_error)?
        }
        ScalarFunc::IsJson { kind, negated } => {
            let text = arg(0)?;
            let is = text.as_str().is_some_and(|t| functions::is_json(t, *kind));
            Value::Boolean(is != *negated)
        }
        ScalarFunc::JsonQuery {
            path,
            wrapper,
            on_empty,
            on_error,
        } => {
            let j = arg(0)?;
            if j.is_null() {
                return Ok(Value::Null);
            }
            functions::json_query(path, &j, *wrapper, *on_empty, *on_error)?
        }
        ScalarFunc::JsonString => {
            let v = arg(0)?;
            if v.is_null() {
                return Ok(Value::Null);
            }
            functions::json_string(&v, args[0].ty())
        }
        ScalarFunc::JsonObject { absent_on_null, raw } => {
            let values = args
                .iter()
                .map(|a| a.eval(row, ctx))
                .collect::<Result<Vec<_>>>()?;
            let pairs = values
                .chunks_exact(2)
                .zip(args.chunks_exact(2))
                .zip(raw)
                .map(|((kv, exprs), raw)| (&kv[0], &kv[1], exprs[1].ty(), *raw));
            functions::json_object(pairs, *absent_on_null)?
        }
        ScalarFunc::JsonArray { absent_on_null, raw } => {
            let values = args
                .iter()
                .map(|a| a.eval(row, ctx))
                .collect::<Result<Vec<_>>>()?;
            let members = values
                .iter()
                .zip(args)
                .zip(raw)
                .map(|((v, e), raw)| (v, e.ty(), *raw));
            functions::json_array(members, *absent_on_null)
        }
        other => return Err(EvalError(format!("{other:?} is not a json function"))),
    })
}
