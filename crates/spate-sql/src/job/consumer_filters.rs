//! The conditions that the consumers of one shared stream apply, run once before the stream is
//! fanned out to them.
//!
//! A table read by two views (Nexmark q8 reads `person` and `auction` out of one Kafka table)
//! is scanned and decoded once, and the engine hands every row to each consumer, cloning it for
//! all but the last — the whole decoded event, although each view's `WHERE event_type = ..`
//! drops it at once (92 % of Nexmark's events are bids, which neither view keeps). Rows that
//! no consumer's conditions pass are dropped before the fan-out instead, by one operator that
//! evaluates each consumer's conditions on the row in place.
//!
//! Invariant: a consumer reads the pre-filtered stream only if its own conditions (by their
//! text) are among those the pre-filter ORs, so every row it would keep reaches it; any other
//! consumer — one added after the plans were looked through, a join, a window — reads the
//! stream as it is. Each consumer still applies its own conditions after the pre-filter, in
//! their order, so a row reaching it is judged exactly as before; conditions that are not
//! deterministic (`RAND`, the clock, user functions) are never run twice and keep a consumer
//! out.

use std::collections::HashMap;

use crate::expr::{BoundExpr, CompiledExpr, EvalContext, ScalarFunc};
use crate::plan::LogicalPlan;
use crate::value::Row;
use crate::zone::SessionZone;

use super::calc::Calc;
use super::plan_keys::{PlanKey, PlanKeys};

/// The conditions of a consumer chain, with their text (what tells two consumers' apart).
type Conditions = (String, Vec<BoundExpr>);

/// The conditions of each distinct consumer chain, by the key of the plan they read.
#[derive(Debug, Default)]
pub(super) struct ConsumerFilters {
    by_input: HashMap<PlanKey, Vec<Conditions>>,
}

impl ConsumerFilters {
    /// Looks through `plans` for chains of filters and projections (as [`Calc::of`] cuts them
    /// with `fusible`) whose conditions give the same result when run twice.
    pub(super) fn of<'p>(
        plans: impl IntoIterator<Item = &'p LogicalPlan>,
        zone: SessionZone,
        keys: &PlanKeys,
        fusible: impl Fn(&LogicalPlan) -> bool,
    ) -> Self {
        let mut filters = ConsumerFilters::default();
        let mut walk = Walk {
            zone,
            keys,
            fusible: &fusible,
            out: &mut filters.by_input,
        };
        for plan in plans {
            walk.plan(plan);
        }
        filters
    }

    /// Every consumer's conditions over `input` and the position among them of `predicates`
    /// (a consumer's own), when at least two distinct consumers filter it and `predicates` are
    /// among them.
    pub(super) fn shared_by(
        &self,
        input: &LogicalPlan,
        predicates: &[BoundExpr],
        keys: &PlanKeys,
    ) -> Option<(&[Conditions], usize)> {
        let all = self.by_input.get(&keys.key(input))?;
        let own = format!("{predicates:?}");
        let position = all.iter().position(|(text, _)| *text == own)?;
        (all.len() >= 2).then_some((all.as_slice(), position))
    }
}

struct Walk<'a, F> {
    zone: SessionZone,
    keys: &'a PlanKeys,
    fusible: &'a F,
    out: &'a mut HashMap<PlanKey, Vec<Conditions>>,
}

impl<F: Fn(&LogicalPlan) -> bool> Walk<'_, F> {
    fn plan(&mut self, plan: &LogicalPlan) {
        if !matches!(plan, LogicalPlan::Filter { .. } | LogicalPlan::Project { .. }) {
            for input in plan.inputs() {
                self.plan(input);
            }
            return;
        }
        let (calc, below) = Calc::of(plan, self.zone, self.fusible);
        if !calc.predicates.is_empty() && calc.predicates.iter().all(same_when_run_twice) {
            let consumers = self.out.entry(self.keys.key(below)).or_default();
            let text = format!("{:?}", calc.predicates);
            if !consumers.iter().any(|(t, _)| *t == text) {
                consumers.push((text, calc.predicates));
            }
        }
        self.plan(below);
    }
}

/// Whether evaluating `e` twice on one row gives the same result with no other effect: no
/// clock, watermark or `RAND`, and no user function (whose body is not known).
fn same_when_run_twice(e: &BoundExpr) -> bool {
    !e.calls(&|func| !func.is_deterministic() || matches!(func, ScalarFunc::Udf(_)))
}

/// Appends to `out` the index of each consumer whose conditions `row` passes (each consumer's
/// in order, as its own chain evaluates them).
pub(super) fn passes(
    consumers: &[Vec<CompiledExpr>],
    row: &Row,
    ctx: &EvalContext,
    out: &mut Vec<usize>,
) -> Result<(), crate::expr::EvalError> {
    'consumers: for (i, conditions) in consumers.iter().enumerate() {
        for c in conditions {
            if !c.eval_predicate(row, ctx)? {
                continue 'consumers;
            }
        }
        out.push(i);
    }
    Ok(())
}
