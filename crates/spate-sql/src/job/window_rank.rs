//! Flink's `WindowRank` and `WindowDeduplicate` over the rows of a window TVF or a window
//! aggregate: keyed by the partition (which holds the window), each window's rows are kept until
//! the watermark passes its end, then its top N (or its first or last row by event time) come
//! out once, as insertions. A row whose window has already fired is late and dropped, as Flink
//! drops it.

use spate_engine::Timestamp;
use spate_engine::keyed_process::{KeyedContext, KeyedProcessFunction, TimeDomain};
use spate_engine::state::{StateRegistry, ValueState};

use crate::plan::RankKind;
use crate::value::{Row, Value};

use super::rank_emit::RankOrder;

/// What a window keeps.
#[derive(Clone)]
pub(crate) enum WindowKeep {
    /// The rows ranked `start..=end` by `order`, the rank appended when `output_rank`.
    Rank {
        order: RankOrder,
        kind: RankKind,
        start: i64,
        end: i64,
        output_rank: bool,
    },
    /// The first (or last) row by the event time in column `time`.
    Dedup { time: usize, keep_last: bool },
}

/// The keyed function.
#[derive(Clone)]
pub(crate) struct WindowRankFn {
    keep: WindowKeep,
    /// The `window_end` column.
    end_col: usize,
    rows: Option<ValueState<Vec<Row>>>,
}

impl WindowRankFn {
    pub(crate) fn new(keep: WindowKeep, end_col: usize) -> Self {
        Self {
            keep,
            end_col,
            rows: None,
        }
    }
}

/// A timestamp column's value in ms.
fn millis(v: Option<&Value>) -> Option<i64> {
    match v {
        Some(Value::Timestamp(micros)) => Some(micros.div_euclid(1000)),
        _ => None,
    }
}

impl KeyedProcessFunction<Vec<Value>, Row, Row> for WindowRankFn {
    fn open(&mut self, states: &mut StateRegistry<'_, Vec<Value>>) {
        self.rows = Some(states.value("window-rank"));
    }

    fn process_element(&mut self, row: Row, ctx: &mut KeyedContext<'_, Vec<Value>, Row>) {
        let Some(state) = self.rows.clone() else {
            return;
        };
        let Some(end) = millis(row.get(self.end_col)) else {
            return;
        };
        let fires = end - 1;
        if fires <= ctx.current_watermark() {
            return;
        }
        let Some(rows) = state.get_or_insert_with(ctx, Vec::new) else {
            return;
        };
        match &self.keep {
            // Only the row kept so far is needed: an earlier one (first), a later or equal one
            // (last) replaces it.
            WindowKeep::Dedup { time, keep_last } => {
                let t = millis(row.get(*time));
                let replace = match rows.first() {
                    None => true,
                    Some(held) => {
                        let h = millis(held.get(*time));
                        if *keep_last { h <= t } else { t < h }
                    }
                };
                if replace {
                    *rows = vec![row];
                }
            }
            WindowKeep::Rank { .. } => rows.push(row),
        }
        ctx.register_event_time_timer(fires);
    }

    fn on_timer(
        &mut self,
        _time: Timestamp,
        domain: TimeDomain,
        ctx: &mut KeyedContext<'_, Vec<Value>, Row>,
    ) {
        if domain != TimeDomain::EventTime {
            return;
        }
        let Some(state) = self.rows.clone() else {
            return;
        };
        let Some(mut rows) = state.clear(ctx) else {
            return;
        };
        let WindowKeep::Rank {
            order,
            kind,
            start,
            end,
            output_rank,
        } = &self.keep
        else {
            for row in rows {
                ctx.collect(row);
            }
            return;
        };
        // Stable: rows of equal sort keys keep their arrival order.
        rows.sort_by(|a, b| order.cmp_rows(a, b));
        let mut rank = 0i64;
        let mut dense = 0i64;
        let mut prev: Option<Vec<Value>> = None;
        for (i, mut row) in rows.into_iter().enumerate() {
            let key = order.key(&row);
            let tie = prev.as_ref().is_some_and(|p| order.cmp_keys(p, &key).is_eq());
            if !tie {
                dense += 1;
                rank = i as i64 + 1;
            }
            let r = match kind {
                RankKind::RowNumber => i as i64 + 1,
                RankKind::Rank => rank,
                RankKind::DenseRank => dense,
            };
            prev = Some(key);
            if r > *end {
                break;
            }
            if r < *start {
                continue;
            }
            if *output_rank {
                row.push(Value::Int(r));
            }
            ctx.collect(row);
        }
    }
}
