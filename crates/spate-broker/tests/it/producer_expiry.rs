//! Kafka's `producer.id.expiration.ms` and `transactional.id.expiration.ms`, set small through
//! the broker's properties: an idle idempotent producer and an idle transactional id disappear
//! from DescribeProducers and ListTransactions (also across a restart), the idempotent producer
//! carries on with its next sequence, and a new producer with the same transactional.id
//! initialises and commits.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::time::{Duration, Instant};

use common::raw::{ProducerFields, RawConnection, batch, topic_name};
use common::{TestBroker, consume_all};
use kafka_protocol::ResponseError;
use kafka_protocol::messages::describe_producers_request::TopicRequest;
use kafka_protocol::messages::describe_producers_response::ProducerState;
use kafka_protocol::messages::{DescribeProducersRequest, ListTransactionsRequest};
use rdkafka::ClientConfig;
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use spate_broker::{Broker, BrokerConfig, Setting};

const TOPIC: &str = "expiring";
const TRANSACTIONAL_ID: &str = "expiring-txn";
const EXPIRATION_MS: u64 = 1_500;
const TIMEOUT: Duration = Duration::from_secs(10);

/// Small expirations, checked often, through Kafka's property names.
fn expiring_config(config: &mut BrokerConfig) {
    let settings = [
        ("producer.id.expiration.ms", EXPIRATION_MS.to_string()),
        ("producer.id.expiration.check.interval.ms", "100".to_string()),
        ("transactional.id.expiration.ms", EXPIRATION_MS.to_string()),
        (
            "transaction.remove.expired.transaction.cleanup.interval.ms",
            "100".to_string(),
        ),
    ]
    .map(|(key, value)| Setting::new(key, value, "test"));
    let not_applied = config.apply_properties(&settings).unwrap();
    assert!(not_applied.unknown.is_empty(), "{not_applied:?}");
}

async fn producers(raw: &mut RawConnection) -> Vec<ProducerState> {
    let req = DescribeProducersRequest::default().with_topics(vec![
        TopicRequest::default()
            .with_name(topic_name(TOPIC))
            .with_partition_indexes(vec![0]),
    ]);
    let resp = raw.call(&req, 0).await;
    let partition = &resp.topics[0].partitions[0];
    assert_eq!(partition.error_code, 0);
    partition.active_producers.clone()
}

/// `(transactional id, producer id, state)` of every listed transaction.
async fn transactions(raw: &mut RawConnection) -> Vec<(String, i64, String)> {
    let resp = raw.call(&ListTransactionsRequest::default(), 0).await;
    assert_eq!(resp.error_code, 0);
    resp.transaction_states
        .iter()
        .map(|t| {
            (
                t.transactional_id.0.to_string(),
                t.producer_id.0,
                t.transaction_state.to_string(),
            )
        })
        .collect()
}

fn transactional_producer(bootstrap: &str) -> ThreadedProducer<DefaultProducerContext> {
    ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("transactional.id", TRANSACTIONAL_ID)
        .set("linger.ms", "0")
        .create()
        .unwrap()
}

fn idempotent_producer(bootstrap: &str) -> ThreadedProducer<DefaultProducerContext> {
    ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("enable.idempotence", "true")
        .set("linger.ms", "0")
        .set("message.timeout.ms", "5000")
        .create()
        .unwrap()
}

fn send(producer: &ThreadedProducer<DefaultProducerContext>, values: &[&str]) {
    for value in values {
        producer
            .send(BaseRecord::<(), _>::to(TOPIC).payload(*value).partition(0))
            .map_err(|(e, _)| e)
            .unwrap();
        // One batch per record, so the sequence numbers advance batch by batch.
        producer.flush(TIMEOUT).unwrap();
    }
}

fn commit_one_transaction(bootstrap: &str, values: &[&str]) {
    let producer = transactional_producer(bootstrap);
    producer.init_transactions(TIMEOUT).unwrap();
    producer.begin_transaction().unwrap();
    send(&producer, values);
    producer.commit_transaction(TIMEOUT).unwrap();
}

/// Waits until `raw` sees neither producers on the partition nor listed transactions.
async fn wait_until_all_expired(raw: &mut RawConnection) {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let (p, t) = (producers(raw).await, transactions(raw).await);
        if p.is_empty() && t.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "still there after {TIMEOUT:?}: producers {p:?}, transactions {t:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_producers_and_transactional_ids_expire_and_start_again() {
    let broker = TestBroker::start_with(expiring_config).await;
    broker.create_topic(TOPIC, 1);
    let bootstrap = broker.bootstrap();
    let mut raw = RawConnection::connect(&bootstrap).await;

    // An idempotent producer (kept open: it comes back later) and a committed transaction.
    let idempotent = idempotent_producer(&bootstrap);
    let b = bootstrap.clone();
    tokio::task::block_in_place(|| {
        send(&idempotent, &["i0", "i1", "i2"]);
        commit_one_transaction(&b, &["t0", "t1"]);
    });
    let listed = transactions(&mut raw).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    let (id, old_pid, state) = &listed[0];
    assert_eq!(
        (id.as_str(), state.as_str()),
        (TRANSACTIONAL_ID, "CompleteCommit")
    );
    let before = producers(&mut raw).await;
    assert_eq!(before.len(), 2, "{before:?}");
    let idempotent_pid = before
        .iter()
        .find(|p| p.producer_id.0 != *old_pid)
        .expect("the idempotent producer is described")
        .producer_id
        .0;
    assert!(before.iter().all(|p| p.last_timestamp > 0), "{before:?}");

    let idle_since = Instant::now();
    wait_until_all_expired(&mut raw).await;
    assert!(
        idle_since.elapsed() >= Duration::from_millis(EXPIRATION_MS) / 2,
        "expired after {:?}, before producer.id.expiration.ms",
        idle_since.elapsed()
    );

    // The idempotent producer carries on with sequence 3: accepted, as Kafka since 2.5 does
    // for a producer it has no state for.
    tokio::task::block_in_place(|| send(&idempotent, &["i3"]));
    let back = producers(&mut raw).await;
    assert_eq!(back.len(), 1, "{back:?}");
    assert_eq!(
        (back[0].producer_id.0, back[0].last_sequence),
        (idempotent_pid, 3)
    );

    // The same transactional.id starts afresh with a new producer id, and commits.
    let b = bootstrap.clone();
    tokio::task::block_in_place(|| commit_one_transaction(&b, &["t2"]));
    let listed = transactions(&mut raw).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].0, TRANSACTIONAL_ID);
    assert_ne!(listed[0].1, *old_pid, "a removed id gets a new producer id");
    assert_eq!(listed[0].2, "CompleteCommit");
    let b = bootstrap.clone();
    let mut committed = tokio::task::block_in_place(|| consume_all(&b, TOPIC, "read_committed", 1));
    committed.sort();
    assert_eq!(committed, ["i0", "i1", "i2", "i3", "t0", "t1", "t2"]);
    drop(idempotent);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiry_holds_across_a_restart_and_a_returning_producer_gets_kafkas_answers() {
    let broker = TestBroker::start_with(expiring_config).await;
    broker.create_topic(TOPIC, 1);
    let bootstrap = broker.bootstrap();
    let mut raw = RawConnection::connect(&bootstrap).await;
    let b = bootstrap.clone();
    tokio::task::block_in_place(|| commit_one_transaction(&b, &["t0"]));
    let (pid, epoch) = raw.init_producer_id().await;
    let producer = |base_sequence| {
        Some(ProducerFields {
            producer_id: pid,
            producer_epoch: epoch,
            base_sequence,
        })
    };
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64
    };
    let first = raw
        .produce(TOPIC, 0, batch(&[b"a", b"b"], now(), producer(0)), -1)
        .await;
    assert_eq!(first.error_code, 0);
    assert_eq!(producers(&mut raw).await.len(), 2);
    wait_until_all_expired(&mut raw).await;

    // A restart rebuilds producer state from the log, and the start-up check expires it again
    // before anyone is served; the removed transactional id stays removed.
    let TestBroker { handle, dir } = broker;
    handle.shutdown().await.unwrap();
    let mut config = BrokerConfig::ephemeral(dir.path());
    expiring_config(&mut config);
    let handle = Broker::start(config).await.unwrap();
    let mut raw = RawConnection::connect(&handle.bootstrap_servers()).await;
    assert!(producers(&mut raw).await.is_empty());
    assert!(transactions(&mut raw).await.is_empty());

    // The producer comes back with its next sequence: accepted. Its retry is a duplicate, and a
    // gap after it is out of order, as for any producer the broker knows.
    let next = batch(&[b"c"], now(), producer(2));
    let accepted = raw.produce(TOPIC, 0, next.clone(), -1).await;
    assert_eq!(accepted.error_code, 0);
    let retried = raw.produce(TOPIC, 0, next, -1).await;
    assert_eq!(
        (retried.error_code, retried.base_offset),
        (0, accepted.base_offset)
    );
    let gap = raw
        .produce(TOPIC, 0, batch(&[b"e"], now(), producer(5)), -1)
        .await;
    assert_eq!(gap.error_code, ResponseError::OutOfOrderSequenceNumber.code());
    handle.shutdown().await.unwrap();
    drop(dir);
}
