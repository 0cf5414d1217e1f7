//! Changelog formats on Kafka, end to end on a real embedded broker: a Debezium topic (with
//! the tombstones Debezium writes after deletes) read as a changelog table, aggregated, and the
//! updating result written as Debezium events exactly once; a malformed event fails the job
//! with its topic, partition and offset, or is skipped with `ignore-parse-errors`.

use spate_sql::{Session, SessionOptions, SqlError};

use crate::connectors::kafka::TestBroker;
use crate::upsert_kafka::upserts;

fn run(broker: &TestBroker, tables: &str, query: &str) -> Result<(), String> {
    let checkpoints = tempfile::tempdir().expect("tempdir");
    let mut session = Session::new(SessionOptions {
        bootstrap: Some(broker.bootstrap()),
        checkpoint_dir: Some(checkpoints.path().to_path_buf()),
        ..SessionOptions::default()
    });
    let script = format!(
        "SET 'parallelism.default' = '1';
         SET 'execution.checkpointing.interval' = '200ms';
         {tables}
         {query}"
    );
    session
        .execute_script(&script, |_, _| {})
        .map_err(|e: SqlError| e.render(&script))
}

fn products(options: &str) -> String {
    format!(
        "CREATE TABLE products (id INT, name STRING, weight DOUBLE, category STRING) WITH (
           'connector' = 'kafka', 'topic' = 'products', 'format' = 'debezium-json',
           'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset'{options});
         CREATE TABLE totals (category STRING, n BIGINT, w DOUBLE) WITH (
           'connector' = 'kafka', 'topic' = 'totals', 'format' = 'debezium-json',
           'sink.delivery-guarantee' = 'exactly-once', 'sink.transactional-id-prefix' = 'totals');"
    )
}

const SCOOTER: &str = r#"{"id":1,"name":"scooter","weight":3.0,"category":"a"}"#;
const HAMMER: &str = r#"{"id":2,"name":"hammer","weight":1.0,"category":"a"}"#;
const HAMMER_B: &str = r#"{"id":2,"name":"hammer","weight":1.5,"category":"b"}"#;

fn event(before: Option<&str>, after: Option<&str>, op: &str) -> String {
    format!(
        r#"{{"before":{},"after":{},"source":{{"db":"shop"}},"op":"{op}","ts_ms":1}}"#,
        before.unwrap_or("null"),
        after.unwrap_or("null")
    )
}

/// The changes of a Debezium topic, aggregated: an update that moves a product to another
/// category retracts it from the old group; a delete (and the tombstone after it) removes the
/// last product of a group, which is deleted. The sink writes Flink's events: `+I`/`+U` as
/// `c`, `-U`/`-D` as `d`.
#[test]
fn a_debezium_topic_aggregates_into_a_debezium_topic() {
    let broker = TestBroker::start();
    broker.topic("products", 1);
    broker.topic("totals", 1);
    let events = [
        event(None, Some(SCOOTER), "r"),
        event(None, Some(HAMMER), "c"),
        event(Some(HAMMER), Some(HAMMER_B), "u"),
        event(Some(SCOOTER), None, "d"),
    ];
    upserts(
        &broker,
        "products",
        &[
            ("1", Some(&events[0])),
            ("2", Some(&events[1])),
            ("2", Some(&events[2])),
            ("1", Some(&events[3])),
            // Debezium's tombstone after a delete: no change.
            ("1", None),
        ],
    );
    run(
        &broker,
        &products(""),
        "INSERT INTO totals SELECT category, COUNT(*), SUM(weight) FROM products GROUP BY category;",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let got: Vec<String> = broker
        .read_committed("totals", 9)
        .into_iter()
        .map(|(_, value, _, _)| value)
        .collect();
    let c = |row: &str| format!(r#"{{"before":null,"after":{row},"op":"c"}}"#);
    let d = |row: &str| format!(r#"{{"before":{row},"after":null,"op":"d"}}"#);
    assert_eq!(
        got,
        vec![
            c(r#"{"category":"a","n":1,"w":3.0}"#),
            d(r#"{"category":"a","n":1,"w":3.0}"#),
            c(r#"{"category":"a","n":2,"w":4.0}"#),
            d(r#"{"category":"a","n":2,"w":4.0}"#),
            c(r#"{"category":"a","n":1,"w":3.0}"#),
            c(r#"{"category":"b","n":1,"w":1.5}"#),
            d(r#"{"category":"a","n":1,"w":3.0}"#),
        ]
    );
}

/// An event Flink cannot read fails the job with the record's place and Flink's message;
/// with `debezium-json.ignore-parse-errors` it is skipped and the rest is read.
#[test]
fn a_malformed_event_fails_with_its_position_or_is_skipped() {
    let broker = TestBroker::start();
    broker.topic("products", 1);
    broker.topic("totals", 1);
    let good = event(None, Some(SCOOTER), "c");
    let unknown = event(None, Some(HAMMER), "x");
    let no_before = event(None, Some(HAMMER), "u");
    upserts(
        &broker,
        "products",
        &[
            ("1", Some(&good)),
            ("2", Some(&unknown)),
            ("2", Some(&no_before)),
            ("3", Some("not json")),
        ],
    );
    let query = "INSERT INTO totals SELECT category, COUNT(*), SUM(weight) FROM products GROUP BY category;";
    // A job that checkpoints restarts after a failure (Flink's default): here it must stop.
    let no_restarts = format!("SET 'restart-strategy.type' = 'none';\n{}", products(""));
    let err = run(&broker, &no_restarts, query).expect_err("the unknown op fails the job");
    assert!(
        err.contains("topic products, partition 0, offset 1")
            && err.contains(r#"Unknown "op" value "x". The Debezium JSON message is"#),
        "{err}"
    );
    run(
        &broker,
        &products(", 'debezium-json.ignore-parse-errors' = 'true'"),
        query,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let got: Vec<String> = broker
        .read_committed("totals", 1)
        .into_iter()
        .map(|(_, value, _, _)| value)
        .collect();
    assert_eq!(
        got,
        vec![r#"{"before":null,"after":{"category":"a","n":1,"w":3.0},"op":"c"}"#.to_string()]
    );
}

/// Flink's planning errors: an upsert table's value cannot be a changelog format, and Debezium
/// events with a schema part are read only.
#[test]
fn changelog_formats_flink_refuses_are_refused() {
    let mut session = Session::new(SessionOptions::default());
    let err = session
        .execute_script(
            "CREATE TABLE t (a INT, c BIGINT, PRIMARY KEY (a) NOT ENFORCED) WITH ('connector' = 'upsert-kafka',
               'topic' = 't', 'key.format' = 'json', 'value.format' = 'debezium-json');",
            |_, _| {},
        )
        .expect_err("refused")
        .to_string();
    assert!(
        err.contains(
            "'upsert-kafka' connector doesn't support 'debezium-json' as value format, because 'debezium-json' is not in insert-only mode."
        ),
        "{err}"
    );
    let out = tempfile::tempdir().expect("tempdir");
    let err = session
        .execute_script(
            &format!(
                "CREATE TABLE snk (a INT) WITH ('connector' = 'filesystem', 'path' = '{}',
                   'format' = 'debezium-json', 'debezium-json.schema-include' = 'true');
                 INSERT INTO snk VALUES (1);",
                out.path().display()
            ),
            |_, _| {},
        )
        .expect_err("refused")
        .to_string();
    assert!(
        err.contains("Debezium JSON serialization doesn't support 'debezium-json.schema-include' option been set to true."),
        "{err}"
    );
}
