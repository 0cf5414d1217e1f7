//! Triggers decide when a window's contents are emitted (and purged).

use smallvec::SmallVec;

use crate::record::{Timestamp, Window};

/// What a trigger wants done with its window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriggerResult {
    /// Nothing.
    Continue,
    /// Emit the window's current result; keep its state.
    Fire,
    /// Drop the window's state without emitting.
    Purge,
    /// Emit, then drop the state.
    FireAndPurge,
}

impl TriggerResult {
    /// Whether the window is emitted.
    pub fn is_fire(self) -> bool {
        matches!(self, Self::Fire | Self::FireAndPurge)
    }
    /// Whether the window's state is dropped.
    pub fn is_purge(self) -> bool {
        matches!(self, Self::Purge | Self::FireAndPurge)
    }
}

/// A timer registered for one (key, window); checkpointed with the window's slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct TimerEntry {
    pub(crate) time: Timestamp,
    pub(crate) event_time: bool,
}

pub(crate) type Timers = SmallVec<[TimerEntry; 2]>;

/// What a trigger can see and do for the (key, window) it is called for.
pub struct TriggerContext<'a, S> {
    /// Per-(key, window) trigger state (for example a count).
    pub state: &'a mut S,
    pub(crate) watermark: Timestamp,
    pub(crate) now: Timestamp,
    pub(crate) timers: &'a mut Timers,
    pub(crate) added: &'a mut Timers,
}

impl<S> std::fmt::Debug for TriggerContext<'_, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TriggerContext")
            .field("watermark", &self.watermark)
            .finish_non_exhaustive()
    }
}

impl<S> TriggerContext<'_, S> {
    /// The operator's current watermark.
    pub fn current_watermark(&self) -> Timestamp {
        self.watermark
    }
    /// Current processing time.
    pub fn current_processing_time(&self) -> Timestamp {
        self.now
    }
    #[inline]
    fn register(&mut self, e: TimerEntry) {
        if !self.timers.contains(&e) {
            self.timers.push(e);
            self.added.push(e);
        }
    }
    /// Calls `on_event_time(time)` once the watermark reaches `time` (idempotent).
    #[inline]
    pub fn register_event_time_timer(&mut self, time: Timestamp) {
        self.register(TimerEntry {
            time,
            event_time: true,
        });
    }
    /// Calls `on_processing_time(time)` once the clock reaches `time` (idempotent).
    pub fn register_processing_time_timer(&mut self, time: Timestamp) {
        self.register(TimerEntry {
            time,
            event_time: false,
        });
    }
    /// Cancels an event-time timer.
    pub fn delete_event_time_timer(&mut self, time: Timestamp) {
        self.timers.retain(|e| {
            *e != TimerEntry {
                time,
                event_time: true,
            }
        });
    }
    /// Cancels a processing-time timer.
    pub fn delete_processing_time_timer(&mut self, time: Timestamp) {
        self.timers.retain(|e| {
            *e != TimerEntry {
                time,
                event_time: false,
            }
        });
    }
}

/// Decides when a window fires. Called per element (`on_element`), when a registered timer
/// fires, and when session windows merge. Implementations are cloned per subtask; their
/// per-window memory lives in [`Trigger::State`] (kept with the window's state, so it is
/// snapshotted and merged with it).
pub trait Trigger<T>: Clone + Send + 'static {
    /// Per-(key, window) state; checkpointed with the window (derive `Serialize` and
    /// `Deserialize`).
    type State: Default + crate::record::StateData;
    /// An element was added to `window`.
    fn on_element(
        &mut self,
        value: &T,
        timestamp: Timestamp,
        window: &Window,
        ctx: &mut TriggerContext<'_, Self::State>,
    ) -> TriggerResult;
    /// An event-time timer of this window fired.
    fn on_event_time(
        &mut self,
        time: Timestamp,
        window: &Window,
        ctx: &mut TriggerContext<'_, Self::State>,
    ) -> TriggerResult;
    /// A processing-time timer of this window fired.
    fn on_processing_time(
        &mut self,
        time: Timestamp,
        window: &Window,
        ctx: &mut TriggerContext<'_, Self::State>,
    ) -> TriggerResult;
    /// Session windows merged into `window`; `ctx.state` already holds the merged state.
    fn on_merge(&mut self, window: &Window, ctx: &mut TriggerContext<'_, Self::State>) {
        let _ = (window, ctx);
    }
    /// Combines the states of two windows that merge.
    fn merge_state(&self, into: &mut Self::State, other: Self::State) {
        let _ = (into, other);
    }
}

/// Fires when the watermark passes the end of the window (and again for every late element
/// within the allowed lateness).
#[derive(Debug, Clone, Copy, Default)]
pub struct EventTimeTrigger;

impl<T> Trigger<T> for EventTimeTrigger {
    type State = ();
    #[inline]
    fn on_element(
        &mut self,
        _: &T,
        _: Timestamp,
        window: &Window,
        ctx: &mut TriggerContext<'_, ()>,
    ) -> TriggerResult {
        if window.max_timestamp() <= ctx.watermark {
            TriggerResult::Fire
        } else {
            ctx.register_event_time_timer(window.max_timestamp());
            TriggerResult::Continue
        }
    }
    fn on_event_time(
        &mut self,
        time: Timestamp,
        window: &Window,
        _: &mut TriggerContext<'_, ()>,
    ) -> TriggerResult {
        if time == window.max_timestamp() {
            TriggerResult::Fire
        } else {
            TriggerResult::Continue
        }
    }
    fn on_processing_time(
        &mut self,
        _: Timestamp,
        _: &Window,
        _: &mut TriggerContext<'_, ()>,
    ) -> TriggerResult {
        TriggerResult::Continue
    }
    fn on_merge(&mut self, window: &Window, ctx: &mut TriggerContext<'_, ()>) {
        if window.max_timestamp() > ctx.watermark {
            ctx.register_event_time_timer(window.max_timestamp());
        }
    }
}

/// Fires when the wall clock passes the end of the window.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessingTimeTrigger;

impl<T> Trigger<T> for ProcessingTimeTrigger {
    type State = ();
    fn on_element(
        &mut self,
        _: &T,
        _: Timestamp,
        window: &Window,
        ctx: &mut TriggerContext<'_, ()>,
    ) -> TriggerResult {
        ctx.register_processing_time_timer(window.max_timestamp());
        TriggerResult::Continue
    }
    fn on_event_time(&mut self, _: Timestamp, _: &Window, _: &mut TriggerContext<'_, ()>) -> TriggerResult {
        TriggerResult::Continue
    }
    fn on_processing_time(
        &mut self,
        time: Timestamp,
        window: &Window,
        _: &mut TriggerContext<'_, ()>,
    ) -> TriggerResult {
        if time >= window.max_timestamp() {
            TriggerResult::Fire
        } else {
            TriggerResult::Continue
        }
    }
    fn on_merge(&mut self, window: &Window, ctx: &mut TriggerContext<'_, ()>) {
        ctx.register_processing_time_timer(window.max_timestamp());
    }
}

/// Fires every `count` elements of a window; `purging` also clears the window then (count
/// windows).
#[derive(Debug, Clone, Copy)]
pub struct CountTrigger {
    count: u64,
    purging: bool,
}

impl CountTrigger {
    /// Fires (keeping state) every `count` elements.
    pub fn of(count: u64) -> Self {
        Self {
            count: count.max(1),
            purging: false,
        }
    }
    /// Fires and purges every `count` elements.
    pub fn purging(count: u64) -> Self {
        Self {
            count: count.max(1),
            purging: true,
        }
    }
}

impl<T> Trigger<T> for CountTrigger {
    type State = u64;
    fn on_element(
        &mut self,
        _: &T,
        _: Timestamp,
        _: &Window,
        ctx: &mut TriggerContext<'_, u64>,
    ) -> TriggerResult {
        *ctx.state += 1;
        if *ctx.state >= self.count {
            *ctx.state = 0;
            if self.purging {
                TriggerResult::FireAndPurge
            } else {
                TriggerResult::Fire
            }
        } else {
            TriggerResult::Continue
        }
    }
    fn on_event_time(&mut self, _: Timestamp, _: &Window, _: &mut TriggerContext<'_, u64>) -> TriggerResult {
        TriggerResult::Continue
    }
    fn on_processing_time(
        &mut self,
        _: Timestamp,
        _: &Window,
        _: &mut TriggerContext<'_, u64>,
    ) -> TriggerResult {
        TriggerResult::Continue
    }
    fn merge_state(&self, into: &mut u64, other: u64) {
        *into += other;
    }
}

/// The trigger a window assigner implies: event time, processing time, or never (global).
#[derive(Debug, Clone, Copy)]
pub enum DefaultTrigger {
    /// [`EventTimeTrigger`].
    EventTime,
    /// [`ProcessingTimeTrigger`].
    ProcessingTime,
    /// Never fires (global windows without a trigger).
    Never,
}

impl<T> Trigger<T> for DefaultTrigger {
    type State = ();
    #[inline]
    fn on_element(
        &mut self,
        v: &T,
        ts: Timestamp,
        w: &Window,
        ctx: &mut TriggerContext<'_, ()>,
    ) -> TriggerResult {
        match self {
            Self::EventTime => EventTimeTrigger.on_element(v, ts, w, ctx),
            Self::ProcessingTime => {
                <ProcessingTimeTrigger as Trigger<T>>::on_element(&mut ProcessingTimeTrigger, v, ts, w, ctx)
            }
            Self::Never => TriggerResult::Continue,
        }
    }
    fn on_event_time(&mut self, t: Timestamp, w: &Window, ctx: &mut TriggerContext<'_, ()>) -> TriggerResult {
        match self {
            Self::EventTime => {
                <EventTimeTrigger as Trigger<T>>::on_event_time(&mut EventTimeTrigger, t, w, ctx)
            }
            _ => TriggerResult::Continue,
        }
    }
    fn on_processing_time(
        &mut self,
        t: Timestamp,
        w: &Window,
        ctx: &mut TriggerContext<'_, ()>,
    ) -> TriggerResult {
        match self {
            Self::ProcessingTime => <ProcessingTimeTrigger as Trigger<T>>::on_processing_time(
                &mut ProcessingTimeTrigger,
                t,
                w,
                ctx,
            ),
            _ => TriggerResult::Continue,
        }
    }
    fn on_merge(&mut self, w: &Window, ctx: &mut TriggerContext<'_, ()>) {
        match self {
            Self::EventTime => <EventTimeTrigger as Trigger<T>>::on_merge(&mut EventTimeTrigger, w, ctx),
            Self::ProcessingTime => {
                <ProcessingTimeTrigger as Trigger<T>>::on_merge(&mut ProcessingTimeTrigger, w, ctx)
            }
            Self::Never => {}
        }
    }
}

/// Wraps a trigger so that every fire also purges.
#[derive(Debug, Clone, Copy)]
pub struct PurgingTrigger<Tr>(pub Tr);

fn purge(r: TriggerResult) -> TriggerResult {
    if r.is_fire() {
        TriggerResult::FireAndPurge
    } else {
        r
    }
}

impl<T, Tr: Trigger<T>> Trigger<T> for PurgingTrigger<Tr> {
    type State = Tr::State;
    fn on_element(
        &mut self,
        v: &T,
        ts: Timestamp,
        w: &Window,
        ctx: &mut TriggerContext<'_, Tr::State>,
    ) -> TriggerResult {
        purge(self.0.on_element(v, ts, w, ctx))
    }
    fn on_event_time(
        &mut self,
        t: Timestamp,
        w: &Window,
        ctx: &mut TriggerContext<'_, Tr::State>,
    ) -> TriggerResult {
        purge(self.0.on_event_time(t, w, ctx))
    }
    fn on_processing_time(
        &mut self,
        t: Timestamp,
        w: &Window,
        ctx: &mut TriggerContext<'_, Tr::State>,
    ) -> TriggerResult {
        purge(self.0.on_processing_time(t, w, ctx))
    }
    fn on_merge(&mut self, w: &Window, ctx: &mut TriggerContext<'_, Tr::State>) {
        self.0.on_merge(w, ctx)
    }
    fn merge_state(&self, into: &mut Tr::State, other: Tr::State) {
        self.0.merge_state(into, other)
    }
}
