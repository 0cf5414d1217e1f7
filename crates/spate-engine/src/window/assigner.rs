//! Which windows an element belongs to.

use std::time::Duration;

use smallvec::SmallVec;

use crate::record::{Timestamp, Window};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Tumbling { size: i64, offset: i64 },
    Sliding { size: i64, slide: i64, offset: i64 },
    Session { gap: i64 },
    Cumulative { size: i64, step: i64, offset: i64 },
    Global,
}

/// A time zone's wall clock, for windows aligned to local time ([`WindowAssigner::in_zone`]):
/// Flink SQL aligns windows over a `TIMESTAMP_LTZ` time attribute to `table.local-time-zone`,
/// so a one-day window runs from local midnight to local midnight (23 or 25 hours across a
/// daylight-saving change). Both conversions are in ms and must not allocate (they run per
/// element).
pub trait WallClock: Send + Sync + std::fmt::Debug {
    /// The local wall-clock time at the instant `utc_ms`.
    fn to_local(&self, utc_ms: i64) -> i64;
    /// The instant of the local time `local_ms` (a time skipped by a gap moves past it; a
    /// repeated time is its earlier instant).
    fn to_utc(&self, local_ms: i64) -> i64;
    /// As [`to_utc`](Self::to_utc), but a repeated time is its later instant: when a session
    /// window cut in local time fires (Flink's `toEpochMillsForTimer`), so that elements of
    /// both passes through a repeated hour are in before it fires.
    fn to_utc_later(&self, local_ms: i64) -> i64;
}

/// Assigns elements to windows, in event time (default) or processing time.
#[derive(Debug, Clone, Copy)]
pub struct WindowAssigner {
    kind: Kind,
    processing_time: bool,
    /// Processing-time windows still open when a bounded input ends are dropped, not fired
    /// (Flink SQL's behaviour; the DataStream API here fires them so no input is lost).
    drop_open_at_end: bool,
    /// Windows aligned to this wall clock instead of to the epoch.
    zone: Option<&'static dyn WallClock>,
}

impl PartialEq for WindowAssigner {
    fn eq(&self, other: &Self) -> bool {
        let same_zone = match (self.zone, other.zone) {
            (None, None) => true,
            (Some(a), Some(b)) => std::ptr::addr_eq(a, b),
            _ => false,
        };
        self.kind == other.kind && self.processing_time == other.processing_time && same_zone
    }
}

impl Eq for WindowAssigner {}

fn gcd(a: i64, b: i64) -> i64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX).max(1)
}

impl WindowAssigner {
    /// Fixed, non-overlapping windows of `size` aligned to the epoch.
    pub fn tumbling(size: Duration) -> Self {
        Self {
            kind: Kind::Tumbling {
                size: millis(size),
                offset: 0,
            },
            processing_time: false,
            drop_open_at_end: false,
            zone: None,
        }
    }

    /// Windows of `size` starting every `slide`; an element belongs to `size / slide` of them.
    pub fn sliding(size: Duration, slide: Duration) -> Self {
        Self {
            kind: Kind::Sliding {
                size: millis(size),
                slide: millis(slide),
                offset: 0,
            },
            processing_time: false,
            drop_open_at_end: false,
            zone: None,
        }
    }

    /// Flink SQL's `CUMULATE`: windows that start every `size` (like tumbling windows) and end
    /// every `step` within it, so `[s, s + step)`, `[s, s + 2 step)`, ... `[s, s + size)`; an
    /// element belongs to every one of them that has not ended before it. `size` should be a
    /// multiple of `step`.
    pub fn cumulative(size: Duration, step: Duration) -> Self {
        Self {
            kind: Kind::Cumulative {
                size: millis(size),
                step: millis(step),
                offset: 0,
            },
            processing_time: false,
            drop_open_at_end: false,
            zone: None,
        }
    }

    /// Per-key sessions that close after `gap` without elements (windows merge).
    pub fn session(gap: Duration) -> Self {
        Self {
            kind: Kind::Session { gap: millis(gap) },
            processing_time: false,
            drop_open_at_end: false,
            zone: None,
        }
    }

    /// One window per key for all time; needs a trigger (see count windows).
    pub fn global() -> Self {
        Self {
            kind: Kind::Global,
            processing_time: false,
            drop_open_at_end: false,
            zone: None,
        }
    }

    /// The panes of local-global aggregation (`pre_aggregate.rs`) for event-time tumbling and
    /// sliding windows aligned to the epoch: `(size, offset)` of the largest intervals every
    /// window contains whole or not at all.
    pub(crate) fn panes(&self) -> Option<(i64, i64)> {
        if self.processing_time || self.zone.is_some() {
            return None;
        }
        match self.kind {
            Kind::Tumbling { size, offset } => Some((size, offset)),
            Kind::Sliding { size, slide, offset } => {
                let pane = gcd(size, slide);
                Some((pane, offset.rem_euclid(pane)))
            }
            Kind::Session { .. } | Kind::Cumulative { .. } | Kind::Global => None,
        }
    }

    /// Shifts tumbling or sliding windows by `offset` (for example for time zones).
    pub fn with_offset(mut self, offset: Duration) -> Self {
        let o = millis(offset);
        match &mut self.kind {
            Kind::Tumbling { offset, .. }
            | Kind::Sliding { offset, .. }
            | Kind::Cumulative { offset, .. } => *offset = o,
            Kind::Session { .. } | Kind::Global => {}
        }
        self
    }

    /// Aligns windows to `zone`'s wall clock, as Flink SQL does over a `TIMESTAMP_LTZ`
    /// attribute: windows are cut in local time, so a window's length in real time changes
    /// where the zone's offset does. The zone lives for the process (one per session zone,
    /// never per element).
    ///
    /// With the default event-time trigger a window is kept in local time: the elements of
    /// both passes through a repeated hour meet in their local window, and event-time session
    /// windows `[t, t + gap)` are merged in local time (two elements 25 minutes apart across a
    /// fall-back change are 35 local minutes apart). A window fires when the watermark reaches
    /// the later instant of its local max timestamp, and is emitted with its start and max
    /// timestamp mapped to their earlier instants (so its max timestamp is Flink's
    /// `window_time`). Other triggers see tumbling, sliding and cumulative windows with both
    /// bounds mapped to their earlier instants, and sessions in real time.
    pub fn in_zone(mut self, zone: &'static dyn WallClock) -> Self {
        if !matches!(self.kind, Kind::Global) {
            self.zone = Some(zone);
        }
        self
    }

    /// The zone event-time sessions are cut in (see [`in_zone`](Self::in_zone)).
    pub(crate) fn session_zone(&self) -> Option<&'static dyn WallClock> {
        self.zone.filter(|_| self.is_merging() && !self.processing_time)
    }

    /// Uses the wall clock at arrival instead of the element's event time.
    pub fn processing_time(mut self) -> Self {
        self.processing_time = true;
        self
    }

    /// Drops the processing-time windows still open when a bounded input ends instead of
    /// firing them, as Flink SQL does (Flink 2.3, 2026-11-27: a `TUMBLE` over `PROCTIME()` of
    /// a bounded filesystem table emits nothing).
    pub fn drop_open_windows_at_end(mut self) -> Self {
        self.drop_open_at_end = true;
        self
    }

    /// Whether open processing-time windows are dropped at the end of input.
    pub(crate) fn drops_open_windows_at_end(&self) -> bool {
        self.processing_time && self.drop_open_at_end
    }

    /// Whether windows are defined on event time.
    pub fn is_event_time(&self) -> bool {
        !self.processing_time
    }

    /// Whether windows merge (sessions).
    pub fn is_merging(&self) -> bool {
        matches!(self.kind, Kind::Session { .. })
    }

    /// The inactivity gap of session windows (ms).
    pub(crate) fn session_gap(&self) -> Option<i64> {
        match self.kind {
            Kind::Session { gap } => Some(gap),
            _ => None,
        }
    }

    /// Whether this is the global window assigner.
    pub fn is_global(&self) -> bool {
        matches!(self.kind, Kind::Global)
    }

    /// The windows of an element with timestamp `ts`, as instants: in a zone, each local
    /// window from the earlier instant of its start to that of its end, so the repeated hour
    /// of a fall-back change is one window of two real hours. (The window operator's fast path
    /// keeps zoned windows in local time instead, as Flink SQL does: see
    /// `assign_cached_local`.)
    #[inline]
    pub fn assign(&self, ts: Timestamp, out: &mut SmallVec<[Window; 8]>) {
        match self.cut_zone() {
            None => self.assign_aligned(ts, out),
            Some(zone) => {
                self.assign_aligned(zone.to_local(ts), out);
                for w in out.iter_mut() {
                    *w = Window::new(zone.to_utc(w.start), zone.to_utc(w.end));
                }
                // A local window inside a spring-forward gap has no instant.
                out.retain(|w| w.start < w.end);
            }
        }
    }

    /// The zone tumbling, sliding and cumulative windows are cut in (sessions in a zone are cut
    /// by their own operator, see `in_zone`).
    #[inline]
    fn cut_zone(&self) -> Option<&'static dyn WallClock> {
        self.zone.filter(|_| !self.is_merging())
    }

    /// When a window of [`assign_cached_local`](Self::assign_cached_local) is due (fires):
    /// its max timestamp, in a zone the later instant of that local time, so that a window
    /// ending inside a repeated hour waits for the second pass through it (Flink's timers).
    #[inline]
    pub(crate) fn due(&self, local: &Window) -> Timestamp {
        due_of_local(self.cut_zone(), local)
    }

    /// A window of [`assign_cached_local`](Self::assign_cached_local) as instants, as it is
    /// emitted.
    #[inline]
    pub(crate) fn instants(&self, local: &Window) -> Window {
        instants_of_local(self.cut_zone(), local)
    }

    /// The windows of `ts` aligned to the epoch (or to local time, given a local `ts`).
    #[inline]
    fn assign_aligned(&self, ts: Timestamp, out: &mut SmallVec<[Window; 8]>) {
        out.clear();
        match self.kind {
            Kind::Tumbling { size, offset } => {
                let start = ts - (ts - offset).rem_euclid(size);
                out.push(Window::new(start, start.saturating_add(size)));
            }
            Kind::Sliding { size, slide, offset } => {
                let last_start = ts - (ts - offset).rem_euclid(slide);
                let mut start = last_start;
                while start > ts - size {
                    out.push(Window::new(start, start.saturating_add(size)));
                    start -= slide;
                }
            }
            Kind::Session { gap } => out.push(Window::new(ts, ts.saturating_add(gap))),
            Kind::Cumulative { size, step, offset } => {
                let start = ts - (ts - offset).rem_euclid(size);
                // From the full window down to the first end after `ts`: like sliding windows,
                // the window that ends first comes last (the operator checks it for lateness).
                let first_end = ts - (ts - start).rem_euclid(step) + step;
                let mut end = start.saturating_add(size);
                while end >= first_end {
                    out.push(Window::new(start, end));
                    end -= step;
                }
            }
            Kind::Global => out.push(Window::global()),
        }
    }
}

/// When a window cut in `zone`'s local time is due: the later instant of its max timestamp.
#[inline]
pub(crate) fn due_of_local(zone: Option<&'static dyn WallClock>, local: &Window) -> Timestamp {
    match zone {
        None => local.max_timestamp(),
        Some(z) => z.to_utc_later(local.max_timestamp()),
    }
}

/// A window cut in `zone`'s local time as instants: the earlier instants of its start and of
/// its max timestamp (so its max timestamp is Flink's `window_time`, `TO_TIMESTAMP_LTZ` of the
/// local end minus 1 ms). Without a zone the window is already in instants.
#[inline]
pub(crate) fn instants_of_local(zone: Option<&'static dyn WallClock>, local: &Window) -> Window {
    match zone {
        None => *local,
        Some(z) => Window::new(
            z.to_utc(local.start),
            z.to_utc(local.max_timestamp()).saturating_add(1),
        ),
    }
}

/// The windows of the last assigned timestamp, valid for every timestamp in `[from, until)`:
/// consecutive elements usually fall into the same windows, so the division is skipped.
#[derive(Debug, Clone)]
pub(crate) struct AssignCache {
    pub(crate) from: Timestamp,
    pub(crate) until: Timestamp,
    pub(crate) windows: SmallVec<[Window; 8]>,
}

impl Default for AssignCache {
    fn default() -> Self {
        Self {
            from: 0,
            until: 0,
            windows: SmallVec::new(),
        }
    }
}

impl WindowAssigner {
    /// Like [`assign`](Self::assign) but reusing the previous result when it still applies.
    /// Only for non-merging assigners.
    #[inline(always)]
    pub(crate) fn assign_cached(&self, ts: Timestamp, cache: &mut AssignCache) {
        if ts >= cache.from && ts < cache.until {
            return;
        }
        self.assign_uncached(ts, cache, false);
    }

    /// Like [`assign_cached`](Self::assign_cached), but in a zone the windows stay in local
    /// time (see [`due`](Self::due) and [`instants`](Self::instants)): an operator that keeps
    /// them so puts each element of a repeated hour into its local window.
    #[inline(always)]
    pub(crate) fn assign_cached_local(&self, ts: Timestamp, cache: &mut AssignCache) {
        if ts >= cache.from && ts < cache.until {
            return;
        }
        self.assign_uncached(ts, cache, true);
    }

    #[inline(never)]
    fn assign_uncached(&self, ts: Timestamp, cache: &mut AssignCache, local: bool) {
        match self.cut_zone() {
            Some(zone) if local => self.assign_aligned(zone.to_local(ts), &mut cache.windows),
            _ => self.assign(ts, &mut cache.windows),
        }
        if self.zone.is_some() {
            // In a fall-back overlap an instant's local window need not contain it, so no
            // range of instants is known to share windows: nothing is reused. `from` still
            // tells window sets apart (callers cache per-set data by it): the oldest window's
            // end is distinct per set.
            let end = cache.windows.last().map_or(ts, |w| w.end);
            cache.from = end;
            cache.until = end;
            return;
        }
        let (from, until) = match self.kind {
            Kind::Tumbling { size, offset } => {
                let start = ts - (ts - offset).rem_euclid(size);
                (start, start.saturating_add(size))
            }
            Kind::Sliding { size, slide, offset } => {
                // Same newest window while in [start, start + slide); same oldest window while
                // the one before it has ended and it has not (these differ from the slide
                // interval when `size` is not a multiple of `slide`).
                let start = ts - (ts - offset).rem_euclid(slide);
                let oldest = cache.windows.last().map_or(start, |w| w.start);
                (
                    start.max((oldest - slide).saturating_add(size)),
                    start.saturating_add(slide).min(oldest.saturating_add(size)),
                )
            }
            Kind::Cumulative { step, .. } => {
                // The same windows while in the same step.
                let first_end = cache.windows.last().map_or(ts, |w| w.end);
                (first_end - step, first_end)
            }
            Kind::Session { .. } => (0, 0),
            Kind::Global => (i64::MIN, i64::MAX),
        };
        cache.from = from;
        cache.until = until;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn windows(a: WindowAssigner, ts: i64) -> Vec<Window> {
        let mut v = SmallVec::new();
        a.assign(ts, &mut v);
        v.into_vec()
    }

    #[test]
    fn tumbling_and_sliding_contain_the_timestamp() {
        let t = WindowAssigner::tumbling(Duration::from_millis(10));
        assert_eq!(windows(t, 25), vec![Window::new(20, 30)]);
        assert_eq!(windows(t, -1), vec![Window::new(-10, 0)]);
        let s = WindowAssigner::sliding(Duration::from_millis(10), Duration::from_millis(5));
        assert_eq!(windows(s, 12), vec![Window::new(10, 20), Window::new(5, 15)]);
        for a in [
            s,
            WindowAssigner::sliding(Duration::from_millis(12), Duration::from_millis(9)),
            WindowAssigner::sliding(Duration::from_millis(7), Duration::from_millis(3)),
        ] {
            let mut cache = AssignCache::default();
            for ts in (-50..50).chain((-50..50).rev()).chain([3, 40, 4, 41, -7, 13]) {
                a.assign_cached(ts, &mut cache);
                assert_eq!(
                    cache.windows.to_vec(),
                    windows(a, ts),
                    "cached windows of {ts} ({a:?})"
                );
            }
        }
        let c = WindowAssigner::cumulative(Duration::from_millis(10), Duration::from_millis(5));
        assert_eq!(windows(c, 12), vec![Window::new(10, 20), Window::new(10, 15)]);
        assert_eq!(windows(c, 17), vec![Window::new(10, 20)]);
        assert_eq!(windows(c, -3), vec![Window::new(-10, 0)]);
        let mut cache = AssignCache::default();
        for ts in (-50..50).chain((-50..50).rev()).chain([3, 40, 4, 41, -7, 13]) {
            c.assign_cached(ts, &mut cache);
            assert_eq!(
                cache.windows.to_vec(),
                windows(c, ts),
                "cached cumulative windows of {ts}"
            );
            for w in windows(c, ts) {
                assert!(w.start <= ts && ts < w.end);
            }
        }
        for ts in -50..50 {
            for w in windows(s, ts) {
                assert!(w.start <= ts && ts < w.end);
            }
            assert_eq!(windows(s, ts).len(), 2);
        }
    }

    const HOUR: i64 = 3_600_000;

    /// One hour ahead of UTC until `FALL_BACK`, then UTC: local 00:00–01:00 after it repeats.
    #[derive(Debug)]
    struct FallBack;
    const FALL_BACK: i64 = 10 * HOUR;

    impl WallClock for FallBack {
        fn to_local(&self, utc_ms: i64) -> i64 {
            if utc_ms < FALL_BACK { utc_ms + HOUR } else { utc_ms }
        }
        fn to_utc(&self, local_ms: i64) -> i64 {
            // The earlier instant of a repeated local time.
            if local_ms < FALL_BACK + HOUR {
                local_ms - HOUR
            } else {
                local_ms
            }
        }
        fn to_utc_later(&self, local_ms: i64) -> i64 {
            if local_ms < FALL_BACK {
                local_ms - HOUR
            } else {
                local_ms
            }
        }
    }

    /// UTC+05:30.
    #[derive(Debug)]
    struct HalfHour;

    impl WallClock for HalfHour {
        fn to_local(&self, utc_ms: i64) -> i64 {
            utc_ms + 11 * HOUR / 2
        }
        fn to_utc(&self, local_ms: i64) -> i64 {
            local_ms - 11 * HOUR / 2
        }
        fn to_utc_later(&self, local_ms: i64) -> i64 {
            self.to_utc(local_ms)
        }
    }

    #[test]
    fn zoned_windows_are_cut_in_local_time() {
        static HALF: HalfHour = HalfHour;
        static FALL: FallBack = FallBack;
        let hourly = WindowAssigner::tumbling(Duration::from_millis(HOUR as u64));
        // UTC+05:30: local hours start at :30 UTC.
        assert_eq!(
            windows(hourly.in_zone(&HALF), HOUR),
            vec![Window::new(HOUR / 2, 3 * HOUR / 2)]
        );
        // The repeated local hour [10:00, 11:00) is one window of two real hours, holding both
        // of its occurrences; the hour before is an ordinary one.
        let fall = hourly.in_zone(&FALL);
        assert_eq!(
            windows(fall, FALL_BACK - HOUR / 2),
            vec![Window::new(FALL_BACK - HOUR, FALL_BACK + HOUR)]
        );
        assert_eq!(
            windows(fall, FALL_BACK + HOUR / 2),
            vec![Window::new(FALL_BACK - HOUR, FALL_BACK + HOUR)]
        );
        assert_eq!(
            windows(fall, FALL_BACK - 2 * HOUR),
            vec![Window::new(FALL_BACK - 2 * HOUR, FALL_BACK - HOUR)]
        );
        // The cache never serves a zoned assignment from a stale range.
        let mut cache = AssignCache::default();
        for ts in [
            FALL_BACK - HOUR / 2,
            FALL_BACK + HOUR / 2,
            FALL_BACK - 2 * HOUR,
            0,
        ] {
            fall.assign_cached(ts, &mut cache);
            assert_eq!(cache.windows.to_vec(), windows(fall, ts), "{ts}");
        }
        assert_ne!(fall, hourly);
        assert_eq!(fall, hourly.in_zone(&FALL));
    }
}
