//! Expressions compiled once per plan into closures ([`CompiledExpr`]), so the per-row work of
//! the common shapes — a column, a literal, integer arithmetic and comparisons, `AND`/`OR`/
//! `NOT`, `IS [NOT] NULL`, `CASE`, casts that change no value, `TO_TIMESTAMP_LTZ` of an integer,
//! a field of a ROW column — is a few direct calls instead of a walk through the general
//! evaluator's dispatch.
//!
//! An expression whose every node is an integer or timestamp (`id % 1000`,
//! `TO_TIMESTAMP_LTZ(id, 3)`) compiles to an [`IntExpr`] tree instead, evaluated without a
//! closure per node; [`CompiledExpr::eval_into`] stores its value straight into a row.
//!
//! Contract: a compiled expression returns exactly what [`BoundExpr::eval`] returns for every
//! row (same values, same NULLs, same errors — spate-sql's `tests/it/expr.rs` runs both). Shapes without a
//! specialisation compile to a call of the general evaluator on that subtree.

use std::sync::Arc;

use super::BoundExpr;
use super::arith::{decimal_arith, int_arith};
use super::cast::{preserves_values, truncate_micros, wrap_int};
use super::context::{EvalContext, EvalError};
use super::func::{CmpOp, RegexKind, ScalarFunc};
use super::functions::{DatePattern, StringFunc, TimeFunc, group_in_every_match, regex_extract, split_index};
use super::int_expr::{IntExpr, micros_per_unit};
use super::typing::{decimal_scale, is_integer};
use crate::decimal;
use crate::types::TypeKind;
use crate::value::{Row, Value, set_value};

type Result<T> = std::result::Result<T, EvalError>;
type EvalFn = dyn Fn(&Row, &EvalContext) -> Result<Value> + Send + Sync;

/// An expression ready to evaluate row after row; cheap to clone (shared).
#[derive(Clone)]
pub struct CompiledExpr(Form);

/// How a compiled expression runs.
#[derive(Clone)]
enum Form {
    /// A tree of integer nodes, evaluated in place: no call through a pointer per row.
    Int(Arc<IntExpr>),
    /// Closures, one per node of a specialised shape or one over the general evaluator.
    Closure(Arc<EvalFn>),
}

impl std::fmt::Debug for CompiledExpr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CompiledExpr")
    }
}

impl CompiledExpr {
    /// The expression's value for `row` (what [`BoundExpr::eval`] gives).
    #[inline]
    pub fn eval(&self, row: &Row, ctx: &EvalContext) -> Result<Value> {
        match &self.0 {
            Form::Int(e) => e.value(row),
            Form::Closure(f) => f(row, ctx),
        }
    }

    /// The integer tree this compiled to, if it did.
    pub fn as_int(&self) -> Option<&IntExpr> {
        match &self.0 {
            Form::Int(e) => Some(e),
            Form::Closure(_) => None,
        }
    }

    /// Evaluates into `row[slot]` (a computed column of the row it reads; nothing happens past
    /// the row's end).
    #[inline]
    pub fn eval_into(&self, row: &mut Row, slot: usize, ctx: &EvalContext) -> Result<()> {
        match &self.0 {
            Form::Int(e) => e.store(row, slot),
            Form::Closure(f) => {
                let v = f(row, ctx)?;
                if let Some(s) = row.get_mut(slot) {
                    set_value(s, v);
                }
                Ok(())
            }
        }
    }

    /// The expression as a predicate: only `TRUE` passes.
    #[inline]
    pub fn eval_predicate(&self, row: &Row, ctx: &EvalContext) -> Result<bool> {
        Ok(matches!(self.eval(row, ctx)?, Value::Boolean(true)))
    }
}

impl BoundExpr {
    /// This expression compiled for repeated evaluation.
    pub fn compile(&self) -> CompiledExpr {
        CompiledExpr(match IntExpr::of(self) {
            Some(int) if !int.is_leaf() => Form::Int(Arc::new(int)),
            _ => Form::Closure(compile(self)),
        })
    }
}

fn compile(e: &BoundExpr) -> Arc<EvalFn> {
    if let Some(f) = specialised(e) {
        return f;
    }
    let e = e.clone();
    Arc::new(move |row, ctx| e.eval(row, ctx))
}

/// An operand whose values are one `i64`-carrying variant (integers, or timestamps), read
/// without cloning; `None` is `NULL`.
enum I64Operand {
    Path(ValuePath, fn(&Value) -> Option<i64>),
    Literal(Option<i64>),
    Expr(Arc<EvalFn>, fn(&Value) -> Option<i64>),
}

fn int_of(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) => Some(*i),
        _ => None,
    }
}

fn timestamp_of(v: &Value) -> Option<i64> {
    match v {
        Value::Timestamp(t) => Some(*t),
        _ => None,
    }
}

impl I64Operand {
    /// The operand for `e` when its type's values are `Int` (integers) or `Timestamp`.
    fn of(e: &BoundExpr) -> Option<Self> {
        let read: fn(&Value) -> Option<i64> = match e.ty().kind {
            ref k if is_integer(k) => int_of,
            TypeKind::Timestamp(_) | TypeKind::TimestampLtz(_) => timestamp_of,
            _ => return None,
        };
        if let Some(path) = ValuePath::of(e) {
            return Some(I64Operand::Path(path, read));
        }
        Some(match e {
            BoundExpr::Literal { value, .. } => I64Operand::Literal(read(value)),
            _ => I64Operand::Expr(compile(e), read),
        })
    }

    #[inline]
    fn get(&self, row: &Row, ctx: &EvalContext) -> Result<Option<i64>> {
        Ok(match self {
            I64Operand::Path(p, read) => p.get(row).and_then(read),
            I64Operand::Literal(v) => *v,
            I64Operand::Expr(f, read) => read(&f(row, ctx)?),
        })
    }
}

fn specialised(e: &BoundExpr) -> Option<Arc<EvalFn>> {
    let (func, args, ty) = match e {
        BoundExpr::Column { index, .. } => {
            let i = *index;
            return Some(Arc::new(move |row, _| {
                Ok(row.get(i).cloned().unwrap_or(Value::Null))
            }));
        }
        BoundExpr::Literal { value, .. } => {
            let v = value.clone();
            return Some(Arc::new(move |_, _| Ok(v.clone())));
        }
        BoundExpr::Call { func, args, ty } => (func, args.as_slice(), ty),
    };
    // A tree of integer nodes inside another shape is evaluated in one piece, not a closure
    // per node.
    if let Some(int) = IntExpr::of(e) {
        return Some(Arc::new(move |row, _| int.value(row)));
    }
    Some(match (func, args) {
        (ScalarFunc::Cast { .. }, [arg]) if preserves_values(&arg.ty().kind, &ty.kind) => compile(arg),
        // `t.f` of a ROW column at any depth (the Nexmark views read every field this way):
        // the field is copied out of the row in place, without the general evaluator's
        // dispatch.
        (ScalarFunc::Field(_), [_]) if let Some(path) = ValuePath::of(e) => {
            Arc::new(move |row, _| Ok(path.get(row).cloned().unwrap_or(Value::Null)))
        }
        // DECIMAL arithmetic (Nexmark q1's `0.908 * price`, a BIGINT column cast to DECIMAL):
        // unscaled `i128`s straight from the row and the literal, no `Value` per operand.
        (ScalarFunc::Arith(op), [a, b])
            if let (TypeKind::Decimal { precision, scale }, Some(x), Some(y)) =
                (&ty.kind, DecOperand::of(a), DecOperand::of(b)) =>
        {
            let (sx, sy) = (decimal_scale(&a.ty().kind), decimal_scale(&b.ty().kind));
            let (op, p, s) = (*op, *precision, *scale);
            Arc::new(move |row, ctx| {
                let (Some(x), Some(y)) = (x.get(row, ctx)?, y.get(row, ctx)?) else {
                    return Ok(Value::Null);
                };
                Ok(decimal_arith(op, x, sx, y, sy, s)?
                    .filter(|r| decimal::fits(*r, p))
                    .map_or(Value::Null, Value::Decimal))
            })
        }
        // A DECIMAL cast to another DECIMAL (an INSERT conforming a result to its sink's
        // type): rescaled, NULL past the precision, as `cast` does.
        (ScalarFunc::Cast { .. }, [a])
            if let (
                TypeKind::Decimal { precision, scale },
                TypeKind::Decimal { scale: from, .. },
                Some(x),
            ) = (&ty.kind, &a.ty().kind, DecOperand::of(a)) =>
        {
            let (p, s, from) = (*precision, *scale, *from);
            Arc::new(move |row, ctx| {
                Ok(x.get(row, ctx)?
                    .and_then(|d| decimal::rescale(d, from, s))
                    .filter(|d| decimal::fits(*d, p))
                    .map_or(Value::Null, Value::Decimal))
            })
        }
        (ScalarFunc::Arith(op), [a, b]) if is_integer(&a.ty().kind) && is_integer(&b.ty().kind) => {
            let (a, b, op, kind) = (I64Operand::of(a)?, I64Operand::of(b)?, *op, ty.kind.clone());
            Arc::new(move |row, ctx| {
                let (Some(x), Some(y)) = (a.get(row, ctx)?, b.get(row, ctx)?) else {
                    return Ok(Value::Null);
                };
                Ok(wrap_int(int_arith(op, x, y)?, &kind))
            })
        }
        // `LOWER(c) = 'apple'` (and `UPPER`, `<>`, `IN` lists, which bind to `=`s): an ASCII
        // string is compared ignoring ASCII case, with no lowered copy to allocate and free.
        (ScalarFunc::Compare(op @ (CmpOp::Eq | CmpOp::NotEq)), [a, b])
            if let Some((x, literal)) = folded_literal(a, b).or_else(|| folded_literal(b, a)) =>
        {
            let (x, literal, equal) = (StrOperand::of(x), literal.to_string(), *op == CmpOp::Eq);
            // A non-ASCII string is folded by the general evaluator, which defines the result.
            let general = e.clone();
            Arc::new(move |row, ctx| {
                match x.with(row, ctx, |s| {
                    s.map(|s| (s.is_ascii(), s.eq_ignore_ascii_case(&literal)))
                })? {
                    None => Ok(Value::Null),
                    Some((true, same)) => Ok(Value::Boolean(same == equal)),
                    Some((false, _)) => general.eval(row, ctx),
                }
            })
        }
        // `SPLIT_INDEX(url, '/', 3)` (Nexmark q22): the string is read in place and only the
        // piece is copied, without the general evaluator's argument list.
        (
            ScalarFunc::String(StringFunc::SplitIndex),
            [
                x,
                sep,
                BoundExpr::Literal {
                    value: Value::Int(index),
                    ..
                },
            ],
        ) if let Some(sep) = string_literal(sep) => {
            let (x, sep, index) = (StrOperand::of(x), sep.to_string(), *index);
            Arc::new(move |row, ctx| {
                x.with(row, ctx, |s| {
                    s.and_then(|s| split_index(s, &sep, index))
                        .map_or(Value::Null, |p| Value::String(p.to_string()))
                })
            })
        }
        // `REGEXP_EXTRACT(url, '(&|^)channel_id=([^&]*)', 2)` (Nexmark q21) with a constant
        // pattern and group: the string is read in place and only the group is copied.
        (
            ScalarFunc::Regex {
                kind: RegexKind::Extract,
                compiled: Some(re),
            },
            [x, _, group @ ..],
        ) if let Some(group) = literal_group(group) => {
            let (x, re) = (StrOperand::of(x), re.0.clone());
            Arc::new(move |row, ctx| {
                x.with(row, ctx, |s| {
                    s.and_then(|s| regex_extract(&re, s, group))
                        .map_or(Value::Null, |m| Value::String(m.to_string()))
                })
            })
        }
        (ScalarFunc::Compare(op), [a, b]) if same_i64_variant(a, b) => {
            let (a, b, op) = (I64Operand::of(a)?, I64Operand::of(b)?, *op);
            Arc::new(move |row, ctx| {
                let (Some(x), Some(y)) = (a.get(row, ctx)?, b.get(row, ctx)?) else {
                    return Ok(Value::Null);
                };
                Ok(Value::Boolean(op.holds(x.cmp(&y))))
            })
        }
        // `0.908 * price > 1000000` (Nexmark q14): unscaled `i128`s, as the general evaluator
        // compares two DECIMALs (the binder gave both operands one type), with the arithmetic
        // below compiled instead of walked.
        (ScalarFunc::Compare(op), [a, b])
            if let (Some(x), Some(y)) = (DecOperand::of(a), DecOperand::of(b)) =>
        {
            let op = *op;
            Arc::new(move |row, ctx| {
                let (Some(x), Some(y)) = (x.get(row, ctx)?, y.get(row, ctx)?) else {
                    return Ok(Value::Null);
                };
                Ok(Value::Boolean(op.holds(x.cmp(&y))))
            })
        }
        (ScalarFunc::And | ScalarFunc::Or, _) => {
            let decisive = matches!(func, ScalarFunc::Or);
            // The result does not depend on the order (three-valued AND and OR commute); when
            // no operand can fail, the cheap ones run first and may decide alone.
            let mut ordered: Vec<&BoundExpr> = args.iter().collect();
            if args.iter().all(BoundExpr::never_fails) {
                ordered.sort_by_key(|a| a.cost());
            }
            let parts: Vec<Arc<EvalFn>> = ordered.into_iter().map(compile).collect();
            Arc::new(move |row, ctx| {
                let mut saw_null = false;
                for p in &parts {
                    match p(row, ctx)? {
                        Value::Boolean(b) if b == decisive => return Ok(Value::Boolean(decisive)),
                        Value::Null => saw_null = true,
                        _ => {}
                    }
                }
                Ok(if saw_null {
                    Value::Null
                } else {
                    Value::Boolean(!decisive)
                })
            })
        }
        (ScalarFunc::Not, [a]) => {
            let a = compile(a);
            Arc::new(move |row, ctx| {
                Ok(match a(row, ctx)? {
                    Value::Boolean(b) => Value::Boolean(!b),
                    _ => Value::Null,
                })
            })
        }
        // `REGEXP_EXTRACT(url, p, g) IS NOT NULL` (Nexmark q21's filter) where every match of
        // `p` has a text for group `g`: NULL exactly without a match, so only whether `p`
        // matches is asked (a forward scan that stops at the first match), not where its groups
        // are.
        (
            ScalarFunc::IsNull | ScalarFunc::IsNotNull,
            [
                BoundExpr::Call {
                    func: inner, args, ..
                },
            ],
        ) if let (
            ScalarFunc::Regex {
                kind: RegexKind::Extract,
                compiled: Some(re),
            },
            [x, _, group @ ..],
        ) = (inner, args.as_slice())
            && let Some(group) = literal_group(group)
            && group_in_every_match(&re.0, group) =>
        {
            let negated = matches!(func, ScalarFunc::IsNotNull);
            let (x, re) = (StrOperand::of(x), re.0.clone());
            Arc::new(move |row, ctx| {
                x.with(row, ctx, |s| {
                    let null = !s.is_some_and(|s| re.is_match(s));
                    Value::Boolean(null != negated)
                })
            })
        }
        (ScalarFunc::IsNull | ScalarFunc::IsNotNull, [a]) => {
            let negated = matches!(func, ScalarFunc::IsNotNull);
            match ValuePath::of(a) {
                Some(path) => Arc::new(move |row, _| {
                    let null = path.get(row).is_none_or(Value::is_null);
                    Ok(Value::Boolean(null != negated))
                }),
                None => {
                    let a = compile(a);
                    Arc::new(move |row, ctx| Ok(Value::Boolean(a(row, ctx)?.is_null() != negated)))
                }
            }
        }
        (ScalarFunc::Case, _) => {
            let parts: Vec<Arc<EvalFn>> = args.iter().map(compile).collect();
            Arc::new(move |row, ctx| {
                let mut i = 0;
                while i + 1 < parts.len() {
                    if matches!(parts[i](row, ctx)?, Value::Boolean(true)) {
                        return parts[i + 1](row, ctx);
                    }
                    i += 2;
                }
                match parts.get(i) {
                    Some(f) => f(row, ctx),
                    None => Ok(Value::Null),
                }
            })
        }
        // `DATE_FORMAT(dateTime, 'HH:mm')` (Nexmark q10) with a constant pattern, read once.
        (ScalarFunc::Time(TimeFunc::DateFormat), [t, pattern])
            if let (Some(pattern), TypeKind::Timestamp(_) | TypeKind::TimestampLtz(_)) =
                (string_literal(pattern), &t.ty().kind) =>
        {
            let ltz = matches!(t.ty().kind, TypeKind::TimestampLtz(_));
            let (t, pattern) = (I64Operand::of(t)?, DatePattern::new(pattern));
            Arc::new(move |row, ctx| {
                // A TIMESTAMP_LTZ as the session zone's wall-clock time, as the general path.
                Ok(t.get(row, ctx)?
                    .map(|t| if ltz { ctx.zone.to_local(t) } else { t })
                    .map_or(Value::Null, |t| Value::String(pattern.format(t))))
            })
        }
        (ScalarFunc::Time(TimeFunc::ToTimestampLtz), [n, rest @ ..]) if is_integer(&n.ty().kind) => {
            let per = micros_per_unit(rest)?;
            let n = I64Operand::of(n)?;
            Arc::new(move |row, ctx| {
                Ok(match n.get(row, ctx)?.and_then(|i| i.checked_mul(per)) {
                    Some(m) => Value::Timestamp(truncate_micros(m, 3)),
                    None => Value::Null,
                })
            })
        }
        _ => return None,
    })
}

/// `(x, literal)` when `folded` is `LOWER(x)` or `UPPER(x)` of a string and `literal` a
/// non-`NULL` ASCII string literal already in that case: then for an ASCII `x`, `folded =
/// literal` exactly when `x` equals `literal` ignoring ASCII case (a literal in the other case
/// can equal no folded string, and is left to the general path).
fn folded_literal<'e>(folded: &'e BoundExpr, literal: &'e BoundExpr) -> Option<(&'e BoundExpr, &'e str)> {
    let BoundExpr::Call {
        func: ScalarFunc::String(f),
        args,
        ..
    } = folded
    else {
        return None;
    };
    let other_case: fn(&u8) -> bool = match f {
        StringFunc::Lower => u8::is_ascii_uppercase,
        StringFunc::Upper => u8::is_ascii_lowercase,
        _ => return None,
    };
    let [x] = args.as_slice() else {
        return None;
    };
    let text = string_literal(literal)?;
    (text.is_ascii()
        && !text.as_bytes().iter().any(other_case)
        && matches!(x.ty().kind, TypeKind::Char(_) | TypeKind::Varchar(_)))
    .then_some((x, text))
}

/// The text of a string literal, also under casts that change no value.
fn string_literal(e: &BoundExpr) -> Option<&str> {
    match e {
        BoundExpr::Literal {
            value: Value::String(s),
            ..
        } => Some(s),
        BoundExpr::Call {
            func: ScalarFunc::Cast { .. },
            args,
            ty,
        } => match args.as_slice() {
            [arg] if preserves_values(&arg.ty().kind, &ty.kind) => string_literal(arg),
            _ => None,
        },
        _ => None,
    }
}

/// The group argument of `REGEXP_EXTRACT` when it is a literal (absent: group 0, the whole
/// match); `None` for an expression or a `NULL` literal.
fn literal_group(group: &[BoundExpr]) -> Option<i64> {
    match group {
        [] => Some(0),
        [
            BoundExpr::Literal {
                value: Value::Int(g), ..
            },
        ] => Some(*g),
        _ => None,
    }
}

/// A string operand read in place when it is a column or a field of one (no copy per row);
/// `None` is `NULL`.
enum StrOperand {
    Path(ValuePath),
    Expr(Arc<EvalFn>),
}

impl StrOperand {
    fn of(e: &BoundExpr) -> Self {
        match ValuePath::of(e) {
            Some(path) => StrOperand::Path(path),
            None => StrOperand::Expr(compile(e)),
        }
    }

    #[inline]
    fn with<R>(&self, row: &Row, ctx: &EvalContext, f: impl FnOnce(Option<&str>) -> R) -> Result<R> {
        Ok(match self {
            StrOperand::Path(p) => f(p.get(row).and_then(Value::as_str)),
            StrOperand::Expr(e) => f(e(row, ctx)?.as_str()),
        })
    }
}

/// Where an operand's value is read in place: a column, then field indexes into `ROW` values
/// (`bid.url` after a view's projection is fused into the query's), seen through casts that
/// change no value.
struct ValuePath {
    column: usize,
    fields: Vec<usize>,
}

impl ValuePath {
    fn of(e: &BoundExpr) -> Option<Self> {
        let path = e.path_through(&preserves_values)?;
        let (&column, fields) = path.split_first()?;
        Some(ValuePath {
            column,
            fields: fields.to_vec(),
        })
    }

    /// The value, `None` where a column or field is missing or a row on the way is not a `ROW`
    /// (a `NULL` row: its fields are `NULL`).
    #[inline]
    fn get<'r>(&self, row: &'r Row) -> Option<&'r Value> {
        let mut v = row.get(self.column)?;
        for &f in &self.fields {
            match v {
                Value::Row(fields) => v = fields.get(f)?,
                _ => return None,
            }
        }
        Some(v)
    }
}

/// A `DECIMAL` operand as its unscaled `i128` at its type's scale; `None` is `NULL`.
enum DecOperand {
    Literal(Option<i128>),
    /// A DECIMAL column or field.
    Path(ValuePath),
    /// An integer column or field cast to `DECIMAL(precision, scale)`: NULL past the precision,
    /// as the cast is.
    IntPath(ValuePath, u32, u32),
    Expr(Arc<EvalFn>),
}

impl DecOperand {
    /// The operand for `e` when its type is a `DECIMAL`.
    fn of(e: &BoundExpr) -> Option<Self> {
        let TypeKind::Decimal { precision, scale } = e.ty().kind else {
            return None;
        };
        if let Some(path) = ValuePath::of(e) {
            return Some(DecOperand::Path(path));
        }
        Some(match e {
            BoundExpr::Literal {
                value: Value::Decimal(d),
                ..
            } => DecOperand::Literal(Some(*d)),
            BoundExpr::Literal {
                value: Value::Null, ..
            } => DecOperand::Literal(None),
            BoundExpr::Call {
                func: ScalarFunc::Cast { .. },
                args,
                ..
            } if let [a] = args.as_slice()
                && is_integer(&a.ty().kind)
                && let Some(path) = ValuePath::of(a) =>
            {
                DecOperand::IntPath(path, precision, scale)
            }
            _ => DecOperand::Expr(compile(e)),
        })
    }

    #[inline]
    fn get(&self, row: &Row, ctx: &EvalContext) -> Result<Option<i128>> {
        let decimal = |v: &Value| match v {
            Value::Decimal(d) => Some(*d),
            _ => None,
        };
        Ok(match self {
            DecOperand::Literal(d) => *d,
            DecOperand::Path(p) => p.get(row).and_then(decimal),
            DecOperand::IntPath(p, precision, scale) => match p.get(row) {
                Some(Value::Int(i)) => {
                    decimal::rescale(i128::from(*i), 0, *scale).filter(|d| decimal::fits(*d, *precision))
                }
                _ => None,
            },
            DecOperand::Expr(f) => decimal(&f(row, ctx)?),
        })
    }
}

/// Whether both operands carry `i64`s of the same variant (two integers, or two timestamps
/// of the same kind), so comparing the numbers is comparing the values.
fn same_i64_variant(a: &BoundExpr, b: &BoundExpr) -> bool {
    let (x, y) = (&a.ty().kind, &b.ty().kind);
    (is_integer(x) && is_integer(y))
        || matches!((x, y), (TypeKind::Timestamp(_), TypeKind::Timestamp(_)))
        || matches!((x, y), (TypeKind::TimestampLtz(_), TypeKind::TimestampLtz(_)))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::types::{DataType, MAX_LENGTH};

    fn folded(fold: StringFunc) -> BoundExpr {
        BoundExpr::Call {
            func: ScalarFunc::String(fold),
            args: vec![BoundExpr::Column {
                index: 0,
                ty: DataType::new(TypeKind::Varchar(MAX_LENGTH)),
            }],
            ty: DataType::new(TypeKind::Varchar(MAX_LENGTH)),
        }
    }

    fn literal(s: &str) -> BoundExpr {
        BoundExpr::Literal {
            value: Value::String(s.to_string()),
            ty: DataType::new(TypeKind::Char(s.chars().count().max(1) as u32)),
        }
    }

    fn compare(op: CmpOp, a: BoundExpr, b: BoundExpr) -> BoundExpr {
        BoundExpr::Call {
            func: ScalarFunc::Compare(op),
            args: vec![a, b],
            ty: DataType::new(TypeKind::Boolean),
        }
    }

    /// Strings of ASCII letters of both cases and characters whose case mapping is not
    /// ASCII's: the Kelvin sign lowers to `k`, `ß` uppers to `SS`, `İ` lowers to two chars.
    fn text() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                Just('a'),
                Just('A'),
                Just('k'),
                Just('K'),
                Just('s'),
                Just('S'),
                Just('\u{212A}'),
                Just('ß'),
                Just('İ'),
                Just('ä'),
                Just('Ä')
            ],
            0..5,
        )
        .prop_map(|c| c.into_iter().collect())
    }

    #[test]
    fn only_ascii_literals_in_the_folded_case_take_the_shortcut() {
        let lower = folded(StringFunc::Lower);
        let upper = folded(StringFunc::Upper);
        assert!(folded_literal(&lower, &literal("apple")).is_some());
        assert!(folded_literal(&upper, &literal("APPLE")).is_some());
        for (f, l) in [(&lower, "Apple"), (&upper, "apple"), (&lower, "äpple")] {
            assert!(folded_literal(f, &literal(l)).is_none(), "{l}");
        }
        assert!(
            folded_literal(&literal("apple"), &lower).is_none(),
            "the literal is the second operand"
        );
    }

    #[test]
    fn strings_whose_case_mapping_is_not_asciis_are_folded_as_the_general_evaluator_folds_them() {
        let ctx = EvalContext::default();
        // LOWER(Kelvin sign) = 'k' and UPPER('ß') = 'SS' are true although neither string is
        // the literal ignoring ASCII case.
        for (fold, x, lit) in [
            (StringFunc::Lower, "\u{212A}", "k"),
            (StringFunc::Upper, "ß", "SS"),
            (StringFunc::Upper, "straße", "STRASSE"),
            (StringFunc::Lower, "\u{212A}a", "ka"),
        ] {
            let e = compare(CmpOp::Eq, folded(fold), literal(lit));
            let row = vec![Value::String(x.to_string())];
            assert_eq!(e.eval(&row, &ctx), Ok(Value::Boolean(true)), "{x} {lit}");
            assert_eq!(
                e.compile().eval(&row, &ctx),
                Ok(Value::Boolean(true)),
                "{x} {lit}"
            );
        }
    }

    fn field(of: BoundExpr, index: usize, ty: TypeKind) -> BoundExpr {
        BoundExpr::Call {
            func: ScalarFunc::Field(index),
            args: vec![of],
            ty: DataType::new(ty),
        }
    }

    /// A column 0 that is a `NULL`, a short `ROW`, or a `ROW` of an optional `BIGINT`, an
    /// optional string and an optional nested `ROW` holding an optional `BIGINT`.
    fn nested_row() -> impl Strategy<Value = Value> {
        let inner = proptest::option::of(any::<i8>())
            .prop_map(|i| Value::Row(vec![i.map_or(Value::Null, |i| Value::Int(i64::from(i)))]));
        prop_oneof![
            Just(Value::Null),
            Just(Value::Row(vec![])),
            (
                proptest::option::of(any::<i8>()),
                proptest::option::of(text()),
                proptest::option::of(inner)
            )
                .prop_map(|(i, s, r)| Value::Row(vec![
                    i.map_or(Value::Null, |i| Value::Int(i64::from(i))),
                    s.map_or(Value::Null, Value::String),
                    r.unwrap_or(Value::Null),
                ])),
        ]
    }

    /// The value at `path` under column 0, read by hand: the oracle for field paths.
    fn at(row: &Row, path: &[usize]) -> Value {
        let mut v = &row[0];
        for &f in path {
            v = match v {
                Value::Row(fields) => fields.get(f).unwrap_or(&Value::Null),
                _ => &Value::Null,
            };
        }
        v.clone()
    }

    proptest! {
        /// The oracle is the general evaluator: every value, NULL included, for both folds, both
        /// operators, both operand orders, and literals in and out of the folded case.
        #[test]
        fn folded_comparisons_equal_the_general_evaluator(
            x in proptest::option::of(text()),
            other in text(),
            lit_of_x in any::<bool>(),
            upper in any::<bool>(),
            not_eq in any::<bool>(),
            swapped in any::<bool>(),
        ) {
            // Half the literals are `x` in the folded ASCII case, so equal strings are common.
            let lit = match (&x, lit_of_x, upper) {
                (Some(x), true, false) => x.to_ascii_lowercase(),
                (Some(x), true, true) => x.to_ascii_uppercase(),
                _ => other,
            };
            let fold = if upper { StringFunc::Upper } else { StringFunc::Lower };
            let op = if not_eq { CmpOp::NotEq } else { CmpOp::Eq };
            let (a, b) = (folded(fold), literal(&lit));
            let e = if swapped { compare(op, b, a) } else { compare(op, a, b) };
            let row = vec![x.map_or(Value::Null, Value::String)];
            let ctx = EvalContext::default();
            prop_assert_eq!(e.compile().eval(&row, &ctx), e.eval(&row, &ctx), "{:?}", e);
        }

        /// Operands read in place through `ROW` fields (as a fused view's projection leaves
        /// them) give what the fields hold: comparisons, `IS NULL`, folded comparisons, field
        /// values and function arguments, compiled and general, `NULL` rows on the way included.
        #[test]
        fn operands_read_through_fields_are_the_fields_values(
            value in nested_row(),
            n in any::<i8>(),
        ) {
            let ctx = EvalContext::default();
            let row_ty = TypeKind::Row(vec![]);
            let column = BoundExpr::Column { index: 0, ty: DataType::new(row_ty.clone()) };
            let int = field(column.clone(), 0, TypeKind::BigInt);
            let string = field(column.clone(), 1, TypeKind::Varchar(MAX_LENGTH));
            let deep = field(field(column, 2, row_ty), 0, TypeKind::BigInt);
            let row = vec![value];
            let number = BoundExpr::Literal { value: Value::Int(i64::from(n)), ty: DataType::new(TypeKind::BigInt) };
            for (e, path) in [(&int, [0].as_slice()), (&string, &[1]), (&deep, &[2, 0])] {
                let expected = at(&row, path);
                prop_assert_eq!(e.compile().eval(&row, &ctx), Ok(expected.clone()));
                prop_assert_eq!(e.eval_ref(&row, &ctx).map(|v| v.into_owned()), Ok(expected.clone()));
                let is_null = BoundExpr::Call { func: ScalarFunc::IsNull, args: vec![e.clone()], ty: DataType::new(TypeKind::Boolean) };
                prop_assert_eq!(is_null.compile().eval(&row, &ctx), Ok(Value::Boolean(expected.is_null())));
            }
            for e in [&int, &deep] {
                let expected = match at(&row, if std::ptr::eq(e, &int) { &[0] } else { &[2, 0] }) {
                    Value::Int(i) => Value::Boolean(i < i64::from(n)),
                    _ => Value::Null,
                };
                let lt = compare(CmpOp::Lt, e.clone(), number.clone());
                prop_assert_eq!(lt.compile().eval(&row, &ctx), Ok(expected.clone()));
                prop_assert_eq!(lt.eval(&row, &ctx), Ok(expected));
            }
            let folded_eq = compare(CmpOp::Eq, BoundExpr::Call {
                func: ScalarFunc::String(StringFunc::Lower),
                args: vec![string.clone()],
                ty: DataType::new(TypeKind::Varchar(MAX_LENGTH)),
            }, literal("ak"));
            let expected = match at(&row, &[1]) {
                Value::String(s) => Value::Boolean(s.to_lowercase() == "ak"),
                _ => Value::Null,
            };
            prop_assert_eq!(folded_eq.compile().eval(&row, &ctx), Ok(expected.clone()));
            prop_assert_eq!(folded_eq.eval(&row, &ctx), Ok(expected));
            let length = BoundExpr::Call {
                func: ScalarFunc::String(StringFunc::CharLength),
                args: vec![string],
                ty: DataType::new(TypeKind::Int),
            };
            let expected = match at(&row, &[1]) {
                Value::String(s) => Value::Int(s.chars().count() as i64),
                _ => Value::Null,
            };
            prop_assert_eq!(length.eval(&row, &ctx), Ok(expected));
        }

        /// `AND` and `OR` whose operands cannot fail run the cheap ones first: the result is the
        /// general evaluator's (which runs them in order) for every mix of TRUE, FALSE and
        /// NULL operands.
        #[test]
        fn reordered_and_or_equal_the_general_evaluator(
            s in proptest::option::of(text()),
            n in proptest::option::of(any::<i8>()),
            or in any::<bool>(),
            order in proptest::collection::vec(0usize..3, 3),
        ) {
            let string = BoundExpr::Column { index: 0, ty: DataType::new(TypeKind::Varchar(MAX_LENGTH)) };
            let number = BoundExpr::Column { index: 1, ty: DataType::new(TypeKind::BigInt) };
            let boolean = DataType::new(TypeKind::Boolean);
            let pattern = regex::Regex::new("^[aA]").expect("valid");
            let operands = [
                // Costly: a regular expression.
                BoundExpr::Call {
                    func: ScalarFunc::Regex { kind: crate::expr::RegexKind::Matches, compiled: Some(crate::expr::Compiled(Arc::new(pattern))) },
                    args: vec![string.clone(), literal("^[aA]")],
                    ty: boolean.clone(),
                },
                compare(CmpOp::Lt, number, BoundExpr::Literal { value: Value::Int(0), ty: DataType::new(TypeKind::BigInt) }),
                compare(CmpOp::Eq, folded(StringFunc::Lower), literal("ak")),
            ];
            let args: Vec<BoundExpr> = order.iter().map(|&i| operands[i].clone()).collect();
            let e = BoundExpr::Call {
                func: if or { ScalarFunc::Or } else { ScalarFunc::And },
                args,
                ty: boolean,
            };
            let row = vec![
                s.map_or(Value::Null, Value::String),
                n.map_or(Value::Null, |n| Value::Int(i64::from(n))),
            ];
            let ctx = EvalContext::default();
            prop_assert_eq!(e.compile().eval(&row, &ctx), e.eval(&row, &ctx), "{:?}", e);
        }

        /// The compiled `SPLIT_INDEX` with a constant separator and index is the general
        /// evaluator's, `NULL` strings and indexes out of range included.
        #[test]
        fn compiled_split_index_equals_the_general_evaluator(
            x in proptest::option::of("[a/é]{0,6}"),
            sep in prop_oneof![Just("/"), Just("é"), Just("")],
            index in -1i64..4,
        ) {
            let string = DataType::new(TypeKind::Varchar(MAX_LENGTH));
            let e = BoundExpr::Call {
                func: ScalarFunc::String(StringFunc::SplitIndex),
                args: vec![
                    BoundExpr::Column { index: 0, ty: string.clone() },
                    BoundExpr::Literal { value: Value::String(sep.to_string()), ty: string.clone() },
                    BoundExpr::Literal { value: Value::Int(index), ty: DataType::new(TypeKind::Int) },
                ],
                ty: string,
            };
            let row = vec![x.map_or(Value::Null, Value::String)];
            let ctx = EvalContext::default();
            prop_assert_eq!(e.compile().eval(&row, &ctx), e.eval(&row, &ctx));
        }

        /// The compiled `REGEXP_EXTRACT` with a constant pattern and group is the general
        /// evaluator's: no match, a group that did not take part, groups out of range, `NULL`.
        #[test]
        fn compiled_regexp_extract_equals_the_general_evaluator(
            x in proptest::option::of("[a=&c]{0,8}"),
            group in proptest::option::of(-1i64..4),
        ) {
            let string = DataType::new(TypeKind::Varchar(MAX_LENGTH));
            let pattern = "(&|^)c=([^&]*)|(a)";
            let mut args = vec![
                BoundExpr::Column { index: 0, ty: string.clone() },
                BoundExpr::Literal { value: Value::String(pattern.into()), ty: string.clone() },
            ];
            if let Some(g) = group {
                args.push(BoundExpr::Literal { value: Value::Int(g), ty: DataType::new(TypeKind::Int) });
            }
            let e = BoundExpr::Call {
                func: ScalarFunc::Regex {
                    kind: RegexKind::Extract,
                    compiled: Some(crate::expr::Compiled(Arc::new(regex::Regex::new(pattern).expect("valid")))),
                },
                args,
                ty: string,
            };
            let row = vec![x.clone().map_or(Value::Null, Value::String)];
            let ctx = EvalContext::default();
            let general = e.eval(&row, &ctx);
            prop_assert_eq!(e.compile().eval(&row, &ctx), general.clone());
            // The oracle for the text: the regex crate's captures.
            let expected = x.and_then(|s| {
                let caps = regex::Regex::new(pattern).expect("valid").captures(&s)?.get(usize::try_from(group.unwrap_or(0)).ok()?)?.as_str().to_string();
                Some(caps)
            });
            prop_assert_eq!(general, Ok(expected.map_or(Value::Null, Value::String)));
        }

        /// `REGEXP_EXTRACT(..) IS [NOT] NULL` compiled (to `is_match` where every match has
        /// the group) is the general evaluator's, for groups in every match, groups under an
        /// alternation or an optional repetition, group 0, groups out of range and `NULL`.
        #[test]
        fn compiled_regexp_extract_is_null_equals_the_general_evaluator(
            x in proptest::option::of("[a=&cb]{0,8}"),
            pattern in prop_oneof![
                Just("(&|^)c=([^&]*)"),
                Just("(a)?b"),
                Just("(a)|(b)"),
                Just("((a)*c)+"),
                Just("(?:(a)b|c)(=)"),
                Just("(a){0,2}(b){1,2}"),
            ],
            group in -1i64..5,
            negated in any::<bool>(),
        ) {
            let string = DataType::new(TypeKind::Varchar(MAX_LENGTH));
            let extract = BoundExpr::Call {
                func: ScalarFunc::Regex {
                    kind: RegexKind::Extract,
                    compiled: Some(crate::expr::Compiled(Arc::new(regex::Regex::new(pattern).expect("valid")))),
                },
                args: vec![
                    BoundExpr::Column { index: 0, ty: string.clone() },
                    BoundExpr::Literal { value: Value::String(pattern.into()), ty: string.clone() },
                    BoundExpr::Literal { value: Value::Int(group), ty: DataType::new(TypeKind::Int) },
                ],
                ty: string,
            };
            let e = BoundExpr::Call {
                func: if negated { ScalarFunc::IsNotNull } else { ScalarFunc::IsNull },
                args: vec![extract],
                ty: DataType::new(TypeKind::Boolean),
            };
            let row = vec![x.map_or(Value::Null, Value::String)];
            let ctx = EvalContext::default();
            prop_assert_eq!(e.compile().eval(&row, &ctx), e.eval(&row, &ctx), "{:?}", e);
        }

        /// A compiled `DATE_FORMAT` with a constant pattern equals the general evaluator, for
        /// TIMESTAMP and TIMESTAMP_LTZ (in a zone with daylight saving time) and NULL.
        #[test]
        fn compiled_date_format_equals_the_general_evaluator(
            t in proptest::option::of(prop_oneof![-10_000_000_000_000_000i64..10_000_000_000_000_000, 1_700_000_000_000_000i64..1_800_000_000_000_000]),
            pattern in prop_oneof![
                Just("yyyy-MM-dd".to_string()),
                Just("HH:mm".to_string()),
                Just("EEE, d MMM yyyy hh:mm:ss a z Z X".to_string()),
                Just("yyyy-MM-dd'T'HH:mm:ss.SSS''".to_string()),
                "[yMdHhmsSEaDkKuwzZX'é: -]{0,12}",
            ],
            ltz in any::<bool>(),
            zoned in any::<bool>(),
        ) {
            let ty = if ltz { TypeKind::TimestampLtz(3) } else { TypeKind::Timestamp(3) };
            let string = DataType::new(TypeKind::Varchar(MAX_LENGTH));
            let e = BoundExpr::Call {
                func: ScalarFunc::Time(TimeFunc::DateFormat),
                args: vec![
                    BoundExpr::Column { index: 0, ty: DataType::new(ty) },
                    BoundExpr::Literal { value: Value::String(pattern), ty: string.clone() },
                ],
                ty: string,
            };
            let row = vec![t.map_or(Value::Null, Value::Timestamp)];
            let mut ctx = EvalContext::default();
            if zoned {
                ctx.zone = crate::zone::SessionZone::parse("America/Los_Angeles").expect("a zone");
            }
            prop_assert_eq!(e.compile().eval(&row, &ctx), e.eval(&row, &ctx), "{:?}", e);
        }

        /// Compiled DECIMAL arithmetic and DECIMAL casts equal the general evaluator: integer
        /// columns cast to DECIMAL, DECIMAL columns and literals, every operator, results past
        /// their precision (NULL), division by zero (an error) and NULL operands.
        #[test]
        fn compiled_decimal_arithmetic_equals_the_general_evaluator(
            i in proptest::option::of(prop_oneof![any::<i64>(), -2000i64..2000]),
            d in proptest::option::of(-99_999i128..99_999),
            op in 0usize..5,
            literal_scale in 0u32..4,
            literal in -999i128..999,
            precision in 1u32..38,
            scale_cut in 0u32..6,
            int_first in any::<bool>(),
            narrow_int in any::<bool>(),
            compare_op in 0usize..6,
            bound in proptest::option::of(-99_999i128..99_999),
        ) {
            let dec = |precision, scale| DataType::new(TypeKind::Decimal { precision, scale });
            let int_as_decimal = BoundExpr::Call {
                func: ScalarFunc::Cast { try_cast: false },
                args: vec![BoundExpr::Column { index: 0, ty: DataType::new(TypeKind::BigInt) }],
                // DECIMAL(4, 1) holds few BIGINTs: the others cast to NULL.
                ty: if narrow_int { dec(4, 1) } else { dec(19, 0) },
            };
            let column = BoundExpr::Column { index: 1, ty: dec(5, 2) };
            let lit = BoundExpr::Literal { value: Value::Decimal(literal), ty: dec(3, literal_scale) };
            let op = {
                use crate::expr::ArithOp;
                [ArithOp::Plus, ArithOp::Minus, ArithOp::Multiply, ArithOp::Divide, ArithOp::Modulo][op]
            };
            let scale = precision.saturating_sub(scale_cut).min(6);
            let (a, b) = if int_first { (int_as_decimal, lit) } else { (lit, column) };
            let e = BoundExpr::Call { func: ScalarFunc::Arith(op), args: vec![a, b], ty: dec(precision, scale) };
            let narrowed = BoundExpr::Call {
                func: ScalarFunc::Cast { try_cast: false },
                args: vec![e.clone()],
                ty: dec(precision.saturating_sub(1).max(1), scale.saturating_sub(1)),
            };
            let row = vec![
                i.map_or(Value::Null, Value::Int),
                d.map_or(Value::Null, Value::Decimal),
            ];
            let ctx = EvalContext::default();
            prop_assert_eq!(e.compile().eval(&row, &ctx), e.eval(&row, &ctx), "{:?}", e);
            prop_assert_eq!(narrowed.compile().eval(&row, &ctx), narrowed.eval(&row, &ctx), "{:?}", narrowed);
            // Compared with a DECIMAL literal or column of the result's type (as the binder
            // makes both sides of a comparison), the arithmetic's NULLs and errors included.
            let compare_op = [CmpOp::Eq, CmpOp::NotEq, CmpOp::Lt, CmpOp::LtEq, CmpOp::Gt, CmpOp::GtEq][compare_op];
            let bound = BoundExpr::Literal { value: bound.map_or(Value::Null, Value::Decimal), ty: dec(precision, scale) };
            let other = if narrow_int { BoundExpr::Column { index: 1, ty: dec(precision, scale) } } else { bound };
            let (a, b) = if int_first { (e.clone(), other) } else { (other, e.clone()) };
            let compared = BoundExpr::Call { func: ScalarFunc::Compare(compare_op), args: vec![a, b], ty: DataType::new(TypeKind::Boolean) };
            prop_assert_eq!(compared.compile().eval(&row, &ctx), compared.eval(&row, &ctx), "{:?}", compared);
        }
    }
}
