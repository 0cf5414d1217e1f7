//! The rows a JDBC sink holds between two flushes (Flink's statement executors).
//!
//! Without a primary key every row is kept, in order (`TableBufferedStatementExecutor`). With
//! one, the buffer keeps each key's last change (`TableBufferReducedStatementExecutor`): an
//! upsert for `+I`/`+U`, a delete for `-U`/`-D`. A `-U` whose `+U` follows is overwritten by
//! it in the buffer (or, in the next flush, re-inserts the row); a `-U` alone, as a filter over
//! an aggregate leaves when the new value no longer passes, removes the row, as in Flink's
//! executor. A flush writes every upsert, then
//! every delete; keys keep the order in which they first entered the buffer (Flink's follows
//! a `HashMap`), which no result depends on, as each key has one change.
//!
//! Like Flink's `JdbcOutputFormat`, the buffer counts *changes* since the last flush (not
//! distinct keys) against `sink.buffer-flush.max-rows`.
//!
//! (`upsert_buffer.rs` is the same idea for `upsert-kafka`, but keys encoded records by their
//! key bytes and follows that connector's both-or-neither option rules; here rows are keyed
//! by their key values and the two options are independent, as in Flink's JDBC connector.)

use std::collections::HashMap;

use crate::value::{Row, RowKind, Value};

/// What a flush writes.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    /// Rows to insert (or upsert, with a key).
    pub(crate) rows: Vec<Row>,
    /// Rows whose key is to be deleted.
    pub(crate) deletes: Vec<Row>,
}

impl Batch {
    pub(crate) fn is_empty(&self) -> bool {
        self.rows.is_empty() && self.deletes.is_empty()
    }

    pub(crate) fn len(&self) -> usize {
        self.rows.len() + self.deletes.len()
    }
}

/// The buffer of one sink subtask.
#[derive(Debug, Clone)]
pub(crate) struct Buffer {
    /// The key's columns (empty: keep every row).
    keys: Vec<usize>,
    /// Each buffered key's place in `changes`.
    places: HashMap<Vec<Value>, usize>,
    /// Rows in arrival order, or each key's last change (`true`: upsert).
    changes: Vec<(bool, Row)>,
    /// Changes taken since the last flush.
    count: usize,
}

impl Buffer {
    pub(crate) fn new(keys: Vec<usize>) -> Self {
        Self {
            keys,
            places: HashMap::new(),
            changes: Vec::new(),
            count: 0,
        }
    }

    /// Takes one change; the number of changes taken since the last flush.
    pub(crate) fn put(&mut self, kind: RowKind, row: Row) -> usize {
        if self.keys.is_empty() {
            self.changes.push((true, row));
        } else {
            let upsert = kind.is_accumulate();
            let key: Vec<Value> = self
                .keys
                .iter()
                .map(|&k| row.get(k).cloned().unwrap_or_default())
                .collect();
            match self.places.get(&key) {
                Some(&at) => self.changes[at] = (upsert, row),
                None => {
                    self.places.insert(key, self.changes.len());
                    self.changes.push((upsert, row));
                }
            }
        }
        self.count += 1;
        self.count
    }

    /// Whether nothing waits.
    pub(crate) fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// What a flush writes, leaving the buffer empty.
    pub(crate) fn take(&mut self) -> Batch {
        self.places.clear();
        self.count = 0;
        let mut batch = Batch::default();
        for (upsert, row) in self.changes.drain(..) {
            if upsert {
                batch.rows.push(row);
            } else {
                batch.deletes.push(row);
            }
        }
        batch
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(k: i64, v: i64) -> Row {
        vec![Value::Int(k), Value::Int(v)]
    }

    #[test]
    fn without_a_key_every_row_stays_in_order() {
        let mut b = Buffer::new(vec![]);
        assert_eq!(b.put(RowKind::Insert, row(1, 1)), 1);
        assert_eq!(b.put(RowKind::Insert, row(1, 1)), 2);
        let batch = b.take();
        assert_eq!(batch.rows, [row(1, 1), row(1, 1)]);
        assert!(b.is_empty());
    }

    #[test]
    fn with_a_key_the_last_change_wins_and_counts_are_changes() {
        let mut b = Buffer::new(vec![0]);
        b.put(RowKind::Insert, row(1, 1));
        b.put(RowKind::Insert, row(2, 5));
        b.put(RowKind::UpdateBefore, row(1, 1));
        b.put(RowKind::UpdateAfter, row(1, 3));
        b.put(RowKind::Delete, row(2, 5));
        assert_eq!(b.put(RowKind::Insert, row(3, 4)), 6, "every change counts");
        b.put(RowKind::Delete, row(3, 4));
        b.put(RowKind::Insert, row(3, 9));
        b.put(RowKind::Insert, row(4, 1));
        b.put(RowKind::UpdateBefore, row(4, 1));
        let batch = b.take();
        assert_eq!(batch.rows, [row(1, 3), row(3, 9)]);
        assert_eq!(batch.deletes, [row(2, 5), row(4, 1)], "a -U alone deletes");
        assert!(b.take().is_empty());
    }
}
