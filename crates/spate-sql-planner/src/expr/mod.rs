//! Bound scalar expressions: typed, with every name resolved to a column index, ready to
//! evaluate row at a time.
//!
//! [`bind`] turns an [`ast::Expr`](crate::ast::Expr) into a [`BoundExpr`] with Flink's type
//! rules (implicit casts, result types, NULL-ability); a [`Scope`] resolves column names and
//! lets the query binder substitute group keys and aggregate results. [`BoundExpr::eval`]
//! computes the value for one row with SQL's three-valued logic.
//!
//! Contract: an expression that binds never fails to evaluate because of its types; it fails
//! only on data (division by zero, a `CAST` of a string that is not a number), with an
//! [`EvalError`] naming the function and the value.
//!
//! An untyped `NULL` literal is a [`BoundExpr::Literal`] holding `Value::Null`; it takes the
//! type of its context (`CASE`, comparisons, `COALESCE`, function arguments). Typed `NULL`s
//! (`CAST(NULL AS INT)`) are `Cast` calls. Flink rejects an untyped `NULL` in arithmetic and
//! `||`, and so does the binder.
//!
//! Modules: `bind` (special forms), `operators`, `literal`, `functions` (named functions, one
//! file per family), `typing` (Flink's type algebra), `cast` (the `CAST` matrix and text
//! forms), `eval`.
//!
//! Results and types were checked against three batched runs of Flink 2.3 (see
//! spate-sql's `tests/it/expr.rs`). Where Spate differs from Flink, on purpose:
//! - `arr[i]` past the end is `NULL` and `arr[0]` an error (Flink reads garbage or fails).
//! - `1 IN ('a', 'b')` is a validation error (Flink fails at run time parsing `'a'`).
//! - A `DECIMAL` that overflows is `NULL` even where Flink's type says `NOT NULL` (Flink then
//!   fails its NOT NULL check); `CAST(-0.0e0 AS STRING)` is `-0.0` (Flink folds it to `0.0`).
//! - Regular expressions use the `regex` crate's syntax: Java-only constructs (look-around,
//!   back-references) count as invalid patterns (`NULL`, or `FALSE` for `REGEXP`).
//! - `JSON_VALUE` numbers come back as written (`1e2` stays `1e2`; Flink writes `1E+2`).
//! - `RAND()` is a per-thread xorshift sequence, not Java's `Random`.

mod arith;
mod arith_op;
mod bind;
mod cast;
mod coerce;
mod compile;
mod const_divisor;
mod construct;
mod context;
mod cost;
mod eval;
mod func;
mod functions;
mod int_expr;
mod literal;
mod operators;
mod typing;
pub mod udf;

pub use arith_op::ArithOp;
pub use bind::{Scope, bind, bind_field};
pub use compile::CompiledExpr;
pub use context::{EvalContext, EvalError};
pub use func::{CmpOp, Compiled, RegexKind, ScalarFunc};
pub use functions::{JsonPath, MathFunc, StringFunc, TimeFunc};
pub use literal::bind_literal_interval;
pub use udf::{ScalarUdf, UdfBody};

#[allow(unused_imports)]
pub use cast::{cast, to_text, wrap_i64, wrap_int};
#[allow(unused_imports)]
pub use coerce::coerce;
#[allow(unused_imports)]
pub use eval::compare;
pub use functions::parse_with_pattern;
pub use int_expr::IntExpr;
#[allow(unused_imports)] // The query binder and planner use these.
pub(crate) use literal::interval_millis;
pub(crate) use typing::{can_cast, common_type};

use crate::types::DataType;
use crate::value::Value;
use crate::zone::SessionZone;

/// A typed scalar expression over the columns of one input row.
#[derive(Debug, Clone, PartialEq)]
pub enum BoundExpr {
    /// The input row's column `index`.
    Column {
        /// Position in the input row.
        index: usize,
        /// The column's type.
        ty: DataType,
    },
    /// A constant.
    Literal {
        /// The value (`Value::Null` for a typed `NULL`).
        value: Value,
        /// Its type.
        ty: DataType,
    },
    /// A function or operator applied to arguments (which already have the types the function
    /// takes: implicit casts are explicit `Cast` calls here).
    Call {
        /// The function.
        func: ScalarFunc,
        /// Its arguments.
        args: Vec<BoundExpr>,
        /// The result type.
        ty: DataType,
    },
}

impl BoundExpr {
    /// The expression's type.
    pub fn ty(&self) -> &DataType {
        match self {
            BoundExpr::Column { ty, .. } | BoundExpr::Literal { ty, .. } | BoundExpr::Call { ty, .. } => ty,
        }
    }

    /// The column index when the expression is a bare column reference.
    pub fn as_column(&self) -> Option<usize> {
        match self {
            BoundExpr::Column { index, .. } => Some(*index),
            _ => None,
        }
    }

    /// The path to the value the expression reads when it is a column or a field of one, at any
    /// depth (`bid.price`: the column, then the field), seen through casts that change no value:
    /// evaluating it is just picking that value out of the row (`NULL` where a row on the way
    /// is `NULL`). Casts are judged in the session's `zone`.
    pub fn as_passthrough_path(&self, zone: SessionZone) -> Option<Vec<usize>> {
        self.path_through(&|from, to| cast::preserves_values_in(from, to, zone))
    }

    /// [`as_passthrough_path`](Self::as_passthrough_path) with the casts that change no value
    /// judged by `preserves` (compiled expressions, which know no session zone, use
    /// [`cast::preserves_values`]).
    pub(crate) fn path_through(
        &self,
        preserves: &impl Fn(&crate::types::TypeKind, &crate::types::TypeKind) -> bool,
    ) -> Option<Vec<usize>> {
        match self {
            BoundExpr::Column { index, .. } => Some(vec![*index]),
            BoundExpr::Call {
                func: ScalarFunc::Field(f),
                args,
                ..
            } => match args.as_slice() {
                [arg] => {
                    let mut path = arg.path_through(preserves)?;
                    path.push(*f);
                    Some(path)
                }
                _ => None,
            },
            BoundExpr::Call {
                func: ScalarFunc::Cast { .. },
                args,
                ty,
            } => match args.as_slice() {
                [arg] if preserves(&arg.ty().kind, &ty.kind) => arg.path_through(preserves),
                _ => None,
            },
            _ => None,
        }
    }

    /// The column index when the expression is a column, or a cast of one that never changes a
    /// value (integer widening, a nullability change, ...; judged in the session's `zone`):
    /// evaluating it is just picking.
    pub fn as_passthrough_column(&self, zone: SessionZone) -> Option<usize> {
        match self.as_passthrough_path(zone)?.as_slice() {
            [column] => Some(*column),
            _ => None,
        }
    }

    /// The column index when the expression is a column, or a cast of one that returns every
    /// value unchanged in any session zone (integer widening, a nullability change, ...: Flink's
    /// fidelity casts, through which a unique column stays unique).
    pub fn as_unchanged_column(&self) -> Option<usize> {
        match self.path_through(&cast::preserves_values)?.as_slice() {
            [column] => Some(*column),
            _ => None,
        }
    }

    /// The value of a constant expression (no column, no non-deterministic function).
    pub fn as_literal(&self) -> Option<&Value> {
        match self {
            BoundExpr::Literal { value, .. } => Some(value),
            _ => None,
        }
    }

    /// Whether the expression reads no column and calls only deterministic functions.
    pub fn is_constant(&self) -> bool {
        match self {
            BoundExpr::Column { .. } => false,
            BoundExpr::Literal { .. } => true,
            BoundExpr::Call { func, args, .. } => {
                func.is_deterministic() && args.iter().all(BoundExpr::is_constant)
            }
        }
    }

    /// Whether the expression calls, at any depth, a function for which `f` holds.
    pub fn calls(&self, f: &impl Fn(&ScalarFunc) -> bool) -> bool {
        match self {
            BoundExpr::Call { func, args, .. } => f(func) || args.iter().any(|a| a.calls(f)),
            BoundExpr::Column { .. } | BoundExpr::Literal { .. } => false,
        }
    }

    /// The value of a constant expression ([`is_constant`](Self::is_constant)), computed now;
    /// `None` when it is not constant or fails to evaluate.
    pub fn constant_value(&self) -> Option<Value> {
        if !self.is_constant() {
            return None;
        }
        self.eval(&Vec::new(), &EvalContext::default()).ok()
    }

    /// Calls `f` on every column index the expression reads.
    pub fn visit_columns(&self, f: &mut impl FnMut(usize)) {
        match self {
            BoundExpr::Column { index, .. } => f(*index),
            BoundExpr::Literal { .. } => {}
            BoundExpr::Call { args, .. } => args.iter().for_each(|a| a.visit_columns(f)),
        }
    }

    /// The same expression with every column `i` replaced by `columns[i]` (an expression over
    /// the rows `columns` are computed from): an expression over a projection's output,
    /// rewritten over its input. A column out of range stays as it is.
    pub fn substitute_columns(&self, columns: &[BoundExpr]) -> BoundExpr {
        match self {
            BoundExpr::Column { index, .. } => match columns.get(*index) {
                Some(e) => e.clone(),
                None => self.clone(),
            },
            BoundExpr::Literal { .. } => self.clone(),
            BoundExpr::Call { func, args, ty } => BoundExpr::Call {
                func: func.clone(),
                args: args.iter().map(|a| a.substitute_columns(columns)).collect(),
                ty: ty.clone(),
            },
        }
    }

    /// The same expression with every column index mapped through `f`.
    pub fn map_columns(&self, f: &impl Fn(usize) -> usize) -> BoundExpr {
        match self {
            BoundExpr::Column { index, ty } => BoundExpr::Column {
                index: f(*index),
                ty: ty.clone(),
            },
            BoundExpr::Literal { .. } => self.clone(),
            BoundExpr::Call { func, args, ty } => BoundExpr::Call {
                func: func.clone(),
                args: args.iter().map(|a| a.map_columns(f)).collect(),
                ty: ty.clone(),
            },
        }
    }
}
