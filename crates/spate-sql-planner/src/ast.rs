//! Spate's SQL IR: what a Flink SQL statement says, in Spate's own types.
//!
//! The parser ([`crate::parse`]) converts sqlparser's AST into these types right after parsing;
//! nothing outside `parser/` sees a sqlparser type. Every node prints back as Flink SQL
//! (`Display`), and parsing that text gives an equal IR (the round-trip property the tests check).
//! Source positions ([`Loc`]) ride along on the nodes errors point at and never take part in
//! equality.

use std::fmt::{self, Display};

use crate::ident::Quoted;
pub use crate::ident::{Ident, Loc, ObjectName};
use crate::types::DataType;

/// One statement of a Flink SQL script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Statement {
    /// `CREATE [TEMPORARY] TABLE [IF NOT EXISTS] ...`.
    CreateTable(CreateTable),
    /// `CREATE [TEMPORARY] VIEW [IF NOT EXISTS] v [(cols)] [COMMENT '..'] AS query`.
    CreateView(CreateView),
    /// `INSERT INTO t [(cols)] query`.
    Insert(Insert),
    /// `EXECUTE STATEMENT SET BEGIN insert; ... END` (or `BEGIN STATEMENT SET; ... END`): the
    /// inserts run as one job.
    StatementSet(Vec<Insert>),
    /// `SET 'key' = 'value'`, or `SET` alone (list the settings).
    Set(Option<(String, String)>),
    /// `RESET 'key'`, or `RESET` alone (all keys).
    Reset(Option<String>),
    /// `EXPLAIN [PLAN FOR | detail, ...] statement`.
    Explain(Explain),
    /// `SHOW TABLES`.
    ShowTables,
    /// `DESCRIBE t` / `DESC t`.
    Describe(ObjectName),
    /// `DROP [TEMPORARY] TABLE [IF EXISTS] t`.
    DropTable(Drop),
    /// `DROP [TEMPORARY] VIEW [IF EXISTS] v`.
    DropView(Drop),
    /// A query on its own (`SELECT ...`, `WITH ...`, `VALUES ...`).
    Select(Query),
}

/// `CREATE TABLE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateTable {
    /// `TEMPORARY`.
    pub temporary: bool,
    /// `IF NOT EXISTS`.
    pub if_not_exists: bool,
    /// The table's schema and options.
    pub table: TableDef,
}

/// A table's definition: what `CREATE TABLE` declares and the catalog keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDef {
    /// The table's name.
    pub name: ObjectName,
    /// Columns in declaration order (physical, computed and metadata).
    pub columns: Vec<Column>,
    /// `WATERMARK FOR col AS expr`.
    pub watermark: Option<Watermark>,
    /// `PRIMARY KEY (..) NOT ENFORCED` (table- or column-level).
    pub primary_key: Option<PrimaryKey>,
    /// `COMMENT '..'` after the column list.
    pub comment: Option<String>,
    /// `PARTITIONED BY (..)`.
    pub partitioned_by: Vec<Ident>,
    /// `WITH ('k' = 'v', ...)`, in order.
    pub options: Vec<TableOption>,
    /// The table name's position.
    pub loc: Loc,
}

impl TableDef {
    /// The column with this name.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name.as_str() == name)
    }

    /// The value of option `key` (the last one if it is given twice, as in Flink).
    pub fn option(&self, key: &str) -> Option<&str> {
        self.options
            .iter()
            .rfind(|o| o.key == key)
            .map(|o| o.value.as_str())
    }
}

/// One column of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// The column's name.
    pub name: Ident,
    /// Physical, computed or metadata.
    pub kind: ColumnKind,
    /// `COMMENT '..'`.
    pub comment: Option<String>,
    /// The name's position.
    pub loc: Loc,
}

/// What kind of column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnKind {
    /// `c TYPE [NOT NULL]`: read from and written to the connector.
    Physical(DataType),
    /// `c AS expr`: computed from the other columns, never written.
    Computed(Expr),
    /// `c TYPE METADATA [FROM 'key'] [VIRTUAL]`: connector metadata (e.g. Kafka's `timestamp`);
    /// the key defaults to the column name; `VIRTUAL` columns are read-only.
    Metadata {
        /// The column's type.
        ty: DataType,
        /// `FROM 'key'`.
        key: Option<String>,
        /// `VIRTUAL`.
        is_virtual: bool,
    },
}

/// `WATERMARK FOR column AS expr`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watermark {
    /// The rowtime column.
    pub column: Ident,
    /// The watermark strategy expression (e.g. `ts - INTERVAL '5' SECOND`).
    pub expr: Expr,
    /// Position of the column name after `FOR`.
    pub loc: Loc,
}

/// `[CONSTRAINT name] PRIMARY KEY (cols) NOT ENFORCED`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrimaryKey {
    /// `CONSTRAINT name`.
    pub name: Option<Ident>,
    /// The key's columns.
    pub columns: Vec<Ident>,
    /// Position of `PRIMARY` (or `CONSTRAINT`).
    pub loc: Loc,
}

/// One `'key' = 'value'` of a `WITH` clause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableOption {
    /// The option's name, verbatim.
    pub key: String,
    /// Its value, verbatim.
    pub value: String,
    /// Position of the key.
    pub loc: Loc,
}

/// `CREATE VIEW`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateView {
    /// `TEMPORARY`.
    pub temporary: bool,
    /// `IF NOT EXISTS`.
    pub if_not_exists: bool,
    /// The view's name.
    pub name: ObjectName,
    /// `(a, b)` column names.
    pub columns: Vec<Ident>,
    /// `COMMENT '..'`.
    pub comment: Option<String>,
    /// The view's query.
    pub query: Query,
    /// The name's position.
    pub loc: Loc,
}

/// `INSERT INTO t [(cols)] query`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Insert {
    /// The target table.
    pub table: ObjectName,
    /// Explicit target columns.
    pub columns: Vec<Ident>,
    /// The rows.
    pub query: Query,
    /// The table name's position.
    pub loc: Loc,
}

/// `EXPLAIN`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explain {
    /// Flink's explain details (`ESTIMATED_COST`, `CHANGELOG_MODE`, `JSON_EXECUTION_PLAN`,
    /// `PLAN_ADVICE`), upper case.
    pub details: Vec<String>,
    /// The explained statement: a query, an insert or a statement set.
    pub statement: Box<Statement>,
}

/// `DROP TABLE` / `DROP VIEW`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drop {
    /// `TEMPORARY`.
    pub temporary: bool,
    /// `IF EXISTS`.
    pub if_exists: bool,
    /// What to drop.
    pub name: ObjectName,
    /// The name's position.
    pub loc: Loc,
}

// ---------------------------------------------------------------------------------------------
// Queries

/// A query: `[WITH ...] body [ORDER BY ...] [LIMIT n]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// Common table expressions.
    pub with: Vec<Cte>,
    /// `SELECT`, a set operation, `VALUES` or a parenthesized query.
    pub body: SetExpr,
    /// `ORDER BY`.
    pub order_by: Vec<OrderBy>,
    /// `LIMIT`.
    pub limit: Option<Expr>,
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
    /// `GROUP BY` expressions (window TVF columns, legacy `TUMBLE(..)` group windows, keys).
    pub group_by: Vec<Expr>,
    /// `HAVING`.
    pub having: Option<Expr>,
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

// ---------------------------------------------------------------------------------------------
// Expressions

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
    /// `expr [NOT] LIKE pattern [ESCAPE 'c']` (`SIMILAR TO` is not supported).
    Like {
        /// The operand.
        expr: Box<Expr>,
        /// `NOT`.
        negated: bool,
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
    /// Whether it was written with parentheses (`CURRENT_TIMESTAMP` is not).
    pub parens: bool,
}

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

/// Units of `INTERVAL`, `EXTRACT`, `FLOOR .. TO` and `TIMESTAMPADD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeUnit {
    /// `YEAR`.
    Year,
    /// `QUARTER`.
    Quarter,
    /// `MONTH`.
    Month,
    /// `WEEK`.
    Week,
    /// `DAY`.
    Day,
    /// `HOUR`.
    Hour,
    /// `MINUTE`.
    Minute,
    /// `SECOND`.
    Second,
    /// `MILLISECOND`.
    Millisecond,
    /// `MICROSECOND`.
    Microsecond,
    /// `NANOSECOND`.
    Nanosecond,
    /// `DOW`.
    DayOfWeek,
    /// `DOY`.
    DayOfYear,
    /// `EPOCH`.
    Epoch,
    /// `DECADE`: the year divided by 10, rounded down.
    Decade,
    /// `CENTURY`: 21 for 2001 to 2100.
    Century,
    /// `MILLENNIUM`: 3 for 2001 to 3000.
    Millennium,
    /// `ISODOW`: Monday 1 to Sunday 7.
    IsoDayOfWeek,
    /// `ISOYEAR`: the ISO 8601 week-based year.
    IsoYear,
}

impl TimeUnit {
    /// The unit's SQL name.
    pub fn name(self) -> &'static str {
        match self {
            TimeUnit::Year => "YEAR",
            TimeUnit::Quarter => "QUARTER",
            TimeUnit::Month => "MONTH",
            TimeUnit::Week => "WEEK",
            TimeUnit::Day => "DAY",
            TimeUnit::Hour => "HOUR",
            TimeUnit::Minute => "MINUTE",
            TimeUnit::Second => "SECOND",
            TimeUnit::Millisecond => "MILLISECOND",
            TimeUnit::Microsecond => "MICROSECOND",
            TimeUnit::Nanosecond => "NANOSECOND",
            TimeUnit::DayOfWeek => "DOW",
            TimeUnit::DayOfYear => "DOY",
            TimeUnit::Epoch => "EPOCH",
            TimeUnit::Decade => "DECADE",
            TimeUnit::Century => "CENTURY",
            TimeUnit::Millennium => "MILLENNIUM",
            TimeUnit::IsoDayOfWeek => "ISODOW",
            TimeUnit::IsoYear => "ISOYEAR",
        }
    }
}

/// `JSON_EXISTS`' `ON ERROR` behavior.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonExistsOnError {
    /// `TRUE ON ERROR`.
    True,
    /// `FALSE ON ERROR` (the default).
    False,
    /// `UNKNOWN ON ERROR`: `NULL`.
    Unknown,
    /// `ERROR ON ERROR`: the error fails the job.
    Error,
}

impl JsonExistsOnError {
    /// The SQL words before `ON ERROR`.
    pub fn sql(self) -> &'static str {
        match self {
            JsonExistsOnError::True => "TRUE",
            JsonExistsOnError::False => "FALSE",
            JsonExistsOnError::Unknown => "UNKNOWN",
            JsonExistsOnError::Error => "ERROR",
        }
    }
}

/// `JSON_QUERY`'s wrapper clause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonWrapper {
    /// `WITHOUT [ARRAY] WRAPPER` (the default): a scalar result is an error.
    Without,
    /// `WITH CONDITIONAL [ARRAY] WRAPPER`: a result that is no array is wrapped in one.
    Conditional,
    /// `WITH [UNCONDITIONAL] [ARRAY] WRAPPER`: every result is wrapped in an array.
    Unconditional,
}

impl JsonWrapper {
    /// The clause's SQL.
    pub fn sql(self) -> &'static str {
        match self {
            JsonWrapper::Without => "WITHOUT ARRAY WRAPPER",
            JsonWrapper::Conditional => "WITH CONDITIONAL ARRAY WRAPPER",
            JsonWrapper::Unconditional => "WITH UNCONDITIONAL ARRAY WRAPPER",
        }
    }
}

/// `JSON_QUERY`'s `ON EMPTY` / `ON ERROR` behaviors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonQueryBehavior {
    /// `NULL` (the default).
    Null,
    /// `EMPTY ARRAY`: `[]`.
    EmptyArray,
    /// `EMPTY OBJECT`: `{}`.
    EmptyObject,
    /// `ERROR`: fails the job.
    Error,
}

impl JsonQueryBehavior {
    /// The SQL words before `ON EMPTY`/`ON ERROR`.
    pub fn sql(self) -> &'static str {
        match self {
            JsonQueryBehavior::Null => "NULL",
            JsonQueryBehavior::EmptyArray => "EMPTY ARRAY",
            JsonQueryBehavior::EmptyObject => "EMPTY OBJECT",
            JsonQueryBehavior::Error => "ERROR",
        }
    }
}

/// `TRIM` side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrimSide {
    /// `BOTH`.
    Both,
    /// `LEADING`.
    Leading,
    /// `TRAILING`.
    Trailing,
}

/// Prefix operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    /// `NOT`.
    Not,
    /// `-`.
    Minus,
    /// `+`.
    Plus,
}

/// Infix operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    /// `+`.
    Plus,
    /// `-`.
    Minus,
    /// `*`.
    Multiply,
    /// `/`.
    Divide,
    /// `%`.
    Modulo,
    /// `||`.
    Concat,
    /// `=`.
    Eq,
    /// `<>` (also written `!=`).
    NotEq,
    /// `<`.
    Lt,
    /// `<=`.
    LtEq,
    /// `>`.
    Gt,
    /// `>=`.
    GtEq,
    /// `AND`.
    And,
    /// `OR`.
    Or,
}

impl BinaryOp {
    /// The operator's SQL spelling.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Plus => "+",
            BinaryOp::Minus => "-",
            BinaryOp::Multiply => "*",
            BinaryOp::Divide => "/",
            BinaryOp::Modulo => "%",
            BinaryOp::Concat => "||",
            BinaryOp::Eq => "=",
            BinaryOp::NotEq => "<>",
            BinaryOp::Lt => "<",
            BinaryOp::LtEq => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::GtEq => ">=",
            BinaryOp::And => "AND",
            BinaryOp::Or => "OR",
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Printing as Flink SQL

fn comma_list<T: fmt::Display>(f: &mut fmt::Formatter<'_>, items: &[T], sep: &str) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}

impl fmt::Display for Statement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Statement::CreateTable(c) => c.fmt(f),
            Statement::CreateView(v) => v.fmt(f),
            Statement::Insert(i) => i.fmt(f),
            Statement::StatementSet(inserts) => {
                f.write_str("EXECUTE STATEMENT SET\nBEGIN\n")?;
                for i in inserts {
                    writeln!(f, "{i};")?;
                }
                f.write_str("END")
            }
            Statement::Set(None) => f.write_str("SET"),
            Statement::Set(Some((k, v))) => write!(f, "SET {} = {}", Quoted(k), Quoted(v)),
            Statement::Reset(None) => f.write_str("RESET"),
            Statement::Reset(Some(k)) => write!(f, "RESET {}", Quoted(k)),
            Statement::Explain(e) => {
                f.write_str("EXPLAIN ")?;
                if !e.details.is_empty() {
                    comma_list(f, &e.details, ", ")?;
                    f.write_str(" ")?;
                }
                e.statement.fmt(f)
            }
            Statement::ShowTables => f.write_str("SHOW TABLES"),
            Statement::Describe(n) => write!(f, "DESCRIBE {n}"),
            Statement::DropTable(d) => write_drop(f, "TABLE", d),
            Statement::DropView(d) => write_drop(f, "VIEW", d),
            Statement::Select(q) => q.fmt(f),
        }
    }
}

fn write_drop(f: &mut fmt::Formatter<'_>, what: &str, d: &Drop) -> fmt::Result {
    f.write_str("DROP ")?;
    if d.temporary {
        f.write_str("TEMPORARY ")?;
    }
    write!(f, "{what} ")?;
    if d.if_exists {
        f.write_str("IF EXISTS ")?;
    }
    write!(f, "{}", d.name)
}

impl fmt::Display for CreateTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CREATE ")?;
        if self.temporary {
            f.write_str("TEMPORARY ")?;
        }
        f.write_str("TABLE ")?;
        if self.if_not_exists {
            f.write_str("IF NOT EXISTS ")?;
        }
        self.table.fmt(f)
    }
}

impl fmt::Display for TableDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (", self.name)?;
        let mut first = true;
        let mut sep = |f: &mut fmt::Formatter<'_>| -> fmt::Result {
            f.write_str(if first { "\n  " } else { ",\n  " })?;
            first = false;
            Ok(())
        };
        for c in &self.columns {
            sep(f)?;
            c.fmt(f)?;
        }
        if let Some(w) = &self.watermark {
            sep(f)?;
            write!(f, "WATERMARK FOR {} AS {}", w.column, w.expr)?;
        }
        if let Some(pk) = &self.primary_key {
            sep(f)?;
            if let Some(n) = &pk.name {
                write!(f, "CONSTRAINT {n} ")?;
            }
            f.write_str("PRIMARY KEY (")?;
            comma_list(f, &pk.columns, ", ")?;
            f.write_str(") NOT ENFORCED")?;
        }
        f.write_str("\n)")?;
        if let Some(c) = &self.comment {
            write!(f, " COMMENT {}", Quoted(c))?;
        }
        if !self.partitioned_by.is_empty() {
            f.write_str(" PARTITIONED BY (")?;
            comma_list(f, &self.partitioned_by, ", ")?;
            f.write_str(")")?;
        }
        if !self.options.is_empty() {
            f.write_str(" WITH (")?;
            for (i, o) in self.options.iter().enumerate() {
                f.write_str(if i == 0 { "\n  " } else { ",\n  " })?;
                write!(f, "{} = {}", Quoted(&o.key), Quoted(&o.value))?;
            }
            f.write_str("\n)")?;
        }
        Ok(())
    }
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ", self.name)?;
        match &self.kind {
            ColumnKind::Physical(ty) => write!(f, "{ty}")?,
            ColumnKind::Computed(e) => write!(f, "AS {e}")?,
            ColumnKind::Metadata { ty, key, is_virtual } => {
                write!(f, "{ty} METADATA")?;
                if let Some(k) = key {
                    write!(f, " FROM {}", Quoted(k))?;
                }
                if *is_virtual {
                    f.write_str(" VIRTUAL")?;
                }
            }
        }
        if let Some(c) = &self.comment {
            write!(f, " COMMENT {}", Quoted(c))?;
        }
        Ok(())
    }
}

impl fmt::Display for CreateView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CREATE ")?;
        if self.temporary {
            f.write_str("TEMPORARY ")?;
        }
        f.write_str("VIEW ")?;
        if self.if_not_exists {
            f.write_str("IF NOT EXISTS ")?;
        }
        write!(f, "{}", self.name)?;
        if !self.columns.is_empty() {
            f.write_str(" (")?;
            comma_list(f, &self.columns, ", ")?;
            f.write_str(")")?;
        }
        if let Some(c) = &self.comment {
            write!(f, " COMMENT {}", Quoted(c))?;
        }
        write!(f, " AS\n{}", self.query)
    }
}

impl fmt::Display for Insert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "INSERT INTO {}", self.table)?;
        if !self.columns.is_empty() {
            f.write_str(" (")?;
            comma_list(f, &self.columns, ", ")?;
            f.write_str(")")?;
        }
        write!(f, "\n{}", self.query)
    }
}

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.with.is_empty() {
            f.write_str("WITH ")?;
            for (i, c) in self.with.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{}", c.name)?;
                if !c.columns.is_empty() {
                    f.write_str(" (")?;
                    comma_list(f, &c.columns, ", ")?;
                    f.write_str(")")?;
                }
                write!(f, " AS ({})", c.query)?;
            }
            f.write_str("\n")?;
        }
        write!(f, "{}", self.body)?;
        if !self.order_by.is_empty() {
            f.write_str("\nORDER BY ")?;
            comma_list(f, &self.order_by, ", ")?;
        }
        if let Some(l) = &self.limit {
            write!(f, "\nLIMIT {l}")?;
        }
        Ok(())
    }
}

impl fmt::Display for OrderBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.expr)?;
        match self.asc {
            Some(true) => f.write_str(" ASC")?,
            Some(false) => f.write_str(" DESC")?,
            None => {}
        }
        match self.nulls_first {
            Some(true) => f.write_str(" NULLS FIRST"),
            Some(false) => f.write_str(" NULLS LAST"),
            None => Ok(()),
        }
    }
}

impl fmt::Display for SetExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetExpr::Select(s) => s.fmt(f),
            SetExpr::Query(q) => write!(f, "({q})"),
            SetExpr::SetOp { op, all, left, right } => {
                let name = match op {
                    SetOp::Union => "UNION",
                    SetOp::Intersect => "INTERSECT",
                    SetOp::Except => "EXCEPT",
                };
                write!(f, "{left}\n{name}{}\n{right}", if *all { " ALL" } else { "" })
            }
            SetExpr::Values(rows) => {
                f.write_str("VALUES ")?;
                for (i, row) in rows.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    f.write_str("(")?;
                    comma_list(f, row, ", ")?;
                    f.write_str(")")?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Display for Select {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SELECT ")?;
        if self.distinct {
            f.write_str("DISTINCT ")?;
        }
        comma_list(f, &self.projection, ", ")?;
        if !self.from.is_empty() {
            f.write_str("\nFROM ")?;
            comma_list(f, &self.from, ", ")?;
        }
        if let Some(w) = &self.selection {
            write!(f, "\nWHERE {w}")?;
        }
        if !self.group_by.is_empty() {
            f.write_str("\nGROUP BY ")?;
            comma_list(f, &self.group_by, ", ")?;
        }
        if let Some(h) = &self.having {
            write!(f, "\nHAVING {h}")?;
        }
        Ok(())
    }
}

impl fmt::Display for SelectItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SelectItem::Expr { expr, alias } => {
                write!(f, "{expr}")?;
                if let Some(a) = alias {
                    write!(f, " AS {a}")?;
                }
                Ok(())
            }
            SelectItem::Wildcard => f.write_str("*"),
            SelectItem::QualifiedWildcard(n) => write!(f, "{n}.*"),
        }
    }
}

impl fmt::Display for TableAlias {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, " AS {}", self.name)?;
        if !self.columns.is_empty() {
            f.write_str(" (")?;
            comma_list(f, &self.columns, ", ")?;
            f.write_str(")")?;
        }
        Ok(())
    }
}

fn write_alias(f: &mut fmt::Formatter<'_>, alias: &Option<TableAlias>) -> fmt::Result {
    match alias {
        Some(a) => a.fmt(f),
        None => Ok(()),
    }
}

impl fmt::Display for TableRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TableRef::Table { name, alias, .. } => {
                write!(f, "{name}")?;
                write_alias(f, alias)
            }
            TableRef::Derived { query, alias } => {
                write!(f, "({query})")?;
                write_alias(f, alias)
            }
            TableRef::Window { tvf, alias } => {
                write!(f, "TABLE({tvf})")?;
                write_alias(f, alias)
            }
            TableRef::Unnest {
                collection,
                with_ordinality,
                alias,
                ..
            } => {
                write!(f, "UNNEST({collection})")?;
                if *with_ordinality {
                    f.write_str(" WITH ORDINALITY")?;
                }
                write_alias(f, alias)
            }
            TableRef::Join {
                left,
                right,
                kind,
                on,
            } => {
                let k = match kind {
                    JoinKind::Inner => "JOIN",
                    JoinKind::Left => "LEFT JOIN",
                    JoinKind::Right => "RIGHT JOIN",
                    JoinKind::Full => "FULL JOIN",
                    JoinKind::Cross => "CROSS JOIN",
                };
                // A join on the right nests: parenthesize it so it parses back the same way.
                if matches!(**right, TableRef::Join { .. }) {
                    write!(f, "{left}\n{k} ({right})")?;
                } else {
                    write!(f, "{left}\n{k} {right}")?;
                }
                if let Some(on) = on {
                    write!(f, " ON {on}")?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Display for WindowTvf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}(TABLE {}", self.kind.function_name(), self.table)?;
        if !self.partition_by.is_empty() {
            f.write_str(" PARTITION BY (")?;
            comma_list(f, &self.partition_by, ", ")?;
            f.write_str(")")?;
        }
        write!(f, ", DESCRIPTOR({})", self.time_col)?;
        let opt = |f: &mut fmt::Formatter<'_>, o: &Option<Expr>| match o {
            Some(o) => write!(f, ", {o}"),
            None => Ok(()),
        };
        match &self.kind {
            WindowKind::Tumble { size, offset } => {
                write!(f, ", {size}")?;
                opt(f, offset)?;
            }
            WindowKind::Hop { slide, size, offset } => {
                write!(f, ", {slide}, {size}")?;
                opt(f, offset)?;
            }
            WindowKind::Cumulate { step, size, offset } => {
                write!(f, ", {step}, {size}")?;
                opt(f, offset)?;
            }
            WindowKind::Session { gap } => write!(f, ", {gap}")?,
        }
        f.write_str(")")
    }
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
        f.write_str(")")?;
        if let Some(flt) = &self.filter {
            write!(f, " FILTER (WHERE {flt})")?;
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
                pattern,
                escape,
            } => {
                write!(f, "{expr} {}LIKE {pattern}", not(*negated))?;
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
