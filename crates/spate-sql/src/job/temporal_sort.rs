//! Flink's temporal sort (`ORDER BY` a time attribute ascending, no `LIMIT`), over one global
//! key, step for step:
//!
//! - on event time (`RowTimeSortOperator`): each row is held under its rowtime until the
//!   watermark passes that time, then the rows of the time go out sorted by the keys after the
//!   rowtime (stably: equal rows in arrival order). A row is late, and dropped, only when its
//!   time is not after the last time emitted — a row behind the watermark but after it still
//!   goes out, at the next watermark, as Flink's timer registered in the past fires then.
//! - on processing time (`ProcTimeSortOperator`, only with keys after the time): rows are held
//!   until a timer one millisecond after the last arrival fires, then all held rows go out
//!   sorted by the keys after the time.
//!
//! Held rows and the last time emitted are keyed state, so a restore resumes where the
//! checkpoint stood; the timers are the engine's, checkpointed with it.

use spate_engine::Timestamp;
use spate_engine::keyed_process::{KeyedContext, KeyedProcessFunction, TimeDomain};
use spate_engine::state::{ListState, MapState, StateRegistry, ValueState};

use crate::value::{Row, Value};

use super::rank_emit::RankOrder;

/// The keyed function, keyed by nothing (one key: the whole stream on one task).
#[derive(Clone)]
pub(crate) struct TemporalSortFn {
    /// The rowtime column for an event-time sort; `None` on processing time.
    rowtime: Option<usize>,
    /// The keys after the time attribute.
    then_by: RankOrder,
    /// Event time: rows by their time.
    by_time: Option<MapState<i64, Vec<Row>>>,
    /// Event time: the last time whose rows went out (Flink's `lastTriggeringTsState`).
    last_fired: Option<ValueState<i64>>,
    /// Processing time: the rows since the last timer.
    pending: Option<ListState<Row>>,
}

impl TemporalSortFn {
    pub(crate) fn new(rowtime: Option<usize>, then_by: RankOrder) -> Self {
        Self {
            rowtime,
            then_by,
            by_time: None,
            last_fired: None,
            pending: None,
        }
    }

    /// A row's event time in ms (`None` for a NULL, which no watermark passes).
    fn time(&self, row: &Row) -> Option<i64> {
        match row.get(self.rowtime?) {
            Some(Value::Timestamp(micros)) => Some(micros.div_euclid(1000)),
            _ => None,
        }
    }

    fn emit_sorted(&self, mut rows: Vec<Row>, ctx: &mut KeyedContext<'_, Vec<Value>, Row>) {
        // `sort_by` is stable, as Java's `List.sort`: rows equal by the keys keep arrival order.
        rows.sort_by(|a, b| self.then_by.cmp_rows(a, b));
        for row in rows {
            ctx.collect(row);
        }
    }
}

impl KeyedProcessFunction<Vec<Value>, Row, Row> for TemporalSortFn {
    fn open(&mut self, states: &mut StateRegistry<'_, Vec<Value>>) {
        self.by_time = Some(states.map("temporal-sort-rows"));
        self.last_fired = Some(states.value("temporal-sort-last-fired"));
        self.pending = Some(states.list("temporal-sort-pending"));
    }

    fn process_element(&mut self, row: Row, ctx: &mut KeyedContext<'_, Vec<Value>, Row>) {
        if self.rowtime.is_none() {
            let Some(pending) = self.pending.clone() else {
                return;
            };
            pending.add(ctx, row);
            let next = ctx.current_processing_time().saturating_add(1);
            ctx.register_processing_time_timer(next);
            return;
        }
        let (Some(by_time), Some(last_fired)) = (self.by_time.clone(), self.last_fired.clone()) else {
            return;
        };
        let Some(t) = self.time(&row) else {
            return;
        };
        if last_fired.get(ctx).is_some_and(|last| t <= *last) {
            return;
        }
        let mut rows = by_time.remove(ctx, &t).unwrap_or_default();
        if rows.is_empty() {
            ctx.register_event_time_timer(t);
        }
        rows.push(row);
        by_time.put(ctx, t, rows);
    }

    fn on_timer(&mut self, time: Timestamp, domain: TimeDomain, ctx: &mut KeyedContext<'_, Vec<Value>, Row>) {
        match domain {
            TimeDomain::EventTime => {
                let (Some(by_time), Some(last_fired)) = (self.by_time.clone(), self.last_fired.clone())
                else {
                    return;
                };
                if let Some(rows) = by_time.remove(ctx, &time) {
                    self.emit_sorted(rows, ctx);
                    last_fired.update(ctx, time);
                }
            }
            TimeDomain::ProcessingTime => {
                let Some(pending) = self.pending.clone() else {
                    return;
                };
                let rows = pending.clear(ctx);
                self.emit_sorted(rows, ctx);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::SortKey;

    fn order() -> RankOrder {
        RankOrder::new(&[SortKey {
            column: 1,
            ascending: false,
            nulls_first: false,
        }])
    }

    #[test]
    fn a_times_rows_go_out_by_the_later_keys_and_ties_keep_arrival_order() {
        let f = TemporalSortFn::new(Some(0), order());
        let row = |v: Value, id: i64| vec![Value::Timestamp(5_000), v, Value::Int(id)];
        let mut rows = [
            row(Value::Int(1), 1),
            row(Value::Null, 2),
            row(Value::Int(3), 3),
            row(Value::Int(1), 4),
        ];
        rows.sort_by(|a, b| f.then_by.cmp_rows(a, b));
        let ids: Vec<&Value> = rows.iter().map(|r| &r[2]).collect();
        assert_eq!(
            ids,
            [&Value::Int(3), &Value::Int(1), &Value::Int(4), &Value::Int(2)]
        );
        assert_eq!(f.time(&rows[0]), Some(5));
        assert_eq!(f.time(&vec![Value::Null]), None);
    }
}
