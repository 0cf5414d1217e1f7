//! Local-global window aggregation: each subtask folds its own input per key and window
//! *pane* before the keyed exchange, so accumulators cross it instead of every record, and
//! the window operator after the exchange merges them (Flink SQL's two-phase window
//! aggregation). Opt in with [`WindowedStream::pre_aggregate`](super::WindowedStream::pre_aggregate).
//!
//! A pane is the largest interval every window that contains one of its instants contains
//! whole: the window for tumbling windows, `gcd(size, slide)` for sliding ones. A pane's
//! partial is stamped with the pane's last instant, which lies in exactly the windows its
//! records lie in, so the global operator assigns it, and judges it late, exactly as it would
//! have each record.
//!
//! Contract, which makes the result that of the one-phase plan:
//! - a pane's partial goes downstream before any watermark that reaches its last instant, so
//!   no partial is later at the global operator than its records would have been;
//! - the operator never drops a record: one arriving after its pane was flushed (late for this
//!   subtask, perhaps not for the global watermark, the minimum over all subtasks) starts a new
//!   partial, flushed at the end of its batch — at the place in the stream the record had;
//! - everything is flushed before a checkpoint barrier, so the operator has no state, and
//!   restores and rescales are the global operator's alone.

use std::marker::PhantomData;

use rustc_hash::FxHashMap;

use super::function::AggregateFunction;
use crate::checkpoint::CheckpointCtx;
use crate::record::{Data, Key, NO_TIMESTAMP, Record, Timestamp};
use crate::runtime::output::{Control, Downstream, Output};

/// More distinct keys than this in the open panes flushes them early and forgets the key ids,
/// so a stream of ever new keys (auctions, sessions) keeps bounded memory; the window
/// operator merges a pane's partials however many there are.
const MAX_KEYS: usize = 1 << 16;

/// One key's folded records of one pane, on their way to the window operator.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Partial<K, A> {
    pub(crate) key: K,
    pub(crate) acc: A,
}

/// The window operator's aggregate after a pre-aggregation: it merges partials of `A`'s
/// accumulators over elements `T`.
pub(crate) struct MergePartials<A, T>(pub(crate) A, pub(crate) PhantomData<fn(T)>);

impl<A: Clone, T> Clone for MergePartials<A, T> {
    fn clone(&self) -> Self {
        Self(self.0.clone(), PhantomData)
    }
}

impl<K: Data, T: 'static, A: AggregateFunction<T>> AggregateFunction<Partial<K, A::Acc>>
    for MergePartials<A, T>
{
    type Acc = A::Acc;
    type Out = A::Out;
    fn create(&self) -> A::Acc {
        self.0.create()
    }
    fn add(&self, acc: &mut A::Acc, partial: Partial<K, A::Acc>) {
        self.0.merge(acc, partial.acc);
    }
    fn merge(&self, acc: &mut A::Acc, other: A::Acc) {
        self.0.merge(acc, other);
    }
    fn result(&self, acc: &A::Acc) -> A::Out {
        self.0.result(acc)
    }
}

/// Panes of `size` ms, shifted by `offset`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Panes {
    pub(crate) size: i64,
    pub(crate) offset: i64,
}

impl Panes {
    #[inline]
    fn start_of(&self, ts: Timestamp) -> Timestamp {
        ts - (ts - self.offset).rem_euclid(self.size)
    }
}

/// One open pane: an accumulator per key id.
struct Pane<A> {
    start: Timestamp,
    accs: Vec<Option<A>>,
}

/// The local phase: folds records per key and pane, emits [`Partial`]s.
pub(crate) struct PreAggregate<K, T, KS, A: AggregateFunction<T>> {
    key_selector: KS,
    panes: Panes,
    aggregate: A,
    ids: FxHashMap<K, u32>,
    keys: Vec<K>,
    open: Vec<Pane<A::Acc>>,
    spare: Vec<Vec<Option<A::Acc>>>,
    /// The pane the last record went to (records mostly come in time order).
    last: usize,
    watermark: Timestamp,
    down: Downstream<Partial<K, A::Acc>>,
}

impl<K, T, KS, A> PreAggregate<K, T, KS, A>
where
    K: Key,
    T: Data,
    KS: Fn(&T) -> K + Send,
    A: AggregateFunction<T>,
{
    pub(crate) fn new(
        key_selector: KS,
        panes: Panes,
        aggregate: A,
        down: Downstream<Partial<K, A::Acc>>,
    ) -> Self {
        Self {
            key_selector,
            panes,
            aggregate,
            ids: FxHashMap::default(),
            keys: Vec::new(),
            open: Vec::new(),
            spare: Vec::new(),
            last: 0,
            watermark: Timestamp::MIN,
            down,
        }
    }

    fn pane_of(&mut self, start: Timestamp) -> usize {
        if self.open.get(self.last).is_some_and(|p| p.start == start) {
            return self.last;
        }
        let at = match self.open.iter().position(|p| p.start == start) {
            Some(at) => at,
            None => {
                let mut accs = self.spare.pop().unwrap_or_default();
                accs.resize_with(self.keys.len(), || None);
                self.open.push(Pane { start, accs });
                self.open.len() - 1
            }
        };
        self.last = at;
        at
    }

    #[inline]
    fn key_id(&mut self, key: K) -> usize {
        if let Some(id) = self.ids.get(&key) {
            return *id as usize;
        }
        let id = self.keys.len();
        self.ids.insert(key.clone(), id as u32);
        self.keys.push(key);
        id
    }

    /// Emits and closes the panes `flush` picks, in the order they were opened.
    fn flush_where(&mut self, flush: impl Fn(&Pane<A::Acc>) -> bool) {
        let size = self.panes.size;
        let mut i = 0;
        while i < self.open.len() {
            if !flush(&self.open[i]) {
                i += 1;
                continue;
            }
            let mut pane = self.open.remove(i);
            let last_instant = pane.start.saturating_add(size - 1);
            for (id, acc) in pane.accs.iter_mut().enumerate() {
                if let Some(acc) = acc.take() {
                    let key = self.keys[id].clone();
                    self.down
                        .buffer
                        .push(Record::new(last_instant, Partial { key, acc }));
                    self.down.emit_when_full();
                }
            }
            pane.accs.clear();
            self.spare.push(pane.accs);
        }
        self.last = 0;
        if self.open.is_empty() && self.keys.len() > MAX_KEYS {
            self.ids.clear();
            self.keys.clear();
        }
        self.down.emit();
    }
}

impl<K, T, KS, A> Control for PreAggregate<K, T, KS, A>
where
    K: Key,
    T: Data,
    KS: Fn(&T) -> K + Send,
    A: AggregateFunction<T>,
{
    fn downstream(&mut self) -> Option<&mut dyn Control> {
        Some(self.down.out.as_mut())
    }

    fn watermark(&mut self, watermark: Timestamp) {
        self.watermark = watermark;
        let (size, w) = (self.panes.size, watermark);
        self.flush_where(|p| p.start.saturating_add(size - 1) <= w);
        self.down.out.watermark(watermark);
    }

    fn checkpoint(&mut self, cp: &mut CheckpointCtx) {
        self.flush_where(|_| true);
        self.down.out.checkpoint(cp);
    }

    fn finish(&mut self) {
        self.flush_where(|_| true);
        self.down.out.finish();
    }
}

impl<K, T, KS, A> Output<T> for PreAggregate<K, T, KS, A>
where
    K: Key,
    T: Data,
    KS: Fn(&T) -> K + Send,
    A: AggregateFunction<T>,
{
    fn push(&mut self, batch: &mut Vec<Record<T>>) {
        let mut late = false;
        for r in batch.drain(..) {
            if r.timestamp == NO_TIMESTAMP {
                // No window takes it: the window operator would drop it as late.
                continue;
            }
            let start = self.panes.start_of(r.timestamp);
            let p = self.pane_of(start);
            let id = self.key_id((self.key_selector)(&r.value));
            let pane = &mut self.open[p];
            if id >= pane.accs.len() {
                pane.accs.resize_with(id + 1, || None);
            }
            let acc = pane.accs[id].get_or_insert_with(|| self.aggregate.create());
            self.aggregate.add(acc, r.value);
            late |= start.saturating_add(self.panes.size - 1) <= self.watermark;
        }
        if self.keys.len() > MAX_KEYS {
            self.flush_where(|_| true);
        } else if late {
            let (size, w) = (self.panes.size, self.watermark);
            self.flush_where(|p| p.start.saturating_add(size - 1) <= w);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::assigner::WindowAssigner;
    use super::super::function::Count;
    use super::*;
    use crate::operator_test_support::{Collect, checkpoint, downstream};

    type Op = PreAggregate<u64, u64, fn(&u64) -> u64, Count>;

    fn op(out: &Collect<Partial<u64, u64>>) -> Op {
        let key: fn(&u64) -> u64 = |v| v % 2;
        PreAggregate::new(key, Panes { size: 10, offset: 0 }, Count, downstream(out))
    }

    /// (key, last instant of the pane, count), sorted.
    fn partials(out: &Collect<Partial<u64, u64>>) -> Vec<(u64, Timestamp, u64)> {
        let mut v: Vec<_> = out
            .take()
            .into_iter()
            .map(|r| (r.value.key, r.timestamp, r.value.acc))
            .collect();
        v.sort();
        v
    }

    fn records(pairs: &[(Timestamp, u64)]) -> Vec<Record<u64>> {
        pairs.iter().map(|&(ts, v)| Record::new(ts, v)).collect()
    }

    #[test]
    fn panes_are_folded_per_key_and_flushed_before_the_watermark_that_completes_them() {
        let out = Collect::new();
        let mut op = op(&out);
        op.push(&mut records(&[(1, 0), (2, 1), (3, 2), (12, 4), (19, 1)]));
        assert!(partials(&out).is_empty(), "nothing is complete yet");
        op.watermark(9);
        assert_eq!(partials(&out), vec![(0, 9, 2), (1, 9, 1)]);
        op.watermark(15);
        assert!(partials(&out).is_empty(), "[10, 20) is still open");
        op.finish();
        assert_eq!(partials(&out), vec![(0, 19, 1), (1, 19, 1)]);
    }

    #[test]
    fn late_records_are_passed_on_at_the_end_of_their_batch_not_dropped() {
        let out = Collect::new();
        let mut op = op(&out);
        op.watermark(30);
        op.push(&mut records(&[(5, 2), (6, 4), (35, 1)]));
        assert_eq!(partials(&out), vec![(0, 9, 2)], "the open pane [30, 40) waits");
    }

    #[test]
    fn a_barrier_flushes_every_open_pane_and_records_without_time_are_dropped() {
        let out = Collect::new();
        let mut op = op(&out);
        op.push(&mut records(&[(1, 0), (25, 1), (crate::record::NO_TIMESTAMP, 3)]));
        let _ = checkpoint(&mut op);
        assert_eq!(partials(&out), vec![(0, 9, 1), (1, 29, 1)]);
    }

    #[test]
    fn ever_new_keys_flush_the_open_panes_early_and_are_forgotten() {
        let out = Collect::new();
        let key: fn(&u64) -> u64 = |v| *v;
        let mut op: PreAggregate<u64, u64, fn(&u64) -> u64, Count> =
            PreAggregate::new(key, Panes { size: 10, offset: 0 }, Count, downstream(&out));
        let n = MAX_KEYS as u64 + 1;
        op.push(&mut (0..n).map(|v| Record::new(5, v)).collect());
        assert_eq!(
            out.take().len(),
            n as usize,
            "every key's partial, before any watermark"
        );
        assert!(op.keys.is_empty() && op.ids.is_empty() && op.open.is_empty());
        op.push(&mut records(&[(6, 1)]));
        op.finish();
        assert_eq!(partials(&out), vec![(1, 9, 1)]);
    }

    #[test]
    fn sliding_windows_pre_aggregate_by_their_greatest_common_pane() {
        let panes = WindowAssigner::sliding(Duration::from_millis(10), Duration::from_millis(4))
            .with_offset(Duration::from_millis(7))
            .panes();
        assert_eq!(panes, Some((2, 1)));
        let tumbling = WindowAssigner::tumbling(Duration::from_secs(1)).panes();
        assert_eq!(tumbling, Some((1000, 0)));
        assert_eq!(WindowAssigner::session(Duration::from_secs(1)).panes(), None);
    }
}
