//! Joins of two streams on a key: window joins and interval joins (Flink semantics).
//!
//! - **Window join** (`a.join(&b).where_key(ka).equal_to(kb).window(assigner).apply(f)`): every
//!   pair of an `a` and a `b` with equal keys in the same window, emitted when the window fires
//!   (with the window's max timestamp). Built as Flink builds it: both inputs tagged, unioned,
//!   keyed and windowed, so it inherits the window operator's triggers, lateness and merging.
//! - **Interval join** (`ka.interval_join(&kb).between(lower, upper)?.process(f)`): every pair
//!   with equal keys and `b.ts` in `[a.ts + lower, a.ts + upper]`, emitted as soon as both are
//!   seen (with timestamp `max(a.ts, b.ts)`). Each side is buffered per key and dropped once the
//!   watermark passes the last time a partner could arrive.

mod interval;
mod window;

pub use interval::{IntervalJoin, IntervalJoined, JoinContext, ProcessJoinFunction};
pub use window::{JoinSide, JoinWhere, JoinedStreams, WindowJoin, WindowJoinKeys};
