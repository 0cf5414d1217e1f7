//! Crash test of the `spate broker` binary: acknowledged records survive `kill -9`.
//!
//! An idempotent acks=all producer streams keyed records into a two-partition topic and
//! records every acknowledgement (partition, offset, key, value). While it is still sending,
//! the broker process gets SIGKILL; it is restarted on the same data directory and a consumer
//! using assign() reads everything back. Every acknowledged record must be present at its
//! original offset with identical bytes. The cycle runs twice, so the second crash also hits a
//! log that was already recovered once.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::Broker;

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::ClientContext;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::Message;
use rdkafka::producer::{
    BaseRecord, DeliveryResult, Producer, ProducerContext, PurgeConfig, ThreadedProducer,
};
use rdkafka::{Offset, TopicPartitionList};

const TOPIC: &str = "crash-test";
const PARTITIONS: i32 = 2;
/// Acknowledged records to wait for before each kill.
const ACKED_BEFORE_KILL: usize = 3_000;
/// The producer keeps at most this many unacknowledged records queued, so that the kill lands
/// with requests in flight but the stream does not run far ahead of the broker.
const MAX_UNACKED: usize = 2_000;

#[derive(Debug, Clone, PartialEq, Eq)]
struct StoredRecord {
    key: Vec<u8>,
    value: Vec<u8>,
}

/// Collects what the broker acknowledged, as librdkafka reports it.
struct AckRecorder {
    acked: Mutex<BTreeMap<(i32, i64), StoredRecord>>,
    acked_count: AtomicUsize,
    failed_count: AtomicUsize,
}

impl ClientContext for AckRecorder {}

impl ProducerContext for AckRecorder {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        match result {
            Ok(msg) => {
                let record = StoredRecord {
                    key: msg.key().unwrap_or_default().to_vec(),
                    value: msg.payload().unwrap_or_default().to_vec(),
                };
                let previous = self
                    .acked
                    .lock()
                    .unwrap()
                    .insert((msg.partition(), msg.offset()), record);
                assert!(
                    previous.is_none(),
                    "two records acknowledged at partition {} offset {}",
                    msg.partition(),
                    msg.offset()
                );
                self.acked_count.fetch_add(1, Ordering::SeqCst);
            }
            Err(_) => {
                self.failed_count.fetch_add(1, Ordering::SeqCst);
            }
        }
    }
}

fn key_of(round: usize, seq: usize) -> Vec<u8> {
    format!("round{round}-key{seq}").into_bytes()
}

/// Distinct, varied-length payloads so a record moved or mangled cannot compare equal.
fn value_of(round: usize, seq: usize) -> Vec<u8> {
    let len = 40 + (seq * 7) % 600;
    (0..len).map(|j| (round * 131 + seq * 31 + j) as u8).collect()
}

fn create_topic(addr: &str) {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", addr)
        .create()
        .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let topic = NewTopic::new(TOPIC, PARTITIONS, TopicReplication::Fixed(1));
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    let results = runtime.block_on(admin.create_topics([&topic], &options)).unwrap();
    for result in results {
        result.unwrap();
    }
}

/// Streams records until `ACKED_BEFORE_KILL` are acknowledged, SIGKILLs the broker while the
/// producer is still sending, and returns everything acknowledged.
fn produce_then_kill(broker: &mut Broker, round: usize) -> BTreeMap<(i32, i64), StoredRecord> {
    let recorder = AckRecorder {
        acked: Mutex::new(BTreeMap::new()),
        acked_count: AtomicUsize::new(0),
        failed_count: AtomicUsize::new(0),
    };
    let producer: ThreadedProducer<AckRecorder> = ClientConfig::new()
        .set("bootstrap.servers", &broker.addr)
        .set("acks", "all")
        .set("enable.idempotence", "true")
        .set("linger.ms", "1")
        .set("batch.num.messages", "100")
        .set("message.timeout.ms", "10000")
        .create_with_context(recorder)
        .unwrap();
    let producer = Arc::new(producer);
    let stop = Arc::new(AtomicBool::new(false));
    let sender = {
        let producer = Arc::clone(&producer);
        let stop = Arc::clone(&stop);
        thread::spawn(move || {
            let mut seq = 0usize;
            while !stop.load(Ordering::SeqCst) {
                let context = producer.context();
                let settled =
                    context.acked_count.load(Ordering::SeqCst) + context.failed_count.load(Ordering::SeqCst);
                if seq - settled.min(seq) >= MAX_UNACKED {
                    thread::sleep(Duration::from_millis(1));
                    continue;
                }
                let key = key_of(round, seq);
                let value = value_of(round, seq);
                match producer.send(BaseRecord::to(TOPIC).key(&key).payload(&value)) {
                    Ok(()) => seq += 1,
                    Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                        thread::sleep(Duration::from_millis(1));
                    }
                    Err((e, _)) => panic!("send failed: {e}"),
                }
            }
            seq
        })
    };

    let deadline = Instant::now() + Duration::from_secs(20);
    while producer.context().acked_count.load(Ordering::SeqCst) < ACKED_BEFORE_KILL {
        assert!(
            Instant::now() < deadline,
            "round {round}: only {} records acknowledged in 20 s",
            producer.context().acked_count.load(Ordering::SeqCst)
        );
        thread::sleep(Duration::from_millis(2));
    }
    broker.kill();
    // Let the producer notice the dead connection while it keeps trying to send.
    thread::sleep(Duration::from_millis(200));
    stop.store(true, Ordering::SeqCst);
    let sent = sender.join().unwrap();
    producer.purge(PurgeConfig::default().queue().inflight());
    let producer = Arc::into_inner(producer).expect("the sender thread has ended");
    // Dropping the producer stops its polling thread; no more delivery reports after this.
    let recorder_acked = {
        let context = producer.context();
        let acked = context.acked.lock().unwrap().clone();
        assert!(
            sent > acked.len(),
            "round {round}: the kill must land while records are unacknowledged \
             (sent {sent}, acknowledged {})",
            acked.len()
        );
        acked
    };
    drop(producer);
    eprintln!(
        "round {round}: sent {sent}, {} acknowledged before the kill took effect",
        recorder_acked.len()
    );
    recorder_acked
}

/// Reads every partition from the beginning up to its high watermark, with assign() only.
fn read_all(addr: &str) -> BTreeMap<(i32, i64), StoredRecord> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", addr)
        .set("group.id", "crash-test-verifier")
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .create()
        .unwrap();
    let mut remaining = HashSet::new();
    let mut high_watermarks = BTreeMap::new();
    let mut assignment = TopicPartitionList::new();
    for partition in 0..PARTITIONS {
        let (low, high) = consumer
            .fetch_watermarks(TOPIC, partition, Duration::from_secs(10))
            .unwrap();
        assert_eq!(low, 0, "partition {partition}: nothing was deleted");
        high_watermarks.insert(partition, high);
        if high > 0 {
            remaining.insert(partition);
        }
        assignment
            .add_partition_offset(TOPIC, partition, Offset::Beginning)
            .unwrap();
    }
    consumer.assign(&assignment).unwrap();

    let mut read = BTreeMap::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !remaining.is_empty() {
        assert!(
            Instant::now() < deadline,
            "timed out reading back: partitions {remaining:?} not read up to {high_watermarks:?}"
        );
        let Some(result) = consumer.poll(Duration::from_millis(200)) else {
            continue;
        };
        let msg = result.unwrap();
        let record = StoredRecord {
            key: msg.key().unwrap_or_default().to_vec(),
            value: msg.payload().unwrap_or_default().to_vec(),
        };
        let previous = read.insert((msg.partition(), msg.offset()), record);
        assert!(previous.is_none(), "offset {} read twice", msg.offset());
        if msg.offset() + 1 >= high_watermarks[&msg.partition()] {
            remaining.remove(&msg.partition());
        }
    }
    read
}

fn assert_all_acked_present(
    acked: &BTreeMap<(i32, i64), StoredRecord>,
    read: &BTreeMap<(i32, i64), StoredRecord>,
) {
    let mut missing = Vec::new();
    let mut different = Vec::new();
    for (position, record) in acked {
        match read.get(position) {
            None => missing.push(*position),
            Some(stored) if stored != record => different.push(*position),
            Some(_) => {}
        }
    }
    assert!(
        missing.is_empty() && different.is_empty(),
        "{} of {} acknowledged records missing (first {:?}), {} differ (first {:?})",
        missing.len(),
        acked.len(),
        missing.first(),
        different.len(),
        different.first()
    );
    // The idempotent producer never reached a restarted broker, so no key may be stored twice.
    let mut keys = HashSet::new();
    for (position, record) in read {
        assert!(
            keys.insert(record.key.clone()),
            "key {:?} stored twice (again at {position:?})",
            String::from_utf8_lossy(&record.key)
        );
    }
}

#[test]
fn acknowledged_records_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let mut acked = BTreeMap::new();

    let mut broker = Broker::start(&data_dir, &dir.path().join("broker-0.log"));
    create_topic(&broker.addr);
    for round in 0..2 {
        let acked_now = produce_then_kill(&mut broker, round);
        assert!(acked_now.len() >= ACKED_BEFORE_KILL);
        for (position, record) in acked_now {
            if let Some(earlier) = acked.insert(position, record) {
                panic!("offset {position:?} acknowledged again after a restart ({earlier:?})");
            }
        }

        broker = Broker::start(&data_dir, &dir.path().join(format!("broker-{}.log", round + 1)));
        let read = read_all(&broker.addr);
        assert_all_acked_present(&acked, &read);
        eprintln!(
            "round {round}: {} acknowledged so far, {} records stored after restart",
            acked.len(),
            read.len()
        );
    }
}
