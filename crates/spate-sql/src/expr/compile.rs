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
//! row (same values, same NULLs, same errors — `tests/expr.rs` runs both). Shapes without a
//! specialisation compile to a call of the general evaluator on that subtree.

use std::sync::Arc;

use super::BoundExpr;
use super::arith::int_arith;
use super::cast::{preserves_values, truncate_micros, wrap_int};
use super::context::{EvalContext, EvalError};
use super::func::{CmpOp, ScalarFunc};
use super::functions::{StringFunc, TimeFunc};
use super::int_expr::{IntExpr, micros_per_unit};
use super::typing::is_integer;
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
    pub(crate) fn as_int(&self) -> Option<&IntExpr> {
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
    Column(usize, fn(&Value) -> Option<i64>),
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
        Some(match e {
            BoundExpr::Column { index, .. } => I64Operand::Column(*index, read),
            BoundExpr::Literal { value, .. } => I64Operand::Literal(read(value)),
            _ => I64Operand::Expr(compile(e), read),
        })
    }

    #[inline]
    fn get(&self, row: &Row, ctx: &EvalContext) -> Result<Option<i64>> {
        Ok(match self {
            I64Operand::Column(i, read) => row.get(*i).and_then(read),
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
        // `t.f` of a ROW column (the Nexmark views read every field this way): the field is
        // copied out of the row in place, without the general evaluator's dispatch.
        (ScalarFunc::Field(f), [BoundExpr::Column { index, .. }]) => {
            let (c, f) = (*index, *f);
            Arc::new(move |row, _| {
                Ok(match row.get(c) {
                    Some(Value::Row(fields)) => fields.get(f).cloned().unwrap_or(Value::Null),
                    _ => Value::Null,
                })
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
        (ScalarFunc::Compare(op), [a, b]) if same_i64_variant(a, b) => {
            let (a, b, op) = (I64Operand::of(a)?, I64Operand::of(b)?, *op);
            Arc::new(move |row, ctx| {
                let (Some(x), Some(y)) = (a.get(row, ctx)?, b.get(row, ctx)?) else {
                    return Ok(Value::Null);
                };
                Ok(Value::Boolean(op.holds(x.cmp(&y))))
            })
        }
        (ScalarFunc::And | ScalarFunc::Or, _) => {
            let decisive = matches!(func, ScalarFunc::Or);
            let parts: Vec<Arc<EvalFn>> = args.iter().map(compile).collect();
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
        (ScalarFunc::IsNull | ScalarFunc::IsNotNull, [a]) => {
            let negated = matches!(func, ScalarFunc::IsNotNull);
            match a {
                BoundExpr::Column { index, .. } => {
                    let i = *index;
                    Arc::new(move |row, _| {
                        let null = row.get(i).is_none_or(Value::is_null);
                        Ok(Value::Boolean(null != negated))
                    })
                }
                _ => {
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

/// A string operand read in place when it is a column (no copy per row); `None` is `NULL`.
enum StrOperand {
    Column(usize),
    Expr(Arc<EvalFn>),
}

impl StrOperand {
    fn of(e: &BoundExpr) -> Self {
        match e {
            BoundExpr::Column { index, .. } => StrOperand::Column(*index),
            _ => StrOperand::Expr(compile(e)),
        }
    }

    #[inline]
    fn with<R>(&self, row: &Row, ctx: &EvalContext, f: impl FnOnce(Option<&str>) -> R) -> Result<R> {
        Ok(match self {
            StrOperand::Column(i) => f(row.get(*i).and_then(Value::as_str)),
            StrOperand::Expr(e) => f(e(row, ctx)?.as_str()),
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
    }
}
