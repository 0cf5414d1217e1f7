//! Row-at-a-time evaluation of [`BoundExpr`]s with SQL's three-valued logic (arithmetic in
//! `arith`, casts in `cast`, named functions in `functions`).
//!
//! Hot paths do not allocate: comparisons, arithmetic and `LIKE` on constant patterns read
//! columns and literals by reference ([`BoundExpr::eval_ref`]); functions collect up to four
//! arguments on the stack. Non-deterministic functions read the [`EvalContext`].

use std::borrow::Cow;
use std::cmp::Ordering;

use super::BoundExpr;
use super::cast::{cast, wrap_int};
use super::context::{EvalContext, EvalError};
use super::func::{CmpOp, ScalarFunc};
use super::functions;
use crate::types::DataType;
use crate::value::{Row, Value};

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

/// The processing time as a wall-clock time of the session zone, in microseconds.
fn local_now_micros(ctx: &EvalContext) -> i64 {
    ctx.zone.to_local(ctx.now_millis.saturating_mul(1000))
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

fn call(func: &ScalarFunc, args: &[BoundExpr], ty: &DataType, row: &Row, ctx: &EvalContext) -> Result<Value> {
    let arg = |i: usize| -> Result<Cow<'_, Value>> {
        match args.get(i) {
            Some(a) => a.eval_ref(row, ctx),
            None => Err(EvalError(format!("{func:?} is missing argument {i}"))),
        }
    };
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
            escape,
            compiled,
        } => {
            let (s, p) = (arg(0)?, arg(1)?);
            if s.is_null() || p.is_null() {
                return Ok(Value::Null);
            }
            let matched = match compiled {
                Some(re) => re.0.is_match(text(&s)),
                None => super::operators::like_regex(text(&p), *escape)
                    .map_err(EvalError)?
                    .is_match(text(&s)),
            };
            Value::Boolean(matched != *negated)
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
        ScalarFunc::Field(i) => match arg(0)?.as_ref() {
            Value::Row(fields) => fields.get(*i).cloned().unwrap_or(Value::Null),
            _ => Value::Null,
        },
        ScalarFunc::CurrentWatermark => {
            if ctx.watermark == i64::MIN {
                Value::Null
            } else {
                Value::Timestamp(ctx.watermark.saturating_mul(1000))
            }
        }
        ScalarFunc::Proctime | ScalarFunc::CurrentTimestamp => {
            Value::Timestamp(ctx.now_millis.saturating_mul(1000))
        }
        // The wall clock of the session zone (Flink: LOCALTIMESTAMP, CURRENT_DATE and
        // CURRENT_TIME are local; CURRENT_TIMESTAMP is an instant).
        ScalarFunc::LocalTimestamp => Value::Timestamp(local_now_micros(ctx) / 1000 * 1000),
        ScalarFunc::CurrentDate => {
            Value::Date(local_now_micros(ctx).div_euclid(crate::temporal::MICROS_PER_DAY) as i32)
        }
        ScalarFunc::CurrentTime => Value::Time(
            local_now_micros(ctx).rem_euclid(crate::temporal::MICROS_PER_DAY) / 1_000_000 * 1_000_000_000,
        ),
        ScalarFunc::UnixTimestampNow => Value::Int(ctx.now_millis.div_euclid(1000)),
        ScalarFunc::Rand => Value::Float(next_random(ctx.now_millis)),
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

/// A xorshift sequence per thread, seeded from the processing time of its first use.
fn next_random(seed: i64) -> f64 {
    use std::cell::Cell;
    thread_local!(static STATE: Cell<u64> = const { Cell::new(0) });
    STATE.with(|s| {
        let mut x = s.get();
        if x == 0 {
            x = (seed as u64) ^ 0x9E37_79B9_7F4A_7C15;
            if x == 0 {
                x = 1;
            }
        }
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.set(x);
        (x >> 11) as f64 / (1u64 << 53) as f64
    })
}

fn same_variant(a: &Value, b: &Value) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
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
