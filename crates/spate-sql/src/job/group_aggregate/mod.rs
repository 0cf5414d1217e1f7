//! `GroupAggregate`: `GROUP BY` without a window, one row per group that changes as rows
//! arrive (Flink's `GroupAggFunction`).
//!
//! Per key the state holds the accumulators and, over an updating input, the number of rows in
//! the group. For each input row, as Flink emits without mini-batch:
//! - the group's first row emits `+I[key, results]`;
//! - a later row emits `-U[key, old]` (when the consumer needs before-images) and
//!   `+U[key, new]`, or nothing when the results did not change;
//! - a retraction that leaves the group without rows emits `-D[key, old]` and drops its state;
//! - a retraction for a group that has no state is dropped (its insertion was never seen, or
//!   its state expired).
//!
//! The accumulators are the window aggregates' ([`SqlAggregate`]) over an insert-only input,
//! and ones that can take rows back out ([`retracting`]) over an updating one.

mod retracting;

use serde::{Deserialize, Serialize};
use spate_engine::StateData;
use spate_engine::keyed_process::{KeyedContext, KeyedProcessFunction};
use spate_engine::state::{StateRegistry, ValueState};

use crate::row_memory::RowDrop;
use crate::value::{Change, Row, RowKind, Value};

use super::accumulate::{AggValues, SqlAggregate};

pub(crate) use retracting::RetractingAggregate;

/// The aggregate calls of one `GroupAggregate`, as accumulators per group.
pub(crate) trait GroupFunction: Clone + Send + 'static {
    /// Every call's state for one group.
    type Acc: StateData;
    /// Fresh accumulators.
    fn create(&self) -> Self::Acc;
    /// Folds in `row`.
    fn accumulate(&self, acc: &mut Self::Acc, row: &Row);
    /// Takes `row` back out. Only called for an updating input.
    fn retract(&self, acc: &mut Self::Acc, row: &Row);
    /// The calls' results.
    fn values(&self, acc: &Self::Acc) -> AggValues;
}

impl GroupFunction for SqlAggregate {
    type Acc = super::accumulate::Accumulators;

    fn create(&self) -> Self::Acc {
        spate_engine::window::AggregateFunction::create(self)
    }

    fn accumulate(&self, acc: &mut Self::Acc, row: &Row) {
        spate_engine::window::AggregateFunction::add_ref(self, acc, row);
    }

    /// The planner gives an insert-only input's aggregate no retractions (its input stream
    /// holds plain rows, all insertions); one reaching here is a planning bug.
    fn retract(&self, _: &mut Self::Acc, _: &Row) {
        std::panic::resume_unwind(Box::new(
            "internal error: a retraction reached an aggregate over an insert-only input".to_string(),
        ))
    }

    fn values(&self, acc: &Self::Acc) -> AggValues {
        spate_engine::window::AggregateFunction::result(self, acc)
    }
}

/// An input element of a `GroupAggregate`: a plain row (an insertion) or a change.
pub(crate) trait ChangeInput: Clone + Send + 'static {
    /// The change and its row.
    fn into_parts(self) -> (RowKind, Row);
}

impl ChangeInput for Row {
    fn into_parts(self) -> (RowKind, Row) {
        (RowKind::Insert, self)
    }
}

impl ChangeInput for Change {
    fn into_parts(self) -> (RowKind, Row) {
        (self.kind, self.row)
    }
}

/// One group's state.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct GroupState<A> {
    accs: A,
    /// Rows added minus rows retracted (kept for an updating input only).
    rows: i64,
}

/// The keyed function of a `GroupAggregate` keyed by its group key values.
#[derive(Clone)]
pub(crate) struct GroupAggregateFn<F: GroupFunction> {
    f: F,
    /// Emit `-U` before each `+U` (the consumer retracts), else `+U` alone (it upserts by key).
    update_before: bool,
    /// The input is updating: count the rows of each group, and delete a group left empty.
    counts_rows: bool,
    row_drop: RowDrop,
    state: Option<ValueState<GroupState<F::Acc>>>,
}

impl<F: GroupFunction> GroupAggregateFn<F> {
    /// The function for `f`'s calls; see the fields for the flags.
    pub(crate) fn new(f: F, update_before: bool, counts_rows: bool, row_drop: RowDrop) -> Self {
        Self {
            f,
            update_before,
            counts_rows,
            row_drop,
            state: None,
        }
    }
}

/// `key ++ values` as one row.
fn output_row(key: &[Value], values: AggValues) -> Row {
    let mut row = Vec::with_capacity(key.len() + values.len());
    row.extend(key.iter().cloned());
    row.extend(values);
    row
}

impl<F: GroupFunction, I: ChangeInput> KeyedProcessFunction<Vec<Value>, I, Change> for GroupAggregateFn<F> {
    fn open(&mut self, states: &mut StateRegistry<'_, Vec<Value>>) {
        self.state = Some(states.value("group-aggregate"));
    }

    fn process_element(&mut self, input: I, ctx: &mut KeyedContext<'_, Vec<Value>, Change>) {
        let Some(state) = self.state.clone() else {
            return;
        };
        let (kind, row) = input.into_parts();
        let add = kind.is_accumulate();
        let existed = state.get(ctx).is_some();
        if !existed && !add {
            // Flink drops a retraction for a group it holds no state for.
            self.row_drop.drop(row);
            return;
        }
        let f = &self.f;
        let Some(group) = state.get_or_insert_with(ctx, || GroupState {
            accs: f.create(),
            rows: 0,
        }) else {
            self.row_drop.drop(row);
            return;
        };
        let before = existed.then(|| f.values(&group.accs));
        if add {
            f.accumulate(&mut group.accs, &row);
            group.rows += 1;
        } else {
            f.retract(&mut group.accs, &row);
            group.rows -= 1;
        }
        self.row_drop.drop(row);
        let emptied = self.counts_rows && group.rows <= 0;
        let after = (!emptied).then(|| f.values(&group.accs));
        if after.is_none() {
            state.clear(ctx);
        }
        // Made while the key is borrowed, collected after: no copy of the key to hold.
        let key = ctx.key();
        let changes: [Option<Change>; 2] = match (before, after) {
            (before, None) => [before.map(|b| change(RowKind::Delete, key, b)), None],
            (None, Some(after)) => [Some(change(RowKind::Insert, key, after)), None],
            // Flink suppresses an update that changes nothing (without state TTL).
            (Some(before), Some(after)) if before == after => [None, None],
            (Some(before), Some(after)) => [
                self.update_before
                    .then(|| change(RowKind::UpdateBefore, key, before)),
                Some(change(RowKind::UpdateAfter, key, after)),
            ],
        };
        for c in changes.into_iter().flatten() {
            ctx.collect(c);
        }
    }
}

fn change(kind: RowKind, key: &[Value], values: AggValues) -> Change {
    Change {
        kind,
        row: output_row(key, values),
    }
}
