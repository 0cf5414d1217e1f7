//! Planning an `INSERT INTO`: the query bound, then reshaped into the sink table's persisted
//! columns with Flink's implicit casts (an explicit column list maps query columns to table
//! columns; the others get `NULL`), so the plan a sink receives has exactly its columns.

use crate::ast::{ColumnKind, Insert, TableDef};
use crate::catalog::Catalog;
use crate::error::{Result, SqlError};
use crate::expr::{self, BoundExpr};
use crate::plan::{LogicalPlan, Schema, bind_query, push_down_projections};
use crate::value::Value;

/// The sink table and the plan of each of `inserts` (one job: projections are pushed down over
/// all of them together, so a table they share is still read once).
pub fn plan_inserts(catalog: &Catalog, inserts: &[Insert]) -> Result<Vec<(TableDef, LogicalPlan)>> {
    let mut planned = inserts
        .iter()
        .map(|i| plan_insert(catalog, i))
        .collect::<Result<Vec<_>>>()?;
    push_down_projections(planned.iter_mut().map(|(_, plan)| plan));
    Ok(planned)
}

/// The sink table of `insert` and the plan of its rows, conformed to the table's columns.
fn plan_insert(catalog: &Catalog, insert: &Insert) -> Result<(TableDef, LogicalPlan)> {
    let plan = bind_query(&insert.query, catalog)?;
    let table = match catalog.resolve(&insert.table)? {
        crate::catalog::Relation::Table(t) => t.clone(),
        crate::catalog::Relation::View(_) => {
            return Err(SqlError::validation(
                format!("cannot INSERT INTO view {}", insert.table),
                insert.loc.pos(),
            ));
        }
    };
    super::check_sink_accepts(&table, &plan)?;
    let plan = conform_to_sink(plan, &table, insert)?;
    let plan = super::on_conflict::resolve_conflicts(&table, plan, insert.on_conflict)?;
    Ok((table, plan))
}

/// The query's rows reshaped into the sink table's persisted columns (physical and writable
/// metadata columns, in declaration order), with Flink's implicit casts.
fn conform_to_sink(plan: LogicalPlan, table: &TableDef, insert: &Insert) -> Result<LogicalPlan> {
    // Each persisted column with its type.
    let targets: Vec<(&crate::types::DataType, &crate::ast::Column)> = table
        .persisted_columns()
        .filter_map(|c| match &c.kind {
            ColumnKind::Physical(ty) | ColumnKind::Metadata { ty, .. } => Some((ty, c)),
            ColumnKind::Computed(_) => None,
        })
        .collect();
    let source = plan.schema().clone();
    // Which query column feeds each target column.
    let feeds: Vec<Option<usize>> = if insert.columns.is_empty() {
        if source.fields.len() != targets.len() {
            return Err(SqlError::validation(
                format!(
                    "column count mismatch: the query has {} columns ({}), table {} takes {} ({})",
                    source.fields.len(),
                    source
                        .fields
                        .iter()
                        .map(|f| f.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    table.name,
                    targets.len(),
                    targets
                        .iter()
                        .map(|(_, c)| c.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                insert.loc.pos(),
            ));
        }
        (0..targets.len()).map(Some).collect()
    } else {
        if insert.columns.len() != source.fields.len() {
            return Err(SqlError::validation(
                format!(
                    "{} target columns but the query has {} columns",
                    insert.columns.len(),
                    source.fields.len()
                ),
                insert.loc.pos(),
            ));
        }
        let mut feeds = vec![None; targets.len()];
        for (q, name) in insert.columns.iter().enumerate() {
            let t = targets.iter().position(|(_, c)| c.name == *name).ok_or_else(|| {
                SqlError::validation(
                    format!("table {} has no writable column '{name}'", table.name),
                    name.loc.pos(),
                )
            })?;
            feeds[t] = Some(q);
        }
        feeds
    };
    let mut exprs = Vec::with_capacity(targets.len());
    let mut fields = Vec::with_capacity(targets.len());
    for ((ty, col), feed) in targets.iter().zip(&feeds) {
        let ty = (*ty).clone();
        let e = match feed {
            Some(q) => {
                let f = &source.fields[*q];
                let from = BoundExpr::Column {
                    index: *q,
                    ty: f.ty.clone(),
                };
                if !assignable(&f.ty, &ty) {
                    return Err(SqlError::validation(
                        format!(
                            "column types of the query and sink {} do not match: query column '{}' is {}, sink column '{}' is {}",
                            table.name, f.name, f.ty, col.name, ty
                        ),
                        insert.loc.pos(),
                    ));
                }
                if same_layout(&f.ty, &ty) {
                    from
                } else {
                    expr::coerce(from, &ty)
                }
            }
            None => BoundExpr::Literal {
                value: Value::Null,
                ty: ty.clone(),
            },
        };
        fields.push(crate::plan::Field::new(col.name.value.clone(), ty));
        exprs.push(e);
    }
    if exprs.iter().enumerate().all(|(i, e)| e.as_column() == Some(i)) && exprs.len() == source.fields.len() {
        return Ok(plan);
    }
    Ok(LogicalPlan::Project {
        input: Box::new(plan),
        exprs,
        schema: Schema { fields },
    })
}

/// Whether a value of `from` may be written to a column of `to` (Flink's implicit casts for
/// INSERT: within numbers, within strings, within timestamps, and anything of the same root).
fn assignable(from: &crate::types::DataType, to: &crate::types::DataType) -> bool {
    use crate::types::TypeKind as K;
    let family = |k: &K| match k {
        K::TinyInt | K::SmallInt | K::Int | K::BigInt | K::Float | K::Double | K::Decimal { .. } => 1,
        K::Char(_) | K::Varchar(_) => 2,
        K::Binary(_) | K::Varbinary(_) => 3,
        K::Timestamp(_) | K::TimestampLtz(_) => 4,
        K::Boolean => 5,
        K::Date => 6,
        K::Time(_) => 7,
        _ => 0,
    };
    match (&from.kind, &to.kind) {
        // Rows assign field by field, by position (field names do not matter, as in Flink).
        (K::Row(a), K::Row(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| assignable(&x.ty, &y.ty))
        }
        (K::Array(a), K::Array(b)) => assignable(a, b),
        (K::Map(k1, v1), K::Map(k2, v2)) => assignable(k1, k2) && assignable(v1, v2),
        _ => from.kind == to.kind || (family(&from.kind) != 0 && family(&from.kind) == family(&to.kind)),
    }
}

/// Whether values of `a` are values of `b` as they are: equal types, or rows and collections
/// that differ only in field names.
fn same_layout(a: &crate::types::DataType, b: &crate::types::DataType) -> bool {
    use crate::types::TypeKind as K;
    match (&a.kind, &b.kind) {
        (K::Row(x), K::Row(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_layout(&p.ty, &q.ty))
        }
        (K::Array(x), K::Array(y)) | (K::Multiset(x), K::Multiset(y)) => same_layout(x, y),
        (K::Map(k1, v1), K::Map(k2, v2)) => same_layout(k1, k2) && same_layout(v1, v2),
        (x, y) => x == y,
    }
}
