//! The scalar functions and operators a [`BoundExpr`](super::BoundExpr) can call.
//!
//! The binder has already checked and converted the arguments, so each variant documents the
//! argument types it receives. Most functions are *strict* (a `NULL` argument gives `NULL`
//! without calling the function); [`ScalarFunc::is_strict`] says which are not.

use std::fmt;
use std::sync::Arc;

use super::arith_op::ArithOp;
pub use super::functions::{ArrayFunc, JsonPath, MathFunc, StringFunc, TimeFunc};

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `=`.
    Eq,
    /// `<>`.
    NotEq,
    /// `<`.
    Lt,
    /// `<=`.
    LtEq,
    /// `>`.
    Gt,
    /// `>=`.
    GtEq,
}

impl CmpOp {
    /// Whether the comparison holds for operands ordered `o`.
    pub fn holds(self, o: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering;
        match self {
            CmpOp::Eq => o == Ordering::Equal,
            CmpOp::NotEq => o != Ordering::Equal,
            CmpOp::Lt => o == Ordering::Less,
            CmpOp::LtEq => o != Ordering::Greater,
            CmpOp::Gt => o == Ordering::Greater,
            CmpOp::GtEq => o != Ordering::Less,
        }
    }
}

/// A regular expression compiled once at bind time (from a constant pattern). Compares by its
/// source text so bound expressions stay comparable.
#[derive(Clone)]
pub struct Compiled(pub Arc<regex::Regex>);

impl PartialEq for Compiled {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_str() == other.0.as_str()
    }
}

impl fmt::Debug for Compiled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "/{}/", self.0.as_str())
    }
}

/// A built-in scalar function or operator.
#[derive(Debug, Clone, PartialEq)]
pub enum ScalarFunc {
    /// A user-defined function written in Rust.
    Udf(std::sync::Arc<super::udf::ScalarUdf>),
    /// `NOT a`.
    Not,
    /// `a AND b AND ...` (three-valued).
    And,
    /// `a OR b OR ...` (three-valued).
    Or,
    /// `a IS NULL` (also `IS UNKNOWN`).
    IsNull,
    /// `a IS NOT NULL` (also `IS NOT UNKNOWN`).
    IsNotNull,
    /// `a IS [NOT] TRUE|FALSE`: never `NULL`.
    IsBool {
        /// `TRUE` or `FALSE`.
        value: bool,
        /// `NOT`.
        negated: bool,
    },
    /// `a IS [NOT] DISTINCT FROM b` on two values of one type: `NULL` equals `NULL`.
    IsDistinctFrom {
        /// `NOT` (NULL-safe equality).
        negated: bool,
    },
    /// A comparison of two values of one comparable type.
    Compare(CmpOp),
    /// Arithmetic; see [`ArithOp`].
    Arith(ArithOp),
    /// Unary minus.
    Negate,
    /// `CAST(a AS to)`; `try_cast` for `TRY_CAST` (NULL instead of an error).
    Cast {
        /// Whether a failed cast is `NULL` rather than an error.
        try_cast: bool,
    },
    /// `CASE WHEN c1 THEN r1 ... ELSE e END`: arguments are `c1, r1, c2, r2, ..., e`.
    Case,
    /// `COALESCE(a, b, ...)`.
    Coalesce,
    /// `NULLIF(a, b)`: `NULL` when `a = b`, else `a`.
    NullIf,
    /// `GREATEST(a, ...)` (`NULL` if any argument is).
    Greatest,
    /// `LEAST(a, ...)` (`NULL` if any argument is).
    Least,
    /// `a || b`, `CONCAT(a, ...)` on strings (`NULL` if any argument is).
    Concat,
    /// `CONCAT_WS(sep, a, ...)`: skips `NULL` arguments; `NULL` only for a `NULL` separator.
    ConcatWs,
    /// `a [NOT] LIKE pattern [ESCAPE c]` and `a [NOT] SIMILAR TO pattern [ESCAPE c]`:
    /// arguments are `a, pattern`.
    Like {
        /// `NOT LIKE`.
        negated: bool,
        /// `SIMILAR TO` (a SQL regular expression) rather than `LIKE`.
        similar: bool,
        /// The `ESCAPE` character.
        escape: Option<char>,
        /// The pattern compiled at bind time when it is a constant.
        compiled: Option<Compiled>,
    },
    /// `REGEXP(s, pattern)`, `REGEXP_EXTRACT(s, pattern[, group])`,
    /// `REGEXP_REPLACE(s, pattern, replacement)`: the pattern is the second argument.
    Regex {
        /// Which of the three.
        kind: RegexKind,
        /// The pattern compiled at bind time when it is a constant.
        compiled: Option<Compiled>,
    },
    /// A string function.
    String(StringFunc),
    /// A date/time function.
    Time(TimeFunc),
    /// A numeric function.
    Math(MathFunc),
    /// `JSON_VALUE(json, path)` with a path parsed at bind time.
    JsonValue(JsonPath),
    /// `JSON_STRING(value)`: the value as JSON text.
    JsonString,
    /// `JSON_EXISTS(json, path ...)` with a path parsed at bind time.
    JsonExists {
        /// The path.
        path: JsonPath,
        /// What an error gives.
        on_error: crate::ast::JsonExistsOnError,
    },
    /// `text IS [NOT] JSON kind`: `FALSE` (`TRUE` negated) for `NULL` text.
    IsJson {
        /// What kind of JSON value the text must hold.
        kind: crate::ast::JsonKind,
        /// `IS NOT JSON`.
        negated: bool,
    },
    /// `JSON_QUERY(json, path ...)` with a path parsed at bind time.
    JsonQuery {
        /// The path.
        path: JsonPath,
        /// The wrapper clause.
        wrapper: crate::ast::JsonWrapper,
        /// What an empty result gives.
        on_empty: crate::ast::JsonQueryBehavior,
        /// What an error gives.
        on_error: crate::ast::JsonQueryBehavior,
    },
    /// `JSON_OBJECT`: arguments are the keys and values in turn.
    JsonObject {
        /// `ABSENT ON NULL`: entries with a `NULL` value are left out.
        absent_on_null: bool,
        /// Per value: a nested `JSON_OBJECT`/`JSON_ARRAY`, inserted as JSON, not as a string.
        raw: Vec<bool>,
    },
    /// `JSON_ARRAY` of the arguments.
    JsonArray {
        /// `ABSENT ON NULL`: `NULL` values are left out.
        absent_on_null: bool,
        /// Per value: a nested `JSON_OBJECT`/`JSON_ARRAY`, inserted as JSON, not as a string.
        raw: Vec<bool>,
    },
    /// `ARRAY[a, ...]`.
    ArrayCtor,
    /// `ROW(a, ...)`.
    RowCtor,
    /// `MAP[k1, v1, ...]`.
    MapCtor,
    /// `array[i]` (1-based; `NULL` out of bounds) or `map[key]`.
    Index,
    /// `CARDINALITY(array or map)`.
    Cardinality,
    /// `ARRAY_CONTAINS(array, value)`, the value already of the element type: `NULL` for a
    /// `NULL` array, and a `NULL` value is found where the array holds one.
    ArrayContains,
    /// An array or map function of Flink's list (`ARRAY_SORT`, `MAP_KEYS`, ...); it looks at
    /// `NULL` arguments itself (`ARRAY_APPEND(a, NULL)` appends one).
    Array(ArrayFunc),
    /// The `index`th field of a `ROW` value.
    Field(usize),
    /// `CURRENT_WATERMARK(rowtime)`: the operator's current watermark, NULL before the first.
    CurrentWatermark,
    /// `PROCTIME()`: the processing time when the row is evaluated.
    Proctime,
    /// `CURRENT_TIMESTAMP`, `NOW()`: processing time as `TIMESTAMP_LTZ(3)`.
    CurrentTimestamp,
    /// `LOCALTIMESTAMP`: processing time as `TIMESTAMP(3)` (the session zone's wall clock).
    LocalTimestamp,
    /// `CURRENT_DATE`: the processing time's date in the session zone.
    CurrentDate,
    /// `CURRENT_TIME`, `LOCALTIME`: the processing time's time of day in the session zone.
    CurrentTime,
    /// `UNIX_TIMESTAMP()`: processing time in epoch seconds.
    UnixTimestampNow,
    /// `RAND()`: a pseudo-random `DOUBLE` in `[0, 1)` derived from the processing time and the
    /// row (not a seeded Java sequence).
    Rand,
    /// `UUID()`: a random (version 4) UUID as text.
    Uuid,
}

/// The regular-expression functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegexKind {
    /// `REGEXP(s, p)`: whether `p` matches a part of `s`.
    Matches,
    /// `REGEXP_EXTRACT(s, p[, group])`: the group (default 0, the whole match) of the first
    /// match.
    Extract,
    /// `REGEXP_REPLACE(s, p, r)`: every match replaced by the literal text `r`.
    Replace,
    /// `REGEXP_COUNT(s, p)`: the number of matches.
    Count,
    /// `REGEXP_INSTR(s, p)`: the 1-based position of the first match, 0 without one.
    Instr,
    /// `REGEXP_SUBSTR(s, p)`: the first match, `NULL` without one.
    Substr,
    /// `REGEXP_EXTRACT_ALL(s, p[, group])`: the group (default 1) of every match.
    ExtractAll,
}

impl ScalarFunc {
    /// Whether the function's value depends on something other than its arguments (time,
    /// watermark, randomness), so it is never folded into a constant.
    pub fn is_deterministic(&self) -> bool {
        !matches!(
            self,
            ScalarFunc::CurrentWatermark
                | ScalarFunc::Proctime
                | ScalarFunc::CurrentTimestamp
                | ScalarFunc::LocalTimestamp
                | ScalarFunc::CurrentDate
                | ScalarFunc::CurrentTime
                | ScalarFunc::UnixTimestampNow
                | ScalarFunc::Rand
                | ScalarFunc::Uuid
        )
    }

    /// Whether a `NULL` argument makes the result `NULL` without calling the function.
    pub fn is_strict(&self) -> bool {
        match self {
            ScalarFunc::And
            | ScalarFunc::Or
            | ScalarFunc::IsNull
            | ScalarFunc::IsNotNull
            | ScalarFunc::IsBool { .. }
            | ScalarFunc::IsDistinctFrom { .. }
            | ScalarFunc::Case
            | ScalarFunc::Coalesce
            | ScalarFunc::NullIf
            | ScalarFunc::ConcatWs
            | ScalarFunc::ArrayCtor
            | ScalarFunc::RowCtor
            | ScalarFunc::MapCtor
            | ScalarFunc::ArrayContains
            | ScalarFunc::Array(_)
            | ScalarFunc::JsonObject { .. }
            | ScalarFunc::JsonArray { .. }
            | ScalarFunc::IsJson { .. }
            | ScalarFunc::CurrentWatermark => false,
            ScalarFunc::String(f) => f.is_strict(),
            ScalarFunc::Time(f) => f.is_strict(),
            _ => true,
        }
    }
}
