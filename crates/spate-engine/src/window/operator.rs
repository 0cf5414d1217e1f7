//! The window operator: per-key window state, triggers, timers, lateness and merging.
//!
//! State layout: `key -> small vector of (window, accumulator, trigger state, timers)`. A key
//! has few live windows (one or two for tumbling windows, `size / slide` for sliding ones, a
//! handful of sessions), so the per-record path is one hash lookup of the key plus a short scan,
//! with no allocation. Timers live in a `BTreeMap` keyed by time (fired in timestamp order) and
//! are registered once per window, not per record: a window's slot remembers which timers it
//! holds, which also makes deleted or superseded queue entries harmless (they are skipped when
//! popped).
//!
//! Checkpoints: per key group, each key's slots with their accumulators, trigger states and
//! the timers they hold. The timer queues are not written: a slot's timers are the truth (the
//! queues only index them), so a restore rebuilds the queues from the restored slots. A timer
//! that already fired is no longer in its slot, so a restored window does not fire again for it
//! (a window that fired within its allowed lateness fires again only for new data).

use std::collections::BTreeMap;
use std::marker::PhantomData;

use rustc_hash::FxHashMap;
use smallvec::SmallVec;

use crate::checkpoint::CheckpointCtx;
use crate::checkpoint::snapshot::{OperatorIdentity, decode, group_by_key_group};
use crate::record::{Data, Key, MAX_WATERMARK, MIN_WATERMARK, NO_TIMESTAMP, Record, Timestamp, Window};
use crate::runtime::output::Downstream;
use crate::runtime::output::{Control, Output};
use crate::window::assigner::{AssignCache, WindowAssigner};
use crate::window::function::WindowFn;
use crate::window::trigger::{TimerEntry, Timers, Trigger, TriggerContext, TriggerResult};

pub(crate) struct WindowSlot<A, S> {
    window: Window,
    acc: A,
    trigger_state: S,
    timers: Timers,
}

impl<A, S> WindowSlot<A, S> {
    /// The trigger's view of this slot; timers it registers go to the slot and to `added`,
    /// which the caller enqueues.
    #[inline]
    fn trigger_context<'a>(
        &'a mut self,
        watermark: Timestamp,
        now: Timestamp,
        added: &'a mut Timers,
    ) -> TriggerContext<'a, S> {
        TriggerContext {
            state: &mut self.trigger_state,
            watermark,
            now,
            timers: &mut self.timers,
            added,
        }
    }
}

type SlotList<A, S> = SmallVec<[WindowSlot<A, S>; 2]>;
type TimerQueue<K> = BTreeMap<Timestamp, Vec<(K, Window)>>;

struct Core<K, T, Tr: Trigger<T>, WF: WindowFn<K, T>> {
    assigner: WindowAssigner,
    trigger: Tr,
    wf: WF,
    allowed_lateness: i64,
    event_queue: TimerQueue<K>,
    proc_queue: TimerQueue<K>,
    watermark: Timestamp,
    now: Timestamp,
    down: Downstream<WF::Out>,
    _t: PhantomData<fn(T)>,
}

impl<K: Key, T: Data, Tr: Trigger<T>, WF: WindowFn<K, T>> Core<K, T, Tr, WF> {
    #[inline]
    fn cleanup_time(&self, w: &Window) -> Timestamp {
        if self.assigner.is_event_time() {
            w.max_timestamp().saturating_add(self.allowed_lateness)
        } else {
            w.max_timestamp()
        }
    }

    #[inline]
    fn is_window_late(&self, w: &Window) -> bool {
        self.assigner.is_event_time() && !w.is_global() && self.cleanup_time(w) <= self.watermark
    }

    fn is_element_late(&self, ts: Timestamp) -> bool {
        self.assigner.is_event_time()
            && (ts == NO_TIMESTAMP || ts.saturating_add(self.allowed_lateness) <= self.watermark)
    }

    fn enqueue(&mut self, key: &K, w: Window, added: &Timers) {
        for e in added {
            let q = if e.event_time {
                &mut self.event_queue
            } else {
                &mut self.proc_queue
            };
            q.entry(e.time).or_default().push((key.clone(), w));
        }
    }

    fn new_slot(&mut self, key: &K, window: Window) -> WindowSlot<WF::Acc, Tr::State> {
        let mut slot = WindowSlot {
            window,
            acc: self.wf.create(),
            trigger_state: Tr::State::default(),
            timers: Timers::new(),
        };
        if !window.is_global() {
            let cleanup = TimerEntry {
                time: self.cleanup_time(&window),
                event_time: self.assigner.is_event_time(),
            };
            slot.timers.push(cleanup);
            let mut added = Timers::new();
            added.push(cleanup);
            self.enqueue(key, window, &added);
        }
        slot
    }

    fn apply(&mut self, result: TriggerResult, key: &K, list: &mut SlotList<WF::Acc, Tr::State>, idx: usize) {
        if result.is_fire() {
            let slot = &list[idx];
            self.wf.emit(key, &slot.window, &slot.acc, &mut self.down.buffer);
        }
        if result.is_purge() {
            list.swap_remove(idx);
        }
    }

    /// Adds an element to the slot at `idx` and runs the trigger.
    #[inline]
    fn add_to_slot(
        &mut self,
        list: &mut SlotList<WF::Acc, Tr::State>,
        idx: usize,
        key: &K,
        ts: Timestamp,
        value: T,
    ) {
        let slot = &mut list[idx];
        let w = slot.window;
        let mut added = Timers::new();
        let mut ctx = slot.trigger_context(self.watermark, self.now, &mut added);
        let result = self.trigger.on_element(&value, ts, &w, &mut ctx);
        self.wf.add(&mut slot.acc, value);
        if !added.is_empty() {
            self.enqueue(key, w, &added);
        }
        if result != TriggerResult::Continue {
            self.apply(result, key, list, idx);
        }
    }

    #[inline]
    fn add_to_window(
        &mut self,
        list: &mut SlotList<WF::Acc, Tr::State>,
        key: &K,
        w: Window,
        ts: Timestamp,
        value: T,
    ) {
        let idx = match list.iter().position(|s| s.window == w) {
            Some(i) => i,
            None => {
                let slot = self.new_slot(key, w);
                list.push(slot);
                list.len() - 1
            }
        };
        self.add_to_slot(list, idx, key, ts, value);
    }

    #[inline]
    fn add_to_windows(
        &mut self,
        list: &mut SlotList<WF::Acc, Tr::State>,
        key: &K,
        windows: &[Window],
        rec: Record<T>,
    ) {
        let Some((last, rest)) = windows.split_last() else {
            return;
        };
        for w in rest {
            self.add_to_window(list, key, *w, rec.timestamp, rec.value.clone());
        }
        self.add_to_window(list, key, *last, rec.timestamp, rec.value);
    }

    /// Session windows: merges the element's window with every window it touches.
    fn add_merging(
        &mut self,
        list: &mut SlotList<WF::Acc, Tr::State>,
        key: &K,
        nw: Window,
        rec: Record<T>,
    ) -> Option<Record<T>> {
        let mut merged = nw;
        let mut hits: SmallVec<[usize; 4]> = SmallVec::new();
        for (i, s) in list.iter().enumerate() {
            if s.window.intersects(&nw) {
                merged = merged.cover(&s.window);
                hits.push(i);
            }
        }
        if self.is_window_late(&merged) {
            return Some(rec);
        }
        let idx = if hits.len() == 1 && list[hits[0]].window == merged {
            hits[0]
        } else if hits.is_empty() {
            let slot = self.new_slot(key, merged);
            list.push(slot);
            list.len() - 1
        } else {
            let mut slot = self.new_slot(key, merged);
            for &i in hits.iter().rev() {
                let old = list.swap_remove(i);
                self.wf.merge(&mut slot.acc, old.acc);
                self.trigger
                    .merge_state(&mut slot.trigger_state, old.trigger_state);
            }
            let mut added = Timers::new();
            let mut ctx = slot.trigger_context(self.watermark, self.now, &mut added);
            self.trigger.on_merge(&merged, &mut ctx);
            self.enqueue(key, merged, &added);
            list.push(slot);
            list.len() - 1
        };
        self.add_to_slot(list, idx, key, rec.timestamp, rec.value);
        None
    }
}

pub(crate) struct WindowOperator<K, T, KS, Tr: Trigger<T>, WF: WindowFn<K, T>> {
    key_selector: KS,
    late_tag: Option<u64>,
    slots: FxHashMap<K, SlotList<WF::Acc, Tr::State>>,
    scratch: SmallVec<[Window; 8]>,
    cache: AssignCache,
    core: Core<K, T, Tr, WF>,
    identity: OperatorIdentity,
    max_parallelism: usize,
}

/// One window of a key as checkpointed: window, accumulator, trigger state, timers it holds.
type SlotEntry<A, S> = (Window, A, S, Vec<TimerEntry>);
/// One key group as checkpointed: each key with its slots.
type KeyGroupEntries<K, A, S> = Vec<(K, Vec<SlotEntry<A, S>>)>;

/// Settings of a window operator.
pub(crate) struct WindowSpec<Tr> {
    pub(crate) assigner: WindowAssigner,
    pub(crate) trigger: Tr,
    pub(crate) allowed_lateness: i64,
    pub(crate) late_tag: Option<u64>,
}

impl<K, T, KS, Tr, WF> WindowOperator<K, T, KS, Tr, WF>
where
    K: Key,
    T: Data,
    KS: Fn(&T) -> K + Send,
    Tr: Trigger<T>,
    WF: WindowFn<K, T>,
{
    pub(crate) fn new(
        key_selector: KS,
        spec: WindowSpec<Tr>,
        wf: WF,
        down: Downstream<WF::Out>,
        identity: OperatorIdentity,
        max_parallelism: usize,
    ) -> Self {
        Self {
            identity,
            max_parallelism,
            key_selector,
            late_tag: spec.late_tag,
            slots: FxHashMap::default(),
            scratch: SmallVec::new(),
            cache: AssignCache::default(),
            core: Core {
                assigner: spec.assigner,
                trigger: spec.trigger,
                wf,
                allowed_lateness: spec.allowed_lateness,
                event_queue: BTreeMap::new(),
                proc_queue: BTreeMap::new(),
                watermark: MIN_WATERMARK,
                now: 0,
                down,
                _t: PhantomData,
            },
        }
    }

    fn late(&mut self, rec: Record<T>) {
        if let Some(tag) = self.late_tag {
            self.core.down.side.emit(tag, rec);
        }
    }

    /// Writes every key's slots under the key's key group.
    fn write_state(&self, cp: &mut CheckpointCtx) {
        cp.touch(&self.identity);
        let entries = self.slots.iter().map(|(key, list)| {
            let slots: Vec<_> = list
                .iter()
                .map(|s| (&s.window, &s.acc, &s.trigger_state, s.timers.as_slice()))
                .collect();
            (key, slots)
        });
        for (kg, group) in group_by_key_group(entries, self.max_parallelism) {
            cp.add_key_group(&self.identity, kg, &group);
        }
    }

    /// Loads checkpointed key groups (before any input) and re-enqueues the restored timers.
    pub(crate) fn restore(&mut self, groups: &[(usize, Vec<u8>)]) -> Result<(), String> {
        for (_, bytes) in groups {
            let entries: KeyGroupEntries<K, WF::Acc, Tr::State> = decode(bytes)?;
            for (key, slots) in entries {
                let list = self.slots.entry(key.clone()).or_default();
                for (window, acc, trigger_state, timers) in slots {
                    let timers: Timers = timers.into_iter().collect();
                    self.core.enqueue(&key, window, &timers);
                    list.push(WindowSlot {
                        window,
                        acc,
                        trigger_state,
                        timers,
                    });
                }
                if list.is_empty() {
                    self.slots.remove(&key);
                }
            }
        }
        Ok(())
    }

    #[inline]
    fn process(&mut self, mut rec: Record<T>) {
        let core = &mut self.core;
        if !core.assigner.is_event_time() {
            rec.timestamp = core.now;
        } else if rec.timestamp == NO_TIMESTAMP {
            // Event-time windows cannot place an element without a timestamp: it is late.
            self.late(rec);
            return;
        }
        let key = (self.key_selector)(&rec.value);
        if core.assigner.is_merging() {
            core.assigner.assign(rec.timestamp, &mut self.scratch);
            let nw = self.scratch[0];
            let list = self.slots.entry(key.clone()).or_default();
            let rejected = core.add_merging(list, &key, nw, rec);
            if list.is_empty() {
                self.slots.remove(&key);
            }
            if let Some(r) = rejected
                && self.core.is_element_late(r.timestamp)
            {
                self.late(r);
            }
            return;
        }
        core.assigner.assign_cached(rec.timestamp, &mut self.cache);
        // The oldest window is cleaned up first: if it is not late, none is.
        let windows: &[Window] = match self.cache.windows.last() {
            Some(oldest) if core.is_window_late(oldest) => {
                self.scratch.clear();
                self.scratch.extend(
                    self.cache
                        .windows
                        .iter()
                        .copied()
                        .filter(|w| !core.is_window_late(w)),
                );
                if self.scratch.is_empty() {
                    if self.core.is_element_late(rec.timestamp) {
                        self.late(rec);
                    }
                    return;
                }
                &self.scratch
            }
            _ => &self.cache.windows,
        };
        if let Some(list) = self.slots.get_mut(&key) {
            self.core.add_to_windows(list, &key, windows, rec);
            if list.is_empty() {
                self.slots.remove(&key);
            }
            return;
        }
        let mut list = SlotList::new();
        self.core.add_to_windows(&mut list, &key, windows, rec);
        if !list.is_empty() {
            self.slots.insert(key, list);
        }
    }

    fn fire_timers(&mut self, upto: Timestamp, event_time: bool) {
        loop {
            let queue = if event_time {
                &mut self.core.event_queue
            } else {
                &mut self.core.proc_queue
            };
            let Some(entry) = queue.first_entry() else { break };
            if *entry.key() > upto {
                break;
            }
            let (time, due) = entry.remove_entry();
            for (key, window) in due {
                self.on_timer(time, key, window, event_time);
                self.core.down.emit_when_full();
            }
        }
    }

    fn on_timer(&mut self, time: Timestamp, key: K, window: Window, event_time: bool) {
        let Some(list) = self.slots.get_mut(&key) else {
            return;
        };
        let Some(idx) = list.iter().position(|s| s.window == window) else {
            return;
        };
        let entry = TimerEntry { time, event_time };
        let core = &mut self.core;
        let slot = &mut list[idx];
        let Some(pos) = slot.timers.iter().position(|e| *e == entry) else {
            return;
        };
        slot.timers.swap_remove(pos);
        let mut added = Timers::new();
        let mut ctx = slot.trigger_context(core.watermark, core.now, &mut added);
        let result = if event_time {
            core.trigger.on_event_time(time, &window, &mut ctx)
        } else {
            core.trigger.on_processing_time(time, &window, &mut ctx)
        };
        core.enqueue(&key, window, &added);
        let cleanup = !window.is_global()
            && event_time == core.assigner.is_event_time()
            && time == core.cleanup_time(&window);
        if result.is_fire() {
            let slot = &list[idx];
            core.wf.emit(&key, &slot.window, &slot.acc, &mut core.down.buffer);
        }
        if result.is_purge() || cleanup {
            list.swap_remove(idx);
        }
        if list.is_empty() {
            self.slots.remove(&key);
        }
    }
}

impl<K, T, KS, Tr, WF> Control for WindowOperator<K, T, KS, Tr, WF>
where
    K: Key,
    T: Data,
    KS: Fn(&T) -> K + Send,
    Tr: Trigger<T>,
    WF: WindowFn<K, T>,
{
    fn downstream(&mut self) -> Option<&mut dyn Control> {
        Some(&mut self.core.down)
    }
    fn watermark(&mut self, watermark: Timestamp) {
        self.core.watermark = watermark;
        self.fire_timers(watermark, true);
        self.core.down.watermark(watermark);
    }
    fn tick(&mut self, now: Timestamp) {
        // The clock that places records never goes back, so no record lands in a window that
        // already fired.
        self.core.now = self.core.now.max(now);
        // A window's timer (its last millisecond) fires once the clock is past it, not in it:
        // records stamped later in that millisecond would reopen the fired window and make
        // it fire again (Flink has the same race; firing 1 ms later closes it).
        let due = self.core.now - 1;
        if self
            .core
            .proc_queue
            .first_key_value()
            .is_some_and(|(t, _)| *t <= due)
        {
            self.fire_timers(due, false);
            self.core.down.emit();
        }
        self.core.down.tick(now);
    }
    fn finish(&mut self) {
        // A bounded job completes every processing-time window too, so no input is lost;
        // unless the assigner drops them, as Flink SQL does.
        if !self.core.assigner.drops_open_windows_at_end() {
            self.core.now = MAX_WATERMARK;
            self.fire_timers(MAX_WATERMARK, false);
        }
        self.core.down.finish();
    }
    fn snapshot(&mut self, cp: &mut CheckpointCtx) {
        self.write_state(cp);
    }
}

impl<K, T, KS, Tr, WF> Output<T> for WindowOperator<K, T, KS, Tr, WF>
where
    K: Key,
    T: Data,
    KS: Fn(&T) -> K + Send,
    Tr: Trigger<T>,
    WF: WindowFn<K, T>,
{
    fn push(&mut self, batch: &mut Vec<Record<T>>) {
        for r in batch.drain(..) {
            self.process(r);
        }
        self.core.down.emit();
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::keygroup::{KeyGroupRange, key_group_of};
    use crate::operator_test_support::{Collect, checkpoint, downstream, identity, key_groups_in};
    use crate::window::function::AggregateWindowFn;
    use crate::window::{Count, CountTrigger, DefaultTrigger, WindowResult};

    const MAX_PARALLELISM: usize = 128;
    const KEYS: u64 = 5;

    #[derive(Clone, Copy)]
    enum Step {
        Element(Timestamp, u64),
        Watermark(Timestamp),
    }

    type Op<Tr> = WindowOperator<u64, u64, fn(&u64) -> u64, Tr, AggregateWindowFn<Count>>;
    type Out = Vec<(WindowResult<u64, u64>, Timestamp)>;
    /// An operator subtask with what it emitted.
    type Subtask<Tr> = (Op<Tr>, Collect<WindowResult<u64, u64>>);

    fn key_of(v: &u64) -> u64 {
        v % KEYS
    }

    fn op<Tr: Trigger<u64>>(
        assigner: WindowAssigner,
        trigger: Tr,
        lateness: i64,
        subtask: usize,
        parallelism: usize,
    ) -> (Op<Tr>, Collect<WindowResult<u64, u64>>) {
        let out = Collect::new();
        let spec = WindowSpec {
            assigner,
            trigger,
            allowed_lateness: lateness,
            late_tag: None,
        };
        let op = WindowOperator::new(
            key_of as fn(&u64) -> u64,
            spec,
            AggregateWindowFn(Count),
            downstream(&out),
            identity(subtask, parallelism),
            MAX_PARALLELISM,
        );
        (op, out)
    }

    /// Feeds `steps` to the operators of one parallelism, each element to the subtask owning
    /// its key; returns everything they emitted, sorted.
    fn drive<Tr: Trigger<u64>>(ops: &mut [Subtask<Tr>], steps: &[Step]) -> Out {
        let p = ops.len();
        for step in steps {
            match *step {
                Step::Element(ts, v) => {
                    let kg = key_group_of(&key_of(&v), MAX_PARALLELISM);
                    let owner = (0..p)
                        .find(|s| KeyGroupRange::for_subtask(*s, p, MAX_PARALLELISM).contains(kg))
                        .unwrap();
                    ops[owner].0.push(&mut vec![Record::new(ts, v)]);
                }
                Step::Watermark(w) => ops.iter_mut().for_each(|(op, _)| op.watermark(w)),
            }
        }
        let mut out: Out = ops
            .iter()
            .flat_map(|(_, c)| c.take())
            .map(|r| (r.value, r.timestamp))
            .collect();
        out.sort();
        out
    }

    /// Runs `before` then `after` on one operator, and again with a checkpoint between them
    /// restored into fresh operators at parallelism 1 and 3: what follows the checkpoint must
    /// be identical.
    fn assert_restore_continues<Tr: Trigger<u64>>(
        new: impl Fn(usize, usize) -> (Op<Tr>, Collect<WindowResult<u64, u64>>),
        before: &[Step],
        after: &[Step],
    ) {
        let mut reference = vec![new(0, 1)];
        drive(&mut reference, before);
        let expected = drive(&mut reference, after);
        assert!(!expected.is_empty(), "the suffix emits something");

        let mut original = vec![new(0, 1)];
        drive(&mut original, before);
        let cp = checkpoint(&mut original[0].0);
        for parallelism in [1, 3] {
            let mut restored: Vec<_> = (0..parallelism).map(|s| new(s, parallelism)).collect();
            for (s, (op, _)) in restored.iter_mut().enumerate() {
                let range = KeyGroupRange::for_subtask(s, parallelism, MAX_PARALLELISM);
                op.restore(&key_groups_in(&[&cp], range)).unwrap();
            }
            assert_eq!(drive(&mut restored, after), expected, "p={parallelism}");
        }
    }

    fn elements(range: std::ops::Range<u64>, ts: impl Fn(u64) -> Timestamp) -> Vec<Step> {
        range.map(|v| Step::Element(ts(v), v)).collect()
    }

    #[test]
    fn merged_sessions_and_fired_windows_survive_a_restore() {
        let new = |s, p| {
            op(
                WindowAssigner::session(Duration::from_millis(10)),
                DefaultTrigger::EventTime,
                50,
                s,
                p,
            )
        };
        // Per key: elements 3 ms apart (one merged session each), then a watermark that fires
        // those sessions but keeps them within the allowed lateness.
        let mut before = elements(0..40, |v| (v as i64 / KEYS as i64) * 3);
        before.push(Step::Watermark(40));
        // After: the watermark moves on (no second firing), a late element merges into each
        // fired session (fires it again), then new sessions and the final watermark.
        let mut after = vec![Step::Watermark(45)];
        after.extend(elements(100..105, |_| 25));
        after.extend(elements(200..220, |v| 60 + v as i64 % 7));
        after.push(Step::Watermark(MAX_WATERMARK));
        assert_restore_continues(new, &before, &after);
    }

    #[test]
    fn count_windows_keep_their_trigger_counts_across_a_restore() {
        let new = |s, p| op(WindowAssigner::global(), CountTrigger::purging(4), 0, s, p);
        let before = elements(0..23, |v| v as i64);
        let after = elements(23..61, |v| v as i64);
        assert_restore_continues(new, &before, &after);
    }

    #[test]
    fn a_window_fired_within_its_lateness_does_not_fire_again_after_restore() {
        let new = |s, p| {
            op(
                WindowAssigner::tumbling(Duration::from_millis(10)),
                DefaultTrigger::EventTime,
                100,
                s,
                p,
            )
        };
        let (mut a, out) = new(0, 1);
        a.push(&mut vec![Record::new(3, 1)]);
        a.watermark(20);
        assert_eq!(out.take().len(), 1, "the window fired once");
        let cp = checkpoint(&mut a);
        let (mut b, out) = new(0, 1);
        b.restore(&key_groups_in(
            &[&cp],
            KeyGroupRange::for_subtask(0, 1, MAX_PARALLELISM),
        ))
        .unwrap();
        b.watermark(30);
        assert!(out.take().is_empty(), "no second firing without new data");
        b.push(&mut vec![Record::new(4, 1)]);
        b.watermark(40);
        let got: Vec<u64> = out.take().into_iter().map(|r| r.value.value).collect();
        assert_eq!(got, vec![2], "new data fires the window again with both elements");
        b.watermark(200);
        assert!(
            b.slots.is_empty(),
            "the restored cleanup timer dropped the window"
        );
    }
}
