//! Temporal joins: `FROM l [LEFT] JOIN v FOR SYSTEM_TIME AS OF l.t ON ..` into a
//! [`LogicalPlan::TemporalJoin`] on event time, with Flink 2.3's checks and messages, in the
//! order its planner raises them (established against Flink: see the golden errors in
//! `tests/it/temporal_join.rs`). Processing-time temporal joins against a changelog table are
//! refused, as Flink 2.3 refuses them: only lookup tables may be joined so, and those joins
//! are lookup joins (`lookup_join.rs`).

use super::join::{and_all, key_pair, split_and};
use super::*;
use crate::ident::Loc;
use crate::plan::TimeAttr;

impl Binder<'_> {
    /// Joins `l` with the versioned table `right` (a [`TableRef::Versioned`]).
    pub(super) fn temporal_join(
        &mut self,
        l: LogicalPlan,
        right: &TableRef,
        kind: JoinKind,
        on: Option<&Expr>,
    ) -> Result<LogicalPlan> {
        let TableRef::Versioned {
            name,
            as_of,
            alias,
            loc,
        } = right
        else {
            return Err(SqlError::validation(
                "internal error: not a versioned table",
                None,
            ));
        };
        let at = loc.pos();
        let fail = |message: &str| Err(SqlError::validation(message, at));
        let mut r = self.relation(name)?;
        apply_alias(&mut r, alias.as_ref(), Some(name.base()))?;
        let kind = match kind {
            JoinKind::Inner | JoinKind::Cross => JoinKind::Inner,
            JoinKind::Left => JoinKind::Left,
            // Flink's planner has no temporal join of these kinds and fails on them so.
            JoinKind::Right => return fail("Unknown join type RIGHT"),
            JoinKind::Full => return fail("Unknown join type FULL"),
        };
        let lw = l.schema().fields.len();
        let (time_col, event_time) = left_time_attribute(&l, &r, as_of, loc)?;
        if !event_time && super::lookup_join::is_lookup_source(&r) {
            return self.lookup_join(l, r, kind, on, loc);
        }

        let mut fields = l.schema().fields.clone();
        fields.extend(r.schema().fields.iter().cloned().map(|mut f| {
            // The versioned side's rowtime is materialized (Flink casts it to a plain
            // timestamp after the join).
            f.time = None;
            f.ty.nullable |= kind == JoinKind::Left;
            f
        }));
        let combined = Schema { fields };
        let scope = RelScope { schema: &combined };
        let mut conjuncts = Vec::new();
        if let Some(on) = on {
            split_and(on, &mut conjuncts);
        }
        let mut keys: Vec<(BoundExpr, BoundExpr)> = Vec::new();
        let mut residual: Vec<BoundExpr> = Vec::new();
        for c in conjuncts {
            // Equalities of a left and a right expression are the join keys, as in a regular
            // join (`join.rs`); everything else is the residual condition.
            if let Expr::Binary {
                left: a,
                op: ast::BinaryOp::Eq,
                right: b,
            } = c.without_parentheses()
                && let Some(pair) = key_pair(a, b, &scope, lw)?
            {
                keys.push(pair);
                continue;
            }
            let b = expr::bind(c, &scope)?;
            expect_boolean(&b, "ON")?;
            residual.push(b);
        }
        if keys.is_empty() {
            return fail("Currently the join key in Temporal Table Join can not be empty.");
        }
        let right_time = r.schema().rowtime();
        if event_time && right_time.is_none() {
            return fail(
                "Event-Time Temporal Table Join requires both primary key and row time attribute in versioned table, but no row time attribute can be found.",
            );
        }
        let right_keys: Vec<usize> = keys.iter().filter_map(|(_, rk)| rk.as_column()).collect();
        if !r
            .upsert_keys()
            .iter()
            .any(|pk| pk.iter().all(|c| right_keys.contains(c)))
        {
            return fail(
                "Temporal Table Join requires primary key in versioned table, but no primary key can be found.",
            );
        }
        let Some(right_time) = right_time.filter(|_| event_time) else {
            return fail("Processing-time temporal join is not supported yet.");
        };
        let (lt, rt) = (&l.schema().fields[time_col].ty, &r.schema().fields[right_time].ty);
        if lt.kind != rt.kind {
            return fail(&format!(
                "Event-Time Temporal Table Join requires same rowtime type in left table and versioned table, but the rowtime types are {} *ROWTIME* and {} *ROWTIME*.",
                lt.kind, rt.kind
            ));
        }
        if filters_versions(&r) {
            return fail(
                "Filter is not allowed for right changelog input of event time temporal join, it will corrupt the versioning of data. Please consider removing the filter before joining.",
            );
        }
        Ok(LogicalPlan::TemporalJoin {
            left: Box::new(l),
            right: Box::new(r),
            keys,
            time_cols: (time_col, right_time),
            condition: and_all(residual),
            kind,
            schema: combined,
        })
    }
}

/// The left column `as_of` names and whether it is event time; Flink's messages otherwise.
fn left_time_attribute(l: &LogicalPlan, r: &LogicalPlan, as_of: &Expr, loc: &Loc) -> Result<(usize, bool)> {
    let fail = |message: &str| Err(SqlError::validation(message, loc.pos()));
    let Expr::Column(path) = as_of.without_parentheses() else {
        let empty = Schema::default();
        if expr::bind(as_of, &RelScope { schema: &empty }).is_ok() {
            // A constant time: Flink reads a past version of the table from its catalog
            // ("time travel"), which its in-memory catalog cannot do either.
            return fail(
                "FOR SYSTEM_TIME AS OF a constant (time travel) is not supported: getTable(ObjectPath, long) is not implemented for class org.apache.flink.table.catalog.GenericInMemoryCatalog.",
            );
        }
        return fail(
            "Temporal table join currently only supports 'FOR SYSTEM_TIME AS OF' left table's time attribute field'",
        );
    };
    let i = match (RelScope { schema: l.schema() }).resolve(path) {
        Ok(i) => i,
        Err(e) if (RelScope { schema: r.schema() }).resolve(path).is_ok() => {
            let _ = e;
            return fail(
                "Temporal Table Join requires time attribute in the left table, but no time attribute found.",
            );
        }
        Err(e) => return Err(e),
    };
    match l.schema().fields[i].time {
        Some(TimeAttr::Rowtime) => Ok((i, true)),
        Some(TimeAttr::Proctime) => Ok((i, false)),
        None => fail(
            "Temporal table join currently only supports 'FOR SYSTEM_TIME AS OF' left table's time attribute field",
        ),
    }
}

/// Whether the versioned side filters its rows on the way from its table (a `WHERE` in its
/// view): a filtered-out update would leave the version before it valid for too long.
fn filters_versions(plan: &LogicalPlan) -> bool {
    match plan {
        LogicalPlan::Filter { .. } => true,
        LogicalPlan::ChangelogNormalize { condition, input, .. } => {
            condition.is_some() || filters_versions(input)
        }
        LogicalPlan::Project { input, .. } => filters_versions(input),
        _ => false,
    }
}
