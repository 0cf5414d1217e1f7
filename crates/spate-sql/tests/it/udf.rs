//! Rust scalar functions called from SQL: Nexmark q14 with its `count_char` UDF (the Nexmark
//! project's query text, minus the `CREATE FUNCTION` of its Java class), checked against the
//! result computed here from the input.

use spate_sql::expr::{EvalError, ScalarUdf};
use spate_sql::types::{DataType, TypeKind};
use spate_sql::value::Value;
use spate_sql::{Session, SessionOptions, StatementResult};

/// Nexmark's `CountChar`: how often `c` occurs in `s`.
fn count_char() -> ScalarUdf {
    let string = DataType::new(TypeKind::Varchar(spate_sql::types::MAX_LENGTH));
    ScalarUdf::new(
        "count_char",
        vec![string.clone(), string],
        DataType::new(TypeKind::BigInt),
        |args: &[Value]| -> Result<Value, EvalError> {
            Ok(match (&args[0], &args[1]) {
                (Value::String(s), Value::String(c)) => {
                    let c = c.chars().next().unwrap_or('\0');
                    Value::Int(s.chars().filter(|x| *x == c).count() as i64)
                }
                _ => Value::Null,
            })
        },
    )
}

#[test]
fn nexmark_q14_with_a_rust_udf() {
    let dir = tempfile::tempdir().unwrap();
    let bids = [
        // (auction, bidder, price, hour, extra)
        (1, 10, 2_000_000_i64, 9, "accccb"),
        (2, 11, 500, 9, "cc"),
        (3, 12, 60_000_000, 3, "c"),
        (4, 13, 30_000_000, 3, "abc"),
        (5, 14, 10_000_000, 19, ""),
    ];
    let lines: Vec<String> = bids
        .iter()
        .map(|(a, b, p, h, e)| {
            format!(
                r#"{{"auction":{a},"bidder":{b},"price":{p},"channel":"c","url":"u","dateTime":"2024-01-01 {h:02}:00:00","extra":"{e}"}}"#
            )
        })
        .collect();
    std::fs::write(dir.path().join("bid.json"), lines.join("\n")).unwrap();
    let sql = format!(
        "CREATE TABLE bid (
            auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
            `dateTime` TIMESTAMP(3), extra VARCHAR,
            WATERMARK FOR `dateTime` AS `dateTime` - INTERVAL '4' SECOND
        ) WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'json');
        SELECT
            auction,
            bidder,
            0.908 * price as price,
            CASE
                WHEN HOUR(`dateTime`) >= 8 AND HOUR(`dateTime`) <= 18 THEN 'dayTime'
                WHEN HOUR(`dateTime`) <= 6 OR HOUR(`dateTime`) >= 20 THEN 'nightTime'
                ELSE 'otherTime'
            END AS bidTimeType,
            `dateTime`,
            extra,
            count_char(extra, 'c') AS c_counts
        FROM bid
        WHERE 0.908 * price > 1000000 AND 0.908 * price < 50000000;",
        dir.path().join("bid.json").display()
    );
    let mut session = Session::new(SessionOptions::default());
    session.register_function(count_char());
    let mut rows = Vec::new();
    session
        .execute_script(&sql, |_, r| {
            if let StatementResult::Rows { rows: r, .. } = r {
                rows = r;
            }
        })
        .unwrap_or_else(|e| panic!("{}", e.render(&sql)));
    rows.sort_by_key(|r| r[0].as_i64());
    // The oracle: the same filter and projections computed directly.
    let mut want = Vec::new();
    for (a, b, p, h, e) in bids {
        let scaled = 908 * p; // 0.908 * price with scale 3
        if scaled > 1_000_000_000 && scaled < 50_000_000_000 {
            let kind = if (8..=18).contains(&h) {
                "dayTime"
            } else if h <= 6 || h >= 20 {
                "nightTime"
            } else {
                "otherTime"
            };
            want.push((a, b, scaled, kind, e.chars().filter(|c| *c == 'c').count() as i64));
        }
    }
    assert_eq!(rows.len(), want.len(), "{rows:?}");
    for (row, (a, b, scaled, kind, count)) in rows.iter().zip(want) {
        assert_eq!(row[0], Value::Int(a));
        assert_eq!(row[1], Value::Int(b));
        assert_eq!(row[2], Value::Decimal(i128::from(scaled)));
        assert_eq!(row[3], Value::String(kind.into()));
        assert_eq!(row[6], Value::Int(count));
    }
}

#[test]
fn a_udf_with_the_wrong_number_of_arguments_is_a_clear_error() {
    let mut session = Session::new(SessionOptions::default());
    session.register_function(count_char());
    let sql = "SELECT count_char('abc') FROM (VALUES (1)) AS t(a);";
    let err = session.execute_script(sql, |_, _| {}).unwrap_err();
    assert!(
        err.to_string().contains("COUNT_CHAR takes 2 argument(s)"),
        "{err}"
    );
}
