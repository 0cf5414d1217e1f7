//! The log cleaner's settings, its I/O throttle, and the store-wide pass the broker's cleaner
//! threads run. The cleaning of one partition is [`crate::Partition::clean`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::{LogStore, Result};

/// Broker-wide cleaner settings (Kafka's `log.cleaner.*`).
#[derive(Debug, Clone, PartialEq)]
pub struct CleanerSettings {
    /// `log.cleaner.dedupe.buffer.size`: memory for the key → offset map of one pass. A pass
    /// maps whole dirty segments until the map is full and cleans up to there.
    pub dedupe_buffer_bytes: usize,
}

impl Default for CleanerSettings {
    fn default() -> Self {
        CleanerSettings {
            dedupe_buffer_bytes: 128 << 20,
        }
    }
}

/// Bytes of map memory one key costs (a 16-byte digest, an 8-byte offset, hash table slack).
pub(crate) const MAP_BYTES_PER_KEY: usize = 48;

/// A token bucket on the cleaner's reads and writes (`log.cleaner.io.max.bytes.per.second`),
/// shared by every cleaner thread, so compaction cannot take the disk from producers.
#[derive(Debug)]
pub struct Throttle {
    /// Bytes per second; `None` = unlimited.
    rate: Option<f64>,
    /// Tokens (bytes) available and when they were last refilled.
    bucket: Mutex<(f64, Instant)>,
    /// Set by [`Throttle::stop`]: passes using this throttle give up at their next batch.
    stopped: AtomicBool,
}

impl Throttle {
    /// A throttle at `bytes_per_second` (infinite or non-positive = unlimited, as Kafka's
    /// default `Double.MAX_VALUE` is in effect).
    pub fn new(bytes_per_second: f64) -> Throttle {
        let rate = (bytes_per_second.is_finite() && bytes_per_second > 0.0).then_some(bytes_per_second);
        Throttle {
            rate,
            bucket: Mutex::new((0.0, Instant::now())),
            stopped: AtomicBool::new(false),
        }
    }

    /// Makes every pass using this throttle stop at its next batch (leaving the log as it was
    /// before the group it was cleaning), and [`Self::acquire`] return at once.
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::Release);
    }

    /// Whether [`Self::stop`] was called.
    pub fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::Acquire)
    }

    /// Takes `bytes` from the bucket, sleeping while it is in debt. At most a tenth of a second
    /// of tokens accumulates while the cleaner is idle, so a pass starts at the set rate rather
    /// than with a burst.
    pub fn acquire(&self, bytes: u64) {
        let Some(rate) = self.rate.filter(|_| !self.is_stopped()) else {
            return;
        };
        let wait = {
            let mut bucket = self.bucket.lock().unwrap_or_else(PoisonError::into_inner);
            let now = Instant::now();
            let burst = (rate / 10.0).max(64.0 * 1024.0);
            let refilled = bucket.0 + now.duration_since(bucket.1).as_secs_f64() * rate;
            bucket.0 = refilled.min(burst) - bytes as f64;
            bucket.1 = now;
            (bucket.0 < 0.0).then(|| Duration::from_secs_f64(-bucket.0 / rate))
        };
        if let Some(wait) = wait {
            std::thread::sleep(wait);
        }
    }
}

/// What one partition's cleaning did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CleanOutcome {
    /// Offsets `[first_dirty, cleaned_end)` were mapped; everything below `cleaned_end` was
    /// rewritten.
    pub first_dirty: i64,
    pub cleaned_end: i64,
    pub segments_before: usize,
    pub segments_after: usize,
    pub bytes_before: u64,
    pub bytes_after: u64,
    pub bytes_read: u64,
    pub records_removed: u64,
}

impl LogStore {
    /// One cleaner pass: every partition of a compacted topic whose index modulo `shards` is
    /// `shard` is cleaned if it is due (dirty ratio or `max.compaction.lag.ms`). Partitions are
    /// visited even when one fails; the first error is returned with what was cleaned.
    pub fn clean_due(
        &self,
        now_ms: i64,
        settings: &CleanerSettings,
        throttle: &Throttle,
        shard: usize,
        shards: usize,
    ) -> (Vec<(String, i32, CleanOutcome)>, Result<()>) {
        let mut done = Vec::new();
        let mut first_error = None;
        let mut n = 0usize;
        for topic in self.topics() {
            if !topic.config.cleanup_compact {
                continue;
            }
            for (index, partition) in topic.partitions.iter().enumerate() {
                n += 1;
                if (n - 1) % shards.max(1) != shard {
                    continue;
                }
                match partition.clean(now_ms, settings, throttle, false) {
                    Ok(Some(outcome)) => done.push((topic.name.clone(), index as i32, outcome)),
                    Ok(None) => {}
                    // A pass given up for a shutdown is no failure: the old segments stay.
                    Err(e) if throttle.is_stopped() => {
                        tracing::debug!(topic = %topic.name, partition = index, %e, "log cleaning stopped");
                        first_error.get_or_insert(e);
                    }
                    Err(e) => {
                        tracing::error!(topic = %topic.name, partition = index, %e, "log cleaning failed");
                        first_error.get_or_insert(e);
                    }
                }
            }
        }
        (done, first_error.map_or(Ok(()), Err))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttle_holds_the_rate() {
        let t = Throttle::new(10.0 * 1024.0 * 1024.0);
        let start = Instant::now();
        for _ in 0..30 {
            t.acquire(100 * 1024);
        }
        // 3 MiB at 10 MiB/s: about 0.3 s minus the first burst of 1 MiB.
        let took = start.elapsed();
        assert!(took >= Duration::from_millis(150), "{took:?}");
        assert!(took < Duration::from_secs(2), "{took:?}");
        let free = Throttle::new(f64::INFINITY);
        let start = Instant::now();
        free.acquire(u64::MAX);
        assert!(start.elapsed() < Duration::from_millis(50));
    }
}
