//! The `jdbc` connector's sink against a real PostgreSQL server (`pg_server`): appends,
//! upserts and deletes of an updating query, the buffer's flush triggers while a job runs, and
//! failures that must fail the job naming the table and the row.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use spate_engine::JobHandle;
use spate_sql::{Session, SessionOptions};

use crate::pg_server::PgServer;

/// Runs `script` to its end; the rendered error when it fails.
fn run(script: &str) -> Result<(), String> {
    let mut session = Session::new(SessionOptions::default());
    session
        .execute_script(script, |_, _| {})
        .map(|_| ())
        .map_err(|e| e.render(script))
}

/// `CREATE TABLE name (columns) WITH (jdbc to `pg`'s table `pg_table`, extra options)`.
fn jdbc_table(pg: &PgServer, name: &str, columns: &str, pg_table: &str, extra: &str) -> String {
    jdbc_table_at(&pg.url(), name, columns, pg_table, extra)
}

fn jdbc_table_at(url: &str, name: &str, columns: &str, pg_table: &str, extra: &str) -> String {
    format!(
        "CREATE TABLE {name} ({columns}) WITH ('connector' = 'jdbc', 'url' = '{url}', 'table-name' = '{pg_table}',
           'username' = 'postgres', 'password' = ''{extra});"
    )
}

#[test]
fn jdbc_append_only_rows_of_every_mapped_type() {
    let pg = PgServer::start();
    pg.execute(
        "CREATE SCHEMA s;
         CREATE TABLE s.all_types (i INT, b BIGINT, t TEXT, d NUMERIC(10, 2), ts TIMESTAMP(3),
           ltz TIMESTAMPTZ, dt DATE, tm TIME, ok BOOLEAN, f DOUBLE PRECISION, r REAL, raw BYTEA, arr INT[])",
    );
    let script = format!(
        "SET 'table.local-time-zone' = 'UTC';
         {}
         INSERT INTO snk VALUES
           (1, 10000000000, 'it''s', 12.34, TIMESTAMP '2024-02-29 10:11:12.345',
            TO_TIMESTAMP_LTZ(0, 3), DATE '2024-01-02', TIME '01:02:03', TRUE, 0.1, CAST(0.5 AS FLOAT),
            CAST('ab' AS BYTES), ARRAY[1, 2]),
           (2, CAST(NULL AS BIGINT), CAST(NULL AS STRING), CAST(NULL AS DECIMAL(10, 2)),
            CAST(NULL AS TIMESTAMP(3)), CAST(NULL AS TIMESTAMP_LTZ(3)), CAST(NULL AS DATE),
            CAST(NULL AS TIME), CAST(NULL AS BOOLEAN), CAST(NULL AS DOUBLE), CAST(NULL AS FLOAT),
            CAST(NULL AS BYTES), CAST(NULL AS ARRAY<INT>));",
        jdbc_table(
            &pg,
            "snk",
            "i INT, b BIGINT, t STRING, d DECIMAL(10, 2), ts TIMESTAMP(3), ltz TIMESTAMP_LTZ(3), dt DATE,
             tm TIME, ok BOOLEAN, f DOUBLE, r FLOAT, raw BYTES, arr ARRAY<INT>",
            "s.all_types",
            ""
        )
    );
    run(&script).unwrap_or_else(|e| panic!("{e}"));
    let rows = pg.psql(
        "SET TIME ZONE 'UTC'; SELECT i, b, t, d, ts, ltz, dt, tm, ok, f, r, raw, arr FROM s.all_types ORDER BY i",
    );
    assert_eq!(
        rows,
        [
            "SET",
            "1|10000000000|it's|12.34|2024-02-29 10:11:12.345|1970-01-01 00:00:00+00|2024-01-02|01:02:03|t|0.1|0.5|\\x6162|{1,2}",
            "2||||||||||||",
        ]
    );
}

/// `SELECT k, COUNT(*), SUM(v) FROM src GROUP BY k HAVING SUM(v) < 20`: counts go up, key 2's
/// sum passes 20 (its row is deleted), key 3 is deleted and comes back.
const CHANGES: &str = "1,1\n2,5\n1,2\n3,4\n2,7\n3,30\n1,3\n2,9\n4,1\n3,-25\n";
const EXPECTED: [&str; 3] = ["1|3|6", "3|3|9", "4|1|1"];

fn grouped_into_pk_table(options: &str, parallelism: usize) -> Vec<String> {
    let pg = PgServer::start();
    pg.execute("CREATE TABLE sums (k INT PRIMARY KEY, n BIGINT NOT NULL, s INT NOT NULL)");
    // A row the query never writes stays; one it deletes goes.
    pg.execute("INSERT INTO sums VALUES (2, 0, 0), (9, 9, 9)");
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("src.csv");
    std::fs::write(&input, CHANGES).unwrap();
    let script = format!(
        "SET 'parallelism.default' = '{parallelism}';
         CREATE TABLE src (k INT, v INT) WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv');
         {}
         INSERT INTO snk SELECT k, COUNT(*), SUM(v) FROM src GROUP BY k HAVING SUM(v) < 20;",
        input.display(),
        jdbc_table(
            &pg,
            "snk",
            "k INT, n BIGINT, s INT, PRIMARY KEY (k) NOT ENFORCED",
            "sums",
            options
        )
    );
    run(&script).unwrap_or_else(|e| panic!("{e}"));
    pg.psql("SELECT k, n, s FROM sums WHERE k < 9 ORDER BY k")
}

#[test]
fn jdbc_updating_query_keeps_the_pk_table_equal_to_its_result() {
    for options in [
        "",
        ", 'sink.buffer-flush.max-rows' = '1'",
        ", 'sink.buffer-flush.max-rows' = '3'",
    ] {
        assert_eq!(grouped_into_pk_table(options, 1), EXPECTED, "options {options}");
    }
}

#[test]
fn jdbc_sink_parallelism_keys_rows_by_the_primary_key() {
    assert_eq!(
        grouped_into_pk_table(
            ", 'sink.parallelism' = '2', 'sink.buffer-flush.max-rows' = '2'",
            2
        ),
        EXPECTED
    );
}

#[test]
fn jdbc_all_key_tables_upsert_with_do_nothing() {
    let pg = PgServer::start();
    pg.execute("CREATE TABLE seen (k INT, t TEXT, PRIMARY KEY (k, t)); INSERT INTO seen VALUES (1, 'a')");
    // One row per flush: the second (1, 'a') meets the first in PostgreSQL, not in the buffer.
    let script = format!(
        "{}
         INSERT INTO snk VALUES (1, 'a'), (1, 'a'), (2, 'b');",
        jdbc_table(
            &pg,
            "snk",
            "k INT, t STRING, PRIMARY KEY (k, t) NOT ENFORCED",
            "seen",
            ", 'sink.buffer-flush.max-rows' = '1'"
        )
    );
    run(&script).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(pg.psql("SELECT k, t FROM seen ORDER BY k"), ["1|a", "2|b"]);
}

#[test]
fn jdbc_updating_query_without_a_primary_key_gets_flinks_error() {
    let pg = PgServer::start();
    let script = format!(
        "{}
         INSERT INTO snk SELECT k, COUNT(*) FROM (VALUES (1), (1)) AS v(k) GROUP BY k;",
        jdbc_table(&pg, "snk", "k INT, n BIGINT", "counts", "")
    );
    let e = run(&script).expect_err("no primary key");
    assert!(
        e.contains("please declare primary key for sink table when query contains update/delete record."),
        "{e}"
    );
}

/// Starts `script` (an unbounded job) on a thread; its handle once it runs.
fn start(
    script: String,
    checkpoint_dir: Option<std::path::PathBuf>,
) -> (JobHandle, std::thread::JoinHandle<Result<(), String>>) {
    let handle: Arc<Mutex<Option<JobHandle>>> = Arc::default();
    let seen = Arc::clone(&handle);
    let job = std::thread::spawn(move || {
        let mut session = Session::new(SessionOptions {
            observer: Some(Arc::new(move |h: &JobHandle| {
                *seen.lock().unwrap() = Some(h.clone());
            })),
            checkpoint_dir,
            ..SessionOptions::default()
        });
        session
            .execute_script(&script, |_, _| {})
            .map(|_| ())
            .map_err(|e| e.render(&script))
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(h) = handle.lock().unwrap().clone() {
            return (h, job);
        }
        assert!(Instant::now() < deadline, "the job did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The row counts of `events` seen while an unbounded datagen job (50 rows/s) writes into it
/// with `options`, for about two seconds; then the job is cancelled.
fn counts_while_running(options: &str) -> Vec<i64> {
    counts_while_running_with(options, "", None)
}

fn counts_while_running_with(
    options: &str,
    settings: &str,
    checkpoints: Option<std::path::PathBuf>,
) -> Vec<i64> {
    let pg = PgServer::start();
    pg.execute("CREATE TABLE events (id BIGINT)");
    let script = format!(
        "SET 'parallelism.default' = '1';
         {settings}
         CREATE TABLE gen (id BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '50',
           'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '100000000');
         {}
         INSERT INTO snk SELECT id FROM gen;",
        jdbc_table(&pg, "snk", "id BIGINT", "events", options)
    );
    let (handle, job) = start(script, checkpoints);
    let mut counts = Vec::new();
    let until = Instant::now() + Duration::from_millis(2500);
    while Instant::now() < until {
        std::thread::sleep(Duration::from_millis(100));
        counts.push(pg.psql("SELECT count(*) FROM events")[0].parse().unwrap());
    }
    handle.cancel();
    let _ = job.join();
    counts
}

#[test]
fn jdbc_flushes_every_max_rows_while_the_job_runs() {
    let counts =
        counts_while_running(", 'sink.buffer-flush.max-rows' = '10', 'sink.buffer-flush.interval' = '0'");
    assert!(
        counts.iter().any(|&c| c > 0),
        "nothing arrived while running: {counts:?}"
    );
    assert!(
        counts.iter().all(|&c| c % 10 == 0),
        "not whole buffers of 10: {counts:?}"
    );
}

#[test]
fn jdbc_flushes_on_the_interval_while_the_job_runs() {
    let counts =
        counts_while_running(", 'sink.buffer-flush.max-rows' = '0', 'sink.buffer-flush.interval' = '300 ms'");
    let distinct: std::collections::BTreeSet<i64> = counts.iter().copied().collect();
    assert!(
        distinct.len() >= 4,
        "expected a flush about every 300 ms: {counts:?}"
    );
    assert!(counts.iter().any(|&c| c % 10 != 0), "{counts:?}");
}

/// Neither trigger, but checkpoints every 300 ms: each checkpoint writes what came before it.
#[test]
fn jdbc_flushes_before_each_checkpoint_completes() {
    let dir = tempfile::tempdir().unwrap();
    let counts = counts_while_running_with(
        ", 'sink.buffer-flush.max-rows' = '0', 'sink.buffer-flush.interval' = '0'",
        "SET 'execution.checkpointing.interval' = '300ms';",
        Some(dir.path().to_path_buf()),
    );
    let distinct: std::collections::BTreeSet<i64> = counts.iter().copied().collect();
    assert!(
        distinct.len() >= 3,
        "expected a flush at every checkpoint: {counts:?}"
    );
}

#[test]
fn jdbc_without_either_trigger_writes_nothing_before_the_end() {
    let counts =
        counts_while_running(", 'sink.buffer-flush.max-rows' = '0', 'sink.buffer-flush.interval' = '0'");
    assert!(counts.iter().all(|&c| c == 0), "{counts:?}");
}

/// Runs an insert of `rows` (`(k, v)`) into the jdbc table `snk` over `pg_table`; the error.
fn failing_insert(url: &str, pg_table: &str, rows: &str) -> String {
    let table = jdbc_table_at(url, "snk", "k INT, v STRING", pg_table, "");
    let script = format!("{table}\nINSERT INTO snk VALUES {rows};");
    run(&script).expect_err("the insert must fail")
}

#[test]
fn jdbc_constraint_violation_fails_the_job_naming_the_table_and_row() {
    let pg = PgServer::start();
    pg.execute("CREATE TABLE kv (k INT PRIMARY KEY, v TEXT)");
    let e = failing_insert(&pg.url(), "kv", "(1, 'a'), (2, 'b'), (1, 'again')");
    assert!(e.contains("table snk (PostgreSQL table kv)"), "{e}");
    assert!(e.contains("(1, 'again')"), "the offending row: {e}");
    assert!(e.contains("23505"), "{e}");
    assert_eq!(
        pg.psql("SELECT count(*) FROM kv"),
        ["0"],
        "nothing of the failed flush"
    );
}

#[test]
fn jdbc_type_mismatch_fails_the_job_naming_the_row() {
    let pg = PgServer::start();
    pg.execute("CREATE TABLE kn (k INT, v INT)");
    let e = failing_insert(&pg.url(), "kn", "(1, '7'), (2, 'seven')");
    assert!(e.contains("PostgreSQL table kn"), "{e}");
    assert!(e.contains("(2, 'seven')"), "{e}");
    assert!(e.contains("invalid input syntax for type integer"), "{e}");
}

#[test]
fn jdbc_missing_table_fails_the_job_naming_it() {
    let pg = PgServer::start();
    let e = failing_insert(&pg.url(), "public.nowhere", "(1, 'a')");
    assert!(e.contains("PostgreSQL table public.nowhere"), "{e}");
    assert!(e.contains("does not exist"), "{e}");
}

#[test]
fn jdbc_unreachable_server_fails_the_job_naming_the_table() {
    let pg = PgServer::start();
    let port = pg.port();
    drop(pg);
    let url = format!("jdbc:postgresql://127.0.0.1:{port}/postgres");
    let started = Instant::now();
    let e = failing_insert(&url, "kv", "(1, 'a')");
    assert!(e.contains("table snk (PostgreSQL table kv)"), "{e}");
    assert!(e.contains("cannot connect"), "{e}");
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[test]
fn jdbc_other_databases_are_refused_before_the_job_starts() {
    let script = "CREATE TABLE snk (k INT) WITH ('connector' = 'jdbc', 'url' = 'jdbc:mysql://h/d', 'table-name' = 't');
                  INSERT INTO snk VALUES (1);";
    let e = run(script).expect_err("mysql");
    assert!(e.contains("table snk") && e.contains("PostgreSQL only"), "{e}");
}

/// Rows per second into a keyed table (every row an upsert) by `sink.buffer-flush.max-rows`:
/// one row per flush (a transaction per row, Flink's worst case) against batches. A
/// measurement, not a check: `cargo nextest run -p spate-sql --run-ignored only -E
/// 'test(jdbc_upsert_rows_per_second)' --no-capture`.
#[test]
#[ignore]
fn jdbc_upsert_rows_per_second() {
    let pg = PgServer::start();
    for (max_rows, rows) in [(1, 20_000), (100, 200_000), (1000, 200_000), (5000, 200_000)] {
        pg.execute("DROP TABLE IF EXISTS bench; CREATE TABLE bench (id BIGINT PRIMARY KEY, v TEXT, n INT)");
        let script = format!(
            "SET 'parallelism.default' = '1';
             CREATE TABLE gen (id BIGINT, v STRING, n INT) WITH ('connector' = 'datagen', 'number-of-rows' = '{rows}',
               'rows-per-second' = '100000000',
               'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '{rows}',
               'fields.v.length' = '20');
             {}
             INSERT INTO snk SELECT id, v, n FROM gen;",
            jdbc_table(
                &pg,
                "snk",
                "id BIGINT, v STRING, n INT, PRIMARY KEY (id) NOT ENFORCED",
                "bench",
                &format!(", 'sink.buffer-flush.max-rows' = '{max_rows}'")
            )
        );
        let started = Instant::now();
        run(&script).unwrap_or_else(|e| panic!("{e}"));
        let secs = started.elapsed().as_secs_f64();
        assert_eq!(pg.psql("SELECT count(*) FROM bench"), [rows.to_string()]);
        println!(
            "max-rows {max_rows:>5}: {rows} rows in {secs:.2} s = {:.0} rows/s",
            f64::from(rows) / secs
        );
    }
}
