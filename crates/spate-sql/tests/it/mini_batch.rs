//! `table.exec.mini-batch.*`: an updating aggregate emits each changed group's change once per
//! bundle; the final table is the same as without mini-batch. Flink's planning errors for a
//! missing latency or size.

use std::collections::BTreeMap;

use crate::script_results::{changelog, last_text};
use spate_sql::value::{RowKind, Value};

/// The table a changelog leaves: each row with its multiplicity (none may go negative).
fn final_table(changes: &[(RowKind, Vec<Value>)]) -> BTreeMap<String, i64> {
    let mut table = BTreeMap::new();
    for (kind, row) in changes {
        let n = table.entry(format!("{row:?}")).or_insert(0);
        *n += if kind.is_accumulate() { 1 } else { -1 };
        assert!(*n >= 0, "{row:?} retracted more often than added");
    }
    table.retain(|_, n| *n != 0);
    table
}

fn script(settings: &str, query: &str) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("events.csv");
    std::fs::write(&path, "1,5,apple\n2,3,pear\n1,7,apple\n1,2,plum\n2,4,fig\n").expect("input");
    // The file must outlive the script's run: leak the directory for the test's life.
    let dir = Box::leak(Box::new(dir));
    let _ = dir;
    format!(
        "SET 'parallelism.default' = '1';
         {settings}
         CREATE TABLE events (user_id INT, amount INT, item STRING) WITH (
           'connector' = 'filesystem', 'path' = '{}', 'format' = 'csv');
         {query}",
        path.display()
    )
}

const MINI_BATCH: &str = "SET 'table.exec.mini-batch.enabled' = 'true';
     SET 'table.exec.mini-batch.allow-latency' = '1 h';
     SET 'table.exec.mini-batch.size' = '1000';";

/// Every row falls into one bundle: each group emits its final results once, as Flink 2.3
/// printed for this query and input (`+I[2, 2, 7]`, `+I[1, 3, 14]`; a helper ran it on
/// 2026-11-27).
#[test]
fn a_group_by_emits_each_group_once_per_bundle() {
    let query = "SELECT user_id, COUNT(*) AS c, SUM(amount) AS s FROM events GROUP BY user_id;";
    let mut got = changelog(&script(MINI_BATCH, query)).expect("runs");
    got.sort_by_key(|(_, row)| format!("{row:?}"));
    let row = |u: i64, c: i64, s: i64| vec![Value::Int(u), Value::Int(c), Value::Int(s)];
    assert_eq!(
        got,
        vec![(RowKind::Insert, row(1, 3, 14)), (RowKind::Insert, row(2, 2, 7))]
    );
}

/// An aggregate over an updating input (a GROUP BY over a GROUP BY) under mini-batch ends with
/// the same table as without it, in fewer changes.
#[test]
fn an_aggregate_of_an_aggregate_ends_with_the_same_table() {
    let query = "SELECT c, COUNT(*) AS users, MAX(s) AS top FROM
         (SELECT user_id, COUNT(*) AS c, SUM(amount) AS s FROM events GROUP BY user_id) GROUP BY c;";
    let plain = changelog(&script("", query)).expect("runs");
    let batched = changelog(&script(MINI_BATCH, query)).expect("runs");
    assert_eq!(final_table(&batched), final_table(&plain), "{batched:?}");
    assert!(batched.len() < plain.len(), "{batched:?} vs {plain:?}");
    assert!(!final_table(&plain).is_empty());
}

/// Flink 2.3's planning errors, word for word.
#[test]
fn mini_batch_needs_a_latency_and_a_size() {
    let query = "SELECT user_id, COUNT(*) FROM events GROUP BY user_id;";
    let err =
        changelog(&script("SET 'table.exec.mini-batch.enabled' = 'true';", query)).expect_err("no latency");
    assert!(
        err.contains("MiniBatch Latency must be greater than 0 ms."),
        "{err}"
    );
    let err = changelog(&script(
        "SET 'table.exec.mini-batch.enabled' = 'true'; SET 'table.exec.mini-batch.allow-latency' = '5 s';",
        query,
    ))
    .expect_err("no size");
    assert!(
        err.contains("Key: 'table.exec.mini-batch.size' , default: -1 (fallback keys: []) must be > 0."),
        "{err}"
    );
    // Disabled, the other settings change nothing.
    assert!(changelog(&script("SET 'table.exec.mini-batch.enabled' = 'false';", query)).is_ok());
}

/// 20 000 rows over 50 users at parallelism 2, through a `GROUP BY` under mini-batch, one phase
/// and two (Flink's local-global aggregation, its default with mini-batch): the local phase
/// runs where every call merges (`COUNT`, `SUM`, `MAX`, `AVG`, `COUNT(DISTINCT)`) and not where
/// one does not (`LISTAGG`), nor under `ONE_PHASE` or without mini-batch, and each plan ends
/// with the table the query has without mini-batch.
#[test]
fn two_phase_aggregation_folds_before_the_exchange_and_ends_with_the_same_table() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("events.csv");
    let mut text = String::new();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..20_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        text.push_str(&format!("{},{},item-{}\n", x % 50, x % 1000, x % 97));
    }
    std::fs::write(&path, text).expect("input");
    let tables = format!(
        "SET 'parallelism.default' = '2';
         CREATE TABLE events (user_id INT, amount INT, item STRING) WITH (
           'connector' = 'filesystem', 'path' = '{}', 'format' = 'csv');",
        path.display()
    );
    let query = "SELECT user_id, COUNT(*) AS c, SUM(amount) AS s, MAX(item) AS m, AVG(amount) AS a, \
                 COUNT(DISTINCT item) AS d FROM events GROUP BY user_id;";
    let run = |settings: &str, query: &str| {
        let script = format!("{tables}\n{settings}\n{query}");
        let graph =
            last_text(&format!("{tables}\n{settings}\nEXPLAIN {query}")).unwrap_or_else(|e| panic!("{e}"));
        let changes = changelog(&script).expect("runs");
        (graph.contains("local-group-aggregate"), final_table(&changes))
    };
    let (local, expected) = run("", query);
    assert!(!local, "no local phase without mini-batch");
    assert_eq!(expected.len(), 50);
    for (settings, two_phase) in [
        (MINI_BATCH.to_string(), true),
        (
            format!("{MINI_BATCH} SET 'table.optimizer.agg-phase-strategy' = 'TWO_PHASE';"),
            true,
        ),
        (
            format!("{MINI_BATCH} SET 'table.optimizer.agg-phase-strategy' = 'ONE_PHASE';"),
            false,
        ),
    ] {
        let (local, table) = run(&settings, query);
        assert_eq!(local, two_phase, "{settings}");
        assert_eq!(table, expected, "{settings}");
    }
    let listagg = "SELECT user_id, LISTAGG(item) AS l FROM events GROUP BY user_id;";
    let (local, _) = run(MINI_BATCH, listagg);
    assert!(!local, "LISTAGG keeps one phase");
}
