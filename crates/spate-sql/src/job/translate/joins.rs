//! The joins: window, regular (insert-only inputs) and interval joins, each a keyed
//! co-process over both inputs keyed by the equi-join keys.

use super::*;

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
        Ok(join_keyed(&l, &r, keys, f, self.ctx.zone).uid(&uid))
    }

    /// A regular inner join of insert-only inputs.
    pub(super) fn regular_join(
        &mut self,
        left: &LogicalPlan,
        right: &LogicalPlan,
        keys: &[(BoundExpr, BoundExpr)],
        condition: &Option<BoundExpr>,
    ) -> Result<DataStream<Row>> {
        let widths = (left.schema().fields.len(), right.schema().fields.len());
        let (l, r) = (self.stream(left)?, self.stream(right)?);
        let f = RegularJoinFn::new(widths, condition.clone(), self.ctx.zone);
        let uid = self.uid("join");
        Ok(join_keyed(&l, &r, keys, f, self.ctx.zone).uid(&uid))
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
        Ok(join_keyed(&l, &r, keys, f, self.ctx.zone).uid(&uid))
    }
}
