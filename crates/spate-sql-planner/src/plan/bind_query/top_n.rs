//! Flink's rewrite of a rank filter over a ranking window function (`WHERE rn <= 3`, `rn = 1`,
//! `rn BETWEEN 2 AND 5` over `ROW_NUMBER() OVER (..)`) into a Top-N ([`LogicalPlan::Rank`]) or a
//! deduplication ([`LogicalPlan::Deduplicate`]), as its `FlinkLogicalRankRule` and
//! `RankUtil.canConvertToDeduplicate` do; over a window TVF's or window aggregate's rows
//! partitioned by their window, a window Top-N or deduplication.

use super::*;
use crate::plan::{RankKind, RankWindow, deduplication, extract_rank_range};

/// Flink's rank rewrite over a bound `SELECT`: `Project(Filter(Project(Over)))` whose filter
/// bounds the rank column becomes a `Rank` (or a `Deduplicate`) with the rest of the filter
/// above it. The rank column is output only when the outer projection or the rest of the filter
/// reads it (Flink's `outputRankNumber`).
pub(super) fn top_n(plan: LogicalPlan) -> Result<LogicalPlan> {
    let LogicalPlan::Project {
        input: filter,
        exprs: outer,
        schema: outer_schema,
    } = plan
    else {
        return Ok(plan);
    };
    let rewritable = matches!(
        &*filter,
        LogicalPlan::Filter { input, .. }
            if matches!(&**input, LogicalPlan::Project { input, .. } if matches!(&**input, LogicalPlan::Over { calls, aggs, lags, .. } if calls.len() == 1 && aggs.is_empty() && lags.is_empty()))
    );
    if !rewritable {
        return Ok(LogicalPlan::Project {
            input: filter,
            exprs: outer,
            schema: outer_schema,
        });
    }
    let LogicalPlan::Filter {
        input: inner,
        predicate,
    } = *filter
    else {
        return Err(SqlError::validation(
            "internal error: a Top-N shape changed",
            None,
        ));
    };
    let LogicalPlan::Project {
        input: over,
        exprs: inner_exprs,
        schema: inner_schema,
    } = *inner
    else {
        return Err(SqlError::validation(
            "internal error: a Top-N shape changed",
            None,
        ));
    };
    let LogicalPlan::Over {
        input,
        partition_by,
        order_by,
        calls,
        aggs,
        lags,
        frame,
        schema: over_schema,
    } = *over
    else {
        return Err(SqlError::validation(
            "internal error: a Top-N shape changed",
            None,
        ));
    };
    let width = input.schema().fields.len();
    let rank_at = inner_exprs.iter().position(|e| e.as_column() == Some(width));
    if let Some(at) = rank_at
        && variable_rank_end(&predicate, at)
    {
        // Flink's `VariableRankRange` (the end read from each row's column).
        return Err(unsupported(
            "a Top-N whose rank end is a column (rn <= column)",
            None,
        ));
    }
    let range = rank_at.and_then(|at| extract_rank_range(&predicate, at));
    let (Some(at), Some((range, rest))) = (rank_at, range) else {
        // No rank filter: the Over node stays, and is refused once the query is bound.
        let over = LogicalPlan::Over {
            input,
            partition_by,
            order_by,
            calls,
            aggs,
            lags,
            frame,
            schema: over_schema,
        };
        return Ok(LogicalPlan::Project {
            input: Box::new(LogicalPlan::Filter {
                input: Box::new(LogicalPlan::Project {
                    input: Box::new(over),
                    exprs: inner_exprs,
                    schema: inner_schema,
                }),
                predicate,
            }),
            exprs: outer,
            schema: outer_schema,
        });
    };
    let kind = calls[0];
    if range.end < 1 {
        return Err(SqlError::validation(
            format!("Rank end should not less than zero, but now is {}", range.end),
            None,
        ));
    }
    if range.end == i64::MAX {
        return Err(SqlError::validation(
            "Rank end is not specified. Currently rank only support TopN, which means the rank end must be specified.",
            None,
        ));
    }
    let mut read = false;
    for e in outer.iter().chain(&rest) {
        e.visit_columns(&mut |c| read |= c == at);
    }
    let output_rank = read;
    let window = rank_window(&input, &partition_by);
    if kind != RankKind::RowNumber {
        // Flink 2.3 plans it and fails translating it (`StreamExecRank`, `StreamExecWindowRank`).
        let message = match window {
            None => format!("{}() on streaming table is not supported currently", kind.name()),
            Some(_) => format!(
                "{}() function is not supported on Window TopN currently, only ROW_NUMBER() is supported.",
                kind.name()
            ),
        };
        return Err(SqlError::validation(message, None));
    }
    // Flink deduplicates an insert-only input; over updates the Top-1 stays a Top-N (it
    // retracts).
    let dedup = deduplication(&input, kind, range, output_rank, &order_by)
        .filter(|_| input.modify_kinds().is_insert_only());
    let ranked: LogicalPlan = match dedup {
        Some((order, rowtime)) => LogicalPlan::Deduplicate {
            input,
            keys: partition_by,
            order,
            rowtime,
            keep_last: !order_by[0].ascending,
            window,
        },
        None => {
            let mut fields = input.schema().fields.clone();
            if output_rank {
                fields.push(over_schema.fields[width].clone());
            }
            LogicalPlan::Rank {
                input,
                partition_by,
                order_by,
                kind,
                range,
                output_rank,
                window,
                schema: Schema { fields },
            }
        }
    };
    // Without the rank column the inner projection drops it, and the columns after it move.
    let (inner_exprs, inner_schema, outer, rest) = if output_rank {
        (inner_exprs, inner_schema, outer, rest)
    } else {
        let shift = |c: usize| if c > at { c - 1 } else { c };
        let mut exprs = inner_exprs;
        exprs.remove(at);
        let mut schema = inner_schema;
        schema.fields.remove(at);
        (
            exprs,
            schema,
            outer.iter().map(|e| e.map_columns(&shift)).collect(),
            rest.iter().map(|e| e.map_columns(&shift)).collect(),
        )
    };
    let mut below = LogicalPlan::Project {
        input: Box::new(ranked),
        exprs: inner_exprs,
        schema: inner_schema,
    };
    if let Some(predicate) = super::join::and_all(rest) {
        below = LogicalPlan::Filter {
            input: Box::new(below),
            predicate,
        };
    }
    Ok(LogicalPlan::Project {
        input: Box::new(below),
        exprs: outer,
        schema: outer_schema,
    })
}

/// Whether a conjunct bounds the rank column `at` from above by another column.
fn variable_rank_end(predicate: &BoundExpr, at: usize) -> bool {
    use crate::expr::{CmpOp, ScalarFunc};
    match predicate {
        BoundExpr::Call {
            func: ScalarFunc::And,
            args,
            ..
        } => args.iter().any(|a| variable_rank_end(a, at)),
        BoundExpr::Call {
            func: ScalarFunc::Compare(op),
            args,
            ..
        } => match args.as_slice() {
            [l, r] if l.as_column() == Some(at) => {
                matches!(op, CmpOp::Lt | CmpOp::LtEq | CmpOp::Eq) && !r.is_constant()
            }
            [l, r] if r.as_column() == Some(at) => {
                matches!(op, CmpOp::Gt | CmpOp::GtEq | CmpOp::Eq) && !l.is_constant()
            }
            _ => false,
        },
        _ => false,
    }
}

/// The window columns of a window TVF's or window aggregate's rows when the partition holds
/// both `window_start` and `window_end` (Flink's `WindowUtil.groupingContainsWindowStartEnd`):
/// then the Top-N is per window and runs when the window fires.
fn rank_window(input: &LogicalPlan, partition_by: &[usize]) -> Option<RankWindow> {
    let w = window_columns(input)?;
    (partition_by.contains(&w.start) && partition_by.contains(&w.end)).then_some(w)
}

/// Where `window_start` and `window_end` are in `plan`'s rows, when they come from a window TVF
/// or a window aggregate (through projections that pass them on).
fn window_columns(plan: &LogicalPlan) -> Option<RankWindow> {
    match plan {
        LogicalPlan::WindowAssign { input, .. } => {
            let width = input.schema().fields.len();
            Some(RankWindow {
                start: width,
                end: width + 1,
            })
        }
        LogicalPlan::WindowAggregate { keys, properties, .. } => {
            let at = |p: WindowProperty| properties.iter().position(|q| *q == p).map(|i| keys.len() + i);
            Some(RankWindow {
                start: at(WindowProperty::Start)?,
                end: at(WindowProperty::End)?,
            })
        }
        LogicalPlan::Filter { input, .. } => window_columns(input),
        LogicalPlan::Project { input, exprs, .. } => {
            let w = window_columns(input)?;
            let find = |c: usize| exprs.iter().position(|e| e.as_column() == Some(c));
            Some(RankWindow {
                start: find(w.start)?,
                end: find(w.end)?,
            })
        }
        _ => None,
    }
}
