//! Single values of primitive types: partition values and column bounds, with the spec's
//! single-value binary serialization (Appendix D) used for `lower_bounds`/`upper_bounds` and
//! manifest-list partition summaries.
//!
//! Layouts: boolean one byte 0/1; int, date 4 bytes little-endian; long, time, timestamp,
//! timestamptz 8 bytes little-endian; float, double IEEE 754 little-endian; string UTF-8 bytes
//! without a length; uuid 16 bytes big-endian; fixed and binary the bytes; decimal the unscaled
//! value as two's-complement big-endian in the fewest bytes.

use crate::error::{IcebergError, Result};
use crate::types::PrimitiveType;

/// A primitive value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `boolean`.
    Boolean(bool),
    /// `int`.
    Int(i32),
    /// `long`.
    Long(i64),
    /// `float`.
    Float(f32),
    /// `double`.
    Double(f64),
    /// `date`: days since 1970-01-01.
    Date(i32),
    /// `time`: microseconds since midnight.
    Time(i64),
    /// `timestamp`: microseconds since the epoch, no zone.
    Timestamp(i64),
    /// `timestamptz`: microseconds since the epoch, UTC.
    Timestamptz(i64),
    /// `string`.
    String(String),
    /// `uuid`, big-endian bytes.
    Uuid([u8; 16]),
    /// `fixed[L]`.
    Fixed(Vec<u8>),
    /// `binary`.
    Binary(Vec<u8>),
    /// `decimal(P,S)`: the unscaled value.
    Decimal(i128),
}

impl Value {
    /// The single-value binary serialization.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Value::Boolean(b) => vec![u8::from(*b)],
            Value::Int(v) | Value::Date(v) => v.to_le_bytes().to_vec(),
            Value::Long(v) | Value::Time(v) | Value::Timestamp(v) | Value::Timestamptz(v) => {
                v.to_le_bytes().to_vec()
            }
            Value::Float(v) => v.to_le_bytes().to_vec(),
            Value::Double(v) => v.to_le_bytes().to_vec(),
            Value::String(s) => s.as_bytes().to_vec(),
            Value::Uuid(u) => u.to_vec(),
            Value::Fixed(b) | Value::Binary(b) => b.clone(),
            Value::Decimal(v) => decimal_min_bytes(*v),
        }
    }

    /// Reads a single-value serialization of type `t`.
    pub fn from_bytes(t: PrimitiveType, bytes: &[u8]) -> Result<Value> {
        let bad = || {
            IcebergError::invalid(format!(
                "{} bytes are not a single {} value",
                bytes.len(),
                t.name()
            ))
        };
        let four = || -> Result<[u8; 4]> { bytes.try_into().map_err(|_| bad()) };
        let eight = || -> Result<[u8; 8]> { bytes.try_into().map_err(|_| bad()) };
        Ok(match t {
            PrimitiveType::Boolean => match bytes {
                [0] => Value::Boolean(false),
                [1] => Value::Boolean(true),
                _ => return Err(bad()),
            },
            PrimitiveType::Int => Value::Int(i32::from_le_bytes(four()?)),
            PrimitiveType::Date => Value::Date(i32::from_le_bytes(four()?)),
            // A long column's bound may be an int's four bytes after type promotion.
            PrimitiveType::Long if bytes.len() == 4 => Value::Long(i32::from_le_bytes(four()?).into()),
            PrimitiveType::Long => Value::Long(i64::from_le_bytes(eight()?)),
            PrimitiveType::Time => Value::Time(i64::from_le_bytes(eight()?)),
            PrimitiveType::Timestamp => Value::Timestamp(i64::from_le_bytes(eight()?)),
            PrimitiveType::Timestamptz => Value::Timestamptz(i64::from_le_bytes(eight()?)),
            PrimitiveType::Float => Value::Float(f32::from_le_bytes(four()?)),
            PrimitiveType::Double if bytes.len() == 4 => Value::Double(f32::from_le_bytes(four()?).into()),
            PrimitiveType::Double => Value::Double(f64::from_le_bytes(eight()?)),
            PrimitiveType::String => Value::String(String::from_utf8(bytes.to_vec()).map_err(|_| bad())?),
            PrimitiveType::Uuid => Value::Uuid(bytes.try_into().map_err(|_| bad())?),
            PrimitiveType::Fixed(n) if bytes.len() == n as usize => Value::Fixed(bytes.to_vec()),
            PrimitiveType::Fixed(_) => return Err(bad()),
            PrimitiveType::Binary => Value::Binary(bytes.to_vec()),
            PrimitiveType::Decimal { .. } => {
                if bytes.is_empty() || bytes.len() > 16 {
                    return Err(bad());
                }
                let fill = if bytes[0] & 0x80 != 0 { 0xff } else { 0 };
                let mut full = [fill; 16];
                full[16 - bytes.len()..].copy_from_slice(bytes);
                Value::Decimal(i128::from_be_bytes(full))
            }
        })
    }

    /// Whether this value can be of type `t`.
    pub fn fits(&self, t: PrimitiveType) -> bool {
        matches!(
            (self, t),
            (Value::Boolean(_), PrimitiveType::Boolean)
                | (Value::Int(_), PrimitiveType::Int)
                | (Value::Long(_), PrimitiveType::Long)
                | (Value::Float(_), PrimitiveType::Float)
                | (Value::Double(_), PrimitiveType::Double)
                | (Value::Date(_), PrimitiveType::Date)
                | (Value::Time(_), PrimitiveType::Time)
                | (Value::Timestamp(_), PrimitiveType::Timestamp)
                | (Value::Timestamptz(_), PrimitiveType::Timestamptz)
                | (Value::String(_), PrimitiveType::String)
                | (Value::Uuid(_), PrimitiveType::Uuid)
                | (Value::Binary(_), PrimitiveType::Binary)
                | (Value::Decimal(_), PrimitiveType::Decimal { .. })
        ) || matches!((self, t), (Value::Fixed(b), PrimitiveType::Fixed(n)) if b.len() == n as usize)
    }
}

/// Two's-complement big-endian in the fewest bytes that keep the sign (Java's
/// `BigInteger.toByteArray`).
fn decimal_min_bytes(v: i128) -> Vec<u8> {
    let full = v.to_be_bytes();
    let mut start = 0;
    while start < 15 {
        let (b, next) = (full[start], full[start + 1]);
        if (b == 0 && next & 0x80 == 0) || (b == 0xff && next & 0x80 != 0) {
            start += 1;
        } else {
            break;
        }
    }
    full[start..].to_vec()
}

/// Bytes an Avro `fixed` needs for a decimal of `precision` digits (Java's
/// `TypeUtil.decimalRequiredBytes`): the fewest n with 2^(8n-1) > 10^precision.
pub(crate) fn decimal_required_bytes(precision: u32) -> usize {
    let max = 10f64.powi(precision as i32);
    (1..=16)
        .find(|n| 2f64.powi(8 * *n as i32 - 1) > max)
        .unwrap_or(16)
}

/// Days since 1970-01-01 to (year, month 1-12, day 1-31), proleptic Gregorian (the "civil
/// from days" algorithm of H. Hinnant).
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The inverse of [`civil_from_days`] (tests check the one against the other).
#[cfg(test)]
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn spec_examples() {
        assert_eq!(Value::Int(1).to_bytes(), [1, 0, 0, 0]);
        assert_eq!(Value::Boolean(true).to_bytes(), [1]);
        assert_eq!(Value::Decimal(-1).to_bytes(), [0xff]);
        assert_eq!(Value::Decimal(128).to_bytes(), [0, 0x80]);
        assert_eq!(Value::Decimal(-129).to_bytes(), [0xff, 0x7f]);
        assert_eq!(Value::String("iceberg".into()).to_bytes(), b"iceberg");
        assert_eq!(decimal_required_bytes(9), 4);
        assert_eq!(decimal_required_bytes(18), 8);
        assert_eq!(decimal_required_bytes(38), 16);
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }

    fn values() -> impl Strategy<Value = (PrimitiveType, Value)> {
        prop_oneof![
            any::<bool>().prop_map(|v| (PrimitiveType::Boolean, Value::Boolean(v))),
            any::<i32>().prop_map(|v| (PrimitiveType::Int, Value::Int(v))),
            any::<i64>().prop_map(|v| (PrimitiveType::Long, Value::Long(v))),
            any::<i32>().prop_map(|v| (PrimitiveType::Date, Value::Date(v))),
            any::<i64>().prop_map(|v| (PrimitiveType::Timestamptz, Value::Timestamptz(v))),
            any::<i64>().prop_map(|v| (PrimitiveType::Time, Value::Time(v))),
            any::<f64>()
                .prop_filter("NaN != NaN", |v| !v.is_nan())
                .prop_map(|v| (PrimitiveType::Double, Value::Double(v))),
            any::<f32>()
                .prop_filter("NaN != NaN", |v| !v.is_nan())
                .prop_map(|v| (PrimitiveType::Float, Value::Float(v))),
            ".*".prop_map(|v| (PrimitiveType::String, Value::String(v))),
            any::<[u8; 16]>().prop_map(|v| (PrimitiveType::Uuid, Value::Uuid(v))),
            proptest::collection::vec(any::<u8>(), 0..40)
                .prop_map(|v| (PrimitiveType::Binary, Value::Binary(v))),
            proptest::collection::vec(any::<u8>(), 3)
                .prop_map(|v| (PrimitiveType::Fixed(3), Value::Fixed(v))),
            any::<i128>().prop_map(|v| (
                PrimitiveType::Decimal {
                    precision: 38,
                    scale: 4
                },
                Value::Decimal(v)
            )),
        ]
    }

    proptest! {
        #[test]
        fn single_value_bytes_round_trip((t, v) in values()) {
            prop_assert!(v.fits(t));
            prop_assert_eq!(Value::from_bytes(t, &v.to_bytes()).expect("decodes"), v);
        }

        #[test]
        fn civil_dates_round_trip(days in -1_000_000i64..1_000_000) {
            let (y, m, d) = civil_from_days(days);
            prop_assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
