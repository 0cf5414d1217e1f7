//! The processing-time clock: one definition of "now in milliseconds" for the runtime, the
//! checkpoint coordinator and connectors, so they all agree on what processing time is.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::record::Timestamp;

/// Processing time: milliseconds since the Unix epoch (0 if the system clock is before it).
pub fn now_millis() -> Timestamp {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
