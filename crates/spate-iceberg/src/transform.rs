//! Partition transforms (spec "Partition Transforms"): what a partition value is made of,
//! its type, and its human string in data paths (Java's `Transform.toHumanString`).
//!
//! Applied here: identity, year, month, day, hour, void. `bucket[N]` and `truncate[W]` parse
//! and print (tables that use them load and commit) but computing them is unsupported.

use crate::error::{IcebergError, Result};
use crate::types::PrimitiveType;
use crate::value::{Value, civil_from_days};

const MICROS_PER_HOUR: i64 = 3_600_000_000;
const MICROS_PER_DAY: i64 = 24 * MICROS_PER_HOUR;

/// A transform from a source column to a partition value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transform {
    /// The value itself.
    Identity,
    /// Years since 1970.
    Year,
    /// Months since 1970-01.
    Month,
    /// Days since 1970-01-01 (a `date`).
    Day,
    /// Hours since the epoch.
    Hour,
    /// Murmur3 hash mod N (not computed here).
    Bucket(u32),
    /// Truncation to width W (not computed here).
    Truncate(u32),
    /// Always null.
    Void,
}

impl Transform {
    /// The JSON name (`"day"`, `"bucket[16]"`).
    pub fn name(self) -> String {
        match self {
            Transform::Identity => "identity".into(),
            Transform::Year => "year".into(),
            Transform::Month => "month".into(),
            Transform::Day => "day".into(),
            Transform::Hour => "hour".into(),
            Transform::Bucket(n) => format!("bucket[{n}]"),
            Transform::Truncate(w) => format!("truncate[{w}]"),
            Transform::Void => "void".into(),
        }
    }

    /// Parses a JSON name.
    pub fn parse(name: &str) -> Result<Transform> {
        let arg = |prefix: &str| {
            name.strip_prefix(prefix)
                .and_then(|s| s.strip_suffix(']'))
                .and_then(|s| s.parse().ok())
        };
        Ok(match name {
            "identity" => Transform::Identity,
            "year" => Transform::Year,
            "month" => Transform::Month,
            "day" => Transform::Day,
            "hour" => Transform::Hour,
            "void" => Transform::Void,
            _ => {
                if let Some(n) = arg("bucket[") {
                    Transform::Bucket(n)
                } else if let Some(w) = arg("truncate[") {
                    Transform::Truncate(w)
                } else {
                    return Err(IcebergError::Json(format!("unknown transform {name:?}")));
                }
            }
        })
    }

    /// The partition value's type for a source of type `source`, or an error when the
    /// transform does not apply to it.
    pub fn result_type(self, source: PrimitiveType) -> Result<PrimitiveType> {
        use PrimitiveType as P;
        let temporal_date = matches!(source, P::Date | P::Timestamp | P::Timestamptz);
        let ok = match self {
            Transform::Identity | Transform::Void => return Ok(source),
            Transform::Year | Transform::Month => temporal_date.then_some(P::Int),
            Transform::Day => temporal_date.then_some(P::Date),
            Transform::Hour => matches!(source, P::Timestamp | P::Timestamptz).then_some(P::Int),
            Transform::Bucket(_) => Some(P::Int),
            Transform::Truncate(_) => Some(source),
        };
        ok.ok_or_else(|| {
            IcebergError::invalid(format!(
                "transform {} cannot apply to {}",
                self.name(),
                source.name()
            ))
        })
    }

    /// The partition value of a source value (`None` is null).
    pub fn apply(self, value: Option<&Value>) -> Result<Option<Value>> {
        let Some(value) = value else { return Ok(None) };
        let micros = |v: &Value| match v {
            Value::Timestamp(m) | Value::Timestamptz(m) => Some(*m),
            Value::Date(d) => Some(i64::from(*d) * MICROS_PER_DAY),
            _ => None,
        };
        let unsupported =
            || IcebergError::invalid(format!("transform {} cannot apply to {value:?}", self.name()));
        let to_int =
            |v: i64| i32::try_from(v).map_err(|_| IcebergError::invalid("partition value out of int range"));
        Ok(match self {
            Transform::Identity => Some(value.clone()),
            Transform::Void => None,
            Transform::Day => {
                let m = micros(value).ok_or_else(unsupported)?;
                Some(Value::Date(to_int(m.div_euclid(MICROS_PER_DAY))?))
            }
            Transform::Hour => match value {
                Value::Timestamp(m) | Value::Timestamptz(m) => {
                    Some(Value::Int(to_int(m.div_euclid(MICROS_PER_HOUR))?))
                }
                _ => return Err(unsupported()),
            },
            Transform::Month | Transform::Year => {
                let m = micros(value).ok_or_else(unsupported)?;
                let (y, mo, _) = civil_from_days(m.div_euclid(MICROS_PER_DAY));
                let months = (y - 1970) * 12 + i64::from(mo) - 1;
                Some(Value::Int(to_int(if self == Transform::Year {
                    y - 1970
                } else {
                    months
                })?))
            }
            Transform::Bucket(_) | Transform::Truncate(_) => {
                return Err(IcebergError::Unsupported(format!(
                    "computing the {} transform",
                    self.name()
                )));
            }
        })
    }

    /// The human string of a partition value of this transform, as Java prints it in
    /// partition paths (`2024-03-05`, `2024-03-05-13`, `2024-03`, `2024`).
    pub fn human_string(self, value: Option<&Value>) -> String {
        let Some(value) = value else { return "null".into() };
        match (self, value) {
            (Transform::Year, Value::Int(y)) => format!("{:04}", 1970 + i64::from(*y)),
            (Transform::Month, Value::Int(m)) => {
                let m = i64::from(*m);
                format!("{:04}-{:02}", 1970 + m.div_euclid(12), m.rem_euclid(12) + 1)
            }
            (Transform::Hour, Value::Int(h)) => {
                let h = i64::from(*h);
                let (y, mo, d) = civil_from_days(h.div_euclid(24));
                format!("{y:04}-{mo:02}-{d:02}-{:02}", h.rem_euclid(24))
            }
            (_, v) => value_human_string(v),
        }
    }
}

/// A value's human string (Java's `Transforms.identity().toHumanString`).
fn value_human_string(v: &Value) -> String {
    match v {
        Value::Boolean(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Long(l) => l.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Double(d) => d.to_string(),
        Value::Date(d) => {
            let (y, m, d) = civil_from_days(i64::from(*d));
            format!("{y:04}-{m:02}-{d:02}")
        }
        Value::Time(t) => {
            let secs = t.div_euclid(1_000_000);
            let frac = t.rem_euclid(1_000_000);
            let base = format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
            if frac == 0 {
                base
            } else {
                format!("{base}.{frac:06}")
            }
        }
        Value::Timestamp(m) => timestamp_string(*m),
        Value::Timestamptz(m) => format!("{}+00:00", timestamp_string(*m)),
        Value::String(s) => s.clone(),
        Value::Uuid(u) => uuid::Uuid::from_bytes(*u).to_string(),
        Value::Fixed(b) | Value::Binary(b) => base64(b),
        Value::Decimal(v) => v.to_string(),
    }
}

fn timestamp_string(micros: i64) -> String {
    let (y, m, d) = civil_from_days(micros.div_euclid(MICROS_PER_DAY));
    let in_day = micros.rem_euclid(MICROS_PER_DAY);
    let secs = in_day / 1_000_000;
    let frac = in_day % 1_000_000;
    let base = format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    );
    if frac == 0 {
        base
    } else {
        format!("{base}.{frac:06}")
    }
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TS: i64 = 1_709_650_800_000_000; // 2024-03-05T15:00:00Z

    #[test]
    fn temporal_transforms() {
        let ts = Value::Timestamptz(TS);
        let day = Transform::Day.apply(Some(&ts)).expect("applies");
        assert_eq!(Transform::Day.human_string(day.as_ref()), "2024-03-05");
        let hour = Transform::Hour.apply(Some(&ts)).expect("applies");
        assert_eq!(Transform::Hour.human_string(hour.as_ref()), "2024-03-05-15");
        let month = Transform::Month.apply(Some(&ts)).expect("applies");
        assert_eq!(month, Some(Value::Int((2024 - 1970) * 12 + 2)));
        assert_eq!(Transform::Month.human_string(month.as_ref()), "2024-03");
        let year = Transform::Year.apply(Some(&Value::Date(-1))).expect("applies");
        assert_eq!(Transform::Year.human_string(year.as_ref()), "1969");
        assert_eq!(Transform::Day.apply(None).expect("null"), None);
        assert!(Transform::Hour.apply(Some(&Value::Date(3))).is_err());
        assert_eq!(
            Transform::Identity.human_string(Some(&ts)),
            "2024-03-05T15:00:00+00:00"
        );
    }

    #[test]
    fn names_round_trip() {
        for t in [
            Transform::Identity,
            Transform::Bucket(16),
            Transform::Truncate(4),
            Transform::Hour,
        ] {
            assert_eq!(Transform::parse(&t.name()).expect("parses"), t);
        }
        assert_eq!(base64(b"ab"), "YWI=");
    }
}
