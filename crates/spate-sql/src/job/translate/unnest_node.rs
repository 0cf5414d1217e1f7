//! `CROSS JOIN UNNEST` / `LEFT JOIN UNNEST .. ON`: each input row once per element.

use super::*;

impl Translator<'_> {
    /// The rows of an `Unnest` node.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn unnest(
        &mut self,
        input: &LogicalPlan,
        collection: &BoundExpr,
        elements: &crate::plan::UnnestElements,
        options: &crate::plan::UnnestOptions,
        condition: &Option<BoundExpr>,
        carried: &Option<Vec<bool>>,
        schema: &crate::plan::Schema,
    ) -> Result<DataStream<Row>> {
        let f = UnnestFn::new(
            collection,
            *elements,
            *options,
            condition.as_ref(),
            carried.as_deref(),
            input.schema().fields.iter().map(|f| &f.ty.kind),
            schema.fields.iter().map(|f| &f.ty.kind),
        );
        let clock = reads_clock(collection) || condition.as_ref().is_some_and(reads_clock);
        let evaluates = f.evaluates();
        let zone = self.ctx.zone;
        let input = self.stream(input)?;
        Ok(input.process(move |row: Row, ctx: &mut ProcessContext<'_, Row>| {
            let ec = if evaluates {
                eval_ctx(ctx, clock, zone)
            } else {
                EvalContext::default()
            };
            f.apply(row, &ec, &mut |out| ctx.collect(out))
                .unwrap_or_else(|err| raise(err));
        }))
    }
}
