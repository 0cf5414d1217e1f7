//! A [`LogicalPlan`] → engine operators on a [`StreamEnvironment`].
//!
//! Rows travel as [`Row`]s; a record's engine timestamp is its rowtime in ms (set by the
//! source from the table's `WATERMARK FOR` column, and by window aggregates as
//! `window_time` = window end - 1), so event-time windows and joins downstream need no
//! timestamp assigner. Expressions are evaluated row at a time; an evaluation error fails the
//! job ([`super::fail`]).
//!
//! [`Translator::translate`] dispatches on the plan node; each node's translation that is more
//! than a line lives in a file of its own: `source.rs` (scans, `VALUES`), `window_nodes.rs`
//! (window TVFs, aggregates over windowed rows), `unnest_node.rs`, `joins.rs`; filter and
//! projection chains (`calc`) and window aggregates stay here. A new operator's translation
//! goes in a new file beside them.

mod changes;
mod expand_node;
mod joins;
mod lookup_join_node;
mod over_node;
mod rank_nodes;
mod source;
mod temporal_join_node;
mod temporal_sort_node;
mod unnest_node;
mod window_nodes;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use smallvec::SmallVec;
use spate_engine::window::{AggregateFunction, WindowAssigner, WindowEmitter};
use spate_engine::{DataStream, OutputTag, ProcessContext, Record, StreamEnvironment, Window};

use crate::connector::{self, CompleteRows, ConnectorContext, ScanPlan};
use crate::error::{Result, SqlError};
use crate::expr::{BoundExpr, CompiledExpr, EvalContext, IntExpr};
use crate::plan::{LogicalPlan, UpdateImages, WindowProperty, WindowSpec};
use crate::row_memory::RowDrop;
use crate::value::{Change, Row, Value};
use crate::zone::SessionZone;

use super::accumulate::SqlAggregate;
use super::attached::AttachedAggregateFn;
use super::calc::{Calc, CalcFn};
use super::consumer_filters::{ConsumerFilters, passes};
use super::fail::raise;
use super::group_aggregate::RetractingAggregate;
use super::int_aggregate::IntAggregate;
use super::int_column::IntColumn;
use super::join::{IntervalJoinFn, RegularJoinFn, WindowJoinFn};
use super::join_key::JoinKey;
use super::plan_keys::{PlanKey, PlanKeys};
use super::retracting_session::RetractingSessionFn;
use super::retracting_window::RetractingWindowFn;
use super::slice_order::SliceOrder;
use super::unnest::UnnestFn;
use super::window_output::WindowOutput;

/// Adds the operators of plans to one environment (a job may have several sinks).
#[allow(missing_debug_implementations)] // Holds the environment, which is not Debug.
pub struct Translator<'a> {
    env: &'a StreamEnvironment,
    ctx: ConnectorContext,
    next_uid: usize,
    /// The stream of every plan translated so far, by the plan's key: a table read by two
    /// branches of a query (a self-join, a view used twice) or by two INSERTs of a statement set
    /// is scanned and decoded once, and a repeated sub-plan is computed once — as Flink's
    /// `table.optimizer.reuse-source-enabled` / `reuse-sub-plan-enabled` do by default. Two
    /// sources of one table would also commit the same group's offsets against each other.
    translated: HashMap<PlanKey, DataStream<Row>>,
    /// Content keys of plan nodes (equal keys: equal plans).
    keys: PlanKeys,
    /// The key of every window aggregate that occurs more than once in the plans given to
    /// [`share_repeated`](Translator::share_repeated). A projection is normally fused into its
    /// window aggregate's output; a repeated one is computed once instead and projected per use
    /// (Nexmark q5 counts the same hopping windows twice).
    repeated_windows: HashSet<PlanKey>,
    /// The key of every filter and projection that occurs more than once in those plans: it
    /// is computed once and shared, not fused into each consumer's [`Calc`].
    repeated_rows: HashSet<PlanKey>,
    /// The conditions of the filter chains over each stream the plans share, from
    /// [`share_repeated`](Translator::share_repeated).
    consumer_filters: ConsumerFilters,
    /// Each consumer's stream of a shared plan, by the plan's key, in the order of the
    /// consumers in `consumer_filters`: the rows its conditions keep, routed to it alone (made
    /// anew for the plans of each `share_repeated`).
    prefiltered: HashMap<PlanKey, Vec<DataStream<Row>>>,
    /// The changes of every updating plan translated so far, by the plan's key and the update
    /// images its consumer asked for (see `changes.rs`).
    translated_changes: HashMap<(PlanKey, UpdateImages), DataStream<Change>>,
}

fn now_millis() -> i64 {
    spate_engine::clock::now_millis()
}

/// Whether evaluating `e` reads the clock or the watermark (a non-deterministic function).
fn reads_clock(e: &BoundExpr) -> bool {
    e.calls(&|func| !func.is_deterministic())
}

/// The evaluation context of a row; the clock is read only for expressions that need it.
fn eval_ctx<O>(ctx: &ProcessContext<'_, O>, reads_clock: bool, zone: SessionZone) -> EvalContext
where
    O: spate_engine::Data,
{
    EvalContext {
        watermark: ctx.current_watermark(),
        now_millis: if reads_clock { now_millis() } else { 0 },
        zone,
    }
}

impl<'a> Translator<'a> {
    /// A translator adding to `env`, with the connectors' settings.
    pub fn new(env: &'a StreamEnvironment, ctx: ConnectorContext) -> Self {
        Self {
            env,
            ctx,
            next_uid: 0,
            translated: HashMap::new(),
            keys: PlanKeys::default(),
            repeated_windows: HashSet::new(),
            repeated_rows: HashSet::new(),
            consumer_filters: ConsumerFilters::default(),
            prefiltered: HashMap::new(),
            translated_changes: HashMap::new(),
        }
    }

    /// Looks through the plans about to be translated for window aggregates, filters and
    /// projections they compute more than once, so those are computed once and shared.
    pub fn share_repeated<'p>(&mut self, plans: impl IntoIterator<Item = &'p LogicalPlan>) {
        /// Occurrences of each node, and whether it is a window aggregate.
        type Seen = HashMap<PlanKey, (usize, bool)>;
        let plans: Vec<&LogicalPlan> = plans.into_iter().collect();
        for plan in &plans {
            self.keys.pin(plan);
        }
        let mut seen = Seen::new();
        let mut stack: Vec<&LogicalPlan> = plans.clone();
        while let Some(plan) = stack.pop() {
            let window = matches!(plan, LogicalPlan::WindowAggregate { .. });
            if window || matches!(plan, LogicalPlan::Project { .. } | LogicalPlan::Filter { .. }) {
                seen.entry(self.keys.key(plan)).or_insert((0, window)).0 += 1;
            }
            stack.extend(plan.inputs());
        }
        for (key, (n, window)) in seen {
            if n > 1 {
                if window {
                    self.repeated_windows.insert(key);
                } else {
                    self.repeated_rows.insert(key);
                }
            }
        }
        let repeated = &self.repeated_rows;
        let keys = &self.keys;
        self.consumer_filters = ConsumerFilters::of(plans, self.ctx.zone, keys, |node| {
            !repeated.contains(&keys.key(node))
        });
        self.prefiltered.clear();
        self.keys.unpin();
    }

    /// The rows of `input`'s stream that the conditions of consumer `own` of `consumers`
    /// keep (see [`ConsumerFilters`]): one router per shared plan
    /// evaluates every consumer's conditions on a row in place and hands the row to those that
    /// keep it, moved to the last of them and cloned only for the others. A Nexmark bid, which
    /// only the `bid` view keeps, is no longer cloned for the `auction` view to drop.
    fn prefiltered(
        &mut self,
        input: &LogicalPlan,
        consumers: &[(String, Vec<BoundExpr>)],
        own: usize,
    ) -> Result<DataStream<Row>> {
        let key = self.keys.key(input);
        if !self.prefiltered.contains_key(&key) {
            let compiled: Vec<Vec<CompiledExpr>> = consumers
                .iter()
                .map(|(_, conditions)| conditions.iter().map(BoundExpr::compile).collect())
                .collect();
            let tags: Vec<OutputTag<Row>> = consumers
                .iter()
                .enumerate()
                .map(|(i, _)| OutputTag::new(&format!("consumer-{i}")))
                .collect();
            let zone = self.ctx.zone;
            let routes = tags.clone();
            let mut passing: Vec<usize> = Vec::with_capacity(consumers.len());
            let router = self
                .stream(input)?
                .process(move |row: Row, ctx: &mut ProcessContext<'_, Row>| {
                    let ec = eval_ctx(ctx, false, zone);
                    passing.clear();
                    passes(&compiled, &row, &ec, &mut passing).unwrap_or_else(|err| raise(err));
                    if let Some((&last, rest)) = passing.split_last() {
                        for &i in rest {
                            ctx.output(&routes[i], row.clone());
                        }
                        ctx.output(&routes[last], row);
                    }
                });
            let streams = tags.iter().map(|tag| router.side_output(tag)).collect();
            self.prefiltered.insert(key, streams);
        }
        match self.prefiltered.get(&key).and_then(|streams| streams.get(own)) {
            Some(stream) => Ok(stream.clone()),
            // Out of range only if `consumers` were not the key's (`shared_by` gives both): the
            // whole stream, which the consumer's own conditions filter anyway.
            None => self.stream(input),
        }
    }

    fn uid(&mut self, what: &str) -> String {
        self.next_uid += 1;
        format!("sql-{}-{what}", self.next_uid)
    }

    /// The stream of `plan`'s rows; a plan equal to one translated before gets that stream.
    pub fn stream(&mut self, plan: &LogicalPlan) -> Result<DataStream<Row>> {
        self.pinned(plan, |tr| tr.stream_of(plan))
    }

    /// Runs `translate` with `plan`'s node keys pinned: the outermost call pins them for the
    /// calls on its inputs; the plan stays borrowed until it returns.
    fn pinned<R>(&mut self, plan: &LogicalPlan, translate: impl FnOnce(&mut Self) -> R) -> R {
        let outermost = !self.keys.any_pinned();
        if outermost {
            self.keys.pin(plan);
        }
        let out = translate(self);
        if outermost {
            self.keys.unpin();
        }
        out
    }

    fn stream_of(&mut self, plan: &LogicalPlan) -> Result<DataStream<Row>> {
        let key = self.keys.key(plan);
        if let Some(stream) = self.translated.get(&key) {
            return Ok(stream.clone());
        }
        let stream = self.translate(plan)?;
        self.translated.insert(key, stream.clone());
        Ok(stream)
    }

    fn translate(&mut self, plan: &LogicalPlan) -> Result<DataStream<Row>> {
        match plan {
            LogicalPlan::Scan {
                table,
                computed,
                rowtime,
                used,
                ..
            } => self.scan(table, computed, *rowtime, used),
            LogicalPlan::Values { rows, .. } => self.values(rows),
            LogicalPlan::Project { .. } | LogicalPlan::Filter { .. } => self.calc(plan),
            // Its rows are changes (`changes.rs`); a consumer of plain rows cannot take them.
            LogicalPlan::RegularJoin {
                left,
                right,
                keys,
                nulls_meet,
                condition,
                kind,
                state_ttl,
                ..
            } if plan.modify_kinds().is_insert_only() => {
                // Under a state TTL the rows go through the join that expires them.
                let expires = self.ctx.state_ttl.is_some() || state_ttl.0.is_some() || state_ttl.1.is_some();
                if expires {
                    Ok(self
                        .changelog_join(
                            left,
                            right,
                            (keys, nulls_meet),
                            condition.as_ref(),
                            (*kind, state_ttl),
                            UpdateImages::BeforeAndAfter,
                        )?
                        .map(|c: Change| c.row))
                } else {
                    self.regular_join(left, right, keys, nulls_meet, condition)
                }
            }
            // Insert-only when its left input is: the changes' rows.
            LogicalPlan::TemporalJoin {
                left,
                right,
                keys,
                time_cols,
                condition,
                kind,
                ..
            } if plan.modify_kinds().is_insert_only() => Ok(self
                .temporal_join(
                    left,
                    right,
                    keys,
                    *time_cols,
                    condition.as_ref(),
                    *kind,
                    UpdateImages::BeforeAndAfter,
                )?
                .map(|c: Change| c.row)),
            LogicalPlan::LookupJoin {
                left,
                right,
                keys,
                condition,
                kind,
                ..
            } if plan.modify_kinds().is_insert_only() => {
                self.lookup_join(left, right, keys, condition.as_ref(), *kind)
            }
            LogicalPlan::Rank { window: Some(_), .. } | LogicalPlan::Deduplicate { .. }
                if plan.modify_kinds().is_insert_only() =>
            {
                self.rank_rows(plan)
            }
            // A `Limit` over insert-only rows: the rows its insertions carry.
            LogicalPlan::Rank { window: None, .. } if plan.modify_kinds().is_insert_only() => Ok(self
                .rank_changes(plan, UpdateImages::BeforeAndAfter)?
                .map(|c: Change| c.row)),
            LogicalPlan::TemporalSort {
                input,
                order_by,
                rowtime,
            } => self.temporal_sort(input, order_by, *rowtime),
            // A window function no rank filter made a Top-N, and OVER aggregates.
            LogicalPlan::Over { .. } => self.over_aggregate(plan),
            LogicalPlan::GroupAggregate { .. }
            | LogicalPlan::Rank { .. }
            | LogicalPlan::Deduplicate { .. }
            | LogicalPlan::TemporalJoin { .. }
            | LogicalPlan::LookupJoin { .. }
            | LogicalPlan::RegularJoin { .. }
            | LogicalPlan::ChangelogNormalize { .. }
            | LogicalPlan::SinkMaterialize { .. } => Err(SqlError::validation(
                format!(
                    "internal error: the updating node {} was asked for insert-only rows",
                    plan.flink_node_string()
                ),
                None,
            )),
            LogicalPlan::Union { inputs, .. } => {
                let streams = inputs
                    .iter()
                    .map(|i| self.stream(i))
                    .collect::<Result<Vec<_>>>()?;
                Ok(union_all(streams))
            }
            LogicalPlan::WindowAssign {
                input,
                window,
                time_col,
                event_time,
                ..
            } => self.window_assign(input, window, time_col, event_time),
            LogicalPlan::Unnest {
                input,
                collection,
                elements,
                options,
                condition,
                carried,
                schema,
            } => self.unnest(input, collection, elements, options, condition, carried, schema),
            LogicalPlan::Expand { input, keys, ids, .. } => self.expand(input, keys, ids),
            LogicalPlan::WindowAggregate { .. } => self.window_aggregate(plan, None),
            LogicalPlan::AttachedWindowAggregate {
                input,
                start,
                end,
                keys,
                aggs,
                ..
            } => self.attached_window_aggregate(plan, input, start, end, keys, aggs),
            LogicalPlan::WindowJoin {
                left,
                right,
                time_cols,
                keys,
                condition,
                kind,
                ..
            } => self.window_join(left, right, time_cols, keys, condition, kind),
            LogicalPlan::IntervalJoin {
                left,
                right,
                keys,
                bounds,
                condition,
                kind,
                ..
            } => self.interval_join(left, right, keys, bounds, condition, kind),
        }
    }

    /// The rows of a chain of filters and projections, fused into one operator ([`Calc`]) down
    /// to the first node that is something else or is shared. A projection that only picks
    /// columns of a window aggregate is fused into the aggregate's output instead.
    fn calc(&mut self, plan: &LogicalPlan) -> Result<DataStream<Row>> {
        let zone = self.ctx.zone;
        let repeated = &self.repeated_rows;
        let keys = &self.keys;
        let (calc, input) = Calc::of(plan, zone, |node| !repeated.contains(&keys.key(node)));
        if let (true, Some(cols), LogicalPlan::WindowAggregate { .. }) =
            (calc.predicates.is_empty(), calc.picks(zone), input)
            && !self.repeated_windows.contains(&self.keys.key(input))
        {
            return self.window_aggregate(input, Some(&cols));
        }
        let clock = calc
            .predicates
            .iter()
            .chain(calc.projection.iter().flatten())
            .any(reads_clock);
        let f = CalcFn::new(&calc, input.schema().fields.len(), zone);
        let input = match self
            .consumer_filters
            .shared_by(input, &calc.predicates, &self.keys)
        {
            Some((consumers, own)) => {
                let consumers = consumers.to_vec();
                self.prefiltered(input, &consumers, own)?
            }
            None => self.stream(input)?,
        };
        if f.is_identity() {
            return Ok(input);
        }
        if !f.evaluates() {
            // Only picks: no condition, no expression, no evaluation context.
            let ctx = EvalContext::default();
            return Ok(input.map(move |row: Row| f.project(row, &ctx).unwrap_or_else(|err| raise(err))));
        }
        Ok(input.process(move |row: Row, ctx: &mut ProcessContext<'_, Row>| {
            let ec = eval_ctx(ctx, clock, zone);
            if let Some(out) = f.apply(row, &ec).unwrap_or_else(|err| raise(err)) {
                ctx.collect(out);
            }
        }))
    }

    /// A window aggregate's rows, or (with `select`) the columns of them a projection above
    /// picks, built straight from the window results.
    fn window_aggregate(&mut self, plan: &LogicalPlan, select: Option<&[usize]>) -> Result<DataStream<Row>> {
        let LogicalPlan::WindowAggregate {
            input,
            window,
            time_col,
            event_time,
            keys,
            properties,
            aggs,
            group_window,
            ..
        } = plan
        else {
            return Err(SqlError::validation("internal: not a window aggregate", None));
        };
        let zone = self.window_zone(input, *time_col);
        if !input.modify_kinds().is_insert_only() {
            if !*event_time {
                // The planner lets only event-time windows take updates.
                return Err(SqlError::validation(
                    "internal error: a processing-time window aggregate over an updating input",
                    None,
                ));
            }
            let f = RetractingAggregate::new(aggs);
            let output = WindowOutput::new(keys.len(), properties, aggs.len(), select).in_zone(zone);
            let uid = self.uid("window-aggregate");
            let key = key_selector(keys.clone(), self.ctx.zone);
            let changes = self
                .changes(input, UpdateImages::BeforeAndAfter)?
                .key_by(move |c: &Change| key(&c.row));
            let windows = match *window {
                WindowSpec::Session { gap } => {
                    let clock = zone.map(super::wall_clock::wall_clock);
                    changes.process(RetractingSessionFn::new(f, gap, *time_col, output, clock))
                }
                _ => {
                    let assigner = assigner(*window, true, zone)?;
                    changes.process(RetractingWindowFn::new(f, assigner, *time_col, output))
                }
            };
            return Ok(windows.name("window-aggregate").uid(&uid));
        }
        let row_drop = RowDrop::of(input.schema().fields.iter().map(|f| &f.ty.kind));
        let input = self.stream(input)?;
        let assigner = assigner(*window, *event_time, zone)?;
        let aggregate = SqlAggregate::new(aggs.clone())
            .with_row_drop(row_drop)
            .with_slice_order(SliceOrder::of(
                *window,
                *time_col,
                *event_time,
                zone,
                *group_window,
            ));
        let uid = self.uid("window-aggregate");
        let output = WindowOutput::new(keys.len(), properties, aggs.len(), select).in_zone(zone);
        // `TWO_PHASE`: aggregates whose partial results merge to the same result in any order
        // are folded before the keyed exchange too (the engine ignores it for windows it
        // cannot cut into panes: cumulating, session, processing-time, local-time windows).
        let two_phase = self.ctx.two_phase_windows && aggregate.merges_in_any_order();
        let typed = IntAggregate::of(aggs).map(|a| a.with_row_drop(row_drop));
        let rows = WindowRows {
            input: &input,
            assigner,
            two_phase,
            typed,
            general: aggregate,
            uid: &uid,
            output,
        };
        let out = match keys.as_slice() {
            // One key column of an integer-backed type keys by its integer: hashed and compared
            // as one, with no value to clone per record.
            [BoundExpr::Column { index: c, ty }] if let Some(kind) = IntColumn::of(ty) => {
                let c = *c;
                rows.keyed_by(move |row: &Row| kind.get(row.get(c)), move |k, _| kind.value(*k))
            }
            // One key column of another type keys by the value itself: no key vector to
            // allocate per record.
            [BoundExpr::Column { index: c, .. }] => {
                let c = *c;
                rows.keyed_by(
                    move |row: &Row| row.get(c).cloned().unwrap_or_default(),
                    |k: &Value, _| k.clone(),
                )
            }
            _ => rows.keyed_by(key_selector(keys.clone(), self.ctx.zone), |k: &Vec<Value>, i| {
                k.get(i).cloned().unwrap_or_default()
            }),
        };
        Ok(out)
    }

    /// The zone windows over `input`'s column `time_col` are cut in: the session zone for a
    /// `TIMESTAMP_LTZ` time attribute (Flink), none (the epoch's alignment) for a `TIMESTAMP`.
    fn window_zone(&self, input: &LogicalPlan, time_col: usize) -> Option<SessionZone> {
        let ty = &input.schema().fields.get(time_col)?.ty;
        // In UTC wall-clock time is the instant: no conversion per record or per window.
        (matches!(ty.kind, crate::types::TypeKind::TimestampLtz(_)) && !self.ctx.zone.is_utc())
            .then_some(self.ctx.zone)
    }

    /// Adds planned `INSERT`s (sink table, plan) to the job: repeated window aggregates shared
    /// across all of them, each plan's rows written to its table.
    pub fn insert_all(&mut self, planned: &[(crate::ast::TableDef, LogicalPlan)]) -> Result<()> {
        self.share_repeated(planned.iter().map(|(_, plan)| plan));
        for (table, plan) in planned {
            if plan.modify_kinds().is_insert_only() {
                let rows = self.stream(plan)?;
                self.write(&rows, table)?;
                continue;
            }
            let accepted = crate::plan::sink_update_images(table).unwrap_or(&[UpdateImages::BeforeAndAfter]);
            let images = plan.update_images_for(accepted).ok_or_else(|| {
                SqlError::validation(
                    format!(
                        "internal error: no changelog mode of the plan suits table {}",
                        table.name
                    ),
                    None,
                )
            })?;
            let changes = self.changes(plan, images)?;
            connector::write_changes(&changes, table, &self.ctx)?;
        }
        Ok(())
    }

    /// Adds the sink of `table` after `rows`.
    pub fn write(&mut self, rows: &DataStream<Row>, table: &crate::ast::TableDef) -> Result<()> {
        let rows = super::not_null::enforce(rows, table, self.ctx.not_null_enforcer);
        connector::write(&rows, table, &self.ctx)
    }
}

/// A window aggregate's rows, once its key is chosen ([`keyed_by`](Self::keyed_by)): each
/// fired window's row is made as it fires (`aggregate_into`), with no window result record and
/// no `map` in between.
struct WindowRows<'a> {
    input: &'a DataStream<Row>,
    assigner: WindowAssigner,
    /// Pre-aggregated before the exchange too.
    two_phase: bool,
    /// The single-call integer aggregate, when it covers the calls; else `general` runs.
    typed: Option<IntAggregate>,
    general: SqlAggregate,
    uid: &'a str,
    output: WindowOutput,
}

impl WindowRows<'_> {
    /// Keyed by `key`; key column `i` of an output row is `key_value(key, i)`.
    fn keyed_by<K, KS, KV>(self, key: KS, key_value: KV) -> DataStream<Row>
    where
        K: spate_engine::Key,
        KS: Fn(&Row) -> K + Clone + Send + 'static,
        KV: Fn(&K, usize) -> Value + Clone + Send + 'static,
    {
        let output = self.output.clone();
        match self.typed.clone() {
            // Inlined into the window operator's firing loop: called, the closure took its
            // result through a stack copy that stalled (see `row_memory`).
            Some(agg) => self.windows(
                key,
                agg,
                #[inline(always)]
                move |k, w, v, out| {
                    let ts = out.timestamp();
                    output.push_row(out.records(), ts, |i| key_value(k, i), *w, v);
                },
            ),
            None => {
                let general = self.general.clone();
                self.windows(key, general, move |k, w, v, out| {
                    let ts = out.timestamp();
                    output.push_row(out.records(), ts, |i| key_value(k, i), *w, v);
                })
            }
        }
    }

    /// `input` keyed by `key`, cut into the windows and aggregated by `aggregate` (also before
    /// the exchange with `two_phase`); each fired window's row is `row(key, window, result)`.
    fn windows<K, KS, A, F>(&self, key: KS, aggregate: A, row: F) -> DataStream<Row>
    where
        K: spate_engine::Key,
        KS: Fn(&Row) -> K + Clone + Send + 'static,
        A: AggregateFunction<Row>,
        F: FnMut(&K, &Window, A::Out, &mut WindowEmitter<'_, Row>) + Clone + Send + 'static,
    {
        let windowed = self.input.key_by(key).window(self.assigner);
        let windowed = if self.two_phase {
            windowed.pre_aggregate()
        } else {
            windowed
        };
        windowed.aggregate_into(aggregate, row).uid(self.uid)
    }
}

/// One stream of every stream's records (`UNION ALL`); `streams` is not empty (a union has
/// inputs).
fn union_all<T: spate_engine::Data>(mut streams: Vec<DataStream<T>>) -> DataStream<T> {
    let first = streams.remove(0);
    if streams.is_empty() {
        first
    } else {
        first.union(&streams)
    }
}

/// A key selector evaluating `keys` (plain column picks without evaluation).
fn key_selector(
    keys: Vec<BoundExpr>,
    zone: SessionZone,
) -> impl Fn(&Row) -> Vec<Value> + Clone + Send + 'static {
    let keys: Arc<[CompiledExpr]> = keys.iter().map(BoundExpr::compile).collect();
    move |row: &Row| {
        let ctx = EvalContext {
            zone,
            ..EvalContext::default()
        };
        keys.iter()
            .map(|k| k.eval(row, &ctx).unwrap_or_else(|e| raise(e)))
            .collect()
    }
}

/// Runs `f` over both join inputs, keyed by their sides of the equi-join keys.
fn join_keyed<F>(
    l: &DataStream<Row>,
    r: &DataStream<Row>,
    keys: &[(BoundExpr, BoundExpr)],
    nulls_meet: &[bool],
    f: F,
    zone: SessionZone,
) -> DataStream<Row>
where
    F: spate_engine::keyed_co_process::KeyedCoProcessFunction<JoinKey, Row, Row, Row>,
{
    let lk = join_key_selector(keys.iter().map(|k| &k.0), 0, zone, nulls_meet);
    let rk = join_key_selector(keys.iter().map(|k| &k.1), 1, zone, nulls_meet);
    l.key_by(lk).connect(&r.key_by(rk)).process(f)
}

/// The [`JoinKey`] of a row on side `side` (0 left, 1 right). Keys that only pick columns (the
/// common case) are encoded from the row in place: no value is cloned.
///
/// NULLs meet on the keys `nulls_meet` marks (`IS NOT DISTINCT FROM`), nowhere else.
fn join_key_selector<'e>(
    keys: impl Iterator<Item = &'e BoundExpr>,
    side: u8,
    zone: SessionZone,
    nulls_meet: &[bool],
) -> impl Fn(&Row) -> JoinKey + Clone + Send + 'static {
    static NULL: Value = Value::Null;
    let nulls_meet: Arc<[bool]> = nulls_meet.into();
    let keys: Vec<&BoundExpr> = keys.collect();
    let columns: Option<Arc<[usize]>> = keys
        .iter()
        .map(|k| match k {
            BoundExpr::Column { index, .. } => Some(*index),
            _ => None,
        })
        .collect();
    let exprs: Arc<[CompiledExpr]> = keys.iter().map(|k| k.compile()).collect();
    move |row: &Row| match &columns {
        Some(columns) => JoinKey::with_nulls_meeting(
            columns.iter().map(|c| row.get(*c).unwrap_or(&NULL)),
            side,
            &nulls_meet,
        ),
        None => {
            let ctx = EvalContext {
                zone,
                ..EvalContext::default()
            };
            let values: SmallVec<[Value; 2]> = exprs
                .iter()
                .map(|k| k.eval(row, &ctx).unwrap_or_else(|e| raise(e)))
                .collect();
            JoinKey::with_nulls_meeting(&values, side, &nulls_meet)
        }
    }
}

fn ms(v: i64) -> Duration {
    Duration::from_millis(v.max(0) as u64)
}

/// The engine's assigner for a SQL window. Offsets are taken modulo the window (Flink allows
/// negative ones; the alignment is the same).
pub(crate) fn assigner(w: WindowSpec, event_time: bool, zone: Option<SessionZone>) -> Result<WindowAssigner> {
    let shifted = |a: WindowAssigner, offset: i64, period: i64| match offset.rem_euclid(period.max(1)) {
        0 => a,
        o => a.with_offset(ms(o)),
    };
    let a = match w {
        WindowSpec::Tumble { size, offset } => shifted(WindowAssigner::tumbling(ms(size)), offset, size),
        WindowSpec::Hop { slide, size, offset } => {
            shifted(WindowAssigner::sliding(ms(size), ms(slide)), offset, slide)
        }
        WindowSpec::Cumulate { step, size, offset } => {
            shifted(WindowAssigner::cumulative(ms(size), ms(step)), offset, size)
        }
        WindowSpec::Session { gap } => WindowAssigner::session(ms(gap)),
    };
    let a = match zone {
        Some(z) => a.in_zone(super::wall_clock::wall_clock(z)),
        None => a,
    };
    // Flink SQL drops the processing-time windows still open when a bounded input ends.
    Ok(if event_time {
        a
    } else {
        a.processing_time().drop_open_windows_at_end()
    })
}
