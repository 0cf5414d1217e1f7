//! `upsert-kafka`'s `sink.buffer-flush.max-rows` / `sink.buffer-flush.interval`: Flink's
//! `ReducingUpsertWriter`. Records wait in a buffer that keeps the last one per key (a row for
//! `+I`/`+U`, a tombstone for `-U`/`-D`, with its timestamp), and the buffer is written when
//! it holds `max-rows` keys, when `interval` has passed since the last write, before every
//! checkpoint barrier and at the end of input. A key's intermediate changes never reach the
//! topic, which is the point: a compacted topic needs only the last.
//!
//! Within one write the records keep the order in which their keys first entered the buffer
//! (Flink writes them in `HashMap` order, which changes from run to run; nothing in a write
//! depends on another key's place).

use std::collections::HashMap;
use std::time::Duration;

use spate_engine::{Record, Timestamp};

use super::opts::Options;
use crate::error::SqlError;

/// When a buffer is written: both limits are set (Flink enables buffering only with both).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BufferFlush {
    /// Distinct keys that make the buffer full.
    pub(crate) max_rows: usize,
    /// Longest time between two writes of the buffer, in milliseconds.
    pub(crate) interval_ms: i64,
}

impl BufferFlush {
    /// The table's buffer options as Flink's `UpsertKafkaDynamicTableFactory` validates them:
    /// `None` when both are unset or zero.
    pub(crate) fn of(options: Options<'_>) -> Result<Option<Self>, SqlError> {
        const MAX_ROWS: &str = "sink.buffer-flush.max-rows";
        const INTERVAL: &str = "sink.buffer-flush.interval";
        let max_rows = options.i64(MAX_ROWS)?.unwrap_or(0);
        let interval = options.duration(INTERVAL)?.unwrap_or(Duration::ZERO);
        let interval_ms = i64::try_from(interval.as_millis()).unwrap_or(i64::MAX);
        if max_rows > 0 && interval_ms > 0 {
            return Ok(Some(Self {
                max_rows: usize::try_from(max_rows).unwrap_or(usize::MAX),
                interval_ms,
            }));
        }
        if max_rows > 0 || interval_ms > 0 {
            return Err(options.error(format!(
                "'{MAX_ROWS}' and '{INTERVAL}' must be set to be greater than zero together to enable sink buffer flushing."
            )));
        }
        if max_rows == 0 {
            return Ok(None);
        }
        // A negative row count with no interval: Flink's `SinkBufferFlushMode` counts it as
        // enabled and refuses it.
        Err(options.invalid(
            MAX_ROWS,
            format!(
                "batchSize and batchInterval must greater than zero if buffer flush is enabled, but got batchSize={max_rows} and batchIntervalMs={interval_ms}"
            ),
        ))
    }
}

/// The last record of each key since the buffer was last written.
#[derive(Debug, Clone)]
pub(crate) struct UpsertBuffer<T> {
    limits: BufferFlush,
    /// Each buffered key's place in `records`.
    places: HashMap<Vec<u8>, usize>,
    records: Vec<Record<T>>,
    /// When the buffer was last written (ms since the epoch; `None` before the first tick).
    last_flush: Option<Timestamp>,
}

impl<T> UpsertBuffer<T> {
    pub(crate) fn new(limits: BufferFlush) -> Self {
        Self {
            limits,
            places: HashMap::new(),
            records: Vec::new(),
            last_flush: None,
        }
    }

    /// Keeps `record` as the latest of its key (`key_of`); `true` when the buffer now holds
    /// `max-rows` keys and is to be written. A key is copied only when it is new.
    pub(crate) fn put(&mut self, record: Record<T>, key_of: impl Fn(&T) -> &[u8]) -> bool {
        match self.places.get(key_of(&record.value)).copied() {
            Some(at) => self.records[at] = record,
            None => {
                self.places
                    .insert(key_of(&record.value).to_vec(), self.records.len());
                self.records.push(record);
            }
        }
        self.records.len() >= self.limits.max_rows
    }

    /// Whether the interval has passed since the last write at `now` (the first call starts
    /// the clock, as Flink's writer starts it when it is created).
    pub(crate) fn due(&mut self, now: Timestamp) -> bool {
        match self.last_flush {
            None => {
                self.last_flush = Some(now);
                false
            }
            Some(last) => now >= last.saturating_add(self.limits.interval_ms),
        }
    }

    /// Moves the buffered records into `out` (in the order their keys first came) and starts
    /// the interval again at `now`.
    pub(crate) fn drain_into(&mut self, out: &mut Vec<Record<T>>, now: Timestamp) {
        out.append(&mut self.records);
        self.places.clear();
        self.last_flush = Some(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Kv = (&'static str, &'static str);

    fn buffer(max_rows: usize) -> UpsertBuffer<Kv> {
        UpsertBuffer::new(BufferFlush {
            max_rows,
            interval_ms: 1000,
        })
    }

    fn put(b: &mut UpsertBuffer<Kv>, timestamp: i64, key: &'static str, value: &'static str) -> bool {
        b.put(Record::new(timestamp, (key, value)), |kv| kv.0.as_bytes())
    }

    fn values(records: &[Record<Kv>]) -> Vec<&'static str> {
        records.iter().map(|r| r.value.1).collect()
    }

    #[test]
    fn the_last_record_of_a_key_wins_and_keys_keep_their_first_place() {
        let mut b = buffer(10);
        assert!(!put(&mut b, 1, "1", "k1=1"));
        assert!(!put(&mut b, 2, "2", "k2=5"));
        assert!(!put(&mut b, 3, "1", "k1=tombstone"));
        assert!(!put(&mut b, 4, "1", "k1=16"));
        let mut out = Vec::new();
        b.drain_into(&mut out, 10);
        assert_eq!(values(&out), ["k1=16", "k2=5"]);
        assert_eq!(out[0].timestamp, 4);
        out.clear();
        b.drain_into(&mut out, 11);
        assert!(out.is_empty());
    }

    /// Flink's run with `max-rows` 2 over `1,1 1,2 2,5 1,3 2,7 3,4 1,10` (a SUM per key):
    /// updates of a key already buffered never fill the buffer; the second key does.
    #[test]
    fn the_buffer_is_full_at_max_rows_distinct_keys() {
        let mut b = buffer(2);
        let mut written = Vec::new();
        let mut out = Vec::new();
        let changes = [
            ("1", "1:1"),
            ("1", "1:3"),
            ("2", "2:5"),
            ("1", "1:6"),
            ("2", "2:12"),
            ("3", "3:4"),
            ("1", "1:16"),
        ];
        for (k, v) in changes {
            if put(&mut b, 0, k, v) {
                b.drain_into(&mut out, 0);
                written.extend(values(&out));
                out.clear();
            }
        }
        assert_eq!(written, ["1:3", "2:5", "1:6", "2:12", "3:4", "1:16"]);
    }

    #[test]
    fn the_interval_counts_from_the_last_write_of_any_kind() {
        let mut b = buffer(10);
        assert!(!b.due(1_000), "the first tick starts the clock");
        assert!(!b.due(1_999));
        assert!(b.due(2_000));
        put(&mut b, 0, "1", "x");
        let mut out = Vec::new();
        b.drain_into(&mut out, 2_500);
        assert!(!b.due(3_000));
        assert!(b.due(3_500));
    }
}
