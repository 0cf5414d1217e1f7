//! Keyed operators outside windows.

use rustc_hash::FxHashMap;

use crate::operators::{Downstream, delegate_control};
use crate::record::{Data, Key, Record};
use crate::runtime::output::Output;

/// Rolling reduce: keeps the reduction per key and emits it after every element.
pub(crate) struct RollingReduceOp<K, T, KS, F> {
    key_selector: KS,
    f: F,
    state: FxHashMap<K, T>,
    down: Downstream<T>,
}

impl<K, T, KS, F> RollingReduceOp<K, T, KS, F> {
    pub(crate) fn new(key_selector: KS, f: F, down: Downstream<T>) -> Self {
        Self {
            key_selector,
            f,
            state: FxHashMap::default(),
            down,
        }
    }
}

delegate_control!(no_checkpoint "rolling reduce", RollingReduceOp<K, T, KS, F> where K: Key, T: Data, KS: Send, F: Send);

impl<K, T, KS, F> Output<T> for RollingReduceOp<K, T, KS, F>
where
    K: Key,
    T: Data,
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
