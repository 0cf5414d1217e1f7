//! The sparse offset index and the time index of one segment.
//!
//! Both are kept in memory (they are small: one entry per `index.interval.bytes` of log) and
//! written to disk whole when the segment stops being active. The active segment's indexes are
//! always rebuilt from the log on recovery, so they are never read back from disk.
//!
//! On disk (big-endian, no header, like Kafka's):
//! - offset index: entries of `relativeOffset u32 | position u32` (8 bytes);
//! - time index: entries of `timestamp i64 | relativeOffset u32` (12 bytes).

/// Bytes of one offset-index entry on disk.
pub(crate) const OFFSET_ENTRY_LEN: usize = 8;
/// Bytes of one time-index entry on disk.
pub(crate) const TIME_ENTRY_LEN: usize = 12;

/// The batch whose base offset is `segment base + relative_offset` starts at `position`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OffsetEntry {
    pub relative_offset: u32,
    pub position: u32,
}

/// Every record before the batch at `segment base + relative_offset`, and that batch itself, has
/// a timestamp <= `timestamp`; that batch is the first to reach it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TimeEntry {
    pub timestamp: i64,
    pub relative_offset: u32,
}

/// Both indexes of a segment plus the running state that decides where entries go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SegmentIndex {
    pub offsets: Vec<OffsetEntry>,
    pub times: Vec<TimeEntry>,
    /// Bytes appended since the last offset-index entry.
    bytes_since_entry: u64,
    /// Largest batch `maxTimestamp` so far (-1 when none is set), and the relative base offset
    /// of the first batch that reached it.
    pub max_timestamp: i64,
    pub max_timestamp_batch: u32,
}

impl Default for SegmentIndex {
    fn default() -> Self {
        SegmentIndex {
            offsets: Vec::new(),
            times: Vec::new(),
            bytes_since_entry: 0,
            max_timestamp: -1,
            max_timestamp_batch: 0,
        }
    }
}

impl SegmentIndex {
    /// Accounts for one appended batch. Deterministic in the batch sequence and `interval`, so a
    /// rebuilt index equals the one written during appends.
    pub fn on_batch(
        &mut self,
        relative_offset: u32,
        position: u32,
        len: u64,
        max_timestamp: i64,
        interval: u32,
    ) {
        if max_timestamp > self.max_timestamp {
            self.max_timestamp = max_timestamp;
            self.max_timestamp_batch = relative_offset;
        }
        if self.offsets.is_empty() || self.bytes_since_entry >= u64::from(interval) {
            self.offsets.push(OffsetEntry {
                relative_offset,
                position,
            });
            self.push_time_entry();
            self.bytes_since_entry = 0;
        }
        self.bytes_since_entry += len;
    }

    fn push_time_entry(&mut self) {
        let newer = self
            .times
            .last()
            .is_none_or(|last| self.max_timestamp > last.timestamp);
        if newer && self.max_timestamp >= 0 {
            self.times.push(TimeEntry {
                timestamp: self.max_timestamp,
                relative_offset: self.max_timestamp_batch,
            });
        }
    }

    /// Makes the time index end with the segment's largest timestamp (done when the segment
    /// stops being active, so a loaded index knows the segment's largest timestamp).
    pub fn finish(&mut self) {
        self.push_time_entry();
    }

    /// Position to scan from for `relative_offset`: the last indexed batch at or before it.
    pub fn position_for(&self, relative_offset: u32) -> u32 {
        let i = self
            .offsets
            .partition_point(|e| e.relative_offset <= relative_offset);
        if i == 0 { 0 } else { self.offsets[i - 1].position }
    }

    /// Relative offset of a batch at or before the first record with timestamp >= `timestamp`:
    /// the batch of the last entry whose timestamp is below the target (0 when none is).
    pub fn batch_before_timestamp(&self, timestamp: i64) -> u32 {
        let i = self.times.partition_point(|e| e.timestamp < timestamp);
        if i == 0 {
            0
        } else {
            self.times[i - 1].relative_offset
        }
    }

    pub fn encode_offsets(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.offsets.len() * OFFSET_ENTRY_LEN);
        for e in &self.offsets {
            out.extend_from_slice(&e.relative_offset.to_be_bytes());
            out.extend_from_slice(&e.position.to_be_bytes());
        }
        out
    }

    pub fn encode_times(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.times.len() * TIME_ENTRY_LEN);
        for e in &self.times {
            out.extend_from_slice(&e.timestamp.to_be_bytes());
            out.extend_from_slice(&e.relative_offset.to_be_bytes());
        }
        out
    }

    /// Loads indexes written by [`encode_offsets`](Self::encode_offsets) and
    /// [`encode_times`](Self::encode_times) for a segment of `log_size` bytes. `None` when they
    /// are unusable: wrong length, entries out of order or pointing past the log.
    pub fn decode(offsets: &[u8], times: &[u8], log_size: u64) -> Option<SegmentIndex> {
        if !offsets.len().is_multiple_of(OFFSET_ENTRY_LEN) || !times.len().is_multiple_of(TIME_ENTRY_LEN) {
            return None;
        }
        let u32_at = |b: &[u8], at: usize| u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]);
        let offsets: Vec<OffsetEntry> = offsets
            .chunks_exact(OFFSET_ENTRY_LEN)
            .map(|c| OffsetEntry {
                relative_offset: u32_at(c, 0),
                position: u32_at(c, 4),
            })
            .collect();
        let times: Vec<TimeEntry> = times
            .chunks_exact(TIME_ENTRY_LEN)
            .map(|c| {
                let mut ts = [0u8; 8];
                ts.copy_from_slice(&c[..8]);
                TimeEntry {
                    timestamp: i64::from_be_bytes(ts),
                    relative_offset: u32_at(c, 8),
                }
            })
            .collect();
        let first_ok = match offsets.first() {
            None => log_size == 0,
            Some(first) => first.position == 0 && log_size > 0,
        };
        let offsets_ok = offsets
            .windows(2)
            .all(|w| w[0].relative_offset < w[1].relative_offset && w[0].position < w[1].position)
            && offsets.last().is_none_or(|e| u64::from(e.position) < log_size);
        let times_ok = times
            .windows(2)
            .all(|w| w[0].timestamp < w[1].timestamp && w[0].relative_offset <= w[1].relative_offset)
            && times.iter().all(|e| e.timestamp >= 0);
        if !(first_ok && offsets_ok && times_ok) {
            return None;
        }
        let (max_timestamp, max_timestamp_batch) =
            times.last().map_or((-1, 0), |e| (e.timestamp, e.relative_offset));
        Some(SegmentIndex {
            offsets,
            times,
            bytes_since_entry: 0,
            max_timestamp,
            max_timestamp_batch,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn encode_decode_round_trip(
            batches in proptest::collection::vec((1u32..5000, 1u64..3000, -5i64..100_000), 1..200),
            interval in 0u32..20_000,
        ) {
            let mut index = SegmentIndex::default();
            let (mut offset, mut position) = (0u32, 0u32);
            for (records, len, ts) in batches {
                index.on_batch(offset, position, len, ts, interval);
                offset += records;
                position += len as u32;
            }
            index.finish();
            let decoded = SegmentIndex::decode(&index.encode_offsets(), &index.encode_times(), u64::from(position)).unwrap();
            prop_assert_eq!(&decoded.offsets, &index.offsets);
            prop_assert_eq!(&decoded.times, &index.times);
            prop_assert_eq!(decoded.max_timestamp, index.max_timestamp);
            if index.max_timestamp >= 0 {
                prop_assert_eq!(decoded.max_timestamp_batch, index.max_timestamp_batch);
            }
        }

        #[test]
        fn decode_never_panics(a in proptest::collection::vec(any::<u8>(), 0..100), b in proptest::collection::vec(any::<u8>(), 0..100), size in 0u64..1000) {
            let _ = SegmentIndex::decode(&a, &b, size);
        }
    }

    #[test]
    fn lookups() {
        let mut index = SegmentIndex::default();
        // three batches of 10 records, 100 bytes each, timestamps 5, 3, 9; index every batch.
        index.on_batch(0, 0, 100, 5, 0);
        index.on_batch(10, 100, 100, 3, 0);
        index.on_batch(20, 200, 100, 9, 0);
        assert_eq!(index.position_for(0), 0);
        assert_eq!(index.position_for(15), 100);
        assert_eq!(index.position_for(25), 200);
        assert_eq!(
            index.times,
            vec![
                TimeEntry {
                    timestamp: 5,
                    relative_offset: 0
                },
                TimeEntry {
                    timestamp: 9,
                    relative_offset: 20
                }
            ]
        );
        assert_eq!(index.batch_before_timestamp(5), 0);
        assert_eq!(index.batch_before_timestamp(6), 0);
        assert_eq!(index.batch_before_timestamp(10), 20);
    }

    #[test]
    fn unusable_indexes_are_rejected() {
        assert!(SegmentIndex::decode(&[0; 7], &[], 100).is_none());
        assert!(SegmentIndex::decode(&[0; 8], &[0; 11], 100).is_none());
        // position past the end of the log
        let mut e = Vec::new();
        e.extend_from_slice(&0u32.to_be_bytes());
        e.extend_from_slice(&0u32.to_be_bytes());
        e.extend_from_slice(&5u32.to_be_bytes());
        e.extend_from_slice(&500u32.to_be_bytes());
        assert!(SegmentIndex::decode(&e, &[], 400).is_none());
        assert!(SegmentIndex::decode(&e, &[], 600).is_some());
        // empty index for a non-empty log
        assert!(SegmentIndex::decode(&[], &[], 600).is_none());
    }
}
