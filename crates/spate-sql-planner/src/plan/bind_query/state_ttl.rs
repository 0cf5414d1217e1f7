//! `SELECT /*+ STATE_TTL('name' = 'ttl', ..) */ ..`: each hint names an input of the SELECT's
//! stateful operator (its alias, else its table, view or CTE name) and sets the state TTL of
//! that input over `table.exec.state.ttl` (zero: none). On a `GROUP BY` the one input is the
//! aggregate's; on a regular join of two inputs, each side gets its own TTL (Flink keeps each
//! side's rows for its own time). As in Flink, a name that is not an input's is an error, and a
//! hint on a SELECT without such an operator (a projection, a window aggregate) is ignored.

use crate::ast::{Select, StateTtlHint, TableRef};
use crate::error::{Result, SqlError};
use crate::plan::LogicalPlan;

/// Sets the hints of `s` on the aggregate or join `s` planned as `plan`, if it has one.
pub(super) fn apply(s: &Select, plan: &mut LogicalPlan) -> Result<()> {
    if let Some(LogicalPlan::GroupAggregate { state_ttl, .. }) = own_aggregate(plan) {
        let names = input_names(s)?;
        check_names(s, &[&names])?;
        // The single input's hint (several keys can only name it).
        *state_ttl = s.state_ttl.last().map(|(_, hint)| hint.clone());
        return Ok(());
    }
    let Some(LogicalPlan::RegularJoin { state_ttl, .. }) = own_join(plan) else {
        return Ok(());
    };
    let (left, right) = join_input_names(s)?;
    check_names(s, &[&left, &right])?;
    let hint_of = |names: &[String]| -> Option<StateTtlHint> {
        s.state_ttl
            .iter()
            .rev()
            .find(|(k, _)| names.iter().any(|n| n == k))
            .map(|(_, h)| h.clone())
    };
    *state_ttl = (hint_of(&left), hint_of(&right));
    Ok(())
}

/// Flink's error for hint keys that name none of `inputs`.
fn check_names(s: &Select, inputs: &[&[String]]) -> Result<()> {
    let unmatched: Vec<&str> = s
        .state_ttl
        .iter()
        .map(|(k, _)| k.as_str())
        .filter(|k| !inputs.iter().any(|names| names.iter().any(|n| n == k)))
        .collect();
    if unmatched.is_empty() {
        return Ok(());
    }
    Err(SqlError::validation(
        format!(
            "The options of following hints cannot match the name of input tables or views: \n`{}` in `STATE_TTL`",
            unmatched.join(", ")
        ),
        None,
    ))
}

/// The regular join this SELECT made in its `FROM`, under its projection and `WHERE`.
fn own_join(plan: &mut LogicalPlan) -> Option<&mut LogicalPlan> {
    match plan {
        LogicalPlan::RegularJoin { .. } => Some(plan),
        LogicalPlan::Project { input, .. } | LogicalPlan::Filter { input, .. } => own_join(input),
        _ => None,
    }
}

/// The names of a two-input join's inputs, written `a JOIN b ON ..` or `FROM a, b`.
fn join_input_names(s: &Select) -> Result<(Vec<String>, Vec<String>)> {
    let (l, r) = match s.from.as_slice() {
        [TableRef::Join { left, right, .. }] => (&**left, &**right),
        [l, r] => (l, r),
        _ => {
            return Err(super::unsupported(
                "a STATE_TTL hint on a join of more than two inputs",
                None,
            ));
        }
    };
    match (ref_names(l), ref_names(r)) {
        (Some(l), Some(r)) => Ok((l, r)),
        _ => Err(super::unsupported(
            "a STATE_TTL hint on a join whose input is itself a join or a versioned table (name a view of it instead)",
            None,
        )),
    }
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
    match s.from.as_slice() {
        [one] => ref_names(one),
        _ => None,
    }
    .ok_or_else(|| {
        super::unsupported(
            "a STATE_TTL hint on an aggregate over a join (Flink gives the TTL to the join's state)",
            None,
        )
    })
}

/// The names a hint may give one input; `None` for a join or a versioned table.
fn ref_names(r: &TableRef) -> Option<Vec<String>> {
    let named =
        |alias: &Option<crate::ast::TableAlias>| alias.as_ref().map(|a| vec![a.name.as_str().to_string()]);
    match r {
        TableRef::Table { name, alias, .. } => Some(named(alias).unwrap_or_else(|| {
            let last = name.0.last().map(|p| p.as_str().to_string()).unwrap_or_default();
            vec![
                last.clone(),
                name.to_string(),
                format!("default_catalog.default_database.{last}"),
            ]
        })),
        TableRef::Derived { alias, .. } | TableRef::Window { alias, .. } | TableRef::Unnest { alias, .. } => {
            Some(named(alias).unwrap_or_else(|| vec!["EXPR$0".to_string()]))
        }
        TableRef::Join { .. } | TableRef::Versioned { .. } => None,
    }
}
