//! Crash test of a SQL job: `spate sql -f` running a Flink SQL script that reads a Kafka topic
//! a producer keeps writing to, counts words per 1 s tumbling window and writes the counts to a
//! Kafka table with `'sink.delivery-guarantee' = 'exactly-once'`. The job is killed with SIGKILL
//! three times at random moments and restarted with the same checkpoint directory; the output
//! topic read with read_committed must then hold every (word, window) exactly once with the
//! count computed here from the input.
//!
//! The broker is a separate `spate broker` process, so only the job dies.
#![allow(clippy::unwrap_used)]

use crate::common;
use crate::common::{ids, sql_runs, word_windows};

use std::fs::File;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::Broker;
use ids::{assert_each_once, committed_ids};
use word_windows::KillTimes;

/// Topics `sql-in`/`sql-out`, group and transactional ids `sql-crash`.
const PREFIX: &str = "sql";

fn start_job(addr: &str, dir: &Path, run: usize) -> Child {
    sql_runs::start(
        &word_windows::script(PREFIX, addr),
        dir,
        run,
        &["--bootstrap", addr],
    )
}

#[test]
fn sql_job_exactly_once_survives_three_sigkills() {
    let dir = tempfile::tempdir().unwrap();
    let mut broker = Broker::start(&dir.path().join("broker"), &dir.path().join("broker.log"));
    word_windows::create_topics(&broker.addr, PREFIX);
    let mut kill_times = KillTimes::from_clock();
    let producer = word_windows::produce(broker.addr.clone(), PREFIX);
    sql_runs::kill_three_runs(dir.path(), &mut kill_times, |run| {
        start_job(&broker.addr, dir.path(), run)
    });
    producer.join().unwrap();

    // The last run: wait until every expected window is visible, then stop it with SIGTERM.
    let run = 3;
    let mut job = start_job(&broker.addr, dir.path(), run);
    sql_runs::finish(&mut job, dir.path(), run, || {
        word_windows::missing_windows(&broker.addr, PREFIX).is_empty()
    });
    word_windows::assert_exactly_once(&broker.addr, PREFIX, &|| sql_runs::log(dir.path(), run));
    broker.kill();
}

fn spawn_sql(script: &Path, addr: &str, checkpoints: &Path, log: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_spate"))
        .arg("sql")
        .arg("-f")
        .arg(script)
        .args(["--bootstrap", addr])
        .arg("--checkpoint-dir")
        .arg(checkpoints)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(File::create(log).unwrap()))
        .spawn()
        .unwrap()
}

/// Waits for `child` to exit (at most `limit`), killing it on time-out.
fn wait_exit(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

/// Issue 39: a datagen sequence into an exactly-once Kafka table while the broker is paused
/// (SIGSTOP) for longer than the producer's delivery timeout. The sink's pre-commit at the
/// checkpoint then fails; the job must fail and restart from its last completed checkpoint —
/// not go on with the next checkpoint past the lost transaction — so that after the broker
/// resumes the output holds every id exactly once.
#[test]
fn a_pre_commit_that_fails_while_the_broker_is_paused_loses_nothing() {
    const COUNT: u64 = 12_000;
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(&dir.path().join("broker"), &dir.path().join("broker.log"));
    let script = dir.path().join("job.sql");
    std::fs::write(
        &script,
        format!(
            "SET 'execution.checkpointing.interval' = '300ms';
SET 'parallelism.default' = '2';
SET 'restart-strategy.type' = 'fixed-delay';
SET 'restart-strategy.fixed-delay.attempts' = '1000';
SET 'restart-strategy.fixed-delay.delay' = '500ms';
CREATE TABLE ids (id BIGINT) WITH (
  'connector' = 'datagen',
  'fields.id.kind' = 'sequence',
  'fields.id.start' = '0',
  'fields.id.end' = '{}',
  'rows-per-second' = '1500'
);
CREATE TABLE out (id BIGINT) WITH (
  'connector' = 'kafka',
  'topic' = 'paused-out',
  'properties.bootstrap.servers' = '{}',
  'properties.delivery.timeout.ms' = '2000',
  'properties.request.timeout.ms' = '1000',
  'format' = 'json',
  'sink.delivery-guarantee' = 'exactly-once',
  'sink.transactional-id-prefix' = 'paused'
);
INSERT INTO out SELECT id FROM ids;
",
            COUNT - 1,
            broker.addr
        ),
    )
    .unwrap();
    let log_path = dir.path().join("job.log");
    let log = || std::fs::read_to_string(&log_path).unwrap_or_default();
    let mut job = spawn_sql(&script, &broker.addr, &dir.path().join("checkpoints"), &log_path);
    std::thread::sleep(Duration::from_millis(2500));
    assert!(
        job.try_wait().unwrap().is_none(),
        "the job ended early:\n{}",
        log()
    );
    broker.signal("STOP");
    std::thread::sleep(Duration::from_secs(6));
    broker.signal("CONT");
    let status = wait_exit(&mut job, Duration::from_secs(120));
    assert!(
        status.is_some_and(|s| s.success()),
        "the job ends after the broker resumed ({status:?}):\n{}",
        log()
    );
    assert!(
        log().contains("pre-commit failed") || log().contains("restarting"),
        "the pause made a pre-commit fail and the job restart:\n{}",
        log()
    );
    assert_each_once(
        "paused-out",
        committed_ids(&broker.addr, "paused-out"),
        COUNT,
        &log,
    );
}

/// Issue 39: a bounded statement set in which one branch reaches its end at once while the
/// other runs for seconds. Killed (SIGKILL) before any checkpoint completed and run again,
/// the short branch's output must hold its ids once: its sink may commit only with a
/// checkpoint that covers the end of its input (FLIP-147), not when its input ends.
#[test]
fn a_branch_that_finished_before_a_crash_is_written_once() {
    const SHORT: u64 = 2_000;
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(&dir.path().join("broker"), &dir.path().join("broker.log"));
    let script = dir.path().join("job.sql");
    std::fs::write(&script, ids::short_and_slow_branches(SHORT, &broker.addr)).unwrap();
    let checkpoints = dir.path().join("checkpoints");
    let first_log = dir.path().join("job-0.log");
    let mut job = spawn_sql(&script, &broker.addr, &checkpoints, &first_log);
    std::thread::sleep(Duration::from_millis(3000));
    assert!(
        job.try_wait().unwrap().is_none(),
        "the job ended early:\n{}",
        std::fs::read_to_string(&first_log).unwrap_or_default()
    );
    job.kill().unwrap();
    job.wait().unwrap();
    let log_path = dir.path().join("job-1.log");
    let log = || std::fs::read_to_string(&log_path).unwrap_or_default();
    let mut job = spawn_sql(&script, &broker.addr, &checkpoints, &log_path);
    let status = wait_exit(&mut job, Duration::from_secs(120));
    assert!(
        status.is_some_and(|s| s.success()),
        "the re-run ends ({status:?}):\n{}",
        log()
    );
    assert_each_once("short-out", committed_ids(&broker.addr, "short-out"), SHORT, &log);
}
