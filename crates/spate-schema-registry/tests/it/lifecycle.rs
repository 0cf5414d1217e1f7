//! Ids, versions, lookups, deletes and modes of subjects, and the state rebuilt from the
//! topic's records alone.

use spate_schema_registry::records::Key;
use spate_schema_registry::{Mode, Registry, VersionSpec, Write};

use crate::{avro, record, register};

#[test]
fn ids_are_global_and_versions_rise() {
    let mut r = Registry::new();
    let a = record(r#"{"name":"a","type":"int"}"#);
    let b = record(r#"{"name":"a","type":"int"},{"name":"b","type":"int","default":0}"#);
    assert_eq!(register(&mut r, "x-value", &a), Ok(1));
    // The same schema again, spelled differently: its id and no new version.
    let spaced = avro(
        r#"{ "type": "record", "namespace": "t", "name": "R", "fields": [ {"type": "int", "name": "a"} ] }"#,
    );
    assert_eq!(
        r.register("x-value", &spaced).map(|(id, w)| (id, w.len())),
        Ok((1, 0))
    );
    assert_eq!(register(&mut r, "x-value", &b), Ok(2));
    // The same schema under another subject keeps its id.
    assert_eq!(register(&mut r, "y-value", &a), Ok(1));
    assert_eq!(r.versions("x-value", false), Ok(vec![1, 2]));
    let latest = r.version("x-value", VersionSpec::Latest, false).expect("latest");
    assert_eq!((latest.version, latest.id), (2, 2));
    assert_eq!(r.lookup("x-value", &spaced, false).map(|v| v.version), Ok(1));
    assert_eq!(
        r.subject_versions_of(1, false),
        Ok(vec![("x-value".into(), 1), ("y-value".into(), 1)])
    );
    let missing = r.schema(9).unwrap_err();
    assert_eq!(
        (missing.status(), missing.code(), missing.to_string().as_str()),
        (404, 40403, "Schema 9 not found")
    );
    assert_eq!(r.versions("nope", false).unwrap_err().code(), 40401);
    assert_eq!(
        r.version("x-value", VersionSpec::Number(7), false)
            .unwrap_err()
            .code(),
        40402
    );
    assert_eq!(VersionSpec::parse("0").unwrap_err().code(), 42202);
}

#[test]
fn deletes_are_soft_first_then_permanent() {
    let mut r = Registry::new();
    register(&mut r, "s", &record(r#"{"name":"a","type":"int"}"#)).expect("v1");
    register(&mut r, "s", &record(r#"{"name":"a","type":"long"}"#)).expect("v2");
    // Permanently, before softly: refused.
    assert_eq!(
        r.delete_version("s", VersionSpec::Number(1), true)
            .unwrap_err()
            .code(),
        40407
    );
    let (v, w) = r
        .delete_version("s", VersionSpec::Number(1), false)
        .expect("soft");
    r.apply_all(&w);
    assert_eq!(v, 1);
    assert_eq!(r.versions("s", false), Ok(vec![2]));
    assert_eq!(
        r.delete_version("s", VersionSpec::Number(1), false)
            .unwrap_err()
            .code(),
        40406
    );
    assert_eq!(r.versions("s", true), Ok(vec![1, 2]));
    let (_, w) = r
        .delete_version("s", VersionSpec::Number(1), true)
        .expect("permanent");
    r.apply_all(&w);
    assert_eq!(r.versions("s", true), Ok(vec![2]));
    // The schema id stays readable (other subjects may use it).
    assert!(r.schema(1).is_ok());
    // The whole subject: soft, then permanent; a new version continues past the old ones.
    assert_eq!(r.delete_subject("s", true).unwrap_err().code(), 40405);
    let (gone, w) = r.delete_subject("s", false).expect("soft");
    r.apply_all(&w);
    assert_eq!(gone, vec![2]);
    assert_eq!(r.subjects(false), Vec::<String>::new());
    assert_eq!(r.subjects(true), vec!["s".to_string()]);
    assert_eq!(r.delete_subject("s", false).unwrap_err().code(), 40404);
    let (_, w) = r.delete_subject("s", true).expect("permanent");
    r.apply_all(&w);
    assert_eq!(r.subjects(true), Vec::<String>::new());
}

#[test]
fn a_read_only_subject_refuses_writes() {
    let mut r = Registry::new();
    let w = r.set_mode(Some("s"), Some(Mode::Readonly));
    r.apply_all(&w);
    let e = register(&mut r, "s", &record(r#"{"name":"a","type":"int"}"#)).unwrap_err();
    assert_eq!((e.status(), e.code()), (422, 42205));
    assert!(register(&mut r, "other", &record(r#"{"name":"a","type":"int"}"#)).is_ok());
}

#[test]
fn an_invalid_schema_is_422_with_javas_reason() {
    let r = Registry::new();
    let e = r
        .register(
            "s",
            &avro(r#"{"type":"record","name":"R","fields":[{"name":"a","type":"Nope"}]}"#),
        )
        .unwrap_err();
    assert_eq!((e.status(), e.code()), (422, 42201));
    assert!(e.to_string().contains(r#"Undefined name: "Nope""#), "{e}");
}

#[test]
fn replaying_the_records_rebuilds_the_same_registry() {
    let mut r = Registry::new();
    let mut log: Vec<(Vec<u8>, Option<Vec<u8>>)> = Vec::new();
    let mut write = |r: &mut Registry, writes: Vec<Write>| {
        for w in &writes {
            log.push((w.key.to_bytes(), w.value.clone()));
        }
        r.apply_all(&writes);
    };
    let (_, w) = r
        .register("a", &record(r#"{"name":"a","type":"int"}"#))
        .expect("a1");
    write(&mut r, w);
    let (_, w) = r
        .register("b", &record(r#"{"name":"a","type":"long"}"#))
        .expect("b1");
    write(&mut r, w);
    let w = r.set_compatibility(Some("a"), Some(spate_schema_registry::Compatibility::Full));
    write(&mut r, w);
    let (_, w) = r.delete_subject("b", false).expect("soft");
    write(&mut r, w);
    let mut replayed = Registry::new();
    for (k, v) in &log {
        let key = Key::from_bytes(k).expect("a key this registry wrote");
        replayed.apply(&key, v.as_deref());
    }
    assert_eq!(replayed.subjects(true), r.subjects(true));
    assert_eq!(replayed.subjects(false), vec!["a".to_string()]);
    assert_eq!(
        replayed.own_compatibility(Some("a")),
        r.own_compatibility(Some("a"))
    );
    assert_eq!(replayed.max_id(), 2);
    assert_eq!(
        replayed.version("b", VersionSpec::Number(1), true),
        r.version("b", VersionSpec::Number(1), true)
    );
}
