//! `table.exec.state.ttl`: a group not written for longer than the TTL is forgotten, so its next
//! row starts it again with `+I` (Flink's processing-time TTL, refreshed on every write).

use crate::script_results::last_text;
use spate_sql::value::{RowKind, Value};

/// The changelog of the script's last `SELECT`.
fn changelog(script: &str) -> Vec<(RowKind, Vec<Value>)> {
    crate::script_results::changelog(script).unwrap_or_else(|e| panic!("{e}"))
}

fn script(ttl: &str) -> String {
    format!(
        "SET 'parallelism.default' = '1';
         SET 'table.exec.state.ttl' = '{ttl}';
         CREATE TABLE gen (id BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '1',
           'number-of-rows' = '3', 'fields.id.kind' = 'sequence', 'fields.id.start' = '1',
           'fields.id.end' = '3');
         SELECT k, COUNT(*) AS c, SUM(id) AS s FROM (SELECT id * 0 AS k, id FROM gen) GROUP BY k;"
    )
}

/// Rows a second apart under a TTL of 300 ms: each finds its group expired and starts it
/// again. Under a TTL of an hour the same rows update one group.
#[test]
fn a_group_idle_past_the_ttl_starts_again() {
    let row = |c: i64, s: i64| vec![Value::Int(0), Value::Int(c), Value::Int(s)];
    assert_eq!(
        changelog(&script("300 ms")),
        vec![
            (RowKind::Insert, row(1, 1)),
            (RowKind::Insert, row(1, 2)),
            (RowKind::Insert, row(1, 3)),
        ]
    );
    assert_eq!(
        changelog(&script("1 h")),
        vec![
            (RowKind::Insert, row(1, 1)),
            (RowKind::UpdateBefore, row(1, 1)),
            (RowKind::UpdateAfter, row(2, 3)),
            (RowKind::UpdateBefore, row(2, 3)),
            (RowKind::UpdateAfter, row(3, 6)),
        ]
    );
}

/// The `STATE_TTL` hint (its changelogs are golden cases, `state_ttl_hint*`): EXPLAIN shows it
/// on the aggregate as Flink's optimized plan does; a hint on a SELECT without an aggregate is
/// ignored; Flink's errors for a name that is not the input's, a bad duration, an empty hint,
/// an unknown hint; other hints stay refused.
#[test]
fn the_state_ttl_hint_is_planned_and_checked_as_flink_does() {
    let table = "CREATE TABLE t (k INT, v INT) WITH ('connector' = 'datagen', 'number-of-rows' = '3');\n";
    let explain = last_text(&format!(
        "{table}EXPLAIN SELECT /*+ STATE_TTL('o' = '1d') */ k, COUNT(*) FROM t AS o GROUP BY k;"
    ))
    .unwrap();
    assert!(
        explain.contains("GroupAggregate(groupBy=[k], select=[k, COUNT(*) AS EXPR$1], stateTtlHints=[[[STATE_TTL options:[1d]]]])"),
        "{explain}"
    );
    let distinct = last_text(&format!(
        "{table}EXPLAIN SELECT /*+ STATE_TTL('t' = '2 h') */ DISTINCT k FROM t;"
    ))
    .unwrap();
    assert!(
        distinct.contains("stateTtlHints=[[[STATE_TTL options:[2 h]]]]"),
        "{distinct}"
    );
    let subquery = last_text(&format!(
        "{table}EXPLAIN SELECT /*+ state_ttl(s = '1 min') */ k, SUM(v) FROM (SELECT k, v FROM t WHERE v > 0) s GROUP BY k;"
    ))
    .unwrap();
    assert!(
        subquery.contains("stateTtlHints=[[[STATE_TTL options:[1 min]]]]"),
        "{subquery}"
    );
    assert!(
        last_text(&format!(
            "{table}EXPLAIN SELECT /*+ STATE_TTL('x' = '1d') */ k FROM t;"
        ))
        .is_ok()
    );
    let cases = [
        (
            "SELECT /*+ STATE_TTL('t' = '1d') */ k, COUNT(*) FROM t AS o GROUP BY k",
            "The options of following hints cannot match the name of input tables or views: \n`t` in `STATE_TTL`",
        ),
        (
            "SELECT /*+ STATE_TTL('t' = 'abc') */ k, COUNT(*) FROM t GROUP BY k",
            "Invalid STATE_TTL hint value: text does not start with a number",
        ),
        (
            "SELECT /*+ STATE_TTL() */ k, COUNT(*) FROM t GROUP BY k",
            "Invalid STATE_TTL hint, expecting at least one key-value options specified.",
        ),
        (
            "SELECT /*+ FOO('a' = 'b') */ k FROM t",
            "Hint: FOO should be registered in the HintStrategyTable",
        ),
        (
            "SELECT k FROM t /*+ LOOKUP('table' = 't') */",
            "not supported yet",
        ),
    ];
    for (query, message) in cases {
        let err = last_text(&format!("{table}{query};")).unwrap_err();
        assert!(err.contains(message), "{query}: {err}");
    }
}

/// The joined pairs `(a.id, b.id)` of three rows a second apart joined with themselves on a
/// constant key, under the given settings and hint, sorted.
fn joined_pairs(set: &str, hint: &str) -> Vec<(i64, i64)> {
    let script = format!(
        "SET 'parallelism.default' = '1';
         {set}
         CREATE TABLE gen (id BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '1',
           'number-of-rows' = '3', 'fields.id.kind' = 'sequence', 'fields.id.start' = '1',
           'fields.id.end' = '3');
         SELECT {hint} a.id, b.id FROM gen AS a JOIN gen AS b ON a.id * 0 = b.id * 0;"
    );
    // An inner join of insert-only rows is insert-only: its rows come without kinds.
    let mut pairs = Vec::new();
    spate_sql::Session::new(spate_sql::SessionOptions::default())
        .execute_script(&script, |_, result| {
            if let spate_sql::StatementResult::Rows { rows, kinds, .. } = result {
                assert!(kinds.is_empty(), "an insert-only join");
                pairs = rows
                    .iter()
                    .map(|row| (row[0].as_i64().unwrap_or(-1), row[1].as_i64().unwrap_or(-1)))
                    .collect();
            }
        })
        .unwrap_or_else(|e| panic!("{}", e.render(&script)));
    pairs.sort_unstable();
    pairs
}

/// A regular join keeps each side's rows for that side's TTL: under `table.exec.state.ttl`
/// both sides forget a row before the next arrives a second later, so each row meets only
/// itself; a `STATE_TTL` hint on one side (Flink's per-input form) lets the other side keep its
/// rows, so each row meets every earlier row of that side. Without a TTL every pair meets.
#[test]
fn a_join_forgets_each_sides_rows_after_its_ttl() {
    assert_eq!(
        joined_pairs("", ""),
        vec![
            (1, 1),
            (1, 2),
            (1, 3),
            (2, 1),
            (2, 2),
            (2, 3),
            (3, 1),
            (3, 2),
            (3, 3)
        ]
    );
    assert_eq!(
        joined_pairs("SET 'table.exec.state.ttl' = '300 ms';", ""),
        vec![(1, 1), (2, 2), (3, 3)]
    );
    assert_eq!(
        joined_pairs("", "/*+ STATE_TTL('a' = '300ms') */"),
        vec![(1, 1), (2, 1), (2, 2), (3, 1), (3, 2), (3, 3)]
    );
    // A hint of zero turns the TTL off for its side, whatever the setting.
    assert_eq!(
        joined_pairs(
            "SET 'table.exec.state.ttl' = '300 ms';",
            "/*+ STATE_TTL('b' = '0s') */"
        ),
        vec![(1, 1), (2, 1), (2, 2), (3, 1), (3, 2), (3, 3)]
    );
}
