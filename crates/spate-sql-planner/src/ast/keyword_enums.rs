//! Keyword-valued options of expressions: time units, the `JSON_*` functions' behaviours,
//! `TRIM`'s side.

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

/// What `IS JSON` asks of the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonKind {
    /// `IS JSON [VALUE]`: any JSON value.
    Value,
    /// `IS JSON SCALAR`: a number, string, `true`, `false` or `null`.
    Scalar,
    /// `IS JSON ARRAY`.
    Array,
    /// `IS JSON OBJECT`.
    Object,
}

impl JsonKind {
    /// The SQL word after `JSON`.
    pub fn sql(self) -> &'static str {
        match self {
            JsonKind::Value => "VALUE",
            JsonKind::Scalar => "SCALAR",
            JsonKind::Array => "ARRAY",
            JsonKind::Object => "OBJECT",
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
