//! The scalar functions and operators a [`BoundExpr`](super::BoundExpr) can call.

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `=`.
    Eq,
    /// `<>`.
    NotEq,
    /// `<`.
    Lt,
    /// `<=`.
    LtEq,
    /// `>`.
    Gt,
    /// `>=`.
    GtEq,
}

/// An arithmetic operator (operands already cast to the result's type family).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArithOp {
    /// `+`.
    Plus,
    /// `-`.
    Minus,
    /// `*`.
    Multiply,
    /// `/`.
    Divide,
    /// `%` / `MOD`.
    Modulo,
}

/// A built-in scalar function or operator.
#[derive(Debug, Clone, PartialEq)]
pub enum ScalarFunc {
    /// `NOT a`.
    Not,
    /// `a AND b AND ...` (three-valued).
    And,
    /// `a OR b OR ...` (three-valued).
    Or,
    /// `a IS NULL`.
    IsNull,
    /// `a IS NOT NULL`.
    IsNotNull,
    /// A comparison of two values of one comparable type.
    Compare(CmpOp),
    /// Arithmetic on two values of the result's type family.
    Arith(ArithOp),
    /// Unary minus.
    Negate,
    /// `CAST(a AS to)`; `try` for `TRY_CAST` (NULL instead of an error).
    Cast {
        /// Whether a failed cast is `NULL` rather than an error.
        try_cast: bool,
    },
    /// `CASE WHEN c1 THEN r1 ... ELSE e END`: arguments are `c1, r1, c2, r2, ..., e`.
    Case,
    /// `COALESCE(a, b, ...)`.
    Coalesce,
    /// `CURRENT_WATERMARK(rowtime)`: the operator's current watermark, NULL before the first.
    CurrentWatermark,
    /// `PROCTIME()`: the processing time when the row is evaluated.
    Proctime,
}

impl ScalarFunc {
    /// Whether the function's value depends on something other than its arguments (time,
    /// watermark), so it is never folded into a constant.
    pub fn is_deterministic(&self) -> bool {
        !matches!(self, ScalarFunc::CurrentWatermark | ScalarFunc::Proctime)
    }
}
