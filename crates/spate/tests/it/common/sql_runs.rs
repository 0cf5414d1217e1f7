//! `spate sql -f` jobs that crash tests kill and restart: each run's stderr in `job-N.log`
//! beside the script, the checkpoints in `checkpoints/` of the same directory.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::word_windows::KillTimes;

/// Starts run `run` of `script` (written to `dir/job.sql`) with `args` after it.
pub fn start(script: &str, dir: &Path, run: usize, args: &[&str]) -> Child {
    let log = File::create(dir.join(format!("job-{run}.log"))).unwrap();
    let sql = dir.join("job.sql");
    std::fs::write(&sql, script).unwrap();
    Command::new(env!("CARGO_BIN_EXE_spate"))
        .arg("sql")
        .arg("-f")
        .arg(&sql)
        .args(args)
        .arg("--checkpoint-dir")
        .arg(dir.join("checkpoints"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(log))
        .spawn()
        .unwrap()
}

/// What run `run` wrote to stderr.
pub fn log(dir: &Path, run: usize) -> String {
    std::fs::read_to_string(dir.join(format!("job-{run}.log"))).unwrap_or_default()
}

/// Runs 0, 1 and 2, each SIGKILLed 1.5–3 s after it starts (`start(run)` starts one); a run
/// that exits by itself first fails the test with its log.
pub fn kill_three_runs(dir: &Path, kill_times: &mut KillTimes, start: impl Fn(usize) -> Child) {
    for run in 0..3 {
        let mut job = start(run);
        std::thread::sleep(Duration::from_millis(1500 + kill_times.below(1500)));
        if let Some(status) = job.try_wait().unwrap() {
            panic!("job run {run} exited early ({status}):\n{}", log(dir, run));
        }
        job.kill().unwrap(); // SIGKILL
        job.wait().unwrap();
    }
}

/// Waits (at most 120 s) until `done()`, then stops run `run` with SIGTERM, which must stop
/// it cleanly.
pub fn finish(job: &mut Child, dir: &Path, run: usize, done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        if let Some(status) = job.try_wait().unwrap() {
            panic!("final job run exited ({status}):\n{}", log(dir, run));
        }
        if done() {
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
        log(dir, run)
    );
}

/// The highest completed checkpoint (`chk-<id>/_metadata`) under `root`.
pub fn last_checkpoint(root: &Path) -> Option<u64> {
    let mut last = None;
    let mut todo: Vec<PathBuf> = vec![root.to_path_buf()];
    while let Some(dir) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                let id = path
                    .file_name()
                    .and_then(|n| n.to_str()?.strip_prefix("chk-")?.parse::<u64>().ok());
                if let Some(id) = id
                    && path.join("_metadata").exists()
                {
                    last = last.max(Some(id));
                }
                todo.push(path);
            }
        }
    }
    last
}

/// Waits (at most 60 s) until run `run` completed a checkpoint of its own (under
/// `dir/checkpoints`) and the producer has sent at least `rows` rows (`produced` counts them),
/// then SIGKILLs it `extra_ms` later.
pub fn kill_after_checkpoint(
    job: &mut Child,
    dir: &Path,
    run: usize,
    produced: &AtomicU64,
    rows: u64,
    extra_ms: u64,
) {
    let checkpoints = dir.join("checkpoints");
    let started = Instant::now();
    let before = last_checkpoint(&checkpoints);
    let deadline = Instant::now() + Duration::from_secs(60);
    while last_checkpoint(&checkpoints) <= before || produced.load(Ordering::Relaxed) < rows {
        if let Some(status) = job.try_wait().unwrap() {
            panic!("job run {run} exited early ({status}):\n{}", log(dir, run));
        }
        assert!(
            Instant::now() < deadline,
            "run {run}: no checkpoint completed:\n{}",
            log(dir, run)
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(extra_ms));
    eprintln!(
        "run {run}: SIGKILL {:?} after its start, after checkpoint {:?}, {} rows produced",
        started.elapsed(),
        last_checkpoint(&checkpoints),
        produced.load(Ordering::Relaxed)
    );
    job.kill().unwrap(); // SIGKILL
    job.wait().unwrap();
}

/// Creates each topic of `names` with `partitions` partitions through `spate topics create`.
pub fn create_topics(addr: &str, names: &[&str], partitions: i32) {
    for topic in names {
        let status = Command::new(env!("CARGO_BIN_EXE_spate"))
            .args(["topics", "create", "--bootstrap", addr, "--partitions"])
            .arg(partitions.to_string())
            .arg(topic)
            .status()
            .unwrap();
        assert!(status.success(), "create {topic}");
    }
}

/// A committed record's key and value (`None`: absent, a tombstone's value).
pub type KeyValue = (Option<Vec<u8>>, Option<Vec<u8>>);

/// Every committed record of partitions `0..partitions` of `topic`, read with read_committed
/// to each partition's end (within 30 s); each partition's records in offset order.
pub fn committed_records(addr: &str, topic: &str, partitions: i32) -> Vec<KeyValue> {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    use rdkafka::message::Message;
    use rdkafka::{ClientConfig, Offset, TopicPartitionList};
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", addr)
        .set("group.id", format!("{topic}-check"))
        .set("enable.auto.commit", "false")
        .set("isolation.level", "read_committed")
        .set("enable.partition.eof", "true")
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions {
        tpl.add_partition_offset(topic, p, Offset::Beginning).unwrap();
    }
    consumer.assign(&tpl).unwrap();
    let mut out = Vec::new();
    let mut eof = 0;
    let deadline = Instant::now() + Duration::from_secs(30);
    while eof < partitions && Instant::now() < deadline {
        match consumer.poll(Duration::from_millis(200)) {
            Some(Ok(m)) => out.push((m.key().map(<[u8]>::to_vec), m.payload().map(<[u8]>::to_vec))),
            Some(Err(rdkafka::error::KafkaError::PartitionEOF(_))) => eof += 1,
            Some(Err(e)) => panic!("{e}"),
            None => {}
        }
    }
    assert_eq!(eof, partitions, "read {topic} to its end within 30 s");
    out
}
