//! Implicit conversions as expressions: [`coerce`] wraps an expression in the `CAST` Flink's
//! rules call for ([`super::typing`] decides which), folding a cast of a literal into its value
//! once, at bind time, instead of per row.

use super::BoundExpr;
use super::func::{ScalarFunc, TimeFunc};
use super::typing::is_untyped_null;
use crate::types::{DataType, TypeKind};
use crate::value::Value;

/// `e` converted to `ty` (a no-op when it has that type already, NULL-ability aside; an
/// untyped `NULL` just takes the type).
pub fn coerce(e: BoundExpr, ty: &DataType) -> BoundExpr {
    if is_untyped_null(&e) {
        return BoundExpr::Literal {
            value: Value::Null,
            ty: DataType {
                kind: ty.kind.clone(),
                nullable: true,
            },
        };
    }
    if e.ty().kind == ty.kind {
        return e;
    }
    let mut to = ty.clone();
    to.nullable = e.ty().nullable;
    // A literal is cast once here, not per row (`0.908 * price > 1000000` compares with the
    // DECIMAL 1000000): `fold` keeps the cast when it fails or depends on the session zone.
    fold(BoundExpr::Call {
        func: ScalarFunc::Cast { try_cast: false },
        args: vec![e],
        ty: to,
    })
}

/// A call on literals replaced by its value.
pub(super) fn fold(e: BoundExpr) -> BoundExpr {
    let BoundExpr::Call { func, args, ty } = &e else {
        return e;
    };
    let on_literals = args
        .iter()
        .all(|a| matches!(a, BoundExpr::Literal { .. }) && !is_untyped_null(a));
    if !func.is_deterministic() || !on_literals || reads_session_zone(func, args, ty) {
        return e;
    }
    match e.eval(&Vec::new(), &super::EvalContext::default()) {
        Ok(value) if !value.is_null() => BoundExpr::Literal {
            value,
            ty: ty.clone(),
        },
        _ => e,
    }
}

/// Whether a call's value depends on `table.local-time-zone`, which binding does not know (the
/// zone is the one in force when the job runs): it touches a `TIMESTAMP_LTZ`, or formats or
/// parses epoch seconds.
fn reads_session_zone(func: &ScalarFunc, args: &[BoundExpr], ty: &DataType) -> bool {
    let ltz = |t: &DataType| matches!(t.kind, TypeKind::TimestampLtz(_));
    ltz(ty)
        || args.iter().any(|a| ltz(a.ty()))
        || matches!(
            func,
            ScalarFunc::Time(TimeFunc::FromUnixtime | TimeFunc::UnixTimestamp)
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_are_coerced_once_not_per_row() {
        let int = |v: i64| BoundExpr::Literal {
            value: Value::Int(v),
            ty: DataType::new(TypeKind::Int).not_null(),
        };
        let decimal = DataType::new(TypeKind::Decimal {
            precision: 13,
            scale: 3,
        });
        assert!(matches!(
            coerce(int(1_000_000), &decimal),
            BoundExpr::Literal {
                value: Value::Decimal(1_000_000_000),
                ..
            }
        ));
        // Zone-dependent casts are left for the job's session zone.
        let ts = BoundExpr::Literal {
            value: Value::Timestamp(0),
            ty: DataType::new(TypeKind::Timestamp(3)),
        };
        assert!(matches!(
            coerce(ts, &DataType::new(TypeKind::TimestampLtz(3))),
            BoundExpr::Call { .. }
        ));
    }
}
