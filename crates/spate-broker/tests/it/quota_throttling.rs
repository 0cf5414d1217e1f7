//! Byte-rate quotas enforced: librdkafka producers and consumers as fast as they can go, one
//! client id under a quota (its achieved rate stays near the quota and librdkafka reports the
//! broker's throttle time) and one without (unthrottled); and raw requests for the exact
//! protocol behaviour (throttle_time_ms, the muted connection, the delayed reply of a pre-KIP-219
//! version, the empty throttled fetch).
//!
//! The request quota (`request_percentage`, KIP-124) enforced: raw clients sending cheap
//! requests back to back, one client id under a small quota and one without.
//!
//! The brokers measure over 3 windows of 1 s (`quota.window.num=3`) instead of Kafka's 11, so a
//! new client's allowance of `samples - 1` windows is small next to a run of a few seconds.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::raw::{RawConnection, batch, produce_request, topic_name};
use common::{TestBroker, client_config};
use kafka_protocol::messages::alter_client_quotas_request::{EntityData, EntryData, OpData};
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::{AlterClientQuotasRequest, ApiVersionsRequest, FetchRequest, MetadataRequest};
use kafka_protocol::protocol::StrBytes;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::error::KafkaError;
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{ClientContext, Offset, Statistics, TopicPartitionList};
use spate_broker::quotas::QuotaWindow;

const WINDOW: QuotaWindow = QuotaWindow {
    samples: 3,
    window_ms: 1000,
};
const VALUE_BYTES: usize = 1000;

async fn broker() -> TestBroker {
    TestBroker::start_with(|c| c.quota_window = WINDOW).await
}

/// Sets `key=value` for the entity (`None` name = the default).
async fn set_quota(bootstrap: &str, entity: &[(&str, Option<&str>)], key: &str, value: f64) {
    alter_quota(bootstrap, entity, key, Some(value)).await;
}

/// Sets (`Some`) or removes (`None`) `key` for the entity (`None` name = the default).
async fn alter_quota(bootstrap: &str, entity: &[(&str, Option<&str>)], key: &str, value: Option<f64>) {
    let mut conn = RawConnection::connect(bootstrap).await;
    let entity = entity
        .iter()
        .map(|(t, n)| {
            EntityData::default()
                .with_entity_type(StrBytes::from_string(t.to_string()))
                .with_entity_name(n.map(|n| StrBytes::from_string(n.to_string())))
        })
        .collect();
    let op = OpData::default()
        .with_key(StrBytes::from_string(key.to_string()))
        .with_value(value.unwrap_or(0.0))
        .with_remove(value.is_none());
    let r = conn
        .call(
            &AlterClientQuotasRequest::default()
                .with_entries(vec![EntryData::default().with_entity(entity).with_ops(vec![op])]),
            1,
        )
        .await;
    assert_eq!(r.entries[0].error_code, 0, "{:?}", r.entries[0].error_message);
}

/// What a librdkafka client saw: messages delivered, the largest throttle time its
/// statistics reported and the requests it sent.
#[derive(Default, Clone)]
struct Observed {
    delivered: Arc<AtomicU64>,
    max_throttle_ms: Arc<AtomicI64>,
    requests_sent: Arc<AtomicU64>,
}

impl ClientContext for Observed {
    fn stats(&self, statistics: Statistics) {
        for broker in statistics.brokers.values() {
            if let Some(t) = &broker.throttle {
                self.max_throttle_ms.fetch_max(t.max, Ordering::Relaxed);
            }
        }
        let sent = statistics.brokers.values().map(|b| b.tx).sum();
        self.requests_sent.store(sent, Ordering::Relaxed);
    }
}

impl ProducerContext for Observed {
    type DeliveryOpaque = ();
    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        if result.is_ok() {
            self.delivered.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl ConsumerContext for Observed {}

/// Produces `VALUE_BYTES` records as fast as librdkafka takes them for `run`; returns the bytes
/// acknowledged per second and the largest throttle time reported.
fn produce_flat_out(bootstrap: &str, client_id: &str, topic: &str, run: Duration) -> (f64, i64) {
    let observed = Observed::default();
    let producer: BaseProducer<Observed> = client_config(bootstrap)
        .set("client.id", client_id)
        .set("statistics.interval.ms", "100")
        .set("linger.ms", "5")
        .set("batch.size", "16384")
        .set("acks", "1")
        .create_with_context(observed.clone())
        .unwrap();
    let value = vec![b'x'; VALUE_BYTES];
    let start = Instant::now();
    while start.elapsed() < run {
        match producer.send(BaseRecord::<(), _>::to(topic).payload(&value)) {
            Ok(()) => {}
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                producer.poll(Duration::from_millis(5));
            }
            Err((e, _)) => panic!("produce failed: {e}"),
        }
        producer.poll(Duration::ZERO);
    }
    let elapsed = start.elapsed().as_secs_f64();
    let delivered = observed.delivered.load(Ordering::Relaxed);
    // Statistics are emitted every 100 ms: let the last interval's arrive.
    for _ in 0..5 {
        producer.poll(Duration::from_millis(100));
    }
    producer.purge(rdkafka::producer::PurgeConfig::default().queue().inflight());
    (
        delivered as f64 * VALUE_BYTES as f64 / elapsed,
        observed.max_throttle_ms.load(Ordering::Relaxed),
    )
}

/// Reads `topic` partition 0 from the start for at most `run` or until `total` records; returns
/// the record bytes read per second, the records read and the largest throttle time reported.
fn consume_flat_out(
    bootstrap: &str,
    client_id: &str,
    topic: &str,
    total: usize,
    run: Duration,
) -> (f64, usize, i64) {
    let observed = Observed::default();
    let consumer: BaseConsumer<Observed> = client_config(bootstrap)
        .set("client.id", client_id)
        .set("group.id", "quota-tests")
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("statistics.interval.ms", "100")
        .set("fetch.wait.max.ms", "50")
        .create_with_context(observed.clone())
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(topic, 0, Offset::Beginning).unwrap();
    consumer.assign(&tpl).unwrap();
    let start = Instant::now();
    let mut read = 0usize;
    let mut bytes = 0usize;
    while start.elapsed() < run && read < total {
        match consumer.poll(Duration::from_millis(50)) {
            Some(Ok(m)) => {
                read += 1;
                bytes += m.payload_len();
            }
            Some(Err(e)) => panic!("consume failed: {e}"),
            None => {}
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    for _ in 0..5 {
        consumer.poll(Duration::from_millis(100));
    }
    (
        bytes as f64 / elapsed,
        read,
        observed.max_throttle_ms.load(Ordering::Relaxed),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn producer_byte_rate_holds_one_client_id_to_its_quota() {
    let broker = broker().await;
    broker.create_topic("quota-produce", 1);
    let bootstrap = broker.bootstrap();
    let quota = 200_000.0;
    set_quota(
        &bootstrap,
        &[("client-id", Some("slow-producer"))],
        "producer_byte_rate",
        quota,
    )
    .await;

    let b = bootstrap.clone();
    let (rate, throttle) = tokio::task::spawn_blocking(move || {
        produce_flat_out(&b, "slow-producer", "quota-produce", Duration::from_secs(6))
    })
    .await
    .unwrap();
    eprintln!("slow-producer: {rate:.0} B/s against a quota of {quota} B/s, max throttle {throttle} ms");
    assert!(rate < 2.0 * quota, "{rate:.0} B/s is far above the quota");
    assert!(rate > 0.5 * quota, "{rate:.0} B/s is far below the quota");
    assert!(throttle > 0, "librdkafka reported no throttle time");

    let b = bootstrap.clone();
    let (free_rate, free_throttle) = tokio::task::spawn_blocking(move || {
        produce_flat_out(&b, "free-producer", "quota-produce", Duration::from_secs(3))
    })
    .await
    .unwrap();
    eprintln!("free-producer: {free_rate:.0} B/s, max throttle {free_throttle} ms");
    assert!(
        free_rate > 3.0 * quota,
        "an unthrottled client id managed only {free_rate:.0} B/s"
    );
    assert_eq!(free_throttle, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumer_byte_rate_holds_one_client_id_to_its_quota() {
    let broker = broker().await;
    broker.create_topic("quota-fetch", 1);
    let bootstrap = broker.bootstrap();
    // 3 MB of 16 KB batches, small next to what a throttled fetch may carry.
    let records = 3_000;
    let b = bootstrap.clone();
    tokio::task::spawn_blocking(move || {
        let producer: BaseProducer = client_config(&b)
            .set("linger.ms", "5")
            .set("batch.size", "16384")
            .create()
            .unwrap();
        let value = vec![b'y'; VALUE_BYTES];
        for _ in 0..records {
            loop {
                match producer.send(BaseRecord::<(), _>::to("quota-fetch").payload(&value)) {
                    Ok(()) => break,
                    Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                        producer.poll(Duration::from_millis(5));
                    }
                    Err((e, _)) => panic!("produce failed: {e}"),
                }
            }
        }
        producer.flush(Duration::from_secs(30)).unwrap();
    })
    .await
    .unwrap();
    assert_eq!(broker.log_end_offset("quota-fetch", 0), records as i64);

    let quota = 200_000.0;
    set_quota(
        &bootstrap,
        &[("client-id", Some("slow-reader"))],
        "consumer_byte_rate",
        quota,
    )
    .await;
    let b = bootstrap.clone();
    let (rate, read, throttle) = tokio::task::spawn_blocking(move || {
        consume_flat_out(&b, "slow-reader", "quota-fetch", records, Duration::from_secs(5))
    })
    .await
    .unwrap();
    eprintln!(
        "slow-reader: {rate:.0} B/s ({read} records) against a quota of {quota} B/s, max throttle {throttle} ms"
    );
    assert!(rate < 2.0 * quota, "{rate:.0} B/s is far above the quota");
    assert!(rate > 0.5 * quota, "{rate:.0} B/s is far below the quota");
    assert!(throttle > 0, "librdkafka reported no throttle time");

    let b = bootstrap.clone();
    let (free_rate, free_read, free_throttle) = tokio::task::spawn_blocking(move || {
        consume_flat_out(&b, "free-reader", "quota-fetch", records, Duration::from_secs(10))
    })
    .await
    .unwrap();
    eprintln!("free-reader: {free_rate:.0} B/s ({free_read} records), max throttle {free_throttle} ms");
    assert_eq!(free_read, records);
    assert!(
        free_rate > 3.0 * quota,
        "an unthrottled client id managed only {free_rate:.0} B/s"
    );
    assert_eq!(free_throttle, 0);
}

/// A 30 KB batch (the raw connection's client id is `spate-test`).
fn big_batch() -> bytes::Bytes {
    let value = vec![b'z'; 1_000];
    let values: Vec<&[u8]> = (0..30).map(|_| &value[..]).collect();
    batch(&values, 0, None)
}

#[tokio::test]
async fn a_throttled_produce_is_answered_at_once_and_mutes_the_connection() {
    let broker = broker().await;
    broker.create_topic("raw-quota", 1);
    let bootstrap = broker.bootstrap();
    // 16 KB/s measured over at least 2 s: a first request of 30 KB is 15 KB/s, within it; a
    // second makes it 30 KB/s, a throttle of (30 - 16) / 16 * 2 s = 1.75 s (in general the 61 KB
    // of both requests / 16 KB/s - the time measured, so a little less on a slow machine).
    set_quota(
        &bootstrap,
        &[("client-id", Some("spate-test"))],
        "producer_byte_rate",
        16_000.0,
    )
    .await;
    let mut conn = RawConnection::connect(&bootstrap).await;
    let first = conn
        .call(&produce_request("raw-quota", 0, big_batch(), 1), 9)
        .await;
    assert_eq!(first.throttle_time_ms, 0);
    let started = Instant::now();
    let second = conn
        .call(&produce_request("raw-quota", 0, big_batch(), 1), 9)
        .await;
    // Answered at once (KIP-219), records appended, throttle time in the reply.
    assert!(
        started.elapsed() < Duration::from_millis(1_000),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(second.responses[0].partition_responses[0].error_code, 0);
    let throttle = second.throttle_time_ms;
    assert!((1_000..=2_000).contains(&throttle), "throttle_time_ms {throttle}");
    assert_eq!(broker.log_end_offset("raw-quota", 0), 60);
    // The connection is muted: even ApiVersions waits out the throttle.
    let _ = conn.call(&ApiVersionsRequest::default(), 3).await;
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(throttle as u64 - 100),
        "answered after {waited:?}, throttle {throttle} ms"
    );
    // Another connection with another client id is not affected.
    drop(conn);

    // Produce v5 predates KIP-219: the reply itself comes only after the throttle time.
    let mut old = RawConnection::connect(&bootstrap).await;
    let started = Instant::now();
    let r = old
        .call(&produce_request("raw-quota", 0, big_batch(), 1), 5)
        .await;
    assert!(r.throttle_time_ms > 0);
    assert!(
        started.elapsed() >= Duration::from_millis(r.throttle_time_ms as u64 - 100),
        "a v5 reply came after {:?} with throttle {} ms",
        started.elapsed(),
        r.throttle_time_ms
    );
}

fn fetch_from_start(topic: &str) -> FetchRequest {
    FetchRequest::default()
        .with_max_wait_ms(0)
        .with_max_bytes(50 << 20)
        .with_replica_id(kafka_protocol::messages::BrokerId(-1))
        .with_topics(vec![
            FetchTopic::default()
                .with_topic(topic_name(topic))
                .with_partitions(vec![
                    FetchPartition::default()
                        .with_partition(0)
                        .with_fetch_offset(0)
                        .with_partition_max_bytes(10 << 20),
                ]),
        ])
}

#[tokio::test]
async fn a_throttled_fetch_is_empty_and_carries_the_throttle_time() {
    let broker = broker().await;
    broker.create_topic("raw-fetch-quota", 1);
    let bootstrap = broker.bootstrap();
    let mut conn = RawConnection::connect(&bootstrap).await;
    for _ in 0..4 {
        let r = conn.produce("raw-fetch-quota", 0, big_batch(), 1).await;
        assert_eq!(r.error_code, 0);
    }
    // A user quota (PLAINTEXT clients are User:ANONYMOUS): 20 KB/s caps a fetch at 2 windows'
    // worth, 40 KB, so each returns the first 30 KB batch only (KIP-74). The first is 30 KB over
    // 2 s, 15 KB/s; a second makes it 30 KB/s, throttled for (30 - 20) / 20 * 2 s = 1 s.
    set_quota(
        &bootstrap,
        &[("user", Some("ANONYMOUS"))],
        "consumer_byte_rate",
        20_000.0,
    )
    .await;
    let first = conn.call(&fetch_from_start("raw-fetch-quota"), 12).await;
    assert_eq!(first.throttle_time_ms, 0);
    assert_eq!(first.responses.len(), 1);
    let got = first.responses[0].partitions[0].records.as_ref().unwrap().len();
    assert!(got > 0 && got <= 40_000, "first fetch brought {got} bytes");
    let second = conn.call(&fetch_from_start("raw-fetch-quota"), 12).await;
    assert!(second.throttle_time_ms > 0);
    assert_eq!(second.error_code, 0);
    assert!(
        second.responses.is_empty(),
        "a throttled fetch carries no partitions"
    );

    // Fetch v7 predates KIP-219: the (empty) reply comes only after the throttle time. The
    // throttled fetch's bytes were taken back, so the rate is as after the first fetch.
    let mut old = RawConnection::connect(&bootstrap).await;
    let started = Instant::now();
    let r = old.call(&fetch_from_start("raw-fetch-quota"), 7).await;
    assert!(r.throttle_time_ms > 0);
    assert!(r.responses.is_empty());
    assert!(
        started.elapsed() >= Duration::from_millis(r.throttle_time_ms as u64 - 100),
        "a v7 reply came after {:?} with throttle {} ms",
        started.elapsed(),
        r.throttle_time_ms
    );
}

/// A cheap request: Metadata of every topic (there are one or two).
fn metadata() -> MetadataRequest {
    MetadataRequest::default()
}

/// What a raw client saw sending Metadata back to back: requests answered, how many carried a
/// throttle time, the largest throttle time.
#[derive(Debug, Default)]
struct Hammered {
    requests: u32,
    throttled: u32,
    max_throttle_ms: i32,
    /// The throttle times of all replies added up.
    total_throttle_ms: u64,
}

impl Hammered {
    fn per_second(&self, run: Duration) -> f64 {
        f64::from(self.requests) / run.as_secs_f64()
    }
}

/// Sends Metadata requests back to back on `conn` for `run`.
async fn hammer(conn: &mut RawConnection, run: Duration) -> Hammered {
    let mut seen = Hammered::default();
    let started = Instant::now();
    while started.elapsed() < run {
        let r = conn.call(&metadata(), 12).await;
        seen.requests += 1;
        if r.throttle_time_ms > 0 {
            seen.throttled += 1;
        }
        seen.max_throttle_ms = seen.max_throttle_ms.max(r.throttle_time_ms);
        seen.total_throttle_ms += r.throttle_time_ms as u64;
    }
    seen
}

/// Sends Metadata back to back until a reply carries a throttle time of at least `at_least_ms`;
/// returns it and the requests answered before the first throttled one, per second.
async fn hammer_until_throttled(conn: &mut RawConnection, at_least_ms: i32) -> (i32, f64) {
    let started = Instant::now();
    let mut before = 0u32;
    let mut rate = None;
    loop {
        let r = conn.call(&metadata(), 12).await;
        if r.throttle_time_ms > 0 {
            rate.get_or_insert(f64::from(before) / started.elapsed().as_secs_f64());
        }
        if r.throttle_time_ms >= at_least_ms.max(1) {
            return (r.throttle_time_ms, rate.unwrap_or_default());
        }
        before += 1;
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no throttle after {before} requests"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_percentage_throttles_a_busy_client_and_not_others() {
    let broker = broker().await;
    broker.create_topic("req-quota", 1);
    let bootstrap = broker.bootstrap();
    // 0.1 % of a thread: over the 2 s a new client is measured over, 2 ms of the broker's
    // time. (A Metadata request takes the broker a few µs, so 1 % would still allow thousands
    // a second, about what one connection manages anyway.)
    set_quota(
        &bootstrap,
        &[("client-id", Some("busy"))],
        "request_percentage",
        0.1,
    )
    .await;
    // A client id without a quota, as busy on the same broker at the same time.
    let b = bootstrap.clone();
    let free = tokio::spawn(async move {
        let mut conn = RawConnection::connect_as(&b, "free").await;
        hammer(&mut conn, Duration::from_secs(4)).await
    });

    let mut busy = RawConnection::connect_as(&bootstrap, "busy").await;
    let (throttle, unthrottled_rate) = hammer_until_throttled(&mut busy, 1).await;
    // Kafka bounds a request throttle by one quota window (1 s here).
    assert!(throttle <= 1_000, "throttle_time_ms {throttle}");
    // ApiVersions is exempt: no throttle time, even now.
    let versions = busy.call(&ApiVersionsRequest::default(), 3).await;
    assert_eq!(versions.throttle_time_ms, 0);
    // From now on the broker holds the client to about 0.1 % of its time.
    let run = Duration::from_secs(3);
    let started = Instant::now();
    let held = hammer(&mut busy, run).await;
    let took = started.elapsed();
    let held_rate = held.per_second(run);
    eprintln!("busy: {unthrottled_rate:.0} requests/s before the throttle, {held_rate:.0}/s after; {held:?}");
    assert!(held.throttled > 0, "{held:?}");
    assert!(held.max_throttle_ms <= 1_000, "{held:?}");
    // The client ignores the throttle times; the broker makes it wait them out (the muted
    // connection reads its next request only then), so the run lasted at least their sum but
    // for the last one (and a ms each, the mute's granularity).
    let slack = held.max_throttle_ms as u64 + u64::from(held.throttled);
    assert!(
        took.as_millis() as u64 + slack >= held.total_throttle_ms,
        "{held:?} in {took:?}: the connection was not muted"
    );
    assert!(
        held_rate < unthrottled_rate / 3.0,
        "{held_rate:.0} requests/s under the quota against {unthrottled_rate:.0}/s before"
    );

    let free = free.await.unwrap();
    eprintln!("free: {free:?}");
    assert_eq!(free.throttled, 0, "{free:?}");
    assert!(
        free.per_second(Duration::from_secs(4)) > 2.0 * held_rate,
        "{free:?} against {held_rate:.0}/s held"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn produce_and_fetch_of_a_client_over_its_request_percentage_carry_the_throttle() {
    let broker = broker().await;
    broker.create_topic("req-quota-data", 1);
    let bootstrap = broker.bootstrap();
    let mut writer = RawConnection::connect(&bootstrap).await;
    assert_eq!(
        writer
            .produce("req-quota-data", 0, big_batch(), 1)
            .await
            .error_code,
        0
    );
    // A millionth of a thread: each request (a few µs) puts the client about a second over, so
    // a throttle of at least 300 ms comes soon; for that long every request of the client
    // is throttled.
    set_quota(
        &bootstrap,
        &[("client-id", Some("busy"))],
        "request_percentage",
        0.0001,
    )
    .await;
    // Other connections of the same client id, opened before it goes over its quota.
    let mut fetcher = RawConnection::connect_as(&bootstrap, "busy").await;
    let mut producer = RawConnection::connect_as(&bootstrap, "busy").await;
    let mut versions = RawConnection::connect_as(&bootstrap, "busy").await;
    let mut busy = RawConnection::connect_as(&bootstrap, "busy").await;
    let (throttle, _) = hammer_until_throttled(&mut busy, 300).await;
    assert!(throttle <= 1_000, "throttle_time_ms {throttle}");

    // The client is over its quota for about `throttle` ms: its other connections' requests
    // are throttled too.
    let fetched = fetcher.call(&fetch_from_start("req-quota-data"), 12).await;
    assert!(fetched.throttle_time_ms > 0, "{fetched:?}");
    assert!(
        fetched.responses.is_empty(),
        "a throttled fetch carries no partitions"
    );
    let produced = producer
        .call(&produce_request("req-quota-data", 0, big_batch(), 1), 9)
        .await;
    assert!(produced.throttle_time_ms > 0);
    assert_eq!(produced.responses[0].partition_responses[0].error_code, 0);
    // ApiVersions is exempt.
    let v = versions.call(&ApiVersionsRequest::default(), 3).await;
    assert_eq!(v.throttle_time_ms, 0);
    // The throttled produce was appended all the same (Kafka's rule).
    assert_eq!(broker.log_end_offset("req-quota-data", 0), 60);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_the_request_percentage_stops_throttling() {
    let broker = broker().await;
    let bootstrap = broker.bootstrap();
    let entity = [("client-id", Some("busy"))];
    alter_quota(&bootstrap, &entity, "request_percentage", Some(1.0)).await;
    let mut busy = RawConnection::connect_as(&bootstrap, "busy").await;
    let (throttle, _) = hammer_until_throttled(&mut busy, 1).await;
    assert!(throttle > 0);
    alter_quota(&bootstrap, &entity, "request_percentage", None).await;
    // The first request waits out the mute already set; none is throttled after.
    let run = Duration::from_secs(2);
    let free = hammer(&mut busy, run).await;
    eprintln!("after removal: {free:?}");
    assert_eq!(free.throttled, 0, "{free:?}");
    assert!(free.requests > 100, "{free:?}");
}

/// A librdkafka consumer fetching an empty partition with `fetch.wait.max.ms=0` for `run`, KIP-124's
/// first case (a consumer that polls continuously, which no byte rate stops); returns the
/// requests it sent and the largest throttle time it reported.
fn poll_empty_partition(bootstrap: &str, client_id: &str, topic: &str, run: Duration) -> (u64, i64) {
    let observed = Observed::default();
    let consumer: BaseConsumer<Observed> = client_config(bootstrap)
        .set("client.id", client_id)
        .set("group.id", "quota-tests")
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("statistics.interval.ms", "100")
        .set("fetch.wait.max.ms", "0")
        .create_with_context(observed.clone())
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(topic, 0, Offset::Beginning).unwrap();
    consumer.assign(&tpl).unwrap();
    let start = Instant::now();
    while start.elapsed() < run {
        if let Some(Err(e)) = consumer.poll(Duration::from_millis(50)) {
            panic!("consume failed: {e}");
        }
    }
    // The last statistics.
    consumer.poll(Duration::from_millis(300));
    (
        observed.requests_sent.load(Ordering::Relaxed),
        observed.max_throttle_ms.load(Ordering::Relaxed),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn librdkafka_backs_off_under_request_percentage() {
    let broker = broker().await;
    broker.create_topic("req-quota-empty", 1);
    let bootstrap = broker.bootstrap();
    set_quota(
        &bootstrap,
        &[("client-id", Some("eager-poller"))],
        "request_percentage",
        0.01,
    )
    .await;
    let run = Duration::from_secs(4);
    let b = bootstrap.clone();
    let (held_requests, held_throttle) =
        tokio::task::spawn_blocking(move || poll_empty_partition(&b, "eager-poller", "req-quota-empty", run))
            .await
            .unwrap();
    let b = bootstrap.clone();
    let (free_requests, free_throttle) =
        tokio::task::spawn_blocking(move || poll_empty_partition(&b, "free-poller", "req-quota-empty", run))
            .await
            .unwrap();
    eprintln!(
        "eager-poller: {held_requests} requests, max throttle {held_throttle} ms; \
         free-poller: {free_requests} requests, max throttle {free_throttle} ms"
    );
    assert!(held_throttle > 0, "librdkafka reported no throttle time");
    assert_eq!(free_throttle, 0);
    assert!(
        held_requests * 3 < free_requests,
        "{held_requests} requests under the quota against {free_requests} without"
    );
}
