//! `table.exec.state.ttl`: a group not written for longer than the TTL is forgotten, so its next
//! row starts it again with `+I` (Flink's processing-time TTL, refreshed on every write).

use spate_sql::value::{RowKind, Value};
use spate_sql::{Session, SessionOptions, StatementResult};

/// The changelog of the script's last `SELECT`.
fn changelog(script: &str) -> Vec<(RowKind, Vec<Value>)> {
    let mut session = Session::new(SessionOptions::default());
    let mut out = Vec::new();
    let outcome = session.execute_script(script, |_, result| {
        if let StatementResult::Rows { rows, kinds, .. } = result {
            out = kinds.iter().copied().zip(rows.iter().cloned()).collect();
        }
    });
    if let Err(e) = outcome {
        panic!("{}", e.render(script));
    }
    out
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
