//! Flink's deduplication functions over an insert-only input, keyed by the partition:
//!
//! - keep-first on processing time (`ProcTimeDeduplicateKeepFirstRowFunction`): a key's first
//!   row, as `+I`; the rest dropped.
//! - keep-last on processing time (`ProcTimeDeduplicateKeepLastRowFunction`): `+I` of the first
//!   row, then `-U` of the row held and `+U` of each later one; a row equal to the one held
//!   changes nothing (without state TTL).
//! - keep-first on event time (Flink 2.3's `RowTimeDeduplicateKeepFirstRowFunction`, insert-only):
//!   the earliest row so far waits for the watermark to pass its time and is emitted once, as
//!   `+I`; a row older than the watermark is late and dropped, as is every row after the emission.
//! - keep-last on event time (`RowTimeDeduplicateFunction`): emitted at once, `+I` for a key's
//!   first row, then `-U`/`+U` for a row not older than the row held (an equal time replaces it).

use spate_engine::Timestamp;
use spate_engine::keyed_process::{KeyedContext, KeyedProcessFunction, TimeDomain};
use spate_engine::state::{StateRegistry, ValueState};

use crate::value::{Change, Row, RowKind, Value};

/// Which deduplication.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct DedupKind {
    pub(crate) rowtime: bool,
    pub(crate) keep_last: bool,
}

/// The keyed function.
#[derive(Clone)]
pub(crate) struct DeduplicateFn {
    kind: DedupKind,
    /// The time attribute's column.
    order: usize,
    update_before: bool,
    /// `table.exec.state.ttl` is set: Flink then emits a row equal to the one held too.
    ttl: bool,
    /// The row held (keep-last; keep-first on event time: the row waiting for the watermark).
    held: Option<ValueState<Row>>,
    /// Keep-first: whether the key's row was emitted.
    emitted: Option<ValueState<bool>>,
}

impl DeduplicateFn {
    pub(crate) fn new(kind: DedupKind, order: usize, update_before: bool, ttl: bool) -> Self {
        Self {
            kind,
            order,
            update_before,
            ttl,
            held: None,
            emitted: None,
        }
    }

    /// A row's event time in ms.
    fn time(&self, row: &Row) -> i64 {
        match row.get(self.order) {
            Some(Value::Timestamp(micros)) => micros.div_euclid(1000),
            _ => i64::MIN,
        }
    }

    fn update(&self, prev: Option<Row>, row: Row, ctx: &mut KeyedContext<'_, Vec<Value>, Change>) {
        match prev {
            None => ctx.collect(Change::insert(row)),
            Some(prev) => {
                if self.update_before {
                    ctx.collect(Change {
                        kind: RowKind::UpdateBefore,
                        row: prev,
                    });
                }
                ctx.collect(Change {
                    kind: RowKind::UpdateAfter,
                    row,
                });
            }
        }
    }
}

impl KeyedProcessFunction<Vec<Value>, Row, Change> for DeduplicateFn {
    fn open(&mut self, states: &mut StateRegistry<'_, Vec<Value>>) {
        self.held = Some(states.value("deduplicate-row"));
        self.emitted = Some(states.value("deduplicate-emitted"));
    }

    fn process_element(&mut self, row: Row, ctx: &mut KeyedContext<'_, Vec<Value>, Change>) {
        let (Some(held), Some(emitted)) = (self.held.clone(), self.emitted.clone()) else {
            return;
        };
        match (self.kind.rowtime, self.kind.keep_last) {
            (false, false) => {
                if emitted.get(ctx).is_none() {
                    emitted.update(ctx, true);
                    ctx.collect(Change::insert(row));
                }
            }
            (false, true) => {
                let prev = held.get(ctx).cloned();
                if !self.ttl && prev.as_ref() == Some(&row) {
                    return;
                }
                held.update(ctx, row.clone());
                self.update(prev, row, ctx);
            }
            (true, false) => {
                let t = self.time(&row);
                if t < ctx.current_watermark() || emitted.get(ctx).is_some() {
                    return;
                }
                let earlier = match held.get(ctx) {
                    None => None,
                    Some(w) if t < self.time(w) => Some(self.time(w)),
                    Some(_) => return,
                };
                if let Some(old) = earlier {
                    ctx.delete_event_time_timer(old);
                }
                ctx.register_event_time_timer(t);
                held.update(ctx, row);
            }
            (true, true) => {
                let prev = held.get(ctx).cloned();
                if prev.as_ref().is_some_and(|p| self.time(p) > self.time(&row)) {
                    return;
                }
                held.update(ctx, row.clone());
                self.update(prev, row, ctx);
            }
        }
    }

    fn on_timer(
        &mut self,
        _time: Timestamp,
        domain: TimeDomain,
        ctx: &mut KeyedContext<'_, Vec<Value>, Change>,
    ) {
        // Only keep-first on event time waits for the watermark.
        if domain != TimeDomain::EventTime || !self.kind.rowtime || self.kind.keep_last {
            return;
        }
        let (Some(held), Some(emitted)) = (self.held.clone(), self.emitted.clone()) else {
            return;
        };
        if let Some(row) = held.clear(ctx) {
            ctx.collect(Change::insert(row));
            emitted.update(ctx, true);
        }
    }
}
