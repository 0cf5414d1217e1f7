use super::*;

fn schema(text: &str) -> ProtoSchema {
    ProtoSchema::parse(text, &[]).expect("schema compiles")
}

fn kinds_and_paths(original: &str, update: &str) -> Vec<(DifferenceKind, String)> {
    differences(&schema(original), &schema(update))
        .into_iter()
        .map(|d| (d.kind, d.path))
        .collect()
}

fn d(kind: DifferenceKind, path: &str) -> (DifferenceKind, String) {
    (kind, path.to_string())
}

#[test]
fn identical_schemas_have_no_differences() {
    let s = schema("syntax = \"proto3\"; message A { int32 x = 1; map<string, A> m = 2; A self = 3; }");
    assert!(differences(&s, &s).is_empty());
}

#[test]
fn names_and_compatibility_are_confluents() {
    use DifferenceKind::*;
    assert_eq!(FieldKindChanged.name(), "FIELD_KIND_CHANGED");
    assert_eq!(OneofFieldMovedToTopLevel.name(), "ONEOF_FIELD_MOVED_TO_TOP_LEVEL");
    // SchemaDiff.COMPATIBLE_CHANGES holds 15 of the 26 types.
    let all = [
        PackageChanged,
        MessageAdded,
        MessageRemoved,
        MessageMoved,
        EnumAdded,
        EnumRemoved,
        EnumConstAdded,
        EnumConstChanged,
        EnumConstRemoved,
        FieldAdded,
        FieldRemoved,
        FieldNameChanged,
        FieldKindChanged,
        FieldScalarKindChanged,
        FieldNamedTypeChanged,
        FieldNumericLabelChanged,
        FieldStringOrBytesLabelChanged,
        RequiredFieldAdded,
        RequiredFieldRemoved,
        OneofAdded,
        OneofRemoved,
        OneofFieldAdded,
        OneofFieldRemoved,
        OneofFieldMovedToTopLevel,
        MultipleFieldsMovedToOneof,
        FieldMovedToExistingOneof,
    ];
    assert_eq!(all.iter().filter(|k| k.compatible()).count(), 15);
    // Every incompatible kind has a description, no compatible one does.
    for kind in all {
        let text = Difference {
            kind,
            path: "#/M/1".into(),
        }
        .description("new", "old");
        assert_eq!(
            text.is_empty(),
            kind.compatible() && kind != OneofFieldMovedToTopLevel,
            "{kind:?}"
        );
    }
}

#[test]
fn the_package_comes_first_at_the_root_path() {
    let diffs = kinds_and_paths(
        "syntax = \"proto3\"; package a; message M { int32 x = 1; }",
        "syntax = \"proto3\"; package b; message M { string x = 1; }",
    );
    assert_eq!(
        diffs,
        [
            d(DifferenceKind::PackageChanged, "#/"),
            d(DifferenceKind::FieldScalarKindChanged, "#/M/1")
        ]
    );
}

#[test]
fn paths_name_nested_messages_oneofs_and_enum_constants() {
    let diffs = kinds_and_paths(
        "syntax = \"proto3\"; message Outer { message Inner { int32 x = 1; } \
         enum Color { RED = 0; } oneof pick { int32 a = 2; } }",
        "syntax = \"proto3\"; message Outer { message Inner { double x = 1; } \
         enum Color { RED = 0; BLUE = 1; } oneof pick { float a = 2; } }",
    );
    assert_eq!(
        diffs,
        [
            d(DifferenceKind::FieldScalarKindChanged, "#/Outer/pick/2"),
            d(DifferenceKind::FieldScalarKindChanged, "#/Outer/Inner/1"),
            d(DifferenceKind::EnumConstAdded, "#/Outer/Color/1"),
        ]
    );
}

#[test]
fn map_entries_are_not_messages() {
    let diffs = kinds_and_paths(
        "syntax = \"proto3\"; message M { int32 x = 1; }",
        "syntax = \"proto3\"; message M { int32 x = 1; map<string, int32> counts = 2; }",
    );
    assert_eq!(diffs, [d(DifferenceKind::FieldAdded, "#/M/2")]);
}

#[test]
fn messages_are_reported_in_name_order_with_fields_by_number() {
    let diffs = kinds_and_paths(
        "syntax = \"proto3\"; message B { int32 y = 2; int32 x = 1; } message A { int32 z = 1; }",
        "syntax = \"proto3\"; message B { string y = 2; string x = 1; } message A { }",
    );
    assert_eq!(
        diffs,
        [
            d(DifferenceKind::FieldRemoved, "#/A/1"),
            d(DifferenceKind::FieldScalarKindChanged, "#/B/1"),
            d(DifferenceKind::FieldScalarKindChanged, "#/B/2"),
        ]
    );
}

#[test]
fn messages_name_the_update_first_then_the_original() {
    let old = schema("syntax = \"proto3\"; message M { int32 x = 1; }");
    let new = schema("syntax = \"proto3\"; message M { M x = 1; }");
    assert_eq!(
        incompatibilities(&old, &new, true),
        [
            "{errorType:\"FIELD_KIND_CHANGED\", description:\"The type of a field at path '#/M/1' in the new schema does not match the old schema\"}"
        ]
    );
    // The FORWARD half: the registered version reads the new one's data.
    assert_eq!(
        incompatibilities(&new, &old, false),
        [
            "{errorType:\"FIELD_KIND_CHANGED\", description:\"The type of a field at path '#/M/1' in the old schema does not match the new schema\"}"
        ]
    );
    assert!(!is_compatible(&old, &new));
}

#[test]
fn a_required_field_message_keeps_confluents_double_space() {
    let old = schema("syntax = \"proto2\"; message M { optional int32 x = 1; }");
    let new = schema("syntax = \"proto2\"; message M { optional int32 x = 1; required int32 y = 2; }");
    assert_eq!(
        incompatibilities(&old, &new, true),
        [
            "{errorType:\"REQUIRED_FIELD_ADDED\", description:\"A required field  at path '#/M/2' in the new schema is missing in the old schema\"}"
        ]
    );
}

#[test]
fn compatible_differences_give_no_messages() {
    let old = schema("syntax = \"proto3\"; message M { int32 x = 1; }");
    let new = schema("syntax = \"proto3\"; message M { int32 renamed = 1; string y = 2; } message N {}");
    assert_eq!(differences(&old, &new).len(), 3);
    assert!(incompatibilities(&old, &new, true).is_empty());
    assert!(is_compatible(&old, &new));
}

fn with_reference(main: &str, reference: &str) -> ProtoSchema {
    ProtoSchema::parse(main, &[("customer.proto".to_string(), reference.to_string())])
        .expect("schema compiles")
}

#[test]
fn a_recursive_referenced_message_is_compared_once() {
    let main = "syntax = \"proto3\"; import \"customer.proto\"; message Order { Node root = 1; }";
    let old = with_reference(
        main,
        "syntax = \"proto3\"; message Node { repeated Node kids = 1; int32 v = 2; }",
    );
    let new = with_reference(
        main,
        "syntax = \"proto3\"; message Node { repeated Node kids = 1; bytes v = 2; }",
    );
    let diffs: Vec<_> = differences(&old, &new)
        .into_iter()
        .map(|d| (d.kind, d.path))
        .collect();
    assert_eq!(
        diffs,
        [
            d(DifferenceKind::FieldScalarKindChanged, "#/Node/2"),
            d(DifferenceKind::FieldNamedTypeChanged, "#/Order/1"),
        ]
    );
}

#[test]
fn an_unchanged_reference_adds_nothing() {
    let main = "syntax = \"proto3\"; import \"customer.proto\"; package shop; \
                message Order { crm.Customer who = 1; }";
    let reference = "syntax = \"proto3\"; package crm; message Customer { string name = 1; }";
    let s = with_reference(main, reference);
    assert!(differences(&s, &with_reference(main, reference)).is_empty());
}
