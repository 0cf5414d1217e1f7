//! Records, timestamps, windows and the in-band events that travel over edges.

use std::hash::Hash;

/// Event or processing time in milliseconds since the Unix epoch.
pub type Timestamp = i64;

/// The timestamp of a record that has none (no timestamp assigner ran).
pub const NO_TIMESTAMP: Timestamp = i64::MIN;
/// The watermark before any watermark was seen.
pub const MIN_WATERMARK: Timestamp = i64::MIN;
/// The final watermark of a bounded stream: every event-time timer fires at it.
pub const MAX_WATERMARK: Timestamp = i64::MAX;

/// Types that can flow through a stream: cloned when an edge broadcasts or fans out, sent
/// between worker threads.
pub trait Data: Clone + Send + 'static {}
impl<T: Clone + Send + 'static> Data for T {}

/// Types that can key a stream: hashed (deterministically) into key groups, and serialised into
/// checkpoints with the keyed state they own.
pub trait Key: Data + Hash + Eq + StateData {}
impl<T: Data + Hash + Eq + StateData> Key for T {}

/// Types kept in operator state (accumulators, state values, buffered elements): serialised
/// into checkpoints and savepoints with serde (derive `Serialize` and `Deserialize`).
///
/// `Clone + Sync` because keyed state is snapshotted copy-on-write: a checkpoint shares the
/// state as it was at the barrier with a background thread that serialises it, and the task
/// copies a key group only when it writes to one that is still being serialised (Flink's
/// serializers have `copy` for the same reason).
pub trait StateData: serde::Serialize + serde::de::DeserializeOwned + Clone + Send + Sync + 'static {}
impl<T: serde::Serialize + serde::de::DeserializeOwned + Clone + Send + Sync + 'static> StateData for T {}

/// One element of a stream with its event timestamp.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Record<T> {
    /// Event time in ms, or [`NO_TIMESTAMP`].
    pub timestamp: Timestamp,
    /// The element.
    pub value: T,
}

impl<T> Record<T> {
    /// A record with a timestamp.
    pub fn new(timestamp: Timestamp, value: T) -> Self {
        Self { timestamp, value }
    }
}

/// A time window `[start, end)`. The global window is `[i64::MIN, i64::MAX)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Window {
    /// Inclusive start in ms.
    pub start: Timestamp,
    /// Exclusive end in ms.
    pub end: Timestamp,
}

impl Window {
    /// A window `[start, end)`.
    pub fn new(start: Timestamp, end: Timestamp) -> Self {
        Self { start, end }
    }

    /// The single window of global windowing (count windows and custom triggers).
    pub fn global() -> Self {
        Self {
            start: i64::MIN,
            end: i64::MAX,
        }
    }

    /// Whether this is the global window.
    pub fn is_global(&self) -> bool {
        self.end == i64::MAX
    }

    /// The largest timestamp that belongs to the window; results carry it as their timestamp.
    pub fn max_timestamp(&self) -> Timestamp {
        if self.is_global() { i64::MAX } else { self.end - 1 }
    }

    /// Whether two windows overlap or touch (session windows merge then).
    pub fn intersects(&self, other: &Window) -> bool {
        self.start <= other.end && self.end >= other.start
    }

    /// The smallest window that covers both.
    pub fn cover(&self, other: &Window) -> Window {
        Window {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// A checkpoint barrier as it travels between tasks. It lives here, beside the other in-band
/// events, because every channel carries it; `checkpoint` re-exports it with the rest of the
/// checkpoint API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Barrier {
    /// Checkpoint id; ids only grow, also across restarts.
    pub id: u64,
    /// Whether this is a savepoint (a checkpoint the user asked for, written elsewhere).
    pub savepoint: bool,
}

/// What travels over an edge between subtasks. Records always travel in batches; watermarks,
/// idleness and end of stream travel in-band so they stay ordered with the records.
#[derive(Debug)]
pub(crate) enum Event<T> {
    Batch(Vec<Record<T>>),
    Watermark(Timestamp),
    Idle(bool),
    /// A checkpoint barrier: everything before it belongs to the checkpoint.
    Barrier(Barrier),
    End,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_geometry() {
        let a = Window::new(0, 10);
        assert_eq!(a.max_timestamp(), 9);
        assert!(a.intersects(&Window::new(10, 20)));
        assert!(!a.intersects(&Window::new(11, 20)));
        assert_eq!(a.cover(&Window::new(5, 30)), Window::new(0, 30));
        assert_eq!(Window::global().max_timestamp(), i64::MAX);
    }
}
