//! The `protobuf` format on rows: the type mapping, null rules and options of [`super::plan`],
//! checked by writing rows and reading the bytes back as a second, independent message (and
//! the reverse), and against hand-made wire bytes.

use std::collections::BTreeMap;
use std::path::Path;

use spate_protobuf::ProtoSchema;
use spate_protobuf::prost_reflect::{DynamicMessage, Value as Pb};

use super::super::{FormatField, RowFormat};
use crate::ident::Ident;
use crate::types::{DataType, RowField, TypeKind};
use crate::value::Value;

const PROTO: &str = r#"
syntax = "proto3";
package shop;
option java_package = "com.shop";
option java_outer_classname = "OrderProto";
import "google/protobuf/timestamp.proto";
import "confluent/type/decimal.proto";
message Order {
  int64 id = 1;
  string name = 2;
  optional string note = 3;
  Status status = 4;
  repeated string tags = 5;
  map<string, int32> counts = 6;
  Line line = 7;
  google.protobuf.Timestamp at = 8;
  confluent.type.Decimal price = 9;
  uint32 small = 10;
  repeated Line lines = 11;
  message Line { string sku = 1; int32 qty = 2; }
  enum Status { NEW = 0; PAID = 1; }
}
"#;

const PROTO2: &str = r#"
syntax = "proto2";
package legacy;
message Event { optional int32 id = 1 [default = 7]; optional string name = 2 [default = "none"]; required bool ok = 3; }
"#;

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("writes");
    path.display().to_string()
}

fn ty(kind: TypeKind) -> DataType {
    DataType::new(kind)
}

fn string() -> DataType {
    ty(TypeKind::Varchar(crate::types::MAX_LENGTH))
}

fn line_row() -> DataType {
    ty(TypeKind::Row(vec![
        RowField {
            name: Ident::new("sku"),
            ty: string(),
            description: None,
        },
        RowField {
            name: Ident::new("qty"),
            ty: ty(TypeKind::Int),
            description: None,
        },
    ]))
}

fn order_fields() -> Vec<FormatField> {
    vec![
        FormatField::new("id", ty(TypeKind::BigInt)),
        FormatField::new("name", string()),
        FormatField::new("note", string()),
        FormatField::new("status", string()),
        FormatField::new("tags", ty(TypeKind::Array(Box::new(string())))),
        FormatField::new(
            "counts",
            ty(TypeKind::Map(Box::new(string()), Box::new(ty(TypeKind::Int)))),
        ),
        FormatField::new("line", line_row()),
        FormatField::new("at", ty(TypeKind::TimestampLtz(3))),
        FormatField::new(
            "price",
            ty(TypeKind::Decimal {
                precision: 10,
                scale: 2,
            }),
        ),
        FormatField::new("small", ty(TypeKind::Int)),
        FormatField::new("lines", ty(TypeKind::Array(Box::new(line_row())))),
    ]
}

fn options(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn format(dir: &Path, message: &str, extra: &[(&str, &str)]) -> RowFormat {
    let proto = write(dir, "order.proto", PROTO);
    let mut o = options(&[("message-class-name", message), ("proto-file", &proto)]);
    o.extend(options(extra));
    RowFormat::new("protobuf", order_fields(), &o).expect("the format is valid")
}

fn full_row() -> Vec<Value> {
    vec![
        Value::Int(42),
        Value::String("pen".into()),
        Value::String("gift".into()),
        Value::String("PAID".into()),
        Value::Array(vec![Value::String("a".into()), Value::Null]),
        Value::Map(vec![(Value::String("red".into()), Value::Int(2))]),
        Value::Row(vec![Value::String("p-1".into()), Value::Int(3)]),
        Value::Timestamp(1_700_000_000_123_456),
        Value::Decimal(-12_345),
        Value::Int(-1),
        Value::Array(vec![Value::Row(vec![Value::String("q".into()), Value::Int(1)])]),
    ]
}

#[test]
fn rows_round_trip_and_the_bytes_are_the_message_protobuf_defines() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = format(
        dir.path(),
        "shop.Order",
        &[("write-null-string-literal", "<null>")],
    );
    let mut bytes = Vec::new();
    f.encode(&full_row(), &mut bytes).expect("encodes");

    // Read back by a second decoder that knows only the .proto.
    let schema = ProtoSchema::parse(PROTO, &[]).expect("compiles");
    let m = DynamicMessage::decode(schema.message("shop.Order").expect("message"), bytes.as_slice())
        .expect("decodes");
    assert_eq!(m.get_field_by_name("id").as_deref(), Some(&Pb::I64(42)));
    assert_eq!(m.get_field_by_name("status").as_deref(), Some(&Pb::EnumNumber(1)));
    // A NULL array element has no Protobuf form: written as the null-string literal.
    assert_eq!(
        m.get_field_by_name("tags").as_deref(),
        Some(&Pb::List(vec![
            Pb::String("a".into()),
            Pb::String("<null>".into())
        ]))
    );
    // -1 in an INT column is uint32's 0xffffffff, as Java's int is.
    assert_eq!(m.get_field_by_name("small").as_deref(), Some(&Pb::U32(u32::MAX)));
    let at = m
        .get_field_by_name("at")
        .expect("at")
        .as_message()
        .expect("a Timestamp")
        .clone();
    assert_eq!(
        at.get_field_by_name("seconds").as_deref(),
        Some(&Pb::I64(1_700_000_000))
    );
    assert_eq!(
        at.get_field_by_name("nanos").as_deref(),
        Some(&Pb::I32(123_456_000))
    );
    let price = m
        .get_field_by_name("price")
        .expect("price")
        .as_message()
        .expect("a Decimal")
        .clone();
    // -12345 as the shortest big-endian two's complement: 0xcf 0xc7.
    assert_eq!(
        price.get_field_by_name("value").as_deref(),
        Some(&Pb::Bytes(vec![0xcf, 0xc7].into()))
    );
    assert_eq!(price.get_field_by_name("scale").as_deref(), Some(&Pb::I32(2)));

    let mut back = Vec::new();
    assert!(f.decode_record(&bytes, &mut back).expect("decodes"));
    let mut expected = full_row();
    expected[4] = Value::Array(vec![Value::String("a".into()), Value::String("<null>".into())]);
    assert_eq!(back, expected);
}

#[test]
fn nulls_follow_presence_as_flink_reads_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = format(dir.path(), "shop.Order", &[]);
    let mut back = Vec::new();
    assert!(
        f.decode_record(&[], &mut back)
            .expect("an empty message is all defaults")
    );
    assert_eq!(
        back,
        vec![
            Value::Int(0), // proto3 scalar: no presence, its default
            Value::String(String::new()),
            Value::Null,                 // proto3 optional: absent is NULL
            Value::String("NEW".into()), // enum: its first value
            Value::Array(vec![]),
            Value::Map(vec![]),
            Value::Null, // message: absent is NULL
            Value::Null,
            Value::Null,
            Value::Int(0),
            Value::Array(vec![]),
        ]
    );
    // NULL columns are left unset, so they read back as above.
    let mut bytes = Vec::new();
    f.encode(&vec![Value::Null; 11], &mut bytes).expect("encodes");
    assert!(bytes.is_empty(), "{bytes:?}");
}

#[test]
fn proto2_defaults_are_read_with_read_default_values() {
    let dir = tempfile::tempdir().expect("tempdir");
    let proto = write(dir.path(), "event.proto", PROTO2);
    let fields = vec![
        FormatField::new("id", ty(TypeKind::Int)),
        FormatField::new("name", string()),
        FormatField::new("ok", ty(TypeKind::Boolean)),
    ];
    let read = |defaults: &str| {
        let o = options(&[
            ("message-class-name", "legacy.Event"),
            ("proto-file", &proto),
            ("read-default-values", defaults),
        ]);
        let f = RowFormat::new("protobuf", fields.clone(), &o).expect("valid");
        let mut out = Vec::new();
        // Only `ok` (field 3, varint 1) is on the wire.
        f.decode_record(&[0x18, 1], &mut out).expect("decodes");
        out
    };
    assert_eq!(
        read("false"),
        vec![Value::Null, Value::Null, Value::Boolean(true)]
    );
    assert_eq!(
        read("true"),
        vec![Value::Int(7), Value::String("none".into()), Value::Boolean(true)]
    );
}

#[test]
fn the_message_is_found_by_java_class_name_and_from_a_descriptor_set() {
    let dir = tempfile::tempdir().expect("tempdir");
    let by_class = format(dir.path(), "com.shop.OrderProto$Order", &[]);
    let mut bytes = Vec::new();
    by_class.encode(&full_row(), &mut bytes).expect("encodes");

    let schema = ProtoSchema::parse(PROTO, &[]).expect("compiles");
    let set = write_bytes(dir.path(), "order.desc", &schema.pool().encode_to_vec());
    let o = options(&[("message-class-name", "shop.Order"), ("descriptor-file", &set)]);
    let from_set = RowFormat::new("protobuf", order_fields(), &o).expect("valid");
    let mut back = Vec::new();
    from_set.decode_record(&bytes, &mut back).expect("decodes");
    assert_eq!(back[0], Value::Int(42));
}

fn write_bytes(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("writes");
    path.display().to_string()
}

#[test]
fn bad_tables_and_bad_bytes_are_named_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let proto = write(dir.path(), "order.proto", PROTO);
    let attempt = |fields: Vec<FormatField>, o: BTreeMap<String, String>| {
        RowFormat::new("protobuf", fields, &o)
            .expect_err("refused")
            .to_string()
    };
    let named = options(&[("message-class-name", "shop.Order"), ("proto-file", &proto)]);
    let e = attempt(vec![FormatField::new("nope", string())], named.clone());
    assert!(
        e.contains("column 'nope' is not a field of message shop.Order"),
        "{e}"
    );
    let e = attempt(vec![FormatField::new("id", string())], named.clone());
    assert!(e.contains("column 'id' of type STRING does not match"), "{e}");
    let e = attempt(vec![FormatField::new("line", line_row())], {
        let mut o = named.clone();
        o.insert("message-class-name".into(), "shop.Missing".into());
        o
    });
    assert!(e.contains("no message 'shop.Missing'"), "{e}");
    let e = attempt(order_fields(), options(&[("message-class-name", "shop.Order")]));
    assert!(e.contains("'protobuf.proto-file'"), "{e}");
    let broken = write(
        dir.path(),
        "broken.proto",
        "syntax = \"proto3\";\nmessage M { int32 a = 1; int32 b = 1; }\n",
    );
    let e = attempt(
        order_fields(),
        options(&[("message-class-name", "M"), ("proto-file", &broken)]),
    );
    assert!(e.contains("broken.proto:2:"), "the compiler's position: {e}");

    let f = format(dir.path(), "shop.Order", &[]);
    let mut out = Vec::new();
    let e = f.decode_record(&[0x08], &mut out).expect_err("cut short");
    assert!(e.0.contains("not a valid shop.Order message"), "{e}");
    assert!(out.is_empty());
    let e = f
        .encode(
            &{
                let mut r = full_row();
                r[3] = Value::String("LOST".into());
                r
            },
            &mut Vec::new(),
        )
        .expect_err("no such enum value");
    assert!(
        e.0.contains("'LOST' is not a value of enum shop.Order.Status"),
        "{e}"
    );
}
