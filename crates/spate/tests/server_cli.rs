//! `spate server` as a process and `spate jobs` against it: submit prints the id, show prints
//! the state (RUNNING, then FINISHED), list, cancel, a bad script refused with the server's
//! 400 message, and SIGTERM ends the server cleanly.
#![allow(clippy::unwrap_used)]

mod common;

use common::Server;

const BOUNDED: &str = "
CREATE TABLE gen (n BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '400', 'number-of-rows' = '400');
CREATE TABLE numbers (n BIGINT) WITH ('connector' = 'kafka', 'topic' = 'numbers', 'format' = 'json');
INSERT INTO numbers SELECT n FROM gen;
";

const UNBOUNDED: &str = "
CREATE TABLE gen (n BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '100');
CREATE TABLE sink (n BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO sink SELECT n FROM gen;
";

#[test]
fn jobs_commands_drive_a_server() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("server.log");
    let mut server = Server::start(&dir.path().join("data"), &log, &["--kafka-listen", "127.0.0.1:0"]);
    assert!(server.line.contains("Kafka on 127.0.0.1:"), "{}", server.line);
    // Authentication is on by default: the second line is the dashboard's URL with the token
    // kept in the data directory, as Jupyter prints its own.
    let token = server.token.clone().expect("the server made a token");
    assert!(
        server
            .dashboard_line
            .contains(&format!("{}/?token={token}", server.url)),
        "{}",
        server.dashboard_line
    );
    let anonymous = std::process::Command::new(env!("CARGO_BIN_EXE_spate"))
        .args(["jobs", "list", "--server", &server.url])
        .env_remove("SPATE_TOKEN")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&anonymous.stderr);
    assert!(!anonymous.status.success() && err.contains("HTTP 401"), "{err}");
    let with_token = std::process::Command::new(env!("CARGO_BIN_EXE_spate"))
        .args(["jobs", "list", "--server", &server.url, "--token", &token])
        .output()
        .unwrap();
    assert!(
        with_token.status.success(),
        "{}",
        String::from_utf8_lossy(&with_token.stderr)
    );
    let from_env = std::process::Command::new(env!("CARGO_BIN_EXE_spate"))
        .args(["jobs", "list", "--server", &server.url])
        .env("SPATE_TOKEN", &token)
        .output()
        .unwrap();
    assert!(
        from_env.status.success(),
        "{}",
        String::from_utf8_lossy(&from_env.stderr)
    );

    let write = |name: &str, sql: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, sql).unwrap();
        path.display().to_string()
    };
    let (ok, out, err) = server.jobs(&["submit", &write("bounded.sql", BOUNDED)]);
    assert!(ok, "{err}");
    let bounded = out.trim().to_string();
    assert_eq!(bounded.len(), 32, "{out}");
    server.wait_state(&bounded, "RUNNING");
    server.wait_state(&bounded, "FINISHED");

    let (ok, out, err) = server.jobs(&["submit", &write("unbounded.sql", UNBOUNDED)]);
    assert!(ok, "{err}");
    let unbounded = out.trim().to_string();
    server.wait_state(&unbounded, "RUNNING");
    let (ok, out, _) = server.jobs(&["list"]);
    assert!(ok);
    assert!(
        out.lines()
            .any(|l| l.starts_with(&bounded) && l.contains("FINISHED")),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with(&unbounded) && l.contains("RUNNING")),
        "{out}"
    );
    let (ok, _, err) = server.jobs(&["cancel", &unbounded]);
    assert!(ok, "{err}");
    server.wait_state(&unbounded, "CANCELED");

    // Refused requests exit non-zero with the server's reason.
    let (ok, _, err) = server.jobs(&["submit", &write("bad.sql", "INSERT INTO nowhere SELECT 1;")]);
    assert!(!ok);
    assert!(err.contains("nowhere") && err.contains("HTTP 400"), "{err}");
    let (ok, _, err) = server.jobs(&["show", "0123456789abcdef0123456789abcdef"]);
    assert!(!ok);
    assert!(err.contains("not found"), "{err}");
    let (ok, _, err) = server.jobs(&["cancel", &bounded]);
    assert!(!ok && err.contains("HTTP 409"), "{err}");

    assert!(server.terminate(), "{}", std::fs::read_to_string(&log).unwrap());
}
