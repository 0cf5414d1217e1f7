//! Keyed process functions: per-key state and timers.

use std::marker::PhantomData;

use crate::keygroup::{KeyGroupRange, key_group_of};
use crate::operators::{Downstream, OutputTag};
use crate::record::{Data, Key, MIN_WATERMARK, Record, Timestamp};
use crate::runtime::output::{Control, Output};
use crate::state::{HeapKeyedStateBackend, KeyedStateAccess, StateRegistry, TimerService};

/// Which clock a timer follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeDomain {
    /// Fires when the watermark reaches the timer.
    EventTime,
    /// Fires when the wall clock reaches the timer.
    ProcessingTime,
}

/// What a [`KeyedProcessFunction`] sees for the current key: state, timers and outputs.
pub struct KeyedContext<'a, K, O> {
    key: &'a K,
    key_group: usize,
    timestamp: Timestamp,
    watermark: Timestamp,
    now: Timestamp,
    backend: &'a mut HeapKeyedStateBackend<K>,
    timers: &'a mut TimerService<K>,
    down: &'a mut Downstream<O>,
}

impl<K, O> std::fmt::Debug for KeyedContext<'_, K, O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyedContext")
            .field("timestamp", &self.timestamp)
            .finish_non_exhaustive()
    }
}

impl<K: Key, O: Data> KeyedContext<'_, K, O> {
    /// The current key.
    pub fn key(&self) -> &K {
        self.key
    }
    /// The element's timestamp (or the timer's time in `on_timer`).
    pub fn timestamp(&self) -> Timestamp {
        self.timestamp
    }
    /// The operator's current watermark.
    pub fn current_watermark(&self) -> Timestamp {
        self.watermark
    }
    /// Current processing time.
    pub fn current_processing_time(&self) -> Timestamp {
        self.now
    }
    /// Emits with the current timestamp.
    pub fn collect(&mut self, value: O) {
        self.down.buffer.push(Record::new(self.timestamp, value));
    }
    /// Emits with an explicit timestamp.
    pub fn collect_with_timestamp(&mut self, value: O, timestamp: Timestamp) {
        self.down.buffer.push(Record::new(timestamp, value));
    }
    /// Emits to a side output.
    pub fn output<S: Data>(&mut self, tag: &OutputTag<S>, value: S) {
        self.down.side.emit(tag.id, Record::new(self.timestamp, value));
    }
    /// Calls `on_timer(time)` for this key once the watermark reaches `time` (idempotent).
    pub fn register_event_time_timer(&mut self, time: Timestamp) {
        self.timers.event.register(time, self.key);
    }
    /// Cancels an event-time timer of this key.
    pub fn delete_event_time_timer(&mut self, time: Timestamp) {
        self.timers.event.delete(time, self.key);
    }
    /// Calls `on_timer(time)` for this key once the clock reaches `time` (idempotent).
    pub fn register_processing_time_timer(&mut self, time: Timestamp) {
        self.timers.processing.register(time, self.key);
    }
    /// Cancels a processing-time timer of this key.
    pub fn delete_processing_time_timer(&mut self, time: Timestamp) {
        self.timers.processing.delete(time, self.key);
    }
}

impl<K: Key, O> KeyedStateAccess<K> for KeyedContext<'_, K, O> {
    fn state_parts(&self) -> (&HeapKeyedStateBackend<K>, usize, &K) {
        (self.backend, self.key_group, self.key)
    }
    fn state_parts_mut(&mut self) -> (&mut HeapKeyedStateBackend<K>, usize, &K) {
        (self.backend, self.key_group, self.key)
    }
}

/// A per-key function with state and timers (Flink's `KeyedProcessFunction`).
pub trait KeyedProcessFunction<K, I, O>: Clone + Send + 'static {
    /// Registers state handles; called once per subtask before any element.
    fn open(&mut self, states: &mut StateRegistry<'_, K>) {
        let _ = states;
    }
    /// Called for every element, with its key current.
    fn process_element(&mut self, value: I, ctx: &mut KeyedContext<'_, K, O>);
    /// Called when a timer of the current key fires (in timestamp order per domain).
    fn on_timer(&mut self, time: Timestamp, domain: TimeDomain, ctx: &mut KeyedContext<'_, K, O>) {
        let _ = (time, domain, ctx);
    }
}

pub(crate) struct KeyedProcessOp<K, I, O, KS, F> {
    key_selector: KS,
    f: F,
    backend: HeapKeyedStateBackend<K>,
    timers: TimerService<K>,
    max_parallelism: usize,
    watermark: Timestamp,
    now: Timestamp,
    down: Downstream<O>,
    _i: PhantomData<fn(I)>,
}

impl<K, I, O, KS, F> KeyedProcessOp<K, I, O, KS, F>
where
    K: Key,
    I: Send + 'static,
    O: Data,
    KS: Fn(&I) -> K + Send,
    F: KeyedProcessFunction<K, I, O>,
{
    pub(crate) fn new(
        key_selector: KS,
        mut f: F,
        range: KeyGroupRange,
        max_parallelism: usize,
        down: Downstream<O>,
    ) -> Self {
        let mut backend = HeapKeyedStateBackend::new(range);
        f.open(&mut StateRegistry {
            backend: &mut backend,
        });
        Self {
            key_selector,
            f,
            backend,
            timers: TimerService::new(),
            max_parallelism,
            watermark: MIN_WATERMARK,
            now: 0,
            down,
            _i: PhantomData,
        }
    }

    fn fire(&mut self, upto: Timestamp, domain: TimeDomain) {
        loop {
            let queue = match domain {
                TimeDomain::EventTime => &mut self.timers.event,
                TimeDomain::ProcessingTime => &mut self.timers.processing,
            };
            let Some((time, key)) = queue.pop_due(upto) else {
                break;
            };
            let mut ctx = KeyedContext {
                key: &key,
                key_group: key_group_of(&key, self.max_parallelism),
                timestamp: time,
                watermark: self.watermark,
                now: self.now,
                backend: &mut self.backend,
                timers: &mut self.timers,
                down: &mut self.down,
            };
            self.f.on_timer(time, domain, &mut ctx);
        }
    }
}

impl<K, I, O, KS, F> Control for KeyedProcessOp<K, I, O, KS, F>
where
    K: Key,
    I: Send + 'static,
    O: Data,
    KS: Fn(&I) -> K + Send,
    F: KeyedProcessFunction<K, I, O>,
{
    fn watermark(&mut self, watermark: Timestamp) {
        self.watermark = watermark;
        self.fire(watermark, TimeDomain::EventTime);
        self.down.watermark(watermark);
    }
    fn idle(&mut self, idle: bool) {
        self.down.idle(idle);
    }
    fn tick(&mut self, now: Timestamp) {
        self.now = now;
        self.fire(now, TimeDomain::ProcessingTime);
        self.down.emit();
        self.down.tick(now);
    }
    fn finish(&mut self) {
        // Event-time timers all fired at the final watermark; processing-time timers are
        // wall-clock callbacks and are dropped at end of input (as in Flink).
        self.down.finish();
    }
    fn flush(&mut self) -> bool {
        self.down.flush()
    }
}

impl<K, I, O, KS, F> Output<I> for KeyedProcessOp<K, I, O, KS, F>
where
    K: Key,
    I: Send + 'static,
    O: Data,
    KS: Fn(&I) -> K + Send,
    F: KeyedProcessFunction<K, I, O>,
{
    fn push(&mut self, batch: &mut Vec<Record<I>>) {
        for r in batch.drain(..) {
            let key = (self.key_selector)(&r.value);
            let mut ctx = KeyedContext {
                key: &key,
                key_group: key_group_of(&key, self.max_parallelism),
                timestamp: r.timestamp,
                watermark: self.watermark,
                now: self.now,
                backend: &mut self.backend,
                timers: &mut self.timers,
                down: &mut self.down,
            };
            self.f.process_element(r.value, &mut ctx);
        }
        self.down.emit();
    }
}
