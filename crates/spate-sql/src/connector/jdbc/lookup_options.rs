//! A `jdbc` table's lookup options with Flink's defaults and checks: `lookup.cache`
//! (`NONE` | `PARTIAL`; Flink's `LookupOptions`), `lookup.partial-cache.*`, the legacy
//! `lookup.cache.max-rows` + `lookup.cache.ttl` (+ `lookup.cache.caching-missing-key`), and
//! `lookup.max-retries` (default 3), as `JdbcDynamicTableFactory.getLookupCache` reads them.

use std::time::Duration;

use super::cache::CacheSpec;
use super::options::{Connection, max_retries};
use crate::connector::opts::Options;
use crate::error::SqlError;

const CACHE: &str = "lookup.cache";
const MAX_ROWS: &str = "lookup.partial-cache.max-rows";
const EXPIRE_WRITE: &str = "lookup.partial-cache.expire-after-write";
const EXPIRE_ACCESS: &str = "lookup.partial-cache.expire-after-access";
const CACHE_MISSING: &str = "lookup.partial-cache.cache-missing-key";
const LEGACY_MAX_ROWS: &str = "lookup.cache.max-rows";
const LEGACY_TTL: &str = "lookup.cache.ttl";
const LEGACY_MISSING: &str = "lookup.cache.caching-missing-key";
const MAX_RETRIES: &str = "lookup.max-retries";

/// What lookups need of the table's options.
#[derive(Debug, Clone)]
pub(crate) struct LookupOptions {
    pub(crate) connection: Connection,
    /// `None`: every lookup asks PostgreSQL.
    pub(crate) cache: Option<CacheSpec>,
    pub(crate) max_retries: u32,
}

impl LookupOptions {
    pub(crate) fn of(options: Options<'_>) -> Result<Self, SqlError> {
        let connection = Connection::of(options)?;
        let max_retries = max_retries(options, MAX_RETRIES)?;
        // Flink: both legacy options or neither.
        if options.get(LEGACY_MAX_ROWS).is_some() != options.get(LEGACY_TTL).is_some() {
            return Err(options.error(format!(
                "Either all or none of the following options should be provided:\n{LEGACY_MAX_ROWS}\n{LEGACY_TTL}"
            )));
        }
        let mut cache = None;
        let legacy_rows = options.i64(LEGACY_MAX_ROWS)?.unwrap_or(-1);
        let legacy_ttl = options.duration(LEGACY_TTL)?.unwrap_or(Duration::from_secs(10));
        if legacy_rows > 0 && !legacy_ttl.is_zero() {
            cache = Some(CacheSpec {
                max_rows: u64::try_from(legacy_rows).ok(),
                expire_after_write: Some(legacy_ttl),
                expire_after_access: None,
                cache_missing_key: options.bool(LEGACY_MISSING)?.unwrap_or(true),
            });
        }
        match options.get(CACHE).map(str::trim) {
            None => {}
            Some(v) if v.eq_ignore_ascii_case("NONE") => {}
            Some(v) if v.eq_ignore_ascii_case("PARTIAL") => cache = Some(partial(options)?),
            Some(v) if v.eq_ignore_ascii_case("FULL") => {
                return Err(options.invalid(
                    CACHE,
                    "FULL caching (reloading the whole table) is not supported yet; use NONE or PARTIAL",
                ));
            }
            Some(v) => {
                return Err(options.invalid(
                    CACHE,
                    format!("Could not parse value '{v}' for key '{CACHE}' (NONE, PARTIAL or FULL)."),
                ));
            }
        }
        Ok(Self {
            connection,
            cache,
            max_retries,
        })
    }
}

/// `lookup.partial-cache.*` (Flink's `DefaultLookupCache.fromConfig` and its sanity check).
fn partial(options: Options<'_>) -> Result<CacheSpec, SqlError> {
    let max_rows = options.i64(MAX_ROWS)?;
    if let Some(n) = max_rows
        && n < 0
    {
        return Err(options.invalid(MAX_ROWS, format!("must not be negative, but is {n}")));
    }
    let spec = CacheSpec {
        max_rows: max_rows.and_then(|n| u64::try_from(n).ok()),
        expire_after_write: options.duration(EXPIRE_WRITE)?,
        expire_after_access: options.duration(EXPIRE_ACCESS)?,
        cache_missing_key: options.bool(CACHE_MISSING)?.unwrap_or(true),
    };
    if spec.max_rows.is_none() && spec.expire_after_write.is_none() && spec.expire_after_access.is_none() {
        return Err(options.error(
            "Expiration duration and maximum size are not set for the cache. The cache will not have any eviction and could lead to potential memory issues as the cache size may grow infinitely.",
        ));
    }
    Ok(spec)
}
