use std::collections::BTreeMap;

use super::super::{FormatField, RowFormat};
use crate::types::{DataType, TypeKind};
use crate::value::{RowKind, Value};

fn fields() -> Vec<FormatField> {
    vec![
        FormatField::new("id", DataType::new(TypeKind::Int)),
        FormatField::new("name", DataType::new(TypeKind::Varchar(100))),
        FormatField::new("score", DataType::new(TypeKind::Double)),
    ]
}

fn format(name: &str, options: &[(&str, &str)]) -> RowFormat {
    let options: BTreeMap<String, String> = options
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect();
    RowFormat::new(name, fields(), &options).expect("the format is valid")
}

fn row(id: i64, name: &str, score: Option<f64>) -> Vec<Value> {
    vec![
        Value::Int(id),
        Value::String(name.into()),
        score.map_or(Value::Null, Value::Float),
    ]
}

fn read(f: &RowFormat, record: &str) -> Result<Vec<(RowKind, Vec<Value>)>, String> {
    let mut out = Vec::new();
    f.decode_changes(record.as_bytes(), &mut out).map_err(|e| e.0)?;
    Ok(out)
}

fn write(f: &RowFormat, kind: RowKind, values: &[Value]) -> String {
    let mut out = Vec::new();
    f.encode_change(kind, values, &mut out).expect("the row encodes");
    String::from_utf8(out).expect("JSON is UTF-8")
}

use RowKind::{Delete, Insert, UpdateAfter, UpdateBefore};

#[test]
fn debezium_reads_creates_snapshot_reads_updates_and_deletes() {
    let f = format("debezium-json", &[]);
    assert!(f.is_changelog());
    let a = r#"{"id":1,"name":"a","score":1.5}"#;
    let b = r#"{"id":1,"name":"b","score":null}"#;
    let source = r#""source":{"db":"shop"},"ts_ms":1"#;
    assert_eq!(
        read(&f, &format!(r#"{{"before":null,"after":{a},"op":"c",{source}}}"#)),
        Ok(vec![(Insert, row(1, "a", Some(1.5)))])
    );
    assert_eq!(
        read(&f, &format!(r#"{{"before":null,"after":{a},"op":"r"}}"#)),
        Ok(vec![(Insert, row(1, "a", Some(1.5)))])
    );
    assert_eq!(
        read(&f, &format!(r#"{{"before":{a},"after":{b},"op":"u"}}"#)),
        Ok(vec![
            (UpdateBefore, row(1, "a", Some(1.5))),
            (UpdateAfter, row(1, "b", None))
        ])
    );
    assert_eq!(
        read(&f, &format!(r#"{{"op":"d","before":{b},"after":null}}"#)),
        Ok(vec![(Delete, row(1, "b", None))])
    );
    // The tombstone Debezium writes after a delete holds no change.
    assert_eq!(read(&f, ""), Ok(vec![]));
}

#[test]
fn debezium_errors_carry_flinks_messages_and_ignore_parse_errors_skips() {
    let f = format("debezium-json", &[]);
    let err = read(&f, r#"{"before":null,"after":{"id":1},"op":"x"}"#).expect_err("unknown op");
    assert!(
        err.starts_with(r#"Unknown "op" value "x". The Debezium JSON message is '{"before""#),
        "{err}"
    );
    let err = read(&f, r#"{"before":null,"after":{"id":1},"op":"u"}"#).expect_err("no before");
    assert!(
        err.contains(
            r#"The "before" field of UPDATE message is null, if you are using Debezium Postgres Connector"#
        ),
        "{err}"
    );
    let err = read(&f, r#"{"after":null,"op":"d"}"#).expect_err("no before");
    assert!(
        err.contains(r#"The "before" field of DELETE message is null"#),
        "{err}"
    );
    let err = read(&f, "not json").expect_err("not JSON");
    assert!(
        err.starts_with("Corrupt Debezium JSON message 'not json'"),
        "{err}"
    );
    let lenient = format("debezium-json", &[("ignore-parse-errors", "true")]);
    assert!(lenient.ignores_parse_errors());
    // A field that does not convert is NULL; the event still counts.
    assert_eq!(
        read(&lenient, r#"{"after":{"id":"x","name":"a","score":2},"op":"c"}"#),
        Ok(vec![(
            Insert,
            vec![Value::Null, Value::String("a".into()), Value::Float(2.0)]
        )])
    );
}

#[test]
fn debezium_with_schema_include_reads_the_payload() {
    let f = format("debezium-json", &[("schema-include", "true")]);
    let record = r#"{"schema":{"type":"struct","fields":[]},"payload":{"before":null,"after":{"id":7,"name":"x","score":0.5},"op":"c"}}"#;
    assert_eq!(read(&f, record), Ok(vec![(Insert, row(7, "x", Some(0.5)))]));
}

#[test]
fn debezium_writes_insertions_and_deletions_as_flink_does() {
    let f = format("debezium-json", &[]);
    let r = row(1, "a", None);
    let insert = r#"{"before":null,"after":{"id":1,"name":"a","score":null},"op":"c"}"#;
    let delete = r#"{"before":{"id":1,"name":"a","score":null},"after":null,"op":"d"}"#;
    assert_eq!(write(&f, Insert, &r), insert);
    assert_eq!(write(&f, UpdateAfter, &r), insert);
    assert_eq!(write(&f, UpdateBefore, &r), delete);
    assert_eq!(write(&f, Delete, &r), delete);
    let sparse = format("debezium-json", &[("encode.ignore-null-fields", "true")]);
    assert_eq!(
        write(&sparse, Insert, &r),
        r#"{"after":{"id":1,"name":"a"},"op":"c"}"#
    );
    // What is written reads back as the same changes.
    for kind in [Insert, Delete] {
        let kinds = read(&f, &write(&f, kind, &r)).expect("reads back");
        assert_eq!(kinds, vec![(kind, r.clone())]);
    }
}

#[test]
fn canal_reads_batches_and_fills_unchanged_fields_of_old_images() {
    let f = format("canal-json", &[]);
    let insert = r#"{"data":[{"id":"1","name":"a","score":"1.5"},{"id":"2","name":"b","score":null}],"database":"db","table":"t","type":"INSERT","isDdl":false}"#;
    assert_eq!(
        read(&f, insert),
        Ok(vec![
            (Insert, row(1, "a", Some(1.5))),
            (Insert, row(2, "b", None))
        ])
    );
    // `old` names only the changed fields; an explicit null there is an old value.
    let update = r#"{"data":[{"id":1,"name":"a2","score":3.0},{"id":2,"name":"b","score":4.0}],"old":[{"name":"a"},{"score":null}],"type":"UPDATE"}"#;
    assert_eq!(
        read(&f, update),
        Ok(vec![
            // Flink looks a name up anywhere in `old`, not in the row's own element: `score`
            // is named in the second element, so the first row's old score is its `old[0]`
            // value, absent: NULL; and `name` for the second row likewise.
            (UpdateBefore, row(1, "a", None)),
            (UpdateAfter, row(1, "a2", Some(3.0))),
            (UpdateBefore, vec![Value::Int(2), Value::Null, Value::Null]),
            (UpdateAfter, row(2, "b", Some(4.0))),
        ])
    );
    let delete = r#"{"data":[{"id":1,"name":"a2","score":3.0}],"type":"DELETE"}"#;
    assert_eq!(read(&f, delete), Ok(vec![(Delete, row(1, "a2", Some(3.0)))]));
    let ddl = r#"{"data":null,"type":"CREATE","isDdl":true,"sql":"CREATE TABLE t (id INT)"}"#;
    assert_eq!(read(&f, ddl), Ok(vec![]));
    let err = read(&f, r#"{"data":[],"type":"TRUNCATE"}"#).expect_err("unknown type");
    assert!(
        err.starts_with(r#"Unknown "type" value "TRUNCATE". The Canal JSON message is"#),
        "{err}"
    );
    let err = read(&f, r#"{"data":[{"id":1}],"type":"UPDATE"}"#).expect_err("no old");
    assert!(err.starts_with("Corrupt Canal JSON message"), "{err}");
}

#[test]
fn canal_filters_by_database_and_table_names() {
    let f = format(
        "canal-json",
        &[("database.include", "shop"), ("table.include", "order.*")],
    );
    let event = |db: &str, table: &str| {
        format!(
            r#"{{"data":[{{"id":1,"name":"a","score":1}}],"database":"{db}","table":"{table}","type":"INSERT"}}"#
        )
    };
    assert_eq!(read(&f, &event("shop", "orders")).map(|c| c.len()), Ok(1));
    assert_eq!(read(&f, &event("shop", "users")).map(|c| c.len()), Ok(0));
    // The whole name must match, as Java's `matches` wants.
    assert_eq!(read(&f, &event("shop2", "orders")).map(|c| c.len()), Ok(0));
    let bad = RowFormat::new(
        "canal-json",
        fields(),
        &BTreeMap::from([("table.include".to_string(), "(".to_string())]),
    );
    assert!(bad.is_err());
}

#[test]
fn canal_and_maxwell_write_insertions_and_deletions() {
    let r = row(3, "c", Some(1.0));
    let canal = format("canal-json", &[]);
    assert_eq!(
        write(&canal, UpdateAfter, &r),
        r#"{"data":[{"id":3,"name":"c","score":1.0}],"type":"INSERT"}"#
    );
    assert_eq!(
        write(&canal, UpdateBefore, &r),
        r#"{"data":[{"id":3,"name":"c","score":1.0}],"type":"DELETE"}"#
    );
    let maxwell = format("maxwell-json", &[]);
    assert_eq!(
        write(&maxwell, Insert, &r),
        r#"{"data":{"id":3,"name":"c","score":1.0},"type":"insert"}"#
    );
    assert_eq!(
        write(&maxwell, Delete, &r),
        r#"{"data":{"id":3,"name":"c","score":1.0},"type":"delete"}"#
    );
}

#[test]
fn maxwell_reads_inserts_updates_and_deletes() {
    let f = format("maxwell-json", &[]);
    let insert =
        r#"{"database":"db","table":"t","type":"insert","ts":1,"data":{"id":1,"name":"a","score":1.0}}"#;
    assert_eq!(read(&f, insert), Ok(vec![(Insert, row(1, "a", Some(1.0)))]));
    let update = r#"{"database":"db","table":"t","type":"update","data":{"id":1,"name":"b","score":1.0},"old":{"name":"a"}}"#;
    assert_eq!(
        read(&f, update),
        Ok(vec![
            (UpdateBefore, row(1, "a", Some(1.0))),
            (UpdateAfter, row(1, "b", Some(1.0)))
        ])
    );
    let delete = r#"{"type":"delete","data":{"id":1,"name":"b","score":1.0}}"#;
    assert_eq!(read(&f, delete), Ok(vec![(Delete, row(1, "b", Some(1.0)))]));
    let err = read(&f, r#"{"type":"bootstrap-insert","data":{"id":1}}"#).expect_err("unknown type");
    assert!(
        err.starts_with(r#"Unknown "type" value "bootstrap-insert". The Maxwell JSON message is"#),
        "{err}"
    );
}

#[test]
fn unknown_options_are_named() {
    let err = RowFormat::new(
        "maxwell-json",
        fields(),
        &BTreeMap::from([("schema-include".to_string(), "true".to_string())]),
    )
    .expect_err("maxwell has no schema-include");
    assert!(err.to_string().contains("maxwell-json.schema-include"), "{err}");
}
