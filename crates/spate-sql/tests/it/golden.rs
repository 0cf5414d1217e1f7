//! Golden tests: every `tests/golden/*.sql` is split into statements, each parsed and applied to
//! one catalog per file; the result (canonical SQL, the IR, the catalog's verdict, or the
//! rendered error) must equal `*.expected`. Every parsed statement must also round-trip
//! (IR → SQL → IR).
//!
//! Regenerate after an intended change with `UPDATE_GOLDEN=1 cargo nextest run -p spate-sql
//! --test golden`, then review the diff.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use spate_sql::{Catalog, parse_statement, split_statements};

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// The statement text placed at its original line and column, so positions in the IR and in
/// errors are the file's.
fn in_place(text: &str, line: u64, column: u64) -> String {
    let line = usize::try_from(line).unwrap_or(1);
    let column = usize::try_from(column).unwrap_or(1);
    format!(
        "{}{}{text}",
        "\n".repeat(line.saturating_sub(1)),
        " ".repeat(column.saturating_sub(1))
    )
}

fn run(src: &str) -> String {
    let mut out = String::new();
    let statements = match split_statements(src) {
        Ok(s) => s,
        Err(e) => return format!("==== split failed ====\n{}\n", e.render(src)),
    };
    let mut catalog = Catalog::new();
    for (i, s) in statements.iter().enumerate() {
        let _ = writeln!(out, "==== statement {} (line {}) ====", i + 1, s.start.line);
        let placed = in_place(&s.text, s.start.line, s.start.column);
        let stmt = match parse_statement(&placed) {
            Ok(stmt) => stmt,
            Err(e) => {
                let _ = writeln!(out, "ERROR\n{}\n", e.render(src));
                continue;
            }
        };
        let sql = stmt.to_string();
        match parse_statement(&sql) {
            Ok(again) => assert_eq!(again, stmt, "round trip changed the IR of:\n{sql}"),
            Err(e) => panic!("canonical SQL does not parse:\n{}", e.render(&sql)),
        }
        let _ = writeln!(out, "{sql}\n---- IR ----\n{stmt:#?}");
        match catalog.apply(&stmt) {
            Ok(true) => {
                let _ = writeln!(out, "---- catalog: ok ----\n");
            }
            Ok(false) => out.push('\n'),
            Err(e) => {
                let _ = writeln!(out, "---- catalog: error ----\n{}\n", e.render(src));
            }
        }
    }
    out
}

#[test]
fn golden_files() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v != "0");
    let mut files: Vec<PathBuf> = std::fs::read_dir(golden_dir())
        .expect("tests/golden")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no golden files");
    let mut failed = Vec::new();
    for sql_path in &files {
        let src = std::fs::read_to_string(sql_path).expect("read .sql");
        let actual = run(&src);
        let expected_path = sql_path.with_extension("expected");
        if update {
            std::fs::write(&expected_path, &actual).expect("write .expected");
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if expected != actual {
            let first_diff = expected
                .lines()
                .zip(actual.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(expected.lines().count().min(actual.lines().count()));
            failed.push(format!(
                "{}: differs from {} at line {} (got {:?})",
                sql_path.display(),
                expected_path.display(),
                first_diff + 1,
                actual.lines().nth(first_diff).unwrap_or("<end>")
            ));
        }
    }
    assert!(
        failed.is_empty(),
        "golden mismatches (UPDATE_GOLDEN=1 regenerates):\n{}",
        failed.join("\n")
    );
}
