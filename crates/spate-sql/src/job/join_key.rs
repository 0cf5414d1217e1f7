//! The key SQL's joins are partitioned and keep their state by: the equi-join values encoded
//! into a few bytes, inline for short keys.
//!
//! Keyed as a `Vec<Value>`, every row of a join allocated its key (and cloned the key's
//! values), the state kept a second copy of each key on the heap, and every probe of the state
//! compared through a pointer: in Nexmark q7, whose join keeps a million bids by price, that
//! was a cache miss per probe and about a tenth of the job. A key here is the values' bytes as
//! [`PackedRows`](super::packed_rows::PackedRows) writes them, except that floats are written
//! as the equality of [`Value`] sees them ([`float_key`]), so two keys are equal exactly when
//! their values are: a `BIGINT` key is two to ten bytes on the stack, moved with the row.

use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

use super::packed_rows::write_value;
use crate::value::{Value, float_key};

/// Bytes kept inline: one or two numbers, or a short string.
const INLINE: usize = 16;

/// Encoded equi-join values; see the module docs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(crate) struct JoinKey(SmallVec<[u8; INLINE]>);

/// Tag after the values of a key with a `NULL` part, followed by the side (0 left, 1 right):
/// SQL's `=` is never true on `NULL`, so such a key meets no row of the other side (outer joins
/// still emit it padded). Value tags are below 16, so this never reads as a value.
const NULL_PART: u8 = 0xff;

impl JoinKey {
    /// The key of `values`, read from the row on side `side` (0 left, 1 right).
    #[cfg(test)]
    pub(crate) fn of<'v>(values: impl IntoIterator<Item = &'v Value>, side: u8) -> Self {
        Self::with_nulls_meeting(values, side, &[])
    }

    /// [`of`](Self::of) where a NULL meets a NULL on the parts `nulls_meet` marks (the keys of
    /// `IS NOT DISTINCT FROM`); a NULL elsewhere still meets nothing.
    pub(crate) fn with_nulls_meeting<'v>(
        values: impl IntoIterator<Item = &'v Value>,
        side: u8,
        nulls_meet: &[bool],
    ) -> Self {
        let mut bytes = SmallVec::new();
        let mut null = false;
        for (i, v) in values.into_iter().enumerate() {
            null |= v.is_null() && !nulls_meet.get(i).copied().unwrap_or(false);
            write_value(v, &mut bytes, float_key);
        }
        if null {
            bytes.push(NULL_PART);
            bytes.push(side);
        }
        Self(bytes)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn scalar() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Boolean),
            (-3i64..3).prop_map(Value::Int),
            any::<i64>().prop_map(Value::Int),
            prop_oneof![
                Just(0.0),
                Just(-0.0),
                Just(f64::NAN),
                Just(-f64::NAN),
                Just(1.5),
                any::<f64>()
            ]
            .prop_map(Value::Float),
            (-3i128..3).prop_map(Value::Decimal),
            "[ab]{0,3}".prop_map(Value::String),
            "[a-z]{10,30}".prop_map(Value::String),
            proptest::collection::vec(0u8..3, 0..3).prop_map(Value::Bytes),
            (-2i64..2).prop_map(Value::Timestamp),
            (-2i32..2).prop_map(Value::Date),
        ]
    }

    fn value() -> impl Strategy<Value = Value> {
        scalar().prop_recursive(2, 8, 3, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
                proptest::collection::vec(inner, 0..3).prop_map(Value::Row),
            ]
        })
    }

    fn key() -> impl Strategy<Value = Vec<Value>> {
        proptest::collection::vec(value(), 1..3)
    }

    proptest! {
        /// Two keys are equal exactly when SQL's join `=` holds for every part: their values
        /// are equal (`-0.0` is `0.0`, NaN is NaN) and none is NULL. Same-side keys with a NULL
        /// part are equal as values, but never meet the other side.
        #[test]
        fn keys_are_equal_exactly_when_their_values_join(a in key(), b in key(), same_side: bool) {
            let (sa, sb) = if same_side { (0, 0) } else { (0, 1) };
            let (ka, kb) = (JoinKey::of(&a, sa), JoinKey::of(&b, sb));
            let nulls = a.iter().chain(&b).any(Value::is_null);
            let joins = a == b && (same_side || !nulls);
            prop_assert_eq!(ka == kb, joins, "{:?} {:?}", a, b);
            if ka == kb {
                prop_assert_eq!(spate_engine::keygroup::key_hash(&ka), spate_engine::keygroup::key_hash(&kb));
            }
        }

        /// A key survives the checkpoint encoding.
        #[test]
        fn keys_round_trip_through_bincode(a in key(), side in 0u8..2) {
            let k = JoinKey::of(&a, side);
            let bytes = bincode::serialize(&k).unwrap();
            prop_assert_eq!(bincode::deserialize::<JoinKey>(&bytes).unwrap(), k);
        }
    }

    #[test]
    fn a_bigint_key_stays_inline() {
        let k = JoinKey::of(&[Value::Int(i64::MIN)], 0);
        // A NULL on a part where NULLs meet is an ordinary value there.
        let safe = |side| JoinKey::with_nulls_meeting(&[Value::Null, Value::Int(1)], side, &[true, false]);
        assert_eq!(safe(0), safe(1));
        let unsafe_part =
            |side| JoinKey::with_nulls_meeting(&[Value::Int(1), Value::Null], side, &[true, false]);
        assert_ne!(unsafe_part(0), unsafe_part(1));
        assert!(!k.0.spilled(), "{} bytes", k.0.len());
        assert_eq!(std::mem::size_of::<JoinKey>(), 24);
    }
}
