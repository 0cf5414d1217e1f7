//! Schema evolutions with the differences Confluent's registry finds for them, derived from its
//! `protobuf-provider` diff rules (`SchemaDiff`, `MessageSchemaDiff`, `FieldSchemaDiff`,
//! `EnumSchemaDiff`): each case lists every difference (kind and path) from the original to
//! the update, and whether the update may be registered under BACKWARD.

use spate_protobuf::ProtoSchema;
use spate_protobuf::compat::{self, DifferenceKind, DifferenceKind::*};

struct Case {
    name: &'static str,
    original: &'static str,
    update: &'static str,
    expected: &'static [(DifferenceKind, &'static str)],
}

const CUSTOMER_V1: &str = "syntax = \"proto3\"; package crm; message Customer { string name = 1; }";
const CUSTOMER_V2_ADDED: &str =
    "syntax = \"proto3\"; package crm; message Customer { string name = 1; int64 since = 2; }";
const CUSTOMER_V2_RETYPED: &str = "syntax = \"proto3\"; package crm; message Customer { int64 name = 1; }";

/// The schema text; `@v1`, `@v2+` or `@v2x` at its start picks a version of the imported
/// `customer.proto`.
fn schema(text: &str) -> ProtoSchema {
    let (reference, text) = match text.split_once(' ') {
        Some(("@v1", rest)) => (Some(CUSTOMER_V1), rest),
        Some(("@v2+", rest)) => (Some(CUSTOMER_V2_ADDED), rest),
        Some(("@v2x", rest)) => (Some(CUSTOMER_V2_RETYPED), rest),
        _ => (None, text),
    };
    let references: Vec<(String, String)> = reference
        .map(|r| ("customer.proto".to_string(), r.to_string()))
        .into_iter()
        .collect();
    ProtoSchema::parse(text, &references).unwrap_or_else(|e| panic!("{text}: {e}"))
}

const CASES: &[Case] = &[
    Case {
        name: "adding a field",
        original: "syntax = \"proto3\"; message M { int32 a = 1; }",
        update: "syntax = \"proto3\"; message M { int32 a = 1; string b = 2; }",
        expected: &[(FieldAdded, "#/M/2")],
    },
    Case {
        name: "removing a field",
        original: "syntax = \"proto3\"; message M { int32 a = 1; string b = 2; }",
        update: "syntax = \"proto3\"; message M { int32 a = 1; }",
        expected: &[(FieldRemoved, "#/M/2")],
    },
    Case {
        name: "renaming a field (matched by number, not name)",
        original: "syntax = \"proto3\"; message M { int32 a = 1; }",
        update: "syntax = \"proto3\"; message M { int32 amount = 1; }",
        expected: &[(FieldNameChanged, "#/M/1")],
    },
    Case {
        name: "swapping two fields' numbers",
        original: "syntax = \"proto3\"; message M { int32 a = 1; string b = 2; }",
        update: "syntax = \"proto3\"; message M { string b = 1; int32 a = 2; }",
        expected: &[
            (FieldNameChanged, "#/M/1"),
            (FieldScalarKindChanged, "#/M/1"),
            (FieldNameChanged, "#/M/2"),
            (FieldScalarKindChanged, "#/M/2"),
        ],
    },
    Case {
        name: "int32 to int64, uint32, uint64 and bool: one varint group",
        original: "syntax = \"proto3\"; message M { int32 a = 1; int32 b = 2; int32 c = 3; int32 d = 4; }",
        update: "syntax = \"proto3\"; message M { int64 a = 1; uint32 b = 2; uint64 c = 3; bool d = 4; }",
        expected: &[],
    },
    Case {
        name: "int32 to sint32: zigzag is another group",
        original: "syntax = \"proto3\"; message M { int32 a = 1; }",
        update: "syntax = \"proto3\"; message M { sint32 a = 1; }",
        expected: &[(FieldScalarKindChanged, "#/M/1")],
    },
    Case {
        name: "sint32 to sint64",
        original: "syntax = \"proto3\"; message M { sint32 a = 1; }",
        update: "syntax = \"proto3\"; message M { sint64 a = 1; }",
        expected: &[],
    },
    Case {
        name: "fixed32 to sfixed32, fixed64 to sfixed64",
        original: "syntax = \"proto3\"; message M { fixed32 a = 1; fixed64 b = 2; }",
        update: "syntax = \"proto3\"; message M { sfixed32 a = 1; sfixed64 b = 2; }",
        expected: &[],
    },
    Case {
        name: "fixed32 to fixed64 and float to double",
        original: "syntax = \"proto3\"; message M { fixed32 a = 1; float b = 2; }",
        update: "syntax = \"proto3\"; message M { fixed64 a = 1; double b = 2; }",
        expected: &[
            (FieldScalarKindChanged, "#/M/1"),
            (FieldScalarKindChanged, "#/M/2"),
        ],
    },
    Case {
        name: "string to bytes",
        original: "syntax = \"proto3\"; message M { string a = 1; }",
        update: "syntax = \"proto3\"; message M { bytes a = 1; }",
        expected: &[],
    },
    Case {
        name: "int32 to an enum: an enum is a general number",
        original: "syntax = \"proto3\"; message M { int32 a = 1; }",
        update: "syntax = \"proto3\"; message M { E a = 1; } enum E { Z = 0; }",
        expected: &[(EnumAdded, "#/E")],
    },
    Case {
        name: "string to a message",
        original: "syntax = \"proto3\"; message M { string a = 1; } message N { string s = 1; }",
        update: "syntax = \"proto3\"; message M { N a = 1; } message N { string s = 1; }",
        expected: &[(FieldKindChanged, "#/M/1")],
    },
    Case {
        name: "repeated message to a map",
        original: "syntax = \"proto3\"; message M { repeated N a = 1; } message N { string key = 1; int32 value = 2; }",
        update: "syntax = \"proto3\"; message M { map<string, int32> a = 1; } message N { string key = 1; int32 value = 2; }",
        expected: &[(FieldKindChanged, "#/M/1")],
    },
    Case {
        name: "a map's value from int32 to int64",
        original: "syntax = \"proto3\"; message M { map<string, int32> a = 1; }",
        update: "syntax = \"proto3\"; message M { map<string, int64> a = 1; }",
        expected: &[],
    },
    Case {
        name: "a map's key and value leave their groups",
        original: "syntax = \"proto3\"; message M { map<string, int32> a = 1; }",
        update: "syntax = \"proto3\"; message M { map<int32, double> a = 1; }",
        expected: &[
            (FieldScalarKindChanged, "#/M/1"),
            (FieldScalarKindChanged, "#/M/1"),
        ],
    },
    Case {
        name: "a message field to another message type",
        original: "syntax = \"proto3\"; message M { A a = 1; } message A { int32 x = 1; } message B { int32 x = 1; }",
        update: "syntax = \"proto3\"; message M { B a = 1; } message A { int32 x = 1; } message B { int32 x = 1; }",
        expected: &[(FieldNamedTypeChanged, "#/M/1")],
    },
    Case {
        name: "proto2 optional int32 to repeated",
        original: "syntax = \"proto2\"; message M { optional int32 a = 1; }",
        update: "syntax = \"proto2\"; message M { repeated int32 a = 1; }",
        expected: &[(FieldNumericLabelChanged, "#/M/1")],
    },
    Case {
        name: "proto2 optional string to repeated",
        original: "syntax = \"proto2\"; message M { optional string a = 1; }",
        update: "syntax = \"proto2\"; message M { repeated string a = 1; }",
        expected: &[(FieldStringOrBytesLabelChanged, "#/M/1")],
    },
    Case {
        name: "proto3 int32 to repeated: no label written before, nothing compared",
        original: "syntax = \"proto3\"; message M { int32 a = 1; }",
        update: "syntax = \"proto3\"; message M { repeated int32 a = 1; }",
        expected: &[],
    },
    Case {
        name: "proto3 optional int32 to repeated",
        original: "syntax = \"proto3\"; message M { optional int32 a = 1; }",
        update: "syntax = \"proto3\"; message M { repeated int32 a = 1; }",
        expected: &[(FieldNumericLabelChanged, "#/M/1")],
    },
    Case {
        name: "proto3 field made optional: its synthetic oneof is no oneof",
        original: "syntax = \"proto3\"; message M { int32 a = 1; }",
        update: "syntax = \"proto3\"; message M { optional int32 a = 1; optional string b = 2; }",
        expected: &[(FieldAdded, "#/M/2")],
    },
    Case {
        name: "adding a proto2 required field",
        original: "syntax = \"proto2\"; message M { optional int32 a = 1; }",
        update: "syntax = \"proto2\"; message M { optional int32 a = 1; required string b = 2; }",
        expected: &[(RequiredFieldAdded, "#/M/2")],
    },
    Case {
        name: "removing a proto2 required field",
        original: "syntax = \"proto2\"; message M { optional int32 a = 1; required string b = 2; }",
        update: "syntax = \"proto2\"; message M { optional int32 a = 1; }",
        expected: &[(RequiredFieldRemoved, "#/M/2")],
    },
    Case {
        name: "changing the package",
        original: "syntax = \"proto3\"; package shop.v1; message M { int32 a = 1; }",
        update: "syntax = \"proto3\"; package shop.v2; message M { int32 a = 1; }",
        expected: &[(PackageChanged, "#/")],
    },
    Case {
        name: "adding a message (and the FORWARD view of it is a removal)",
        original: "syntax = \"proto3\"; message M { int32 a = 1; }",
        update: "syntax = \"proto3\"; message M { int32 a = 1; } message N { int32 b = 1; }",
        expected: &[(MessageAdded, "#/N")],
    },
    Case {
        name: "removing a message, even one that is not first",
        original: "syntax = \"proto3\"; message M { int32 a = 1; } message N { int32 b = 1; }",
        update: "syntax = \"proto3\"; message M { int32 a = 1; }",
        expected: &[(MessageRemoved, "#/N")],
    },
    Case {
        name: "every message is compared, not only the first",
        original: "syntax = \"proto3\"; message M { int32 a = 1; } message N { int32 b = 1; }",
        update: "syntax = \"proto3\"; message M { int32 a = 1; } message N { string b = 1; }",
        expected: &[(FieldScalarKindChanged, "#/N/1")],
    },
    Case {
        name: "reordering messages",
        original: "syntax = \"proto3\"; message M { int32 a = 1; } message N { int32 b = 1; }",
        update: "syntax = \"proto3\"; message N { int32 b = 1; } message M { int32 a = 1; }",
        expected: &[(MessageMoved, "#/M"), (MessageMoved, "#/N")],
    },
    Case {
        name: "a nested message's field",
        original: "syntax = \"proto3\"; message Outer { message Inner { int32 a = 1; } Inner i = 1; }",
        update: "syntax = \"proto3\"; message Outer { message Inner { double a = 1; } Inner i = 1; }",
        expected: &[(FieldScalarKindChanged, "#/Outer/Inner/1")],
    },
    Case {
        name: "enum constants added, renamed and removed",
        original: "syntax = \"proto3\"; enum E { A = 0; B = 1; C = 2; } message M { E e = 1; }",
        update: "syntax = \"proto3\"; enum E { A = 0; BEE = 1; D = 3; } message M { E e = 1; }",
        expected: &[
            (EnumConstChanged, "#/E/1"),
            (EnumConstRemoved, "#/E/2"),
            (EnumConstAdded, "#/E/3"),
        ],
    },
    Case {
        name: "removing an unused enum",
        original: "syntax = \"proto3\"; enum E { A = 0; } message M { int32 a = 1; }",
        update: "syntax = \"proto3\"; message M { int32 a = 1; }",
        expected: &[(EnumRemoved, "#/E")],
    },
    Case {
        name: "adding a oneof of new fields",
        original: "syntax = \"proto3\"; message M { int32 a = 1; }",
        update: "syntax = \"proto3\"; message M { int32 a = 1; oneof pay { string card = 2; string iban = 3; } }",
        expected: &[
            (OneofAdded, "#/M/pay"),
            (OneofFieldAdded, "#/M/pay/2"),
            (OneofFieldAdded, "#/M/pay/3"),
        ],
    },
    Case {
        name: "removing one member of a oneof",
        original: "syntax = \"proto3\"; message M { oneof pay { string card = 2; string iban = 3; } }",
        update: "syntax = \"proto3\"; message M { oneof pay { string card = 2; } }",
        expected: &[(OneofFieldRemoved, "#/M/pay/3")],
    },
    Case {
        name: "removing a whole oneof",
        original: "syntax = \"proto3\"; message M { int32 a = 1; oneof pay { string card = 2; string iban = 3; } }",
        update: "syntax = \"proto3\"; message M { int32 a = 1; }",
        expected: &[(OneofRemoved, "#/M/pay")],
    },
    Case {
        name: "moving a oneof's members out to plain fields",
        original: "syntax = \"proto3\"; message M { oneof pay { string card = 2; string iban = 3; } }",
        update: "syntax = \"proto3\"; message M { string card = 2; string iban = 3; }",
        expected: &[
            (OneofRemoved, "#/M/pay"),
            (OneofFieldMovedToTopLevel, "#/M/2"),
            (OneofFieldMovedToTopLevel, "#/M/3"),
        ],
    },
    Case {
        name: "wrapping one plain field in a new oneof",
        original: "syntax = \"proto3\"; message M { string card = 2; }",
        update: "syntax = \"proto3\"; message M { oneof pay { string card = 2; string iban = 3; } }",
        expected: &[(OneofAdded, "#/M/pay"), (OneofFieldAdded, "#/M/pay/3")],
    },
    Case {
        name: "moving two plain fields into a new oneof",
        original: "syntax = \"proto3\"; message M { string card = 2; string iban = 3; }",
        update: "syntax = \"proto3\"; message M { oneof pay { string card = 2; string iban = 3; } }",
        expected: &[(MultipleFieldsMovedToOneof, "#/M/pay"), (OneofAdded, "#/M/pay")],
    },
    Case {
        name: "moving a plain field into an existing oneof",
        original: "syntax = \"proto3\"; message M { string iban = 3; oneof pay { string card = 2; } }",
        update: "syntax = \"proto3\"; message M { oneof pay { string card = 2; string iban = 3; } }",
        expected: &[(FieldMovedToExistingOneof, "#/M/pay")],
    },
    Case {
        name: "renaming a oneof hides no member change",
        original: "syntax = \"proto3\"; message M { oneof pay { string card = 2; int32 iban = 3; } }",
        update: "syntax = \"proto3\"; message M { oneof method { string card = 2; double iban = 3; } }",
        expected: &[
            (OneofAdded, "#/M/method"),
            (OneofRemoved, "#/M/pay"),
            (FieldScalarKindChanged, "#/M/method/3"),
        ],
    },
    Case {
        name: "a referenced message gains a field",
        original: "@v1 syntax = \"proto3\"; import \"customer.proto\"; message Order { crm.Customer who = 1; }",
        update: "@v2+ syntax = \"proto3\"; import \"customer.proto\"; message Order { crm.Customer who = 1; }",
        expected: &[(FieldAdded, "#/Customer/2")],
    },
    Case {
        name: "a referenced message's field changes type",
        original: "@v1 syntax = \"proto3\"; import \"customer.proto\"; message Order { crm.Customer who = 1; }",
        update: "@v2x syntax = \"proto3\"; import \"customer.proto\"; message Order { crm.Customer who = 1; }",
        expected: &[
            (FieldScalarKindChanged, "#/Customer/1"),
            (FieldNamedTypeChanged, "#/Order/1"),
        ],
    },
    Case {
        name: "a local message moved to a reference, unchanged",
        original: "syntax = \"proto3\"; package crm; message Order { Customer who = 1; } message Customer { string name = 1; }",
        update: "@v1 syntax = \"proto3\"; package crm; import \"customer.proto\"; message Order { Customer who = 1; }",
        expected: &[(MessageRemoved, "#/Customer")],
    },
];

#[test]
fn evolutions_have_confluents_differences() {
    assert!(CASES.len() >= 20);
    let mut failures = Vec::new();
    for case in CASES {
        let got: Vec<(DifferenceKind, String)> =
            compat::differences(&schema(case.original), &schema(case.update))
                .into_iter()
                .map(|d| (d.kind, d.path))
                .collect();
        let expected: Vec<(DifferenceKind, String)> =
            case.expected.iter().map(|(k, p)| (*k, p.to_string())).collect();
        if got != expected {
            failures.push(format!(
                "{}:\n  expected {expected:?}\n  got      {got:?}",
                case.name
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn evolutions_are_backward_compatible_exactly_when_every_difference_is() {
    for case in CASES {
        let original = schema(case.original);
        let update = schema(case.update);
        let compatible = case.expected.iter().all(|(k, _)| k.compatible());
        assert_eq!(
            compat::is_compatible(&original, &update),
            compatible,
            "{}",
            case.name
        );
        assert_eq!(
            compat::incompatibilities(&original, &update, true).len(),
            case.expected.iter().filter(|(k, _)| !k.compatible()).count(),
            "{}",
            case.name
        );
    }
}

#[test]
fn adding_a_message_is_backward_but_not_forward_compatible() {
    let old = schema("syntax = \"proto3\"; message M { int32 a = 1; }");
    let new = schema("syntax = \"proto3\"; message M { int32 a = 1; } message N { int32 b = 1; }");
    assert!(compat::incompatibilities(&old, &new, true).is_empty());
    // FORWARD: the registered version (the update) must read the new one's data.
    assert_eq!(
        compat::incompatibilities(&new, &old, false),
        [
            "{errorType:\"MESSAGE_REMOVED\", description:\"The old schema is missing a MESSAGE type at path '#/N' in the new schema\"}"
        ]
    );
}
