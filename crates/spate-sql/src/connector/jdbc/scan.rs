//! The `jdbc` table's bounded scan source (Flink's `JdbcDynamicTableSource` scan): every
//! subtask reads its share of the table once through a server-side cursor, `scan.fetch-size`
//! rows per round trip (so a large table never sits in memory whole), and finishes.
//!
//! Without `scan.partition.*` subtask 0 reads the whole table; with them the table is read as
//! Flink splits it (`partitions.rs`), one `SELECT .. WHERE (column BETWEEN lo AND hi)` per
//! partition, partition `i` by subtask `i % parallelism`. A cursor lives in a transaction:
//! `scan.auto-commit` = true (the default) gives each partition its own, false one for all of
//! a subtask's partitions.
//!
//! Positions are not checkpointed, as Flink's input-format scan does not: a restored job reads
//! the table again.

use std::collections::VecDeque;
use std::fmt;

use postgres::{Client, Config, NoTls, Statement};
use spate_engine::{EngineError, NO_TIMESTAMP, SourceContext, SourceStatus};

use super::decode::{ReadColumn, check_columns, row_of};
use super::partitions;
use super::writer::{describe, retryable};
use crate::connector::source::{RowOut, RowReader};

/// The cursor's name (one cursor at a time per connection).
const CURSOR: &str = "spate_scan";

/// What every subtask of the scan shares.
#[derive(Debug, Clone)]
pub(crate) struct ScanSpec {
    /// How messages name the table: Spate's name and PostgreSQL's.
    pub(crate) name: String,
    pub(crate) config: Config,
    /// PostgreSQL's table.
    pub(crate) table: String,
    /// The columns the query reads (at least one).
    pub(crate) columns: Vec<ReadColumn>,
    /// The width of the table's rows.
    pub(crate) width: usize,
    /// `scan.partition.column` and every partition's range.
    pub(crate) partitions: Option<(String, Vec<(i64, i64)>)>,
    pub(crate) fetch_size: u32,
    pub(crate) auto_commit: bool,
}

/// One subtask's reader.
pub(crate) struct JdbcReader {
    spec: ScanSpec,
    /// The partitions left to this subtask (`None`: the whole table).
    left: VecDeque<Option<(i64, i64)>>,
    client: Option<Client>,
    /// The `FETCH` of the open cursor.
    fetch: Option<Statement>,
    in_transaction: bool,
}

impl fmt::Debug for JdbcReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JdbcReader")
            .field("table", &self.spec.name)
            .finish_non_exhaustive()
    }
}

/// A subtask's copy: no connection yet.
impl Clone for JdbcReader {
    fn clone(&self) -> Self {
        Self::new(self.spec.clone())
    }
}

impl JdbcReader {
    pub(crate) fn new(spec: ScanSpec) -> Self {
        Self {
            spec,
            left: VecDeque::new(),
            client: None,
            fetch: None,
            in_transaction: false,
        }
    }

    /// The error of a failed read, naming the table; retried by the job's restart strategy
    /// only when a retry may cure it.
    fn error(&self, doing: &str, e: &postgres::Error) -> EngineError {
        let message = format!("{}: {doing}: {}", self.spec.name, describe(e));
        if retryable(e) {
            EngineError::connector(message)
        } else {
            EngineError::fatal(message)
        }
    }

    fn client(&mut self) -> Result<&mut Client, EngineError> {
        if self.client.is_none() {
            let client = self
                .spec
                .config
                .connect(NoTls)
                .map_err(|e| self.error("cannot connect to PostgreSQL", &e))?;
            self.client = Some(client);
        }
        self.client
            .as_mut()
            .ok_or_else(|| EngineError::fatal("internal error: no connection"))
    }

    /// `SELECT` of the read columns, for one partition.
    fn query(&self, range: Option<(i64, i64)>) -> String {
        let names: Vec<&str> = self.spec.columns.iter().map(|c| c.name.as_str()).collect();
        let mut sql = format!("SELECT {} FROM {}", names.join(", "), self.spec.table);
        if let (Some((column, _)), Some((lo, hi))) = (&self.spec.partitions, range) {
            // Integers written as literals: a cursor's query takes no parameters here.
            sql.push_str(&format!(" WHERE ({column} BETWEEN {lo} AND {hi})"));
        }
        sql
    }

    /// Opens the cursor of the next partition; false when none is left.
    fn open_next(&mut self) -> Result<bool, EngineError> {
        let Some(range) = self.left.pop_front() else {
            if self.in_transaction {
                self.in_transaction = false;
                self.client()?
                    .batch_execute("COMMIT")
                    .map_err(|e| self.error_owned("committing the scan", e))?;
            }
            return Ok(false);
        };
        let declare = format!(
            "{}DECLARE {CURSOR} NO SCROLL CURSOR FOR {}",
            if self.in_transaction {
                ""
            } else {
                "BEGIN READ ONLY; "
            },
            self.query(range)
        );
        self.in_transaction = true;
        self.client()?
            .batch_execute(&declare)
            .map_err(|e| self.error_owned("reading failed", e))?;
        let fetch = format!("FETCH FORWARD {} FROM {CURSOR}", self.spec.fetch_size);
        let statement = self
            .client()?
            .prepare(&fetch)
            .map_err(|e| self.error_owned("reading failed", e))?;
        self.check_types(&statement)?;
        self.fetch = Some(statement);
        Ok(true)
    }

    fn error_owned(&self, doing: &str, e: postgres::Error) -> EngineError {
        self.error(doing, &e)
    }

    /// Every column PostgreSQL describes must be readable as its declared type.
    fn check_types(&self, statement: &Statement) -> Result<(), EngineError> {
        check_columns(&self.spec.columns, statement)
            .map_err(|e| EngineError::fatal(format!("{}: {e}", self.spec.name)))
    }

    /// Closes the exhausted cursor (and its transaction under auto-commit).
    fn close(&mut self) -> Result<(), EngineError> {
        self.fetch = None;
        let sql = if self.spec.auto_commit {
            self.in_transaction = false;
            format!("CLOSE {CURSOR}; COMMIT")
        } else {
            format!("CLOSE {CURSOR}")
        };
        self.client()?
            .batch_execute(&sql)
            .map_err(|e| self.error_owned("closing the cursor", e))
    }

    /// One `FETCH`'s rows into `out`; whether the cursor is exhausted.
    fn fetch_into(&mut self, statement: &Statement, out: &mut RowOut<'_>) -> Result<bool, EngineError> {
        let rows = self
            .client()?
            .query(statement, &[])
            .map_err(|e| self.error_owned("reading failed", e))?;
        let exhausted = rows.len() < self.spec.fetch_size as usize;
        for pg_row in rows {
            let row = row_of(&pg_row, &self.spec.columns, self.spec.width)
                .map_err(|e| EngineError::fatal(format!("{}: {e}", self.spec.name)))?;
            out.push(row, NO_TIMESTAMP);
        }
        Ok(exhausted)
    }
}

impl RowReader for JdbcReader {
    fn open(&mut self, ctx: &SourceContext) -> Result<usize, EngineError> {
        self.left = match &self.spec.partitions {
            None if ctx.subtask == 0 => VecDeque::from([None]),
            None => VecDeque::new(),
            Some((_, all)) => partitions::of_subtask(all, ctx.subtask, ctx.parallelism)
                .into_iter()
                .map(Some)
                .collect(),
        };
        Ok(1)
    }

    fn poll(&mut self, out: &mut RowOut<'_>) -> Result<SourceStatus, EngineError> {
        out.set_split(0);
        let statement = match self.fetch.clone() {
            Some(s) => s,
            None if self.open_next()? => match self.fetch.clone() {
                Some(s) => s,
                None => return Ok(SourceStatus::Available),
            },
            None => {
                // Done: the connection is not needed any more.
                self.client = None;
                return Ok(SourceStatus::Finished);
            }
        };
        if self.fetch_into(&statement, out)? {
            self.close()?;
        }
        Ok(SourceStatus::Available)
    }

    fn snapshot(&mut self, _checkpoint_id: u64) -> Result<Vec<u8>, EngineError> {
        Ok(Vec::new())
    }

    fn restore(&mut self, _ctx: &SourceContext, _positions: &[Vec<u8>]) -> Result<(), EngineError> {
        Ok(())
    }
}
