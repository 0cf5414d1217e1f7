//! `INSERT .. ON CONFLICT DO DEDUPLICATE | NOTHING | ERROR` against Flink 2.3: each case of
//! `tests/flink_on_conflict/` is a Debezium changelog whose rows of different source keys map
//! to one key of a `print` sink; `expected.txt` holds what Flink's print sink wrote (at
//! parallelism 1, one watermark per record), and `error.txt`, where present, the message the
//! job failed with. Regenerate with `bash scripts/flink-changelog-golden.sh <case>/` (a failing
//! case's rows and error are copied from its run by hand; see the directory's README).
#![allow(clippy::unwrap_used)]

use std::path::Path;

use spate_connectors::print::PrintTarget;
use spate_sql::{Session, SessionOptions};

use crate::script_results::last_text;

/// Runs a case's job with its `print` sink captured: the printed lines, and the error the
/// job failed with, if it did.
fn run_case(name: &str) -> (Vec<String>, Option<String>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/flink_on_conflict")
        .join(name);
    let sql = std::fs::read_to_string(dir.join("job.sql"))
        .unwrap()
        .replace("${DATA}", dir.join("input").to_str().unwrap());
    let target = PrintTarget::buffer();
    let mut session = Session::new(SessionOptions {
        print_target: Some(target.clone()),
        ..SessionOptions::default()
    });
    let error = session
        .execute_script(&sql, |_, _| {})
        .err()
        .map(|e| e.to_string());
    let printed = target.contents().lines().map(str::to_string).collect();
    (printed, error)
}

fn check(name: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/flink_on_conflict")
        .join(name);
    let expected: Vec<String> = std::fs::read_to_string(dir.join("expected.txt"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let expected_error = std::fs::read_to_string(dir.join("error.txt")).ok();
    let (printed, error) = run_case(name);
    assert_eq!(printed, expected, "{name}: what the sink printed");
    match (expected_error, error) {
        (None, None) => {}
        (Some(want), Some(got)) => assert!(got.contains(want.trim()), "{name}: {got}"),
        (want, got) => panic!("{name}: expected the error {want:?}, got {got:?}"),
    }
}

#[test]
fn deduplicate_keeps_the_latest_row_and_falls_back_on_retraction() {
    check("cdc_deduplicate");
}

#[test]
fn nothing_keeps_the_first_row_of_a_key() {
    check("cdc_nothing");
}

#[test]
fn error_fails_the_job_on_a_conflict() {
    check("cdc_error");
    check("error_transient");
}

const TABLES: &str = "CREATE TABLE cdc (id INT, k STRING, v INT, ts TIMESTAMP(3), PRIMARY KEY (id) NOT ENFORCED, \
       WATERMARK FOR ts AS ts) WITH ('connector' = 'filesystem', 'path' = '/nonexistent', 'format' = 'debezium-json');
     CREATE TABLE nowm (id INT, k STRING, v INT, PRIMARY KEY (id) NOT ENFORCED) \
       WITH ('connector' = 'filesystem', 'path' = '/nonexistent', 'format' = 'debezium-json');
     CREATE TABLE out_k (k STRING, id INT, v INT, PRIMARY KEY (k) NOT ENFORCED) WITH ('connector' = 'blackhole');
     CREATE TABLE fs_k (k STRING, id INT, v INT) WITH ('connector' = 'filesystem', 'path' = '/nonexistent', 'format' = 'json');
";

/// Flink 2.3's planning: the materializer shows in EXPLAIN where the sink's key is not the
/// query's upsert key, and not where it is; the clause is for upsert sinks only; NOTHING and
/// ERROR need watermarks on every source; the clause takes only Flink's three strategies.
#[test]
fn the_clause_is_planned_and_refused_as_flink_does() {
    let explain = last_text(&format!(
        "{TABLES} EXPLAIN INSERT INTO out_k SELECT k, id, v FROM cdc ON CONFLICT DO NOTHING;"
    ))
    .unwrap();
    assert!(
        explain.contains("SinkMaterializer(pk=[k], conflictStrategy=[NOTHING])"),
        "{explain}"
    );
    let keyed = last_text(&format!(
        "{TABLES} EXPLAIN INSERT INTO out_k SELECT k, MAX(id), SUM(v) FROM cdc GROUP BY k ON CONFLICT DO ERROR;"
    ))
    .unwrap();
    assert!(!keyed.contains("SinkMaterializer"), "{keyed}");
    let missing = last_text(&format!("{TABLES} INSERT INTO out_k SELECT k, id, v FROM cdc;")).unwrap_err();
    assert!(
        missing.contains("Primary key: [k], upsert key: [id]. This can lead to non-deterministic results"),
        "{missing}"
    );
    let append = last_text(&format!(
        "{TABLES} INSERT INTO fs_k VALUES ('a', 1, 10) ON CONFLICT DO DEDUPLICATE;"
    ))
    .unwrap_err();
    assert!(
        append.contains(
            "ON CONFLICT clause is only allowed for upsert sinks. The sink \
             'default_catalog.default_database.fs_k' is not an upsert sink because it only accepts \
             INSERT (append-only) changes."
        ),
        "{append}"
    );
    let no_watermark = last_text(&format!(
        "{TABLES} INSERT INTO out_k SELECT k, id, v FROM nowm ON CONFLICT DO NOTHING;"
    ))
    .unwrap_err();
    assert!(
        no_watermark.contains(
            "ON CONFLICT DO NOTHING requires all source tables to define watermarks, but the following \
             source(s) do not: default_catalog.default_database.nowm. Please add a WATERMARK declaration \
             to these tables."
        ),
        "{no_watermark}"
    );
    // DEDUPLICATE resolves per record and needs no watermark.
    let dedup = last_text(&format!(
        "{TABLES} EXPLAIN INSERT INTO out_k SELECT k, id, v FROM nowm ON CONFLICT DO DEDUPLICATE;"
    ))
    .unwrap();
    assert!(dedup.contains("conflictStrategy=[DEDUPLICATE]"), "{dedup}");
    let update = last_text(&format!(
        "{TABLES} INSERT INTO out_k SELECT k, id, v FROM cdc ON CONFLICT DO UPDATE;"
    ))
    .unwrap_err();
    assert!(update.contains("ERROR, NOTHING or DEDUPLICATE"), "{update}");
}
