//! The workload of the SQL crash tests: a producer writes words to a Kafka topic at a steady
//! rate (record timestamps count up by 1 ms), a job counts them per word and 1 s tumbling
//! window into an exactly-once Kafka table, and the test checks the read_committed output
//! against the counts computed here from the input.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{BaseRecord, Producer, ThreadedProducer};
use rdkafka::{Offset, TopicPartitionList};

pub const PARTITIONS: i32 = 4;
pub const RECORDS: u64 = 40_000;
const RECORDS_PER_SEC: u64 = 8_000;
const WINDOW_MS: i64 = 1_000;
const BASE: i64 = 1_700_000_000_000;
const WORDS: &[&str] = &["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta"];

/// The job's tables over topics `{prefix}-in` and `{prefix}-out`, as Flink SQL (`bootstrap`
/// empty: the tables name no cluster, the session or server provides it).
pub fn script(prefix: &str, bootstrap: &str) -> String {
    let cluster = if bootstrap.is_empty() {
        String::new()
    } else {
        format!("  'properties.bootstrap.servers' = '{bootstrap}',\n")
    };
    format!(
        "SET 'execution.checkpointing.interval' = '500ms';
SET 'parallelism.default' = '2';
CREATE TABLE words (
  word STRING,
  ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp',
  WATERMARK FOR ts AS ts
) WITH (
  'connector' = 'kafka',
  'topic' = '{prefix}-in',
{cluster}  'properties.group.id' = '{prefix}-crash',
  'scan.startup.mode' = 'earliest-offset',
  'format' = 'json'
);
CREATE TABLE counts (
  word STRING,
  window_start TIMESTAMP(3),
  cnt BIGINT
) WITH (
  'connector' = 'kafka',
  'topic' = '{prefix}-out',
{cluster}  'format' = 'json',
  'sink.delivery-guarantee' = 'exactly-once',
  'sink.transactional-id-prefix' = '{prefix}-crash'
);
INSERT INTO counts
SELECT word, window_start, COUNT(*)
FROM TABLE(TUMBLE(TABLE words, DESCRIPTOR(ts), INTERVAL '1' SECOND))
GROUP BY window_start, window_end, word;
"
    )
}

fn word(i: u64) -> &'static str {
    WORDS[(i.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 33) as usize % WORDS.len()]
}

/// Flink's JSON text of a `TIMESTAMP(3)`.
fn sql_timestamp(ms: i64) -> String {
    let mut s = String::new();
    spate_sql::temporal::format_timestamp(ms * 1000, 3, true, false, &mut s);
    s
}

/// (word, window start) → count, computed from the input.
pub fn expected() -> BTreeMap<(String, String), u64> {
    let mut m = BTreeMap::new();
    for i in 0..RECORDS {
        let ts = BASE + i as i64;
        let start = ts - ts.rem_euclid(WINDOW_MS);
        *m.entry((word(i).to_string(), sql_timestamp(start))).or_default() += 1;
    }
    m
}

/// word → every record of it in the input, the closing `flush` records included.
pub fn word_totals() -> BTreeMap<String, u64> {
    let mut m: BTreeMap<String, u64> = BTreeMap::new();
    for i in 0..RECORDS {
        *m.entry(word(i).to_string()).or_default() += 1;
    }
    m.insert("flush".to_string(), PARTITIONS as u64);
    m
}

/// Creates `{prefix}-in` and `{prefix}-out` with `spate topics create`.
pub fn create_topics(addr: &str, prefix: &str) {
    for topic in [format!("{prefix}-in"), format!("{prefix}-out")] {
        let status = Command::new(env!("CARGO_BIN_EXE_spate"))
            .args(["topics", "create", "--bootstrap", addr, "--partitions"])
            .arg(PARTITIONS.to_string())
            .arg(topic)
            .status()
            .unwrap();
        assert!(status.success());
    }
}

/// Writes every record to `{prefix}-in` at a steady rate, then one record far in the future on
/// every partition so the watermark passes every window of the input.
pub fn produce(addr: String, prefix: &str) -> std::thread::JoinHandle<()> {
    let topic = format!("{prefix}-in");
    std::thread::spawn(move || {
        let producer: ThreadedProducer<_> = ClientConfig::new()
            .set("bootstrap.servers", &addr)
            .set("enable.idempotence", "true")
            .set("linger.ms", "5")
            .create()
            .unwrap();
        let started = Instant::now();
        let send = |value: String, partition: i32, ts: i64| {
            let mut record = BaseRecord::<(), String>::to(&topic)
                .payload(&value)
                .partition(partition)
                .timestamp(ts);
            loop {
                match producer.send(record) {
                    Ok(()) => break,
                    Err((_, r)) => {
                        record = r;
                        std::thread::sleep(Duration::from_millis(1));
                    }
                }
            }
        };
        for i in 0..RECORDS {
            let due = Duration::from_micros(i * 1_000_000 / RECORDS_PER_SEC);
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                std::thread::sleep(wait);
            }
            send(
                format!("{{\"word\":\"{}\"}}", word(i)),
                (i % PARTITIONS as u64) as i32,
                BASE + i as i64,
            );
        }
        for p in 0..PARTITIONS {
            send(
                "{\"word\":\"flush\"}".into(),
                p,
                BASE + RECORDS as i64 + 3_600_000,
            );
        }
        producer.flush(Duration::from_secs(30)).unwrap();
    })
}

/// Every record of `{prefix}-out` as a read_committed consumer sees it: (word, window_start,
/// count).
pub fn read_output(addr: &str, prefix: &str) -> Vec<(String, String, u64)> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", addr)
        .set("group.id", format!("{prefix}-crash-check"))
        .set("enable.auto.commit", "false")
        .set("isolation.level", "read_committed")
        .set("enable.partition.eof", "true")
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    for p in 0..PARTITIONS {
        tpl.add_partition_offset(&format!("{prefix}-out"), p, Offset::Beginning)
            .unwrap();
    }
    consumer.assign(&tpl).unwrap();
    let mut out = Vec::new();
    let mut eof = 0;
    let deadline = Instant::now() + Duration::from_secs(30);
    while eof < PARTITIONS && Instant::now() < deadline {
        match consumer.poll(Duration::from_millis(200)) {
            Some(Ok(m)) => {
                let v: serde_json::Value = serde_json::from_slice(m.payload().unwrap()).unwrap();
                out.push((
                    v["word"].as_str().unwrap().to_string(),
                    v["window_start"].as_str().unwrap().to_string(),
                    v["cnt"].as_u64().unwrap(),
                ));
            }
            Some(Err(rdkafka::error::KafkaError::PartitionEOF(_))) => eof += 1,
            Some(Err(e)) => panic!("{e}"),
            None => {}
        }
    }
    out
}

/// The expected (word, window start) pairs not yet in `{prefix}-out`.
pub fn missing_windows(addr: &str, prefix: &str) -> Vec<(String, String)> {
    let seen: BTreeSet<_> = read_output(addr, prefix)
        .into_iter()
        .map(|(w, s, _)| (w, s))
        .collect();
    expected().into_keys().filter(|k| !seen.contains(k)).collect()
}

/// The output holds every expected window exactly once with its count, and nothing else.
pub fn assert_exactly_once(addr: &str, prefix: &str, log: &dyn Fn() -> String) {
    let want = expected();
    let mut counts: BTreeMap<(String, String), Vec<u64>> = BTreeMap::new();
    for (w, s, c) in read_output(addr, prefix) {
        counts.entry((w, s)).or_default().push(c);
    }
    let missing: Vec<_> = want.keys().filter(|k| !counts.contains_key(*k)).take(5).collect();
    assert!(missing.is_empty(), "windows missing, e.g. {missing:?}\n{}", log());
    for (k, n) in &want {
        assert_eq!(
            counts[k],
            vec![*n],
            "{k:?}: every window exactly once with its count"
        );
    }
    assert_eq!(
        counts.len(),
        want.len(),
        "no windows that the input does not have"
    );
}

/// Random kill times from a seed printed on stderr, so a failure can be replayed.
pub struct KillTimes(u64);

impl KillTimes {
    /// Seeded from the clock, or from `SPATE_KILL_SEED` to replay a failed run.
    pub fn from_clock() -> KillTimes {
        let seed = match std::env::var("SPATE_KILL_SEED") {
            Ok(s) => s.parse().unwrap(),
            Err(_) => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64,
        };
        eprintln!("kill-time seed {seed} (SPATE_KILL_SEED replays it)");
        KillTimes(seed)
    }

    /// A number below `n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}
