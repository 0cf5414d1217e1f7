//! `protobuf-confluent` against the clients Kafka shops use: confluent-kafka's Python
//! `ProtobufSerializer` writes `shop.Purchase` messages in two evolved versions through Spate's
//! schema registry, a Spate SQL job reads them by the table's columns, aggregates, and writes
//! an upsert-kafka table whose key and value are `protobuf-confluent`; a Python consumer builds
//! the message types from the registry's schemas and decodes the result with
//! `ProtobufDeserializer`.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use spate_registry_client::{ClientConfig, RegistryClient, wire};

use crate::avro_confluent::{failure, produce_bytes, python, query, registry, run_job};
use crate::connectors::kafka::TestBroker;

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/registry_protobuf_check.py")
}

fn produce(broker: &TestBroker, url: &str, topic: &str, version: u8, rows: &[&str]) {
    let mut producer = Command::new(python())
        .arg(script())
        .args(["produce", &broker.bootstrap(), url, topic, &version.to_string()])
        .stdin(Stdio::piped())
        .spawn()
        .expect("python runs");
    producer
        .stdin
        .take()
        .expect("piped")
        .write_all(rows.join("\n").as_bytes())
        .expect("rows written");
    assert!(producer.wait().expect("waited").success());
}

fn consume(broker: &TestBroker, url: &str, topic: &str) -> Vec<String> {
    let out = Command::new(python())
        .arg(script())
        .args(["consume", &broker.bootstrap(), url, topic])
        .output()
        .expect("python runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .map(str::to_string)
        .collect()
}

fn purchases_table(url: &str) -> String {
    format!(
        "CREATE TABLE purchases (`user` STRING NOT NULL, amount BIGINT NOT NULL, ts TIMESTAMP_LTZ(3),
           status STRING, items ARRAY<ROW<sku STRING, qty INT>>, tags MAP<STRING, INT>, coupon STRING,
           price DOUBLE)
         WITH ('connector' = 'kafka', 'topic' = 'purchases', 'format' = 'protobuf-confluent',
           'protobuf-confluent.url' = '{url}', 'scan.startup.mode' = 'earliest-offset',
           'scan.bounded.mode' = 'latest-offset');"
    )
}

#[test]
fn evolved_python_messages_through_an_updating_job_and_back() {
    let broker = TestBroker::start();
    let url = registry();
    broker.topic("purchases", 1);
    broker.topic("totals", 1);
    produce(
        &broker,
        &url,
        "purchases",
        1,
        &[
            r#"{"user": "ann", "amount": 5, "ts": 1700000000123, "status": "PAID", "items": [{"sku": "pen", "qty": 2}], "tags": {"red": 1}}"#,
            r#"{"user": "bob", "amount": 7, "ts": 1700000001000}"#,
        ],
    );
    produce(
        &broker,
        &url,
        "purchases",
        2,
        &[
            r#"{"user": "ann", "amount": 10000000000, "ts": 1700000002500, "coupon": "X1", "status": "REFUNDED"}"#,
            r#"{"user": "cyd", "amount": 1, "ts": 1700000003000, "coupon": ""}"#,
        ],
    );

    // Reading: v1's int32 amount as BIGINT, its missing coupon and every record's missing
    // price as NULL, v2's empty-but-present coupon as ''; enums by name; an absent enum is
    // proto3's default; repeated messages as arrays of rows; maps by key.
    let rows = query(
        &broker,
        &format!(
            "SET 'parallelism.default' = '1';
            {}
            SELECT `user`, amount, status, items, tags, coupon, price FROM purchases;",
            purchases_table(&url)
        ),
    );
    assert_eq!(
        rows,
        vec![
            r#"[String("ann"), Int(5), String("PAID"), Array([Row([String("pen"), Int(2)])]), Map([(String("red"), Int(1))]), Null, Null]"#,
            r#"[String("bob"), Int(7), String("NEW"), Array([]), Map([]), Null, Null]"#,
            r#"[String("ann"), Int(10000000000), String("REFUNDED"), Array([]), Map([]), String("X1"), Null]"#,
            r#"[String("cyd"), Int(1), String("NEW"), Array([]), Map([]), String(""), Null]"#,
        ]
    );

    let sql = format!(
        "SET 'parallelism.default' = '1';
        {}
        CREATE TABLE totals (`user` STRING NOT NULL, total BIGINT, n BIGINT, coupons BIGINT,
          last_ts TIMESTAMP_LTZ(3), PRIMARY KEY (`user`) NOT ENFORCED)
          WITH ('connector' = 'upsert-kafka', 'topic' = 'totals',
          'key.format' = 'protobuf-confluent', 'key.protobuf-confluent.url' = '{url}',
          'value.format' = 'protobuf-confluent', 'value.protobuf-confluent.url' = '{url}');
        INSERT INTO totals SELECT `user`, SUM(amount), COUNT(*), COUNT(coupon), MAX(ts)
          FROM purchases WHERE price IS NULL GROUP BY `user`;",
        purchases_table(&url)
    );
    run_job(&broker, &sql);
    // Protobuf's JSON mapping prints 64-bit integers as strings and timestamps as RFC 3339;
    // bob's 0 coupons is printed because the derived field is `optional` (0 is not NULL).
    assert_eq!(
        consume(&broker, &url, "totals"),
        vec![
            r#"{"key": {"user": "ann"}, "value": {"coupons": "1", "last_ts": "2023-11-14T22:13:22.500Z", "n": "2", "total": "10000000005", "user": "ann"}}"#,
            r#"{"key": {"user": "bob"}, "value": {"coupons": "0", "last_ts": "2023-11-14T22:13:21Z", "n": "1", "total": "7", "user": "bob"}}"#,
            r#"{"key": {"user": "cyd"}, "value": {"coupons": "1", "last_ts": "2023-11-14T22:13:23Z", "n": "1", "total": "1", "user": "cyd"}}"#,
        ]
    );

    // The sink's schemas, registered under Flink's default subjects as .proto text.
    let client = RegistryClient::new(&ClientConfig::new(&url)).expect("client");
    let value = client
        .call("GET", "/subjects/totals-value/versions/latest", None)
        .expect("value schema");
    assert_eq!(value["schemaType"], "PROTOBUF");
    assert_eq!(
        value["schema"],
        "syntax = \"proto3\";\npackage spate.generated;\nimport \"google/protobuf/timestamp.proto\";\n\n\
         message Row {\n  string user = 1;\n  optional int64 total = 2;\n  optional int64 n = 3;\n  \
         optional int64 coupons = 4;\n  .google.protobuf.Timestamp last_ts = 5;\n}\n"
    );
}

#[test]
fn bad_messages_name_their_schema_id_and_the_table_is_checked_against_the_writer() {
    let broker = TestBroker::start();
    let url = registry();
    let client = RegistryClient::new(&ClientConfig::new(&url)).expect("client");
    let id = client
        .register(
            "in-value",
            "PROTOBUF",
            "syntax = \"proto3\"; message A { int64 a = 1; message B { string a = 1; } }",
        )
        .expect("registers");
    let framed = |indexes: &[u8], payload: &[u8]| {
        let mut v = Vec::new();
        wire::write_header(id, &mut v);
        v.extend_from_slice(indexes);
        v.extend_from_slice(payload);
        v
    };
    let table = |topic: &str, extra: &str| {
        format!(
            "CREATE TABLE t (a BIGINT) WITH ('connector' = 'kafka', 'topic' = '{topic}',
               'format' = 'protobuf-confluent', 'protobuf-confluent.url' = '{url}', {extra}
               'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset');"
        )
    };
    let good = framed(&[0], &[0x08, 42]);
    // Each bad record alone in its topic, with what its error must say.
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("truncated", framed(&[0], &[0x08]), "not a valid A message"),
        ("indexes", framed(&[2, 6], &[]), "[3] names no message"),
        (
            "nested",
            framed(&[4, 0, 0], &[0x0a, 1, b'x']),
            "cannot be read as the table's row: column 'a' of type BIGINT does not match the Protobuf field's type (string)",
        ),
        ("magic", vec![1, 0, 0, 0, 1, 0], "magic byte"),
    ];
    for (topic, value, expected) in cases {
        broker.topic(topic, 1);
        produce_bytes(&broker, topic, &[&good, &value]);
        let sql = format!(
            "{} CREATE TABLE o (a BIGINT) WITH ('connector' = 'blackhole'); INSERT INTO o SELECT * FROM t;",
            table(topic, "")
        );
        let e = failure(&broker, &sql);
        assert!(e.contains(expected), "{topic}: {e}");
        assert!(
            e.contains(&format!("topic {topic}, partition 0, offset 1")),
            "{topic}: {e}"
        );
        // With ignore-parse-errors the bad record is skipped and the good one read.
        let sql = format!(
            "{} SELECT * FROM t;",
            table(topic, "'protobuf-confluent.ignore-parse-errors' = 'true',")
        );
        assert_eq!(query(&broker, &sql), vec!["[Int(42)]"], "{topic}");
    }
}
