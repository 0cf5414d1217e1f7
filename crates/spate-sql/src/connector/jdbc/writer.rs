//! One sink subtask's connection to PostgreSQL and how a flush reaches it: one transaction per
//! flush, multi-row statements, retries as Flink's `JdbcOutputFormat.flush` makes them.
//!
//! Retries: Flink retries any `SQLException` up to `sink.max-retries` times, sleeping
//! `1000 * i` ms before retry `i` and reconnecting when the connection is no longer valid.
//! Spate retries only what a retry can cure: a lost or refused connection, and
//! PostgreSQL's transient classes (08 connection exception, 40 serialization failure and
//! deadlock, 53 insufficient resources, 57P admin shutdown/crash, 55P03 lock not available).
//! A constraint violation, a missing table or column, a value PostgreSQL cannot take fails the
//! job at once (`EngineError::fatal`: restarting would fail the same way), naming the table and
//! the offending row, found by writing the batch's rows one at a time in a transaction that is
//! rolled back. As a flush is one transaction, a failed attempt leaves nothing behind, so a
//! retry never writes a row twice (Flink's auto-committed batches can).

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use postgres::types::ToSql;
use postgres::{Client, Config, NoTls, Statement};
use spate_engine::EngineError;

use super::bind::{BindError, Param, write_text};
use super::buffer::Batch;
use super::dialect::Dialect;
use crate::types::TypeKind;
use crate::value::{Row, Value};

/// The largest number of rows one statement carries; chunks are powers of two up to it, so a
/// connection prepares at most a dozen statement shapes whatever the flush sizes.
const LARGEST_CHUNK: usize = 1024;

/// Which statement a prepared statement is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Shape {
    Write(usize),
    Delete,
}

/// The connection of one sink subtask.
pub(crate) struct Writer {
    /// How messages name the table: Spate's name and PostgreSQL's.
    name: String,
    config: Config,
    dialect: Dialect,
    types: Arc<[TypeKind]>,
    max_retries: u32,
    /// Rows per statement at most (a power of two).
    chunk: usize,
    client: Option<Client>,
    statements: HashMap<Shape, Statement>,
}

impl fmt::Debug for Writer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Writer")
            .field("table", &self.name)
            .finish_non_exhaustive()
    }
}

/// A subtask's copy: the same table, no connection yet (each subtask connects in `open`).
impl Clone for Writer {
    fn clone(&self) -> Self {
        Self {
            name: self.name.clone(),
            config: self.config.clone(),
            dialect: self.dialect.clone(),
            types: Arc::clone(&self.types),
            max_retries: self.max_retries,
            chunk: self.chunk,
            client: None,
            statements: HashMap::new(),
        }
    }
}

impl Writer {
    pub(crate) fn new(
        name: String,
        config: Config,
        dialect: Dialect,
        types: Vec<TypeKind>,
        max_retries: u32,
    ) -> Self {
        let most = dialect.max_rows_per_statement().min(LARGEST_CHUNK);
        let chunk = 1 << most.ilog2();
        Self {
            name,
            config,
            dialect,
            types: types.into(),
            max_retries,
            chunk,
            client: None,
            statements: HashMap::new(),
        }
    }

    /// Connects now (a sink's `open`), so a wrong URL, user or database fails the job before
    /// any row is read.
    pub(crate) fn connect(&mut self) -> Result<(), EngineError> {
        self.client().map(|_| ()).map_err(|e| {
            let message = format!("{}: cannot connect to PostgreSQL: {}", self.name, describe(&e));
            if retryable(&e) {
                EngineError::connector(message)
            } else {
                EngineError::fatal(message)
            }
        })
    }

    /// The connection, made anew when there is none or it broke (its statements with it).
    fn client(&mut self) -> Result<&mut Client, postgres::Error> {
        let client = match self.client.take() {
            Some(c) if !c.is_closed() => c,
            _ => {
                self.statements.clear();
                self.config.connect(NoTls)?
            }
        };
        Ok(self.client.insert(client))
    }

    /// Writes `batch` in one transaction: upserts (or inserts), then deletes; retried as the
    /// module docs say.
    pub(crate) fn flush(&mut self, batch: &Batch) -> Result<(), EngineError> {
        if batch.is_empty() {
            return Ok(());
        }
        let mut attempt: u32 = 0;
        loop {
            let e = match self.attempt(batch) {
                Ok(()) => return Ok(()),
                Err(e) => e,
            };
            if !retryable(&e) {
                return Err(EngineError::fatal(self.explain(batch, &e)));
            }
            if attempt >= self.max_retries {
                return Err(EngineError::connector(format!(
                    "{}: writing {} rows failed after {} retries: {}",
                    self.name,
                    batch.len(),
                    self.max_retries,
                    describe(&e)
                )));
            }
            if self.client.as_ref().is_some_and(Client::is_closed) || e.as_db_error().is_none() {
                self.client = None;
            }
            std::thread::sleep(Duration::from_millis(1000 * u64::from(attempt)));
            attempt += 1;
        }
    }

    fn attempt(&mut self, batch: &Batch) -> Result<(), postgres::Error> {
        let mut writes = Vec::new();
        let mut rows = batch.rows.as_slice();
        for n in self.chunks(rows.len()) {
            let (now, rest) = rows.split_at(n);
            rows = rest;
            writes.push((self.prepare(Shape::Write(n))?, now));
        }
        let delete = match batch.deletes.is_empty() {
            true => None,
            false => Some(self.prepare(Shape::Delete)?),
        };
        let types = Arc::clone(&self.types);
        let keys: Vec<usize> = self.dialect.keys().to_vec();
        let mut tx = self.client()?.transaction()?;
        for (statement, rows) in writes {
            let params: Vec<Param<'_>> = rows
                .iter()
                .flat_map(|row| row.iter().zip(types.iter()))
                .map(|(value, ty)| Param { value, ty })
                .collect();
            tx.execute(&statement, &refs(&params))?;
        }
        if let Some(statement) = delete {
            for row in &batch.deletes {
                tx.execute(&statement, &refs(&key_params(row, &keys, &types)))?;
            }
        }
        tx.commit()
    }

    /// `rows` as statement sizes: full chunks, then the rest in powers of two.
    fn chunks(&self, rows: usize) -> Vec<usize> {
        let mut out = vec![self.chunk; rows / self.chunk];
        let rest = rows % self.chunk;
        for bit in (0..usize::BITS).rev() {
            if rest & (1 << bit) != 0 {
                out.push(1 << bit);
            }
        }
        out
    }

    /// The prepared statement of `shape` (prepared once per connection).
    fn prepare(&mut self, shape: Shape) -> Result<Statement, postgres::Error> {
        self.client()?;
        if let Some(statement) = self.statements.get(&shape) {
            return Ok(statement.clone());
        }
        let sql = match shape {
            Shape::Write(n) => self.dialect.write(n),
            Shape::Delete => self.dialect.delete(),
        };
        let statement = self.client()?.prepare(&sql)?;
        self.statements.insert(shape, statement.clone());
        Ok(statement)
    }

    /// The message of a failure no retry cures: which row PostgreSQL refused, found by writing
    /// the rows one at a time (and rolling back).
    fn explain(&mut self, batch: &Batch, e: &postgres::Error) -> String {
        let culprit = self.find_culprit(batch).ok().flatten();
        match culprit {
            Some((row, why)) => format!(
                "{}: PostgreSQL refused the row {}: {why}",
                self.name,
                self.show(&row)
            ),
            None => format!(
                "{}: writing {} rows failed: {}",
                self.name,
                batch.len(),
                describe(e)
            ),
        }
    }

    fn find_culprit(&mut self, batch: &Batch) -> Result<Option<(Row, String)>, postgres::Error> {
        let write = self.prepare(Shape::Write(1))?;
        let delete = self.prepare(Shape::Delete).ok();
        let types = Arc::clone(&self.types);
        let keys: Vec<usize> = self.dialect.keys().to_vec();
        let mut tx = self.client()?.transaction()?;
        for row in &batch.rows {
            let params: Vec<Param<'_>> = row
                .iter()
                .zip(types.iter())
                .map(|(value, ty)| Param { value, ty })
                .collect();
            if let Err(e) = tx.execute(&write, &refs(&params)) {
                return Ok(Some((row.clone(), describe(&e))));
            }
        }
        if let Some(delete) = delete {
            for row in &batch.deletes {
                if let Err(e) = tx.execute(&delete, &refs(&key_params(row, &keys, &types))) {
                    return Ok(Some((row.clone(), describe(&e))));
                }
            }
        }
        tx.rollback()?;
        Ok(None)
    }

    /// A row as a tuple of SQL literals: `(1, 'a', NULL)`.
    fn show(&self, row: &Row) -> String {
        let values: Vec<String> = row
            .iter()
            .zip(self.types.iter())
            .map(|(v, ty)| {
                let mut text = String::new();
                match v {
                    Value::Null => return "NULL".to_string(),
                    Value::Int(_) | Value::Float(_) | Value::Decimal(_) | Value::Boolean(_) => {
                        let _ = write_text(v, ty, &mut text);
                        return text;
                    }
                    _ => {
                        let _ = write_text(v, ty, &mut text);
                    }
                }
                format!("'{}'", text.replace('\'', "''"))
            })
            .collect();
        format!("({})", values.join(", "))
    }
}

/// The parameters of a delete: the row's key.
fn key_params<'a>(row: &'a Row, keys: &[usize], types: &'a [TypeKind]) -> Vec<Param<'a>> {
    keys.iter()
        .map(|&k| Param {
            value: row.get(k).unwrap_or(&Value::Null),
            ty: &types[k],
        })
        .collect()
}

/// Parameters as the client takes them.
fn refs<'a>(params: &'a [Param<'a>]) -> Vec<&'a (dyn ToSql + Sync)> {
    params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
}

/// Whether a retry may cure `e` (see the module docs).
pub(crate) fn retryable(e: &postgres::Error) -> bool {
    if std::error::Error::source(e).is_some_and(|s| s.downcast_ref::<BindError>().is_some()) {
        return false;
    }
    let Some(db) = e.as_db_error() else {
        // No answer from the server: the connection was refused, lost or timed out.
        return true;
    };
    let code = db.code().code();
    ["08", "40", "53", "57P"]
        .iter()
        .any(|class| code.starts_with(class))
        || code == "55P03"
}

/// A PostgreSQL error as one line: the server's message, SQLSTATE and detail.
pub(crate) fn describe(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut text = format!("{} (SQLSTATE {})", db.message(), db.code().code());
            if let Some(detail) = db.detail() {
                text.push_str(": ");
                text.push_str(detail);
            }
            text
        }
        None => match std::error::Error::source(e) {
            Some(cause) => format!("{e}: {cause}"),
            None => e.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flushes_split_into_power_of_two_statements() {
        let dialect = Dialect::new("t", vec!["a".into(), "b".into()], vec![]);
        let w = Writer::new("t".into(), Config::new(), dialect, vec![TypeKind::Int; 2], 3);
        assert_eq!(w.chunks(0), Vec::<usize>::new());
        assert_eq!(w.chunks(100), [64, 32, 4]);
        assert_eq!(w.chunks(2049), [1024, 1024, 1]);
    }
}
