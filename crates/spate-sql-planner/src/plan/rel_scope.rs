//! [`RelScope`]: the columns of one relation as the scope expressions are bound in (by the
//! query binder and by `UNNEST`'s), and the check that a bound condition is a `BOOLEAN`.

use crate::ast::Expr;
use crate::error::{Result, SqlError};
use crate::expr::{self, BoundExpr, Scope};
use crate::ident::Ident;
use crate::suggest;
use crate::types::TypeKind;

use super::Schema;
use super::aggregate::AggKind;

/// The columns of one relation.
pub(super) struct RelScope<'a> {
    pub(super) schema: &'a Schema,
}

impl RelScope<'_> {
    pub(super) fn resolve(&self, path: &[Ident]) -> Result<usize> {
        let at = path.last().and_then(|i| i.loc.pos());
        let (qualifier, name) = match path {
            [name] => (None, name),
            [q, name] => (Some(q), name),
            _ => {
                return Err(SqlError::not_yet_in_streaming(
                    format!(
                        "the nested field reference '{}'",
                        path.iter().map(Ident::as_str).collect::<Vec<_>>().join(".")
                    ),
                    path.first().and_then(|i| i.loc.pos()),
                ));
            }
        };
        let matches: Vec<usize> = self
            .schema
            .fields
            .iter()
            .enumerate()
            .filter(|(_, f)| {
                f.name == name.value && qualifier.is_none_or(|q| f.qualifier.as_deref() == Some(q.as_str()))
            })
            .map(|(i, _)| i)
            .collect();
        match matches.as_slice() {
            [one] => Ok(*one),
            [] => {
                let full = path.iter().map(Ident::as_str).collect::<Vec<_>>().join(".");
                let names = self.schema.fields.iter().map(|f| f.name.as_str());
                let hint = match suggest::nearest(&name.value, names) {
                    Some(n) => format!(", did you mean '{n}'?"),
                    None => format!(
                        " (columns: {})",
                        self.schema
                            .fields
                            .iter()
                            .map(|f| f.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                };
                Err(SqlError::validation(format!("unknown column '{full}'{hint}"), at))
            }
            _ => Err(SqlError::validation(
                format!("column '{}' is ambiguous; qualify it with its table", name.value),
                at,
            )),
        }
    }
}

impl Scope for RelScope<'_> {
    /// `t.c` is table `t`'s column `c` when there is such a table, else column `t`'s ROW field
    /// `c` (Calcite's order); parts after the column are ROW fields (`t.c.f`, `c.f.g`).
    fn column(&self, path: &[Ident]) -> Result<BoundExpr> {
        let mut first_error = None;
        for split in [2, 1] {
            if path.len() < split {
                continue;
            }
            match self.resolve(&path[..split]) {
                Ok(index) => {
                    let mut e = BoundExpr::Column {
                        index,
                        ty: self.schema.fields[index].ty.clone(),
                    };
                    for field in &path[split..] {
                        e = expr::bind_field(e, field.as_str()).map_err(|err| match err {
                            SqlError::Validation { message, pos: None } => {
                                SqlError::validation(message, field.loc.pos())
                            }
                            other => other,
                        })?;
                    }
                    return Ok(e);
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        Err(first_error.unwrap_or_else(|| SqlError::not_yet_in_streaming("an empty column reference", None)))
    }

    fn substitute(&self, expr: &Expr) -> Option<Result<BoundExpr>> {
        match expr {
            Expr::Function(f) if AggKind::from_name(f.name.base()).is_some() && f.name.0.len() == 1 => {
                Some(Err(SqlError::validation(
                    format!(
                        "aggregate {} is not allowed here",
                        f.name.base().to_ascii_uppercase()
                    ),
                    f.name.0.first().and_then(|i| i.loc.pos()),
                )))
            }
            _ => None,
        }
    }
}

/// `e`, a condition of clause `clause`, must be a `BOOLEAN`.
pub(super) fn expect_boolean(e: &BoundExpr, clause: &str) -> Result<()> {
    match e.ty().kind {
        TypeKind::Boolean => Ok(()),
        _ => Err(SqlError::validation(
            format!("{clause} must be a BOOLEAN condition, not {}", e.ty()),
            None,
        )),
    }
}
