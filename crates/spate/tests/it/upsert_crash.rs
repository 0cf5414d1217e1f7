//! Crash test of an updating SQL job: `spate sql -f` running an unbounded `GROUP BY word` over
//! a Kafka topic a producer keeps writing to, into an `upsert-kafka` table with
//! `'sink.delivery-guarantee' = 'exactly-once'`. The job is killed with SIGKILL three times at
//! random moments and restarted with the same checkpoint directory. The aggregate's state and
//! the source's offsets come back from the last completed checkpoint, and the sink's open
//! transaction is aborted, so a read_committed reader of the output must see, for each word,
//! the counts 1, 2, .., n exactly once and in order (the upsert sink writes the new row per
//! input record, no `-U` being asked for) — no count lost, none repeated — and the table the
//! topic describes (the last row per key) is the count of every word in the input.
//!
//! The broker is a separate `spate broker` process, so only the job dies.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};

use crate::common::Broker;
use crate::common::sql_runs;
use crate::common::word_windows::{self, KillTimes, PARTITIONS};

/// Topics `upsert-in`/`upsert-out`, group and transactional ids `upsert-crash`.
const PREFIX: &str = "upsert";

fn script(addr: &str) -> String {
    format!(
        "SET 'execution.checkpointing.interval' = '500ms';
SET 'parallelism.default' = '2';
CREATE TABLE words (word STRING) WITH (
  'connector' = 'kafka', 'topic' = '{PREFIX}-in', 'properties.bootstrap.servers' = '{addr}',
  'properties.group.id' = '{PREFIX}-crash', 'scan.startup.mode' = 'earliest-offset', 'format' = 'json'
);
CREATE TABLE totals (word STRING, cnt BIGINT, PRIMARY KEY (word) NOT ENFORCED) WITH (
  'connector' = 'upsert-kafka', 'topic' = '{PREFIX}-out', 'properties.bootstrap.servers' = '{addr}',
  'key.format' = 'json', 'value.format' = 'json',
  'sink.delivery-guarantee' = 'exactly-once', 'sink.transactional-id-prefix' = '{PREFIX}-crash'
);
INSERT INTO totals SELECT word, COUNT(*) FROM words GROUP BY word;
"
    )
}

fn start_job(addr: &str, dir: &Path, run: usize) -> Child {
    sql_runs::start(&script(addr), dir, run, &[])
}

/// Every committed record of the output, per word in offset order: its count (`None` for a
/// tombstone, which this job must never write).
fn committed_counts(addr: &str) -> BTreeMap<String, Vec<Option<u64>>> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", addr)
        .set("group.id", format!("{PREFIX}-crash-check"))
        .set("enable.auto.commit", "false")
        .set("isolation.level", "read_committed")
        .set("enable.partition.eof", "true")
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    for p in 0..PARTITIONS {
        tpl.add_partition_offset(&format!("{PREFIX}-out"), p, Offset::Beginning)
            .unwrap();
    }
    consumer.assign(&tpl).unwrap();
    let mut out: BTreeMap<String, Vec<Option<u64>>> = BTreeMap::new();
    let mut eof = 0;
    let deadline = Instant::now() + Duration::from_secs(30);
    while eof < PARTITIONS && Instant::now() < deadline {
        match consumer.poll(Duration::from_millis(200)) {
            Some(Ok(m)) => {
                let key: serde_json::Value = serde_json::from_slice(m.key().unwrap()).unwrap();
                let word = key["word"].as_str().unwrap().to_string();
                let count = m.payload().map(|v| {
                    let v: serde_json::Value = serde_json::from_slice(v).unwrap();
                    assert_eq!(v["word"].as_str(), Some(word.as_str()), "the value's key");
                    v["cnt"].as_u64().unwrap()
                });
                out.entry(word).or_default().push(count);
            }
            Some(Err(rdkafka::error::KafkaError::PartitionEOF(_))) => eof += 1,
            Some(Err(e)) => panic!("{e}"),
            None => {}
        }
    }
    out
}

/// The table the output describes: each word's last count.
fn table(counts: &BTreeMap<String, Vec<Option<u64>>>) -> BTreeMap<String, u64> {
    counts
        .iter()
        .filter_map(|(w, c)| c.last().copied().flatten().map(|n| (w.clone(), n)))
        .collect()
}

#[test]
fn an_updating_job_into_an_exactly_once_upsert_table_survives_three_sigkills() {
    let dir = tempfile::tempdir().unwrap();
    let mut broker = Broker::start(&dir.path().join("broker"), &dir.path().join("broker.log"));
    word_windows::create_topics(&broker.addr, PREFIX);
    let mut kill_times = KillTimes::from_clock();
    let producer = word_windows::produce(broker.addr.clone(), PREFIX);
    sql_runs::kill_three_runs(dir.path(), &mut kill_times, |run| {
        start_job(&broker.addr, dir.path(), run)
    });
    producer.join().unwrap();

    // The last run: wait until the table is complete, then stop it with SIGTERM.
    let want = word_windows::word_totals();
    let run = 3;
    let mut job = start_job(&broker.addr, dir.path(), run);
    sql_runs::finish(&mut job, dir.path(), run, || {
        table(&committed_counts(&broker.addr)) == want
    });

    let counts = committed_counts(&broker.addr);
    assert_eq!(
        table(&counts),
        want,
        "the final table\n{}",
        sql_runs::log(dir.path(), run)
    );
    for (word, n) in &want {
        let every: Vec<Option<u64>> = (1..=*n).map(Some).collect();
        assert!(
            counts[word] == every,
            "{word}: the committed counts must be 1..={n} once each, in order; got {} records, \
             first differences at {:?}",
            counts[word].len(),
            counts[word].iter().zip(&every).position(|(a, b)| a != b)
        );
    }
    broker.kill();
}
