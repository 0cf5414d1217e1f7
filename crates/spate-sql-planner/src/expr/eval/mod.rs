//! Row-at-a-time evaluation of [`BoundExpr`]s with SQL's three-valued logic (arithmetic in
//! `arith`, casts in `cast`, named functions in `functions`; one file here per family of
//! operators, dispatched from `call`).
//!
//! Hot paths do not allocate: comparisons, arithmetic and `LIKE` on constant patterns read
//! columns and literals by reference ([`BoundExpr::eval_ref`]); functions collect up to four
//! arguments on the stack. Non-deterministic functions read the [`EvalContext`].

use std::borrow::Cow;
use std::cmp::Ordering;

use super::BoundExpr;
use super::cast::{cast, wrap_int};
use super::context::{EvalContext, EvalError};
use super::func::ScalarFunc;
use super::functions;
use crate::types::DataType;
use crate::value::{Row, Value};

mod clock;
mod collections;
mod conditional;
mod json;
mod logic;
mod strings;

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

    /// The expression's value for `row`, borrowed when it is a column or a literal.
    pub fn eval_ref<'a>(&'a self, row: &'a Row, ctx: &EvalContext) -> Result<Cow<'a, Value>> {
        const NULL: &Value = &Value::Null;
        match self {
            BoundExpr::Column { index, .. } => Ok(Cow::Borrowed(row.get(*index).unwrap_or(NULL))),
            BoundExpr::Literal { value, .. } => Ok(Cow::Borrowed(value)),
            // A field of a row read in place (`bid.url` in every Nexmark query), also under
            // casts that change no value.
            BoundExpr::Call {
                func: ScalarFunc::Field(i),
                args,
                ..
            } if args.len() == 1 => Ok(match args[0].eval_ref(row, ctx)? {
                Cow::Borrowed(Value::Row(fields)) => Cow::Borrowed(fields.get(*i).unwrap_or(NULL)),
                Cow::Owned(Value::Row(mut fields)) if *i < fields.len() => Cow::Owned(fields.swap_remove(*i)),
                _ => Cow::Borrowed(NULL),
            }),
            BoundExpr::Call {
                func: ScalarFunc::Cast { .. },
                args,
                ty,
            } if args.len() == 1 && super::cast::preserves_values(&args[0].ty().kind, &ty.kind) => {
                args[0].eval_ref(row, ctx)
            }
            BoundExpr::Call { func, args, ty } => call(func, args, ty, row, ctx).map(Cow::Owned),
        }
    }

    /// The expression as a predicate: only `TRUE` passes (`NULL` and `FALSE` do not).
    pub fn eval_predicate(&self, row: &Row, ctx: &EvalContext) -> Result<bool> {
        Ok(matches!(self.eval_ref(row, ctx)?.as_ref(), Value::Boolean(true)))
    }
}

/// Argument `i` of a call of `func`, borrowed where it can be.
#[inline]
fn arg<'a>(
    func: &ScalarFunc,
    args: &'a [BoundExpr],
    i: usize,
    row: &'a Row,
    ctx: &EvalContext,
) -> Result<Cow<'a, Value>> {
    match args.get(i) {
        Some(a) => a.eval_ref(row, ctx),
        None => Err(EvalError(format!("{func:?} is missing argument {i}"))),
    }
}

/// A call of `func`: the operators and functions of one family are evaluated in that family's
/// file (`logic.rs`, `conditional.rs`, `strings.rs`, `json.rs`, `collections.rs`, `clock.rs`);
/// arithmetic, casts and the named scalar functions here, on `arith`, `cast` and `functions`.
fn call(func: &ScalarFunc, args: &[BoundExpr], ty: &DataType, row: &Row, ctx: &EvalContext) -> Result<Value> {
    let arg = |i: usize| arg(func, args, i, row, ctx);
    Ok(match func {
        ScalarFunc::And
        | ScalarFunc::Or
        | ScalarFunc::Not
        | ScalarFunc::IsNull
        | ScalarFunc::IsNotNull
        | ScalarFunc::IsBool { .. }
        | ScalarFunc::IsDistinctFrom { .. }
        | ScalarFunc::Compare(_) => return logic::logical(func, args, row, ctx),
        ScalarFunc::Case
        | ScalarFunc::Coalesce
        | ScalarFunc::NullIf
        | ScalarFunc::Greatest
        | ScalarFunc::Least => {
            return conditional::conditional(func, args, row, ctx);
        }
        ScalarFunc::Concat | ScalarFunc::ConcatWs | ScalarFunc::Like { .. } => {
            return strings::string_operator(func, args, row, ctx);
        }
        ScalarFunc::JsonValue(_)
        | ScalarFunc::JsonExists { .. }
        | ScalarFunc::IsJson { .. }
        | ScalarFunc::JsonQuery { .. }
        | ScalarFunc::JsonString
        | ScalarFunc::JsonObject { .. }
        | ScalarFunc::JsonArray { .. } => return json::json(func, args, row, ctx),
        ScalarFunc::ArrayCtor
        | ScalarFunc::RowCtor
        | ScalarFunc::MapCtor
        | ScalarFunc::Index
        | ScalarFunc::Cardinality
        | ScalarFunc::ArrayContains
        | ScalarFunc::Array(_)
        | ScalarFunc::Field(_) => return collections::collection(func, args, row, ctx),
        ScalarFunc::CurrentWatermark
        | ScalarFunc::Proctime
        | ScalarFunc::CurrentTimestamp
        | ScalarFunc::LocalTimestamp
        | ScalarFunc::CurrentDate
        | ScalarFunc::CurrentTime
        | ScalarFunc::UnixTimestampNow
        | ScalarFunc::Rand
        | ScalarFunc::Uuid => return clock::clock(func, ctx),
        ScalarFunc::Arith(op) => {
            let (a, b) = (arg(0)?, arg(1)?);
            if a.is_null() || b.is_null() {
                return Ok(Value::Null);
            }
            super::arith::arith(*op, &a, &b, args, ty)?
        }
        ScalarFunc::Negate => match arg(0)?.as_ref() {
            Value::Int(i) => wrap_int(i.wrapping_neg(), &ty.kind),
            Value::Float(f) => Value::Float(-f),
            Value::Decimal(d) => Value::Decimal(-d),
            Value::IntervalMillis(m) => Value::IntervalMillis(m.wrapping_neg()),
            Value::IntervalMonths(m) => Value::IntervalMonths(m.wrapping_neg()),
            other => other.clone(),
        },
        ScalarFunc::Cast { try_cast } => {
            let v = arg(0)?;
            match cast(&v, args[0].ty(), ty, ctx.zone) {
                Ok(v) => v,
                Err(_) if *try_cast => Value::Null,
                Err(e) => return Err(e),
            }
        }
        ScalarFunc::Regex { kind, compiled } => with_args(args, row, ctx, |v| {
            functions::eval_regex(*kind, compiled.as_ref().map(|c| &*c.0), v)
        })?,
        ScalarFunc::String(f) => with_args(args, row, ctx, |v| functions::eval_string(*f, v))?,
        ScalarFunc::Time(f) => with_args(args, row, ctx, |v| {
            functions::eval_time(*f, v, args, ty, ctx.zone)
        })?,
        ScalarFunc::Math(f) => with_args(args, row, ctx, |v| functions::eval_math(*f, v, args, ty))?,
        ScalarFunc::Udf(udf) => {
            let values = args
                .iter()
                .map(|a| a.eval(row, ctx))
                .collect::<Result<Vec<_>>>()?;
            (udf.body)(&values)?
        }
    })
}

/// Evaluates `args` (strict: any `NULL` gives `NULL`) into a stack buffer for up to four, and
/// calls `f` on them; columns and fields of them are read in place, not copied.
fn with_args(
    args: &[BoundExpr],
    row: &Row,
    ctx: &EvalContext,
    f: impl FnOnce(&[&Value]) -> Result<Value>,
) -> Result<Value> {
    // Inline for up to four arguments: no allocation, and only the filled slots are dropped.
    let mut values: smallvec::SmallVec<[Cow<'_, Value>; 4]> = smallvec::SmallVec::with_capacity(args.len());
    for a in args {
        let v = a.eval_ref(row, ctx)?;
        if v.is_null() {
            return Ok(Value::Null);
        }
        values.push(v);
    }
    let refs: smallvec::SmallVec<[&Value; 4]> = values.iter().map(AsRef::as_ref).collect();
    f(&refs)
}

/// Order of two non-NULL values of one comparable type (`None` for NaN and for values of
/// different kinds, which the binder rules out).
pub fn compare(a: &Value, b: &Value) -> Option<Ordering> {
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
        (Value::Array(x), Value::Array(y)) | (Value::Row(x), Value::Row(y)) => {
            for (a, b) in x.iter().zip(y) {
                match compare(a, b)? {
                    Ordering::Equal => {}
                    o => return Some(o),
                }
            }
            Some(x.len().cmp(&y.len()))
        }
        _ => None,
    }
}
