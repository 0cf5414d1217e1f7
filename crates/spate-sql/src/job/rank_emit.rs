//! What every Top-N operator shares: the order rows are ranked in ([`RankOrder`], Flink's
//! generated sort-key comparator) and how a change is emitted for a rank ([`RankEmit`], Flink's
//! `AbstractTopNFunction.collect*`): with the rank column, a change is emitted only for a rank
//! inside the range; `-U` only when the consumer asked for before-images.

use std::cmp::Ordering;
use std::sync::Arc;

use spate_engine::keyed_process::KeyedContext;
use spate_engine::state::ValueState;

use crate::expr::compare;
use crate::plan::SortKey;
use crate::value::{Change, Row, RowKind, Value};

/// The sort keys of a window's `ORDER BY`.
#[derive(Clone)]
pub(crate) struct RankOrder {
    keys: Arc<[SortKey]>,
}

impl RankOrder {
    pub(crate) fn new(keys: &[SortKey]) -> Self {
        Self { keys: keys.into() }
    }

    /// A row's sort key values.
    pub(crate) fn key(&self, row: &Row) -> Vec<Value> {
        self.keys
            .iter()
            .map(|k| row.get(k.column).cloned().unwrap_or_default())
            .collect()
    }

    /// Two sort keys in rank order (`Less`: `a` ranks first).
    pub(crate) fn cmp_keys(&self, a: &[Value], b: &[Value]) -> Ordering {
        for (k, (x, y)) in self.keys.iter().zip(a.iter().zip(b)) {
            let o = match (x, y) {
                (Value::Null, Value::Null) => Ordering::Equal,
                (Value::Null, _) => null_side(k),
                (_, Value::Null) => null_side(k).reverse(),
                _ => {
                    let o = compare(x, y).unwrap_or(Ordering::Equal);
                    if k.ascending { o } else { o.reverse() }
                }
            };
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    }

    /// Two rows in rank order.
    pub(crate) fn cmp_rows(&self, a: &Row, b: &Row) -> Ordering {
        self.cmp_keys(&self.key(a), &self.key(b))
    }
}

fn null_side(k: &SortKey) -> Ordering {
    if k.nulls_first {
        Ordering::Less
    } else {
        Ordering::Greater
    }
}

/// How a Top-N emits its changes.
#[derive(Clone, Copy)]
pub(crate) struct RankEmit {
    pub(crate) start: i64,
    /// The last rank; for a variable range, the current partition's (see [`Self::resolve_end`]).
    pub(crate) end: i64,
    /// The input column a variable range's end is read from (Flink's `VariableRankRange`).
    pub(crate) end_column: Option<usize>,
    pub(crate) update_before: bool,
    pub(crate) output_rank: bool,
}

/// How many rows Flink's Top-N buffers keep before dropping a worse row on arrival: the end,
/// or 100 for a variable range (`AbstractTopNFunction.getDefaultTopNSize`).
const VARIABLE_BUFFER_SIZE: i64 = 100;

impl RankEmit {
    /// Flink's `initRankEnd`: with a variable range, sets `end` to the current partition's end,
    /// the value of the end column in its first row (kept in `state`; a NULL is 0, as Flink
    /// reads it). Later rows' values are ignored, as Flink only counts them as invalid.
    pub(crate) fn resolve_end<O>(
        &mut self,
        state: Option<&ValueState<i64>>,
        row: &Row,
        ctx: &mut KeyedContext<'_, Vec<Value>, O>,
    ) {
        let (Some(column), Some(state)) = (self.end_column, state) else {
            return;
        };
        if let Some(end) = state.get(ctx) {
            self.end = *end;
            return;
        }
        let end = match row.get(column) {
            Some(Value::Int(n)) => *n,
            _ => 0,
        };
        state.update(ctx, end);
        self.end = end;
    }

    /// How many rows a buffer keeps before a worse row is dropped on arrival.
    pub(crate) fn buffer_size(&self) -> i64 {
        if self.end_column.is_some() {
            VARIABLE_BUFFER_SIZE
        } else {
            self.end
        }
    }

    /// Whether ranks are tracked: with the rank column or an offset (Flink's "with-number"
    /// algorithm; the other cannot handle an offset).
    pub(crate) fn numbered(&self) -> bool {
        self.output_rank || self.start > 1
    }

    pub(crate) fn in_end(&self, rank: i64) -> bool {
        rank <= self.end
    }

    pub(crate) fn in_range(&self, rank: i64) -> bool {
        rank <= self.end && rank >= self.start
    }

    fn row(&self, row: &Row, rank: i64) -> Row {
        let mut out = row.clone();
        if self.output_rank {
            out.push(Value::Int(rank));
        }
        out
    }

    /// A change of `row` at `rank`, dropped outside the range.
    pub(crate) fn ranked(&self, out: &mut Vec<Change>, kind: RowKind, row: &Row, rank: i64) {
        if kind == RowKind::UpdateBefore && !self.update_before {
            return;
        }
        if self.in_range(rank) {
            out.push(Change {
                kind,
                row: self.row(row, rank),
            });
        }
    }

    /// A change of `row` without a rank.
    pub(crate) fn plain(&self, out: &mut Vec<Change>, kind: RowKind, row: &Row) {
        if kind == RowKind::UpdateBefore && !self.update_before {
            return;
        }
        out.push(Change {
            kind,
            row: row.clone(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nulls_and_directions_order_as_flink() {
        let order = RankOrder::new(&[
            SortKey {
                column: 0,
                ascending: false,
                nulls_first: false,
            },
            SortKey {
                column: 1,
                ascending: true,
                nulls_first: true,
            },
        ]);
        let r = |a: Value, b: Value| vec![a, b];
        assert_eq!(
            order.cmp_rows(&r(Value::Int(2), Value::Int(1)), &r(Value::Int(1), Value::Int(0))),
            Ordering::Less
        );
        assert_eq!(
            order.cmp_rows(&r(Value::Null, Value::Int(1)), &r(Value::Int(1), Value::Int(0))),
            Ordering::Greater
        );
        assert_eq!(
            order.cmp_rows(&r(Value::Int(1), Value::Null), &r(Value::Int(1), Value::Int(0))),
            Ordering::Less
        );
    }
}
