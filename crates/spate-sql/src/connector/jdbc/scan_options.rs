//! A `jdbc` table's scan options with Flink's defaults and checks (`JdbcConnectorOptions`,
//! `JdbcDynamicTableFactory.getJdbcReadOptions` and `validateConfigOptions`).

use super::options::Connection;
use crate::connector::opts::Options;
use crate::error::SqlError;

const COLUMN: &str = "scan.partition.column";
const NUM: &str = "scan.partition.num";
const LOWER: &str = "scan.partition.lower-bound";
const UPPER: &str = "scan.partition.upper-bound";
const FETCH_SIZE: &str = "scan.fetch-size";
const AUTO_COMMIT: &str = "scan.auto-commit";

/// Rows fetched per round trip when `scan.fetch-size` is 0 (Flink's default, which leaves it
/// to the driver: PostgreSQL's driver then loads the whole result into memory; Spate always
/// reads through a cursor).
const DEFAULT_FETCH_SIZE: u32 = 1000;

/// `scan.partition.*`: the column and the ranges' bounds.
#[derive(Debug, Clone)]
pub(crate) struct Partitioning {
    pub(crate) column: String,
    pub(crate) num: u64,
    pub(crate) lower: i64,
    pub(crate) upper: i64,
}

/// What the scan needs of the table's options.
#[derive(Debug, Clone)]
pub(crate) struct ScanOptions {
    pub(crate) connection: Connection,
    pub(crate) partitioning: Option<Partitioning>,
    /// Rows per `FETCH` of the cursor.
    pub(crate) fetch_size: u32,
    /// `scan.auto-commit` (default true): each partition is read in a transaction of its
    /// own; `false` reads all of a subtask's partitions in one.
    pub(crate) auto_commit: bool,
}

impl ScanOptions {
    pub(crate) fn of(options: Options<'_>) -> Result<Self, SqlError> {
        let connection = Connection::of(options)?;
        let partitioning = match options.get(COLUMN) {
            None => None,
            Some(column) => {
                let need = |key: &str| {
                    options
                        .i64(key)?
                        .ok_or_else(|| options.invalid(key, format!("is required with '{COLUMN}'")))
                };
                let (num, lower, upper) = (need(NUM)?, need(LOWER)?, need(UPPER)?);
                if lower > upper {
                    return Err(options.invalid(
                        LOWER,
                        format!("'{LOWER}'='{lower}' must not be larger than '{UPPER}'='{upper}'."),
                    ));
                }
                if num < 1 {
                    return Err(options.invalid(NUM, format!("Batch number must be positive, but is {num}.")));
                }
                Some(Partitioning {
                    column: column.to_string(),
                    num: u64::try_from(num).unwrap_or(1),
                    lower,
                    upper,
                })
            }
        };
        let fetch_size = options.i64(FETCH_SIZE)?.unwrap_or(0);
        if fetch_size < 0 {
            return Err(options.invalid(FETCH_SIZE, format!("must not be negative, but is {fetch_size}")));
        }
        let fetch_size = match u32::try_from(fetch_size) {
            Ok(0) => DEFAULT_FETCH_SIZE,
            Ok(n) => n,
            Err(_) => u32::MAX,
        };
        Ok(Self {
            connection,
            partitioning,
            fetch_size,
            auto_commit: options.bool(AUTO_COMMIT)?.unwrap_or(true),
        })
    }
}
