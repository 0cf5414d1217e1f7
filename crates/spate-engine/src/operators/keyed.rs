//! Keyed operators outside windows.

use rustc_hash::FxHashMap;

use crate::checkpoint::CheckpointCtx;
use crate::checkpoint::snapshot::{OperatorIdentity, decode, group_by_key_group};
use crate::record::{Data, Key, Record, StateData};
use crate::runtime::output::Output;
use crate::runtime::output::{Control, Downstream};
use crate::stream::{DataStream, KeyedStream};

/// Rolling reduce: keeps the reduction per key and emits it after every element. Checkpoints
/// hold each key's reduction under its key group.
pub(crate) struct RollingReduceOp<K, T, KS, F> {
    key_selector: KS,
    f: F,
    state: FxHashMap<K, T>,
    down: Downstream<T>,
    identity: OperatorIdentity,
    max_parallelism: usize,
}

impl<K: Key, T: Data + StateData, KS, F> RollingReduceOp<K, T, KS, F> {
    pub(crate) fn new(
        key_selector: KS,
        f: F,
        down: Downstream<T>,
        identity: OperatorIdentity,
        max_parallelism: usize,
    ) -> Self {
        Self {
            key_selector,
            f,
            state: FxHashMap::default(),
            down,
            identity,
            max_parallelism,
        }
    }

    /// Loads checkpointed key groups (before any input).
    pub(crate) fn restore(&mut self, groups: &[(usize, Vec<u8>)]) -> Result<(), String> {
        for (_, bytes) in groups {
            let entries: Vec<(K, T)> = decode(bytes)?;
            self.state.extend(entries);
        }
        Ok(())
    }
}

impl<K, T, KS, F> Control for RollingReduceOp<K, T, KS, F>
where
    K: Key,
    T: Data + StateData,
    KS: Send,
    F: Send,
{
    fn downstream(&mut self) -> Option<&mut dyn Control> {
        Some(&mut self.down)
    }
    /// Writes each key's reduction under its key group.
    fn snapshot(&mut self, cp: &mut CheckpointCtx) {
        cp.touch(&self.identity);
        for (kg, group) in group_by_key_group(self.state.iter(), self.max_parallelism) {
            cp.add_key_group(&self.identity, kg, &group);
        }
    }
}

impl<K, T, KS, F> Output<T> for RollingReduceOp<K, T, KS, F>
where
    K: Key,
    T: Data + StateData,
    KS: Fn(&T) -> K + Send,
    F: FnMut(T, T) -> T + Send,
{
    fn push(&mut self, batch: &mut Vec<Record<T>>) {
        for r in batch.drain(..) {
            let key = (self.key_selector)(&r.value);
            let next = match self.state.remove(&key) {
                Some(acc) => (self.f)(acc, r.value),
                None => r.value,
            };
            self.down.buffer.push(Record::new(r.timestamp, next.clone()));
            self.state.insert(key, next);
        }
        self.down.emit();
    }
}

// The API method of this family.
impl<K: Key, T: Data, KS: Fn(&T) -> K + Clone + Send + 'static> KeyedStream<K, T, KS> {
    /// A rolling reduce: emits the running reduction of each key after every element. The
    /// reductions are checkpointed per key group.
    pub fn reduce<F>(&self, f: F) -> DataStream<T>
    where
        T: crate::record::StateData,
        F: FnMut(T, T) -> T + Clone + Send + 'static,
    {
        let ks = self.key_selector.clone();
        self.stream.one_input("reduce", self.edge(0), move |ctx, down| {
            let op = crate::operators::keyed::RollingReduceOp::new(
                ks.clone(),
                f.clone(),
                down,
                ctx.identity(),
                ctx.max_parallelism,
            );
            Box::new(ctx.restored(op, crate::operators::keyed::RollingReduceOp::restore))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keygroup::KeyGroupRange;
    use crate::operator_test_support::{Collect, checkpoint, downstream, identity, key_groups_in};

    type Op =
        RollingReduceOp<u64, (u64, u64), fn(&(u64, u64)) -> u64, fn((u64, u64), (u64, u64)) -> (u64, u64)>;

    fn new(subtask: usize, parallelism: usize) -> (Op, Collect<(u64, u64)>) {
        let out = Collect::new();
        let op = RollingReduceOp::new(
            (|v: &(u64, u64)| v.0) as fn(&(u64, u64)) -> u64,
            (|a: (u64, u64), b: (u64, u64)| (a.0, a.1 + b.1)) as fn((u64, u64), (u64, u64)) -> (u64, u64),
            downstream(&out),
            identity(subtask, parallelism),
            128,
        );
        (op, out)
    }

    fn input(range: std::ops::Range<u64>) -> Vec<Record<(u64, u64)>> {
        range.map(|i| Record::new(i as i64, (i % 7, i))).collect()
    }

    #[test]
    fn restored_reductions_continue_where_the_checkpoint_left_off() {
        let (mut reference, out) = new(0, 1);
        reference.push(&mut input(0..50));
        out.take();
        reference.push(&mut input(50..120));
        let mut expected: Vec<(u64, u64)> = out.take().into_iter().map(|r| r.value).collect();
        expected.sort();

        let (mut original, _) = new(0, 1);
        original.push(&mut input(0..50));
        let cp = checkpoint(&mut original);
        // Resume at parallelism 2: each subtask takes the keys of its key groups.
        let mut got = Vec::new();
        for s in 0..2 {
            let (mut op, out) = new(s, 2);
            let range = KeyGroupRange::for_subtask(s, 2, 128);
            op.restore(&key_groups_in(&[&cp], range)).unwrap();
            let mut mine: Vec<_> = input(50..120)
                .into_iter()
                .filter(|r| range.contains(crate::keygroup::key_group_of(&r.value.0, 128)))
                .collect();
            op.push(&mut mine);
            got.extend(out.take().into_iter().map(|r| r.value));
        }
        got.sort();
        assert_eq!(got, expected);
    }
}
