//! [`IntAggregate`]: a window aggregate of one call — `COUNT(*)`, `COUNT(c)`, or `SUM`, `MIN`,
//! `MAX` of an integer-backed column `c` — with an `Option<i64>` accumulator.
//!
//! The general [`SqlAggregate`](super::accumulate::SqlAggregate) keeps a vector of enum states
//! per key and window (64 bytes inline, cloned from a template per window) and builds a result
//! vector per fired window. A window aggregate creates accumulators per key and window, often
//! one per input row (Nexmark q5, the tumble-count benchmark), so the common single-call case
//! gets this 16-byte accumulator instead, with the same results as the general path.

use serde::{Deserialize, Serialize};
use spate_engine::window::AggregateFunction;

use crate::expr::{BoundExpr, wrap_i64};
use crate::plan::{AggCall, AggKind};
use crate::row_memory::RowDrop;
use crate::types::TypeKind;
use crate::value::{Row, Value};

use super::int_column::IntColumn;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum Op {
    CountStar,
    Count,
    Sum,
    Min,
    Max,
}

/// One aggregate call over an integer-backed column (see the module docs).
#[derive(Debug, Clone)]
pub(crate) struct IntAggregate {
    op: Op,
    /// The argument column (unused by `COUNT(*)`).
    column: usize,
    /// How the argument's values read as integers (`COUNT` reads only whether one is `NULL`).
    kind: IntColumn,
    /// The result type, which `SUM` wraps to as the general path does.
    result: TypeKind,
    /// How an added row is freed.
    row_drop: RowDrop,
}

impl IntAggregate {
    /// The typed aggregate of `calls`, when they are one call it covers: no `DISTINCT`, no
    /// `FILTER`, an argument that is a column (of an integer-backed type for `SUM`, `MIN`,
    /// `MAX`; `SUM` only of integers).
    pub(crate) fn of(calls: &[AggCall]) -> Option<Self> {
        let [call] = calls else {
            return None;
        };
        if call.distinct || call.filter.is_some() {
            return None;
        }
        let arg = match call.args.as_slice() {
            [] => None,
            [BoundExpr::Column { index, ty }] => Some((*index, ty)),
            _ => return None,
        };
        let (op, (column, kind)) = match (call.kind, arg) {
            (AggKind::CountStar, _) => (Op::CountStar, (0, IntColumn::Int)),
            (AggKind::Count, Some((c, _))) => (Op::Count, (c, IntColumn::Int)),
            (AggKind::Sum, Some((c, ty))) => match ty.kind {
                TypeKind::TinyInt | TypeKind::SmallInt | TypeKind::Int | TypeKind::BigInt => {
                    (Op::Sum, (c, IntColumn::Int))
                }
                _ => return None,
            },
            (AggKind::Min | AggKind::Max, Some((c, ty))) => {
                let op = if call.kind == AggKind::Min {
                    Op::Min
                } else {
                    Op::Max
                };
                (op, (c, IntColumn::of(ty)?))
            }
            _ => return None,
        };
        Some(Self {
            op,
            column,
            kind,
            result: call.ty.kind.clone(),
            row_drop: RowDrop::Checked,
        })
    }

    /// Frees the rows it is given as `row_drop` says (the input's column types).
    pub(crate) fn with_row_drop(mut self, row_drop: RowDrop) -> Self {
        self.row_drop = row_drop;
        self
    }
}

impl AggregateFunction<Row> for IntAggregate {
    /// The count, sum or extreme so far; `None` while no non-`NULL` value was seen (a `COUNT`
    /// starts at `Some(0)`).
    type Acc = Option<i64>;
    type Out = IntResult;

    fn create(&self) -> Option<i64> {
        match self.op {
            Op::CountStar | Op::Count => Some(0),
            Op::Sum | Op::Min | Op::Max => None,
        }
    }

    fn add(&self, acc: &mut Option<i64>, row: Row) {
        self.add_ref(acc, &row);
        self.row_drop.drop(row);
    }

    #[inline]
    fn add_ref(&self, acc: &mut Option<i64>, row: &Row) {
        if self.op == Op::CountStar {
            *acc = Some(acc.unwrap_or(0) + 1);
            return;
        }
        let v = row.get(self.column);
        if self.op == Op::Count {
            if v.is_some_and(|v| !v.is_null()) {
                *acc = Some(acc.unwrap_or(0) + 1);
            }
            return;
        }
        if let Some(i) = self.kind.get(v) {
            self.fold(acc, i);
        }
    }

    fn merge(&self, acc: &mut Option<i64>, other: Option<i64>) {
        let Some(o) = other else {
            return;
        };
        match self.op {
            Op::CountStar | Op::Count => *acc = Some(acc.unwrap_or(0) + o),
            Op::Sum | Op::Min | Op::Max => self.fold(acc, o),
        }
    }

    fn result(&self, acc: &Option<i64>) -> IntResult {
        match self.op {
            Op::CountStar | Op::Count => IntResult {
                value: Some(acc.unwrap_or(0)),
                kind: IntColumn::Int,
            },
            Op::Sum => IntResult {
                value: acc.map(|s| wrap_i64(s, &self.result)),
                kind: IntColumn::Int,
            },
            Op::Min | Op::Max => IntResult {
                value: *acc,
                kind: self.kind,
            },
        }
    }
}

/// An [`IntAggregate`]'s result: the integer and the type it stands for. Small and plain, it
/// is made into a [`Value`] only where the output row holds it (a `Value` result, stored on
/// the way and then copied into the row, was read back in the stalled load of
/// `row_memory`'s docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IntResult {
    value: Option<i64>,
    kind: IntColumn,
}

impl IntResult {
    /// The result as a value.
    #[inline]
    pub(crate) fn value(self) -> Value {
        self.kind.value(self.value)
    }
}

impl IntAggregate {
    #[inline]
    fn fold(&self, acc: &mut Option<i64>, i: i64) {
        *acc = Some(match (*acc, self.op) {
            (None, _) => i,
            (Some(s), Op::Sum) => s.wrapping_add(i),
            (Some(m), Op::Min) => m.min(i),
            (Some(m), Op::Max) => m.max(i),
            (Some(c), Op::CountStar | Op::Count) => c + 1,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::accumulate::SqlAggregate;
    use super::*;
    use crate::types::DataType;
    use proptest::prelude::*;

    fn column(index: usize, kind: TypeKind) -> BoundExpr {
        BoundExpr::Column {
            index,
            ty: DataType { kind, nullable: true },
        }
    }

    fn call(kind: AggKind, args: Vec<BoundExpr>, result: TypeKind) -> AggCall {
        AggCall {
            kind,
            args,
            distinct: false,
            filter: None,
            ty: DataType {
                kind: result,
                nullable: true,
            },
        }
    }

    /// Every call the typed path takes, over column 0 of type `INT` and column 1 of `DATE`.
    fn calls() -> Vec<AggCall> {
        vec![
            call(AggKind::CountStar, vec![], TypeKind::BigInt),
            call(AggKind::Count, vec![column(0, TypeKind::Int)], TypeKind::BigInt),
            call(AggKind::Sum, vec![column(0, TypeKind::Int)], TypeKind::Int),
            call(AggKind::Min, vec![column(0, TypeKind::Int)], TypeKind::Int),
            call(AggKind::Max, vec![column(0, TypeKind::Int)], TypeKind::Int),
            call(AggKind::Min, vec![column(1, TypeKind::Date)], TypeKind::Date),
            call(AggKind::Max, vec![column(1, TypeKind::Date)], TypeKind::Date),
        ]
    }

    #[test]
    fn calls_it_does_not_cover_take_the_general_path() {
        let double = call(AggKind::Sum, vec![column(0, TypeKind::Double)], TypeKind::Double);
        let avg = call(AggKind::Avg, vec![column(0, TypeKind::Int)], TypeKind::Int);
        let mut distinct = call(AggKind::Count, vec![column(0, TypeKind::Int)], TypeKind::BigInt);
        distinct.distinct = true;
        let text = call(
            AggKind::Max,
            vec![column(0, TypeKind::Varchar(5))],
            TypeKind::Varchar(5),
        );
        let count = call(AggKind::CountStar, vec![], TypeKind::BigInt);
        for calls in [
            vec![double],
            vec![avg],
            vec![distinct],
            vec![text],
            vec![count.clone(), count],
        ] {
            assert!(IntAggregate::of(&calls).is_none(), "{calls:?}");
        }
        for c in calls() {
            assert!(IntAggregate::of(std::slice::from_ref(&c)).is_some(), "{c:?}");
        }
    }

    fn row() -> impl Strategy<Value = Row> {
        (
            prop_oneof![Just(Value::Null), any::<i32>().prop_map(|i| Value::Int(i.into()))],
            prop_oneof![Just(Value::Null), any::<i32>().prop_map(Value::Date)],
        )
            .prop_map(|(a, b)| vec![a, b])
    }

    proptest! {
        /// The oracle is the general path: for every covered call, adding rows (split at any
        /// point into two accumulators that are then merged, as sessions and the two-phase
        /// aggregation do) gives the general path's result, `INT` overflow wrapping included.
        #[test]
        fn typed_results_equal_the_general_path(
            rows in proptest::collection::vec(row(), 0..40),
            split in 0usize..40,
        ) {
            let split = split.min(rows.len());
            for c in calls() {
                let typed = IntAggregate::of(std::slice::from_ref(&c)).expect("covered");
                let general = SqlAggregate::new(vec![c.clone()]);
                let (mut t1, mut t2) = (typed.create(), typed.create());
                let (mut g1, mut g2) = (general.create(), general.create());
                for (i, r) in rows.iter().enumerate() {
                    if i < split {
                        typed.add_ref(&mut t1, r);
                        general.add_ref(&mut g1, r);
                    } else {
                        typed.add(&mut t2, r.clone());
                        general.add(&mut g2, r.clone());
                    }
                }
                typed.merge(&mut t1, t2);
                general.merge(&mut g1, g2);
                prop_assert_eq!(typed.result(&t1).value(), general.result(&g1)[0].clone(), "{:?}", c);
            }
        }
    }
}
