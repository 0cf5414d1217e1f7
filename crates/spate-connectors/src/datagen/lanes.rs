//! The indices a generator subtask still has to produce, as arithmetic progressions ("lanes").
//!
//! Subtask `s` of `p` starts with the single lane `start + s, start + s + p, ...`. A snapshot
//! stores the lanes' next indices; a restore at the same parallelism takes its own lanes back,
//! and a restore at another parallelism `q` splits every old lane `(next, stride)` into `q`
//! lanes `(next + i * stride, stride * q)` and gives lane `i` to subtask `i`, so the union of
//! the new subtasks' indices is exactly the set the old subtasks had left: generators rescale
//! without losing or repeating a record.

use spate_engine::SourceContext;

use crate::error::ConnectorError;
use crate::state_codec::{StateReader, StateWriter};

const VERSION: u8 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Lane {
    next: u64,
    stride: u64,
}

/// The remaining indices of one subtask, below `end`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IndexLanes {
    lanes: Vec<Lane>,
    end: u64,
}

impl IndexLanes {
    /// Subtask `ctx.subtask`'s share of `start..end`.
    pub(crate) fn new(start: u64, end: u64, ctx: &SourceContext) -> Self {
        let mut lanes = Vec::with_capacity(1);
        if let Some(next) = start.checked_add(ctx.subtask as u64) {
            lanes.push(Lane {
                next,
                stride: ctx.parallelism.max(1) as u64,
            });
        }
        let mut me = Self { lanes, end };
        me.drop_exhausted();
        me
    }

    fn drop_exhausted(&mut self) {
        let end = self.end;
        self.lanes.retain(|l| l.next < end);
    }

    /// Whether every index was handed out.
    pub(crate) fn is_finished(&self) -> bool {
        self.lanes.is_empty()
    }

    /// The smallest remaining index (lanes advance together, which keeps event time even).
    #[inline]
    pub(crate) fn next_index(&mut self) -> Option<u64> {
        let (pos, lane) = match self.lanes.as_mut_slice() {
            [] => return None,
            [only] => (0, only),
            lanes => {
                let pos = lanes
                    .iter()
                    .enumerate()
                    .min_by_key(|(_, l)| l.next)
                    .map(|(i, _)| i)
                    .unwrap_or(0);
                (pos, &mut lanes[pos])
            }
        };
        let index = lane.next;
        match index.checked_add(lane.stride) {
            Some(n) if n < self.end => lane.next = n,
            _ => {
                self.lanes.swap_remove(pos);
            }
        }
        Some(index)
    }

    /// The position: the remaining lanes.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut w = StateWriter::new(VERSION);
        w.u64(self.lanes.len() as u64);
        for l in &self.lanes {
            w.u64(l.next).u64(l.stride);
        }
        w.finish()
    }

    fn decode(bytes: &[u8]) -> Result<Vec<Lane>, ConnectorError> {
        let mut r = StateReader::new(bytes, VERSION, "generator position")?;
        let n = r.len()?;
        let mut lanes = Vec::with_capacity(n);
        for _ in 0..n {
            let next = r.u64()?;
            let stride = r.u64()?;
            if stride == 0 {
                return Err(ConnectorError::State("generator position: zero stride".into()));
            }
            lanes.push(Lane { next, stride });
        }
        r.end()?;
        Ok(lanes)
    }

    /// Replaces the lanes with this subtask's share of every old subtask's position.
    pub(crate) fn restore(
        &mut self,
        ctx: &SourceContext,
        positions: &[Vec<u8>],
    ) -> Result<(), ConnectorError> {
        let p = ctx.parallelism.max(1);
        if positions.len() == p {
            self.lanes = Self::decode(&positions[ctx.subtask])?;
        } else {
            let mut lanes = Vec::new();
            for position in positions {
                for lane in Self::decode(position)? {
                    let offset = (ctx.subtask as u64).checked_mul(lane.stride);
                    let Some(next) = offset.and_then(|o| lane.next.checked_add(o)) else {
                        continue;
                    };
                    // A stride beyond u64 leaves one index per lane.
                    let stride = lane.stride.saturating_mul(p as u64);
                    lanes.push(Lane { next, stride });
                }
            }
            self.lanes = lanes;
        }
        self.drop_exhausted();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ctx(subtask: usize, parallelism: usize) -> SourceContext {
        SourceContext { subtask, parallelism }
    }

    fn take(l: &mut IndexLanes, n: usize) -> Vec<u64> {
        (0..n).map_while(|_| l.next_index()).collect()
    }

    proptest! {
        /// Oracle: whatever the parallelisms and where the snapshot is taken, old outputs plus
        /// restored outputs are exactly `start..end`.
        #[test]
        fn rescaling_loses_and_repeats_nothing(
            start in 0u64..50, len in 0u64..300, p1 in 1usize..6, p2 in 1usize..6,
            taken in proptest::collection::vec(0usize..80, 6),
        ) {
            let end = start + len;
            let mut seen = Vec::new();
            let mut positions = Vec::new();
            for (s, &n) in taken.iter().enumerate().take(p1) {
                let mut l = IndexLanes::new(start, end, &ctx(s, p1));
                seen.extend(take(&mut l, n));
                positions.push(l.encode());
            }
            for s in 0..p2 {
                let mut l = IndexLanes::new(start, end, &ctx(s, p2));
                l.restore(&ctx(s, p2), &positions).unwrap();
                seen.extend(take(&mut l, usize::MAX));
                prop_assert!(l.is_finished());
            }
            seen.sort_unstable();
            prop_assert_eq!(seen, (start..end).collect::<Vec<_>>());
        }
    }

    #[test]
    fn lanes_near_u64_max_end_cleanly() {
        let mut l = IndexLanes::new(u64::MAX - 3, u64::MAX, &ctx(1, 2));
        assert_eq!(take(&mut l, 10), vec![u64::MAX - 2]);
        assert!(IndexLanes::decode(&[1, 1, 0, 0, 0, 0, 0, 0, 0]).is_err());
    }
}
