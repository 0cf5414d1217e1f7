//! Crash test of a regular join over changelogs (issue 42): `spate sql -f` running an unbounded
//! `orders LEFT JOIN customers` under a `GROUP BY` of the customer's region into an
//! `upsert-kafka` table with `'sink.delivery-guarantee' = 'exactly-once'`, while a producer
//! keeps writing both topics. `customers` is an `upsert-kafka` table whose keys are updated,
//! deleted (tombstones) and created again, so the join sees `-U`/`+U`/`-D` on its inner side and
//! moves orders between regions and to and from their NULL-padded rows; some orders name
//! customers that never exist.
//!
//! The job is SIGKILLed three times — just after its first checkpoint completed, in the middle
//! of the input and near its end — and restarted each time with the same checkpoint directory,
//! so the join's keyed state (both sides' rows and the outer side's association counts), the
//! aggregate's, the normalization's and the sources' offsets come back from the last completed
//! checkpoint and the sink's open transaction is aborted. The output topic read with
//! read_committed and materialized by key must then equal, exactly, the table an uninterrupted
//! run of the same job writes from the same input, and the table computed here from the input;
//! and each key's committed records must step one order at a time, as an uninterrupted run's
//! do, so that no change was written twice or lost and no run started over.
//!
//! The broker is a separate `spate broker` process, so only the jobs die.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::producer::{BaseRecord, Producer, ThreadedProducer};

use crate::common::Broker;
use crate::common::sql_runs;
use crate::common::word_windows::KillTimes;

const PARTITIONS: i32 = 4;
const ORDERS: u64 = 20_000;
const ORDERS_PER_SEC: u64 = 4_000;
/// One customer change (an upsert or a tombstone) after every this many orders.
const ORDERS_PER_CHANGE: u64 = 16;
const CUSTOMERS: u64 = 400;
/// Orders also name customers `CUSTOMERS..CUSTOMERS + UNKNOWN`, which never exist.
const UNKNOWN: u64 = 30;
const REGIONS: u64 = 12;

fn mix(i: u64, salt: u64) -> u64 {
    let x = (i ^ salt.wrapping_mul(0xd6e8_feb8_6659_fd93)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    x ^ (x >> 29)
}

/// Order `i`: (customer id, amount).
fn order(i: u64) -> (u64, u64) {
    (mix(i, 1) % (CUSTOMERS + UNKNOWN), 1 + mix(i, 2) % 100)
}

/// Customer change `j`: (customer id, its new region, or `None` for a tombstone).
fn customer_change(j: u64) -> (u64, Option<String>) {
    let cid = mix(j, 3) % CUSTOMERS;
    let region = (mix(j, 4) % 100 >= 15).then(|| format!("r{}", mix(j, 5) % REGIONS));
    (cid, region)
}

/// One region's row of the output: (orders, their amount, orders that met a customer).
type Totals = (u64, u64, u64);

/// The join's result grouped by region, computed from the input: each order joined with its
/// customer's last version (a regular join's final result is the join of the final tables).
fn expected() -> BTreeMap<String, Totals> {
    let mut customers: BTreeMap<u64, Option<String>> = BTreeMap::new();
    for j in 0..ORDERS / ORDERS_PER_CHANGE {
        let (cid, region) = customer_change(j);
        customers.insert(cid, region);
    }
    let mut out: BTreeMap<String, Totals> = BTreeMap::new();
    for i in 0..ORDERS {
        let (cid, amount) = order(i);
        let region = customers.get(&cid).cloned().flatten();
        let t = out
            .entry(region.clone().unwrap_or_else(|| "none".into()))
            .or_default();
        t.0 += 1;
        t.1 += amount;
        t.2 += u64::from(region.is_some());
    }
    out
}

fn script(addr: &str, name: &str) -> String {
    format!(
        "SET 'execution.checkpointing.interval' = '500ms';
SET 'parallelism.default' = '2';
CREATE TABLE orders (oid BIGINT, cid BIGINT, amount BIGINT) WITH (
  'connector' = 'kafka', 'topic' = 'join-orders', 'properties.bootstrap.servers' = '{addr}',
  'properties.group.id' = '{name}', 'scan.startup.mode' = 'earliest-offset', 'format' = 'json'
);
CREATE TABLE customers (cid BIGINT, region STRING, PRIMARY KEY (cid) NOT ENFORCED) WITH (
  'connector' = 'upsert-kafka', 'topic' = 'join-customers', 'properties.bootstrap.servers' = '{addr}',
  'properties.group.id' = '{name}', 'key.format' = 'json', 'value.format' = 'json'
);
CREATE TABLE region_totals (
  region STRING, n_orders BIGINT, total BIGINT, matched BIGINT, PRIMARY KEY (region) NOT ENFORCED
) WITH (
  'connector' = 'upsert-kafka', 'topic' = '{name}-out', 'properties.bootstrap.servers' = '{addr}',
  'key.format' = 'json', 'value.format' = 'json',
  'sink.delivery-guarantee' = 'exactly-once', 'sink.transactional-id-prefix' = '{name}'
);
INSERT INTO region_totals
SELECT COALESCE(c.region, 'none'), COUNT(*), SUM(o.amount), COUNT(c.cid)
FROM orders AS o LEFT JOIN customers AS c ON o.cid = c.cid
GROUP BY COALESCE(c.region, 'none');
"
    )
}

/// Writes the orders at a steady rate with a customer change after every `ORDERS_PER_CHANGE`
/// of them (each customer's changes on one partition, so in order); `produced` counts the
/// orders sent.
fn produce(addr: String, produced: Arc<AtomicU64>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let producer: ThreadedProducer<_> = ClientConfig::new()
            .set("bootstrap.servers", &addr)
            .set("enable.idempotence", "true")
            .set("linger.ms", "5")
            .create()
            .unwrap();
        let send = |topic: &str, key: Option<String>, value: Option<String>, partition: i32| {
            let mut record = BaseRecord::<String, String>::to(topic).partition(partition);
            if let Some(k) = &key {
                record = record.key(k);
            }
            if let Some(v) = &value {
                record = record.payload(v);
            }
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
        let started = Instant::now();
        for i in 0..ORDERS {
            let due = Duration::from_micros(i * 1_000_000 / ORDERS_PER_SEC);
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                std::thread::sleep(wait);
            }
            let (cid, amount) = order(i);
            send(
                "join-orders",
                None,
                Some(format!(r#"{{"oid":{i},"cid":{cid},"amount":{amount}}}"#)),
                (i % PARTITIONS as u64) as i32,
            );
            if i % ORDERS_PER_CHANGE == ORDERS_PER_CHANGE - 1 {
                let (cid, region) = customer_change(i / ORDERS_PER_CHANGE);
                send(
                    "join-customers",
                    Some(format!(r#"{{"cid":{cid}}}"#)),
                    region.map(|r| format!(r#"{{"cid":{cid},"region":"{r}"}}"#)),
                    (cid % PARTITIONS as u64) as i32,
                );
            }
            produced.store(i + 1, Ordering::Relaxed);
        }
        producer.flush(Duration::from_secs(30)).unwrap();
    })
}

/// Every committed record of `topic` (read with read_committed), per key in offset order: its
/// row, `None` for a tombstone. Every value must carry its record's key.
fn committed_changes(addr: &str, topic: &str) -> BTreeMap<String, Vec<Option<Totals>>> {
    let mut out: BTreeMap<String, Vec<Option<Totals>>> = BTreeMap::new();
    for (key, value) in sql_runs::committed_records(addr, topic, PARTITIONS) {
        let key: serde_json::Value = serde_json::from_slice(&key.unwrap()).unwrap();
        let region = key["region"].as_str().unwrap().to_string();
        let row = value.map(|v| {
            let v: serde_json::Value = serde_json::from_slice(&v).unwrap();
            assert_eq!(v["region"].as_str(), Some(region.as_str()), "the value's key");
            let n = |f: &str| v[f].as_u64().unwrap();
            (n("n_orders"), n("total"), n("matched"))
        });
        out.entry(region).or_default().push(row);
    }
    out
}

/// The table the changes describe: each key's last row, a key whose last record is a tombstone
/// left out.
fn table(changes: &BTreeMap<String, Vec<Option<Totals>>>) -> BTreeMap<String, Totals> {
    changes
        .iter()
        .filter_map(|(k, c)| c.last().copied().flatten().map(|t| (k.clone(), t)))
        .collect()
}

fn committed_table(addr: &str, topic: &str) -> BTreeMap<String, Totals> {
    table(&committed_changes(addr, topic))
}

/// Each committed record of a region is one row more or less than the one before it: the
/// aggregate writes a record per change the join sends it (one order joining or leaving the
/// region), a tombstone when its last order leaves. So a key's records run `1, 2, ..` from
/// nothing or a tombstone, step by exactly one order (its amount 1..=100) and reach a
/// tombstone from one order. A change written twice or lost after a recovery, or a run that
/// started over, breaks the chain; `matched` is every order of a customer's region and none of
/// `none`.
fn assert_one_order_per_record(changes: &BTreeMap<String, Vec<Option<Totals>>>, what: &str) {
    for (region, records) in changes {
        let mut before: Option<Totals> = None;
        for (i, now) in records.iter().enumerate() {
            let (n0, t0) = before.map_or((0, 0), |(n, t, _)| (n, t));
            let (n1, t1) = now.map_or((0, 0), |(n, t, _)| (n, t));
            let step = t1.abs_diff(t0);
            let ok = n1.abs_diff(n0) == 1
                && (1..=100).contains(&step)
                && (n1 > n0) == (t1 > t0)
                && now.is_none_or(|(n, _, m)| m == if region == "none" { 0 } else { n });
            assert!(
                ok,
                "{what}: region {region}, record {i} of {}: {before:?} then {now:?}",
                records.len()
            );
            before = *now;
        }
    }
}

#[test]
fn a_left_join_into_an_exactly_once_upsert_table_survives_three_sigkills() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let mut broker = Broker::start(&dir.path().join("broker"), &dir.path().join("broker.log"));
    let addr = broker.addr.clone();
    sql_runs::create_topics(
        &addr,
        &["join-orders", "join-customers", "join-crash-out", "join-ref-out"],
        PARTITIONS,
    );
    let (crash_dir, ref_dir) = (dir.path().join("crash"), dir.path().join("ref"));
    std::fs::create_dir_all(&crash_dir).unwrap();
    std::fs::create_dir_all(&ref_dir).unwrap();
    let want = expected();

    // The uninterrupted run reads the same input beside the one that is killed.
    let mut reference = sql_runs::start(&script(&addr, "join-ref"), &ref_dir, 0, &[]);
    let produced = Arc::new(AtomicU64::new(0));
    let producer = produce(addr.clone(), produced.clone());
    let mut kill_times = KillTimes::from_clock();
    let crash_script = script(&addr, "join-crash");
    // Run 0 dies just after its first checkpoint, run 1 in the middle of the input, run 2 near
    // its end; each after a checkpoint of its own, at a random moment of the next interval.
    for (run, orders) in [(0, 0), (1, ORDERS / 2), (2, ORDERS * 9 / 10)] {
        let mut job = sql_runs::start(&crash_script, &crash_dir, run, &[]);
        sql_runs::kill_after_checkpoint(
            &mut job,
            &crash_dir,
            run,
            &produced,
            orders,
            kill_times.below(500),
        );
    }
    producer.join().unwrap();

    let run = 3;
    let mut job = sql_runs::start(&crash_script, &crash_dir, run, &[]);
    sql_runs::finish(&mut job, &crash_dir, run, || {
        committed_table(&addr, "join-crash-out") == want
    });
    sql_runs::finish(&mut reference, &ref_dir, 0, || {
        committed_table(&addr, "join-ref-out") == want
    });

    let crashed_changes = committed_changes(&addr, "join-crash-out");
    let uninterrupted_changes = committed_changes(&addr, "join-ref-out");
    assert_one_order_per_record(&uninterrupted_changes, "the uninterrupted run");
    assert_one_order_per_record(&crashed_changes, "the crashed run");
    let (crashed, uninterrupted) = (table(&crashed_changes), table(&uninterrupted_changes));
    assert_eq!(
        uninterrupted,
        want,
        "the uninterrupted run's table\n{}",
        sql_runs::log(&ref_dir, 0)
    );
    let keys = |t: &BTreeMap<String, Totals>| t.keys().cloned().collect::<BTreeSet<_>>();
    assert_eq!(
        keys(&crashed),
        keys(&want),
        "no region lost or added after the crashes"
    );
    assert_eq!(
        crashed,
        uninterrupted,
        "the crashed run's table equals the uninterrupted run's\n{}",
        sql_runs::log(&crash_dir, run)
    );
    broker.kill();
    eprintln!("join crash test took {:?}", started.elapsed());
}
