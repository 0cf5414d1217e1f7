//! Sources: the [`Source`] trait and the built-in generators.
//!
//! # Contract
//! - A source subtask reads one or more *splits* (Kafka partitions, files, ranges). Records of
//!   one split are emitted in split order; every [`Source::poll`] call emits records of a single
//!   split (set with [`SourceBatch::set_split`]), so watermarks can be tracked per split and
//!   combined by minimum.
//! - `poll` never blocks for long: with nothing available it returns [`SourceStatus::Pending`]
//!   and the task polls again later (it must not spin inside `poll`).
//! - After [`SourceStatus::Finished`] the source is not polled again; the runtime emits the final
//!   watermark (`+inf`) and end-of-stream for it.
//! - Position: [`Source::snapshot_position`] returns the position *after* the last record handed
//!   out by `poll` (per split, in a source-defined encoding). It is called between two polls,
//!   exactly where the checkpoint barrier enters the stream, so the checkpoint holds "everything
//!   before the barrier" and a restore replays exactly the records after it.
//! - Restore: [`Source::restore_positions`] is called once, after `open` and before the first
//!   `poll`, with the positions that *every* subtask of the previous run snapshotted (index =
//!   old subtask). At the same parallelism a source usually takes its own entry; a source whose
//!   positions are per split (Kafka partitions) takes the splits it now owns from all entries,
//!   which is how a job restored from a savepoint changes parallelism. A source that cannot be
//!   rescaled returns an error rather than guessing.
//! - [`Source::notify_checkpoint_complete`]: the checkpoint with that id is durable. Sources
//!   may publish the positions of that checkpoint elsewhere (a Kafka source commits them to its
//!   consumer group so lag shows in ordinary tools); correctness never depends on it.

use crate::error::EngineError;
use crate::record::{NO_TIMESTAMP, Record, Timestamp};

/// Where a source subtask runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceContext {
    /// This subtask's index.
    pub subtask: usize,
    /// Number of subtasks of the source.
    pub parallelism: usize,
}

/// What a `poll` achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceStatus {
    /// Records may have been emitted and more may follow immediately.
    Available,
    /// Nothing available right now; poll again later.
    Pending,
    /// The source is exhausted (bounded sources only). Records emitted in the same call count.
    Finished,
}

/// The buffer a source fills during one `poll`.
#[derive(Debug)]
pub struct SourceBatch<T> {
    pub(crate) split: usize,
    pub(crate) records: Vec<Record<T>>,
    pub(crate) capacity: usize,
}

impl<T> SourceBatch<T> {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            split: 0,
            records: Vec::with_capacity(capacity),
            capacity,
        }
    }

    /// Declares which split the records of this call come from (default 0).
    pub fn set_split(&mut self, split: usize) {
        self.split = split;
    }

    /// Emits a record without a timestamp.
    #[inline]
    pub fn push(&mut self, value: T) {
        self.records.push(Record {
            timestamp: NO_TIMESTAMP,
            value,
        });
    }

    /// Emits a record with a source timestamp (for example a Kafka record timestamp).
    #[inline]
    pub fn push_with_timestamp(&mut self, value: T, timestamp: Timestamp) {
        // Room checked first: with no growth call between making the record and storing it,
        // the record goes from registers into the buffer. Made before `push`'s own check, it
        // was kept on the stack in pieces and read back whole, a stalled load per record.
        if self.records.len() < self.records.capacity() {
            self.records.push(Record { timestamp, value });
        } else {
            self.push_growing(Record { timestamp, value });
        }
    }

    #[cold]
    #[inline(never)]
    fn push_growing(&mut self, record: Record<T>) {
        self.records.push(record);
    }

    /// The records emitted in this call from index `from` on, to finish in place (a source
    /// that decodes a batch first and computes on it after).
    pub fn emitted_mut(&mut self, from: usize) -> &mut [Record<T>] {
        self.records.get_mut(from..).unwrap_or_default()
    }

    /// Drops the records emitted from index `len` on (a source that found record `len` bad
    /// and fails).
    pub fn truncate(&mut self, len: usize) {
        self.records.truncate(len);
    }

    /// How many more records fit into this batch (a source should stop at zero).
    #[inline]
    pub fn remaining(&self) -> usize {
        self.capacity.saturating_sub(self.records.len())
    }

    /// Records emitted so far in this call.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether nothing was emitted yet.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
}

/// The next offset of one log partition, as a source's snapshotted position stands for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogOffset {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: i32,
    /// The offset of the next record to read.
    pub offset: i64,
}

/// Reads a source's snapshotted position as log offsets ([`Source::log_offsets`]).
pub type LogOffsetsFn = fn(&[u8]) -> Vec<LogOffset>;

/// A (parallel) source of records. See the module docs for the contract.
pub trait Source<T>: Send {
    /// Prepares the subtask (assigns splits). Returns the number of splits this subtask reads.
    fn open(&mut self, ctx: &SourceContext) -> Result<usize, EngineError> {
        let _ = ctx;
        Ok(1)
    }

    /// Emits up to `out.remaining()` records of one split.
    fn poll(&mut self, out: &mut SourceBatch<T>) -> Result<SourceStatus, EngineError>;

    /// The position after the last emitted record, taken for checkpoint `checkpoint_id`.
    fn snapshot_position(&mut self, checkpoint_id: u64) -> Result<Vec<u8>, EngineError>;

    /// Rewinds a freshly opened source to the positions of the previous run (one entry per old
    /// subtask, see the module docs).
    fn restore_positions(&mut self, ctx: &SourceContext, positions: &[Vec<u8>]) -> Result<(), EngineError>;

    /// Checkpoint `checkpoint_id` is complete (durable). Ids only grow; some may be skipped.
    fn notify_checkpoint_complete(&mut self, checkpoint_id: u64) -> Result<(), EngineError> {
        let _ = checkpoint_id;
        Ok(())
    }

    /// The log partitions and next offsets that `position` (one of this source's
    /// [`snapshot_position`](Self::snapshot_position)s) stands for; empty for a source that
    /// does not read a log, or a position it cannot read. A job run on several processes
    /// commits them with its group's offsets, so Kafka's own tools show each source task's
    /// lag; nothing is restored from them.
    fn log_offsets(position: &[u8]) -> Vec<LogOffset>
    where
        Self: Sized,
    {
        let _ = position;
        Vec::new()
    }
}

/// This subtask's entry of `positions`, for sources that can only restore at the parallelism
/// they were snapshotted with.
pub fn own_position<'a>(ctx: &SourceContext, positions: &'a [Vec<u8>]) -> Result<&'a [u8], EngineError> {
    if positions.len() != ctx.parallelism {
        return Err(EngineError::InvalidPosition(format!(
            "this source was checkpointed at parallelism {} and cannot be restored at parallelism {}",
            positions.len(),
            ctx.parallelism
        )));
    }
    Ok(&positions[ctx.subtask])
}

fn decode_u64(position: &[u8]) -> Result<u64, EngineError> {
    let bytes: [u8; 8] = position
        .try_into()
        .map_err(|_| EngineError::InvalidPosition(format!("expected 8 bytes, got {}", position.len())))?;
    Ok(u64::from_le_bytes(bytes))
}

/// The numbers `start..end`, subtask `s` of `p` emitting `start + s, start + s + p, ...` so all
/// subtasks advance through the sequence (and its event time) at the same pace.
#[derive(Debug, Clone)]
pub struct SequenceSource {
    next: u64,
    end: u64,
    stride: u64,
}

impl SequenceSource {
    /// The sequence `start..end`.
    pub fn new(start: u64, end: u64) -> Self {
        Self {
            next: start,
            end,
            stride: 1,
        }
    }
}

impl Source<u64> for SequenceSource {
    fn open(&mut self, ctx: &SourceContext) -> Result<usize, EngineError> {
        self.next += ctx.subtask as u64;
        self.stride = ctx.parallelism as u64;
        Ok(1)
    }

    fn poll(&mut self, out: &mut SourceBatch<u64>) -> Result<SourceStatus, EngineError> {
        let n = out.remaining() as u64;
        let mut i = self.next;
        let stop = self.end.min(i.saturating_add(n.saturating_mul(self.stride)));
        while i < stop {
            out.push(i);
            i += self.stride;
        }
        self.next = i;
        Ok(if i >= self.end {
            SourceStatus::Finished
        } else {
            SourceStatus::Available
        })
    }

    fn snapshot_position(&mut self, _: u64) -> Result<Vec<u8>, EngineError> {
        Ok(self.next.to_le_bytes().to_vec())
    }

    fn restore_positions(&mut self, ctx: &SourceContext, positions: &[Vec<u8>]) -> Result<(), EngineError> {
        self.next = decode_u64(own_position(ctx, positions)?)?;
        Ok(())
    }
}

/// The records of a vector (with optional timestamps), subtask `s` of `p` taking every p-th one.
#[derive(Debug, Clone)]
pub struct CollectionSource<T> {
    records: std::sync::Arc<Vec<Record<T>>>,
    next: usize,
    stride: usize,
}

impl<T> CollectionSource<T> {
    /// Elements without timestamps.
    pub fn new(values: Vec<T>) -> Self {
        Self::with_timestamps(values.into_iter().map(|v| Record::new(NO_TIMESTAMP, v)).collect())
    }

    /// Elements with source timestamps.
    pub fn with_timestamps(records: Vec<Record<T>>) -> Self {
        Self {
            records: std::sync::Arc::new(records),
            next: 0,
            stride: 1,
        }
    }
}

impl<T: Clone + Send + Sync> Source<T> for CollectionSource<T> {
    fn open(&mut self, ctx: &SourceContext) -> Result<usize, EngineError> {
        self.next = ctx.subtask;
        self.stride = ctx.parallelism;
        Ok(1)
    }

    fn poll(&mut self, out: &mut SourceBatch<T>) -> Result<SourceStatus, EngineError> {
        while out.remaining() > 0 && self.next < self.records.len() {
            let r = &self.records[self.next];
            out.push_with_timestamp(r.value.clone(), r.timestamp);
            self.next += self.stride;
        }
        Ok(if self.next >= self.records.len() {
            SourceStatus::Finished
        } else {
            SourceStatus::Available
        })
    }

    fn snapshot_position(&mut self, _: u64) -> Result<Vec<u8>, EngineError> {
        Ok((self.next as u64).to_le_bytes().to_vec())
    }

    fn restore_positions(&mut self, ctx: &SourceContext, positions: &[Vec<u8>]) -> Result<(), EngineError> {
        self.next = decode_u64(own_position(ctx, positions)?)? as usize;
        Ok(())
    }
}

/// A small, fast, seedable random generator (SplitMix64); deterministic across platforms.
#[derive(Debug, Clone)]
pub struct SeededRng {
    state: u64,
}

impl SeededRng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next 64 random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`; returns 0 for `n == 0`).
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }
}

/// `count` records made by `make(index, rng)`: subtask `s` generates indices `s, s + p, ...`
/// with a generator seeded from `seed` and the index, so the output does not depend on the
/// parallelism and a restored position regenerates the same records.
#[derive(Debug, Clone)]
pub struct GeneratorSource<F> {
    make: F,
    seed: u64,
    next: u64,
    count: u64,
    stride: u64,
}

impl<F> GeneratorSource<F> {
    /// `count` records from `make`.
    pub fn new(count: u64, seed: u64, make: F) -> Self {
        Self {
            make,
            seed,
            next: 0,
            count,
            stride: 1,
        }
    }
}

impl<T, F> Source<T> for GeneratorSource<F>
where
    F: FnMut(u64, &mut SeededRng) -> T + Send,
{
    fn open(&mut self, ctx: &SourceContext) -> Result<usize, EngineError> {
        self.next = ctx.subtask as u64;
        self.stride = ctx.parallelism as u64;
        Ok(1)
    }

    fn poll(&mut self, out: &mut SourceBatch<T>) -> Result<SourceStatus, EngineError> {
        while out.remaining() > 0 && self.next < self.count {
            let mut rng = SeededRng::new(self.seed ^ self.next.wrapping_mul(0xa076_1d64_78bd_642f));
            out.push((self.make)(self.next, &mut rng));
            self.next += self.stride;
        }
        Ok(if self.next >= self.count {
            SourceStatus::Finished
        } else {
            SourceStatus::Available
        })
    }

    fn snapshot_position(&mut self, _: u64) -> Result<Vec<u8>, EngineError> {
        Ok(self.next.to_le_bytes().to_vec())
    }

    fn restore_positions(&mut self, ctx: &SourceContext, positions: &[Vec<u8>]) -> Result<(), EngineError> {
        self.next = decode_u64(own_position(ctx, positions)?)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain<T, S: Source<T>>(s: &mut S, cap: usize) -> Vec<T> {
        let mut all = Vec::new();
        loop {
            let mut b = SourceBatch::new(cap);
            let st = s.poll(&mut b).unwrap();
            all.extend(b.records.into_iter().map(|r| r.value));
            if st == SourceStatus::Finished {
                return all;
            }
        }
    }

    #[test]
    fn sequence_is_split_by_stride_and_rewinds() {
        let mut s = SequenceSource::new(0, 10);
        let ctx = SourceContext {
            subtask: 1,
            parallelism: 3,
        };
        s.open(&ctx).unwrap();
        let mut b = SourceBatch::new(2);
        s.poll(&mut b).unwrap();
        let pos = s.snapshot_position(1).unwrap();
        let rest = drain(&mut s, 2);
        assert_eq!(rest, vec![7]);
        let all = vec![Vec::new(), pos, Vec::new()];
        s.restore_positions(&ctx, &all).unwrap();
        assert_eq!(drain(&mut s, 100), vec![7]);
        assert!(s.restore_positions(&ctx, &[vec![1], vec![1, 2], vec![]]).is_err());
        assert!(
            s.restore_positions(&ctx, &all[..2]).is_err(),
            "a sequence cannot change parallelism"
        );
    }

    #[test]
    fn generator_output_is_independent_of_parallelism() {
        let make = |i: u64, r: &mut SeededRng| (i, r.below(1000));
        let mut one = GeneratorSource::new(50, 7, make);
        one.open(&SourceContext {
            subtask: 0,
            parallelism: 1,
        })
        .unwrap();
        let mut a = drain(&mut one, 8);
        let mut b = Vec::new();
        for s in 0..3 {
            let mut g = GeneratorSource::new(50, 7, make);
            g.open(&SourceContext {
                subtask: s,
                parallelism: 3,
            })
            .unwrap();
            b.extend(drain(&mut g, 8));
        }
        a.sort();
        b.sort();
        assert_eq!(a, b);
    }
}
