//! Crash test of Flink SQL's Top-N with a variable rank end (`WHERE rn <= n`, Flink's
//! `VariableRankRange`): `spate sql -f` running
//! `SELECT k, id, score FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER BY score DESC)
//! AS rn FROM t) WHERE rn <= n` over a Kafka JSON topic into an `upsert-kafka` table keyed by
//! (k, id) with `'sink.delivery-guarantee' = 'exactly-once'`, while a producer keeps writing the
//! input. The Top-N's upsert key is not the sink's (k, id) (Flink cannot tell `id` is unique),
//! so the `INSERT` says `ON CONFLICT DO DEDUPLICATE` (the sink's upsert materializer, keyed
//! state too).
//!
//! A partition's rank end is the `n` of its first row, kept in the keyed state `rank-end`; the
//! `n` of its later rows is ignored (as Flink does, which only counts them as invalid). Here the
//! first row of each `k` carries `1 + k % 3` and every later one a larger `n` (4 to 6), so an
//! end lost in a restore (read again from the next row) keeps more rows than the first one
//! asked for. Each `k`'s rows are on one input partition, so its first row is the same in every
//! run; scores are distinct and mostly rise, so the top rows keep changing and rows leave the
//! top (tombstones) all along.
//!
//! The job is SIGKILLed three times — just after its first checkpoint completed, in the middle
//! of the input and near its end, each time after a checkpoint of its own — and restarted with
//! the same checkpoint directory, so the Top-N's buffers and rank ends and the sources' offsets
//! come back from the last completed checkpoint and the sink's open transaction is aborted.
//! The output topic read with read_committed and folded by key must then be exactly the top
//! `1 + k % 3` rows of each `k` computed here from the input, and equal the table an
//! uninterrupted run of the same job writes beside it; and each (k, id)'s committed records
//! must be one upsert, then at most one tombstone (a row's score never changes and a row that
//! left the top never comes back), so no change was written twice.
//!
//! The broker is a separate `spate broker` process, so only the jobs die.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::producer::{BaseRecord, Producer, ThreadedProducer};

use crate::common::Broker;
use crate::common::sql_runs;
use crate::common::word_windows::KillTimes;

const PARTITIONS: i32 = 4;
const ROWS: u64 = 20_000;
const ROWS_PER_SEC: u64 = 4_000;
/// Partitions of the Top-N: rows `0..KEYS` are the first of `k = i`, later ones of a random
/// `k`.
const KEYS: u64 = 200;
const IN: &str = "rank-end-in";

/// An output key (k, id) and its score.
type Table = BTreeMap<(u64, u64), u64>;
/// Each output key's committed records in offset order: its score, `None` for a tombstone.
type Changes = BTreeMap<(u64, u64), Vec<Option<u64>>>;

fn mix(i: u64, salt: u64) -> u64 {
    let x = (i ^ salt.wrapping_mul(0xd6e8_feb8_6659_fd93)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    x ^ (x >> 29)
}

/// A partition's rank end: the `n` of its first row.
fn rank_end(k: u64) -> u64 {
    1 + k % 3
}

/// Row `i` (its id): (k, n, score). Scores are distinct (`score % ROWS == i`) and rise with
/// `i` up to a noise of 2 000 rows.
fn row(i: u64) -> (u64, u64, u64) {
    let (k, n) = if i < KEYS {
        (i, rank_end(i))
    } else {
        (mix(i, 1) % KEYS, 4 + mix(i, 3) % 3)
    };
    (k, n, (i + mix(i, 2) % 2_000) * ROWS + i)
}

/// The oracle: the `rank_end(k)` rows of each `k` with the highest scores.
fn expected() -> Table {
    let mut by_k: BTreeMap<u64, Vec<(u64, u64)>> = BTreeMap::new();
    for i in 0..ROWS {
        let (k, _, score) = row(i);
        by_k.entry(k).or_default().push((score, i));
    }
    let mut out = Table::new();
    for (k, mut rows) in by_k {
        rows.sort_unstable_by(|a, b| b.cmp(a));
        for (score, id) in rows.into_iter().take(rank_end(k) as usize) {
            out.insert((k, id), score);
        }
    }
    out
}

fn script(addr: &str, name: &str) -> String {
    format!(
        "SET 'execution.checkpointing.interval' = '500ms';
SET 'parallelism.default' = '2';
CREATE TABLE t (k BIGINT, n BIGINT, score BIGINT, id BIGINT) WITH (
  'connector' = 'kafka', 'topic' = '{IN}', 'properties.bootstrap.servers' = '{addr}',
  'properties.group.id' = '{name}', 'scan.startup.mode' = 'earliest-offset', 'format' = 'json'
);
CREATE TABLE top_rows (k BIGINT, id BIGINT, score BIGINT, PRIMARY KEY (k, id) NOT ENFORCED) WITH (
  'connector' = 'upsert-kafka', 'topic' = '{name}-out', 'properties.bootstrap.servers' = '{addr}',
  'key.format' = 'json', 'value.format' = 'json',
  'sink.delivery-guarantee' = 'exactly-once', 'sink.transactional-id-prefix' = '{name}'
);
INSERT INTO top_rows
SELECT k, id, score FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER BY score DESC) AS rn FROM t
) WHERE rn <= n
ON CONFLICT DO DEDUPLICATE;
"
    )
}

/// Writes rows `0..rows` at a steady rate, each to partition `k % PARTITIONS` (so a `k`'s rows
/// are read in order); `produced` counts the rows sent.
fn produce(addr: String, rows: u64, produced: Arc<AtomicU64>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let producer: ThreadedProducer<_> = ClientConfig::new()
            .set("bootstrap.servers", &addr)
            .set("enable.idempotence", "true")
            .set("linger.ms", "5")
            .create()
            .unwrap();
        let started = Instant::now();
        for i in 0..rows {
            let due = Duration::from_micros(i * 1_000_000 / ROWS_PER_SEC);
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                std::thread::sleep(wait);
            }
            let (k, n, score) = row(i);
            let value = format!(r#"{{"k":{k},"n":{n},"score":{score},"id":{i}}}"#);
            let mut record = BaseRecord::<(), String>::to(IN)
                .payload(&value)
                .partition((k % PARTITIONS as u64) as i32);
            loop {
                match producer.send(record) {
                    Ok(()) => break,
                    Err((_, r)) => {
                        record = r;
                        std::thread::sleep(Duration::from_millis(1));
                    }
                }
            }
            produced.store(i + 1, Ordering::Relaxed);
        }
        producer.flush(Duration::from_secs(30)).unwrap();
    })
}

/// Every committed record of `topic` (read with read_committed), per key in offset order. Every
/// value must carry its record's key.
fn committed_changes(addr: &str, topic: &str) -> Changes {
    let mut out = Changes::new();
    for (key, value) in sql_runs::committed_records(addr, topic, PARTITIONS) {
        let key: serde_json::Value = serde_json::from_slice(&key.unwrap()).unwrap();
        let key = (key["k"].as_u64().unwrap(), key["id"].as_u64().unwrap());
        let score = value.map(|v| {
            let v: serde_json::Value = serde_json::from_slice(&v).unwrap();
            assert_eq!(
                (v["k"].as_u64(), v["id"].as_u64()),
                (Some(key.0), Some(key.1)),
                "the value's key"
            );
            v["score"].as_u64().unwrap()
        });
        out.entry(key).or_default().push(score);
    }
    out
}

/// The table the changes describe: each key's last row, a key whose last record is a tombstone
/// left out.
fn table(changes: &Changes) -> Table {
    changes
        .iter()
        .filter_map(|(key, c)| c.last().copied().flatten().map(|s| (*key, s)))
        .collect()
}

fn committed_table(addr: &str, topic: &str) -> Table {
    table(&committed_changes(addr, topic))
}

/// Each (k, id)'s committed records are its input row's score, then at most one tombstone: a
/// row enters the top once and, once out, never comes back (its score is fixed and better rows
/// only arrive). An upsert or tombstone written twice after a recovery breaks this.
fn assert_once_in_once_out(changes: &Changes, what: &str, log: &dyn Fn() -> String) {
    for (&(k, id), records) in changes {
        let (row_k, _, score) = row(id);
        let ok = row_k == k && matches!(records.as_slice(), [Some(s)] | [Some(s), None] if *s == score);
        assert!(
            ok,
            "{what}: key (k {k}, id {id}) (input row: k {row_k}, score {score}) committed \
             {records:?}, not one upsert then at most one tombstone\n{}",
            log()
        );
    }
}

/// Where two tables differ, at most 10 keys each way.
fn diff(got: &Table, want: &Table) -> String {
    let extra: Vec<_> = got
        .iter()
        .filter(|(key, s)| want.get(key) != Some(s))
        .take(10)
        .collect();
    let missing: Vec<_> = want
        .iter()
        .filter(|(key, s)| got.get(key) != Some(s))
        .take(10)
        .collect();
    format!(
        "{} rows, {} expected; ((k, id), score) not expected e.g. {extra:?}, missing e.g. \
         {missing:?}",
        got.len(),
        want.len()
    )
}

#[test]
fn a_top_n_with_a_rank_end_column_into_an_exactly_once_upsert_table_survives_three_sigkills() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let mut broker = Broker::start(&dir.path().join("broker"), &dir.path().join("broker.log"));
    let addr = broker.addr.clone();
    sql_runs::create_topics(&addr, &[IN, "rank-end-crash-out", "rank-end-ref-out"], PARTITIONS);
    let (crash_dir, ref_dir) = (dir.path().join("crash"), dir.path().join("ref"));
    std::fs::create_dir_all(&crash_dir).unwrap();
    std::fs::create_dir_all(&ref_dir).unwrap();
    let want = expected();

    // The uninterrupted run reads the same input beside the one that is killed.
    let mut reference = sql_runs::start(&script(&addr, "rank-end-ref"), &ref_dir, 0, &[]);
    let produced = Arc::new(AtomicU64::new(0));
    let producer = produce(addr.clone(), ROWS, produced.clone());
    let mut kill_times = KillTimes::from_clock();
    let crash_script = script(&addr, "rank-end-crash");
    // Run 0 dies just after its first checkpoint, run 1 in the middle of the input, run 2 near
    // its end; each after a checkpoint of its own, at a random moment of the next interval.
    for (run, rows) in [(0, 0), (1, ROWS / 2), (2, ROWS * 9 / 10)] {
        let mut job = sql_runs::start(&crash_script, &crash_dir, run, &[]);
        sql_runs::kill_after_checkpoint(&mut job, &crash_dir, run, &produced, rows, kill_times.below(500));
    }
    producer.join().unwrap();

    // Both jobs catch up within seconds; a table that is still wrong 20 s after the input's end
    // stays so (the checks below then say how).
    let input_end = Instant::now();
    let settled =
        |topic: &str| committed_table(&addr, topic) == want || input_end.elapsed() > Duration::from_secs(20);
    let run = 3;
    let mut job = sql_runs::start(&crash_script, &crash_dir, run, &[]);
    sql_runs::finish(&mut job, &crash_dir, run, || settled("rank-end-crash-out"));
    sql_runs::finish(&mut reference, &ref_dir, 0, || settled("rank-end-ref-out"));

    let crashed_changes = committed_changes(&addr, "rank-end-crash-out");
    let uninterrupted_changes = committed_changes(&addr, "rank-end-ref-out");
    broker.kill();
    let (crashed, uninterrupted) = (table(&crashed_changes), table(&uninterrupted_changes));
    assert!(
        uninterrupted == want,
        "the uninterrupted run's table is the top rank_end(k) rows of each k: {}\n{}",
        diff(&uninterrupted, &want),
        sql_runs::log(&ref_dir, 0)
    );
    assert_once_in_once_out(&uninterrupted_changes, "the uninterrupted run", &|| {
        sql_runs::log(&ref_dir, 0)
    });
    assert!(
        crashed == want,
        "the crashed run's table is the top rank_end(k) rows of each k: {}\n{}",
        diff(&crashed, &want),
        sql_runs::log(&crash_dir, run)
    );
    assert_once_in_once_out(&crashed_changes, "the crashed run", &|| {
        sql_runs::log(&crash_dir, run)
    });
    assert_eq!(
        crashed, uninterrupted,
        "the crashed run's table equals the uninterrupted run's"
    );
    eprintln!("rank end crash test took {:?}", started.elapsed());
}
