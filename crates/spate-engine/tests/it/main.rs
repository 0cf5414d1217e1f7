//! Integration tests of spate-engine: one binary, one module per area (each module's own docs
//! say what it covers).

mod checkpoint;
mod checkpoint_operators;
mod co_broadcast;
mod common;
mod distributed;
mod join_oracle;
mod keyed_state;
mod pipeline;
mod restart;
mod window_oracle;
