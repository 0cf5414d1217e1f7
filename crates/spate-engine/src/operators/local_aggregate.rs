//! The local phase of local-global (two-phase) aggregation over an unbounded keyed stream
//! (Flink SQL's `LocalGroupAggregate`): each subtask of the input folds its records per key
//! before the keyed exchange, so one [`LocalPartial`] per key crosses it instead of every
//! record, and the global phase after it merges the accumulators. Opt in with
//! [`KeyedStream::local_aggregate`](crate::KeyedStream::local_aggregate).
//!
//! Contract: a local bundle is one input batch. The partials go downstream at its end, and so
//! before any watermark, checkpoint barrier or end of input that follows it: the operator
//! holds nothing between batches (no state to checkpoint, restores and rescales are the
//! global operator's alone) and delays no record past the batch it came in. Within a key,
//! records fold in arrival order, and a key's partials leave in the order of their batches.
//! (Flink closes its local bundles by size and by the mini-batch latency; one batch is the
//! most Spate can hold without adding latency, since this operator has no clock.)

use rustc_hash::FxHashMap;

use crate::checkpoint::CheckpointCtx;
use crate::record::{Data, Key, Record, Timestamp};
use crate::runtime::output::{Control, Downstream, Output};
use crate::stream::{DataStream, KeyedStream};
use crate::window::AggregateFunction;

/// One key's records of one local bundle, folded, on their way to the global phase.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LocalPartial<K, A> {
    /// The key.
    pub key: K,
    /// The key's records folded into one accumulator.
    pub acc: A,
    /// How many records it holds.
    pub records: u64,
}

/// The local phase: folds each batch per key and emits its [`LocalPartial`]s at the batch's end.
pub(crate) struct LocalAggregate<K, T, KS, A: AggregateFunction<T>> {
    key_selector: KS,
    aggregate: A,
    /// Each key's slot in `open`, for this batch.
    ids: FxHashMap<K, usize>,
    /// The batch's keys in order of first arrival, with their accumulators and record counts.
    open: Vec<(K, A::Acc, u64)>,
    down: Downstream<LocalPartial<K, A::Acc>>,
}

impl<K, T, KS, A> LocalAggregate<K, T, KS, A>
where
    K: Key,
    T: Data,
    KS: Fn(&T) -> K + Send,
    A: AggregateFunction<T>,
{
    pub(crate) fn new(key_selector: KS, aggregate: A, down: Downstream<LocalPartial<K, A::Acc>>) -> Self {
        Self {
            key_selector,
            aggregate,
            ids: FxHashMap::default(),
            open: Vec::new(),
            down,
        }
    }

    /// Emits the bundle's partials at `timestamp`, keys in order of first arrival.
    fn flush(&mut self, timestamp: Timestamp) {
        self.ids.clear();
        for (key, acc, records) in self.open.drain(..) {
            self.down
                .buffer
                .push(Record::new(timestamp, LocalPartial { key, acc, records }));
            self.down.emit_when_full();
        }
        self.down.emit();
    }
}

impl<K, T, KS, A> Control for LocalAggregate<K, T, KS, A>
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
        self.down.out.watermark(watermark);
    }

    fn checkpoint(&mut self, cp: &mut CheckpointCtx) {
        self.down.out.checkpoint(cp);
    }

    fn finish(&mut self) {
        self.down.out.finish();
    }
}

impl<K, T, KS, A> Output<T> for LocalAggregate<K, T, KS, A>
where
    K: Key,
    T: Data,
    KS: Fn(&T) -> K + Send,
    A: AggregateFunction<T>,
{
    fn push(&mut self, batch: &mut Vec<Record<T>>) {
        // The partials carry the batch's latest timestamp (an aggregate's output has no
        // event time of its own).
        let mut latest = Timestamp::MIN;
        for r in batch.drain(..) {
            latest = latest.max(r.timestamp);
            let key = (self.key_selector)(&r.value);
            let slot = match self.ids.get(&key) {
                Some(&slot) => slot,
                None => {
                    let slot = self.open.len();
                    self.ids.insert(key.clone(), slot);
                    self.open.push((key, self.aggregate.create(), 0));
                    slot
                }
            };
            let (_, acc, records) = &mut self.open[slot];
            self.aggregate.add(acc, r.value);
            *records += 1;
        }
        self.flush(latest);
    }
}

impl<K: Key, T: Data, KS: Fn(&T) -> K + Clone + Send + 'static> KeyedStream<K, T, KS> {
    /// The local phase of local-global (two-phase) aggregation, as Flink SQL's
    /// `LocalGroupAggregate`: each subtask of this stream's input folds every input batch per
    /// key into `aggregate`'s accumulators and hands on one [`LocalPartial`] per key at the
    /// batch's end, before the keyed exchange (see
    /// [`local_aggregate`](crate::local_aggregate) for the contract). Key the partials by
    /// their `key` again for the global phase, which merges them; it pays where records of a
    /// key come close together.
    ///
    /// [`LocalPartial`]: crate::LocalPartial
    pub fn local_aggregate<A: AggregateFunction<T>>(
        &self,
        aggregate: A,
    ) -> DataStream<LocalPartial<K, A::Acc>> {
        let input = &self.stream;
        let ks = self.key_selector.clone();
        let partials: DataStream<LocalPartial<K, A::Acc>> =
            input.one_input("local-aggregate", input.edge(0), move |_, down| {
                Box::new(LocalAggregate::new(ks.clone(), aggregate.clone(), down))
            });
        partials.set_parallelism(input.parallelism())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operator_test_support::{Collect, checkpoint, downstream};
    use crate::window::Count;

    type Op = LocalAggregate<u64, u64, fn(&u64) -> u64, Count>;

    fn op(out: &Collect<LocalPartial<u64, u64>>) -> Op {
        let key: fn(&u64) -> u64 = |v| v % 3;
        LocalAggregate::new(key, Count, downstream(out))
    }

    fn partials(out: &Collect<LocalPartial<u64, u64>>) -> Vec<(u64, u64, u64)> {
        out.take()
            .into_iter()
            .map(|r| (r.value.key, r.value.acc, r.value.records))
            .collect()
    }

    #[test]
    fn each_batch_is_folded_per_key_and_handed_on_at_its_end() {
        let out = Collect::new();
        let mut op = op(&out);
        op.push(&mut (0..7).map(|v| Record::new(v as i64, v)).collect());
        // Keys in order of first arrival: 0 (0, 3, 6), 1 (1, 4), 2 (2, 5).
        assert_eq!(partials(&out), vec![(0, 3, 3), (1, 2, 2), (2, 2, 2)]);
        op.push(&mut vec![Record::new(9, 4)]);
        assert_eq!(partials(&out), vec![(1, 1, 1)], "a new batch starts new partials");
        let _ = checkpoint(&mut op);
        op.finish();
        assert!(partials(&out).is_empty(), "nothing is held between batches");
    }
}
