//! Top-N and deduplication nodes onto keyed operators, keyed by the partition's values (no
//! partition: one key, so one subtask holds the whole Top-N, as Flink's singleton exchange).
//! The algorithm is Flink's for the node's strategy: `AppendOnlyFirstNFunction` for an
//! insert-only input ordered by processing time ascending, `FastTop1Function` for a Top-1 over
//! insertions or monotonic new images, `AppendOnlyTopNFunction` for other insert-only inputs,
//! `UpdatableTopNFunction` for a longer Top-N over monotonic new images,
//! `RetractableTopNFunction` for the rest.

use std::sync::Arc;

use spate_engine::DataStream;

use crate::error::{Result, SqlError};
use crate::plan::{LogicalPlan, RankRange, RankStrategy, TimeAttr, UpdateImages, effective_rank_strategy};
use crate::value::{Change, Row, Value};

use super::super::append_top_n::{AppendKind, AppendTopNFn};
use super::super::deduplicate::{DedupKind, DeduplicateFn};
use super::super::rank_emit::{RankEmit, RankOrder};
use super::super::retractable_top_n::RetractableTopNFn;
use super::super::updatable_top_n::UpdatableTopNFn;
use super::super::window_rank::{WindowKeep, WindowRankFn};
use super::Translator;

/// A key of a row's values in `columns`.
fn partition_key(columns: &[usize]) -> impl Fn(&Row) -> Vec<Value> + Clone + Send + 'static {
    let columns: Arc<[usize]> = columns.into();
    move |row: &Row| {
        columns
            .iter()
            .map(|c| row.get(*c).cloned().unwrap_or_default())
            .collect()
    }
}

impl Translator<'_> {
    /// The changes of a `Rank` without a window or of an updating `Deduplicate`.
    pub(super) fn rank_changes(
        &mut self,
        plan: &LogicalPlan,
        asked: UpdateImages,
    ) -> Result<DataStream<Change>> {
        let update_before = asked == UpdateImages::BeforeAndAfter;
        match plan {
            LogicalPlan::Rank {
                input,
                partition_by,
                order_by,
                range,
                output_rank,
                window: None,
                ..
            } => {
                let emit = RankEmit {
                    start: range.start,
                    end: range.end,
                    end_column: range.end_column,
                    update_before,
                    output_rank: *output_rank,
                };
                let order = RankOrder::new(order_by);
                let key = partition_key(partition_by);
                let top1 = *range == RankRange::constant(1, 1);
                let uid = self.uid("rank");
                let global = partition_by.is_empty();
                let stream = match effective_rank_strategy(input, partition_by, order_by) {
                    RankStrategy::Retract => self
                        .changes(input, UpdateImages::BeforeAndAfter)?
                        .key_by(move |c: &Change| key(&c.row))
                        .process(RetractableTopNFn::new(order, emit)),
                    RankStrategy::UpdateFast(row_key) if !top1 => self
                        .changes(input, UpdateImages::AfterOnly)?
                        .key_by(move |c: &Change| key(&c.row))
                        .process(UpdatableTopNFn::new(order, emit, row_key)),
                    strategy => {
                        let first_n = matches!(order_by.as_slice(), [only]
                            if only.ascending
                                && input.schema().fields.get(only.column).and_then(|f| f.time)
                                    == Some(TimeAttr::Proctime));
                        let kind = match strategy {
                            RankStrategy::AppendFast if first_n => AppendKind::FirstN,
                            _ if top1 => AppendKind::Top1,
                            _ => AppendKind::TopN,
                        };
                        let input = if matches!(strategy, RankStrategy::AppendFast) {
                            self.stream(input)?.map(Change::insert)
                        } else {
                            self.changes(input, UpdateImages::AfterOnly)?
                        };
                        input
                            .key_by(move |c: &Change| key(&c.row))
                            .process(AppendTopNFn::new(kind, order, emit))
                    }
                };
                let stream = stream.name("rank").uid(&uid);
                Ok(if global { stream.set_parallelism(1) } else { stream })
            }
            LogicalPlan::Deduplicate {
                input,
                keys,
                order,
                rowtime,
                keep_last,
                window: None,
            } => Ok(self.deduplicate(input, keys, *order, *rowtime, *keep_last, update_before)?),
            other => Err(SqlError::validation(
                format!("internal error: {} is not a Top-N", other.flink_node_string()),
                None,
            )),
        }
    }

    fn deduplicate(
        &mut self,
        input: &LogicalPlan,
        keys: &[usize],
        order: usize,
        rowtime: bool,
        keep_last: bool,
        update_before: bool,
    ) -> Result<DataStream<Change>> {
        let uid = self.uid("deduplicate");
        let f = DeduplicateFn::new(
            DedupKind { rowtime, keep_last },
            order,
            update_before,
            self.ctx.state_ttl.is_some(),
        );
        let stream = self
            .stream(input)?
            .key_by(partition_key(keys))
            .process(f)
            .name("deduplicate")
            .uid(&uid);
        Ok(if keys.is_empty() {
            stream.set_parallelism(1)
        } else {
            stream
        })
    }

    /// The rows of an insert-only Top-N node: a window Top-N or deduplication, or a
    /// deduplication keeping the first row.
    pub(super) fn rank_rows(&mut self, plan: &LogicalPlan) -> Result<DataStream<Row>> {
        let (input, keys, keep, window) = match plan {
            LogicalPlan::Rank {
                input,
                partition_by,
                order_by,
                kind,
                range,
                output_rank,
                window: Some(w),
                ..
            } => (
                input,
                partition_by,
                WindowKeep::Rank {
                    order: RankOrder::new(order_by),
                    kind: *kind,
                    start: range.start,
                    end: range.end,
                    output_rank: *output_rank,
                },
                w,
            ),
            LogicalPlan::Deduplicate {
                input,
                keys,
                order,
                keep_last,
                window: Some(w),
                ..
            } => (
                input,
                keys,
                WindowKeep::Dedup {
                    time: *order,
                    keep_last: *keep_last,
                },
                w,
            ),
            LogicalPlan::Deduplicate {
                input,
                keys,
                order,
                rowtime,
                keep_last,
                window: None,
            } => {
                let changes = self.deduplicate(input, keys, *order, *rowtime, *keep_last, false)?;
                return Ok(changes.map(|c: Change| c.row));
            }
            other => {
                return Err(SqlError::validation(
                    format!(
                        "internal error: {} is not an insert-only Top-N",
                        other.flink_node_string()
                    ),
                    None,
                ));
            }
        };
        let uid = self.uid("window-rank");
        Ok(self
            .stream(input)?
            .key_by(partition_key(keys))
            .process(WindowRankFn::new(keep, window.end))
            .name("window-rank")
            .uid(&uid))
    }
}
