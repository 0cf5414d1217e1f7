//! `spate sql -f FILE`: runs a Flink SQL script's statements in order, like Flink's
//! `sql-client.sh -f`, against the embedded broker or `--bootstrap`. Jobs report progress every
//! second; SIGINT/SIGTERM stops the running job with a savepoint (running the script again with
//! the same `--checkpoint-dir` resumes from it).
//!
//! `spate sql` without a file is the interactive shell (`shell.rs`); query results are shown
//! by `tableau.rs` in both. With `--server URL` both run their statements on a `spate server`
//! instead (`remote.rs`).

mod remote;
mod result_mode;
mod shell;
mod tableau;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, mpsc};

use anyhow::{Context, Result, anyhow};
use spate_engine::JobHandle;
use spate_sql::zone::SessionZone;
use spate_sql::{Session, SessionOptions, StatementResult};

use crate::cli::SqlArgs;
use crate::cluster::Cluster;

use self::result_mode::ClientResultMode;
use self::tableau::{Mode, Tableau};

/// The running statement's job, shared with the signal handlers.
type RunningJob = Arc<Mutex<JobSlot>>;

/// The job of the statement being run (if it started one), and a cancel asked for before it
/// started.
#[derive(Default)]
struct JobSlot {
    /// The job's handle, and the sender whose drop ends its progress printer.
    job: Option<(JobHandle, mpsc::Sender<()>)>,
    /// Whether a statement is running (set by the shell around each statement).
    statement_running: bool,
    /// Ctrl-C came while the statement was still planning: its job is cancelled as it starts.
    /// (A statement run on a server has no job here; this is how it learns of the Ctrl-C.)
    cancel_on_start: bool,
    /// A script was told to stop (SIGTERM, Ctrl-C): its later statements do not run, and a job
    /// that starts meanwhile is cancelled as it starts.
    stopping: bool,
    /// Set to stop a `--distributed` job (it has no handle here): its tasks stop with a
    /// committed checkpoint and this process leaves the group (a dynamic member) for the
    /// others to take them over.
    distributed_stop: Arc<AtomicBool>,
}

impl JobSlot {
    /// Cancels the running statement's job, now or as soon as it starts; `false` when no
    /// statement runs.
    fn cancel(&mut self) -> bool {
        match &self.job {
            Some((h, _)) => h.cancel(),
            None if self.statement_running => self.cancel_on_start = true,
            None => return false,
        }
        true
    }
}

/// What runs statements: a session in this process (`shell.rs`), or a server (`remote.rs`).
trait Runner {
    /// Runs `stmt`, whose source is `text`, and shows its result (a query's rows in the
    /// tableau, in `mode`). An error comes back rendered for the user.
    fn run(&mut self, stmt: &spate_sql::Statement, text: &str, mode: Mode)
    -> std::result::Result<(), String>;
}

/// The table the running query's rows go to.
type SharedTableau = Arc<Mutex<Tableau>>;

/// A lock that survives a panicked holder (the tableau and job slot stay usable).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

pub fn run(args: SqlArgs) -> Result<()> {
    let Some(path) = args.file.clone() else {
        return shell::run(&args);
    };
    let script = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    if let Some(url) = &args.server {
        return remote::run_script(url, server_client(&args, url)?, &path, &script);
    }
    // Refuse a script that does not parse before starting anything.
    let statements =
        spate_sql::parse(&script).map_err(|e| anyhow!("{}: {}", path.display(), e.render(&script)))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    // The embedded broker runs only for Kafka tables that name no cluster of their own.
    let needs_broker = args.bootstrap.is_some() || statements.iter().any(needs_default_cluster);
    let cluster = if needs_broker {
        Some(
            Cluster::given_or_embedded(&runtime, args.bootstrap.as_deref(), &broker_dir(&args))?
                .with_schema_registry(&runtime)?,
        )
    } else {
        None
    };
    let current: RunningJob = Arc::default();
    let tableau: SharedTableau = Arc::new(Mutex::new(Tableau::new(Mode::Streaming)));
    let progress = Arc::new(AtomicBool::new(true));
    let options = session_options(&args, cluster.as_ref(), &current, &tableau, &progress)?;
    let (done_tx, done_rx) = mpsc::channel();
    let file = path.clone();
    let finished = current.clone();
    let worker = std::thread::Builder::new()
        .name("spate-sql".into())
        .spawn(move || {
            let mut session = Session::new(options);
            let mut result = Ok(());
            let mut result_mode = ClientResultMode::default();
            for stmt in &statements {
                // Told to stop: the statements after the stopped one do not run.
                if lock(&finished).stopping {
                    break;
                }
                if let Err(why) = result_mode.check_script(stmt) {
                    result = Err(spate_sql::SqlError::validation(why, None));
                    break;
                }
                match session.execute(stmt) {
                    Ok(r) => {
                        result_mode.ran(stmt);
                        // The job (if any) is done: stop its progress line.
                        lock(&finished).job.take();
                        if let Some(zone) = zone_set_by(stmt) {
                            lock(&tableau).set_zone(zone);
                        }
                        show(r, &tableau);
                    }
                    Err(e) => {
                        result = Err(e);
                        break;
                    }
                }
            }
            lock(&finished).job.take();
            let _ = done_tx.send(());
            result.map_err(|e| anyhow!("{}: {}", file.display(), e.render(&script)))
        })
        .context("starting the SQL thread")?;
    let savepoints = checkpoint_dir(&args).join("savepoints");
    let stopped = runtime.block_on(async {
        let wait_done = tokio::task::spawn_blocking(move || done_rx.recv());
        tokio::pin!(wait_done);
        tokio::select! {
            _ = &mut wait_done => Ok::<_, anyhow::Error>(None),
            r = crate::cluster::shutdown_signal() => {
                r?;
                let stopped = stop_script(&current, savepoints).await;
                // A second signal while the job winds down ends the process at once.
                tokio::select! {
                    _ = &mut wait_done => {}
                    r = crate::cluster::shutdown_signal() => {
                        r?;
                        eprintln!("stopping now, without waiting for the job");
                        std::process::exit(130);
                    }
                }
                Ok(Some(stopped))
            }
        }
    })?;
    worker.join().map_err(|_| anyhow!("the SQL thread panicked"))??;
    match stopped {
        Some(Err(why)) => Err(anyhow!("stopped without a savepoint: {why}")),
        _ => Ok(()),
    }
}

/// Stops a script on a signal: its running job with a savepoint, or, when that fails (a job
/// failing and restarting has no running attempt to take one) or takes over a minute,
/// cancelled; later statements do not run (a job starting meanwhile is cancelled as it
/// starts). A `--distributed` job's share stops with a committed checkpoint instead (the
/// group's other processes, or this one started again, resume from it). `Err` says why no
/// savepoint was taken.
async fn stop_script(
    current: &RunningJob,
    savepoints: std::path::PathBuf,
) -> std::result::Result<(), String> {
    let handle = {
        let mut slot = lock(current);
        slot.stopping = true;
        slot.distributed_stop.store(true, Ordering::Release);
        slot.job.as_ref().map(|(h, _)| h.clone())
    };
    match handle {
        Some(h) => crate::examples::stop_with_savepoint_or_cancel(&h, savepoints)
            .await
            .map(|_| ()),
        None => Ok(()),
    }
}

/// The session's options: the cluster, checkpoints, rows streamed to `tableau`, and each
/// job's handle kept in `current` with (while `progress` is set when it starts) a progress
/// printer that ends when its sender is dropped.
fn session_options(
    args: &SqlArgs,
    cluster: Option<&Cluster>,
    current: &RunningJob,
    tableau: &SharedTableau,
    progress: &Arc<AtomicBool>,
) -> Result<SessionOptions> {
    let observed = current.clone();
    let tableau = tableau.clone();
    let progress = progress.clone();
    let stop = lock(current).distributed_stop.clone();
    Ok(SessionOptions {
        executor: distributed_executor(args, stop)?,
        bootstrap: cluster.map(|c| c.bootstrap.clone()),
        bootstrap_properties: Vec::new(),
        checkpoint_dir: Some(checkpoint_dir(args)),
        // The job is this process (with an embedded broker at most): the system's own
        // limits apply, as to any program.
        memory_budget: None,
        print_target: None,
        schema_registry: cluster.and_then(|c| c.schema_registry.clone()),
        rows: Some(Arc::new(move |batch| lock(&tableau).rows(batch))),
        observer: Some(Arc::new(move |h: &JobHandle| {
            let (tx, rx) = mpsc::channel::<()>();
            // Replacing the previous job's sender ends its printer.
            let mut slot = lock(&observed);
            slot.job = Some((h.clone(), tx));
            if std::mem::take(&mut slot.cancel_on_start) || slot.stopping {
                h.cancel();
            }
            if progress.load(Ordering::Relaxed) {
                let h = h.clone();
                std::thread::spawn(move || crate::examples::progress_loop(&h, &Default::default(), &rx));
            }
        })),
    })
}

/// With `--distributed GROUP`: every INSERT runs as this process's share of the job
/// ([`spate_distributed::run_distributed`]), each job in a group of its own (`GROUP`, then
/// `GROUP-2`, ... for a script's later INSERT statements).
/// `stop` ends the running one with a committed checkpoint.
fn distributed_executor(args: &SqlArgs, stop: Arc<AtomicBool>) -> Result<Option<spate_sql::JobExecutor>> {
    let (Some(group), Some(bootstrap)) = (args.distributed.clone(), args.bootstrap.clone()) else {
        return Ok(None);
    };
    let security = match &args.distributed_config {
        Some(path) => crate::client_properties::security_from_file(path)?,
        None => Default::default(),
    };
    let instance_id = args.instance_id.clone();
    let session_timeout = args.session_timeout;
    let work_dir = checkpoint_dir(args).join("distributed");
    let jobs = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    Ok(Some(Arc::new(move |factory: spate_sql::JobFactory| {
        let n = jobs.fetch_add(1, Ordering::Relaxed);
        let group = if n == 0 {
            group.clone()
        } else {
            format!("{group}-{}", n + 1)
        };
        let kafka = spate_distributed::KafkaSettings {
            bootstrap: bootstrap.clone(),
            security: security.clone(),
            group: group.clone(),
            replication_factor: -1,
            request_timeout: std::time::Duration::from_secs(30),
        };
        let mut config = spate_distributed::RunnerConfig::new(kafka, work_dir.join(&group))
            .with_session_timeout(session_timeout);
        config.instance_id = instance_id.clone();
        spate_distributed::run_distributed(config, factory, stop.clone()).map_err(|e| e.to_string())
    })))
}

/// The session zone after `stmt` when it sets or resets `table.local-time-zone` (the session
/// has already accepted it; a script's session is busy running it, so the statement is read).
fn zone_set_by(stmt: &spate_sql::Statement) -> Option<SessionZone> {
    const KEY: &str = "table.local-time-zone";
    match stmt {
        spate_sql::Statement::Set(Some((k, v))) if k == KEY => SessionZone::parse(v),
        spate_sql::Statement::Reset(k) if k.as_deref().is_none_or(|k| k == KEY) => Some(SessionZone::UTC),
        _ => None,
    }
}

/// Where `spate sql`'s files go when no flag says: the user's data directory
/// (`$XDG_DATA_HOME/spate`, else `~/.local/share/spate`, else a `spate` directory under the
/// system's temporary directory), never the working directory.
fn user_data_dir() -> PathBuf {
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from);
    std::env::var_os("XDG_DATA_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| home.map(|h| h.join(".local/share")))
        .unwrap_or_else(std::env::temp_dir)
        .join("spate")
}

/// The embedded broker's data directory: `--data-dir`, else `sql/` in the user's data
/// directory.
pub(super) fn broker_dir(args: &SqlArgs) -> PathBuf {
    args.data_dir
        .clone()
        .unwrap_or_else(|| user_data_dir().join("sql"))
}

/// Where jobs checkpoint: `--checkpoint-dir`, else `checkpoints/` in the user's data directory.
fn checkpoint_dir(args: &SqlArgs) -> PathBuf {
    args.checkpoint_dir
        .clone()
        .unwrap_or_else(|| user_data_dir().join("checkpoints"))
}

/// The client of `--server` (`url`): as `--user` (password in `$SPATE_PASSWORD`), else with
/// the token (`--token`, `$SPATE_TOKEN`, or the server's file in `--data-dir`).
fn server_client(args: &SqlArgs, url: &str) -> Result<spate_server::Client> {
    crate::commands::jobs::connect(
        url,
        args.token.as_deref(),
        args.user.as_deref(),
        args.ca_file.as_deref(),
        Some(args.data_dir.as_deref().unwrap_or(Path::new("spate-data"))),
    )
}

/// Whether `stmt` creates a Kafka table without `properties.bootstrap.servers`.
fn needs_default_cluster(stmt: &spate_sql::Statement) -> bool {
    match stmt {
        spate_sql::Statement::CreateTable(c) => {
            c.table.option("connector") == Some("kafka")
                && c.table.option("properties.bootstrap.servers").is_none()
        }
        _ => false,
    }
}

/// Prints a statement's result; a query's rows were streamed to `tableau`, which this closes.
fn show(result: StatementResult, tableau: &SharedTableau) {
    match result {
        StatementResult::Done(msg) => eprintln!("{msg}"),
        StatementResult::Text(text) => print!("{text}"),
        StatementResult::Job(r) => eprintln!(
            "[INFO] job finished in {:.2}s ({} tasks on {} workers)",
            r.elapsed.as_secs_f64(),
            r.tasks,
            r.workers
        ),
        StatementResult::Rows { .. } => lock(tableau).finish(false),
    }
}
