//! Flink's `UpdatableTopNFunction`: a Top-N over the new images of an updating input whose
//! rows are unique on `row_key` (an upsert key holding the partition key) and whose sort key only
//! moves up (`UpdateFastStrategy`: a `COUNT` ranked `DESC`).
//!
//! Per partition it keeps the rows that can still rank within N, by sort key in rank order, each
//! sort key's rows in the order they came. A row it holds that comes again is an update: with
//! the rank column, in place (`-U`/`+U` of its rank) when its sort key is unchanged, else it moves
//! up and every row it passes moves down one (`-U`/`+U` per rank, the old row's `-U` before the
//! first `+U` of the new); without it, `-U`/`+U` of the row. A new row that ranks within N pushes
//! the last row out (`-D` of it without the rank column; with it, through the shift, forgetting
//! the sort keys pushed past N). A row that cannot rank within N is not kept. The changes are
//! Flink's, step for step.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use spate_engine::keyed_process::{KeyedContext, KeyedProcessFunction};
use spate_engine::state::{StateRegistry, ValueState};

use crate::value::{Change, Row, RowKind, Value};

use super::rank_emit::{RankEmit, RankOrder};

/// One partition's rows: sort keys in rank order with their rows' keys, and each row by key.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Held {
    groups: Vec<(Vec<Value>, Vec<Vec<Value>>)>,
    rows: HashMap<Vec<Value>, Row>,
}

impl Held {
    fn total(&self) -> usize {
        self.groups.iter().map(|g| g.1.len()).sum()
    }

    /// Appends `row_key` to its sort key's rows.
    fn put(&mut self, order: &RankOrder, key: Vec<Value>, row_key: Vec<Value>) {
        match self.groups.binary_search_by(|g| order.cmp_keys(&g.0, &key)) {
            Ok(at) => self.groups[at].1.push(row_key),
            Err(at) => self.groups.insert(at, (key, vec![row_key])),
        }
    }

    fn remove(&mut self, order: &RankOrder, key: &[Value], row_key: &[Value]) {
        if let Ok(at) = self.groups.binary_search_by(|g| order.cmp_keys(&g.0, key)) {
            self.groups[at].1.retain(|k| k.as_slice() != row_key);
            if self.groups[at].1.is_empty() {
                self.groups.remove(at);
            }
        }
    }

    /// The rank of `row_key` under `key` (Flink's `rowNumber`).
    fn rank_of(&self, order: &RankOrder, key: &[Value], row_key: &[Value]) -> i64 {
        let mut rank = 1i64;
        for (k, keys) in &self.groups {
            if order.cmp_keys(k, key).is_eq() {
                for rk in keys {
                    if rk.as_slice() == row_key {
                        return rank;
                    }
                    rank += 1;
                }
            } else {
                rank += keys.len() as i64;
            }
        }
        rank
    }
}

/// The keyed function, keyed by the partition's values.
#[derive(Clone)]
pub(crate) struct UpdatableTopNFn {
    order: RankOrder,
    emit: RankEmit,
    row_key: Vec<usize>,
    held: Option<ValueState<Held>>,
    /// A variable range's end per partition.
    rank_end: Option<ValueState<i64>>,
}

impl UpdatableTopNFn {
    pub(crate) fn new(order: RankOrder, emit: RankEmit, row_key: Vec<usize>) -> Self {
        Self {
            order,
            emit,
            row_key,
            held: None,
            rank_end: None,
        }
    }

    fn key_of(&self, row: &Row) -> Vec<Value> {
        self.row_key
            .iter()
            .map(|c| row.get(*c).cloned().unwrap_or_default())
            .collect()
    }

    /// `checkSortKeyInBufferRange`.
    fn fits(&self, held: &Held, key: &[Value]) -> bool {
        match held.groups.last() {
            None => true,
            Some((worst, _)) => {
                self.order.cmp_keys(key, worst).is_lt() || (held.total() as i64) < self.emit.buffer_size()
            }
        }
    }
}

impl KeyedProcessFunction<Vec<Value>, Change, Change> for UpdatableTopNFn {
    fn open(&mut self, states: &mut StateRegistry<'_, Vec<Value>>) {
        self.held = Some(states.value("updatable-top-n"));
        self.rank_end = Some(states.value("rank-end"));
    }

    fn process_element(&mut self, change: Change, ctx: &mut KeyedContext<'_, Vec<Value>, Change>) {
        // The strategy reads new images only; the input deletes nothing.
        if !change.kind.is_accumulate() {
            return;
        }
        let Some(state) = self.held.clone() else {
            return;
        };
        self.emit.resolve_end(self.rank_end.as_ref(), &change.row, ctx);
        let Some(held) = state.get_or_insert_with(ctx, Held::default) else {
            return;
        };
        let mut out = Vec::new();
        if self.emit.numbered() {
            self.numbered(held, change.row, &mut out);
        } else {
            self.plain(held, change.row, &mut out);
        }
        for c in out {
            ctx.collect(c);
        }
    }
}

impl UpdatableTopNFn {
    /// `processElementWithRowNumber`.
    fn numbered(&self, held: &mut Held, input: Row, out: &mut Vec<Change>) {
        let e = self.emit;
        let key = self.order.key(&input);
        let row_key = self.key_of(&input);
        if let Some(old) = held.rows.get(&row_key).cloned() {
            let old_key = self.order.key(&old);
            let cmp = self.order.cmp_keys(&key, &old_key);
            if cmp.is_eq() {
                let rank = held.rank_of(&self.order, &key, &row_key);
                held.rows.insert(row_key, input.clone());
                e.ranked(out, RowKind::UpdateBefore, &old, rank);
                e.ranked(out, RowKind::UpdateAfter, &input, rank);
                return;
            }
            let old_rank = held.rank_of(&self.order, &old_key, &row_key);
            held.remove(&self.order, &old_key, &row_key);
            held.put(&self.order, key.clone(), row_key.clone());
            held.rows.insert(row_key, input.clone());
            if cmp.is_lt() {
                self.shift(held, &key, input, Some((old_key, old, old_rank)), out);
            } else {
                // A sort key moving down breaks the strategy's premise (Flink logs the state as
                // stale and ranks from the old position to the new).
                let new_rank = held.rank_of(&self.order, &key, &self.key_of(&input));
                self.stale(held, input, new_rank, &old, old_rank, out);
            }
        } else if self.fits(held, &key) {
            held.put(&self.order, key.clone(), row_key.clone());
            held.rows.insert(row_key, input.clone());
            self.shift(held, &key, input, None, out);
        }
    }

    /// `emitRecordsWithRowNumber`: the input takes the rank after its sort key's rows and the
    /// rows it passes move down one, up to the old row's rank for an update; for a new row, sort
    /// keys pushed past the end are forgotten.
    fn shift(
        &self,
        held: &mut Held,
        key: &[Value],
        input: Row,
        old: Option<(Vec<Value>, Row, i64)>,
        out: &mut Vec<Change>,
    ) {
        let e = self.emit;
        let mut rank = 0i64;
        let mut current = input.clone();
        let mut found = false;
        let mut retracted = false;
        let mut visited = 0;
        'groups: for (i, (k, keys)) in held.groups.iter().enumerate() {
            if !e.in_end(rank) {
                break;
            }
            visited = i + 1;
            if !found && self.order.cmp_keys(k, key).is_eq() {
                rank += keys.len() as i64;
                current = input.clone();
                found = true;
            } else if found {
                let limit = match &old {
                    None => None,
                    Some((old_key, _, old_rank)) => {
                        if !self.order.cmp_keys(k, old_key).is_le() {
                            break 'groups;
                        }
                        Some(*old_rank)
                    }
                };
                for rk in keys {
                    let within = match limit {
                        None => e.in_end(rank),
                        Some(old_rank) => rank < old_rank,
                    };
                    if !within {
                        break;
                    }
                    let Some(prev) = held.rows.get(rk) else {
                        continue;
                    };
                    e.ranked(out, RowKind::UpdateBefore, prev, rank);
                    if let Some((_, old_row, old_rank)) = &old
                        && current == input
                        && !retracted
                    {
                        e.ranked(out, RowKind::UpdateBefore, old_row, *old_rank);
                        retracted = true;
                    }
                    e.ranked(out, RowKind::UpdateAfter, &current, rank);
                    current = prev.clone();
                    rank += 1;
                }
            } else {
                rank += keys.len() as i64;
            }
        }
        if e.in_end(rank) {
            match &old {
                None => e.ranked(out, RowKind::Insert, &current, rank),
                Some((_, old_row, old_rank)) => {
                    if !retracted {
                        e.ranked(out, RowKind::UpdateBefore, old_row, *old_rank);
                    }
                    e.ranked(out, RowKind::UpdateAfter, &current, rank);
                }
            }
            return;
        }
        // The sort keys not reached are out of the top N for good.
        for (_, keys) in held.groups.drain(visited..) {
            for rk in keys {
                held.rows.remove(&rk);
            }
        }
    }

    /// `emitRecordsWithRowNumberIgnoreStateError`: the rows between the old rank and the new
    /// move up one.
    fn stale(&self, held: &Held, input: Row, new_rank: i64, old: &Row, old_rank: i64, out: &mut Vec<Change>) {
        let e = self.emit;
        e.ranked(out, RowKind::UpdateBefore, old, old_rank);
        let mut rank = 0i64;
        'all: for (_, keys) in &held.groups {
            for rk in keys {
                rank += 1;
                if rank == new_rank {
                    break 'all;
                }
                if old_rank <= rank
                    && let Some(row) = held.rows.get(rk)
                {
                    e.ranked(out, RowKind::UpdateBefore, row, rank + 1);
                    e.ranked(out, RowKind::UpdateAfter, row, rank);
                }
            }
        }
        e.ranked(out, RowKind::UpdateAfter, &input, new_rank);
    }

    /// `processElementWithoutRowNumber`.
    fn plain(&self, held: &mut Held, input: Row, out: &mut Vec<Change>) {
        let e = self.emit;
        let key = self.order.key(&input);
        let row_key = self.key_of(&input);
        if let Some(old) = held.rows.get(&row_key).cloned() {
            let old_key = self.order.key(&old);
            if old_key != key {
                held.remove(&self.order, &old_key, &row_key);
                held.put(&self.order, key, row_key.clone());
            }
            held.rows.insert(row_key, input.clone());
            e.plain(out, RowKind::UpdateBefore, &old);
            e.plain(out, RowKind::UpdateAfter, &input);
        } else if self.fits(held, &key) {
            held.put(&self.order, key, row_key.clone());
            held.rows.insert(row_key, input.clone());
            if held.total() as i64 > e.end
                && let Some((_, keys)) = held.groups.last_mut()
                && let Some(last) = keys.pop()
            {
                if keys.is_empty() {
                    held.groups.pop();
                }
                if let Some(row) = held.rows.remove(&last) {
                    e.plain(out, RowKind::Delete, &row);
                }
            }
            e.plain(out, RowKind::Insert, &input);
        }
    }
}
