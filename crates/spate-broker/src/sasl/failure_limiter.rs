//! Failed PLAIN logins counted per client address and per user in fixed windows, so that a
//! guesser is refused *before* the broker derives a key from its guess.
//!
//! Kafka's PLAIN callback compares configured passwords, so a guess costs it nothing; here a
//! PLAIN password is checked against a salted SCRAM credential, one PBKDF2 per guess. The
//! failed-authentication delay alone does not bound that: a guesser opens more connections.
//! Past `failures_per_address` failures from one address, or `failures_per_user` for one user,
//! in a window, further PLAIN checks that would need a key derivation are refused at once until
//! the window ends (a password the broker has verified before still logs in: the cache of
//! verified passwords is asked first).

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Keys tracked per kind at once. Beyond it, keys whose window is over are forgotten; if all are
/// in their window, a new key goes uncounted, so memory stays bounded whatever the number of
/// addresses (the hashing slots still bound the CPU then).
const MAX_TRACKED: usize = 16_384;

/// How many failed PLAIN logins the broker takes before it stops checking guesses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlainLoginLimits {
    /// Failed logins from one client IP address per window before further ones are refused
    /// without a check; 0 = no limit.
    pub failures_per_address: u32,
    /// Failed logins as one (existing) user per window, from anywhere, before further ones are
    /// refused without a check; 0 = no limit. Guesses spread over many addresses meet this one.
    pub failures_per_user: u32,
    /// How long failures are counted; a window starts at the first failure of its key.
    pub window: Duration,
    /// Password checks (a PBKDF2 each) that run at once, broker-wide: waiting checks queue
    /// among themselves instead of taking the CPU from other clients.
    pub hashing_threads: usize,
}

impl Default for PlainLoginLimits {
    fn default() -> PlainLoginLimits {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        PlainLoginLimits {
            failures_per_address: 5,
            failures_per_user: 20,
            window: Duration::from_secs(10),
            // Half the cores at most: the other half keeps serving produce and fetch.
            hashing_threads: (cores / 2).max(1),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    failures: u32,
}

/// Failure counts of one kind of key.
#[derive(Debug)]
struct Windows<K> {
    limit: u32,
    counts: HashMap<K, Window>,
}

impl<K: Hash + Eq> Windows<K> {
    fn new(limit: u32) -> Windows<K> {
        Windows {
            limit,
            counts: HashMap::new(),
        }
    }

    fn exhausted<Q: Hash + Eq + ?Sized>(&self, key: &Q, now: Instant, window: Duration) -> bool
    where
        K: Borrow<Q>,
    {
        self.limit > 0
            && self.counts.get(key).is_some_and(|w| {
                now.saturating_duration_since(w.started) < window && w.failures >= self.limit
            })
    }

    fn record(&mut self, key: K, now: Instant, window: Duration) {
        if self.limit == 0 {
            return;
        }
        let current = |w: &Window| now.saturating_duration_since(w.started) < window;
        if let Some(w) = self.counts.get_mut(&key) {
            if current(w) {
                w.failures = w.failures.saturating_add(1);
            } else {
                *w = Window {
                    started: now,
                    failures: 1,
                };
            }
            return;
        }
        if self.counts.len() >= MAX_TRACKED {
            self.counts.retain(|_, w| current(w));
        }
        if self.counts.len() < MAX_TRACKED {
            self.counts.insert(
                key,
                Window {
                    started: now,
                    failures: 1,
                },
            );
        }
    }
}

/// Failed PLAIN logins per address and per user.
#[derive(Debug)]
pub(crate) struct FailureLimiter {
    window: Duration,
    addresses: Mutex<Windows<IpAddr>>,
    users: Mutex<Windows<String>>,
}

impl FailureLimiter {
    pub(crate) fn new(limits: &PlainLoginLimits) -> FailureLimiter {
        FailureLimiter {
            window: limits.window,
            addresses: Mutex::new(Windows::new(limits.failures_per_address)),
            users: Mutex::new(Windows::new(limits.failures_per_user)),
        }
    }

    /// Why a check of `user`'s password from `address` is refused unchecked at `now`, if it is.
    pub(crate) fn refusal(&self, address: IpAddr, user: &str, now: Instant) -> Option<String> {
        if lock(&self.addresses).exhausted(&address, now, self.window) {
            return Some(format!(
                "too many failed logins from {address}; refused unchecked"
            ));
        }
        if lock(&self.users).exhausted(user, now, self.window) {
            return Some(format!("too many failed logins as {user:?}; refused unchecked"));
        }
        None
    }

    /// Counts a failed login from `address`, and against `user` when the failure cost a key
    /// derivation (only existing users get that far, so the user keys stay few).
    pub(crate) fn record_failure(&self, address: IpAddr, user: Option<&str>, now: Instant) {
        lock(&self.addresses).record(address, now, self.window);
        if let Some(user) = user {
            lock(&self.users).record(user.to_string(), now, self.window);
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(per_address: u32, per_user: u32) -> PlainLoginLimits {
        PlainLoginLimits {
            failures_per_address: per_address,
            failures_per_user: per_user,
            window: Duration::from_secs(10),
            hashing_threads: 1,
        }
    }

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, last])
    }

    #[test]
    fn an_address_is_refused_after_its_failures_until_the_window_ends() {
        let limiter = FailureLimiter::new(&limits(3, 0));
        let t0 = Instant::now();
        for i in 0..3 {
            assert_eq!(limiter.refusal(ip(1), "alice", t0), None, "failure {i}");
            limiter.record_failure(ip(1), None, t0);
        }
        let refused = limiter.refusal(ip(1), "alice", t0 + Duration::from_secs(9));
        assert!(refused.is_some_and(|r| r.contains("10.0.0.1")));
        assert_eq!(
            limiter.refusal(ip(2), "alice", t0),
            None,
            "other addresses are not"
        );
        assert_eq!(
            limiter.refusal(ip(1), "alice", t0 + Duration::from_secs(10)),
            None
        );
        // A new window counts from zero.
        limiter.record_failure(ip(1), None, t0 + Duration::from_secs(10));
        assert_eq!(
            limiter.refusal(ip(1), "alice", t0 + Duration::from_secs(11)),
            None
        );
    }

    #[test]
    fn a_user_is_refused_after_failures_from_many_addresses() {
        let limiter = FailureLimiter::new(&limits(3, 4));
        let t0 = Instant::now();
        for last in 1..=4 {
            assert_eq!(limiter.refusal(ip(last), "alice", t0), None);
            limiter.record_failure(ip(last), Some("alice"), t0);
        }
        assert!(
            limiter
                .refusal(ip(9), "alice", t0)
                .is_some_and(|r| r.contains("alice"))
        );
        assert_eq!(limiter.refusal(ip(9), "bob", t0), None);
        // Failures that cost no key derivation do not count against the user.
        limiter.record_failure(ip(10), None, t0);
        assert_eq!(limiter.refusal(ip(10), "bob", t0), None);
    }

    #[test]
    fn zero_turns_a_limit_off() {
        let limiter = FailureLimiter::new(&limits(0, 0));
        let t0 = Instant::now();
        for _ in 0..100 {
            limiter.record_failure(ip(1), Some("alice"), t0);
        }
        assert_eq!(limiter.refusal(ip(1), "alice", t0), None);
    }

    #[test]
    fn memory_stays_bounded_by_forgetting_finished_windows() {
        let limiter = FailureLimiter::new(&limits(1, 0));
        let t0 = Instant::now();
        for n in 0..MAX_TRACKED as u32 {
            limiter.record_failure(IpAddr::from(n.to_be_bytes()), None, t0);
        }
        // Full, all in their window: a new address goes uncounted.
        limiter.record_failure(ip(1), None, t0);
        assert_eq!(limiter.refusal(ip(1), "alice", t0), None);
        assert!(
            limiter
                .refusal(IpAddr::from(7u32.to_be_bytes()), "alice", t0)
                .is_some()
        );
        // Once those windows are over, they make room.
        let later = t0 + Duration::from_secs(11);
        limiter.record_failure(ip(1), None, later);
        assert!(limiter.refusal(ip(1), "alice", later).is_some());
        assert_eq!(lock(&limiter.addresses).counts.len(), 1);
    }
}
