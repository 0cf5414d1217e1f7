//! `spate server` as a process and `spate jobs` against it: submit prints the id, show prints
//! the state (RUNNING, then FINISHED), list, cancel, a bad script refused with the server's
//! 400 message, and SIGTERM ends the server cleanly.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

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
    // A reader that goes away after the first line (`spate jobs show ID | head -1`) ends the
    // command quietly: no panic on the broken pipe, no error.
    let mut show = std::process::Command::new(env!("CARGO_BIN_EXE_spate"))
        .args([
            "jobs",
            "show",
            &unbounded,
            "--server",
            &server.url,
            "--token",
            &token,
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(show.stdout.take());
    let shown = show.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&shown.stderr);
    assert!(shown.status.success(), "{err}");
    assert!(!err.contains("panicked") && !err.contains("Broken pipe"), "{err}");
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

/// Datagen into a Kafka table written with transactions committed at each checkpoint.
const EXACTLY_ONCE: &str = "
CREATE TABLE gen (n BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '200');
CREATE TABLE eo (n BIGINT) WITH ('connector' = 'kafka', 'topic' = 'eo-out', 'format' = 'json',
  'sink.delivery-guarantee' = 'exactly-once', 'sink.transactional-id-prefix' = 'eo-idle');
INSERT INTO eo SELECT n FROM gen;
";

/// The attack: idle TCP connections to the REST port, more than the process may open
/// descriptors. The HTTP side keeps to its bounds, so the broker and an exactly-once job beside
/// it keep their descriptors (checkpoints, transaction-state writes), and authenticated
/// clients still get answers.
#[test]
fn idle_http_connections_leave_an_exactly_once_job_and_clients_alone() {
    // Room for the broker's own reserves (2,048) and a partition or two.
    const NOFILE: u64 = 4096;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("server.log");
    let data = dir.path().join("data");
    let server = Server::start_with_file_limit(
        &data,
        &log,
        &["--kafka-listen", "127.0.0.1:0", "--checkpoint-interval", "300ms"],
        NOFILE,
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let client = server.client();
    let id = runtime.block_on(client.submit(EXACTLY_ONCE)).unwrap();
    let completed = |client: &spate_server::Client| -> u64 {
        let cps = runtime
            .block_on(client.request("GET", &format!("/jobs/{id}/checkpoints"), None))
            .unwrap();
        cps["counts"]["completed"].as_u64().unwrap()
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while completed(&client) == 0 {
        assert!(
            Instant::now() < deadline,
            "no checkpoint: {}",
            std::fs::read_to_string(&log).unwrap()
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    // Twice the descriptors the server may have, opened and held idle.
    let addr = server.url.strip_prefix("http://").unwrap().to_string();
    let stop = Arc::new(AtomicBool::new(false));
    let opened = Arc::new(AtomicUsize::new(0));
    let flood = {
        let (stop, opened) = (stop.clone(), opened.clone());
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for _ in 0..2 * NOFILE {
                if let Ok(s) = std::net::TcpStream::connect(&addr) {
                    held.push(s);
                }
                opened.fetch_add(1, Ordering::Relaxed);
            }
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(50));
            }
            held.len()
        })
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while opened.load(Ordering::Relaxed) < 2 * NOFILE as usize {
        assert!(Instant::now() < deadline, "the connections were not opened");
        std::thread::sleep(Duration::from_millis(50));
    }
    // While they are held: answers to authenticated clients, and checkpoints go on.
    let before = completed(&client);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let job = runtime.block_on(client.job(&id)).unwrap();
        assert_eq!(
            job["state"],
            "RUNNING",
            "{job:#}\n{}",
            std::fs::read_to_string(&log).unwrap()
        );
        assert_eq!(job["restarts"], 0, "{job:#}");
        if completed(&client) >= before + 5 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "checkpoints stopped beside the idle connections"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let (ok, out, err) = server.jobs(&["show", &id]);
    assert!(ok && out.starts_with("RUNNING"), "{out}{err}");
    stop.store(true, Ordering::Relaxed);
    let held = flood.join().unwrap();
    assert!(held as u64 > NOFILE, "only {held} connections were opened");
    let stored = std::fs::read_to_string(data.join("jobs").join(&id).join("job.json")).unwrap();
    assert!(stored.contains("\"RUNNING\""), "{stored}");
}

/// `Threads:` and `VmRSS:` (KiB) of process `pid`.
fn threads_and_rss(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .unwrap()
            .parse()
            .unwrap()
    };
    (field("Threads:"), field("VmRSS:"))
}

/// The server process gives cancelled jobs' threads back (measured on the binary, with its
/// allocator): after warm-up, more submit + cancel cycles leave the thread count alone.
#[test]
fn cancelled_jobs_give_their_threads_back_to_the_server_process() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("server.log");
    let server = Server::start(&dir.path().join("data"), &log, &["--kafka-listen", "127.0.0.1:0"]);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let client = server.client();
    let job = "CREATE TABLE g (n BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '100');
CREATE TABLE k (n BIGINT) WITH ('connector' = 'kafka', 'topic' = 'cycles', 'format' = 'json');
INSERT INTO k SELECT n FROM g;";
    let cycles = |n: usize| {
        for _ in 0..n {
            let id = runtime.block_on(client.submit(job)).unwrap();
            let deadline = Instant::now() + Duration::from_secs(60);
            loop {
                let j = runtime.block_on(client.job(&id)).unwrap();
                if j["records-out"].as_u64() > Some(0) {
                    break;
                }
                assert!(Instant::now() < deadline, "{j:#}");
                std::thread::sleep(Duration::from_millis(100));
            }
            runtime.block_on(client.cancel(&id)).unwrap();
            server.wait_state(&id, "CANCELED");
        }
        // The sampler joins ended runs' threads within a second.
        std::thread::sleep(Duration::from_millis(2500));
    };
    cycles(3);
    let (threads_before, rss_before) = threads_and_rss(server.pid());
    const CYCLES: usize = 20;
    cycles(CYCLES);
    let (threads_after, rss_after) = threads_and_rss(server.pid());
    eprintln!(
        "server process after {CYCLES} submit+cancel cycles: threads {threads_before} -> \
         {threads_after}, RSS {rss_before} KiB -> {rss_after} KiB ({:+} KiB per job)",
        (rss_after as i64 - rss_before as i64) / CYCLES as i64
    );
    assert!(
        threads_after <= threads_before + 2,
        "threads grew from {threads_before} to {threads_after} over {CYCLES} cancelled jobs"
    );
}

/// Issue 39: a job whose state grows without bound (a regular join of two unbounded inputs on
/// keys that never repeat) in a server whose jobs may hold 128 MiB each. It must fail on its
/// budget — again at every restart its strategy allows — while the server, its embedded broker
/// and a second job go on; the server's memory stays far from what the join would take.
#[test]
fn a_runaway_job_fails_on_its_memory_budget_and_the_server_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("server.log");
    let server_log = || std::fs::read_to_string(&log).unwrap_or_default();
    let mut server = Server::start(
        &dir.path().join("data"),
        &log,
        &["--kafka-listen", "127.0.0.1:0", "--job-memory", "128mb"],
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let client = server.client();
    let steady = runtime
        .block_on(client.submit(
            "CREATE TABLE g (n BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '200');
CREATE TABLE k (n BIGINT) WITH ('connector' = 'kafka', 'topic' = 'steady', 'format' = 'json');
INSERT INTO k SELECT n FROM g;",
        ))
        .unwrap();
    let runaway = runtime
        .block_on(client.submit(
            "CREATE TABLE a (k BIGINT, pad STRING) WITH ('connector' = 'datagen',
  'rows-per-second' = '400000', 'fields.k.kind' = 'sequence', 'fields.k.start' = '0',
  'fields.k.end' = '9000000000000', 'fields.pad.length' = '64');
CREATE TABLE b (k BIGINT, pad STRING) WITH ('connector' = 'datagen',
  'rows-per-second' = '400000', 'fields.k.kind' = 'sequence', 'fields.k.start' = '9000000000001',
  'fields.k.end' = '18000000000000', 'fields.pad.length' = '64');
CREATE TABLE out (k BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO out SELECT a.k FROM a JOIN b ON a.k = b.k;",
        ))
        .unwrap();
    // The budget fails the runaway job (and each restart of it), with the reason recorded.
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut peak = 0;
    let reason = loop {
        assert!(server.alive(), "the server died:\n{}", server_log());
        peak = peak.max(threads_and_rss(server.pid()).1 / 1024);
        let failures = runtime
            .block_on(client.request("GET", &format!("/jobs/{runaway}/exceptions"), None))
            .unwrap();
        let text = failures.to_string();
        if text.contains("memory budget") {
            break text;
        }
        assert!(
            Instant::now() < deadline,
            "no memory-budget failure within 90 s: {text}\n{}",
            server_log()
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(reason.contains("128 MiB"), "{reason}");
    // Some more seconds of restarts: the server holds on, the other job and the broker work.
    for _ in 0..25 {
        std::thread::sleep(Duration::from_millis(200));
        assert!(server.alive(), "the server died:\n{}", server_log());
        peak = peak.max(threads_and_rss(server.pid()).1 / 1024);
    }
    assert!(
        peak < 1024,
        "the server's resident memory reached {peak} MiB with a 128 MiB job budget"
    );
    let (ok, out, err) = server.jobs(&["show", &steady]);
    assert!(ok && out.starts_with("RUNNING"), "the other job: {out}{err}");
    let before = out.clone();
    std::thread::sleep(Duration::from_millis(1500));
    let (_, after, _) = server.jobs(&["show", &steady]);
    assert_ne!(before, after, "the other job makes progress");
    let broker = server
        .line
        .split("Kafka on ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap()
        .to_string();
    let (ok, out, err) = common::run_spate(&["topics", "list", "--bootstrap", &broker], "");
    assert!(
        ok && out.contains("steady"),
        "the embedded broker answers: {out}{err}"
    );
    let (ok, _, err) = server.jobs(&["cancel", &runaway]);
    assert!(ok, "{err}");
    assert!(server.terminate(), "SIGTERM stops the server:\n{}", server_log());
}
