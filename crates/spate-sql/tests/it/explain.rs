//! Golden tests of `EXPLAIN`: each `tests/golden/explain/*.sql` script runs in a [`Session`]
//! (nothing is executed: its last statement is an `EXPLAIN`); the text `EXPLAIN` returns, the
//! logical plan and the engine graph with parallelism, partitioning and chains, must equal
//! `*.expected`.
//!
//! The engine graph is Spate's own, so the expected files are this test's output, reviewed by
//! hand: regenerate after an intended change with `UPDATE_GOLDEN=1 cargo test -p spate-sql
//! --test explain`, then review the diff.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use spate_sql::{Session, SessionOptions, StatementResult};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/explain")
}

fn explain(script: &str) -> String {
    let mut session = Session::new(SessionOptions::default());
    let mut text = None;
    session
        .execute_script(script, |_, result| {
            if let StatementResult::Text(t) = result {
                text = Some(t);
            }
        })
        .unwrap_or_else(|e| panic!("{}", e.render(script)));
    text.expect("the script ends with an EXPLAIN")
}

fn check(name: &str) {
    let sql = std::fs::read_to_string(dir().join(format!("{name}.sql"))).unwrap();
    let actual = explain(&sql);
    let expected_path = dir().join(format!("{name}.expected"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&expected_path, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&expected_path).unwrap();
    assert_eq!(
        actual, expected,
        "EXPLAIN of {name}.sql changed; actual:\n{actual}"
    );
}

#[test]
fn explain_window_aggregate() {
    check("window_aggregate");
}

#[test]
fn explain_interval_join() {
    check("interval_join");
}

#[test]
fn explain_union() {
    check("union");
}

#[test]
fn explain_source_reuse() {
    check("source_reuse");
}

#[test]
fn explain_window_reuse() {
    check("window_reuse");
}

#[test]
fn explain_ltz_window_utc() {
    check("ltz_window_utc");
}

#[test]
fn explain_filtered_reuse() {
    check("filtered_reuse");
}

#[test]
fn explain_unnest() {
    check("unnest");
}

#[test]
fn explain_changelog_mode_of_a_join_on_primary_keys() {
    check("changelog_join");
}

#[test]
fn explain_changelog_mode_of_cumulating_windows() {
    check("changelog_windows");
}

#[test]
fn explain_changelog_group_by_into_an_upsert_sink() {
    check("changelog_group_by_upsert_sink");
}

#[test]
fn explain_changelog_group_by_into_a_retracting_sink() {
    check("changelog_group_by_retract_sink");
}

#[test]
fn explain_changelog_having_needs_before_images() {
    check("changelog_having");
}

#[test]
fn explain_changelog_global_aggregate() {
    check("changelog_global_aggregate");
}

#[test]
fn explain_changelog_select_distinct() {
    check("changelog_distinct");
}

#[test]
fn explain_changelog_aggregate_over_updates() {
    check("changelog_aggregate_of_updates");
}

#[test]
fn explain_changelog_retracting_aggregates() {
    check("changelog_retracting_aggregates");
}

#[test]
fn explain_changelog_top_n() {
    check("changelog_top_n");
}

#[test]
fn explain_changelog_temporal_sort() {
    check("changelog_temporal_sort");
}

#[test]
fn explain_changelog_limit() {
    check("changelog_limit");
}

#[test]
fn explain_changelog_deduplicate() {
    check("changelog_deduplicate");
}

#[test]
fn explain_over_aggregate() {
    check("over_aggregate");
}

#[test]
fn explain_lookup_join() {
    check("lookup_join");
}
