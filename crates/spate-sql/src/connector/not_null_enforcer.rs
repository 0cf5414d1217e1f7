//! `table.exec.sink.not-null-enforcer`: what a sink does with a `NULL` for a `NOT NULL`
//! column. A connector setting (it travels in [`super::ConnectorContext`]); the check itself is
//! planned in front of each sink (`job/not_null.rs`).

use crate::error::{Result, SqlError};

/// The session option's key.
pub const NOT_NULL_ENFORCER: &str = "table.exec.sink.not-null-enforcer";

/// What a sink does with a `NULL` for a `NOT NULL` column.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum NotNullEnforcer {
    /// Fail the job (Flink's default).
    #[default]
    Error,
    /// Drop the row.
    Drop,
}

impl NotNullEnforcer {
    /// The option's value, as Flink reads it (either case).
    pub fn parse(value: &str) -> Result<Self> {
        match value.trim().to_ascii_uppercase().as_str() {
            "ERROR" => Ok(Self::Error),
            "DROP" => Ok(Self::Drop),
            _ => Err(SqlError::validation(
                format!("'{NOT_NULL_ENFORCER}' = '{value}': expected ERROR or DROP"),
                None,
            )),
        }
    }
}
