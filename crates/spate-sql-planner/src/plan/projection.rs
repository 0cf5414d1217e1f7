//! Projection push-down: which columns, and which fields of `ROW` columns, each table scan's
//! consumers read, so its format can skip the rest ([`ColumnUse`]).
//!
//! The Nexmark table has four columns, three of them `ROW`s of 7–10 fields, and a query on bids
//! reads three or four of them; decoding the rest was most of the JSON work.
//!
//! Invariant: scans that are equal before the pass (and so become one source through the
//! translator's reuse) are given the same projection, the union of what every one of them is
//! read for — two sources of one table would commit the same group's offsets against each
//! other.

use std::collections::HashMap;

use super::ColumnUse;
use super::{AggCall, LogicalPlan};
use crate::expr::{BoundExpr, ScalarFunc};

/// What a plan node's consumers read of each of its output columns.
type Need = Vec<Option<ColumnUse>>;

/// Works out what each scan in `plans` (one job's plans: every row of each is read whole, by a
/// sink or the client) is read for, and records it in the scan ([`LogicalPlan::Scan`]'s
/// `used`).
pub fn push_down_projections<'p>(plans: impl IntoIterator<Item = &'p mut LogicalPlan>) {
    let mut plans: Vec<&mut LogicalPlan> = plans.into_iter().collect();
    let mut scans: HashMap<String, Need> = HashMap::new();
    for plan in &mut plans {
        let need = vec![Some(ColumnUse::Whole); plan.schema().fields.len()];
        demand(plan, need, &mut scans);
    }
    for plan in &mut plans {
        annotate(plan, &scans);
    }
}

/// The identity of a scan before the pass: what the translator's reuse compares.
fn scan_key(plan: &LogicalPlan) -> Option<String> {
    match plan {
        LogicalPlan::Scan {
            table,
            computed,
            rowtime,
            schema,
            ..
        } => Some(format!("{table:?}{computed:?}{rowtime:?}{schema:?}")),
        _ => None,
    }
}

fn whole(width: usize) -> Need {
    vec![Some(ColumnUse::Whole); width]
}

fn none(width: usize) -> Need {
    vec![None; width]
}

fn merge(need: &mut Need, other: &[Option<ColumnUse>]) {
    for (slot, o) in need.iter_mut().zip(other) {
        if let Some(o) = o {
            ColumnUse::merge_into(slot, o);
        }
    }
}

fn mark_whole(need: &mut Need, column: usize) {
    if let Some(slot) = need.get_mut(column) {
        *slot = Some(ColumnUse::Whole);
    }
}

/// `e` as a column and a path of `ROW` field indexes into it (`bid.price`), if it is one.
fn field_path(e: &BoundExpr) -> Option<(usize, &crate::types::DataType, Vec<usize>)> {
    match e {
        BoundExpr::Column { index, ty } => Some((*index, ty, Vec::new())),
        BoundExpr::Call {
            func: ScalarFunc::Field(i),
            args,
            ..
        } => match args.as_slice() {
            [base] => field_path(base).map(|(c, ty, mut path)| {
                path.push(*i);
                (c, ty, path)
            }),
            _ => None,
        },
        _ => None,
    }
}

/// Adds what evaluating `e` reads to `need`, its result being read as `leaf` says.
fn uses(e: &BoundExpr, leaf: &ColumnUse, need: &mut Need) {
    if let Some((column, ty, path)) = field_path(e) {
        if let Some(slot) = need.get_mut(column) {
            ColumnUse::mark_path(slot, ty, &path, leaf);
        }
        return;
    }
    if let BoundExpr::Call { args, .. } = e {
        for a in args {
            uses(a, &ColumnUse::Whole, need);
        }
    }
}

fn uses_all<'e>(exprs: impl IntoIterator<Item = &'e BoundExpr>, need: &mut Need) {
    for e in exprs {
        uses(e, &ColumnUse::Whole, need);
    }
}

/// What grouping by `keys` and computing `aggs` (arguments and `FILTER`s) read.
fn aggregate_uses(keys: &[BoundExpr], aggs: &[AggCall], need: &mut Need) {
    uses_all(keys, need);
    for a in aggs {
        uses_all(a.args.iter().chain(&a.filter), need);
    }
}

/// A join's inputs' needs from its output's (left columns ++ right columns), keys (over each
/// side), condition (over the joined columns) and time columns (of each side).
fn join_needs(
    left: &LogicalPlan,
    right: &LogicalPlan,
    need: &Need,
    keys: &[(BoundExpr, BoundExpr)],
    condition: Option<&BoundExpr>,
    time_cols: Option<(usize, usize)>,
) -> (Need, Need) {
    let lw = left.schema().fields.len();
    let rw = right.schema().fields.len();
    let mut joined = need.clone();
    joined.resize(lw + rw, None);
    uses_all(condition, &mut joined);
    let mut r = joined.split_off(lw);
    let mut l = joined;
    uses_all(keys.iter().map(|(k, _)| k), &mut l);
    uses_all(keys.iter().map(|(_, k)| k), &mut r);
    if let Some((lt, rt)) = time_cols {
        mark_whole(&mut l, lt);
        mark_whole(&mut r, rt);
    }
    (l, r)
}

/// Propagates `need` (what is read of `plan`'s output) down to the scans, merging each scan's
/// into `scans`, and records in each unnest which input columns its rows must carry.
fn demand(plan: &mut LogicalPlan, mut need: Need, scans: &mut HashMap<String, Need>) {
    match plan {
        LogicalPlan::Scan {
            computed, rowtime, ..
        } => {
            // The watermark reads the rowtime column of every row.
            if let Some(r) = rowtime {
                mark_whole(&mut need, r.column);
            }
            for (column, e) in computed {
                if need.get(*column).is_some_and(Option::is_some) {
                    uses(e, &ColumnUse::Whole, &mut need);
                }
            }
            if let Some(key) = scan_key(plan) {
                match scans.get_mut(&key) {
                    Some(seen) => merge(seen, &need),
                    None => {
                        scans.insert(key, need);
                    }
                }
            }
        }
        LogicalPlan::Values { .. } => {}
        LogicalPlan::Project { input, exprs, .. } => {
            let mut child = none(input.schema().fields.len());
            for (e, n) in exprs.iter().zip(&need) {
                if let Some(n) = n {
                    uses(e, n, &mut child);
                }
            }
            demand(input, child, scans);
        }
        LogicalPlan::Filter { input, predicate } => {
            uses(predicate, &ColumnUse::Whole, &mut need);
            demand(input, need, scans);
        }
        LogicalPlan::Expand { input, keys, .. } => {
            // The input's columns pass through; the keys after them read their expressions.
            let width = input.schema().fields.len();
            let mut child = none(width);
            merge(&mut child, &need[..width.min(need.len())]);
            for (k, n) in keys.iter().zip(need.iter().skip(width)) {
                if n.is_some() {
                    uses(k, &ColumnUse::Whole, &mut child);
                }
            }
            demand(input, child, scans);
        }
        LogicalPlan::WindowAssign { input, time_col, .. } => {
            need.truncate(input.schema().fields.len());
            mark_whole(&mut need, *time_col);
            demand(input, need, scans);
        }
        LogicalPlan::WindowAggregate {
            input,
            time_col,
            keys,
            aggs,
            ..
        } => {
            let mut child = none(input.schema().fields.len());
            mark_whole(&mut child, *time_col);
            aggregate_uses(keys, aggs, &mut child);
            demand(input, child, scans);
        }
        LogicalPlan::GroupAggregate {
            input, keys, aggs, ..
        } => {
            let mut child = none(input.schema().fields.len());
            aggregate_uses(keys, aggs, &mut child);
            demand(input, child, scans);
        }
        // What its consumer reads, the key and the condition: as in Flink, a row that differs
        // only in columns nobody reads equals the one held and changes nothing.
        // It compares and writes whole rows.
        LogicalPlan::SinkMaterialize { input, .. } => {
            for k in 0..input.schema().fields.len() {
                mark_whole(&mut need, k);
            }
            demand(input, need, scans);
        }
        LogicalPlan::ChangelogNormalize {
            input,
            keys,
            condition,
            ..
        } => {
            for k in keys.iter() {
                mark_whole(&mut need, *k);
            }
            if let Some(c) = condition {
                uses(c, &ColumnUse::Whole, &mut need);
            }
            demand(input, need, scans);
        }
        LogicalPlan::AttachedWindowAggregate {
            input,
            start,
            end,
            keys,
            aggs,
            ..
        } => {
            let mut child = none(input.schema().fields.len());
            mark_whole(&mut child, *start);
            mark_whole(&mut child, *end);
            aggregate_uses(keys, aggs, &mut child);
            demand(input, child, scans);
        }
        LogicalPlan::Union { inputs, .. } => {
            for input in inputs {
                demand(input, need.clone(), scans);
            }
        }
        // A Top-N reads its keys and order; the rest of a row is what its consumer reads, as
        // Flink prunes the rank's input before it (rows that differ only in columns nobody
        // reads are equal to it too).
        LogicalPlan::Over {
            input,
            partition_by,
            order_by,
            aggs,
            lags,
            ..
        } => {
            need.truncate(input.schema().fields.len());
            for c in partition_by.iter().chain(order_by.iter().map(|k| &k.column)) {
                mark_whole(&mut need, *c);
            }
            aggregate_uses(&[], aggs, &mut need);
            for lag in lags {
                uses(&lag.arg, &ColumnUse::Whole, &mut need);
                uses_all(lag.default.iter(), &mut need);
            }
            demand(input, need, scans);
        }
        LogicalPlan::Rank {
            input,
            partition_by,
            order_by,
            range,
            ..
        } => {
            need.truncate(input.schema().fields.len());
            for c in partition_by
                .iter()
                .chain(order_by.iter().map(|k| &k.column))
                .chain(range.end_column.as_ref())
            {
                mark_whole(&mut need, *c);
            }
            demand(input, need, scans);
        }
        LogicalPlan::TemporalSort { input, order_by, .. } => {
            for k in order_by.iter() {
                mark_whole(&mut need, k.column);
            }
            demand(input, need, scans);
        }
        LogicalPlan::Deduplicate {
            input, keys, order, ..
        } => {
            for c in keys.iter().chain([&*order]) {
                mark_whole(&mut need, *c);
            }
            demand(input, need, scans);
        }
        LogicalPlan::Unnest {
            input,
            collection,
            condition,
            carried,
            ..
        } => {
            // The condition reads element columns too; what it reads of the input counts.
            uses_all(condition.iter(), &mut need);
            need.truncate(input.schema().fields.len());
            // The collection is read from the input row, not from the rows made of it.
            *carried = Some(need.iter().map(Option::is_some).collect());
            uses(collection, &ColumnUse::Whole, &mut need);
            demand(input, need, scans);
        }
        LogicalPlan::WindowJoin {
            left,
            right,
            time_cols,
            keys,
            condition,
            ..
        }
        | LogicalPlan::IntervalJoin {
            left,
            right,
            keys,
            time_cols,
            condition,
            ..
        }
        | LogicalPlan::TemporalJoin {
            left,
            right,
            keys,
            time_cols,
            condition,
            ..
        } => {
            let (l, r) = join_needs(left, right, &need, keys, condition.as_ref(), Some(*time_cols));
            demand(left, l, scans);
            demand(right, r, scans);
        }
        LogicalPlan::LookupJoin {
            left,
            right,
            keys,
            condition,
            ..
        } => {
            let (l, r) = join_needs(left, right, &need, keys, condition.as_ref(), None);
            demand(left, l, scans);
            demand(right, r, scans);
        }
        LogicalPlan::RegularJoin {
            left,
            right,
            keys,
            condition,
            ..
        } => {
            let (l, r) = join_needs(left, right, &need, keys, condition.as_ref(), None);
            demand(left, l, scans);
            demand(right, r, scans);
        }
    }
}

/// Records each scan's projection.
fn annotate(plan: &mut LogicalPlan, scans: &HashMap<String, Need>) {
    let key = scan_key(plan);
    match plan {
        LogicalPlan::Scan { used, schema, .. } => {
            let width = schema.fields.len();
            *used = Some(
                key.and_then(|k| scans.get(&k).cloned())
                    .unwrap_or_else(|| whole(width)),
            );
        }
        LogicalPlan::Values { .. } => {}
        LogicalPlan::Project { input, .. }
        | LogicalPlan::Expand { input, .. }
        | LogicalPlan::Filter { input, .. }
        | LogicalPlan::WindowAssign { input, .. }
        | LogicalPlan::WindowAggregate { input, .. }
        | LogicalPlan::AttachedWindowAggregate { input, .. }
        | LogicalPlan::GroupAggregate { input, .. }
        | LogicalPlan::ChangelogNormalize { input, .. }
        | LogicalPlan::SinkMaterialize { input, .. }
        | LogicalPlan::Over { input, .. }
        | LogicalPlan::Rank { input, .. }
        | LogicalPlan::Deduplicate { input, .. }
        | LogicalPlan::TemporalSort { input, .. }
        | LogicalPlan::Unnest { input, .. } => annotate(input, scans),
        LogicalPlan::Union { inputs, .. } => {
            for input in inputs {
                annotate(input, scans);
            }
        }
        LogicalPlan::WindowJoin { left, right, .. }
        | LogicalPlan::IntervalJoin { left, right, .. }
        | LogicalPlan::TemporalJoin { left, right, .. }
        | LogicalPlan::LookupJoin { left, right, .. }
        | LogicalPlan::RegularJoin { left, right, .. } => {
            annotate(left, scans);
            annotate(right, scans);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::Statement;
    use crate::{Catalog, parse};

    /// The Nexmark table's shape (smaller rows), with its `bid` view.
    const DDL: &str = "
        CREATE TABLE kafka (
            event_type INT,
            person ROW<id BIGINT, name VARCHAR, `dateTime` TIMESTAMP(3)>,
            bid ROW<auction BIGINT, price BIGINT, url VARCHAR, `dateTime` TIMESTAMP(3)>,
            `dateTime` AS CASE WHEN event_type = 0 THEN person.`dateTime` ELSE bid.`dateTime` END,
            WATERMARK FOR `dateTime` AS `dateTime` - INTERVAL '4' SECOND
        ) WITH ('connector' = 'kafka', 'topic' = 't', 'format' = 'json');
        CREATE VIEW bid AS
            SELECT bid.auction, bid.price, bid.url, `dateTime` FROM kafka WHERE event_type = 2;
        CREATE TABLE plain (a INT, b STRING, c ROW<x INT, y INT>)
            WITH ('connector' = 'kafka', 'topic' = 'p', 'format' = 'json');
        CREATE TABLE lists (id INT, arr ARRAY<INT>, s STRING)
            WITH ('connector' = 'kafka', 'topic' = 'l', 'format' = 'json');";

    fn plans(queries: &[&str]) -> Vec<LogicalPlan> {
        let mut catalog = Catalog::new();
        for s in parse(DDL).unwrap_or_default() {
            catalog.apply(&s).unwrap_or_default();
        }
        let mut plans: Vec<LogicalPlan> = queries
            .iter()
            .map(|q| match parse(q).unwrap_or_default().pop() {
                Some(Statement::Select(q)) => {
                    super::super::bind_query(&q, &catalog).unwrap_or_else(|e| panic!("{q}: {}", e.message()))
                }
                _ => panic!("not a query: {q}"),
            })
            .collect();
        push_down_projections(plans.iter_mut());
        plans
    }

    fn scans<'p>(plan: &'p LogicalPlan, out: &mut Vec<&'p LogicalPlan>) {
        match plan {
            LogicalPlan::Scan { .. } => out.push(plan),
            LogicalPlan::Values { .. } => {}
            LogicalPlan::Project { input, .. }
            | LogicalPlan::Expand { input, .. }
            | LogicalPlan::Filter { input, .. }
            | LogicalPlan::WindowAssign { input, .. }
            | LogicalPlan::WindowAggregate { input, .. }
            | LogicalPlan::AttachedWindowAggregate { input, .. }
            | LogicalPlan::GroupAggregate { input, .. }
            | LogicalPlan::ChangelogNormalize { input, .. }
            | LogicalPlan::SinkMaterialize { input, .. }
            | LogicalPlan::Over { input, .. }
            | LogicalPlan::Rank { input, .. }
            | LogicalPlan::Deduplicate { input, .. }
            | LogicalPlan::TemporalSort { input, .. }
            | LogicalPlan::Unnest { input, .. } => scans(input, out),
            LogicalPlan::Union { inputs, .. } => inputs.iter().for_each(|i| scans(i, out)),
            LogicalPlan::WindowJoin { left, right, .. }
            | LogicalPlan::IntervalJoin { left, right, .. }
            | LogicalPlan::TemporalJoin { left, right, .. }
            | LogicalPlan::LookupJoin { left, right, .. }
            | LogicalPlan::RegularJoin { left, right, .. } => {
                scans(left, out);
                scans(right, out);
            }
        }
    }

    fn used(plan: &LogicalPlan) -> Vec<Option<ColumnUse>> {
        let mut found = Vec::new();
        scans(plan, &mut found);
        match found.as_slice() {
            [LogicalPlan::Scan { used: Some(u), .. }, ..] => u.clone(),
            _ => panic!("no annotated scan in {plan:?}"),
        }
    }

    const W: Option<ColumnUse> = Some(ColumnUse::Whole);

    fn fields(f: Vec<Option<ColumnUse>>) -> Option<ColumnUse> {
        Some(ColumnUse::Fields(f))
    }

    #[test]
    fn a_query_on_bids_reads_the_bid_fields_it_names_and_the_rowtime_inputs() {
        let p = plans(&["SELECT auction, price FROM bid WHERE MOD(auction, 123) = 0"]);
        assert_eq!(
            used(&p[0]),
            vec![W, fields(vec![None, None, W]), fields(vec![W, W, None, W]), W]
        );
    }

    #[test]
    fn whole_columns_and_star_read_everything_they_name() {
        let p = plans(&["SELECT * FROM plain"]);
        assert_eq!(used(&p[0]), vec![W, W, W]);
        let p = plans(&["SELECT c, a FROM plain WHERE c IS NOT NULL"]);
        assert_eq!(used(&p[0]), vec![W, None, W]);
        let p = plans(&["SELECT c.y FROM plain WHERE b = 'x'"]);
        assert_eq!(used(&p[0]), vec![None, W, fields(vec![None, W])]);
    }

    #[test]
    fn equal_scans_read_the_union_so_they_stay_one_source() {
        let p = plans(&["SELECT a FROM plain", "SELECT c.x FROM plain WHERE a > 1"]);
        let union = vec![W, None, fields(vec![W, None])];
        assert_eq!(used(&p[0]), union);
        assert_eq!(used(&p[1]), union);
        let mut both = Vec::new();
        scans(&p[0], &mut both);
        scans(&p[1], &mut both);
        assert_eq!(format!("{:?}", both[0]), format!("{:?}", both[1]));
        // A self-join through subqueries: both sides are one source and read the union.
        let p = plans(&["SELECT x.a, y.c.x FROM (SELECT a, c FROM plain) x \
             JOIN (SELECT a, c FROM plain) y ON x.a = y.a"]);
        let mut sides = Vec::new();
        scans(&p[0], &mut sides);
        assert_eq!(sides.len(), 2);
        for s in &sides {
            let LogicalPlan::Scan { used: Some(u), .. } = s else {
                panic!("not annotated");
            };
            assert_eq!(*u, vec![W, None, fields(vec![W, None])]);
        }
        assert_eq!(format!("{:?}", sides[0]), format!("{:?}", sides[1]));
    }

    #[test]
    fn windows_read_their_time_column_keys_and_aggregate_arguments() {
        let p = plans(&[
            "SELECT window_start, MAX(price) FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(`dateTime`), \
             INTERVAL '10' SECOND)) GROUP BY window_start, window_end",
        ]);
        assert_eq!(
            used(&p[0]),
            vec![W, fields(vec![None, None, W]), fields(vec![None, W, None, W]), W]
        );
    }

    /// The `carried` of the first unnest in `plan`.
    fn carried(plan: &LogicalPlan) -> Option<Vec<bool>> {
        match plan {
            LogicalPlan::Unnest { carried, .. } => carried.clone(),
            other => other.inputs().into_iter().find_map(carried),
        }
    }

    #[test]
    fn an_unnest_carries_only_the_columns_read_above_it() {
        // `arr` is read for its elements, not from the rows made of them.
        let p = plans(&["SELECT id, x FROM lists CROSS JOIN UNNEST(arr) AS u(x) WHERE s <> ''"]);
        assert_eq!(used(&p[0]), vec![W, W, W]);
        assert_eq!(carried(&p[0]), Some(vec![true, false, true]));
        // An ON condition reads the rows made.
        let p = plans(&["SELECT x FROM lists LEFT JOIN UNNEST(arr) AS u(x) ON x > id"]);
        assert_eq!(used(&p[0]), vec![W, W, None]);
        assert_eq!(carried(&p[0]), Some(vec![true, false, false]));
        let p = plans(&["SELECT * FROM lists CROSS JOIN UNNEST(arr) AS u(x)"]);
        assert_eq!(carried(&p[0]), Some(vec![true, true, true]));
    }
}
