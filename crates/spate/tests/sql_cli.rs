//! `spate sql` as a user runs it: a script file and the interactive shell on standard input.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::process::{Command, Stdio};

fn spate() -> Command {
    Command::new(env!("CARGO_BIN_EXE_spate"))
}

#[test]
fn a_script_with_an_error_exits_non_zero_with_the_line_and_a_caret() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.sql");
    std::fs::write(&file, "SELECT a\nFROM (VALUES (1)) AS t(a)\nWHERE b > 1;\n").unwrap();
    let out = spate()
        .arg("sql")
        .arg("-f")
        .arg(&file)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown column 'b'"), "{err}");
    assert!(err.contains("3 | WHERE b > 1;"), "{err}");
    assert!(err.contains("  |       ^"), "{err}");
    // A script of tables over no Kafka cluster starts no broker.
    assert!(!dir.path().join("spate-data").exists());
}

#[test]
fn a_script_runs_its_query_and_prints_the_rows() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ok.sql");
    std::fs::write(
        &file,
        "SELECT a * 10 AS x FROM (VALUES (1), (2)) AS t(a) WHERE a > 1;\n",
    )
    .unwrap();
    let out = spate()
        .arg("sql")
        .arg("-f")
        .arg(&file)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("| +I |                   20 |"), "{text}");
    assert!(!text.contains("|                   10 |"), "{text}");
}

#[test]
fn the_shell_reads_statements_over_lines_and_goes_on_after_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = spate()
        .arg("sql")
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"SELECT nope FROM (VALUES (1)) AS t(a);\nSELECT 40 +\n  2 AS answer;\nQUIT;\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(
        stderr.contains("[ERROR]") && stderr.contains("unknown column 'nope'"),
        "{stderr}"
    );
    assert!(stdout.contains("|                   42 |"), "{stdout}");
}
