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

/// SIGTERM stops a script whose job keeps failing and restarting: no attempt runs to take the
/// savepoint, so the job is cancelled, the process exits non-zero saying so, and the script's
/// later statements start no job (their jobs are cancelled as they start).
#[test]
fn sigterm_stops_a_script_whose_job_keeps_restarting() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("in.json"), "{\"i\":1}\n{\"i\":0}\n").unwrap();
    let file = dir.path().join("job.sql");
    let path = |name: &str| dir.path().join(name).display().to_string();
    std::fs::write(
        &file,
        format!(
            "SET 'restart-strategy.type' = 'fixed-delay';\n\
             SET 'restart-strategy.fixed-delay.attempts' = '1000000';\n\
             SET 'restart-strategy.fixed-delay.delay' = '50 ms';\n\
             CREATE TABLE r (i INT) WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'json');\n\
             CREATE TABLE o (v INT) WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'json');\n\
             CREATE TABLE later (v INT) WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'json');\n\
             INSERT INTO o SELECT 10 / i FROM r;\n\
             INSERT INTO later SELECT i FROM r;\n",
            path("in.json"),
            path("o"),
            path("later"),
        ),
    )
    .unwrap();
    let mut child = spate()
        .arg("sql")
        .arg("-f")
        .arg(&file)
        .arg("--checkpoint-dir")
        .arg(dir.path().join("checkpoints"))
        .current_dir(dir.path())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Long enough for the job to fail and restart several times.
    std::thread::sleep(std::time::Duration::from_secs(3));
    assert!(child.try_wait().unwrap().is_none(), "the script ended by itself");
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("spate sql did not stop within a minute of SIGTERM");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert!(!status.success(), "{err}");
    assert!(err.contains("stopped without a savepoint"), "{err}");
    // The later statement's sink may have made its directory; it committed no file.
    let committed: Vec<_> = std::fs::read_dir(dir.path().join("later"))
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|name| !name.starts_with('.'))
                .collect()
        })
        .unwrap_or_default();
    assert!(
        committed.is_empty(),
        "the later statement wrote {committed:?}: {err}"
    );
    let tail: String = err.lines().rev().take(6).collect::<Vec<_>>().join("\n");
    assert!(tail.contains("cancelling the job"), "{tail}");
}
