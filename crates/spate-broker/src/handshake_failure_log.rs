//! Rate limit for the warnings about failed TLS handshakes and SASL logins.
//!
//! A misconfigured client (wrong CA, wrong password) is retried by librdkafka every few hundred
//! milliseconds from a fresh ephemeral port, which logged hundreds of identical lines. Each
//! client address gets at most one line per window; the failures not logged are counted and the
//! count rides on that address's next line, so nothing goes unreported for long while a client
//! keeps failing.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How long after a logged failure further ones from the same address are only counted.
pub(crate) const HANDSHAKE_FAILURE_LOG_WINDOW: Duration = Duration::from_secs(5);

/// Addresses tracked at once. Beyond it, addresses whose window is over are forgotten (with any
/// count not yet reported); if all are in their window, a new address is logged untracked, so
/// the memory stays bounded whatever the number of failing clients.
const MAX_TRACKED_ADDRESSES: usize = 4096;

#[derive(Debug)]
struct AddressWindow {
    last_logged: Instant,
    unlogged: u64,
}

#[derive(Debug)]
pub(crate) struct HandshakeFailureLog {
    window: Duration,
    addresses: Mutex<HashMap<IpAddr, AddressWindow>>,
}

impl HandshakeFailureLog {
    pub(crate) fn new(window: Duration) -> HandshakeFailureLog {
        HandshakeFailureLog {
            window,
            addresses: Mutex::new(HashMap::new()),
        }
    }

    /// Whether a failure from `address` at `now` gets a log line: `Some(n)` with `n` failures
    /// from it not logged since its previous line, `None` when it is only counted.
    pub(crate) fn admit(&self, address: IpAddr, now: Instant) -> Option<u64> {
        let mut addresses = self.addresses.lock().unwrap_or_else(PoisonError::into_inner);
        let in_window = |w: &AddressWindow| now.saturating_duration_since(w.last_logged) < self.window;
        if let Some(w) = addresses.get_mut(&address) {
            if in_window(w) {
                w.unlogged += 1;
                return None;
            }
            w.last_logged = now;
            return Some(std::mem::take(&mut w.unlogged));
        }
        if addresses.len() >= MAX_TRACKED_ADDRESSES {
            addresses.retain(|_, w| in_window(w));
        }
        if addresses.len() < MAX_TRACKED_ADDRESSES {
            addresses.insert(
                address,
                AddressWindow {
                    last_logged: now,
                    unlogged: 0,
                },
            );
        }
        Some(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, last])
    }

    #[test]
    fn one_line_per_address_per_window_with_the_count_of_the_others() {
        let log = HandshakeFailureLog::new(Duration::from_secs(5));
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        assert_eq!(log.admit(ip(1), at(0)), Some(0));
        for ms in (100..5000).step_by(100) {
            assert_eq!(log.admit(ip(1), at(ms)), None, "at {ms} ms");
        }
        assert_eq!(
            log.admit(ip(2), at(200)),
            Some(0),
            "other addresses are not held back"
        );
        assert_eq!(
            log.admit(ip(1), at(5000)),
            Some(49),
            "the count rides on the next line"
        );
        assert_eq!(log.admit(ip(1), at(5100)), None);
        assert_eq!(log.admit(ip(1), at(20_000)), Some(1));
        assert_eq!(
            log.admit(ip(1), at(25_000)),
            Some(0),
            "the count restarts after each line"
        );
    }

    #[test]
    fn a_clock_step_back_keeps_counting_instead_of_panicking() {
        let log = HandshakeFailureLog::new(Duration::from_secs(5));
        let t0 = Instant::now() + Duration::from_secs(60);
        assert_eq!(log.admit(ip(1), t0), Some(0));
        assert_eq!(log.admit(ip(1), t0 - Duration::from_secs(30)), None);
    }

    #[test]
    fn tracked_addresses_are_bounded() {
        let window = Duration::from_secs(5);
        let log = HandshakeFailureLog::new(window);
        let t0 = Instant::now();
        let address = |n: usize| IpAddr::from(std::net::Ipv6Addr::from(n as u128));
        for n in 0..MAX_TRACKED_ADDRESSES {
            assert_eq!(log.admit(address(n), t0), Some(0));
        }
        // All in their window: a newcomer is logged but not tracked, so it is logged again.
        let newcomer = address(MAX_TRACKED_ADDRESSES);
        assert_eq!(log.admit(newcomer, t0), Some(0));
        assert_eq!(log.admit(newcomer, t0), Some(0));
        assert_eq!(log.admit(address(0), t0), None, "tracked ones stay limited");
        // Once their windows are over, the old addresses make room.
        let later = t0 + window;
        assert_eq!(log.admit(newcomer, later), Some(0));
        assert_eq!(log.admit(newcomer, later), None);
        let tracked = log.addresses.lock().unwrap_or_else(PoisonError::into_inner).len();
        assert_eq!(tracked, 1);
    }
}
