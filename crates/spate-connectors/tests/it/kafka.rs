//! Kafka source and sink against a real embedded Spate broker, with real rdkafka clients.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{Offset, TopicPartitionList};
use spate_broker::{Broker, BrokerConfig, BrokerHandle};
use spate_connectors::kafka::{
    DeliveryGuarantee, KafkaRecord, KafkaSink, KafkaSource, KafkaSourceBuilder, OffsetReset,
    OversizedRecords, ReadPath, StartingOffsets,
};
use spate_engine::{
    Record, Sink, SinkContext, Source, SourceContext, SourceStatus, StreamEnvironment, WatermarkStrategy,
};
use spate_kafka_client::BrokerConnection;

struct TestBroker {
    handle: BrokerHandle,
    _dir: tempfile::TempDir,
    // Last: the broker's tasks run on it until the end of the test.
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
    fn topic(&self, name: &str, partitions: i32) {
        self.handle
            .store()
            .create_topic(name, partitions, &Default::default())
            .unwrap();
    }
}

/// Produces `p{partition}-{i}` for `i` in `range` to each partition, timestamps `1000 + i`.
fn produce(bootstrap: &str, topic: &str, partitions: i32, range: std::ops::Range<i64>) {
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("log_level", "3")
        .create()
        .unwrap();
    for p in 0..partitions {
        for i in range.clone() {
            let value = format!("p{p}-{i}");
            producer
                .send(
                    BaseRecord::<[u8], [u8]>::to(topic)
                        .partition(p)
                        .payload(value.as_bytes())
                        .timestamp(1000 + i),
                )
                .unwrap();
        }
    }
    producer.flush(Duration::from_secs(10)).unwrap();
}

fn source(path: ReadPath, bootstrap: &str, topic: &str, group: &str) -> KafkaSourceBuilder<KafkaRecord> {
    KafkaSource::builder(bootstrap, group, KafkaRecord::deserialize)
        .topics([topic])
        .partition_discovery(None)
        .read_path(path)
}

/// Runs a source test (`fn name(path: ReadPath)`) once per read path: through the Kafka client
/// (`name::client`), straight from the in-process broker's log (`name::direct`) and through
/// Spate's protocol fetcher (`name::fetch`).
macro_rules! on_every_path {
    ($name:ident) => {
        mod $name {
            #[test]
            fn client() {
                super::$name(super::ReadPath::Client);
            }
            #[test]
            fn direct() {
                super::$name(super::ReadPath::Auto);
            }
            #[test]
            fn fetch() {
                super::$name(super::ReadPath::Fetch);
            }
        }
    };
}

/// Opens a source and checks that it took the read path asked for (the embedded broker runs
/// in this process, so `Auto` must read its log directly).
fn open(
    builder: KafkaSourceBuilder<KafkaRecord>,
    subtask: usize,
    parallelism: usize,
) -> KafkaSource<KafkaRecord> {
    let debug = format!("{builder:?}");
    let mut s = builder.build().unwrap();
    s.open(&SourceContext { subtask, parallelism }).unwrap();
    assert_eq!(
        s.reads_log_directly(),
        debug.contains("read_path: Auto"),
        "the read path"
    );
    assert_eq!(
        s.reads_through_fetcher(),
        debug.contains("read_path: Fetch"),
        "the read path"
    );
    s
}

/// Polls every source until `count` records came (failing after 15 s) or, with `count` None,
/// for `quiet` without records. Records are tagged with their subtask and split.
fn drain(
    sources: &mut [KafkaSource<KafkaRecord>],
    count: Option<usize>,
    quiet: Duration,
) -> Vec<(usize, usize, Record<KafkaRecord>)> {
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut last = Instant::now();
    let mut out = Vec::new();
    loop {
        let mut any = false;
        for (i, s) in sources.iter_mut().enumerate() {
            let mut batch = Vec::new();
            let (split, _) = s.poll_into(7, &mut batch).unwrap();
            any |= !batch.is_empty();
            out.extend(batch.into_iter().map(|r| (i, split, r)));
        }
        if any {
            last = Instant::now();
        }
        match count {
            Some(c) if out.len() >= c => return out,
            Some(c) => assert!(Instant::now() < deadline, "got {} of {c} records", out.len()),
            None if last.elapsed() >= quiet => return out,
            None => {}
        }
        if !any {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

fn values(records: &[(usize, usize, Record<KafkaRecord>)]) -> Vec<String> {
    let mut v: Vec<String> = records
        .iter()
        .map(|(_, _, r)| String::from_utf8(r.value.value.clone().unwrap()).unwrap())
        .collect();
    v.sort();
    v
}

fn expected(partitions: i32, range: std::ops::Range<i64>) -> Vec<String> {
    let mut v: Vec<String> = (0..partitions)
        .flat_map(|p| range.clone().map(move |i| format!("p{p}-{i}")))
        .collect();
    v.sort();
    v
}

fn every_record_once_in_partition_order_at_parallelism_2_and_3(path: ReadPath) {
    let b = TestBroker::start();
    b.topic("t", 4);
    produce(&b.bootstrap(), "t", 4, 0..50);
    for parallelism in [2, 3] {
        let mut sources: Vec<_> = (0..parallelism)
            .map(|s| open(source(path, &b.bootstrap(), "t", "g"), s, parallelism))
            .collect();
        let got = drain(&mut sources, Some(200), Duration::ZERO);
        assert_eq!(values(&got), expected(4, 0..50));
        let mut last: HashMap<i32, i64> = HashMap::new();
        let mut owner: HashMap<i32, (usize, usize)> = HashMap::new();
        for (subtask, split, r) in &got {
            let prev = last.insert(r.value.partition, r.value.offset);
            assert!(prev.is_none_or(|p| p < r.value.offset), "partition order");
            assert_eq!(
                *owner.entry(r.value.partition).or_insert((*subtask, *split)),
                (*subtask, *split)
            );
            assert_eq!(
                Some(r.timestamp),
                r.value.timestamp,
                "record timestamp becomes the engine timestamp"
            );
        }
        assert!(drain(&mut sources, None, Duration::from_millis(300)).is_empty());
    }
}
on_every_path!(every_record_once_in_partition_order_at_parallelism_2_and_3);

fn starting_offsets_latest_timestamp_explicit_and_committed(path: ReadPath) {
    let b = TestBroker::start();
    let bs = b.bootstrap();
    b.topic("t", 2);
    produce(&bs, "t", 2, 0..10);

    let mut latest = vec![open(
        source(path, &bs, "t", "g").starting_offsets(StartingOffsets::Latest),
        0,
        1,
    )];
    produce(&bs, "t", 2, 10..15);
    assert_eq!(
        values(&drain(&mut latest, Some(10), Duration::ZERO)),
        expected(2, 10..15)
    );

    let mut by_time = vec![open(
        source(path, &bs, "t", "g").starting_offsets(StartingOffsets::Timestamp(1012)),
        0,
        1,
    )];
    assert_eq!(
        values(&drain(&mut by_time, Some(6), Duration::ZERO)),
        expected(2, 12..15)
    );

    let offsets = HashMap::from([(("t".to_string(), 0), 13)]);
    let mut explicit = vec![open(
        source(path, &bs, "t", "g").starting_offsets(StartingOffsets::Offsets {
            offsets,
            reset: OffsetReset::Latest,
        }),
        0,
        1,
    )];
    produce(&bs, "t", 2, 15..16);
    let got = values(&drain(&mut explicit, Some(4), Duration::ZERO));
    assert_eq!(got, vec!["p0-13", "p0-14", "p0-15", "p1-15"]);

    // Committed: the group has nothing yet, so the fallback (earliest) applies; after a
    // completed checkpoint the next source starts at the committed offsets.
    let committed = || {
        source(path, &bs, "t", "cg").starting_offsets(StartingOffsets::Committed {
            reset: OffsetReset::Earliest,
        })
    };
    let mut first = vec![open(committed(), 0, 1)];
    assert_eq!(drain(&mut first, Some(32), Duration::ZERO).len(), 32);
    first[0].snapshot_position(1).unwrap();
    first[0].notify_checkpoint_complete(1).unwrap();
    wait_committed(&bs, "cg", "t", &[(0, 16), (1, 16)], &mut first[0]);
    drop(first);
    produce(&bs, "t", 2, 16..18);
    let mut second = vec![open(committed(), 0, 1)];
    assert_eq!(
        values(&drain(&mut second, Some(4), Duration::ZERO)),
        expected(2, 16..18)
    );
}
on_every_path!(starting_offsets_latest_timestamp_explicit_and_committed);

/// Waits until the group's committed offsets are `want` (the source serves the commit
/// callback while polled).
fn wait_committed(
    bs: &str,
    group: &str,
    topic: &str,
    want: &[(i32, i64)],
    src: &mut KafkaSource<KafkaRecord>,
) {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bs)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .set("log_level", "3")
        .create()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut tpl = TopicPartitionList::new();
        for (p, _) in want {
            tpl.add_partition(topic, *p);
        }
        let got = consumer.committed_offsets(tpl, Duration::from_secs(5)).unwrap();
        let offsets: Vec<(i32, i64)> = want
            .iter()
            .map(|(p, _)| {
                let o = match got.find_partition(topic, *p).unwrap().offset() {
                    Offset::Offset(o) => o,
                    _ => -1,
                };
                (*p, o)
            })
            .collect();
        if offsets == want {
            return;
        }
        assert!(Instant::now() < deadline, "committed {offsets:?}, want {want:?}");
        src.poll_into(1, &mut Vec::new()).unwrap();
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn bounded_source_stops_at_the_end_offsets_read_at_open(path: ReadPath) {
    let b = TestBroker::start();
    let bs = b.bootstrap();
    b.topic("t", 3);
    produce(&bs, "t", 3, 0..20);
    let mut s = open(source(path, &bs, "t", "g").bounded(), 0, 1);
    produce(&bs, "t", 3, 20..25);
    let mut all = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (_, status) = s.poll_into(16, &mut all).unwrap();
        if status == SourceStatus::Finished {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not finished after {} records",
            all.len()
        );
    }
    assert_eq!(all.len(), 60);
    assert!(all.iter().all(|r| r.value.offset < 20));

    // The same through a job: a bounded Kafka source finishes the job.
    let env = StreamEnvironment::new();
    env.set_parallelism(2);
    let out = env
        .add_source(
            "kafka",
            source(path, &bs, "t", "g").bounded().build().unwrap(),
            WatermarkStrategy::no_watermarks(),
        )
        .collect();
    env.execute().unwrap();
    assert_eq!(out.values().len(), 75);
}
on_every_path!(bounded_source_stops_at_the_end_offsets_read_at_open);

fn restore_at_another_parallelism_continues_exactly_after_the_snapshot(path: ReadPath) {
    let b = TestBroker::start();
    let bs = b.bootstrap();
    b.topic("t", 4);
    produce(&bs, "t", 4, 0..40);
    let mut before: Vec<_> = (0..2).map(|s| open(source(path, &bs, "t", "g"), s, 2)).collect();
    let first = drain(&mut before, Some(70), Duration::ZERO);
    let positions: Vec<Vec<u8>> = before
        .iter_mut()
        .map(|s| s.snapshot_position(7).unwrap())
        .collect();
    drop(before);
    produce(&bs, "t", 4, 40..50);
    let mut after: Vec<_> = (0..3)
        .map(|s| {
            let mut src = open(source(path, &bs, "t", "g"), s, 3);
            src.restore_positions(
                &SourceContext {
                    subtask: s,
                    parallelism: 3,
                },
                &positions,
            )
            .unwrap();
            src
        })
        .collect();
    let rest = drain(&mut after, Some(200 - first.len()), Duration::ZERO);
    let all: Vec<_> = first.into_iter().chain(rest).collect();
    assert_eq!(values(&all), expected(4, 0..50), "no gap, no duplicate");
    assert!(drain(&mut after, None, Duration::from_millis(300)).is_empty());
}
on_every_path!(restore_at_another_parallelism_continues_exactly_after_the_snapshot);

fn kv(v: &u64) -> (Option<Vec<u8>>, Vec<u8>) {
    (Some(v.to_be_bytes().to_vec()), v.to_string().into_bytes())
}

fn records(range: std::ops::Range<u64>) -> Vec<Record<u64>> {
    range.map(|i| Record::new(1_000 + i as i64, i)).collect()
}

/// What a read_committed reader sees of `topic` within `quiet` of the last record.
fn visible(bs: &str, topic: &str) -> Vec<String> {
    // A real Kafka client checks what the sink made visible.
    let mut s = vec![open(source(ReadPath::Client, bs, topic, "reader"), 0, 1)];
    values(&drain(&mut s, None, Duration::from_millis(800)))
}

fn numbers(range: std::ops::Range<u64>) -> Vec<String> {
    let mut v: Vec<String> = range.map(|i| i.to_string()).collect();
    v.sort();
    v
}

const SINK: SinkContext = SinkContext {
    subtask: 0,
    parallelism: 1,
    attempt: 0,
};

#[test]
fn at_least_once_sink_delivers_everything_by_the_checkpoint() {
    let b = TestBroker::start();
    let bs = b.bootstrap();
    b.topic("out", 3);
    let mut sink = KafkaSink::builder(&bs, "out", kv).build().unwrap();
    sink.open(&SINK).unwrap();
    for chunk in 0..10 {
        sink.write(&mut records(chunk * 100..(chunk + 1) * 100)).unwrap();
    }
    assert!(
        sink.snapshot_state(1).unwrap().is_empty(),
        "at-least-once keeps no state"
    );
    let mut s = vec![open(source(ReadPath::Client, &bs, "out", "r"), 0, 1)];
    let got = drain(&mut s, Some(1000), Duration::ZERO);
    assert_eq!(values(&got), numbers(0..1000));
    assert!(got.iter().all(|(_, _, r)| {
        r.timestamp
            == 1000
                + r.value
                    .value
                    .as_ref()
                    .map_or(0, |v| std::str::from_utf8(v).unwrap().parse::<i64>().unwrap())
    }));
}

fn exactly_once(bs: &str, prefix: &str) -> KafkaSink<u64> {
    let mut sink = KafkaSink::builder(bs, "out", kv)
        .delivery_guarantee(DeliveryGuarantee::ExactlyOnce {
            transactional_id_prefix: prefix.into(),
        })
        .build()
        .unwrap();
    sink.open(&SINK).unwrap();
    sink
}

#[test]
fn exactly_once_records_become_visible_when_the_checkpoint_completes() {
    let b = TestBroker::start();
    let bs = b.bootstrap();
    b.topic("out", 2);
    let mut sink = exactly_once(&bs, "job-a");
    sink.write(&mut records(0..50)).unwrap();
    sink.snapshot_state(1).unwrap();
    sink.write(&mut records(50..80)).unwrap();
    assert!(visible(&bs, "out").is_empty(), "pre-committed only");
    sink.notify_checkpoint_complete(1).unwrap();
    assert_eq!(visible(&bs, "out"), numbers(0..50));
    sink.snapshot_state(2).unwrap();
    sink.notify_checkpoint_complete(2).unwrap();
    sink.write(&mut records(80..90)).unwrap();
    sink.finish().unwrap();
    assert_eq!(visible(&bs, "out"), numbers(0..90));
}

#[test]
fn restore_commits_the_pre_committed_transaction_and_aborts_the_open_one() {
    let b = TestBroker::start();
    let bs = b.bootstrap();
    b.topic("out", 2);
    let mut crashed = exactly_once(&bs, "job-b");
    crashed.write(&mut records(0..40)).unwrap();
    let state = crashed.snapshot_state(1).unwrap();
    crashed.write(&mut records(40..70)).unwrap();
    // Flush the open transaction so its records are in the log, then "crash".
    crashed.snapshot_state(2).unwrap();
    crashed.write(&mut records(70..75)).unwrap();
    drop(crashed);
    assert!(
        visible(&bs, "out").is_empty(),
        "nothing committed before the crash"
    );

    // Restored from checkpoint 1: its transaction is committed, everything after aborted.
    let mut restored = exactly_once(&bs, "job-b");
    restored
        .restore_state(&SINK, std::slice::from_ref(&state))
        .unwrap();
    assert_eq!(visible(&bs, "out"), numbers(0..40));
    restored.write(&mut records(100..110)).unwrap();
    restored.snapshot_state(3).unwrap();
    restored.notify_checkpoint_complete(3).unwrap();
    let mut want = numbers(0..40);
    want.extend(numbers(100..110));
    want.sort();
    assert_eq!(
        visible(&bs, "out"),
        want,
        "no open transaction blocks read_committed readers"
    );

    // Restoring the same checkpoint again (a second failure) commits nothing twice.
    let mut again = exactly_once(&bs, "job-b");
    again.restore_state(&SINK, &[state]).unwrap();
    assert_eq!(visible(&bs, "out"), want);
}

#[test]
fn rescaled_restore_takes_the_transactions_of_every_old_subtask_it_maps_to() {
    let b = TestBroker::start();
    let bs = b.bootstrap();
    b.topic("out", 2);
    let mut states = Vec::new();
    for subtask in 0..3 {
        let mut sink = KafkaSink::builder(&bs, "out", kv)
            .delivery_guarantee(DeliveryGuarantee::ExactlyOnce {
                transactional_id_prefix: "job-c".into(),
            })
            .build()
            .unwrap();
        sink.open(&SinkContext {
            subtask,
            parallelism: 3,
            attempt: 0,
        })
        .unwrap();
        let base = subtask as u64 * 100;
        sink.write(&mut records(base..base + 10)).unwrap();
        states.push(sink.snapshot_state(1).unwrap());
        sink.write(&mut records(base + 50..base + 60)).unwrap();
        sink.snapshot_state(2).unwrap();
    }
    let mut restored = Vec::new();
    for subtask in 0..2 {
        let mut sink = exactly_once(&bs, "job-c");
        let ctx = SinkContext {
            subtask,
            parallelism: 2,
            attempt: 0,
        };
        sink.open(&ctx).unwrap();
        sink.restore_state(&ctx, &states).unwrap();
        restored.push(sink);
    }
    let mut want: Vec<String> = [0u64, 100, 200]
        .iter()
        .flat_map(|b| numbers(*b..b + 10))
        .collect();
    // New records after the restore are readable: no transaction of the old run is left
    // open in front of them (the last stable offset moved past all of them).
    for (i, sink) in restored.iter_mut().enumerate() {
        let base = 1000 + i as u64 * 10;
        sink.write(&mut records(base..base + 5)).unwrap();
        sink.snapshot_state(3).unwrap();
        sink.notify_checkpoint_complete(3).unwrap();
        want.extend(numbers(base..base + 5));
    }
    want.sort();
    assert_eq!(visible(&bs, "out"), want);
}

fn committed_offsets_follow_completed_checkpoints(path: ReadPath) {
    let b = TestBroker::start();
    let bs = b.bootstrap();
    b.topic("t", 2);
    produce(&bs, "t", 2, 0..10);
    let mut s = vec![open(source(path, &bs, "t", "lag-group"), 0, 1)];
    drain(&mut s, Some(20), Duration::ZERO);
    s[0].snapshot_position(5).unwrap();
    produce(&bs, "t", 2, 10..12);
    drain(&mut s, Some(4), Duration::ZERO);
    s[0].snapshot_position(6).unwrap();
    s[0].notify_checkpoint_complete(5).unwrap();
    wait_committed(&bs, "lag-group", "t", &[(0, 10), (1, 10)], &mut s[0]);
    s[0].notify_checkpoint_complete(6).unwrap();
    wait_committed(&bs, "lag-group", "t", &[(0, 12), (1, 12)], &mut s[0]);
}
on_every_path!(committed_offsets_follow_completed_checkpoints);

#[test]
fn raw_admin_client_reports_kafka_error_names() {
    let b = TestBroker::start();
    let bs = b.bootstrap();
    let mut admin = BrokerConnection::connect(&bs, "probe-0", Duration::from_secs(5)).unwrap();
    let (pid, epoch) = admin.init_producer_id("probe-0", 60_000).unwrap();
    assert_eq!(epoch, 0, "a new transactional id");
    let (pid2, epoch2) = admin.init_producer_id("probe-0", 60_000).unwrap();
    assert_eq!((pid2, epoch2), (pid, 1), "re-initialising bumps the epoch");
    let fenced = admin.end_txn("probe-0", pid, 0, true).unwrap_err().to_string();
    assert!(
        fenced.contains("PRODUCER_FENCED") || fenced.contains("INVALID_PRODUCER_EPOCH"),
        "{fenced}"
    );
    let no_txn = admin.end_txn("probe-0", pid, 1, true).unwrap_err().to_string();
    assert!(no_txn.contains("INVALID_TXN_STATE"), "{no_txn}");
}

#[test]
fn describe_and_list_show_an_open_transaction_and_restore_aborts_it() {
    let b = TestBroker::start();
    let bs = b.bootstrap();
    b.topic("out", 1);
    let mut admin = BrokerConnection::connect(&bs, "job-d-0-0", Duration::from_secs(5)).unwrap();
    assert!(admin.supports_transaction_listing());
    let mut crashed = exactly_once(&bs, "job-d");
    crashed.write(&mut records(0..10)).unwrap();
    let state = crashed.snapshot_state(1).unwrap();
    crashed.write(&mut records(10..20)).unwrap();
    crashed.snapshot_state(2).unwrap();
    drop(crashed);
    let listed = admin.list(&["Ongoing"]).unwrap();
    let ids: Vec<&str> = listed.iter().map(|t| t.transactional_id.as_str()).collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    let d = admin.describe("job-d-0-0").unwrap();
    assert_eq!(d.state, "Ongoing");
    let mut restored = exactly_once(&bs, "job-d");
    restored.restore_state(&SINK, &[state]).unwrap();
    assert_eq!(admin.describe("job-d-0-0").unwrap().state, "CompleteCommit");
    assert!(admin.list(&["Ongoing"]).unwrap().is_empty());
    assert_eq!(visible(&bs, "out"), numbers(0..10));
}

fn discovery_picks_up_new_topics_matching_the_pattern(path: ReadPath) {
    let b = TestBroker::start();
    let bs = b.bootstrap();
    b.topic("ev-a", 2);
    b.topic("other", 1);
    produce(&bs, "ev-a", 2, 0..5);
    produce(&bs, "other", 1, 0..5);
    let builder = || {
        KafkaSource::builder(bs.as_str(), "g", KafkaRecord::deserialize)
            .read_path(path)
            .topic_pattern("ev-.*")
            .unwrap()
            .partition_discovery(Some(Duration::from_millis(50)))
    };
    let mut sources: Vec<_> = (0..2).map(|s| open(builder(), s, 2)).collect();
    assert_eq!(
        values(&drain(&mut sources, Some(10), Duration::ZERO)),
        expected(2, 0..5)
    );
    b.topic("ev-b", 3);
    produce(&bs, "ev-b", 3, 0..4);
    let got = drain(&mut sources, Some(12), Duration::ZERO);
    assert!(got.iter().all(|(_, _, r)| r.value.topic == "ev-b"));
    assert_eq!(values(&got), expected(3, 0..4));
    assert!(
        drain(&mut sources, None, Duration::from_millis(300)).is_empty(),
        "nothing of `other`"
    );
}
on_every_path!(discovery_picks_up_new_topics_matching_the_pattern);

/// Topic limit of the oversized-record tests, and the one record of them over it.
const SMALL_LIMIT: usize = 4096;
const BIG: u64 = 5;

/// `kv`, except that record [`BIG`] gets a value over [`SMALL_LIMIT`].
fn kv_one_big(v: &u64) -> (Option<Vec<u8>>, Vec<u8>) {
    match *v {
        BIG => (Some(v.to_be_bytes().to_vec()), vec![b'x'; 3 * SMALL_LIMIT]),
        _ => kv(v),
    }
}

/// A broker with topic `out` limited to [`SMALL_LIMIT`] bytes per batch and a `dlq` topic.
fn small_limit_broker() -> TestBroker {
    let b = TestBroker::start();
    let limit = [("max.message.bytes".to_string(), SMALL_LIMIT.to_string())];
    b.handle
        .store()
        .create_topic("out", 1, &limit.into_iter().collect())
        .unwrap();
    b.topic("dlq", 1);
    b
}

#[test]
fn an_oversized_record_fails_the_sink_fatally_naming_the_record() {
    let b = small_limit_broker();
    let bs = b.bootstrap();
    let mut sink = KafkaSink::builder(&bs, "out", kv_one_big).build().unwrap();
    sink.open(&SINK).unwrap();
    sink.write(&mut records(0..3)).unwrap();
    sink.snapshot_state(1).unwrap();
    let err = sink
        .write(&mut records(3..10))
        .err()
        .or_else(|| sink.snapshot_state(2).err())
        .expect("the oversized record must fail the sink");
    let text = err.to_string();
    assert!(err.is_fatal(), "no restart can write it: {text}");
    for part in [
        "out",
        r"\x00\x00\x00\x00\x00\x00\x00\x05",
        &(3 * SMALL_LIMIT).to_string(),
        &SMALL_LIMIT.to_string(),
        "checkpoint 1",
    ] {
        assert!(text.contains(part), "{part:?} missing in: {text}");
    }
}

#[test]
fn skip_drops_and_counts_the_oversized_record() {
    let b = small_limit_broker();
    let bs = b.bootstrap();
    let mut sink = KafkaSink::builder(&bs, "out", kv_one_big)
        .on_oversized(OversizedRecords::Skip)
        .build()
        .unwrap();
    let stats = sink.oversized_stats();
    sink.open(&SINK).unwrap();
    sink.write(&mut records(0..10)).unwrap();
    sink.snapshot_state(1).unwrap();
    sink.finish().unwrap();
    let mut expected = numbers(0..10);
    expected.retain(|v| v != "5");
    assert_eq!(visible(&bs, "out"), expected);
    assert_eq!(stats.skipped(), 1);
    assert_eq!(stats.dead_lettered(), 0);
}

#[test]
fn dead_letter_writes_the_oversized_record_in_the_same_transaction() {
    let b = small_limit_broker();
    let bs = b.bootstrap();
    let mut sink = KafkaSink::builder(&bs, "out", kv_one_big)
        .delivery_guarantee(DeliveryGuarantee::ExactlyOnce {
            transactional_id_prefix: "dlq-job".into(),
        })
        .on_oversized(OversizedRecords::DeadLetter("dlq".into()))
        .build()
        .unwrap();
    let stats = sink.oversized_stats();
    sink.open(&SINK).unwrap();
    sink.write(&mut records(0..10)).unwrap();
    sink.snapshot_state(1).unwrap();
    assert!(visible(&bs, "dlq").is_empty(), "part of the open transaction");
    sink.notify_checkpoint_complete(1).unwrap();
    sink.finish().unwrap();
    let mut expected = numbers(0..10);
    expected.retain(|v| v != "5");
    assert_eq!(visible(&bs, "out"), expected);
    assert_eq!(visible(&bs, "dlq"), vec!["x".repeat(3 * SMALL_LIMIT)]);
    assert_eq!(stats.dead_lettered(), 1);
    assert_eq!(stats.skipped(), 0);
}

/// The limit the sink learned at start no longer holds (the topic's limit was lowered while
/// it ran): the broker's asynchronous MESSAGE_TOO_LARGE goes through the same policy.
#[test]
fn a_broker_side_rejection_goes_through_the_policy_too() {
    for policy in [OversizedRecords::Fail, OversizedRecords::Skip] {
        let b = TestBroker::start();
        let bs = b.bootstrap();
        b.topic("out", 1);
        let mut sink = KafkaSink::builder(&bs, "out", kv_one_big)
            .on_oversized(policy.clone())
            .build()
            .unwrap();
        let stats = sink.oversized_stats();
        sink.open(&SINK).unwrap();
        sink.write(&mut records(0..3)).unwrap();
        sink.snapshot_state(1).unwrap();
        let limit = [("max.message.bytes".to_string(), SMALL_LIMIT.to_string())];
        b.handle
            .store()
            .set_topic_overrides("out", limit.into_iter().collect())
            .unwrap();
        let result = sink
            .write(&mut records(3..10))
            .and_then(|()| sink.snapshot_state(2).map(drop));
        match policy {
            OversizedRecords::Fail => {
                let err = result.expect_err("the rejected record must fail the sink");
                assert!(err.is_fatal(), "{err}");
                assert!(err.to_string().contains(r"\x05"), "{err}");
            }
            _ => {
                result.unwrap();
                assert_eq!(stats.skipped(), 1);
                let mut expected = numbers(0..10);
                expected.retain(|v| v != "5");
                assert_eq!(visible(&bs, "out"), expected);
            }
        }
    }
}

/// The produce load generator (`spate bench produce`): every request it counts was stored —
/// an rdkafka consumer reads exactly `requests × batch_records` records back, spread over the
/// partitions as the connections cycle through them, each with the generator's value — and a
/// broker's refusal fails the run instead of being counted.
#[test]
fn produce_load_counts_only_what_the_broker_stored() {
    use spate_kafka_client::produce_load::{self, ProduceLoad};
    let b = TestBroker::start();
    b.topic("load", 3);
    let load = ProduceLoad {
        bootstrap: b.bootstrap(),
        topic: "load".into(),
        partitions: 3,
        connections: 2,
        in_flight: 3,
        record_bytes: 30,
        batch_records: 50,
        acks: -1,
        requests: 31,
        timeout: Duration::from_secs(10),
    };
    let report = produce_load::run(&load).unwrap();
    assert_eq!(report.records, 31 * 50);
    assert_eq!(report.value_bytes, 31 * 50 * 30);
    assert!(report.batch_bytes > report.value_bytes);

    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", b.bootstrap())
        .set("group.id", "load-check")
        .set("log_level", "3")
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    for p in 0..3 {
        tpl.add_partition_offset("load", p, Offset::Beginning).unwrap();
    }
    consumer.assign(&tpl).unwrap();
    let mut per_partition: HashMap<i32, u64> = HashMap::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while per_partition.values().sum::<u64>() < report.records {
        assert!(
            Instant::now() < deadline,
            "read {per_partition:?} of {} records",
            report.records
        );
        let Some(m) = consumer.poll(Duration::from_millis(100)) else {
            continue;
        };
        let m = m.unwrap();
        use rdkafka::Message;
        let value = m.payload().unwrap();
        let i = usize::try_from(m.offset() % 50).unwrap();
        let expected: Vec<u8> = (0..30).map(|j| b'a' + ((i + j) % 26) as u8).collect();
        assert_eq!(
            value,
            expected.as_slice(),
            "offset {} of partition {}",
            m.offset(),
            m.partition()
        );
        *per_partition.entry(m.partition()).or_default() += 1;
    }
    // Connection 0 sends partitions 0 and 2 in turn (16 requests), connection 1 partition 1 (15).
    assert_eq!(
        per_partition,
        HashMap::from([(0, 8 * 50), (1, 15 * 50), (2, 8 * 50)])
    );
    assert!(
        consumer.poll(Duration::from_millis(500)).is_none(),
        "more records than were counted"
    );

    // A partition the topic does not have: the broker's error fails the run.
    let err = produce_load::run(&ProduceLoad {
        partitions: 4,
        ..load.clone()
    })
    .unwrap_err();
    assert!(err.to_string().contains("UNKNOWN_TOPIC_OR_PARTITION"), "{err}");
    let err = produce_load::run(&ProduceLoad { acks: 0, ..load }).unwrap_err();
    assert!(err.to_string().contains("acks"), "{err}");
}
