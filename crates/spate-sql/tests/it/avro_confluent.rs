//! Flink's `avro-confluent` format against the clients Kafka shops use: confluent-kafka's
//! Python `AvroSerializer` writes records in two evolved schema versions through Spate's
//! schema registry, a Spate SQL job reads them with the table's schema, aggregates, and
//! writes an upsert-kafka table whose key and value are `avro-confluent`; the Python
//! `AvroDeserializer` reads the result by the ids in the records.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;

use spate_registry_client::{ClientConfig, RegistryClient, wire};
use spate_schema_registry::{MemoryLog, Service, http};
use spate_sql::{Session, SessionOptions, SqlError, StatementResult};

use crate::connectors::kafka::TestBroker;

pub(crate) fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("SPATE_TEST_PYTHON") {
        return p.into();
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.tools/venv/bin/python")
}

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/registry_avro_check.py")
}

/// Serves a fresh schema registry on 127.0.0.1 for the test process; returns its URL.
pub(crate) fn registry() -> String {
    let service = Arc::new(Service::open(Box::new(MemoryLog::default())).expect("opens"));
    http::serve_in_background(http::router(service, None)).expect("serves")
}

fn produce(broker: &TestBroker, url: &str, topic: &str, schema: &str, rows: &[&str]) {
    let mut producer = Command::new(python())
        .arg(script())
        .args(["produce", &broker.bootstrap(), url, topic, schema])
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

/// A session against `broker`, checkpointing into `checkpoints` when given.
pub(crate) fn session(broker: &TestBroker, checkpoints: Option<&std::path::Path>) -> Session {
    Session::new(SessionOptions {
        bootstrap: Some(broker.bootstrap()),
        checkpoint_dir: checkpoints.map(std::path::Path::to_path_buf),
        ..SessionOptions::default()
    })
}

/// Runs `sql` (a job that finishes) with checkpoints.
pub(crate) fn run_job(broker: &TestBroker, sql: &str) {
    let checkpoints = tempfile::tempdir().expect("tempdir");
    session(broker, Some(checkpoints.path()))
        .execute_script(sql, |_, _| {})
        .map_err(|e: SqlError| e.render(sql))
        .expect("the job runs");
}

/// The failure of `sql`, as its message.
pub(crate) fn failure(broker: &TestBroker, sql: &str) -> String {
    session(broker, None)
        .execute_script(sql, |_, _| {})
        .expect_err("the job fails")
        .to_string()
}

/// The rows of `sql`'s query, each as `{row:?}`, prefixed with `{kind:?} ` for an updating one.
pub(crate) fn query(broker: &TestBroker, sql: &str) -> Vec<String> {
    let mut got = Vec::new();
    session(broker, None)
        .execute_script(sql, |_, r| {
            if let StatementResult::Rows { rows, kinds, .. } = r {
                if kinds.is_empty() {
                    got.extend(rows.iter().map(|r| format!("{r:?}")));
                } else {
                    got.extend(kinds.iter().zip(&rows).map(|(k, r)| format!("{k:?} {r:?}")));
                }
            }
        })
        .map_err(|e| e.render(sql))
        .expect("the query runs");
    got
}

/// The lines `registry_avro_check.py MODE` prints for `topic`.
fn python_read(mode: &str, broker: &TestBroker, url: &str, topic: &str) -> Vec<String> {
    let out = Command::new(python())
        .arg(script())
        .args([mode, &broker.bootstrap(), url, topic])
        .output()
        .expect("python runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .map(str::to_string)
        .collect()
}

/// Version 1 of the producers' schema: their own record name, `amount` an int, micros.
const V1: &str = r#"{"type":"record","name":"Purchase","namespace":"shop","fields":[
  {"name":"user","type":"string"},
  {"name":"amount","type":"int"},
  {"name":"ts","type":{"type":"long","logicalType":"timestamp-micros"}},
  {"name":"note","type":"string","default":""}]}"#;
/// Version 2 (BACKWARD compatible): fields reordered, `amount` promoted to long, a nullable
/// `coupon` added, `note` dropped.
const V2: &str = r#"{"type":"record","name":"Purchase","namespace":"shop","fields":[
  {"name":"ts","type":{"type":"long","logicalType":"timestamp-micros"}},
  {"name":"coupon","type":["null","string"],"default":null},
  {"name":"user","type":"string"},
  {"name":"amount","type":"long"}]}"#;

#[test]
fn evolved_python_records_through_an_updating_job_and_back() {
    let broker = TestBroker::start();
    let url = registry();
    broker.topic("purchases", 1);
    broker.topic("totals", 1);
    produce(
        &broker,
        &url,
        "purchases",
        V1,
        &[
            r#"{"user": "ann", "amount": 5, "ts": 1700000000123, "note": "first"}"#,
            r#"{"user": "bob", "amount": 7, "ts": 1700000001000, "note": ""}"#,
        ],
    );
    produce(
        &broker,
        &url,
        "purchases",
        V2,
        &[
            r#"{"user": "ann", "amount": 10000000000, "ts": 1700000002500, "coupon": "X1"}"#,
            r#"{"user": "cyd", "amount": 1, "ts": 1700000003000, "coupon": null}"#,
        ],
    );

    let sql = format!(
        "SET 'parallelism.default' = '1';
        CREATE TABLE purchases (`user` STRING NOT NULL, amount BIGINT NOT NULL, ts TIMESTAMP(3), coupon STRING,
          price DOUBLE) WITH ('connector' = 'kafka', 'topic' = 'purchases', 'format' = 'avro-confluent',
          'avro-confluent.url' = '{url}', 'scan.startup.mode' = 'earliest-offset',
          'scan.bounded.mode' = 'latest-offset');
        CREATE TABLE totals (`user` STRING NOT NULL, total BIGINT, n BIGINT, coupons BIGINT, last_ts TIMESTAMP(3),
          PRIMARY KEY (`user`) NOT ENFORCED) WITH ('connector' = 'upsert-kafka', 'topic' = 'totals',
          'key.format' = 'avro-confluent', 'key.avro-confluent.url' = '{url}',
          'value.format' = 'avro-confluent', 'value.avro-confluent.url' = '{url}');
        INSERT INTO totals SELECT `user`, SUM(amount), COUNT(*), COUNT(coupon), MAX(ts)
          FROM purchases WHERE price IS NULL GROUP BY `user`;"
    );
    run_job(&broker, &sql);
    let got = python_read("consume", &broker, &url, "totals");
    // v1's micros are read as instants (floored to the column's milliseconds); its int
    // amount as BIGINT; its missing coupon as NULL. Python prints timestamps as datetimes.
    assert_eq!(
        got,
        vec![
            r#"{"key": {"user": "ann"}, "value": {"coupons": 1, "last_ts": 1700000002500, "n": 2, "total": 10000000005, "user": "ann"}}"#,
            r#"{"key": {"user": "bob"}, "value": {"coupons": 0, "last_ts": 1700000001000, "n": 1, "total": 7, "user": "bob"}}"#,
            r#"{"key": {"user": "cyd"}, "value": {"coupons": 0, "last_ts": 1700000003000, "n": 1, "total": 1, "user": "cyd"}}"#,
        ]
    );

    // Flink's default subjects, holding the schema Flink derives from the sink table.
    let client = RegistryClient::new(&ClientConfig::new(&url)).expect("client");
    let subjects = client.call("GET", "/subjects", None).expect("subjects");
    assert_eq!(
        subjects,
        serde_json::json!(["purchases-value", "totals-key", "totals-value"])
    );
    let key = client
        .call("GET", "/subjects/totals-key/versions/latest", None)
        .expect("key schema");
    assert_eq!(
        key["schema"],
        r#"{"type":"record","name":"record","namespace":"org.apache.flink.avro.generated","fields":[{"name":"user","type":"string"}]}"#
    );
}

/// Produces raw values to partition 0 of `topic` and waits for them.
pub(crate) fn produce_bytes(broker: &TestBroker, topic: &str, values: &[&[u8]]) {
    use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
    let producer: ThreadedProducer<DefaultProducerContext> = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", broker.bootstrap())
        .create()
        .expect("producer");
    for v in values {
        producer
            .send(BaseRecord::<(), [u8]>::to(topic).partition(0).payload(v))
            .map_err(|(e, _)| e)
            .expect("queued");
    }
    producer
        .flush(std::time::Duration::from_secs(10))
        .expect("flushed");
}

#[test]
fn bad_records_name_their_place_and_schema_id() {
    let broker = TestBroker::start();
    let url = registry();
    let client = RegistryClient::new(&ClientConfig::new(&url)).expect("client");
    let id = client
        .register(
            "in-value",
            "AVRO",
            r#"{"type":"record","name":"R","fields":[{"name":"a","type":"long"}]}"#,
        )
        .expect("registers");
    let other = client
        .register(
            "other",
            "AVRO",
            r#"{"type":"record","name":"S","fields":[{"name":"a","type":"string"}]}"#,
        )
        .expect("registers");
    let framed = |id: u32, payload: &[u8]| {
        let mut v = Vec::new();
        wire::write_header(id, &mut v);
        v.extend_from_slice(payload);
        v
    };
    let good = framed(id, &[4]);
    let cases: Vec<(Vec<u8>, String)> = vec![
        (vec![1, 0, 0, 0, 1, 2], "unknown magic byte 1".into()),
        (framed(999, &[2]), "unknown schema id 999".into()),
        (framed(id, &[0x80]), format!("schema id {id}:")),
        (
            framed(id, &[2, 2]),
            format!("schema id {id}: 1 bytes after the Avro record"),
        ),
        (
            framed(other, &[2, b'x']),
            format!(
                "schema id {other} cannot be read as the table's row: field 'a': Found string, expecting long"
            ),
        ),
    ];
    for (i, (bad, expected)) in cases.iter().enumerate() {
        let topic = format!("in{i}");
        broker.topic(&topic, 1);
        produce_bytes(&broker, &topic, &[&good, bad]);
        let sql = format!(
            "CREATE TABLE t (a BIGINT) WITH ('connector' = 'kafka', 'topic' = '{topic}', 'format' = 'avro-confluent',
              'avro-confluent.url' = '{url}', 'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset');
             CREATE TABLE o (a BIGINT) WITH ('connector' = 'blackhole');
             INSERT INTO o SELECT * FROM t;"
        );
        let e = failure(&broker, &sql);
        assert!(e.contains(expected.as_str()), "{e}");
        assert!(
            e.contains(&format!("topic {topic}, partition 0, offset 1")),
            "{e}"
        );
        // With ignore-parse-errors (Spate's extension) the bad record is skipped and the
        // good one read.
        let sql = sql
            .replace(
                "'scan.startup.mode'",
                "'avro-confluent.ignore-parse-errors' = 'true', 'scan.startup.mode'",
            )
            .replace("INSERT INTO o SELECT * FROM t;", "SELECT * FROM t;");
        assert_eq!(query(&broker, &sql), vec!["[Int(2)]".to_string()], "{expected}");
    }
}

#[test]
fn an_unreachable_registry_fails_the_job_even_when_parse_errors_are_ignored() {
    let broker = TestBroker::start();
    broker.topic("in", 1);
    let dead = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
    let url = format!("http://{}", dead.local_addr().expect("address"));
    drop(dead);
    let mut record = Vec::new();
    wire::write_header(1, &mut record);
    record.push(4);
    produce_bytes(&broker, "in", &[&record]);
    let sql = format!(
        "CREATE TABLE t (a BIGINT) WITH ('connector' = 'kafka', 'topic' = 'in', 'format' = 'avro-confluent',
          'avro-confluent.url' = '{url}', 'avro-confluent.ignore-parse-errors' = 'true',
          'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset');
         CREATE TABLE o (a BIGINT) WITH ('connector' = 'blackhole');
         INSERT INTO o SELECT * FROM t;"
    );
    let e = failure(&broker, &sql);
    assert!(e.contains("schema registry unavailable"), "{e}");
    assert!(e.contains(&url), "{e}");
    assert!(e.contains("topic in, partition 0, offset 0"), "{e}");
}

/// Debezium's Avro envelope as its connectors register it (trimmed): `Value` rows, `source`
/// and `ts_ms` besides `before`, `after`, `op`.
const DEBEZIUM: &str = r#"{"type":"record","name":"Envelope","namespace":"shop.public.items","fields":[
  {"name":"before","type":["null",{"type":"record","name":"Value","fields":[
    {"name":"id","type":"int"},{"name":"name","type":["null","string"],"default":null},
    {"name":"price","type":"double"}]}],"default":null},
  {"name":"after","type":["null","Value"],"default":null},
  {"name":"source","type":{"type":"record","name":"Source","namespace":"io.debezium","fields":[
    {"name":"db","type":"string"},{"name":"lsn","type":["null","long"],"default":null}]}},
  {"name":"op","type":"string"},
  {"name":"ts_ms","type":["null","long"],"default":null}]}"#;

#[test]
fn debezium_avro_events_are_a_changelog_in_and_out() {
    let broker = TestBroker::start();
    let url = registry();
    broker.topic("items", 1);
    broker.topic("totals", 1);
    let src = r#""source": {"db": "shop", "lsn": 7}, "ts_ms": 1"#;
    produce(
        &broker,
        &url,
        "items",
        DEBEZIUM,
        &[
            &format!(
                r#"{{"before": null, "after": {{"id": 1, "name": "pen", "price": 1.5}}, "op": "r", {src}}}"#
            ),
            &format!(
                r#"{{"before": null, "after": {{"id": 2, "name": "ink", "price": 4.0}}, "op": "c", {src}}}"#
            ),
            &format!(
                r#"{{"before": {{"id": 1, "name": "pen", "price": 1.5}}, "after": {{"id": 1, "name": "pen", "price": 2.5}}, "op": "u", {src}}}"#
            ),
            &format!(
                r#"{{"before": {{"id": 2, "name": "ink", "price": 4.0}}, "after": null, "op": "d", {src}}}"#
            ),
        ],
    );
    let sql = format!(
        "SET 'parallelism.default' = '1';
        CREATE TABLE items (id INT, name STRING, price DOUBLE) WITH ('connector' = 'kafka', 'topic' = 'items',
          'format' = 'debezium-avro-confluent', 'debezium-avro-confluent.url' = '{url}',
          'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset');
        SELECT * FROM items;"
    );
    assert_eq!(
        query(&broker, &sql),
        vec![
            r#"Insert [Int(1), String("pen"), Float(1.5)]"#,
            r#"Insert [Int(2), String("ink"), Float(4.0)]"#,
            r#"UpdateBefore [Int(1), String("pen"), Float(1.5)]"#,
            r#"UpdateAfter [Int(1), String("pen"), Float(2.5)]"#,
            r#"Delete [Int(2), String("ink"), Float(4.0)]"#,
        ]
    );

    // An updating query written as Debezium events, read back by confluent-kafka.
    let sql = format!(
        "SET 'parallelism.default' = '1';
        CREATE TABLE items (id INT, name STRING, price DOUBLE) WITH ('connector' = 'kafka', 'topic' = 'items',
          'format' = 'debezium-avro-confluent', 'debezium-avro-confluent.url' = '{url}',
          'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset');
        CREATE TABLE totals (n BIGINT, total DOUBLE) WITH ('connector' = 'kafka', 'topic' = 'totals',
          'format' = 'debezium-avro-confluent', 'debezium-avro-confluent.url' = '{url}');
        INSERT INTO totals SELECT COUNT(*), SUM(price) FROM items;"
    );
    run_job(&broker, &sql);
    assert_eq!(
        python_read("dump", &broker, &url, "totals"),
        vec![
            r#"{"after": {"n": 1, "total": 1.5}, "before": null, "op": "c"}"#,
            r#"{"after": null, "before": {"n": 1, "total": 1.5}, "op": "d"}"#,
            r#"{"after": {"n": 2, "total": 5.5}, "before": null, "op": "c"}"#,
            r#"{"after": null, "before": {"n": 2, "total": 5.5}, "op": "d"}"#,
            // The update's retraction and addition each move the aggregate.
            r#"{"after": {"n": 1, "total": 4.0}, "before": null, "op": "c"}"#,
            r#"{"after": null, "before": {"n": 1, "total": 4.0}, "op": "d"}"#,
            r#"{"after": {"n": 2, "total": 6.5}, "before": null, "op": "c"}"#,
            r#"{"after": null, "before": {"n": 2, "total": 6.5}, "op": "d"}"#,
            r#"{"after": {"n": 1, "total": 2.5}, "before": null, "op": "c"}"#,
        ]
    );
}

#[test]
fn an_own_schema_is_registered_when_it_encodes_as_the_derived_one() {
    let broker = TestBroker::start();
    let url = registry();
    broker.topic("orders", 1);
    let own = r#"{"type":"record","name":"Order","namespace":"com.acme","doc":"one order","fields":[{"name":"id","type":"long"},{"name":"note","type":["null","string"],"default":null}]}"#;
    let sink = |schema: &str| {
        format!(
            "CREATE TABLE orders (id BIGINT NOT NULL, note STRING) WITH ('connector' = 'kafka', 'topic' = 'orders',
               'format' = 'avro-confluent', 'avro-confluent.url' = '{url}', 'avro-confluent.schema' = '{schema}');
             INSERT INTO orders VALUES (1, 'a'), (2, CAST(NULL AS STRING));"
        )
    };
    run_job(&broker, &sink(own));
    let client = RegistryClient::new(&ClientConfig::new(&url)).expect("client");
    let value = client
        .call("GET", "/subjects/orders-value/versions/latest", None)
        .expect("value schema");
    assert_eq!(value["schema"], own);
    // Read back through the registry by Python's deserializer: the user's names, the rows.
    assert_eq!(
        python_read("dump", &broker, &url, "orders"),
        vec![r#"{"id": 1, "note": "a"}"#, r#"{"id": 2, "note": null}"#]
    );
    // A schema whose bytes would differ (union branches swapped) is refused before any write.
    let swapped = own.replace(r#"["null","string"],"default":null"#, r#"["string","null"]"#);
    let e = failure(&broker, &sink(&swapped));
    assert!(
        e.contains("does not match the table's columns (at .note|0"),
        "{e}"
    );
}
