//! The temporal join's translation: both inputs as changes (the versioned side's updates as
//! new images alone), keyed by the equi-join keys into [`TemporalJoinFn`].

use super::*;
use crate::ast::JoinKind;

use super::super::temporal_join::TemporalJoinFn;

impl Translator<'_> {
    /// An event-time temporal join; its changes carry the left rows' kinds (all insertions
    /// over an insert-only left input).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn temporal_join(
        &mut self,
        left: &LogicalPlan,
        right: &LogicalPlan,
        keys: &[(BoundExpr, BoundExpr)],
        time_cols: (usize, usize),
        condition: Option<&BoundExpr>,
        kind: JoinKind,
        asked: UpdateImages,
    ) -> Result<DataStream<Change>> {
        let l = self.changes(left, asked)?;
        let r = self.changes(right, UpdateImages::AfterOnly)?;
        let f = TemporalJoinFn::new(
            kind,
            time_cols,
            right.schema().fields.len(),
            condition.map(BoundExpr::compile),
            self.ctx.zone,
        );
        let lk = join_key_selector(keys.iter().map(|k| &k.0), 0, self.ctx.zone, &[]);
        let rk = join_key_selector(keys.iter().map(|k| &k.1), 1, self.ctx.zone, &[]);
        let uid = self.uid("temporal-join");
        Ok(l.key_by(move |c: &Change| lk(&c.row))
            .connect(&r.key_by(move |c: &Change| rk(&c.row)))
            .process(f)
            .name("temporal-join")
            .uid(&uid))
    }
}
