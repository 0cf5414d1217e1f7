//! Crash test of the server: `spate server --bootstrap` runs two Flink SQL jobs, each reading
//! a Kafka topic a producer keeps writing to, counting words per 1 s tumbling window and
//! writing the counts to a Kafka table with `'sink.delivery-guarantee' = 'exactly-once'`. The
//! server is killed with SIGKILL three times at random moments and started again with the
//! same data directory: it must resume both jobs by itself (nobody submits them again) from
//! their latest checkpoints, and each output topic read with read_committed must hold every
//! (word, window) exactly once with the count computed here from its input. The jobs' tables
//! name no cluster: the server hands them its own.
//!
//! The broker is a separate `spate broker` process, so only the server dies.
#![allow(clippy::unwrap_used)]

use crate::common;
use crate::common::{ids, word_windows};

use std::time::{Duration, Instant};

use common::{Broker, Server};
use word_windows::KillTimes;

/// Topics `srv-in`/`srv-out`, group and transactional ids `srv-crash`.
const PREFIX: &str = "srv";

/// The second job of the SIGKILL test: topics `srv2-in`/`srv2-out`, ids `srv2-crash`.
const PREFIX_2: &str = "srv2";

/// Polls the outputs of `prefixes` until every expected window is there (120 s at most); on
/// time-out, says which windows are missing and what the server reports of each job.
fn wait_for_every_window(
    server: &mut Server,
    addr: &str,
    prefixes: &[&str],
    ids: &[String],
    log: &dyn Fn() -> String,
) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        assert!(server.alive(), "the server exited:\n{}", log());
        let missing: Vec<_> = prefixes
            .iter()
            .map(|p| (p, word_windows::missing_windows(addr, p)))
            .filter(|(_, m)| !m.is_empty())
            .collect();
        if missing.is_empty() {
            return;
        }
        if Instant::now() >= deadline {
            let jobs: Vec<String> = ids.iter().map(|id| server.jobs(&["show", id]).1).collect();
            let missing: Vec<String> = missing
                .iter()
                .map(|(p, m)| format!("{p}: {} missing, e.g. {:?}", m.len(), &m[..m.len().min(5)]))
                .collect();
            panic!(
                "windows still missing after 120 s: {missing:?}\njobs:\n{}\nlog:\n{}",
                jobs.join("\n"),
                log()
            );
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[test]
fn server_resumes_two_exactly_once_sql_jobs_after_three_sigkills() {
    let dir = tempfile::tempdir().unwrap();
    let mut broker = Broker::start(&dir.path().join("broker"), &dir.path().join("broker.log"));
    let prefixes = [PREFIX, PREFIX_2];
    for prefix in prefixes {
        word_windows::create_topics(&broker.addr, prefix);
    }
    let data = dir.path().join("server");
    let log = dir.path().join("server.log");
    let server_log = || std::fs::read_to_string(&log).unwrap_or_default();
    let start = || Server::start(&data, &log, &["--bootstrap", &broker.addr]);
    let mut kill_times = KillTimes::from_clock();

    let mut server = start();
    let ids: Vec<String> = prefixes
        .iter()
        .map(|prefix| {
            let sql = dir.path().join(format!("{prefix}.sql"));
            std::fs::write(&sql, word_windows::script(prefix, "")).unwrap();
            let (ok, out, err) = server.jobs(&["submit", sql.to_str().unwrap()]);
            assert!(ok, "{err}");
            out.trim().to_string()
        })
        .collect();
    let producers: Vec<_> = prefixes
        .iter()
        .map(|prefix| word_windows::produce(broker.addr.clone(), prefix))
        .collect();
    for run in 0..3 {
        if run > 0 {
            server = start();
            assert!(server.line.contains("2 job(s) resumed"), "{}", server.line);
        }
        for id in &ids {
            server.wait_state(id, "RUNNING");
        }
        std::thread::sleep(Duration::from_millis(1500 + kill_times.below(1500)));
        assert!(server.alive(), "server run {run} exited early:\n{}", server_log());
        server.kill(); // SIGKILL
    }
    for producer in producers {
        producer.join().unwrap();
    }

    // The last run: wait until every expected window is visible, then SIGTERM.
    let mut server = start();
    assert!(server.line.contains("2 job(s) resumed"), "{}", server.line);
    wait_for_every_window(&mut server, &broker.addr, &prefixes, &ids, &server_log);
    for id in &ids {
        let (ok, out, _) = server.jobs(&["show", id]);
        assert!(ok && out.starts_with("RUNNING"), "{out}");
    }
    assert!(
        server.terminate(),
        "SIGTERM stops the server cleanly:\n{}",
        server_log()
    );
    for prefix in prefixes {
        word_windows::assert_exactly_once(&broker.addr, prefix, &server_log);
    }

    // SIGTERM took savepoints and left the jobs to resume: they do on the next start.
    let mut server = start();
    assert!(server.line.contains("2 job(s) resumed"), "{}", server.line);
    for id in &ids {
        server.wait_state(id, "RUNNING");
        let (ok, _, err) = server.jobs(&["cancel", id]);
        assert!(ok, "{err}");
        server.wait_state(id, "CANCELED");
    }
    assert!(server.terminate());
    broker.kill();
}

/// A port that was free a moment ago (the embedded broker must come back on the same one for
/// the producer, which keeps its bootstrap address).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The embedded broker: SIGTERM stops the job with a savepoint (committing its output) before
/// the broker is flushed, and the next start resumes the job from that savepoint; the output
/// is exact. (SIGKILL is not tried here: the embedded broker dies too and aborts transactions
/// still open at its start, see docs/rest-api.md.)
#[test]
fn embedded_broker_server_stops_on_sigterm_and_resumes_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let kafka = format!("127.0.0.1:{}", free_port());
    let data = dir.path().join("server");
    let log = dir.path().join("server.log");
    let server_log = || std::fs::read_to_string(&log).unwrap_or_default();
    let start = || Server::start(&data, &log, &["--kafka-listen", &kafka]);
    let mut server = start();
    assert!(
        server.line.contains(&format!("Kafka on {kafka} (data dir")),
        "{}",
        server.line
    );
    word_windows::create_topics(&kafka, PREFIX);
    let sql = dir.path().join("job.sql");
    std::fs::write(&sql, word_windows::script(PREFIX, "")).unwrap();
    let (ok, out, err) = server.jobs(&["submit", sql.to_str().unwrap()]);
    assert!(ok, "{err}");
    let id = out.trim().to_string();
    server.wait_state(&id, "RUNNING");
    // Stop it while the input is still arriving (the producer retries while the broker is
    // down and comes back on the same port).
    let producer = word_windows::produce(kafka.clone(), PREFIX);
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        server.terminate(),
        "SIGTERM stops the server cleanly:\n{}",
        server_log()
    );
    assert!(
        server_log().contains("stopped with savepoint"),
        "{}",
        server_log()
    );

    let mut server = start();
    assert!(server.line.contains("1 job(s) resumed"), "{}", server.line);
    producer.join().unwrap();
    wait_for_every_window(
        &mut server,
        &kafka,
        &[PREFIX],
        std::slice::from_ref(&id),
        &server_log,
    );
    // Read while the server (and with it the broker) still runs.
    word_windows::assert_exactly_once(&kafka, PREFIX, &server_log);
    assert!(server.terminate(), "{}", server_log());
}

/// Issue 39: a bounded job whose short branch reaches its end at once while the other runs
/// for seconds, on a server killed (SIGKILL) before any checkpoint completed. The server
/// resumes the job by itself; the short branch's output must then hold its ids once (its sink
/// commits only with a checkpoint that covers the end of its input, FLIP-147).
#[test]
fn server_resumes_a_bounded_job_without_writing_a_finished_branch_twice() {
    const SHORT: u64 = 2_000;
    let dir = tempfile::tempdir().unwrap();
    let mut broker = Broker::start(&dir.path().join("broker"), &dir.path().join("broker.log"));
    let data = dir.path().join("server");
    let log = dir.path().join("server.log");
    let server_log = || std::fs::read_to_string(&log).unwrap_or_default();
    let start = || Server::start(&data, &log, &["--bootstrap", &broker.addr]);
    let mut server = start();
    let sql = dir.path().join("job.sql");
    std::fs::write(&sql, ids::short_and_slow_branches(SHORT, "")).unwrap();
    let (ok, out, err) = server.jobs(&["submit", sql.to_str().unwrap()]);
    assert!(ok, "{err}");
    let id = out.trim().to_string();
    server.wait_state(&id, "RUNNING");
    std::thread::sleep(Duration::from_millis(3000));
    assert!(server.alive(), "the server exited early:\n{}", server_log());
    server.kill(); // SIGKILL

    let server = start();
    assert!(server.line.contains("1 job(s) resumed"), "{}", server.line);
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let (ok, out, _) = server.jobs(&["show", &id]);
        if ok && out.starts_with("FINISHED") {
            break;
        }
        assert!(
            Instant::now() < deadline && !out.starts_with("FAILED"),
            "the resumed job did not finish: {out}\n{}",
            server_log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    ids::assert_each_once(
        "short-out",
        ids::committed_ids(&broker.addr, "short-out"),
        SHORT,
        &server_log,
    );
    drop(server);
    broker.kill();
}
