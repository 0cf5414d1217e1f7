//! `upsert-kafka` tables end to end on a real embedded broker: an updating query's changelog
//! written by key (the primary key in the record key, the row as the value, a tombstone for a
//! retraction), read back with a plain Kafka consumer.

use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use spate_sql::value::Value;
use spate_sql::{Session, SessionOptions, StatementResult};

use crate::connectors::kafka::TestBroker;

/// Every committed record of partition 0 of `topic` in order: key, and value (`None` for a
/// tombstone).
pub(crate) fn records(broker: &TestBroker, topic: &str, expected: usize) -> Vec<(String, Option<String>)> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", broker.bootstrap())
        .set("group.id", "verify")
        .set("isolation.level", "read_committed")
        .set("auto.offset.reset", "earliest")
        .set("log_level", "3")
        .create()
        .expect("consumer");
    consumer.subscribe(&[topic]).expect("subscribe");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let mut out = Vec::new();
    while out.len() < expected && std::time::Instant::now() < deadline {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(200)) {
            out.push((
                String::from_utf8_lossy(m.key().unwrap_or_default()).into_owned(),
                m.payload().map(|v| String::from_utf8_lossy(v).into_owned()),
            ));
        }
    }
    if let Some(Ok(m)) = consumer.poll(Duration::from_millis(500)) {
        panic!("unexpected extra record at offset {}", m.offset());
    }
    out
}

fn run(broker: &TestBroker, query: &str) {
    let checkpoints = tempfile::tempdir().expect("tempdir");
    let mut session = Session::new(SessionOptions {
        bootstrap: Some(broker.bootstrap()),
        checkpoint_dir: Some(checkpoints.path().to_path_buf()),
        ..SessionOptions::default()
    });
    let script = format!(
        "SET 'parallelism.default' = '1';
         SET 'execution.checkpointing.interval' = '200ms';
         CREATE TABLE events (user_id INT, amount INT) WITH ('connector' = 'kafka', 'topic' = 'events',
           'format' = 'json', 'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset');
         CREATE TABLE totals (user_id INT, c BIGINT, s INT, PRIMARY KEY (user_id) NOT ENFORCED) WITH (
           'connector' = 'upsert-kafka', 'topic' = 'totals', 'key.format' = 'json', 'value.format' = 'json',
           'sink.delivery-guarantee' = 'exactly-once', 'sink.transactional-id-prefix' = 'totals');
         {query}"
    );
    if let Err(e) = session.execute_script(&script, |_, _| {}) {
        panic!("{}", e.render(&script));
    }
}

fn events(broker: &TestBroker) {
    broker.topic("events", 1);
    broker.topic("totals", 1);
    let rows = [
        r#"{"user_id":1,"amount":5}"#,
        r#"{"user_id":2,"amount":3}"#,
        r#"{"user_id":1,"amount":7}"#,
    ];
    let produced: Vec<_> = rows.iter().map(|v| (0, None, *v, 1000, &[][..])).collect();
    broker.produce("events", &produced);
}

/// A GROUP BY into an upsert table: the new image alone per change (no `-U` is asked for), by
/// key, in one exactly-once transaction per checkpoint.
#[test]
fn a_group_by_upserts_each_groups_latest_row_by_key() {
    let broker = TestBroker::start();
    events(&broker);
    run(
        &broker,
        "INSERT INTO totals SELECT user_id, COUNT(*), SUM(amount) FROM events GROUP BY user_id;",
    );
    let k1 = r#"{"user_id":1}"#.to_string();
    let k2 = r#"{"user_id":2}"#.to_string();
    assert_eq!(
        records(&broker, "totals", 3),
        vec![
            (k1.clone(), Some(r#"{"user_id":1,"c":1,"s":5}"#.to_string())),
            (k2, Some(r#"{"user_id":2,"c":1,"s":3}"#.to_string())),
            (k1, Some(r#"{"user_id":1,"c":2,"s":12}"#.to_string())),
        ]
    );
}

/// A HAVING over the aggregate needs the before-images (a row that stops matching must be
/// retracted): the sink writes each `-U` as a tombstone of its key.
#[test]
fn a_retraction_is_written_as_a_tombstone() {
    let broker = TestBroker::start();
    events(&broker);
    run(
        &broker,
        "INSERT INTO totals SELECT user_id, COUNT(*), SUM(amount) FROM events GROUP BY user_id HAVING SUM(amount) > 4;",
    );
    let k1 = r#"{"user_id":1}"#.to_string();
    assert_eq!(
        records(&broker, "totals", 3),
        vec![
            (k1.clone(), Some(r#"{"user_id":1,"c":1,"s":5}"#.to_string())),
            (k1.clone(), None),
            (k1, Some(r#"{"user_id":1,"c":2,"s":12}"#.to_string())),
        ]
    );
}

/// A key's records go where Kafka's Java clients (and so Flink) put them: Flink 2.3 wrote
/// both `{"user_id":1}` and `{"user_id":2}` to partition 2 of a 3-partition topic (murmur2).
#[test]
fn keys_are_partitioned_as_flink_partitions_them() {
    let broker = TestBroker::start();
    broker.topic("events", 1);
    broker.topic("totals", 3);
    let rows = [r#"{"user_id":1,"amount":5}"#, r#"{"user_id":2,"amount":3}"#];
    let produced: Vec<_> = rows.iter().map(|v| (0, None, *v, 1000, &[][..])).collect();
    broker.produce("events", &produced);
    run(
        &broker,
        "INSERT INTO totals SELECT user_id, COUNT(*), SUM(amount) FROM events GROUP BY user_id;",
    );
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", broker.bootstrap())
        .set("group.id", "partitions")
        .set("isolation.level", "read_committed")
        .set("auto.offset.reset", "earliest")
        .set("log_level", "3")
        .create()
        .expect("consumer");
    consumer.subscribe(&["totals"]).expect("subscribe");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let mut partitions = Vec::new();
    while partitions.len() < 2 && std::time::Instant::now() < deadline {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(200)) {
            partitions.push(m.partition());
        }
    }
    assert_eq!(partitions, [2, 2]);
}

/// Flink's planning errors: no primary key, and a query whose upsert key is not the sink's.
#[test]
fn upsert_tables_without_a_key_or_with_another_key_are_refused_as_flink_does() {
    let mut session = Session::new(SessionOptions::default());
    let err = session
        .execute_script(
            "CREATE TABLE t (a INT, c BIGINT) WITH ('connector' = 'upsert-kafka', 'topic' = 't',
               'key.format' = 'json', 'value.format' = 'json');",
            |_, _| {},
        )
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("'upsert-kafka' tables require to define a PRIMARY KEY constraint."),
        "{err}"
    );
    let err = session
        .execute_script(
            "CREATE TABLE src (a INT, b INT) WITH ('connector' = 'datagen', 'number-of-rows' = '5');
             CREATE TABLE snk (a INT, c BIGINT, PRIMARY KEY (a) NOT ENFORCED) WITH ('connector' = 'upsert-kafka',
               'topic' = 'x', 'key.format' = 'json', 'value.format' = 'json',
               'properties.bootstrap.servers' = '127.0.0.1:1');
             INSERT INTO snk SELECT a, COUNT(*) FROM src GROUP BY a, b;",
            |_, _| {},
        )
        .unwrap_err()
        .to_string();
    // Flink 2.3's message for this statement, word for word.
    assert!(
        err.contains(
            "The query has an upsert key that differs from the primary key of the sink table \
             'default_catalog.default_database.snk'. Primary key: [a], upsert key: . This can lead to"
        ),
        "{err}"
    );
    // A query column feeds the sink column in its place whatever its name: a group key that
    // is an expression (`EXPR$0`) or renamed is the sink's key all the same (Flink plans both).
    // A group key widened to the sink's type (`b % 2` is INT into a BIGINT key) stays the key:
    // Flink's unique keys see through casts that keep every value.
    session
        .execute_script(
            "CREATE TABLE wide (k BIGINT, c BIGINT, PRIMARY KEY (k) NOT ENFORCED) WITH ('connector' = 'blackhole');",
            |_, _| {},
        )
        .unwrap();
    session
        .execute_script(
            "EXPLAIN INSERT INTO wide SELECT b % 2, COUNT(*) FROM src GROUP BY b % 2;",
            |_, _| {},
        )
        .unwrap_or_else(|e| panic!("a widened key: {e}"));
    for query in [
        "SELECT MOD(a, 2), COUNT(*) FROM src GROUP BY MOD(a, 2)",
        "SELECT a AS x, COUNT(*) AS n FROM src GROUP BY a",
    ] {
        session
            .execute_script(&format!("EXPLAIN INSERT INTO snk {query};"), |_, _| {})
            .unwrap_or_else(|e| panic!("{query}: {e}"));
    }
}

/// Upserts to `topic` partition 0 in order: key, and value or `None` for a tombstone.
pub(crate) fn upserts(broker: &TestBroker, topic: &str, records: &[(&str, Option<&str>)]) {
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", broker.bootstrap())
        .set("log_level", "3")
        .create()
        .expect("producer");
    for (key, value) in records {
        let mut r = BaseRecord::<[u8], [u8]>::to(topic)
            .partition(0)
            .key(key.as_bytes());
        if let Some(v) = value {
            r = r.payload(v.as_bytes());
        }
        producer.send(r).expect("send");
    }
    producer.flush(Duration::from_secs(10)).expect("flush");
}

/// The changelog a query over the upsert table `users` returns: `kind row` lines.
fn changelog(broker: &TestBroker, query: &str) -> Vec<String> {
    let mut session = Session::new(SessionOptions {
        bootstrap: Some(broker.bootstrap()),
        ..SessionOptions::default()
    });
    let script = format!(
        "SET 'parallelism.default' = '1';
         CREATE TABLE users (id INT, name STRING, PRIMARY KEY (id) NOT ENFORCED) WITH (
           'connector' = 'upsert-kafka', 'topic' = 'users', 'key.format' = 'json', 'value.format' = 'json',
           'scan.bounded.mode' = 'latest-offset');
         {query}"
    );
    let mut lines = Vec::new();
    let outcome = session.execute_script(&script, |_, r| {
        if let StatementResult::Rows { rows, kinds, .. } = r {
            for (row, kind) in rows.iter().zip(kinds) {
                let values: Vec<String> = row
                    .iter()
                    .map(|v| match v {
                        Value::String(s) => s.clone(),
                        other => other.as_i64().map_or("null".to_string(), |i| i.to_string()),
                    })
                    .collect();
                lines.push(format!("{}[{}]", kind.short_string(), values.join(", ")));
            }
        }
    });
    if let Err(e) = outcome {
        panic!("{}", e.render(&script));
    }
    lines
}

/// An upsert topic read as a changelog (Flink's ChangelogNormalize): a new key inserts, a
/// known key updates (its old row retracted first), a tombstone deletes the row held, a
/// tombstone for a key never seen and a row equal to the one held change nothing. Every
/// expected changelog here is what Flink 2.3 returned for the same records and query.
#[test]
fn an_upsert_topic_reads_as_a_changelog() {
    let broker = TestBroker::start();
    broker.topic("users", 1);
    upserts(
        &broker,
        "users",
        &[
            (r#"{"id":1}"#, Some(r#"{"id":1,"name":"a"}"#)),
            (r#"{"id":2}"#, Some(r#"{"id":2,"name":"b"}"#)),
            (r#"{"id":1}"#, Some(r#"{"id":1,"name":"c"}"#)),
            (r#"{"id":2}"#, None),
            (r#"{"id":3}"#, None),
            (r#"{"id":1}"#, Some(r#"{"id":1,"name":"c"}"#)),
        ],
    );
    assert_eq!(
        changelog(&broker, "SELECT * FROM users;"),
        ["+I[1, a]", "+I[2, b]", "-U[1, a]", "+U[1, c]", "-D[2, b]"]
    );
    // Flink 2.3 on the same records (a helper ran it on 2026-11-27): the count reads no
    // column but the key, so id 1's new name is an equal row and changes nothing.
    assert_eq!(
        changelog(&broker, "SELECT COUNT(*) AS n FROM users;"),
        ["+I[1]", "-U[1]", "+U[2]", "-U[2]", "+U[1]"]
    );
    // The WHERE goes into the normalization, as Flink plans it: `1 a` never matched, so `1 c`
    // is an insertion.
    assert_eq!(
        changelog(&broker, "SELECT * FROM users WHERE name <> 'a';"),
        ["+I[2, b]", "+I[1, c]", "-D[2, b]"]
    );
}

/// With mini-batch, ChangelogNormalize emits each key's change once per bundle: from the row it
/// held when the bundle opened to the row it holds at its end (Flink keeps a key's last row of
/// the bundle). Every record here falls into one bundle of an hour: id 1 ends as `c`, id 2 is
/// inserted and deleted within the bundle (nothing), id 3 is inserted.
#[test]
fn an_upsert_topic_under_mini_batch_emits_one_change_per_key_per_bundle() {
    let broker = TestBroker::start();
    broker.topic("users", 1);
    upserts(
        &broker,
        "users",
        &[
            (r#"{"id":1}"#, Some(r#"{"id":1,"name":"a"}"#)),
            (r#"{"id":2}"#, Some(r#"{"id":2,"name":"b"}"#)),
            (r#"{"id":1}"#, Some(r#"{"id":1,"name":"c"}"#)),
            (r#"{"id":2}"#, None),
            (r#"{"id":3}"#, Some(r#"{"id":3,"name":"d"}"#)),
        ],
    );
    let mut got = changelog(
        &broker,
        "SET 'table.exec.mini-batch.enabled' = 'true';
         SET 'table.exec.mini-batch.allow-latency' = '1 h';
         SET 'table.exec.mini-batch.size' = '1000';
         SELECT * FROM users;",
    );
    // Keys close their bundles in no particular order (Flink's bundle is a hash map too).
    got.sort();
    assert_eq!(got, ["+I[1, c]", "+I[3, d]"]);
}
