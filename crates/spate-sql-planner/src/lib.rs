//! # spate-sql-planner — Flink SQL up to the logical plan
//!
//! The front half of Spate's SQL: text → Spate's own IR ([`ast`]) → a bound, typed
//! [`plan::LogicalPlan`]. It knows nothing of the engine, the connectors or Kafka clients, so
//! it builds quickly and a change here does not rebuild them; `spate-sql` turns its plans into
//! engine jobs.
//!
//! ## The contract with the runtime
//! A [`plan::LogicalPlan`] is what `spate-sql` translates. Every node knows its output
//! [`plan::Schema`] (with time attributes: a rowtime column stays one through projections and
//! filters), its [`plan::ChangelogMode`] (which of `+I`, `-U`, `+U`, `-D` it emits) and its
//! upsert keys (the column sets its rows are unique on); `EXPLAIN CHANGELOG_MODE` prints both.
//! Everything the runtime needs to run a node is in the node; the runtime never goes back to
//! the AST.
//!
//! ## Key types
//! - [`parse`] / [`parse_statement`] / [`split_statements`]: Flink SQL text → [`Statement`]s.
//!   sqlparser (pinned) does the tokenizing and the expression/query grammar with a Flink
//!   dialect; Flink's own statements are parsed on its token API. Only `parser` sees sqlparser.
//! - [`ast`]: the IR — statements, [`TableDef`], queries with window table functions,
//!   expressions. Every node prints back as Flink SQL.
//! - [`types::DataType`], [`value::Value`]: Flink's types and values.
//! - [`Catalog`]: tables and views; `CREATE TABLE` is validated (columns, watermark, primary
//!   key, connector options with Flink's exact names, the nearest suggested on a typo).
//! - [`expr`]: binding scalar expressions with Flink's type rules, and evaluating them.
//! - [`plan`]: binding queries ([`plan::bind_query`]), planning `INSERT INTO`
//!   ([`plan::plan_inserts`]), projection push-down, changelog modes and upsert keys.
//! - [`table_access`]: the tables a statement reads and writes (rights checks).
//! - [`SqlError`]: every error, with a line and column; [`SqlError::render`] shows the source
//!   line with a caret under the offending token.
//!
//! ## Example
//! ```
//! use spate_sql_planner::{Catalog, Statement, parse, plan::bind_query};
//!
//! let script = "
//!     CREATE TABLE bids (auction BIGINT, price INT, PRIMARY KEY (auction) NOT ENFORCED)
//!       WITH ('connector' = 'datagen');
//!     SELECT auction, price FROM bids WHERE price > 10;";
//! let statements = parse(script)?;
//! let mut catalog = Catalog::new();
//! catalog.apply(&statements[0])?;
//! let Statement::Select(query) = &statements[1] else { unreachable!() };
//! let plan = bind_query(query, &catalog)?;
//! assert!(plan.changelog_mode().is_insert_only());
//! assert_eq!(plan.upsert_keys(), vec![vec![0]]);
//! # Ok::<(), spate_sql_planner::SqlError>(())
//! ```
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod ast;
pub mod base64;
pub mod catalog;
pub mod decimal;
pub mod digits;
pub mod error;
pub mod expr;
pub mod ident;
pub mod java_text;
mod parser;
pub mod plan;
pub mod suggest;
mod table_access;
pub mod temporal;
pub mod types;
pub mod value;
pub mod zone;

pub use ast::{Statement, TableDef};
pub use catalog::Catalog;
pub use error::{Position, Result, SqlError};
pub use parser::{StatementText, parse, parse_statement, split_statements};
pub use table_access::{TableAccess, table_access};
