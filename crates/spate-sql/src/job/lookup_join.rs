//! The lookup join's operator: a batch of probe rows at a time, the keys of the batch looked up
//! together ([`LookupSource::lookup_all`]: the cache, then one query for what it lacks), each
//! probe row joined with the rows found for its key that pass the rest of the `ON` condition.
//! An inner join drops a probe row nothing matches; a left join pads it with `NULL`s. Over
//! changes, each output row keeps its probe row's kind (Flink's lookup join does not
//! materialize what it looked up, so a retraction is joined with the table as it is then).
//!
//! A lookup that fails (after its retries) fails the job with the table's name.

use spate_engine::{MIN_WATERMARK, Record};

use super::fail::raise_message;
use crate::ast::JoinKind;
use crate::connector::{LookupRows, LookupSource};
use crate::expr::{CompiledExpr, EvalContext};
use crate::value::{Change, Row, Value};
use crate::zone::SessionZone;

/// What a lookup join probes with: rows, or changes (whose kinds the output keeps).
pub(crate) trait Probe: spate_engine::Data {
    fn row(&self) -> &Row;
    /// The output of this probe with `row` as its row.
    fn with_row(&self, row: Row) -> Self;
}

impl Probe for Row {
    fn row(&self) -> &Row {
        self
    }
    fn with_row(&self, row: Row) -> Self {
        row
    }
}

impl Probe for Change {
    fn row(&self) -> &Row {
        &self.row
    }
    fn with_row(&self, row: Row) -> Self {
        Change { kind: self.kind, row }
    }
}

/// One subtask's lookup join.
#[derive(Clone)]
pub(crate) struct LookupJoinFn {
    lookup: LookupSource,
    /// The probe row's values the keys must equal (over the probe row).
    keys: Vec<CompiledExpr>,
    /// The rest of `ON`, over the joined row.
    condition: Option<CompiledExpr>,
    kind: JoinKind,
    right_width: usize,
    zone: SessionZone,
    reads_clock: bool,
}

impl LookupJoinFn {
    pub(crate) fn new(
        lookup: LookupSource,
        keys: Vec<CompiledExpr>,
        condition: Option<CompiledExpr>,
        (kind, right_width): (JoinKind, usize),
        zone: SessionZone,
        reads_clock: bool,
    ) -> Self {
        Self {
            lookup,
            keys,
            condition,
            kind,
            right_width,
            zone,
            reads_clock,
        }
    }

    /// Joins `batch` into `out` (see the module docs).
    pub(crate) fn join<T: Probe>(&mut self, batch: &mut Vec<Record<T>>, out: &mut Vec<Record<T>>) {
        let ctx = EvalContext {
            watermark: MIN_WATERMARK,
            now_millis: if self.reads_clock {
                spate_engine::clock::now_millis()
            } else {
                0
            },
            zone: self.zone,
        };
        let keys: Vec<Vec<Value>> = batch
            .iter()
            .map(|r| {
                self.keys
                    .iter()
                    .map(|k| {
                        k.eval(r.value.row(), &ctx)
                            .unwrap_or_else(|e| super::fail::raise(e))
                    })
                    .collect()
            })
            .collect();
        let found = self
            .lookup
            .lookup_all(&keys)
            .unwrap_or_else(|message| raise_message(message));
        for (record, rows) in batch.drain(..).zip(found) {
            self.emit(record, &rows, &ctx, out);
        }
    }

    fn emit<T: Probe>(
        &self,
        record: Record<T>,
        rows: &LookupRows,
        ctx: &EvalContext,
        out: &mut Vec<Record<T>>,
    ) {
        let probe = record.value.row();
        let mut matched = false;
        for found in rows.iter() {
            let mut joined = Vec::with_capacity(probe.len() + self.right_width);
            joined.extend(probe.iter().cloned());
            joined.extend(found.iter().cloned());
            if let Some(c) = &self.condition
                && !c
                    .eval_predicate(&joined, ctx)
                    .unwrap_or_else(|e| super::fail::raise(e))
            {
                continue;
            }
            matched = true;
            out.push(Record {
                timestamp: record.timestamp,
                value: record.value.with_row(joined),
            });
        }
        if !matched && self.kind == JoinKind::Left {
            let mut joined = Vec::with_capacity(probe.len() + self.right_width);
            joined.extend(probe.iter().cloned());
            joined.resize(probe.len() + self.right_width, Value::Null);
            out.push(Record {
                timestamp: record.timestamp,
                value: record.value.with_row(joined),
            });
        }
    }
}
