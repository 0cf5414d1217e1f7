//! Where connector sources put their records: the engine's [`SourceBatch`] or a plain
//! [`VecBatch`] (for tests and for tools that drive a source without a job).

use spate_engine::{SourceBatch, Timestamp};

/// The output of one source `poll`: records of one split, up to a capacity.
pub trait Emitter<T> {
    /// Declares which split the records of this call come from.
    fn set_split(&mut self, split: usize);
    /// Emits a record with a source timestamp (or [`spate_engine::NO_TIMESTAMP`]).
    fn emit(&mut self, value: T, timestamp: Timestamp);
    /// How many more records fit into this call.
    fn remaining(&self) -> usize;
}

impl<T> Emitter<T> for SourceBatch<T> {
    fn set_split(&mut self, split: usize) {
        SourceBatch::set_split(self, split);
    }
    #[inline]
    fn emit(&mut self, value: T, timestamp: Timestamp) {
        self.push_with_timestamp(value, timestamp);
    }
    #[inline]
    fn remaining(&self) -> usize {
        SourceBatch::remaining(self)
    }
}

/// A bounded buffer of `(value, timestamp)` that sources can be polled into directly.
#[derive(Debug, Clone, PartialEq)]
pub struct VecBatch<T> {
    /// The split of the last `set_split` call.
    pub split: usize,
    /// Emitted values with their timestamps ([`spate_engine::NO_TIMESTAMP`] when none).
    pub records: Vec<(T, Timestamp)>,
    capacity: usize,
}

impl<T> VecBatch<T> {
    /// An empty batch that accepts `capacity` records.
    pub fn new(capacity: usize) -> Self {
        Self {
            split: 0,
            records: Vec::with_capacity(capacity.min(1 << 16)),
            capacity,
        }
    }

    /// The emitted values, without timestamps.
    pub fn into_values(self) -> Vec<T> {
        self.records.into_iter().map(|(v, _)| v).collect()
    }
}

impl<T> Emitter<T> for VecBatch<T> {
    fn set_split(&mut self, split: usize) {
        self.split = split;
    }
    #[inline]
    fn emit(&mut self, value: T, timestamp: Timestamp) {
        self.records.push((value, timestamp));
    }
    #[inline]
    fn remaining(&self) -> usize {
        self.capacity.saturating_sub(self.records.len())
    }
}
