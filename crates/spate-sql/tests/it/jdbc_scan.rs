//! The `jdbc` connector's bounded scan against a real PostgreSQL server (`pg_server`): every
//! mapped type read back, a partitioned scan over two subtasks reading each row once, a cursor
//! fetching a few rows at a time, and failures that name the table.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use spate_sql::value::Value;
use spate_sql::{Session, SessionOptions, StatementResult};

use crate::pg_server::PgServer;

/// The rows of the last query of `script` (`{row:?}` each); the rendered error when it fails.
pub(crate) fn query_rows(script: &str) -> Result<Vec<Vec<Value>>, String> {
    let mut session = Session::new(SessionOptions::default());
    let mut got = Vec::new();
    session
        .execute_script(script, |_, r| {
            if let StatementResult::Rows { rows, .. } = r {
                got = rows.clone();
            }
        })
        .map_err(|e| e.render(script))?;
    Ok(got)
}

/// `CREATE TABLE name (columns) WITH (jdbc over `pg`'s `pg_table`, extra options)`.
pub(crate) fn jdbc_ddl(url: &str, name: &str, columns: &str, pg_table: &str, extra: &str) -> String {
    format!(
        "CREATE TABLE {name} ({columns}) WITH ('connector' = 'jdbc', 'url' = '{url}', 'table-name' = '{pg_table}',
           'username' = 'postgres', 'password' = ''{extra});"
    )
}

#[test]
fn jdbc_scan_reads_every_mapped_type_back() {
    let pg = PgServer::start();
    pg.execute(
        "CREATE TABLE all_types (i INT, s SMALLINT, b BIGINT, t TEXT, vc VARCHAR(10), c CHAR(3),
           d NUMERIC(10, 2), ts TIMESTAMP(3), ltz TIMESTAMPTZ, dt DATE, tm TIME, ok BOOLEAN,
           f DOUBLE PRECISION, r REAL, raw BYTEA, arr INT[], words TEXT[], big NUMERIC);
         INSERT INTO all_types VALUES
           (1, -2, 10000000000, 'it''s', 'v', 'ab', -12.34, '2024-02-29 10:11:12.345',
            '1970-01-01 00:00:01+00', '2024-01-02', '01:02:03.5', TRUE, 0.1, 0.5, '\\x6162',
            '{1,NULL,3}', '{\"a b\",c}', 123456789.125),
           (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
            NULL, NULL, NULL)",
    );
    let script = format!(
        "{}
         SELECT * FROM src;",
        jdbc_ddl(
            &pg.url(),
            "src",
            "i INT, s SMALLINT, b BIGINT, t STRING, vc VARCHAR(10), c CHAR(3), d DECIMAL(10, 2),
             ts TIMESTAMP(3), ltz TIMESTAMP_LTZ(3), dt DATE, tm TIME, ok BOOLEAN, f DOUBLE, r FLOAT,
             raw BYTES, arr ARRAY<INT>, words ARRAY<STRING>, big DECIMAL(12, 2)",
            "all_types",
            ""
        )
    );
    let mut rows = query_rows(&script).unwrap_or_else(|e| panic!("{e}"));
    rows.sort_by_key(|r| format!("{:?}", r[0]));
    let ts = 1_709_201_472_345_000; // 2024-02-29 10:11:12.345 in µs
    assert_eq!(
        rows[0],
        vec![
            Value::Int(1),
            Value::Int(-2),
            Value::Int(10_000_000_000),
            Value::String("it's".into()),
            Value::String("v".into()),
            Value::String("ab ".into()),
            Value::Decimal(-1234),
            Value::Timestamp(ts),
            Value::Timestamp(1_000_000),
            Value::Date(19_724),
            Value::Time(3_723_500_000_000),
            Value::Boolean(true),
            Value::Float(0.1),
            Value::Float(0.5),
            Value::Bytes(b"ab".to_vec()),
            Value::Array(vec![Value::Int(1), Value::Null, Value::Int(3)]),
            Value::Array(vec![Value::String("a b".into()), Value::String("c".into())]),
            // 123456789.125 rounded half up to the declared scale.
            Value::Decimal(12_345_678_913),
        ]
    );
    assert_eq!(rows[1][0], Value::Int(2));
    assert!(rows[1][1..].iter().all(|v| *v == Value::Null), "{:?}", rows[1]);
}

/// The ids a `SELECT id FROM src` reads from a table of ids -5..=1005 with `options`.
fn ids_read(pg: &PgServer, parallelism: usize, options: &str) -> Vec<i64> {
    let script = format!(
        "SET 'parallelism.default' = '{parallelism}';
         {}
         SELECT id FROM src;",
        jdbc_ddl(&pg.url(), "src", "id BIGINT, v STRING", "numbers", options)
    );
    let rows = query_rows(&script).unwrap_or_else(|e| panic!("{e}"));
    let mut ids: Vec<i64> = rows
        .iter()
        .map(|r| match r[0] {
            Value::Int(i) => i,
            ref other => panic!("{other:?}"),
        })
        .collect();
    ids.sort_unstable();
    ids
}

#[test]
fn jdbc_partitioned_scan_at_parallelism_two_reads_each_row_once() {
    let pg = PgServer::start();
    pg.execute(
        "CREATE TABLE numbers (id BIGINT, v TEXT);
         INSERT INTO numbers SELECT i, 'v' || i FROM generate_series(-5, 1005) AS i",
    );
    let all: Vec<i64> = (-5..=1005).collect();
    // Unpartitioned, a few rows per fetch: one subtask reads everything.
    assert_eq!(ids_read(&pg, 2, ", 'scan.fetch-size' = '7'"), all);
    // Partitioned over the whole range, in one transaction per subtask or per partition.
    for auto_commit in ["true", "false"] {
        let options = format!(
            ", 'scan.partition.column' = 'id', 'scan.partition.num' = '5',
               'scan.partition.lower-bound' = '-5', 'scan.partition.upper-bound' = '1005',
               'scan.fetch-size' = '13', 'scan.auto-commit' = '{auto_commit}'"
        );
        assert_eq!(ids_read(&pg, 2, &options), all, "auto-commit {auto_commit}");
    }
    // Rows outside the bounds are read by no partition, as in Flink.
    let options = ", 'scan.partition.column' = 'id', 'scan.partition.num' = '3',
                     'scan.partition.lower-bound' = '1', 'scan.partition.upper-bound' = '1000'";
    assert_eq!(ids_read(&pg, 2, options), (1..=1000).collect::<Vec<_>>());
}

#[test]
fn jdbc_scan_reads_only_the_used_columns_and_computes_the_rest() {
    let pg = PgServer::start();
    pg.execute(
        "CREATE TABLE kv (k INT, v TEXT, extra TEXT); INSERT INTO kv VALUES (1, 'a', 'x'), (2, 'b', 'y')",
    );
    let script = format!(
        "{}
         SELECT k2, v FROM src WHERE k > 1;",
        jdbc_ddl(
            &pg.url(),
            "src",
            "k INT, v STRING, extra STRING, k2 AS k * 2",
            "kv",
            ""
        )
    );
    let rows = query_rows(&script).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(rows, [vec![Value::Int(4), Value::String("b".into())]]);
    // A query that reads no column still counts every row.
    let script = format!(
        "{}
         SELECT COUNT(*) FROM src;",
        jdbc_ddl(&pg.url(), "src", "k INT, v STRING, extra STRING", "kv", "")
    );
    let rows = query_rows(&script).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(rows.last(), Some(&vec![Value::Int(2)]), "{rows:?}");
}

fn scan_error(url: &str, columns: &str, pg_table: &str, extra: &str) -> String {
    let script = format!(
        "{}\nSELECT * FROM src;",
        jdbc_ddl(url, "src", columns, pg_table, extra)
    );
    query_rows(&script).expect_err("the scan must fail")
}

#[test]
fn jdbc_scan_failures_name_the_table() {
    let pg = PgServer::start();
    pg.execute("CREATE TABLE words (k INT, w TEXT)");
    let e = scan_error(&pg.url(), "k INT, w STRING", "public.nowhere", "");
    assert!(e.contains("table src (PostgreSQL table public.nowhere)"), "{e}");
    assert!(e.contains("does not exist"), "{e}");
    let e = scan_error(&pg.url(), "k INT, w INT", "words", "");
    assert!(e.contains("PostgreSQL table words"), "{e}");
    assert!(
        e.contains("column w is text in PostgreSQL, which cannot be read as INT"),
        "{e}"
    );
    let e = scan_error(
        &pg.url(),
        "k INT, w STRING",
        "words",
        ", 'scan.partition.column' = 'k', 'scan.partition.num' = '2', 'scan.partition.lower-bound' = '9', 'scan.partition.upper-bound' = '1'",
    );
    assert!(
        e.contains(
            "'scan.partition.lower-bound'='9' must not be larger than 'scan.partition.upper-bound'='1'."
        ),
        "{e}"
    );
    let port = pg.port();
    drop(pg);
    let started = Instant::now();
    let url = format!("jdbc:postgresql://127.0.0.1:{port}/postgres");
    let e = scan_error(
        &url,
        "k INT, w STRING",
        "words",
        ", 'connection.max-retry-timeout' = '2s'",
    );
    assert!(e.contains("table src (PostgreSQL table words)"), "{e}");
    assert!(e.contains("cannot connect"), "{e}");
    assert!(started.elapsed() < Duration::from_secs(30));
}
