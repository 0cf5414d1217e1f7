//! `ORDER BY .. LIMIT n` of a streaming query: Flink's `SortLimit`, a Top-N over one global
//! partition (the rows that rank first by the order, kept current as rows arrive and leave:
//! an updating result). `ORDER BY` without `LIMIT` sorts only on a time attribute in Flink
//! (its temporal sort), which Spate does not run yet; on another column Flink refuses it.

use super::*;
use crate::ast::OrderBy;
use crate::plan::{RankKind, RankRange, SortKey};

impl Binder<'_> {
    /// `plan` ordered by `order_by` and cut at `limit` rows.
    pub(super) fn sort_limit(
        &mut self,
        plan: LogicalPlan,
        order_by: &[OrderBy],
        limit: Option<&Expr>,
    ) -> Result<LogicalPlan> {
        let scope = RelScope {
            schema: plan.schema(),
        };
        let mut keys = Vec::new();
        let mut on_time = false;
        for (i, o) in order_by.iter().enumerate() {
            let b = expr::bind(&o.expr, &scope)?;
            let Some(column) = b.as_column() else {
                return Err(unsupported(format!("ORDER BY the expression {}", o.expr), None));
            };
            let ascending = o.asc.unwrap_or(true);
            if i == 0 {
                on_time = plan.schema().fields[column].time.is_some() && ascending;
            }
            keys.push(SortKey {
                column,
                ascending,
                nulls_first: o.nulls_first.unwrap_or(ascending),
            });
        }
        let Some(limit) = limit else {
            if on_time {
                return Err(unsupported(
                    "ORDER BY a time attribute without LIMIT (Flink's temporal sort)",
                    None,
                ));
            }
            return Err(SqlError::validation(
                "Sort on a non-time-attribute field is not supported.",
                None,
            ));
        };
        if keys.is_empty() {
            return Err(unsupported("LIMIT without ORDER BY", None));
        }
        let n = expr::bind(
            limit,
            &RelScope {
                schema: &Schema::default(),
            },
        )?
        .constant_value()
        .and_then(|v| v.as_i64());
        let Some(n) = n.filter(|n| *n >= 0) else {
            return Err(SqlError::validation(
                format!("LIMIT takes a non-negative integer constant, not {limit}"),
                None,
            ));
        };
        let schema = plan.schema().clone();
        Ok(LogicalPlan::Rank {
            input: Box::new(plan),
            partition_by: Vec::new(),
            order_by: keys,
            kind: RankKind::RowNumber,
            range: RankRange { start: 1, end: n },
            output_rank: false,
            window: None,
            schema,
        })
    }
}
