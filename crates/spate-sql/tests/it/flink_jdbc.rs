//! Golden tests of the `jdbc` connector against real Apache Flink: every case under
//! `tests/flink_jdbc/<case>/` is a Flink SQL job writing into (and looking up in) PostgreSQL
//! tables that `setup.sql` creates; `expected.txt` holds every table of schema `public` after
//! Flink 2.3 ran the job (`scripts/flink-jdbc-golden.sh`, see `tests/flink_jdbc/README.md`).
//! Spate runs the same job against a private server (`pg_server`) at parallelism 1 and 2 and
//! must leave the same tables behind, row for row.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use spate_sql::{Session, SessionOptions};

use crate::pg_server::PgServer;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/flink_jdbc")
}

fn cases() -> Vec<String> {
    let mut cases: Vec<String> = std::fs::read_dir(root())
        .expect("tests/flink_jdbc")
        .filter_map(Result::ok)
        .filter(|e| e.path().join("job.sql").is_file())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    cases.sort();
    cases
}

/// Every table of schema `public` as the golden script dumps it: by table name, each table's
/// rows ordered by all its columns, `<table>\t<row in COPY's text format>`.
fn dump(pg: &PgServer) -> Vec<String> {
    let tables = pg.psql("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename");
    tables
        .iter()
        .flat_map(|t| {
            pg.psql(&format!("COPY (SELECT * FROM {t} AS r ORDER BY r) TO STDOUT"))
                .into_iter()
                .map(move |row| format!("{t}\t{row}"))
        })
        .collect()
}

/// Runs `case` on Spate at `parallelism` against a fresh server; the tables it left behind.
fn run_case(case: &str, parallelism: usize) -> Vec<String> {
    let dir = root().join(case);
    let setup = std::fs::read_to_string(dir.join("setup.sql")).expect("setup.sql");
    let sql = std::fs::read_to_string(dir.join("job.sql")).expect("job.sql");
    let pg = PgServer::start();
    pg.execute(&setup);
    let script = format!(
        "SET 'parallelism.default' = '{parallelism}';\n{}",
        sql.replace("${DATA}", &dir.join("input").display().to_string())
            .replace("${PG_URL}", &pg.url())
    );
    let mut session = Session::new(SessionOptions::default());
    if let Err(e) = session.execute_script(&script, |_, _| {}) {
        panic!(
            "case {case} (parallelism {parallelism}) failed:\n{}",
            e.render(&script)
        );
    }
    dump(&pg)
}

#[test]
fn jdbc_cases_leave_the_tables_flink_left() {
    let cases = cases();
    assert!(cases.len() >= 3, "{cases:?}");
    let mut failures = Vec::new();
    for case in &cases {
        let expected = std::fs::read_to_string(root().join(case).join("expected.txt")).expect("expected.txt");
        let want: Vec<&str> = expected.lines().collect();
        for parallelism in [1, 2] {
            let got = run_case(case, parallelism);
            if got != want {
                failures.push(format!(
                    "case {case} at parallelism {parallelism}: Spate's tables differ from Flink's\n\
                     --- Flink:\n{}\n+++ Spate:\n{}",
                    want.join("\n"),
                    got.join("\n")
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
