//! A query's result as a table, kept from its changelog the way Flink's SQL client keeps it
//! in `table` result mode (`MaterializedCollectStreamResult`): an insertion or update-after
//! adds its row at the end; an update-before or deletion removes the newest row equal to it,
//! so an updated row moves to the end. A retraction of a row the table does not hold changes
//! nothing. `spate sql`'s `table` mode and `spate server`'s SQL page show it.
//!
//! Rows are kept as the values shown (one string per column). Each change costs a logarithmic
//! lookup, not a scan, so a table of many rows keeps up with a fast changelog. Past `limit`
//! rows the oldest are dropped (Flink's client bounds its table the same way, by
//! `sql-client.execution.max-table-result.rows`).

use std::collections::{BTreeMap, HashMap};

use crate::value::RowKind;

/// The rows of a result table, oldest change first.
#[derive(Debug)]
pub struct ResultTable {
    /// The rows by the sequence number of the change that added them.
    rows: BTreeMap<u64, Vec<String>>,
    /// Each distinct row's sequence numbers, ascending.
    index: HashMap<Vec<String>, Vec<u64>>,
    next: u64,
    limit: usize,
}

impl ResultTable {
    /// An empty table that keeps at most `limit` rows.
    pub fn new(limit: usize) -> Self {
        Self {
            rows: BTreeMap::new(),
            index: HashMap::new(),
            next: 0,
            limit: limit.max(1),
        }
    }

    /// Applies one change of a row shown as `values`.
    pub fn apply(&mut self, kind: RowKind, values: Vec<String>) {
        if kind.is_accumulate() {
            let seq = self.next;
            self.next += 1;
            self.index.entry(values.clone()).or_default().push(seq);
            self.rows.insert(seq, values);
            if self.rows.len() > self.limit
                && let Some((oldest, row)) = self.rows.pop_first()
            {
                self.unindex(&row, oldest);
            }
        } else if let Some(seqs) = self.index.get_mut(&values)
            && let Some(seq) = seqs.pop()
        {
            if seqs.is_empty() {
                self.index.remove(&values);
            }
            self.rows.remove(&seq);
        }
    }

    fn unindex(&mut self, row: &Vec<String>, seq: u64) {
        if let Some(seqs) = self.index.get_mut(row) {
            seqs.retain(|s| *s != seq);
            if seqs.is_empty() {
                self.index.remove(row);
            }
        }
    }

    /// How many rows the table holds.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether the table holds no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The rows, oldest change first.
    pub fn rows(&self) -> impl DoubleEndedIterator<Item = &Vec<String>> {
        self.rows.values()
    }

    /// The `n` rows changed last, oldest first.
    pub fn newest(&self, n: usize) -> Vec<&Vec<String>> {
        let mut newest: Vec<&Vec<String>> = self.rows.values().rev().take(n).collect();
        newest.reverse();
        newest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn rows(t: &ResultTable) -> Vec<Vec<String>> {
        t.rows().cloned().collect()
    }

    #[test]
    fn updates_replace_rows_and_move_them_to_the_end() {
        let mut t = ResultTable::new(100);
        t.apply(RowKind::Insert, row(&["1", "5"]));
        t.apply(RowKind::Insert, row(&["2", "3"]));
        t.apply(RowKind::UpdateBefore, row(&["1", "5"]));
        t.apply(RowKind::UpdateAfter, row(&["1", "12"]));
        assert_eq!(rows(&t), [row(&["2", "3"]), row(&["1", "12"])]);
        t.apply(RowKind::Delete, row(&["2", "3"]));
        // A retraction of a row the table never held changes nothing.
        t.apply(RowKind::Delete, row(&["9", "9"]));
        assert_eq!(rows(&t), [row(&["1", "12"])]);
    }

    #[test]
    fn a_retraction_removes_the_newest_of_equal_rows() {
        let mut t = ResultTable::new(100);
        t.apply(RowKind::Insert, row(&["a"]));
        t.apply(RowKind::Insert, row(&["b"]));
        t.apply(RowKind::Insert, row(&["a"]));
        t.apply(RowKind::UpdateBefore, row(&["a"]));
        assert_eq!(rows(&t), [row(&["a"]), row(&["b"])]);
        assert_eq!(t.newest(1), [&row(&["b"])]);
    }

    #[test]
    fn past_its_limit_the_oldest_rows_go() {
        let mut t = ResultTable::new(2);
        for v in ["a", "b", "c"] {
            t.apply(RowKind::Insert, row(&[v]));
        }
        assert_eq!(rows(&t), [row(&["b"]), row(&["c"])]);
        // The dropped row is forgotten: retracting it changes nothing.
        t.apply(RowKind::Delete, row(&["a"]));
        assert_eq!(t.len(), 2);
    }
}
