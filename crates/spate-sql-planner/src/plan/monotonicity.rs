//! Which way a column of an updating node's output can move when a row is updated (Flink's
//! `FlinkRelMdModifiedMonotonicity`), the fact a Top-N needs to rank by new images alone
//! (`UpdateFastStrategy`): a `COUNT` over an insert-only input only grows, so a row ranked by it
//! `DESC` only ever moves up.

use super::{AggKind, LogicalPlan};

/// How a column's value can change between an update's before- and after-image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Monotonicity {
    /// Never changes (a grouping key).
    Constant,
    /// Only grows.
    Increasing,
    /// Only shrinks.
    Decreasing,
    /// Either way, or unknown.
    None,
}

/// The monotonicity of `column` of `plan`'s rows under updates. Flink's rules, as far as Spate
/// plans go: a `GroupAggregate` over an insert-only input keeps its keys, grows `COUNT` and
/// `MAX`, shrinks `MIN` (a `SUM` could go either way unless its argument's sign is known, which
/// Flink reads from a filter's value intervals and Spate does not); projections and filters pass
/// a column's through.
pub fn of_column(plan: &LogicalPlan, column: usize) -> Monotonicity {
    match plan {
        LogicalPlan::Filter { input, .. } => of_column(input, column),
        LogicalPlan::Project { input, exprs, .. } => match exprs.get(column).and_then(|e| e.as_column()) {
            Some(c) => of_column(input, c),
            None => Monotonicity::None,
        },
        LogicalPlan::GroupAggregate {
            input, keys, aggs, ..
        } => {
            if column < keys.len() {
                return Monotonicity::Constant;
            }
            if !input.modify_kinds().is_insert_only() {
                return Monotonicity::None;
            }
            match aggs.get(column - keys.len()).map(|a| &a.kind) {
                Some(AggKind::CountStar | AggKind::Count | AggKind::Max) => Monotonicity::Increasing,
                Some(AggKind::Min) => Monotonicity::Decreasing,
                _ => Monotonicity::None,
            }
        }
        _ => Monotonicity::None,
    }
}
