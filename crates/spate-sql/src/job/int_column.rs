//! Columns whose values are one `i64` (integers, dates, times, timestamps, intervals, booleans)
//! as plain `Option<i64>`s, for the window aggregate's typed path: a key of such a column
//! hashes and compares as an integer, not as a [`Value`], and an aggregate over one keeps an
//! integer accumulator (see [`super::int_aggregate`]).

use crate::types::{DataType, TypeKind};
use crate::value::Value;

/// Which [`Value`] variant a column of an `i64`-backed type holds, to turn its values into
/// `Option<i64>` (`None` is `NULL`) and back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IntColumn {
    Boolean,
    Int,
    Date,
    Time,
    Timestamp,
    IntervalMillis,
    IntervalMonths,
}

impl IntColumn {
    /// The kind of a column of type `ty`, if its values are one `i64`.
    pub(crate) fn of(ty: &DataType) -> Option<Self> {
        Some(match ty.kind {
            TypeKind::Boolean => IntColumn::Boolean,
            TypeKind::TinyInt | TypeKind::SmallInt | TypeKind::Int | TypeKind::BigInt => IntColumn::Int,
            TypeKind::Date => IntColumn::Date,
            TypeKind::Time(_) => IntColumn::Time,
            TypeKind::Timestamp(_) | TypeKind::TimestampLtz(_) => IntColumn::Timestamp,
            TypeKind::IntervalDayTime => IntColumn::IntervalMillis,
            TypeKind::IntervalYearMonth => IntColumn::IntervalMonths,
            _ => return None,
        })
    }

    /// The integer of `v`, `None` for `NULL`. The binder gives every column one type, so a value
    /// of another variant cannot occur; it would read as `NULL`.
    #[inline]
    pub(crate) fn get(self, v: Option<&Value>) -> Option<i64> {
        match (self, v?) {
            (IntColumn::Int, Value::Int(i))
            | (IntColumn::Time, Value::Time(i))
            | (IntColumn::Timestamp, Value::Timestamp(i))
            | (IntColumn::IntervalMillis, Value::IntervalMillis(i)) => Some(*i),
            (IntColumn::Date, Value::Date(d)) | (IntColumn::IntervalMonths, Value::IntervalMonths(d)) => {
                Some(i64::from(*d))
            }
            (IntColumn::Boolean, Value::Boolean(b)) => Some(i64::from(*b)),
            _ => None,
        }
    }

    /// The value of `i` (from [`get`](Self::get) or an aggregate of such integers).
    pub(crate) fn value(self, i: Option<i64>) -> Value {
        let Some(i) = i else {
            return Value::Null;
        };
        // The narrowing casts undo `get`'s widening (an aggregate of them stays in range).
        match self {
            IntColumn::Boolean => Value::Boolean(i != 0),
            IntColumn::Int => Value::Int(i),
            IntColumn::Date => Value::Date(i as i32),
            IntColumn::Time => Value::Time(i),
            IntColumn::Timestamp => Value::Timestamp(i),
            IntColumn::IntervalMillis => Value::IntervalMillis(i),
            IntColumn::IntervalMonths => Value::IntervalMonths(i as i32),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ty(kind: TypeKind) -> DataType {
        DataType { kind, nullable: true }
    }

    #[test]
    fn only_single_integer_types_have_a_kind() {
        assert_eq!(IntColumn::of(&ty(TypeKind::SmallInt)), Some(IntColumn::Int));
        assert_eq!(
            IntColumn::of(&ty(TypeKind::TimestampLtz(3))),
            Some(IntColumn::Timestamp)
        );
        assert_eq!(IntColumn::of(&ty(TypeKind::Double)), None);
        assert_eq!(IntColumn::of(&ty(TypeKind::Varchar(10))), None);
        assert_eq!(
            IntColumn::of(&ty(TypeKind::Decimal {
                precision: 10,
                scale: 2
            })),
            None
        );
    }

    #[test]
    fn null_and_missing_values_are_none() {
        assert_eq!(IntColumn::Int.get(Some(&Value::Null)), None);
        assert_eq!(IntColumn::Int.get(None), None);
        assert_eq!(IntColumn::Date.value(None), Value::Null);
    }

    fn kinds() -> impl Strategy<Value = IntColumn> {
        prop_oneof![
            Just(IntColumn::Boolean),
            Just(IntColumn::Int),
            Just(IntColumn::Date),
            Just(IntColumn::Time),
            Just(IntColumn::Timestamp),
            Just(IntColumn::IntervalMillis),
            Just(IntColumn::IntervalMonths),
        ]
    }

    proptest! {
        /// A value survives the trip through its integer, so a typed key or MIN/MAX gives back
        /// the value the row held.
        #[test]
        fn values_round_trip_through_their_integer(kind in kinds(), i in any::<i32>(), wide in any::<i64>()) {
            let v = match kind {
                IntColumn::Boolean => Value::Boolean(i % 2 == 0),
                IntColumn::Int => Value::Int(wide),
                IntColumn::Date => Value::Date(i),
                IntColumn::Time => Value::Time(wide),
                IntColumn::Timestamp => Value::Timestamp(wide),
                IntColumn::IntervalMillis => Value::IntervalMillis(wide),
                IntColumn::IntervalMonths => Value::IntervalMonths(i),
            };
            let back = kind.value(kind.get(Some(&v)));
            prop_assert_eq!(back, v);
        }
    }
}
