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

/// The Nexmark project's Kafka table layout: a computed column and views read fields of ROW
/// columns (`bid.price`, `n.bid.auction`), resolved as in Calcite — a table qualifier first,
/// else a column's field. The rows must equal the generator's flat bid table.
#[test]
fn row_fields_in_computed_columns_and_views() {
    let nested = rows(
        "CREATE TABLE n (event_type INT, bid ROW<auction BIGINT, price BIGINT, `dateTime` TIMESTAMP(3)>, \
           t AS CASE WHEN event_type = 2 THEN bid.`dateTime` END) \
         WITH ('connector' = 'nexmark', 'events.num' = '50');
         CREATE VIEW b AS SELECT n.bid.auction, bid.price AS price, t FROM n WHERE event_type = 2;
         SELECT auction, price, t FROM b;",
    );
    let flat = rows(
        "CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, `dateTime` TIMESTAMP(3)) \
         WITH ('connector' = 'nexmark', 'events.num' = '50');
         SELECT auction, price, `dateTime` FROM bid;",
    );
    assert_eq!(nested.len(), 46, "46 bids in every 50 events");
    assert_eq!(nested, flat);
    assert!(nested.iter().all(|r| matches!(r[2], Value::Timestamp(_))));

    let mut session = Session::new(SessionOptions::default());
    let sql = "CREATE TABLE n (bid ROW<price BIGINT>) WITH ('connector' = 'nexmark', 'events.num' = '5');
               SELECT bid.prize FROM n;";
    let err = session.execute_script(sql, |_, _| {}).unwrap_err();
    assert!(err.to_string().contains("no field 'prize'"), "{err}");
    assert!(err.position().is_some(), "{err}");
}

/// Nexmark q12's shape (bids per bidder in processing-time windows over `PROCTIME()`), with
/// 100 ms windows: every bid is counted once, and no window of a bidder is reported twice
/// (a record in a window's last millisecond must not reopen it after it fired).
#[test]
fn processing_time_windows_count_every_row_once() {
    let out = rows(
        "CREATE TABLE bid (auction BIGINT, bidder BIGINT) WITH ('connector' = 'datagen',
           'rows-per-second' = '3000', 'number-of-rows' = '3000',
           'fields.auction.kind' = 'sequence', 'fields.auction.start' = '1', 'fields.auction.end' = '3000',
           'fields.bidder.min' = '1', 'fields.bidder.max' = '3');
         SELECT B.bidder, count(*) AS bid_count,
                TUMBLE_START(B.p_time, INTERVAL '0.1' SECOND) AS starttime
         FROM (SELECT *, PROCTIME() AS p_time FROM bid) B
         GROUP BY B.bidder, TUMBLE(B.p_time, INTERVAL '0.1' SECOND);",
    );
    let total: i64 = out
        .iter()
        .map(|r| match r[1] {
            Value::Int(n) => n,
            ref v => panic!("count is {v:?}"),
        })
        .sum();
    assert_eq!(total, 3000);
    let mut windows: Vec<String> = out.iter().map(|r| format!("{:?} {:?}", r[0], r[2])).collect();
    let n = windows.len();
    windows.sort();
    windows.dedup();
    assert_eq!(windows.len(), n, "a bidder's window was reported twice: {out:?}");
    assert!(n > 3, "the rows spanned {n} windows");
}
