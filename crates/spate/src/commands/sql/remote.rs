//! `spate sql --server URL`: statements run on a `spate server`, as Flink's SQL client runs
//! them against a SQL gateway.
//!
//! - `INSERT INTO` and statement sets are submitted as jobs (`POST /jobs`) and keep running on
//!   the server after the client leaves; the client prints the job id, as Flink's client does
//!   (`table.dml-sync` is false there too).
//! - A `SELECT` runs on the server as a preview (`POST /sql/previews`); its rows, rendered by
//!   the server as Flink's client shows values, are polled and shown here in the same tableau
//!   as a local query. Ctrl-C cancels it on the server.
//! - The server keeps no session between requests, so the session lives here: DDL and
//!   `SET`/`RESET` statements are kept in order and sent ahead of every job and query. A
//!   planning-only mirror session (no jobs run in it) checks each statement before anything is
//!   sent, so a typo is reported against the statement as typed, and answers `SHOW TABLES`,
//!   `DESCRIBE`, `SET` and `EXPLAIN` itself.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, anyhow};

use spate_server::Client;
use spate_server::preview::{PreviewPage, PreviewStatus};
use spate_sql::ast::Explain;
use spate_sql::{Session, SessionOptions, Statement};

use super::result_mode::ClientResultMode;
use super::tableau::{Mode, Tableau};
use super::{Runner, RunningJob, SharedTableau, lock, show};

/// Pause between two polls of a preview that had no new rows.
const POLL_EVERY: Duration = Duration::from_millis(200);

/// How long a cancelled preview may take to report that it stopped.
const CANCEL_WAIT: Duration = Duration::from_secs(10);

/// A session whose jobs and queries run on a server.
pub(super) struct Remote {
    client: Client,
    runtime: tokio::runtime::Handle,
    /// The session's DDL and `SET`/`RESET` statements so far, each ending in `;\n`.
    context: String,
    /// Mirrors `context`; plans but never runs.
    mirror: Session,
    /// The interrupt handler's slot: a Ctrl-C while a statement runs marks it cancelled.
    current: RunningJob,
    tableau: SharedTableau,
}

impl Remote {
    /// A session on the server at `url`, which must answer.
    pub(super) fn connect(
        url: &str,
        client: Client,
        runtime: tokio::runtime::Handle,
        current: RunningJob,
        tableau: SharedTableau,
    ) -> anyhow::Result<Self> {
        let overview = runtime.block_on(client.overview())?;
        // EXPLAIN and DESCRIBE plan against the cluster the server's jobs use.
        let bootstrap = overview["kafka-bootstrap"].as_str().map(str::to_string);
        eprintln!(
            "[INFO] statements run on the server at {url} ({})",
            overview["flink-version"].as_str().unwrap_or("spate")
        );
        Ok(Self {
            client,
            runtime,
            context: String::new(),
            mirror: Session::new(SessionOptions {
                bootstrap,
                ..SessionOptions::default()
            }),
            current,
            tableau,
        })
    }

    /// The context and then `text`: a script for the server.
    fn script(&self, text: &str) -> String {
        format!("{}{text};\n", self.context)
    }

    /// Plans `stmt` in the mirror without running it: unknown tables, columns or functions are
    /// reported here, against the statement as typed.
    fn check(&mut self, stmt: &Statement) -> spate_sql::Result<()> {
        self.mirror
            .execute(&Statement::Explain(Explain {
                details: Vec::new(),
                statement: Box::new(stmt.clone()),
            }))
            .map(drop)
    }

    fn submit(&mut self, stmt: &Statement, text: &str) -> Result<(), String> {
        self.check(stmt).map_err(|e| e.render(text))?;
        eprintln!("[INFO] Submitting SQL update statement to the cluster...");
        let id = self
            .runtime
            .block_on(self.client.submit(&self.script(text)))
            .map_err(|e| e.to_string())?;
        eprintln!("[INFO] SQL update statement has been successfully submitted to the cluster:");
        println!("Job ID: {id}");
        Ok(())
    }

    /// Runs a query on the server and shows its rows until it ends or Ctrl-C cancels it.
    fn query(&mut self, stmt: &Statement, text: &str, mode: Mode) -> Result<(), String> {
        self.check(stmt).map_err(|e| e.render(text))?;
        let id = self
            .runtime
            .block_on(self.client.start_preview(&self.script(text)))
            .map_err(|e| e.to_string())?;
        lock(&self.tableau).reset(mode);
        let mut from = 0;
        let mut cancelled_at = None;
        loop {
            let cancel_asked = lock(&self.current).cancel_on_start;
            if cancel_asked && cancelled_at.is_none() {
                // A failed cancel is seen below: the preview keeps running and the wait ends.
                let _ = self.runtime.block_on(self.client.cancel_preview(&id));
                cancelled_at = Some(std::time::Instant::now());
            }
            let page = self
                .runtime
                .block_on(self.client.preview_page(&id, from))
                .map_err(|e| e.to_string());
            let page = match page {
                Ok(page) => page,
                Err(e) => {
                    lock(&self.tableau).finish(cancel_asked);
                    return Err(e);
                }
            };
            from = self.show_rows(&page, from);
            match page.status {
                PreviewStatus::Running => {
                    if cancelled_at.is_some_and(|t| t.elapsed() > CANCEL_WAIT) {
                        lock(&self.tableau).finish(true);
                        return Err(format!(
                            "the query did not stop within {} s",
                            CANCEL_WAIT.as_secs()
                        ));
                    }
                    if page.rows.is_empty() {
                        std::thread::sleep(POLL_EVERY);
                    }
                }
                PreviewStatus::Finished => {
                    lock(&self.tableau).finish(false);
                    return Ok(());
                }
                PreviewStatus::Canceled if cancel_asked => {
                    lock(&self.tableau).finish(true);
                    return Ok(());
                }
                PreviewStatus::Canceled | PreviewStatus::Failed => {
                    lock(&self.tableau).finish(false);
                    return Err(page.error.unwrap_or_else(|| "the query stopped".into()));
                }
            }
        }
    }

    /// Shows a page's rows; returns the row number to poll from next.
    fn show_rows(&self, page: &PreviewPage, from: u64) -> u64 {
        if page.columns.is_empty() {
            return from;
        }
        let mut tableau = lock(&self.tableau);
        if page.first > from {
            // The server keeps the newest rows only; these were replaced before they were read.
            tableau.dropped(page.first - from);
        }
        // An updating query's pages lead each row with its op; an insert-only one's rows are
        // all insertions.
        let values = usize::from(page.updating);
        let names: Vec<String> = page.columns.iter().skip(values).map(|c| c.name.clone()).collect();
        let rows = page.rows.iter().map(|r| {
            if page.updating {
                r.clone()
            } else {
                std::iter::once("+I".to_string())
                    .chain(r.iter().cloned())
                    .collect()
            }
        });
        tableau.text_rows(&names, rows);
        page.next
    }

    /// Runs a DDL, `SET` or `RESET` statement in the mirror and keeps it for the server.
    fn remember(&mut self, stmt: &Statement, text: &str) -> Result<(), String> {
        let result = self.mirror.execute(stmt).map_err(|e| e.render(text))?;
        lock(&self.tableau).set_zone(self.mirror.local_time_zone());
        self.context.push_str(text);
        self.context.push_str(";\n");
        show(result, &self.tableau);
        Ok(())
    }
}

impl Runner for Remote {
    fn run(&mut self, stmt: &Statement, text: &str, mode: Mode) -> Result<(), String> {
        lock(&self.current).statement_running = true;
        let result = match stmt {
            Statement::Insert(_) | Statement::StatementSet(_) => self.submit(stmt, text),
            Statement::Select(_) => self.query(stmt, text, mode),
            Statement::CreateTable(_)
            | Statement::CreateView(_)
            | Statement::DropTable(_)
            | Statement::DropView(_)
            | Statement::Set(Some(_))
            | Statement::Reset(_) => self.remember(stmt, text),
            Statement::Set(None) | Statement::ShowTables | Statement::Describe(_) | Statement::Explain(_) => {
                self.mirror
                    .execute(stmt)
                    .map(|r| show(r, &self.tableau))
                    .map_err(|e| e.render(text))
            }
        };
        let mut slot = lock(&self.current);
        slot.statement_running = false;
        slot.cancel_on_start = false;
        result
    }
}

/// `spate sql --server URL -f FILE`: the script's statements in order on the server; stops at
/// the first error. Ctrl-C cancels a running query; submitted jobs keep running.
pub(super) fn run_script(url: &str, client: Client, path: &Path, script: &str) -> anyhow::Result<()> {
    let in_file = |e: String| anyhow!("{}: {e}", path.display());
    // The whole script must parse before anything is sent.
    let mut statements = Vec::new();
    for text in spate_sql::split_statements(script).map_err(|e| in_file(e.render(script)))? {
        let stmt = spate_sql::parse_statement(&text.text).map_err(|e| in_file(e.render(&text.text)))?;
        statements.push((stmt, text.text));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let current: RunningJob = Arc::default();
    let tableau: SharedTableau = Arc::new(Mutex::new(Tableau::new(Mode::Streaming)));
    let mut remote = Remote::connect(url, client, runtime.handle().clone(), current.clone(), tableau)?;
    runtime.spawn(async move {
        while tokio::signal::ctrl_c().await.is_ok() {
            if !lock(&current).cancel() {
                std::process::exit(130);
            }
        }
    });
    let mut result_mode = ClientResultMode::default();
    for (stmt, text) in &statements {
        result_mode.check_script(stmt).map_err(in_file)?;
        remote.run(stmt, text, Mode::Streaming).map_err(in_file)?;
        result_mode.ran(stmt);
    }
    Ok(())
}
