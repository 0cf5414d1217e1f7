//! A rate (of bytes, or of request time) measured as Kafka's quota sensors measure it (`Rate`
//! over a `SampledStat`), so throttling matches what operators know from Kafka: `samples`
//! windows of `window_ms` each
//! (`quota.window.num`, `quota.window.size.seconds`); the rate is the sum of the live samples
//! over the time since the oldest began, plus the whole windows it falls short of `samples - 1`
//! (so a new client is not measured over a few milliseconds); a sample older than all the
//! windows together is dropped.
//!
//! The throttle time is how long the client must stay silent for the rate to fall back to the
//! quota: `(rate - quota) / quota * window`, Kafka's `QuotaUtils.throttleTime`.

/// Kafka's `quota.window.num` and `quota.window.size.seconds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaWindow {
    pub samples: u32,
    pub window_ms: i64,
}

impl Default for QuotaWindow {
    fn default() -> Self {
        QuotaWindow {
            samples: 11,
            window_ms: 1000,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Sample {
    start_ms: i64,
    value: f64,
}

/// One client's (or one quota entity's) measured rate.
#[derive(Debug)]
pub struct SampledRate {
    window: QuotaWindow,
    samples: Vec<Sample>,
    current: usize,
    /// When the last value was recorded, to drop rates nobody uses.
    pub(crate) last_record_ms: i64,
}

impl SampledRate {
    pub fn new(window: QuotaWindow) -> SampledRate {
        SampledRate {
            window: QuotaWindow {
                samples: window.samples.max(2),
                window_ms: window.window_ms.max(1),
            },
            samples: Vec::new(),
            current: 0,
            last_record_ms: i64::MIN,
        }
    }

    /// Adds `value` (negative to take back what was recorded, as a throttled fetch does) at
    /// `now_ms`.
    pub fn record(&mut self, value: f64, now_ms: i64) {
        self.last_record_ms = now_ms;
        let window_ms = self.window.window_ms;
        let complete = self
            .samples
            .get(self.current)
            .is_none_or(|s| now_ms - s.start_ms >= window_ms);
        if complete {
            self.advance(now_ms);
        }
        if let Some(s) = self.samples.get_mut(self.current) {
            s.value += value;
        }
    }

    fn advance(&mut self, now_ms: i64) {
        let fresh = Sample {
            start_ms: now_ms,
            value: 0.0,
        };
        if self.samples.is_empty() {
            self.samples.push(fresh);
            self.current = 0;
            return;
        }
        self.current = (self.current + 1) % self.window.samples as usize;
        match self.samples.get_mut(self.current) {
            Some(s) => *s = fresh,
            None => self.samples.push(fresh),
        }
    }

    /// Resets samples that ended more than every window together ago (Kafka's purge).
    fn purge(&mut self, now_ms: i64) {
        let horizon = i64::from(self.window.samples).saturating_mul(self.window.window_ms);
        for s in &mut self.samples {
            if now_ms - s.start_ms >= horizon {
                *s = Sample {
                    start_ms: now_ms,
                    value: 0.0,
                };
            }
        }
    }

    /// The time the rate is measured over, in ms (at least `samples - 1` windows).
    fn elapsed_ms(&mut self, now_ms: i64) -> i64 {
        self.purge(now_ms);
        let oldest = self.samples.iter().map(|s| s.start_ms).min().unwrap_or(now_ms);
        let window_ms = self.window.window_ms;
        let mut elapsed = now_ms - oldest;
        let full = elapsed / window_ms;
        let min_full = i64::from(self.window.samples) - 1;
        if full < min_full {
            elapsed = elapsed.saturating_add((min_full - full).saturating_mul(window_ms));
        }
        elapsed.max(1)
    }

    /// Units per second now.
    pub fn rate(&mut self, now_ms: i64) -> f64 {
        let elapsed = self.elapsed_ms(now_ms);
        let total: f64 = self.samples.iter().map(|s| s.value).sum();
        total * 1000.0 / elapsed as f64
    }

    /// Records `value` and returns how long the client must be throttled for its rate to fall
    /// back to `quota` per second (0 when within it).
    pub fn record_and_throttle_ms(&mut self, value: f64, quota: f64, now_ms: i64) -> u64 {
        self.record(value, now_ms);
        self.throttle_ms(quota, now_ms)
    }

    /// How long the client must be throttled for its rate to fall back to `quota` per second
    /// (0 when within it).
    pub fn throttle_ms(&mut self, quota: f64, now_ms: i64) -> u64 {
        let rate = self.rate(now_ms);
        if rate <= quota {
            return 0;
        }
        let elapsed = self.elapsed_ms(now_ms) as f64;
        ((rate - quota) / quota * elapsed).round() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_client_is_measured_over_the_whole_window() {
        let mut r = SampledRate::new(QuotaWindow::default());
        // 10 windows of 1 s at least: 10 000 bytes at once are 1 000 B/s.
        assert_eq!(r.record_and_throttle_ms(10_000.0, 1_000.0, 0), 0);
        assert!((r.rate(0) - 1_000.0).abs() < 1e-9);
        // 20 000 over 10 s = 2 000 B/s against 1 000: one window's worth of excess, 10 s.
        assert_eq!(r.record_and_throttle_ms(10_000.0, 1_000.0, 0), 10_000);
    }

    #[test]
    fn old_samples_fall_out_and_unrecording_takes_back() {
        let w = QuotaWindow {
            samples: 3,
            window_ms: 100,
        };
        let mut r = SampledRate::new(w);
        r.record(600.0, 0);
        // 50 ms elapsed, padded with the 2 missing whole windows: 600 over 250 ms.
        assert!((r.rate(50) - 2_400.0).abs() < 1e-9);
        r.record(-600.0, 50);
        assert_eq!(r.rate(50), 0.0);
        r.record(300.0, 120);
        r.record(300.0, 250);
        // Samples from 0, 120, 250: 600 over 270 ms.
        assert!((r.rate(270) - 600.0 * 1000.0 / 270.0).abs() < 1e-6);
        // At 400 the sample of 0 is older than 3 windows: only 300 (from 250) is left, but the
        // purged slot restarts at 400 and the one of 120 is still live.
        let rate = r.rate(400);
        assert!(rate > 0.0 && rate < 3_000.0, "{rate}");
        assert_eq!(r.rate(10_000), 0.0);
    }
}
