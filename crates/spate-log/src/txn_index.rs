//! The aborted-transaction index of one segment (Kafka's `.txnindex`).
//!
//! One entry per transaction whose abort marker is in the segment, in marker order. A
//! read_committed consumer fetching `[from, to)` gets the producer id and first offset of every
//! aborted transaction overlapping the range, and drops that producer's records from the first
//! offset up to the abort marker.
//!
//! On disk (big-endian, no header, Kafka's layout), entries of 34 bytes:
//! `version i16 = 0 | producerId i64 | firstOffset i64 | lastOffset i64 | lastStableOffset i64`,
//! where `lastOffset` is the offset of the abort marker and `lastStableOffset` is the partition's
//! last stable offset right after the marker was written.

/// Bytes of one entry on disk.
pub(crate) const ENTRY_LEN: usize = 34;
const ENTRY_VERSION: i16 = 0;

/// One aborted transaction on a partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AbortedTxn {
    pub producer_id: i64,
    pub first_offset: i64,
    /// Offset of the abort marker.
    pub last_offset: i64,
    pub last_stable_offset: i64,
}

impl AbortedTxn {
    /// Whether the transaction has records in `[from, to)`.
    pub fn overlaps(&self, from: i64, to: i64) -> bool {
        self.last_offset >= from && self.first_offset < to
    }
}

pub(crate) fn encode(entries: &[AbortedTxn]) -> Vec<u8> {
    let mut out = Vec::with_capacity(entries.len() * ENTRY_LEN);
    for e in entries {
        out.extend_from_slice(&ENTRY_VERSION.to_be_bytes());
        out.extend_from_slice(&e.producer_id.to_be_bytes());
        out.extend_from_slice(&e.first_offset.to_be_bytes());
        out.extend_from_slice(&e.last_offset.to_be_bytes());
        out.extend_from_slice(&e.last_stable_offset.to_be_bytes());
    }
    out
}

/// Decodes a whole file. `None` when it is not a whole number of valid entries, an entry's
/// offsets are inconsistent, or markers are out of order: the index is then rebuilt.
pub(crate) fn decode(bytes: &[u8]) -> Option<Vec<AbortedTxn>> {
    if !bytes.len().is_multiple_of(ENTRY_LEN) {
        return None;
    }
    let mut entries = Vec::with_capacity(bytes.len() / ENTRY_LEN);
    for chunk in bytes.chunks_exact(ENTRY_LEN) {
        let i64_at = |at: usize| {
            let mut a = [0u8; 8];
            a.copy_from_slice(&chunk[at..at + 8]);
            i64::from_be_bytes(a)
        };
        if i16::from_be_bytes([chunk[0], chunk[1]]) != ENTRY_VERSION {
            return None;
        }
        let entry = AbortedTxn {
            producer_id: i64_at(2),
            first_offset: i64_at(10),
            last_offset: i64_at(18),
            last_stable_offset: i64_at(26),
        };
        let in_order = entries
            .last()
            .is_none_or(|prev: &AbortedTxn| prev.last_offset < entry.last_offset);
        if entry.first_offset < 0 || entry.first_offset > entry.last_offset || !in_order {
            return None;
        }
        entries.push(entry);
    }
    Some(entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn entries() -> impl Strategy<Value = Vec<AbortedTxn>> {
        proptest::collection::vec((0i64..1000, 0i64..1000, 1i64..1000, 0i64..1000), 0..20).prop_map(|raw| {
            let mut marker = 0;
            raw.into_iter()
                .map(|(pid, span, gap, lso)| {
                    marker += gap + span;
                    AbortedTxn {
                        producer_id: pid,
                        first_offset: marker - span,
                        last_offset: marker,
                        last_stable_offset: lso,
                    }
                })
                .collect()
        })
    }

    proptest! {
        #[test]
        fn round_trip(entries in entries()) {
            let bytes = encode(&entries);
            prop_assert_eq!(bytes.len(), entries.len() * ENTRY_LEN);
            prop_assert_eq!(decode(&bytes), Some(entries.clone()));
            if !bytes.is_empty() {
                prop_assert_eq!(decode(&bytes[..bytes.len() - 1]), None);
                let mut bad_version = bytes.clone();
                bad_version[0] = 1;
                prop_assert_eq!(decode(&bad_version), None);
            }
        }

        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = decode(&bytes);
        }
    }

    #[test]
    fn overlap() {
        let e = AbortedTxn {
            producer_id: 1,
            first_offset: 10,
            last_offset: 20,
            last_stable_offset: 21,
        };
        assert!(e.overlaps(0, 11));
        assert!(!e.overlaps(0, 10));
        assert!(e.overlaps(20, 30));
        assert!(!e.overlaps(21, 30));
    }
}
