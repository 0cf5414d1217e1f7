//! Flink's rewrite of a rank filter over a ranking window function (`WHERE rn <= 3`, `rn = 1`,
//! `rn BETWEEN 2 AND 5` over `ROW_NUMBER() OVER (..)`) into a Top-N ([`LogicalPlan::Rank`]) or a
//! deduplication ([`LogicalPlan::Deduplicate`]), as its `FlinkLogicalRankRule` and
//! `RankUtil.canConvertToDeduplicate` do; over a window TVF's or window aggregate's rows
//! partitioned by their window, a window Top-N or deduplication.

use super::*;
use crate::plan::{RankKind, RankRange, RankWindow, deduplication, extract_rank_range};

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
    let range = match rank_at {
        Some(at) => match variable_rank_range(&predicate, at, &inner_exprs, width) {
            VariableEnd::Column(column, rest) => {
                check_rank_end_type(&input, column)?;
                Some((
                    RankRange {
                        start: 1,
                        end: i64::MAX,
                        end_column: Some(column),
                    },
                    rest,
                ))
            }
            VariableEnd::NotARank => None,
            VariableEnd::Constant => extract_rank_range(&predicate, at),
        },
        None => None,
    };
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
    let variable = range.end_column.is_some();
    if !variable && range.end < 1 {
        return Err(SqlError::validation(
            format!("Rank end should not less than zero, but now is {}", range.end),
            None,
        ));
    }
    if !variable && range.end == i64::MAX {
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
    if variable && window.is_some() {
        // Flink's window Top-N reads a constant range only (`StreamExecWindowRank`).
        return Err(unsupported("a window Top-N whose rank end is a column", None));
    }
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

/// What the rank conjuncts of a filter over a ranking function say about a rank end read from
/// a column (Flink's `RankUtil.extractRankRange`).
enum VariableEnd {
    /// One conjunct bounds the rank from above (`rn <= col`, `rn < col`, `rn = col`, mirrored)
    /// by this input column, and it is the only conjunct on the rank: Flink's
    /// `VariableRankRange` (the strictness of `<` is ignored, as Flink ignores it). The other
    /// conjuncts follow.
    Column(usize, Vec<BoundExpr>),
    /// A rank conjunct compares with something neither constant nor that: no Top-N (the
    /// ranking function stays an OVER aggregate, which Flink then refuses).
    NotARank,
    /// Every rank conjunct compares with a constant (or there is none).
    Constant,
}

/// Flink's `identifyLimitPredicate` and `computeWindowBoundFromPredicate` for a bound that is
/// not a constant: over the inner projection `exprs` of the OVER's rows (the rank at `at`, the
/// OVER's input columns below `width`).
fn variable_rank_range(predicate: &BoundExpr, at: usize, exprs: &[BoundExpr], width: usize) -> VariableEnd {
    use crate::expr::{CmpOp, ScalarFunc};
    let mut conjuncts = Vec::new();
    conjuncts_of(predicate, &mut conjuncts);
    let reads_rank = |e: &BoundExpr| {
        let mut found = false;
        e.visit_columns(&mut |c| found |= c == at);
        found
    };
    let mut rank_preds = Vec::new();
    let mut rest = Vec::new();
    for c in conjuncts {
        let bound = match &c {
            BoundExpr::Call {
                func: ScalarFunc::Compare(op),
                args,
                ..
            } if *op != CmpOp::NotEq => match args.as_slice() {
                [l, r] if is_rank_ref(l, at) && !reads_rank(r) => Some((*op, r.clone(), true)),
                [l, r] if is_rank_ref(r, at) && !reads_rank(l) => Some((*op, l.clone(), false)),
                _ => None,
            },
            _ => None,
        };
        match bound {
            Some(b) => rank_preds.push(b),
            None => rest.push(c),
        }
    }
    if rank_preds.iter().all(|(_, other, _)| other.is_constant()) {
        return VariableEnd::Constant;
    }
    let [(op, other, rank_left)] = rank_preds.as_slice() else {
        return VariableEnd::NotARank;
    };
    let upper = match op {
        CmpOp::Eq => true,
        CmpOp::Lt | CmpOp::LtEq => *rank_left,
        CmpOp::Gt | CmpOp::GtEq => !*rank_left,
        CmpOp::NotEq => false,
    };
    // The bound must be an input column as it is (Flink's `RexInputRef`); the binder's widening
    // of a narrower integer column to the rank's `BIGINT` is no expression in Flink.
    let column = widened_column(other)
        .and_then(|c| exprs.get(c))
        .and_then(BoundExpr::as_column)
        .filter(|c| *c < width);
    match column {
        Some(c) if upper => VariableEnd::Column(c, rest),
        _ => VariableEnd::NotARank,
    }
}

/// Flink reads a variable rank end as a `BIGINT`, `INT` or `SMALLINT` (`AbstractTopNFunction`),
/// and fails on any other type when the job starts, naming the type's class; Spate refuses it
/// when planning, in those words.
fn check_rank_end_type(input: &LogicalPlan, column: usize) -> Result<()> {
    use crate::types::TypeKind;
    let kind = &input.schema().fields[column].ty.kind;
    let class = match kind {
        TypeKind::BigInt | TypeKind::Int | TypeKind::SmallInt => return Ok(()),
        TypeKind::TinyInt => "TinyIntType".to_string(),
        TypeKind::Float => "FloatType".to_string(),
        TypeKind::Double => "DoubleType".to_string(),
        TypeKind::Decimal { .. } => "DecimalType".to_string(),
        TypeKind::Char(_) => "CharType".to_string(),
        TypeKind::Varchar(_) => "VarCharType".to_string(),
        other => other.to_string(),
    };
    Err(SqlError::validation(
        format!(
            "variable rank index column must be long type, while input type is org.apache.flink.table.types.logical.{class}"
        ),
        None,
    ))
}

/// The column of `e` when it is one, or one widened by a single cast of the binder's.
fn widened_column(e: &BoundExpr) -> Option<usize> {
    use crate::expr::ScalarFunc;
    match e {
        BoundExpr::Call {
            func: ScalarFunc::Cast { .. },
            args,
            ..
        } if args.len() == 1 => args[0].as_column(),
        other => other.as_column(),
    }
}

fn is_rank_ref(e: &BoundExpr, at: usize) -> bool {
    strip_cast(e).as_column() == Some(at)
}

/// An expression without the casts the binder put around it.
fn strip_cast(e: &BoundExpr) -> &BoundExpr {
    use crate::expr::ScalarFunc;
    match e {
        BoundExpr::Call {
            func: ScalarFunc::Cast { .. },
            args,
            ..
        } if args.len() == 1 => strip_cast(&args[0]),
        other => other,
    }
}

fn conjuncts_of(e: &BoundExpr, out: &mut Vec<BoundExpr>) {
    use crate::expr::ScalarFunc;
    match e {
        BoundExpr::Call {
            func: ScalarFunc::And,
            args,
            ..
        } => args.iter().for_each(|a| conjuncts_of(a, out)),
        other => out.push(other.clone()),
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
