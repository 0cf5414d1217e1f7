//! `spate sql --distributed`: three processes run one script (a windowed and an updating
//! `GROUP BY` over a 12-partition topic) through a `spate broker`; one is killed with SIGKILL
//! mid-run and started again with its instance id. The windows committed and the updating
//! table's final rows (read_committed) equal a single-process run's. `spate jobs group`
//! shows each process owning a third of the tasks, and at the end every source partition
//! committed up to its end by the task that read it. A process stopped with SIGTERM commits
//! where it stopped and, started again, finishes the job exactly once.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::producer::{BaseRecord, Producer, ThreadedProducer};

use crate::common::sql_runs::{committed_records, create_topics};
use crate::common::{Broker, group_status, wait_success};

const PARTITIONS: i32 = 12;
const RECORDS: u64 = 1_500_000;
const WORDS: &[&str] = &["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta"];

/// The script, writing to `{out}-windows` and `{out}-totals`.
fn script(out: &str) -> String {
    format!(
        "SET 'execution.checkpointing.interval' = '300ms';
SET 'parallelism.default' = '3';
CREATE TABLE words (word STRING, ts BIGINT, rt AS TO_TIMESTAMP_LTZ(ts, 3), WATERMARK FOR rt AS rt)
WITH ('connector' = 'kafka', 'topic' = 'words', 'properties.group.id' = '{out}-src',
  'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset', 'format' = 'json');
CREATE TABLE windows (word STRING, window_start TIMESTAMP(3), cnt BIGINT)
WITH ('connector' = 'kafka', 'topic' = '{out}-windows', 'format' = 'json',
  'sink.delivery-guarantee' = 'exactly-once', 'sink.transactional-id-prefix' = '{out}-w');
CREATE TABLE totals (word STRING, cnt BIGINT, PRIMARY KEY (word) NOT ENFORCED)
WITH ('connector' = 'upsert-kafka', 'topic' = '{out}-totals', 'key.format' = 'json',
  'value.format' = 'json', 'sink.delivery-guarantee' = 'exactly-once',
  'sink.transactional-id-prefix' = '{out}-t');
INSERT INTO windows SELECT word, window_start, COUNT(*)
FROM TABLE(TUMBLE(TABLE words, DESCRIPTOR(rt), INTERVAL '1' SECOND))
GROUP BY window_start, window_end, word;
INSERT INTO totals SELECT word, COUNT(*) FROM words GROUP BY word;
"
    )
}

fn produce(addr: &str) {
    let producer: ThreadedProducer<_> = ClientConfig::new()
        .set("bootstrap.servers", addr)
        .set("linger.ms", "20")
        .set("queue.buffering.max.messages", "1000000")
        .create()
        .unwrap();
    for i in 0..RECORDS {
        let word = WORDS[(i.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 33) as usize % WORDS.len()];
        let value = format!("{{\"word\":\"{word}\",\"ts\":{}}}", 1_700_000_000_000 + i as i64);
        let p = (i % PARTITIONS as u64) as i32;
        loop {
            match producer.send(BaseRecord::<(), _>::to("words").payload(&value).partition(p)) {
                Ok(()) => break,
                Err(_) => std::thread::sleep(Duration::from_millis(5)),
            }
        }
    }
    producer.flush(Duration::from_secs(60)).unwrap();
}

fn sql(addr: &str, root: &Path, name: &str, out: &str, extra: &[&str]) -> Child {
    let file = root.join(format!("{out}.sql"));
    std::fs::write(&file, script(out)).unwrap();
    Command::new(env!("CARGO_BIN_EXE_spate"))
        .args(["sql", "--bootstrap", addr, "-f"])
        .arg(&file)
        .arg("--checkpoint-dir")
        .arg(root.join(name))
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(File::create(root.join(format!("{name}.log"))).unwrap())
        .spawn()
        .unwrap()
}

fn member(addr: &str, root: &Path, instance: &str, run: usize) -> Child {
    sql(
        addr,
        root,
        &format!("{instance}-{run}"),
        "dist",
        &[
            "--distributed",
            "words-job",
            "--instance-id",
            instance,
            "--session-timeout",
            "6s",
        ],
    )
}

fn log(root: &Path, name: &str) -> String {
    std::fs::read_to_string(root.join(format!("{name}.log"))).unwrap_or_default()
}

fn wait(child: &mut Child, what: &str, logs: &dyn Fn() -> String) {
    wait_success(child, what, Duration::from_secs(240), logs);
}

fn values(addr: &str, topic: &str, partitions: i32) -> Vec<String> {
    let mut v: Vec<String> = committed_records(addr, topic, partitions)
        .into_iter()
        .map(|(_, value)| String::from_utf8(value.unwrap_or_default()).unwrap())
        .collect();
    v.sort();
    v
}

/// Waits until the group has `members` members that each own the same number of tasks,
/// every task owned; returns the status.
fn wait_balanced(addr: &str, group: &str, members: usize, logs: &dyn Fn() -> String) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let status = group_status(addr, group);
        let owned: Vec<usize> = status["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["tasks"].as_array().unwrap().len())
            .collect();
        let tasks = status["tasks"].as_array().unwrap();
        let all_owned = !tasks.is_empty() && tasks.iter().all(|t| t["owner"].is_string());
        if owned.len() == members && all_owned && owned.iter().all(|&n| n * members == tasks.len()) {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "{group} not balanced: {status:#}\n{}",
            logs()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The committed offsets of the source topic's partitions, from the group's tasks: each
/// partition committed by exactly one task.
fn source_offsets(status: &serde_json::Value) -> BTreeMap<i64, (i64, i64)> {
    let mut out = BTreeMap::new();
    for t in status["tasks"].as_array().unwrap() {
        for i in t["inputs"].as_array().unwrap() {
            if i["topic"] == "words" {
                let partition = i["partition"].as_i64().unwrap();
                let entry = (i["committed"].as_i64().unwrap(), i["end"].as_i64().unwrap());
                assert!(
                    out.insert(partition, entry).is_none(),
                    "{partition} twice: {status:#}"
                );
            }
        }
    }
    out
}

/// The upsert table's final rows: the last value of each key.
fn final_rows(addr: &str, topic: &str, partitions: i32) -> BTreeMap<Vec<u8>, Option<Vec<u8>>> {
    committed_records(addr, topic, partitions)
        .into_iter()
        .map(|(k, v)| (k.unwrap_or_default(), v))
        .collect()
}

/// A broker in `dir` with the input produced and the script run once in a single process
/// (into `single-*`).
fn with_reference_run(dir: &Path) -> Broker {
    let broker = Broker::start(&dir.join("broker"), &dir.join("broker.log"));
    let addr = broker.addr.clone();
    create_topics(&addr, &["words"], PARTITIONS);
    create_topics(
        &addr,
        &["single-windows", "single-totals", "dist-windows", "dist-totals"],
        1,
    );
    produce(&addr);
    let mut single = sql(&addr, dir, "single", "single", &[]);
    wait(&mut single, "the single-process run", &|| log(dir, "single"));
    broker
}

#[test]
fn three_processes_run_a_script_through_a_kill_exactly_once() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path();
    let broker = with_reference_run(dir);
    let addr = broker.addr.clone();

    let logs = || {
        ["p1-1", "p2-1", "p3-1", "p3-2"]
            .iter()
            .map(|n| format!("{n}:\n{}", log(dir, n)))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let mut p1 = member(&addr, dir, "p1", 1);
    let mut p2 = member(&addr, dir, "p2", 1);
    let mut p3 = member(&addr, dir, "p3", 1);
    let deadline = Instant::now() + Duration::from_secs(60);
    while !log(dir, "p3-1").contains("tasks assigned") {
        assert!(Instant::now() < deadline, "p3 got no tasks\n{}", logs());
        std::thread::sleep(Duration::from_millis(20));
    }
    // Six tasks per job (a source stage and an aggregating stage at parallelism 3): two each.
    for group in ["words-job", "words-job-2"] {
        let status = wait_balanced(&addr, group, 3, &logs);
        assert_eq!(status["tasks"].as_array().unwrap().len(), 6, "{status:#}");
        assert_eq!(status["protocol"], "spate-tasks");
    }
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        p3.try_wait().unwrap().is_none(),
        "p3 finished before the kill\n{}",
        logs()
    );
    p3.kill().unwrap();
    p3.wait().unwrap();
    let mut p3_again = member(&addr, dir, "p3", 2);
    wait(&mut p1, "p1", &logs);
    wait(&mut p2, "p2", &logs);
    wait(&mut p3_again, "p3 restarted", &logs);

    let expected = values(&addr, "single-windows", 1);
    assert!(expected.len() > 100, "{} windows", expected.len());
    let got = values(&addr, "dist-windows", 1);
    assert!(
        got == expected,
        "{} windows committed, {} expected\n{}",
        got.len(),
        expected.len(),
        logs()
    );
    // Every source partition committed to its end, once, under both jobs' groups.
    for group in ["words-job", "words-job-2"] {
        let status = group_status(&addr, group);
        let offsets = source_offsets(&status);
        assert_eq!(offsets.len(), PARTITIONS as usize, "{status:#}");
        assert!(
            offsets.values().all(|(committed, end)| committed == end),
            "{status:#}"
        );
        let total: i64 = offsets.values().map(|(committed, _)| committed).sum();
        assert_eq!(total, RECORDS as i64, "{status:#}");
    }
    let expected = final_rows(&addr, "single-totals", 1);
    assert_eq!(expected.len(), WORDS.len());
    assert_eq!(final_rows(&addr, "dist-totals", 1), expected, "{}", logs());
}

#[test]
fn a_process_stopped_with_sigterm_commits_and_resumes_exactly_once() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path();
    let broker = with_reference_run(dir);
    let addr = broker.addr.clone();

    let logs = || format!("run 1:\n{}\nrun 2:\n{}", log(dir, "p-1"), log(dir, "p-2"));
    let process = |run: usize| {
        sql(
            &addr,
            dir,
            &format!("p-{run}"),
            "dist",
            &["--distributed", "words-job", "--session-timeout", "6s"],
        )
    };
    let mut first = process(1);
    // Stopped once it committed a checkpoint of the first INSERT, long before its end.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let status = group_status(&addr, "words-job");
        let tasks = status["tasks"].as_array().unwrap();
        if !tasks.is_empty() && tasks.iter().all(|t| t["checkpoint"].as_u64() > Some(1)) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no checkpoint committed: {status:#}\n{}",
            logs()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let term = Command::new("kill")
        .args(["-TERM", &first.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    wait(&mut first, "the process stopped with SIGTERM", &logs);
    let read: i64 = source_offsets(&group_status(&addr, "words-job"))
        .values()
        .map(|(committed, _)| committed)
        .sum();
    assert!(
        0 < read && read < RECORDS as i64,
        "{read} of {RECORDS} records committed at the stop\n{}",
        logs()
    );
    let mut second = process(2);
    wait(&mut second, "the process started again", &logs);

    assert_eq!(
        values(&addr, "dist-windows", 1),
        values(&addr, "single-windows", 1),
        "{}",
        logs()
    );
    assert_eq!(
        final_rows(&addr, "dist-totals", 1),
        final_rows(&addr, "single-totals", 1),
        "{}",
        logs()
    );
}

const SASL_JAAS: &str = r#"org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="adm1n-pw";"#;

fn sasl_client(addr: &str) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", addr)
        .set("security.protocol", "SASL_PLAINTEXT")
        .set("sasl.mechanism", "PLAIN")
        .set("sasl.username", "admin")
        .set("sasl.password", "adm1n-pw");
    c
}

#[test]
fn a_distributed_script_reaches_a_sasl_listener_with_distributed_config() {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    use rdkafka::message::Message;

    let root = tempfile::tempdir().unwrap();
    let dir = root.path();
    let data = dir.join("broker");
    let mut add = Command::new(env!("CARGO_BIN_EXE_spate"))
        .args(["users", "add", "admin", "--password-stdin", "--data-dir"])
        .arg(&data)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    crate::common::feed_stdin(&mut add, b"adm1n-pw\n");
    assert!(add.wait().unwrap().success());
    let broker = Broker::start_with_args(
        &data,
        &dir.join("broker.log"),
        &[
            "--listener",
            "SASL_PLAINTEXT://127.0.0.1:0",
            "--set",
            "super.users=User:admin",
        ],
    );
    let addr = broker.addr.clone();
    let created = Command::new(env!("CARGO_BIN_EXE_spate"))
        .args([
            "topics",
            "create",
            "sasl-words",
            "--partitions",
            "4",
            "--bootstrap",
            &addr,
        ])
        .args([
            "-X",
            "security.protocol=SASL_PLAINTEXT",
            "-X",
            "sasl.mechanism=PLAIN",
        ])
        .args(["-X", "sasl.username=admin", "-X", "sasl.password=adm1n-pw"])
        .status()
        .unwrap();
    assert!(created.success());
    let producer: ThreadedProducer<_> = sasl_client(&addr).set("linger.ms", "20").create().unwrap();
    let mut expected: BTreeMap<String, i64> = BTreeMap::new();
    for i in 0..20_000u64 {
        let word = WORDS[(i.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 33) as usize % WORDS.len()];
        *expected.entry(word.to_string()).or_default() += 1;
        let value = format!("{{\"word\":\"{word}\",\"ts\":{}}}", 1_700_000_000_000 + i as i64);
        let record = BaseRecord::<(), _>::to("sasl-words")
            .payload(&value)
            .partition((i % 4) as i32);
        producer.send(record).map_err(|(e, _)| e).unwrap();
    }
    producer.flush(Duration::from_secs(60)).unwrap();

    let table = |extra: &str| {
        format!(
            "'properties.security.protocol' = 'SASL_PLAINTEXT', 'properties.sasl.mechanism' = 'PLAIN',
  'properties.sasl.jaas.config' = '{}'{extra}",
            SASL_JAAS.replace('\'', "''")
        )
    };
    let script = format!(
        "SET 'execution.checkpointing.interval' = '300ms';
SET 'parallelism.default' = '2';
CREATE TABLE words (word STRING, ts BIGINT) WITH ('connector' = 'kafka', 'topic' = 'sasl-words',
  'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset', 'format' = 'json', {});
CREATE TABLE totals (word STRING, cnt BIGINT, PRIMARY KEY (word) NOT ENFORCED)
WITH ('connector' = 'upsert-kafka', 'topic' = 'sasl-totals', 'key.format' = 'json',
  'value.format' = 'json', 'sink.delivery-guarantee' = 'exactly-once',
  'sink.transactional-id-prefix' = 'sasl-t', {});
INSERT INTO totals SELECT word, COUNT(*) FROM words GROUP BY word;
",
        table(""),
        table("")
    );
    let file = dir.join("sasl.sql");
    std::fs::write(&file, script).unwrap();
    let config = dir.join("client.properties");
    std::fs::write(
        &config,
        format!("security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\nsasl.jaas.config={SASL_JAAS}\n"),
    )
    .unwrap();
    let mut job = Command::new(env!("CARGO_BIN_EXE_spate"))
        .args(["sql", "--bootstrap", &addr, "-f"])
        .arg(&file)
        .arg("--checkpoint-dir")
        .arg(dir.join("checkpoints"))
        .args([
            "--distributed",
            "sasl-job",
            "--session-timeout",
            "6s",
            "--distributed-config",
        ])
        .arg(&config)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(File::create(dir.join("sasl-job.log")).unwrap())
        .spawn()
        .unwrap();
    wait(&mut job, "the job on the SASL listener", &|| log(dir, "sasl-job"));

    // The final row per word, read_committed over SASL.
    let consumer: BaseConsumer = sasl_client(&addr)
        .set("group.id", "sasl-check")
        .set("isolation.level", "read_committed")
        .set("auto.offset.reset", "earliest")
        .set("enable.partition.eof", "true")
        .create()
        .unwrap();
    consumer.subscribe(&["sasl-totals"]).unwrap();
    let mut got: BTreeMap<String, i64> = BTreeMap::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match consumer.poll(Duration::from_millis(200)) {
            Some(Ok(m)) => {
                let value: serde_json::Value = serde_json::from_slice(m.payload().unwrap()).unwrap();
                got.insert(
                    value["word"].as_str().unwrap().to_string(),
                    value["cnt"].as_i64().unwrap(),
                );
            }
            Some(Err(rdkafka::error::KafkaError::PartitionEOF(_))) => break,
            Some(Err(e)) => panic!("{e}"),
            None => assert!(Instant::now() < deadline, "nothing to read"),
        }
    }
    assert_eq!(got, expected, "{}", log(dir, "sasl-job"));
}
