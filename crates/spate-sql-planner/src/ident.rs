//! Names, positions and quoting: the ground floor the IR ([`crate::ast`], [`crate::types`]) and
//! the parser share.

use std::fmt;

use sqlparser::keywords::ALL_KEYWORDS;

use crate::error::Position;

/// Where a node started in the source. Compares equal to every other `Loc`, so IR built by hand
/// (or parsed from another text) equals parsed IR.
#[derive(Clone, Copy, Default)]
pub struct Loc(pub Option<Position>);

impl Loc {
    /// No position (IR built by hand).
    pub const NONE: Loc = Loc(None);

    /// The position, when known.
    pub fn pos(self) -> Option<Position> {
        self.0
    }
}

impl PartialEq for Loc {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl Eq for Loc {}

impl fmt::Debug for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(p) => write!(f, "@{}:{}", p.line, p.column),
            None => f.write_str("@?"),
        }
    }
}

/// An identifier. Flink identifiers are case-sensitive whether quoted or not, so only the text
/// is kept (it prints back-quoted when it must be), with where it was written: the binder's
/// "unknown column" errors point there. The position takes no part in equality, order or hash.
#[derive(Clone)]
pub struct Ident {
    /// The identifier's text, unquoted.
    pub value: String,
    /// Where it was written.
    pub loc: Loc,
}

impl Ident {
    /// An identifier with this exact text and no position.
    pub fn new(s: impl Into<String>) -> Self {
        Ident {
            value: s.into(),
            loc: Loc::NONE,
        }
    }

    /// An identifier with a position.
    pub fn at(s: impl Into<String>, loc: Loc) -> Self {
        Ident { value: s.into(), loc }
    }

    /// The identifier's text.
    pub fn as_str(&self) -> &str {
        &self.value
    }
}

impl PartialEq for Ident {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}
impl Eq for Ident {}

impl std::hash::Hash for Ident {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.value.hash(state);
    }
}

impl PartialOrd for Ident {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ident {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.value.cmp(&other.value)
    }
}

impl fmt::Debug for Ident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.value)
    }
}

impl fmt::Display for Ident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if needs_quoting(&self.value) {
            write!(f, "`{}`", self.value.replace('`', "``"))
        } else {
            f.write_str(&self.value)
        }
    }
}

/// A possibly qualified name: `t`, `db.t`, `catalog.db.t`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ObjectName(pub Vec<Ident>);

impl ObjectName {
    /// A one-part name.
    pub fn simple(s: impl Into<String>) -> Self {
        ObjectName(vec![Ident::new(s)])
    }

    /// The last part (the object's own name).
    pub fn base(&self) -> &str {
        self.0.last().map_or("", |i| i.as_str())
    }
}

impl fmt::Debug for ObjectName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ObjectName({self})")
    }
}

impl fmt::Display for ObjectName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, part) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "{part}")?;
        }
        Ok(())
    }
}

/// A SQL string literal: `'..'` with quotes doubled.
pub(crate) struct Quoted<'a>(pub &'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "'{}'", self.0.replace('\'', "''"))
    }
}

/// Words that are never an unquoted identifier: the clause keywords a typo or a missing
/// expression would otherwise turn into a column name (`WHERE WHERE`). Flink 2.3 reserves many
/// more (`value`, `user`, `timestamp`, `dateTime`, ...) and rejects them unquoted; Spate accepts
/// those where a name is expected, which changes the meaning of no valid Flink statement (the
/// Nexmark project's queries write `dateTime` unquoted).
const RESERVED: &[&str] = &[
    "ALL",
    "AND",
    "AS",
    "BETWEEN",
    "BY",
    "CASE",
    "CREATE",
    "CROSS",
    "DISTINCT",
    "DROP",
    "ELSE",
    "END",
    "EXCEPT",
    "FALSE",
    "FROM",
    "FULL",
    "GROUP",
    "HAVING",
    "IN",
    "INNER",
    "INSERT",
    "INTERSECT",
    "INTO",
    "IS",
    "JOIN",
    "LEFT",
    "LIKE",
    "LIMIT",
    "NOT",
    "NULL",
    "ON",
    "OR",
    "ORDER",
    "OUTER",
    "RIGHT",
    "SELECT",
    "SET",
    "TABLE",
    "THEN",
    "TRUE",
    "UNION",
    "USING",
    "VALUES",
    "WHEN",
    "WHERE",
    "WITH",
];

/// Whether an unquoted word is reserved (see [`RESERVED`]).
pub(crate) fn is_reserved(word: &str) -> bool {
    RESERVED.iter().any(|r| r.eq_ignore_ascii_case(word))
}

/// Whether an identifier must be back-quoted to parse back as itself.
pub(crate) fn needs_quoting(s: &str) -> bool {
    !is_plain_word(s)
        || ALL_KEYWORDS
            .binary_search(&s.to_ascii_uppercase().as_str())
            .is_ok()
}

/// Whether `s` is a plain word: a letter or `_`, then letters, digits and `_`.
pub(crate) fn is_plain_word(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
