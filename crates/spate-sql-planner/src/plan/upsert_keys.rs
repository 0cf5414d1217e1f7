//! Upsert keys: the column sets on which a plan node's output rows are unique (Flink's
//! `FlinkRelMdUpsertKeys`), so an updating consumer knows which earlier row a change replaces —
//! the key a changelog is materialized or upserted by.
//!
//! Where they come from: a table's `PRIMARY KEY`, a window aggregate's grouping keys with its
//! window's start or end, a join's keys of both sides. Projections keep the keys whose columns
//! they pass on unchanged; a union or an unnest has none. Each key is a sorted list of output
//! column indexes, and no key holds another (the smaller one says more).

use super::{LogicalPlan, WindowProperty, WindowSpec};
use crate::ast::JoinKind;
use crate::expr::BoundExpr;

/// Column sets, each sorted.
pub type UpsertKeys = Vec<Vec<usize>>;

impl LogicalPlan {
    /// The node's upsert keys (none when its rows need not be unique on any column set).
    pub fn upsert_keys(&self) -> UpsertKeys {
        minimal(match self {
            LogicalPlan::Scan { table, schema, .. } => table
                .primary_key
                .iter()
                .filter_map(|pk| {
                    pk.columns
                        .iter()
                        .map(|c| schema.fields.iter().position(|f| f.name == c.as_str()))
                        .collect::<Option<Vec<usize>>>()
                })
                .collect(),
            // Each row of the input once per grouping set: no column set is unique.
            LogicalPlan::Values { .. }
            | LogicalPlan::Union { .. }
            | LogicalPlan::Unnest { .. }
            | LogicalPlan::Expand { .. } => Vec::new(),
            LogicalPlan::ChangelogNormalize { keys, .. } | LogicalPlan::SinkMaterialize { pk: keys, .. } => {
                let mut key = keys.clone();
                key.sort_unstable();
                vec![key]
            }
            LogicalPlan::Filter { input, .. }
            | LogicalPlan::Over { input, .. }
            | LogicalPlan::TemporalSort { input, .. } => input.upsert_keys(),
            // Flink's `getRankUniqueKeys`: the input's keys that hold the partition key; with
            // `ROW_NUMBER`, the partition key with the rank column, and the partition key alone
            // for a Top-1.
            LogicalPlan::Rank {
                input,
                partition_by,
                kind,
                range,
                output_rank,
                ..
            } => {
                let mut keys: UpsertKeys = input
                    .upsert_keys()
                    .into_iter()
                    .filter(|k| partition_by.iter().all(|p| k.contains(p)))
                    .collect();
                if *kind == super::RankKind::RowNumber {
                    if *output_rank {
                        let rank_col = input.schema().fields.len();
                        keys.push(partition_by.iter().copied().chain([rank_col]).collect());
                    }
                    if range.end == 1 && range.end_column.is_none() {
                        keys.push(partition_by.clone());
                    }
                }
                keys
            }
            LogicalPlan::Deduplicate { keys, .. } => vec![keys.clone()],
            LogicalPlan::Project { input, exprs, .. } => projected(&input.upsert_keys(), exprs),
            LogicalPlan::WindowAssign { input, window, .. } => {
                let keys = input.upsert_keys();
                match window {
                    // One window per row: the input's keys stay unique.
                    WindowSpec::Tumble { .. } | WindowSpec::Session { .. } => keys,
                    // A row in several windows: unique with its window's end (a hopping
                    // window's start would do too; cumulating windows share their start).
                    WindowSpec::Hop { .. } | WindowSpec::Cumulate { .. } => {
                        let end = input.schema().fields.len() + 1;
                        keys.into_iter()
                            .map(|mut k| {
                                k.push(end);
                                k
                            })
                            .collect()
                    }
                }
            }
            LogicalPlan::WindowAggregate {
                keys,
                properties,
                window,
                ..
            } => {
                // One row per group and window: the grouping keys with the window's end, or its
                // start where no two windows share one (cumulating windows do).
                let bound = |p: WindowProperty| properties.iter().position(|q| *q == p);
                let identifying: &[WindowProperty] = match window {
                    WindowSpec::Cumulate { .. } => &[WindowProperty::End],
                    _ => &[WindowProperty::Start, WindowProperty::End],
                };
                identifying
                    .iter()
                    .copied()
                    .filter_map(bound)
                    .map(|at| (0..keys.len()).chain([keys.len() + at]).collect())
                    .collect()
            }
            // One row per group: the grouping keys (all of them; none for a global aggregate,
            // whose one row is unique on the empty set).
            LogicalPlan::GroupAggregate { keys, .. } => vec![(0..keys.len()).collect()],
            LogicalPlan::AttachedWindowAggregate {
                keys,
                start,
                end,
                window,
                ..
            } => {
                // The window is among the grouping keys when they pass its end on (or its
                // start, which cumulating windows share).
                let passes = |col: usize| keys.iter().any(|k| k.as_column() == Some(col));
                let cumulating = matches!(window, WindowSpec::Cumulate { .. });
                if passes(*end) || (!cumulating && passes(*start)) {
                    vec![(0..keys.len()).collect()]
                } else {
                    Vec::new()
                }
            }
            // Each left row meets at most one version (the right keys hold its primary key).
            LogicalPlan::TemporalJoin { left, .. } => left.upsert_keys(),
            // A lookup may find several rows for a left row: only a key of the left input that
            // the join cannot repeat would stay one, so none is claimed.
            LogicalPlan::LookupJoin { .. } => Vec::new(),
            LogicalPlan::RegularJoin {
                left,
                right,
                kind,
                keys,
                ..
            }
            | LogicalPlan::WindowJoin {
                left,
                right,
                kind,
                keys,
                ..
            }
            | LogicalPlan::IntervalJoin {
                left,
                right,
                kind,
                keys,
                ..
            } => joined(left, right, *kind, keys),
        })
    }
}

/// The input's keys whose columns `exprs` passes on unchanged (bare, or through a cast that
/// keeps every value, as Flink's `getProjectUniqueKeys` sees through fidelity casts), in output
/// positions (the first
/// output of a column when it is passed on twice).
fn projected(keys: &UpsertKeys, exprs: &[BoundExpr]) -> UpsertKeys {
    keys.iter()
        .filter_map(|key| {
            key.iter()
                .map(|col| exprs.iter().position(|e| e.as_unchanged_column() == Some(*col)))
                .collect::<Option<Vec<usize>>>()
        })
        .collect()
}

/// A join's keys (Flink's `getJoinUniqueKeys`): a key of each side together; and where the
/// join keys of one side hold a key of that side, each key of the other side alone (every row
/// of it meets one row at most) — unless the join pads that other side with NULLs, whose
/// padded rows would share a NULL key.
fn joined(
    left: &LogicalPlan,
    right: &LogicalPlan,
    kind: JoinKind,
    pairs: &[(BoundExpr, BoundExpr)],
) -> UpsertKeys {
    let width = left.schema().fields.len();
    let (lk, rk) = (left.upsert_keys(), right.upsert_keys());
    let shifted: UpsertKeys = rk.iter().map(|k| k.iter().map(|c| c + width).collect()).collect();
    let mut out: UpsertKeys = lk
        .iter()
        .flat_map(|l| shifted.iter().map(move |r| l.iter().chain(r).copied().collect()))
        .collect();
    let covers = |keys: &UpsertKeys, side: &dyn Fn(&(BoundExpr, BoundExpr)) -> Option<usize>| {
        let joined: Vec<usize> = pairs.iter().filter_map(side).collect();
        keys.iter().any(|k| k.iter().all(|c| joined.contains(c)))
    };
    let pads_left = matches!(kind, JoinKind::Right | JoinKind::Full);
    let pads_right = matches!(kind, JoinKind::Left | JoinKind::Full);
    if !pads_left && covers(&rk, &|(_, r)| r.as_column()) {
        out.extend(lk.iter().cloned());
    }
    if !pads_right && covers(&lk, &|(l, _)| l.as_column()) {
        out.extend(shifted);
    }
    out
}

/// Each key sorted, without repeats and without keys that hold a smaller key.
fn minimal(keys: UpsertKeys) -> UpsertKeys {
    let mut keys: UpsertKeys = keys
        .into_iter()
        .map(|mut k| {
            k.sort_unstable();
            k.dedup();
            k
        })
        .collect();
    keys.sort_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
    keys.dedup();
    let mut out: UpsertKeys = Vec::new();
    for k in keys {
        if !out.iter().any(|smaller| smaller.iter().all(|c| k.contains(c))) {
            out.push(k);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_sorted_and_minimal() {
        assert_eq!(
            minimal(vec![vec![2, 0], vec![0, 1, 2], vec![0, 2], vec![3]]),
            vec![vec![3], vec![0, 2]]
        );
        assert!(minimal(Vec::new()).is_empty());
    }
}
