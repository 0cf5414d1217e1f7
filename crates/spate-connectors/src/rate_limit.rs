//! Rows-per-second throttling for generator sources (Flink datagen's `rows-per-second`).

use std::time::Instant;

/// Lets through at most `rate` records per second on average, measured from the first request.
/// A source asks how many records it may emit now and returns `Pending` when the answer is 0,
/// so the task is never blocked inside `poll`.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    rate: u64,
    started: Option<Instant>,
    granted: u64,
}

impl RateLimiter {
    /// A limiter for `rate` records per second (`0` means no records at all; use `None` on the
    /// source for "unlimited").
    pub fn new(rate: u64) -> Self {
        Self {
            rate,
            started: None,
            granted: 0,
        }
    }

    /// The share of `total_rate` of subtask `subtask` of `parallelism` (the remainder goes to the
    /// first subtasks so the shares add up to `total_rate`).
    pub fn share(total_rate: u64, subtask: usize, parallelism: usize) -> u64 {
        let p = parallelism.max(1) as u64;
        total_rate / p + u64::from((subtask as u64) < total_rate % p)
    }

    /// How many of `wanted` records may be emitted now; counts them as emitted.
    pub fn acquire(&mut self, wanted: usize) -> usize {
        let started = *self.started.get_or_insert_with(Instant::now);
        self.acquire_at(wanted, started.elapsed().as_micros())
    }

    fn acquire_at(&mut self, wanted: usize, elapsed_micros: u128) -> usize {
        // Allow one record immediately so a slow rate still starts at once.
        let allowed = (elapsed_micros * u128::from(self.rate) / 1_000_000) as u64 + u64::from(self.rate > 0);
        let n = allowed.saturating_sub(self.granted).min(wanted as u64);
        self.granted += n;
        n as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_follow_elapsed_time() {
        let mut r = RateLimiter::new(100);
        assert_eq!(r.acquire_at(1000, 0), 1);
        assert_eq!(r.acquire_at(1000, 0), 0);
        assert_eq!(r.acquire_at(1000, 500_000), 50);
        assert_eq!(r.acquire_at(10, 1_000_000), 10);
        assert_eq!(
            r.acquire_at(1000, 1_000_000),
            40,
            "101 allowed after 1 s, 61 granted"
        );
        assert_eq!(RateLimiter::new(0).acquire_at(5, 10_000_000), 0);
    }

    #[test]
    fn shares_add_up() {
        for p in 1..9 {
            let total: u64 = (0..p).map(|s| RateLimiter::share(1003, s, p)).sum();
            assert_eq!(total, 1003);
        }
    }
}
