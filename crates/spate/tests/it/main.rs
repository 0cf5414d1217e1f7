//! Integration tests of spate: one binary, one module per area (each module's own docs
//! say what it covers).

mod acls_cli;
mod cli_errors;
mod common;
mod crash_recovery;
mod dashboard_browser;
mod distributed_crash;
mod distributed_sql;
mod embedded_crash;
mod file_limits;
mod iceberg_crash;
mod join_crash;
mod pg_crash;
mod pipeline_crash;
mod produce_bytes;
mod quotas_cli;
mod rank_end_crash;
mod schema_registry_cli;
mod schema_registry_crash;
mod schemas_browser;
mod server_cli;
mod server_crash;
mod server_message_browser;
mod sort_crash;
mod sql_cli;
mod sql_crash;
mod sql_server_cli;
mod sql_shell;
mod transactions_cli;
mod upsert_crash;
mod users_cli;
