//! Conditional and collection functions: `IF`, `IFNULL`, `NULLIF`, `COALESCE`, `GREATEST`,
//! `LEAST`, `CARDINALITY`, `ROW`, `HASH_CODE`. Arguments meet at their least restrictive
//! common type (`IF(TRUE, 1, 2.5)` is a `DECIMAL`, as in Flink).

use super::{Arg, Call};
use crate::error::{Result, SqlError};
use crate::expr::BoundExpr;
use crate::expr::coerce::coerce;
use crate::expr::func::ScalarFunc;
use crate::expr::typing::{common_type_of, is_untyped_null};
use crate::ident::Ident;
use crate::types::{DataType, RowField, TypeKind};

/// The names bound here.
pub(super) const NAMES: &[&str] = &[
    "IF",
    "IFNULL",
    "NULLIF",
    "COALESCE",
    "GREATEST",
    "LEAST",
    "CARDINALITY",
    "ROW",
    "HASH_CODE",
    "TYPEOF",
    "CURRENT_DATABASE",
];

/// A `STRING NOT NULL` constant.
fn text_constant(text: String) -> BoundExpr {
    BoundExpr::Literal {
        value: crate::value::Value::String(text),
        ty: DataType::new(TypeKind::Varchar(crate::types::MAX_LENGTH)).not_null(),
    }
}

/// The arguments converted to their common type, and that type.
fn unify(c: &mut Call, what: &str) -> Result<DataType> {
    let refs: Vec<&BoundExpr> = c.args.iter().collect();
    let ty = common_type_of(&refs, what)
        .map_err(|e| match e {
            SqlError::Validation { message, .. } => SqlError::validation(message, c.pos),
            other => other,
        })?
        .ok_or_else(|| {
            SqlError::validation(
                format!("{what} needs an argument with a type, not only NULLs"),
                c.pos,
            )
        })?;
    c.args = std::mem::take(&mut c.args)
        .into_iter()
        .map(|a| coerce(a, &ty))
        .collect();
    Ok(ty)
}

pub(super) fn bind(mut c: Call) -> Result<BoundExpr> {
    match c.name.as_str() {
        "IF" => {
            if c.args.len() != 3 {
                return Err(c.mismatch("(BOOLEAN, T, T)"));
            }
            let cond = c.args.remove(0);
            // Flink rejects an untyped NULL condition ("Illegal use of 'NULL'", run 2).
            let cond = if cond.ty().kind == TypeKind::Boolean && !is_untyped_null(&cond) {
                cond
            } else {
                c.args.insert(0, cond);
                return Err(c.mismatch("(BOOLEAN, T, T)"));
            };
            let mut ty = unify(&mut c, "IF")?;
            // Flink types IF as nullable when its condition is (run 2: IF(b, 1, 2.5)).
            ty.nullable = ty.nullable || cond.ty().nullable;
            let mut args = vec![cond];
            args.append(&mut c.args);
            Ok(BoundExpr::Call {
                func: ScalarFunc::Case,
                args,
                ty,
            })
        }
        "IFNULL" | "COALESCE" => {
            if c.args.is_empty() || (c.name == "IFNULL" && c.args.len() != 2) {
                return Err(c.mismatch(if c.name == "IFNULL" { "(T, T)" } else { "(T, ...)" }));
            }
            let name = c.name.clone();
            let mut ty = unify(&mut c, &name)?;
            ty.nullable = c.args.iter().all(|a| a.ty().nullable);
            Ok(BoundExpr::Call {
                func: ScalarFunc::Coalesce,
                args: c.args,
                ty,
            })
        }
        "NULLIF" => {
            if c.args.len() != 2 {
                return Err(c.mismatch("(T, T)"));
            }
            let mut ty = unify(&mut c, "NULLIF")?;
            ty.nullable = true;
            Ok(BoundExpr::Call {
                func: ScalarFunc::NullIf,
                args: c.args,
                ty,
            })
        }
        "GREATEST" | "LEAST" => {
            if c.args.is_empty() {
                return Err(c.mismatch("(T, ...)"));
            }
            let name = c.name.clone();
            let ty = unify(&mut c, &name)?;
            let f = if name == "GREATEST" {
                ScalarFunc::Greatest
            } else {
                ScalarFunc::Least
            };
            Ok(BoundExpr::Call {
                func: f,
                args: c.args,
                ty,
            })
        }
        "CARDINALITY" => {
            if c.args.len() != 1
                || !matches!(
                    c.args[0].ty().kind,
                    TypeKind::Array(_) | TypeKind::Map(..) | TypeKind::Multiset(_)
                )
            {
                return Err(c.mismatch("(ARRAY or MAP)"));
            }
            Ok(c.done(ScalarFunc::Cardinality, TypeKind::Int, false))
        }
        "ROW" => {
            let fields = c
                .args
                .iter()
                .enumerate()
                .map(|(i, a)| RowField {
                    name: Ident::new(format!("EXPR${i}")),
                    ty: a.ty().clone(),
                    description: None,
                })
                .collect();
            let ty = DataType::new(TypeKind::Row(fields)).not_null();
            Ok(BoundExpr::Call {
                func: ScalarFunc::RowCtor,
                args: c.args,
                ty,
            })
        }
        // Flink 2.3: the argument's type as `LogicalType.asSummaryString` prints it (with
        // `TRUE`, `asSerializableString`, the same text for the types Spate has).
        "TYPEOF" => {
            let forced = c
                .args
                .get(1)
                .map(|a| a.ty().kind == TypeKind::Boolean && !is_untyped_null(a));
            if c.args.is_empty() || c.args.len() > 2 || forced == Some(false) || is_untyped_null(&c.args[0]) {
                return Err(c.mismatch("(ANY[, BOOLEAN force serializable])"));
            }
            Ok(text_constant(c.args[0].ty().to_string()))
        }
        // Spate has one catalog with one database, under Flink's default name.
        "CURRENT_DATABASE" => {
            if !c.args.is_empty() {
                return Err(c.mismatch("()"));
            }
            Ok(text_constant("default_database".into()))
        }
        "HASH_CODE" => {
            c.check(&[Arg::Str], 1, "(STRING)")?;
            Ok(c.done(
                ScalarFunc::String(super::StringFunc::HashCode),
                TypeKind::Int,
                false,
            ))
        }
        _ => Err(c.mismatch("no such signature")),
    }
}
