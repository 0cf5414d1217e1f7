//! `ChangelogNormalize`: an upsert source's records (a row or a tombstone per key) made a
//! complete changelog, as Flink's `ProcTimeDeduplicateKeepLastRowFunction` does it on a
//! changelog input.
//!
//! Per key the state is the last row. A row for a key without one is `+I`; for a key with one,
//! `-U` of the old row (when the consumer needs before-images) and `+U` of the new, or nothing
//! when the two are equal; a tombstone emits `-D` of the row held and drops it, or nothing for
//! a key it does not hold (a delete of a key never inserted, as Flink ignores it).
//!
//! With a condition (a `WHERE` Flink pushes in), a row that does not match is a tombstone for
//! its key: the row held, if any, is deleted, and the row is not kept.
//!
//! With `table.exec.state.ttl` a key not written for that long is forgotten ([`StateTtl`]), and
//! a row equal to the one held is emitted as an update, as Flink does then. With mini-batch
//! ([`MiniBatch`]) a key emits one change per bundle, from the row it held when the bundle
//! opened to the row it holds when it closes (Flink keeps each key's last row of the bundle).
//!
//! The input rows are the table's columns and one more, the source's delete flag: `true` for
//! a tombstone, whose row holds the key columns only.

use spate_engine::keyed_process::{KeyedContext, KeyedProcessFunction, TimeDomain};
use spate_engine::state::{StateRegistry, ValueState};

use crate::expr::{CompiledExpr, EvalContext};
use crate::value::{Change, Row, RowKind, Value};
use crate::zone::SessionZone;

use super::fail::raise;
use super::mini_batch::{BundleStart, MiniBatch};
use super::state_ttl::StateTtl;

/// The keyed function of a `ChangelogNormalize`, keyed by the primary key's values.
#[derive(Clone)]
pub(crate) struct ChangelogNormalizeFn {
    /// The table's width (the input rows have the delete flag after it).
    width: usize,
    update_before: bool,
    condition: Option<std::sync::Arc<CompiledExpr>>,
    zone: SessionZone,
    ttl: Option<StateTtl>,
    mini_batch: Option<MiniBatch>,
    last: Option<ValueState<Row>>,
    /// With mini-batch: the row each key held when its bundle opened.
    bundle: Option<ValueState<BundleStart>>,
}

impl ChangelogNormalizeFn {
    /// Over rows of `width` columns plus the delete flag; `update_before`: emit `-U`; rows
    /// not matching `condition` (evaluated in `zone`) delete; keys expire after `ttl` without
    /// a write.
    pub(crate) fn new(
        width: usize,
        update_before: bool,
        condition: Option<CompiledExpr>,
        zone: SessionZone,
        ttl: Option<StateTtl>,
        mini_batch: Option<MiniBatch>,
    ) -> Self {
        Self {
            width,
            update_before,
            condition: condition.map(std::sync::Arc::new),
            zone,
            ttl,
            mini_batch,
            last: None,
            bundle: None,
        }
    }
}

impl KeyedProcessFunction<Vec<Value>, Row, Change> for ChangelogNormalizeFn {
    fn open(&mut self, states: &mut StateRegistry<'_, Vec<Value>>) {
        self.last = Some(states.value("changelog-normalize"));
        if let Some(ttl) = &mut self.ttl {
            ttl.open(states, "changelog-normalize-written");
        }
        if self.mini_batch.is_some() {
            self.bundle = Some(states.value("changelog-normalize-bundle"));
        }
    }

    fn on_timer(
        &mut self,
        _time: spate_engine::Timestamp,
        domain: TimeDomain,
        ctx: &mut KeyedContext<'_, Vec<Value>, Change>,
    ) {
        if domain != TimeDomain::ProcessingTime {
            return;
        }
        if let Some(start) = self.bundle.as_ref().and_then(|b| b.clear(ctx)) {
            self.close_bundle(start, ctx);
        }
        if let (Some(ttl), Some(last)) = (&self.ttl, &self.last)
            && ttl.on_timer(ctx)
        {
            last.clear(ctx);
        }
    }

    fn process_element(&mut self, mut row: Row, ctx: &mut KeyedContext<'_, Vec<Value>, Change>) {
        let Some(last) = self.last.clone() else {
            return;
        };
        if let Some(ttl) = &self.ttl
            && ttl.expired(ctx)
        {
            last.clear(ctx);
            ttl.cleared(ctx);
        }
        let mut delete = matches!(row.get(self.width), Some(Value::Boolean(true)));
        row.truncate(self.width);
        if !delete && let Some(c) = &self.condition {
            let ctx = EvalContext {
                zone: self.zone,
                ..EvalContext::default()
            };
            delete = !c.eval_predicate(&row, &ctx).unwrap_or_else(|e| raise(e));
        }
        if let (Some(bundle), Some(mb)) = (&self.bundle, self.mini_batch) {
            if bundle.get(ctx).is_none() {
                let held = last.get(ctx).cloned();
                let start = BundleStart {
                    existed: held.is_some(),
                    row: held.unwrap_or_default(),
                };
                bundle.update(ctx, start);
                let deadline = mb.deadline(ctx.current_processing_time());
                ctx.register_processing_time_timer(deadline);
            }
            // The state follows every row; the change goes out when the bundle closes.
            if delete {
                if last.clear(ctx).is_some()
                    && let Some(ttl) = &self.ttl
                {
                    ttl.cleared(ctx);
                }
            } else {
                last.update(ctx, row);
                if let Some(ttl) = &self.ttl {
                    ttl.wrote(ctx);
                }
            }
            return;
        }
        if delete {
            if let Some(old) = last.clear(ctx) {
                if let Some(ttl) = &self.ttl {
                    ttl.cleared(ctx);
                }
                ctx.collect(Change {
                    kind: RowKind::Delete,
                    row: old,
                });
            }
            return;
        }
        // One lookup: a key without a row gets an empty one (a table has at least its key's
        // columns, so no row read is empty).
        let Some(held) = last.get_or_insert_with(ctx, Vec::new) else {
            return;
        };
        // Flink drops a row equal to the one it holds (without state TTL).
        if self.ttl.is_none() && *held == row {
            return;
        }
        let old = std::mem::replace(held, row.clone());
        let old = (!old.is_empty()).then_some(old);
        if let Some(ttl) = &self.ttl {
            ttl.wrote(ctx);
        }
        match old {
            None => ctx.collect(Change::insert(row)),
            Some(old) => {
                if self.update_before {
                    ctx.collect(Change {
                        kind: RowKind::UpdateBefore,
                        row: old,
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

impl ChangelogNormalizeFn {
    /// A bundle closed for the current key: one change from the row held when it opened to the
    /// row held now.
    fn close_bundle(&self, start: BundleStart, ctx: &mut KeyedContext<'_, Vec<Value>, Change>) {
        let now = self.last.as_ref().and_then(|l| l.get(ctx)).cloned();
        match (start.existed, now) {
            (false, None) => {}
            (false, Some(row)) => ctx.collect(Change::insert(row)),
            (true, None) => ctx.collect(Change {
                kind: RowKind::Delete,
                row: start.row,
            }),
            (true, Some(row)) => {
                if self.ttl.is_none() && row == start.row {
                    return;
                }
                if self.update_before {
                    ctx.collect(Change {
                        kind: RowKind::UpdateBefore,
                        row: start.row,
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
