//! Timestamp assignment and watermark generation.
//!
//! A [`WatermarkStrategy`] is applied at a source. Each source *split* (a partition, a file, a
//! range of a sequence) keeps its own watermark generator; the source subtask's watermark is the
//! minimum over its non-idle splits, emitted at most once per batch (or, with
//! [`WatermarkStrategy::with_emit_interval`], at most once per interval of processing time, and
//! always before a checkpoint barrier) and only when it advances (watermarks are monotonic per
//! split and per subtask). A split that has produced nothing for
//! the idle timeout is marked idle and no longer holds the watermark back; when every split of a
//! subtask is idle the subtask announces itself idle downstream.

use std::time::Duration;

use crate::record::{MIN_WATERMARK, Timestamp};

/// Extracts the event timestamp of an element. Called once per record on the source's hot path,
/// so it is a generic (inlined) parameter, not a trait object.
pub trait TimestampAssigner<T>: Clone + Send + 'static {
    /// The event time of `value`; `record_timestamp` is what the source attached (or
    /// [`crate::NO_TIMESTAMP`]).
    fn extract(&mut self, value: &T, record_timestamp: Timestamp) -> Timestamp;
}

/// Keeps the timestamps that the source attached to its records.
#[derive(Debug, Clone, Copy, Default)]
pub struct SourceTimestamps;

impl<T> TimestampAssigner<T> for SourceTimestamps {
    #[inline]
    fn extract(&mut self, _: &T, record_timestamp: Timestamp) -> Timestamp {
        record_timestamp
    }
}

/// A closure `Fn(&T, source_timestamp) -> Timestamp` as an assigner.
#[derive(Debug, Clone, Copy)]
pub struct FnAssigner<F>(pub F);

impl<T, F> TimestampAssigner<T> for FnAssigner<F>
where
    F: FnMut(&T, Timestamp) -> Timestamp + Clone + Send + 'static,
{
    #[inline]
    fn extract(&mut self, value: &T, record_timestamp: Timestamp) -> Timestamp {
        (self.0)(value, record_timestamp)
    }
}

/// How watermarks follow the timestamps seen on a split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatermarkGeneration {
    /// No watermarks (processing-time jobs); only the final watermark of a bounded source.
    None,
    /// Watermark = max timestamp seen - bound - 1: records up to `bound` ms out of order are on time.
    BoundedOutOfOrderness(Duration),
    /// Watermark = max timestamp seen - delay, without the `- 1`: Flink SQL's `WATERMARK FOR
    /// ts AS ts - INTERVAL ..` (the watermark is the expression's value over the largest `ts`).
    Trailing(Duration),
}

/// Timestamp assigner + watermark generation + idleness: what a source needs for event time.
#[derive(Debug, Clone)]
pub struct WatermarkStrategy<A = SourceTimestamps> {
    pub(crate) generation: WatermarkGeneration,
    pub(crate) assigner: A,
    pub(crate) idle_timeout: Option<Duration>,
    pub(crate) emit_interval: Duration,
}

impl WatermarkStrategy<SourceTimestamps> {
    /// Watermarks trail the largest timestamp by `bound`.
    pub fn bounded_out_of_orderness(bound: Duration) -> Self {
        Self {
            generation: WatermarkGeneration::BoundedOutOfOrderness(bound),
            assigner: SourceTimestamps,
            idle_timeout: None,
            emit_interval: Duration::ZERO,
        }
    }

    /// Watermarks equal the largest timestamp minus `delay` (Flink SQL's watermark
    /// expressions; `bounded_out_of_orderness` trails by one millisecond more, as Flink's
    /// DataStream API does).
    pub fn trailing(delay: Duration) -> Self {
        Self {
            generation: WatermarkGeneration::Trailing(delay),
            assigner: SourceTimestamps,
            idle_timeout: None,
            emit_interval: Duration::ZERO,
        }
    }

    /// Timestamps only ever increase per split: the watermark is the largest timestamp - 1.
    pub fn monotonic() -> Self {
        Self::bounded_out_of_orderness(Duration::ZERO)
    }

    /// No event time (the default of a source added without a strategy).
    pub fn no_watermarks() -> Self {
        Self {
            generation: WatermarkGeneration::None,
            assigner: SourceTimestamps,
            idle_timeout: None,
            emit_interval: Duration::ZERO,
        }
    }
}

impl<A> WatermarkStrategy<A> {
    /// Uses `f(value, source_timestamp)` as the event time.
    pub fn with_timestamp_assigner<F>(self, f: F) -> WatermarkStrategy<FnAssigner<F>> {
        WatermarkStrategy {
            generation: self.generation,
            assigner: FnAssigner(f),
            idle_timeout: self.idle_timeout,
            emit_interval: self.emit_interval,
        }
    }

    /// Marks a split idle after `timeout` without records.
    pub fn with_idleness(mut self, timeout: Duration) -> Self {
        self.idle_timeout = Some(timeout);
        self
    }

    /// Emits the watermark at most once per `interval` of processing time, the first time one
    /// interval after the first batch (Flink's `pipeline.auto-watermark-interval`, whose
    /// default is 200 ms). Zero, the default here, emits after every batch: the lowest latency,
    /// but with a watermark equal to the largest timestamp (`Trailing` without delay) a record
    /// that shares that timestamp and comes in a later batch is late, which periodic emission
    /// makes as rare as it is on Flink.
    pub fn with_emit_interval(mut self, interval: Duration) -> Self {
        self.emit_interval = interval;
        self
    }
}

#[derive(Debug, Clone, Copy)]
struct SplitState {
    max_timestamp: Timestamp,
    last_active: Timestamp,
    idle: bool,
}

/// Per-split watermark bookkeeping of one source subtask.
#[derive(Debug)]
pub(crate) struct SplitWatermarks {
    generation: WatermarkGeneration,
    idle_timeout_ms: Option<i64>,
    splits: Vec<SplitState>,
    emitted: Timestamp,
    idle: bool,
    emit_interval_ms: i64,
    /// When the current emission period began (`None` before the first batch).
    period_start: Option<Timestamp>,
}

impl SplitWatermarks {
    pub(crate) fn new(generation: WatermarkGeneration, idle_timeout: Option<Duration>) -> Self {
        Self {
            generation,
            idle_timeout_ms: idle_timeout.map(|d| d.as_millis() as i64),
            splits: Vec::new(),
            emitted: MIN_WATERMARK,
            idle: false,
            emit_interval_ms: 0,
            period_start: None,
        }
    }

    /// See [`WatermarkStrategy::with_emit_interval`].
    pub(crate) fn with_emit_interval(mut self, interval: Duration) -> Self {
        self.emit_interval_ms = i64::try_from(interval.as_millis()).unwrap_or(i64::MAX);
        self
    }

    /// Whether a watermark may go out at `now` (starting the next period if so).
    fn may_emit(&mut self, now: Timestamp) -> bool {
        if self.emit_interval_ms == 0 {
            return true;
        }
        match self.period_start {
            Some(start) if now.saturating_sub(start) >= self.emit_interval_ms => {
                self.period_start = Some(now);
                true
            }
            Some(_) => false,
            None => {
                self.period_start = Some(now);
                false
            }
        }
    }

    /// Declares the splits a subtask reads (splits seen later are added on first use).
    pub(crate) fn ensure_splits(&mut self, n: usize, now: Timestamp) {
        while self.splits.len() < n {
            self.splits.push(SplitState {
                max_timestamp: MIN_WATERMARK,
                last_active: now,
                idle: false,
            });
        }
    }

    /// A batch from `split` whose largest timestamp is `max_timestamp`.
    pub(crate) fn on_batch(&mut self, split: usize, max_timestamp: Timestamp, now: Timestamp) {
        self.ensure_splits(split + 1, now);
        let s = &mut self.splits[split];
        s.max_timestamp = s.max_timestamp.max(max_timestamp);
        s.last_active = now;
        s.idle = false;
    }

    /// Re-evaluates idleness at `now`; returns (new watermark, new idle status) if they changed.
    pub(crate) fn advance(&mut self, now: Timestamp) -> (Option<Timestamp>, Option<bool>) {
        if let Some(timeout) = self.idle_timeout_ms {
            for s in &mut self.splits {
                if !s.idle && now.saturating_sub(s.last_active) >= timeout {
                    s.idle = true;
                }
            }
        }
        let idle_now = !self.splits.is_empty() && self.min_active().is_none();
        let idle_change = (idle_now != self.idle).then(|| {
            self.idle = idle_now;
            idle_now
        });
        match self.due() {
            Some(wm) if self.may_emit(now) => {
                self.emitted = wm;
                (Some(wm), idle_change)
            }
            _ => (None, idle_change),
        }
    }

    /// The watermark the records so far allow, if ahead of the last one emitted, whatever the
    /// emit interval. A source emits it before a checkpoint barrier: the barrier's position
    /// covers those records, and a restored source does not remember their timestamps, so a
    /// watermark held back past the barrier would never come (windows they complete would
    /// not fire after a restore until newer records arrive).
    pub(crate) fn flush(&mut self) -> Option<Timestamp> {
        let wm = self.due()?;
        self.emitted = wm;
        Some(wm)
    }

    /// The smallest largest-timestamp of the active splits.
    fn min_active(&self) -> Option<Timestamp> {
        self.splits
            .iter()
            .filter(|s| !s.idle)
            .map(|s| s.max_timestamp)
            .min()
    }

    /// The watermark of the active splits' timestamps, when it is ahead of the emitted one.
    fn due(&self) -> Option<Timestamp> {
        let (bound, extra) = match self.generation {
            WatermarkGeneration::None => return None,
            WatermarkGeneration::BoundedOutOfOrderness(b) => (b.as_millis() as i64, 1),
            WatermarkGeneration::Trailing(d) => (d.as_millis() as i64, 0),
        };
        let min_ts = self.min_active().filter(|t| *t != MIN_WATERMARK)?;
        let wm = min_ts.saturating_sub(bound).saturating_sub(extra);
        (wm > self.emitted).then_some(wm)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_out_of_orderness_trails_max() {
        let mut w = SplitWatermarks::new(
            WatermarkGeneration::BoundedOutOfOrderness(Duration::from_millis(10)),
            None,
        );
        w.on_batch(0, 100, 0);
        assert_eq!(w.advance(0).0, Some(89));
        w.on_batch(0, 50, 0);
        assert_eq!(w.advance(0).0, None, "never regresses");
    }

    #[test]
    fn flush_emits_a_held_back_watermark_once() {
        let mut w = SplitWatermarks::new(WatermarkGeneration::Trailing(Duration::ZERO), None)
            .with_emit_interval(Duration::from_millis(200));
        w.on_batch(0, 100, 1000);
        assert_eq!(w.advance(1000).0, None, "held back by the interval");
        assert_eq!(w.flush(), Some(100));
        assert_eq!(w.flush(), None, "already emitted");
        w.on_batch(0, 90, 1100);
        assert_eq!(w.flush(), None, "never regresses");
        w.on_batch(0, 150, 1300);
        assert_eq!(w.advance(1300).0, Some(150));
        assert_eq!(w.flush(), None);
    }

    #[test]
    fn emit_interval_holds_the_watermark_until_a_period_has_passed() {
        let mut w = SplitWatermarks::new(WatermarkGeneration::Trailing(Duration::ZERO), None)
            .with_emit_interval(Duration::from_millis(200));
        w.on_batch(0, 100, 1000);
        assert_eq!(
            w.advance(1000).0,
            None,
            "the first period starts with the first batch"
        );
        w.on_batch(0, 150, 1100);
        assert_eq!(w.advance(1100).0, None);
        assert_eq!(
            w.advance(1200).0,
            Some(150),
            "one period later, without a new batch"
        );
        w.on_batch(0, 180, 1250);
        assert_eq!(w.advance(1250).0, None);
        assert_eq!(w.advance(1400).0, Some(180));
        let mut every_batch = SplitWatermarks::new(WatermarkGeneration::Trailing(Duration::ZERO), None);
        every_batch.on_batch(0, 100, 1000);
        assert_eq!(every_batch.advance(1000).0, Some(100));
    }

    #[test]
    fn trailing_watermark_is_max_minus_delay() {
        let mut w = SplitWatermarks::new(WatermarkGeneration::Trailing(Duration::ZERO), None);
        w.on_batch(0, 100, 0);
        assert_eq!(w.advance(0).0, Some(100));
        let mut w = SplitWatermarks::new(WatermarkGeneration::Trailing(Duration::from_secs(1)), None);
        w.on_batch(0, 5000, 0);
        assert_eq!(w.advance(0).0, Some(4000));
    }

    #[test]
    fn minimum_over_splits_and_idle_split_released() {
        let strat = WatermarkGeneration::BoundedOutOfOrderness(Duration::ZERO);
        let mut w = SplitWatermarks::new(strat, Some(Duration::from_millis(50)));
        w.ensure_splits(2, 0);
        w.on_batch(0, 100, 0);
        assert_eq!(w.advance(10).0, None, "split 1 has seen nothing yet");
        w.on_batch(1, 40, 20);
        assert_eq!(w.advance(20).0, Some(39));
        w.on_batch(0, 200, 60);
        let (wm, idle) = w.advance(80);
        assert_eq!(wm, Some(199), "split 1 idle after 50 ms");
        assert_eq!(idle, None);
        let (_, idle) = w.advance(200);
        assert_eq!(idle, Some(true));
    }
}
