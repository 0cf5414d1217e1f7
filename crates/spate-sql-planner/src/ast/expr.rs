//! Scalar expressions and function calls, and how they print as Flink SQL.

use std::fmt;

use super::keyword_enums::{JsonExistsOnError, JsonKind, JsonQueryBehavior, JsonWrapper, TimeUnit, TrimSide};
use super::literal::Literal;
use super::operators::{BinaryOp, UnaryOp};
use super::{OrderBy, Query, comma_list};
use crate::ident::{Ident, ObjectName, Quoted};
use crate::types::DataType;

/// A scalar expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// A column reference: `a`, `t.a`, `t.row_col.field`.
    Column(Vec<Ident>),
    /// A literal.
    Literal(Literal),
    /// `INTERVAL 'value' unit [TO unit]`.
    Interval {
        /// The quoted value, verbatim (`'10'`, `'1 10:00'`, `'-5'`).
        value: String,
        /// The leading unit.
        unit: TimeUnit,
        /// The trailing unit of `DAY TO SECOND` and the like.
        to: Option<TimeUnit>,
    },
    /// A prefix operator.
    Unary {
        /// The operator.
        op: UnaryOp,
        /// The operand.
        expr: Box<Expr>,
    },
    /// An infix operator.
    Binary {
        /// Left operand.
        left: Box<Expr>,
        /// The operator.
        op: BinaryOp,
        /// Right operand.
        right: Box<Expr>,
    },
    /// A function call, built-in or user-defined, scalar or aggregate.
    Function(Function),
    /// `CAST(expr AS type)` / `TRY_CAST(..)`.
    Cast {
        /// The operand.
        expr: Box<Expr>,
        /// The target type.
        ty: DataType,
        /// `TRY_CAST` (NULL instead of an error).
        try_cast: bool,
    },
    /// `CASE [operand] WHEN .. THEN .. [ELSE ..] END`.
    Case {
        /// The simple-case operand.
        operand: Option<Box<Expr>>,
        /// `WHEN condition THEN result` pairs.
        whens: Vec<(Expr, Expr)>,
        /// `ELSE`.
        else_result: Option<Box<Expr>>,
    },
    /// `expr IS [NOT] NULL`.
    IsNull {
        /// The operand.
        expr: Box<Expr>,
        /// `NOT`.
        negated: bool,
    },
    /// `expr IS [NOT] UNKNOWN` (a NULL boolean).
    IsUnknown {
        /// The operand.
        expr: Box<Expr>,
        /// `NOT`.
        negated: bool,
    },
    /// `left IS [NOT] DISTINCT FROM right` (NULL-safe comparison).
    IsDistinctFrom {
        /// Left operand.
        left: Box<Expr>,
        /// Right operand.
        right: Box<Expr>,
        /// `NOT` (NULL-safe equality).
        negated: bool,
    },
    /// A time unit as a function argument: `TIMESTAMPADD(MINUTE, 5, ts)`,
    /// `TIMESTAMPDIFF(SECOND, a, b)`.
    Unit(TimeUnit),
    /// `expr IS [NOT] JSON [VALUE|SCALAR|ARRAY|OBJECT]`.
    IsJson {
        /// The text tested.
        expr: Box<Expr>,
        /// What kind of JSON value it must hold.
        kind: JsonKind,
        /// `NOT`.
        negated: bool,
    },
    /// `(start, end or interval) OVERLAPS (start, end or interval)`: the four operands in order.
    Overlaps(Vec<Expr>),
    /// `expr IS [NOT] TRUE|FALSE`.
    IsBool {
        /// The operand.
        expr: Box<Expr>,
        /// `TRUE` or `FALSE`.
        value: bool,
        /// `NOT`.
        negated: bool,
    },
    /// `expr [NOT] IN (list)`.
    InList {
        /// The operand.
        expr: Box<Expr>,
        /// The list.
        list: Vec<Expr>,
        /// `NOT`.
        negated: bool,
    },
    /// `expr [NOT] IN (subquery)`.
    InSubquery {
        /// The operand.
        expr: Box<Expr>,
        /// The subquery.
        query: Box<Query>,
        /// `NOT`.
        negated: bool,
    },
    /// `[NOT] EXISTS (subquery)`.
    Exists {
        /// The subquery.
        query: Box<Query>,
        /// `NOT`.
        negated: bool,
    },
    /// A scalar subquery `(SELECT ...)`.
    Subquery(Box<Query>),
    /// `expr [NOT] BETWEEN low AND high`.
    Between {
        /// The operand.
        expr: Box<Expr>,
        /// `NOT`.
        negated: bool,
        /// Lower bound.
        low: Box<Expr>,
        /// Upper bound.
        high: Box<Expr>,
    },
    /// `expr [NOT] LIKE pattern [ESCAPE 'c']`, `expr [NOT] SIMILAR TO pattern [ESCAPE 'c']`.
    Like {
        /// The operand.
        expr: Box<Expr>,
        /// `NOT`.
        negated: bool,
        /// `SIMILAR TO` rather than `LIKE`.
        similar: bool,
        /// The pattern.
        pattern: Box<Expr>,
        /// `ESCAPE`.
        escape: Option<String>,
    },
    /// `EXTRACT(unit FROM expr)`.
    Extract {
        /// The field.
        unit: TimeUnit,
        /// The operand.
        expr: Box<Expr>,
    },
    /// `POSITION(needle IN haystack)`.
    Position {
        /// What to find.
        needle: Box<Expr>,
        /// Where.
        haystack: Box<Expr>,
    },
    /// `OVERLAY(expr PLACING placing FROM from [FOR length])`.
    Overlay {
        /// The string written into.
        expr: Box<Expr>,
        /// What replaces the characters.
        placing: Box<Expr>,
        /// The first replaced character (from 1).
        from: Box<Expr>,
        /// How many characters are replaced (default: as many as `placing` has).
        length: Option<Box<Expr>>,
    },
    /// `JSON_OBJECT([KEY] key VALUE value, ... [NULL | ABSENT] ON NULL)`.
    JsonObject {
        /// The keys and their values.
        entries: Vec<(Expr, Expr)>,
        /// `ABSENT ON NULL`: entries whose value is `NULL` are left out (Flink's default for
        /// `JSON_OBJECT` is `NULL ON NULL`).
        absent_on_null: bool,
    },
    /// `JSON_EXISTS(json, path [{TRUE | FALSE | UNKNOWN | ERROR} ON ERROR])`.
    JsonExists {
        /// The JSON text.
        json: Box<Expr>,
        /// The path.
        path: Box<Expr>,
        /// What an error gives (default `FALSE`).
        on_error: JsonExistsOnError,
    },
    /// `JSON_QUERY(json, path [wrapper] [behavior ON EMPTY] [behavior ON ERROR])`.
    JsonQuery {
        /// The JSON text.
        json: Box<Expr>,
        /// The path.
        path: Box<Expr>,
        /// `WITHOUT`/`WITH [CONDITIONAL | UNCONDITIONAL] [ARRAY] WRAPPER`.
        wrapper: JsonWrapper,
        /// What an empty result gives (default `NULL`).
        on_empty: JsonQueryBehavior,
        /// What an error gives (default `NULL`).
        on_error: JsonQueryBehavior,
    },
    /// `JSON_ARRAY(value, ... [NULL | ABSENT] ON NULL)`.
    JsonArray {
        /// The elements.
        values: Vec<Expr>,
        /// `ABSENT ON NULL`: `NULL` values are left out (Flink's default for `JSON_ARRAY`).
        absent_on_null: bool,
    },
    /// `TRIM([BOTH|LEADING|TRAILING] [chars] FROM expr)` or `TRIM(expr)`.
    Trim {
        /// `BOTH`, `LEADING` or `TRAILING`.
        side: Option<TrimSide>,
        /// The characters to remove (default: spaces).
        chars: Option<Box<Expr>>,
        /// The operand.
        expr: Box<Expr>,
    },
    /// `FLOOR(expr TO unit)` / `CEIL(expr TO unit)` (plain `FLOOR(x)` is a [`Function`]).
    FloorCeil {
        /// `CEIL` (true) or `FLOOR`.
        ceil: bool,
        /// The operand.
        expr: Box<Expr>,
        /// The unit.
        unit: TimeUnit,
    },
    /// `ARRAY[a, b, ...]`.
    Array(Vec<Expr>),
    /// `MAP[k1, v1, k2, v2, ...]`: keys and values in turn (an even number of them).
    Map(Vec<Expr>),
    /// `expr[index]` (arrays are 1-based, maps by key).
    Index {
        /// The array or map.
        expr: Box<Expr>,
        /// The index or key.
        index: Box<Expr>,
    },
    /// `(expr)`, kept so the text round-trips.
    Nested(Box<Expr>),
    /// `*` as a function argument (`COUNT(*)`).
    Wildcard,
}

impl Expr {
    /// The expressions directly inside this one, to be rewritten in place: operands,
    /// arguments (and an aggregate's `FILTER`), not a subquery's expressions nor an `OVER`
    /// clause's keys.
    pub fn children_mut(&mut self) -> Vec<&mut Expr> {
        match self {
            Expr::Column(_)
            | Expr::Literal(_)
            | Expr::Interval { .. }
            | Expr::Unit(_)
            | Expr::Exists { .. }
            | Expr::Subquery(_)
            | Expr::Wildcard => Vec::new(),
            Expr::Unary { expr, .. }
            | Expr::Cast { expr, .. }
            | Expr::IsNull { expr, .. }
            | Expr::IsUnknown { expr, .. }
            | Expr::IsBool { expr, .. }
            | Expr::IsJson { expr, .. }
            | Expr::InSubquery { expr, .. }
            | Expr::Extract { expr, .. }
            | Expr::FloorCeil { expr, .. }
            | Expr::Nested(expr) => vec![&mut **expr],
            Expr::Binary { left, right, .. } | Expr::IsDistinctFrom { left, right, .. } => {
                vec![&mut **left, &mut **right]
            }
            Expr::Function(f) => f.args.iter_mut().chain(f.filter.as_deref_mut()).collect(),
            Expr::Case {
                operand,
                whens,
                else_result,
            } => operand
                .as_deref_mut()
                .into_iter()
                .chain(whens.iter_mut().flat_map(|(c, r)| [c, r]))
                .chain(else_result.as_deref_mut())
                .collect(),
            Expr::InList { expr, list, .. } => std::iter::once(&mut **expr).chain(list.iter_mut()).collect(),
            Expr::Between { expr, low, high, .. } => vec![&mut **expr, &mut **low, &mut **high],
            Expr::Like { expr, pattern, .. } => vec![&mut **expr, &mut **pattern],
            Expr::Position { needle, haystack } => vec![&mut **needle, &mut **haystack],
            Expr::Overlay {
                expr,
                placing,
                from,
                length,
            } => [&mut **expr, &mut **placing, &mut **from]
                .into_iter()
                .chain(length.as_deref_mut())
                .collect(),
            Expr::JsonObject { entries, .. } => entries.iter_mut().flat_map(|(k, v)| [k, v]).collect(),
            Expr::Overlaps(points) => points.iter_mut().collect(),
            Expr::JsonExists { json, path, .. } | Expr::JsonQuery { json, path, .. } => {
                vec![&mut **json, &mut **path]
            }
            Expr::JsonArray { values, .. } | Expr::Array(values) | Expr::Map(values) => {
                values.iter_mut().collect()
            }
            Expr::Trim { chars, expr, .. } => chars
                .as_deref_mut()
                .into_iter()
                .chain(std::iter::once(&mut **expr))
                .collect(),
            Expr::Index { expr, index } => vec![&mut **expr, &mut **index],
        }
    }

    /// The expression inside any parentheses written around it.
    pub fn without_parentheses(&self) -> &Expr {
        match self {
            Expr::Nested(inner) => inner.without_parentheses(),
            other => other,
        }
    }
}

/// A function call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Function {
    /// The name (built-ins as written, e.g. `COUNT`, `TUMBLE_START`, `PROCTIME`).
    pub name: ObjectName,
    /// Arguments.
    pub args: Vec<Expr>,
    /// `DISTINCT` (aggregates).
    pub distinct: bool,
    /// `FILTER (WHERE ..)` (aggregates).
    pub filter: Option<Box<Expr>>,
    /// `IGNORE NULLS` after the arguments (`ARRAY_AGG`).
    pub ignore_nulls: bool,
    /// Whether it was written with parentheses (`CURRENT_TIMESTAMP` is not).
    pub parens: bool,
    /// `OVER ..`: a window function or an aggregate over an `OVER` window.
    pub over: Option<Over>,
}

impl fmt::Display for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Function names are often keywords (COUNT, CURRENT_TIMESTAMP): a call site is no place
        // for a keyword to be mistaken, so plain words print unquoted.
        for (i, part) in self.name.0.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            if crate::ident::is_plain_word(part.as_str()) {
                f.write_str(part.as_str())?;
            } else {
                write!(f, "{part}")?;
            }
        }
        if !self.parens {
            return Ok(());
        }
        f.write_str("(")?;
        if self.distinct {
            f.write_str("DISTINCT ")?;
        }
        comma_list(f, &self.args, ", ")?;
        if self.ignore_nulls {
            f.write_str(" IGNORE NULLS")?;
        }
        f.write_str(")")?;
        if let Some(flt) = &self.filter {
            write!(f, " FILTER (WHERE {flt})")?;
        }
        if let Some(over) = &self.over {
            write!(f, " OVER {over}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let not = |n: bool| if n { "NOT " } else { "" };
        match self {
            Expr::Column(parts) => comma_list(f, parts, "."),
            Expr::Literal(l) => l.fmt(f),
            Expr::Interval { value, unit, to } => {
                write!(f, "INTERVAL {} {}", Quoted(value), unit.name())?;
                if let Some(to) = to {
                    write!(f, " TO {}", to.name())?;
                }
                Ok(())
            }
            Expr::Unary { op, expr } => match op {
                UnaryOp::Not => write!(f, "NOT {expr}"),
                UnaryOp::Minus => write!(f, "-{expr}"),
                UnaryOp::Plus => write!(f, "+{expr}"),
            },
            Expr::Binary { left, op, right } => write!(f, "{left} {} {right}", op.symbol()),
            Expr::Function(func) => func.fmt(f),
            Expr::Cast { expr, ty, try_cast } => {
                let name = if *try_cast { "TRY_CAST" } else { "CAST" };
                write!(f, "{name}({expr} AS {ty})")
            }
            Expr::Case {
                operand,
                whens,
                else_result,
            } => {
                f.write_str("CASE")?;
                if let Some(o) = operand {
                    write!(f, " {o}")?;
                }
                for (w, t) in whens {
                    write!(f, " WHEN {w} THEN {t}")?;
                }
                if let Some(e) = else_result {
                    write!(f, " ELSE {e}")?;
                }
                f.write_str(" END")
            }
            Expr::IsNull { expr, negated } => write!(f, "{expr} IS {}NULL", not(*negated)),
            Expr::IsUnknown { expr, negated } => write!(f, "{expr} IS {}UNKNOWN", not(*negated)),
            Expr::Overlaps(p) if p.len() == 4 => {
                write!(f, "({}, {}) OVERLAPS ({}, {})", p[0], p[1], p[2], p[3])
            }
            Expr::Overlaps(p) => {
                f.write_str("OVERLAPS(")?;
                comma_list(f, p, ", ")?;
                f.write_str(")")
            }
            Expr::IsJson { expr, kind, negated } => {
                write!(f, "{expr} IS {}JSON {}", not(*negated), kind.sql())
            }
            Expr::IsDistinctFrom { left, right, negated } => {
                write!(f, "{left} IS {}DISTINCT FROM {right}", not(*negated))
            }
            Expr::Unit(u) => f.write_str(u.name()),
            Expr::IsBool { expr, value, negated } => write!(
                f,
                "{expr} IS {}{}",
                not(*negated),
                if *value { "TRUE" } else { "FALSE" }
            ),
            Expr::InList { expr, list, negated } => {
                write!(f, "{expr} {}IN (", not(*negated))?;
                comma_list(f, list, ", ")?;
                f.write_str(")")
            }
            Expr::InSubquery { expr, query, negated } => write!(f, "{expr} {}IN ({query})", not(*negated)),
            Expr::Exists { query, negated } => write!(f, "{}EXISTS ({query})", not(*negated)),
            Expr::Subquery(q) => write!(f, "({q})"),
            Expr::Between {
                expr,
                negated,
                low,
                high,
            } => write!(f, "{expr} {}BETWEEN {low} AND {high}", not(*negated)),
            Expr::Like {
                expr,
                negated,
                similar,
                pattern,
                escape,
            } => {
                let op = if *similar { "SIMILAR TO" } else { "LIKE" };
                write!(f, "{expr} {}{op} {pattern}", not(*negated))?;
                if let Some(e) = escape {
                    write!(f, " ESCAPE {}", Quoted(e))?;
                }
                Ok(())
            }
            Expr::Extract { unit, expr } => write!(f, "EXTRACT({} FROM {expr})", unit.name()),
            Expr::Position { needle, haystack } => write!(f, "POSITION({needle} IN {haystack})"),
            Expr::JsonObject {
                entries,
                absent_on_null,
            } => {
                f.write_str("JSON_OBJECT(")?;
                for (i, (k, v)) in entries.iter().enumerate() {
                    let sep = if i == 0 { "" } else { ", " };
                    write!(f, "{sep}KEY {k} VALUE {v}")?;
                }
                if !entries.is_empty() {
                    f.write_str(" ")?;
                }
                f.write_str(if *absent_on_null {
                    "ABSENT ON NULL)"
                } else {
                    "NULL ON NULL)"
                })
            }
            Expr::JsonExists { json, path, on_error } => {
                write!(f, "JSON_EXISTS({json}, {path} {} ON ERROR)", on_error.sql())
            }
            Expr::JsonQuery {
                json,
                path,
                wrapper,
                on_empty,
                on_error,
            } => write!(
                f,
                "JSON_QUERY({json}, {path} {} {} ON EMPTY {} ON ERROR)",
                wrapper.sql(),
                on_empty.sql(),
                on_error.sql()
            ),
            Expr::JsonArray {
                values,
                absent_on_null,
            } => {
                f.write_str("JSON_ARRAY(")?;
                for (i, v) in values.iter().enumerate() {
                    let sep = if i == 0 { "" } else { ", " };
                    write!(f, "{sep}{v}")?;
                }
                if !values.is_empty() {
                    f.write_str(" ")?;
                }
                f.write_str(if *absent_on_null {
                    "ABSENT ON NULL)"
                } else {
                    "NULL ON NULL)"
                })
            }
            Expr::Overlay {
                expr,
                placing,
                from,
                length,
            } => {
                write!(f, "OVERLAY({expr} PLACING {placing} FROM {from}")?;
                if let Some(l) = length {
                    write!(f, " FOR {l}")?;
                }
                f.write_str(")")
            }
            Expr::Trim { side, chars, expr } => {
                f.write_str("TRIM(")?;
                match side {
                    Some(TrimSide::Both) => f.write_str("BOTH ")?,
                    Some(TrimSide::Leading) => f.write_str("LEADING ")?,
                    Some(TrimSide::Trailing) => f.write_str("TRAILING ")?,
                    None => {}
                }
                if let Some(c) = chars {
                    write!(f, "{c} ")?;
                }
                if side.is_some() || chars.is_some() {
                    f.write_str("FROM ")?;
                }
                write!(f, "{expr})")
            }
            Expr::FloorCeil { ceil, expr, unit } => write!(
                f,
                "{}({expr} TO {})",
                if *ceil { "CEIL" } else { "FLOOR" },
                unit.name()
            ),
            Expr::Array(items) => {
                f.write_str("ARRAY[")?;
                comma_list(f, items, ", ")?;
                f.write_str("]")
            }
            Expr::Map(items) => {
                f.write_str("MAP[")?;
                comma_list(f, items, ", ")?;
                f.write_str("]")
            }
            Expr::Index { expr, index } => write!(f, "{expr}[{index}]"),
            Expr::Nested(e) => write!(f, "({e})"),
            Expr::Wildcard => f.write_str("*"),
        }
    }
}

// `OVER` windows: the window a window function (`ROW_NUMBER()`, `LAG(x)`) or an aggregate
// written `agg(..) OVER (..)` is computed over, in place or named in a `WINDOW` clause.

/// What follows `OVER`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Over {
    /// `OVER w`: a window of the query's `WINDOW` clause.
    Named(Ident),
    /// `OVER (PARTITION BY .. ORDER BY .. frame)`.
    Window(WindowDef),
}

/// `(PARTITION BY .. ORDER BY .. [ROWS|RANGE ..])`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WindowDef {
    /// `PARTITION BY` expressions.
    pub partition_by: Vec<Expr>,
    /// `ORDER BY` items.
    pub order_by: Vec<OrderBy>,
    /// The frame, when written (SQL's default otherwise: `RANGE BETWEEN UNBOUNDED PRECEDING AND
    /// CURRENT ROW`).
    pub frame: Option<WindowFrame>,
}

/// `ROWS|RANGE BETWEEN start AND end`, or `ROWS|RANGE start` (`end` is then `CURRENT ROW`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowFrame {
    /// `ROWS` or `RANGE`.
    pub units: FrameUnits,
    /// The frame's first row.
    pub start: FrameBound,
    /// The frame's last row.
    pub end: FrameBound,
}

/// How a frame's bounds count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameUnits {
    /// By rows.
    Rows,
    /// By the `ORDER BY` value (an interval on a time attribute).
    Range,
}

/// One end of a frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameBound {
    /// `UNBOUNDED PRECEDING`.
    UnboundedPreceding,
    /// `n PRECEDING` / `INTERVAL '..' .. PRECEDING`.
    Preceding(Box<Expr>),
    /// `CURRENT ROW`.
    CurrentRow,
    /// `n FOLLOWING`.
    Following(Box<Expr>),
    /// `UNBOUNDED FOLLOWING`.
    UnboundedFollowing,
}

impl fmt::Display for Over {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Over::Named(name) => write!(f, "{name}"),
            Over::Window(w) => write!(f, "({w})"),
        }
    }
}

impl fmt::Display for WindowDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sep = "";
        if !self.partition_by.is_empty() {
            f.write_str("PARTITION BY ")?;
            comma_list(f, &self.partition_by, ", ")?;
            sep = " ";
        }
        if !self.order_by.is_empty() {
            write!(f, "{sep}ORDER BY ")?;
            comma_list(f, &self.order_by, ", ")?;
            sep = " ";
        }
        if let Some(frame) = &self.frame {
            write!(f, "{sep}{frame}")?;
        }
        Ok(())
    }
}

impl fmt::Display for WindowFrame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let units = match self.units {
            FrameUnits::Rows => "ROWS",
            FrameUnits::Range => "RANGE",
        };
        write!(f, "{units} BETWEEN {} AND {}", self.start, self.end)
    }
}

impl fmt::Display for FrameBound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameBound::UnboundedPreceding => f.write_str("UNBOUNDED PRECEDING"),
            FrameBound::Preceding(n) => write!(f, "{n} PRECEDING"),
            FrameBound::CurrentRow => f.write_str("CURRENT ROW"),
            FrameBound::Following(n) => write!(f, "{n} FOLLOWING"),
            FrameBound::UnboundedFollowing => f.write_str("UNBOUNDED FOLLOWING"),
        }
    }
}
