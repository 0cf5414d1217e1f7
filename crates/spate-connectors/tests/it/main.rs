//! Integration tests of spate-connectors: one binary, one module per area (each module's own docs
//! say what it covers).

mod avro_registry;
mod datagen;
mod files;
mod kafka;
mod kafka_direct;
mod kafka_tls;
mod protobuf_registry;
