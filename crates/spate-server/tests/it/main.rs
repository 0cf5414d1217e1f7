//! Integration tests of spate-server: one binary, one module per area (each module's own docs
//! say what it covers).

mod dashboard_api;
mod metrics;
mod rest;
mod schemas_api;
