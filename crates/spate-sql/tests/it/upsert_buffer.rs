//! `upsert-kafka`'s `sink.buffer-flush.max-rows` / `.interval` and `sink.parallelism` on a real
//! embedded broker, against what Flink 2.3 (Kafka connector 4.0.1) wrote for the same input
//! and query: `SELECT k, SUM(v) FROM src GROUP BY k` over `1,1 1,2 2,5 1,3 2,7 3,4 1,10`.
//! Flink writes one buffer's records in `HashMap` order (a different order in every JVM), so
//! the tests compare each key's records in order, and Spate's own order (the order in which
//! keys entered the buffer) where it is Spate's contract.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use spate_sql::{Session, SessionOptions};

use crate::connectors::kafka::TestBroker;
use crate::upsert_kafka::records;

const ROWS: &str = "1,1\n1,2\n2,5\n1,3\n2,7\n3,4\n1,10\n";

/// Runs `query` from the CSV `src` (`rows`) into the upsert table `snk` with `sink_options`,
/// at parallelism 1, without checkpoints (the sink writes what is left at the end of input).
fn run(broker: &TestBroker, rows: &str, sink_options: &str, query: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("src.csv");
    std::fs::write(&input, rows).expect("input");
    let mut session = Session::new(SessionOptions {
        bootstrap: Some(broker.bootstrap()),
        ..SessionOptions::default()
    });
    let script = format!(
        "SET 'parallelism.default' = '1';
         CREATE TABLE src (k INT, v INT) WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv');
         CREATE TABLE snk (k INT, s INT, PRIMARY KEY (k) NOT ENFORCED) WITH ('connector' = 'upsert-kafka',
           'topic' = 'snk', 'key.format' = 'json', 'value.format' = 'json'{sink_options});
         {query}",
        input.display()
    );
    session
        .execute_script(&script, |_, _| {})
        .map(|_| ())
        .map_err(|e| e.render(&script))
}

fn sums(broker: &TestBroker, sink_options: &str, expected: usize) -> Vec<(String, Option<String>)> {
    broker.topic("snk", 1);
    let query = "INSERT INTO snk SELECT k, SUM(v) FROM src GROUP BY k;";
    if let Err(e) = run(broker, ROWS, sink_options, query) {
        panic!("{e}");
    }
    records(broker, "snk", expected)
}

/// Every record of `topic` (one partition), read until none came for a second.
fn all_records(broker: &TestBroker, topic: &str) -> Vec<(String, Option<String>)> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", broker.bootstrap())
        .set("group.id", "verify-all")
        .set("auto.offset.reset", "earliest")
        .set("log_level", "3")
        .create()
        .expect("consumer");
    consumer.subscribe(&[topic]).expect("subscribe");
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut out = Vec::new();
    let mut quiet_since = Instant::now();
    while Instant::now() < deadline && (out.is_empty() || quiet_since.elapsed() < Duration::from_secs(1)) {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(100)) {
            out.push((
                String::from_utf8_lossy(m.key().unwrap_or_default()).into_owned(),
                m.payload().map(|v| String::from_utf8_lossy(v).into_owned()),
            ));
            quiet_since = Instant::now();
        }
    }
    out
}

/// Each key's values in the order written (`None`: a tombstone).
fn by_key(records: &[(String, Option<String>)]) -> BTreeMap<String, Vec<Option<String>>> {
    let mut out: BTreeMap<String, Vec<Option<String>>> = BTreeMap::new();
    for (k, v) in records {
        out.entry(k.clone()).or_default().push(v.clone());
    }
    out
}

fn kv(k: u32, s: Option<i32>) -> (String, Option<String>) {
    (
        format!(r#"{{"k":{k}}}"#),
        s.map(|s| format!(r#"{{"k":{k},"s":{s}}}"#)),
    )
}

/// Flink, `max-rows` 1000 and `interval` 1s: the buffer is written once, at the end of input,
/// with the last row of each key.
#[test]
fn a_buffered_upsert_sink_writes_the_last_row_of_each_key() {
    let broker = TestBroker::start();
    let got = sums(
        &broker,
        ", 'sink.buffer-flush.max-rows' = '1000', 'sink.buffer-flush.interval' = '1s'",
        3,
    );
    assert_eq!(got, vec![kv(1, Some(16)), kv(2, Some(12)), kv(3, Some(4))]);
}

/// Flink, `max-rows` 2: `k1:1` is replaced while the buffer holds one key; then every second
/// distinct key writes the buffer: `1:3 2:5 | 1:6 2:12 | 1:16 3:4`.
#[test]
fn a_buffer_of_two_keys_is_written_whenever_it_holds_two() {
    let broker = TestBroker::start();
    let got = sums(
        &broker,
        ", 'sink.buffer-flush.max-rows' = '2', 'sink.buffer-flush.interval' = '1s'",
        6,
    );
    let mut flink = BTreeMap::new();
    flink.insert(kv(1, None).0, [3, 6, 16].map(|s| kv(1, Some(s)).1).to_vec());
    flink.insert(kv(2, None).0, [5, 12].map(|s| kv(2, Some(s)).1).to_vec());
    flink.insert(kv(3, None).0, vec![kv(3, Some(4)).1]);
    assert_eq!(by_key(&got), flink, "{got:?}");
    assert_eq!(got.len(), 6);
}

/// Flink's run with `HAVING SUM(v) < 5` (the sink gets `-U`s): buffered, a key whose last
/// change retracts its row is written as a tombstone, the other with its last row.
#[test]
fn a_buffered_retraction_is_a_tombstone_of_its_key() {
    let broker = TestBroker::start();
    broker.topic("snk", 1);
    let rows = format!("{ROWS}1,-15\n3,2\n");
    let query = "INSERT INTO snk SELECT k, SUM(v) FROM src GROUP BY k HAVING SUM(v) < 5;";
    let options = ", 'sink.buffer-flush.max-rows' = '1000', 'sink.buffer-flush.interval' = '1s'";
    if let Err(e) = run(&broker, &rows, options, query) {
        panic!("{e}");
    }
    let got = records(&broker, "snk", 2);
    assert_eq!(got, vec![kv(1, Some(1)), kv(3, None)]);
}

/// The interval writes the buffer while the input goes on: 20 rows over 5 s (datagen at 4
/// rows a second) into two keys, a write a second. Without the interval the buffer would be
/// written once at the end (2 records); without buffering every change (20).
#[test]
fn the_interval_writes_the_buffer_while_the_job_runs() {
    let broker = TestBroker::start();
    broker.topic("snk", 1);
    let mut session = Session::new(SessionOptions {
        bootstrap: Some(broker.bootstrap()),
        ..SessionOptions::default()
    });
    let script = "SET 'parallelism.default' = '1';
         CREATE TABLE gen (n INT) WITH ('connector' = 'datagen', 'rows-per-second' = '4',
           'number-of-rows' = '20', 'fields.n.kind' = 'sequence', 'fields.n.start' = '1', 'fields.n.end' = '20');
         CREATE TABLE snk (k INT, s INT, PRIMARY KEY (k) NOT ENFORCED) WITH ('connector' = 'upsert-kafka',
           'topic' = 'snk', 'key.format' = 'json', 'value.format' = 'json',
           'sink.buffer-flush.max-rows' = '1000', 'sink.buffer-flush.interval' = '1s');
         INSERT INTO snk SELECT MOD(n, 2), SUM(n) FROM gen GROUP BY MOD(n, 2);";
    if let Err(e) = session.execute_script(script, |_, _| {}) {
        panic!("{}", e.render(script));
    }
    let written = all_records(&broker, "snk");
    let n = written.len();
    assert!((4..20).contains(&n), "{n} records: {written:?}");
    let last = by_key(&written);
    assert_eq!(
        last[r#"{"k":0}"#].last(),
        Some(&Some(r#"{"k":0,"s":110}"#.to_string()))
    );
    assert_eq!(
        last[r#"{"k":1}"#].last(),
        Some(&Some(r#"{"k":1,"s":100}"#.to_string()))
    );
}

/// A sink of its own parallelism gets each key's changes on one subtask, in order: every
/// change of the unbuffered run, per key as Flink wrote them.
#[test]
fn a_sink_of_its_own_parallelism_keeps_each_keys_changes_in_order() {
    let broker = TestBroker::start();
    let got = sums(&broker, ", 'sink.parallelism' = '2'", 7);
    let mut flink = BTreeMap::new();
    flink.insert(kv(1, None).0, [1, 3, 6, 16].map(|s| kv(1, Some(s)).1).to_vec());
    flink.insert(kv(2, None).0, [5, 12].map(|s| kv(2, Some(s)).1).to_vec());
    flink.insert(kv(3, None).0, vec![kv(3, Some(4)).1]);
    assert_eq!(by_key(&got), flink, "{got:?}");
}

/// Flink's checks of the two options, word for word.
#[test]
fn buffer_options_are_checked_as_flink_checks_them() {
    let broker = TestBroker::start();
    broker.topic("snk", 1);
    let query = "INSERT INTO snk SELECT k, SUM(v) FROM src GROUP BY k;";
    let together = "'sink.buffer-flush.max-rows' and 'sink.buffer-flush.interval' must be set to be greater than zero together to enable sink buffer flushing.";
    for (options, message) in [
        (", 'sink.buffer-flush.max-rows' = '1000'", together),
        (", 'sink.buffer-flush.interval' = '1s'", together),
        (
            ", 'sink.buffer-flush.max-rows' = '0', 'sink.buffer-flush.interval' = '1s'",
            together,
        ),
        (
            ", 'sink.buffer-flush.max-rows' = '-1', 'sink.buffer-flush.interval' = '1s'",
            together,
        ),
        (
            ", 'sink.buffer-flush.max-rows' = '-1'",
            "batchSize and batchInterval must greater than zero if buffer flush is enabled, but got batchSize=-1 and batchIntervalMs=0",
        ),
        (
            ", 'sink.buffer-flush.max-rows' = 'abc', 'sink.buffer-flush.interval' = '1s'",
            "'abc' is not an integer",
        ),
        (
            ", 'sink.buffer-flush.max-rows' = '10', 'sink.buffer-flush.interval' = '-1s'",
            "'-1s' is not a duration",
        ),
    ] {
        let err = run(&broker, ROWS, options, query).expect_err(options);
        assert!(err.contains(message), "{options}: {err}");
        assert!(err.contains("snk"), "{options}: {err}");
    }
    // Both zero: buffering is off, and the job runs.
    let off = ", 'sink.buffer-flush.max-rows' = '0', 'sink.buffer-flush.interval' = '0s'";
    run(&broker, ROWS, off, query).expect("both zero is off");
    assert_eq!(records(&broker, "snk", 7).len(), 7);
}
