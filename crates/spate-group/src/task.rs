//! Tasks: the unit of work the group assigns.

use std::fmt;

/// One stage of a job over one of its partitions: the unit of work a process owns, restores
/// and commits (Kafka Streams' task `subtopology_partition`). Ordered by stage, then index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TaskId {
    /// The stage (a part of the job graph between keyed exchanges), numbered from 0.
    pub stage: u32,
    /// The stage's partition (its subtask index).
    pub index: u32,
}

impl TaskId {
    /// Task `index` of `stage`.
    pub fn new(stage: u32, index: u32) -> Self {
        TaskId { stage, index }
    }
}

impl fmt::Display for TaskId {
    /// Kafka Streams' notation: `stage_index`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}_{}", self.stage, self.index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_as_kafka_streams_does_and_orders_by_stage() {
        assert_eq!(TaskId::new(1, 7).to_string(), "1_7");
        assert!(TaskId::new(0, 9) < TaskId::new(1, 0));
    }
}
