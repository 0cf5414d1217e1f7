//! `spate sql -f FILE`: runs a Flink SQL script's statements in order, like Flink's
//! `sql-client.sh -f`, against the embedded broker or `--bootstrap`. Jobs report progress every
//! second; SIGINT/SIGTERM stops the running job with a savepoint (running the script again with
//! the same `--checkpoint-dir` resumes from it).
//!
//! `spate sql` without a file is an interactive shell: statements (over several lines) end with
//! `;`, errors are shown and the shell goes on, Ctrl-C cancels the running statement's job
//! (a `SELECT` over an unbounded table runs until then), `QUIT;` or end of input leaves.

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
    let Some(path) = args.file.clone() else {
        return interactive(&args);
    };
    let script = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
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
        Some(Cluster::given_or_embedded(
            &runtime,
            args.bootstrap.as_deref(),
            &args.data_dir,
        )?)
    } else {
        None
    };
    let current: RunningJob = Arc::default();
    let options = session_options(&args, cluster.as_ref(), &current);
    let (done_tx, done_rx) = mpsc::channel();
    let file = path.clone();
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

/// The session's options: the cluster, checkpoints, rows streamed to the terminal, and each
/// job's handle kept in `current` with a progress printer that ends when its sender is dropped.
fn session_options(args: &SqlArgs, cluster: Option<&Cluster>, current: &RunningJob) -> SessionOptions {
    let observed = current.clone();
    SessionOptions {
        bootstrap: cluster.map(|c| c.bootstrap.clone()),
        checkpoint_dir: Some(args.checkpoint_dir.clone()),
        rows: Some(Arc::new(stream_rows)),
        observer: Some(Arc::new(move |h: &JobHandle| {
            let (tx, rx) = mpsc::channel::<()>();
            // Replacing the previous job's sender ends its printer.
            *observed.lock().unwrap_or_else(|e| e.into_inner()) = Some((h.clone(), tx));
            let h = h.clone();
            std::thread::spawn(move || crate::examples::progress_loop(&h, &Default::default(), &rx));
        })),
    }
}

/// The interactive shell.
fn interactive(args: &SqlArgs) -> Result<()> {
    use std::io::{BufRead, IsTerminal, Write};
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let cluster = Cluster::given_or_embedded(&runtime, args.bootstrap.as_deref(), &args.data_dir)?;
    let current: RunningJob = Arc::default();
    let mut session = Session::new(session_options(args, Some(&cluster), &current));
    // Ctrl-C cancels the running job (if any) instead of ending the shell.
    let slot = current.clone();
    runtime.spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut interrupts) = signal(SignalKind::interrupt()) else {
            return;
        };
        while interrupts.recv().await.is_some() {
            match slot.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
                Some((h, _)) => {
                    eprintln!("\n[INFO] cancelling the running job");
                    h.cancel();
                }
                None => eprintln!("\n(QUIT; or Ctrl-D leaves the shell)"),
            }
        }
    });
    let stdin = std::io::stdin();
    let prompt = stdin.is_terminal();
    let mut buffer = String::new();
    let mut lines = stdin.lock().lines();
    loop {
        if prompt {
            eprint!(
                "{}",
                if buffer.trim().is_empty() {
                    "Flink SQL> "
                } else {
                    "> "
                }
            );
            let _ = std::io::stderr().flush();
        }
        let Some(line) = lines.next() else { break };
        let line = line.context("reading standard input")?;
        if buffer.trim().is_empty()
            && matches!(
                line.trim().trim_end_matches(';').to_ascii_uppercase().as_str(),
                "QUIT" | "EXIT"
            )
        {
            break;
        }
        buffer.push_str(&line);
        buffer.push('\n');
        if !statement_complete(&buffer) {
            continue;
        }
        match spate_sql::parse(&buffer) {
            Ok(statements) => {
                for stmt in &statements {
                    let result = session.execute(stmt);
                    current.lock().unwrap_or_else(|e| e.into_inner()).take();
                    match result {
                        Ok(r) => show(r),
                        Err(e) => eprintln!("[ERROR] {}", e.render(&buffer)),
                    }
                }
            }
            Err(e) => eprintln!("[ERROR] {}", e.render(&buffer)),
        }
        buffer.clear();
    }
    Ok(())
}

/// Whether `text` ends a statement: a `;` at the end, and a statement set closed by `END;`.
fn statement_complete(text: &str) -> bool {
    let t = text.trim_end();
    if !t.ends_with(';') {
        return false;
    }
    let upper = t.to_ascii_uppercase();
    let words: Vec<&str> = upper.split_whitespace().take(3).collect();
    let is_set = matches!(
        words.as_slice(),
        ["BEGIN", "STATEMENT", ..] | ["EXECUTE", "STATEMENT", "SET"]
    );
    !is_set || upper.trim_end_matches(';').trim_end().ends_with("END")
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
        // The rows were streamed (`stream_rows`); this closes the table.
        StatementResult::Rows { schema, .. } => println!("{}", border(&schema)),
    }
}

/// Column `i` of the tableau (0 is `op`): as wide as its name, at least 20 for values.
fn column_width(schema: &Schema, i: usize) -> usize {
    match i {
        0 => 2,
        _ => schema.fields[i - 1].name.chars().count().max(20),
    }
}

fn border(schema: &Schema) -> String {
    (0..=schema.fields.len())
        .map(|i| format!("+{}", "-".repeat(column_width(schema, i) + 2)))
        .collect::<String>()
        + "+"
}

/// Prints a query's rows as they arrive, one tableau line each, as Flink's SQL client does in
/// streaming mode: the header first (called with no rows), then `+I` lines.
fn stream_rows(schema: &Schema, rows: &[Vec<Value>]) {
    use std::io::Write;
    let width = |i: usize| column_width(schema, i);
    let border = border(schema);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if rows.is_empty() {
        let _ = writeln!(out, "{border}");
        let mut line = format!("| {:>w$} ", "op", w = width(0));
        for (i, f) in schema.fields.iter().enumerate() {
            line.push_str(&format!("| {:>w$} ", f.name, w = width(i + 1)));
        }
        let _ = writeln!(out, "{line}|\n{border}");
        return;
    }
    for r in rows {
        let mut line = format!("| {:>w$} ", "+I", w = width(0));
        for (i, (v, f)) in r.iter().zip(&schema.fields).enumerate() {
            line.push_str(&format!(
                "| {:>w$} ",
                spate_sql::value::display(v, &f.ty),
                w = width(i + 1)
            ));
        }
        let _ = writeln!(out, "{line}|");
    }
    let _ = out.flush();
}
