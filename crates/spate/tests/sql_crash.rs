//! Crash test of a SQL job: `spate sql -f` running a Flink SQL script that reads a Kafka topic
//! a producer keeps writing to, counts words per 1 s tumbling window and writes the counts to a
//! Kafka table with `'sink.delivery-guarantee' = 'exactly-once'`. The job is killed with SIGKILL
//! three times at random moments and restarted with the same checkpoint directory; the output
//! topic read with read_committed must then hold every (word, window) exactly once with the
//! count computed here from the input.
//!
//! The broker is a separate `spate broker` process, so only the job dies.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "common/word_windows.rs"]
mod word_windows;

use std::fs::File;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::Broker;
use word_windows::KillTimes;

/// Topics `sql-in`/`sql-out`, group and transactional ids `sql-crash`.
const PREFIX: &str = "sql";

fn start_job(addr: &str, dir: &Path, run: usize) -> Child {
    let log = File::create(dir.join(format!("job-{run}.log"))).unwrap();
    let sql = dir.join("job.sql");
    std::fs::write(&sql, word_windows::script(PREFIX, addr)).unwrap();
    Command::new(env!("CARGO_BIN_EXE_spate"))
        .arg("sql")
        .arg("-f")
        .arg(&sql)
        .args(["--bootstrap", addr])
        .arg("--checkpoint-dir")
        .arg(dir.join("checkpoints"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(log))
        .spawn()
        .unwrap()
}

fn job_log(dir: &Path, run: usize) -> String {
    std::fs::read_to_string(dir.join(format!("job-{run}.log"))).unwrap_or_default()
}

#[test]
fn sql_job_exactly_once_survives_three_sigkills() {
    let dir = tempfile::tempdir().unwrap();
    let mut broker = Broker::start(&dir.path().join("broker"), &dir.path().join("broker.log"));
    word_windows::create_topics(&broker.addr, PREFIX);
    let mut kill_times = KillTimes::from_clock();
    let producer = word_windows::produce(broker.addr.clone(), PREFIX);
    for run in 0..3 {
        let mut job = start_job(&broker.addr, dir.path(), run);
        std::thread::sleep(Duration::from_millis(1500 + kill_times.below(1500)));
        if let Some(status) = job.try_wait().unwrap() {
            panic!(
                "job run {run} exited early ({status}):\n{}",
                job_log(dir.path(), run)
            );
        }
        job.kill().unwrap(); // SIGKILL
        job.wait().unwrap();
    }
    producer.join().unwrap();

    // The last run: wait until every expected window is visible, then stop it with SIGTERM.
    let run = 3;
    let mut job = start_job(&broker.addr, dir.path(), run);
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        if let Some(status) = job.try_wait().unwrap() {
            panic!("final job run exited ({status}):\n{}", job_log(dir.path(), run));
        }
        if word_windows::missing_windows(&broker.addr, PREFIX).is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    let _ = Command::new("kill")
        .args(["-TERM", &job.id().to_string()])
        .status();
    let status = job.wait().unwrap();
    assert!(
        status.success(),
        "SIGTERM stops the job cleanly:\n{}",
        job_log(dir.path(), run)
    );

    word_windows::assert_exactly_once(&broker.addr, PREFIX, &|| job_log(dir.path(), run));
    broker.kill();
}
