//! The window operator's fast path for the most common job: tumbling or sliding event-time
//! windows with the default event-time trigger.
//!
//! That trigger's per-(key, window) timers are all the same two times per window (fire at the
//! window's max timestamp, clean up after the allowed lateness), so they are kept once per
//! *window* instead of once per key and window. State is per window a dense column of
//! accumulators indexed by a dense key id: the per-record path is one `key -> id` lookup in a
//! small hash map, a range check on the cached window assignment, and an accumulator update; no
//! trigger call, no timer bookkeeping, no scan of the key's windows.
//!
//! Semantics are exactly the general operator's (the window oracle tests run through this
//! path): a window fires when the watermark reaches its max timestamp, a late element within
//! the allowed lateness re-fires its key's window at once, state is dropped when the watermark
//! reaches max timestamp + lateness, and elements whose windows are all gone go to the late
//! side output.
//!
//! Windows in a zone (`WindowAssigner::in_zone`) are kept in local time, so an element of the
//! second pass through a repeated hour joins the same local window as the first pass's; such a
//! window fires at the later instant of its local max timestamp and is emitted as instants
//! (Flink SQL's windows over `TIMESTAMP_LTZ`). Only this path does so: the general operator
//! keeps windows as instants.

use rustc_hash::FxHashMap;
use smallvec::SmallVec;

use crate::checkpoint::CheckpointCtx;
use crate::checkpoint::snapshot::{OperatorIdentity, decode, group_by_key_group};
use crate::record::{Data, Key, MIN_WATERMARK, NO_TIMESTAMP, Record, Timestamp, Window};
use crate::runtime::output::Downstream;
use crate::runtime::output::{Control, Output};
use crate::window::assigner::{AssignCache, WindowAssigner};
use crate::window::function::WindowFn;

/// How many emptied window columns are kept for reuse: enough for a watermark interval's
/// windows at a time (hundreds with 1 ms of event time per record) without holding memory of a
/// burst for ever.
const MAX_SPARE_COLUMNS: usize = 1024;

/// One live window: an accumulator per dense key id (`None` where the key has no element).
struct Column<A> {
    /// In a zone, in local time (see `WindowAssigner::assign_cached_local`).
    window: Window,
    /// When the window fires (its max timestamp, or in a zone that of its local one).
    due: Timestamp,
    accs: Vec<Option<A>>,
    present: usize,
    fired: bool,
}

pub(crate) struct DenseWindowOperator<K, T, KS, WF: WindowFn<K, T>> {
    key_selector: KS,
    assigner: WindowAssigner,
    allowed_lateness: i64,
    late_tag: Option<u64>,
    wf: WF,
    ids: FxHashMap<K, u32>,
    keys: Vec<K>,
    columns: Vec<Column<WF::Acc>>,
    /// Emptied accumulator vectors of dropped windows, reused by new ones: a window column is
    /// as long as the key count, and with many windows open at once (a watermark every 200 ms
    /// over 1 ms of event time per record) allocating each afresh and growing it key by key was
    /// 8 % of SQL tumble-count's samples, mostly the kernel zeroing fresh pages.
    spare: Vec<Vec<Option<WF::Acc>>>,
    /// Bumped whenever `columns` changes, which invalidates `cached_columns`.
    columns_version: u64,
    cache: AssignCache,
    /// Column index of each window in `cache.windows`, valid for (`cached_from`, `cached_version`).
    cached_columns: SmallVec<[usize; 8]>,
    cached_from: Timestamp,
    cached_version: u64,
    scratch: SmallVec<[Window; 8]>,
    watermark: Timestamp,
    /// A watermark's firing that stopped part-way because the output was full (see
    /// [`Firing`]); finished from `flush` as the output drains.
    firing: Option<Firing>,
    down: Downstream<WF::Out>,
    identity: OperatorIdentity,
    max_parallelism: usize,
}

/// A watermark's firing in progress.
///
/// A watermark can fire far more results than a channel holds: the final watermark of a
/// bounded job fires every window at once (Nexmark q5: every auction's count of every
/// window). Fired in one go, all of them waited in the edge's overflow queue before the next
/// task could read any, all fresh memory. So the operator fires a chunk at a time and stops
/// when the output reports backpressure, keeping its place here; the task calls `flush`
/// (and takes no input) until it returns `true`, and `flush` fires on. The watermark
/// goes downstream after the last result. Any other signal (a barrier, the end of input, a
/// batch) first finishes the firing in one go, so state and output order are as before.
struct Firing {
    watermark: Timestamp,
    /// Columns to fire, in window order, and the next one.
    due: SmallVec<[usize; 8]>,
    next: usize,
    /// The next key id of column `due[next]`.
    key: usize,
}

/// One key's accumulator of one window, as checkpointed (with whether the window fired, so a
/// restored window within its allowed lateness does not fire twice).
type DenseEntry<A> = (Window, A, bool);

impl<K, T, KS, WF> DenseWindowOperator<K, T, KS, WF>
where
    K: Key,
    T: Data,
    KS: Fn(&T) -> K + Send,
    WF: WindowFn<K, T>,
{
    #[allow(clippy::too_many_arguments)] // one per part of the window spec; called once
    pub(crate) fn new(
        key_selector: KS,
        assigner: WindowAssigner,
        allowed_lateness: i64,
        late_tag: Option<u64>,
        wf: WF,
        down: Downstream<WF::Out>,
        identity: OperatorIdentity,
        max_parallelism: usize,
    ) -> Self {
        Self {
            identity,
            max_parallelism,
            key_selector,
            assigner,
            allowed_lateness,
            late_tag,
            wf,
            ids: FxHashMap::default(),
            keys: Vec::new(),
            columns: Vec::new(),
            spare: Vec::new(),
            columns_version: 0,
            cache: AssignCache::default(),
            cached_columns: SmallVec::new(),
            cached_from: Timestamp::MIN,
            cached_version: u64::MAX,
            scratch: SmallVec::new(),
            watermark: MIN_WATERMARK,
            firing: None,
            down,
        }
    }

    #[inline]
    fn cleanup_time(&self, w: &Window) -> Timestamp {
        self.assigner.due(w).saturating_add(self.allowed_lateness)
    }

    #[inline]
    fn is_window_late(&self, w: &Window) -> bool {
        self.cleanup_time(w) <= self.watermark
    }

    fn late(&mut self, rec: Record<T>) {
        if let Some(tag) = self.late_tag {
            self.down.side.emit(tag, rec);
        }
    }

    /// The column of `window`, created when absent.
    fn column_of(&mut self, window: Window) -> usize {
        if let Some(i) = self.columns.iter().position(|c| c.window == window) {
            return i;
        }
        let due = self.assigner.due(&window);
        let mut accs = self.spare.pop().unwrap_or_default();
        // Most windows see most keys: sized once here, not grown key by key.
        accs.resize_with(self.keys.len(), || None);
        self.columns.push(Column {
            window,
            due,
            accs,
            present: 0,
            fired: due <= self.watermark,
        });
        self.columns_version += 1;
        self.columns.len() - 1
    }

    // The per-record hash lookup: profiles showed it as a separate call otherwise.
    #[inline(always)]
    fn key_id(&mut self, key: K) -> usize {
        if let Some(id) = self.ids.get(&key) {
            return *id as usize;
        }
        let id = self.keys.len();
        self.ids.insert(
            key.clone(),
            u32::try_from(id).expect("fewer than 2^32 keys with open windows per subtask"),
        );
        self.keys.push(key);
        id
    }

    /// Adds `value` to key `id` in column `c`; fires the key's window at once when the window
    /// already fired (a late element within the allowed lateness).
    #[inline(always)]
    fn add(&mut self, c: usize, id: usize, value: T) {
        self.fold(c, id, |wf, acc| wf.add(acc, value));
    }

    /// As [`add`](Self::add), for an element that goes into more windows after this one.
    #[inline(always)]
    fn add_ref(&mut self, c: usize, id: usize, value: &T) {
        self.fold(c, id, |wf, acc| wf.add_ref(acc, value));
    }

    #[inline(always)]
    fn fold(&mut self, c: usize, id: usize, fold_in: impl FnOnce(&WF, &mut WF::Acc)) {
        let column = &mut self.columns[c];
        if id >= column.accs.len() {
            column.accs.resize_with(id + 1, || None);
        }
        let slot = &mut column.accs[id];
        let acc = match slot {
            Some(acc) => acc,
            None => Self::first_of_key(&mut column.present, slot, &self.wf),
        };
        fold_in(&self.wf, acc);
        if column.due <= self.watermark {
            let window = self.assigner.instants(&column.window);
            self.wf.emit(&self.keys[id], &window, acc, &mut self.down.buffer);
        }
    }

    #[cold]
    fn first_of_key<'s>(present: &mut usize, slot: &'s mut Option<WF::Acc>, wf: &WF) -> &'s mut WF::Acc {
        *present += 1;
        slot.insert(wf.create())
    }

    #[inline]
    fn process(&mut self, rec: Record<T>) {
        if rec.timestamp == NO_TIMESTAMP {
            // Event-time windows cannot place an element without a timestamp: it is late.
            self.late(rec);
            return;
        }
        self.assigner.assign_cached_local(rec.timestamp, &mut self.cache);
        let Some(oldest) = self.cache.windows.last() else {
            return;
        };
        // The oldest window is cleaned up first: if it is not late, none is.
        if self.is_window_late(oldest) {
            self.process_partly_late(rec);
            return;
        }
        if self.cached_from != self.cache.from || self.cached_version != self.columns_version {
            self.cached_columns.clear();
            for i in 0..self.cache.windows.len() {
                let c = self.column_of(self.cache.windows[i]);
                self.cached_columns.push(c);
            }
            self.cached_from = self.cache.from;
            self.cached_version = self.columns_version;
        }
        let id = self.key_id((self.key_selector)(&rec.value));
        let n = self.cached_columns.len();
        for i in 0..n - 1 {
            let c = self.cached_columns[i];
            self.add_ref(c, id, &rec.value);
        }
        self.add(self.cached_columns[n - 1], id, rec.value);
    }

    /// Some of the element's windows are already cleaned up (rare): no caching.
    fn process_partly_late(&mut self, rec: Record<T>) {
        self.scratch.clear();
        for w in &self.cache.windows {
            if !self.is_window_late(w) {
                self.scratch.push(*w);
            }
        }
        if self.scratch.is_empty() {
            if rec.timestamp.saturating_add(self.allowed_lateness) <= self.watermark {
                self.late(rec);
            }
            return;
        }
        let id = self.key_id((self.key_selector)(&rec.value));
        let windows = std::mem::take(&mut self.scratch);
        for w in &windows {
            let c = self.column_of(*w);
            self.add_ref(c, id, &rec.value);
        }
        self.scratch = windows;
    }

    /// Starts firing the windows the watermark reached (in window order); see [`Firing`].
    fn advance(&mut self, watermark: Timestamp) {
        self.complete_firing();
        self.watermark = watermark;
        let mut due: SmallVec<[usize; 8]> = (0..self.columns.len())
            .filter(|&i| !self.columns[i].fired && self.columns[i].due <= watermark)
            .collect();
        due.sort_by_key(|&i| self.columns[i].due);
        for &i in &due {
            self.columns[i].fired = true;
        }
        self.firing = Some(Firing {
            watermark,
            due,
            next: 0,
            key: 0,
        });
        self.drive(true);
    }

    /// Fires on from where the firing stopped; with `yield_when_blocked`, stops again once the
    /// output reports backpressure. When all is fired: drops windows past their allowed
    /// lateness, passes the watermark on and returns `true`.
    fn drive(&mut self, yield_when_blocked: bool) -> bool {
        let Some(f) = self.firing.as_mut() else {
            return true;
        };
        while let Some(&i) = f.due.get(f.next) {
            let column = &self.columns[i];
            let window = self.assigner.instants(&column.window);
            while let Some(slot) = column.accs.get(f.key) {
                if let Some(acc) = slot {
                    self.wf
                        .emit(&self.keys[f.key], &window, acc, &mut self.down.buffer);
                }
                f.key += 1;
                if self.down.emit_when_full() && yield_when_blocked && !self.down.flush() {
                    return false;
                }
            }
            f.next += 1;
            f.key = 0;
        }
        let watermark = f.watermark;
        self.firing = None;
        self.drop_expired(watermark);
        self.down.watermark(watermark);
        true
    }

    /// Finishes a firing that stopped part-way, in one go (before any other signal).
    fn complete_firing(&mut self) {
        self.drive(false);
    }

    /// Drops the windows past their allowed lateness.
    fn drop_expired(&mut self, watermark: Timestamp) {
        let before = self.columns.len();
        let lateness = self.allowed_lateness;
        // `extract_if` keeps the live columns in creation order, as checkpoints write them.
        let dropped = self
            .columns
            .extract_if(.., |c| c.due.saturating_add(lateness) <= watermark);
        for column in dropped {
            if self.spare.len() < MAX_SPARE_COLUMNS {
                let mut accs = column.accs;
                accs.clear();
                self.spare.push(accs);
            }
        }
        if self.columns.len() != before {
            self.columns_version += 1;
            self.compact_keys();
        }
    }

    /// Writes every (key, window, accumulator) under the key's key group.
    fn write_state(&self, cp: &mut CheckpointCtx) {
        cp.touch(&self.identity);
        let entries = self.columns.iter().flat_map(|c| {
            c.accs.iter().enumerate().filter_map(move |(id, acc)| {
                acc.as_ref().map(|acc| (&self.keys[id], (c.window, acc, c.fired)))
            })
        });
        for (kg, group) in group_by_key_group(entries, self.max_parallelism) {
            cp.add_key_group(&self.identity, kg, &group);
        }
    }

    /// Loads checkpointed key groups (before any input).
    pub(crate) fn restore(&mut self, groups: &[(usize, Vec<u8>)]) -> Result<(), String> {
        for (_, bytes) in groups {
            let entries: Vec<(K, DenseEntry<WF::Acc>)> = decode(bytes)?;
            for (key, (window, acc, fired)) in entries {
                let c = self.column_of(window);
                self.columns[c].fired |= fired;
                let id = self.key_id(key);
                let column = &mut self.columns[c];
                if id >= column.accs.len() {
                    column.accs.resize_with(id + 1, || None);
                }
                if column.accs[id].replace(acc).is_none() {
                    column.present += 1;
                }
            }
        }
        Ok(())
    }

    /// Forgets keys that no live window holds once they are most of the key ids, so a stream
    /// with ever new keys keeps bounded state.
    fn compact_keys(&mut self) {
        let live: usize = self.columns.iter().map(|c| c.present).sum();
        if self.keys.len() < 1024 || self.keys.len() < 2 * live {
            return;
        }
        let mut remap: Vec<Option<u32>> = vec![None; self.keys.len()];
        let mut keys = Vec::new();
        for c in &self.columns {
            for (id, acc) in c.accs.iter().enumerate() {
                if acc.is_some() && remap[id].is_none() {
                    remap[id] = Some(keys.len() as u32);
                    keys.push(self.keys[id].clone());
                }
            }
        }
        for c in &mut self.columns {
            let mut accs: Vec<Option<WF::Acc>> = Vec::new();
            accs.resize_with(keys.len(), || None);
            for (id, acc) in c.accs.drain(..).enumerate() {
                if let (Some(acc), Some(new)) = (acc, remap[id]) {
                    accs[new as usize] = Some(acc);
                }
            }
            c.accs = accs;
        }
        self.ids = keys
            .iter()
            .enumerate()
            .map(|(i, k)| (k.clone(), i as u32))
            .collect();
        self.keys = keys;
    }
}

impl<K, T, KS, WF> Control for DenseWindowOperator<K, T, KS, WF>
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
        // Passed on once the firing it starts is done (`drive`).
        self.advance(watermark);
    }
    fn flush(&mut self) -> bool {
        self.down.flush() && self.drive(true) && self.down.flush()
    }
    fn idle(&mut self, idle: bool) {
        // Idleness must not overtake the watermark it follows.
        self.complete_firing();
        self.down.idle(idle);
    }
    fn finish(&mut self) {
        self.complete_firing();
        self.down.finish();
    }
    fn snapshot(&mut self, cp: &mut CheckpointCtx) {
        self.complete_firing();
        self.write_state(cp);
    }
}

impl<K, T, KS, WF> Output<T> for DenseWindowOperator<K, T, KS, WF>
where
    K: Key,
    T: Data,
    KS: Fn(&T) -> K + Send,
    WF: WindowFn<K, T>,
{
    fn push(&mut self, batch: &mut Vec<Record<T>>) {
        if self.firing.is_some() {
            self.complete_firing();
        }
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
    use crate::operator_test_support::{Gated, Seen, checkpoint, identity};
    use crate::window::function::AggregateWindowFn;
    use crate::window::{Count, WindowResult};

    type Op = DenseWindowOperator<u64, u64, fn(&u64) -> u64, AggregateWindowFn<Count>>;
    type Out = Gated<WindowResult<u64, u64>>;

    fn key_of(v: &u64) -> u64 {
        *v
    }

    fn new_op() -> (Op, Out) {
        let out = Gated::closed();
        let op = DenseWindowOperator::new(
            key_of as fn(&u64) -> u64,
            WindowAssigner::tumbling(Duration::from_millis(10)),
            0,
            None,
            AggregateWindowFn(Count),
            out.downstream(),
            identity(0, 1),
            128,
        );
        (op, out)
    }

    const KEYS: u64 = 5000;

    /// One element of every key in window [0, 10).
    fn fill(op: &mut Op) {
        let mut batch: Vec<Record<u64>> = (0..KEYS).map(|k| Record::new(5, k)).collect();
        op.push(&mut batch);
    }

    #[test]
    fn a_firing_stops_under_backpressure_and_flush_finishes_it_before_the_watermark() {
        let (mut op, out) = new_op();
        fill(&mut op);
        op.watermark(100);
        // Closed output: one chunk went out, the watermark waits behind the rest.
        assert_eq!(out.records(), 1024);
        assert!(!op.flush());
        assert_eq!(out.records(), 1024, "nothing more while blocked");
        out.open();
        assert!(op.flush());
        let log = out.seen();
        assert_eq!(out.records(), KEYS as usize);
        assert_eq!(log.last(), Some(&Seen::Watermark(100)));
        let keys: Vec<u64> = log
            .iter()
            .filter_map(|e| match e {
                Seen::Record(r) if r.value == 1 => Some(r.key),
                _ => None,
            })
            .collect();
        assert_eq!(
            keys,
            (0..KEYS).collect::<Vec<_>>(),
            "each key once, count 1, in key order"
        );
        assert!(op.columns.is_empty(), "the fired window is dropped");
    }

    #[test]
    fn other_signals_finish_a_stopped_firing_first() {
        // A batch: the rest of the firing and the watermark come before its element's window.
        let (mut op, out) = new_op();
        fill(&mut op);
        op.watermark(100);
        op.push(&mut vec![Record::new(105, 7)]);
        op.watermark(200);
        let log = out.seen();
        let n = KEYS as usize;
        assert!(log[..n].iter().all(|e| matches!(e, Seen::Record(_))));
        assert_eq!(log[n], Seen::Watermark(100));
        assert!(
            matches!(&log[n + 1], Seen::Record(r) if r.key == 7),
            "the later window follows"
        );

        // A barrier: the snapshot is taken after the firing completed (no fired window left).
        let (mut op, out) = new_op();
        fill(&mut op);
        op.watermark(100);
        let cp = checkpoint(&mut op);
        assert!(
            cp.snapshots.iter().all(|s| s.keyed.is_empty()),
            "nothing left to checkpoint"
        );
        assert_eq!(out.records(), n);
        assert_eq!(out.seen().last(), Some(&Seen::Watermark(100)));

        // The end of input.
        let (mut op, out) = new_op();
        fill(&mut op);
        op.watermark(crate::record::MAX_WATERMARK);
        op.finish();
        assert_eq!(out.records(), n);
    }
}
