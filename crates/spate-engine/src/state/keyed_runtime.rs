//! What every keyed function operator (keyed process, keyed co-process, keyed broadcast,
//! interval join) keeps besides its function: the keyed state backend, the timers, time and
//! the output, checkpointed together per key group; and the [`KeyedContext`] it hands the
//! function for the current key. The function traits and their operators are in
//! `operators/`.

use crate::checkpoint::CheckpointCtx;
use crate::checkpoint::snapshot::{Blob, OperatorIdentity, decode, encode};
use crate::checkpoint::storage::SectionRef;
use crate::clock::now_millis;
use crate::keygroup::{KeyGroupRange, key_group_of};
use crate::record::{Data, Key, MAX_WATERMARK, MIN_WATERMARK, Record, Timestamp};
use crate::runtime::build::BuildCtx;
use crate::runtime::output::{Control, Downstream, OutputTag};
use crate::state::backend::DecodedKeyGroup;
use crate::state::{HeapKeyedStateBackend, KeyedStateAccess, KeyedStateBackend, StateRegistry, TimerService};

/// One key group of a keyed runtime in a checkpoint: states (name, entries), event-time and
/// processing-time timers.
type KeyGroupState<K> = (Vec<(String, Blob)>, Vec<(Timestamp, K)>, Vec<(Timestamp, K)>);

/// A restored key group, decoded and ready to install: (key group, states, event-time timers,
/// processing-time timers).
type DecodedGroup<K> = (usize, DecodedKeyGroup, Vec<(Timestamp, K)>, Vec<(Timestamp, K)>);

/// Below this many bytes a restore decodes on the task's thread alone.
const PARALLEL_DECODE_BYTES: usize = 1 << 20;

fn decode_key_group<K: Key, S>(
    backend: &HeapKeyedStateBackend<K>,
    kg: usize,
    source: &S,
    read: &(impl Fn(&S) -> Result<Vec<u8>, String> + Sync),
) -> Result<DecodedGroup<K>, String> {
    let bytes = read(source)?;
    let (states, event, processing): KeyGroupState<K> = decode(&bytes)?;
    drop(bytes);
    let states = states.into_iter().map(|(name, blob)| (name, blob.0)).collect();
    Ok((kg, backend.decode_key_group(states)?, event, processing))
}

/// Reads (with `read`) and decodes restored key groups, on as many threads as there are cores
/// when there is much to decode (by `size`): key groups are independent, and each thread reads
/// the groups it decodes, so at most a group per thread is held serialised.
fn decode_key_groups<K: Key, S: Sync>(
    backend: &HeapKeyedStateBackend<K>,
    groups: Vec<(usize, S)>,
    read: impl Fn(&S) -> Result<Vec<u8>, String> + Sync,
    size: impl Fn(&S) -> usize,
) -> Vec<Result<DecodedGroup<K>, String>> {
    let bytes: usize = groups.iter().map(|(_, s)| size(s)).sum();
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(groups.len());
    if threads <= 1 || bytes < PARALLEL_DECODE_BYTES {
        return groups
            .iter()
            .map(|(kg, s)| decode_key_group(backend, *kg, s, &read))
            .collect();
    }
    let per_thread = groups.len().div_ceil(threads);
    let read = &read;
    std::thread::scope(|scope| {
        let workers: Vec<_> = groups
            .chunks(per_thread)
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|(kg, s)| decode_key_group(backend, *kg, s, read))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| {
                w.join()
                    .unwrap_or_else(|_| vec![Err("a restore thread panicked".to_string())])
            })
            .collect()
    })
}

/// Which clock a timer follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeDomain {
    /// Fires when the watermark reaches the timer.
    EventTime,
    /// Fires when the wall clock reaches the timer.
    ProcessingTime,
}

/// What a [`KeyedProcessFunction`](crate::operators::keyed_process::KeyedProcessFunction) sees for the current key: state, timers and outputs.
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
    /// Ignored once the input has ended (see [`KeyedProcessFunction`](crate::operators::keyed_process::KeyedProcessFunction) on bounded input).
    pub fn register_event_time_timer(&mut self, time: Timestamp) {
        if !self.timers.event_quiesced {
            self.timers.event.register(time, self.key);
        }
    }
    /// Cancels an event-time timer of this key.
    pub fn delete_event_time_timer(&mut self, time: Timestamp) {
        self.timers.event.delete(time, self.key);
    }
    /// Calls `on_timer(time)` for this key once the clock reaches `time` (idempotent).
    /// Ignored once the input has ended (see [`KeyedProcessFunction`](crate::operators::keyed_process::KeyedProcessFunction) on bounded input).
    pub fn register_processing_time_timer(&mut self, time: Timestamp) {
        if !self.timers.processing_quiesced {
            self.timers.processing.register(time, self.key);
        }
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

impl<'a, K, O> KeyedContext<'a, K, O> {
    /// The state backend, current key group and key, and the output: lets crate operators read
    /// state while emitting without cloning.
    pub(crate) fn parts(&mut self) -> (&mut HeapKeyedStateBackend<K>, usize, &K, &mut Downstream<O>) {
        (self.backend, self.key_group, self.key, self.down)
    }
}

/// What every keyed operator with state and timers keeps: the backend, the timers, time, and the
/// output. Operators add their function and call [`context`](Self::context) per element.
pub(crate) struct KeyedRuntime<K, O> {
    /// Who this is in checkpoints (set by [`attach`](Self::attach)).
    identity: Option<OperatorIdentity>,
    pub(crate) backend: HeapKeyedStateBackend<K>,
    timers: TimerService<K>,
    max_parallelism: usize,
    pub(crate) watermark: Timestamp,
    pub(crate) now: Timestamp,
    pub(crate) down: Downstream<O>,
    /// The watermark whose event-time timers are still firing (see
    /// [`on_watermark_resumable`](Self::on_watermark_resumable)); passed on after the last.
    firing: Option<Timestamp>,
}

impl<K: Key, O: Data> KeyedRuntime<K, O> {
    pub(crate) fn new(range: KeyGroupRange, max_parallelism: usize, down: Downstream<O>) -> Self {
        Self {
            identity: None,
            backend: HeapKeyedStateBackend::new(range),
            timers: TimerService::new(),
            max_parallelism,
            watermark: MIN_WATERMARK,
            now: 0,
            down,
            firing: None,
        }
    }

    /// Joins checkpointing: names the runtime's state and restores it from the checkpoint the
    /// attempt starts from. Called after the function's `open` registered its states.
    pub(crate) fn attach(&mut self, ctx: &BuildCtx<'_>) {
        self.identity = Some(ctx.identity());
        let Some((checkpoint, sections)) = ctx.restored_key_group_sections() else {
            return;
        };
        let read = |r: &SectionRef| checkpoint.read_section(r).map_err(|e| e.to_string());
        let size = |r: &SectionRef| usize::try_from(r.len).unwrap_or(usize::MAX);
        for decoded in decode_key_groups(&self.backend, sections, read, size) {
            match decoded {
                Ok(group) => self.install(group),
                Err(e) => {
                    ctx.restore_failed(&e);
                    return;
                }
            }
        }
    }

    fn install(&mut self, (kg, states, event, processing): DecodedGroup<K>) {
        self.backend.install_key_group(kg, states);
        for (t, k) in event {
            self.timers.event.register(t, &k);
        }
        for (t, k) in processing {
            self.timers.processing.register(t, &k);
        }
    }

    /// Writes state and timers per key group.
    pub(crate) fn snapshot(&mut self, cp: &mut CheckpointCtx) {
        self.down.emit();
        let Some(who) = self.identity.clone() else {
            cp.unsupported("keyed functions built without checkpoint support");
            return;
        };
        cp.touch(&who);
        let range = self.backend.key_groups();
        type TimersOfGroup<K> = (Vec<(Timestamp, K)>, Vec<(Timestamp, K)>);
        let mut timers: Vec<TimersOfGroup<K>> =
            (range.start..range.end).map(|_| Default::default()).collect();
        for (t, k) in self.timers.event.all() {
            let kg = key_group_of(k, self.max_parallelism);
            if let Some(slot) = timers.get_mut(kg.wrapping_sub(range.start)) {
                slot.0.push((t, k.clone()));
            }
        }
        for (t, k) in self.timers.processing.all() {
            let kg = key_group_of(k, self.max_parallelism);
            if let Some(slot) = timers.get_mut(kg.wrapping_sub(range.start)) {
                slot.1.push((t, k.clone()));
            }
        }
        // The states are shared copy-on-write and serialised by the coordinator: the task
        // goes on at once, whatever the size of its state.
        for (i, (event, processing)) in timers.into_iter().enumerate() {
            let kg = range.start + i;
            let states = self.backend.snapshot_key_group(kg);
            if states.is_empty() && event.is_empty() && processing.is_empty() {
                continue;
            }
            cp.add_key_group_later(&who, kg, move || {
                let states = states
                    .encode()?
                    .into_iter()
                    .map(|(name, bytes)| (name, Blob(bytes)));
                let group: KeyGroupState<K> = (states.collect(), event, processing);
                encode(&group)
            });
        }
    }

    /// State registration for a function's `open`.
    pub(crate) fn registry(&mut self) -> StateRegistry<'_, K> {
        StateRegistry {
            backend: &mut self.backend,
        }
    }

    /// The context for `key` with element timestamp `timestamp`.
    pub(crate) fn context<'a>(&'a mut self, key: &'a K, timestamp: Timestamp) -> KeyedContext<'a, K, O> {
        KeyedContext {
            key,
            key_group: key_group_of(key, self.max_parallelism),
            timestamp,
            watermark: self.watermark,
            now: self.now,
            backend: &mut self.backend,
            timers: &mut self.timers,
            down: &mut self.down,
        }
    }

    /// Calls `process` on every element of `batch` with its key (by `key_of`) current, then
    /// pushes what it emitted: the batch loop of every keyed process-style operator.
    #[inline]
    pub(crate) fn process_batch<I>(
        &mut self,
        batch: &mut Vec<Record<I>>,
        key_of: impl Fn(&I) -> K,
        mut process: impl FnMut(I, &mut KeyedContext<'_, K, O>),
    ) {
        for r in batch.drain(..) {
            let key = key_of(&r.value);
            let mut ctx = self.context(&key, r.timestamp);
            process(r.value, &mut ctx);
        }
        self.down.emit();
    }

    /// Fires the timers of `domain` due at `upto`, in timestamp order.
    pub(crate) fn fire(
        &mut self,
        upto: Timestamp,
        domain: TimeDomain,
        mut on_timer: impl FnMut(Timestamp, TimeDomain, &mut KeyedContext<'_, K, O>),
    ) {
        loop {
            let queue = match domain {
                TimeDomain::EventTime => &mut self.timers.event,
                TimeDomain::ProcessingTime => &mut self.timers.processing,
            };
            let Some((time, key)) = queue.pop_due(upto) else {
                break;
            };
            let mut ctx = self.context(&key, time);
            on_timer(time, domain, &mut ctx);
            self.down.emit_when_full();
        }
    }

    /// The aligned watermark advanced: fires due event-time timers and forwards it. The final
    /// watermark quiesces the timer service first (see [`KeyedProcessFunction`](crate::operators::keyed_process::KeyedProcessFunction)).
    pub(crate) fn on_watermark(
        &mut self,
        watermark: Timestamp,
        on_timer: impl FnMut(Timestamp, TimeDomain, &mut KeyedContext<'_, K, O>),
    ) {
        self.watermark = watermark;
        if watermark == MAX_WATERMARK {
            self.timers.event_quiesced = true;
        }
        self.fire(watermark, TimeDomain::EventTime, on_timer);
        self.down.watermark(watermark);
    }

    /// As [`on_watermark`](Self::on_watermark), but stops firing when the output reports
    /// backpressure (as the dense window operator does, see `window/dense.rs`): the operator
    /// fires on from its `flush` ([`resume_firing`](Self::resume_firing) with `true`) and,
    /// before any other signal or batch, finishes the firing in one go (with `false`). The
    /// watermark goes downstream after the last due timer.
    pub(crate) fn on_watermark_resumable(
        &mut self,
        watermark: Timestamp,
        on_timer: &mut impl FnMut(Timestamp, TimeDomain, &mut KeyedContext<'_, K, O>),
    ) {
        self.resume_firing(false, on_timer);
        self.watermark = watermark;
        if watermark == MAX_WATERMARK {
            self.timers.event_quiesced = true;
        }
        self.firing = Some(watermark);
        self.resume_firing(true, on_timer);
    }

    /// Fires on the timers of a watermark that stopped part-way; `true` once none is left and
    /// the watermark went downstream (at once when nothing was firing).
    pub(crate) fn resume_firing(
        &mut self,
        yield_when_blocked: bool,
        on_timer: &mut impl FnMut(Timestamp, TimeDomain, &mut KeyedContext<'_, K, O>),
    ) -> bool {
        let Some(watermark) = self.firing else {
            return true;
        };
        while let Some((time, key)) = self.timers.event.pop_due(watermark) {
            let mut ctx = self.context(&key, time);
            on_timer(time, TimeDomain::EventTime, &mut ctx);
            if self.down.emit_when_full() && yield_when_blocked && !self.down.flush() {
                return false;
            }
        }
        self.firing = None;
        self.down.watermark(watermark);
        true
    }

    /// Whether a watermark's timers are still firing.
    pub(crate) fn is_firing(&self) -> bool {
        self.firing.is_some()
    }

    /// Processing time advanced: fires due processing-time timers.
    pub(crate) fn on_tick(
        &mut self,
        now: Timestamp,
        on_timer: impl FnMut(Timestamp, TimeDomain, &mut KeyedContext<'_, K, O>),
    ) {
        self.now = now;
        self.fire(now, TimeDomain::ProcessingTime, on_timer);
        self.down.emit();
        self.down.tick(now);
    }

    /// End of input: fires every remaining processing-time timer (Flink's bounded execution),
    /// then passes end of input on.
    pub(crate) fn on_finish(
        &mut self,
        on_timer: impl FnMut(Timestamp, TimeDomain, &mut KeyedContext<'_, K, O>),
    ) {
        self.timers.event_quiesced = true;
        self.timers.processing_quiesced = true;
        self.now = self.now.max(now_millis());
        self.fire(MAX_WATERMARK, TimeDomain::ProcessingTime, on_timer);
        self.down.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// More than `PARALLEL_DECODE_BYTES` of state goes through the threaded decode, and every
    /// key, value and timer comes back.
    #[test]
    fn large_restores_decode_on_several_threads_and_lose_nothing() {
        let groups = 16;
        let range = KeyGroupRange::for_subtask(0, 1, groups);
        let mut b = HeapKeyedStateBackend::<u64>::new(range);
        let id = b.register::<Vec<u8>>("blob");
        for k in 0..200u64 {
            let kg = key_group_of(&k, groups);
            *b.get_or_insert_with(id, kg, &k, Vec::new).unwrap() = vec![k as u8; 10_000];
        }
        let encoded: Vec<(usize, Vec<u8>)> = (0..groups)
            .map(|kg| {
                let states = b.snapshot_key_group(kg).encode().unwrap();
                let states = states.into_iter().map(|(n, bytes)| (n, Blob(bytes))).collect();
                let timers = vec![(kg as i64, kg as u64)];
                let group: KeyGroupState<u64> = (states, timers, Vec::new());
                (kg, encode(&group).unwrap())
            })
            .collect();
        assert!(encoded.iter().map(|(_, b)| b.len()).sum::<usize>() > PARALLEL_DECODE_BYTES);
        let mut restored = HeapKeyedStateBackend::<u64>::new(range);
        let rid = restored.register::<Vec<u8>>("blob");
        let decoded: Vec<_> = decode_key_groups(&restored, encoded, |b| Ok(b.clone()), Vec::len)
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert_eq!(decoded.len(), groups);
        for (i, (kg, states, event, _)) in decoded.into_iter().enumerate() {
            assert_eq!(kg, i, "key groups come back in order");
            assert_eq!(event, vec![(kg as i64, kg as u64)]);
            restored.install_key_group(kg, states);
        }
        for k in 0..200u64 {
            let kg = key_group_of(&k, groups);
            assert_eq!(restored.get::<Vec<u8>>(rid, kg, &k), Some(&vec![k as u8; 10_000]));
        }
    }
}
