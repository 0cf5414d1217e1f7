//! The physical runtime: tasks, channels, the worker pool, and the factory interface
//! (`build.rs`) through which the planner (`crate::plan`) builds tasks from the logical graph.

pub(crate) mod align;
pub(crate) mod build;
pub(crate) mod channel;
pub(crate) mod exchange;
pub(crate) mod output;
pub(crate) mod task;
pub(crate) mod worker;
