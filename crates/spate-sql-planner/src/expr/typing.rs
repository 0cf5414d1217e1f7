//! Flink's type rules for scalar expressions: type families, the least restrictive common type
//! of several expressions (`CASE`, `COALESCE`, comparisons, `IN`), implicit conversions
//! ([`coerce`]), the result types of arithmetic (`LogicalTypeMerging` in Flink: DECIMAL
//! precision and scale), and which explicit `CAST`s exist.
//!
//! An untyped `NULL` literal ([`is_untyped_null`]) has no type of its own: it takes the type of
//! the expressions around it.

use super::BoundExpr;
use super::arith_op::ArithOp;
use crate::error::{Result, SqlError};
use crate::types::{DataType, MAX_DECIMAL_PRECISION, TypeKind};
use crate::value::Value;

/// Whether `e` is the untyped `NULL` literal (typed `NULL`s are `CAST(NULL AS t)` calls).
pub(crate) fn is_untyped_null(e: &BoundExpr) -> bool {
    matches!(
        e,
        BoundExpr::Literal {
            value: Value::Null,
            ..
        }
    )
}

/// Whether a type is an exact integer (`TINYINT` .. `BIGINT`).
pub(crate) fn is_integer(k: &TypeKind) -> bool {
    matches!(
        k,
        TypeKind::TinyInt | TypeKind::SmallInt | TypeKind::Int | TypeKind::BigInt
    )
}

/// Whether a type is numeric (integers, `DECIMAL`, `FLOAT`, `DOUBLE`).
pub(crate) fn is_numeric(k: &TypeKind) -> bool {
    numeric_rank(k).is_some()
}

/// Whether a type is a character string.
pub(crate) fn is_string(k: &TypeKind) -> bool {
    matches!(k, TypeKind::Char(_) | TypeKind::Varchar(_))
}

/// Whether a type is `BINARY` or `VARBINARY` (`BYTES`).
pub(crate) fn is_binary(k: &TypeKind) -> bool {
    matches!(k, TypeKind::Binary(_) | TypeKind::Varbinary(_))
}

/// Whether a type is `TIMESTAMP` or `TIMESTAMP_LTZ`.
pub(crate) fn is_timestamp(k: &TypeKind) -> bool {
    matches!(k, TypeKind::Timestamp(_) | TypeKind::TimestampLtz(_))
}

/// Whether a type is `DATE`, `TIMESTAMP` or `TIMESTAMP_LTZ`.
pub(crate) fn is_datetime(k: &TypeKind) -> bool {
    matches!(k, TypeKind::Date) || is_timestamp(k)
}

fn numeric_rank(k: &TypeKind) -> Option<u8> {
    Some(match k {
        TypeKind::TinyInt => 1,
        TypeKind::SmallInt => 2,
        TypeKind::Int => 3,
        TypeKind::BigInt => 4,
        TypeKind::Decimal { .. } => 5,
        TypeKind::Float => 6,
        TypeKind::Double => 7,
        _ => return None,
    })
}

/// `(precision, scale)` of an exact numeric type as a `DECIMAL` (`INT` is `DECIMAL(10, 0)`).
pub(crate) fn as_decimal(k: &TypeKind) -> Option<(u32, u32)> {
    Some(match k {
        TypeKind::TinyInt => (3, 0),
        TypeKind::SmallInt => (5, 0),
        TypeKind::Int => (10, 0),
        TypeKind::BigInt => (19, 0),
        TypeKind::Decimal { precision, scale } => (*precision, *scale),
        _ => return None,
    })
}

/// The scale of a `DECIMAL` type (0 for anything else).
pub(crate) fn decimal_scale(k: &TypeKind) -> u32 {
    match k {
        TypeKind::Decimal { scale, .. } => *scale,
        _ => 0,
    }
}

/// A `DECIMAL` type with Flink's bound on precision: past 38 digits the scale gives way, down
/// to 6 (`LogicalTypeMerging.adjustPrecisionScale`).
pub(crate) fn decimal(precision: u32, scale: u32) -> TypeKind {
    if precision <= MAX_DECIMAL_PRECISION {
        return TypeKind::Decimal {
            precision: precision.max(1),
            scale,
        };
    }
    let int_digits = precision - scale;
    let scale = MAX_DECIMAL_PRECISION.saturating_sub(int_digits).max(scale.min(6));
    TypeKind::Decimal {
        precision: MAX_DECIMAL_PRECISION,
        scale,
    }
}

/// The `DECIMAL` result of `op` on two exact numerics, as Flink's `LogicalTypeMerging` derives
/// it.
pub(crate) fn decimal_arith_type(op: ArithOp, (p1, s1): (u32, u32), (p2, s2): (u32, u32)) -> TypeKind {
    match op {
        ArithOp::Plus | ArithOp::Minus => {
            let scale = s1.max(s2);
            decimal((p1 - s1).max(p2 - s2) + scale + 1, scale)
        }
        // One more digit than Calcite's p1 + p2 (Flink run 2: DECIMAL(10, 2) * DECIMAL(5, 3) is
        // DECIMAL(16, 5)).
        ArithOp::Multiply => decimal(p1 + p2 + 1, s1 + s2),
        ArithOp::Divide => {
            let scale = 6.max(s1 + p2 + 1);
            decimal(p1 - s1 + s2 + scale, scale)
        }
        ArithOp::Modulo => {
            let scale = s1.max(s2);
            decimal((p1 - s1).min(p2 - s2) + scale, scale)
        }
    }
}

/// The numeric result type of `op` on two numeric types (NULL-ability aside).
pub(crate) fn numeric_arith_type(op: ArithOp, l: &TypeKind, r: &TypeKind) -> Option<TypeKind> {
    let (rl, rr) = (numeric_rank(l)?, numeric_rank(r)?);
    Some(match (l, r) {
        (TypeKind::Double, _) | (_, TypeKind::Double) => TypeKind::Double,
        (TypeKind::Float, TypeKind::Decimal { .. }) | (TypeKind::Decimal { .. }, TypeKind::Float) => {
            TypeKind::Double
        }
        (TypeKind::Float, _) | (_, TypeKind::Float) => TypeKind::Float,
        (TypeKind::Decimal { .. }, _) | (_, TypeKind::Decimal { .. }) => {
            decimal_arith_type(op, as_decimal(l)?, as_decimal(r)?)
        }
        _ if op == ArithOp::Modulo => r.clone(),
        _ => {
            if rl >= rr {
                l.clone()
            } else {
                r.clone()
            }
        }
    })
}

/// The least restrictive type of two types (Flink's `LogicalTypeMerging.findCommonType`), or
/// `None` when they have none.
pub(crate) fn common_kind(a: &TypeKind, b: &TypeKind) -> Option<TypeKind> {
    Some(match (a, b) {
        (x, y) if x == y => x.clone(),
        (TypeKind::Varchar(x) | TypeKind::Char(x), TypeKind::Varchar(y) | TypeKind::Char(y)) => {
            TypeKind::Varchar((*x).max(*y))
        }
        (TypeKind::Binary(x) | TypeKind::Varbinary(x), TypeKind::Binary(y) | TypeKind::Varbinary(y)) => {
            TypeKind::Varbinary((*x).max(*y))
        }
        (TypeKind::Timestamp(x), TypeKind::Timestamp(y)) => TypeKind::Timestamp((*x).max(*y)),
        (TypeKind::TimestampLtz(x), TypeKind::TimestampLtz(y)) => TypeKind::TimestampLtz((*x).max(*y)),
        (TypeKind::Timestamp(x), TypeKind::TimestampLtz(y))
        | (TypeKind::TimestampLtz(x), TypeKind::Timestamp(y)) => TypeKind::TimestampLtz((*x).max(*y)),
        (TypeKind::Date, TypeKind::Timestamp(p)) | (TypeKind::Timestamp(p), TypeKind::Date) => {
            TypeKind::Timestamp(*p)
        }
        (TypeKind::Date, TypeKind::TimestampLtz(p)) | (TypeKind::TimestampLtz(p), TypeKind::Date) => {
            TypeKind::TimestampLtz(*p)
        }
        (TypeKind::Time(x), TypeKind::Time(y)) => TypeKind::Time((*x).max(*y)),
        (TypeKind::Array(x), TypeKind::Array(y)) => TypeKind::Array(Box::new(common_type2(x, y)?)),
        (TypeKind::Multiset(x), TypeKind::Multiset(y)) => TypeKind::Multiset(Box::new(common_type2(x, y)?)),
        (TypeKind::Map(k1, v1), TypeKind::Map(k2, v2)) => {
            TypeKind::Map(Box::new(common_type2(k1, k2)?), Box::new(common_type2(v1, v2)?))
        }
        (x, y) => {
            let (rx, ry) = (numeric_rank(x)?, numeric_rank(y)?);
            match (x, y) {
                (TypeKind::Double, _) | (_, TypeKind::Double) => TypeKind::Double,
                (TypeKind::Float, TypeKind::Decimal { .. }) | (TypeKind::Decimal { .. }, TypeKind::Float) => {
                    TypeKind::Double
                }
                (TypeKind::Float, _) | (_, TypeKind::Float) => TypeKind::Float,
                (TypeKind::Decimal { .. }, _) | (_, TypeKind::Decimal { .. }) => {
                    let (p1, s1) = as_decimal(x)?;
                    let (p2, s2) = as_decimal(y)?;
                    let scale = s1.max(s2);
                    decimal((p1 - s1).max(p2 - s2) + scale, scale)
                }
                _ if rx >= ry => x.clone(),
                _ => y.clone(),
            }
        }
    })
}

fn common_type2(a: &DataType, b: &DataType) -> Option<DataType> {
    Some(DataType {
        kind: common_kind(&a.kind, &b.kind)?,
        nullable: a.nullable || b.nullable,
    })
}

/// The type every one of `types` converts to implicitly (Flink's least restrictive type).
pub(crate) fn common_type<'a>(types: impl Iterator<Item = &'a DataType>, what: &str) -> Result<DataType> {
    let mut acc: Option<DataType> = None;
    for t in types {
        acc = Some(match acc {
            None => t.clone(),
            Some(a) => common_type2(&a, t).ok_or_else(|| {
                SqlError::validation(
                    format!("{what}: {} and {} have no common type", a.kind, t.kind),
                    None,
                )
            })?,
        });
    }
    acc.ok_or_else(|| SqlError::validation(format!("{what} needs at least one argument"), None))
}

/// The common type of expressions, untyped `NULL`s aside (they take it); `None` when every
/// expression is an untyped `NULL`. The result is nullable when any expression is.
pub(crate) fn common_type_of(exprs: &[&BoundExpr], what: &str) -> Result<Option<DataType>> {
    let typed = exprs.iter().filter(|e| !is_untyped_null(e)).map(|e| e.ty());
    if exprs.iter().all(|e| is_untyped_null(e)) {
        return Ok(None);
    }
    let mut ty = common_type(typed, what)?;
    ty.nullable = exprs.iter().any(|e| e.ty().nullable);
    Ok(Some(ty))
}

/// Whether Flink has an explicit `CAST` from `from` to `to`.
pub(crate) fn can_cast(from: &TypeKind, to: &TypeKind) -> bool {
    use TypeKind as K;
    if from == to || is_string(to) {
        return true;
    }
    let num = is_numeric;
    match (from, to) {
        (f, t) if num(f) && num(t) => true,
        (f, K::Boolean) if num(f) => true,
        (K::Boolean, t) if num(t) => true,
        (f, _) if is_string(f) => !matches!(to, K::Array(_) | K::Multiset(_) | K::Map(..) | K::Row(_)),
        (K::Binary(_) | K::Varbinary(_), K::Binary(_) | K::Varbinary(_)) => true,
        (K::Date | K::Timestamp(_) | K::TimestampLtz(_), K::Timestamp(_) | K::TimestampLtz(_)) => true,
        (K::Timestamp(_) | K::TimestampLtz(_), K::Date | K::Time(_)) => true,
        (K::Time(_), K::Time(_) | K::Timestamp(_) | K::TimestampLtz(_)) => true,
        (K::Array(a), K::Array(b)) => can_cast(&a.kind, &b.kind),
        (K::Row(a), K::Row(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| can_cast(&x.ty.kind, &y.ty.kind))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(p: u32, s: u32) -> (u32, u32) {
        (p, s)
    }

    #[test]
    fn decimal_arithmetic_types_follow_logical_type_merging() {
        let d = |k: TypeKind| match k {
            TypeKind::Decimal { precision, scale } => (precision, scale),
            other => panic!("{other}"),
        };
        // Flink run 2. DECIMAL(10,2) + DECIMAL(5,3): scale 3, 8 integer digits + 1.
        assert_eq!(
            d(decimal_arith_type(ArithOp::Plus, dec(10, 2), dec(5, 3))),
            (12, 3)
        );
        assert_eq!(
            d(decimal_arith_type(ArithOp::Multiply, dec(10, 2), dec(5, 3))),
            (16, 5)
        );
        assert_eq!(
            d(decimal_arith_type(ArithOp::Multiply, dec(10, 2), dec(10, 2))),
            (21, 4)
        );
        assert_eq!(
            d(decimal_arith_type(ArithOp::Divide, dec(10, 2), dec(10, 0))),
            (21, 13)
        );
        assert_eq!(
            d(decimal_arith_type(ArithOp::Divide, dec(10, 2), dec(5, 3))),
            (19, 8)
        );
        // Capped at 38 with the scale giving way, but not below 6.
        assert_eq!(
            d(decimal_arith_type(ArithOp::Divide, dec(38, 10), dec(38, 10))),
            (38, 6)
        );
        assert_eq!(
            d(decimal_arith_type(ArithOp::Multiply, dec(38, 2), dec(38, 10))),
            (38, 6)
        );
    }

    #[test]
    fn common_types() {
        assert_eq!(
            common_kind(&TypeKind::Int, &TypeKind::BigInt),
            Some(TypeKind::BigInt)
        );
        assert_eq!(
            common_kind(
                &TypeKind::Int,
                &TypeKind::Decimal {
                    precision: 2,
                    scale: 1
                }
            ),
            Some(TypeKind::Decimal {
                precision: 11,
                scale: 1
            })
        );
        assert_eq!(common_kind(&TypeKind::Int, &TypeKind::Boolean), None);
        // Flink run 1: CASE .. THEN 'a' ELSE 'bcd' is a VARCHAR(3) ('a' is not padded).
        assert_eq!(
            common_kind(&TypeKind::Char(1), &TypeKind::Char(3)),
            Some(TypeKind::Varchar(3))
        );
    }
}
