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
//!
//! A key's entries are packed into one byte buffer ([`SideRows`]), as the insert-only join's
//! rows are ([`super::packed_rows`]): a join keeps every row of both inputs, and as
//! `Vec<Value>`s with their strings each was several heap blocks and twice the bytes in a
//! checkpoint (the 1 M + 700 k row LEFT JOIN benchmark, BENCHMARKS.md). Layout of one entry:
//! the length of its values' encoding (4 bytes), its copies (4), its association count (4),
//! when it was written (8; all little-endian), then the values as [`super::packed_rows`]
//! encodes them. The header's fields have fixed widths so that counts change in place.
//! Rows compare as [`Value`](crate::value::Value)s do, on their encodings.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use spate_engine::state::Blob;

use crate::plan::JoinInputView;
use crate::value::Row;

use super::encoded_row::{EncodedRow, key_equal, rows_equal};
use super::packed_rows::{UnpackError, decode_values, take, take_array};

/// Bytes before an entry's values: length, copies, association count, write time.
const HEADER: usize = 20;

/// One kept row, still encoded, and where it starts in its [`SideRows`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct SideEntry<'a> {
    /// Its offset in the key's buffer (valid until the buffer next changes).
    pub(crate) at: usize,
    /// Copies of the row (1 but in the counted layout).
    pub(crate) copies: u32,
    /// Partners on the other side that satisfy the condition (outer sides only).
    pub(crate) matched: u32,
    /// Processing time of its last write, for a state TTL (0 without one).
    pub(crate) written: i64,
    values: &'a [u8],
}

impl SideEntry<'_> {
    /// Appends the row's values to `out`.
    pub(crate) fn decode_into(&self, out: &mut Row) -> Result<(), UnpackError> {
        decode_values(self.values, out)
    }

    fn end(&self) -> usize {
        self.at + HEADER + self.values.len()
    }
}

/// A join key's rows of one input, packed (see the module docs). Checkpointed as one byte
/// block.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct SideRows {
    bytes: Blob,
}

impl SideRows {
    /// Whether no row is kept.
    pub(crate) fn is_empty(&self) -> bool {
        self.bytes.0.is_empty()
    }

    /// The entries, oldest first; after a corrupted entry nothing more.
    pub(crate) fn iter(&self) -> impl Iterator<Item = Result<SideEntry<'_>, UnpackError>> {
        let bytes = &self.bytes.0;
        let mut at = 0;
        std::iter::from_fn(move || {
            if at >= bytes.len() {
                return None;
            }
            let entry = Self::entry_at(bytes, at);
            at = entry.as_ref().map_or(usize::MAX, SideEntry::end);
            Some(entry)
        })
    }

    fn entry_at(bytes: &[u8], at: usize) -> Result<SideEntry<'_>, UnpackError> {
        let mut rest = bytes.get(at..).ok_or(UnpackError::Truncated)?;
        let len = u32::from_le_bytes(take_array(&mut rest)?) as usize;
        let copies = u32::from_le_bytes(take_array(&mut rest)?);
        let matched = u32::from_le_bytes(take_array(&mut rest)?);
        let written = i64::from_le_bytes(take_array(&mut rest)?);
        Ok(SideEntry {
            at,
            copies,
            matched,
            written,
            values: take(&mut rest, len)?,
        })
    }

    /// Sets the association count and write time of the entry at `at` (from [`SideEntry::at`]).
    pub(crate) fn set_matched(&mut self, at: usize, matched: u32, written: i64) {
        if let Some(b) = self.bytes.0.get_mut(at + 8..at + 20) {
            b[..4].copy_from_slice(&matched.to_le_bytes());
            b[4..].copy_from_slice(&written.to_le_bytes());
        }
    }

    fn set_copies(&mut self, at: usize, copies: u32) {
        if let Some(b) = self.bytes.0.get_mut(at + 4..at + 8) {
            b.copy_from_slice(&copies.to_le_bytes());
        }
    }

    /// An entry's bytes for encoded `values`.
    fn encode_entry(values: &[u8], copies: u32, matched: u32, written: i64, out: &mut Vec<u8>) {
        // A row's encoding is bounded by its memory, and rows are far below 4 GiB.
        let len = u32::try_from(values.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&copies.to_le_bytes());
        out.extend_from_slice(&matched.to_le_bytes());
        out.extend_from_slice(&written.to_le_bytes());
        out.extend_from_slice(values);
    }

    /// Drops the entries written `ttl_ms` or longer before `now`; whether any are left.
    pub(crate) fn expire(&mut self, now: i64, ttl_ms: i64) -> Result<bool, UnpackError> {
        let mut kept = Vec::new();
        for e in self.iter() {
            let e = e?;
            if e.written.saturating_add(ttl_ms) > now {
                kept.extend_from_slice(&self.bytes.0[e.at..e.end()]);
            }
        }
        self.bytes.0 = kept;
        Ok(!self.is_empty())
    }
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
    fn find<'r>(&self, rows: &'r SideRows, row: &EncodedRow) -> Result<Option<SideEntry<'r>>, UnpackError> {
        for e in rows.iter() {
            let e = e?;
            let found = match self {
                SideLayout::One => true,
                SideLayout::ByKey(key) => key_equal(e.values, row, key)?,
                SideLayout::Counted => rows_equal(e.values, &row.bytes)?,
            };
            if found {
                return Ok(Some(e));
            }
        }
        Ok(None)
    }

    /// Adds `row`, which has `matched` partners, written at `now`; `scratch` is reused
    /// between calls.
    pub(crate) fn add(
        &self,
        rows: &mut SideRows,
        row: &Row,
        matched: u32,
        now: i64,
        scratch: &mut EncodedRow,
    ) -> Result<(), UnpackError> {
        scratch.encode(row);
        match self.find(rows, scratch)?.map(|e| (e.at, e.end(), e.copies)) {
            Some((at, _, copies)) if matches!(self, SideLayout::Counted) => {
                rows.set_copies(at, copies.saturating_add(1));
                rows.set_matched(at, matched, now);
            }
            Some((at, end, _)) => {
                // The new values take the old entry's place, so the order of first arrival
                // stays.
                let mut entry = Vec::with_capacity(HEADER + scratch.bytes.len());
                SideRows::encode_entry(&scratch.bytes, 1, matched, now, &mut entry);
                rows.bytes.0.splice(at..end, entry);
            }
            None => {
                let out = &mut rows.bytes.0;
                // Most keys hold one row: the first gets exactly its size, later ones the
                // vector's doubling.
                if out.is_empty() {
                    out.reserve_exact(HEADER + scratch.bytes.len());
                }
                SideRows::encode_entry(&scratch.bytes, 1, matched, now, out);
            }
        }
        Ok(())
    }

    /// Retracts one copy of `row` at `now`; a row not held is ignored (as Flink does).
    pub(crate) fn retract(
        &self,
        rows: &mut SideRows,
        row: &Row,
        now: i64,
        scratch: &mut EncodedRow,
    ) -> Result<(), UnpackError> {
        scratch.encode(row);
        let Some((at, end, copies, matched)) = self
            .find(rows, scratch)?
            .map(|e| (e.at, e.end(), e.copies, e.matched))
        else {
            return Ok(());
        };
        if matches!(self, SideLayout::Counted) && copies > 1 {
            rows.set_copies(at, copies - 1);
            rows.set_matched(at, matched, now);
        } else {
            rows.bytes.0.drain(at..end);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Value;

    fn row(k: i64, v: &str) -> Row {
        vec![Value::Int(k), Value::String(v.into())]
    }

    /// (row, copies, matched, written) of each entry.
    fn entries(rows: &SideRows) -> Vec<(Row, u32, u32, i64)> {
        rows.iter()
            .map(|e| {
                let e = e.unwrap();
                let mut r = Vec::new();
                e.decode_into(&mut r).unwrap();
                (r, e.copies, e.matched, e.written)
            })
            .collect()
    }

    #[test]
    fn one_row_layout_replaces_and_clears_whatever_the_values() {
        let (mut rows, mut s) = (SideRows::default(), EncodedRow::default());
        let one = SideLayout::One;
        one.add(&mut rows, &row(1, "a"), 0, 0, &mut s).unwrap();
        one.add(&mut rows, &row(1, "bb"), 2, 7, &mut s).unwrap();
        assert_eq!(entries(&rows), vec![(row(1, "bb"), 1, 2, 7)]);
        one.retract(&mut rows, &row(1, "zzz"), 0, &mut s).unwrap();
        assert!(rows.is_empty());
    }

    #[test]
    fn keyed_layout_replaces_by_key_and_keeps_first_place() {
        let (mut rows, mut s) = (SideRows::default(), EncodedRow::default());
        let by = SideLayout::ByKey(vec![0].into());
        by.add(&mut rows, &row(1, "a"), 0, 0, &mut s).unwrap();
        by.add(&mut rows, &row(2, "x"), 0, 0, &mut s).unwrap();
        by.add(&mut rows, &row(1, "a longer value"), 0, 0, &mut s)
            .unwrap();
        assert_eq!(
            entries(&rows).into_iter().map(|e| e.0).collect::<Vec<_>>(),
            vec![row(1, "a longer value"), row(2, "x")]
        );
        by.retract(&mut rows, &row(1, "anything"), 0, &mut s).unwrap();
        assert_eq!(
            entries(&rows).into_iter().map(|e| e.0).collect::<Vec<_>>(),
            vec![row(2, "x")]
        );
        // The key may be any column, and is compared as values are: -0.0 is 0.0.
        let by_float = SideLayout::ByKey(vec![1].into());
        let mut rows = SideRows::default();
        by_float
            .add(&mut rows, &vec![Value::Int(1), Value::Float(-0.0)], 0, 0, &mut s)
            .unwrap();
        by_float
            .add(&mut rows, &vec![Value::Int(2), Value::Float(0.0)], 0, 0, &mut s)
            .unwrap();
        assert_eq!(entries(&rows)[0].0, vec![Value::Int(2), Value::Float(0.0)]);
        assert_eq!(entries(&rows).len(), 1);
    }

    #[test]
    fn counted_layout_counts_copies() {
        let (mut rows, mut s) = (SideRows::default(), EncodedRow::default());
        let counted = SideLayout::Counted;
        counted.add(&mut rows, &row(1, "a"), 0, 0, &mut s).unwrap();
        counted.add(&mut rows, &row(1, "a"), 1, 0, &mut s).unwrap();
        counted.add(&mut rows, &row(1, "b"), 0, 0, &mut s).unwrap();
        assert_eq!(entries(&rows)[0], (row(1, "a"), 2, 1, 0));
        counted.retract(&mut rows, &row(1, "a"), 0, &mut s).unwrap();
        assert_eq!(entries(&rows)[0].1, 1);
        counted.retract(&mut rows, &row(1, "a"), 0, &mut s).unwrap();
        counted
            .retract(&mut rows, &row(9, "not held"), 0, &mut s)
            .unwrap();
        assert_eq!(entries(&rows), vec![(row(1, "b"), 1, 0, 0)]);
        // Every NaN is one value, as in GROUP BY.
        let nan = vec![Value::Float(f64::NAN)];
        counted.add(&mut rows, &nan, 0, 0, &mut s).unwrap();
        counted
            .add(&mut rows, &vec![Value::Float(-f64::NAN)], 0, 0, &mut s)
            .unwrap();
        assert_eq!(entries(&rows)[1].1, 2);
    }

    #[test]
    fn counts_change_in_place() {
        let (mut rows, mut s) = (SideRows::default(), EncodedRow::default());
        let counted = SideLayout::Counted;
        counted.add(&mut rows, &row(1, "a"), 0, 0, &mut s).unwrap();
        counted.add(&mut rows, &row(2, "b"), 0, 0, &mut s).unwrap();
        let at = rows.iter().nth(1).unwrap().unwrap().at;
        rows.set_matched(at, 5, 99);
        assert_eq!(
            entries(&rows),
            vec![(row(1, "a"), 1, 0, 0), (row(2, "b"), 1, 5, 99)]
        );
    }

    #[test]
    fn expiry_drops_old_entries_only() {
        let (mut rows, mut s) = (SideRows::default(), EncodedRow::default());
        let counted = SideLayout::Counted;
        counted.add(&mut rows, &row(1, "old"), 0, 100, &mut s).unwrap();
        counted.add(&mut rows, &row(1, "new"), 0, 500, &mut s).unwrap();
        assert!(rows.expire(1100, 1000).unwrap());
        assert_eq!(entries(&rows), vec![(row(1, "new"), 1, 0, 500)]);
        assert!(!rows.expire(1500, 1000).unwrap());
    }

    #[test]
    fn corrupted_bytes_are_an_error_not_a_panic() {
        let (mut rows, mut s) = (SideRows::default(), EncodedRow::default());
        SideLayout::Counted
            .add(&mut rows, &row(1, "a"), 0, 0, &mut s)
            .unwrap();
        for cut in 1..rows.bytes.0.len() {
            let broken = SideRows {
                bytes: Blob(rows.bytes.0[..cut].to_vec()),
            };
            assert!(broken.iter().any(|e| e.is_err()), "cut at {cut}");
            assert!(
                SideLayout::Counted
                    .add(&mut broken.clone(), &row(2, "b"), 0, 0, &mut s)
                    .is_err()
            );
        }
    }

    #[test]
    fn side_rows_survive_a_checkpoint_round_trip() {
        let (mut rows, mut s) = (SideRows::default(), EncodedRow::default());
        SideLayout::Counted
            .add(&mut rows, &row(1, "a"), 3, 4, &mut s)
            .unwrap();
        let back: SideRows = bincode::deserialize(&bincode::serialize(&rows).unwrap()).unwrap();
        assert_eq!(back, rows);
    }
}
