//! Binding `UNNEST(collection)` in FROM: the columns it adds to each row of the table on its
//! left, named and typed as Flink 2.3 names and types them, and how it is joined.

use crate::ast::{self, Expr, JoinKind, TableAlias, TableRef};
use crate::error::{Result, SqlError};
use crate::expr::{self, BoundExpr};
use crate::ident::Loc;
use crate::types::{DataType, TypeKind};

use super::rel_scope::{RelScope, expect_boolean};
use super::{Field, LogicalPlan, Schema};

/// What one element of an unnested collection becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnnestElements {
    /// One column: the element (an array or multiset of anything but ROWs).
    Value,
    /// The element's fields, one column each (an array of ROWs); a `NULL` element gives no
    /// row, as in Flink.
    RowFields(usize),
    /// Two columns: the entry's key and value (a map).
    MapEntries,
}

impl UnnestElements {
    /// How many columns an element becomes.
    pub fn width(self) -> usize {
        match self {
            UnnestElements::Value => 1,
            UnnestElements::RowFields(n) => n,
            UnnestElements::MapEntries => 2,
        }
    }
}

/// How an `UNNEST` is joined to the table on its left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnnestOptions {
    /// `WITH ORDINALITY`.
    pub with_ordinality: bool,
    /// `LEFT JOIN`: rows without elements are kept, padded with `NULL`s.
    pub outer: bool,
}

/// `left [kind] JOIN UNNEST(..) [ON on]`: the collection and the condition may read the left
/// rows' columns.
pub(super) fn bind_unnest(
    left: LogicalPlan,
    unnest_ref: &TableRef,
    kind: JoinKind,
    on: Option<&Expr>,
) -> Result<LogicalPlan> {
    let TableRef::Unnest {
        collection,
        with_ordinality,
        alias,
        loc,
    } = unnest_ref
    else {
        return Err(SqlError::validation("internal: expected UNNEST(..)", None));
    };
    let outer = match kind {
        JoinKind::Cross | JoinKind::Inner => false,
        JoinKind::Left => true,
        JoinKind::Right | JoinKind::Full => {
            return Err(SqlError::validation(
                "UNNEST joins only as CROSS JOIN, [INNER] JOIN or LEFT JOIN (Flink rejects RIGHT and FULL joins of UNNEST)",
                loc.pos(),
            ));
        }
    };
    let left_schema = left.schema().clone();
    if let Some(a) = alias
        && left_schema
            .fields
            .iter()
            .any(|f| f.qualifier.as_deref() == Some(a.name.as_str()))
    {
        return Err(SqlError::validation(
            format!(
                "duplicate relation name '{}' in FROM: UNNEST's alias must differ from the tables'",
                a.name
            ),
            a.name.loc.pos(),
        ));
    }
    let bound = expr::bind(collection, &RelScope { schema: &left_schema })?;
    let options = UnnestOptions {
        with_ordinality: *with_ordinality,
        outer,
    };
    let (elements, added) = unnest_columns(&bound, options, alias.as_ref(), *loc)?;
    let mut fields = left_schema.fields;
    fields.extend(added);
    let schema = Schema { fields };
    let condition = match on.map(Expr::without_parentheses) {
        None | Some(Expr::Literal(ast::Literal::Boolean(true))) => None,
        Some(c) => {
            let b = expr::bind(c, &RelScope { schema: &schema })?;
            expect_boolean(&b, "ON")?;
            Some(b)
        }
    };
    Ok(LogicalPlan::Unnest {
        input: Box::new(left),
        collection: bound,
        elements,
        options,
        condition,
        carried: None,
        schema,
    })
}

/// The element columns of `UNNEST(collection)` (then `ORDINALITY`), named by the alias's column
/// list when there is one, else as Flink names them: `EXPR$0` (or the alias's name) for the
/// element, the fields of a ROW element, `KEY` and `VALUE` for a map entry.
fn unnest_columns(
    collection: &BoundExpr,
    options: UnnestOptions,
    alias: Option<&TableAlias>,
    loc: Loc,
) -> Result<(UnnestElements, Vec<Field>)> {
    let mut columns: Vec<(String, DataType)> = Vec::new();
    let elements = match &collection.ty().kind {
        TypeKind::Array(element) | TypeKind::Multiset(element) => match &element.kind {
            TypeKind::Row(fields) => {
                if options.with_ordinality {
                    // Flink 2.3 plans this but fails every such job at runtime.
                    return Err(SqlError::validation(
                        "UNNEST .. WITH ORDINALITY of an array of ROWs is not supported (Flink 2.3 fails such jobs at runtime); unnest without ORDINALITY",
                        loc.pos(),
                    ));
                }
                for f in fields {
                    let mut ty = f.ty.clone();
                    ty.nullable |= element.nullable;
                    columns.push((f.name.value.clone(), ty));
                }
                UnnestElements::RowFields(fields.len())
            }
            _ => {
                let name = alias
                    .filter(|a| a.columns.is_empty())
                    .map_or_else(|| "EXPR$0".to_string(), |a| a.name.value.clone());
                columns.push((name, (**element).clone()));
                UnnestElements::Value
            }
        },
        TypeKind::Map(key, value) => {
            columns.push(("KEY".to_string(), (**key).clone()));
            columns.push(("VALUE".to_string(), (**value).clone()));
            UnnestElements::MapEntries
        }
        _ => {
            return Err(SqlError::validation(
                format!(
                    "UNNEST takes an ARRAY, MULTISET or MAP, but its argument is {}",
                    collection.ty()
                ),
                loc.pos(),
            ));
        }
    };
    if options.with_ordinality {
        columns.push(("ORDINALITY".to_string(), DataType::new(TypeKind::Int).not_null()));
    }
    if let Some(a) = alias.filter(|a| !a.columns.is_empty()) {
        if a.columns.len() != columns.len() {
            let names: Vec<&str> = columns.iter().map(|(n, _)| n.as_str()).collect();
            return Err(SqlError::validation(
                format!(
                    "the alias {} names {} columns, but UNNEST gives {} ({})",
                    a.name,
                    a.columns.len(),
                    columns.len(),
                    names.join(", ")
                ),
                a.columns.first().and_then(|c| c.loc.pos()).or(loc.pos()),
            ));
        }
        for ((name, _), given) in columns.iter_mut().zip(&a.columns) {
            name.clone_from(&given.value);
        }
    }
    let qualifier = alias.map(|a| a.name.value.clone());
    let fields = columns
        .into_iter()
        .map(|(name, mut ty)| {
            ty.nullable |= options.outer;
            let mut f = Field::new(name, ty);
            f.qualifier.clone_from(&qualifier);
            f
        })
        .collect();
    Ok((elements, fields))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ident::Ident;
    use crate::types::RowField;

    fn collection(kind: TypeKind) -> BoundExpr {
        BoundExpr::Column {
            index: 0,
            ty: DataType::new(kind),
        }
    }

    fn alias(name: &str, columns: &[&str]) -> TableAlias {
        TableAlias {
            name: Ident::new(name),
            columns: columns.iter().map(|c| Ident::new(*c)).collect(),
        }
    }

    fn names(fields: &[Field]) -> Vec<String> {
        fields.iter().map(|f| format!("{} {}", f.name, f.ty)).collect()
    }

    const INNER: UnnestOptions = UnnestOptions {
        with_ordinality: false,
        outer: false,
    };

    fn int_array() -> TypeKind {
        TypeKind::Array(Box::new(DataType::new(TypeKind::Int).not_null()))
    }

    #[test]
    fn columns_are_named_as_flink_names_them() {
        let (e, f) = unnest_columns(&collection(int_array()), INNER, None, Loc::NONE).expect("binds");
        assert_eq!(
            (e, names(&f)),
            (UnnestElements::Value, vec!["EXPR$0 INT NOT NULL".to_string()])
        );
        let a = alias("u", &[]);
        let (_, f) = unnest_columns(&collection(int_array()), INNER, Some(&a), Loc::NONE).expect("binds");
        assert_eq!(names(&f), vec!["u INT NOT NULL"]);
        let map = TypeKind::Map(
            Box::new(DataType::new(TypeKind::Varchar(crate::types::MAX_LENGTH))),
            Box::new(DataType::new(TypeKind::Int)),
        );
        let ordinal = UnnestOptions {
            with_ordinality: true,
            outer: false,
        };
        let (e, f) = unnest_columns(&collection(map), ordinal, Some(&a), Loc::NONE).expect("binds");
        assert_eq!(e, UnnestElements::MapEntries);
        assert_eq!(
            names(&f),
            vec!["KEY STRING", "VALUE INT", "ORDINALITY INT NOT NULL"]
        );
    }

    #[test]
    fn a_left_join_makes_every_element_column_nullable() {
        let outer = UnnestOptions {
            with_ordinality: true,
            outer: true,
        };
        let a = alias("u", &["x", "n"]);
        let (_, f) = unnest_columns(&collection(int_array()), outer, Some(&a), Loc::NONE).expect("binds");
        assert_eq!(names(&f), vec!["x INT", "n INT"]);
        assert!(f.iter().all(|f| f.qualifier.as_deref() == Some("u")));
    }

    #[test]
    fn row_elements_become_their_fields() {
        let row = DataType::new(TypeKind::Row(vec![
            RowField {
                name: Ident::new("a"),
                ty: DataType::new(TypeKind::Int).not_null(),
                description: None,
            },
            RowField {
                name: Ident::new("b"),
                ty: DataType::new(TypeKind::Varchar(crate::types::MAX_LENGTH)),
                description: None,
            },
        ]));
        let rows = TypeKind::Array(Box::new(row));
        let (e, f) = unnest_columns(&collection(rows.clone()), INNER, None, Loc::NONE).expect("binds");
        // A nullable ROW makes its fields nullable.
        assert_eq!(
            (e, names(&f)),
            (
                UnnestElements::RowFields(2),
                vec!["a INT".into(), "b STRING".into()]
            )
        );
        let ordinal = UnnestOptions {
            with_ordinality: true,
            outer: false,
        };
        assert!(unnest_columns(&collection(rows), ordinal, None, Loc::NONE).is_err());
    }

    #[test]
    fn bad_arguments_and_aliases_are_errors() {
        let err =
            unnest_columns(&collection(TypeKind::Int), INNER, None, Loc::NONE).expect_err("not a collection");
        assert!(
            err.message().contains("ARRAY, MULTISET or MAP"),
            "{}",
            err.message()
        );
        let a = alias("u", &["x", "y"]);
        let err = unnest_columns(&collection(int_array()), INNER, Some(&a), Loc::NONE)
            .expect_err("two names for one column");
        assert!(
            err.message()
                .contains("names 2 columns, but UNNEST gives 1 (EXPR$0)"),
            "{}",
            err.message()
        );
    }
}
