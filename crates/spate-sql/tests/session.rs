//! The session end to end on inputs that need no connector (`VALUES`).

use spate_sql::value::Value;
use spate_sql::{Session, SessionOptions, StatementResult};

fn rows(sql: &str) -> Vec<Vec<Value>> {
    let mut session = Session::new(SessionOptions::default());
    let mut out = None;
    session
        .execute_script(sql, |_, r| {
            if let StatementResult::Rows { rows, .. } = r {
                out = Some(rows);
            }
        })
        .unwrap_or_else(|e| panic!("{}", e.render(sql)));
    out.expect("the script has a query")
}

#[test]
fn values_filter_and_project() {
    let got = rows("SELECT a + 1 AS b, a * 2 FROM (VALUES (1), (2), (3)) AS t(a) WHERE a >= 2;");
    assert_eq!(
        got,
        vec![
            vec![Value::Int(3), Value::Int(4)],
            vec![Value::Int(4), Value::Int(6)]
        ]
    );
}

#[test]
fn union_all_conforms_types() {
    let mut got = rows(
        "SELECT a FROM (VALUES (1)) AS t(a) UNION ALL SELECT b FROM (VALUES (CAST(2 AS BIGINT))) AS u(b);",
    );
    got.sort_by_key(|r| r[0].as_i64());
    assert_eq!(got, vec![vec![Value::Int(1)], vec![Value::Int(2)]]);
}

#[test]
fn unknown_column_suggests_the_nearest() {
    let sql = "SELECT amount FROM (VALUES (1)) AS t(amount_usd);";
    let mut session = Session::new(SessionOptions::default());
    let err = session.execute_script(sql, |_, _| {}).unwrap_err();
    assert!(err.to_string().contains("unknown column 'amount'"), "{err}");
    assert!(err.position().is_some(), "{err}");
}

#[test]
fn a_session_time_zone_other_than_utc_is_refused_not_ignored() {
    let mut session = Session::new(SessionOptions::default());
    let err = session
        .execute_script("SET 'table.local-time-zone' = 'Asia/Kolkata';", |_, _| {})
        .unwrap_err();
    assert!(err.to_string().contains("only UTC is supported"), "{err}");
    session
        .execute_script("SET 'table.local-time-zone' = 'UTC';", |_, _| {})
        .unwrap();
}
