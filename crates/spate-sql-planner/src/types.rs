//! Flink's SQL data types, as Flink's `LogicalType` models them.
//!
//! Synonyms are resolved when parsing, so each type has one form: `STRING` is
//! `VARCHAR(2147483647)`, `BYTES` is `VARBINARY(2147483647)`, `INTEGER` is `INT`,
//! `DEC`/`NUMERIC` are `DECIMAL`, `TIMESTAMP(p) WITH LOCAL TIME ZONE` is `TIMESTAMP_LTZ(p)`, and
//! omitted parameters take Flink's defaults (`DECIMAL` = `DECIMAL(10, 0)`, `TIMESTAMP` =
//! `TIMESTAMP(6)`, `VARCHAR` = `STRING`, `CHAR` = `CHAR(1)`, `TIME` = `TIME(0)`), and postfix
//! collections are the same as the angle-bracket form (`INT ARRAY` = `ARRAY<INT>`). Types print
//! as Flink 2.3's `DESCRIBE` prints them (`STRING`, `BYTES`, `TIMESTAMP_LTZ(3)`, `ROW<>`).

use std::fmt;

use crate::ident::{Ident, Quoted};

/// The length of `STRING` (`VARCHAR(2147483647)`) and `BYTES`.
pub const MAX_LENGTH: u32 = i32::MAX as u32;

/// Largest `DECIMAL` precision.
pub const MAX_DECIMAL_PRECISION: u32 = 38;

/// Largest fractional-second precision of `TIME`/`TIMESTAMP`/`TIMESTAMP_LTZ`.
pub const MAX_TIME_PRECISION: u32 = 9;

/// A type and whether it admits `NULL`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DataType {
    /// The type.
    pub kind: TypeKind,
    /// `false` for `NOT NULL`.
    pub nullable: bool,
}

impl DataType {
    /// A nullable type.
    pub fn new(kind: TypeKind) -> Self {
        Self { kind, nullable: true }
    }

    /// The same type, `NOT NULL`.
    pub fn not_null(self) -> Self {
        Self {
            nullable: false,
            ..self
        }
    }
}

/// Flink's type roots with their parameters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TypeKind {
    /// `BOOLEAN`.
    Boolean,
    /// `TINYINT` (1 byte).
    TinyInt,
    /// `SMALLINT` (2 bytes).
    SmallInt,
    /// `INT` (4 bytes).
    Int,
    /// `BIGINT` (8 bytes).
    BigInt,
    /// `FLOAT` (4-byte IEEE 754).
    Float,
    /// `DOUBLE` (8-byte IEEE 754).
    Double,
    /// `DECIMAL(precision, scale)`.
    Decimal {
        /// Total digits, 1..=38.
        precision: u32,
        /// Digits after the point, 0..=precision.
        scale: u32,
    },
    /// `CHAR(n)`.
    Char(u32),
    /// `VARCHAR(n)`; `STRING` is `VARCHAR(MAX_LENGTH)`.
    Varchar(u32),
    /// `BINARY(n)`.
    Binary(u32),
    /// `VARBINARY(n)`; `BYTES` is `VARBINARY(MAX_LENGTH)`.
    Varbinary(u32),
    /// `DATE`.
    Date,
    /// `TIME(p)`.
    Time(u32),
    /// `TIMESTAMP(p)` (without time zone).
    Timestamp(u32),
    /// `TIMESTAMP_LTZ(p)` = `TIMESTAMP(p) WITH LOCAL TIME ZONE`.
    TimestampLtz(u32),
    /// `INTERVAL DAY TO SECOND(3)`: what day-time interval literals and timestamp differences
    /// are (values are milliseconds).
    IntervalDayTime,
    /// `INTERVAL YEAR TO MONTH` (values are months).
    IntervalYearMonth,
    /// `ARRAY<T>`.
    Array(Box<DataType>),
    /// `MULTISET<T>`.
    Multiset(Box<DataType>),
    /// `MAP<K, V>`.
    Map(Box<DataType>, Box<DataType>),
    /// `ROW<name T ['description'], ...>`.
    Row(Vec<RowField>),
}

impl TypeKind {
    /// Whether no value of this type owns memory (`Value::owns_nothing`): a row whose columns
    /// are all of such types is freed without looking at its values
    /// (`RowDrop` in `spate-sql`). Every variant is named, so a new one must be
    /// placed here before it compiles.
    pub fn holds_plain_values(&self) -> bool {
        match self {
            TypeKind::Boolean
            | TypeKind::TinyInt
            | TypeKind::SmallInt
            | TypeKind::Int
            | TypeKind::BigInt
            | TypeKind::Float
            | TypeKind::Double
            | TypeKind::Decimal { .. }
            | TypeKind::Date
            | TypeKind::Time(_)
            | TypeKind::Timestamp(_)
            | TypeKind::TimestampLtz(_)
            | TypeKind::IntervalDayTime
            | TypeKind::IntervalYearMonth => true,
            TypeKind::Char(_)
            | TypeKind::Varchar(_)
            | TypeKind::Binary(_)
            | TypeKind::Varbinary(_)
            | TypeKind::Array(_)
            | TypeKind::Multiset(_)
            | TypeKind::Map(..)
            | TypeKind::Row(_) => false,
        }
    }
}

/// One field of a `ROW` type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RowField {
    /// The field's name.
    pub name: Ident,
    /// Its type.
    pub ty: DataType,
    /// Its description (`ROW<a INT 'the a'>`).
    pub description: Option<String>,
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.kind.fmt(f)?;
        if !self.nullable {
            f.write_str(" NOT NULL")?;
        }
        Ok(())
    }
}

impl fmt::Display for TypeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TypeKind::Boolean => f.write_str("BOOLEAN"),
            TypeKind::TinyInt => f.write_str("TINYINT"),
            TypeKind::SmallInt => f.write_str("SMALLINT"),
            TypeKind::Int => f.write_str("INT"),
            TypeKind::BigInt => f.write_str("BIGINT"),
            TypeKind::Float => f.write_str("FLOAT"),
            TypeKind::Double => f.write_str("DOUBLE"),
            TypeKind::Decimal { precision, scale } => write!(f, "DECIMAL({precision}, {scale})"),
            TypeKind::Char(n) => write!(f, "CHAR({n})"),
            TypeKind::Varchar(MAX_LENGTH) => f.write_str("STRING"),
            TypeKind::Varchar(n) => write!(f, "VARCHAR({n})"),
            TypeKind::Binary(n) => write!(f, "BINARY({n})"),
            TypeKind::Varbinary(MAX_LENGTH) => f.write_str("BYTES"),
            TypeKind::Varbinary(n) => write!(f, "VARBINARY({n})"),
            TypeKind::Date => f.write_str("DATE"),
            TypeKind::Time(p) => write!(f, "TIME({p})"),
            TypeKind::Timestamp(p) => write!(f, "TIMESTAMP({p})"),
            TypeKind::TimestampLtz(p) => write!(f, "TIMESTAMP_LTZ({p})"),
            TypeKind::IntervalDayTime => f.write_str("INTERVAL DAY TO SECOND(3)"),
            TypeKind::IntervalYearMonth => f.write_str("INTERVAL YEAR TO MONTH"),
            TypeKind::Array(t) => write!(f, "ARRAY<{t}>"),
            TypeKind::Multiset(t) => write!(f, "MULTISET<{t}>"),
            TypeKind::Map(k, v) => write!(f, "MAP<{k}, {v}>"),
            TypeKind::Row(fields) => {
                f.write_str("ROW<")?;
                for (i, field) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{} {}", field.name, field.ty)?;
                    if let Some(d) = &field.description {
                        write!(f, " {}", Quoted(d))?;
                    }
                }
                f.write_str(">")
            }
        }
    }
}
