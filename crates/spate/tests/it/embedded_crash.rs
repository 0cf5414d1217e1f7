//! Crash test of the README's main use case in one process: `spate sql -f` with the EMBEDDED
//! broker (persistent `--data-dir`) running a job that copies a Kafka topic into another with
//! `'sink.delivery-guarantee' = 'exactly-once'`. The whole process (broker and job together) is
//! killed with SIGKILL five times and restarted on the same data and checkpoint directories;
//! some kills come right after a checkpoint completes (between the checkpoint and the commit of
//! its transactions, which the restored job must commit on a broker that restarted too), the
//! others at random moments. Read with read_committed, the output must hold every input record
//! exactly once.
//!
//! The input arrives while each run is up (the embedded broker's port changes on every start,
//! so the test reads it from the job's log), in one chunk per run, acknowledged before the
//! kill, so the expected output is known exactly.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::Broker;
use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{BaseRecord, Producer, ThreadedProducer};
use rdkafka::{Offset, TopicPartitionList};

const PARTITIONS: i32 = 2;
const KILLS: usize = 5;
/// Input records produced during each run (the last run included).
const CHUNK: u64 = 6_000;
const RECORDS_PER_SEC: u64 = 6_000;

const SCRIPT: &str = "SET 'execution.checkpointing.interval' = '300ms';
SET 'parallelism.default' = '2';
CREATE TABLE src (
  id BIGINT,
  word STRING
) WITH (
  'connector' = 'kafka',
  'topic' = 'emb-in',
  'properties.group.id' = 'emb-crash',
  'scan.startup.mode' = 'earliest-offset',
  'format' = 'json'
);
CREATE TABLE dst (
  id BIGINT,
  word STRING
) WITH (
  'connector' = 'kafka',
  'topic' = 'emb-out',
  'format' = 'json',
  'sink.delivery-guarantee' = 'exactly-once',
  'sink.transactional-id-prefix' = 'emb-crash'
);
INSERT INTO dst SELECT id, UPPER(word) FROM src;
";

fn word(id: u64) -> String {
    format!("w{}", id % 97)
}

/// Creates the topics in the data directory with a `spate broker` on it, then stops it, so the
/// job (which reads and writes them) starts on topics that exist.
fn create_topics(dir: &Path, data_dir: &Path) {
    let mut broker = Broker::start(data_dir, &dir.join("setup-broker.log"));
    for topic in ["emb-in", "emb-out"] {
        let status = Command::new(env!("CARGO_BIN_EXE_spate"))
            .args(["topics", "create", "--bootstrap", &broker.addr, "--partitions"])
            .arg(PARTITIONS.to_string())
            .arg(topic)
            .status()
            .unwrap();
        assert!(status.success());
    }
    broker.kill();
}

fn log_path(dir: &Path, run: usize) -> PathBuf {
    dir.join(format!("job-{run}.log"))
}

fn job_log(dir: &Path, run: usize) -> String {
    std::fs::read_to_string(log_path(dir, run)).unwrap_or_default()
}

fn start_job(dir: &Path, data_dir: &Path, run: usize) -> Child {
    let log = File::create(log_path(dir, run)).unwrap();
    let sql = dir.join("job.sql");
    std::fs::write(&sql, SCRIPT).unwrap();
    Command::new(env!("CARGO_BIN_EXE_spate"))
        .arg("sql")
        .arg("-f")
        .arg(&sql)
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--checkpoint-dir")
        .arg(dir.join("checkpoints"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(log))
        .spawn()
        .unwrap()
}

/// The embedded broker's address, from the job's start-up line.
fn embedded_bootstrap(dir: &Path, run: usize, job: &mut Child) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let log = job_log(dir, run);
        let addr = log
            .lines()
            .find_map(|l| l.strip_prefix("embedded broker on "))
            .and_then(|rest| rest.split_whitespace().next());
        if let Some(addr) = addr {
            return addr.to_string();
        }
        if let Some(status) = job.try_wait().unwrap() {
            panic!("job run {run} exited ({status}) before its broker started:\n{log}");
        }
        assert!(Instant::now() < deadline, "no embedded broker line:\n{log}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Produces ids `first..first + CHUNK` at `RECORDS_PER_SEC` and waits until every one is
/// acknowledged (acks=all), so a kill after it cannot lose or duplicate input. The broker is
/// in the job's process: if that died, the job's log says why.
fn produce_chunk(bootstrap: &str, first: u64, job: &mut Child, dir: &Path, run: usize) {
    let producer: ThreadedProducer<_> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("enable.idempotence", "true")
        .set("linger.ms", "5")
        .create()
        .unwrap();
    let started = Instant::now();
    for i in 0..CHUNK {
        let due = Duration::from_micros(i * 1_000_000 / RECORDS_PER_SEC);
        if let Some(wait) = due.checked_sub(started.elapsed()) {
            std::thread::sleep(wait);
        }
        let id = first + i;
        let value = format!("{{\"id\":{id},\"word\":\"{}\"}}", word(id));
        let mut record = BaseRecord::<(), String>::to("emb-in")
            .payload(&value)
            .partition((id % PARTITIONS as u64) as i32);
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((_, r)) => {
                    record = r;
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
        }
    }
    if let Err(e) = producer.flush(Duration::from_secs(30)) {
        let status = job.try_wait().unwrap();
        panic!(
            "input not acknowledged ({e}); job run {run} status {status:?}, its log:\n{}",
            job_log(dir, run)
        );
    }
}

/// Every completed checkpoint (`chk-<id>/_metadata`) under `root`.
fn completed_checkpoints(root: &Path) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(dir) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                todo.push(path);
            } else if path.file_name().is_some_and(|n| n == "_metadata") {
                out.insert(path);
            }
        }
    }
    out
}

/// Waits (up to 20 s) for a checkpoint that was not complete before, then returns at once:
/// the moment its transactions are being committed.
fn wait_for_new_checkpoint(root: &Path, job: &mut Child, dir: &Path, run: usize) {
    let before = completed_checkpoints(root);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if completed_checkpoints(root).difference(&before).next().is_some() {
            return;
        }
        if let Some(status) = job.try_wait().unwrap() {
            panic!("job run {run} exited ({status}):\n{}", job_log(dir, run));
        }
        assert!(
            Instant::now() < deadline,
            "no checkpoint completed:\n{}",
            job_log(dir, run)
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Every record of `emb-out` as a read_committed consumer sees it: id -> (word, times seen).
fn read_output(bootstrap: &str) -> BTreeMap<u64, (String, usize)> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", "emb-crash-check")
        .set("enable.auto.commit", "false")
        .set("isolation.level", "read_committed")
        .set("enable.partition.eof", "true")
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    for p in 0..PARTITIONS {
        tpl.add_partition_offset("emb-out", p, Offset::Beginning).unwrap();
    }
    consumer.assign(&tpl).unwrap();
    let mut out: BTreeMap<u64, (String, usize)> = BTreeMap::new();
    let mut eof = BTreeSet::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while eof.len() < PARTITIONS as usize {
        assert!(Instant::now() < deadline, "output not read to its end");
        match consumer.poll(Duration::from_millis(200)) {
            Some(Ok(m)) => {
                eof.remove(&m.partition());
                let v: serde_json::Value = serde_json::from_slice(m.payload().unwrap()).unwrap();
                let entry = out
                    .entry(v["id"].as_u64().unwrap())
                    .or_insert_with(|| (v["word"].as_str().unwrap().to_string(), 0));
                entry.1 += 1;
            }
            Some(Err(rdkafka::error::KafkaError::PartitionEOF(p))) => {
                eof.insert(p);
            }
            Some(Err(e)) => panic!("{e}"),
            None => {}
        }
    }
    out
}

#[test]
fn embedded_broker_and_exactly_once_sink_survive_sigkills_of_the_whole_process() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let checkpoints = dir.path().join("checkpoints");
    create_topics(dir.path(), &data_dir);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    eprintln!("kill-time seed {seed}");
    let mut rng = seed;
    let mut below = |n: u64| {
        rng = rng
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (rng >> 33) % n
    };
    for run in 0..KILLS {
        let mut job = start_job(dir.path(), &data_dir, run);
        let bootstrap = embedded_bootstrap(dir.path(), run, &mut job);
        produce_chunk(&bootstrap, run as u64 * CHUNK, &mut job, dir.path(), run);
        if run % 2 == 0 {
            // Right after a checkpoint completes: its transactions are pre-committed, and their
            // commit is under way or about to be.
            wait_for_new_checkpoint(&checkpoints, &mut job, dir.path(), run);
        } else {
            std::thread::sleep(Duration::from_millis(below(1_000)));
        }
        if let Some(status) = job.try_wait().unwrap() {
            panic!(
                "job run {run} exited early ({status}):\n{}",
                job_log(dir.path(), run)
            );
        }
        job.kill().unwrap(); // SIGKILL: the broker in the process dies with the job.
        job.wait().unwrap();
    }

    // The last run: its input, then wait until every record is visible, then SIGTERM.
    let run = KILLS;
    let total = (KILLS as u64 + 1) * CHUNK;
    let mut job = start_job(dir.path(), &data_dir, run);
    let bootstrap = embedded_bootstrap(dir.path(), run, &mut job);
    produce_chunk(&bootstrap, KILLS as u64 * CHUNK, &mut job, dir.path(), run);
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut output = read_output(&bootstrap);
    while (output.len() as u64) < total {
        if let Some(status) = job.try_wait().unwrap() {
            panic!("final job run exited ({status}):\n{}", job_log(dir.path(), run));
        }
        assert!(
            Instant::now() < deadline,
            "{} of {total} records in the output:\n{}",
            output.len(),
            job_log(dir.path(), run)
        );
        std::thread::sleep(Duration::from_millis(300));
        output = read_output(&bootstrap);
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
    // Everything the job ever committed, read from the data directory by a broker of its own.
    let broker = Broker::start(&data_dir, &dir.path().join("check-broker.log"));
    let output = read_output(&broker.addr);

    let expected: BTreeMap<u64, (String, usize)> =
        (0..total).map(|id| (id, (word(id).to_uppercase(), 1))).collect();
    let wrong: Vec<_> = output
        .iter()
        .filter(|(id, got)| expected.get(id) != Some(got))
        .take(5)
        .collect();
    assert!(
        wrong.is_empty(),
        "records not exactly once as expected, e.g. {wrong:?}"
    );
    assert_eq!(output, expected, "every input record exactly once in the output");
}
