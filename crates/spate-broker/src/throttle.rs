//! A connection's quota throttle (KIP-219): handlers that find the client over its quota mute
//! the connection for the throttle time, and the connection reads no further request until it
//! ends, as Kafka mutes a throttled channel. A handler may mute after it returned (a long-poll
//! fetch decides when it answers), so the deadline is shared and only ever moves later.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

#[derive(Debug)]
pub(crate) struct Throttle {
    /// When the connection started, the origin of `muted_until_ms`.
    origin: Instant,
    /// Milliseconds after `origin` until which the connection is muted (0: never muted).
    muted_until_ms: AtomicU64,
}

impl Throttle {
    pub(crate) fn new() -> Throttle {
        Throttle {
            origin: Instant::now(),
            muted_until_ms: AtomicU64::new(0),
        }
    }

    /// Mutes the connection for `ms` from now (a later deadline already set stays).
    pub(crate) fn mute_for(&self, ms: u64) {
        if ms == 0 {
            return;
        }
        let until = self.origin.elapsed().as_millis() as u64 + ms;
        self.muted_until_ms.fetch_max(until, Ordering::Relaxed);
    }

    /// The end of the mute, if it is still ahead.
    pub(crate) fn muted_until(&self) -> Option<Instant> {
        let until = self.muted_until_ms.load(Ordering::Relaxed);
        if until == 0 {
            return None;
        }
        let deadline = self.origin + Duration::from_millis(until);
        (deadline > Instant::now()).then_some(deadline)
    }
}
