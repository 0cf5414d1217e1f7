//! The physical runtime: tasks, channels, the worker pool and the planner.

pub(crate) mod align;
pub(crate) mod channel;
pub(crate) mod output;
pub(crate) mod plan;
pub(crate) mod task;
pub(crate) mod worker;
