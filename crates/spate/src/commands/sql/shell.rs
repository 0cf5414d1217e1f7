//! The interactive `spate sql` shell, like Flink's SQL client without `-f`.
//!
//! On a terminal: line editing and history (rustyline; the history file is
//! `$XDG_DATA_HOME/spate/sql_history`, else `~/.local/share/spate/sql_history`, one entry per
//! statement), statements over several lines until one ends with `;` (a statement set until
//! its `END;`), Ctrl-C drops the input typed so far, Ctrl-D (or `QUIT;`) leaves. A `SELECT`
//! shows a live table of its last rows (`tableau.rs`); Ctrl-C while a statement runs cancels
//! its job (the engine's `execute` returns only once every task has stopped; a Ctrl-C while
//! the statement is still planning cancels the job as it starts) and the prompt comes back.
//!
//! Not on a terminal (piped input): no prompt and no editing, statements are read line by
//! line the same way, and rows are streamed as plain lines.
//!
//! Ctrl-C reaches the shell two ways: while the editor reads a line the terminal is in raw
//! mode and Ctrl-C is a key (rustyline reports `Interrupted`); while a statement runs it is a
//! SIGINT, which the signal task turns into cancelling the running job (installed before the
//! editor, see `spawn_interrupt_handler`).

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use rustyline::DefaultEditor;
use rustyline::error::ReadlineError;
use spate_sql::{Session, Statement, StatementResult};

use super::remote::Remote;
use super::result_mode::ClientResultMode;
use super::tableau::{Mode, Screen, Tableau};
use super::{Runner, RunningJob, SharedTableau, lock, session_options, show};
use crate::cli::SqlArgs;
use crate::cluster::Cluster;

const PROMPT: &str = "Flink SQL> ";
const CONTINUATION: &str = "> ";

/// Rows of a live table when the terminal's height is unknown.
const DEFAULT_WINDOW: usize = 20;
/// The width a live table is cut to when the terminal does not say.
const DEFAULT_WIDTH: usize = 80;

/// Where input lines come from.
enum Input {
    Terminal {
        editor: Box<DefaultEditor>,
        history: Option<PathBuf>,
    },
    Piped(std::io::Lines<std::io::StdinLock<'static>>),
}

/// One read from the input.
enum Read {
    Line(String),
    /// Ctrl-C at the prompt: forget the statement typed so far.
    Interrupted,
    /// Ctrl-D or end of input.
    End,
}

impl Input {
    fn open() -> Result<Self> {
        let stdin = std::io::stdin();
        if !stdin.is_terminal() || !std::io::stdout().is_terminal() {
            return Ok(Self::Piped(stdin.lock().lines()));
        }
        let mut editor = DefaultEditor::new().context("starting the line editor")?;
        let history = history_file();
        if let Some(path) = &history {
            // A first run has no history yet; any other problem only loses the history.
            if path.exists()
                && let Err(e) = editor.load_history(path)
            {
                eprintln!("[WARNING] could not read the history {}: {e}", path.display());
            }
        }
        Ok(Self::Terminal {
            editor: Box::new(editor),
            history,
        })
    }

    fn is_terminal(&self) -> bool {
        matches!(self, Self::Terminal { .. })
    }

    fn read(&mut self, continuation: bool) -> Result<Read> {
        match self {
            Self::Piped(lines) => match lines.next() {
                Some(line) => Ok(Read::Line(line.context("reading standard input")?)),
                None => Ok(Read::End),
            },
            Self::Terminal { editor, .. } => {
                match editor.readline(if continuation { CONTINUATION } else { PROMPT }) {
                    Ok(line) => Ok(Read::Line(line)),
                    Err(ReadlineError::Interrupted) => Ok(Read::Interrupted),
                    Err(ReadlineError::Eof) => Ok(Read::End),
                    Err(e) => Err(e).context("reading the terminal"),
                }
            }
        }
    }

    /// Adds a whole statement to the history and appends it to the history file at once, so
    /// a shell that is killed keeps what was typed.
    fn remember(&mut self, statement: &str) {
        let Self::Terminal { editor, history } = self else {
            return;
        };
        if editor.add_history_entry(statement.trim_end()).unwrap_or(false)
            && let Some(path) = history
        {
            if let Some(dir) = path.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            if let Err(e) = editor.append_history(path) {
                eprintln!("[WARNING] could not write the history {}: {e}", path.display());
            }
        }
    }

    /// A live table's size: its rows (the terminal's height less the header, border, status
    /// and prompt lines) and the terminal's width.
    fn live_size(&mut self) -> (usize, usize) {
        match self {
            Self::Terminal { editor, .. } => {
                editor
                    .dimensions()
                    .map_or((DEFAULT_WINDOW, DEFAULT_WIDTH), |(cols, rows)| {
                        (
                            usize::from(rows).saturating_sub(8).max(1),
                            usize::from(cols).max(2),
                        )
                    })
            }
            Self::Piped(_) => (DEFAULT_WINDOW, DEFAULT_WIDTH),
        }
    }
}

/// `$XDG_DATA_HOME/spate/sql_history`, else `$HOME/.local/share/spate/sql_history`.
fn history_file() -> Option<PathBuf> {
    let non_empty = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    let data = non_empty("XDG_DATA_HOME").or_else(|| non_empty("HOME").map(|h| h.join(".local/share")))?;
    Some(data.join("spate").join("sql_history"))
}

/// Statements run by a session in this process, with the embedded broker or `--bootstrap`.
struct Local {
    session: Session,
    current: RunningJob,
    tableau: SharedTableau,
    progress: Arc<AtomicBool>,
    /// Kept for the session's life: the embedded broker stops when it is dropped.
    _cluster: Cluster,
}

impl Runner for Local {
    fn run(&mut self, stmt: &Statement, text: &str, mode: Mode) -> Result<(), String> {
        lock(&self.tableau).reset(mode);
        // A live table shows the query's progress itself.
        self.progress.store(
            matches!(mode, Mode::Streaming | Mode::Table(None)),
            Ordering::Relaxed,
        );
        lock(&self.current).statement_running = true;
        let result = self.session.execute(stmt);
        lock(&self.tableau).set_zone(self.session.local_time_zone());
        // The job (if any) has stopped: every task ended before `execute` returned.
        let cancelled = {
            let mut slot = lock(&self.current);
            slot.statement_running = false;
            slot.cancel_on_start = false;
            slot.job.take().is_some_and(|(h, _)| h.is_cancelled())
        };
        match result {
            Ok(StatementResult::Rows { .. }) => lock(&self.tableau).finish(cancelled),
            Ok(StatementResult::Job(_)) if cancelled => eprintln!("[INFO] job cancelled"),
            Ok(r) => show(r, &self.tableau),
            Err(e) => {
                lock(&self.tableau).finish(cancelled);
                return Err(e.render(text));
            }
        }
        Ok(())
    }
}

/// Runs the shell until Ctrl-D, `QUIT;` or the end of input.
pub(super) fn run(args: &SqlArgs) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let current: RunningJob = Arc::default();
    let tableau: SharedTableau = Arc::new(Mutex::new(Tableau::new(Mode::Streaming)));
    let mut runner: Box<dyn Runner> = match &args.server {
        Some(url) => Box::new(Remote::connect(
            url,
            super::server_client(args, url)?,
            runtime.handle().clone(),
            current.clone(),
            tableau.clone(),
        )?),
        None => {
            let cluster =
                Cluster::given_or_embedded(&runtime, args.bootstrap.as_deref(), &super::broker_dir(args))?
                    .with_schema_registry(&runtime)?;
            let progress = Arc::new(AtomicBool::new(true));
            let session = Session::new(session_options(
                args,
                Some(&cluster),
                &current,
                &tableau,
                &progress,
            )?);
            Box::new(Local {
                session,
                current: current.clone(),
                tableau: tableau.clone(),
                progress,
                _cluster: cluster,
            })
        }
    };
    spawn_interrupt_handler(&runtime, current.clone())?;
    let mut input = Input::open()?;
    let mut buffer = String::new();
    let mut result_mode = ClientResultMode::default();
    loop {
        let line = match input.read(!buffer.trim().is_empty())? {
            Read::Line(line) => line,
            Read::Interrupted => {
                buffer.clear();
                continue;
            }
            Read::End => break,
        };
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
        input.remember(&buffer);
        let texts = match spate_sql::split_statements(&buffer) {
            Ok(texts) => texts,
            Err(e) => {
                eprintln!("[ERROR] {}", e.render(&buffer));
                buffer.clear();
                continue;
            }
        };
        for text in &texts {
            let outcome = spate_sql::parse_statement(&text.text)
                .map_err(|e| e.render(&text.text))
                .and_then(|stmt| {
                    let screen = (input.is_terminal() && matches!(stmt, Statement::Select(_))).then(|| {
                        let (window, width) = input.live_size();
                        Screen { window, width }
                    });
                    runner.run(&stmt, &text.text, result_mode.shell_view(screen))?;
                    result_mode.ran(&stmt);
                    Ok(())
                });
            if let Err(e) = outcome {
                eprintln!("[ERROR] {e}");
                break; // The rest of the line's statements would run without this one.
            }
        }
        buffer.clear();
    }
    Ok(())
}

/// Ctrl-C while a statement runs: cancel its job instead of ending the shell.
///
/// The handler is installed here, before the line editor exists: rustyline installs its own
/// SIGINT handler while it reads a line and puts back the one it found, so a handler that
/// arrived later (from a task not yet run) would be replaced by the default, and a Ctrl-C
/// during a query would kill the shell.
fn spawn_interrupt_handler(runtime: &tokio::runtime::Runtime, current: RunningJob) -> Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupts = {
        let _context = runtime.enter();
        signal(SignalKind::interrupt()).context("handling Ctrl-C")?
    };
    runtime.spawn(async move {
        while interrupts.recv().await.is_some() {
            if !lock(&current).cancel() {
                eprintln!("\n(QUIT; or Ctrl-D leaves the shell)");
            }
        }
    });
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

#[cfg(test)]
mod tests {
    use super::statement_complete;

    #[test]
    fn a_statement_ends_at_its_semicolon_and_a_statement_set_at_end() {
        assert!(!statement_complete("SELECT 1\n"));
        assert!(statement_complete("SELECT 1\n;\n"));
        assert!(!statement_complete(
            "EXECUTE STATEMENT SET BEGIN\nINSERT INTO t SELECT 1;\n"
        ));
        assert!(statement_complete(
            "EXECUTE STATEMENT SET BEGIN\nINSERT INTO t SELECT 1;\nEND;\n"
        ));
    }
}
