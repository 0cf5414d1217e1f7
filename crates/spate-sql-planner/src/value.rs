//! [`Value`] and [`Row`]: what a SQL job's records are made of at run time.
//!
//! One value enum for every Flink type, chosen so a value can be interpreted only together with
//! its column's [`DataType`](crate::types::DataType) (the binder fixes every column's type, the
//! evaluator never guesses):
//!
//! | Flink type | variant | representation |
//! |---|---|---|
//! | `BOOLEAN` | `Boolean` | |
//! | `TINYINT`, `SMALLINT`, `INT`, `BIGINT` | `Int` | `i64`, always within the type's range (arithmetic wraps to it, as Java does) |
//! | `FLOAT`, `DOUBLE` | `Float` | `f64` (a `FLOAT` holds an exactly representable `f32`) |
//! | `DECIMAL(p, s)` | `Decimal` | unscaled `i128` with the type's scale `s` |
//! | `CHAR`, `VARCHAR`, `STRING` | `String` | |
//! | `BINARY`, `VARBINARY`, `BYTES` | `Bytes` | |
//! | `DATE` | `Date` | days since 1970-01-01 |
//! | `TIME(p)` | `Time` | nanoseconds since midnight |
//! | `TIMESTAMP(p)`, `TIMESTAMP_LTZ(p)` | `Timestamp` | microseconds since 1970-01-01 00:00:00 (for `_LTZ` an instant, in UTC; shown in the session zone) |
//! | `INTERVAL DAY TO SECOND` | `IntervalMillis` | milliseconds |
//! | `INTERVAL YEAR TO MONTH` | `IntervalMonths` | months |
//! | `ARRAY<T>`, `MULTISET<T>` | `Array` | |
//! | `MAP<K, V>` | `Map` | entries in insertion order |
//! | `ROW<..>` | `Row` | |
//!
//! `NULL` is `Null` for every type. Equality and hashing are SQL grouping semantics: `NULL`
//! equals `NULL` (one group), `-0.0` equals `0.0`, and every NaN is one value, so values can key
//! a stream (`GROUP BY`, join keys).

use std::hash::{Hash, Hasher};

use serde::{Deserialize, Serialize};

/// One SQL value; see the module docs for how each Flink type is represented.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub enum Value {
    /// `NULL` of any type.
    #[default]
    Null,
    /// `BOOLEAN`.
    Boolean(bool),
    /// `TINYINT` .. `BIGINT`.
    Int(i64),
    /// `FLOAT`, `DOUBLE`.
    Float(f64),
    /// `DECIMAL(p, s)`: the unscaled value; the scale is the type's.
    Decimal(i128),
    /// Character strings.
    String(String),
    /// Binary strings.
    Bytes(Vec<u8>),
    /// `DATE`: days since the epoch.
    Date(i32),
    /// `TIME`: nanoseconds since midnight.
    Time(i64),
    /// `TIMESTAMP`, `TIMESTAMP_LTZ`: microseconds since the epoch.
    Timestamp(i64),
    /// `INTERVAL DAY TO SECOND`: milliseconds.
    IntervalMillis(i64),
    /// `INTERVAL YEAR TO MONTH`: months.
    IntervalMonths(i32),
    /// `ARRAY`, `MULTISET`.
    Array(Vec<Value>),
    /// `MAP`.
    Map(Vec<(Value, Value)>),
    /// `ROW`.
    Row(Vec<Value>),
}

/// A row: one value per column, in the schema's order.
pub type Row = Vec<Value>;

/// What a row of a changelog stream does to the table it describes (Flink's `RowKind`).
///
/// An insert-only stream's rows are all [`RowKind::Insert`] and travel as plain [`Row`]s; only
/// the nodes of an updating plan carry [`Change`]s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RowKind {
    /// `+I`: a new row.
    Insert,
    /// `-U`: the old image of an updated row, retracted before its new image arrives.
    UpdateBefore,
    /// `+U`: the new image of an updated row.
    UpdateAfter,
    /// `-D`: a row removed.
    Delete,
}

impl RowKind {
    /// Flink's short string: `+I`, `-U`, `+U`, `-D` (how `print` and the SQL client show it).
    pub fn short_string(self) -> &'static str {
        match self {
            RowKind::Insert => "+I",
            RowKind::UpdateBefore => "-U",
            RowKind::UpdateAfter => "+U",
            RowKind::Delete => "-D",
        }
    }

    /// The kind Flink's short string names (the inverse of [`short_string`](Self::short_string)).
    pub fn from_short_string(text: &str) -> Option<RowKind> {
        [
            RowKind::Insert,
            RowKind::UpdateBefore,
            RowKind::UpdateAfter,
            RowKind::Delete,
        ]
        .into_iter()
        .find(|k| k.short_string() == text)
    }

    /// Whether the row adds to the table (`+I`, `+U`), as opposed to retracting (`-U`, `-D`).
    pub fn is_accumulate(self) -> bool {
        matches!(self, RowKind::Insert | RowKind::UpdateAfter)
    }
}

/// One row of a changelog stream: the row and what it does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// What the row does to the table.
    pub kind: RowKind,
    /// The row.
    pub row: Row,
}

impl Change {
    /// `+I row`.
    pub fn insert(row: Row) -> Self {
        Change {
            kind: RowKind::Insert,
            row,
        }
    }
}

/// Puts `key`'s entry into a map kept as a list of entries, as Flink fills its `HashMap`s
/// (`MAP[..]`, JSON objects, `STR_TO_MAP`, `JSON_OBJECT`): a repeated key keeps its first place
/// and takes the last value.
pub fn put_entry<K: PartialEq, V>(entries: &mut Vec<(K, V)>, key: K, value: V) {
    match entries.iter_mut().find(|(k, _)| *k == key) {
        Some(entry) => entry.1 = value,
        None => entries.push((key, value)),
    }
}

/// Stores `value` in `slot`. The old value is dropped only when it owns memory: a computed
/// column's slot is `NULL` until set, and `*slot = value` called `Value`'s drop glue out of line
/// for it anyway (28 instructions a column, callgrind).
#[inline]
pub(crate) fn set_value(slot: &mut Value, value: Value) {
    // The old value is asked in its slot, not moved out first: moved out, all 32 bytes of it
    // went through the stack before its tag was read (perf annotate of the computed columns).
    if slot.owns_nothing() {
        std::mem::forget(std::mem::replace(slot, value));
    } else {
        *slot = value;
    }
}

/// Stores `value` in a computed column's slot, which holds no value owning memory (`NULL`
/// until set, or a plain value stored by an earlier try of the same column): the old value
/// is not looked at in a release build. Asking it whether it owns memory was about 10
/// instructions a column (the tag sits in a niche); were it to own some, that would leak,
/// never be unsound, and a debug assertion catches it in tests.
#[inline]
pub fn set_computed(slot: &mut Value, value: Value) {
    debug_assert!(slot.owns_nothing(), "a computed column's slot owns memory");
    std::mem::forget(std::mem::replace(slot, value));
}

/// Drops `value`, with no call to `Value`'s drop glue when it owns no memory (a value moved
/// out of with `mem::take` is `NULL`, which the compiler does not know).
#[inline]
pub fn drop_value(value: Value) {
    if value.owns_nothing() {
        std::mem::forget(value);
    }
}

impl Value {
    /// Whether this is `NULL`.
    #[inline]
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The boolean, or `None` for `NULL` (and for non-booleans, which the binder rules out).
    #[inline]
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Boolean(b) => Some(*b),
            _ => None,
        }
    }

    /// Whether this value owns no memory (it is neither a string, bytes, nor a collection), so
    /// dropping it does nothing. Every variant is named: `row_memory::drop_row` forgets values
    /// this calls plain, so a new variant must be placed here before it compiles.
    #[inline]
    pub fn owns_nothing(&self) -> bool {
        match self {
            Value::Null
            | Value::Boolean(_)
            | Value::Int(_)
            | Value::Float(_)
            | Value::Decimal(_)
            | Value::Date(_)
            | Value::Time(_)
            | Value::Timestamp(_)
            | Value::IntervalMillis(_)
            | Value::IntervalMonths(_) => true,
            Value::String(_) | Value::Bytes(_) | Value::Array(_) | Value::Map(_) | Value::Row(_) => false,
        }
    }

    /// The integer of an integer value.
    #[inline]
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The string of a character value.
    #[inline]
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// Microseconds of a timestamp value.
    #[inline]
    pub fn as_timestamp_micros(&self) -> Option<i64> {
        match self {
            Value::Timestamp(t) => Some(*t),
            _ => None,
        }
    }

    fn discriminant(&self) -> u8 {
        match self {
            Value::Null => 0,
            Value::Boolean(_) => 1,
            Value::Int(_) => 2,
            Value::Float(_) => 3,
            Value::Decimal(_) => 4,
            Value::String(_) => 5,
            Value::Bytes(_) => 6,
            Value::Date(_) => 7,
            Value::Time(_) => 8,
            Value::Timestamp(_) => 9,
            Value::IntervalMillis(_) => 10,
            Value::IntervalMonths(_) => 11,
            Value::Array(_) => 12,
            Value::Map(_) => 13,
            Value::Row(_) => 14,
        }
    }
}

/// A value as Flink's SQL client shows it (`<NULL>`, `TRUE`, `12.50`,
/// `2026-11-01 08:01:00.000`), given its type, with `TIMESTAMP_LTZ` in UTC.
pub fn display(v: &Value, ty: &crate::types::DataType) -> String {
    display_in(v, ty, crate::zone::SessionZone::UTC)
}

/// [`display`] with `TIMESTAMP_LTZ` values shown in `zone`, as Flink's client shows them in
/// `table.local-time-zone`.
pub fn display_in(v: &Value, ty: &crate::types::DataType, zone: crate::zone::SessionZone) -> String {
    use crate::types::TypeKind as K;
    let mut out = String::new();
    match (v, &ty.kind) {
        (Value::Null, _) => out.push_str("<NULL>"),
        (Value::Boolean(b), _) => out.push_str(if *b { "TRUE" } else { "FALSE" }),
        (Value::Int(i), _) => out.push_str(&i.to_string()),
        (Value::Float(f), _) => out.push_str(&f.to_string()),
        (Value::Decimal(d), K::Decimal { scale, .. }) => crate::decimal::format(*d, *scale, &mut out),
        (Value::String(s), _) => out.push_str(s),
        (Value::Bytes(b), _) => {
            out.push_str("x'");
            for byte in b {
                out.push_str(&format!("{byte:02x}"));
            }
            out.push('\'');
        }
        (Value::Date(d), _) => crate::temporal::format_date(*d, &mut out),
        (Value::Time(t), K::Time(p)) => crate::temporal::format_time_nanos(*t, *p, false, &mut out),
        (Value::Timestamp(t), K::TimestampLtz(p)) => {
            crate::temporal::format_timestamp(zone.to_local(*t), *p, false, false, &mut out)
        }
        (Value::Timestamp(t), K::Timestamp(p)) => {
            crate::temporal::format_timestamp(*t, *p, false, false, &mut out)
        }
        (Value::Array(items), K::Array(inner) | K::Multiset(inner)) => {
            out.push('[');
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&display_in(x, inner, zone));
            }
            out.push(']');
        }
        (Value::Map(entries), K::Map(k, vt)) => {
            out.push('{');
            for (i, (a, b)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&display_in(a, k, zone));
                out.push('=');
                out.push_str(&display_in(b, vt, zone));
            }
            out.push('}');
        }
        (Value::Row(values), K::Row(fields)) => {
            out.push('(');
            for (i, (x, f)) in values.iter().zip(fields).enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&display_in(x, &f.ty, zone));
            }
            out.push(')');
        }
        (other, _) => out.push_str(&format!("{other:?}")),
    }
    out
}

/// The bits a float groups by: all NaNs are one value, `-0.0` is `0.0`.
pub fn float_key(f: f64) -> u64 {
    if f.is_nan() {
        f64::NAN.to_bits()
    } else if f == 0.0 {
        0
    } else {
        f.to_bits()
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Boolean(a), Value::Boolean(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Float(a), Value::Float(b)) => float_key(*a) == float_key(*b),
            (Value::Decimal(a), Value::Decimal(b)) => a == b,
            (Value::String(a), Value::String(b)) => a == b,
            (Value::Bytes(a), Value::Bytes(b)) => a == b,
            (Value::Date(a), Value::Date(b)) => a == b,
            (Value::Time(a), Value::Time(b)) => a == b,
            (Value::Timestamp(a), Value::Timestamp(b)) => a == b,
            (Value::IntervalMillis(a), Value::IntervalMillis(b)) => a == b,
            (Value::IntervalMonths(a), Value::IntervalMonths(b)) => a == b,
            (Value::Array(a), Value::Array(b)) => a == b,
            (Value::Map(a), Value::Map(b)) => a == b,
            (Value::Row(a), Value::Row(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for Value {}

impl Hash for Value {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u8(self.discriminant());
        match self {
            Value::Null => {}
            Value::Boolean(b) => b.hash(state),
            Value::Int(i) => i.hash(state),
            Value::Float(f) => float_key(*f).hash(state),
            Value::Decimal(d) => d.hash(state),
            Value::String(s) => s.hash(state),
            Value::Bytes(b) => b.hash(state),
            Value::Date(d) => d.hash(state),
            Value::Time(t) => t.hash(state),
            Value::Timestamp(t) => t.hash(state),
            Value::IntervalMillis(i) => i.hash(state),
            Value::IntervalMonths(i) => i.hash(state),
            Value::Array(a) => a.hash(state),
            Value::Map(m) => m.hash(state),
            Value::Row(r) => r.hash(state),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn grouping_equality_treats_nulls_zeros_and_nans_as_one_value() {
        let set: HashSet<Value> = [
            Value::Null,
            Value::Null,
            Value::Float(0.0),
            Value::Float(-0.0),
            Value::Float(f64::NAN),
            Value::Float(-f64::NAN),
            Value::Int(0),
        ]
        .into_iter()
        .collect();
        assert_eq!(set.len(), 4);
    }

    #[test]
    fn values_round_trip_through_bincode_free_serde() {
        let row: Row = vec![
            Value::Null,
            Value::Decimal(-12345),
            Value::String("a".into()),
            Value::Map(vec![(Value::Int(1), Value::Row(vec![Value::Boolean(true)]))]),
        ];
        let json = serde_json::to_string(&row).unwrap();
        let back: Row = serde_json::from_str(&json).unwrap();
        assert_eq!(back, row);
    }

    #[test]
    fn the_client_shows_timestamp_ltz_in_the_session_zone() {
        use crate::types::{DataType, TypeKind};
        let la = crate::zone::SessionZone::parse("America/Los_Angeles").unwrap_or_default();
        let ltz = DataType::new(TypeKind::TimestampLtz(3));
        let ts = DataType::new(TypeKind::Timestamp(3));
        let v = Value::Timestamp(1_793_520_062_000_000); // 2026-11-01 08:01:02 UTC
        assert_eq!(display_in(&v, &ltz, la), "2026-11-01 01:01:02.000");
        assert_eq!(display(&v, &ltz), "2026-11-01 08:01:02.000");
        // A zone-less TIMESTAMP is shown as it is, in any zone; nested values follow the zone.
        assert_eq!(display_in(&v, &ts, la), "2026-11-01 08:01:02.000");
        let arr = DataType::new(TypeKind::Array(Box::new(ltz)));
        assert_eq!(
            display_in(&Value::Array(vec![v]), &arr, la),
            "[2026-11-01 01:01:02.000]"
        );
    }
}
