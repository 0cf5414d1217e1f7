//! The joins: window, regular and interval joins, each a keyed co-process over both inputs
//! keyed by the equi-join keys. A regular inner join of insert-only inputs keeps its packed,
//! insert-only operator; any other regular join runs over changes ([`ChangelogJoinFn`]).

use super::*;
use crate::ast::JoinKind;
use crate::plan::{JoinInputView, StateTtlHint};
use crate::value::Change;

use super::super::changelog_join::{ChangelogJoinFn, JoinSideSpec};
use super::super::join_side::SideLayout;

impl Translator<'_> {
    /// A window join.
    pub(super) fn window_join(
        &mut self,
        left: &LogicalPlan,
        right: &LogicalPlan,
        time_cols: &(usize, usize),
        keys: &[(BoundExpr, BoundExpr)],
        condition: &Option<BoundExpr>,
        kind: &crate::ast::JoinKind,
    ) -> Result<DataStream<Row>> {
        let widths = (left.schema().fields.len(), right.schema().fields.len());
        let (l, r) = (self.stream(left)?, self.stream(right)?);
        let f = WindowJoinFn::new(*kind, widths, *time_cols, condition.clone(), self.ctx.zone);
        let uid = self.uid("window-join");
        Ok(join_keyed(&l, &r, keys, &[], f, self.ctx.zone).uid(&uid))
    }

    /// A regular inner join of insert-only inputs (an insert-only result).
    pub(super) fn regular_join(
        &mut self,
        left: &LogicalPlan,
        right: &LogicalPlan,
        keys: &[(BoundExpr, BoundExpr)],
        nulls_meet: &[bool],
        condition: &Option<BoundExpr>,
    ) -> Result<DataStream<Row>> {
        let widths = (left.schema().fields.len(), right.schema().fields.len());
        let (l, r) = (self.stream(left)?, self.stream(right)?);
        let f = RegularJoinFn::new(widths, condition.clone(), self.ctx.zone);
        let uid = self.uid("join");
        Ok(join_keyed(&l, &r, keys, nulls_meet, f, self.ctx.zone).uid(&uid))
    }

    /// A regular join whose output is updating (an outer join, or a join of an updating
    /// input): both inputs as changes, each asked for the update images the planner's
    /// inference chose (the new image alone only where the side keeps one row per join key).
    pub(super) fn changelog_join(
        &mut self,
        left: &LogicalPlan,
        right: &LogicalPlan,
        (keys, nulls_meet): (&[(BoundExpr, BoundExpr)], &[bool]),
        condition: Option<&BoundExpr>,
        (kind, state_ttl): (JoinKind, &(Option<StateTtlHint>, Option<StateTtlHint>)),
        asked: UpdateImages,
    ) -> Result<DataStream<Change>> {
        let lview = JoinInputView::of(left, keys.iter().map(|k| &k.0));
        let rview = JoinInputView::of(right, keys.iter().map(|k| &k.1));
        let images = |view: &JoinInputView| match (asked, view) {
            (UpdateImages::AfterOnly, JoinInputView::JoinKeyContainsUniqueKey) => UpdateImages::AfterOnly,
            _ => UpdateImages::BeforeAndAfter,
        };
        let l = self.changes(left, images(&lview))?;
        let r = self.changes(right, images(&rview))?;
        // A `STATE_TTL` hint wins over `table.exec.state.ttl` (zero: no TTL).
        let ttl_of = |hint: &Option<StateTtlHint>| match hint {
            Some(hint) => (!hint.ttl.is_zero()).then_some(hint.ttl),
            None => self.ctx.state_ttl,
        };
        let spec = |plan: &LogicalPlan, view: &JoinInputView, ttl| JoinSideSpec {
            layout: SideLayout::of(view),
            width: plan.schema().fields.len(),
            ttl,
        };
        let f = ChangelogJoinFn::new(
            kind,
            spec(left, &lview, ttl_of(&state_ttl.0)),
            spec(right, &rview, ttl_of(&state_ttl.1)),
            condition.map(BoundExpr::compile),
            self.ctx.zone,
        );
        let lk = join_key_selector(keys.iter().map(|k| &k.0), 0, self.ctx.zone, nulls_meet);
        let rk = join_key_selector(keys.iter().map(|k| &k.1), 1, self.ctx.zone, nulls_meet);
        let uid = self.uid("join");
        Ok(l.key_by(move |c: &Change| lk(&c.row))
            .connect(&r.key_by(move |c: &Change| rk(&c.row)))
            .process(f)
            .name("join")
            .uid(&uid))
    }

    /// An interval join on event time.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn interval_join(
        &mut self,
        left: &LogicalPlan,
        right: &LogicalPlan,
        keys: &[(BoundExpr, BoundExpr)],
        bounds: &(i64, i64),
        condition: &Option<BoundExpr>,
        kind: &crate::ast::JoinKind,
    ) -> Result<DataStream<Row>> {
        let widths = (left.schema().fields.len(), right.schema().fields.len());
        let (l, r) = (self.stream(left)?, self.stream(right)?);
        let f = IntervalJoinFn::new(*kind, widths, *bounds, condition.clone(), self.ctx.zone);
        let uid = self.uid("interval-join");
        Ok(join_keyed(&l, &r, keys, &[], f, self.ctx.zone).uid(&uid))
    }
}
