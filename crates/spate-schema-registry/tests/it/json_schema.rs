//! JSON Schema (Confluent's `JSON` type) through the registry: the evolutions Confluent's
//! documentation of JSON Schema compatibility walks through (open, closed and partially open
//! content models, widening, unions, enums, bounds) under each level, the transitive levels,
//! the 409 and 422 texts, lookups by canonical form, and references by name.

use spate_schema_registry::{Compatibility, NewSchema, Reference, Registry, SchemaType, VersionSpec};

use crate::{level, register};

/// A JSON Schema to register.
fn json(text: &str) -> NewSchema {
    NewSchema {
        schema_type: SchemaType::Json,
        schema: text.to_string(),
        references: Vec::new(),
    }
}

/// An object with these properties; `closed` adds `"additionalProperties":false`.
fn object(properties: &str, extra: &str) -> String {
    format!(r#"{{"type":"object","properties":{{{properties}}}{extra}}}"#)
}

const CLOSED: &str = r#","additionalProperties":false"#;
const A: &str = r#""a":{"type":"string"}"#;
const AB: &str = r#""a":{"type":"string"},"b":{"type":"integer"}"#;

/// (what changes, old, new, accepted under BACKWARD, FORWARD, FULL).
fn cases() -> Vec<(&'static str, String, String, bool, bool, bool)> {
    let partial = r#","additionalProperties":{"type":"string"}"#;
    vec![
        // Old data may hold any property in an open model, so a reader that adds one may not
        // read it; removing one only opens the reader further.
        (
            "open: add a property",
            object(A, ""),
            object(AB, ""),
            false,
            true,
            false,
        ),
        (
            "open: remove a property",
            object(AB, ""),
            object(A, ""),
            true,
            false,
            false,
        ),
        // A closed model is the mirror image.
        (
            "closed: add an optional property",
            object(A, CLOSED),
            object(AB, CLOSED),
            true,
            false,
            false,
        ),
        (
            "closed: remove a property",
            object(AB, CLOSED),
            object(A, CLOSED),
            false,
            true,
            false,
        ),
        (
            "closed: add a required property without a default",
            object(A, CLOSED),
            object(AB, &format!(r#"{CLOSED},"required":["b"]"#)),
            false,
            false,
            false,
        ),
        (
            "partially open: add a property the additional schema covers",
            object(A, partial),
            object(r#""a":{"type":"string"},"c":{"type":"string"}"#, partial),
            true,
            true,
            true,
        ),
        (
            "partially open: add a property it does not cover",
            object(A, partial),
            object(AB, partial),
            false,
            false,
            false,
        ),
        (
            "close an open model",
            object(A, ""),
            object(A, CLOSED),
            false,
            true,
            false,
        ),
        (
            "widen integer to number",
            r#"{"type":"integer"}"#.into(),
            r#"{"type":"number"}"#.into(),
            true,
            false,
            false,
        ),
        (
            "make a string nullable",
            r#"{"type":"string"}"#.into(),
            r#"{"type":["string","null"]}"#.into(),
            true,
            false,
            false,
        ),
        (
            "change a property's type",
            object(A, ""),
            object(r#""a":{"type":"boolean"}"#, ""),
            false,
            false,
            false,
        ),
        (
            "add an enum value",
            r#"{"enum":["red","green"]}"#.into(),
            r#"{"enum":["red","green","blue"]}"#.into(),
            true,
            false,
            false,
        ),
        (
            "raise maxLength",
            r#"{"type":"string","maxLength":5}"#.into(),
            r#"{"type":"string","maxLength":10}"#.into(),
            true,
            false,
            false,
        ),
        (
            "add a oneOf branch",
            r#"{"oneOf":[{"type":"string"},{"type":"integer"}]}"#.into(),
            r#"{"oneOf":[{"type":"string"},{"type":"integer"},{"type":"boolean"}]}"#.into(),
            true,
            false,
            false,
        ),
        (
            "change array items",
            r#"{"type":"array","items":{"type":"string"}}"#.into(),
            r#"{"type":"array","items":{"type":"integer"}}"#.into(),
            false,
            false,
            false,
        ),
        (
            "change only the title and description",
            r#"{"title":"A","description":"x","type":"string"}"#.into(),
            r#"{"title":"B","description":"y","type":"string"}"#.into(),
            true,
            true,
            true,
        ),
    ]
}

fn accepted(old: &str, new: &str, c: Compatibility) -> bool {
    let mut r = Registry::new();
    level(&mut r, "s", c);
    register(&mut r, "s", &json(old)).expect("the first schema registers");
    register(&mut r, "s", &json(new)).is_ok()
}

#[test]
fn every_documented_evolution_under_every_level() {
    let mut wrong = Vec::new();
    for (what, old, new, backward, forward, full) in cases() {
        for (c, want) in [
            (Compatibility::Backward, backward),
            (Compatibility::Forward, forward),
            (Compatibility::Full, full),
            (Compatibility::None, true),
        ] {
            if accepted(&old, &new, c) != want {
                wrong.push(format!("{what} under {}: expected accepted = {want}", c.name()));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// Three closed objects: `b` absent, `b` required with a default, `b` required without one.
/// Adding a required property needs a default; dropping the default later is compatible with
/// the version just before, not with the first.
fn required_steps() -> [NewSchema; 3] {
    [
        json(&object(A, CLOSED)),
        json(&object(
            r#""a":{"type":"string"},"b":{"type":"integer","default":0}"#,
            &format!(r#"{CLOSED},"required":["b"]"#),
        )),
        json(&object(AB, &format!(r#"{CLOSED},"required":["b"]"#))),
    ]
}

#[test]
fn transitive_levels_check_every_version_not_only_the_latest() {
    let [none, with_default, without] = required_steps();
    for (c, order, third_accepted) in [
        (Compatibility::Backward, [&none, &with_default, &without], true),
        (
            Compatibility::BackwardTransitive,
            [&none, &with_default, &without],
            false,
        ),
        // FORWARD reads the other way round, so the same steps run backwards.
        (Compatibility::Forward, [&without, &with_default, &none], true),
        (
            Compatibility::ForwardTransitive,
            [&without, &with_default, &none],
            false,
        ),
    ] {
        let mut r = Registry::new();
        level(&mut r, "s", c);
        register(&mut r, "s", order[0]).expect("v1");
        register(&mut r, "s", order[1]).unwrap_or_else(|e| panic!("v2 under {}: {e}", c.name()));
        let third = register(&mut r, "s", order[2]);
        assert_eq!(third.is_ok(), third_accepted, "{}: {third:?}", c.name());
        if let Err(e) = third {
            assert!(e.to_string().contains("{oldSchemaVersion: 1}"), "{e}");
        }
    }
}

#[test]
fn the_409_message_is_confluents() {
    let mut r = Registry::new();
    register(&mut r, "s", &json(&object(A, ""))).expect("v1");
    let e = register(&mut r, "s", &json(&object(AB, ""))).unwrap_err();
    assert_eq!((e.status(), e.code()), (409, 40901));
    // Confluent's JSON messages open the description with `"` and close it with `'`.
    assert_eq!(
        e.to_string(),
        r#"Schema being registered is incompatible with an earlier schema for subject "s", details: [{errorType:"OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", description:"The new schema has an open content model and has a property or item at path '#/properties/b' which is missing in the old schema'}, {oldSchemaVersion: 1}, {oldSchema: '{"type":"object","properties":{"a":{"type":"string"}}}'}, {validateFields: 'false', compatibility: 'BACKWARD'}]"#
    );
    // FORWARD words it from the old schema's side.
    let mut r = Registry::new();
    level(&mut r, "s", Compatibility::Forward);
    register(&mut r, "s", &json(&object(AB, ""))).expect("v1");
    let e = register(&mut r, "s", &json(&object(A, ""))).unwrap_err();
    assert!(
        e.to_string().contains(
            "The old schema has an open content model and has a property or item at path '#/properties/b' which is missing in the new schema"
        ),
        "{e}"
    );
}

#[test]
fn malformed_schemas_are_422_with_confluents_prefix() {
    let r = Registry::new();
    for text in [
        "{not json",
        "[1,2]",
        r#"{"type":"strng"}"#,
        r##"{"$ref":"#/definitions/missing"}"##,
        r#"{"$ref":"other.json"}"#,
    ] {
        let e = r.register("s", &json(text)).unwrap_err();
        assert_eq!((e.status(), e.code()), (422, 42201), "{text}: {e}");
        assert!(
            e.to_string()
                .starts_with("Invalid schema of type JSON, details: "),
            "{text}: {e}"
        );
    }
}

#[test]
fn the_canonical_form_is_stored_and_found_by_lookups() {
    let mut r = Registry::new();
    let spaced =
        json("{ \"type\" : \"object\",\n  \"properties\" : { \"z\" : {}, \"a\" : {\"type\":\"string\"} } }");
    let id = register(&mut r, "s", &spaced).expect("registers");
    let stored = r.schema(id).expect("stored").schema.clone();
    // Compact, members in the order written (not sorted: "z" before "a").
    assert_eq!(
        stored,
        r#"{"type":"object","properties":{"z":{},"a":{"type":"string"}}}"#
    );
    let found = r.lookup("s", &json(&stored), false).expect("found");
    assert_eq!((found.version, found.id), (1, id));
    // The same schema again, spelled differently, is the same version.
    assert_eq!(
        r.register("s", &json(&stored)).map(|(i, w)| (i, w.len())),
        Ok((id, 0))
    );
    // Reordered members are another schema, as for Confluent.
    let reordered = json(r#"{"properties":{"z":{},"a":{"type":"string"}},"type":"object"}"#);
    assert!(r.lookup("s", &reordered, false).is_err());
}

#[test]
fn references_resolve_by_name_and_are_compared_through() {
    let mut r = Registry::new();
    let address = json(&object(r#""street":{"type":"string"}"#, CLOSED));
    register(&mut r, "address", &address).expect("address");
    let order = |version| NewSchema {
        references: vec![Reference {
            name: "address.json".into(),
            subject: "address".into(),
            version,
        }],
        ..json(r#"{"type":"object","properties":{"ship_to":{"$ref":"address.json"}}}"#)
    };
    let id = register(&mut r, "order", &order(1)).expect("order refers to address.json");
    let stored = r.version("order", VersionSpec::Latest, false).expect("stored");
    assert_eq!((stored.id, stored.schema.references.len()), (id, 1));
    // The referenced schema is part of the check: a reader whose address drops `street` from
    // a closed model cannot read orders written before.
    let inline = json(&object(
        &format!(r#""ship_to":{}"#, object(r#""zip":{"type":"string"}"#, CLOSED)),
        "",
    ));
    let e = register(&mut r, "order", &inline).unwrap_err();
    assert!(
        e.to_string()
            .contains(r#"errorType:"PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL""#)
            && e.to_string().contains("#/properties/ship_to/properties/street"),
        "{e}"
    );
}

#[test]
fn json_and_avro_do_not_mix_in_one_subject() {
    let mut r = Registry::new();
    register(&mut r, "s", &json(r#"{"type":"string"}"#)).expect("v1");
    let e = register(&mut r, "s", &crate::avro(r#""string""#)).unwrap_err();
    assert!(
        e.to_string()
            .contains("Incompatible because of different schema type"),
        "{e}"
    );
}
