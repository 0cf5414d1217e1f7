//! A temporal sort onto the keyed [`TemporalSortFn`] over one key on one task (Flink's singleton
//! exchange). On processing time without keys after the time Flink adds no operator: the rows
//! already come in processing-time order, so the input's stream is the sort's.

use spate_engine::DataStream;

use crate::error::Result;
use crate::plan::{LogicalPlan, SortKey};
use crate::value::{Row, Value};

use super::super::rank_emit::RankOrder;
use super::super::temporal_sort::TemporalSortFn;
use super::Translator;

impl Translator<'_> {
    /// The rows of `input` in the order of `order_by`, whose first key is a time attribute
    /// ascending (event time when `rowtime`).
    pub(super) fn temporal_sort(
        &mut self,
        input: &LogicalPlan,
        order_by: &[SortKey],
        rowtime: bool,
    ) -> Result<DataStream<Row>> {
        let stream = self.stream(input)?;
        let Some((time, then_by)) = order_by.split_first() else {
            return Ok(stream);
        };
        if !rowtime && then_by.is_empty() {
            return Ok(stream);
        }
        let uid = self.uid("temporal-sort");
        let f = TemporalSortFn::new(rowtime.then_some(time.column), RankOrder::new(then_by));
        Ok(stream
            .key_by(|_: &Row| Vec::<Value>::new())
            .process(f)
            .name("temporal-sort")
            .uid(&uid)
            .set_parallelism(1))
    }
}
