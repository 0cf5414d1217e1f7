//! The Kafka source's direct read path (partition logs of the broker in this process), against
//! the client path on the same broker: transactions written by real transactional rdkafka
//! producers, resuming from checkpoints across paths, logs growing and rolling under the
//! reader, retention deleting what the reader was about to read, compaction cleaning it.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use spate_broker::{Broker, BrokerConfig, BrokerHandle};
use spate_connectors::kafka::{KafkaRecord, KafkaSource, KafkaSourceBuilder, ReadPath};
use spate_engine::{Record, Source, SourceContext, SourceStatus};

const TIMEOUT: Duration = Duration::from_secs(10);

struct TestBroker {
    handle: BrokerHandle,
    _dir: tempfile::TempDir,
    _rt: tokio::runtime::Runtime,
}

impl TestBroker {
    fn start() -> TestBroker {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let handle = rt
            .block_on(Broker::start(BrokerConfig::ephemeral(dir.path())))
            .unwrap();
        TestBroker {
            handle,
            _dir: dir,
            _rt: rt,
        }
    }
    fn bootstrap(&self) -> String {
        self.handle.bootstrap_servers()
    }
    fn topic(&self, name: &str, partitions: i32, overrides: &[(&str, &str)]) {
        let overrides: BTreeMap<String, String> = overrides
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self.handle
            .store()
            .create_topic(name, partitions, &overrides)
            .unwrap();
    }
}

fn producer(bootstrap: &str, extra: &[(&str, &str)]) -> BaseProducer {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", bootstrap)
        .set("log_level", "3")
        .set("linger.ms", "5");
    for (k, v) in extra {
        c.set(*k, *v);
    }
    c.create().unwrap()
}

fn send(p: &BaseProducer, topic: &str, partition: i32, values: &[String]) {
    for v in values {
        p.send(
            BaseRecord::<[u8], [u8]>::to(topic)
                .partition(partition)
                .payload(v.as_bytes()),
        )
        .unwrap();
    }
    // Delivered (acknowledged) before the caller goes on, so the log order is the call order.
    p.flush(TIMEOUT).unwrap();
}

fn values(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}-{i}")).collect()
}

/// Values of about 100 bytes, so that a few hundred fill a small segment.
fn padded(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}-{i}-{:>90}", "")).collect()
}

fn source(path: ReadPath, bs: &str, topic: &str) -> KafkaSourceBuilder<KafkaRecord> {
    KafkaSource::builder(bs, "g", KafkaRecord::deserialize)
        .topics([topic])
        .partition_discovery(None)
        .read_path(path)
}

fn open(builder: KafkaSourceBuilder<KafkaRecord>, path: ReadPath) -> KafkaSource<KafkaRecord> {
    let mut s = builder.build().unwrap();
    s.open(&SourceContext {
        subtask: 0,
        parallelism: 1,
    })
    .unwrap();
    assert_eq!(s.reads_log_directly(), path == ReadPath::Auto, "the read path");
    assert_eq!(
        s.reads_through_fetcher(),
        path == ReadPath::Fetch,
        "the read path"
    );
    s
}

/// Polls until `n` records came (failing after 15 s), or for `quiet` without records when `n`
/// is None.
fn read(s: &mut KafkaSource<KafkaRecord>, n: Option<usize>, quiet: Duration) -> Vec<Record<KafkaRecord>> {
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut last = Instant::now();
    let mut out = Vec::new();
    loop {
        let before = out.len();
        s.poll_into(100, &mut out).unwrap();
        if out.len() > before {
            last = Instant::now();
        }
        match n {
            Some(n) if out.len() >= n => return out,
            Some(n) => assert!(Instant::now() < deadline, "got {} of {n} records", out.len()),
            None if last.elapsed() >= quiet => return out,
            None => {}
        }
        if out.len() == before {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

fn text(records: &[Record<KafkaRecord>]) -> Vec<String> {
    records
        .iter()
        .map(|r| String::from_utf8(r.value.value.clone().unwrap()).unwrap())
        .collect()
}

const EVERY_PATH: [ReadPath; 3] = [ReadPath::Client, ReadPath::Auto, ReadPath::Fetch];
/// The paths that read whole batches (the in-process log, the protocol fetcher).
const BATCH_PATHS: [ReadPath; 2] = [ReadPath::Auto, ReadPath::Fetch];

/// Two transactional producers interleave in one partition, with plain records between them;
/// some transactions abort, others commit. Both paths return exactly the committed and plain
/// records, in log order, and nothing of an open transaction until it commits.
#[test]
fn read_committed_drops_aborted_transactions_interleaved_in_the_log() {
    let b = TestBroker::start();
    let bs = b.bootstrap();
    b.topic("t", 1, &[]);
    let txn = |id: &str| {
        let p = producer(&bs, &[("transactional.id", id)]);
        p.init_transactions(TIMEOUT).unwrap();
        p
    };
    let (a, c) = (txn("tx-a"), txn("tx-c"));
    let plain = producer(&bs, &[]);
    let mut want = Vec::new();

    send(&plain, "t", 0, &values("plain1", 3));
    want.extend(values("plain1", 3));
    a.begin_transaction().unwrap();
    c.begin_transaction().unwrap();
    send(&a, "t", 0, &values("a-aborted", 4));
    send(&c, "t", 0, &values("c-committed", 3));
    send(&plain, "t", 0, &values("plain2", 2));
    send(&a, "t", 0, &values("a-aborted-more", 2));
    send(&c, "t", 0, &values("c-committed-more", 2));
    a.abort_transaction(TIMEOUT).unwrap();
    c.commit_transaction(TIMEOUT).unwrap();
    // Log order of what read_committed keeps: records of c and plain records as written.
    want.extend(values("c-committed", 3));
    want.extend(values("plain2", 2));
    want.extend(values("c-committed-more", 2));

    a.begin_transaction().unwrap();
    send(&a, "t", 0, &values("a-committed", 3));
    a.commit_transaction(TIMEOUT).unwrap();
    want.extend(values("a-committed", 3));
    c.begin_transaction().unwrap();
    send(&c, "t", 0, &values("c-aborted", 3));
    c.abort_transaction(TIMEOUT).unwrap();

    // An open transaction at the end: invisible until it commits.
    a.begin_transaction().unwrap();
    send(&a, "t", 0, &values("a-late", 2));

    for path in EVERY_PATH {
        let mut s = open(source(path, &bs, "t"), path);
        let got = read(&mut s, Some(want.len()), Duration::ZERO);
        assert_eq!(text(&got), want, "{path:?}");
        assert!(
            read(&mut s, None, Duration::from_millis(300)).is_empty(),
            "{path:?}: nothing of the open transaction"
        );
        let offsets: Vec<i64> = got.iter().map(|r| r.value.offset).collect();
        assert!(offsets.windows(2).all(|w| w[0] < w[1]), "{path:?}: offset order");
    }
    a.commit_transaction(TIMEOUT).unwrap();
    for path in EVERY_PATH {
        let mut s = open(source(path, &bs, "t"), path);
        let got = read(&mut s, Some(want.len() + 2), Duration::ZERO);
        assert_eq!(text(&got[want.len()..]), values("a-late", 2), "{path:?}");
    }

    // read_uncommitted (a property the direct path honours too): aborted records included.
    for path in EVERY_PATH {
        let mut s = open(
            source(path, &bs, "t").property("isolation.level", "read_uncommitted"),
            path,
        );
        let got = text(&read(&mut s, None, Duration::from_millis(300)));
        assert_eq!(got.len(), 3 + 4 + 3 + 2 + 2 + 2 + 3 + 3 + 2, "{path:?}");
        assert!(got.contains(&"a-aborted-0".to_string()), "{path:?}");
    }
}

/// Positions are the same on both paths: a job checkpointed on one resumes on the other
/// exactly after the snapshot, including past transaction markers.
#[test]
fn resume_from_a_checkpoint_taken_on_either_path() {
    let b = TestBroker::start();
    let bs = b.bootstrap();
    b.topic("t", 3, &[]);
    let txn = producer(&bs, &[("transactional.id", "resume")]);
    txn.init_transactions(TIMEOUT).unwrap();
    let mut want: HashMap<i32, Vec<String>> = HashMap::new();
    for p in 0..3 {
        txn.begin_transaction().unwrap();
        send(&txn, "t", p, &values(&format!("p{p}"), 40));
        txn.commit_transaction(TIMEOUT).unwrap();
        want.insert(p, values(&format!("p{p}"), 40));
    }
    for (first, second) in [
        (ReadPath::Auto, ReadPath::Client),
        (ReadPath::Client, ReadPath::Auto),
        (ReadPath::Auto, ReadPath::Auto),
        (ReadPath::Fetch, ReadPath::Auto),
        (ReadPath::Auto, ReadPath::Fetch),
        (ReadPath::Client, ReadPath::Fetch),
        (ReadPath::Fetch, ReadPath::Fetch),
    ] {
        let mut s = open(source(first, &bs, "t"), first);
        let before = read(&mut s, Some(50), Duration::ZERO);
        let position = s.snapshot_position(1).unwrap();
        drop(s);
        let mut s = source(second, &bs, "t").build().unwrap();
        let ctx = SourceContext {
            subtask: 0,
            parallelism: 1,
        };
        s.open(&ctx).unwrap();
        s.restore_positions(&ctx, &[position]).unwrap();
        let after = read(&mut s, Some(120 - before.len()), Duration::ZERO);
        assert!(read(&mut s, None, Duration::from_millis(200)).is_empty());
        let mut got: HashMap<i32, Vec<String>> = HashMap::new();
        for r in before.iter().chain(&after) {
            got.entry(r.value.partition)
                .or_default()
                .push(String::from_utf8(r.value.value.clone().unwrap()).unwrap());
        }
        assert_eq!(
            got, want,
            "{first:?} then {second:?}: every record once, in order"
        );
    }
}

/// The log grows (and rolls segments) while the direct reader reads it; then partitions are
/// added and discovery finds them. Every record comes once, in partition order.
#[test]
fn batch_readers_follow_a_growing_log_and_added_partitions() {
    for path in BATCH_PATHS {
        follows_a_growing_log_and_added_partitions(path);
    }
}

fn follows_a_growing_log_and_added_partitions(path: ReadPath) {
    let b = TestBroker::start();
    let bs = b.bootstrap();
    b.topic("t", 2, &[("segment.bytes", "16384")]);
    let mut s = KafkaSource::builder(bs.as_str(), "g", KafkaRecord::deserialize)
        .topics(["t"])
        .partition_discovery(Some(Duration::from_millis(50)))
        .read_path(path)
        .build()
        .unwrap();
    s.open(&SourceContext {
        subtask: 0,
        parallelism: 1,
    })
    .unwrap();
    assert_eq!(s.reads_log_directly(), path == ReadPath::Auto);
    let writer = {
        let bs = bs.clone();
        std::thread::spawn(move || {
            let p = producer(&bs, &[("linger.ms", "0")]);
            for round in 0..20 {
                for part in 0..2 {
                    send(&p, "t", part, &padded(&format!("r{round}-p{part}"), 50));
                }
            }
        })
    };
    let got = read(&mut s, Some(2000), Duration::ZERO);
    writer.join().unwrap();
    assert!(
        b.handle.store().partition("t", 0).unwrap().segment_count() > 2,
        "the log rolled under the reader"
    );
    let mut per_partition: HashMap<i32, Vec<i64>> = HashMap::new();
    for r in &got {
        per_partition
            .entry(r.value.partition)
            .or_default()
            .push(r.value.offset);
    }
    for offsets in per_partition.values() {
        assert_eq!(offsets, &(0..1000).collect::<Vec<i64>>());
    }
    b.handle.store().create_partitions("t", 4).unwrap();
    let p = producer(&bs, &[]);
    for part in 0..4 {
        send(&p, "t", part, &values(&format!("new-p{part}"), 5));
    }
    let mut late = text(&read(&mut s, Some(20), Duration::ZERO));
    late.sort();
    let mut want: Vec<String> = (0..4).flat_map(|p| values(&format!("new-p{p}"), 5)).collect();
    want.sort();
    assert_eq!(late, want);
}

/// Retention deletes the segments a stopped reader was positioned in: like a client with
/// `auto.offset.reset=earliest`, the direct reader restarts at the new log start; a bounded
/// source still finishes at its end offsets.
#[test]
fn batch_readers_restart_at_the_log_start_after_retention() {
    for path in BATCH_PATHS {
        restarts_at_the_log_start_after_retention(path);
    }
}

fn restarts_at_the_log_start_after_retention(path: ReadPath) {
    let b = TestBroker::start();
    let bs = b.bootstrap();
    b.topic(
        "t",
        1,
        &[("segment.bytes", "16384"), ("retention.bytes", "20000")],
    );
    let p = producer(&bs, &[]);
    send(&p, "t", 0, &padded("old0", 100));
    let mut s = open(source(path, &bs, "t"), path);
    let first = read(&mut s, Some(10), Duration::ZERO);
    assert_eq!(first[0].value.offset, 0);
    let position = s.snapshot_position(1).unwrap();
    drop(s);
    for chunk in 1..20 {
        send(&p, "t", 0, &padded(&format!("old{chunk}"), 100));
    }
    let store = b.handle.store();
    store.maintenance(i64::MAX / 2).unwrap();
    let log_start = store.partition("t", 0).unwrap().log_start_offset();
    assert!(
        log_start > 100,
        "retention deleted the start (log start {log_start})"
    );
    let mut s = source(path, &bs, "t").bounded().build().unwrap();
    let ctx = SourceContext {
        subtask: 0,
        parallelism: 1,
    };
    s.open(&ctx).unwrap();
    s.restore_positions(&ctx, &[position]).unwrap();
    let mut rest = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(15);
    while s.poll_into(500, &mut rest).unwrap().1 != SourceStatus::Finished {
        assert!(
            Instant::now() < deadline,
            "not finished after {} records",
            rest.len()
        );
    }
    assert_eq!(rest[0].value.offset, log_start);
    assert_eq!(rest.last().unwrap().value.offset, 1999);
    assert_eq!(rest.len() as i64, 2000 - log_start);
}

/// The broker shuts down under the direct reader and starts again on the same address and
/// data: the reader waits meanwhile (no error, as a client would retry) and then reads on from
/// where it was, through the new broker.
#[test]
fn batch_readers_read_on_after_the_broker_restarts() {
    for path in BATCH_PATHS {
        reads_on_after_the_broker_restarts(path);
    }
}

fn reads_on_after_the_broker_restarts(path: ReadPath) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let first = rt
        .block_on(Broker::start(BrokerConfig::ephemeral(dir.path())))
        .unwrap();
    let (addr, bs) = (first.local_addr(), first.bootstrap_servers());
    first.store().create_topic("t", 1, &BTreeMap::new()).unwrap();
    send(&producer(&bs, &[]), "t", 0, &values("before", 30));
    let mut s = open(source(path, &bs, "t"), path);
    assert_eq!(
        text(&read(&mut s, Some(30), Duration::ZERO)),
        values("before", 30)
    );
    rt.block_on(first.shutdown()).unwrap();
    assert!(read(&mut s, None, Duration::from_millis(200)).is_empty());
    let config = BrokerConfig::ephemeral(dir.path()).with_listen(addr);
    let second = rt.block_on(Broker::start(config)).unwrap();
    send(&producer(&bs, &[]), "t", 0, &values("after", 20));
    assert_eq!(text(&read(&mut s, Some(20), Duration::ZERO)), values("after", 20));
    assert_eq!(s.reads_log_directly(), path == ReadPath::Auto);
    rt.block_on(second.shutdown()).unwrap();
}

/// A compacted topic cleaned under the reader: whole segments of superseded records become
/// fillers. Every path reads the partition to its end with the cleaned offsets skipped — each
/// record it returns is the one written at its offset, and each key's latest value is there.
/// The client path runs librdkafka at a 512 MiB fetch size, where a second response without a
/// record fails the consumer (it takes one for a fetch size too small and doubles it), so a
/// broker answering with fillers alone fails this test.
#[test]
fn every_path_reads_a_topic_compacted_under_it() {
    for path in EVERY_PATH {
        reads_a_topic_compacted_under_it(path);
    }
}

fn reads_a_topic_compacted_under_it(path: ReadPath) {
    const KEYS: usize = 20;
    const ROUNDS: usize = 40;
    let b = TestBroker::start();
    let bs = b.bootstrap();
    b.topic(
        "c",
        1,
        &[("cleanup.policy", "compact"), ("segment.bytes", "4096")],
    );
    let p = producer(&bs, &[]);
    for round in 0..ROUNDS {
        for k in 0..KEYS {
            let value = format!("r{round}-k{k}-{:>90}", "");
            p.send(
                BaseRecord::to("c")
                    .partition(0)
                    .key(format!("k{k}").as_bytes())
                    .payload(value.as_bytes()),
            )
            .unwrap();
        }
        p.flush(TIMEOUT).unwrap();
    }
    let partition = b.handle.store().partition("c", 0).unwrap();
    let outcome = partition
        .clean(
            i64::MAX / 2,
            &spate_log::CleanerSettings::default(),
            &spate_log::Throttle::new(f64::INFINITY),
            true,
        )
        .unwrap()
        .expect("the sealed segments are cleaned");
    assert!(outcome.records_removed > 0);

    let mut builder = source(path, &bs, "c").bounded();
    if path == ReadPath::Client {
        builder = builder
            .property("fetch.message.max.bytes", "536870912")
            .property("fetch.max.bytes", "600000000")
            .property("receive.message.max.bytes", "700000000");
    }
    let mut s = builder.build().unwrap();
    s.open(&SourceContext {
        subtask: 0,
        parallelism: 1,
    })
    .unwrap();
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(15);
    while s.poll_into(500, &mut got).unwrap().1 != SourceStatus::Finished {
        assert!(
            Instant::now() < deadline,
            "{path:?}: not finished after {} records",
            got.len()
        );
    }
    let written = (ROUNDS * KEYS) as i64;
    assert!((got.len() as i64) < written, "{path:?}: cleaning removed records");
    let mut latest: HashMap<String, usize> = HashMap::new();
    let mut last_offset = -1;
    for r in &got {
        let offset = r.value.offset;
        assert!(offset > last_offset, "{path:?}: offsets ascend");
        last_offset = offset;
        let (round, k) = (offset as usize / KEYS, offset as usize % KEYS);
        let key = String::from_utf8(r.value.key.clone().unwrap()).unwrap();
        let value = String::from_utf8(r.value.value.clone().unwrap()).unwrap();
        assert_eq!(key, format!("k{k}"), "{path:?}: key at {offset}");
        assert!(
            value.starts_with(&format!("r{round}-k{k}-")),
            "{path:?}: value at {offset}"
        );
        latest.insert(key, round);
    }
    assert_eq!(latest.len(), KEYS, "{path:?}: every key");
    assert!(
        latest.values().all(|&round| round == ROUNDS - 1),
        "{path:?}: every key's latest value: {latest:?}"
    );
}
