//! SQL mixed with the DataStream API in one engine job, like Flink's `StreamTableEnvironment`:
//! a typed [`DataStream`] becomes a table ([`StreamTableEnvironment::create_temporary_view`]),
//! a query becomes a [`DataStream<Row>`] ([`StreamTableEnvironment::sql_query`]), and both run
//! when the [`StreamEnvironment`] executes.
//!
//! Contracts:
//! - A stream's rows are converted by the caller's function into one [`Value`](crate::value::Value) per column of
//!   its [`StreamSchema`], in order (missing trailing values are NULL). Values must be of the
//!   column's type as [`Value`](crate::value::Value) documents it (a `TIMESTAMP(3)` is [`Value::Timestamp`](crate::value::Value::Timestamp) in µs).
//! - With a watermark (`StreamSchema::watermark`), the rowtime column's value becomes each
//!   record's event time and the watermark trails the largest one by the expression's interval
//!   (Flink SQL's `WATERMARK FOR ts AS ts - INTERVAL ..`), per upstream subtask, combined by
//!   minimum downstream. Timestamps the stream carried before are replaced.
//! - A query's rows carry their rowtime (if any) as the engine timestamp, so event-time
//!   DataStream operators can follow it.
//! - Tables over streams are temporary and belong to this environment; DDL for other tables
//!   (Kafka, datagen, ...) works as in a script. `INSERT INTO` and `SELECT` to the client are
//!   what [`Session`](crate::Session) is for; here the query's stream is the caller's.
//!
//! The table is an ordinary catalog table whose connector is [`CONNECTOR`](crate::connector::STREAM_CONNECTOR): the catalog does
//! not accept that connector in DDL, so only this API can create one, and the scan looks its
//! stream up in the job's [`StreamTables`].

use spate_engine::{Data, DataStream, StreamEnvironment};

use crate::ast::{Insert, Statement};
use crate::catalog::Catalog;
use crate::connector::{ConnectorContext, STREAM_CONNECTOR, StreamTables};
use crate::error::{Result, SqlError};
use crate::expr::ScalarUdf;
use crate::job::Translator;
use crate::parse;
use crate::plan::plan_inserts;
use crate::plan::{Schema, bind_query, bind_view_query};
use crate::value::Row;

/// The columns of a table made from a stream, in order, and its watermark.
#[derive(Debug, Clone, Default)]
pub struct StreamSchema {
    columns: Vec<(String, String)>,
    watermark: Option<(String, String)>,
}

impl StreamSchema {
    /// A schema with no columns yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a column; `sql_type` is a Flink SQL type (`BIGINT`, `DECIMAL(10, 2)`,
    /// `TIMESTAMP(3)`, `ROW<a INT>`, ...).
    pub fn column(mut self, name: &str, sql_type: &str) -> Self {
        self.columns.push((name.to_string(), sql_type.to_string()));
        self
    }

    /// Declares `column` the rowtime, with the watermark `expr` as in `WATERMARK FOR column AS
    /// expr` (for example `ts - INTERVAL '5' SECOND`).
    pub fn watermark(mut self, column: &str, expr: &str) -> Self {
        self.watermark = Some((column.to_string(), expr.to_string()));
        self
    }

    /// The table's DDL (its column and watermark text checked by the SQL parser).
    fn ddl(&self, name: &str) -> String {
        let quote = |s: &str| format!("`{}`", s.replace('`', "``"));
        let mut parts: Vec<String> = self
            .columns
            .iter()
            .map(|(n, t)| format!("{} {t}", quote(n)))
            .collect();
        if let Some((col, expr)) = &self.watermark {
            parts.push(format!("WATERMARK FOR {} AS {expr}", quote(col)));
        }
        format!(
            "CREATE TEMPORARY TABLE {} ({}) WITH ('connector' = '{STREAM_CONNECTOR}')",
            quote(name),
            parts.join(", ")
        )
    }
}

/// SQL over the streams of one [`StreamEnvironment`]: tables from streams, streams from
/// queries, and DDL for connector tables, all in the environment's one job.
///
/// ```
/// use spate_engine::StreamEnvironment;
/// use spate_sql::stream_table::{StreamSchema, StreamTableEnvironment};
/// use spate_sql::value::Value;
///
/// let env = StreamEnvironment::new();
/// let mut tables = StreamTableEnvironment::new(&env);
/// // A typed stream becomes a table ...
/// let orders = env.from_collection(vec![(1_i64, "apple"), (2, "pear"), (3, "apple")]);
/// tables.create_temporary_view(
///     "orders",
///     &orders,
///     StreamSchema::new().column("id", "BIGINT").column("item", "STRING"),
///     |(id, item): (i64, &str)| vec![Value::Int(id), Value::String(item.to_string())],
/// )?;
/// // ... a query becomes a stream, which the DataStream API goes on with.
/// let apples = tables
///     .sql_query("SELECT id * 10 AS x FROM orders WHERE item = 'apple'")?
///     .map(|row| match row[0] {
///         Value::Int(x) => x,
///         _ => -1,
///     })
///     .collect();
/// env.execute()?;
/// let mut got = apples.values();
/// got.sort();
/// assert_eq!(got, vec![10, 30]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[allow(missing_debug_implementations)] // Holds the environment, which is not Debug.
pub struct StreamTableEnvironment<'env> {
    catalog: Catalog,
    translator: Translator<'env>,
    streams: StreamTables,
}

impl<'env> StreamTableEnvironment<'env> {
    /// SQL over `env`'s job.
    pub fn new(env: &'env StreamEnvironment) -> Self {
        Self::with_context(env, ConnectorContext::default())
    }

    /// SQL over `env`'s job, with connector settings (Kafka bootstrap servers, ...) for its
    /// DDL tables.
    pub fn with_context(env: &'env StreamEnvironment, ctx: ConnectorContext) -> Self {
        let streams = StreamTables::default();
        let ctx = ConnectorContext {
            streams: streams.clone(),
            ..ctx
        };
        Self {
            catalog: Catalog::new(),
            // One translator for every query, so operator uids stay unique within the job.
            translator: Translator::new(env, ctx),
            streams,
        }
    }

    /// The catalog: DDL tables, views and the stream tables.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Registers a Rust scalar function for this environment's SQL.
    pub fn register_function(&mut self, function: ScalarUdf) {
        self.catalog.register_function(function);
    }

    /// Registers `stream` as the temporary table `name` with `schema`; `to_row` gives each
    /// element's values, one per column in order.
    pub fn create_temporary_view<T, F>(
        &mut self,
        name: &str,
        stream: &DataStream<T>,
        schema: StreamSchema,
        to_row: F,
    ) -> Result<()>
    where
        T: Data,
        F: FnMut(T) -> Row + Clone + Send + 'static,
    {
        let ddl = schema.ddl(name);
        let mut statements = parse(&ddl)?;
        let Some(Statement::CreateTable(create)) = statements.pop() else {
            return Err(SqlError::validation(format!("not a table: {ddl}"), None));
        };
        self.catalog.register_stream_table(&create)?;
        let key = create.table.name.base().to_string();
        self.streams.insert(key, stream.map(to_row));
        Ok(())
    }

    /// Runs DDL (`CREATE TABLE`/`VIEW`, `DROP`) against this environment's catalog, and adds
    /// `INSERT INTO` statements (and statement sets) to the job: their rows go to the sink
    /// table when the environment is executed, beside whatever else the job does.
    pub fn execute_sql(&mut self, sql: &str) -> Result<()> {
        for stmt in parse(sql)? {
            match &stmt {
                Statement::CreateView(v) => {
                    bind_view_query(&v.query, &self.catalog)?;
                }
                Statement::Insert(insert) => {
                    self.add_inserts(std::slice::from_ref(insert))?;
                    continue;
                }
                Statement::StatementSet(inserts) => {
                    self.add_inserts(inserts)?;
                    continue;
                }
                _ => {}
            }
            if !self.catalog.apply(&stmt)? {
                return Err(SqlError::validation(
                    "a StreamTableEnvironment runs DDL and INSERT INTO here; queries go through sql_query",
                    None,
                ));
            }
        }
        Ok(())
    }

    fn add_inserts(&mut self, inserts: &[Insert]) -> Result<()> {
        let planned = plan_inserts(&self.catalog, inserts)?;
        self.translator.insert_all(&planned)
    }

    /// The schema of `query`'s rows.
    pub fn query_schema(&self, query: &str) -> Result<Schema> {
        Ok(bind_query(&single_query(query)?, &self.catalog)?.schema().clone())
    }

    /// Adds `query`'s operators to the job and returns its rows (one [`Value`](crate::value::Value) per column of
    /// [`query_schema`](Self::query_schema)).
    pub fn sql_query(&mut self, query: &str) -> Result<DataStream<Row>> {
        let plan = bind_query(&single_query(query)?, &self.catalog)?;
        self.translator.stream(&plan)
    }
}

fn single_query(sql: &str) -> Result<crate::ast::Query> {
    let mut statements = parse(sql)?;
    match (statements.pop(), statements.is_empty()) {
        (Some(Statement::Select(q)), true) => Ok(q),
        _ => Err(SqlError::validation("expected one SELECT query", None)),
    }
}
