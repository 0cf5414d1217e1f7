//! Crash test of a whole pipeline: `spate example word-count` reading a Kafka topic that a
//! producer keeps writing to, killed with SIGKILL at random moments three times and restarted
//! each time with the same checkpoint directory. The output topic, read with read_committed,
//! must then hold exactly the counts computed here from the input: every (word, window) once,
//! with the right count (exactly-once), or at least once with the right count (at-least-once).
//!
//! The broker is a separate `spate broker` process, so only the job dies. The job reads through
//! Spate's protocol fetcher (what `auto` picks for a broker in another process) and, in one
//! test, through librdkafka.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::Broker;
use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{BaseRecord, Producer, ThreadedProducer};
use rdkafka::{Offset, TopicPartitionList};

const PARTITIONS: i32 = 4;
const LINES: u64 = 60_000;
/// Lines per second the producer writes (so the job runs while input keeps arriving).
const LINES_PER_SEC: u64 = 8_000;
const WINDOW_MS: i64 = 1_000;
const WORDS: &[&str] = &[
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
];

/// SplitMix64, seeded from the clock (printed, so a failure can be replayed).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Line `i`: 1–4 words, event time `base + i` ms (deterministic in `i`).
fn line(i: u64) -> String {
    let mut r = Rng(i.wrapping_mul(0x2545_f491_4f6c_dd1d));
    let n = 1 + r.below(4);
    (0..n)
        .map(|_| WORDS[r.below(WORDS.len() as u64) as usize])
        .collect::<Vec<_>>()
        .join(" ")
}

fn expected(base: i64) -> BTreeMap<(String, i64), u64> {
    let mut m = BTreeMap::new();
    for i in 0..LINES {
        let ts = base + i as i64;
        let start = ts - ts.rem_euclid(WINDOW_MS);
        for w in line(i).split_whitespace() {
            *m.entry((w.to_string(), start)).or_default() += 1;
        }
    }
    m
}

fn create_topics(addr: &str) {
    let status = Command::new(env!("CARGO_BIN_EXE_spate"))
        .args([
            "topics",
            "create",
            "--bootstrap",
            addr,
            "--partitions",
            &PARTITIONS.to_string(),
            "wc-in",
        ])
        .status()
        .unwrap();
    assert!(status.success());
    let status = Command::new(env!("CARGO_BIN_EXE_spate"))
        .args([
            "topics",
            "create",
            "--bootstrap",
            addr,
            "--partitions",
            &PARTITIONS.to_string(),
            "wc-out",
        ])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Writes every line at `LINES_PER_SEC`, then one empty "flush" record far in the future on
/// every partition so that every window's watermark passes (the records carry no words).
fn produce(addr: String, base: i64) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let producer: ThreadedProducer<_> = ClientConfig::new()
            .set("bootstrap.servers", &addr)
            .set("enable.idempotence", "true")
            .set("linger.ms", "5")
            .create()
            .unwrap();
        let started = Instant::now();
        for i in 0..LINES {
            let due = Duration::from_micros(i * 1_000_000 / LINES_PER_SEC);
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                std::thread::sleep(wait);
            }
            let value = line(i);
            let record = BaseRecord::<(), str>::to("wc-in")
                .payload(value.as_str())
                .partition((i % PARTITIONS as u64) as i32)
                .timestamp(base + i as i64);
            let mut record = record;
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
        for p in 0..PARTITIONS {
            let r = BaseRecord::<(), str>::to("wc-in")
                .payload("")
                .partition(p)
                .timestamp(base + LINES as i64 + 3_600_000);
            producer.send(r).map_err(|(e, _)| e).unwrap();
        }
        producer.flush(Duration::from_secs(30)).unwrap();
    })
}

/// How the job reads its input: `auto` (the fetcher, from this separate broker) or `client`.
#[derive(Clone, Copy)]
struct Job<'a> {
    delivery: &'a str,
    source_path: &'a str,
}

fn start_job(addr: &str, dir: &Path, job: Job<'_>, run: usize, parallelism: usize) -> Child {
    let log = File::create(dir.join(format!("job-{run}.log"))).unwrap();
    Command::new(env!("CARGO_BIN_EXE_spate"))
        .args([
            "example",
            "word-count",
            "--bootstrap",
            addr,
            "--input",
            "wc-in",
            "--output",
            "wc-out",
        ])
        .arg("--checkpoint-dir")
        .arg(dir.join("checkpoints"))
        .args(["--checkpoint-interval", "500ms", "--delivery", job.delivery])
        .args(["--source-path", job.source_path])
        .args(["--parallelism", &parallelism.to_string()])
        .args(["--window", "1s", "--restart-attempts", "0"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(log))
        .spawn()
        .unwrap()
}

/// Every value of `wc-out` as a read_committed consumer sees it.
fn read_output(addr: &str) -> Vec<(String, i64, u64)> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", addr)
        .set("group.id", "wc-check")
        .set("enable.auto.commit", "false")
        .set("isolation.level", "read_committed")
        .set("enable.partition.eof", "true")
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    for p in 0..PARTITIONS {
        tpl.add_partition_offset("wc-out", p, Offset::Beginning).unwrap();
    }
    consumer.assign(&tpl).unwrap();
    let mut out = Vec::new();
    let mut eof = 0;
    let deadline = Instant::now() + Duration::from_secs(30);
    while eof < PARTITIONS && Instant::now() < deadline {
        match consumer.poll(Duration::from_millis(200)) {
            Some(Ok(m)) => {
                let v: serde_json::Value = serde_json::from_slice(m.payload().unwrap()).unwrap();
                let word = v["word"].as_str().unwrap().to_string();
                assert_eq!(m.key().unwrap(), word.as_bytes(), "keyed by the word");
                let start = v["window_start"].as_i64().unwrap();
                assert_eq!(v["window_end"].as_i64().unwrap(), start + WINDOW_MS);
                out.push((word, start, v["count"].as_u64().unwrap()));
            }
            Some(Err(rdkafka::error::KafkaError::PartitionEOF(_))) => eof += 1,
            Some(Err(e)) => panic!("{e}"),
            None => {}
        }
    }
    out
}

fn job_log(dir: &Path, run: usize) -> String {
    std::fs::read_to_string(dir.join(format!("job-{run}.log"))).unwrap_or_default()
}

/// How the job is interrupted before its last run.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Interruptions {
    /// SIGKILL three times at random moments, parallelism 2 throughout.
    Kills,
    /// SIGTERM (stop with savepoint) at parallelism 2, then resume at parallelism 3.
    SavepointRescale,
}

fn sigterm(job: &mut Child) -> std::process::ExitStatus {
    let _ = Command::new("kill")
        .args(["-TERM", &job.id().to_string()])
        .status();
    job.wait().unwrap()
}

fn crash_and_recover(job_kind: Job<'_>, interruptions: Interruptions) {
    let delivery = job_kind.delivery;
    let dir = tempfile::tempdir().unwrap();
    let mut broker = Broker::start(&dir.path().join("broker"), &dir.path().join("broker.log"));
    create_topics(&broker.addr);
    let base = 1_700_000_000_000i64;
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    eprintln!("kill-time seed {seed}");
    let mut rng = Rng(seed);
    let producer = produce(broker.addr.clone(), base);

    let mut run = 0;
    let interrupts = if interruptions == Interruptions::Kills {
        3
    } else {
        1
    };
    while run < interrupts {
        let mut job = start_job(&broker.addr, dir.path(), job_kind, run, 2);
        std::thread::sleep(Duration::from_millis(800 + rng.below(1700)));
        if let Some(status) = job.try_wait().unwrap() {
            panic!(
                "job run {run} exited early ({status}):\n{}",
                job_log(dir.path(), run)
            );
        }
        if interruptions == Interruptions::Kills {
            job.kill().unwrap(); // SIGKILL
            job.wait().unwrap();
        } else {
            let status = sigterm(&mut job);
            assert!(
                status.success(),
                "stop with savepoint:\n{}",
                job_log(dir.path(), run)
            );
            let log = job_log(dir.path(), run);
            assert!(
                log.contains("stopped with savepoint"),
                "no savepoint at stop:\n{log}"
            );
        }
        run += 1;
    }
    producer.join().unwrap();
    let final_parallelism = if interruptions == Interruptions::Kills {
        2
    } else {
        3
    };

    // The last run: wait until every expected window is visible, then stop it with SIGTERM.
    let want = expected(base);
    let mut job = start_job(&broker.addr, dir.path(), job_kind, run, final_parallelism);
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        if let Some(status) = job.try_wait().unwrap() {
            panic!("final job run exited ({status}):\n{}", job_log(dir.path(), run));
        }
        let got = read_output(&broker.addr);
        let seen: std::collections::BTreeSet<_> = got.iter().map(|(w, s, _)| (w.clone(), *s)).collect();
        if want.keys().all(|k| seen.contains(k)) {
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    let status = sigterm(&mut job);
    assert!(
        status.success(),
        "SIGTERM stops the job cleanly:\n{}",
        job_log(dir.path(), run)
    );
    // Read again after the stop (its savepoint commits what was pending).
    let got = read_output(&broker.addr);

    let mut counts: BTreeMap<(String, i64), Vec<u64>> = BTreeMap::new();
    for (w, s, c) in got {
        counts.entry((w, s)).or_default().push(c);
    }
    let missing: Vec<_> = want.keys().filter(|k| !counts.contains_key(*k)).take(5).collect();
    assert!(
        missing.is_empty(),
        "{delivery}: windows missing, e.g. {missing:?}"
    );
    for (k, n) in &want {
        let seen = &counts[k];
        assert!(
            seen.iter().all(|c| c == n),
            "{delivery}: {k:?} counted {seen:?}, expected {n}"
        );
        if delivery == "exactly-once" {
            assert_eq!(seen.len(), 1, "{k:?} emitted {} times", seen.len());
        }
    }
    assert_eq!(
        counts.len(),
        want.len(),
        "no windows that the input does not have"
    );
    broker.kill();
}

const EXACTLY_ONCE: Job<'static> = Job {
    delivery: "exactly-once",
    source_path: "auto",
};

#[test]
fn word_count_exactly_once_survives_three_sigkills() {
    crash_and_recover(EXACTLY_ONCE, Interruptions::Kills);
}

#[test]
fn word_count_exactly_once_survives_three_sigkills_reading_through_librdkafka() {
    let job = Job {
        source_path: "client",
        ..EXACTLY_ONCE
    };
    crash_and_recover(job, Interruptions::Kills);
}

#[test]
fn word_count_savepoint_at_parallelism_2_resumes_exactly_at_3() {
    crash_and_recover(EXACTLY_ONCE, Interruptions::SavepointRescale);
}

#[test]
fn word_count_at_least_once_loses_nothing_across_three_sigkills() {
    let job = Job {
        delivery: "at-least-once",
        ..EXACTLY_ONCE
    };
    crash_and_recover(job, Interruptions::Kills);
}
