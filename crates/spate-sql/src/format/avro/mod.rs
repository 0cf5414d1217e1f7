//! Flink's `avro` format: each record is one Avro binary datum (no container, no schema id)
//! of the schema Flink derives from the table's columns ([`derive`]).
//!
//! Options: `avro.timestamp_mapping.legacy` (default `true`: `TIMESTAMP(p ≤ 3)` is
//! `timestamp-millis` and `TIMESTAMP_LTZ` has no Avro form; `false`: `TIMESTAMP` is
//! `local-timestamp-*` and `TIMESTAMP_LTZ` is `timestamp-*`), and `avro.codec`, which only
//! Flink's file writer reads (a Kafka record is never compressed by it) and is accepted for
//! that reason.
//!
//! Where Spate differs from Flink 2.3: `MULTISET` columns are refused (Flink writes them as a
//! map of element → count); `TIMESTAMP(4..6)` is read and written as `local-timestamp-micros`
//! with the legacy mapping off, where Flink picks nanoseconds above 6, which Spate's
//! microsecond timestamps do not hold.

mod codec;
pub(super) mod confluent;
pub(super) mod debezium;
mod derive;
mod resolve;

use std::collections::BTreeMap;

use spate_avro::Schema;
use spate_avro::binary::Reader;

use super::options::FormatOptions;
use super::{FormatError, FormatField};
use crate::error::SqlError;
use crate::types::{DataType, TypeKind};
use crate::value::Value;

const OPTIONS: &[&str] = &["timestamp_mapping.legacy", "codec"];

/// A configured `avro` format.
#[derive(Debug)]
pub(crate) struct Avro {
    /// The columns, to walk beside the bytes.
    fields: Vec<FormatField>,
    /// The schema the records are written with (what a reader needs to read them).
    schema: Schema,
}

impl Avro {
    pub(crate) fn new(fields: &[FormatField], options: &BTreeMap<String, String>) -> Result<Self, SqlError> {
        let opts = FormatOptions::new("avro", options, OPTIONS)?;
        let legacy = opts.flag("timestamp_mapping.legacy", true)?;
        for f in fields {
            if contains_multiset(&f.ty) {
                return Err(opts.error(format!(
                    "column '{}': MULTISET columns are not supported by Spate's avro format yet",
                    f.name
                )));
            }
        }
        let text = derive::schema_text(fields, legacy).map_err(|m| opts.error(m))?;
        let schema = Schema::parse(&text).map_err(|e| {
            opts.error(format!(
                "internal error: the derived schema {text} does not parse: {e}"
            ))
        })?;
        Ok(Avro {
            fields: fields.to_vec(),
            schema,
        })
    }

    /// The Avro schema the records follow, in Java's `Schema.toString()` form.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn schema_text(&self) -> String {
        self.schema.to_java_string()
    }

    /// One record: exactly one datum, nothing after it.
    pub(crate) fn decode(&self, bytes: &[u8], out: &mut Vec<Value>) -> Result<bool, FormatError> {
        let mut r = Reader::new(bytes);
        let start = out.len();
        for f in &self.fields {
            match codec::decode(&f.ty, &mut r, 0) {
                Ok(v) => out.push(v),
                Err(e) => {
                    out.truncate(start);
                    return Err(FormatError(format!("column '{}': {}", f.name, e.0)));
                }
            }
        }
        if r.remaining() > 0 {
            out.truncate(start);
            return Err(FormatError(format!(
                "{} bytes after the Avro record (at byte {})",
                r.remaining(),
                r.position()
            )));
        }
        Ok(true)
    }

    pub(crate) fn encode(&self, values: &[Value], out: &mut Vec<u8>) -> Result<(), FormatError> {
        for (f, v) in self.fields.iter().zip(values) {
            codec::encode(&f.ty, v, out, 0)
                .map_err(|e| FormatError(format!("column '{}': {}", f.name, e.0)))?;
        }
        Ok(())
    }
}

fn contains_multiset(ty: &DataType) -> bool {
    match &ty.kind {
        TypeKind::Multiset(_) => true,
        TypeKind::Array(t) => contains_multiset(t),
        TypeKind::Map(k, v) => contains_multiset(k) || contains_multiset(v),
        TypeKind::Row(fields) => fields.iter().any(|f| contains_multiset(&f.ty)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::RowField;

    fn field(name: &str, kind: TypeKind, nullable: bool) -> FormatField {
        FormatField::new(name, DataType { kind, nullable })
    }

    fn fields() -> Vec<FormatField> {
        vec![
            field("id", TypeKind::BigInt, false),
            field("name", TypeKind::Varchar(u32::MAX), true),
            field(
                "price",
                TypeKind::Decimal {
                    precision: 10,
                    scale: 2,
                },
                true,
            ),
            field("ts", TypeKind::Timestamp(3), true),
            field(
                "address",
                TypeKind::Row(vec![RowField {
                    name: crate::ident::Ident::new("city"),
                    ty: DataType::new(TypeKind::Varchar(u32::MAX)),
                    description: None,
                }]),
                true,
            ),
            field(
                "tags",
                TypeKind::Array(Box::new(DataType::new(TypeKind::Int))),
                true,
            ),
        ]
    }

    #[test]
    fn the_schema_is_flinks_derived_one() {
        let avro = Avro::new(&fields(), &BTreeMap::new()).expect("valid");
        assert_eq!(
            avro.schema_text(),
            concat!(
                r#"{"type":"record","name":"record","namespace":"org.apache.flink.avro.generated","fields":["#,
                r#"{"name":"id","type":"long"},"#,
                r#"{"name":"name","type":["null","string"],"default":null},"#,
                r#"{"name":"price","type":["null",{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}],"default":null},"#,
                r#"{"name":"ts","type":["null",{"type":"long","logicalType":"timestamp-millis"}],"default":null},"#,
                r#"{"name":"address","type":["null",{"type":"record","name":"record_address","fields":[{"name":"city","type":["null","string"],"default":null}]}],"default":null},"#,
                r#"{"name":"tags","type":["null",{"type":"array","items":["null","int"]}],"default":null}]}"#
            )
        );
    }

    #[test]
    fn rows_round_trip_and_bytes_are_avros() {
        let avro = Avro::new(&fields(), &BTreeMap::new()).expect("valid");
        let row = vec![
            Value::Int(1),
            Value::String("ab".into()),
            Value::Decimal(-12345),
            Value::Timestamp(1_500_000),
            Value::Row(vec![Value::Null]),
            Value::Array(vec![Value::Int(3), Value::Null]),
        ];
        let mut bytes = Vec::new();
        avro.encode(&row, &mut bytes).expect("fits");
        assert_eq!(
            bytes,
            vec![
                2, 2, 4, b'a', b'b', 2, 4, 0xcf, 0xc7, 2, 0xb8, 0x17, 2, 0, 2, 4, 2, 6, 0, 0
            ]
        );
        // The generic decoder of spate-avro reads the same bytes under the derived schema.
        assert_eq!(avro.schema.decode(&bytes).expect("a datum").1, bytes.len());
        let mut back = Vec::new();
        assert_eq!(avro.decode(&bytes, &mut back), Ok(true));
        assert_eq!(back, row);
    }

    #[test]
    fn bad_records_are_errors_not_panics() {
        let avro = Avro::new(&fields(), &BTreeMap::new()).expect("valid");
        let mut out = Vec::new();
        for bad in [&b""[..], &[2, 9], &[2, 0, 0, 0, 0, 0, 0, 7], &[0xff; 12]] {
            assert!(avro.decode(bad, &mut out).is_err(), "{bad:?}");
        }
        let mut bytes = Vec::new();
        avro.encode(
            &[
                Value::Int(1),
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
            ],
            &mut bytes,
        )
        .expect("fits");
        bytes.push(0);
        assert!(
            avro.decode(&bytes, &mut out)
                .unwrap_err()
                .0
                .contains("after the Avro record")
        );
        assert!(
            avro.encode(&vec![Value::Null; 6], &mut Vec::new()).is_err(),
            "NULL in NOT NULL id"
        );
    }

    #[test]
    fn unsupported_types_say_what_flink_says() {
        let e = Avro::new(&[field("t", TypeKind::Timestamp(6), true)], &BTreeMap::new()).unwrap_err();
        assert!(
            e.to_string()
                .contains("Avro does not support TIMESTAMP type with precision: 6"),
            "{e}"
        );
        let e = Avro::new(&[field("t", TypeKind::TimestampLtz(3), true)], &BTreeMap::new()).unwrap_err();
        assert!(
            e.to_string().contains("Unsupported to derive Schema for type"),
            "{e}"
        );
        let mut o = BTreeMap::new();
        o.insert("timestamp_mapping.legacy".to_string(), "false".to_string());
        assert!(Avro::new(&[field("t", TypeKind::TimestampLtz(3), true)], &o).is_ok());
    }
}
