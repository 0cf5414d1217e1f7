//! A list of rows kept in keyed state packed into one byte buffer: the sink upsert
//! materializer's rows of one sink key, which it keeps for as long as they live.
//!
//! As `Vec<Row>`s each row was several heap blocks and, in a checkpoint, bincode's fixed-width
//! values (12 bytes for an integer); packed it is its encoding ([`super::packed_rows`]) after
//! a 4-byte little-endian length. Entries are found while still encoded ([`super::encoded_row`]).

use serde::{Deserialize, Serialize};
use spate_engine::state::Blob;

use crate::value::Row;

use super::packed_rows::{UnpackError, decode_values, take, take_array};

/// One entry's place in the list: the range of its bytes (valid until the list next changes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Slot {
    at: usize,
    end: usize,
}

/// Rows in the order they were pushed, packed (see the module docs).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct PackedRowList {
    bytes: Blob,
}

impl PackedRowList {
    pub(crate) fn is_empty(&self) -> bool {
        self.bytes.0.is_empty()
    }

    /// Each entry's place and encoded values, oldest first; after a corrupted entry nothing
    /// more.
    pub(crate) fn iter(&self) -> impl Iterator<Item = Result<(Slot, &[u8]), UnpackError>> {
        let bytes = &self.bytes.0;
        let mut at = 0;
        std::iter::from_fn(move || {
            if at >= bytes.len() {
                return None;
            }
            let entry = (|| {
                let mut rest = bytes.get(at..).ok_or(UnpackError::Truncated)?;
                let len = u32::from_le_bytes(take_array(&mut rest)?) as usize;
                let values = take(&mut rest, len)?;
                Ok((
                    Slot {
                        at,
                        end: at + 4 + len,
                    },
                    values,
                ))
            })();
            at = entry.as_ref().map_or(usize::MAX, |(slot, _)| slot.end);
            Some(entry)
        })
    }

    /// The first (or with `last`, the last) entry whose values `is` accepts.
    pub(crate) fn find(
        &self,
        last: bool,
        mut is: impl FnMut(&[u8]) -> Result<bool, UnpackError>,
    ) -> Result<Option<Slot>, UnpackError> {
        let mut found = None;
        for entry in self.iter() {
            let (slot, values) = entry?;
            if is(values)? {
                found = Some(slot);
                if !last {
                    break;
                }
            }
        }
        Ok(found)
    }

    fn entry(values: &[u8]) -> impl Iterator<Item = u8> + '_ {
        // A row's encoding is bounded by its memory, and rows are far below 4 GiB.
        let len = u32::try_from(values.len()).unwrap_or(u32::MAX);
        len.to_le_bytes().into_iter().chain(values.iter().copied())
    }

    /// Appends an entry of encoded `values`.
    pub(crate) fn push(&mut self, values: &[u8]) {
        let out = &mut self.bytes.0;
        if out.is_empty() {
            out.reserve_exact(4 + values.len());
        }
        out.extend(Self::entry(values));
    }

    /// Puts encoded `values` in `slot`'s place.
    pub(crate) fn replace(&mut self, slot: Slot, values: &[u8]) {
        self.bytes.0.splice(slot.at..slot.end, Self::entry(values));
    }

    pub(crate) fn remove(&mut self, slot: Slot) {
        self.bytes.0.drain(slot.at..slot.end);
    }

    /// Whether `slot` is the last entry.
    pub(crate) fn is_last(&self, slot: Slot) -> bool {
        slot.end == self.bytes.0.len()
    }

    /// The last entry's row.
    pub(crate) fn last(&self) -> Result<Option<Row>, UnpackError> {
        let mut last = None;
        for entry in self.iter() {
            last = Some(entry?.1);
        }
        last.map(|values| {
            let mut row = Vec::new();
            decode_values(values, &mut row).map(|()| row)
        })
        .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::encoded_row::{EncodedRow, rows_equal};
    use crate::value::Value;

    fn enc(k: i64, v: &str) -> Vec<u8> {
        let mut e = EncodedRow::default();
        e.encode(&vec![Value::Int(k), Value::String(v.into())]);
        e.bytes
    }

    fn rows(list: &PackedRowList) -> Vec<Row> {
        list.iter()
            .map(|e| {
                let mut r = Vec::new();
                decode_values(e.unwrap().1, &mut r).unwrap();
                r
            })
            .collect()
    }

    #[test]
    fn entries_are_found_replaced_and_removed_in_place() {
        let mut list = PackedRowList::default();
        list.push(&enc(1, "a"));
        list.push(&enc(2, "b"));
        list.push(&enc(1, "a"));
        let a = enc(1, "a");
        let first = list.find(false, |v| rows_equal(v, &a)).unwrap().unwrap();
        let last = list.find(true, |v| rows_equal(v, &a)).unwrap().unwrap();
        assert_ne!(first, last);
        assert!(list.is_last(last) && !list.is_last(first));
        list.replace(first, &enc(1, "a longer one"));
        assert_eq!(
            list.last().unwrap(),
            Some(vec![Value::Int(1), Value::String("a".into())])
        );
        let last = list.find(true, |v| rows_equal(v, &a)).unwrap().unwrap();
        list.remove(last);
        assert_eq!(
            rows(&list),
            vec![
                vec![Value::Int(1), Value::String("a longer one".into())],
                vec![Value::Int(2), Value::String("b".into())]
            ]
        );
        assert_eq!(list.find(false, |v| rows_equal(v, &a)).unwrap(), None);
    }

    #[test]
    fn corrupted_bytes_are_an_error_not_a_panic() {
        let mut list = PackedRowList::default();
        list.push(&enc(1, "a"));
        for cut in 1..list.bytes.0.len() {
            let broken = PackedRowList {
                bytes: Blob(list.bytes.0[..cut].to_vec()),
            };
            assert!(broken.find(true, |_| Ok(false)).is_err(), "cut at {cut}");
            assert!(broken.last().is_err(), "cut at {cut}");
        }
    }
}
