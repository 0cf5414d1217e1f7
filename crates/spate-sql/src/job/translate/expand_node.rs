//! `Expand` (grouping sets): each row once per set, as the row, then the grouping keys (`NULL`
//! where the set leaves one out), then the set's id. An updating input's changes keep their
//! kind in every copy.

use std::sync::Arc;

use spate_engine::{DataStream, ProcessContext};

use crate::error::Result;
use crate::expr::{BoundExpr, CompiledExpr};
use crate::plan::{LogicalPlan, UpdateImages};
use crate::value::{Change, Row, Value};

use super::super::fail::raise;
use super::{Translator, eval_ctx, reads_clock};

/// The copies of one row, in the sets' order.
#[derive(Clone)]
struct Expander {
    keys: Arc<[CompiledExpr]>,
    /// Each set's id and which keys it holds.
    sets: Arc<[(i64, Vec<bool>)]>,
}

impl Expander {
    fn new(keys: &[BoundExpr], ids: &[i64]) -> Self {
        let n = keys.len();
        let sets = ids
            .iter()
            .map(|id| (*id, (0..n).map(|i| (id >> (n - 1 - i)) & 1 == 0).collect()))
            .collect();
        Self {
            keys: keys.iter().map(BoundExpr::compile).collect(),
            sets,
        }
    }

    /// Calls `emit` with each copy of `row`.
    fn expand(&self, row: Row, ctx: &crate::expr::EvalContext, mut emit: impl FnMut(Row)) {
        let keys: Vec<Value> = self
            .keys
            .iter()
            .map(|k| k.eval(&row, ctx).unwrap_or_else(|e| raise(e)))
            .collect();
        let last = self.sets.len().saturating_sub(1);
        let mut row = Some(row);
        for (i, (id, held)) in self.sets.iter().enumerate() {
            let mut copy = if i == last {
                row.take().unwrap_or_default()
            } else {
                row.clone().unwrap_or_default()
            };
            copy.reserve(keys.len() + 1);
            for (k, h) in keys.iter().zip(held) {
                copy.push(if *h { k.clone() } else { Value::Null });
            }
            copy.push(Value::Int(*id));
            emit(copy);
        }
    }
}

impl Translator<'_> {
    /// An insert-only input's rows expanded.
    pub(super) fn expand(
        &mut self,
        input: &LogicalPlan,
        keys: &[BoundExpr],
        ids: &[i64],
    ) -> Result<DataStream<Row>> {
        let clock = keys.iter().any(reads_clock);
        let zone = self.ctx.zone;
        let expander = Expander::new(keys, ids);
        Ok(self
            .stream(input)?
            .process(move |row: Row, ctx: &mut ProcessContext<'_, Row>| {
                let ec = eval_ctx(ctx, clock, zone);
                expander.expand(row, &ec, |copy| ctx.collect(copy));
            })
            .name("expand"))
    }

    /// An updating input's changes expanded, each copy of the change's kind.
    pub(super) fn expand_changes(
        &mut self,
        input: &LogicalPlan,
        keys: &[BoundExpr],
        ids: &[i64],
        asked: UpdateImages,
    ) -> Result<DataStream<Change>> {
        let clock = keys.iter().any(reads_clock);
        let zone = self.ctx.zone;
        let expander = Expander::new(keys, ids);
        Ok(self
            .changes(input, asked)?
            .process(move |c: Change, ctx: &mut ProcessContext<'_, Change>| {
                let ec = eval_ctx(ctx, clock, zone);
                let kind = c.kind;
                expander.expand(c.row, &ec, |row| ctx.collect(Change { kind, row }));
            })
            .name("expand"))
    }
}
