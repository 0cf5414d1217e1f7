//! Crash test of Flink SQL's temporal sort on event time (issue 42): `spate sql -f` running
//! `INSERT INTO .. SELECT .. FROM t ORDER BY ts, x` (no `LIMIT`) over a Kafka JSON topic whose
//! rows come out of order within the watermark's bound (`ts - INTERVAL '1' SECOND`, each row at
//! most 899 ms behind the latest one of its partition), into a one-partition Kafka table with
//! `'sink.delivery-guarantee' = 'exactly-once'`, while a producer keeps writing the input.
//!
//! The job is SIGKILLed three times — just after its first checkpoint completed, in the middle
//! of the input and near its end, each time after a checkpoint of its own — and restarted with
//! the same checkpoint directory, so the sort's held rows (the rows the watermark has not passed
//! yet, whose source offsets the checkpoint already covers), its last time emitted and its
//! timers come back from the last completed checkpoint. Twice the producer also writes rows far
//! behind every row of the input, once the output already holds committed rows: the sort has
//! then emitted a later time in every state a run can resume from, so they are late and dropped.
//!
//! The output topic read with read_committed must then be exactly the input's on-time rows
//! (each once, none missing, no late row and none of the closing rows far in the future) in the
//! order of (ts, x) — computed here from the input.
//!
//! A second test runs the same input and kills through `LIMIT n` without `ORDER BY`.
//!
//! The broker is a separate `spate broker` process, so only the job dies.
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

/// An output row: (id, ts, x).
type OutRow = (u64, i64, String);
const PARTITIONS: i32 = 4;
const ROWS: u64 = 20_000;
const ROWS_PER_SEC: u64 = 4_000;
const BASE: i64 = 1_700_000_000_000;
/// Row `i` is due at `BASE + 2 i` ms and is up to this much earlier (less than the
/// watermark's 1 s bound, so no row of the regular input is late).
const MAX_DELAY_MS: u64 = 900;
/// The closing rows (one per partition, an hour after the input) that move the watermark past
/// every regular row; they stay held themselves.
const FLUSH_ID: u64 = 1_000_000;
/// The late rows: `LATE_PER_BATCH` after `ROWS / 4` rows and as many after `3 ROWS / 4`.
const LATE_ID: u64 = 2_000_000;
const LATE_PER_BATCH: u64 = 6;
const IN: &str = "sort-in";
const OUT: &str = "sort-out";

fn mix(i: u64, salt: u64) -> u64 {
    let x = (i ^ salt.wrapping_mul(0xd6e8_feb8_6659_fd93)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    x ^ (x >> 29)
}

/// Regular row `i`: (event time in ms, x). Few values of `x`, so rows tie on (ts, x) too.
fn row(i: u64) -> (i64, i64) {
    let ts = BASE + 2 * i as i64 - (mix(i, 1) % MAX_DELAY_MS) as i64;
    (ts, (mix(i, 2) % 7) as i64)
}

/// Late row `k`: before every regular row by seconds.
fn late_row(k: u64) -> (i64, i64) {
    (BASE - 5_000 - 10 * k as i64, (k % 7) as i64)
}

/// The closing rows' time: an hour after the input.
fn flush_time() -> i64 {
    BASE + 2 * ROWS as i64 + 3_600_000
}

/// Flink's JSON text of a `TIMESTAMP(3)` (`yyyy-MM-dd HH:mm:ss.SSS`).
fn sql_timestamp(ms: i64) -> String {
    let mut s = String::new();
    spate_sql::temporal::format_timestamp(ms * 1000, 3, true, false, &mut s);
    s
}

fn json(id: u64, (ts, x): (i64, i64)) -> String {
    format!(r#"{{"id":{id},"x":{x},"ts":"{}"}}"#, sql_timestamp(ts))
}

/// The oracle: the regular rows sorted by (ts, x), as (ts, x, id); rows equal by (ts, x) may
/// go out in any order (their arrival order across partitions), so the check compares (ts, x)
/// positions and the ids as a set.
fn expected() -> Vec<(i64, i64, u64)> {
    let mut rows: Vec<(i64, i64, u64)> = (0..ROWS)
        .map(|i| {
            let (ts, x) = row(i);
            (ts, x, i)
        })
        .collect();
    rows.sort_unstable();
    rows
}

fn script(addr: &str) -> String {
    format!(
        "SET 'execution.checkpointing.interval' = '500ms';
SET 'parallelism.default' = '2';
CREATE TABLE t (
  id BIGINT,
  x INT,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH (
  'connector' = 'kafka', 'topic' = '{IN}', 'properties.bootstrap.servers' = '{addr}',
  'properties.group.id' = 'sort-crash', 'scan.startup.mode' = 'earliest-offset',
  'format' = 'json'
);
CREATE TABLE sorted (id BIGINT, x INT, ts TIMESTAMP(3)) WITH (
  'connector' = 'kafka', 'topic' = '{OUT}', 'properties.bootstrap.servers' = '{addr}',
  'format' = 'json', 'sink.parallelism' = '1',
  'sink.delivery-guarantee' = 'exactly-once', 'sink.transactional-id-prefix' = 'sort-crash'
);
INSERT INTO sorted SELECT id, x, ts FROM t ORDER BY ts, x;
"
    )
}

/// Every committed record of the one-partition output, in offset order: (id, x, ts text).
fn committed_rows(addr: &str) -> Vec<OutRow> {
    sql_runs::committed_records(addr, OUT, 1)
        .into_iter()
        .map(|(_, value)| {
            let v: serde_json::Value = serde_json::from_slice(&value.unwrap()).unwrap();
            (
                v["id"].as_u64().unwrap(),
                v["x"].as_i64().unwrap(),
                v["ts"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Writes the regular rows at a steady rate, row `i` to partition `i % PARTITIONS`; after
/// `ROWS / 4` and `3 ROWS / 4` of them waits (at most 90 s) until the output holds a committed
/// row and then writes a batch of late rows; at the end one row an hour later on every
/// partition. `produced` counts the regular rows sent.
fn produce(addr: String, produced: Arc<AtomicU64>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let producer: ThreadedProducer<_> = ClientConfig::new()
            .set("bootstrap.servers", &addr)
            .set("enable.idempotence", "true")
            .set("linger.ms", "5")
            .create()
            .unwrap();
        let send = |value: String, partition: i32| {
            let mut record = BaseRecord::<(), String>::to(IN)
                .payload(&value)
                .partition(partition);
            loop {
                match producer.send(record) {
                    Ok(()) => break,
                    Err((_, r)) => {
                        record = r;
                        std::thread::sleep(Duration::from_millis(1));
                    }
                }
            }
        };
        let mut late = 0;
        let started = Instant::now();
        for i in 0..ROWS {
            if i == ROWS / 4 || i == ROWS * 3 / 4 {
                let deadline = Instant::now() + Duration::from_secs(90);
                while committed_rows(&addr).is_empty() {
                    assert!(Instant::now() < deadline, "no committed output within 90 s");
                    std::thread::sleep(Duration::from_millis(200));
                }
                for _ in 0..LATE_PER_BATCH {
                    send(
                        json(LATE_ID + late, late_row(late)),
                        (late % PARTITIONS as u64) as i32,
                    );
                    late += 1;
                }
            }
            let due = Duration::from_micros(i * 1_000_000 / ROWS_PER_SEC);
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                std::thread::sleep(wait);
            }
            send(json(i, row(i)), (i % PARTITIONS as u64) as i32);
            produced.store(i + 1, Ordering::Relaxed);
        }
        for p in 0..PARTITIONS {
            send(json(FLUSH_ID + p as u64, (flush_time(), 0)), p);
        }
        producer.flush(Duration::from_secs(30)).unwrap();
    })
}

/// The committed output is exactly the oracle's rows: every regular id once with its own
/// (ts, x), nothing else, in (ts, x) order.
fn assert_sorted_exactly_once(got: &[OutRow], want: &[(i64, i64, u64)], log: &dyn Fn() -> String) {
    let by_id: BTreeMap<u64, (String, i64)> = want
        .iter()
        .map(|&(ts, x, id)| (id, (sql_timestamp(ts), x)))
        .collect();
    let mut seen: BTreeMap<u64, usize> = BTreeMap::new();
    for (id, _, _) in got {
        *seen.entry(*id).or_default() += 1;
    }
    let twice: Vec<_> = seen
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(id, _)| *id)
        .take(10)
        .collect();
    let unknown: Vec<_> = seen
        .keys()
        .filter(|id| !by_id.contains_key(id))
        .take(10)
        .collect();
    let missing: Vec<_> = by_id
        .keys()
        .filter(|id| !seen.contains_key(id))
        .take(10)
        .collect();
    assert!(
        twice.is_empty() && unknown.is_empty() && missing.is_empty(),
        "{} rows committed, {} expected; twice e.g. {twice:?}, not on-time input rows e.g. \
         {unknown:?} (late ones from {LATE_ID}, closing ones from {FLUSH_ID}), missing e.g. \
         {missing:?}\n{}",
        got.len(),
        want.len(),
        log()
    );
    for (id, x, ts) in got {
        assert_eq!(
            (ts, x),
            (&by_id[id].0, &by_id[id].1),
            "row {id} carries its input's ts and x"
        );
    }
    // Same ids each once, so the order check completes it: position by position the (ts, x)
    // of the output is the oracle's.
    for (pos, ((_, x, ts), (wts, wx, _))) in got.iter().zip(want).enumerate() {
        assert_eq!(
            (ts.as_str(), *x),
            (sql_timestamp(*wts).as_str(), *wx),
            "output row {pos} of {} out of (ts, x) order",
            got.len()
        );
    }
}

/// Runs `script(bootstrap)` against a fresh broker while [`produce`] writes the input: runs 0,
/// 1 and 2 are SIGKILLed after a checkpoint of their own once the producer has sent the rows
/// `kills` names, each at a random moment of the next interval; run 3 goes on until `done`
/// holds of the committed output, then stops with SIGTERM. Returns the committed output and
/// run 3's log.
fn crash_three_times(
    script: fn(&str) -> String,
    kills: [u64; 3],
    done: &dyn Fn(&[OutRow]) -> bool,
) -> (Vec<OutRow>, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut broker = Broker::start(&dir.path().join("broker"), &dir.path().join("broker.log"));
    let addr = broker.addr.clone();
    sql_runs::create_topics(&addr, &[IN], PARTITIONS);
    sql_runs::create_topics(&addr, &[OUT], 1);
    let job_dir = dir.path().join("job");
    std::fs::create_dir_all(&job_dir).unwrap();

    let produced = Arc::new(AtomicU64::new(0));
    let producer = produce(addr.clone(), produced.clone());
    let mut kill_times = KillTimes::from_clock();
    let job_script = script(&addr);
    for (run, rows) in kills.into_iter().enumerate() {
        let mut job = sql_runs::start(&job_script, &job_dir, run, &[]);
        sql_runs::kill_after_checkpoint(&mut job, &job_dir, run, &produced, rows, kill_times.below(500));
    }
    producer.join().unwrap();

    let run = 3;
    let mut job = sql_runs::start(&job_script, &job_dir, run, &[]);
    sql_runs::finish(&mut job, &job_dir, run, || done(&committed_rows(&addr)));
    let got = committed_rows(&addr);
    broker.kill();
    (got, sql_runs::log(&job_dir, run))
}

#[test]
fn an_event_time_sort_into_an_exactly_once_table_survives_three_sigkills() {
    let started = Instant::now();
    let want = expected();
    // Run 0 dies just after its first checkpoint, run 1 in the middle of the input, run 2 near
    // its end.
    let (got, log) = crash_three_times(script, [0, ROWS / 2, ROWS * 9 / 10], &|got| {
        got.len() >= want.len()
    });
    assert_sorted_exactly_once(&got, &want, &|| log.clone());
    eprintln!("sort crash test took {:?}", started.elapsed());
}

/// `LIMIT` rows of the input, about half of it.
const LIMIT: u64 = ROWS / 2;

fn limit_script(addr: &str) -> String {
    script(addr).replace("FROM t ORDER BY ts, x;", &format!("FROM t LIMIT {LIMIT};"))
}

/// `LIMIT n` without `ORDER BY` (a global append-only rank without sort key: `AppendTopNFn`,
/// its held rows in the state `append-top-n`): the same input, killed three times — twice
/// while the first `LIMIT` rows still come in, once after — must write exactly `LIMIT` rows,
/// each a row of the input, each once. Which rows are first depends on the order the
/// partitions are read in, so only that is checked: a rank state lost in a restore writes more
/// rows (with the state kept in memory instead, 20 010 here), one restored ahead of its
/// transaction fewer.
#[test]
fn a_limit_without_order_into_an_exactly_once_table_survives_three_sigkills() {
    let started = Instant::now();
    let mut input: BTreeMap<u64, (String, i64)> = (0..ROWS)
        .map(|i| (i, row(i)))
        .chain((0..2 * LATE_PER_BATCH).map(|k| (LATE_ID + k, late_row(k))))
        .chain((0..PARTITIONS as u64).map(|p| (FLUSH_ID + p, (flush_time(), 0))))
        .map(|(id, (ts, x))| (id, (sql_timestamp(ts), x)))
        .collect();
    // Once the output holds `LIMIT` rows, 2 s more (four checkpoints) for any row too many.
    let reached: std::cell::Cell<Option<Instant>> = std::cell::Cell::new(None);
    let (got, log) = crash_three_times(limit_script, [0, ROWS / 4, ROWS * 3 / 4], &|got| {
        if got.len() as u64 >= LIMIT && reached.get().is_none() {
            reached.set(Some(Instant::now()));
        }
        reached
            .get()
            .is_some_and(|t| t.elapsed() > Duration::from_secs(2))
    });
    assert_eq!(got.len() as u64, LIMIT, "rows committed\n{log}");
    for (id, x, ts) in &got {
        let Some((want_ts, want_x)) = input.remove(id) else {
            panic!("row {id} is not an input row or was written twice\n{log}");
        };
        assert_eq!(
            (ts, x),
            (&want_ts, &want_x),
            "row {id} carries its input's ts and x"
        );
    }
    eprintln!("limit crash test took {:?}", started.elapsed());
}
