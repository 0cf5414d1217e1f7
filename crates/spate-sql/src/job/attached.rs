//! Aggregation over rows that already carry their window (Flink's cascading window
//! aggregation: `GROUP BY window_start, window_end` over a window aggregate's output).
//!
//! Keyed by `[window_start, window_end, keys..]`; a window's accumulators live in keyed state
//! until the watermark reaches its end - 1 ms, then its row is emitted and the state dropped.
//! Rows of a window that has already fired are late and dropped, as in Flink.

use spate_engine::Timestamp;
use spate_engine::keyed_process::{KeyedContext, KeyedProcessFunction, TimeDomain};
use spate_engine::state::{StateRegistry, ValueState};
use spate_engine::window::AggregateFunction;

use crate::value::{Row, Value};
use crate::zone::{Overlap, SessionZone};

use super::accumulate::{Accumulators, SqlAggregate};

/// The keyed process function of an attached window aggregate.
#[derive(Clone)]
pub(crate) struct AttachedAggregateFn {
    aggregate: SqlAggregate,
    acc: Option<ValueState<Accumulators>>,
    /// The session zone when the windows' bounds are its wall-clock times.
    zone: Option<SessionZone>,
}

impl AttachedAggregateFn {
    pub(crate) fn new(aggregate: SqlAggregate, zone: Option<SessionZone>) -> Self {
        Self {
            aggregate,
            acc: None,
            zone,
        }
    }
}

/// The window's end in ms, from the key's second value (µs): a wall-clock time of `zone` for
/// windows over a `TIMESTAMP_LTZ` attribute, taken to its instant.
fn window_end_ms(key: &[Value], zone: Option<SessionZone>) -> Option<Timestamp> {
    match (key.get(1), zone) {
        (Some(Value::Timestamp(us)), None) => Some(us.div_euclid(1000)),
        (Some(Value::Timestamp(us)), Some(z)) => Some(z.to_utc(*us, Overlap::Earlier).div_euclid(1000)),
        _ => None,
    }
}

impl KeyedProcessFunction<Vec<Value>, Row, Row> for AttachedAggregateFn {
    fn open(&mut self, states: &mut StateRegistry<'_, Vec<Value>>) {
        self.acc = Some(states.value("window-accumulators"));
    }

    fn process_element(&mut self, row: Row, ctx: &mut KeyedContext<'_, Vec<Value>, Row>) {
        let Some(end) = window_end_ms(ctx.key(), self.zone) else {
            return;
        };
        if end - 1 <= ctx.current_watermark() {
            return; // The window fired already: late.
        }
        let Some(state) = self.acc.clone() else {
            return;
        };
        let mut acc = state.clear(ctx).unwrap_or_else(|| self.aggregate.create());
        self.aggregate.add(&mut acc, row);
        state.update(ctx, acc);
        ctx.register_event_time_timer(end - 1);
    }

    fn on_timer(&mut self, time: Timestamp, _: TimeDomain, ctx: &mut KeyedContext<'_, Vec<Value>, Row>) {
        let Some(state) = self.acc.clone() else {
            return;
        };
        let Some(acc) = state.clear(ctx) else {
            return;
        };
        let key = ctx.key().clone();
        let mut row: Row = key.get(2..).map(<[Value]>::to_vec).unwrap_or_default();
        row.extend(key.iter().take(2).cloned());
        row.push(Value::Timestamp(time * 1000));
        row.extend(self.aggregate.result(&acc));
        ctx.collect_with_timestamp(row, time);
    }
}
