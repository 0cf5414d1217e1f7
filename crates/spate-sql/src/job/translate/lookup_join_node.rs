//! The lookup join's translation: the probe side's rows (or changes) through
//! [`LookupJoinFn`] a batch at a time; the lookup table is no stream, its scan node only names
//! the table and the columns read.

use super::*;
use crate::ast::JoinKind;

use super::super::lookup_join::LookupJoinFn;

impl Translator<'_> {
    /// The operator of a lookup join of `right`'s table.
    fn lookup_join_fn(
        &self,
        right: &LogicalPlan,
        keys: &[(BoundExpr, BoundExpr)],
        condition: Option<&BoundExpr>,
        kind: JoinKind,
    ) -> Result<LookupJoinFn> {
        let internal =
            |what: &str| SqlError::validation(format!("internal error: a lookup join {what}"), None);
        let LogicalPlan::Scan { table, used, .. } = right else {
            return Err(internal("over something else than a table"));
        };
        let columns = keys
            .iter()
            .map(|(_, r)| r.as_column())
            .collect::<Option<Vec<usize>>>()
            .ok_or_else(|| internal("key is not a column of the table"))?;
        let lookup = connector::lookup_source(table, used.as_ref(), &columns)?;
        let clock = condition.is_some_and(reads_clock) || keys.iter().any(|(l, _)| reads_clock(l));
        Ok(LookupJoinFn::new(
            lookup,
            keys.iter().map(|(l, _)| l.compile()).collect(),
            condition.map(BoundExpr::compile),
            (kind, right.schema().fields.len()),
            self.ctx.zone,
            clock,
        ))
    }

    /// A lookup join of an insert-only probe side: rows.
    pub(super) fn lookup_join(
        &mut self,
        left: &LogicalPlan,
        right: &LogicalPlan,
        keys: &[(BoundExpr, BoundExpr)],
        condition: Option<&BoundExpr>,
        kind: JoinKind,
    ) -> Result<DataStream<Row>> {
        let mut f = self.lookup_join_fn(right, keys, condition, kind)?;
        let uid = self.uid("lookup-join");
        Ok(self
            .stream(left)?
            .map_batches(move |batch: &mut Vec<Record<Row>>, out: &mut Vec<Record<Row>>| f.join(batch, out))
            .name("lookup-join")
            .uid(&uid))
    }

    /// A lookup join of an updating probe side: changes, each output row of its probe's kind.
    pub(super) fn lookup_join_changes(
        &mut self,
        left: &LogicalPlan,
        right: &LogicalPlan,
        keys: &[(BoundExpr, BoundExpr)],
        condition: Option<&BoundExpr>,
        kind: JoinKind,
        asked: UpdateImages,
    ) -> Result<DataStream<Change>> {
        let mut f = self.lookup_join_fn(right, keys, condition, kind)?;
        let uid = self.uid("lookup-join");
        Ok(self
            .changes(left, asked)?
            .map_batches(
                move |batch: &mut Vec<Record<Change>>, out: &mut Vec<Record<Change>>| f.join(batch, out),
            )
            .name("lookup-join")
            .uid(&uid))
    }
}
