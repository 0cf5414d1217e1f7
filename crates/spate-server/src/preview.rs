//! SQL previews: a `SELECT` run on the server whose rows a page watches arrive (the
//! dashboard's SQL page; `spate sql`'s live table, over HTTP). A preview is a script — DDL and
//! `SET`, then one `SELECT` — checked before it runs (a typo is a 400), run on a thread of its
//! own without checkpoints, its rows rendered as Flink's client shows them and kept in a
//! bounded ring that readers poll by sequence number.
//!
//! Previews never outlive their watchers: one that nobody polled for [`IDLE_LIMIT`] or that
//! ran for [`RUN_LIMIT`] is cancelled by [`Previews::expire`] (the server calls it once a
//! second), at most [`MAX_RUNNING`] run at once, and ended ones are forgotten after
//! [`KEEP_ENDED`].

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use spate_engine::JobHandle;
use spate_sql::value::display_in;
use spate_sql::zone::SessionZone;
use spate_sql::{QueryRows, ResultTable, Session, SessionOptions, Statement};

use crate::cluster::Cluster;
use crate::error::{Result, ServerError};
use crate::job_id::JobId;
use crate::principal::Principal;
use crate::rights::Rights;

/// Rows kept per preview; older ones are dropped (and counted).
pub const MAX_ROWS: usize = 1000;
/// Previews running at once.
pub const MAX_RUNNING: usize = 4;
/// A preview nobody polled for this long is cancelled.
pub const IDLE_LIMIT: Duration = Duration::from_secs(30);
/// A preview is cancelled after running this long.
pub const RUN_LIMIT: Duration = Duration::from_secs(600);
/// Ended previews are forgotten this long after their last poll.
pub const KEEP_ENDED: Duration = Duration::from_secs(120);
/// Longest rows returned by one poll.
const MAX_PAGE: usize = 500;

/// The most rows an updating preview's result table keeps (the oldest go past it).
pub const MAX_TABLE_ROWS: usize = 100_000;

/// The most rows of the result table one page shows (the newest).
const TABLE_PAGE: usize = 500;

/// Where a preview is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PreviewStatus {
    /// Its query runs.
    Running,
    /// Its sources ended.
    Finished,
    /// Cancelled on request or by a limit.
    Canceled,
    /// It failed (`error` says why).
    Failed,
}

/// A column of the preview's rows.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Column {
    /// Its name.
    pub name: String,
    /// Its Flink SQL type.
    #[serde(rename = "type")]
    pub ty: String,
}

/// One poll's answer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PreviewPage {
    /// The preview's id.
    pub id: String,
    /// Where it is.
    pub status: PreviewStatus,
    /// The query's columns (empty until the job started). An updating query's first column
    /// is `op`: what each row does (`+I`, `-U`, `+U`, `-D`), as Flink's client shows it.
    pub columns: Vec<Column>,
    /// The query is updating: its rows are a changelog, each led by its `op`.
    #[serde(default)]
    pub updating: bool,
    /// Rows from `first` on, each value as Flink's SQL client shows it.
    pub rows: Vec<Vec<String>>,
    /// An updating query's result as a table so far (Flink's client's `table` mode: each
    /// update replaces its row): its newest rows, without `op`, oldest first.
    #[serde(default)]
    pub table: Vec<Vec<String>>,
    /// How many rows that table holds.
    #[serde(default)]
    pub table_rows: u64,
    /// The sequence number of `rows[0]` (rows are numbered from 0 as they arrive).
    pub first: u64,
    /// The sequence number to poll from next.
    pub next: u64,
    /// Rows received so far.
    pub total: u64,
    /// Why it failed or was cancelled.
    pub error: Option<String>,
    /// Milliseconds since it started (until it ended).
    pub duration: u64,
    /// The script.
    pub sql: String,
}

struct State {
    status: PreviewStatus,
    columns: Vec<Column>,
    updating: bool,
    rows: VecDeque<Vec<String>>,
    /// An updating query's result table.
    table: ResultTable,
    total: u64,
    error: Option<String>,
    handle: Option<JobHandle>,
    cancel: Option<String>,
    started: Instant,
    ended: Option<Instant>,
    polled: Instant,
    /// `table.local-time-zone` of the preview's session: `TIMESTAMP_LTZ` values are shown in it.
    zone: SessionZone,
}

/// One preview.
struct Preview {
    id: String,
    sql: String,
    state: Mutex<State>,
}

impl Preview {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn page(&self, from: u64) -> PreviewPage {
        let mut s = self.lock();
        s.polled = Instant::now();
        let kept_from = s.total - s.rows.len() as u64;
        let first = from.clamp(kept_from, s.total);
        let skip = usize::try_from(first - kept_from).unwrap_or(usize::MAX);
        let rows: Vec<Vec<String>> = s.rows.iter().skip(skip).take(MAX_PAGE).cloned().collect();
        let end = s.ended.unwrap_or_else(Instant::now);
        PreviewPage {
            id: self.id.clone(),
            status: s.status,
            columns: s.columns.clone(),
            updating: s.updating,
            first,
            next: first + rows.len() as u64,
            rows,
            table: s.table.newest(TABLE_PAGE).into_iter().cloned().collect(),
            table_rows: s.table.len() as u64,
            total: s.total,
            error: s.error.clone(),
            duration: end.duration_since(s.started).as_millis() as u64,
            sql: self.sql.clone(),
        }
    }

    /// Cancels the query (now, or as soon as its job starts).
    fn cancel(&self, why: &str) {
        let mut s = self.lock();
        if s.status != PreviewStatus::Running || s.cancel.is_some() {
            return;
        }
        s.cancel = Some(why.to_string());
        if let Some(h) = &s.handle {
            h.cancel();
        }
    }

    fn rows(&self, batch: &QueryRows<'_>) {
        let schema = batch.schema;
        let mut s = self.lock();
        if s.columns.is_empty() {
            s.updating = batch.updating;
            let op = batch.updating.then(|| Column {
                name: "op".to_string(),
                ty: String::new(),
            });
            s.columns = op
                .into_iter()
                .chain(schema.fields.iter().map(|f| Column {
                    name: f.name.clone(),
                    ty: f.ty.to_string(),
                }))
                .collect();
        }
        for (i, row) in batch.rows.iter().enumerate() {
            let op = batch.kinds.get(i).map(|k| k.short_string().to_string());
            let shown: Vec<String> = op
                .into_iter()
                .chain(
                    row.iter()
                        .zip(&schema.fields)
                        .map(|(v, f)| display_in(v, &f.ty, s.zone)),
                )
                .collect();
            if let Some(kind) = batch.kinds.get(i) {
                let values: Vec<String> = shown.iter().skip(1).cloned().collect();
                s.table.apply(*kind, values);
            }
            if s.rows.len() == MAX_ROWS {
                s.rows.pop_front();
            }
            s.rows.push_back(shown);
            s.total += 1;
        }
    }

    fn ended(&self, outcome: spate_sql::Result<()>, sql: &str) {
        let mut s = self.lock();
        s.handle = None;
        s.ended = Some(Instant::now());
        match (outcome, s.cancel.clone()) {
            (_, Some(why)) => {
                s.status = PreviewStatus::Canceled;
                s.error = Some(why);
            }
            (Ok(()), None) => s.status = PreviewStatus::Finished,
            (Err(e), None) => {
                s.status = PreviewStatus::Failed;
                s.error = Some(e.render(sql));
            }
        }
    }
}

/// The server's previews.
#[derive(Default)]
pub struct Previews {
    cluster: Option<Cluster>,
    rights: Rights,
    memory_budget: Option<u64>,
    previews: Mutex<HashMap<String, Arc<Preview>>>,
}

impl std::fmt::Debug for Previews {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Previews").finish_non_exhaustive()
    }
}

impl Previews {
    /// Previews whose Kafka tables without a cluster use `cluster`, each query within
    /// `memory_budget` bytes, each allowed by `rights` to its submitter.
    pub fn new(cluster: Option<Cluster>, rights: Rights, memory_budget: Option<u64>) -> Self {
        Self {
            cluster,
            rights,
            memory_budget,
            previews: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Arc<Preview>>> {
        self.previews.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Checks `sql` (DDL and `SET`, then one `SELECT`) and `who`'s rights on the tables it
    /// reads, starts its query and returns the preview's id. Blocks while the script is
    /// planned.
    pub fn start(&self, sql: &str, who: &Principal) -> Result<String> {
        let running = self
            .lock()
            .values()
            .filter(|p| p.lock().status == PreviewStatus::Running)
            .count();
        if running >= MAX_RUNNING {
            return Err(ServerError::Conflict(format!(
                "{running} previews are running already (at most {MAX_RUNNING}); stop one first"
            )));
        }
        let bad = |e: spate_sql::SqlError| ServerError::BadRequest(e.render(sql));
        let mut statements = spate_sql::parse(sql).map_err(bad)?;
        let query = match statements.pop() {
            Some(query @ Statement::Select(_)) => query,
            _ => {
                return Err(ServerError::BadRequest(
                    "a preview runs a query: end the script with one SELECT (submit INSERT \
                     INTO scripts as jobs)"
                        .into(),
                ));
            }
        };
        if let Some(s) = statements.iter().find(|s| {
            matches!(
                s,
                Statement::Select(_) | Statement::Insert(_) | Statement::StatementSet(_)
            )
        }) {
            let what = if matches!(s, Statement::Select(_)) {
                "a second SELECT"
            } else {
                "an INSERT"
            };
            return Err(ServerError::BadRequest(format!(
                "a preview script is DDL and SET followed by one SELECT; this one has {what} \
                 before it"
            )));
        }
        let id = JobId::generate().to_string();
        let now = Instant::now();
        let preview = Arc::new(Preview {
            id: id.clone(),
            sql: sql.to_string(),
            state: Mutex::new(State {
                status: PreviewStatus::Running,
                columns: Vec::new(),
                updating: false,
                rows: VecDeque::new(),
                table: ResultTable::new(MAX_TABLE_ROWS),
                total: 0,
                error: None,
                handle: None,
                cancel: None,
                started: now,
                ended: None,
                polled: now,
                zone: SessionZone::UTC,
            }),
        });
        let on_rows = preview.clone();
        let on_start = preview.clone();
        let mut session = Session::new(SessionOptions {
            executor: None,
            bootstrap: self.cluster.as_ref().map(|c| c.bootstrap.clone()),
            bootstrap_properties: self
                .cluster
                .as_ref()
                .map(|c| c.properties.clone())
                .unwrap_or_default(),
            checkpoint_dir: None,
            observer: Some(Arc::new(move |h: &JobHandle| {
                let mut s = on_start.lock();
                if s.cancel.is_some() {
                    h.cancel();
                }
                s.handle = Some(h.clone());
            })),
            rows: Some(Arc::new(move |batch: &QueryRows<'_>| on_rows.rows(batch))),
            memory_budget: self.memory_budget,
            print_target: None,
            schema_registry: None,
        });
        let mut session = crate::script::on_planning_thread(|| {
            for stmt in &statements {
                session.execute(stmt).map_err(bad)?;
            }
            preview.lock().zone = session.local_time_zone();
            let tables = spate_sql::table_access(session.catalog(), &query).map_err(bad)?;
            self.rights.check_tables(who, &tables)?;
            session
                .execute(&Statement::Explain(spate_sql::ast::Explain {
                    details: Vec::new(),
                    statement: Box::new(query.clone()),
                }))
                .map_err(bad)?;
            Ok(session)
        })?;
        let runner = preview.clone();
        let sql_text = sql.to_string();
        std::thread::Builder::new()
            .name(format!("spate-preview-{}", &id[..8]))
            // The query is planned again when it runs.
            .stack_size(crate::script::PLANNING_STACK)
            .spawn(move || {
                let outcome = session.execute(&query).map(|_| ());
                runner.ended(outcome, &sql_text);
            })
            .map_err(|e| ServerError::Job(format!("starting the preview's thread: {e}")))?;
        self.lock().insert(id.clone(), preview);
        Ok(id)
    }

    /// Rows of preview `id` from sequence number `from` on.
    pub fn page(&self, id: &str, from: u64) -> Result<PreviewPage> {
        Ok(self.get(id)?.page(from))
    }

    /// Cancels preview `id` (it stays readable until forgotten).
    pub fn cancel(&self, id: &str) -> Result<()> {
        self.get(id)?.cancel("cancelled on request");
        Ok(())
    }

    fn get(&self, id: &str) -> Result<Arc<Preview>> {
        self.lock()
            .get(id)
            .cloned()
            .ok_or_else(|| ServerError::NotFound(format!("no preview {id}")))
    }

    /// Cancels previews nobody watches or that ran too long; forgets ended ones nobody read
    /// for a while.
    pub fn expire(&self) {
        let now = Instant::now();
        let mut previews = self.lock();
        previews.retain(|_, p| {
            let (status, polled, started) = {
                let s = p.lock();
                (s.status, s.polled, s.started)
            };
            if status == PreviewStatus::Running {
                if now.duration_since(polled) > IDLE_LIMIT {
                    p.cancel("cancelled: nobody watched it for 30 s");
                } else if now.duration_since(started) > RUN_LIMIT {
                    p.cancel("cancelled: previews run for 10 minutes at most");
                }
                return true;
            }
            now.duration_since(polled) < KEEP_ENDED
        });
    }

    /// Cancels every running preview (the server shuts down).
    pub fn cancel_all(&self) {
        for p in self.lock().values() {
            p.cancel("cancelled: the server shuts down");
        }
    }
}
