//! The CDC formats' metadata (a Kafka table's `value.source.timestamp`, `value.database`, ...),
//! read as Flink 2.3's decoding formats read it (`ReadableMetadata` of each).
//!
//! A key reads one field of the event: the envelope the event is decoded through gains that
//! field (once, however many keys read it), so its value is converted exactly as the `json`
//! format converts it, and each key then makes its value from the field's. A format asked for
//! no key decodes through its plain envelope, paying nothing.
//!
//! Debezium's fields are in the payload (inside `payload` with `schema-include`), but for
//! `schema`, the top-level member. A key whose field is missing or `null` is `NULL`. Keys are
//! made only for an event that holds changes, and the same values go to each of its rows; a
//! value that cannot be made (a `source.ts_ms` that is not a Java `long`) makes the event
//! corrupt, as in Flink.
//!
//! The planner's `catalog::format_metadata` lists the keys with their types; the tests below
//! check both lists agree.

use super::{FormatField, field};
use crate::types::{DataType, MAX_LENGTH, TypeKind};
use crate::value::Value;

/// A field's type: the shapes the metadata fields have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FieldType {
    String,
    BigInt,
    StringArray,
    StringToString,
    StringToInt,
}

impl FieldType {
    fn data_type(self) -> DataType {
        let string = || DataType::new(TypeKind::Varchar(MAX_LENGTH));
        let map = |v: TypeKind| TypeKind::Map(Box::new(string()), Box::new(DataType::new(v)));
        match self {
            FieldType::String => string(),
            FieldType::BigInt => DataType::new(TypeKind::BigInt),
            FieldType::StringArray => DataType::new(TypeKind::Array(Box::new(string()))),
            FieldType::StringToString => DataType::new(map(TypeKind::Varchar(MAX_LENGTH))),
            FieldType::StringToInt => DataType::new(map(TypeKind::Int)),
        }
    }
}

/// How a key's value is made from its field's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Make {
    /// The field's value as it is.
    AsIs,
    /// Milliseconds since the epoch → `TIMESTAMP_LTZ(3)`.
    Millis,
    /// Seconds since the epoch → `TIMESTAMP_LTZ(3)` (Maxwell's `ts`).
    Seconds,
    /// A property of Debezium's `source` map, as it is.
    Property(&'static str),
    /// A property of Debezium's `source` map parsed as Java's `Long.parseLong` does, as
    /// milliseconds since the epoch.
    PropertyMillis(&'static str),
}

/// One key of a format.
#[derive(Debug)]
struct KeySpec {
    name: &'static str,
    /// The envelope field it reads.
    field: &'static str,
    field_type: FieldType,
    /// Whether the field is a member of Debezium's payload rather than of the whole event.
    in_payload: bool,
    make: Make,
}

const fn key(
    name: &'static str,
    field: &'static str,
    field_type: FieldType,
    in_payload: bool,
    make: Make,
) -> KeySpec {
    KeySpec {
        name,
        field,
        field_type,
        in_payload,
        make,
    }
}

const DEBEZIUM: &[KeySpec] = &[
    key("schema", "schema", FieldType::String, false, Make::AsIs),
    key(
        "ingestion-timestamp",
        "ts_ms",
        FieldType::BigInt,
        true,
        Make::Millis,
    ),
    key(
        "source.timestamp",
        "source",
        FieldType::StringToString,
        true,
        Make::PropertyMillis("ts_ms"),
    ),
    key(
        "source.database",
        "source",
        FieldType::StringToString,
        true,
        Make::Property("db"),
    ),
    key(
        "source.schema",
        "source",
        FieldType::StringToString,
        true,
        Make::Property("schema"),
    ),
    key(
        "source.table",
        "source",
        FieldType::StringToString,
        true,
        Make::Property("table"),
    ),
    key(
        "source.properties",
        "source",
        FieldType::StringToString,
        true,
        Make::AsIs,
    ),
];

const CANAL: &[KeySpec] = &[
    key("database", "database", FieldType::String, false, Make::AsIs),
    key("table", "table", FieldType::String, false, Make::AsIs),
    key("sql-type", "sqlType", FieldType::StringToInt, false, Make::AsIs),
    key("pk-names", "pkNames", FieldType::StringArray, false, Make::AsIs),
    key(
        "ingestion-timestamp",
        "ts",
        FieldType::BigInt,
        false,
        Make::Millis,
    ),
    key("event-timestamp", "es", FieldType::BigInt, false, Make::Millis),
];

const MAXWELL: &[KeySpec] = &[
    key("database", "database", FieldType::String, false, Make::AsIs),
    key("table", "table", FieldType::String, false, Make::AsIs),
    key(
        "primary-key-columns",
        "primary_key_columns",
        FieldType::StringArray,
        false,
        Make::AsIs,
    ),
    key(
        "ingestion-timestamp",
        "ts",
        FieldType::BigInt,
        false,
        Make::Seconds,
    ),
];

/// The keys of the format `name` (`debezium-json`, `canal-json`, `maxwell-json`).
fn specs(format: &str) -> &'static [KeySpec] {
    match format {
        "debezium-json" => DEBEZIUM,
        "canal-json" => CANAL,
        "maxwell-json" => MAXWELL,
        _ => &[],
    }
}

/// Where a field is in a decoded envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Slot {
    /// In the payload row (the envelope's first value, with Debezium's `schema-include`)
    /// rather than the envelope itself.
    in_payload: bool,
    index: usize,
    /// Added for metadata, so taken out of the envelope; a field the changes are read from
    /// (Canal's `database`) is copied.
    added: bool,
}

/// How a configured format reads the metadata keys a table asked for.
#[derive(Debug, Clone)]
pub(super) struct MetadataReader {
    /// The distinct fields read, in order.
    slots: Vec<Slot>,
    /// Per key asked, in order.
    keys: Vec<KeyRead>,
}

/// How one asked key is read.
#[derive(Debug, Clone, Copy)]
struct KeyRead {
    make: Make,
    /// Which of the reader's slots it reads.
    slot: usize,
    /// No later key reads that slot: its value may be moved rather than copied.
    last: bool,
}

/// The envelope's fields with the fields the keys `asked` of format `format` read, and how to
/// read them: `own` are the event's fields the changes are read from, which `wrap` puts into
/// Debezium's `payload` member with `schema-include`. An unknown key is an error naming the
/// valid ones.
pub(super) fn envelope(
    format: &str,
    own: Vec<FormatField>,
    wrap: Option<fn(Vec<FormatField>) -> FormatField>,
    asked: &[&str],
) -> Result<(Vec<FormatField>, MetadataReader), String> {
    let specs = specs(format);
    let own_len = own.len();
    // Without a wrapper the event's own fields are the envelope, and every field goes there.
    let mut payload = own;
    let mut top = Vec::new();
    let mut slots: Vec<Slot> = Vec::new();
    let mut keys = Vec::with_capacity(asked.len());
    for name in asked {
        let Some(spec) = specs.iter().find(|s| s.name == *name) else {
            let valid: Vec<&str> = specs.iter().map(|s| s.name).collect();
            return Err(format!(
                "format '{format}' has no metadata '{name}'; valid keys: {}",
                valid.join(", ")
            ));
        };
        let in_payload = spec.in_payload || wrap.is_none();
        let fields = if in_payload { &mut payload } else { &mut top };
        let index = match fields.iter().position(|f| f.name == spec.field) {
            Some(index) => index,
            None => {
                fields.push(field(spec.field, spec.field_type.data_type()));
                fields.len() - 1
            }
        };
        let slot = Slot {
            in_payload: in_payload && wrap.is_some(),
            index,
            added: !in_payload || index >= own_len,
        };
        let at = slots.iter().position(|s| *s == slot).unwrap_or_else(|| {
            slots.push(slot);
            slots.len() - 1
        });
        keys.push(KeyRead {
            make: spec.make,
            slot: at,
            last: true,
        });
    }
    for i in 0..keys.len() {
        keys[i].last = !keys[i + 1..].iter().any(|k| k.slot == keys[i].slot);
    }
    let fields = match wrap {
        Some(wrap) => {
            // The payload is the envelope's first member, the top-level fields after it.
            for s in slots.iter_mut().filter(|s| !s.in_payload) {
                s.index += 1;
            }
            std::iter::once(wrap(payload)).chain(top).collect()
        }
        None => payload,
    };
    Ok((fields, MetadataReader { slots, keys }))
}

impl MetadataReader {
    /// The values of the fields the keys read, out of a decoded `envelope`, before its changes
    /// are read from it: a field added for metadata is taken, one of the changes' copied.
    pub(super) fn take_fields(&self, envelope: &mut [Value]) -> Vec<Value> {
        self.slots
            .iter()
            .map(|s| {
                let holder = if s.in_payload {
                    match envelope.first_mut() {
                        Some(Value::Row(payload)) => payload.get_mut(s.index),
                        _ => None,
                    }
                } else {
                    envelope.get_mut(s.index)
                };
                match holder {
                    None => Value::Null,
                    Some(v) if s.added => std::mem::take(v),
                    Some(v) => v.clone(),
                }
            })
            .collect()
    }

    /// Appends the value of each key asked, in order, made from `fields` (what
    /// [`take_fields`](Self::take_fields) gave); the cause when one cannot be made.
    pub(super) fn make(&self, fields: &mut [Value], out: &mut Vec<Value>) -> Result<(), String> {
        for k in &self.keys {
            let Some(field) = fields.get_mut(k.slot) else {
                out.push(Value::Null);
                continue;
            };
            out.push(match k.make {
                Make::AsIs if k.last => std::mem::take(field),
                Make::AsIs => field.clone(),
                Make::Millis => millis(field, 1),
                // Java's `long` arithmetic, as Flink's `ts * 1000`.
                Make::Seconds => millis(field, 1000),
                Make::Property(name) => property(field, name).cloned().unwrap_or_default(),
                Make::PropertyMillis(name) => match property(field, name) {
                    Some(Value::String(text)) => Value::Timestamp(parse_long(text)?.saturating_mul(1000)),
                    _ => Value::Null,
                },
            });
        }
        Ok(())
    }
}

/// A BIGINT of `unit` milliseconds since the epoch as a `TIMESTAMP_LTZ` value.
fn millis(v: &Value, unit: i64) -> Value {
    match v {
        Value::Int(n) => Value::Timestamp(n.wrapping_mul(unit).saturating_mul(1000)),
        _ => Value::Null,
    }
}

/// The value of entry `name` of a `MAP<STRING, STRING>` (the last, should the event repeat a
/// member: Flink's map keeps the last).
fn property<'v>(map: &'v Value, name: &str) -> Option<&'v Value> {
    let Value::Map(entries) = map else {
        return None;
    };
    entries
        .iter()
        .rev()
        .find(|(k, _)| matches!(k, Value::String(s) if s == name))
        .map(|(_, v)| v)
}

/// Java's `Long.parseLong` (an optional sign and decimal digits, in range), with its
/// `NumberFormatException` message. Java also takes digits of other scripts (`١٢`); those are
/// refused here.
fn parse_long(text: &str) -> Result<i64, String> {
    text.parse::<i64>()
        .map_err(|_| format!("For input string: \"{text}\""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::format_metadata;

    /// The planner's list of keys (with their types, which casts start from) is this one.
    #[test]
    fn the_keys_and_types_are_the_planners() {
        for format in ["debezium-json", "canal-json", "maxwell-json", "json"] {
            let planner: Vec<&str> = format_metadata(format).into_iter().map(|(k, _)| k).collect();
            let here: Vec<&str> = specs(format).iter().map(|s| s.name).collect();
            assert_eq!(planner, here, "{format}");
        }
        let ltz = DataType::new(TypeKind::TimestampLtz(3));
        for (format, key, ty) in [
            ("debezium-json", "schema", FieldType::String.data_type()),
            ("debezium-json", "source.timestamp", ltz.clone()),
            (
                "debezium-json",
                "source.properties",
                FieldType::StringToString.data_type(),
            ),
            ("canal-json", "sql-type", FieldType::StringToInt.data_type()),
            ("canal-json", "pk-names", FieldType::StringArray.data_type()),
            ("maxwell-json", "ingestion-timestamp", ltz),
        ] {
            let listed = format_metadata(format).into_iter().find(|(k, _)| *k == key);
            assert_eq!(listed.map(|(_, t)| t), Some(ty), "{format} {key}");
        }
    }

    #[test]
    fn a_source_timestamp_is_a_java_long() {
        assert_eq!(parse_long("+1589355606000"), Ok(1_589_355_606_000));
        assert_eq!(parse_long("-5"), Ok(-5));
        for bad in ["", "1.5", " 1", "not-a-number", "9223372036854775808"] {
            assert_eq!(parse_long(bad), Err(format!("For input string: \"{bad}\"")));
        }
    }

    /// A field read by several keys is added once; a field the changes read is shared.
    #[test]
    fn fields_are_added_once_and_shared() {
        let string = FieldType::String.data_type();
        let own = vec![field("data", string.clone()), field("database", string)];
        let (fields, reader) = envelope(
            "canal-json",
            own,
            None,
            &[
                "ingestion-timestamp",
                "database",
                "event-timestamp",
                "ingestion-timestamp",
            ],
        )
        .expect("keys");
        let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["data", "database", "ts", "es"]);
        let mut envelope = vec![
            Value::Null,
            Value::String("db".into()),
            Value::Int(2),
            Value::Int(3),
        ];
        let mut taken = reader.take_fields(&mut envelope);
        assert_eq!(envelope[1], Value::String("db".into()));
        let mut out = Vec::new();
        reader.make(&mut taken, &mut out).expect("made");
        assert_eq!(
            out,
            [
                Value::Timestamp(2000),
                Value::String("db".into()),
                Value::Timestamp(3000),
                Value::Timestamp(2000)
            ]
        );
        let err = envelope_err("canal-json", &["es"]);
        assert!(
            err.contains("has no metadata 'es'; valid keys: database, table"),
            "{err}"
        );
    }

    fn envelope_err(format: &str, asked: &[&str]) -> String {
        envelope(format, Vec::new(), None, asked).expect_err("unknown key")
    }
}
