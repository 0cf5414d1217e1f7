//! Integration tests of spate-group against a real Spate broker in the test process: one
//! binary, one module per area.

mod changelog;
mod eos;
mod membership;
mod processes;
