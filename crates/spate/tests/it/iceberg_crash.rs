//! Crash tests of the `iceberg` sink: `spate sql -f` writing a Kafka topic a producer keeps
//! writing to into an Iceberg table (hadoop catalog) at parallelism 2, one snapshot per
//! checkpoint. The job is killed with SIGKILL three times at random moments and restarted
//! with the same checkpoint directory; each restored run commits the files of the checkpoints
//! the table lacks, under the killed run's job id, and nothing else.
//!
//! - Appends: once the input is consumed, pyiceberg must read every record exactly once: each
//!   word as often as it was produced, no data file committed twice, and checkpoint ids going
//!   forward per job.
//! - An updating `GROUP BY word` into a table keyed by the word (equality and position
//!   deletes, a snapshot per checkpoint): iceberg-rust, which applies the deletes, must read
//!   each word's total once, as an uninterrupted run would leave it.
//!
//! The broker (`spate broker`) is a separate process, so only the job dies.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};

use serde_json::Value as Json;

use crate::common::Broker;
use crate::common::sql_runs;
use crate::common::word_windows::{self, KillTimes};

/// Topics `ice-in`/`ice-out` (the second unused), group id `ice-crash`.
const PREFIX: &str = "ice";

/// The job: `words` appended to `db.words`, or (`totals`) counted by word into `db.totals`.
fn script(addr: &str, prefix: &str, warehouse: &Path, totals: bool) -> String {
    let (table, insert) = if totals {
        (
            "lake (word STRING, cnt BIGINT, PRIMARY KEY (word) NOT ENFORCED)",
            "INSERT INTO lake SELECT word, COUNT(*) FROM words GROUP BY word;",
        )
    } else {
        ("lake (word STRING)", "INSERT INTO lake SELECT word FROM words;")
    };
    let name = if totals { "totals" } else { "words" };
    format!(
        "SET 'execution.checkpointing.interval' = '400ms';
SET 'parallelism.default' = '2';
CREATE TABLE words (word STRING) WITH (
  'connector' = 'kafka', 'topic' = '{prefix}-in', 'properties.bootstrap.servers' = '{addr}',
  'properties.group.id' = '{prefix}-crash', 'scan.startup.mode' = 'earliest-offset', 'format' = 'json'
);
CREATE TABLE {table} WITH (
  'connector' = 'iceberg', 'catalog-name' = 'lake', 'catalog-type' = 'hadoop',
  'warehouse' = 'file://{}', 'catalog-database' = 'db', 'catalog-table' = '{name}'
);
{insert}
",
        warehouse.display()
    )
}

fn table_dir(warehouse: &Path) -> PathBuf {
    warehouse.join("db/words")
}

/// The current snapshot's `total-records` and `flink.job-id`, from the table's metadata (cheap
/// enough to poll).
fn current_snapshot(warehouse: &Path) -> (u64, String) {
    let meta = table_dir(warehouse).join("metadata");
    let Ok(hint) = std::fs::read_to_string(meta.join("version-hint.text")) else {
        return (0, String::new());
    };
    let text = std::fs::read_to_string(meta.join(format!("v{}.metadata.json", hint.trim()))).unwrap();
    let m: Json = serde_json::from_str(&text).unwrap();
    let current = &m["current-snapshot-id"];
    let Some(summary) = m["snapshots"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["snapshot-id"] == *current))
        .map(|s| &s["summary"])
    else {
        return (0, String::new());
    };
    (
        summary["total-records"]
            .as_str()
            .map_or(0, |n| n.parse().unwrap()),
        summary["flink.job-id"].as_str().unwrap_or_default().to_string(),
    )
}

/// The table as pyiceberg reads it (`spate-sql/tests/iceberg_read.py`).
fn pyiceberg(warehouse: &Path) -> Json {
    read_table(&["hadoop"], &table_dir(warehouse))
}

/// What `iceberg_read.py <mode..> <table dir>` prints.
fn read_table(mode: &[&str], dir: &Path) -> Json {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let python = std::env::var_os("SPATE_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join(".tools/venv/bin/python"));
    let out = Command::new(python)
        .arg(root.join("crates/spate-sql/tests/iceberg_read.py"))
        .args(mode)
        .arg(dir)
        .output()
        .expect("the test virtualenv's python (scripts/install-deps.sh)");
    assert!(
        out.status.success(),
        "pyiceberg: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn start_job(addr: &str, warehouse: &Path, dir: &Path, run: usize) -> Child {
    sql_runs::start(&script(addr, PREFIX, warehouse, false), dir, run, &[])
}

#[test]
fn a_kafka_to_iceberg_job_survives_three_sigkills_with_every_record_once() {
    let dir = tempfile::tempdir().unwrap();
    let warehouse = dir.path().join("warehouse");
    let mut broker = Broker::start(&dir.path().join("broker"), &dir.path().join("broker.log"));
    word_windows::create_topics(&broker.addr, PREFIX);
    let mut kill_times = KillTimes::from_clock();
    let producer = word_windows::produce(broker.addr.clone(), PREFIX);
    sql_runs::kill_three_runs(dir.path(), &mut kill_times, |run| {
        start_job(&broker.addr, &warehouse, dir.path(), run)
    });
    producer.join().unwrap();

    // The last run: wait until the table holds as many records as were produced and the run
    // committed once itself (its data, or the empty commit of every tenth checkpoint), so it
    // is past its start when stopped.
    let want = word_windows::word_totals();
    let produced: u64 = want.values().sum();
    let (_, killed_job) = current_snapshot(&warehouse);
    let run = 3;
    let mut job = start_job(&broker.addr, &warehouse, dir.path(), run);
    sql_runs::finish(&mut job, dir.path(), run, || {
        let (records, job) = current_snapshot(&warehouse);
        records >= produced && job != killed_job
    });

    let t = pyiceberg(&warehouse);
    let mut got: BTreeMap<String, u64> = BTreeMap::new();
    for row in t["rows"].as_array().unwrap() {
        *got.entry(row["word"].as_str().unwrap().to_string()).or_default() += 1;
    }
    assert_eq!(
        got,
        want,
        "every word exactly as often as produced\n{}",
        sql_runs::log(dir.path(), run)
    );
    let files: Vec<&str> = t["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    let mut unique = files.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), files.len(), "no data file committed twice");
    // Per job, the committed checkpoints only go forward; more than one job committed.
    let mut last: BTreeMap<String, i64> = BTreeMap::new();
    for s in t["snapshots"].as_array().unwrap() {
        let job = s["summary"]["flink.job-id"].as_str().unwrap().to_string();
        let checkpoint: i64 = s["summary"]["flink.max-committed-checkpoint-id"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let previous = last.insert(job, checkpoint).unwrap_or(i64::MIN);
        assert!(
            checkpoint > previous,
            "a checkpoint committed twice: {}",
            t["snapshots"]
        );
    }
    assert!(
        last.len() >= 2,
        "the killed runs committed too: {}",
        t["snapshots"]
    );
    broker.kill();
}

/// Each word's count in `db.totals` as iceberg-rust reads it (deletes applied); a word twice
/// is a duplicate the deletes failed to remove, kept as an extra entry to fail the comparison.
fn totals(warehouse: &Path) -> BTreeMap<String, u64> {
    let t = read_table(&["rust", "hadoop"], &warehouse.join("db/totals"));
    let mut got = BTreeMap::new();
    for row in t["rows"].as_array().unwrap() {
        let word = row["word"].as_str().unwrap().to_string();
        let cnt = row["cnt"].as_u64().unwrap();
        if got.insert(word.clone(), cnt).is_some() {
            got.insert(format!("{word} (twice)"), cnt);
        }
    }
    got
}

#[test]
fn an_updating_job_into_a_keyed_iceberg_table_survives_three_sigkills() {
    let prefix = "icetot";
    let dir = tempfile::tempdir().unwrap();
    let warehouse = dir.path().join("warehouse");
    let mut broker = Broker::start(&dir.path().join("broker"), &dir.path().join("broker.log"));
    word_windows::create_topics(&broker.addr, prefix);
    let mut kill_times = KillTimes::from_clock();
    let producer = word_windows::produce(broker.addr.clone(), prefix);
    let start = |run| {
        sql_runs::start(
            &script(&broker.addr, prefix, &warehouse, true),
            dir.path(),
            run,
            &[],
        )
    };
    sql_runs::kill_three_runs(dir.path(), &mut kill_times, start);
    producer.join().unwrap();

    let want = word_windows::word_totals();
    let run = 3;
    let mut job = start(run);
    sql_runs::finish(&mut job, dir.path(), run, || totals(&warehouse) == want);
    assert_eq!(
        totals(&warehouse),
        want,
        "each word's total once\n{}",
        sql_runs::log(dir.path(), run)
    );
    broker.kill();
}
