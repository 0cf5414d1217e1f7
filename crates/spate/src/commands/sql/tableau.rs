//! A query's rows as Flink's SQL client shows them in tableau mode: a header once, then one
//! `+I` line per row, closed by a border and `Received a total of N rows`.
//!
//! Two ways to show them:
//! - *streaming* (a script, or a shell whose output is not a terminal): every row is printed
//!   as it arrives, so output can be piped and nothing is ever rewritten;
//! - *live* (the interactive shell on a terminal): the header stays, and below it the last
//!   `window` rows and a status line are redrawn in place (ANSI cursor-up and clear), at most
//!   every [`REDRAW_EVERY`], so an unbounded query shows a bounded, continuously updating table.
//!   Values are cut to their column width (with `...`) so no line wraps, which would break the
//!   cursor arithmetic of the redraw.
//!
//! Rows arrive from the job's threads (several subtasks may call at once): the tableau sits
//! behind a mutex and is driven by [`Tableau::rows`] through the session's row observer.

use std::collections::VecDeque;
use std::io::Write;
use std::time::{Duration, Instant};

use spate_sql::plan::Schema;
use spate_sql::value::{Row, display};

/// The least time between two redraws of a live table (redrawing per batch would spend the
/// terminal's time, not the job's, on fast queries).
pub(super) const REDRAW_EVERY: Duration = Duration::from_millis(100);

/// How a query's rows are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// Every row printed once, as it arrives.
    Streaming,
    /// The last `window` rows redrawn in place.
    Live {
        /// How many rows the table shows at most.
        window: usize,
    },
}

/// The table of the query being shown.
#[derive(Debug)]
pub(super) struct Tableau {
    mode: Mode,
    schema: Option<Schema>,
    /// The live window's formatted lines, oldest first.
    recent: VecDeque<String>,
    total: u64,
    /// Lines of the live body (window, border, status) on screen, to move back over.
    drawn: usize,
    last_draw: Option<Instant>,
    started: Instant,
}

impl Tableau {
    pub(super) fn new(mode: Mode) -> Self {
        Self {
            mode,
            schema: None,
            recent: VecDeque::new(),
            total: 0,
            drawn: 0,
            last_draw: None,
            started: Instant::now(),
        }
    }

    /// Forgets the previous query and shows the next one as `mode` says.
    pub(super) fn reset(&mut self, mode: Mode) {
        *self = Self::new(mode);
    }

    /// A query's rows: called once with none when it starts (the header), then per batch.
    pub(super) fn rows(&mut self, schema: &Schema, rows: &[Row]) {
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        if self.schema.is_none() {
            self.schema = Some(schema.clone());
            self.started = Instant::now();
            let _ = out.write_all(header(schema).as_bytes());
        }
        let cut = matches!(self.mode, Mode::Live { .. });
        self.total += rows.len() as u64;
        match self.mode {
            Mode::Streaming => {
                for r in rows {
                    let _ = writeln!(out, "{}", row_line(schema, r, cut));
                }
            }
            Mode::Live { window } => {
                for r in rows.iter().skip(rows.len().saturating_sub(window)) {
                    if self.recent.len() == window {
                        self.recent.pop_front();
                    }
                    self.recent.push_back(row_line(schema, r, cut));
                }
                if self.last_draw.is_none_or(|t| t.elapsed() >= REDRAW_EVERY) {
                    self.redraw(&mut out, true);
                }
            }
        }
        let _ = out.flush();
    }

    /// Closes the table (if a query started one): the last rows, the bottom border and the
    /// total, and whether the query was stopped.
    pub(super) fn finish(&mut self, cancelled: bool) {
        let Some(schema) = self.schema.clone() else {
            return;
        };
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        if matches!(self.mode, Mode::Live { .. }) {
            // The rows since the last redraw, and the final status line below in place of
            // the running one.
            self.redraw(&mut out, false);
        } else {
            let _ = writeln!(out, "{}", border(&schema));
        }
        self.schema = None;
        let rows = if self.total == 1 { "row" } else { "rows" };
        let stopped = if cancelled { " (query cancelled)" } else { "" };
        let _ = writeln!(out, "Received a total of {} {rows}{stopped}", self.total);
        let _ = out.flush();
    }

    /// Rewrites the live body: the window's rows, the bottom border and, while the query
    /// runs, a status line.
    fn redraw(&mut self, out: &mut impl Write, running: bool) {
        let Some(schema) = &self.schema else {
            return;
        };
        let mut text = String::new();
        if self.drawn > 0 {
            // Up to the first body line, column 0, and clear to the end of the screen.
            text.push_str(&format!("\x1b[{}A\r\x1b[J", self.drawn));
        }
        for line in &self.recent {
            text.push_str(line);
            text.push('\n');
        }
        text.push_str(&border(schema));
        text.push('\n');
        self.drawn = self.recent.len() + 1;
        if running {
            text.push_str(&format!(
                "{} rows received in {:.0}s, the last {} shown (Ctrl-C stops the query)\n",
                self.total,
                self.started.elapsed().as_secs_f64(),
                self.recent.len()
            ));
            self.drawn += 1;
        }
        let _ = out.write_all(text.as_bytes());
        self.last_draw = Some(Instant::now());
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

fn header(schema: &Schema) -> String {
    let border = border(schema);
    let mut line = format!("| {:>w$} ", "op", w = column_width(schema, 0));
    for (i, f) in schema.fields.iter().enumerate() {
        line.push_str(&format!("| {:>w$} ", f.name, w = column_width(schema, i + 1)));
    }
    format!("{border}\n{line}|\n{border}\n")
}

/// One row's line; with `cut`, values longer than their column end in `...` (Flink's client
/// does the same in tableau mode).
fn row_line(schema: &Schema, row: &Row, cut: bool) -> String {
    let mut line = format!("| {:>w$} ", "+I", w = column_width(schema, 0));
    for (i, (v, f)) in row.iter().zip(&schema.fields).enumerate() {
        let w = column_width(schema, i + 1);
        let mut text = display(v, &f.ty);
        if cut && text.chars().count() > w {
            text = text.chars().take(w.saturating_sub(3)).collect::<String>() + "...";
        }
        line.push_str(&format!("| {text:>w$} "));
    }
    line.push('|');
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use spate_sql::plan::Field;
    use spate_sql::types::{DataType, TypeKind};
    use spate_sql::value::Value;

    fn schema() -> Schema {
        Schema {
            fields: vec![Field::new("name", DataType::new(TypeKind::Varchar(100)))],
        }
    }

    #[test]
    fn a_long_value_is_cut_to_its_column_only_when_asked() {
        let row = vec![Value::String("x".repeat(30))];
        let cut = row_line(&schema(), &row, true);
        assert!(cut.contains(&format!("{}...", "x".repeat(17))), "{cut}");
        assert_eq!(cut.chars().count(), border(&schema()).chars().count());
        assert!(row_line(&schema(), &row, false).contains(&"x".repeat(30)));
    }

    #[test]
    fn finishing_a_live_table_draws_the_rows_not_drawn_yet() {
        let mut t = Tableau::new(Mode::Live { window: 3 });
        t.rows(&schema(), &[]);
        t.rows(&schema(), &[vec![Value::String("late".into())]]);
        let before = t.drawn;
        t.finish(false);
        // The last redraw covered the row: one row line and the border.
        assert_eq!((before, t.drawn), (2, 2));
        assert!(t.schema.is_none());
    }

    #[test]
    fn a_live_table_keeps_only_the_last_rows_of_its_window() {
        let mut t = Tableau::new(Mode::Live { window: 3 });
        let rows: Vec<Row> = (0..10).map(|i| vec![Value::String(format!("r{i}"))]).collect();
        t.rows(&schema(), &[]);
        t.rows(&schema(), &rows[..4]);
        t.rows(&schema(), &rows[4..]);
        assert_eq!(t.total, 10);
        let shown: Vec<&str> = t.recent.iter().map(|l| l.trim_end_matches(" |").trim()).collect();
        assert_eq!(shown.len(), 3);
        assert!(shown[0].ends_with("r7") && shown[2].ends_with("r9"), "{shown:?}");
    }
}
