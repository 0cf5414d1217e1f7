//! The Top-N functions Flink runs over an input without retractions: `AppendOnlyTopNFunction`
//! (insert-only input), `FastTop1Function` (a Top-1 over insertions or over new images of a
//! monotonic updating input) and `AppendOnlyFirstNFunction` (ordered by processing time
//! ascending: the first N rows). Their changes are Flink's, step for step.
//!
//! `AppendOnlyTopN` keeps only the rows that can still rank within N: a row ranked below the
//! worst one held is dropped when N rows are held; the rows of sort keys pushed out are
//! forgotten. Flink keeps that buffer in an LRU cache of `table.exec.rank.topn-cache-size`
//! rows over its state; Spate's state is in memory already, so the option changes nothing.

use serde::{Deserialize, Serialize};
use spate_engine::keyed_process::{KeyedContext, KeyedProcessFunction};
use spate_engine::state::{StateRegistry, ValueState};

use crate::value::{Change, Row, RowKind, Value};

use super::rank_emit::{RankEmit, RankOrder};

/// Which algorithm.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum AppendKind {
    /// `AppendOnlyTopNFunction`.
    TopN,
    /// `FastTop1Function`.
    Top1,
    /// `AppendOnlyFirstNFunction`.
    FirstN,
}

/// Per partition: the rows held, by sort key in rank order (`TopN`), the top row (`Top1`,
/// one group), or how many rows were emitted (`FirstN`, `count`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Buffer {
    groups: Vec<(Vec<Value>, Vec<Row>)>,
    count: i64,
}

/// The keyed function, keyed by the partition's values.
#[derive(Clone)]
pub(crate) struct AppendTopNFn {
    kind: AppendKind,
    order: RankOrder,
    emit: RankEmit,
    buffer: Option<ValueState<Buffer>>,
    /// A variable range's end per partition.
    rank_end: Option<ValueState<i64>>,
}

impl AppendTopNFn {
    pub(crate) fn new(kind: AppendKind, order: RankOrder, emit: RankEmit) -> Self {
        Self {
            kind,
            order,
            emit,
            buffer: None,
            rank_end: None,
        }
    }
}

impl KeyedProcessFunction<Vec<Value>, Change, Change> for AppendTopNFn {
    fn open(&mut self, states: &mut StateRegistry<'_, Vec<Value>>) {
        self.buffer = Some(states.value("append-top-n"));
        self.rank_end = Some(states.value("rank-end"));
    }

    fn process_element(&mut self, change: Change, ctx: &mut KeyedContext<'_, Vec<Value>, Change>) {
        let Some(state) = self.buffer.clone() else {
            return;
        };
        self.emit.resolve_end(self.rank_end.as_ref(), &change.row, ctx);
        let Some(buffer) = state.get_or_insert_with(ctx, Buffer::default) else {
            return;
        };
        let mut out = Vec::new();
        match self.kind {
            AppendKind::TopN => self.top_n(buffer, change.row, &mut out),
            AppendKind::Top1 => self.top1(buffer, change.row, &mut out),
            AppendKind::FirstN => self.first_n(buffer, change.row, &mut out),
        }
        for c in out {
            ctx.collect(c);
        }
    }
}

impl AppendTopNFn {
    fn top_n(&self, buffer: &mut Buffer, input: Row, out: &mut Vec<Change>) {
        let e = self.emit;
        let key = self.order.key(&input);
        let held: i64 = buffer.groups.iter().map(|g| g.1.len() as i64).sum();
        // `TopNBuffer.checkSortKeyInBufferRange`: better than the worst held, or room left.
        let fits = match buffer.groups.last() {
            None => true,
            Some((worst, _)) => self.order.cmp_keys(&key, worst).is_lt() || held < e.buffer_size(),
        };
        if !fits {
            return;
        }
        let at = match buffer
            .groups
            .binary_search_by(|g| self.order.cmp_keys(&g.0, &key))
        {
            Ok(at) => at,
            Err(at) => {
                buffer.groups.insert(at, (key, Vec::new()));
                at
            }
        };
        buffer.groups[at].1.push(input.clone());
        if e.numbered() {
            // `processElementWithRowNumber`.
            let mut rank = 0i64;
            let mut current = input;
            let mut visited = 0;
            for (i, (_, rows)) in buffer.groups.iter().enumerate() {
                if !e.in_end(rank) {
                    break;
                }
                visited = i + 1;
                if i <= at {
                    rank += rows.len() as i64;
                } else {
                    for prev in rows {
                        if !e.in_end(rank) {
                            break;
                        }
                        e.ranked(out, RowKind::UpdateBefore, prev, rank);
                        e.ranked(out, RowKind::UpdateAfter, &current, rank);
                        current = prev.clone();
                        rank += 1;
                    }
                }
            }
            if e.in_end(rank) {
                e.ranked(out, RowKind::Insert, &current, rank);
            }
            // The sort keys not reached are out of the top N for good.
            buffer.groups.truncate(visited);
        } else {
            // `processElementWithoutRowNumber`.
            if held + 1 > e.end {
                let Some((_, last_rows)) = buffer.groups.last_mut() else {
                    return;
                };
                let size = last_rows.len();
                let last = last_rows.pop();
                if size <= 1 {
                    buffer.groups.pop();
                }
                match last {
                    Some(last) if last != input => e.plain(out, RowKind::Delete, &last),
                    _ => return,
                }
            }
            e.plain(out, RowKind::Insert, &input);
        }
    }

    fn top1(&self, buffer: &mut Buffer, input: Row, out: &mut Vec<Change>) {
        let e = self.emit;
        let key = self.order.key(&input);
        match buffer.groups.first_mut() {
            None => {
                buffer.groups.push((key, vec![input.clone()]));
                if e.output_rank {
                    e.ranked(out, RowKind::Insert, &input, 1);
                } else {
                    e.plain(out, RowKind::Insert, &input);
                }
            }
            Some((held_key, rows)) => {
                if !self.order.cmp_keys(&key, held_key).is_lt() {
                    return;
                }
                let prev = rows.pop().unwrap_or_default();
                *held_key = key;
                *rows = vec![input.clone()];
                if e.output_rank {
                    e.ranked(out, RowKind::UpdateBefore, &prev, 1);
                    e.ranked(out, RowKind::UpdateAfter, &input, 1);
                } else {
                    e.plain(out, RowKind::UpdateBefore, &prev);
                    e.plain(out, RowKind::UpdateAfter, &input);
                }
            }
        }
    }

    fn first_n(&self, buffer: &mut Buffer, input: Row, out: &mut Vec<Change>) {
        let e = self.emit;
        if buffer.count >= e.end {
            return;
        }
        buffer.count += 1;
        if e.numbered() {
            e.ranked(out, RowKind::Insert, &input, buffer.count);
        } else {
            e.plain(out, RowKind::Insert, &input);
        }
    }
}
