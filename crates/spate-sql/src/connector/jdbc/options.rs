//! A `jdbc` table's connection options and those of its sink, with Flink's defaults and checks
//! (`JdbcConnectorOptions`, `JdbcDynamicTableFactory.validateConfigOptions`). The scan's and
//! the lookup's own options are in `scan_options.rs` and `lookup_options.rs`.

use std::time::Duration;

use postgres::Config;

use super::url;
use crate::connector::opts::Options;
use crate::error::SqlError;

const MAX_ROWS: &str = "sink.buffer-flush.max-rows";
const INTERVAL: &str = "sink.buffer-flush.interval";
const MAX_RETRIES: &str = "sink.max-retries";
const RETRY_TIMEOUT: &str = "connection.max-retry-timeout";

/// The driver class Flink derives from a PostgreSQL URL (the only one Spate speaks for).
const POSTGRES_DRIVER: &str = "org.postgresql.Driver";

/// Where the table is: what the sink, the scan and lookups all need.
#[derive(Debug, Clone)]
pub(crate) struct Connection {
    /// The connection.
    pub(crate) config: Config,
    /// `table-name`: PostgreSQL's table, maybe `schema.table`.
    pub(crate) table: String,
}

/// What the sink needs of the table's options.
#[derive(Debug, Clone)]
pub(crate) struct SinkOptions {
    /// The connection.
    pub(crate) config: Config,
    /// `table-name`: PostgreSQL's table, maybe `schema.table`.
    pub(crate) table: String,
    /// `sink.buffer-flush.max-rows` (default 100; `None`: 0, no count trigger).
    pub(crate) max_rows: Option<usize>,
    /// `sink.buffer-flush.interval` in ms (default 1 s; `None`: 0, no timer).
    pub(crate) interval_ms: Option<i64>,
    /// `sink.max-retries` (default 3).
    pub(crate) max_retries: u32,
}

impl Connection {
    /// `url`, `table-name`, credentials, `driver`, `compatible-mode` and
    /// `connection.max-retry-timeout` (the connect timeout).
    pub(crate) fn of(options: Options<'_>) -> Result<Self, SqlError> {
        let url = options
            .get("url")
            .ok_or_else(|| options.error("connector 'jdbc' needs the option 'url'"))?;
        let table = options
            .get("table-name")
            .ok_or_else(|| options.error("connector 'jdbc' needs the option 'table-name'"))?;
        if let Some(driver) = options.get("driver")
            && driver != POSTGRES_DRIVER
        {
            return Err(options.invalid(
                "driver",
                format!(
                    "Spate connects to PostgreSQL itself and knows only '{POSTGRES_DRIVER}', not '{driver}'"
                ),
            ));
        }
        if let Some(mode) = options.get("compatible-mode") {
            return Err(options.invalid(
                "compatible-mode",
                format!("'{mode}' selects another database's dialect; Spate's jdbc connector speaks PostgreSQL only"),
            ));
        }
        let timeout = options
            .duration(RETRY_TIMEOUT)?
            .unwrap_or(Duration::from_secs(60));
        if timeout.subsec_nanos() != 0 || timeout < Duration::from_secs(1) {
            return Err(options.invalid(
                RETRY_TIMEOUT,
                format!(
                    "The value of '{RETRY_TIMEOUT}' option must be in second granularity and shouldn't be smaller than 1 second, but is {}ms.",
                    timeout.as_millis()
                ),
            ));
        }
        let config = url::config(url, options.get("username"), options.get("password"), timeout)
            .map_err(|e| options.invalid("url", e))?;
        Ok(Self {
            config,
            table: table.to_string(),
        })
    }
}

/// `key`'s count of retries (default 3), refused when negative with Flink's message.
pub(crate) fn max_retries(options: Options<'_>, key: &str) -> Result<u32, SqlError> {
    let max_retries = options.i64(key)?.unwrap_or(3);
    if max_retries < 0 {
        return Err(options.invalid(
            key,
            format!("The value of '{key}' option shouldn't be negative, but is {max_retries}."),
        ));
    }
    Ok(u32::try_from(max_retries).unwrap_or(u32::MAX))
}

impl SinkOptions {
    pub(crate) fn of(options: Options<'_>) -> Result<Self, SqlError> {
        let Connection { config, table } = Connection::of(options)?;
        let max_retries = max_retries(options, MAX_RETRIES)?;
        let max_rows = options.i64(MAX_ROWS)?.unwrap_or(100);
        let interval = options.duration(INTERVAL)?.unwrap_or(Duration::from_secs(1));
        let interval_ms = i64::try_from(interval.as_millis()).unwrap_or(i64::MAX);
        Ok(Self {
            config,
            table,
            max_rows: (max_rows > 0).then(|| usize::try_from(max_rows).unwrap_or(usize::MAX)),
            // Flink starts no timer for a zero interval, nor when every row is flushed at once.
            interval_ms: (interval_ms > 0 && max_rows != 1).then_some(interval_ms),
            max_retries,
        })
    }
}
