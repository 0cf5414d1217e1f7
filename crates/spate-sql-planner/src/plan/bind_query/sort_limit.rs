//! `ORDER BY`, `LIMIT` and `OFFSET` of a streaming query, as Flink 2.3 plans a `Sort`:
//!
//! - with `LIMIT` (or `FETCH`) and `ORDER BY`: `SortLimit`, a Top-N over one global partition
//!   (the rows that rank `OFFSET + 1` to `OFFSET + LIMIT` by the order, kept current as rows
//!   arrive and leave: an updating result);
//! - with `LIMIT` and no `ORDER BY`: `Limit`, the same rank without a sort key (the first rows
//!   in arrival order; insert-only over an insert-only input);
//! - `ORDER BY` alone, whose first key is a time attribute ascending: `TemporalSort`;
//! - on any other first key Flink refuses the sort, and an `OFFSET` without `LIMIT` too.

use super::*;
use crate::ast::OrderBy;
use crate::plan::{RankKind, RankRange, SortKey, TimeAttr};

/// Flink's refusal of a sort on anything but a time attribute ascending (`StreamExecSort`).
const NON_TIME_SORT: &str = "Sort on a non-time-attribute field is not supported.";

/// Flink's refusal of an `OFFSET` without `LIMIT` (`StreamExecLimit`, `StreamExecSortLimit`).
const NO_FETCH: &str = "FETCH is missed, which on streaming table is not supported currently.";

impl Binder<'_> {
    /// `plan` ordered by `order_by`, past `offset` rows and cut at `limit` rows.
    pub(super) fn sort_limit(
        &mut self,
        plan: LogicalPlan,
        order_by: &[OrderBy],
        limit: Option<&Expr>,
        offset: Option<&Expr>,
    ) -> Result<LogicalPlan> {
        let width = plan.schema().fields.len();
        let mut plan = plan;
        let mut keys = Vec::new();
        for o in order_by {
            let b = match expr::bind(
                &o.expr,
                &RelScope {
                    schema: plan.schema(),
                },
            ) {
                Ok(b) => b,
                Err(e) => hidden_column(&mut plan, &o.expr).ok_or(e)?,
            };
            let Some(column) = b.as_column() else {
                return Err(unsupported(format!("ORDER BY the expression {}", o.expr), None));
            };
            let ascending = o.asc.unwrap_or(true);
            keys.push(SortKey {
                column,
                ascending,
                nulls_first: o.nulls_first.unwrap_or(ascending),
            });
        }
        if limit.is_none() && offset.is_none() {
            let time = keys
                .first()
                .filter(|k| k.ascending)
                .and_then(|k| plan.schema().fields[k.column].time);
            let Some(time) = time else {
                return Err(SqlError::validation(NON_TIME_SORT, None));
            };
            let sorted = LogicalPlan::TemporalSort {
                input: Box::new(plan),
                order_by: keys,
                rowtime: time == TimeAttr::Rowtime,
            };
            return Ok(drop_hidden(sorted, width));
        }
        let Some(limit) = limit else {
            return Err(SqlError::validation(NO_FETCH, None));
        };
        let n = row_count(limit, "LIMIT")?;
        let skip = match offset {
            Some(o) => row_count(o, "OFFSET")?,
            None => 0,
        };
        let schema = plan.schema().clone();
        let ranked = LogicalPlan::Rank {
            input: Box::new(plan),
            partition_by: Vec::new(),
            order_by: keys,
            kind: RankKind::RowNumber,
            range: RankRange::constant(skip.saturating_add(1), skip.saturating_add(n)),
            output_rank: false,
            window: None,
            schema,
        };
        Ok(drop_hidden(ranked, width))
    }
}

/// An `ORDER BY` column of the `FROM` that the `SELECT` list leaves out: Calcite sorts on it
/// as a hidden column of the projection, dropped after the sort. Adds it to `plan` when that is
/// a projection whose input has it.
fn hidden_column(plan: &mut LogicalPlan, e: &Expr) -> Option<BoundExpr> {
    let LogicalPlan::Project { input, exprs, schema } = plan else {
        return None;
    };
    let b = expr::bind(
        e,
        &RelScope {
            schema: input.schema(),
        },
    )
    .ok()?;
    let column = b.as_column()?;
    exprs.push(b);
    schema.fields.push(input.schema().fields[column].clone());
    Some(BoundExpr::Column {
        index: exprs.len() - 1,
        ty: schema.fields[exprs.len() - 1].ty.clone(),
    })
}

/// `plan` without the hidden sort columns after its first `width`.
fn drop_hidden(plan: LogicalPlan, width: usize) -> LogicalPlan {
    let fields = &plan.schema().fields;
    if fields.len() == width {
        return plan;
    }
    let exprs = fields[..width]
        .iter()
        .enumerate()
        .map(|(index, f)| BoundExpr::Column {
            index,
            ty: f.ty.clone(),
        })
        .collect();
    let schema = Schema {
        fields: fields[..width].to_vec(),
    };
    LogicalPlan::Project {
        input: Box::new(plan),
        exprs,
        schema,
    }
}

/// The value of a `LIMIT` or `OFFSET`: a non-negative integer constant.
fn row_count(e: &Expr, clause: &str) -> Result<i64> {
    let n = expr::bind(
        e,
        &RelScope {
            schema: &Schema::default(),
        },
    )?
    .constant_value()
    .and_then(|v| v.as_i64());
    n.filter(|n| *n >= 0).ok_or_else(|| {
        SqlError::validation(
            format!("{clause} takes a non-negative integer constant, not {e}"),
            None,
        )
    })
}

#[cfg(test)]
mod tests {
    use crate::ast::Statement;
    use crate::plan::LogicalPlan;
    use crate::{Catalog, parse};

    const DDL: &str = "
        CREATE TABLE t (id INT, v INT, ts TIMESTAMP(3), pt AS PROCTIME(),
            WATERMARK FOR ts AS ts - INTERVAL '2' SECOND)
          WITH ('connector' = 'filesystem', 'path' = '/tmp/x', 'format' = 'csv');
        CREATE TABLE c (id INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '2' SECOND)
          WITH ('connector' = 'filesystem', 'path' = '/tmp/y', 'format' = 'debezium-json');
        CREATE VIEW vo AS SELECT * FROM t ORDER BY v;
        CREATE VIEW vt AS SELECT * FROM t ORDER BY ts;";

    fn bind(sql: &str) -> Result<LogicalPlan, String> {
        let mut catalog = Catalog::new();
        for s in parse(DDL).unwrap_or_default() {
            catalog.apply(&s).unwrap_or_default();
        }
        match parse(sql).map_err(|e| e.message().to_string())?.pop() {
            Some(Statement::Select(q)) => {
                super::super::bind_query(&q, &catalog).map_err(|e| e.message().to_string())
            }
            _ => Err("not a query".into()),
        }
    }

    fn explain(sql: &str) -> String {
        bind(sql).unwrap_or_else(|e| panic!("{sql}: {e}")).explain(true)
    }

    fn err(sql: &str) -> String {
        bind(sql).err().unwrap_or_else(|| panic!("{sql}: planned"))
    }

    #[test]
    fn order_by_a_time_attribute_ascending_is_a_temporal_sort() {
        let plan = explain("SELECT id, ts FROM t ORDER BY ts, v DESC");
        assert!(
            plan.contains("TemporalSort(orderBy=[ts ASC, v DESC], changelogMode=[I])"),
            "{plan}"
        );
        let plan = explain("SELECT id, v FROM t ORDER BY pt, v");
        assert!(plan.contains("TemporalSort(orderBy=[pt ASC, v ASC]"), "{plan}");
        // A sort column the SELECT list leaves out is sorted on, then dropped.
        let plan = bind("SELECT id FROM t ORDER BY ts").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(plan.schema().fields.len(), 1);
        assert!(plan.explain(false).contains("TemporalSort(orderBy=[ts ASC])"));
        // In a subquery or WITH item Calcite drops an ORDER BY without LIMIT.
        assert!(!explain("SELECT id FROM (SELECT * FROM t ORDER BY ts) WHERE id > 1").contains("Sort"));
        assert!(!explain("SELECT id FROM (SELECT * FROM t ORDER BY v) WHERE id > 1").contains("Sort"));
        assert!(!explain("WITH x AS (SELECT * FROM t ORDER BY v) SELECT id FROM x").contains("Sort"));
        // Flink expands a view as a top query: its ORDER BY stays, and fails where the view
        // is read (checked on Flink 2.3), not when it is created.
        assert_eq!(
            err("SELECT id FROM vo"),
            "Sort on a non-time-attribute field is not supported."
        );
        assert!(explain("SELECT id FROM vt").contains("TemporalSort(orderBy=[ts ASC]"));
        let mut catalog = Catalog::new();
        for s in parse(DDL).unwrap_or_default() {
            catalog.apply(&s).unwrap_or_default();
        }
        let Some(Statement::Select(q)) = parse("SELECT * FROM t ORDER BY v").unwrap_or_default().pop() else {
            panic!("not a query");
        };
        assert!(super::super::bind_view_query(&q, &catalog).is_ok());
        assert!(super::super::bind_query(&q, &catalog).is_err());
    }

    #[test]
    fn other_sorts_are_refused_in_flinks_words() {
        for sql in [
            "SELECT id FROM t ORDER BY ts DESC",
            "SELECT id FROM t ORDER BY v",
            "SELECT id FROM t ORDER BY v, ts",
        ] {
            assert_eq!(
                err(sql),
                "Sort on a non-time-attribute field is not supported.",
                "{sql}"
            );
        }
        for sql in [
            "SELECT id FROM t OFFSET 2 ROWS",
            "SELECT id FROM t ORDER BY v OFFSET 2 ROWS",
        ] {
            assert_eq!(
                err(sql),
                "FETCH is missed, which on streaming table is not supported currently.",
                "{sql}"
            );
        }
        assert_eq!(
            err("SELECT id, ts FROM c ORDER BY ts"),
            "StreamPhysicalTemporalSort doesn't support consuming update and delete changes which is produced by node TableSourceScan(table=[[default_catalog, default_database, c]], fields=[id, ts])"
        );
        assert_eq!(
            err("SELECT id FROM t LIMIT 2 OFFSET -1"),
            "OFFSET takes a non-negative integer constant, not -1"
        );
    }

    #[test]
    fn limit_without_order_is_flinks_limit() {
        let plan = explain("SELECT id FROM t LIMIT 3");
        assert!(
            plan.contains("Limit(offset=[0], fetch=[3], changelogMode=[I])"),
            "{plan}"
        );
        let plan = explain("SELECT id FROM t LIMIT 2 OFFSET 3");
        assert!(
            plan.contains("Limit(offset=[3], fetch=[2], changelogMode=[I])"),
            "{plan}"
        );
        let plan = explain("SELECT id FROM t OFFSET 1 ROWS FETCH NEXT 3 ROWS ONLY");
        assert!(plan.contains("Limit(offset=[1], fetch=[3]"), "{plan}");
        let plan = explain("SELECT id FROM t FETCH FIRST ROW ONLY");
        assert!(plan.contains("Limit(offset=[0], fetch=[1]"), "{plan}");
        // Over updates it retracts, as any Top-N.
        let plan = explain("SELECT v, c FROM (SELECT v, COUNT(*) AS c FROM t GROUP BY v) LIMIT 2");
        assert!(
            plan.contains("Limit(offset=[0], fetch=[2], changelogMode=[I,UA,D]"),
            "{plan}"
        );
        // With an order, an offset moves the ranks kept.
        let plan = explain("SELECT id, v FROM t ORDER BY v DESC LIMIT 2 OFFSET 1");
        assert!(plan.contains("rankRange=[rankStart=2, rankEnd=3]"), "{plan}");
    }
}
