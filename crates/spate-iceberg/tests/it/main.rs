//! spate-iceberg's integration tests: tables Spate commits read by pyiceberg, tables pyiceberg
//! writes extended by Spate, through the hadoop, SQLite JDBC and REST catalogs.

mod hadoop;
mod py;
mod rest;
mod sqlite;
