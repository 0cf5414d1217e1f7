//! What the subtasks of one filesystem sink have committed, gathered in one place: Flink's
//! `PartitionCommitter`, the single task its writers send each checkpoint's partitions to.
//!
//! Every subtask of a sink holds the same [`Committer`] (the sink's clones share it, all in
//! this process). When a checkpoint completes and a subtask has committed its files, it reports
//! the partitions it wrote before that checkpoint's snapshot and its watermark there. A
//! partition is marked done only when every subtask has reported a checkpoint at least as late
//! as the one that first brought the partition, so every subtask's files of the partition up to
//! then are visible; the partition-time trigger reads the least watermark over the subtasks'
//! latest reports (a subtask whose watermark is past the partition's time writes no more rows
//! into it, late rows aside, as in Flink). At the end of a bounded input, once every subtask has
//! finished, every partition is done.
//!
//! A restart begins a new [`attempt`](spate_engine::SinkContext::attempt): the first subtask
//! to open in it clears what the failed attempt gathered; the restored checkpoint's states
//! bring back the partitions still pending.

use std::collections::{BTreeMap, BTreeSet};

/// A partition reported committed by one subtask and not yet marked done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pending {
    /// Processing time (ms) the partition was first written.
    pub(crate) created: i64,
    /// The checkpoint that first reported it; every subtask must have reported this one or a
    /// later one before the partition is marked done (0 for partitions restored from state).
    pub(crate) checkpoint: u64,
}

/// The partitions of one sink's subtasks, per job attempt (see the module docs).
#[derive(Debug, Default)]
pub(crate) struct Committer {
    attempt: Option<u64>,
    parallelism: usize,
    /// Per subtask: the latest checkpoint it reported and its watermark at that snapshot.
    reported: BTreeMap<usize, (u64, i64)>,
    pending: BTreeMap<String, Pending>,
    finished: BTreeSet<usize>,
}

impl Committer {
    /// A subtask of `attempt` opened, one of `parallelism`: a new attempt starts empty.
    pub(crate) fn join(&mut self, attempt: u64, parallelism: usize) {
        if self.attempt != Some(attempt) {
            *self = Committer {
                attempt: Some(attempt),
                parallelism: parallelism.max(1),
                ..Committer::default()
            };
        }
    }

    /// Adds partitions whose files are committed (by the checkpoint `checkpoint`); a
    /// partition already pending keeps its earliest creation and checkpoint.
    pub(crate) fn add(&mut self, partitions: impl IntoIterator<Item = (String, i64)>, checkpoint: u64) {
        for (rel, created) in partitions {
            let p = self.pending.entry(rel).or_insert(Pending { created, checkpoint });
            p.created = p.created.min(created);
            p.checkpoint = p.checkpoint.min(checkpoint);
        }
    }

    /// `subtask` committed its files up to checkpoint `checkpoint`, where its watermark was
    /// `watermark`.
    pub(crate) fn report(&mut self, subtask: usize, checkpoint: u64, watermark: i64) {
        let entry = self.reported.entry(subtask).or_insert((checkpoint, watermark));
        *entry = (entry.0.max(checkpoint), entry.1.max(watermark));
    }

    /// `subtask` reached the end of its input and committed all its files: it holds nothing
    /// back any more. Returns whether every subtask has.
    pub(crate) fn finish(&mut self, subtask: usize) -> bool {
        self.report(subtask, u64::MAX, i64::MAX);
        self.finished.insert(subtask);
        self.finished.len() >= self.parallelism
    }

    /// The checkpoint every subtask has reported (the least of their latest) and the least
    /// watermark over their latest reports; `None` until every subtask has reported once.
    pub(crate) fn common(&self) -> Option<(u64, i64)> {
        if self.reported.len() < self.parallelism {
            return None;
        }
        let checkpoint = self.reported.values().map(|(c, _)| *c).min()?;
        let watermark = self.reported.values().map(|(_, w)| *w).min()?;
        Some((checkpoint, watermark))
    }

    /// The pending partitions.
    pub(crate) fn pending(&self) -> &BTreeMap<String, Pending> {
        &self.pending
    }

    /// Marks `rel` done: no longer pending.
    pub(crate) fn done(&mut self, rel: &str) {
        self.pending.remove(rel);
    }

    /// Takes every pending partition (the end of the input).
    pub(crate) fn take_all(&mut self) -> BTreeMap<String, Pending> {
        std::mem::take(&mut self.pending)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_common_until_every_subtask_reported() {
        let mut c = Committer::default();
        c.join(3, 2);
        c.report(0, 5, 100);
        assert_eq!(c.common(), None);
        c.report(1, 4, 300);
        assert_eq!(c.common(), Some((4, 100)));
        c.report(1, 6, 50);
        // Reports only move forward: a later checkpoint, a watermark never lower.
        assert_eq!(c.common(), Some((5, 100)));
    }

    #[test]
    fn a_new_attempt_starts_empty_and_the_same_attempt_keeps_its_reports() {
        let mut c = Committer::default();
        c.join(1, 2);
        c.add([("a".to_string(), 7)], 3);
        c.report(0, 3, 10);
        c.join(1, 2);
        assert_eq!(c.pending().len(), 1);
        c.join(2, 2);
        assert!(c.pending().is_empty());
        assert_eq!(c.common(), None);
    }

    #[test]
    fn a_partition_keeps_its_first_checkpoint_and_creation() {
        let mut c = Committer::default();
        c.join(0, 1);
        c.add([("a".to_string(), 9)], 4);
        c.add([("a".to_string(), 5)], 6);
        assert_eq!(
            c.pending().get("a"),
            Some(&Pending {
                created: 5,
                checkpoint: 4
            })
        );
    }

    #[test]
    fn finishing_counts_every_subtask_once() {
        let mut c = Committer::default();
        c.join(0, 2);
        assert!(!c.finish(1));
        assert!(!c.finish(1));
        assert!(c.finish(0));
    }
}
