//! An OVER aggregate node onto [`OverAggregateFn`], keyed by the partition's values (no
//! partition: one key on one subtask, as Flink's singleton exchange).

use std::sync::Arc;

use spate_engine::DataStream;

use crate::error::{Result, SqlError};
use crate::plan::{LogicalPlan, TimeAttr};
use crate::value::{Row, Value};

use super::super::group_aggregate::RetractingAggregate;
use super::super::over_aggregate::{Frame, OverAggregateFn};
use super::Translator;

impl Translator<'_> {
    /// The rows of an `Over` node with aggregates: each input row with its frame's results.
    pub(super) fn over_aggregate(&mut self, plan: &LogicalPlan) -> Result<DataStream<Row>> {
        let LogicalPlan::Over {
            input,
            partition_by,
            order_by,
            calls,
            aggs,
            lags,
            frame,
            ..
        } = plan
        else {
            return Err(SqlError::validation(
                "internal error: not an OVER aggregate",
                None,
            ));
        };
        let rowtime = order_by.first().and_then(|k| {
            (input.schema().fields.get(k.column)?.time == Some(TimeAttr::Rowtime)).then_some(k.column)
        });
        let columns: Arc<[usize]> = partition_by.as_slice().into();
        let key = move |row: &Row| -> Vec<Value> {
            columns
                .iter()
                .map(|c| row.get(*c).cloned().unwrap_or_default())
                .collect()
        };
        let f = OverAggregateFn::new(
            RetractingAggregate::new(aggs),
            Frame {
                // `ROW_NUMBER`'s frame is `ROWS`: it numbers rows one by one, of one time too.
                rows: frame.rows,
                preceding: frame.preceding,
            },
            rowtime,
            lags,
            calls,
        );
        let uid = self.uid("over-aggregate");
        let stream = self
            .stream(input)?
            .key_by(key)
            .process(f)
            .name("over-aggregate")
            .uid(&uid);
        Ok(if partition_by.is_empty() {
            stream.set_parallelism(1)
        } else {
            stream
        })
    }
}
