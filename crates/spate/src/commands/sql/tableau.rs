//! A query's rows as Flink's SQL client shows them in its three result modes
//! (`sql-client.execution.result-mode`).
//!
//! - *streaming* (`tableau`; a script, or a shell whose output is not a terminal): a header
//!   once, then every change as it arrives with its kind in the `op` column (`+I`, `-U`, `+U`,
//!   `-D`), closed by a border and `Received a total of N rows`, so output can be piped and
//!   nothing is ever rewritten;
//! - *live* (`changelog` on a terminal): the header stays, and below it the last `window`
//!   changes and a status line are redrawn in place (ANSI cursor-up and clear), at most every
//!   [`REDRAW_EVERY`], so an unbounded query shows a bounded, continuously updating view;
//! - *table* (`table`): the result as a table ([`ResultTable`]) without the `op`
//!   column: on a terminal its newest rows are redrawn in place as changes arrive; otherwise
//!   the whole table is printed once the query ends.
//!
//! Live views cut values to their column width (with `...`), and every line to the terminal's
//! width, so no line wraps, which would break the cursor arithmetic of the redraw.
//!
//! Rows arrive from the job's threads (several subtasks may call at once): the tableau sits
//! behind a mutex and is driven by [`Tableau::rows`] through the session's row observer. A
//! query run on a server (`spate sql --server`) arrives already rendered, as the server's
//! preview pages hold it, through [`Tableau::text_rows`].

use std::collections::VecDeque;
use std::io::Write;
use std::time::{Duration, Instant};

use spate_sql::value::{RowKind, display_in};
use spate_sql::zone::SessionZone;
use spate_sql::{QueryRows, ResultTable};

/// The least time between two redraws of a live table (redrawing per batch would spend the
/// terminal's time, not the job's, on fast queries).
pub(super) const REDRAW_EVERY: Duration = Duration::from_millis(100);

/// The most rows `table` mode keeps (Flink's `sql-client.execution.max-table-result.rows`
/// default); past it the oldest go.
const MAX_TABLE_ROWS: usize = 1_000_000;

/// The terminal a live view is redrawn on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Screen {
    /// How many rows the view shows at most.
    pub(super) window: usize,
    /// The terminal's width in columns: a table wider than that is cut at its right edge.
    pub(super) width: usize,
}

/// How a query's rows are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// Every change printed once, as it arrives.
    Streaming,
    /// The last changes redrawn in place.
    Live(Screen),
    /// The result table: its newest rows redrawn in place on a screen, else printed whole at
    /// the end.
    Table(Option<Screen>),
}

impl Mode {
    /// The screen the view is redrawn on, if it is.
    fn screen(&self) -> Option<Screen> {
        match *self {
            Mode::Live(screen) | Mode::Table(Some(screen)) => Some(screen),
            _ => None,
        }
    }

    /// Whether rows show their kind in an `op` column (all but the table do).
    fn shows_op(&self) -> bool {
        !matches!(self, Mode::Table(_))
    }

    /// `line` as this mode shows it: whole when printed once; live, cut so that it fits the
    /// terminal without wrapping (the last column left empty: some terminals wrap on it).
    fn fit<'l>(&self, line: &'l str) -> std::borrow::Cow<'l, str> {
        match self.screen() {
            Some(Screen { width, .. }) if line.chars().count() >= width => line
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
    /// The result table, in table mode.
    table: ResultTable,
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
            table: ResultTable::new(MAX_TABLE_ROWS),
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
        let op = self.mode.shows_op();
        if self.columns.is_none() {
            self.started = Instant::now();
            // A table printed at the end gets its header there.
            if self.mode != Mode::Table(None) {
                for line in header(columns, op).lines() {
                    let _ = writeln!(out, "{}", self.mode.fit(line));
                }
            }
            self.columns = Some(columns.to_vec());
        }
        // Taken out while the table changes, put back below.
        let Some(columns) = self.columns.take() else {
            return;
        };
        let count = rows.len();
        self.total += count as u64;
        match self.mode {
            Mode::Streaming => {
                for r in rows {
                    let _ = writeln!(out, "{}", row_line(&columns, &r, true, false));
                }
            }
            Mode::Live(Screen { window, .. }) => {
                for r in rows.skip(count.saturating_sub(window)) {
                    if self.recent.len() == window {
                        self.recent.pop_front();
                    }
                    let line = row_line(&columns, &r, true, true);
                    self.recent.push_back(self.mode.fit(&line).into_owned());
                }
            }
            Mode::Table(_) => {
                for mut r in rows {
                    let values = r.split_off(1.min(r.len()));
                    let kind = r
                        .first()
                        .and_then(|op| RowKind::from_short_string(op))
                        .unwrap_or(RowKind::Insert);
                    self.table.apply(kind, values);
                }
            }
        }
        if self.mode.screen().is_some() && self.last_draw.is_none_or(|t| t.elapsed() >= REDRAW_EVERY) {
            self.redraw(&mut out, &columns, true);
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

    /// Closes the view (if a query started one): the last rows, the bottom border and the
    /// total, and whether the query was stopped.
    pub(super) fn finish(&mut self, cancelled: bool) {
        let Some(columns) = self.columns.take() else {
            return;
        };
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        match self.mode {
            // The rows since the last redraw, and the final status line below in place of
            // the running one.
            Mode::Live(_) | Mode::Table(Some(_)) => self.redraw(&mut out, &columns, false),
            Mode::Streaming => {
                let _ = writeln!(out, "{}", border(&columns, true));
            }
            Mode::Table(None) => {
                let mut text = header(&columns, false);
                for r in self.table.rows() {
                    text.push_str(&row_line(&columns, r, false, false));
                    text.push('\n');
                }
                text.push_str(&border(&columns, false));
                text.push('\n');
                let _ = out.write_all(text.as_bytes());
            }
        }
        let stopped = if cancelled { " (query cancelled)" } else { "" };
        if let Mode::Table(_) = self.mode {
            let held = self.table.len();
            let _ = writeln!(
                out,
                "{held} {} in the result table, from {} {}{stopped}",
                if held == 1 { "row" } else { "rows" },
                self.total,
                if self.total == 1 { "change" } else { "changes" },
            );
        } else {
            let rows = if self.total == 1 { "row" } else { "rows" };
            let _ = writeln!(out, "Received a total of {} {rows}{stopped}", self.total);
        }
        let _ = out.flush();
    }

    /// Rewrites the live body: the window's rows (the latest changes, or the table's newest
    /// rows), the bottom border and, while the query runs, a status line.
    fn redraw(&mut self, out: &mut impl Write, columns: &[String], running: bool) {
        let Some(Screen { window, .. }) = self.mode.screen() else {
            return;
        };
        let op = self.mode.shows_op();
        let mut text = String::new();
        if self.drawn > 0 {
            // Up to the first body line, column 0, and clear to the end of the screen.
            text.push_str(&format!("\x1b[{}A\r\x1b[J", self.drawn));
        }
        let shown = if op {
            for line in &self.recent {
                text.push_str(line);
                text.push('\n');
            }
            self.recent.len()
        } else {
            let newest = self.table.newest(window);
            for r in &newest {
                text.push_str(&self.mode.fit(&row_line(columns, r, false, true)));
                text.push('\n');
            }
            newest.len()
        };
        text.push_str(&self.mode.fit(&border(columns, op)));
        text.push('\n');
        self.drawn = shown + 1;
        if running {
            let status = if op {
                format!(
                    "{} rows received in {:.0}s, the last {shown} shown (Ctrl-C stops the query)",
                    self.total,
                    self.started.elapsed().as_secs_f64(),
                )
            } else {
                format!(
                    "{} rows in the result table from {} changes in {:.0}s, the newest {shown} shown \
                     (Ctrl-C stops the query)",
                    self.table.len(),
                    self.total,
                    self.started.elapsed().as_secs_f64(),
                )
            };
            text.push_str(&self.mode.fit(&status));
            text.push('\n');
            self.drawn += 1;
        }
        let _ = out.write_all(text.as_bytes());
        self.last_draw = Some(Instant::now());
    }
}

/// The widths of the view's columns (with `op`, the `op` column first): a value column is as
/// wide as its name, at least 20.
fn widths(columns: &[String], op: bool) -> Vec<usize> {
    op.then_some(2)
        .into_iter()
        .chain(columns.iter().map(|c| c.chars().count().max(20)))
        .collect()
}

fn border(columns: &[String], op: bool) -> String {
    widths(columns, op)
        .iter()
        .map(|w| format!("+{}", "-".repeat(w + 2)))
        .collect::<String>()
        + "+"
}

fn header(columns: &[String], op: bool) -> String {
    let border = border(columns, op);
    let names = op
        .then_some("op")
        .into_iter()
        .chain(columns.iter().map(String::as_str));
    let mut line = String::new();
    for (name, w) in names.zip(widths(columns, op)) {
        line.push_str(&format!("| {name:>w$} "));
    }
    format!("{border}\n{line}|\n{border}\n")
}

/// One line of the view: `row` is an op and then values when `op`, else values alone; with
/// `cut`, values longer than their column end in `...` (Flink's client does the same in
/// tableau mode).
fn row_line(columns: &[String], row: &[String], op: bool, cut: bool) -> String {
    let values: Box<dyn Iterator<Item = &str>> = if op {
        Box::new(
            std::iter::once(row.first().map_or("+I", String::as_str))
                .chain(row.iter().skip(1).take(columns.len()).map(String::as_str)),
        )
    } else {
        Box::new(row.iter().take(columns.len()).map(String::as_str))
    };
    let mut line = String::new();
    for (text, w) in values.zip(widths(columns, op)) {
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
        let cut = row_line(&names(), &row, true, true);
        assert!(cut.contains(&format!("{}...", "x".repeat(17))), "{cut}");
        assert_eq!(cut.chars().count(), border(&names(), true).chars().count());
        assert!(row_line(&names(), &row, true, false).contains(&"x".repeat(30)));
    }

    #[test]
    fn finishing_a_live_table_draws_the_rows_not_drawn_yet() {
        let mut t = Tableau::new(Mode::Live(Screen {
            window: 3,
            width: 200,
        }));
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
        let mut t = Tableau::new(Mode::Live(Screen { window: 3, width: 60 }));
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
        assert_eq!(Mode::Live(Screen { window: 1, width: 10 }).fit("short"), "short");
    }

    #[test]
    fn a_live_table_keeps_only_the_last_rows_of_its_window() {
        let mut t = Tableau::new(Mode::Live(Screen {
            window: 3,
            width: 200,
        }));
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

    /// In table mode an updating query's changes make a table: the update replaces its row,
    /// which has no `op` column, and the live view shows the table's newest rows.
    #[test]
    fn table_mode_shows_the_result_table() {
        let mut t = Tableau::new(Mode::Table(Some(Screen {
            window: 5,
            width: 200,
        })));
        let schema = schema();
        let rows: Vec<Row> = ["a", "b", "a", "c"]
            .iter()
            .map(|v| vec![Value::String(v.to_string())])
            .collect();
        let kinds = [
            RowKind::Insert,
            RowKind::Insert,
            RowKind::UpdateBefore,
            RowKind::UpdateAfter,
        ];
        t.rows(&QueryRows {
            schema: &schema,
            updating: true,
            rows: &rows,
            kinds: &kinds,
        });
        let columns = t.columns.clone().unwrap();
        let mut screen = Vec::new();
        // Drawn from the top, as on a fresh screen.
        t.drawn = 0;
        t.redraw(&mut screen, &columns, false);
        let screen = String::from_utf8(screen).unwrap();
        let shown: Vec<&str> = screen
            .lines()
            .filter(|l| l.starts_with("| "))
            .map(|l| l.trim_matches(|c| c == '|' || c == ' '))
            .collect();
        assert_eq!(shown, ["b", "c"], "{screen}");
        assert_eq!(t.total, 4);
        assert!(!screen.contains("+I"), "{screen}");
    }

    /// An updating query's rows show what each does in the `op` column, as Flink's client in
    /// tableau mode does.
    #[test]
    fn an_updating_querys_rows_show_their_kinds() {
        let mut t = Tableau::new(Mode::Live(Screen {
            window: 5,
            width: 200,
        }));
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
