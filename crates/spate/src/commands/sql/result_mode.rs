//! The client's `sql-client.execution.result-mode`, as Flink's SQL client keeps it: a client
//! option, followed from the `SET` and `RESET` statements the client runs (so it applies the
//! same to a local session and to one on a server).
//!
//! - In a script (`spate sql -f`) only `tableau` shows a query, as in Flink's client, which
//!   fails a query whose mode was set to `table` or `changelog` with its own message. Flink's
//!   default mode is `table`, so its client fails every query of a script that does not set
//!   `tableau`; Spate's default in a script is `tableau` (a deliberate difference: a script
//!   that works on Flink works unchanged, and one without the `SET` shows its rows).
//! - In the shell on a terminal the default is Flink's, `table`; a shell whose output is not
//!   a terminal cannot redraw, so it prints changes as `tableau` does unless `table` is set,
//!   which prints the result table when the query ends.

use spate_sql::{RESULT_MODE, ResultMode, Statement};

use super::tableau::{Mode, Screen};

/// The result mode set in the client, if one is.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct ClientResultMode {
    set: Option<ResultMode>,
}

impl ClientResultMode {
    /// Follows `stmt`, which ran without error (the session checked the value).
    pub(super) fn ran(&mut self, stmt: &Statement) {
        match stmt {
            Statement::Set(Some((k, v))) if k == RESULT_MODE => self.set = ResultMode::parse(v),
            Statement::Reset(Some(k)) if k == RESULT_MODE => self.set = None,
            Statement::Reset(None) => self.set = None,
            _ => {}
        }
    }

    /// Flink's error for a query of a script whose mode is set to other than `tableau`.
    pub(super) fn check_script(&self, stmt: &Statement) -> Result<(), String> {
        match (stmt, self.set) {
            (Statement::Select(_), Some(ResultMode::Table | ResultMode::Changelog)) => {
                Err(ResultMode::script_error())
            }
            _ => Ok(()),
        }
    }

    /// How the shell shows a query: on `screen` when its output is a terminal.
    pub(super) fn shell_view(&self, screen: Option<Screen>) -> Mode {
        match (self.set, screen) {
            (None | Some(ResultMode::Table), Some(screen)) => Mode::Table(Some(screen)),
            (Some(ResultMode::Table), None) => Mode::Table(None),
            (Some(ResultMode::Changelog), Some(screen)) => Mode::Live(screen),
            (None | Some(ResultMode::Changelog | ResultMode::Tableau), _) => Mode::Streaming,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stmt(sql: &str) -> Statement {
        spate_sql::parse_statement(sql).expect("parses")
    }

    #[test]
    fn the_mode_follows_set_and_reset() {
        let screen = Screen {
            window: 10,
            width: 80,
        };
        let mut m = ClientResultMode::default();
        assert_eq!(m.shell_view(Some(screen)), Mode::Table(Some(screen)));
        assert_eq!(m.shell_view(None), Mode::Streaming);
        assert!(m.check_script(&stmt("SELECT 1")).is_ok());
        m.ran(&stmt("SET 'sql-client.execution.result-mode' = 'changelog'"));
        assert_eq!(m.shell_view(Some(screen)), Mode::Live(screen));
        let err = m.check_script(&stmt("SELECT 1")).unwrap_err();
        assert!(
            err.starts_with("In non-interactive mode, it only supports to use TABLEAU"),
            "{err}"
        );
        assert!(m.check_script(&stmt("SET 'a' = 'b'")).is_ok());
        m.ran(&stmt("SET 'sql-client.execution.result-mode' = 'TABLE'"));
        assert_eq!(m.shell_view(None), Mode::Table(None));
        m.ran(&stmt("RESET 'sql-client.execution.result-mode'"));
        assert_eq!(m.shell_view(None), Mode::Streaming);
        m.ran(&stmt("SET 'sql-client.execution.result-mode' = 'tableau'"));
        assert_eq!(m.shell_view(Some(screen)), Mode::Streaming);
        m.ran(&stmt("RESET"));
        assert_eq!(m.shell_view(Some(screen)), Mode::Table(Some(screen)));
    }
}
