//! Integration tests of spate-broker: one binary, one module per area (each module's own docs
//! say what it covers).

mod acl_matching;
mod acls;
mod bad_input;
mod client_quotas;
mod common;
mod compaction;
mod concurrency;
mod connection_limits;
mod consumer_groups;
mod corrupt_records;
mod decode_proptest;
mod durability;
mod fetch_out_of_range;
mod fetch_sessions;
mod listeners;
mod producer_expiry;
mod quota_throttling;
mod rdkafka_admin;
mod rdkafka_clients;
mod sasl;
mod tls;
mod transactional_guard;
mod transactions;
mod txn_recovery;
