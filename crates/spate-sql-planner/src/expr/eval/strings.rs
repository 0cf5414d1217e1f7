//! String operators evaluated here rather than in `functions`: `||`/`CONCAT`, `CONCAT_WS`,
//! `LIKE`.

use super::{Result, arg};
use crate::expr::BoundExpr;
use crate::expr::context::{EvalContext, EvalError};
use crate::expr::func::ScalarFunc;
use crate::expr::functions;
use crate::value::{Row, Value};

/// One of this file's functions of `row`; any other function is an error (the caller
/// dispatches by family).
#[inline]
pub(super) fn string_operator(
    func: &ScalarFunc,
    args: &[BoundExpr],
    row: &Row,
    ctx: &EvalContext,
) -> Result<Value> {
    let arg = |i: usize| arg(func, args, i, row, ctx);
    Ok(match func {
        ScalarFunc::Concat => {
            if args.len() == 2 {
                let (a, b) = (arg(0)?, arg(1)?);
                if a.is_null() || b.is_null() {
                    return Ok(Value::Null);
                }
                return functions::concat([text(&a), text(&b)].into_iter());
            }
            let mut parts = Vec::with_capacity(args.len());
            for a in args {
                let v = a.eval_ref(row, ctx)?;
                if v.is_null() {
                    return Ok(Value::Null);
                }
                parts.push(v);
            }
            functions::concat(parts.iter().map(|p| text(p)))?
        }
        ScalarFunc::ConcatWs => {
            let sep = arg(0)?;
            if sep.is_null() {
                return Ok(Value::Null);
            }
            let mut out = String::new();
            let mut first = true;
            for a in &args[1..] {
                let v = a.eval_ref(row, ctx)?;
                if let Value::String(s) = v.as_ref() {
                    if !first {
                        out.push_str(text(&sep));
                    }
                    out.push_str(s);
                    first = false;
                    if out.len() > functions::MAX_RESULT_BYTES {
                        return Err(EvalError("CONCAT_WS builds too long a string".into()));
                    }
                }
            }
            Value::String(out)
        }
        ScalarFunc::Like {
            negated,
            similar,
            escape,
            compiled,
        } => {
            let (s, p) = (arg(0)?, arg(1)?);
            if s.is_null() || p.is_null() {
                return Ok(Value::Null);
            }
            let matched = match compiled {
                Some(re) => re.0.is_match(text(&s)),
                None => crate::expr::operators::pattern_regex(text(&p), *escape, *similar)
                    .map_err(EvalError)?
                    .is_match(text(&s)),
            };
            Value::Boolean(matched != *negated)
        }
        other => return Err(EvalError(format!("{other:?} is not a string operator function"))),
    })
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}
