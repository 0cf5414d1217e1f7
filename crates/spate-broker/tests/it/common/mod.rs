//! Shared by the integration tests: an in-process broker, rdkafka client configs, and a raw
//! Kafka-protocol connection for tests that must control every byte.
//!
//! Each test binary uses a subset of these helpers, hence the dead-code allowance.
#![allow(dead_code, clippy::unwrap_used)]

pub mod pki;
pub mod raw;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::{Message, OwnedMessage};
use rdkafka::{Offset, TopicPartitionList};
use spate_broker::{Broker, BrokerConfig, BrokerHandle};
use tempfile::TempDir;

/// A broker on an ephemeral port over a temporary data directory (removed on drop, after the
/// broker).
pub struct TestBroker {
    pub handle: BrokerHandle,
    // Declared after `handle` so the directory outlives the broker's files during drop.
    pub dir: TempDir,
}

impl TestBroker {
    pub async fn start() -> TestBroker {
        TestBroker::start_with(|_| {}).await
    }

    pub async fn start_with(tweak: impl FnOnce(&mut BrokerConfig)) -> TestBroker {
        let dir = tempfile::tempdir().unwrap();
        let mut config = BrokerConfig::ephemeral(dir.path());
        tweak(&mut config);
        let handle = Broker::start(config).await.unwrap();
        TestBroker { handle, dir }
    }

    pub fn bootstrap(&self) -> String {
        self.handle.bootstrap_servers()
    }

    /// Creates a topic directly in storage (tests of the admin API use the admin client instead).
    pub fn create_topic(&self, name: &str, partitions: i32) {
        self.handle
            .store()
            .create_topic(name, partitions, &Default::default())
            .unwrap();
    }

    pub fn create_topic_with(&self, name: &str, partitions: i32, configs: &[(&str, &str)]) {
        let overrides = configs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self.handle
            .store()
            .create_topic(name, partitions, &overrides)
            .unwrap();
    }

    pub fn log_end_offset(&self, topic: &str, partition: i32) -> i64 {
        self.handle
            .store()
            .partition(topic, partition)
            .unwrap()
            .log_end_offset()
    }
}

/// Client settings every test client shares: fail fast instead of retrying for minutes.
pub fn client_config(bootstrap: &str) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", bootstrap)
        .set("socket.timeout.ms", "10000")
        .set("message.timeout.ms", "15000")
        .set("log_level", "4");
    c
}

/// A consumer that is given partitions and offsets with `assign()` rather than joining a group.
/// librdkafka refuses `assign()` without a `group.id` ("Requires a consumer with group.id
/// configured"), so one is set. It needs no group coordinator: librdkafka only sends
/// FindCoordinator to brokers that list it in ApiVersions, and with auto-commit and the offset
/// store off and explicit start offsets (never `Offset::Stored`) no group request is ever needed.
pub fn consumer(bootstrap: &str) -> BaseConsumer {
    client_config(bootstrap)
        .set("group.id", "spate-tests-no-coordinator")
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("enable.partition.eof", "false")
        .set("auto.offset.reset", "error")
        .set("fetch.wait.max.ms", "50")
        .create()
        .unwrap()
}

/// Reads exactly `count` messages from the given (partition, start offset) pairs of `topic`,
/// failing on a consumer error or when they do not all arrive within a few seconds.
pub async fn consume(
    bootstrap: &str,
    topic: &str,
    starts: &[(i32, Offset)],
    count: usize,
) -> Vec<OwnedMessage> {
    let bootstrap = bootstrap.to_string();
    let topic = topic.to_string();
    let starts = starts.to_vec();
    tokio::task::spawn_blocking(move || {
        let consumer = consumer(&bootstrap);
        let mut tpl = TopicPartitionList::new();
        for (partition, offset) in starts {
            tpl.add_partition_offset(&topic, partition, offset).unwrap();
        }
        consumer.assign(&tpl).unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        let mut out = Vec::with_capacity(count);
        while out.len() < count {
            assert!(
                std::time::Instant::now() < deadline,
                "only {} of {count} messages arrived from {topic}",
                out.len()
            );
            match consumer.poll(Duration::from_millis(100)) {
                Some(Ok(m)) => out.push(m.detach()),
                Some(Err(e)) => panic!("consumer error on {topic}: {e}"),
                None => {}
            }
        }
        // Nothing beyond what was produced may show up (duplicates would).
        let extra = consumer.poll(Duration::from_millis(300));
        assert!(
            extra.is_none(),
            "unexpected extra message: {:?}",
            extra.map(|m| m.map(|m| (m.partition(), m.offset())))
        );
        out
    })
    .await
    .unwrap()
}

/// `prefix-0`, `prefix-1`, ... (`n` values).
pub fn values(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}-{i}")).collect()
}

/// Every value a consumer with `isolation` reads from the start of each partition to its end
/// (the LSO for read_committed).
pub fn consume_all(bootstrap: &str, topic: &str, isolation: &str, partitions: i32) -> Vec<String> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", "test-reader")
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "true")
        .set("isolation.level", isolation)
        .create()
        .unwrap();
    let mut assignment = TopicPartitionList::new();
    for p in 0..partitions {
        assignment
            .add_partition_offset(topic, p, Offset::Beginning)
            .unwrap();
    }
    consumer.assign(&assignment).unwrap();
    let mut out = Vec::new();
    let mut at_end = BTreeSet::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while at_end.len() < partitions as usize {
        assert!(
            Instant::now() < deadline,
            "consumer did not reach the end; got {out:?}"
        );
        match consumer.poll(Duration::from_millis(100)) {
            None => {}
            Some(Ok(m)) => {
                at_end.remove(&m.partition());
                out.push(String::from_utf8(m.payload().unwrap().to_vec()).unwrap());
            }
            Some(Err(KafkaError::PartitionEOF(p))) => {
                at_end.insert(p);
            }
            Some(Err(e)) => panic!("consume error: {e}"),
        }
    }
    out.sort();
    out
}
