//! Reading a table's `WITH` options as values: numbers, booleans, durations and memory sizes in
//! Flink's notation, each failure a [`SqlError::validation`] naming the table and the option.
//!
//! The catalog has already checked option *names* (and enum values); connectors read values
//! here, so every bad value is reported the same way.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::ast::TableDef;
use crate::error::SqlError;
use crate::option_values::{parse_duration, parse_memory_size};

/// A table's options, for one connector's use.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Options<'a> {
    table: &'a TableDef,
}

impl<'a> Options<'a> {
    pub(crate) fn new(table: &'a TableDef) -> Self {
        Self { table }
    }

    /// The table.
    pub(crate) fn table(&self) -> &'a TableDef {
        self.table
    }

    /// The table's name, unquoted (operator and counter names).
    pub(crate) fn table_name(&self) -> String {
        let parts: Vec<&str> = self.table.name.0.iter().map(|i| i.as_str()).collect();
        parts.join(".")
    }

    /// The option's value (the last one given).
    pub(crate) fn get(&self, key: &str) -> Option<&'a str> {
        self.table.option(key)
    }

    /// An error about the table as a whole.
    pub(crate) fn error(&self, message: impl std::fmt::Display) -> SqlError {
        SqlError::validation(
            format!("table {}: {message}", self.table.name),
            self.table.loc.pos(),
        )
    }

    /// An error about option `key`, pointing at it.
    pub(crate) fn invalid(&self, key: &str, message: impl std::fmt::Display) -> SqlError {
        let pos = self
            .table
            .options
            .iter()
            .rfind(|o| o.key == key)
            .and_then(|o| o.loc.pos())
            .or(self.table.loc.pos());
        SqlError::validation(
            format!("table {}: option '{key}': {message}", self.table.name),
            pos,
        )
    }

    fn parsed<T>(
        &self,
        key: &str,
        what: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<Option<T>, SqlError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => parse(v.trim())
                .map(Some)
                .ok_or_else(|| self.invalid(key, format!("'{v}' is not {what}"))),
        }
    }

    /// A non-negative integer option.
    pub(crate) fn u64(&self, key: &str) -> Result<Option<u64>, SqlError> {
        self.parsed(key, "a non-negative integer", |v| v.parse().ok())
    }

    /// An integer option.
    pub(crate) fn i64(&self, key: &str) -> Result<Option<i64>, SqlError> {
        self.parsed(key, "an integer", |v| v.parse().ok())
    }

    /// A number option.
    pub(crate) fn f64(&self, key: &str) -> Result<Option<f64>, SqlError> {
        self.parsed(key, "a number", |v| {
            v.parse::<f64>().ok().filter(|f| f.is_finite())
        })
    }

    /// A boolean option (`true`/`false`, any case, as Flink reads them).
    pub(crate) fn bool(&self, key: &str) -> Result<Option<bool>, SqlError> {
        self.parsed(key, "true or false", |v| {
            if v.eq_ignore_ascii_case("true") {
                Some(true)
            } else if v.eq_ignore_ascii_case("false") {
                Some(false)
            } else {
                None
            }
        })
    }

    /// A duration option in Flink's notation (`500 ms`, `5 s`, `1min`, `2 h`; a bare number
    /// is milliseconds).
    pub(crate) fn duration(&self, key: &str) -> Result<Option<Duration>, SqlError> {
        self.parsed(
            key,
            "a duration (like '5 s', '500 ms' or '1 min')",
            parse_duration,
        )
    }

    /// A memory size option in Flink's notation (`200b`, `1 kb`, `64mb`; a bare number is bytes).
    pub(crate) fn memory_size(&self, key: &str) -> Result<Option<u64>, SqlError> {
        self.parsed(
            key,
            "a memory size (like '200b', '1 kb' or '64 mb')",
            parse_memory_size,
        )
    }

    /// The options that start with `prefix`, with the prefix removed (`json.` options for the
    /// json format, `properties.` for the Kafka client).
    pub(crate) fn with_prefix(&self, prefix: &str) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for o in &self.table.options {
            if let Some(rest) = o.key.strip_prefix(prefix) {
                out.insert(rest.to_string(), o.value.clone());
            }
        }
        out
    }
}
