//! Building bound calls: the small constructors and argument checks that the binder's files
//! (`bind`, `operators`) share, kept in a leaf so those files do not import each other.

use super::BoundExpr;
use super::coerce::coerce;
use super::func::ScalarFunc;
use super::typing::{is_string, is_untyped_null};
use crate::error::{Result, SqlError};
use crate::types::{DataType, MAX_LENGTH, TypeKind};

pub(super) fn call(func: ScalarFunc, args: Vec<BoundExpr>, ty: DataType) -> BoundExpr {
    BoundExpr::Call { func, args, ty }
}

pub(super) fn boolean(nullable: bool) -> DataType {
    DataType {
        kind: TypeKind::Boolean,
        nullable,
    }
}

pub(super) fn nullable_like(kind: TypeKind, args: &[&BoundExpr]) -> DataType {
    DataType {
        kind,
        nullable: args.iter().any(|a| a.ty().nullable),
    }
}

/// A type for messages: `NULL` for the untyped `NULL`.
pub(super) fn describe(e: &BoundExpr) -> String {
    if is_untyped_null(e) {
        "NULL".into()
    } else {
        e.ty().kind.to_string()
    }
}

pub(super) fn not(e: BoundExpr) -> BoundExpr {
    let ty = e.ty().clone();
    call(ScalarFunc::Not, vec![e], ty)
}

pub(super) fn logical(f: ScalarFunc, args: Vec<BoundExpr>) -> BoundExpr {
    let nullable = args.iter().any(|a| a.ty().nullable);
    call(f, args, boolean(nullable))
}

pub(super) fn expect_boolean(e: BoundExpr, what: &str) -> Result<BoundExpr> {
    if is_untyped_null(&e) {
        return Ok(coerce(e, &boolean(true)));
    }
    match e.ty().kind {
        TypeKind::Boolean => Ok(e),
        _ => Err(SqlError::validation(
            format!("{what} takes a BOOLEAN, not {}", e.ty().kind),
            None,
        )),
    }
}

pub(super) fn expect_string(e: BoundExpr, what: &str) -> Result<BoundExpr> {
    if is_untyped_null(&e) {
        return Ok(coerce(e, &DataType::new(TypeKind::Varchar(MAX_LENGTH))));
    }
    if is_string(&e.ty().kind) {
        Ok(e)
    } else {
        Err(SqlError::validation(
            format!("{what} takes a STRING, not {}", e.ty().kind),
            None,
        ))
    }
}
