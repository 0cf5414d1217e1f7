//! Keyed state: a backend organised by key group, typed state handles, and timers.
//!
//! Every piece of keyed state lives under `(state id, key group, key)`. Grouping by key group
//! is what makes state portable: a checkpoint writes each key group separately, and a restore
//! at another parallelism hands each subtask the key groups of its new
//! [`KeyGroupRange`](crate::keygroup::KeyGroupRange).

pub(crate) mod backend;
mod entries;
mod handles;
mod timers;

pub(crate) mod keyed_runtime;

pub use crate::checkpoint::snapshot::Blob;
pub use backend::{HeapKeyedStateBackend, KeyGroupSnapshot, KeyedStateBackend, StateId};
pub use handles::{KeyedStateAccess, ListState, MapState, ReducingState, StateRegistry, ValueState};
pub(crate) use timers::TimerService;
