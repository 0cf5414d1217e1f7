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

/// Runs the shell (`spate sql` without a file) with `input` on its standard input (not a
/// terminal), in a fresh data directory.
fn shell(input: &[u8]) -> std::process::Output {
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
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn the_shell_reads_statements_over_lines_and_goes_on_after_an_error() {
    let out = shell(b"SELECT nope FROM (VALUES (1)) AS t(a);\nSELECT 40 +\n  2 AS answer;\nQUIT;\n");
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

/// `sql-client.execution.result-mode` = `table` in a shell whose output is not a terminal:
/// the result table is printed when the query ends — an updated group's row replaced, no `op`
/// column — while the default there prints every change with its `op`, as tableau does.
#[test]
fn the_table_result_mode_prints_the_final_result_table() {
    let query =
        "SELECT k, SUM(v) AS total FROM (VALUES ('a', 1), ('b', 2), ('a', 4)) AS t(k, v) GROUP BY k;\n";
    let input = format!(
        "{query}SET 'sql-client.execution.result-mode' = 'table';\n{query}\
         SET 'sql-client.execution.result-mode' = 'tables';\nQUIT;\n"
    );
    let out = shell(input.as_bytes());
    assert!(out.status.success());
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    let (changelog, table) = stdout
        .split_once("Received a total of 4 rows")
        .unwrap_or_else(|| panic!("{stdout}"));
    for change in [
        "| +I |                    a |                    1 |",
        "| -U |                    a |                    1 |",
        "| +U |                    a |                    5 |",
    ] {
        assert!(changelog.contains(change), "{stdout}");
    }
    let rows: Vec<&str> = table
        .lines()
        .filter(|l| l.starts_with("| ") && !l.contains(" k |"))
        .collect();
    assert_eq!(
        rows,
        [
            "|                    b |                    2 |",
            "|                    a |                    5 |"
        ],
        "{stdout}"
    );
    assert!(
        table.contains("2 rows in the result table, from 4 changes"),
        "{stdout}"
    );
    assert!(
        stderr.contains("Could not parse value 'tables' for key 'sql-client.execution.result-mode'"),
        "{stderr}"
    );
}

/// A script's query in a result mode other than tableau fails with Flink's message (Flink's
/// client shows only tableau in a script); the statements before it ran.
#[test]
fn a_script_query_needs_the_tableau_result_mode() {
    let out = run_script(
        "SELECT 1 AS one;\nSET 'sql-client.execution.result-mode' = 'changelog';\nSELECT 2 AS two;\n",
    );
    assert!(!out.status.success());
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(
        stdout.contains("|                    1 |") && !stdout.contains("two"),
        "{stdout}"
    );
    assert!(
        stderr.contains(
            "In non-interactive mode, it only supports to use TABLEAU as value of \
             sql-client.execution.result-mode when execute query. Please add \
             'SET sql-client.execution.result-mode=TABLEAU;' in the sql file."
        ),
        "{stderr}"
    );
    let ok = run_script("SET 'sql-client.execution.result-mode' = 'TABLEAU';\nSELECT 2 AS two;\n");
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
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
    // The cancel follows the stop request. (Counting lines from the end flaked: a restart
    // already under way may still log a few lines after the cancel.)
    let stopping = err
        .find("stopping: taking a savepoint")
        .expect("the stop request is told");
    assert!(err[stopping..].contains("cancelling the job"), "{err}");
}

/// Runs `script` with `spate sql -f` in a fresh directory.
fn run_script(script: &str) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("script.sql");
    std::fs::write(&file, script).unwrap();
    spate()
        .arg("sql")
        .arg("-f")
        .arg(&file)
        .current_dir(dir.path())
        .output()
        .unwrap()
}

const ONE_ROW_TABLES: &str = "CREATE TABLE src (a INT) WITH ('connector' = 'datagen', \
     'number-of-rows' = '1', 'fields.a.min' = '1', 'fields.a.max' = '1');
CREATE TABLE out (a INT) WITH ('connector' = 'blackhole');\n";

/// Scripts that nest deeply without parentheses used to overflow the planner's stack (SIGABRT)
/// or take gigabytes: each now runs or is refused with an error naming the limit.
#[test]
fn deeply_nested_scripts_run_or_are_refused_never_crash() {
    let views = format!(
        "{ONE_ROW_TABLES}CREATE VIEW v0 AS SELECT a FROM src;\n{}INSERT INTO out SELECT a FROM v999;\n",
        (1..1000)
            .map(|i| format!("CREATE VIEW v{i} AS SELECT a FROM v{};\n", i - 1))
            .collect::<String>()
    );
    let ctes = format!(
        "{ONE_ROW_TABLES}INSERT INTO out WITH c0 AS (SELECT a FROM src), {} SELECT a FROM c2999;\n",
        (1..3000)
            .map(|i| format!("c{i} AS (SELECT a FROM c{})", i - 1))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for (what, script, refusal) in [
        (
            "1000 chained views",
            views,
            "nest too deeply (more than 64 levels)",
        ),
        ("3000 chained CTEs", ctes, "too large to plan"),
    ] {
        let out = run_script(&script);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{what}: {:?} {err}", out.status);
        assert!(err.contains(refusal), "{what}: {err}");
    }
    // 2000 UNION ALL branches are planned as one union: the job runs.
    let union = format!(
        "{ONE_ROW_TABLES}INSERT INTO out {};\n",
        vec!["SELECT a FROM src"; 2000].join(" UNION ALL ")
    );
    let out = run_script(&union);
    assert!(
        out.status.success(),
        "{:?} {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A 400-way self-join (12 KB of SQL) used to take over 4 GB and 30 s to plan: it is refused
/// at once, in a few tens of MB.
#[test]
fn a_400_way_self_join_is_refused_quickly_and_small() {
    let script = format!(
        "CREATE TABLE t (a INT, b STRING, c BIGINT) WITH ('connector' = 'datagen', 'number-of-rows' = '1');
CREATE TABLE out (a INT) WITH ('connector' = 'blackhole');
INSERT INTO out SELECT t0.a FROM t t0 {};\n",
        (1..400)
            .map(|i| format!("JOIN t t{i} ON t{}.a = t{i}.a", i - 1))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("join.sql");
    std::fs::write(&file, &script).unwrap();
    // GNU time reports the child's peak RSS; without it, only time and outcome are checked.
    let gnu_time = std::path::Path::new("/usr/bin/time");
    let mut cmd = if gnu_time.exists() {
        let mut c = Command::new(gnu_time);
        c.arg("-f").arg("peak-rss-kb=%M").arg(env!("CARGO_BIN_EXE_spate"));
        c
    } else {
        spate()
    };
    let started = std::time::Instant::now();
    let out = cmd
        .arg("sql")
        .arg("-f")
        .arg(&file)
        .current_dir(dir.path())
        .output()
        .unwrap();
    let took = started.elapsed();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("nest too deeply"), "{err}");
    assert!(took < std::time::Duration::from_secs(10), "took {took:?}");
    if let Some(kb) = err
        .lines()
        .find_map(|l| l.strip_prefix("peak-rss-kb="))
        .and_then(|v| v.trim().parse::<u64>().ok())
    {
        assert!(kb < 300 * 1024, "peak RSS {kb} kB");
    }
}

/// A NULL for a sink's NOT NULL column fails the job with Flink's message (Flink's default
/// `table.exec.sink.not-null-enforcer` = ERROR); with DROP the row is dropped.
#[test]
fn not_null_sink_columns_are_enforced_as_flink_does() {
    let tables = "CREATE TABLE sink (a INT NOT NULL, b STRING) WITH ('connector' = 'print');\n";
    let insert = "INSERT INTO sink SELECT a, b FROM (VALUES (1, 'kept'), (CAST(NULL AS INT), 'null'), \
                  (3, 'also kept')) AS t(a, b);\n";
    let out = run_script(&format!("{tables}{insert}"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(
            "Column 'a' is NOT NULL, however, a null value is being written into it. You can set \
             job configuration 'table.exec.sink.not-null-enforcer'='DROP' to suppress this \
             exception and drop such records silently."
        ),
        "{err}"
    );
    let out = run_script(&format!(
        "{tables}SET 'table.exec.sink.not-null-enforcer' = 'drop';\n{insert}"
    ));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        stdout.contains("+I[1, kept]") && stdout.contains("+I[3, also kept]"),
        "{stdout}"
    );
    assert!(!stdout.contains("null"), "{stdout}");
}

/// A Flink option Spate does not implement would be ignored (here: the sink's upsert
/// materializer): refused, not ignored.
#[test]
fn an_unimplemented_flink_option_is_refused_not_ignored() {
    let out = run_script("SET 'table.exec.sink.upsert-materialize' = 'NONE';\n");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(
            "'table.exec.sink.upsert-materialize' is not supported: Spate does not implement this option"
        ),
        "{err}"
    );
}

/// Without `--data-dir`, the embedded broker keeps its data in the user's data directory (and
/// says where), not in the working directory, and its start-up log lines stay off unless `-v`.
#[test]
fn the_embedded_broker_keeps_out_of_the_working_directory_and_quiet() {
    let dir = tempfile::tempdir().unwrap();
    let data_home = tempfile::tempdir().unwrap();
    let file = dir.path().join("job.sql");
    std::fs::write(
        &file,
        "CREATE TABLE g (n BIGINT) WITH ('connector' = 'datagen', 'number-of-rows' = '3');
         CREATE TABLE k (n BIGINT) WITH ('connector' = 'kafka', 'topic' = 'k', 'format' = 'json');
         INSERT INTO k SELECT n FROM g;\n",
    )
    .unwrap();
    let out = spate()
        .arg("sql")
        .arg("-f")
        .arg(&file)
        .current_dir(dir.path())
        .env("XDG_DATA_HOME", data_home.path())
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let entries: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(entries, ["job.sql"], "the working directory gained files");
    let broker_dir = data_home.path().join("spate/sql");
    assert!(broker_dir.join("log").is_dir(), "{err}");
    assert!(
        err.contains(&format!("(data in {})", broker_dir.display())),
        "{err}"
    );
    assert!(!err.contains(" INFO "), "{err}");
}
