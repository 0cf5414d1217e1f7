//! `spate sql -f FILE`: runs a Flink SQL script's statements in order, like Flink's
//! `sql-client.sh -f`, against the embedded broker or `--bootstrap`. Jobs report progress every
//! second; SIGINT/SIGTERM stops the running job with a savepoint (running the script again with
//! the same `--checkpoint-dir` resumes from it).

use std::sync::{Arc, Mutex, mpsc};

use anyhow::{Context, Result, anyhow};
use spate_engine::JobHandle;
use spate_sql::plan::Schema;
use spate_sql::value::Value;
use spate_sql::{Session, SessionOptions, StatementResult};

use crate::cli::SqlArgs;
use crate::cluster::Cluster;

/// The running job, and the sender whose drop ends its progress printer.
type RunningJob = Arc<Mutex<Option<(JobHandle, mpsc::Sender<()>)>>>;

pub fn run(args: SqlArgs) -> Result<()> {
    let script =
        std::fs::read_to_string(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    // Refuse a script that does not parse before starting anything.
    let statements =
        spate_sql::parse(&script).map_err(|e| anyhow!("{}: {}", args.file.display(), e.render(&script)))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    // The embedded broker runs only for Kafka tables that name no cluster of their own.
    let needs_broker = args.bootstrap.is_some() || statements.iter().any(needs_default_cluster);
    let cluster = if needs_broker {
        Some(Cluster::given_or_embedded(
            &runtime,
            args.bootstrap.as_deref(),
            &args.data_dir,
        )?)
    } else {
        None
    };
    let current: RunningJob = Arc::default();
    let observed = current.clone();
    let options = SessionOptions {
        bootstrap: cluster.as_ref().map(|c| c.bootstrap.clone()),
        checkpoint_dir: Some(args.checkpoint_dir.clone()),
        observer: Some(Arc::new(move |h: &JobHandle| {
            let (tx, rx) = mpsc::channel::<()>();
            // Replacing the previous job's sender ends its printer.
            *observed.lock().unwrap_or_else(|e| e.into_inner()) = Some((h.clone(), tx));
            let h = h.clone();
            std::thread::spawn(move || crate::examples::progress_loop(&h, &Default::default(), &rx));
        })),
    };
    let (done_tx, done_rx) = mpsc::channel();
    let file = args.file.clone();
    let finished = current.clone();
    let worker = std::thread::Builder::new()
        .name("spate-sql".into())
        .spawn(move || {
            let mut session = Session::new(options);
            let result = session.execute_script(&script, |_, r| {
                // The job (if any) is done: stop its progress line.
                finished.lock().unwrap_or_else(|e| e.into_inner()).take();
                show(r);
            });
            finished.lock().unwrap_or_else(|e| e.into_inner()).take();
            let _ = done_tx.send(());
            result.map_err(|e| anyhow!("{}: {}", file.display(), e.render(&script)))
        })
        .context("starting the SQL thread")?;
    let savepoints = args.checkpoint_dir.join("savepoints");
    runtime.block_on(async {
        let wait_done = tokio::task::spawn_blocking(move || done_rx.recv());
        tokio::select! {
            _ = wait_done => {}
            r = crate::cluster::shutdown_signal() => {
                r?;
                let handle = current.lock().unwrap_or_else(|e| e.into_inner()).as_ref().map(|(h, _)| h.clone());
                if let Some(h) = handle {
                    eprintln!("stopping: taking a savepoint ...");
                    match tokio::task::spawn_blocking(move || h.stop_with_savepoint(&savepoints)).await {
                        Ok(Ok(path)) => eprintln!("stopped with savepoint {}", path.display()),
                        Ok(Err(e)) => eprintln!("savepoint failed: {e}"),
                        Err(e) => eprintln!("savepoint failed: {e}"),
                    }
                }
            }
        }
        Ok::<(), anyhow::Error>(())
    })?;
    worker.join().map_err(|_| anyhow!("the SQL thread panicked"))?
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

fn show(result: StatementResult) {
    match result {
        StatementResult::Done(msg) => eprintln!("{msg}"),
        StatementResult::Text(text) => print!("{text}"),
        StatementResult::Job(r) => eprintln!(
            "[INFO] job finished in {:.2}s ({} tasks on {} workers)",
            r.elapsed.as_secs_f64(),
            r.tasks,
            r.workers
        ),
        StatementResult::Rows { schema, rows } => print!("{}", tableau(&schema, &rows)),
    }
}

/// Rows as Flink's SQL client prints them in tableau mode (a changelog with `+I`).
fn tableau(schema: &Schema, rows: &[Vec<Value>]) -> String {
    let mut cells: Vec<Vec<String>> = vec![
        std::iter::once("op".to_string())
            .chain(schema.fields.iter().map(|f| f.name.clone()))
            .collect(),
    ];
    for r in rows {
        let mut line = vec!["+I".to_string()];
        for (v, f) in r.iter().zip(&schema.fields) {
            line.push(spate_sql::value::display(v, &f.ty));
        }
        cells.push(line);
    }
    let widths: Vec<usize> = (0..cells[0].len())
        .map(|i| {
            cells
                .iter()
                .map(|l| l.get(i).map_or(0, |c| c.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let border: String = widths
        .iter()
        .map(|w| format!("+{}", "-".repeat(w + 2)))
        .collect::<String>()
        + "+\n";
    let mut out = border.clone();
    for (n, line) in cells.iter().enumerate() {
        for (c, w) in line.iter().zip(&widths) {
            out.push_str(&format!("| {c:>w$} "));
        }
        out.push_str("|\n");
        if n == 0 {
            out.push_str(&border);
        }
    }
    out.push_str(&border);
    out.push_str(&format!(
        "Received a total of {} row{}\n",
        rows.len(),
        if rows.len() == 1 { "" } else { "s" }
    ));
    out
}
