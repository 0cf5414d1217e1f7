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
use super::func::ScalarFunc;
use super::functions::TimeFunc;
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

/// Whether both operands carry `i64`s of the same variant (two integers, or two timestamps
/// of the same kind), so comparing the numbers is comparing the values.
fn same_i64_variant(a: &BoundExpr, b: &BoundExpr) -> bool {
    let (x, y) = (&a.ty().kind, &b.ty().kind);
    (is_integer(x) && is_integer(y))
        || matches!((x, y), (TypeKind::Timestamp(_), TypeKind::Timestamp(_)))
        || matches!((x, y), (TypeKind::TimestampLtz(_), TypeKind::TimestampLtz(_)))
}
