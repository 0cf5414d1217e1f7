//! OVER aggregates (`SUM(x) OVER (PARTITION BY k ORDER BY t ROWS|RANGE BETWEEN .. PRECEDING AND
//! CURRENT ROW)`), Flink's `over` functions: each input row once, with the aggregates of its
//! frame appended, insert-only.
//!
//! On event time (`RowTime{Rows,Range}{Bounded,Unbounded}Preceding*`) a row waits for the
//! watermark to pass its time; the rows of a time are then taken in arrival order. With `ROWS`
//! each row's frame is the rows before it in that order (the last `n` of them, or all), with
//! `RANGE` all rows of one time are peers and get one result, over the rows of the last `n` ms (or
//! all). A bounded frame drops a row whose time is not after the last time it fired for the key,
//! an unbounded one a row not after the watermark (Flink's late rows).
//!
//! `RANK()` and `DENSE_RANK()` (on their `RANGE` frame) give a time's peers the rank of the first
//! of them: one more than the rows (`RANK`) or times (`DENSE_RANK`) before. Flink 2.3 gives them
//! the row count through the last peer instead, as if no two order keys were ever equal (its
//! `RankAggFunction` finds no peer); `tests/flink_changelog/over_rank_peers` shows both.
//! `ROW_NUMBER()` (a `ROWS` frame) numbers rows one by one.
//!
//! On processing time (`ProcTimeRowsBoundedPrecedingFunction`, `ProcTimeUnboundedPrecedingFunction`)
//! a row is emitted as it arrives, over the rows before it.

use serde::{Deserialize, Serialize};
use spate_engine::Timestamp;
use spate_engine::keyed_process::{KeyedContext, KeyedProcessFunction, TimeDomain};
use spate_engine::state::{StateRegistry, ValueState};

use std::sync::Arc;

use crate::expr::{BoundExpr, CompiledExpr, EvalContext};
use crate::plan::{LagCall, RankKind};
use crate::value::{Row, Value};

use super::fail::raise;
use super::group_aggregate::{GroupFunction, RetractingAggregate};

/// A frame: `ROWS` (a count of preceding rows) or `RANGE` (ms), `None` for `UNBOUNDED`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Frame {
    pub(crate) rows: bool,
    pub(crate) preceding: Option<i64>,
}

/// One key's state.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct OverState<A> {
    acc: Option<A>,
    /// Rows accumulated and still in a bounded frame, oldest first, with their times.
    window: Vec<(i64, Row)>,
    /// Event time: rows waiting for the watermark, by time, each time's rows in arrival order.
    pending: Vec<(i64, Vec<Row>)>,
    /// Event time, bounded frame: the last time fired.
    last_fired: Option<i64>,
    /// `LAG`: the arguments of the latest rows accumulated, oldest first, as many as the largest
    /// offset needs.
    #[serde(default)]
    recent: Vec<Row>,
    /// `ROW_NUMBER`, `RANK`: the rows numbered so far.
    #[serde(default)]
    numbered: i64,
    /// `DENSE_RANK` on a `RANGE` frame: the times (groups of peers) ranked so far.
    #[serde(default)]
    peer_groups: i64,
}

/// The keyed function.
#[derive(Clone)]
pub(crate) struct OverAggregateFn {
    aggs: RetractingAggregate,
    frame: Frame,
    /// The rowtime column (event time), else processing time.
    rowtime: Option<usize>,
    lags: Arc<[Lag]>,
    /// The ranking functions' columns, which come first.
    ranks: Arc<[RankKind]>,
    state: Option<ValueState<OverState<<RetractingAggregate as GroupFunction>::Acc>>>,
}

/// A `LAG` call, compiled.
struct Lag {
    arg: CompiledExpr,
    offset: usize,
    default: Option<CompiledExpr>,
}

impl OverAggregateFn {
    pub(crate) fn new(
        aggs: RetractingAggregate,
        frame: Frame,
        rowtime: Option<usize>,
        lags: &[LagCall],
        ranks: &[RankKind],
    ) -> Self {
        let lags = lags
            .iter()
            .map(|l| Lag {
                arg: l.arg.compile(),
                offset: l.offset,
                default: l.default.as_ref().map(BoundExpr::compile),
            })
            .collect();
        Self {
            aggs,
            frame,
            rowtime,
            lags,
            ranks: ranks.into(),
            state: None,
        }
    }

    /// Remembers `row`'s `LAG` arguments.
    fn remember(&self, state: &mut OverState<Acc>, row: &Row) {
        if self.lags.is_empty() {
            return;
        }
        let ctx = EvalContext::default();
        let args = self
            .lags
            .iter()
            .map(|l| l.arg.eval(row, &ctx).unwrap_or_else(|e| raise(e)))
            .collect();
        state.recent.push(args);
        let keep = self.lags.iter().map(|l| l.offset).max().unwrap_or(0) + 1;
        if state.recent.len() > keep {
            let drop = state.recent.len() - keep;
            state.recent.drain(..drop);
        }
    }

    /// Appends each `LAG`'s value to `out`, a row of the current row's peers.
    fn lag_values(&self, state: &OverState<Acc>, row: &Row, out: &mut Row) {
        let ctx = EvalContext::default();
        for (i, l) in self.lags.iter().enumerate() {
            let back = state.recent.len().checked_sub(1 + l.offset);
            let v = match back.and_then(|b| state.recent.get(b)).and_then(|r| r.get(i)) {
                Some(v) => v.clone(),
                None => match &l.default {
                    Some(d) => d.eval(row, &ctx).unwrap_or_else(|e| raise(e)),
                    None => Value::Null,
                },
            };
            out.push(v);
        }
    }

    fn time(&self, row: &Row) -> i64 {
        match self.rowtime.and_then(|c| row.get(c)) {
            Some(Value::Timestamp(micros)) => micros.div_euclid(1000),
            _ => i64::MIN,
        }
    }
}

type Acc = <RetractingAggregate as GroupFunction>::Acc;

impl KeyedProcessFunction<Vec<Value>, Row, Row> for OverAggregateFn {
    fn open(&mut self, states: &mut StateRegistry<'_, Vec<Value>>) {
        self.state = Some(states.value("over-aggregate"));
    }

    fn process_element(&mut self, row: Row, ctx: &mut KeyedContext<'_, Vec<Value>, Row>) {
        let Some(handle) = self.state.clone() else {
            return;
        };
        let watermark = ctx.current_watermark();
        let now = ctx.current_processing_time();
        let Some(state) = handle.get_or_insert_with(ctx, OverState::default) else {
            return;
        };
        if self.rowtime.is_none() {
            // Processing time: at once, over the rows before it.
            let out = self.step(state, now, vec![row], true);
            for r in out {
                ctx.collect(r);
            }
            return;
        }
        let t = self.time(&row);
        let late = match self.frame.preceding {
            Some(_) => t <= state.last_fired.unwrap_or(0),
            None => t <= watermark,
        };
        if late {
            return;
        }
        match state.pending.binary_search_by_key(&t, |p| p.0) {
            Ok(at) => state.pending[at].1.push(row),
            Err(at) => state.pending.insert(at, (t, vec![row])),
        }
        ctx.register_event_time_timer(t);
    }

    fn on_timer(&mut self, time: Timestamp, domain: TimeDomain, ctx: &mut KeyedContext<'_, Vec<Value>, Row>) {
        if domain != TimeDomain::EventTime {
            return;
        }
        let Some(handle) = self.state.clone() else {
            return;
        };
        let Some(state) = handle.get_or_insert_with(ctx, OverState::default) else {
            return;
        };
        let mut out = Vec::new();
        while state.pending.first().is_some_and(|p| p.0 <= time) {
            let (t, rows) = state.pending.remove(0);
            out.extend(
                self.step(state, t, rows, self.frame.rows)
                    .into_iter()
                    .map(|r| (t, r)),
            );
            state.last_fired = Some(t);
        }
        for (t, r) in out {
            ctx.collect_with_timestamp(r, t);
        }
    }
}

impl OverAggregateFn {
    /// The rows of one time through the frame: each accumulated, rows leaving a bounded frame
    /// retracted, and each emitted with its result (`one_by_one`: `ROWS`, each after itself;
    /// else `RANGE` peers, all after all of them).
    fn step(&self, state: &mut OverState<Acc>, t: i64, rows: Vec<Row>, one_by_one: bool) -> Vec<Row> {
        let mut acc = state.acc.take().unwrap_or_else(|| self.aggs.create());
        let mut out = Vec::with_capacity(rows.len());
        if !self.frame.rows
            && let Some(ms) = self.frame.preceding
        {
            // `RANGE n PRECEDING`: rows older than the frame leave.
            while state.window.first().is_some_and(|w| w.0 < t - ms) {
                let (_, old) = state.window.remove(0);
                self.aggs.retract(&mut acc, &old);
            }
        }
        if one_by_one {
            for row in rows {
                self.aggs.accumulate(&mut acc, &row);
                self.remember(state, &row);
                state.numbered += 1;
                if let (true, Some(n)) = (self.frame.rows, self.frame.preceding) {
                    state.window.push((t, row.clone()));
                    // `ROWS n PRECEDING`: the frame holds n + 1 rows.
                    if state.window.len() as i64 > n + 1 {
                        let (_, old) = state.window.remove(0);
                        self.aggs.retract(&mut acc, &old);
                    }
                }
                let mut r = row.clone();
                // Each row is its own peer group: every ranking function numbers it.
                r.extend(std::iter::repeat_n(Value::Int(state.numbered), self.ranks.len()));
                self.aggs.values_into(&acc, &mut r);
                self.lag_values(state, &row, &mut r);
                out.push(r);
            }
        } else {
            let ranks: Vec<Value> = self
                .ranks
                .iter()
                .map(|k| match k {
                    RankKind::RowNumber | RankKind::Rank => Value::Int(state.numbered + 1),
                    RankKind::DenseRank => Value::Int(state.peer_groups + 1),
                })
                .collect();
            state.numbered += rows.len() as i64;
            state.peer_groups += 1;
            for row in &rows {
                self.aggs.accumulate(&mut acc, row);
                self.remember(state, row);
                if self.frame.preceding.is_some() {
                    state.window.push((t, row.clone()));
                }
            }
            for row in rows {
                let mut r = row.clone();
                r.extend(ranks.iter().cloned());
                self.aggs.values_into(&acc, &mut r);
                self.lag_values(state, &row, &mut r);
                out.push(r);
            }
        }
        state.acc = Some(acc);
        out
    }
}
