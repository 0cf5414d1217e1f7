//! Flink's sink upsert materializer, keyed by the sink's primary key: under a sink whose key
//! is not an upsert key of the query, the rows of different query keys that claim one sink
//! row resolve as the `INSERT`'s `ON CONFLICT` clause says. It emits `+I`, `+U` and `-D`
//! only. Rows of one sink key are told apart by the input's upsert key, or as whole rows when
//! the input has none.
//!
//! - `DEDUPLICATE` (Flink's `SinkUpsertMaterializer`) keeps every live row of the key in
//!   arrival order and emits per record: an addition replaces the row of its upsert key (or
//!   joins the list) and is emitted, `+I` when the key held nothing, else `+U`; a retraction
//!   removes its row, emitting `-D` when none is left and `+U` of the row before it when it
//!   removed the latest, else nothing (an older row went).
//! - `NOTHING` and `ERROR` (Flink's `WatermarkCompactingSinkMaterializer`) buffer the changes
//!   under the watermark they arrived with (an addition and a retraction of the same row in
//!   one slot cancel) and resolve them when the watermark passes, from the row last emitted:
//!   one row left is emitted when it differs (`+I` or `+U`), none is `-D`, and several are a
//!   conflict — `ERROR` fails the job with Flink's message; `NOTHING` keeps the row emitted
//!   (or emits the first when none was) and drops the others for good.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use spate_engine::keyed_process::{KeyedContext, KeyedProcessFunction, TimeDomain};
use spate_engine::state::{StateRegistry, ValueState};
use spate_engine::{Key, Timestamp};

use crate::ast::ConflictStrategy;
use crate::expr::EvalError;
use crate::types::DataType;
use crate::value::{Change, Row, RowKind, Value, display_in};
use crate::zone::SessionZone;

use super::encoded_row::{EncodedRow, key_equal, rows_equal};
use super::fail::raise;
use super::packed_row_list::PackedRowList;
use super::packed_rows::UnpackError;

/// The state of one sink key under `NOTHING` or `ERROR`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Compacting {
    /// Changes not resolved yet, by the watermark they arrived under: (addition, row).
    pending: BTreeMap<Timestamp, Vec<(bool, Row)>>,
    /// The row last emitted for the key.
    current: Option<Row>,
}

/// The keyed function of a sink materializer.
#[derive(Clone)]
pub(crate) struct SinkMaterializerFn {
    strategy: ConflictStrategy,
    upsert_key: Option<Vec<usize>>,
    /// The sink key's columns with their names and types (for `ERROR`'s message).
    pk: Vec<(usize, String, DataType)>,
    zone: SessionZone,
    history: Option<ValueState<PackedRowList>>,
    compacting: Option<ValueState<Compacting>>,
    /// Reused encoding of the row being materialized.
    scratch: EncodedRow,
}

/// State that does not decode (only a corrupted checkpoint) fails the job.
fn corrupted(e: UnpackError) -> ! {
    raise(EvalError(format!("corrupted sink materializer state: {e}")))
}

impl SinkMaterializerFn {
    /// The materializer for rows whose sink key is `pk` (column, name, type), told apart by
    /// `upsert_key`.
    pub(crate) fn new(
        strategy: ConflictStrategy,
        upsert_key: Option<Vec<usize>>,
        pk: Vec<(usize, String, DataType)>,
        zone: SessionZone,
    ) -> Self {
        Self {
            strategy,
            upsert_key,
            pk,
            zone,
            history: None,
            compacting: None,
            scratch: EncodedRow::default(),
        }
    }

    /// Whether `a` and `b` are the same row of the input: equal upsert keys, or equal rows.
    fn same_row(&self, a: &Row, b: &Row) -> bool {
        match &self.upsert_key {
            Some(key) => key.iter().all(|&c| a.get(c) == b.get(c)),
            None => a == b,
        }
    }

    /// [`same_row`](Self::same_row) of the encoded `entry` and `row`.
    fn same(&self, entry: &[u8], row: &EncodedRow) -> Result<bool, UnpackError> {
        match &self.upsert_key {
            Some(key) => key_equal(entry, row, key),
            None => rows_equal(entry, &row.bytes),
        }
    }

    fn deduplicate<K: Key>(&mut self, kind: RowKind, row: Row, ctx: &mut KeyedContext<'_, K, Change>) {
        let Some(state) = self.history.clone() else {
            return;
        };
        // The key's rows are changed in place; the change to emit is made meanwhile.
        let Some(rows) = state.get_or_insert_with(ctx, PackedRowList::default) else {
            return;
        };
        let mut encoded = std::mem::take(&mut self.scratch);
        encoded.encode(&row);
        let out = if kind.is_accumulate() {
            let out = if rows.is_empty() {
                RowKind::Insert
            } else {
                RowKind::UpdateAfter
            };
            match rows
                .find(false, |e| self.same(e, &encoded))
                .unwrap_or_else(|e| corrupted(e))
            {
                Some(slot) => rows.replace(slot, &encoded.bytes),
                None => rows.push(&encoded.bytes),
            }
            Some(Change { kind: out, row })
        } else {
            // A retraction of a row never seen changes nothing.
            match rows
                .find(true, |e| self.same(e, &encoded))
                .unwrap_or_else(|e| corrupted(e))
            {
                None => None,
                Some(slot) => {
                    let was_latest = rows.is_last(slot);
                    rows.remove(slot);
                    match rows.last().unwrap_or_else(|e| corrupted(e)) {
                        None => Some(Change {
                            kind: RowKind::Delete,
                            row,
                        }),
                        Some(latest) if was_latest => Some(Change {
                            kind: RowKind::UpdateAfter,
                            row: latest,
                        }),
                        Some(_) => None,
                    }
                }
            }
        };
        self.scratch = encoded;
        if rows.is_empty() {
            state.clear(ctx);
        }
        if let Some(change) = out {
            ctx.collect(change);
        }
    }

    fn buffer<K: Key>(&self, kind: RowKind, row: Row, ctx: &mut KeyedContext<'_, K, Change>) {
        let Some(state) = &self.compacting else {
            return;
        };
        // Before the first watermark this is `MIN_WATERMARK`, as Flink stamps such records.
        let stamp = ctx.current_watermark();
        let add = kind.is_accumulate();
        let Some(held) = state.get_or_insert_with(ctx, Compacting::default) else {
            return;
        };
        let slot = held.pending.entry(stamp).or_default();
        // An addition and a retraction of the same whole row in one slot cancel.
        match slot.iter().position(|(a, r)| *a != add && *r == row) {
            Some(i) => {
                slot.remove(i);
            }
            None => slot.push((add, row)),
        }
        ctx.register_event_time_timer(stamp.saturating_add(1));
    }

    /// Resolves the changes buffered up to the watermark.
    fn compact<K: Key>(&self, ctx: &mut KeyedContext<'_, K, Change>) {
        let Some(state) = &self.compacting else {
            return;
        };
        // Taken out while it changes, put back below unless nothing is left.
        let Some(mut held) = state.clear(ctx) else {
            return;
        };
        let watermark = ctx.current_watermark();
        let later = held.pending.split_off(&watermark.saturating_add(1));
        let due = std::mem::replace(&mut held.pending, later);
        let mut rows: Vec<Row> = held.current.iter().cloned().collect();
        for (add, row) in due.into_values().flatten() {
            // Without an upsert key an addition is a row of its own.
            let at = if self.upsert_key.is_some() || !add {
                rows.iter().position(|r| self.same_row(r, &row))
            } else {
                None
            };
            match (add, at) {
                (true, Some(i)) => rows[i] = row,
                (true, None) => rows.push(row),
                (false, Some(i)) => {
                    rows.remove(i);
                }
                (false, None) => {} // A retraction of a row not held.
            }
        }
        let emit = |kind, row| Change { kind, row };
        match (rows.len(), held.current.take()) {
            (0, None) => {}
            (0, Some(current)) => ctx.collect(emit(RowKind::Delete, current)),
            (1, current) => {
                let row = rows.remove(0);
                match current {
                    None => ctx.collect(emit(RowKind::Insert, row.clone())),
                    Some(c) if c != row => ctx.collect(emit(RowKind::UpdateAfter, row.clone())),
                    Some(_) => {}
                }
                held.current = Some(row);
            }
            (_, current) => {
                if self.strategy == ConflictStrategy::Error {
                    crate::job::fail::raise_message(self.conflict_message(&rows[0]));
                }
                // `NOTHING`: the row emitted stays; without one, the first row is kept.
                held.current = match current {
                    Some(c) => Some(c),
                    None => {
                        let first = rows.swap_remove(0);
                        ctx.collect(emit(RowKind::Insert, first.clone()));
                        Some(first)
                    }
                };
            }
        }
        if !(held.pending.is_empty() && held.current.is_none()) {
            state.update(ctx, held);
        }
    }

    /// Flink's runtime error for `ERROR`, naming the key as `[name=value, ..]`.
    fn conflict_message(&self, row: &Row) -> String {
        let key: Vec<String> = self
            .pk
            .iter()
            .map(|(c, name, ty)| {
                let v = row.get(*c).unwrap_or(&Value::Null);
                let text = if matches!(v, Value::Null) {
                    "null".to_string()
                } else {
                    display_in(v, ty, self.zone)
                };
                format!("{name}={text}")
            })
            .collect();
        format!(
            "Primary key constraint violation: multiple distinct records with the same primary key \
             detected. Conflicting key: [{}]. Use ON CONFLICT DO NOTHING to keep the first record.",
            key.join(", ")
        )
    }
}

impl<K: Key> KeyedProcessFunction<K, Change, Change> for SinkMaterializerFn {
    fn open(&mut self, states: &mut StateRegistry<'_, K>) {
        match self.strategy {
            ConflictStrategy::Deduplicate => self.history = Some(states.value("sink-materializer")),
            ConflictStrategy::Nothing | ConflictStrategy::Error => {
                self.compacting = Some(states.value("sink-materializer-compacting"));
            }
        }
    }

    fn process_element(&mut self, input: Change, ctx: &mut KeyedContext<'_, K, Change>) {
        let Change { kind, row } = input;
        match self.strategy {
            ConflictStrategy::Deduplicate => self.deduplicate(kind, row, ctx),
            ConflictStrategy::Nothing | ConflictStrategy::Error => self.buffer(kind, row, ctx),
        }
    }

    fn on_timer(&mut self, _time: Timestamp, domain: TimeDomain, ctx: &mut KeyedContext<'_, K, Change>) {
        if domain == TimeDomain::EventTime {
            self.compact(ctx);
        }
    }
}
