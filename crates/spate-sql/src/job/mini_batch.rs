//! Flink's mini-batch for the operators of updating queries (`table.exec.mini-batch.enabled`,
//! `allow-latency`, `size`): rows are folded into a key's state as they come, but the key's
//! change is emitted once per bundle, when the bundle closes: `+I` for a key the bundle made,
//! `-U`/`+U` from the key's row at the bundle's start to its row at the end (nothing when they
//! are equal), `-D` for a key the bundle emptied. So each changed key emits one change per
//! bundle instead of one per row, as Flink's `MiniBatchGroupAggFunction` does.
//!
//! Bundles are processing time, aligned as Flink's `ProcTimeMiniBatchAssigner` aligns them: a
//! bundle ends at the next multiple of `allow-latency`. A key's row at the bundle's start is
//! kept in keyed state (so a checkpoint taken mid-bundle restores it and the bundle's change is
//! still emitted), with a processing-time timer at the bundle's end; at the end of a bounded
//! input the engine fires pending timers, which closes every open bundle.
//!
//! Where Spate differs: Flink also closes a bundle after `size` input rows, to bound the rows it
//! buffers; Spate buffers no rows (only one row per changed key), so `size` is validated and
//! has no effect — bundles close on time (and at the end of the input) only.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use spate_engine::Timestamp;

use crate::value::Row;

/// The bundle interval.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MiniBatch {
    interval_ms: i64,
}

impl MiniBatch {
    /// `None` without a positive latency (mini-batch off).
    pub(crate) fn new(latency: Option<Duration>) -> Option<Self> {
        let ms = i64::try_from(latency?.as_millis()).unwrap_or(i64::MAX);
        (ms > 0).then_some(Self { interval_ms: ms })
    }

    /// When the bundle open at `now` closes.
    pub(crate) fn deadline(&self, now: Timestamp) -> Timestamp {
        now - now.rem_euclid(self.interval_ms) + self.interval_ms
    }
}

/// A key's output as it was when its bundle opened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct BundleStart {
    /// Whether the key had a row then (otherwise `row` is empty).
    pub(crate) existed: bool,
    /// The key's output values then (without the key's columns).
    pub(crate) row: Row,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundles_end_at_multiples_of_the_latency() {
        let mb = MiniBatch::new(Some(Duration::from_secs(5))).expect("on");
        assert_eq!(mb.deadline(0), 5000);
        assert_eq!(mb.deadline(4999), 5000);
        assert_eq!(mb.deadline(5000), 10000);
        assert!(MiniBatch::new(Some(Duration::ZERO)).is_none());
        assert!(MiniBatch::new(None).is_none());
    }
}
