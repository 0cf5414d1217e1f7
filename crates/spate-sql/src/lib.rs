//! # spate-sql — Flink SQL for Spate
//!
//! Runs Flink SQL on Spate: SQL text → Spate's own IR → a bound, typed logical plan → engine
//! operators over Kafka, file and generator tables. [`Session`] runs a script's statements in
//! order, as Flink's SQL client does with `-f` (`spate sql -f` drives it).
//!
//! ## Key types
//! - [`Session`]: a catalog, `SET` configuration and the jobs a script runs (`INSERT INTO` and
//!   statement sets run to completion; `SELECT` returns or streams its rows);
//!   [`Session::register_function`] adds Rust scalar functions ([`expr::ScalarUdf`]).
//! - [`plan::bind_query`] / [`plan::LogicalPlan`], [`job::Translator`]: binding and planning
//!   onto the engine; [`expr`] the typed scalar expressions, [`value::Value`] the values;
//!   [`format`](mod@format) and [`connector`] the formats and tables.
//! - [`parse`] / [`parse_statement`]: Flink SQL text → [`Statement`]s. sqlparser (pinned) does
//!   the tokenizing and the expression/query grammar with a Flink dialect; Flink's own statements
//!   (`CREATE TABLE` with `WATERMARK FOR`, computed and `METADATA` columns, `PRIMARY KEY .. NOT
//!   ENFORCED`, Flink types like `ROW<..>` and `MAP<..>`, statement sets, `SET 'k' = 'v'`) are
//!   parsed on its token API. Only the `parser` module sees sqlparser types.
//! - [`ast`]: the IR — statements, [`TableDef`], queries with window table functions
//!   ([`ast::WindowTvf`]), expressions. Every node prints back as Flink SQL.
//! - [`types::DataType`]: Flink's types, synonyms resolved (`STRING` = `VARCHAR(2147483647)`).
//! - [`Catalog`]: tables and views; `CREATE TABLE` is validated (columns, watermark, primary
//!   key, and connector options with Flink's exact names, suggesting the nearest on a typo).
//! - [`SqlError`]: every error, with a line and column; [`SqlError::render`] shows the source
//!   line with a caret under the offending token.
//! - [`stream_table::StreamTableEnvironment`]: SQL mixed with the DataStream API in one job (a
//!   table from a typed `DataStream`, a `DataStream<Row>` from a query).
//! - [`split_statements`]: a script's statement texts, split at `;` outside strings, comments and
//!   statement sets.
//!
//! ## Where Spate differs from Flink's parser (on purpose)
//! - Words Flink 2.3 reserves but that cannot be misread (`value`, `user`, `dateTime`, ...) are
//!   accepted as unquoted names; clause keywords (`WHERE`, `FROM`, ...) are not.
//! - `properties.bootstrap.servers` is optional for Kafka tables (the broker comes from
//!   `--bootstrap` or is the embedded one).
//! - Hard limits instead of stack overflows: 64 levels of parentheses/subqueries, 500 levels of
//!   expression nesting, 5000 operators per statement.
//! - Not supported yet, each named in its error: SQL hints, `OVER`, `MATCH_RECOGNIZE`, `LATERAL
//!   TABLE`, `UNNEST`, `CREATE FUNCTION`, CTAS/`LIKE`, `INSERT OVERWRITE`, `USE`/`ALTER`/...
//! - The filesystem sink's partition commit (`sink.partition-commit.*`: `success-file`, both
//!   triggers, the default time extractor) gathers the sink subtasks' partitions in a committer
//!   they share in the process, where Flink adds a committer operator (so a job's graph shows
//!   no committer). `custom` policies and extractors (Java classes) are refused.
//!
//! ## Example
//! ```
//! use spate_sql::{Catalog, Statement, parse};
//!
//! let script = "
//!     CREATE TABLE bids (
//!         auction BIGINT,
//!         price   DECIMAL(10, 2),
//!         ts      TIMESTAMP(3),
//!         WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
//!     ) WITH ('connector' = 'kafka', 'topic' = 'bids', 'format' = 'json');
//!     SELECT window_start, COUNT(*) FROM TABLE(
//!         TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND))
//!     GROUP BY window_start, window_end;";
//! let statements = parse(script)?;
//! let mut catalog = Catalog::new();
//! for s in &statements {
//!     catalog.apply(s)?;
//! }
//! assert!(catalog.table("bids").is_some());
//! assert!(matches!(statements[1], Statement::Select(_)));
//!
//! // A typo in an option is an error that names the nearest valid option.
//! let bad = "CREATE TABLE t (a INT) WITH ('connector' = 'kafka', 'topic' = 't', \
//!            'format' = 'json', 'scan.startup-mode' = 'earliest-offset')";
//! let err = catalog.apply(&parse(bad)?[0]).unwrap_err();
//! assert!(err.to_string().contains("did you mean 'scan.startup.mode'?"));
//!
//! // Running a query: its rows come back (or stream, with `SessionOptions::rows`).
//! let mut session = spate_sql::Session::new(spate_sql::SessionOptions::default());
//! let mut rows = Vec::new();
//! session.execute_script(
//!     "SELECT a * 2 AS b FROM (VALUES (1), (2)) AS t(a) WHERE a > 1;",
//!     |_, result| {
//!         if let spate_sql::StatementResult::Rows { rows: r, .. } = result {
//!             rows = r;
//!         }
//!     },
//! )?;
//! assert_eq!(rows, vec![vec![spate_sql::value::Value::Int(4)]]);
//! # Ok::<(), spate_sql::SqlError>(())
//! ```
// One module builds and frees rows without per-value work and allows itself `unsafe`
// (`row_memory`); nothing else.
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod connector;
pub mod format;
pub mod job;
mod option_values;
mod restart_options;
mod result_table;
mod row_memory;
mod session;
mod settings;
pub mod stream_table;

// The front end (parse, bind, plan) is `spate-sql-planner`; its modules are this crate's too,
// under the same names, so `spate_sql::plan` and `spate_sql::expr` mean what they always did.
pub use spate_sql_planner::{
    Catalog, Position, Result, SqlError, Statement, StatementText, TableAccess, TableDef, ast, base64,
    catalog, decimal, digits, error, expr, ident, java_text, parse, parse_statement, plan, split_statements,
    suggest, table_access, temporal, types, value, zone,
};

pub use connector::parse_duration;
pub use result_table::ResultTable;
pub use session::{
    JobExecutor, JobFactory, JobObserver, QueryRows, RowObserver, Session, SessionOptions, StatementResult,
};
pub use settings::{RESULT_MODE, ResultMode};
