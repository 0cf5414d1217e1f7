//! A query's rows as Flink's SQL client shows them in tableau mode: a header once, then one
//! `+I` line per row, closed by a border and `Received a total of N rows`.
//!
//! Two ways to show them:
//! - *streaming* (a script, or a shell whose output is not a terminal): every row is printed
//!   as it arrives, so output can be piped and nothing is ever rewritten;
//! - *live* (the interactive shell on a terminal): the header stays, and below it the last
//!   `window` rows and a status line are redrawn in place (ANSI cursor-up and clear), at most
//!   every [`REDRAW_EVERY`], so an unbounded query shows a bounded, continuously updating table.
//!   Values are cut to their column width (with `...`), and every line to the terminal's width,
//!   so no line wraps, which would break the cursor arithmetic of the redraw.
//!
//! Rows arrive from the job's threads (several subtasks may call at once): the tableau sits
//! behind a mutex and is driven by [`Tableau::rows`] through the session's row observer. A
//! query run on a server (`spate sql --server`) arrives already rendered, as the server's
//! preview pages hold it, through [`Tableau::text_rows`].

use std::collections::VecDeque;
use std::io::Write;
use std::time::{Duration, Instant};

use spate_sql::QueryRows;
use spate_sql::value::{RowKind, display_in};
use spate_sql::zone::SessionZone;

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
        /// The terminal's width in columns: a table wider than that is cut at its right edge.
        width: usize,
    },
}

impl Mode {
    /// `line` as this mode shows it: whole when streaming; live, cut so that it fits the
    /// terminal without wrapping (the last column left empty: some terminals wrap on it).
    fn fit<'l>(&self, line: &'l str) -> std::borrow::Cow<'l, str> {
        match *self {
            Mode::Live { width, .. } if line.chars().count() >= width => line
                .chars()
                .take(width.saturating_sub(1))
                .collect::<String>()
                .into(),
            _ => line.into(),
        }
    }
}

/// The table of the query being shown.
#[derive(Debug)]
pub(super) struct Tableau {
    mode: Mode,
    /// The query's column names, once its header is shown.
    columns: Option<Vec<String>>,
    /// The live window's formatted lines, oldest first.
    recent: VecDeque<String>,
    total: u64,
    /// Lines of the live body (window, border, status) on screen, to move back over.
    drawn: usize,
    last_draw: Option<Instant>,
    started: Instant,
    /// `table.local-time-zone`: `TIMESTAMP_LTZ` values are shown in it, as Flink's client does.
    zone: SessionZone,
}

impl Tableau {
    pub(super) fn new(mode: Mode) -> Self {
        Self {
            mode,
            columns: None,
            recent: VecDeque::new(),
            total: 0,
            drawn: 0,
            last_draw: None,
            started: Instant::now(),
            zone: SessionZone::UTC,
        }
    }

    /// Forgets the previous query and shows the next one as `mode` says.
    pub(super) fn reset(&mut self, mode: Mode) {
        let zone = self.zone;
        *self = Self::new(mode);
        self.zone = zone;
    }

    /// Shows the next queries' `TIMESTAMP_LTZ` values in `zone`.
    pub(super) fn set_zone(&mut self, zone: SessionZone) {
        self.zone = zone;
    }

    /// A query's rows: called once with none when it starts (the header), then per batch.
    pub(super) fn rows(&mut self, batch: &QueryRows<'_>) {
        let schema = batch.schema;
        if self.columns.is_none() {
            let names: Vec<String> = schema.fields.iter().map(|f| f.name.clone()).collect();
            self.text_rows(&names, std::iter::empty());
        }
        let zone = self.zone;
        let shown = batch.rows.iter().enumerate().map(move |(i, r)| {
            let op = batch.kinds.get(i).copied().unwrap_or(RowKind::Insert);
            std::iter::once(op.short_string().to_string())
                .chain(
                    r.iter()
                        .zip(&schema.fields)
                        .map(|(v, f)| display_in(v, &f.ty, zone)),
                )
                .collect::<Vec<_>>()
        });
        self.text_rows(&[], shown);
    }

    /// Rows already rendered as Flink's client shows values, each led by its `op` (`+I`,
    /// `-U`, `+U`, `-D`); `columns` names the values the first time (later calls may pass
    /// none).
    pub(super) fn text_rows(&mut self, columns: &[String], rows: impl ExactSizeIterator<Item = Vec<String>>) {
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        if self.columns.is_none() {
            self.started = Instant::now();
            for line in header(columns).lines() {
                let _ = writeln!(out, "{}", self.mode.fit(line));
            }
            self.columns = Some(columns.to_vec());
        }
        // Taken out while the table changes, put back below.
        let Some(columns) = self.columns.take() else {
            return;
        };
        let cut = matches!(self.mode, Mode::Live { .. });
        let count = rows.len();
        self.total += count as u64;
        match self.mode {
            Mode::Streaming => {
                for r in rows {
                    let _ = writeln!(out, "{}", row_line(&columns, &r, cut));
                }
            }
            Mode::Live { window, .. } => {
                for r in rows.skip(count.saturating_sub(window)) {
                    if self.recent.len() == window {
                        self.recent.pop_front();
                    }
                    let line = row_line(&columns, &r, cut);
                    self.recent.push_back(self.mode.fit(&line).into_owned());
                }
                if self.last_draw.is_none_or(|t| t.elapsed() >= REDRAW_EVERY) {
                    self.redraw(&mut out, &columns, true);
                }
            }
        }
        self.columns = Some(columns);
        let _ = out.flush();
    }

    /// `n` rows that will never be shown (a server dropped them before they were read): they
    /// count in the total, and a streaming table says so where they would have been.
    pub(super) fn dropped(&mut self, n: u64) {
        self.total += n;
        if self.mode == Mode::Streaming {
            eprintln!("[WARNING] {n} rows arrived faster than they were read and were dropped");
        }
    }

    /// Closes the table (if a query started one): the last rows, the bottom border and the
    /// total, and whether the query was stopped.
    pub(super) fn finish(&mut self, cancelled: bool) {
        let Some(columns) = self.columns.take() else {
            return;
        };
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        if matches!(self.mode, Mode::Live { .. }) {
            // The rows since the last redraw, and the final status line below in place of
            // the running one.
            self.redraw(&mut out, &columns, false);
        } else {
            let _ = writeln!(out, "{}", border(&columns));
        }
        let rows = if self.total == 1 { "row" } else { "rows" };
        let stopped = if cancelled { " (query cancelled)" } else { "" };
        let _ = writeln!(out, "Received a total of {} {rows}{stopped}", self.total);
        let _ = out.flush();
    }

    /// Rewrites the live body: the window's rows, the bottom border and, while the query
    /// runs, a status line.
    fn redraw(&mut self, out: &mut impl Write, columns: &[String], running: bool) {
        let mut text = String::new();
        if self.drawn > 0 {
            // Up to the first body line, column 0, and clear to the end of the screen.
            text.push_str(&format!("\x1b[{}A\r\x1b[J", self.drawn));
        }
        for line in &self.recent {
            text.push_str(line);
            text.push('\n');
        }
        text.push_str(&self.mode.fit(&border(columns)));
        text.push('\n');
        self.drawn = self.recent.len() + 1;
        if running {
            let status = format!(
                "{} rows received in {:.0}s, the last {} shown (Ctrl-C stops the query)",
                self.total,
                self.started.elapsed().as_secs_f64(),
                self.recent.len()
            );
            text.push_str(&self.mode.fit(&status));
            text.push('\n');
            self.drawn += 1;
        }
        let _ = out.write_all(text.as_bytes());
        self.last_draw = Some(Instant::now());
    }
}

/// Column `i` of the tableau (0 is `op`): as wide as its name, at least 20 for values.
fn column_width(columns: &[String], i: usize) -> usize {
    match i {
        0 => 2,
        _ => columns[i - 1].chars().count().max(20),
    }
}

fn border(columns: &[String]) -> String {
    (0..=columns.len())
        .map(|i| format!("+{}", "-".repeat(column_width(columns, i) + 2)))
        .collect::<String>()
        + "+"
}

fn header(columns: &[String]) -> String {
    let border = border(columns);
    let mut line = format!("| {:>w$} ", "op", w = column_width(columns, 0));
    for (i, name) in columns.iter().enumerate() {
        line.push_str(&format!("| {:>w$} ", name, w = column_width(columns, i + 1)));
    }
    format!("{border}\n{line}|\n{border}\n")
}

/// One row's line (`row` is its op, then its values); with `cut`, values longer than their column end in `...` (Flink's client
/// does the same in tableau mode).
fn row_line(columns: &[String], row: &[String], cut: bool) -> String {
    let op = row.first().map_or("+I", String::as_str);
    let mut line = format!("| {:>w$} ", op, w = column_width(columns, 0));
    for (i, text) in row.iter().skip(1).take(columns.len()).enumerate() {
        let w = column_width(columns, i + 1);
        if cut && text.chars().count() > w {
            let shortened = text.chars().take(w.saturating_sub(3)).collect::<String>() + "...";
            line.push_str(&format!("| {shortened:>w$} "));
        } else {
            line.push_str(&format!("| {text:>w$} "));
        }
    }
    line.push('|');
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use spate_sql::plan::{Field, Schema};
    use spate_sql::types::{DataType, TypeKind};
    use spate_sql::value::{Row, Value};

    fn names() -> Vec<String> {
        vec!["name".to_string()]
    }

    fn schema() -> Schema {
        Schema {
            fields: vec![Field::new("name", DataType::new(TypeKind::Varchar(100)))],
        }
    }

    /// `rows` as one batch of an insert-only query.
    fn batch<'a>(schema: &'a Schema, rows: &'a [Row]) -> QueryRows<'a> {
        QueryRows {
            schema,
            updating: false,
            rows,
            kinds: &[],
        }
    }

    #[test]
    fn a_long_value_is_cut_to_its_column_only_when_asked() {
        let row = vec!["+I".to_string(), "x".repeat(30)];
        let cut = row_line(&names(), &row, true);
        assert!(cut.contains(&format!("{}...", "x".repeat(17))), "{cut}");
        assert_eq!(cut.chars().count(), border(&names()).chars().count());
        assert!(row_line(&names(), &row, false).contains(&"x".repeat(30)));
    }

    #[test]
    fn finishing_a_live_table_draws_the_rows_not_drawn_yet() {
        let mut t = Tableau::new(Mode::Live {
            window: 3,
            width: 200,
        });
        let schema = schema();
        t.rows(&batch(&schema, &[]));
        t.rows(&batch(&schema, &[vec![Value::String("late".into())]]));
        let before = t.drawn;
        t.finish(false);
        // The last redraw covered the row: one row line and the border.
        assert_eq!((before, t.drawn), (2, 2));
        assert!(t.columns.is_none());
    }

    #[test]
    fn a_live_table_wider_than_the_terminal_is_cut_at_its_edge() {
        let wide: Vec<String> = (0..8).map(|i| format!("column_{i}")).collect();
        let mut t = Tableau::new(Mode::Live { window: 3, width: 60 });
        t.text_rows(&wide, std::iter::empty());
        t.text_rows(
            &[],
            std::iter::once(
                std::iter::once("+I".to_string())
                    .chain((0..8).map(|i| format!("v{i}")))
                    .collect(),
            ),
        );
        let columns = t.columns.clone().unwrap();
        t.redraw(&mut Vec::new(), &columns, true);
        // Every line the live table keeps fits in 59 columns, so none wraps.
        assert!(t.recent.iter().all(|l| l.chars().count() == 59), "{:?}", t.recent);
        assert_eq!(t.drawn, 3);
        let streaming = Mode::Streaming.fit(&t.recent[0]).into_owned();
        assert_eq!(streaming, t.recent[0]);
        assert_eq!(Mode::Live { window: 1, width: 10 }.fit("short"), "short");
    }

    #[test]
    fn a_live_table_keeps_only_the_last_rows_of_its_window() {
        let mut t = Tableau::new(Mode::Live {
            window: 3,
            width: 200,
        });
        let rows: Vec<Row> = (0..10).map(|i| vec![Value::String(format!("r{i}"))]).collect();
        let schema = schema();
        t.rows(&batch(&schema, &[]));
        t.rows(&batch(&schema, &rows[..4]));
        t.rows(&batch(&schema, &rows[4..]));
        assert_eq!(t.total, 10);
        let shown: Vec<&str> = t.recent.iter().map(|l| l.trim_end_matches(" |").trim()).collect();
        assert_eq!(shown.len(), 3);
        assert!(shown[0].ends_with("r7") && shown[2].ends_with("r9"), "{shown:?}");
    }

    /// An updating query's rows show what each does in the `op` column, as Flink's client in
    /// tableau mode does.
    #[test]
    fn an_updating_querys_rows_show_their_kinds() {
        let mut t = Tableau::new(Mode::Live {
            window: 5,
            width: 200,
        });
        let schema = schema();
        let rows: Vec<Row> = ["a", "a", "b"]
            .iter()
            .map(|v| vec![Value::String(v.to_string())])
            .collect();
        let kinds = [RowKind::Insert, RowKind::UpdateBefore, RowKind::Delete];
        t.rows(&QueryRows {
            schema: &schema,
            updating: true,
            rows: &rows,
            kinds: &kinds,
        });
        let ops: Vec<&str> = t
            .recent
            .iter()
            .map(|l| l.trim_start_matches("| ").split(' ').next().unwrap_or(""))
            .collect();
        assert_eq!(ops, ["+I", "-U", "-D"]);
    }
}
