//! Flink's `RetractableTopNFunction`: a Top-N over any changelog (`RetractStrategy`).
//!
//! Per partition it keeps every row, grouped by sort key in rank order, with a count per sort
//! key. An insertion or `+U` goes in after the rows of its sort key; a `-U` or `-D` removes the
//! first equal row. The changes are Flink's, step for step: with the rank column (or an offset)
//! each row whose rank moves is updated in place (`-U` of the row that held the rank, `+U` of the
//! row that holds it now) and the last one falls out or comes in at the end; without it, the row
//! pushed out of (or pulled into) rank N is deleted (inserted) and the row itself inserted
//! (deleted). A retraction of a row it does not hold changes nothing, as Flink's lenient mode.

use serde::{Deserialize, Serialize};
use spate_engine::keyed_process::{KeyedContext, KeyedProcessFunction};
use spate_engine::state::{StateRegistry, ValueState};

use crate::value::{Change, Row, RowKind, Value};

use super::rank_emit::{RankEmit, RankOrder};

/// The rows of one sort key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SortGroup {
    key: Vec<Value>,
    /// Flink's sorted-map count (equal to `rows.len()` unless a retraction missed).
    count: i64,
    rows: Vec<Row>,
}

/// The keyed function, keyed by the partition's values.
#[derive(Clone)]
pub(crate) struct RetractableTopNFn {
    order: RankOrder,
    emit: RankEmit,
    groups: Option<ValueState<Vec<SortGroup>>>,
    /// A variable range's end per partition.
    rank_end: Option<ValueState<i64>>,
}

impl RetractableTopNFn {
    pub(crate) fn new(order: RankOrder, emit: RankEmit) -> Self {
        Self {
            order,
            emit,
            groups: None,
            rank_end: None,
        }
    }
}

impl KeyedProcessFunction<Vec<Value>, Change, Change> for RetractableTopNFn {
    fn open(&mut self, states: &mut StateRegistry<'_, Vec<Value>>) {
        self.groups = Some(states.value("retractable-top-n"));
        self.rank_end = Some(states.value("rank-end"));
    }

    fn process_element(&mut self, change: Change, ctx: &mut KeyedContext<'_, Vec<Value>, Change>) {
        let Some(state) = self.groups.clone() else {
            return;
        };
        self.emit.resolve_end(self.rank_end.as_ref(), &change.row, ctx);
        let Some(groups) = state.get_or_insert_with(ctx, Vec::new) else {
            return;
        };
        let mut out = Vec::new();
        let key = self.order.key(&change.row);
        let found = groups.binary_search_by(|g| self.order.cmp_keys(&g.key, &key));
        if matches!(change.kind, RowKind::Insert | RowKind::UpdateAfter) {
            let at = match found {
                Ok(at) => {
                    groups[at].count += 1;
                    at
                }
                Err(at) => {
                    groups.insert(
                        at,
                        SortGroup {
                            key,
                            count: 1,
                            rows: Vec::new(),
                        },
                    );
                    at
                }
            };
            if self.emit.numbered() {
                self.accumulate_numbered(groups, at, &change.row, &mut out);
            } else {
                self.accumulate_plain(groups, at, &change.row, &mut out);
            }
            groups[at].rows.push(change.row);
        } else if let Ok(at) = found {
            let removed = if self.emit.numbered() {
                self.retract_numbered(groups, at, &change.row, &mut out)
            } else {
                self.retract_plain(groups, at, &change.row, &mut out)
            };
            if !removed && let Some(i) = groups[at].rows.iter().position(|r| *r == change.row) {
                groups[at].rows.remove(i);
            }
            groups[at].count -= 1;
            if groups[at].count <= 0 {
                groups.remove(at);
            }
        }
        if groups.is_empty() {
            state.clear(ctx);
        }
        for c in out {
            ctx.collect(c);
        }
    }
}

impl RetractableTopNFn {
    /// `emitRecordsWithRowNumber`: the new row takes the rank after its sort key's rows; every
    /// row below it within the end moves down one.
    fn accumulate_numbered(&self, groups: &[SortGroup], at: usize, input: &Row, out: &mut Vec<Change>) {
        let e = &self.emit;
        let mut rank = 0i64;
        let mut current: &Row = input;
        for (i, g) in groups.iter().enumerate() {
            if !e.in_end(rank) {
                break;
            }
            if i <= at {
                rank += g.count;
            } else {
                for prev in &g.rows {
                    if !e.in_end(rank) {
                        break;
                    }
                    e.ranked(out, RowKind::UpdateBefore, prev, rank);
                    e.ranked(out, RowKind::UpdateAfter, current, rank);
                    current = prev;
                    rank += 1;
                }
            }
        }
        if e.in_end(rank) {
            e.ranked(out, RowKind::Insert, current, rank);
        }
    }

    /// `emitRecordsWithoutRowNumber`: the row pushed out of rank N is deleted, the new row
    /// inserted when it lands within the range.
    fn accumulate_plain(&self, groups: &[SortGroup], at: usize, input: &Row, out: &mut Vec<Change>) {
        let e = &self.emit;
        let mut rank = 0i64;
        let mut collect = false;
        let mut delete: Option<&Row> = None;
        for (i, g) in groups.iter().enumerate() {
            if !e.in_end(rank) {
                break;
            }
            if i == at {
                rank += g.count;
                collect = e.in_range(rank);
            } else if i > at {
                let last = rank + g.count;
                if e.in_end(last) {
                    rank = last;
                } else {
                    delete = usize::try_from(e.end - rank).ok().and_then(|n| g.rows.get(n));
                    break;
                }
            } else {
                rank += g.count;
            }
        }
        if let Some(d) = delete {
            e.plain(out, RowKind::Delete, d);
        }
        if collect {
            e.plain(out, RowKind::Insert, input);
        }
    }

    /// `retractRecordWithRowNumber`: the rows after the retracted one move up a rank; the last
    /// rank within the end is deleted when nothing comes in. True when it removed the row.
    fn retract_numbered(
        &self,
        groups: &mut [SortGroup],
        at: usize,
        input: &Row,
        out: &mut Vec<Change>,
    ) -> bool {
        let e = self.emit;
        let mut rank = 0i64;
        let mut prev: Option<Row> = None;
        let mut found = false;
        for (i, group) in groups.iter_mut().enumerate() {
            if !e.in_end(rank) {
                break;
            }
            if i < at {
                rank += group.count;
            } else if i == at {
                let rows = &mut group.rows;
                let mut j = 0;
                while j < rows.len() && e.in_end(rank) {
                    if !found && rows[j] == *input {
                        prev = Some(rows.remove(j));
                        found = true;
                    } else {
                        if found && let Some(p) = &prev {
                            e.ranked(out, RowKind::UpdateBefore, p, rank);
                            e.ranked(out, RowKind::UpdateAfter, &rows[j], rank);
                        }
                        if found {
                            prev = Some(rows[j].clone());
                        }
                        j += 1;
                    }
                    rank += 1;
                }
            } else if found {
                for row in &group.rows {
                    if !e.in_end(rank) {
                        break;
                    }
                    if let Some(p) = &prev {
                        e.ranked(out, RowKind::UpdateBefore, p, rank);
                    }
                    e.ranked(out, RowKind::UpdateAfter, row, rank);
                    prev = Some(row.clone());
                    rank += 1;
                }
            } else {
                // The retracted row was past the end: nothing above it moves.
                break;
            }
        }
        if e.in_end(rank)
            && let Some(p) = &prev
        {
            e.ranked(out, RowKind::Delete, p, rank);
        }
        found
    }

    /// `retractRecordWithoutRowNumber`: the retracted row is deleted, and the row that moves up
    /// into rank N inserted. True when it removed the row.
    fn retract_plain(&self, groups: &mut [SortGroup], at: usize, input: &Row, out: &mut Vec<Change>) -> bool {
        let e = self.emit;
        let mut next = 1i64;
        let mut found = false;
        for (i, group) in groups.iter_mut().enumerate() {
            if !e.in_end(next) {
                break;
            }
            if i < at {
                next += group.count;
            } else if i == at {
                let rows = &mut group.rows;
                let mut j = 0;
                while j < rows.len() && e.in_end(next) {
                    if !found && rows[j] == *input {
                        let row = rows.remove(j);
                        e.ranked(out, RowKind::Delete, &row, next);
                        next -= 1;
                        found = true;
                    } else {
                        if found && next == e.end {
                            e.ranked(out, RowKind::Insert, &rows[j], next);
                        }
                        j += 1;
                    }
                    next += 1;
                }
            } else if found {
                let last = next + group.count - 1;
                if last < e.end {
                    next = last + 1;
                } else {
                    if let Some(row) = usize::try_from(e.end - next).ok().and_then(|n| group.rows.get(n)) {
                        e.plain(out, RowKind::Insert, row);
                    }
                    break;
                }
            } else {
                break;
            }
        }
        found
    }
}
