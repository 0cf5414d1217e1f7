//! What an expression costs to evaluate, roughly, and whether it can fail: enough to run the
//! cheap operands of an `AND` or `OR` first when the order cannot change the result (as
//! PostgreSQL orders a scan's conditions by cost).
//!
//! Nexmark q21 filters on `REGEXP_EXTRACT(url, ..) IS NOT NULL OR LOWER(channel) IN (..)`;
//! the second operand holds for 99 % of bids, so testing it first skips the regular
//! expression for almost every row.

use super::{BoundExpr, RegexKind, ScalarFunc, StringFunc};

impl BoundExpr {
    /// A rough cost of evaluating the expression once, in units of a simple operator.
    pub(crate) fn cost(&self) -> u32 {
        match self {
            BoundExpr::Column { .. } | BoundExpr::Literal { .. } => 0,
            BoundExpr::Call { func, args, .. } => {
                let own = match func {
                    // Reading a field or skipping a cast that changes nothing.
                    ScalarFunc::Field(_) | ScalarFunc::Cast { .. } => 0,
                    ScalarFunc::Regex { .. } => 100,
                    ScalarFunc::Like { .. } => 20,
                    ScalarFunc::String(_) => 5,
                    _ => 1,
                };
                args.iter().fold(own, |sum, a| sum.saturating_add(a.cost()))
            }
        }
    }

    /// Whether evaluating the expression can neither fail (division by zero, a bad cast, a
    /// string past the size limit) nor observe how often or in which order it runs (the clock,
    /// `RAND`, a user function): then whether it is evaluated, and when, changes nothing but
    /// time.
    pub(crate) fn never_fails(&self) -> bool {
        match self {
            BoundExpr::Column { .. } | BoundExpr::Literal { .. } => true,
            BoundExpr::Call { func, args, ty } => {
                let safe = match func {
                    ScalarFunc::Not
                    | ScalarFunc::And
                    | ScalarFunc::Or
                    | ScalarFunc::IsNull
                    | ScalarFunc::IsNotNull
                    | ScalarFunc::IsBool { .. }
                    | ScalarFunc::IsDistinctFrom { .. }
                    | ScalarFunc::Compare(_)
                    | ScalarFunc::Case
                    | ScalarFunc::Coalesce
                    | ScalarFunc::Field(_) => true,
                    ScalarFunc::Cast { .. } => {
                        matches!(args.as_slice(), [a] if super::cast::preserves_values(&a.ty().kind, &ty.kind))
                    }
                    // A pattern that is not constant may be invalid: an error.
                    ScalarFunc::Like { compiled, .. } => compiled.is_some(),
                    // An invalid pattern gives NULL; only REGEXP_REPLACE builds a string that
                    // may pass the size limit.
                    ScalarFunc::Regex { kind, .. } => *kind != RegexKind::Replace,
                    ScalarFunc::String(f) => matches!(
                        f,
                        StringFunc::Lower
                            | StringFunc::Upper
                            | StringFunc::CharLength
                            | StringFunc::Trim { .. }
                    ),
                    _ => false,
                };
                safe && args.iter().all(BoundExpr::never_fails)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::{ArithOp, CmpOp};
    use crate::types::{DataType, TypeKind};
    use crate::value::Value;

    fn int(i: i64) -> BoundExpr {
        BoundExpr::Literal {
            value: Value::Int(i),
            ty: DataType::new(TypeKind::BigInt),
        }
    }

    fn call(func: ScalarFunc, args: Vec<BoundExpr>) -> BoundExpr {
        BoundExpr::Call {
            func,
            args,
            ty: DataType::new(TypeKind::BigInt),
        }
    }

    #[test]
    fn division_casts_and_the_clock_can_fail_or_observe_their_order() {
        let column = BoundExpr::Column {
            index: 0,
            ty: DataType::new(TypeKind::BigInt),
        };
        let compare = call(ScalarFunc::Compare(CmpOp::Lt), vec![column.clone(), int(3)]);
        assert!(compare.never_fails());
        let divide = call(ScalarFunc::Arith(ArithOp::Divide), vec![int(1), column]);
        assert!(!call(ScalarFunc::Compare(CmpOp::Lt), vec![divide, int(3)]).never_fails());
        assert!(!call(ScalarFunc::Rand, vec![]).never_fails());
        let narrowing = BoundExpr::Call {
            func: ScalarFunc::Cast { try_cast: false },
            args: vec![int(300)],
            ty: DataType::new(TypeKind::TinyInt),
        };
        assert!(!narrowing.never_fails());
    }
}
