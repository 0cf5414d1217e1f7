//! spate-iceberg's integration tests: tables Spate commits read by pyiceberg, tables pyiceberg
//! writes extended by Spate, through the hadoop and SQLite JDBC catalogs.

mod hadoop;
mod py;
mod sqlite;
