//! Operators grouped by function family. Each family is the user-facing function trait and the
//! operator that runs it:
//! - `basic.rs`: map, filter, flat map, timestamp assignment (stateless, chained);
//! - `process.rs`: [`ProcessFunction`] with side outputs;
//! - `keyed.rs`: the rolling reduce of a keyed stream;
//! - [`keyed_process`]: keyed state and timers over one input;
//! - [`local_aggregate`]: the local phase of two-phase aggregation over a keyed stream;
//! - [`connect`]: co-process functions over two unkeyed inputs;
//! - [`keyed_co_process`]: keyed state and timers over two keyed inputs;
//! - [`broadcast`]: broadcast state, unkeyed and keyed;
//! - `two_input.rs`: how one operator is reached from two chain inputs.
//!
//! The state, timers and output that keyed families share live with the state backend
//! (`state/keyed_runtime.rs`); the chain interface they implement is `runtime/output.rs`.

pub(crate) mod basic;
pub mod broadcast;
pub mod connect;
pub(crate) mod keyed;
pub mod keyed_co_process;
pub mod keyed_process;
pub mod local_aggregate;
pub(crate) mod process;
mod resumable_timer_control;
pub(crate) mod two_input;
