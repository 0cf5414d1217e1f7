//! One input's rows of a regular join under one join key, laid out as Flink's join state views
//! (`JoinRecordStateViews`, `OuterJoinRecordStateViews`) decide from what the planner knows of
//! the input ([`JoinInputView`]):
//!
//! - **one row** when the input's unique key lies within the join key: an added row replaces
//!   the one held and a retraction clears it, whatever its values (so a `+U` without its `-U`
//!   updates in place, which is what lets such an input send upserts);
//! - **rows by unique key**: an added row replaces the row of its key, a retraction removes it;
//! - **counted rows**: equal rows are one entry with a count of copies.
//!
//! Each entry also keeps its number of *associations* — partners that satisfy the join
//! condition — which an outer join needs to know when a row must be padded with NULLs again;
//! and, under a state TTL, when it was written (Flink expires each entry on its own).
//!
//! Entries stay in the order they were first added, so a row meets its partners in arrival
//! order and every run emits the same changelog. (Flink iterates a hash map there; its order
//! among several partners is not one Spate can or should reproduce.) Finding the entry a
//! retraction names is a scan of its key's entries: the scan is as long as the join's work
//! for any row of that key on the other side, which emits one row per entry.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::plan::JoinInputView;
use crate::value::Row;

/// One kept row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct SideEntry {
    pub(crate) row: Row,
    /// Copies of the row (1 but in the counted layout).
    pub(crate) copies: u32,
    /// Partners on the other side that satisfy the condition (outer sides only).
    pub(crate) matched: u32,
    /// Processing time of its last write, for a state TTL (0 without one).
    pub(crate) written: i64,
}

/// A join key's rows of one input.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct SideRows {
    pub(crate) entries: Vec<SideEntry>,
}

/// How an input's rows are found and replaced (see the module docs).
#[derive(Debug, Clone)]
pub(crate) enum SideLayout {
    One,
    ByKey(Arc<[usize]>),
    Counted,
}

impl SideLayout {
    pub(crate) fn of(view: &JoinInputView) -> Self {
        match view {
            JoinInputView::JoinKeyContainsUniqueKey => SideLayout::One,
            JoinInputView::HasUniqueKey(key) => SideLayout::ByKey(key.as_slice().into()),
            JoinInputView::NoUniqueKey => SideLayout::Counted,
        }
    }

    /// The entry that holds `row`, if any.
    fn find(&self, rows: &SideRows, row: &Row) -> Option<usize> {
        match self {
            SideLayout::One => (!rows.entries.is_empty()).then_some(0),
            SideLayout::ByKey(key) => rows
                .entries
                .iter()
                .position(|e| key.iter().all(|&c| e.row.get(c) == row.get(c))),
            SideLayout::Counted => rows.entries.iter().position(|e| e.row == *row),
        }
    }

    /// Adds `row`, which has `matched` partners, written at `now`.
    pub(crate) fn add(&self, rows: &mut SideRows, row: Row, matched: u32, now: i64) {
        match self.find(rows, &row) {
            Some(i) => {
                let e = &mut rows.entries[i];
                if matches!(self, SideLayout::Counted) {
                    e.copies = e.copies.saturating_add(1);
                } else {
                    e.row = row;
                }
                e.matched = matched;
                e.written = now;
            }
            None => rows.entries.push(SideEntry {
                row,
                copies: 1,
                matched,
                written: now,
            }),
        }
    }

    /// Retracts one copy of `row` at `now`; a row not held is ignored (as Flink does).
    pub(crate) fn retract(&self, rows: &mut SideRows, row: &Row, now: i64) {
        let Some(i) = self.find(rows, row) else {
            return;
        };
        let e = &mut rows.entries[i];
        if matches!(self, SideLayout::Counted) && e.copies > 1 {
            e.copies -= 1;
            e.written = now;
        } else {
            rows.entries.remove(i);
        }
    }
}

impl SideRows {
    /// Drops the entries written `ttl_ms` or longer before `now`; whether any are left.
    pub(crate) fn expire(&mut self, now: i64, ttl_ms: i64) -> bool {
        self.entries.retain(|e| e.written.saturating_add(ttl_ms) > now);
        !self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Value;

    fn row(k: i64, v: &str) -> Row {
        vec![Value::Int(k), Value::String(v.into())]
    }

    #[test]
    fn one_row_layout_replaces_and_clears_whatever_the_values() {
        let mut rows = SideRows::default();
        let one = SideLayout::One;
        one.add(&mut rows, row(1, "a"), 0, 0);
        one.add(&mut rows, row(1, "b"), 2, 0);
        assert_eq!(rows.entries.len(), 1);
        assert_eq!(rows.entries[0].row, row(1, "b"));
        assert_eq!(rows.entries[0].matched, 2);
        one.retract(&mut rows, &row(1, "zzz"), 0);
        assert!(rows.entries.is_empty());
    }

    #[test]
    fn keyed_layout_replaces_by_key_and_keeps_first_place() {
        let mut rows = SideRows::default();
        let by = SideLayout::ByKey(vec![0].into());
        by.add(&mut rows, row(1, "a"), 0, 0);
        by.add(&mut rows, row(2, "x"), 0, 0);
        by.add(&mut rows, row(1, "b"), 0, 0);
        assert_eq!(
            rows.entries.iter().map(|e| e.row.clone()).collect::<Vec<_>>(),
            vec![row(1, "b"), row(2, "x")]
        );
        by.retract(&mut rows, &row(1, "anything"), 0);
        assert_eq!(rows.entries.len(), 1);
    }

    #[test]
    fn counted_layout_counts_copies() {
        let mut rows = SideRows::default();
        let counted = SideLayout::Counted;
        counted.add(&mut rows, row(1, "a"), 0, 0);
        counted.add(&mut rows, row(1, "a"), 1, 0);
        counted.add(&mut rows, row(1, "b"), 0, 0);
        assert_eq!(rows.entries[0].copies, 2);
        assert_eq!(rows.entries[0].matched, 1);
        counted.retract(&mut rows, &row(1, "a"), 0);
        assert_eq!(rows.entries[0].copies, 1);
        counted.retract(&mut rows, &row(1, "a"), 0);
        counted.retract(&mut rows, &row(9, "not held"), 0);
        assert_eq!(rows.entries.len(), 1);
        assert_eq!(rows.entries[0].row, row(1, "b"));
    }

    #[test]
    fn expiry_drops_old_entries_only() {
        let mut rows = SideRows::default();
        let counted = SideLayout::Counted;
        counted.add(&mut rows, row(1, "old"), 0, 100);
        counted.add(&mut rows, row(1, "new"), 0, 500);
        assert!(rows.expire(1100, 1000));
        assert_eq!(rows.entries.len(), 1);
        assert!(!rows.expire(1500, 1000));
    }
}
