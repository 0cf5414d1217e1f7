//! Row-level changes into Iceberg tables with a primary key, read back by Apache Iceberg's
//! Rust implementation (iceberg-rust through DataFusion; pyiceberg cannot apply equality
//! deletes): an updating query's changes become equality and position deletes and rows, and
//! `write.upsert.enabled` makes every row replace its key's. Checkpoints every 150 ms make
//! many snapshots, so deletes must apply across snapshots (sequence numbers) and within one
//! (position deletes).

use std::collections::BTreeMap;

use serde_json::Value as Json;

use crate::iceberg::{hadoop_table, pyiceberg, run};

/// `(key, value)` pairs of the table's rows, as iceberg-rust reads them.
fn rust_rows(table_dir: &std::path::Path, cols: &[&str]) -> (Vec<Vec<i64>>, Json) {
    let t = pyiceberg(&["rust", "hadoop", table_dir.to_str().expect("a UTF-8 path")]);
    let mut rows: Vec<Vec<i64>> = t["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            cols.iter()
                .map(|c| r[c].as_i64().expect("a BIGINT column"))
                .collect()
        })
        .collect();
    rows.sort_unstable();
    (rows, t)
}

/// The sum of a summary key over every snapshot.
fn total(t: &Json, key: &str) -> i64 {
    t["snapshots"]
        .as_array()
        .expect("snapshots")
        .iter()
        .filter_map(|s| s["summary"][key].as_str())
        .map(|v| v.parse::<i64>().expect("a count"))
        .sum()
}

#[test]
fn an_updating_group_by_keeps_an_iceberg_table_current_across_checkpoints() {
    let dir = tempfile::tempdir().unwrap();
    let warehouse = dir.path().join("warehouse");
    let n = 1200;
    // Groups enter and leave the result as their sum's residue changes: +I, -U/+U and -D.
    let sql = format!(
        "SET 'execution.checkpointing.interval' = '150ms';
         SET 'parallelism.default' = '2';
         CREATE TABLE gen (id BIGINT) WITH (
           'connector' = 'datagen', 'number-of-rows' = '{n}', 'rows-per-second' = '1000',
           'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '{n}');
         CREATE TABLE totals (k BIGINT, c BIGINT, s BIGINT,
           PRIMARY KEY (k) NOT ENFORCED) WITH ({});
         INSERT INTO totals SELECT id % 10, COUNT(*), SUM(id) FROM gen
           GROUP BY id % 10 HAVING MOD(SUM(id), 7) <> 0;",
        hadoop_table(&warehouse, "")
    );
    run(&sql).expect("the job runs");
    let mut expected: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    for id in 1..=n {
        let e = expected.entry(id % 10).or_default();
        *e = (e.0 + 1, e.1 + id);
    }
    let expected: Vec<Vec<i64>> = expected
        .into_iter()
        .filter(|(_, (_, s))| s % 7 != 0)
        .map(|(k, (c, s))| vec![k, c, s])
        .collect();
    assert!(
        !expected.is_empty() && expected.len() < 10,
        "the result keeps some groups and drops others: {expected:?}"
    );
    let (rows, t) = rust_rows(&warehouse.join("db/totals"), &["k", "c", "s"]);
    assert_eq!(rows, expected, "the table is the query's final result");
    assert!(
        total(&t, "added-equality-deletes") > 0,
        "updates of earlier checkpoints' rows are equality deletes: {}",
        t["snapshots"]
    );
    assert!(
        total(&t, "added-position-deletes") > 0,
        "updates of a row of the same checkpoint are position deletes: {}",
        t["snapshots"]
    );
    let snapshots = t["snapshots"].as_array().unwrap();
    let mut last = i64::MIN;
    for s in snapshots {
        let checkpoint: i64 = s["summary"]["flink.max-committed-checkpoint-id"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(
            checkpoint > last,
            "one snapshot per checkpoint, in order: {snapshots:?}"
        );
        last = checkpoint;
        let op = s["summary"]["operation"].as_str().unwrap();
        assert!(["append", "overwrite", "delete"].contains(&op), "{op}");
    }
    assert!(
        snapshots.iter().any(|s| s["summary"]["operation"] == "overwrite"),
        "row deltas commit data and deletes together: {snapshots:?}"
    );
}

#[test]
fn upsert_mode_replaces_each_key_in_a_partitioned_table() {
    let dir = tempfile::tempdir().unwrap();
    let warehouse = dir.path().join("warehouse");
    let n = 900;
    // An insert-only query with repeated keys: in upsert mode the last row of each key stays.
    let sql = format!(
        "SET 'execution.checkpointing.interval' = '150ms';
         SET 'parallelism.default' = '1';
         CREATE TABLE gen (id BIGINT) WITH (
           'connector' = 'datagen', 'number-of-rows' = '{n}', 'rows-per-second' = '1500',
           'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '{n}');
         CREATE TABLE latest (k BIGINT NOT NULL, part BIGINT NOT NULL, last_id BIGINT,
           PRIMARY KEY (k, part) NOT ENFORCED) PARTITIONED BY (part) WITH ({});
         INSERT INTO latest SELECT id % 40, id % 40 % 3, id FROM gen;",
        hadoop_table(&warehouse, ", 'write.upsert.enabled' = 'true'")
    );
    run(&sql).expect("the job runs");
    let expected: Vec<Vec<i64>> = (0..40)
        .map(|k| {
            let last = (1..=n).filter(|id| id % 40 == k).max().unwrap();
            vec![k, k % 3, last]
        })
        .collect();
    let (rows, t) = rust_rows(&warehouse.join("db/latest"), &["k", "part", "last_id"]);
    assert_eq!(rows, expected, "one row per key: the last");
    assert!(total(&t, "added-equality-deletes") > 0, "{}", t["snapshots"]);
    assert!(t["spec"].as_str().unwrap().contains("part"), "{}", t["spec"]);
}

#[test]
fn keyed_iceberg_sinks_refuse_what_they_cannot_write() {
    let dir = tempfile::tempdir().unwrap();
    let warehouse = dir.path().join("warehouse");
    let source = "CREATE TABLE gen (id BIGINT) WITH ('connector' = 'datagen', 'number-of-rows' = '3');";
    // An updating query needs the key its deletes name.
    let err = run(&format!(
        "{source}
         CREATE TABLE t (k BIGINT, c BIGINT) WITH ({});
         INSERT INTO t SELECT id % 2, COUNT(*) FROM gen GROUP BY id % 2;",
        hadoop_table(&warehouse, "")
    ))
    .unwrap_err();
    assert!(err.contains("needs a PRIMARY KEY"), "{err}");
    // Upsert mode without a key: Flink's words.
    let err = run(&format!(
        "{source}
         CREATE TABLE u (k BIGINT) WITH ({});
         INSERT INTO u SELECT id FROM gen;",
        hadoop_table(&warehouse, ", 'write.upsert.enabled' = 'true'")
    ))
    .unwrap_err();
    assert!(err.contains("Equality field columns shouldn't be empty"), "{err}");
    // Upsert mode partitioned by a column outside the key.
    let err = run(&format!(
        "{source}
         CREATE TABLE p (k BIGINT NOT NULL, day BIGINT, PRIMARY KEY (k) NOT ENFORCED)
           PARTITIONED BY (day) WITH ({});
         INSERT INTO p SELECT id, id FROM gen;",
        hadoop_table(&warehouse, ", 'write.upsert.enabled' = 'true'")
    ))
    .unwrap_err();
    assert!(
        err.contains("the partition column day must be a primary key column"),
        "{err}"
    );
}
