//! SQL window joins and interval joins as keyed co-process functions on event time.
//!
//! Both keep each side's rows in keyed state until the watermark proves no partner can still
//! arrive, then drop them; outer joins emit the rows that found no partner (padded with NULLs)
//! at that moment, as Flink does. Rows later than the watermark when they arrive are dropped
//! (Flink's rule for both joins).

use serde::{Deserialize, Serialize};
use spate_engine::Timestamp;
use spate_engine::keyed_co_process::KeyedCoProcessFunction;
use spate_engine::keyed_process::{KeyedContext, TimeDomain};
use spate_engine::state::{ListState, StateRegistry, ValueState};

use crate::ast::JoinKind;
use crate::expr::{BoundExpr, EvalContext, EvalError};
use crate::value::{Row, Value};
use crate::zone::SessionZone;

use super::fail::raise;
use super::join_key::JoinKey;
use super::packed_rows::{PackedRow, PackedRows, UnpackError};

/// Packed join state that does not decode (only a corrupted checkpoint) fails the job.
pub(super) fn corrupted(e: UnpackError) -> ! {
    raise(EvalError(format!("corrupted join state: {e}")))
}

/// Appends a packed partner's values.
fn decode_partner(partner: &PackedRow<'_>, out: &mut Row) {
    partner.decode_into(out).unwrap_or_else(|e| corrupted(e));
}

/// A buffered row, its event time, and whether it found a partner.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Buffered {
    ts: Timestamp,
    row: Row,
    matched: bool,
}

/// The parts both joins share: output shape, residual condition, outer padding.
#[derive(Debug, Clone)]
struct JoinOutput {
    kind: JoinKind,
    left_width: usize,
    right_width: usize,
    condition: Option<BoundExpr>,
    /// The session time zone the condition is evaluated in.
    zone: SessionZone,
}

impl JoinOutput {
    fn joined(&self, l: &Row, r: &Row, watermark: Timestamp) -> Option<Row> {
        let mut row = Vec::with_capacity(self.left_width + self.right_width);
        row.extend(l.iter().cloned());
        row.extend(r.iter().cloned());
        self.checked(row, watermark)
    }

    /// [`joined`](Self::joined) of `row` with a packed partner, which is decoded straight into
    /// the joined row; `is_left` tells which side `row` is.
    fn joined_packed(
        &self,
        row: &Row,
        is_left: bool,
        partner: &PackedRow<'_>,
        watermark: Timestamp,
    ) -> Option<Row> {
        let mut joined = Vec::with_capacity(self.left_width + self.right_width);
        if !is_left {
            decode_partner(partner, &mut joined);
        }
        joined.extend(row.iter().cloned());
        if is_left {
            decode_partner(partner, &mut joined);
        }
        self.checked(joined, watermark)
    }

    /// `row` if it satisfies the residual condition.
    fn checked(&self, row: Row, watermark: Timestamp) -> Option<Row> {
        match &self.condition {
            None => Some(row),
            Some(c) => {
                let ctx = EvalContext {
                    watermark,
                    now_millis: spate_engine::clock::now_millis(),
                    zone: self.zone,
                };
                c.eval_predicate(&row, &ctx)
                    .unwrap_or_else(|e| raise(e))
                    .then_some(row)
            }
        }
    }

    fn left_padded(&self, l: &Row) -> Row {
        let mut row = l.clone();
        row.resize(self.left_width + self.right_width, Value::Null);
        row
    }

    fn right_padded(&self, r: &Row) -> Row {
        let mut row = vec![Value::Null; self.left_width];
        row.extend(r.iter().cloned());
        row
    }

    fn keeps_left(&self) -> bool {
        matches!(self.kind, JoinKind::Left | JoinKind::Full)
    }

    fn keeps_right(&self) -> bool {
        matches!(self.kind, JoinKind::Right | JoinKind::Full)
    }
}

/// Joins rows of the same window (the key includes `window_start` and `window_end`): both
/// sides are buffered until the window's end passes, then joined at once.
///
/// Each side's rows are buffered packed ([`PackedRows`]), as the regular join keeps them: a
/// window join buffers a whole window of both inputs (Nexmark q5: every auction's count of
/// every window, all firing at the final watermark), and as `Vec<Value>`s that burst was
/// mostly fresh memory for the kernel to zero.
#[derive(Clone)]
pub(crate) struct WindowJoinFn {
    out: JoinOutput,
    /// Index of `window_end` in each side's rows.
    window_end: (usize, usize),
    left: Option<ValueState<PackedRows>>,
    right: Option<ValueState<PackedRows>>,
}

impl WindowJoinFn {
    pub(crate) fn new(
        kind: JoinKind,
        widths: (usize, usize),
        window_end: (usize, usize),
        condition: Option<BoundExpr>,
        zone: SessionZone,
    ) -> Self {
        Self {
            out: JoinOutput {
                kind,
                left_width: widths.0,
                right_width: widths.1,
                condition,
                zone,
            },
            window_end,
            left: None,
            right: None,
        }
    }

    fn add(&mut self, row: Row, left: bool, ctx: &mut KeyedContext<'_, JoinKey, Row>) {
        let col = if left {
            self.window_end.0
        } else {
            self.window_end.1
        };
        let Some(Value::Timestamp(end_us)) = row.get(col) else {
            return;
        };
        let fire = end_us.div_euclid(1000) - 1;
        if fire <= ctx.current_watermark() {
            return; // The window has fired already: late.
        }
        let state = if left { &self.left } else { &self.right };
        let ts = ctx.timestamp();
        if let Some(rows) = state
            .as_ref()
            .and_then(|s| s.get_or_insert_with(ctx, PackedRows::default))
        {
            rows.push(ts, &row);
        }
        ctx.register_event_time_timer(fire);
    }
}

impl KeyedCoProcessFunction<JoinKey, Row, Row, Row> for WindowJoinFn {
    fn open(&mut self, states: &mut StateRegistry<'_, JoinKey>) {
        self.left = Some(states.value("left"));
        self.right = Some(states.value("right"));
    }

    fn process_element1(&mut self, value: Row, ctx: &mut KeyedContext<'_, JoinKey, Row>) {
        self.add(value, true, ctx);
    }

    fn process_element2(&mut self, value: Row, ctx: &mut KeyedContext<'_, JoinKey, Row>) {
        self.add(value, false, ctx);
    }

    fn on_timer(&mut self, time: Timestamp, _: TimeDomain, ctx: &mut KeyedContext<'_, JoinKey, Row>) {
        let (Some(ls), Some(rs)) = (&self.left, &self.right) else {
            return;
        };
        let lefts = ls.clear(ctx).unwrap_or_default();
        // The right side is the inner loop: decoded once; the left side streams through one
        // reused row, so only one side is ever unpacked whole (q5: the right side is the
        // window's single maximum, the left every auction's count).
        let rights: Vec<Row> = rs
            .clear(ctx)
            .unwrap_or_default()
            .iter()
            .map(|p| {
                let mut row = Vec::with_capacity(self.out.right_width);
                decode_partner(&p.unwrap_or_else(|e| corrupted(e)), &mut row);
                row
            })
            .collect();
        let watermark = ctx.current_watermark();
        let mut right_matched = vec![false; rights.len()];
        let mut l = Vec::with_capacity(self.out.left_width);
        for packed in lefts.iter() {
            l.clear();
            decode_partner(&packed.unwrap_or_else(|e| corrupted(e)), &mut l);
            let mut matched = false;
            for (j, r) in rights.iter().enumerate() {
                if let Some(row) = self.out.joined(&l, r, watermark) {
                    matched = true;
                    right_matched[j] = true;
                    ctx.collect_with_timestamp(row, time);
                }
            }
            if !matched && self.out.keeps_left() {
                ctx.collect_with_timestamp(self.out.left_padded(&l), time);
            }
        }
        if self.out.keeps_right() {
            for (r, m) in rights.iter().zip(right_matched) {
                if !m {
                    ctx.collect_with_timestamp(self.out.right_padded(r), time);
                }
            }
        }
    }
}

/// Joins rows whose event times satisfy `lower <= right.t - left.t <= upper`.
#[derive(Clone)]
pub(crate) struct IntervalJoinFn {
    out: JoinOutput,
    lower: i64,
    upper: i64,
    left: Option<ListState<Buffered>>,
    right: Option<ListState<Buffered>>,
    /// Reused buffers of one row's matches (with their timestamps) and of the indexes of
    /// partners matched for the first time.
    joined: Vec<(Row, i64)>,
    first_matches: Vec<usize>,
}

impl IntervalJoinFn {
    pub(crate) fn new(
        kind: JoinKind,
        widths: (usize, usize),
        bounds: (i64, i64),
        condition: Option<BoundExpr>,
        zone: SessionZone,
    ) -> Self {
        Self {
            out: JoinOutput {
                kind,
                left_width: widths.0,
                right_width: widths.1,
                condition,
                zone,
            },
            lower: bounds.0,
            upper: bounds.1,
            left: None,
            right: None,
            joined: Vec::new(),
            first_matches: Vec::new(),
        }
    }

    fn add(&mut self, row: Row, is_left: bool, ctx: &mut KeyedContext<'_, JoinKey, Row>) {
        let ts = ctx.timestamp();
        let watermark = ctx.current_watermark();
        if ts < watermark {
            return; // Late: Flink's interval join drops it.
        }
        let (Some(ls), Some(rs)) = (self.left.clone(), self.right.clone()) else {
            return;
        };
        let (mine, other) = if is_left { (&ls, &rs) } else { (&rs, &ls) };
        // Joined rows are built while the other side's list is borrowed and emitted after, and
        // first matches (which outer joins must remember) are marked in place: the buffered
        // rows are never copied.
        let mut joined = std::mem::take(&mut self.joined);
        let mut first_matches = std::mem::take(&mut self.first_matches);
        for (i, p) in other.get(ctx).iter().enumerate() {
            let (lt, rt) = if is_left { (ts, p.ts) } else { (p.ts, ts) };
            let d = rt - lt;
            if d < self.lower || d > self.upper {
                continue;
            }
            let j = if is_left {
                self.out.joined(&row, &p.row, watermark)
            } else {
                self.out.joined(&p.row, &row, watermark)
            };
            if let Some(j) = j {
                joined.push((j, lt.max(rt)));
                if !p.matched {
                    first_matches.push(i);
                }
            }
        }
        if let Some(partners) = other.get_mut(ctx) {
            for i in first_matches.drain(..) {
                if let Some(p) = partners.get_mut(i) {
                    p.matched = true;
                }
            }
        }
        first_matches.clear();
        let matched = !joined.is_empty();
        for (j, at) in joined.drain(..) {
            ctx.collect_with_timestamp(j, at);
        }
        self.joined = joined;
        self.first_matches = first_matches;
        // Until when a partner may still come: left rows wait for right rows up to t + upper,
        // right rows for left rows up to t - lower.
        let expires = if is_left { ts + self.upper } else { ts - self.lower };
        mine.add(ctx, Buffered { ts, row, matched });
        ctx.register_event_time_timer(expires);
    }

    fn expire(
        &self,
        state: &ListState<Buffered>,
        is_left: bool,
        time: Timestamp,
        ctx: &mut KeyedContext<'_, JoinKey, Row>,
    ) {
        let is_expired = |b: &Buffered| {
            let expires = if is_left {
                b.ts + self.upper
            } else {
                b.ts - self.lower
            };
            expires <= time
        };
        let Some(rows) = state.get_mut(ctx) else {
            return;
        };
        if !rows.iter().any(is_expired) {
            return;
        }
        let (expired, kept): (Vec<Buffered>, Vec<Buffered>) =
            std::mem::take(rows).into_iter().partition(is_expired);
        if kept.is_empty() {
            state.clear(ctx);
        } else {
            *rows = kept;
        }
        let keep_unmatched = if is_left {
            self.out.keeps_left()
        } else {
            self.out.keeps_right()
        };
        if keep_unmatched {
            for b in expired.into_iter().filter(|b| !b.matched) {
                let row = if is_left {
                    self.out.left_padded(&b.row)
                } else {
                    self.out.right_padded(&b.row)
                };
                ctx.collect_with_timestamp(row, b.ts);
            }
        }
    }
}

impl KeyedCoProcessFunction<JoinKey, Row, Row, Row> for IntervalJoinFn {
    fn open(&mut self, states: &mut StateRegistry<'_, JoinKey>) {
        self.left = Some(states.list("left"));
        self.right = Some(states.list("right"));
    }

    fn process_element1(&mut self, value: Row, ctx: &mut KeyedContext<'_, JoinKey, Row>) {
        self.add(value, true, ctx);
    }

    fn process_element2(&mut self, value: Row, ctx: &mut KeyedContext<'_, JoinKey, Row>) {
        self.add(value, false, ctx);
    }

    fn on_timer(&mut self, time: Timestamp, _: TimeDomain, ctx: &mut KeyedContext<'_, JoinKey, Row>) {
        let (Some(ls), Some(rs)) = (self.left.clone(), self.right.clone()) else {
            return;
        };
        self.expire(&ls, true, time, ctx);
        self.expire(&rs, false, time, ctx);
    }
}

/// A regular inner join of two insert-only inputs: every row is kept (for ever, as in Flink
/// without a state TTL) and joined with every row of the other side that arrived before it, so
/// each matching pair is emitted once, when its second row arrives. Inner only: an outer
/// regular join would have to retract its NULL-padded rows (an updating result).
///
/// The kept rows are packed into bytes per key ([`PackedRows`]): they are many and mostly
/// never read again (Nexmark q7 keeps every bid, and few ever meet a partner).
#[derive(Clone)]
pub(crate) struct RegularJoinFn {
    out: JoinOutput,
    left: Option<ValueState<PackedRows>>,
    right: Option<ValueState<PackedRows>>,
    /// Reused buffer of one row's matches and their timestamps.
    joined: Vec<(Row, i64)>,
}

impl RegularJoinFn {
    pub(crate) fn new(widths: (usize, usize), condition: Option<BoundExpr>, zone: SessionZone) -> Self {
        Self {
            out: JoinOutput {
                kind: JoinKind::Inner,
                left_width: widths.0,
                right_width: widths.1,
                condition,
                zone,
            },
            left: None,
            right: None,
            joined: Vec::new(),
        }
    }

    fn add(&mut self, row: Row, is_left: bool, ctx: &mut KeyedContext<'_, JoinKey, Row>) {
        let (Some(ls), Some(rs)) = (self.left.clone(), self.right.clone()) else {
            return;
        };
        let ts = ctx.timestamp();
        let watermark = ctx.current_watermark();
        let (mine, other) = if is_left { (&ls, &rs) } else { (&rs, &ls) };
        // Joined rows are built while the other side's rows are borrowed and emitted after.
        let mut joined = std::mem::take(&mut self.joined);
        for p in other.get(ctx).into_iter().flat_map(PackedRows::iter) {
            let p = p.unwrap_or_else(|e| corrupted(e));
            if let Some(j) = self.out.joined_packed(&row, is_left, &p, watermark) {
                joined.push((j, ts.max(p.ts)));
            }
        }
        for (j, at) in joined.drain(..) {
            ctx.collect_with_timestamp(j, at);
        }
        self.joined = joined;
        if let Some(rows) = mine.get_or_insert_with(ctx, PackedRows::default) {
            rows.push(ts, &row);
        }
    }
}

impl KeyedCoProcessFunction<JoinKey, Row, Row, Row> for RegularJoinFn {
    fn open(&mut self, states: &mut StateRegistry<'_, JoinKey>) {
        self.left = Some(states.value("left"));
        self.right = Some(states.value("right"));
    }

    fn process_element1(&mut self, value: Row, ctx: &mut KeyedContext<'_, JoinKey, Row>) {
        self.add(value, true, ctx);
    }

    fn process_element2(&mut self, value: Row, ctx: &mut KeyedContext<'_, JoinKey, Row>) {
        self.add(value, false, ctx);
    }
}
