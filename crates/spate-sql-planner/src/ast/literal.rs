//! Literal values.

use std::fmt;

use crate::ident::Quoted;

/// A literal value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Literal {
    /// A number, verbatim (`42`, `1.5`, `1e3`): its type is the binder's business.
    Number(String),
    /// `'text'`.
    String(String),
    /// `TRUE` / `FALSE`.
    Boolean(bool),
    /// `NULL`.
    Null,
    /// `DATE '2026-01-01'`.
    Date(String),
    /// `TIME '12:00:00'`.
    Time(String),
    /// `TIMESTAMP '2026-01-01 12:00:00'`.
    Timestamp(String),
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Number(n) => f.write_str(n),
            Literal::String(s) => Quoted(s).fmt(f),
            Literal::Boolean(true) => f.write_str("TRUE"),
            Literal::Boolean(false) => f.write_str("FALSE"),
            Literal::Null => f.write_str("NULL"),
            Literal::Date(s) => write!(f, "DATE {}", Quoted(s)),
            Literal::Time(s) => write!(f, "TIME {}", Quoted(s)),
            Literal::Timestamp(s) => write!(f, "TIMESTAMP {}", Quoted(s)),
        }
    }
}
