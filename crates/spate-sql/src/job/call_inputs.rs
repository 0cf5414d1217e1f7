//! What one aggregate call reads of a row: its `FILTER`, its argument and (`LISTAGG`) its
//! separator, compiled once. The window aggregates' accumulators (`accumulate.rs`) and the
//! retracting ones of `GroupAggregate` (`group_aggregate/retracting.rs`) read rows alike.

use crate::expr::{BoundExpr, CompiledExpr, EvalContext};
use crate::plan::{AggCall, AggKind};
use crate::value::{Row, Value};

use super::fail::raise;

/// One call's compiled inputs.
#[derive(Debug)]
pub(crate) struct CallInputs {
    filter: Option<CompiledExpr>,
    arg: Option<CompiledExpr>,
    separator: Option<CompiledExpr>,
    /// The call takes NULL arguments too (`ARRAY_AGG` without `IGNORE NULLS`).
    keeps_nulls: bool,
}

impl CallInputs {
    /// The inputs of `call`.
    pub(crate) fn of(call: &AggCall) -> Self {
        Self {
            filter: call.filter.as_ref().map(BoundExpr::compile),
            arg: call.args.first().map(BoundExpr::compile),
            separator: call.args.get(1).map(BoundExpr::compile),
            keeps_nulls: matches!(call.kind, AggKind::ArrayAgg { ignore_nulls: false }),
        }
    }

    /// Whether `row` passes the call's `FILTER` (every row does without one). An evaluation
    /// error fails the job, as in Flink.
    pub(crate) fn passes(&self, row: &Row, ctx: &EvalContext) -> bool {
        self.filter
            .as_ref()
            .is_none_or(|f| f.eval_predicate(row, ctx).unwrap_or_else(|e| raise(e)))
    }

    /// The call's argument for `row`; `None` without an argument or for `NULL`, which no
    /// aggregate but `ARRAY_AGG` (respecting NULLs) counts.
    pub(crate) fn argument(&self, row: &Row, ctx: &EvalContext) -> Option<Value> {
        let v = self.arg.as_ref()?.eval(row, ctx).unwrap_or_else(|e| raise(e));
        (self.keeps_nulls || !v.is_null()).then_some(v)
    }

    /// `LISTAGG`'s separator for `row`, if the call has one.
    pub(crate) fn separator(&self, row: &Row, ctx: &EvalContext) -> Option<Value> {
        self.separator
            .as_ref()
            .map(|s| s.eval(row, ctx).unwrap_or_else(|e| raise(e)))
    }
}
