//! The session zone as the engine's [`WallClock`], for windows over a `TIMESTAMP_LTZ` time
//! attribute: Flink cuts them in `table.local-time-zone` (a one-day window runs from local
//! midnight to local midnight).

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use spate_engine::window::WallClock;

use crate::zone::{Overlap, SessionZone};

/// A [`SessionZone`] converting in milliseconds.
#[derive(Debug)]
struct ZoneClock(SessionZone);

impl WallClock for ZoneClock {
    fn to_local(&self, utc_ms: i64) -> i64 {
        self.0.to_local(utc_ms.saturating_mul(1000)).div_euclid(1000)
    }

    fn to_utc(&self, local_ms: i64) -> i64 {
        self.0
            .to_utc(local_ms.saturating_mul(1000), Overlap::Earlier)
            .div_euclid(1000)
    }

    fn to_utc_later(&self, local_ms: i64) -> i64 {
        self.0
            .to_utc(local_ms.saturating_mul(1000), Overlap::Later)
            .div_euclid(1000)
    }
}

/// The wall clock of `zone`, made once per zone name for the process (window assigners hold it
/// by `'static` reference, as they are copied per operator).
pub(crate) fn wall_clock(zone: SessionZone) -> &'static dyn WallClock {
    static CLOCKS: OnceLock<Mutex<HashMap<&'static str, &'static ZoneClock>>> = OnceLock::new();
    let mut clocks = CLOCKS
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    *clocks
        .entry(zone.name())
        .or_insert_with(|| Box::leak(Box::new(ZoneClock(zone))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_in_milliseconds() {
        let la = wall_clock(SessionZone::parse("America/Los_Angeles").unwrap_or_default());
        // 2026-11-01 01:30 local is 08:30 UTC (PDT, the earlier instant) and back.
        let local = 1_793_496_600_000; // 2026-11-01 01:30:00 as a zone-less time
        assert_eq!(la.to_utc(local), 1_793_521_800_000);
        assert_eq!(la.to_local(1_793_521_800_000), local);
        assert!(std::ptr::addr_eq(
            la,
            wall_clock(SessionZone::parse("America/Los_Angeles").unwrap_or_default())
        ));
    }
}
