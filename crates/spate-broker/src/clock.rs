//! The broker's wall clock, in the unit Kafka's protocol uses.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// Milliseconds since the Unix epoch (0 if the system clock is before it).
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Where a component that records times in its durable state reads them, so that tests can
/// move time by days without waiting.
#[derive(Debug, Clone, Default)]
pub(crate) enum Clock {
    /// [`now_ms`].
    #[default]
    System,
    /// Whatever the shared value says; tests set it.
    #[cfg_attr(not(test), allow(dead_code))]
    Manual(Arc<AtomicI64>),
}

impl Clock {
    pub(crate) fn now_ms(&self) -> i64 {
        match self {
            Clock::System => now_ms(),
            Clock::Manual(ms) => ms.load(Ordering::Relaxed),
        }
    }

    /// A clock at `start_ms` and the handle that moves it.
    #[cfg(test)]
    pub(crate) fn manual(start_ms: i64) -> (Clock, Arc<AtomicI64>) {
        let ms = Arc::new(AtomicI64::new(start_ms));
        (Clock::Manual(ms.clone()), ms)
    }
}
