//! `GroupAggregate`: `GROUP BY` without a window, one row per group that changes as rows
//! arrive (Flink's `GroupAggFunction`).
//!
//! Per key the state holds the accumulators and the number of rows in the group. For each
//! input row, as Flink emits without mini-batch:
//! - the group's first row emits `+I[key, results]`;
//! - a later row emits `-U[key, old]` (when the consumer needs before-images) and
//!   `+U[key, new]`, or nothing when the results did not change;
//! - a retraction that leaves the group without rows emits `-D[key, old]` and drops its state;
//! - a retraction for a group that has no state is dropped (its insertion was never seen, or
//!   its state expired).
//!
//! With `table.exec.state.ttl` a group not written for that long is forgotten ([`StateTtl`]):
//! its next row starts it again with `+I`, and updates equal to the row before are emitted too,
//! as Flink does then. With mini-batch ([`MiniBatch`]) a group's change is emitted once per
//! bundle.
//!
//! The accumulators are the window aggregates' ([`SqlAggregate`]) over an insert-only input,
//! and ones that can take rows back out ([`retracting`]) over an updating one.

mod retracting;

use serde::{Deserialize, Serialize};
use spate_engine::keyed_process::{KeyedContext, KeyedProcessFunction, TimeDomain};
use spate_engine::state::{StateRegistry, ValueState};
use spate_engine::{Key, LocalPartial, StateData};

use crate::row_memory::RowDrop;
use crate::value::{Change, Row, RowKind};

use super::accumulate::{Accumulators, SqlAggregate};
use super::mini_batch::{BundleStart, MiniBatch};
use super::state_ttl::StateTtl;

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
    /// Appends the calls' results to `out`.
    fn values_into(&self, acc: &Self::Acc, out: &mut Row);
    /// Whether every row accumulated changes some result (a `COUNT(*)` without `FILTER`, and
    /// no retractions): then an update never equals the row before it, and the results before
    /// a row need not be computed to find out.
    fn always_changes(&self) -> bool;
}

impl GroupFunction for SqlAggregate {
    type Acc = Accumulators;

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

    fn values_into(&self, acc: &Self::Acc, out: &mut Row) {
        self.result_into(acc, out);
    }

    fn always_changes(&self) -> bool {
        self.counts_every_row()
    }
}

/// An input element of a `GroupAggregate` over `F`'s calls: a plain row (an insertion), a
/// change, or (the global phase of a two-phase aggregate) a key's rows folded by the local
/// phase.
pub(crate) trait GroupInput<F: GroupFunction>: Clone + Send + 'static {
    /// Whether it adds rows to its group (else it takes one back out).
    fn adds(&self) -> bool;
    /// Folds it into `group`'s accumulators and row count.
    fn fold_into(self, f: &F, group: &mut GroupState<F::Acc>, row_drop: &RowDrop);
    /// Drops it unused.
    fn discard(self, row_drop: &RowDrop);
}

impl<F: GroupFunction> GroupInput<F> for Row {
    fn adds(&self) -> bool {
        true
    }

    fn fold_into(self, f: &F, group: &mut GroupState<F::Acc>, row_drop: &RowDrop) {
        f.accumulate(&mut group.accs, &self);
        group.rows += 1;
        row_drop.drop(self);
    }

    fn discard(self, row_drop: &RowDrop) {
        row_drop.drop(self);
    }
}

impl<F: GroupFunction> GroupInput<F> for Change {
    fn adds(&self) -> bool {
        self.kind.is_accumulate()
    }

    fn fold_into(self, f: &F, group: &mut GroupState<F::Acc>, row_drop: &RowDrop) {
        if self.kind.is_accumulate() {
            f.accumulate(&mut group.accs, &self.row);
            group.rows += 1;
        } else {
            f.retract(&mut group.accs, &self.row);
            group.rows -= 1;
        }
        row_drop.drop(self.row);
    }

    fn discard(self, row_drop: &RowDrop) {
        row_drop.drop(self.row);
    }
}

/// A key's rows of one local bundle (`LocalGroupAggregate`), merged in by the global phase.
impl<K: Key> GroupInput<SqlAggregate> for LocalPartial<K, Accumulators> {
    fn adds(&self) -> bool {
        true
    }

    fn fold_into(self, f: &SqlAggregate, group: &mut GroupState<Accumulators>, _: &RowDrop) {
        spate_engine::window::AggregateFunction::merge(f, &mut group.accs, self.acc);
        group.rows += i64::try_from(self.records).unwrap_or(i64::MAX);
    }

    fn discard(self, _: &RowDrop) {}
}

/// One group's state.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct GroupState<A> {
    accs: A,
    /// Rows added minus rows retracted; 0 only in a group just created (a group left empty is
    /// dropped).
    rows: i64,
}

/// The keyed function of a `GroupAggregate` keyed by `K`, whose values `key_values` appends to
/// an output row (the group key's columns).
#[derive(Clone)]
pub(crate) struct GroupAggregateFn<F: GroupFunction, KV> {
    f: F,
    key_values: KV,
    width: usize,
    /// Emit `-U` before each `+U` (the consumer retracts), else `+U` alone (it upserts by key).
    update_before: bool,
    row_drop: RowDrop,
    ttl: Option<StateTtl>,
    mini_batch: Option<MiniBatch>,
    state: Option<ValueState<GroupState<F::Acc>>>,
    /// With mini-batch: each group's results when its bundle opened.
    bundle: Option<ValueState<BundleStart>>,
    /// The results before and after the current row, reused from row to row.
    before: Row,
    after: Row,
}

impl<F: GroupFunction, KV> GroupAggregateFn<F, KV> {
    /// The function for `f`'s calls over rows keyed by a key whose values `key_values`
    /// appends; output rows are `width` wide; groups expire after `ttl` without a write. See
    /// the fields for the flags.
    pub(crate) fn new(
        f: F,
        key_values: KV,
        width: usize,
        update_before: bool,
        row_drop: RowDrop,
        ttl: Option<StateTtl>,
        mini_batch: Option<MiniBatch>,
    ) -> Self {
        Self {
            f,
            key_values,
            width,
            update_before,
            row_drop,
            ttl,
            mini_batch,
            state: None,
            bundle: None,
            before: Vec::new(),
            after: Vec::new(),
        }
    }
}

impl<K, F, KV, I> KeyedProcessFunction<K, I, Change> for GroupAggregateFn<F, KV>
where
    K: Key,
    F: GroupFunction,
    KV: Fn(&K, &mut Row) + Clone + Send + 'static,
    I: GroupInput<F>,
{
    fn open(&mut self, states: &mut StateRegistry<'_, K>) {
        self.state = Some(states.value("group-aggregate"));
        if let Some(ttl) = &mut self.ttl {
            ttl.open(states, "group-aggregate-written");
        }
        if self.mini_batch.is_some() {
            self.bundle = Some(states.value("group-aggregate-bundle"));
        }
    }

    fn on_timer(
        &mut self,
        _time: spate_engine::Timestamp,
        domain: TimeDomain,
        ctx: &mut KeyedContext<'_, K, Change>,
    ) {
        if domain != TimeDomain::ProcessingTime {
            return;
        }
        // A bundle's end (before any expiry: the bundle's change goes out first).
        if let Some(start) = self.bundle.as_ref().and_then(|b| b.clear(ctx)) {
            self.close_bundle(start, ctx);
        }
        if let (Some(ttl), Some(state)) = (&self.ttl, &self.state)
            && ttl.on_timer(ctx)
        {
            state.clear(ctx);
        }
    }

    fn process_element(&mut self, input: I, ctx: &mut KeyedContext<'_, K, Change>) {
        let Some(state) = self.state.clone() else {
            return;
        };
        let add = input.adds();
        if let Some(ttl) = &self.ttl
            && ttl.expired(ctx)
        {
            state.clear(ctx);
            ttl.cleared(ctx);
        }
        // With mini-batch: whether this is the group's first row of the open bundle.
        let opens_bundle = self.bundle.as_ref().is_some_and(|b| b.get(ctx).is_none());
        let f = &self.f;
        // One lookup: a group just created has no rows yet.
        let Some(group) = state.get_or_insert_with(ctx, || GroupState {
            accs: f.create(),
            rows: 0,
        }) else {
            input.discard(&self.row_drop);
            return;
        };
        let existed = group.rows != 0;
        if !existed && !add {
            // Flink drops a retraction for a group it holds no state for.
            input.discard(&self.row_drop);
            state.clear(ctx);
            return;
        }
        // The results before this row: for the `-U`, and to see whether anything changed
        // (always known to have changed when every row changes a result; a retracting
        // aggregate never assumes so). Flink suppresses an update that changes nothing only
        // without state TTL.
        let suppress = self.ttl.is_none();
        // With mini-batch, only the bundle's first row needs them (its change is emitted later).
        let need_before = existed
            && if self.bundle.is_some() {
                opens_bundle
            } else {
                // A retraction may empty the group, whose `-D` carries these results.
                self.update_before || !add || (suppress && !f.always_changes())
            };
        self.before.clear();
        self.after.clear();
        if need_before {
            f.values_into(&group.accs, &mut self.before);
        }
        input.fold_into(f, group, &self.row_drop);
        // Only retractions bring a group back to no rows (an insert-only input adds only).
        let emptied = group.rows <= 0;
        if emptied {
            state.clear(ctx);
        } else {
            f.values_into(&group.accs, &mut self.after);
        }
        if let Some(ttl) = &self.ttl {
            if emptied {
                ttl.cleared(ctx);
            } else {
                ttl.wrote(ctx);
            }
        }
        if let (Some(bundle), Some(mb)) = (&self.bundle, self.mini_batch) {
            // Emitted when the bundle closes, from the results it opened with.
            if opens_bundle {
                let start = BundleStart {
                    existed,
                    row: std::mem::take(&mut self.before),
                };
                bundle.update(ctx, start);
                let deadline = mb.deadline(ctx.current_processing_time());
                ctx.register_processing_time_timer(deadline);
            }
            return;
        }
        self.emit(ctx, existed, emptied, need_before);
    }
}

impl<F: GroupFunction, KV> GroupAggregateFn<F, KV> {
    /// A bundle closed for the current key: one change from the results it opened with to the
    /// group's results now.
    fn close_bundle<K: Key>(&mut self, start: BundleStart, ctx: &mut KeyedContext<'_, K, Change>)
    where
        KV: Fn(&K, &mut Row),
    {
        self.after.clear();
        let group = self.state.as_ref().and_then(|s| s.get(ctx));
        let now_exists = group.is_some_and(|g| g.rows > 0);
        if let Some(g) = group.filter(|g| g.rows > 0) {
            self.f.values_into(&g.accs, &mut self.after);
        }
        if !start.existed && !now_exists {
            return;
        }
        self.before = start.row;
        self.emit(ctx, start.existed, !now_exists, start.existed);
    }

    /// Emits the group's change: `+I` of the results after for a new group, `-D` of the
    /// results before for an emptied one, else `-U` (when asked and `have_before`) and `+U`,
    /// or nothing when the results are equal and Flink would suppress them (no state TTL).
    fn emit<K: Key>(
        &mut self,
        ctx: &mut KeyedContext<'_, K, Change>,
        existed: bool,
        emptied: bool,
        have_before: bool,
    ) where
        KV: Fn(&K, &mut Row),
    {
        let need_before = have_before;
        if self.ttl.is_none() && need_before && !emptied && self.before == self.after {
            return;
        }
        // Made while the key is borrowed, collected after.
        let key = ctx.key();
        let width = self.width;
        let kv = &self.key_values;
        let row_of = |values: &mut Row| {
            let mut row = Vec::with_capacity(width);
            kv(key, &mut row);
            row.append(values);
            row
        };
        let changes: [Option<Change>; 2] = if emptied {
            [Some(change(RowKind::Delete, row_of(&mut self.before))), None]
        } else if !existed {
            [Some(change(RowKind::Insert, row_of(&mut self.after))), None]
        } else {
            [
                (self.update_before && need_before)
                    .then(|| change(RowKind::UpdateBefore, row_of(&mut self.before))),
                Some(change(RowKind::UpdateAfter, row_of(&mut self.after))),
            ]
        };
        for c in changes.into_iter().flatten() {
            ctx.collect(c);
        }
    }
}

fn change(kind: RowKind, row: Row) -> Change {
    Change { kind, row }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use spate_engine::StreamEnvironment;

    use super::*;
    use crate::expr::BoundExpr;
    use crate::plan::{AggCall, AggKind};
    use crate::types::{DataType, TypeKind};
    use crate::value::Value;

    /// `SUM(v)` grouped by column 0 over `changes` (rows `[k, v]`), for a consumer that wants
    /// before-images or not, with a state TTL or not.
    fn run(changes: Vec<Change>, update_before: bool, ttl: Option<Duration>) -> Vec<Change> {
        let int = DataType::new(TypeKind::Int);
        let sum = AggCall {
            kind: AggKind::Sum,
            args: vec![BoundExpr::Column {
                index: 1,
                ty: int.clone(),
            }],
            distinct: false,
            filter: None,
            ty: int,
        };
        let f = GroupAggregateFn::new(
            RetractingAggregate::new(&[sum]),
            |k: &Value, out: &mut Row| out.push(k.clone()),
            2,
            update_before,
            RowDrop::of([&TypeKind::Int, &TypeKind::Int]),
            StateTtl::new(ttl),
            None,
        );
        let env = StreamEnvironment::new();
        env.set_parallelism(1);
        let out = env
            .from_collection(changes)
            .key_by(|c: &Change| c.row.first().cloned().unwrap_or_default())
            .process(f)
            .collect();
        env.execute().expect("the job runs");
        out.values()
    }

    /// A group a retraction empties emits `-D` of its whole row (key and results) for every
    /// consumer: also for an upsert consumer (no `-U` asked for) under a state TTL, where the
    /// results before a row are otherwise not computed.
    #[test]
    fn an_emptied_group_deletes_its_whole_row() {
        let row = |k: i64, v: i64| vec![Value::Int(k), Value::Int(v)];
        let input = vec![
            Change::insert(row(1, 5)),
            Change {
                kind: RowKind::Delete,
                row: row(1, 5),
            },
        ];
        for (update_before, ttl) in [
            (true, None),
            (false, None),
            (true, Some(Duration::from_secs(3600))),
            (false, Some(Duration::from_secs(3600))),
        ] {
            assert_eq!(
                run(input.clone(), update_before, ttl),
                vec![
                    Change::insert(row(1, 5)),
                    Change {
                        kind: RowKind::Delete,
                        row: row(1, 5),
                    },
                ],
                "update_before={update_before}, ttl={ttl:?}"
            );
        }
    }
}
