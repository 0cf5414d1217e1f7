//! Spate's SQL IR: what a Flink SQL statement says, in Spate's own types.
//!
//! The parser ([`crate::parse`]) converts sqlparser's AST into these types right after parsing;
//! nothing outside `parser/` sees a sqlparser type. Every node prints back as Flink SQL
//! (`Display`), and parsing that text gives an equal IR (the round-trip property the tests check).
//! Source positions ([`Loc`]) ride along on the nodes errors point at and never take part in
//! equality.
//!
//! Layout: this file holds the query tree (the IR's root, which expressions refer back to for
//! subqueries); `statement.rs` the statements around it, `expr.rs` scalar expressions,
//! `literal.rs`, `operators.rs` and `keyword_enums.rs` their leaves, `query_display.rs` how the
//! query tree prints.

use std::fmt;

pub use crate::ident::{Ident, Loc, ObjectName};

mod expr;
mod keyword_enums;
mod literal;
mod operators;
mod query_display;
mod statement;

pub use expr::{Expr, FrameBound, FrameUnits, Function, Over, WindowDef, WindowFrame};
pub use keyword_enums::{JsonExistsOnError, JsonKind, JsonQueryBehavior, JsonWrapper, TimeUnit, TrimSide};
pub use literal::Literal;
pub use operators::{BinaryOp, UnaryOp};
pub use statement::{
    Column, ColumnKind, ConflictStrategy, CreateTable, CreateView, Drop, Explain, Insert, PrimaryKey,
    Statement, TableDef, TableOption, Watermark,
};

/// A query: `[WITH ...] body [ORDER BY ...] [LIMIT n] [OFFSET m]` (or `OFFSET m ROWS FETCH
/// NEXT n ROWS ONLY`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// Common table expressions.
    pub with: Vec<Cte>,
    /// `SELECT`, a set operation, `VALUES` or a parenthesized query.
    pub body: SetExpr,
    /// `ORDER BY`.
    pub order_by: Vec<OrderBy>,
    /// `LIMIT` (or `FETCH`): how many rows.
    pub limit: Option<Expr>,
    /// `OFFSET`: how many rows to skip first.
    pub offset: Option<Expr>,
}

/// `name [(cols)] AS (query)` in a `WITH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cte {
    /// The name.
    pub name: Ident,
    /// Column names.
    pub columns: Vec<Ident>,
    /// The query.
    pub query: Box<Query>,
}

/// The body of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetExpr {
    /// `SELECT ...`.
    Select(Box<Select>),
    /// `(query)`.
    Query(Box<Query>),
    /// `left UNION [ALL] right` and the like.
    SetOp {
        /// Which operation.
        op: SetOp,
        /// `ALL`.
        all: bool,
        /// Left input.
        left: Box<SetExpr>,
        /// Right input.
        right: Box<SetExpr>,
    },
    /// `VALUES (..), (..)`.
    Values(Vec<Vec<Expr>>),
}

/// A set operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOp {
    /// `UNION`.
    Union,
    /// `INTERSECT`.
    Intersect,
    /// `EXCEPT`.
    Except,
}

/// `SELECT [DISTINCT] items FROM ... WHERE ... GROUP BY ... HAVING ...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Select {
    /// `DISTINCT`.
    pub distinct: bool,
    /// The select list.
    pub projection: Vec<SelectItem>,
    /// `FROM` items (comma-separated; joins nest inside one item).
    pub from: Vec<TableRef>,
    /// `WHERE`.
    pub selection: Option<Expr>,
    /// `GROUP BY` expressions (window TVF columns, legacy `TUMBLE(..)` group windows, keys),
    /// each once.
    pub group_by: Vec<Expr>,
    /// `GROUPING SETS`, `ROLLUP` and `CUBE`, expanded: the grouping sets, each the positions in
    /// `group_by` of its expressions, in the order written (`None`: one set of everything).
    pub grouping_sets: Option<Vec<Vec<usize>>>,
    /// `HAVING`.
    pub having: Option<Expr>,
    /// `/*+ STATE_TTL('name' = 'ttl', ..) */` after `SELECT`: each input name with its time
    /// to live, in order, each name once.
    pub state_ttl: Vec<(String, StateTtlHint)>,
    /// `WINDOW w AS (..), ..`: the named windows `OVER w` refers to, in the order written.
    pub windows: Vec<(Ident, WindowDef)>,
}

/// A `STATE_TTL` query hint on an aggregate: how long a key's state lives without writes
/// (zero: forever), and the text it was given as (Flink's plans show that).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateTtlHint {
    /// The time to live.
    pub ttl: std::time::Duration,
    /// As written in the hint.
    pub text: String,
}

/// One item of a select list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelectItem {
    /// `expr [AS alias]`.
    Expr {
        /// The expression.
        expr: Expr,
        /// The alias.
        alias: Option<Ident>,
    },
    /// `*`.
    Wildcard,
    /// `t.*`.
    QualifiedWildcard(ObjectName),
}

/// A table reference in `FROM`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableRef {
    /// A table or view by name.
    Table {
        /// The name.
        name: ObjectName,
        /// `[AS] alias`.
        alias: Option<TableAlias>,
        /// `/*+ OPTIONS('k' = 'v', ..) */` after the name: options over the table's own, for
        /// this read of it (Flink's dynamic table options), in order, each key once.
        options: Vec<(String, String)>,
        /// The name's position.
        loc: Loc,
    },
    /// `name FOR SYSTEM_TIME AS OF expr [AS] alias`: a versioned table as of a time (the right
    /// side of a temporal join, where `expr` is the left side's time attribute).
    Versioned {
        /// The table or view.
        name: ObjectName,
        /// The time the version is taken at.
        as_of: Expr,
        /// `[AS] alias`.
        alias: Option<TableAlias>,
        /// The name's position.
        loc: Loc,
    },
    /// `(query) [AS] alias`.
    Derived {
        /// The subquery.
        query: Box<Query>,
        /// `[AS] alias`.
        alias: Option<TableAlias>,
    },
    /// `TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), ...)) [AS] alias`: a window table-valued function.
    Window {
        /// The function.
        tvf: Box<WindowTvf>,
        /// `[AS] alias`.
        alias: Option<TableAlias>,
    },
    /// `UNNEST(collection) [WITH ORDINALITY] [AS] alias [(col, ...)]`: one row per element of
    /// an array or multiset, per entry of a map; correlated with the table on its left.
    Unnest {
        /// The collection.
        collection: Expr,
        /// `WITH ORDINALITY`: a last column numbering the elements from 1.
        with_ordinality: bool,
        /// `[AS] alias`.
        alias: Option<TableAlias>,
        /// The position of `UNNEST`.
        loc: Loc,
    },
    /// `left [kind] JOIN right [ON ..]`.
    Join {
        /// Left input.
        left: Box<TableRef>,
        /// Right input.
        right: Box<TableRef>,
        /// Inner, outer or cross.
        kind: JoinKind,
        /// `ON expr` (absent for cross joins).
        on: Option<Expr>,
    },
}

/// `alias [(col, ...)]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableAlias {
    /// The alias.
    pub name: Ident,
    /// Renamed columns.
    pub columns: Vec<Ident>,
}

/// The kind of a join.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinKind {
    /// `[INNER] JOIN`.
    Inner,
    /// `LEFT [OUTER] JOIN`.
    Left,
    /// `RIGHT [OUTER] JOIN`.
    Right,
    /// `FULL [OUTER] JOIN`.
    Full,
    /// `CROSS JOIN`.
    Cross,
}

/// A window table-valued function: Flink's `TUMBLE`, `HOP`, `CUMULATE` or `SESSION` over a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowTvf {
    /// The input table (`TABLE t`).
    pub table: ObjectName,
    /// `PARTITION BY` keys (only `SESSION` takes them).
    pub partition_by: Vec<Ident>,
    /// The time attribute column (`DESCRIPTOR(col)`).
    pub time_col: Ident,
    /// The window kind and its sizes.
    pub kind: WindowKind,
    /// Position of the function name.
    pub loc: Loc,
}

/// Which window, with its interval arguments (expressions, normally `INTERVAL` literals).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WindowKind {
    /// `TUMBLE(data, timecol, size [, offset])`.
    Tumble {
        /// Window size.
        size: Expr,
        /// Alignment offset.
        offset: Option<Expr>,
    },
    /// `HOP(data, timecol, slide, size [, offset])`.
    Hop {
        /// Slide.
        slide: Expr,
        /// Window size.
        size: Expr,
        /// Alignment offset.
        offset: Option<Expr>,
    },
    /// `CUMULATE(data, timecol, step, size [, offset])`.
    Cumulate {
        /// Step.
        step: Expr,
        /// Maximum window size.
        size: Expr,
        /// Alignment offset.
        offset: Option<Expr>,
    },
    /// `SESSION(data [PARTITION BY keys], timecol, gap)`.
    Session {
        /// Session gap.
        gap: Expr,
    },
}

impl WindowKind {
    /// Flink's function name.
    pub fn function_name(&self) -> &'static str {
        match self {
            WindowKind::Tumble { .. } => "TUMBLE",
            WindowKind::Hop { .. } => "HOP",
            WindowKind::Cumulate { .. } => "CUMULATE",
            WindowKind::Session { .. } => "SESSION",
        }
    }
}

/// `expr [ASC|DESC] [NULLS FIRST|LAST]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderBy {
    /// The expression.
    pub expr: Expr,
    /// `ASC` (true), `DESC` (false) or unspecified.
    pub asc: Option<bool>,
    /// `NULLS FIRST` (true), `NULLS LAST` (false) or unspecified.
    pub nulls_first: Option<bool>,
}

/// Writes `items` separated by `sep`.
fn comma_list<T: fmt::Display>(f: &mut fmt::Formatter<'_>, items: &[T], sep: &str) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}
