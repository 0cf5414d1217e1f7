//! Flink's `avro` format on Kafka, checked against a real Avro implementation: fastavro
//! (Python) writes records with the schema Flink derives from the table, a Spate SQL job reads
//! them, filters and projects, and writes `avro` again, which fastavro reads back.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use spate_sql::{Session, SessionOptions, SqlError};

use crate::connectors::kafka::TestBroker;

/// The schema Flink derives for `clicks` (see format/avro/derive.rs).
const CLICKS: &str = r#"{"type":"record","name":"record","namespace":"org.apache.flink.avro.generated","fields":[{"name":"id","type":"long"},{"name":"page","type":["null","string"],"default":null},{"name":"price","type":["null",{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}],"default":null},{"name":"ts","type":["null",{"type":"long","logicalType":"timestamp-millis"}],"default":null},{"name":"tags","type":["null",{"type":"array","items":["null","string"]}],"default":null}]}"#;
/// ... and for `expensive`.
const EXPENSIVE: &str = r#"{"type":"record","name":"record","namespace":"org.apache.flink.avro.generated","fields":[{"name":"id","type":"long"},{"name":"page","type":["null","string"],"default":null},{"name":"cents","type":["null","long"],"default":null},{"name":"ts","type":["null",{"type":"long","logicalType":"timestamp-millis"}],"default":null}]}"#;

fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("SPATE_TEST_PYTHON") {
        return p.into();
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.tools/venv/bin/python")
}

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/avro_check.py")
}

#[test]
fn fastavro_records_through_a_sql_job_and_back() {
    let broker = TestBroker::start();
    broker.topic("clicks", 1);
    broker.topic("expensive", 1);
    let rows = [
        r#"{"id": 1, "page": "/home", "price": "3.50", "ts": 1700000000123, "tags": ["a"]}"#,
        r#"{"id": 2, "page": null, "price": "120.00", "ts": 1700000001000, "tags": null}"#,
        r#"{"id": 3, "page": "/cart", "price": "9.99", "ts": null, "tags": ["z", null]}"#,
        r#"{"id": 4, "page": "/pay", "price": null, "ts": 1700000002500, "tags": ["x"]}"#,
        r#"{"id": 5, "page": "/pay", "price": "250.10", "ts": 1700000003000, "tags": ["y"]}"#,
    ];
    let mut producer = Command::new(python())
        .arg(script())
        .args([
            "produce".to_string(),
            broker.bootstrap(),
            "clicks".into(),
            CLICKS.into(),
        ])
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

    let checkpoints = tempfile::tempdir().expect("tempdir");
    let mut session = Session::new(SessionOptions {
        bootstrap: Some(broker.bootstrap()),
        checkpoint_dir: Some(checkpoints.path().to_path_buf()),
        ..SessionOptions::default()
    });
    let sql = "SET 'parallelism.default' = '1';
        CREATE TABLE clicks (id BIGINT NOT NULL, page STRING, price DECIMAL(10, 2), ts TIMESTAMP(3),
          tags ARRAY<STRING>) WITH ('connector' = 'kafka', 'topic' = 'clicks', 'format' = 'avro',
          'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset');
        CREATE TABLE expensive (id BIGINT NOT NULL, page STRING, cents BIGINT, ts TIMESTAMP(3))
          WITH ('connector' = 'kafka', 'topic' = 'expensive', 'format' = 'avro');
        INSERT INTO expensive
          SELECT id, UPPER(page), CAST(price * 100 AS BIGINT), ts + INTERVAL '1' SECOND
          FROM clicks WHERE price IS NULL OR price > 50 OR CARDINALITY(tags) > 1;";
    session
        .execute_script(sql, |_, _| {})
        .map_err(|e: SqlError| e.render(sql))
        .expect("the job runs");

    let out = Command::new(python())
        .arg(script())
        .args([
            "consume".to_string(),
            broker.bootstrap(),
            "expensive".into(),
            EXPENSIVE.into(),
            "4".into(),
        ])
        .output()
        .expect("python runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let got: Vec<&str> = std::str::from_utf8(&out.stdout).expect("utf-8").lines().collect();
    // id 1 is filtered out (cheap, one tag); id 3 passes on its two tags, a NULL among them.
    assert_eq!(
        got,
        vec![
            r#"{"cents": 12000, "id": 2, "page": null, "ts": 1700000002000}"#,
            r#"{"cents": 999, "id": 3, "page": "/CART", "ts": null}"#,
            r#"{"cents": null, "id": 4, "page": "/PAY", "ts": 1700000003500}"#,
            r#"{"cents": 25010, "id": 5, "page": "/PAY", "ts": 1700000004000}"#,
        ]
    );
}
