//! `json-confluent` against confluent-kafka's `JSONSerializer` and `JSONDeserializer`: Python
//! writes framed JSON records validated against a JSON Schema it registers, a Spate SQL job
//! reads them, aggregates into upsert-kafka with `json-confluent` key and value, and Python reads
//! the result back, validating every record against the schema Spate derived and registered.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use spate_registry_client::{ClientConfig, RegistryClient, wire};

use crate::avro_confluent::{failure, produce_bytes, python, registry, run_job};
use crate::connectors::kafka::TestBroker;

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/registry_json_check.py")
}

const SCHEMA: &str = r#"{"$schema":"http://json-schema.org/draft-07/schema#","title":"Purchase","type":"object",
  "properties":{"user":{"type":"string"},"amount":{"type":"integer"},"coupon":{"type":["string","null"]},
  "tags":{"type":"array","items":{"type":"string"}}},"required":["user","amount"]}"#;

#[test]
fn python_json_schema_records_through_an_updating_job_and_back() {
    let broker = TestBroker::start();
    let url = registry();
    broker.topic("purchases", 1);
    broker.topic("totals", 1);
    let mut producer = Command::new(python())
        .arg(script())
        .args(["produce", &broker.bootstrap(), &url, "purchases", SCHEMA])
        .stdin(Stdio::piped())
        .spawn()
        .expect("python runs");
    producer
        .stdin
        .take()
        .expect("piped")
        .write_all(
            [
                r#"{"user": "ann", "amount": 5, "tags": ["a"]}"#,
                r#"{"user": "bob", "amount": 7, "coupon": null}"#,
                r#"{"user": "ann", "amount": 10000000000, "coupon": "X1", "tags": []}"#,
            ]
            .join("\n")
            .as_bytes(),
        )
        .expect("rows written");
    assert!(producer.wait().expect("waited").success());

    let sql = format!(
        "SET 'parallelism.default' = '1';
        CREATE TABLE purchases (`user` STRING NOT NULL, amount BIGINT, coupon STRING, tags ARRAY<STRING>)
          WITH ('connector' = 'kafka', 'topic' = 'purchases', 'format' = 'json-confluent',
          'json-confluent.url' = '{url}', 'scan.startup.mode' = 'earliest-offset',
          'scan.bounded.mode' = 'latest-offset');
        CREATE TABLE totals (`user` STRING NOT NULL, total BIGINT, n BIGINT, coupons BIGINT,
          PRIMARY KEY (`user`) NOT ENFORCED) WITH ('connector' = 'upsert-kafka', 'topic' = 'totals',
          'key.format' = 'json-confluent', 'key.json-confluent.url' = '{url}',
          'value.format' = 'json-confluent', 'value.json-confluent.url' = '{url}');
        INSERT INTO totals SELECT `user`, SUM(amount), COUNT(*), COUNT(coupon) FROM purchases GROUP BY `user`;"
    );
    run_job(&broker, &sql);
    let out = Command::new(python())
        .arg(script())
        .args(["consume", &broker.bootstrap(), &url, "totals"])
        .output()
        .expect("python runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let got: Vec<String> = String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(
        got,
        vec![
            r#"{"key": {"user": "ann"}, "value": {"coupons": 1, "n": 2, "total": 10000000005, "user": "ann"}}"#,
            r#"{"key": {"user": "bob"}, "value": {"coupons": 0, "n": 1, "total": 7, "user": "bob"}}"#,
        ]
    );
    // The sink's derived schema, under Flink's default subject.
    let client = RegistryClient::new(&ClientConfig::new(&url)).expect("client");
    let value = client
        .call("GET", "/subjects/totals-value/versions/latest", None)
        .expect("value schema");
    assert_eq!(value["schemaType"], "JSON");
    assert_eq!(
        value["schema"],
        r#"{"$schema":"http://json-schema.org/draft-07/schema#","title":"Row","type":"object","properties":{"user":{"type":"string"},"total":{"oneOf":[{"type":"null"},{"type":"integer"}]},"n":{"oneOf":[{"type":"null"},{"type":"integer"}]},"coupons":{"oneOf":[{"type":"null"},{"type":"integer"}]}},"required":["user"]}"#
    );
}

#[test]
fn frames_of_unknown_or_foreign_schemas_are_named() {
    let broker = TestBroker::start();
    let url = registry();
    let client = RegistryClient::new(&ClientConfig::new(&url)).expect("client");
    let avro = client
        .register(
            "x",
            "AVRO",
            r#"{"type":"record","name":"R","fields":[{"name":"a","type":"long"}]}"#,
        )
        .expect("registers");
    let frame = |id: u32, json: &str| {
        let mut v = Vec::new();
        wire::write_header(id, &mut v);
        v.extend_from_slice(json.as_bytes());
        v
    };
    for (topic, value, expected) in [
        (
            "unknown",
            frame(77, r#"{"a":1}"#),
            "unknown schema id 77".to_string(),
        ),
        (
            "foreign",
            frame(avro, r#"{"a":1}"#),
            format!("schema id {avro} cannot be read: it is a AVRO schema, not JSON"),
        ),
        ("bare", br#"{"a":1}"#.to_vec(), "magic byte".to_string()),
    ] {
        broker.topic(topic, 1);
        produce_bytes(&broker, topic, &[&value]);
        let e = failure(
            &broker,
            &format!(
                "CREATE TABLE t (a BIGINT) WITH ('connector' = 'kafka', 'topic' = '{topic}', 'format' = 'json-confluent',
                   'json-confluent.url' = '{url}', 'scan.startup.mode' = 'earliest-offset',
                   'scan.bounded.mode' = 'latest-offset');
                 CREATE TABLE o (a BIGINT) WITH ('connector' = 'blackhole');
                 INSERT INTO o SELECT * FROM t;"
            ),
        );
        assert!(e.contains(&expected), "{topic}: {e}");
        assert!(
            e.contains(&format!("topic {topic}, partition 0, offset 0")),
            "{topic}: {e}"
        );
    }
}
