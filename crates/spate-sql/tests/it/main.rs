//! Integration tests of spate-sql: one binary, one module per area (each module's own docs
//! say what it covers).

mod avro_confluent;
mod avro_kafka;
mod catalog;
mod cdc_kafka;
mod cdc_metadata;
mod changelog_oracle;
mod connectors;
mod explain;
mod expr;
mod expr_alloc;
mod expr_fuzz;
mod flink_changelog;
mod flink_golden;
mod formats;
mod golden;
mod jdbc;
mod json_confluent;
mod kafka_tls;
mod mini_batch;
mod on_conflict;
mod parquet_files;
mod parse;
mod pg_server;
mod protobuf_confluent;
mod roundtrip;
mod script_results;
mod session;
mod state_ttl;
mod stream_table;
mod temporal_join;
mod top_n_oracle;
mod two_phase;
mod udf;
mod upsert_buffer;
mod upsert_kafka;
