//! [`SqlError`]: every error this crate returns, with the position of the offending token.

use std::fmt;

/// A 1-based line and column in the SQL source (columns count characters, not bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    /// Line, starting at 1.
    pub line: u64,
    /// Column, starting at 1.
    pub column: u64,
}

impl Position {
    /// A position; `line` and `column` start at 1.
    pub fn new(line: u64, column: u64) -> Self {
        Self { line, column }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

/// An error in a SQL text: a parse error (the text is not Flink SQL), a construct Spate does not
/// support yet, or a statement the catalog rejects (unknown option, bad watermark, ...).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SqlError {
    /// The text is not valid Flink SQL.
    #[error("SQL parse error at {pos}: {message}")]
    Parse {
        /// What was expected and what was found.
        message: String,
        /// Where.
        pos: Position,
    },
    /// Valid Flink SQL that Spate does not support (yet).
    #[error("not supported at {pos}: {message}")]
    Unsupported {
        /// The construct, named as Flink names it.
        message: String,
        /// Where it starts.
        pos: Position,
    },
    /// A statement that parses but is invalid against the catalog or the connector options.
    #[error("{}", validation_text(message, pos))]
    Validation {
        /// The problem, with what is valid (and the nearest valid name when there is one).
        message: String,
        /// The offending token, when known.
        pos: Option<Position>,
    },
    /// A job could not be built or failed while running.
    #[error("job failed: {message}")]
    Execution {
        /// The cause, with its context (the operator, the record's position).
        message: String,
    },
}

fn validation_text(message: &str, pos: &Option<Position>) -> String {
    match pos {
        Some(p) => format!("invalid statement at {p}: {message}"),
        None => format!("invalid statement: {message}"),
    }
}

impl SqlError {
    pub(crate) fn parse(message: impl Into<String>, pos: Position) -> Self {
        SqlError::Parse {
            message: message.into(),
            pos,
        }
    }

    pub(crate) fn unsupported(message: impl Into<String>, pos: Position) -> Self {
        SqlError::Unsupported {
            message: message.into(),
            pos,
        }
    }

    /// A query shape Spate's streaming planner does not take yet (a validation error that
    /// says so).
    pub(crate) fn not_yet_in_streaming(what: impl Into<String>, pos: Option<Position>) -> Self {
        SqlError::validation(
            format!("{} is not supported in streaming queries yet", what.into()),
            pos,
        )
    }

    /// A statement that parses but is not valid (unknown names, types that do not fit), at
    /// `pos` when known.
    pub fn validation(message: impl Into<String>, pos: Option<Position>) -> Self {
        SqlError::Validation {
            message: message.into(),
            pos,
        }
    }

    /// A job failure.
    pub fn execution(message: impl Into<String>) -> Self {
        SqlError::Execution {
            message: message.into(),
        }
    }

    /// The message without the position.
    pub fn message(&self) -> &str {
        match self {
            SqlError::Parse { message, .. }
            | SqlError::Unsupported { message, .. }
            | SqlError::Validation { message, .. }
            | SqlError::Execution { message } => message,
        }
    }

    /// Where the error is, when known.
    pub fn position(&self) -> Option<Position> {
        match self {
            SqlError::Parse { pos, .. } | SqlError::Unsupported { pos, .. } => Some(*pos),
            SqlError::Validation { pos, .. } => *pos,
            SqlError::Execution { .. } => None,
        }
    }

    /// The error as a user sees it: the message, then the source line with a caret under the
    /// offending token.
    ///
    /// ```
    /// let src = "SELECT a\nFROM t WHERE WHERE";
    /// let err = spate_sql_planner::parse(src).unwrap_err();
    /// assert_eq!(
    ///     err.render(src),
    ///     "SQL parse error at line 2, column 14: Expected: an expression, found: WHERE\n\
    ///      2 | FROM t WHERE WHERE\n  |              ^"
    /// );
    /// ```
    pub fn render(&self, source: &str) -> String {
        let mut out = self.to_string();
        let Some(pos) = self.position() else {
            return out;
        };
        let line_no = usize::try_from(pos.line).unwrap_or(usize::MAX);
        let Some(line) = source.lines().nth(line_no.saturating_sub(1)) else {
            return out;
        };
        let gutter = pos.line.to_string();
        let col = usize::try_from(pos.column).unwrap_or(1).max(1);
        // Tabs before the caret stay tabs so the caret lines up in a terminal.
        let pad: String = line
            .chars()
            .take(col - 1)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        out.push('\n');
        out.push_str(&format!("{gutter} | {line}\n"));
        out.push_str(&format!("{} | {pad}^", " ".repeat(gutter.len())));
        out
    }
}

/// Shorthand for this crate's results.
pub type Result<T, E = SqlError> = std::result::Result<T, E>;
