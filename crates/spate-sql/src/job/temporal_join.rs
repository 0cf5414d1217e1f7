//! The event-time temporal join (`l JOIN v FOR SYSTEM_TIME AS OF l.t`), as Flink 2.3's
//! `TemporalRowTimeJoinOperator` runs it, keyed by the equi-join keys (which hold the versioned
//! table's primary key, so a key's right rows are the versions of one row).
//!
//! Per key: the left rows in arrival order, the right rows by their rowtime (a second row of
//! the same time replaces the first, as in Flink's map state), and one event-time timer, the
//! smallest time still to be looked at. When the watermark (the smaller of both inputs') passes
//! it, every left row at or before the watermark is joined, in arrival order, with the latest
//! version at or before its own time — when that version is a deletion there is none — and
//! leaves the state; versions older than the latest one at or before the watermark are dropped,
//! as no left row can need them any more. A left row later than the watermark is not dropped:
//! it is joined at the next watermark, with what the state still holds (Flink's rule too).
//!
//! A deletion's row is the deleted row, so it sits at that row's rowtime and replaces the
//! version it deletes there: Debezium's `d` undoes the version retroactively, as in Flink.

use std::collections::BTreeMap;

use spate_engine::Timestamp;
use spate_engine::keyed_co_process::KeyedCoProcessFunction;
use spate_engine::keyed_process::{KeyedContext, TimeDomain};
use spate_engine::state::{ListState, StateRegistry, ValueState};

use crate::ast::JoinKind;
use crate::expr::{CompiledExpr, EvalContext};
use crate::value::{Change, Row, RowKind, Value};
use crate::zone::SessionZone;

use super::fail::raise;
use super::join_key::JoinKey;

/// A key's versions by rowtime (ms).
type Versions = BTreeMap<Timestamp, Change>;

/// The temporal join's keyed function: left changes in, joined changes of the left kinds out.
#[derive(Clone)]
pub(crate) struct TemporalJoinFn {
    left_outer: bool,
    /// The rowtime columns of a left and of a right row.
    time_cols: (usize, usize),
    right_width: usize,
    condition: Option<std::sync::Arc<CompiledExpr>>,
    zone: SessionZone,
    left: Option<ListState<Change>>,
    right: Option<ValueState<Versions>>,
    /// The key's registered timer (Flink keeps one per key, the smallest).
    timer: Option<ValueState<Timestamp>>,
}

impl TemporalJoinFn {
    pub(crate) fn new(
        kind: JoinKind,
        time_cols: (usize, usize),
        right_width: usize,
        condition: Option<CompiledExpr>,
        zone: SessionZone,
    ) -> Self {
        Self {
            left_outer: kind == JoinKind::Left,
            time_cols,
            right_width,
            condition: condition.map(std::sync::Arc::new),
            zone,
            left: None,
            right: None,
            timer: None,
        }
    }

    /// Registers a timer at `time` unless the key has one at or before it (then that one
    /// fires first and registers what is left); a later one is replaced.
    fn register_smallest_timer(&self, time: Timestamp, ctx: &mut KeyedContext<'_, JoinKey, Change>) {
        let Some(timer) = &self.timer else { return };
        match timer.get(ctx).copied() {
            Some(at) if at <= time => {}
            Some(at) => {
                ctx.delete_event_time_timer(at);
                timer.update(ctx, time);
                ctx.register_event_time_timer(time);
            }
            None => {
                timer.update(ctx, time);
                ctx.register_event_time_timer(time);
            }
        }
    }

    /// `left` joined with `right` (or padded with NULLs), when the condition lets it.
    fn joined(&self, left: &Row, right: Option<&Row>, watermark: Timestamp) -> Option<Row> {
        let mut row = Vec::with_capacity(left.len() + self.right_width);
        row.extend(left.iter().cloned());
        let Some(right) = right else {
            row.resize(left.len() + self.right_width, Value::Null);
            return Some(row);
        };
        row.extend(right.iter().cloned());
        let passes = match &self.condition {
            None => true,
            Some(c) => {
                let ctx = EvalContext {
                    watermark,
                    now_millis: spate_engine::clock::now_millis(),
                    zone: self.zone,
                };
                c.eval_predicate(&row, &ctx).unwrap_or_else(|e| raise(e))
            }
        };
        if passes {
            return Some(row);
        }
        self.joined(left, None, watermark).filter(|_| self.left_outer)
    }

    /// Joins the key's left rows the watermark has passed and drops the versions no left row
    /// can need; the time of the earliest left row still waiting, if any.
    fn emit_and_clean_up(&self, ctx: &mut KeyedContext<'_, JoinKey, Change>) -> Option<Timestamp> {
        let (Some(ls), Some(rs)) = (&self.left, &self.right) else {
            return None;
        };
        let watermark = ctx.current_watermark();
        let lt = self.time_cols.0;
        let waiting: Vec<Change> = ls.clear(ctx);
        let (due, waiting): (Vec<Change>, Vec<Change>) = waiting
            .into_iter()
            .partition(|c| row_time(&c.row, lt) <= watermark);
        let next = waiting.iter().map(|c| row_time(&c.row, lt)).min();
        if !waiting.is_empty() {
            ls.update(ctx, waiting);
        }
        let versions: Versions = rs.clear(ctx).unwrap_or_default();
        for c in due {
            let at = row_time(&c.row, lt);
            let version = versions
                .range(..=at)
                .next_back()
                .map(|(_, v)| v)
                .filter(|v| matches!(v.kind, RowKind::Insert | RowKind::UpdateAfter));
            let row = match version {
                Some(v) => self.joined(&c.row, Some(&v.row), watermark),
                None if self.left_outer => self.joined(&c.row, None, watermark),
                None => None,
            };
            if let Some(row) = row {
                ctx.collect_with_timestamp(Change { kind: c.kind, row }, at);
            }
        }
        // Keep the latest version at or before the watermark (still valid for a late left
        // row) and every later one.
        let mut kept = versions;
        if let Some((&latest_passed, _)) = kept.range(..=watermark).next_back() {
            kept = kept.split_off(&latest_passed);
        }
        if !kept.is_empty() {
            rs.update(ctx, kept);
        }
        next
    }
}

/// A row's rowtime in ms; NULL reads as 0, as Flink reads a NULL compact timestamp.
fn row_time(row: &Row, col: usize) -> Timestamp {
    match row.get(col) {
        Some(Value::Timestamp(micros)) => micros.div_euclid(1000),
        _ => 0,
    }
}

impl KeyedCoProcessFunction<JoinKey, Change, Change, Change> for TemporalJoinFn {
    fn open(&mut self, states: &mut StateRegistry<'_, JoinKey>) {
        self.left = Some(states.list("left"));
        self.right = Some(states.value("right"));
        self.timer = Some(states.value("timer"));
    }

    fn process_element1(&mut self, value: Change, ctx: &mut KeyedContext<'_, JoinKey, Change>) {
        let time = row_time(&value.row, self.time_cols.0);
        if let Some(ls) = &self.left {
            ls.add(ctx, value);
        }
        self.register_smallest_timer(time, ctx);
    }

    fn process_element2(&mut self, value: Change, ctx: &mut KeyedContext<'_, JoinKey, Change>) {
        // An update's before-image says nothing a version does not (Flink drops it upstream).
        if value.kind == RowKind::UpdateBefore {
            return;
        }
        let time = row_time(&value.row, self.time_cols.1);
        if let Some(versions) = self
            .right
            .as_ref()
            .and_then(|rs| rs.get_or_insert_with(ctx, Versions::new))
        {
            versions.insert(time, value);
        }
        self.register_smallest_timer(time, ctx);
    }

    fn on_timer(&mut self, _: Timestamp, _: TimeDomain, ctx: &mut KeyedContext<'_, JoinKey, Change>) {
        if let Some(timer) = &self.timer {
            timer.clear(ctx);
        }
        if let Some(next) = self.emit_and_clean_up(ctx) {
            if let Some(timer) = &self.timer {
                timer.update(ctx, next);
            }
            ctx.register_event_time_timer(next);
        }
    }
}
