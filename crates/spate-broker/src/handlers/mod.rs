//! One module per Kafka API: each turns a decoded request into a response.

pub(crate) mod acls;
pub(crate) mod add_offsets_to_txn;
pub(crate) mod add_partitions_to_txn;
pub(crate) mod api_versions;
pub(crate) mod blocking;
pub(crate) mod client_quotas;
pub(crate) mod configs;
pub(crate) mod describe_cluster;
pub(crate) mod describe_producers;
pub(crate) mod describe_transactions;
pub(crate) mod end_txn;
pub(crate) mod fetch;
pub(crate) mod fetch_session;
pub(crate) mod find_coordinator;
pub(crate) mod groups;
pub(crate) mod init_producer_id;
pub(crate) mod list_offsets;
pub(crate) mod list_transactions;
pub(crate) mod metadata;
pub(crate) mod offsets;
pub(crate) mod produce;
pub(crate) mod refusals;
pub(crate) mod scram_credentials;
pub(crate) mod topics;
pub(crate) mod txn_offset_commit;
pub(crate) mod write_txn_markers;
