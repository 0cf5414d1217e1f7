//! [`Session`]: runs a Flink SQL script's statements in order, as Flink's SQL client does with
//! `-f`: DDL goes to the catalog, `SET` configures the jobs that follow, `INSERT INTO` and
//! statement sets run as engine jobs until their sources are done, `SELECT` collects its rows.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use spate_engine::{CheckpointConfig, JobHandle, JobResult, StreamEnvironment};

use crate::ast::{ColumnKind, Insert, Statement, TableDef};
use crate::catalog::Catalog;
use crate::connector::{ConnectorContext, parse_duration};
use crate::error::{Result, SqlError};
use crate::job::Translator;
use crate::parse;
use crate::plan::UpdateImages;
use crate::plan::{Schema, bind_query, bind_view_query, push_down_projections};
use crate::settings::validate_setting;
use crate::value::{Change, Row, RowKind};
use crate::zone::SessionZone;

/// Called with each job's handle when it starts (progress reporting, savepoints on SIGTERM).
pub type JobObserver = Arc<dyn Fn(&JobHandle) + Send + Sync>;

/// Receives a query's rows as they arrive: first once with no rows (the header), then batch by
/// batch from the job's threads.
pub type RowObserver = Arc<dyn Fn(&QueryRows<'_>) + Send + Sync>;

/// Builds a job afresh at every call (a distributed job's processes build it for each
/// attempt).
pub type JobFactory =
    Arc<dyn Fn() -> std::result::Result<StreamEnvironment, spate_engine::EngineError> + Send + Sync>;

/// Runs `INSERT` jobs somewhere else than in the session's own process (`spate sql
/// --distributed`): it gets the job's factory and returns when the job ended there.
pub type JobExecutor = Arc<dyn Fn(JobFactory) -> std::result::Result<(), String> + Send + Sync>;

/// A batch of a query's rows, for a [`RowObserver`].
#[derive(Debug, Clone, Copy)]
pub struct QueryRows<'a> {
    /// The query's columns.
    pub schema: &'a Schema,
    /// The query is updating: its rows are a changelog (`kinds` says what each does), shown
    /// with Flink's `op` column.
    pub updating: bool,
    /// The rows of this batch.
    pub rows: &'a [Row],
    /// What each row does (`+I`, `-U`, `+U`, `-D`); empty when the query is insert-only.
    pub kinds: &'a [RowKind],
}

/// How a session runs its jobs.
#[derive(Clone, Default)]
pub struct SessionOptions {
    /// The Kafka bootstrap servers for tables that name none.
    pub bootstrap: Option<String>,
    /// Client properties for tables that reach `bootstrap` (no `properties.bootstrap.servers`
    /// of their own), under the table's own `properties.*`.
    pub bootstrap_properties: Vec<(String, String)>,
    /// Where jobs checkpoint (with `execution.checkpointing.interval` set); running the same
    /// script again with the same directory resumes its jobs. Each job uses a subdirectory.
    pub checkpoint_dir: Option<PathBuf>,
    /// Called when a job starts.
    pub observer: Option<JobObserver>,
    /// When set, `SELECT` streams its rows here (and returns no rows) instead of collecting
    /// them until the job ends, so unbounded queries show results as they come.
    pub rows: Option<RowObserver>,
    /// The bytes each job's threads may hold (`spate_engine::memory`); over it the job
    /// fails and its restart strategy decides what follows. `None`: unbounded.
    pub memory_budget: Option<u64>,
    /// Where `print` tables write (standard output or error, as each table says, unless set).
    pub print_target: Option<spate_connectors::print::PrintTarget>,
    /// The schema registry that `avro-confluent` formats without a URL use (the embedded
    /// broker's, in `spate sql`).
    pub schema_registry: Option<String>,
    /// When set, `INSERT` jobs run through it (see [`JobExecutor`]).
    pub executor: Option<JobExecutor>,
}

impl std::fmt::Debug for SessionOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionOptions")
            .field("bootstrap", &self.bootstrap)
            .field("checkpoint_dir", &self.checkpoint_dir)
            .field("streams_rows", &self.rows.is_some())
            .field("memory_budget", &self.memory_budget)
            .finish_non_exhaustive()
    }
}

/// What a statement produced.
#[derive(Debug)]
pub enum StatementResult {
    /// DDL, `SET`, ...: a one-line confirmation as Flink's client prints it.
    Done(String),
    /// Text to show (`SHOW TABLES`, `DESCRIBE`, `EXPLAIN`).
    Text(String),
    /// A query's rows.
    Rows {
        /// Column names and types.
        schema: Schema,
        /// The rows, in arrival order.
        rows: Vec<Row>,
        /// What each row does, for an updating query (empty for an insert-only one, whose
        /// rows are all insertions).
        kinds: Vec<RowKind>,
    },
    /// A finished job (`INSERT INTO`, statement set).
    Job(JobResult),
}

/// A SQL session: a catalog, configuration, and the jobs it runs.
#[derive(Debug, Default)]
pub struct Session {
    catalog: Catalog,
    config: BTreeMap<String, String>,
    options: SessionOptions,
    jobs_run: usize,
}

impl Session {
    /// A session with `options`.
    pub fn new(options: SessionOptions) -> Self {
        Self {
            options,
            ..Self::default()
        }
    }

    /// The session's catalog.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Registers a Rust scalar function that the session's SQL can call by name.
    pub fn register_function(&mut self, function: crate::expr::ScalarUdf) {
        self.catalog.register_function(function);
    }

    /// Runs every statement of `script` in order; `each` sees each statement's result. Stops
    /// at the first error.
    pub fn execute_script(
        &mut self,
        script: &str,
        mut each: impl FnMut(&Statement, StatementResult),
    ) -> Result<()> {
        for stmt in parse(script)? {
            let result = self.execute(&stmt)?;
            each(&stmt, result);
        }
        Ok(())
    }

    /// Runs one statement.
    pub fn execute(&mut self, stmt: &Statement) -> Result<StatementResult> {
        match stmt {
            Statement::CreateTable(_)
            | Statement::CreateView(_)
            | Statement::DropTable(_)
            | Statement::DropView(_) => {
                if let Statement::CreateView(v) = stmt {
                    // A view must bind now, as in Flink.
                    bind_view_query(&v.query, &self.catalog)?;
                }
                self.catalog.apply(stmt)?;
                Ok(StatementResult::Done(
                    "[INFO] Execute statement succeeded.".into(),
                ))
            }
            Statement::Set(None) => Ok(StatementResult::Text(
                self.config
                    .iter()
                    .map(|(k, v)| format!("'{k}' = '{v}'\n"))
                    .collect(),
            )),
            Statement::Set(Some((k, v))) => {
                validate_setting(k, v)?;
                self.config.insert(k.clone(), v.clone());
                Ok(StatementResult::Done(
                    "[INFO] Execute statement succeeded.".into(),
                ))
            }
            Statement::Reset(key) => {
                match key {
                    Some(k) => {
                        self.config.remove(k);
                    }
                    None => self.config.clear(),
                }
                Ok(StatementResult::Done(
                    "[INFO] Execute statement succeeded.".into(),
                ))
            }
            Statement::ShowTables => Ok(StatementResult::Text(
                self.catalog
                    .table_names()
                    .iter()
                    .map(|n| format!("{n}\n"))
                    .collect(),
            )),
            Statement::Describe(name) => {
                let text = match self.catalog.resolve(name)? {
                    crate::catalog::Relation::Table(t) => describe_table(t),
                    crate::catalog::Relation::View(v) => {
                        let plan = bind_view_query(&v.query, &self.catalog)?;
                        describe_schema(plan.schema())
                    }
                };
                Ok(StatementResult::Text(text))
            }
            Statement::Explain(e) => {
                let changelog = e.details.iter().any(|d| d == "CHANGELOG_MODE");
                self.explain(&e.statement, changelog).map(StatementResult::Text)
            }
            Statement::Select(q) => self.select(q),
            Statement::Insert(i) => self.run_inserts(std::slice::from_ref(i)),
            Statement::StatementSet(inserts) => self.run_inserts(inserts),
        }
    }

    /// A query: its rows streamed to the session's row observer, or collected until the job
    /// ends. An updating query's rows are changes (Flink's client shows them with their `op`);
    /// an insert-only query's stay plain rows, so the job run is the graph `EXPLAIN` shows.
    fn select(&mut self, q: &crate::ast::Query) -> Result<StatementResult> {
        let mut plan = bind_query(q, &self.catalog)?;
        push_down_projections([&mut plan]);
        let env = self.environment()?;
        let mut tr = Translator::new(&env, self.connector_context()?);
        tr.share_repeated([&plan]);
        let schema = plan.schema().clone();
        if plan.modify_kinds().is_insert_only() {
            let stream = tr.stream(&plan)?;
            self.deliver(&env, stream, schema)
        } else {
            let stream = tr.changes(&plan, UpdateImages::BeforeAndAfter)?;
            self.deliver(&env, stream, schema)
        }
    }

    /// Runs the query job whose result is `stream`, its rows to the row observer or collected.
    fn deliver<T: QueryOutput>(
        &mut self,
        env: &StreamEnvironment,
        stream: spate_engine::DataStream<T>,
        schema: Schema,
    ) -> Result<StatementResult> {
        let updating = T::UPDATING;
        if let Some(observer) = self.options.rows.clone() {
            observer(&QueryRows {
                schema: &schema,
                updating,
                rows: &[],
                kinds: &[],
            });
            let s = schema.clone();
            stream.for_each_batch(move |batch: &[spate_engine::Record<T>]| {
                let rows: Vec<Row> = batch.iter().map(|r| r.value.row().clone()).collect();
                let kinds: Vec<RowKind> = if updating {
                    batch.iter().map(|r| r.value.kind()).collect()
                } else {
                    Vec::new()
                };
                observer(&QueryRows {
                    schema: &s,
                    updating,
                    rows: &rows,
                    kinds: &kinds,
                });
            });
            self.run(env)?;
            return Ok(StatementResult::Rows {
                schema,
                rows: Vec::new(),
                kinds: Vec::new(),
            });
        }
        let collected = stream.collect();
        self.run(env)?;
        let (kinds, rows): (Vec<RowKind>, Vec<Row>) = collected
            .values()
            .into_iter()
            .map(QueryOutput::into_parts)
            .unzip();
        Ok(StatementResult::Rows {
            schema,
            rows,
            kinds: if updating { kinds } else { Vec::new() },
        })
    }

    /// `EXPLAIN`: the logical plan, then the engine graph the statement would run as
    /// (operators, parallelism, partitioning, chains; [`StreamEnvironment::explain`]), built
    /// but not run. A query's rows go to the client (`collect`) as they would when it runs.
    /// With `changelog` (`EXPLAIN CHANGELOG_MODE`), each node shows its changelog mode and
    /// upsert keys, and an `INSERT`'s plan hangs under its sink (`changelogMode=[NONE]`), as
    /// Flink shows them.
    fn explain(&self, stmt: &Statement, changelog: bool) -> Result<String> {
        let (logical, env) = self.plan_graph(stmt, changelog)?;
        let mut out = String::from("== Logical Plan ==\n");
        out.push_str(&logical);
        if !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str("\n== Engine Graph ==\n");
        out.push_str(&env.explain().map_err(|e| SqlError::execution(e.to_string()))?);
        Ok(out)
    }

    /// The engine graph `stmt` (a query, an `INSERT` or a statement set) would run as, as data
    /// (operators, parallelism, partitioning, chains): built against the session's tables and
    /// settings, not run. `spate server` draws a job's graph from it.
    pub fn operator_graph(&self, stmt: &Statement) -> Result<spate_engine::OperatorGraph> {
        let (_, env) = self.plan_graph(stmt, false)?;
        env.operator_graph()
            .map_err(|e| SqlError::execution(e.to_string()))
    }

    /// `stmt`'s logical plan as `EXPLAIN` prints it, and an environment holding the engine
    /// graph it translates to.
    fn plan_graph(&self, stmt: &Statement, changelog: bool) -> Result<(String, StreamEnvironment)> {
        let mut out = String::new();
        let env = self.graph_environment()?;
        let mut tr = Translator::new(&env, self.connector_context()?);
        match stmt {
            Statement::Select(q) => {
                let mut plan = bind_query(q, &self.catalog)?;
                push_down_projections([&mut plan]);
                out.push_str(&plan.explain(changelog));
                tr.share_repeated([&plan]);
                if plan.modify_kinds().is_insert_only() {
                    let _ = tr.stream(&plan)?.collect();
                } else {
                    let _ = tr.changes(&plan, UpdateImages::BeforeAndAfter)?.collect();
                }
            }
            Statement::Insert(_) | Statement::StatementSet(_) => {
                let inserts = match stmt {
                    Statement::Insert(i) => std::slice::from_ref(i),
                    Statement::StatementSet(set) => set.as_slice(),
                    _ => &[],
                };
                let planned = crate::plan::plan_inserts(&self.catalog, inserts)?;
                for (table, plan) in &planned {
                    if changelog {
                        out.push_str(&format!(
                            "Sink(table=[{}], changelogMode={})\n",
                            table.name,
                            crate::plan::ChangelogMode::NONE
                        ));
                        let accepted = crate::plan::sink_update_images(table)
                            .unwrap_or(&[crate::plan::UpdateImages::BeforeAndAfter]);
                        for line in plan.explain_for(accepted).lines() {
                            out.push_str(&format!("  {line}\n"));
                        }
                    } else {
                        out.push_str(&plan.to_string());
                    }
                }
                tr.insert_all(&planned)?;
            }
            _ => {
                return Err(SqlError::validation(
                    "EXPLAIN takes a query, an INSERT or a statement set",
                    None,
                ));
            }
        }
        Ok((out, env))
    }

    /// An environment with the session's parallelism, for a graph that is only shown.
    fn graph_environment(&self) -> Result<StreamEnvironment> {
        let env = StreamEnvironment::new();
        if let Some(p) = self.config.get("parallelism.default") {
            env.set_parallelism(parse_parallelism(p)?);
        }
        Ok(env)
    }

    /// `table.exec.mini-batch.allow-latency` when mini-batch is enabled, with Flink's planning
    /// errors for a missing latency or size.
    fn mini_batch_latency(&self) -> Result<Option<Duration>> {
        let enabled = self
            .config
            .get("table.exec.mini-batch.enabled")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
        if !enabled {
            return Ok(None);
        }
        let latency = self
            .config
            .get("table.exec.mini-batch.allow-latency")
            .and_then(|v| parse_duration(v))
            .filter(|d| !d.is_zero())
            .ok_or_else(|| SqlError::validation("MiniBatch Latency must be greater than 0 ms.", None))?;
        let size = self
            .config
            .get("table.exec.mini-batch.size")
            .and_then(|v| v.trim().parse::<i64>().ok())
            .unwrap_or(-1);
        if size <= 0 {
            return Err(SqlError::validation(
                "Key: 'table.exec.mini-batch.size' , default: -1 (fallback keys: []) must be > 0.",
                None,
            ));
        }
        Ok(Some(latency))
    }

    fn connector_context(&self) -> Result<ConnectorContext> {
        let watermark_interval = self.auto_watermark_interval();
        let mini_batch_latency = self.mini_batch_latency()?;
        let phases = self
            .config
            .get("table.optimizer.agg-phase-strategy")
            .map(|v| v.trim().to_ascii_uppercase());
        Ok(ConnectorContext {
            bootstrap: self.options.bootstrap.clone(),
            bootstrap_properties: self.options.bootstrap_properties.clone(),
            schema_registry: self.options.schema_registry.clone(),
            idle_timeout: self
                .config
                .get("table.exec.source.idle-timeout")
                .and_then(|v| parse_duration(v))
                .filter(|d| !d.is_zero()),
            checkpointing: self.checkpoint_interval().is_some(),
            per_record_watermarks: watermark_interval.is_zero(),
            watermark_interval,
            zone: self.local_time_zone(),
            // Flink's AUTO picks two phases where it can; here AUTO stays one phase until the
            // planner weighs it (each key's single row per window gains nothing from a second).
            two_phase_windows: phases.as_deref() == Some("TWO_PHASE"),
            two_phase_groups: mini_batch_latency.is_some() && phases.as_deref() != Some("ONE_PHASE"),
            not_null_enforcer: self
                .config
                .get(crate::job::NOT_NULL_ENFORCER)
                .and_then(|v| crate::job::NotNullEnforcer::parse(v).ok())
                .unwrap_or_default(),
            state_ttl: self
                .config
                .get("table.exec.state.ttl")
                .and_then(|v| parse_duration(v))
                .filter(|d| !d.is_zero()),
            mini_batch_latency,
            print_target: self.options.print_target.clone(),
            ..ConnectorContext::default()
        })
    }

    /// `pipeline.auto-watermark-interval`, Flink's 200 ms unless set.
    fn auto_watermark_interval(&self) -> Duration {
        self.config
            .get("pipeline.auto-watermark-interval")
            .and_then(|v| parse_duration(v))
            .unwrap_or(Duration::from_millis(200))
    }

    /// `table.local-time-zone` (UTC unless set): the zone `TIMESTAMP_LTZ` values are shown and
    /// converted in.
    pub fn local_time_zone(&self) -> SessionZone {
        self.config
            .get("table.local-time-zone")
            .and_then(|z| SessionZone::parse(z))
            .unwrap_or_default()
    }

    fn checkpoint_interval(&self) -> Option<Duration> {
        self.config
            .get("execution.checkpointing.interval")
            .and_then(|v| parse_duration(v))
            .filter(|d| !d.is_zero())
    }

    fn environment(&mut self) -> Result<StreamEnvironment> {
        let env = StreamEnvironment::new();
        if let Some(p) = self.config.get("parallelism.default") {
            env.set_parallelism(parse_parallelism(p)?);
        }
        if let Some(budget) = self.options.memory_budget {
            env.set_memory_budget(budget);
        }
        env.set_restart_strategy(crate::restart_options::strategy(
            &self.config,
            self.checkpoint_interval().is_some(),
        )?);
        // Flink's way to start a job from a savepoint in SQL; the job's own newer
        // checkpoints still win after a failure (the engine restores the newest).
        if let Some(path) = self.config.get("execution.savepoint.path") {
            env.restore_from(path.trim());
        }
        self.jobs_run += 1;
        if let Some(interval) = self.checkpoint_interval() {
            let base =
                self.options.checkpoint_dir.clone().unwrap_or_else(|| {
                    std::env::temp_dir().join(format!("spate-sql-{}", std::process::id()))
                });
            let mut config = CheckpointConfig::new(base.join(format!("job-{}", self.jobs_run)), interval);
            if let Some(timeout) = self
                .config
                .get("execution.checkpointing.timeout")
                .and_then(|v| parse_duration(v))
                .filter(|d| !d.is_zero())
            {
                config.timeout = timeout;
            }
            if let Some(pause) = self
                .config
                .get("execution.checkpointing.min-pause")
                .and_then(|v| parse_duration(v))
            {
                config.min_pause = pause;
            }
            env.enable_checkpointing(config);
        }
        Ok(env)
    }

    fn run(&self, env: &StreamEnvironment) -> Result<JobResult> {
        if let Some(observer) = &self.options.observer {
            observer(&env.job_handle());
        }
        env.execute().map_err(|e| SqlError::execution(e.to_string()))
    }

    fn run_inserts(&mut self, inserts: &[Insert]) -> Result<StatementResult> {
        let planned = crate::plan::plan_inserts(&self.catalog, inserts)?;
        if let Some(executor) = self.options.executor.clone() {
            return self.run_elsewhere(planned, &executor);
        }
        let env = self.environment()?;
        Translator::new(&env, self.connector_context()?).insert_all(&planned)?;
        self.run(&env).map(StatementResult::Job)
    }
}

impl Session {
    /// Hands the planned inserts to `executor` as a factory of fresh environments, each
    /// translated like the session's own (parallelism, memory budget, connectors, the
    /// checkpoint interval); the executor decides where checkpoints go and restarts.
    fn run_elsewhere(
        &mut self,
        planned: Vec<(TableDef, spate_sql_planner::plan::LogicalPlan)>,
        executor: &JobExecutor,
    ) -> Result<StatementResult> {
        let mut ctx = self.connector_context()?.portable();
        // The executor checkpoints every job (its exchanges and state commit with them).
        ctx.checkpointing = true;
        let parallelism = match self.config.get("parallelism.default") {
            Some(p) => Some(parse_parallelism(p)?),
            None => None,
        };
        let budget = self.options.memory_budget;
        let interval = self.checkpoint_interval();
        let planned = Arc::new(planned);
        let factory: JobFactory = Arc::new(move || {
            let env = StreamEnvironment::new();
            if let Some(p) = parallelism {
                env.set_parallelism(p);
            }
            if let Some(b) = budget {
                env.set_memory_budget(b);
            }
            // The interval the executor checkpoints at (into a directory of its own).
            if let Some(i) = interval {
                env.enable_checkpointing(CheckpointConfig::new("unused", i));
            }
            // What SQL jobs send across processes.
            env.exchange_type::<Row>();
            env.exchange_type::<Change>();
            Translator::new(&env, ctx.context())
                .insert_all(&planned)
                .map_err(|e| spate_engine::EngineError::InvalidConfig(e.to_string()))?;
            Ok(env)
        });
        let started = std::time::Instant::now();
        executor(factory).map_err(SqlError::execution)?;
        Ok(StatementResult::Job(JobResult {
            elapsed: started.elapsed(),
            tasks: 0,
            workers: 0,
            operators: Vec::new(),
        }))
    }
}

/// `parallelism.default`'s value.
fn parse_parallelism(p: &str) -> Result<usize> {
    p.parse().ok().filter(|p| *p > 0).ok_or_else(|| {
        SqlError::validation(
            format!("'parallelism.default' must be a positive integer, not '{p}'"),
            None,
        )
    })
}

fn describe_table(t: &TableDef) -> String {
    let mut out = String::new();
    for c in &t.columns {
        let (ty, extra) = match &c.kind {
            ColumnKind::Physical(ty) => (ty.to_string(), String::new()),
            ColumnKind::Metadata { ty, key, is_virtual } => (
                ty.to_string(),
                format!(
                    "METADATA{}{}",
                    key.as_ref().map(|k| format!(" FROM '{k}'")).unwrap_or_default(),
                    if *is_virtual { " VIRTUAL" } else { "" }
                ),
            ),
            ColumnKind::Computed(e) => ("(computed)".into(), format!("AS {e}")),
        };
        let wm = match &t.watermark {
            Some(w) if w.column == c.name => format!("`{}` AS {}", w.column, w.expr),
            _ => String::new(),
        };
        out.push_str(&format!("{}\t{}\t{}\t{}\n", c.name, ty, extra, wm));
    }
    out
}

fn describe_schema(s: &Schema) -> String {
    s.fields
        .iter()
        .map(|f| format!("{}\t{}\n", f.name, f.ty))
        .collect()
}

/// A query's result element: a plain row (an insert-only query) or a change.
trait QueryOutput: spate_engine::Data {
    /// Whether the query's rows are a changelog.
    const UPDATING: bool;
    /// The row.
    fn row(&self) -> &Row;
    /// What it does.
    fn kind(&self) -> RowKind;
    /// What it does, and the row.
    fn into_parts(self) -> (RowKind, Row);
}

impl QueryOutput for Row {
    const UPDATING: bool = false;
    fn row(&self) -> &Row {
        self
    }
    fn kind(&self) -> RowKind {
        RowKind::Insert
    }
    fn into_parts(self) -> (RowKind, Row) {
        (RowKind::Insert, self)
    }
}

impl QueryOutput for Change {
    const UPDATING: bool = true;
    fn row(&self) -> &Row {
        &self.row
    }
    fn kind(&self) -> RowKind {
        self.kind
    }
    fn into_parts(self) -> (RowKind, Row) {
        (self.kind, self.row)
    }
}
