//! Window nodes that are not window aggregates over raw rows: a window TVF not followed by an
//! aggregation (every row once per window it falls in, with the window's columns), and an
//! aggregate over rows that already carry their window.

use super::*;

impl Translator<'_> {
    /// A window TVF's rows: each input row once per window, `window_start`, `window_end`,
    /// `window_time` appended.
    pub(super) fn window_assign(
        &mut self,
        input: &LogicalPlan,
        window: &WindowSpec,
        time_col: &usize,
        event_time: &bool,
    ) -> Result<DataStream<Row>> {
        let zone = self.window_zone(input, *time_col);
        let input = self.stream(input)?;
        let assigner = assigner(*window, *event_time, zone)?;
        if assigner.is_merging() {
            return Err(SqlError::validation(
                "SESSION windows must be aggregated (GROUP BY window_start, window_end)",
                None,
            ));
        }
        let (time_col, event_time) = (*time_col, *event_time);
        let bounds = WindowOutput::new(0, &[], 0, None).in_zone(zone);
        Ok(input.process(move |row: Row, ctx: &mut ProcessContext<'_, Row>| {
            let ts = if event_time {
                ctx.timestamp()
            } else {
                match row.get(time_col) {
                    Some(Value::Timestamp(us)) => us.div_euclid(1000),
                    _ => now_millis(),
                }
            };
            let mut windows = smallvec::SmallVec::new();
            assigner.assign(ts, &mut windows);
            for w in windows {
                let mut out = row.clone();
                for p in [WindowProperty::Start, WindowProperty::End, WindowProperty::Time] {
                    out.push(Value::Timestamp(bounds.property(p, w)));
                }
                ctx.collect_with_timestamp(out, w.end - 1);
            }
        }))
    }

    /// An aggregate over rows that carry their window (`start`, `end` columns of an earlier
    /// window aggregate), keyed by the window and the grouping keys.
    pub(super) fn attached_window_aggregate(
        &mut self,
        plan: &LogicalPlan,
        input: &LogicalPlan,
        start: &usize,
        end: &usize,
        keys: &[BoundExpr],
        aggs: &[crate::plan::AggCall],
    ) -> Result<DataStream<Row>> {
        let column = |index: usize| BoundExpr::Column {
            index,
            ty: input.schema().fields[index].ty.clone(),
        };
        let mut key = vec![column(*start), column(*end)];
        let input = self.stream(input)?;
        key.extend(keys.iter().cloned());
        // Local bounds (windows over a TIMESTAMP_LTZ attribute) show in the output's
        // `window_time` kind, which the binder took from the input's.
        let window_time = plan.schema().fields.get(keys.len() + 2);
        let zone = window_time
            .is_some_and(|f| matches!(f.ty.kind, crate::types::TypeKind::TimestampLtz(_)))
            .then_some(self.ctx.zone);
        let f = AttachedAggregateFn::new(SqlAggregate::new(aggs.to_vec()), zone);
        let uid = self.uid("attached-window-aggregate");
        Ok(input
            .key_by(key_selector(key, self.ctx.zone))
            .process(f)
            .uid(&uid))
    }
}
