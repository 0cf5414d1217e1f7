//! Lookup joins against a `jdbc` table on a real PostgreSQL server (`pg_server`): inner and
//! left joins with the rest of `ON` applied to the rows found, several key columns, an updating
//! probe side whose kinds pass through, the partial cache seen at work (an update in
//! PostgreSQL while the job runs is seen without a cache and not seen through a long-lived
//! one), and errors.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use spate_sql::{Session, SessionOptions, StatementResult};

use crate::jdbc_scan::jdbc_ddl;
use crate::pg_server::PgServer;

/// The rows of the last query of `script` as `{kind:?} {row:?}` (kinds only for an updating
/// query), sorted; the rendered error when it fails.
fn rows(script: &str) -> Result<Vec<String>, String> {
    let mut session = Session::new(SessionOptions::default());
    let mut got = Vec::new();
    session
        .execute_script(script, |_, r| {
            if let StatementResult::Rows { rows, kinds, .. } = r {
                got = if kinds.is_empty() {
                    rows.iter().map(|r| format!("{r:?}")).collect()
                } else {
                    kinds
                        .iter()
                        .zip(&rows)
                        .map(|(k, r)| format!("{k:?} {r:?}"))
                        .collect()
                };
            }
        })
        .map_err(|e| e.render(script))?;
    Ok(got)
}

/// A CSV probe table `orders (id, k, proc_time)` of `lines`, in `dir`.
fn orders(dir: &tempfile::TempDir, lines: &str) -> String {
    let path = dir.path().join("orders.csv");
    std::fs::write(&path, lines).unwrap();
    format!(
        "CREATE TABLE orders (id INT, k INT, proc_time AS PROCTIME())
           WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv', 'csv.null-literal' = '');",
        path.display()
    )
}

fn dim_server() -> PgServer {
    let pg = PgServer::start();
    pg.execute(
        "CREATE TABLE dim (k INT, name TEXT, score INT);
         INSERT INTO dim VALUES (1, 'one', 10), (2, 'two', 20), (3, 'three', 30), (3, 'drei', 3)",
    );
    pg
}

fn join(pg: &PgServer, kind: &str, on: &str, options: &str) -> Vec<String> {
    join_at(pg, 1, kind, on, options)
}

fn join_at(pg: &PgServer, parallelism: usize, kind: &str, on: &str, options: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let script = format!(
        "SET 'parallelism.default' = '{parallelism}';
         {}
         {}
         SELECT o.id, d.name FROM orders AS o {kind} JOIN dim FOR SYSTEM_TIME AS OF o.proc_time AS d ON {on};",
        orders(&dir, "1,1\n2,2\n3,5\n4,1\n5,\n6,3\n"),
        jdbc_ddl(&pg.url(), "dim", "k INT, name STRING, score INT", "dim", options)
    );
    let mut got = rows(&script).unwrap_or_else(|e| panic!("{e}"));
    got.sort();
    got
}

fn row(id: i64, name: Option<&str>) -> String {
    match name {
        Some(n) => format!("[Int({id}), String({n:?})]"),
        None => format!("[Int({id}), Null]"),
    }
}

#[test]
fn jdbc_lookup_inner_and_left_joins() {
    let pg = dim_server();
    for options in [
        "",
        ", 'lookup.cache' = 'PARTIAL', 'lookup.partial-cache.max-rows' = '2'",
    ] {
        assert_eq!(
            join(&pg, "", "o.k = d.k", options),
            [
                row(1, Some("one")),
                row(2, Some("two")),
                row(4, Some("one")),
                row(6, Some("drei")),
                row(6, Some("three"))
            ],
            "{options}"
        );
        assert_eq!(
            join(&pg, "LEFT", "o.k = d.k", options),
            [
                row(1, Some("one")),
                row(2, Some("two")),
                row(3, None),
                row(4, Some("one")),
                row(5, None),
                row(6, Some("drei")),
                row(6, Some("three"))
            ],
            "{options}"
        );
    }
    // The rest of ON filters the rows found; a left join pads the probe rows left without one.
    assert_eq!(
        join(&pg, "", "o.k = d.k AND d.score > 15", ""),
        [row(2, Some("two")), row(6, Some("three"))]
    );
    assert_eq!(
        join(&pg, "LEFT", "d.k = o.k AND d.score > 15", ""),
        [
            row(1, None),
            row(2, Some("two")),
            row(3, None),
            row(4, None),
            row(5, None),
            row(6, Some("three"))
        ]
    );
    // Two subtasks, each with its own connection and cache.
    assert_eq!(
        join_at(
            &pg,
            2,
            "LEFT",
            "o.k = d.k AND d.score > 15",
            ", 'lookup.cache' = 'PARTIAL', 'lookup.partial-cache.expire-after-access' = '1 min'"
        ),
        [
            row(1, None),
            row(2, Some("two")),
            row(3, None),
            row(4, None),
            row(5, None),
            row(6, Some("three"))
        ]
    );
    // Two key columns (a batch's keys in one query), one of them an expression of the probe row.
    assert_eq!(
        join(&pg, "", "o.k = d.k AND o.id * 10 = d.score", ""),
        [row(1, Some("one")), row(2, Some("two"))]
    );
}

#[test]
fn jdbc_lookup_join_passes_an_updating_probes_kinds_through() {
    let pg = dim_server();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("changes.json");
    std::fs::write(
        &path,
        r#"{"before":null,"after":{"id":1,"k":1},"op":"c"}
{"before":{"id":1,"k":1},"after":{"id":1,"k":2},"op":"u"}
{"before":{"id":1,"k":2},"after":null,"op":"d"}
"#,
    )
    .unwrap();
    let script = format!(
        "CREATE TABLE changes (id INT, k INT, proc_time AS PROCTIME())
           WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'debezium-json');
         {}
         SELECT c.id, d.name FROM changes AS c JOIN dim FOR SYSTEM_TIME AS OF c.proc_time AS d ON c.k = d.k;",
        path.display(),
        jdbc_ddl(&pg.url(), "dim", "k INT, name STRING, score INT", "dim", "")
    );
    assert_eq!(
        rows(&script).unwrap_or_else(|e| panic!("{e}")),
        [
            "Insert [Int(1), String(\"one\")]",
            "UpdateBefore [Int(1), String(\"one\")]",
            "UpdateAfter [Int(1), String(\"two\")]",
            "Delete [Int(1), String(\"two\")]",
        ]
    );
}

/// The names a slow stream of probes (4 a second, all of key 1) finds while, once the job has
/// made its first lookup, the name of key 1 changes in PostgreSQL.
fn names_across_an_update(options: &str) -> Vec<String> {
    let pg = dim_server();
    let script = format!(
        "CREATE TABLE probes (id BIGINT, proc_time AS PROCTIME()) WITH ('connector' = 'datagen',
           'rows-per-second' = '4', 'number-of-rows' = '12',
           'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '12');
         {}
         SELECT p.id, d.name FROM probes AS p JOIN dim FOR SYSTEM_TIME AS OF p.proc_time AS d
           ON CAST(p.id - p.id + 1 AS INT) = d.k;",
        jdbc_ddl(&pg.url(), "dim", "k INT, name STRING, score INT", "dim", options)
    );
    let job = std::thread::spawn(move || rows(&script));
    // The lookup connects on its first batch: its session shows in pg_stat_activity.
    let deadline = Instant::now() + Duration::from_secs(30);
    while pg.psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'Spate'") == ["0"] {
        assert!(Instant::now() < deadline, "no lookup connected");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    pg.execute("UPDATE dim SET name = 'uno' WHERE k = 1");
    let got = job.join().unwrap().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(got.len(), 12, "{got:?}");
    got.into_iter()
        .map(|r| {
            r.rsplit("String(")
                .next()
                .unwrap_or_default()
                .trim_end_matches(")]")
                .to_string()
        })
        .collect()
}

#[test]
fn jdbc_lookup_cache_hides_updates_until_it_expires() {
    // No cache: the rows after the update see it.
    let names = names_across_an_update("");
    assert_eq!(names.first().map(String::as_str), Some("\"one\""), "{names:?}");
    assert_eq!(names.last().map(String::as_str), Some("\"uno\""), "{names:?}");
    // A partial cache that outlives the job: every row sees the first lookup's name.
    let names = names_across_an_update(
        ", 'lookup.cache' = 'PARTIAL', 'lookup.partial-cache.expire-after-write' = '1 h'",
    );
    assert!(names.iter().all(|n| n == "\"one\""), "{names:?}");
    // The legacy options, with a TTL that runs out while the job runs.
    let names = names_across_an_update(", 'lookup.cache.max-rows' = '10', 'lookup.cache.ttl' = '500 ms'");
    assert_eq!(names.first().map(String::as_str), Some("\"one\""), "{names:?}");
    assert_eq!(names.last().map(String::as_str), Some("\"uno\""), "{names:?}");
}

fn lookup_error(url: &str, pg_table: &str, on: &str, options: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let script = format!(
        "{}
         {}
         SELECT o.id, d.name FROM orders AS o JOIN dim FOR SYSTEM_TIME AS OF o.proc_time AS d ON {on};",
        orders(&dir, "1,1\n"),
        jdbc_ddl(url, "dim", "k INT, name STRING, score INT", pg_table, options)
    );
    rows(&script).expect_err("the join must fail")
}

#[test]
fn jdbc_lookup_errors() {
    let pg = dim_server();
    let e = lookup_error(&pg.url(), "dim", "o.k > d.k", "");
    assert!(
        e.contains(
            "Temporal table join requires an equality condition on fields of table [default_catalog.default_database.dim]."
        ),
        "{e}"
    );
    let e = lookup_error(&pg.url(), "dim", "o.k = d.k", ", 'lookup.cache' = 'PARTIAL'");
    assert!(
        e.contains("Expiration duration and maximum size are not set for the cache."),
        "{e}"
    );
    let e = lookup_error(&pg.url(), "dim", "o.k = d.k", ", 'lookup.max-retries' = '-1'");
    assert!(
        e.contains("The value of 'lookup.max-retries' option shouldn't be negative, but is -1."),
        "{e}"
    );
    let e = lookup_error(&pg.url(), "public.nowhere", "o.k = d.k", "");
    assert!(e.contains("table dim (PostgreSQL table public.nowhere)"), "{e}");
    assert!(e.contains("does not exist"), "{e}");
    let port = pg.port();
    drop(pg);
    let started = Instant::now();
    let url = format!("jdbc:postgresql://127.0.0.1:{port}/postgres");
    let e = lookup_error(&url, "dim", "o.k = d.k", ", 'lookup.max-retries' = '1'");
    assert!(
        e.contains("table dim (PostgreSQL table dim): lookup failed after 1 retries"),
        "{e}"
    );
    assert!(e.contains("cannot connect"), "{e}");
    assert!(started.elapsed() < Duration::from_secs(30));
}

/// CPU seconds this process has used so far (user + system, from `/proc/self/stat`).
fn process_cpu() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or_default();
    let fields: Vec<&str> = after.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let ticks: f64 = fields
        .get(11..13)
        .map_or(0.0, |f| f.iter().filter_map(|v| v.parse::<f64>().ok()).sum());
    ticks / 100.0
}

/// CPU seconds the whole machine has been busy (user, nice, system, irq, softirq).
fn machine_cpu() -> f64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let line = stat.lines().next().unwrap_or_default();
    let v: Vec<f64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    [0, 1, 2, 5, 6].iter().filter_map(|&i| v.get(i)).sum::<f64>() / 100.0
}

/// Lookup join rows per second, datagen probes (random keys of 10 000) into a blackhole, one
/// subtask: without a cache, one key column (each batch's keys in one `= ANY` query) and two
/// (one `unnest` query per batch), and through a partial cache. A
/// measurement, not a check: `bash scripts/bench-lookup.sh`.
#[test]
#[ignore]
fn jdbc_lookup_rows_per_second() {
    let pg = PgServer::start();
    pg.execute(
        "CREATE TABLE dim (k INT PRIMARY KEY, k2 INT NOT NULL, name TEXT, score INT);
         INSERT INTO dim SELECT i, i, 'name-' || i, i % 100 FROM generate_series(1, 10000) AS i",
    );
    let variants = [
        ("no cache, one key (batched)", 1_000_000, "o.k = d.k", ""),
        (
            "no cache, two keys (batched)",
            1_000_000,
            "o.k = d.k AND o.k = d.k2",
            "",
        ),
        (
            "partial cache, one key",
            1_000_000,
            "o.k = d.k",
            ", 'lookup.cache' = 'PARTIAL', 'lookup.partial-cache.max-rows' = '20000'",
        ),
    ];
    for (what, rows, on, options) in variants {
        let script = format!(
            "SET 'parallelism.default' = '1';
             CREATE TABLE orders (id BIGINT, k INT, proc_time AS PROCTIME()) WITH ('connector' = 'datagen',
               'number-of-rows' = '{rows}', 'rows-per-second' = '100000000',
               'fields.k.min' = '1', 'fields.k.max' = '10000');
             {}
             CREATE TABLE out_t (id BIGINT, name STRING, score INT) WITH ('connector' = 'blackhole');
             INSERT INTO out_t SELECT o.id, d.name, d.score FROM orders AS o
               JOIN dim FOR SYSTEM_TIME AS OF o.proc_time AS d ON {on};",
            jdbc_ddl(
                &pg.url(),
                "dim",
                "k INT, k2 INT, name STRING, score INT",
                "dim",
                options
            )
        );
        let (cpu0, machine0, started) = (process_cpu(), machine_cpu(), Instant::now());
        let mut session = Session::new(SessionOptions::default());
        session
            .execute_script(&script, |_, _| {})
            .unwrap_or_else(|e| panic!("{}", e.render(&script)));
        let secs = started.elapsed().as_secs_f64();
        println!(
            "{what:<30} {rows:>8} rows in {secs:6.2} s = {:>9.0} rows/s; Spate cpu {:.2} s, machine cpu {:.2} s",
            f64::from(rows) / secs,
            process_cpu() - cpu0,
            machine_cpu() - machine0
        );
    }
}

/// The rows of a lookup join of 500 probe rows over about 3.3 s, with PostgreSQL killed and
/// started again 1.2 s in; the dimension table gets `options`.
fn join_across_a_restart(pg: &PgServer, n: u32, options: &str) -> Result<Vec<String>, String> {
    let script = format!(
        "CREATE TABLE probe (id BIGINT, proc_time AS PROCTIME()) WITH ('connector' = 'datagen',
           'number-of-rows' = '{n}', 'rows-per-second' = '150',
           'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '{n}');
         {}
         SELECT o.id, d.name FROM probe AS o
           JOIN dim FOR SYSTEM_TIME AS OF o.proc_time AS d ON d.k = CAST(o.id % 3 + 1 AS INT);",
        jdbc_ddl(&pg.url(), "dim", "k INT, name STRING, score INT", "dim", options)
    );
    std::thread::scope(|s| {
        s.spawn(|| {
            std::thread::sleep(Duration::from_millis(1200));
            pg.restart();
        });
        rows(&script)
    })
}

/// PostgreSQL killed and started again while lookups run: the failed lookups are retried on a
/// new connection (Flink's `lookup.max-retries`, one second before the first retry), and every
/// probe row is joined once. Without retries the same restart fails the job, naming the table.
#[test]
fn jdbc_lookup_survives_a_postgresql_restart_mid_job() {
    let pg = dim_server();
    let n = 500;
    let mut got = join_across_a_restart(&pg, n, "").unwrap_or_else(|e| panic!("{e}"));
    got.sort();
    let mut expected: Vec<String> = (1..=i64::from(n))
        .flat_map(|id| {
            match id % 3 + 1 {
                1 => vec!["one"],
                2 => vec!["two"],
                _ => vec!["three", "drei"],
            }
            .into_iter()
            .map(move |name| row(id, Some(name)))
        })
        .collect();
    expected.sort();
    assert_eq!(got, expected);
    let err = join_across_a_restart(&pg, n, ", 'lookup.max-retries' = '0'")
        .expect_err("without retries the restart fails a lookup");
    assert!(err.contains("dim"), "{err}");
}
