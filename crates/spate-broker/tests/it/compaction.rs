//! Log compaction through the broker: a compacted topic created with the admin client, keyed
//! records produced with librdkafka, the background cleaner at work, and a consumer that reads
//! the latest value per key at the offsets it was written; keyless records refused; committed
//! group offsets surviving the cleaning of `__consumer_offsets` and a restart; tombstones in
//! batches with a KIP-534 delete horizon read by librdkafka and the kafka-protocol decoder.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::{TestBroker, client_config};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, ResourceSpecifier, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::Message;
use rdkafka::producer::{
    BaseRecord, DefaultProducerContext, FutureProducer, FutureRecord, Producer, ThreadedProducer,
};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use spate_broker::{Broker, BrokerConfig};

const TIMEOUT: Duration = Duration::from_secs(10);

fn fast_cleaner(config: &mut BrokerConfig) {
    config.cleaner.backoff = Duration::from_millis(50);
}

/// Waits until the cleaner has written `topic`-0's checkpoint with an offset of at least `at`.
async fn wait_cleaned(broker: &TestBroker, topic: &str, at: i64) {
    let p = broker.handle.store().partition(topic, 0).unwrap();
    let path = p.dir().join("cleaner-offset-checkpoint");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let cleaned = std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| t.split_whitespace().next()?.parse::<i64>().ok())
            .unwrap_or(-1);
        if cleaned >= at {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{topic} not cleaned up to {at} (at {cleaned})"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every record of partition 0 from the beginning to the end: (offset, key, value).
fn read_all(bootstrap: &str, topic: &str) -> Vec<(i64, Vec<u8>, Option<Vec<u8>>)> {
    read_all_at(bootstrap, topic, "read_uncommitted")
}

/// [`read_all`] at an isolation level.
fn read_all_at(bootstrap: &str, topic: &str, isolation: &str) -> Vec<(i64, Vec<u8>, Option<Vec<u8>>)> {
    read_partition(bootstrap, topic, isolation)
        .into_iter()
        .map(|(offset, key, value, _)| (offset, key, value))
        .collect()
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// A record as librdkafka reads it: offset, key, value, timestamp.
type TimedRecord = (i64, Vec<u8>, Option<Vec<u8>>, i64);

/// Every record of partition 0 as librdkafka reads it.
fn read_with_timestamps(bootstrap: &str, topic: &str) -> Vec<TimedRecord> {
    read_partition(bootstrap, topic, "read_uncommitted")
        .into_iter()
        .map(|(offset, key, value, ts)| (offset, key, value, ts.unwrap()))
        .collect()
}

/// A record as librdkafka reads it: offset, key, value, and timestamp when it has one.
type ReadRecord = (i64, Vec<u8>, Option<Vec<u8>>, Option<i64>);

/// Every record of partition 0 up to its end, at an isolation level.
fn read_partition(bootstrap: &str, topic: &str, isolation: &str) -> Vec<ReadRecord> {
    let consumer: BaseConsumer = client_config(bootstrap)
        .set("group.id", "compaction-reader")
        .set("isolation.level", isolation)
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "true")
        // librdkafka doubles a partition's fetch size on each response without a record or a
        // control batch and fails with MSG_SIZE_TOO_LARGE once it would pass 1 GiB; starting at
        // 512 MiB, the second such response fails the read (fillers alone must never make one).
        .set("fetch.message.max.bytes", "536870912")
        .set("fetch.max.bytes", "600000000")
        .set("receive.message.max.bytes", "700000000")
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(topic, 0, Offset::Beginning).unwrap();
    consumer.assign(&tpl).unwrap();
    let mut out = Vec::new();
    let deadline = Instant::now() + TIMEOUT;
    loop {
        assert!(
            Instant::now() < deadline,
            "no end of partition; read {}",
            out.len()
        );
        match consumer.poll(Duration::from_millis(100)) {
            None => {}
            Some(Ok(m)) => out.push((
                m.offset(),
                m.key().unwrap().to_vec(),
                m.payload().map(<[u8]>::to_vec),
                m.timestamp().to_millis(),
            )),
            Some(Err(KafkaError::PartitionEOF(_))) => return out,
            Some(Err(e)) => panic!("consume error: {e}"),
        }
    }
}

/// KIP-534 on the wire: tombstones produced with an old timestamp survive the first cleaning
/// (the default `delete.retention.ms` of a day has not passed since), in batches the cleaner
/// rewrote with the delete-horizon flag and `baseTimestamp` = horizon; librdkafka and the
/// kafka-protocol decoder read them through the cleaned segments with the producer's
/// timestamps.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tombstones_carry_their_delete_horizon_to_rdkafka_and_kafka_protocol_readers() {
    let broker = TestBroker::start_with(fast_cleaner).await;
    broker.create_topic_with(
        "horizon",
        1,
        &[
            ("cleanup.policy", "compact"),
            ("segment.bytes", "1024"),
            ("min.cleanable.dirty.ratio", "0.01"),
        ],
    );
    let bootstrap = broker.bootstrap();
    let producer: FutureProducer = client_config(&bootstrap)
        .set("linger.ms", "0")
        .set("compression.type", "zstd")
        .create()
        .unwrap();
    let old = now_ms() - 30 * 24 * 3600 * 1000;
    let send = |key: String, value: Option<Vec<u8>>, timestamp: Option<i64>| {
        let producer = producer.clone();
        async move {
            let mut record = FutureRecord::to("horizon").key(key.as_bytes());
            if let Some(v) = &value {
                record = record.payload(v.as_slice());
            }
            if let Some(ts) = timestamp {
                record = record.timestamp(ts);
            }
            producer
                .send(record, TIMEOUT)
                .await
                .map_err(|(e, _)| e)
                .unwrap()
                .offset
        }
    };
    for i in 0..10 {
        send(
            format!("key-{i}"),
            Some(format!("value-{i}").into_bytes()),
            Some(old),
        )
        .await;
    }
    let mut tombstones = BTreeMap::new();
    for i in (0..10).step_by(2) {
        let offset = send(format!("key-{i}"), None, Some(old + 1)).await;
        tombstones.insert(offset, format!("key-{i}"));
    }
    let before_cleaning = now_ms();
    // Padding rolls the segments holding everything above, so the cleaner may take them.
    for _ in 0..60 {
        send("pad".into(), Some(vec![b'p'; 100]), None).await;
    }
    let p = broker.handle.store().partition("horizon", 0).unwrap();
    let last_tombstone = *tombstones.keys().last().unwrap();
    let sealed_end = *p.segment_base_offsets().last().unwrap();
    assert!(sealed_end > last_tombstone, "segments rolled: {sealed_end}");
    wait_cleaned(&broker, "horizon", sealed_end).await;

    // On disk: every batch checks out; those holding tombstones carry the horizon.
    let mut stored = Vec::new();
    let mut at = 0;
    while at < p.log_end_offset() {
        let read = p.read(at, usize::MAX).unwrap();
        let batches = spate_log::batch::validate_batches(&read.records).unwrap();
        at = batches.last().unwrap().last_offset() + 1;
        stored.extend(batches);
    }
    let day = 24 * 3600 * 1000;
    for offset in tombstones.keys() {
        let h = stored
            .iter()
            .find(|h| h.base_offset <= *offset && *offset <= h.last_offset())
            .unwrap();
        let horizon = h
            .delete_horizon()
            .expect("a tombstone's batch has a delete horizon");
        assert!(
            (before_cleaning + day..=now_ms() + day).contains(&horizon),
            "horizon {horizon} is the cleaning time + delete.retention.ms"
        );
        assert_eq!(h.max_timestamp, old + 1);
    }

    // librdkafka reads across the rewritten batches: deleted keys as tombstones, with their
    // timestamps; the superseded values are gone.
    let read = tokio::task::spawn_blocking({
        let bootstrap = bootstrap.clone();
        move || read_with_timestamps(&bootstrap, "horizon")
    })
    .await
    .unwrap();
    for (offset, key) in &tombstones {
        let got = read
            .iter()
            .find(|r| r.0 == *offset)
            .expect("the tombstone is read");
        assert_eq!(
            (&got.1, &got.2, got.3),
            (&key.clone().into_bytes(), &None, old + 1)
        );
    }
    for i in (1..10).step_by(2) {
        let key = format!("key-{i}").into_bytes();
        let got: Vec<_> = read.iter().filter(|r| r.1 == key).collect();
        assert_eq!(got.len(), 1, "key-{i}");
        assert_eq!(
            (got[0].2.as_deref(), got[0].3),
            (Some(format!("value-{i}").as_bytes()), old)
        );
    }
    let deleted_values = read
        .iter()
        .filter(|r| tombstones.values().any(|k| k.as_bytes() == r.1) && r.2.is_some())
        .count();
    assert_eq!(deleted_values, 0, "values under tombstones are cleaned away");

    // The kafka-protocol decoder (CRC checked) reads the same over a raw Fetch.
    let mut raw = common::raw::RawConnection::connect(&bootstrap).await;
    for (offset, key) in &tombstones {
        let (records, _) = raw.fetch_records("horizon", 0, *offset).await;
        let r = records.iter().find(|r| r.offset == *offset).expect("fetched");
        assert_eq!(r.key.as_deref(), Some(key.as_bytes()));
        assert!(r.value.is_none());
        assert_eq!(r.timestamp, old + 1);
    }
    broker.handle.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compacted_topic_keeps_the_latest_value_per_key_for_rdkafka_consumers() {
    let broker = TestBroker::start_with(fast_cleaner).await;
    let bootstrap = broker.bootstrap();
    let admin: AdminClient<DefaultClientContext> = client_config(&bootstrap).create().unwrap();
    let options = AdminOptions::new().request_timeout(Some(TIMEOUT));
    let topic = NewTopic::new("upserts", 1, TopicReplication::Fixed(1))
        .set("cleanup.policy", "compact")
        .set("segment.bytes", "2048")
        .set("min.cleanable.dirty.ratio", "0.01")
        .set("delete.retention.ms", "100");
    let created = admin.create_topics(&[topic], &options).await.unwrap();
    assert!(created[0].is_ok(), "{created:?}");
    let described = admin
        .describe_configs(&[ResourceSpecifier::Topic("upserts")], &options)
        .await
        .unwrap()
        .remove(0)
        .unwrap();
    let value = |name: &str| described.get(name).and_then(|e| e.value.clone());
    assert_eq!(value("cleanup.policy").as_deref(), Some("compact"));
    assert_eq!(value("min.cleanable.dirty.ratio").as_deref(), Some("0.01"));
    assert_eq!(value("delete.retention.ms").as_deref(), Some("100"));

    let producer: FutureProducer = client_config(&bootstrap)
        .set("linger.ms", "5")
        .set("compression.type", "lz4")
        // Small batches, so the log spans many segments and batches lose some records only.
        .set("batch.size", "2000")
        .set("enable.idempotence", "true")
        .create()
        .unwrap();
    // 1500 updates of 30 keys; keys 25..30 end deleted (a tombstone last).
    let mut written: BTreeMap<i64, (String, Option<String>)> = BTreeMap::new();
    let mut latest: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut pending = Vec::new();
    for i in 0..1500 {
        let key = format!("key-{}", i % 30);
        let deleted = i >= 1470 && i % 30 >= 25;
        let value = (!deleted).then(|| format!("value-{i}-{}", "x".repeat(40)));
        let mut record = FutureRecord::to("upserts").key(key.as_bytes());
        if let Some(v) = &value {
            record = record.payload(v.as_bytes());
        }
        let delivery = producer.send_result(record).map_err(|(e, _)| e).unwrap();
        pending.push((key.clone(), value.clone(), delivery));
        latest.insert(key, value);
    }
    for (key, value, delivery) in pending {
        let d = delivery.await.unwrap().map_err(|(e, _)| e).unwrap();
        written.insert(d.offset, (key, value));
    }
    let end = broker.log_end_offset("upserts", 0);
    assert_eq!(end, 1500);
    let p = broker.handle.store().partition("upserts", 0).unwrap();
    let sealed_end = *p.segment_base_offsets().last().unwrap();
    assert!(sealed_end > 1000, "segments rolled: {sealed_end}");
    let before = p.size_bytes();
    wait_cleaned(&broker, "upserts", sealed_end).await;

    let read = tokio::task::spawn_blocking({
        let bootstrap = bootstrap.clone();
        move || read_all(&bootstrap, "upserts")
    })
    .await
    .unwrap();
    // How much goes depends on how the producer batched (few large lz4 batches under load
    // keep up to 30 records each); that some went is what cleaning must show.
    assert!(
        p.size_bytes() < before,
        "{} of {before} bytes left",
        p.size_bytes()
    );
    // The consumer read across batches that lost every record (what keeps the offsets) and
    // batches that kept some.
    let mut stored = Vec::new();
    let mut at = 0;
    while at < p.log_end_offset() {
        let read = p.read(at, usize::MAX).unwrap();
        let batches = spate_log::batch::validate_batches(&read.records).unwrap();
        at = batches.last().unwrap().last_offset() + 1;
        stored.extend(batches);
    }
    assert!(
        stored.iter().any(|h| h.record_count == 0),
        "no emptied batches to read across"
    );
    assert!(
        stored
            .iter()
            .any(|h| h.record_count > 0 && i64::from(h.record_count) <= i64::from(h.last_offset_delta)),
        "no batch kept only some of its records"
    );
    assert!(read.len() < 1500 / 2, "{} records left", read.len());
    let mut seen: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut last_offset = -1;
    for (offset, key, value) in &read {
        assert!(*offset > last_offset, "offsets ascend");
        last_offset = *offset;
        let key = String::from_utf8(key.clone()).unwrap();
        let value = value.as_ref().map(|v| String::from_utf8(v.clone()).unwrap());
        assert_eq!(
            written[offset],
            (key.clone(), value.clone()),
            "record at {offset} kept its offset"
        );
        seen.insert(key, value);
    }
    for (key, value) in &latest {
        match value {
            Some(v) => assert_eq!(seen.get(key), Some(&Some(v.clone())), "{key}"),
            // A deleted key reads as its tombstone while it is in the uncleaned tail, or not
            // at all.
            None => assert!(
                matches!(seen.get(key), None | Some(None)),
                "{key}: {:?}",
                seen.get(key)
            ),
        }
    }

    // Keyless records have no place in a compacted topic.
    let keyless = producer
        .send(
            FutureRecord::<[u8], [u8]>::to("upserts").payload(b"no key"),
            TIMEOUT,
        )
        .await;
    match keyless {
        Err((KafkaError::MessageProduction(code), _)) => assert_eq!(code, RDKafkaErrorCode::InvalidRecord),
        other => panic!("keyless record: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn committed_offsets_survive_compaction_of_consumer_offsets_and_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let config = || {
        let mut c = BrokerConfig::ephemeral(dir.path());
        fast_cleaner(&mut c);
        // Small segments everywhere, __consumer_offsets included, so it rolls and is cleaned.
        c.log.segment_bytes = 2048;
        c.log.min_cleanable_dirty_ratio_ppm = 10_000;
        c
    };
    let broker = Broker::start(config()).await.unwrap();
    let bootstrap = broker.bootstrap_servers();
    let offsets_topic = broker.store().topic("__consumer_offsets").unwrap();
    assert!(
        offsets_topic.config.cleanup_compact,
        "__consumer_offsets is compacted"
    );
    broker
        .store()
        .create_topic("events", 1, &Default::default())
        .unwrap();
    let last = tokio::task::spawn_blocking({
        let bootstrap = bootstrap.clone();
        move || {
            let consumer: BaseConsumer = ClientConfig::new()
                .set("bootstrap.servers", &bootstrap)
                .set("group.id", "committer")
                .set("enable.auto.commit", "false")
                .create()
                .unwrap();
            let mut last = 0;
            for i in 0..300 {
                let mut tpl = TopicPartitionList::new();
                tpl.add_partition_offset("events", 0, Offset::Offset(i)).unwrap();
                consumer.commit(&tpl, CommitMode::Sync).unwrap();
                last = i;
            }
            last
        }
    })
    .await
    .unwrap();
    let p = broker.store().partition("__consumer_offsets", 0).unwrap();
    assert!(p.segment_count() > 2, "__consumer_offsets rolled");
    let sealed_end = *p.segment_base_offsets().last().unwrap();
    let path = p.dir().join("cleaner-offset-checkpoint");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| t.split_whitespace().next()?.parse::<i64>().ok())
        .is_none_or(|c| c < sealed_end)
    {
        assert!(Instant::now() < deadline, "__consumer_offsets not cleaned");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(p);
    broker.shutdown().await.unwrap();

    let broker = Broker::start(config()).await.unwrap();
    let bootstrap = broker.bootstrap_servers();
    let committed = tokio::task::spawn_blocking(move || {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &bootstrap)
            .set("group.id", "committer")
            .create()
            .unwrap();
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition("events", 0);
        consumer.committed_offsets(tpl, TIMEOUT).unwrap()
    })
    .await
    .unwrap();
    let offset = committed.find_partition("events", 0).unwrap().offset();
    assert_eq!(offset, Offset::Offset(last));
    broker.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transactions_on_a_compacted_topic_read_committed_after_cleaning() {
    let broker = TestBroker::start_with(fast_cleaner).await;
    let bootstrap = broker.bootstrap();
    broker.create_topic_with(
        "txn-upserts",
        1,
        &[
            ("cleanup.policy", "compact"),
            ("segment.bytes", "2048"),
            ("min.cleanable.dirty.ratio", "0.01"),
        ],
    );
    // 40 transactions of 10 updates over 15 keys; every third one aborted.
    let latest = tokio::task::spawn_blocking({
        let bootstrap = bootstrap.clone();
        move || {
            let producer: ThreadedProducer<DefaultProducerContext> = client_config(&bootstrap)
                .set("transactional.id", "compaction-txn")
                .set("linger.ms", "0")
                .create()
                .unwrap();
            producer.init_transactions(TIMEOUT).unwrap();
            let mut latest: BTreeMap<String, String> = BTreeMap::new();
            for t in 0..40 {
                producer.begin_transaction().unwrap();
                let mut staged = Vec::new();
                for i in 0..10 {
                    let key = format!("key-{}", (t * 10 + i) % 15);
                    let value = format!("txn-{t}-{i}-{}", "y".repeat(30));
                    producer
                        .send(BaseRecord::to("txn-upserts").key(&key).payload(&value))
                        .map_err(|(e, _)| e)
                        .unwrap();
                    staged.push((key, value));
                }
                producer.flush(TIMEOUT).unwrap();
                if t % 3 == 2 {
                    producer.abort_transaction(TIMEOUT).unwrap();
                } else {
                    producer.commit_transaction(TIMEOUT).unwrap();
                    latest.extend(staged);
                }
            }
            latest
        }
    })
    .await
    .unwrap();
    let p = broker.handle.store().partition("txn-upserts", 0).unwrap();
    assert_eq!(p.last_stable_offset(), p.high_watermark());
    let sealed_end = *p.segment_base_offsets().last().unwrap();
    assert!(sealed_end > 200, "segments rolled: {sealed_end}");
    wait_cleaned(&broker, "txn-upserts", sealed_end).await;
    let read = tokio::task::spawn_blocking(move || read_all_at(&bootstrap, "txn-upserts", "read_committed"))
        .await
        .unwrap();
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    let mut last_offset = -1;
    for (offset, key, value) in read.iter().cloned() {
        assert!(offset > last_offset, "offsets ascend");
        last_offset = offset;
        let value = String::from_utf8(value.unwrap()).unwrap();
        let t: usize = value.split('-').nth(1).unwrap().parse().unwrap();
        assert_ne!(t % 3, 2, "aborted record at {offset}: {value}");
        seen.insert(String::from_utf8(key).unwrap(), value);
    }
    assert_eq!(seen, latest);
    assert!(read.len() < 400 / 2, "{} records left", read.len());
}
