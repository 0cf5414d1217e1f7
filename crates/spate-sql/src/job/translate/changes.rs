//! The nodes of an updating plan: streams of [`Change`]s instead of plain rows.
//!
//! Only a node whose output can hold updates or deletions travels as changes; the insert-only
//! subtrees below it stay plain [`Row`] streams with their operators unchanged, so an
//! insert-only job pays nothing for the changelog model. Each node is translated for the
//! update images its consumer asked for ([`UpdateImages`], from the planner's changelog-mode
//! inference): a `GroupAggregate` asked for the new image alone emits no `-U`.

use std::sync::Arc;

use spate_engine::{DataStream, LocalPartial, ProcessContext};

use crate::error::{Result, SqlError};
use crate::plan::{AggCall, LogicalPlan, UpdateImages};
use crate::row_memory::RowDrop;
use crate::value::{Change, Row, Value};

use super::super::accumulate::{Accumulators, SqlAggregate};
use super::super::calc::{Calc, CalcFn};
use super::super::changelog_normalize::ChangelogNormalizeFn;
use super::super::fail::raise;
use super::super::group_aggregate::{GroupAggregateFn, RetractingAggregate};
use super::super::int_column::IntColumn;
use super::super::mini_batch::MiniBatch;
use super::super::sink_materializer::SinkMaterializerFn;
use super::super::state_ttl::StateTtl;
use super::{Translator, eval_ctx, key_selector, reads_clock, union_all};
use crate::expr::BoundExpr;

impl Translator<'_> {
    /// The changes of `plan`'s rows, with updates as `asked` says; an insert-only plan's rows
    /// all come as insertions. Equal plans asked the same way share one stream.
    pub(crate) fn changes(&mut self, plan: &LogicalPlan, asked: UpdateImages) -> Result<DataStream<Change>> {
        self.pinned(plan, |tr| tr.changes_of(plan, asked))
    }

    fn changes_of(&mut self, plan: &LogicalPlan, asked: UpdateImages) -> Result<DataStream<Change>> {
        let key = (self.keys.key(plan), asked);
        if let Some(stream) = self.translated_changes.get(&key) {
            return Ok(stream.clone());
        }
        let stream = self.translate_changes(plan, asked)?;
        self.translated_changes.insert(key, stream.clone());
        Ok(stream)
    }

    fn translate_changes(&mut self, plan: &LogicalPlan, asked: UpdateImages) -> Result<DataStream<Change>> {
        if plan.modify_kinds().is_insert_only() {
            return Ok(self.stream(plan)?.map(Change::insert));
        }
        match plan {
            LogicalPlan::GroupAggregate {
                input,
                keys,
                aggs,
                state_ttl,
                ..
            } => {
                // A `STATE_TTL` hint wins over `table.exec.state.ttl` (zero: no TTL).
                let ttl = match state_ttl {
                    Some(hint) => (!hint.ttl.is_zero()).then_some(hint.ttl),
                    None => self.ctx.state_ttl,
                };
                self.group_aggregate(input, keys, aggs, asked, ttl)
            }
            LogicalPlan::ChangelogNormalize {
                input,
                keys,
                condition,
            } => self.changelog_normalize(input, keys, condition.as_ref(), asked),
            LogicalPlan::Project { .. } | LogicalPlan::Filter { .. } => self.calc_changes(plan, asked),
            LogicalPlan::Rank { .. } | LogicalPlan::Deduplicate { .. } => self.rank_changes(plan, asked),
            LogicalPlan::Expand { input, keys, ids, .. } => self.expand_changes(input, keys, ids, asked),
            LogicalPlan::SinkMaterialize {
                input,
                pk,
                upsert_key,
                strategy,
            } => self.sink_materialize(input, pk, upsert_key.clone(), *strategy),
            LogicalPlan::RegularJoin {
                left,
                right,
                keys,
                nulls_meet,
                condition,
                kind,
                state_ttl,
                ..
            } => self.changelog_join(
                left,
                right,
                (keys, nulls_meet),
                condition.as_ref(),
                (*kind, state_ttl),
                asked,
            ),
            LogicalPlan::TemporalJoin {
                left,
                right,
                keys,
                time_cols,
                condition,
                kind,
                ..
            } => self.temporal_join(left, right, keys, *time_cols, condition.as_ref(), *kind, asked),
            LogicalPlan::LookupJoin {
                left,
                right,
                keys,
                condition,
                kind,
                ..
            } => self.lookup_join_changes(left, right, keys, condition.as_ref(), *kind, asked),
            LogicalPlan::Union { inputs, .. } => {
                let streams = inputs
                    .iter()
                    .map(|i| self.changes(i, asked))
                    .collect::<Result<Vec<_>>>()?;
                Ok(union_all(streams))
            }
            // A changelog format's rows end with their kind (`connector::source`).
            LogicalPlan::Scan { .. } => Ok(self.stream(plan)?.map(crate::connector::into_change)),
            // `check_changelog_inputs` refuses the rest at planning time.
            other => Err(SqlError::validation(
                format!(
                    "internal error: {} over an updating input reached the translator",
                    other.flink_node_string()
                ),
                None,
            )),
        }
    }

    /// Filters and projections over changes: each row keeps its kind. A filter needs the
    /// before-image of every update (a row that stops matching is retracted by it), so its
    /// input is asked for both images whatever its consumer asked.
    fn calc_changes(&mut self, plan: &LogicalPlan, asked: UpdateImages) -> Result<DataStream<Change>> {
        let zone = self.ctx.zone;
        let (calc, input) = Calc::of(plan, zone, |_| true);
        let clock = calc
            .predicates
            .iter()
            .chain(calc.projection.iter().flatten())
            .any(reads_clock);
        let f = CalcFn::new(&calc, input.schema().fields.len(), zone);
        let asked = if calc.predicates.is_empty() {
            asked
        } else {
            UpdateImages::BeforeAndAfter
        };
        let input = self.changes(input, asked)?;
        if f.is_identity() {
            return Ok(input);
        }
        Ok(
            input.process(move |c: Change, ctx: &mut ProcessContext<'_, Change>| {
                let ec = eval_ctx(ctx, clock, zone);
                if let Some(row) = f.apply(c.row, &ec).unwrap_or_else(|err| raise(err)) {
                    ctx.collect(Change { kind: c.kind, row });
                }
            }),
        )
    }

    /// An upsert source's records as a changelog: keyed by the primary key, each key's last row
    /// kept ([`ChangelogNormalizeFn`]). The source's rows carry one column more than the
    /// table, the upsert connector's delete flag (see `connector::kafka`).
    fn changelog_normalize(
        &mut self,
        input: &LogicalPlan,
        keys: &[usize],
        condition: Option<&BoundExpr>,
        asked: UpdateImages,
    ) -> Result<DataStream<Change>> {
        let width = input.schema().fields.len();
        let condition = condition.map(BoundExpr::compile);
        let key = columns_key(keys);
        let uid = self.uid("changelog-normalize");
        let f = ChangelogNormalizeFn::new(
            width,
            asked == UpdateImages::BeforeAndAfter,
            condition,
            self.ctx.zone,
            StateTtl::new(self.ctx.state_ttl),
            MiniBatch::new(self.ctx.mini_batch_latency),
        );
        Ok(self
            .stream(input)?
            .key_by(key)
            .process(f)
            .name("changelog-normalize")
            .uid(&uid))
    }

    /// A sink materializer, keyed by the sink's primary key (its rows' before-images find the
    /// rows they replace).
    fn sink_materialize(
        &mut self,
        input: &LogicalPlan,
        pk: &[usize],
        upsert_key: Option<Vec<usize>>,
        strategy: crate::ast::ConflictStrategy,
    ) -> Result<DataStream<Change>> {
        let fields = &input.schema().fields;
        let columns = pk
            .iter()
            .filter_map(|&c| fields.get(c).map(|f| (c, f.name.clone(), f.ty.clone())))
            .collect();
        let key = columns_key(pk);
        let uid = self.uid("sink-materializer");
        let f = SinkMaterializerFn::new(strategy, upsert_key, columns, self.ctx.zone);
        Ok(self
            .changes(input, UpdateImages::BeforeAndAfter)?
            .key_by(move |c: &Change| key(&c.row))
            .process(f)
            .name("sink-materializer")
            .uid(&uid))
    }

    /// `GROUP BY` without a window: keyed by the group's key values, one [`GroupAggregateFn`]
    /// per subtask. An insert-only input keeps the window aggregates' accumulators; an updating
    /// one gets accumulators that retract. One key column of an integer-backed type keys by its
    /// integer (hashed, compared and kept in state as one), as window aggregates do.
    fn group_aggregate(
        &mut self,
        input: &LogicalPlan,
        keys: &[BoundExpr],
        aggs: &[AggCall],
        asked: UpdateImages,
        ttl: Option<std::time::Duration>,
    ) -> Result<DataStream<Change>> {
        let uid = self.uid("group-aggregate");
        let rows = if input.modify_kinds().is_insert_only() {
            GroupInput::Rows(self.stream(input)?)
        } else {
            GroupInput::Changes(self.changes(input, UpdateImages::BeforeAndAfter)?)
        };
        let group = Grouping {
            aggs,
            width: keys.len() + aggs.len(),
            update_before: asked == UpdateImages::BeforeAndAfter,
            row_drop: RowDrop::of(input.schema().fields.iter().map(|f| &f.ty.kind)),
            ttl: StateTtl::new(ttl),
            mini_batch: MiniBatch::new(self.ctx.mini_batch_latency),
            two_phase: self.ctx.two_phase_groups,
        };
        let out = match keys {
            [BoundExpr::Column { index: c, ty }] if let Some(kind) = IntColumn::of(ty) => {
                let c = *c;
                group.keyed(
                    rows,
                    move |row: &Row| kind.get(row.get(c)),
                    move |k: &Option<i64>, out: &mut Row| out.push(kind.value(*k)),
                )
            }
            _ => {
                let key = key_selector(keys.to_vec(), self.ctx.zone);
                group.keyed(rows, key, |k: &Vec<Value>, out: &mut Row| {
                    out.extend(k.iter().cloned())
                })
            }
        };
        Ok(out.name("group-aggregate").uid(&uid))
    }
}

/// A key of a row's values in `columns` (a primary key's columns, picked without evaluation).
fn columns_key(columns: &[usize]) -> impl Fn(&Row) -> Vec<Value> + Clone + Send + 'static {
    let columns: Arc<[usize]> = columns.into();
    move |row: &Row| {
        columns
            .iter()
            .map(|c| row.get(*c).cloned().unwrap_or_default())
            .collect()
    }
}

/// A `GroupAggregate`'s input: plain rows (all insertions) or changes.
enum GroupInput {
    Rows(DataStream<Row>),
    Changes(DataStream<Change>),
}

/// A `GroupAggregate` before its key is chosen.
struct Grouping<'a> {
    aggs: &'a [AggCall],
    width: usize,
    update_before: bool,
    row_drop: RowDrop,
    ttl: Option<StateTtl>,
    mini_batch: Option<MiniBatch>,
    /// Local-global: rows are folded per key before the exchange where every call merges.
    two_phase: bool,
}

impl Grouping<'_> {
    /// The aggregate over `input` keyed by `key`, whose key's columns `key_values` writes.
    fn keyed<K, KS, KV>(self, input: GroupInput, key: KS, key_values: KV) -> DataStream<Change>
    where
        K: spate_engine::Key,
        KS: Fn(&Row) -> K + Clone + Send + 'static,
        KV: Fn(&K, &mut Row) + Clone + Send + 'static,
    {
        match input {
            GroupInput::Rows(rows) => {
                let aggregate = SqlAggregate::new(self.aggs.to_vec());
                // Flink's rule keeps one phase for calls that cannot merge.
                let two_phase = self.two_phase && aggregate.merges_in_any_order();
                let f = GroupAggregateFn::new(
                    aggregate.clone(),
                    key_values,
                    self.width,
                    self.update_before,
                    self.row_drop,
                    self.ttl,
                    self.mini_batch,
                );
                if two_phase {
                    rows.key_by(key)
                        .local_aggregate(aggregate)
                        .name("local-group-aggregate")
                        .key_by(|p: &LocalPartial<K, Accumulators>| p.key.clone())
                        .process(f)
                } else {
                    rows.key_by(key).process(f)
                }
            }
            GroupInput::Changes(changes) => {
                let f = GroupAggregateFn::new(
                    RetractingAggregate::new(self.aggs),
                    key_values,
                    self.width,
                    self.update_before,
                    self.row_drop,
                    self.ttl,
                    self.mini_batch,
                );
                changes.key_by(move |c: &Change| key(&c.row)).process(f)
            }
        }
    }
}
