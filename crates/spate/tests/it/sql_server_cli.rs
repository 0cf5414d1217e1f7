//! `spate sql --server URL` against a `spate server` process, as Flink's SQL client against a
//! gateway: a script's `INSERT INTO` is submitted as a job that runs on the server (the client
//! prints its id and leaves); piped statements keep their DDL in the client's session and a
//! `SELECT` runs on the server with its rows shown here; a bad statement is refused before
//! anything is sent; Ctrl-C cancels a running query.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::Server;

const NUMBERS: &str = "CREATE TABLE numbers (n BIGINT) WITH ('connector' = 'kafka', \
     'topic' = 'numbers', 'format' = 'json', 'scan.startup.mode' = 'earliest-offset', \
     'scan.bounded.mode' = 'latest-offset');";

/// Runs `spate sql --server URL ARGS` with `stdin` piped in; returns (success, stdout, stderr).
fn sql(server: &Server, args: &[&str], stdin: &str) -> (bool, String, String) {
    let data_dir = server.data_dir.display().to_string();
    let mut all = vec!["sql", "--server", server.url.as_str(), "--data-dir", &data_dir];
    all.extend_from_slice(args);
    common::run_spate(&all, stdin)
}

/// The values of a tableau's `+I` rows (first column after `op`).
fn values(tableau: &str) -> Vec<i64> {
    tableau
        .lines()
        .filter(|l| l.starts_with("|") && l.contains("+I"))
        .map(|l| l.split('|').nth(2).unwrap().trim().parse().unwrap())
        .collect()
}

#[test]
fn statements_run_on_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("server.log");
    let server = Server::start(&dir.path().join("data"), &log, &["--kafka-listen", "127.0.0.1:0"]);

    // A script: its INSERT becomes a server job; the client prints the id and exits.
    let script = dir.path().join("load.sql");
    std::fs::write(
        &script,
        format!(
            "CREATE TABLE gen (n BIGINT) WITH ('connector' = 'datagen', 'fields.n.kind' = 'sequence', \
             'fields.n.start' = '1', 'fields.n.end' = '250');\n{NUMBERS}\n\
             INSERT INTO numbers SELECT n FROM gen;\n"
        ),
    )
    .unwrap();
    let (ok, out, err) = sql(&server, &["-f", script.to_str().unwrap()], "");
    assert!(ok, "{err}");
    assert!(err.contains("successfully submitted to the cluster"), "{err}");
    let id = out
        .lines()
        .find_map(|l| l.strip_prefix("Job ID: "))
        .unwrap_or_else(|| panic!("no job id in {out:?} / {err}"))
        .to_string();
    server.wait_state(&id, "FINISHED");

    // Piped statements: the session's DDL goes with the query; its rows come back here.
    let (ok, out, err) = sql(
        &server,
        &[],
        &format!("{NUMBERS}\nSHOW TABLES;\nSELECT n FROM numbers WHERE n > 200;\n"),
    );
    assert!(ok, "{err}");
    assert!(out.contains("numbers"), "{out}");
    let mut got = values(&out);
    got.sort_unstable();
    assert_eq!(got, (201..=250).collect::<Vec<_>>(), "{out}");
    assert!(out.contains("Received a total of 50 rows"), "{out}");

    // A typo is reported against the statement as typed; nothing is submitted.
    let before = server.jobs(&["list"]).1;
    let bad = dir.path().join("bad.sql");
    std::fs::write(
        &bad,
        format!("{NUMBERS}\nINSERT INTO numbers SELECT nope FROM numbers;\n"),
    )
    .unwrap();
    let (ok, _, err) = sql(&server, &["-f", bad.to_str().unwrap()], "");
    assert!(!ok);
    assert!(err.contains("nope") && err.contains("bad.sql"), "{err}");
    assert_eq!(server.jobs(&["list"]).1, before);

    // Without the token (none given, none in the data directory) the server refuses, and the
    // client says how to give it; --token works as the data directory does.
    let elsewhere = tempfile::tempdir().unwrap();
    let anonymous = Command::new(env!("CARGO_BIN_EXE_spate"))
        .args(["sql", "--server", &server.url])
        .current_dir(elsewhere.path())
        .env_remove("SPATE_TOKEN")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&anonymous.stderr);
    assert!(!anonymous.status.success());
    assert!(err.contains("HTTP 401") && err.contains("--token"), "{err}");
    let token = server.token.clone().unwrap();
    let (ok, out, err) = common::run_spate(
        &["sql", "--server", &server.url, "--token", &token],
        "SHOW TABLES;\n",
    );
    assert!(ok && err.contains("statements run on the server"), "{out}{err}");

    // A server that does not answer is an error at start.
    let unreachable = Command::new(env!("CARGO_BIN_EXE_spate"))
        .args(["sql", "--server", "http://127.0.0.1:1"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!unreachable.status.success());
    assert!(
        String::from_utf8_lossy(&unreachable.stderr).contains("cannot reach the server"),
        "{}",
        String::from_utf8_lossy(&unreachable.stderr)
    );
}

#[test]
fn ctrl_c_cancels_a_query_running_on_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("server.log");
    let server = Server::start(&dir.path().join("data"), &log, &["--kafka-listen", "127.0.0.1:0"]);
    let script = dir.path().join("endless.sql");
    std::fs::write(
        &script,
        "CREATE TABLE gen (n BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '20');\n\
         SELECT n FROM gen;\n",
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_spate"))
        .args(["sql", "--server", &server.url, "-f", script.to_str().unwrap()])
        .args(["--token", server.token.as_deref().unwrap()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // Rows arrive from the server.
    let mut lines = Vec::new();
    while lines.iter().filter(|l: &&String| l.contains("+I")).count() < 3 {
        lines.push(
            rx.recv_timeout(Duration::from_secs(60))
                .expect("rows from the server"),
        );
    }
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    lines.extend(rx.iter());
    let out = lines.join("\n");
    assert!(status.success(), "{out}");
    assert!(out.contains("(query cancelled)"), "{out}");
}

/// `POST path` with `body` as plain text over a fresh connection (bounded by timeouts); the
/// response's status code and text. If the server requires a token, add its header here.
fn post(server: &Server, path: &str, body: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let addr = server.url.trim_start_matches("http://");
    let token = server.token.as_deref().unwrap_or_default().trim();
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/sql\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, response)
}

/// One ~20 KB request used to overflow the planner's stack and take the server, its broker and
/// every job down. Deep scripts are answered (refused with 400, or accepted) and the server
/// stays up.
#[test]
fn deeply_nested_scripts_do_not_take_the_server_down() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("server.log");
    let mut server = Server::start(&dir.path().join("data"), &log, &["--kafka-listen", "127.0.0.1:0"]);
    let tables = "CREATE TABLE src (a INT) WITH ('connector' = 'datagen', 'number-of-rows' = '1');\n\
                  CREATE TABLE out (a INT) WITH ('connector' = 'blackhole');\n";
    let views: String = std::iter::once("CREATE VIEW v0 AS SELECT a FROM src;\n".to_string())
        .chain((1..1000).map(|i| format!("CREATE VIEW v{i} AS SELECT a FROM v{};\n", i - 1)))
        .collect();
    let ctes = (1..3000)
        .map(|i| format!("c{i} AS (SELECT a FROM c{})", i - 1))
        .collect::<Vec<_>>()
        .join(", ");
    let with = format!("WITH c0 AS (SELECT a FROM src), {ctes} SELECT a FROM c2999");
    let union = vec!["SELECT a FROM src"; 2000].join(" UNION ALL ");
    let joins = (1..400)
        .map(|i| format!("JOIN src t{i} ON t{}.a = t{i}.a", i - 1))
        .collect::<Vec<_>>()
        .join(" ");
    let join = format!("SELECT t0.a FROM src t0 {joins}");
    for (what, query, refused) in [
        ("1000 chained views", format!("{views}SELECT a FROM v999"), true),
        ("3000 chained CTEs", with, true),
        ("2000 UNION ALL branches", union, false),
        ("400-way self-join", join, true),
    ] {
        let (status, text) = post(&server, "/jobs", &format!("{tables}INSERT INTO out {query};"));
        assert!(
            (refused && status == 400) || (!refused && status == 202),
            "POST /jobs, {what}: {text}"
        );
        let (status, text) = post(&server, "/sql/previews", &format!("{tables}{query};"));
        assert!(
            (refused && status == 400) || (!refused && status == 202),
            "POST /sql/previews, {what}: {text}"
        );
        assert!(server.alive(), "{what} took the server down");
    }
    let (ok, out, err) = server.jobs(&["list"]);
    assert!(ok, "{out}{err}");
    assert!(server.alive());
}
