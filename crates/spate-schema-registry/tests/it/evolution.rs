//! Each evolution from Confluent's documentation of Avro compatibility, under each level:
//! whether the registry accepts the second schema after the first.

use spate_schema_registry::{Compatibility, Registry};

use crate::{level, record, register};

const A: &str = r#"{"name":"a","type":"int"}"#;

/// (what changes, old fields, new fields, accepted under BACKWARD, FORWARD, FULL).
const CASES: &[(&str, &str, &str, bool, bool, bool)] = &[
    (
        "add a field with a default",
        A,
        r#"{"name":"a","type":"int"},{"name":"b","type":"string","default":"x"}"#,
        true,
        true,
        true,
    ),
    (
        "add a field without a default",
        A,
        r#"{"name":"a","type":"int"},{"name":"b","type":"string"}"#,
        false,
        true,
        false,
    ),
    (
        "remove a field with a default",
        r#"{"name":"a","type":"int"},{"name":"b","type":"string","default":"x"}"#,
        A,
        true,
        true,
        true,
    ),
    (
        "remove a field without a default",
        r#"{"name":"a","type":"int"},{"name":"b","type":"string"}"#,
        A,
        true,
        false,
        false,
    ),
    (
        "widen int to long",
        A,
        r#"{"name":"a","type":"long"}"#,
        true,
        false,
        false,
    ),
    (
        "narrow long to int",
        r#"{"name":"a","type":"long"}"#,
        A,
        false,
        true,
        false,
    ),
    (
        "string to bytes",
        r#"{"name":"a","type":"string"}"#,
        r#"{"name":"a","type":"bytes"}"#,
        true,
        true,
        true,
    ),
    (
        "int to string",
        A,
        r#"{"name":"a","type":"string"}"#,
        false,
        false,
        false,
    ),
    (
        "add an enum symbol",
        r#"{"name":"e","type":{"type":"enum","name":"E","symbols":["X"]}}"#,
        r#"{"name":"e","type":{"type":"enum","name":"E","symbols":["X","Y"]}}"#,
        true,
        false,
        false,
    ),
    (
        "add an enum symbol, old reader has a default",
        r#"{"name":"e","type":{"type":"enum","name":"E","symbols":["X"],"default":"X"}}"#,
        r#"{"name":"e","type":{"type":"enum","name":"E","symbols":["X","Y"],"default":"X"}}"#,
        true,
        true,
        true,
    ),
    (
        "add a union branch",
        r#"{"name":"u","type":["null","int"]}"#,
        r#"{"name":"u","type":["null","int","string"]}"#,
        true,
        false,
        false,
    ),
    (
        "make a field nullable",
        A,
        r#"{"name":"a","type":["null","int"],"default":null}"#,
        true,
        false,
        false,
    ),
    (
        "rename the field, alias kept",
        A,
        r#"{"name":"b","type":"int","aliases":["a"]}"#,
        true,
        false,
        false,
    ),
];

fn accepted(old: &str, new: &str, c: Compatibility) -> bool {
    let mut r = Registry::new();
    level(&mut r, "s", c);
    register(&mut r, "s", &record(old)).expect("the first schema registers");
    register(&mut r, "s", &record(new)).is_ok()
}

#[test]
fn every_documented_evolution_under_every_level() {
    let mut wrong = Vec::new();
    for (what, old, new, backward, forward, full) in CASES {
        for (c, want) in [
            (Compatibility::Backward, backward),
            (Compatibility::Forward, forward),
            (Compatibility::Full, full),
            (Compatibility::None, &true),
        ] {
            if accepted(old, new, c) != *want {
                wrong.push(format!("{what} under {}: expected accepted = {want}", c.name()));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn transitive_levels_check_every_version_not_only_the_latest() {
    let v1 = record(A);
    let v2 = record(r#"{"name":"a","type":"int"},{"name":"b","type":"string","default":"x"}"#);
    let v3 = record(r#"{"name":"a","type":"int"},{"name":"b","type":"string"}"#);
    for (c, v3_accepted) in [
        (Compatibility::Backward, true),
        (Compatibility::BackwardTransitive, false),
    ] {
        let mut r = Registry::new();
        level(&mut r, "s", c);
        register(&mut r, "s", &v1).expect("v1");
        register(&mut r, "s", &v2).expect("v2");
        let third = register(&mut r, "s", &v3);
        assert_eq!(third.is_ok(), v3_accepted, "{}: {third:?}", c.name());
        if let Err(e) = third {
            assert!(e.to_string().contains("{oldSchemaVersion: 1}"), "{e}");
        }
    }
}

#[test]
fn the_409_message_is_confluents() {
    let mut r = Registry::new();
    register(&mut r, "s", &record(A)).expect("v1");
    let e = register(
        &mut r,
        "s",
        &record(r#"{"name":"a","type":"int"},{"name":"f2","type":"string"}"#),
    )
    .unwrap_err();
    assert_eq!((e.status(), e.code()), (409, 40901));
    assert_eq!(
        e.to_string(),
        r#"Schema being registered is incompatible with an earlier schema for subject "s", details: [{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'f2' at path '/fields/1' in the new schema has no default value and is missing in the old schema', additionalInfo:'f2'}, {oldSchemaVersion: 1}, {oldSchema: '{"type":"record","name":"R","namespace":"t","fields":[{"name":"a","type":"int"}]}'}, {validateFields: 'false', compatibility: 'BACKWARD'}]"#
    );
    // FORWARD words it from the old schema's side.
    let mut r = Registry::new();
    level(&mut r, "s", Compatibility::Forward);
    register(
        &mut r,
        "s",
        &record(r#"{"name":"a","type":"int"},{"name":"b","type":"string"}"#),
    )
    .expect("v1");
    let e = register(&mut r, "s", &record(A)).unwrap_err();
    assert!(
        e.to_string().contains("The field 'b' at path '/fields/1' in the old schema has no default value and is missing in the new schema"),
        "{e}"
    );
}
