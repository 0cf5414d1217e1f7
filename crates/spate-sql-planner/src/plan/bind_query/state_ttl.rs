//! `SELECT /*+ STATE_TTL('name' = 'ttl') */ .. GROUP BY ..`: the hint names the aggregate's
//! input (its alias, else its table, view or CTE name) and sets that aggregate's state TTL
//! over `table.exec.state.ttl` (zero: none). As in Flink, a name that is not the input's is
//! an error, and a hint on a SELECT without an unbounded aggregate (a projection, a window
//! aggregate) is ignored.

use crate::ast::{Select, TableRef};
use crate::error::{Result, SqlError};
use crate::plan::LogicalPlan;

/// Sets the hint of `s` on the aggregate `s` planned as `plan`, if it has one.
pub(super) fn apply(s: &Select, plan: &mut LogicalPlan) -> Result<()> {
    let Some(LogicalPlan::GroupAggregate { state_ttl, .. }) = own_aggregate(plan) else {
        return Ok(());
    };
    let names = input_names(s)?;
    let unmatched: Vec<&str> = s
        .state_ttl
        .iter()
        .map(|(k, _)| k.as_str())
        .filter(|k| !names.iter().any(|n| n == k))
        .collect();
    if !unmatched.is_empty() {
        return Err(SqlError::validation(
            format!(
                "The options of following hints cannot match the name of input tables or views: \n`{}` in `STATE_TTL`",
                unmatched.join(", ")
            ),
            None,
        ));
    }
    // The single input's hint (several keys can only name it).
    *state_ttl = s.state_ttl.last().map(|(_, hint)| hint.clone());
    Ok(())
}

/// The `GroupAggregate` this SELECT made: under its projection and `HAVING`, not inside its
/// `FROM`.
fn own_aggregate(plan: &mut LogicalPlan) -> Option<&mut LogicalPlan> {
    match plan {
        LogicalPlan::GroupAggregate { .. } => Some(plan),
        LogicalPlan::Project { input, .. } | LogicalPlan::Filter { input, .. } => own_aggregate(input),
        _ => None,
    }
}

/// The names a hint may give the aggregate's input: its alias, else its name (also fully
/// qualified in the default catalog and database).
fn input_names(s: &Select) -> Result<Vec<String>> {
    let named =
        |alias: &Option<crate::ast::TableAlias>| alias.as_ref().map(|a| vec![a.name.as_str().to_string()]);
    match s.from.as_slice() {
        [TableRef::Table { name, alias, .. }] => Ok(named(alias).unwrap_or_else(|| {
            let last = name.0.last().map(|p| p.as_str().to_string()).unwrap_or_default();
            vec![
                last.clone(),
                name.to_string(),
                format!("default_catalog.default_database.{last}"),
            ]
        })),
        [
            TableRef::Derived { alias, .. } | TableRef::Window { alias, .. } | TableRef::Unnest { alias, .. },
        ] => Ok(named(alias).unwrap_or_else(|| vec!["EXPR$0".to_string()])),
        _ => Err(super::unsupported(
            "a STATE_TTL hint on an aggregate over a join (Flink gives the TTL to the join's state)",
            None,
        )),
    }
}
