//! Generator sources: number sequences, seeded random records and the Nexmark benchmark's
//! Person / Auction / Bid stream.
//!
//! Every generator here is a [`DatagenSource`]: record `i` is a pure function of `i` (and a
//! seed), so the output does not depend on the parallelism, a restored position regenerates
//! exactly the records after the checkpoint, and positions can be restored at a different
//! parallelism (see [`DatagenSource`]). Sources are bounded (`start..end`) or unbounded, and can
//! be throttled to a number of rows per second across all subtasks, like Flink's `datagen`
//! connector.
//!
//! ```
//! use spate_connectors::datagen::DatagenSource;
//! use spate_engine::{StreamEnvironment, WatermarkStrategy};
//!
//! # fn main() -> Result<(), spate_engine::EngineError> {
//! let env = StreamEnvironment::new();
//! env.set_parallelism(2);
//! let squares = env
//!     .add_source("numbers", DatagenSource::sequence(0, 100), WatermarkStrategy::no_watermarks())
//!     .map(|n: u64| n * n)
//!     .collect();
//! env.execute()?;
//! assert_eq!(squares.values().len(), 100);
//! # Ok(()) }
//! ```

mod lanes;
pub mod nexmark;

use spate_engine::source::SeededRng;
use spate_engine::{EngineError, NO_TIMESTAMP, Source, SourceBatch, SourceContext, SourceStatus, Timestamp};

use crate::emit::Emitter;
use crate::rate_limit::RateLimiter;
use lanes::IndexLanes;

/// Makes record number `index`. Must be deterministic: the same index always gives the same
/// record, whichever subtask asks, so generated streams survive restore and rescaling.
pub trait IndexGenerator: Clone + Send + 'static {
    /// The record type.
    type Item;
    /// Record `index` and its source timestamp ([`NO_TIMESTAMP`] for none).
    fn generate(&mut self, index: u64) -> (Self::Item, Timestamp);
}

/// The numbers themselves: record `i` is `i`, without timestamp.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sequence;

impl IndexGenerator for Sequence {
    type Item = u64;
    #[inline]
    fn generate(&mut self, index: u64) -> (u64, Timestamp) {
        (index, NO_TIMESTAMP)
    }
}

/// Records from a closure `make(index, rng)`, with `rng` seeded from the seed and the index
/// (the same mixing as the engine's `GeneratorSource`, so both produce the same records).
#[derive(Debug, Clone)]
pub struct Random<F> {
    seed: u64,
    make: F,
}

impl<T, F> IndexGenerator for Random<F>
where
    F: FnMut(u64, &mut SeededRng) -> T + Clone + Send + 'static,
{
    type Item = T;
    #[inline]
    fn generate(&mut self, index: u64) -> (T, Timestamp) {
        let mut rng = SeededRng::new(self.seed ^ index.wrapping_mul(0xa076_1d64_78bd_642f));
        ((self.make)(index, &mut rng), NO_TIMESTAMP)
    }
}

/// A parallel, checkpointable generator source over the indices `start..end` (or `start..`
/// when unbounded).
///
/// Subtask `s` of `p` generates the indices `start + s, start + s + p, ...`. The position is
/// the set of remaining index progressions; restoring at another parallelism splits them among
/// the new subtasks, so nothing is lost or repeated (the order across subtasks changes, as with
/// any rescaling). A rows-per-second limit is divided among the subtasks; throttled polls return
/// [`SourceStatus::Pending`] instead of sleeping.
#[derive(Debug, Clone)]
pub struct DatagenSource<G> {
    generator: G,
    start: u64,
    end: u64,
    rows_per_second: Option<u64>,
    lanes: Option<IndexLanes>,
    limiter: Option<RateLimiter>,
}

impl DatagenSource<Sequence> {
    /// The numbers `start..end`.
    pub fn sequence(start: u64, end: u64) -> Self {
        Self::new(Sequence, start, end)
    }
}

impl<F> DatagenSource<Random<F>> {
    /// `count` records from `make(index, rng)` (see [`Random`]).
    pub fn random(count: u64, seed: u64, make: F) -> Self {
        Self::new(Random { seed, make }, 0, count)
    }
}

impl<G> DatagenSource<G> {
    /// Records `start..end` of any generator.
    pub fn new(generator: G, start: u64, end: u64) -> Self {
        Self {
            generator,
            start,
            end,
            rows_per_second: None,
            lanes: None,
            limiter: None,
        }
    }

    /// Never finishes (the end becomes `u64::MAX`).
    pub fn unbounded(mut self) -> Self {
        self.end = u64::MAX;
        self
    }

    /// At most `rows` records per second over all subtasks.
    pub fn with_rows_per_second(mut self, rows: u64) -> Self {
        self.rows_per_second = Some(rows);
        self
    }

    /// Whether the source ends.
    pub fn is_bounded(&self) -> bool {
        self.end != u64::MAX
    }
}

impl<G: IndexGenerator> DatagenSource<G> {
    fn lanes(&mut self) -> &mut IndexLanes {
        // A source that was not opened behaves like subtask 0 of 1.
        let (start, end) = (self.start, self.end);
        self.lanes.get_or_insert_with(|| {
            IndexLanes::new(
                start,
                end,
                &SourceContext {
                    subtask: 0,
                    parallelism: 1,
                },
            )
        })
    }

    /// Opens the subtask (same as [`Source::open`], usable without the engine).
    pub fn open_subtask(&mut self, ctx: &SourceContext) {
        self.lanes = Some(IndexLanes::new(self.start, self.end, ctx));
        self.limiter = self
            .rows_per_second
            .map(|r| RateLimiter::new(RateLimiter::share(r, ctx.subtask, ctx.parallelism)));
    }

    /// Emits up to `out.remaining()` records (what [`Source::poll`] does).
    pub fn poll_into(&mut self, out: &mut impl Emitter<G::Item>) -> SourceStatus {
        out.set_split(0);
        let mut n = out.remaining();
        if let Some(limiter) = &mut self.limiter {
            n = limiter.acquire(n);
        }
        let mut generator = self.generator.clone();
        let lanes = self.lanes();
        for _ in 0..n {
            let Some(index) = lanes.next_index() else { break };
            let (value, ts) = generator.generate(index);
            out.emit(value, ts);
        }
        let finished = lanes.is_finished();
        self.generator = generator;
        if finished {
            SourceStatus::Finished
        } else if n == 0 {
            SourceStatus::Pending
        } else {
            SourceStatus::Available
        }
    }

    /// The position after the last emitted record.
    pub fn position(&mut self) -> Vec<u8> {
        self.lanes().encode()
    }

    /// Restores from every old subtask's position (any old parallelism).
    pub fn restore(
        &mut self,
        ctx: &SourceContext,
        positions: &[Vec<u8>],
    ) -> Result<(), crate::ConnectorError> {
        self.lanes().restore(ctx, positions)
    }
}

impl<G: IndexGenerator> Source<G::Item> for DatagenSource<G> {
    fn open(&mut self, ctx: &SourceContext) -> Result<usize, EngineError> {
        self.open_subtask(ctx);
        Ok(1)
    }

    fn poll(&mut self, out: &mut SourceBatch<G::Item>) -> Result<SourceStatus, EngineError> {
        Ok(self.poll_into(out))
    }

    fn snapshot_position(&mut self, _checkpoint_id: u64) -> Result<Vec<u8>, EngineError> {
        Ok(self.position())
    }

    fn restore_positions(&mut self, ctx: &SourceContext, positions: &[Vec<u8>]) -> Result<(), EngineError> {
        Ok(self.restore(ctx, positions)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::VecBatch;

    fn ctx(subtask: usize, parallelism: usize) -> SourceContext {
        SourceContext { subtask, parallelism }
    }

    fn poll_n<G: IndexGenerator>(s: &mut DatagenSource<G>, n: usize) -> (Vec<G::Item>, SourceStatus) {
        let mut b = VecBatch::new(n);
        let st = s.poll_into(&mut b);
        (b.into_values(), st)
    }

    #[test]
    fn snapshot_mid_way_and_restore_replays_exactly() {
        let make = |i: u64, r: &mut SeededRng| (i, r.below(1_000_000));
        let mut a = DatagenSource::random(100, 42, make);
        a.open_subtask(&ctx(1, 3));
        let (first, _) = poll_n(&mut a, 10);
        let pos = a.position();
        let (rest, st) = poll_n(&mut a, 1000);
        assert_eq!(st, SourceStatus::Finished);
        assert_eq!(first.len() + rest.len(), 33);

        // At the same parallelism only the own entry is read; corrupt bytes are an error.
        let mut b = DatagenSource::random(100, 42, make);
        b.open_subtask(&ctx(1, 3));
        assert!(
            b.restore(&ctx(1, 3), &[Vec::new(), vec![1, 2], Vec::new()])
                .is_err()
        );
        b.restore(&ctx(1, 3), &[Vec::new(), pos, Vec::new()]).unwrap();
        assert_eq!(poll_n(&mut b, 1000).0, rest);
    }

    #[test]
    fn random_output_is_independent_of_parallelism_and_matches_engine_generator() {
        let make = |i: u64, r: &mut SeededRng| (i, r.below(1000));
        let mut all = Vec::new();
        for s in 0..4 {
            let mut g = DatagenSource::random(50, 7, make);
            g.open_subtask(&ctx(s, 4));
            all.extend(poll_n(&mut g, 100).0);
        }
        all.sort();
        let mut single = DatagenSource::random(50, 7, make);
        single.open_subtask(&ctx(0, 1));
        assert_eq!(poll_n(&mut single, 100).0, all);
        let expected: Vec<_> = (0..50u64)
            .map(|i| make(i, &mut SeededRng::new(7 ^ i.wrapping_mul(0xa076_1d64_78bd_642f))))
            .collect();
        assert_eq!(all, expected);
    }

    #[test]
    fn unbounded_and_throttled() {
        let mut s = DatagenSource::sequence(5, 6).unbounded();
        assert!(!s.is_bounded());
        s.open_subtask(&ctx(0, 1));
        let (v, st) = poll_n(&mut s, 1000);
        assert_eq!(st, SourceStatus::Available);
        assert_eq!(v, (5..1005).collect::<Vec<_>>());

        // 2 rows/s over 2 subtasks: each may emit one row at once, then nothing for ~1 s.
        let mut t = DatagenSource::sequence(0, 100).with_rows_per_second(2);
        t.open_subtask(&ctx(1, 2));
        assert_eq!(poll_n(&mut t, 10), (vec![1], SourceStatus::Available));
        assert_eq!(poll_n(&mut t, 10), (vec![], SourceStatus::Pending));
    }
}
