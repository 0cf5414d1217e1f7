//! Top-N and deduplication: the types a [`LogicalPlan::Rank`] and a
//! [`LogicalPlan::Deduplicate`] are described by, Flink's extraction of a rank range from a
//! filter (`RankUtil.extractRankRange`) and its choice of a Top-N algorithm
//! (`RankProcessStrategy.analyzeRankProcessStrategies`).

use std::fmt;

use super::{LogicalPlan, TimeAttr};
use crate::expr::{BoundExpr, CmpOp, ScalarFunc};
use crate::value::Value;

/// One `ORDER BY` item of a window: an input column and its direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SortKey {
    /// The input column.
    pub column: usize,
    /// `ASC` (the default).
    pub ascending: bool,
    /// Whether `NULL`s sort first. Flink's default is `NULLS FIRST` for `ASC` and `NULLS
    /// LAST` for `DESC` (its planner's `NullCollation.LOW`).
    pub nulls_first: bool,
}

/// A ranking window function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RankKind {
    /// `ROW_NUMBER()`.
    RowNumber,
    /// `RANK()`.
    Rank,
    /// `DENSE_RANK()`.
    DenseRank,
}

impl RankKind {
    /// The function's name (`ROW_NUMBER`).
    pub fn name(self) -> &'static str {
        match self {
            RankKind::RowNumber => "ROW_NUMBER",
            RankKind::Rank => "RANK",
            RankKind::DenseRank => "DENSE_RANK",
        }
    }
}

/// The ranks a Top-N keeps, both ends inclusive and 1-based (Flink's `ConstantRankRange`), or
/// ranks 1 to the value of an input column (`end_column`, Flink's `VariableRankRange`: each
/// partition's end is the value in its first row, kept in state; `end` is then unused).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RankRange {
    /// The first rank kept.
    pub start: i64,
    /// The last rank kept.
    pub end: i64,
    /// The input column that holds the last rank kept, for a variable range.
    pub end_column: Option<usize>,
}

impl RankRange {
    /// Ranks `start` to `end`.
    pub fn constant(start: i64, end: i64) -> Self {
        RankRange {
            start,
            end,
            end_column: None,
        }
    }
}

impl fmt::Display for RankRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.end_column {
            Some(c) => write!(f, "rankEnd=${c}"),
            None => write!(f, "rankStart={}, rankEnd={}", self.start, self.end),
        }
    }
}

/// `LAG(arg [, offset [, default]])` over an OVER window: `arg` of the row `offset` rows before
/// (before the last of the current row's peers, on a `RANGE` frame), else `default`.
#[derive(Debug, Clone, PartialEq)]
pub struct LagCall {
    /// The value read, over the input's columns.
    pub arg: BoundExpr,
    /// How many rows back (1 by default).
    pub offset: usize,
    /// The value when there is no such row (`NULL` by default), of `arg`'s type.
    pub default: Option<BoundExpr>,
}

/// The frame of an OVER aggregate, which always ends at the current row: `ROWS` (`preceding` counts
/// rows) or `RANGE` (`preceding` in ms of the time attribute); `None` for `UNBOUNDED PRECEDING`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct OverFrame {
    /// `ROWS` (else `RANGE`).
    pub rows: bool,
    /// How far back the frame reaches.
    pub preceding: Option<i64>,
}

/// The window columns of a window TVF's rows that a window Top-N or deduplication partitions by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RankWindow {
    /// The `window_start` column.
    pub start: usize,
    /// The `window_end` column.
    pub end: usize,
}

/// How a Top-N is computed, as Flink chooses (`RankProcessStrategy`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RankStrategy {
    /// Insert-only input (`AppendFastStrategy`).
    AppendFast,
    /// An updating input without deletions whose upsert key holds the partition key and whose
    /// order is monotonic in the direction ranked (`UpdateFastStrategy`): only the new images
    /// of updates are read. The key is the input's upsert key.
    UpdateFast(Vec<usize>),
    /// Any changelog (`RetractStrategy`).
    Retract,
}

impl fmt::Display for RankStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RankStrategy::AppendFast => f.write_str("AppendFastStrategy"),
            RankStrategy::UpdateFast(key) => {
                let key: Vec<String> = key.iter().map(usize::to_string).collect();
                write!(f, "UpdateFastStrategy[{}]", key.join(","))
            }
            RankStrategy::Retract => f.write_str("RetractStrategy"),
        }
    }
}

/// Flink's `analyzeRankProcessStrategies` for a Top-N over `input`: insert-only input is
/// `AppendFast`; an updating one is `UpdateFast` when it deletes nothing, one of its upsert
/// keys holds the partition key and every order column only moves the way it is ranked (a
/// `COUNT` ranked `DESC`); `Retract` otherwise.
fn rank_strategy(input: &LogicalPlan, partition_by: &[usize], order_by: &[SortKey]) -> RankStrategy {
    let kinds = input.modify_kinds();
    if kinds.is_insert_only() {
        return RankStrategy::AppendFast;
    }
    let key = input
        .upsert_keys()
        .into_iter()
        .find(|k| partition_by.iter().all(|p| k.contains(p)));
    let Some(key) = key else {
        return RankStrategy::Retract;
    };
    let monotonic = !order_by.is_empty()
        && order_by
            .iter()
            .all(|s| match super::monotonicity::of_column(input, s.column) {
                super::monotonicity::Monotonicity::Increasing => !s.ascending,
                super::monotonicity::Monotonicity::Decreasing => s.ascending,
                super::monotonicity::Monotonicity::Constant => true,
                super::monotonicity::Monotonicity::None => false,
            });
    if monotonic && !kinds.delete {
        RankStrategy::UpdateFast(key)
    } else {
        RankStrategy::Retract
    }
}

/// The strategy a Top-N runs with: `rank_strategy`'s, except that `UpdateFast` falls back to
/// `Retract` when the input cannot give new images alone (a filter over updates needs
/// before-images), as Flink tries the strategies in order.
pub fn effective_rank_strategy(
    input: &LogicalPlan,
    partition_by: &[usize],
    order_by: &[SortKey],
) -> RankStrategy {
    match rank_strategy(input, partition_by, order_by) {
        RankStrategy::UpdateFast(key)
            if input
                .update_images_for(&[super::UpdateImages::AfterOnly])
                .is_some() =>
        {
            RankStrategy::UpdateFast(key)
        }
        RankStrategy::UpdateFast(_) => RankStrategy::Retract,
        other => other,
    }
}

/// Whether a Top-N is a deduplication in Flink's sense (`RankUtil.canConvertToDeduplicate`):
/// `ROW_NUMBER`, ranks 1 to 1, no rank column, ordered by one time attribute alone. Returns that
/// column and whether it is event time.
pub fn deduplication(
    input: &LogicalPlan,
    kind: RankKind,
    range: RankRange,
    output_rank: bool,
    order_by: &[SortKey],
) -> Option<(usize, bool)> {
    if kind != RankKind::RowNumber || range != RankRange::constant(1, 1) || output_rank {
        return None;
    }
    let [only] = order_by else {
        return None;
    };
    match input.schema().fields.get(only.column)?.time? {
        TimeAttr::Rowtime => Some((only.column, true)),
        TimeAttr::Proctime => Some((only.column, false)),
    }
}

/// Flink's `RankUtil.extractRankRange`: the rank range the conjuncts of `predicate` put on
/// column `rank` (comparisons of the column alone with a constant), and the conjuncts left.
/// `None` when no conjunct bounds the rank.
pub fn extract_rank_range(predicate: &BoundExpr, rank: usize) -> Option<(RankRange, Vec<BoundExpr>)> {
    let mut conjuncts = Vec::new();
    split_and(predicate, &mut conjuncts);
    let mut lower: Option<i64> = None;
    let mut upper: Option<i64> = None;
    let mut others = Vec::new();
    let mut bounded = false;
    for c in conjuncts {
        match rank_bound(&c, rank) {
            Some((lo, hi)) => {
                bounded = true;
                if let Some(lo) = lo {
                    lower = Some(lower.map_or(lo, |l| l.max(lo)));
                }
                if let Some(hi) = hi {
                    upper = Some(upper.map_or(hi, |u| u.min(hi)));
                }
            }
            None => others.push(c),
        }
    }
    if !bounded {
        return None;
    }
    // Flink refuses a range without an end at runtime ("Rank end is not specified"); the
    // binder reports it (`None` end stays for the caller to refuse).
    let range = RankRange::constant(lower.unwrap_or(1), upper.unwrap_or(i64::MAX));
    Some((range, others))
}

/// `(lower, upper)` bound a comparison of `rank` with a constant puts on it, inclusive.
fn rank_bound(e: &BoundExpr, rank: usize) -> Option<(Option<i64>, Option<i64>)> {
    let BoundExpr::Call {
        func: ScalarFunc::Compare(op),
        args,
        ..
    } = e
    else {
        return None;
    };
    let [l, r] = args.as_slice() else {
        return None;
    };
    let (op, other) = if is_rank(l, rank) && !reads(r, rank) {
        (*op, r)
    } else if is_rank(r, rank) && !reads(l, rank) {
        (flip(*op), l)
    } else {
        return None;
    };
    let n = match other.constant_value()? {
        Value::Int(n) => n,
        _ => return None,
    };
    match op {
        CmpOp::Lt => Some((None, Some(n - 1))),
        CmpOp::LtEq => Some((None, Some(n))),
        CmpOp::Gt => Some((Some(n + 1), None)),
        CmpOp::GtEq => Some((Some(n), None)),
        CmpOp::Eq => Some((Some(n), Some(n))),
        CmpOp::NotEq => None,
    }
}

/// The rank column, seen through a cast the binder put around it.
fn is_rank(e: &BoundExpr, rank: usize) -> bool {
    match e {
        BoundExpr::Column { index, .. } => *index == rank,
        BoundExpr::Call {
            func: ScalarFunc::Cast { .. },
            args,
            ..
        } => args.len() == 1 && is_rank(&args[0], rank),
        _ => false,
    }
}

fn reads(e: &BoundExpr, rank: usize) -> bool {
    let mut found = false;
    e.visit_columns(&mut |c| found |= c == rank);
    found
}

/// `a op b` as `b op' a`.
fn flip(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::LtEq => CmpOp::GtEq,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::GtEq => CmpOp::LtEq,
        other => other,
    }
}

fn split_and(e: &BoundExpr, out: &mut Vec<BoundExpr>) {
    match e {
        BoundExpr::Call {
            func: ScalarFunc::And,
            args,
            ..
        } => args.iter().for_each(|a| split_and(a, out)),
        other => out.push(other.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{DataType, TypeKind};

    fn col(i: usize) -> BoundExpr {
        BoundExpr::Column {
            index: i,
            ty: DataType {
                kind: TypeKind::BigInt,
                nullable: false,
            },
        }
    }

    fn lit(n: i64) -> BoundExpr {
        BoundExpr::Literal {
            value: Value::Int(n),
            ty: DataType {
                kind: TypeKind::BigInt,
                nullable: false,
            },
        }
    }

    fn cmp(op: CmpOp, l: BoundExpr, r: BoundExpr) -> BoundExpr {
        BoundExpr::Call {
            func: ScalarFunc::Compare(op),
            args: vec![l, r],
            ty: DataType {
                kind: TypeKind::Boolean,
                nullable: false,
            },
        }
    }

    #[test]
    fn rank_ranges_as_flink_extracts_them() {
        let range = |e: BoundExpr| extract_rank_range(&e, 3).map(|(r, rest)| (r.start, r.end, rest.len()));
        assert_eq!(range(cmp(CmpOp::LtEq, col(3), lit(5))), Some((1, 5, 0)));
        assert_eq!(range(cmp(CmpOp::Lt, col(3), lit(5))), Some((1, 4, 0)));
        assert_eq!(range(cmp(CmpOp::Eq, col(3), lit(1))), Some((1, 1, 0)));
        assert_eq!(range(cmp(CmpOp::Gt, lit(3), col(3))), Some((1, 2, 0)));
        let between = BoundExpr::Call {
            func: ScalarFunc::And,
            args: vec![
                cmp(CmpOp::GtEq, col(3), lit(2)),
                cmp(CmpOp::LtEq, col(3), lit(4)),
                cmp(CmpOp::Gt, col(0), lit(1)),
            ],
            ty: DataType {
                kind: TypeKind::Boolean,
                nullable: false,
            },
        };
        assert_eq!(range(between), Some((2, 4, 1)));
        assert_eq!(range(cmp(CmpOp::Gt, col(0), lit(1))), None);
        assert_eq!(range(cmp(CmpOp::Gt, col(3), lit(1))), Some((2, i64::MAX, 0)));
    }
}
