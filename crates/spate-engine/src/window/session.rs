//! The window operator's fast path for event-time session windows with the default event-time
//! trigger.
//!
//! On the general operator every element of a session is a merge: a new window is created for
//! the element, its cleanup timer is queued, the existing session is merged into it and its
//! fire timer queued again, so the timer queue gets two entries per element. Here a key's
//! session is widened in place, and timers are lazy: a session holds at most one entry in the
//! queue, at or before its next due time (its end, then its cleanup); when that entry comes due
//! and the session has grown since, the entry moves to the new due time instead of firing. So a
//! session of a million elements costs a handful of queue operations, not two million.
//!
//! Semantics are exactly the general operator's with `EventTimeTrigger` (the window oracle tests
//! run through this path): an element's window `[t, t + gap)` merges every session it overlaps
//! or touches (accumulators merged in the same order); a session fires when the watermark
//! reaches its max timestamp, fires again at once for an element within the allowed lateness,
//! and is dropped when the watermark reaches max timestamp + lateness; elements whose merged
//! session would already be dropped go to the late side output. Checkpoints use the general
//! operator's format, so either operator restores the other's state.
//!
//! In a zone ([`WindowAssigner::in_zone`](crate::window::WindowAssigner::in_zone)) sessions are
//! Flink SQL's over a `TIMESTAMP_LTZ` attribute, which only this operator runs: windows are
//! cut and merged in local time and kept so (also in checkpoints), a session is due at the
//! later instant of its local max timestamp, and it is emitted with both bounds mapped to their
//! earlier instants (so the result's timestamp is Flink's `window_time`).

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;
use smallvec::SmallVec;

use crate::checkpoint::CheckpointCtx;
use crate::checkpoint::snapshot::{OperatorIdentity, decode, group_by_key_group};
use crate::record::{Data, Key, MIN_WATERMARK, NO_TIMESTAMP, Record, Timestamp, Window};
use crate::runtime::output::{Control, Downstream, Output};
use crate::window::WallClock;
use crate::window::assigner::{due_of_local, instants_of_local};
use crate::window::function::WindowFn;
use crate::window::trigger::TimerEntry;

struct Session<A> {
    window: Window,
    acc: A,
    /// Whether the session still fires at its max timestamp.
    fire_pending: bool,
    /// The time of this session's entry in the timer queue, if it has one.
    queued: Option<Timestamp>,
}

type Sessions<A> = SmallVec<[Session<A>; 2]>;

/// One session as checkpointed: the general operator's slot layout (window, accumulator,
/// trigger state, pending timers).
type SlotEntry<A> = (Window, A, (), Vec<TimerEntry>);

pub(crate) struct SessionWindowOperator<K, T, KS, WF: WindowFn<K, T>> {
    key_selector: KS,
    gap: i64,
    allowed_lateness: i64,
    late_tag: Option<u64>,
    wf: WF,
    sessions: FxHashMap<K, Sessions<WF::Acc>>,
    /// Keys with a session entry due at each time.
    queue: BTreeMap<Timestamp, Vec<K>>,
    watermark: Timestamp,
    /// The zone sessions are cut in (their windows are then local times).
    zone: Option<&'static dyn WallClock>,
    down: Downstream<WF::Out>,
    identity: OperatorIdentity,
    max_parallelism: usize,
    _t: std::marker::PhantomData<fn(T)>,
}

impl<K, T, KS, WF> SessionWindowOperator<K, T, KS, WF>
where
    K: Key,
    T: Data,
    KS: Fn(&T) -> K + Send,
    WF: WindowFn<K, T>,
{
    #[allow(clippy::too_many_arguments)] // one per part of the window spec; called once
    pub(crate) fn new(
        key_selector: KS,
        gap: i64,
        zone: Option<&'static dyn WallClock>,
        allowed_lateness: i64,
        late_tag: Option<u64>,
        wf: WF,
        down: Downstream<WF::Out>,
        identity: OperatorIdentity,
        max_parallelism: usize,
    ) -> Self {
        Self {
            key_selector,
            gap,
            allowed_lateness,
            late_tag,
            wf,
            sessions: FxHashMap::default(),
            queue: BTreeMap::new(),
            watermark: MIN_WATERMARK,
            zone,
            down,
            identity,
            max_parallelism,
            _t: std::marker::PhantomData,
        }
    }

    fn late(&mut self, rec: Record<T>) {
        if let Some(tag) = self.late_tag {
            self.down.side.emit(tag, rec);
        }
    }

    fn process(&mut self, rec: Record<T>) {
        if rec.timestamp == NO_TIMESTAMP {
            // Event-time windows cannot place an element without a timestamp: it is late.
            self.late(rec);
            return;
        }
        let key = (self.key_selector)(&rec.value);
        let zone = self.zone;
        let start = zone.map_or(rec.timestamp, |z| z.to_local(rec.timestamp));
        let nw = Window::new(start, start.saturating_add(self.gap));
        // No key clone on the common path (the key has sessions already).
        if !self.sessions.contains_key(&key) {
            self.sessions.insert(key.clone(), SmallVec::new());
        }
        let Some(list) = self.sessions.get_mut(&key) else {
            return;
        };
        let mut merged = nw;
        let mut hits: SmallVec<[usize; 4]> = SmallVec::new();
        for (i, s) in list.iter().enumerate() {
            if s.window.intersects(&nw) {
                merged = merged.cover(&s.window);
                hits.push(i);
            }
        }
        let due = due_of_local(zone, &merged);
        let cleanup = due.saturating_add(self.allowed_lateness);
        if cleanup <= self.watermark {
            if list.is_empty() {
                self.sessions.remove(&key);
            }
            if rec.timestamp.saturating_add(self.allowed_lateness) <= self.watermark {
                self.late(rec);
            }
            return;
        }
        let idx = if hits.len() == 1 && list[hits[0]].window == merged {
            hits[0]
        } else {
            // As the general operator merges: a fresh accumulator, the old sessions merged
            // into it from the last to the first, the merged session appended.
            let mut session = Session {
                window: merged,
                acc: self.wf.create(),
                fire_pending: due > self.watermark,
                queued: None,
            };
            for &i in hits.iter().rev() {
                let old = list.swap_remove(i);
                self.wf.merge(&mut session.acc, old.acc);
                // An old entry still in the queue serves the merged session while it is not
                // later than the merged session's next due time.
                session.queued = match (session.queued, old.queued) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
            }
            list.push(session);
            list.len() - 1
        };
        let watermark = self.watermark;
        let session = &mut list[idx];
        // EventTimeTrigger::on_element: a session already past the watermark fires at once
        // (a late element within the allowed lateness), else it fires at its max timestamp.
        let fire_now = due <= watermark;
        if !fire_now {
            session.fire_pending = true;
        }
        self.wf.add(&mut session.acc, rec.value);
        if fire_now {
            let window = instants_of_local(zone, &session.window);
            self.wf.emit(&key, &window, &session.acc, &mut self.down.buffer);
        }
        let due = next_due(session, due, self.allowed_lateness);
        if session.queued.is_none_or(|q| q > due) {
            session.queued = Some(due);
            self.queue.entry(due).or_default().push(key);
        }
    }

    /// Fires and drops sessions due up to `upto`, in timestamp order.
    fn fire_due(&mut self, upto: Timestamp) {
        while let Some(entry) = self.queue.first_entry() {
            if *entry.key() > upto {
                break;
            }
            let (time, keys) = entry.remove_entry();
            for key in keys {
                self.on_due(time, &key);
                self.down.emit_when_full();
            }
        }
    }

    fn on_due(&mut self, time: Timestamp, key: &K) {
        let Some(list) = self.sessions.get_mut(key) else {
            return;
        };
        let lateness = self.allowed_lateness;
        let zone = self.zone;
        let mut i = 0;
        while i < list.len() {
            let session = &mut list[i];
            if session.queued != Some(time) {
                i += 1;
                continue;
            }
            session.queued = None;
            let max = due_of_local(zone, &session.window);
            if session.fire_pending && max == time {
                session.fire_pending = false;
                let window = instants_of_local(zone, &session.window);
                self.wf.emit(key, &window, &session.acc, &mut self.down.buffer);
            }
            if max.saturating_add(lateness) == time && !session.fire_pending {
                list.swap_remove(i);
                continue;
            }
            // The session grew since this entry was queued, or waits for its cleanup.
            let due = next_due(session, max, lateness);
            session.queued = Some(due);
            self.queue.entry(due).or_default().push(key.clone());
            i += 1;
        }
        if list.is_empty() {
            self.sessions.remove(key);
        }
    }

    fn write_state(&self, cp: &mut CheckpointCtx) {
        cp.touch(&self.identity);
        let lateness = self.allowed_lateness;
        let zone = self.zone;
        let entries = self.sessions.iter().map(|(key, list)| {
            let slots: Vec<SlotEntry<&WF::Acc>> = list
                .iter()
                .map(|s| {
                    (
                        s.window,
                        &s.acc,
                        (),
                        pending_timers(s, due_of_local(zone, &s.window), lateness),
                    )
                })
                .collect();
            (key, slots)
        });
        for (kg, group) in group_by_key_group(entries, self.max_parallelism) {
            cp.add_key_group(&self.identity, kg, &group);
        }
    }

    /// Loads checkpointed key groups (before any input), written by this operator or by the
    /// general one.
    pub(crate) fn restore(&mut self, groups: &[(usize, Vec<u8>)]) -> Result<(), String> {
        for (_, bytes) in groups {
            let entries: Vec<(K, Vec<SlotEntry<WF::Acc>>)> = decode(bytes)?;
            for (key, slots) in entries {
                let list = self.sessions.entry(key.clone()).or_default();
                for (window, acc, (), timers) in slots {
                    let max = due_of_local(self.zone, &window);
                    let mut session = Session {
                        window,
                        acc,
                        fire_pending: timers.iter().any(|t| t.event_time && t.time == max),
                        queued: None,
                    };
                    let due = next_due(&session, max, self.allowed_lateness);
                    session.queued = Some(due);
                    self.queue.entry(due).or_default().push(key.clone());
                    list.push(session);
                }
            }
        }
        Ok(())
    }
}

/// When a session next needs attention: its firing at `max` (its due time), else its cleanup.
fn next_due<A>(s: &Session<A>, max: Timestamp, lateness: i64) -> Timestamp {
    if s.fire_pending {
        max
    } else {
        max.saturating_add(lateness)
    }
}

/// The general operator's timers for a session: the fire timer while pending, and the cleanup
/// timer (one entry when both are at the same time).
fn pending_timers<A>(s: &Session<A>, max: Timestamp, lateness: i64) -> Vec<TimerEntry> {
    let cleanup = max.saturating_add(lateness);
    let mut timers = vec![TimerEntry {
        time: cleanup,
        event_time: true,
    }];
    if s.fire_pending && max != cleanup {
        timers.push(TimerEntry {
            time: max,
            event_time: true,
        });
    }
    timers
}

impl<K, T, KS, WF> Control for SessionWindowOperator<K, T, KS, WF>
where
    K: Key,
    T: Data,
    KS: Fn(&T) -> K + Send,
    WF: WindowFn<K, T>,
{
    fn downstream(&mut self) -> Option<&mut dyn Control> {
        Some(&mut self.down)
    }
    fn watermark(&mut self, watermark: Timestamp) {
        self.watermark = watermark;
        self.fire_due(watermark);
        self.down.watermark(watermark);
    }
    fn snapshot(&mut self, cp: &mut CheckpointCtx) {
        self.write_state(cp);
    }
}

impl<K, T, KS, WF> Output<T> for SessionWindowOperator<K, T, KS, WF>
where
    K: Key,
    T: Data,
    KS: Fn(&T) -> K + Send,
    WF: WindowFn<K, T>,
{
    fn push(&mut self, batch: &mut Vec<Record<T>>) {
        for r in batch.drain(..) {
            self.process(r);
        }
        self.down.emit();
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::keygroup::KeyGroupRange;
    use crate::operator_test_support::{Collect, checkpoint, downstream, identity, key_groups_in};
    use crate::record::MAX_WATERMARK;
    use crate::window::function::AggregateWindowFn;
    use crate::window::operator::{WindowOperator, WindowSpec};
    use crate::window::{Count, DefaultTrigger, WindowAssigner, WindowResult};

    const MAX_PARALLELISM: usize = 128;
    const GAP: i64 = 10;
    const LATENESS: i64 = 50;

    type Fast = SessionWindowOperator<u64, u64, fn(&u64) -> u64, AggregateWindowFn<Count>>;
    type General = WindowOperator<u64, u64, fn(&u64) -> u64, DefaultTrigger, AggregateWindowFn<Count>>;
    type Out = Vec<(WindowResult<u64, u64>, Timestamp)>;

    fn key_of(v: &u64) -> u64 {
        v % 5
    }

    fn fast(out: &Collect<WindowResult<u64, u64>>) -> Fast {
        SessionWindowOperator::new(
            key_of as fn(&u64) -> u64,
            GAP,
            None,
            LATENESS,
            None,
            AggregateWindowFn(Count),
            downstream(out),
            identity(0, 1),
            MAX_PARALLELISM,
        )
    }

    fn general(out: &Collect<WindowResult<u64, u64>>) -> General {
        let spec = WindowSpec {
            assigner: WindowAssigner::session(Duration::from_millis(GAP as u64)),
            trigger: DefaultTrigger::EventTime,
            allowed_lateness: LATENESS,
            late_tag: None,
        };
        WindowOperator::new(
            key_of as fn(&u64) -> u64,
            spec,
            AggregateWindowFn(Count),
            downstream(out),
            identity(0, 1),
            MAX_PARALLELISM,
        )
    }

    /// Elements 3 ms apart per key (merged sessions), a watermark that fires them within
    /// their lateness; then late elements that merge into fired sessions, new sessions, the end.
    /// (elements before, the watermark then, elements after).
    type Steps = (Vec<(i64, u64)>, i64, Vec<(i64, u64)>);

    fn steps() -> Steps {
        let before = (0..40u64).map(|v| ((v as i64 / 5) * 3, v)).collect();
        let mut after: Vec<(i64, u64)> = (100..105).map(|v| (25, v)).collect();
        after.extend((200..220u64).map(|v| (60 + v as i64 % 7, v)));
        (before, 40, after)
    }

    fn drive(
        op: &mut dyn Output<u64>,
        out: &Collect<WindowResult<u64, u64>>,
        input: &[(i64, u64)],
        end: i64,
    ) -> Out {
        for &(ts, v) in input {
            op.push(&mut vec![Record::new(ts, v)]);
        }
        op.watermark(end);
        let mut got: Out = out.take().into_iter().map(|r| (r.value, r.timestamp)).collect();
        got.sort();
        got
    }

    fn restore_all(cp: &CheckpointCtx) -> Vec<(usize, Vec<u8>)> {
        key_groups_in(&[cp], KeyGroupRange::for_subtask(0, 1, MAX_PARALLELISM))
    }

    #[test]
    fn fast_and_general_operators_emit_the_same_and_restore_each_others_state() {
        let (before, mid, after) = steps();
        let reference_out = Collect::new();
        let mut reference = general(&reference_out);
        let first = drive(&mut reference, &reference_out, &before, mid);
        let second = drive(&mut reference, &reference_out, &after, MAX_WATERMARK);
        assert!(!first.is_empty() && !second.is_empty());

        // The fast path alone.
        let out = Collect::new();
        let mut f = fast(&out);
        assert_eq!(drive(&mut f, &out, &before, mid), first);
        let cp_fast = checkpoint(&mut f);
        assert_eq!(drive(&mut f, &out, &after, MAX_WATERMARK), second);

        // The general operator's state restored into the fast path, and the other way round.
        let out = Collect::new();
        let mut g = general(&out);
        drive(&mut g, &out, &before, mid);
        let cp_general = checkpoint(&mut g);
        let out = Collect::new();
        let mut f = fast(&out);
        f.restore(&restore_all(&cp_general)).unwrap();
        assert_eq!(
            drive(&mut f, &out, &after, MAX_WATERMARK),
            second,
            "general -> fast"
        );
        let out = Collect::new();
        let mut g = general(&out);
        g.restore(&restore_all(&cp_fast)).unwrap();
        assert_eq!(
            drive(&mut g, &out, &after, MAX_WATERMARK),
            second,
            "fast -> general"
        );
    }

    #[test]
    fn a_long_session_keeps_one_timer_entry() {
        let out = Collect::new();
        let mut f = fast(&out);
        for t in 0..10_000i64 {
            f.push(&mut vec![Record::new(t, 1)]);
            if t % 100 == 0 {
                f.watermark(t - 1);
            }
        }
        assert!(f.queue.len() <= 2, "queue holds {} times", f.queue.len());
        f.watermark(MAX_WATERMARK);
        let got: Vec<u64> = out.take().into_iter().map(|r| r.value.value).collect();
        assert_eq!(got, vec![10_000]);
        assert!(f.sessions.is_empty() && f.queue.is_empty());
    }

    /// A zone whose clocks go back from local 1100 to 1000 at instant 1000: local times in
    /// [1000, 1100) happen twice.
    #[derive(Debug)]
    struct FallBackAt1000;

    impl WallClock for FallBackAt1000 {
        fn to_local(&self, utc_ms: i64) -> i64 {
            if utc_ms < 1000 { utc_ms + 100 } else { utc_ms }
        }
        fn to_utc(&self, local_ms: i64) -> i64 {
            if local_ms < 1100 { local_ms - 100 } else { local_ms }
        }
        fn to_utc_later(&self, local_ms: i64) -> i64 {
            if local_ms < 1000 { local_ms - 100 } else { local_ms }
        }
    }

    #[test]
    fn sessions_in_a_zone_are_cut_in_local_time() {
        let out = Collect::new();
        let mut f: Fast = SessionWindowOperator::new(
            key_of as fn(&u64) -> u64,
            30,
            Some(&FallBackAt1000),
            0,
            None,
            AggregateWindowFn(Count),
            downstream(&out),
            identity(0, 1),
            MAX_PARALLELISM,
        );
        // Key 1: 15 ms apart in real time, but local 1090 then 1005: two sessions.
        // Key 2: 90 ms apart in real time, but local 1050 then 1040: one session.
        for (ts, v) in [(990, 1), (950, 2), (1005, 6), (1040, 7)] {
            f.push(&mut vec![Record::new(ts, v)]);
        }
        // Local session [1005, 1035) is due at the later instant of 1034, which is 1034.
        f.watermark(1033);
        assert!(out.take().is_empty());
        f.watermark(1034);
        let fired: Vec<_> = out.take().into_iter().map(|r| (r.value, r.timestamp)).collect();
        let result = |key, start, end, n| WindowResult {
            key,
            window: Window::new(start, end),
            value: n,
        };
        // Emitted with the earlier instants of its local bounds: [905, 935).
        assert_eq!(fired, vec![(result(1, 905, 935, 1), 934)]);
        f.watermark(MAX_WATERMARK);
        let mut rest: Vec<_> = out.take().into_iter().map(|r| (r.value, r.timestamp)).collect();
        rest.sort();
        assert_eq!(
            rest,
            vec![(result(1, 990, 1120, 1), 1119), (result(2, 940, 980, 2), 979)]
        );
    }
}
