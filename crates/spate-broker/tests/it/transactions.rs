//! Transactions end to end with librdkafka (the `rdkafka` crate): commit and abort as seen by
//! read_committed and read_uncommitted consumers, fencing of a zombie producer, a broker crash
//! in the middle of a transaction (the transaction survives it, as in Kafka), and the
//! transaction timeout.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use common::{consume_all, values};
use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use rdkafka::{Offset, TopicPartitionList};
use spate_broker::{Broker, BrokerConfig, BrokerHandle};

const PARTITIONS: i32 = 2;
const TIMEOUT: Duration = Duration::from_secs(10);

/// A broker in its own runtime, so a test can kill it (drop the runtime) like a crash.
struct TestBroker {
    runtime: tokio::runtime::Runtime,
    handle: BrokerHandle,
}

impl TestBroker {
    fn start(dir: &Path) -> TestBroker {
        Self::start_on(dir, SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// Starts on `listen`; a restart on the crashed broker's address retries the bind until the
    /// old listener is gone, so that clients of the old broker reconnect to the new one.
    fn start_on(dir: &Path, listen: SocketAddr) -> TestBroker {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        let handle = loop {
            let mut config = BrokerConfig::ephemeral(dir).with_listen(listen);
            config.maintenance_interval = Duration::from_millis(50);
            match runtime.block_on(Broker::start(config)) {
                Ok(handle) => break handle,
                Err(e) if Instant::now() < deadline => {
                    eprintln!("broker start on {listen} failed ({e}); retrying");
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(e) => panic!("broker did not start on {listen}: {e}"),
            }
        };
        TestBroker { runtime, handle }
    }

    fn addr(&self) -> SocketAddr {
        self.bootstrap().parse().unwrap()
    }

    fn bootstrap(&self) -> String {
        self.handle.bootstrap_servers()
    }

    fn create_topic(&self, topic: &str) {
        self.handle
            .store()
            .create_topic(topic, PARTITIONS, &Default::default())
            .unwrap();
    }

    /// Every partition's LSO has caught up with its high watermark: nothing is in doubt.
    fn assert_all_stable(&self, topic: &str) {
        for p in 0..PARTITIONS {
            let partition = self.handle.store().partition(topic, p).unwrap();
            assert_eq!(
                partition.last_stable_offset(),
                partition.high_watermark(),
                "{topic}-{p} still has an open transaction"
            );
        }
    }

    /// Stops serving abruptly: no graceful shutdown, no final fsync (data is in the page cache).
    fn crash(self) {
        let TestBroker { runtime, handle } = self;
        drop(handle);
        runtime.shutdown_background();
    }
}

fn transactional_producer(
    bootstrap: &str,
    transactional_id: &str,
    timeout_ms: u32,
) -> ThreadedProducer<DefaultProducerContext> {
    ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("transactional.id", transactional_id)
        .set("transaction.timeout.ms", timeout_ms.to_string())
        .set("message.timeout.ms", timeout_ms.min(5_000).to_string())
        .set("linger.ms", "0")
        .create()
        .unwrap()
}

fn send(producer: &ThreadedProducer<DefaultProducerContext>, topic: &str, values: &[String]) {
    for (i, value) in values.iter().enumerate() {
        let partition = (i as i32) % PARTITIONS;
        producer
            .send(BaseRecord::<(), _>::to(topic).payload(value).partition(partition))
            .map_err(|(e, _)| e)
            .unwrap();
    }
    producer.flush(TIMEOUT).unwrap();
}

/// Partition 0's "latest" offset by ListOffsets with `isolation`.
fn latest_offset(bootstrap: &str, topic: &str, isolation: &str) -> i64 {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", "txn-test-offsets")
        .set("isolation.level", isolation)
        .create()
        .unwrap();
    consumer.fetch_watermarks(topic, 0, TIMEOUT).unwrap().1
}

fn sorted(parts: &[&[String]]) -> Vec<String> {
    let mut all: Vec<String> = parts.iter().flat_map(|p| p.iter().cloned()).collect();
    all.sort();
    all
}

#[test]
fn read_committed_sees_exactly_the_committed_records() {
    let dir = tempfile::tempdir().unwrap();
    let broker = TestBroker::start(dir.path());
    let topic = "txn-commit-abort";
    broker.create_topic(topic);
    let producer = transactional_producer(&broker.bootstrap(), "commit-abort", 60_000);
    producer.init_transactions(TIMEOUT).unwrap();

    let first = values("committed-1", 6);
    producer.begin_transaction().unwrap();
    send(&producer, topic, &first);
    producer.commit_transaction(TIMEOUT).unwrap();

    let aborted = values("aborted", 5);
    producer.begin_transaction().unwrap();
    send(&producer, topic, &aborted);
    producer.abort_transaction(TIMEOUT).unwrap();

    let second = values("committed-2", 3);
    producer.begin_transaction().unwrap();
    send(&producer, topic, &second);
    producer.commit_transaction(TIMEOUT).unwrap();

    broker.assert_all_stable(topic);
    assert_eq!(
        consume_all(&broker.bootstrap(), topic, "read_committed", PARTITIONS),
        sorted(&[&first, &second])
    );
    assert_eq!(
        consume_all(&broker.bootstrap(), topic, "read_uncommitted", PARTITIONS),
        sorted(&[&first, &aborted, &second])
    );
}

#[test]
fn open_transaction_is_invisible_to_read_committed_until_commit() {
    let dir = tempfile::tempdir().unwrap();
    let broker = TestBroker::start(dir.path());
    let topic = "txn-open";
    broker.create_topic(topic);
    let producer = transactional_producer(&broker.bootstrap(), "open", 60_000);
    producer.init_transactions(TIMEOUT).unwrap();
    let pending = values("pending", 4);
    producer.begin_transaction().unwrap();
    send(&producer, topic, &pending);
    assert_eq!(
        consume_all(&broker.bootstrap(), topic, "read_committed", PARTITIONS),
        Vec::<String>::new()
    );
    assert_eq!(
        consume_all(&broker.bootstrap(), topic, "read_uncommitted", PARTITIONS),
        sorted(&[&pending])
    );
    // ListOffsets "latest" is the LSO for read_committed, the high watermark otherwise.
    assert_eq!(latest_offset(&broker.bootstrap(), topic, "read_committed"), 0);
    assert_eq!(latest_offset(&broker.bootstrap(), topic, "read_uncommitted"), 2);
    producer.commit_transaction(TIMEOUT).unwrap();
    assert_eq!(
        latest_offset(&broker.bootstrap(), topic, "read_committed"),
        3,
        "after the marker"
    );
    assert_eq!(
        consume_all(&broker.bootstrap(), topic, "read_committed", PARTITIONS),
        sorted(&[&pending])
    );
}

#[test]
fn zombie_producer_is_fenced() {
    let dir = tempfile::tempdir().unwrap();
    let broker = TestBroker::start(dir.path());
    let topic = "txn-zombie";
    broker.create_topic(topic);
    let zombie = transactional_producer(&broker.bootstrap(), "fenced-id", 60_000);
    zombie.init_transactions(TIMEOUT).unwrap();
    zombie.begin_transaction().unwrap();
    let zombie_values = values("zombie", 4);
    send(&zombie, topic, &zombie_values);

    // A new instance with the same transactional id takes over: the zombie's open transaction
    // is aborted and its epoch fenced.
    let successor = transactional_producer(&broker.bootstrap(), "fenced-id", 60_000);
    successor.init_transactions(TIMEOUT).unwrap();
    broker.assert_all_stable(topic);

    let late = values("zombie-late", 2);
    for (i, value) in late.iter().enumerate() {
        let _ = zombie.send(
            BaseRecord::<(), _>::to(topic)
                .payload(value)
                .partition(i as i32 % PARTITIONS),
        );
    }
    let _ = zombie.flush(Duration::from_secs(3));
    let commit = zombie.commit_transaction(TIMEOUT);
    assert!(commit.is_err(), "a fenced producer committed: {commit:?}");

    let successor_values = values("successor", 4);
    successor.begin_transaction().unwrap();
    send(&successor, topic, &successor_values);
    successor.commit_transaction(TIMEOUT).unwrap();
    assert_eq!(
        consume_all(&broker.bootstrap(), topic, "read_committed", PARTITIONS),
        sorted(&[&successor_values])
    );
}

#[test]
fn successor_producer_aborts_the_transaction_a_broker_crash_left_open() {
    let dir = tempfile::tempdir().unwrap();
    let topic = "txn-crash";
    let committed = values("before-crash", 6);
    let in_flight = values("in-flight", 6);
    {
        let broker = TestBroker::start(dir.path());
        broker.create_topic(topic);
        let producer = transactional_producer(&broker.bootstrap(), "crash-id", 60_000);
        producer.init_transactions(TIMEOUT).unwrap();
        producer.begin_transaction().unwrap();
        send(&producer, topic, &committed);
        producer.commit_transaction(TIMEOUT).unwrap();
        producer.begin_transaction().unwrap();
        send(&producer, topic, &in_flight);
        broker.crash();
        // The producer is dropped with its transaction open; the broker is gone.
        drop(producer);
    }
    let broker = TestBroker::start(dir.path());
    // The open transaction survived the restart; its records are still in doubt.
    assert_eq!(
        consume_all(&broker.bootstrap(), topic, "read_committed", PARTITIONS),
        sorted(&[&committed])
    );
    let producer = transactional_producer(&broker.bootstrap(), "crash-id", 60_000);
    // A new instance of the transactional id fences the old one and aborts its transaction.
    producer.init_transactions(TIMEOUT).unwrap();
    broker.assert_all_stable(topic);
    let after = values("after-restart", 4);
    producer.begin_transaction().unwrap();
    send(&producer, topic, &after);
    producer.commit_transaction(TIMEOUT).unwrap();
    assert_eq!(
        consume_all(&broker.bootstrap(), topic, "read_committed", PARTITIONS),
        sorted(&[&committed, &after])
    );
    assert_eq!(
        consume_all(&broker.bootstrap(), topic, "read_uncommitted", PARTITIONS),
        sorted(&[&committed, &in_flight, &after])
    );
}

/// Kafka keeps an ongoing transaction across a broker restart: the producer that began it
/// commits it afterwards, and until then read_committed readers stop at its first offset.
#[test]
fn open_transaction_survives_a_broker_crash_and_its_producer_commits_it() {
    let dir = tempfile::tempdir().unwrap();
    let topic = "txn-survives";
    let committed = values("committed", 4);
    let in_flight = values("in-flight", 6);
    let broker = TestBroker::start(dir.path());
    let addr = broker.addr();
    broker.create_topic(topic);
    let producer = transactional_producer(&broker.bootstrap(), "survivor", 60_000);
    producer.init_transactions(TIMEOUT).unwrap();
    producer.begin_transaction().unwrap();
    send(&producer, topic, &committed);
    producer.commit_transaction(TIMEOUT).unwrap();
    producer.begin_transaction().unwrap();
    // Acknowledged (acks=all) before the crash.
    send(&producer, topic, &in_flight);
    broker.crash();
    let broker = TestBroker::start_on(dir.path(), addr);
    // The last stable offset is the transaction's first offset again (partition 0 holds two
    // committed records and their commit marker before it).
    assert_eq!(latest_offset(&broker.bootstrap(), topic, "read_committed"), 3);
    assert_eq!(latest_offset(&broker.bootstrap(), topic, "read_uncommitted"), 6);
    assert_eq!(
        consume_all(&broker.bootstrap(), topic, "read_committed", PARTITIONS),
        sorted(&[&committed])
    );
    assert_eq!(
        consume_all(&broker.bootstrap(), topic, "read_uncommitted", PARTITIONS),
        sorted(&[&committed, &in_flight])
    );
    // The same producer (same producer id and epoch) commits after the restart.
    producer.commit_transaction(TIMEOUT).unwrap();
    broker.assert_all_stable(topic);
    assert_eq!(
        consume_all(&broker.bootstrap(), topic, "read_committed", PARTITIONS),
        sorted(&[&committed, &in_flight])
    );
    // And it goes on with its next transaction.
    let after = values("after", 2);
    producer.begin_transaction().unwrap();
    send(&producer, topic, &after);
    producer.commit_transaction(TIMEOUT).unwrap();
    assert_eq!(
        consume_all(&broker.bootstrap(), topic, "read_committed", PARTITIONS),
        sorted(&[&committed, &in_flight, &after])
    );
}

/// The same, ended by an abort: the restarted broker's abort marker needs the transaction's
/// first offset (for the aborted-transaction index), which the log rebuilt on open.
#[test]
fn open_transaction_survives_a_broker_crash_and_its_producer_aborts_it() {
    let dir = tempfile::tempdir().unwrap();
    let topic = "txn-survives-abort";
    let broker = TestBroker::start(dir.path());
    let addr = broker.addr();
    broker.create_topic(topic);
    let producer = transactional_producer(&broker.bootstrap(), "survivor-abort", 60_000);
    producer.init_transactions(TIMEOUT).unwrap();
    producer.begin_transaction().unwrap();
    let dropped = values("dropped", 4);
    send(&producer, topic, &dropped);
    broker.crash();
    let broker = TestBroker::start_on(dir.path(), addr);
    assert_eq!(latest_offset(&broker.bootstrap(), topic, "read_committed"), 0);
    producer.abort_transaction(TIMEOUT).unwrap();
    broker.assert_all_stable(topic);
    let kept = values("kept", 2);
    producer.begin_transaction().unwrap();
    send(&producer, topic, &kept);
    producer.commit_transaction(TIMEOUT).unwrap();
    assert_eq!(
        consume_all(&broker.bootstrap(), topic, "read_committed", PARTITIONS),
        sorted(&[&kept])
    );
    assert_eq!(
        consume_all(&broker.bootstrap(), topic, "read_uncommitted", PARTITIONS),
        sorted(&[&dropped, &kept])
    );
}

/// A transaction left open by a crash still times out on the restarted broker (its timeout
/// counts from its start, persisted by the coordinator); its producer is fenced then.
#[test]
fn open_transaction_left_by_a_broker_crash_still_times_out() {
    let dir = tempfile::tempdir().unwrap();
    let topic = "txn-crash-timeout";
    let broker = TestBroker::start(dir.path());
    let addr = broker.addr();
    broker.create_topic(topic);
    let producer = transactional_producer(&broker.bootstrap(), "crash-slow", 2_000);
    producer.init_transactions(TIMEOUT).unwrap();
    producer.begin_transaction().unwrap();
    let stale = values("stale", 4);
    send(&producer, topic, &stale);
    broker.crash();
    let broker = TestBroker::start_on(dir.path(), addr);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let stable = (0..PARTITIONS).all(|p| {
            let partition = broker.handle.store().partition(topic, p).unwrap();
            partition.last_stable_offset() == partition.high_watermark()
        });
        if stable {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the restarted broker did not abort the timed-out transaction"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let commit = producer.commit_transaction(TIMEOUT);
    assert!(commit.is_err(), "a timed-out transaction committed: {commit:?}");
    assert_eq!(
        consume_all(&broker.bootstrap(), topic, "read_committed", PARTITIONS),
        Vec::<String>::new()
    );
    assert_eq!(
        consume_all(&broker.bootstrap(), topic, "read_uncommitted", PARTITIONS),
        sorted(&[&stale])
    );
}

#[test]
fn transaction_timeout_aborts_a_stale_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let broker = TestBroker::start(dir.path());
    let topic = "txn-timeout";
    broker.create_topic(topic);
    let producer = transactional_producer(&broker.bootstrap(), "slow-id", 1_000);
    producer.init_transactions(TIMEOUT).unwrap();
    producer.begin_transaction().unwrap();
    let stale = values("stale", 4);
    send(&producer, topic, &stale);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let stable = (0..PARTITIONS).all(|p| {
            let partition = broker.handle.store().partition(topic, p).unwrap();
            partition.last_stable_offset() == partition.high_watermark()
        });
        if stable {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the broker did not abort the stale transaction"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let commit = producer.commit_transaction(TIMEOUT);
    assert!(commit.is_err(), "a timed-out transaction committed: {commit:?}");
    assert_eq!(
        consume_all(&broker.bootstrap(), topic, "read_committed", PARTITIONS),
        Vec::<String>::new()
    );
    assert_eq!(
        consume_all(&broker.bootstrap(), topic, "read_uncommitted", PARTITIONS),
        sorted(&[&stale])
    );
}

/// Consume-transform-produce with `send_offsets_to_transaction`, aborting every third
/// transaction and rewinding: the output is exactly the transformed input, and the group's
/// committed offsets are those of the committed transactions only.
#[test]
fn consume_transform_produce_is_exactly_once_with_aborts() {
    let dir = tempfile::tempdir().unwrap();
    let broker = TestBroker::start(dir.path());
    let bs = broker.bootstrap();
    broker.create_topic("ctp-in");
    broker.create_topic("ctp-out");
    let plain: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", &bs)
        .create()
        .unwrap();
    let input = values("in", 60);
    send(&plain, "ctp-in", &input);

    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &bs)
        .set("group.id", "ctp")
        .set("enable.auto.commit", "false")
        .set("isolation.level", "read_committed")
        .create()
        .unwrap();
    // Committed position per partition; an abort rewinds the consumer to it.
    let mut committed = [0i64; PARTITIONS as usize];
    let assign_at = |consumer: &BaseConsumer, positions: &[i64]| {
        let mut tpl = TopicPartitionList::new();
        for (p, o) in positions.iter().enumerate() {
            tpl.add_partition_offset("ctp-in", p as i32, Offset::Offset(*o))
                .unwrap();
        }
        consumer.assign(&tpl).unwrap();
    };
    assign_at(&consumer, &committed);
    let producer = transactional_producer(&bs, "ctp-app", 30_000);
    producer.init_transactions(TIMEOUT).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut round = 0;
    while committed.iter().sum::<i64>() < input.len() as i64 {
        assert!(
            Instant::now() < deadline,
            "loop did not finish; committed {committed:?}"
        );
        let mut next = committed;
        let mut batch = Vec::new();
        while batch.len() < 7 {
            match consumer.poll(Duration::from_millis(100)) {
                Some(Ok(m)) => {
                    next[m.partition() as usize] = m.offset() + 1;
                    batch.push(String::from_utf8(m.payload().unwrap().to_vec()).unwrap());
                }
                Some(Err(e)) => panic!("consume error: {e}"),
                None => break,
            }
        }
        if batch.is_empty() {
            continue;
        }
        round += 1;
        producer.begin_transaction().unwrap();
        let out: Vec<String> = batch.iter().map(|v| v.replace("in-", "out-")).collect();
        send(&producer, "ctp-out", &out);
        let mut offsets = TopicPartitionList::new();
        for (p, o) in next.iter().enumerate() {
            offsets
                .add_partition_offset("ctp-in", p as i32, Offset::Offset(*o))
                .unwrap();
        }
        producer
            .send_offsets_to_transaction(&offsets, &consumer.group_metadata().unwrap(), TIMEOUT)
            .unwrap();
        if round % 3 == 0 {
            producer.abort_transaction(TIMEOUT).unwrap();
            assign_at(&consumer, &committed);
        } else {
            producer.commit_transaction(TIMEOUT).unwrap();
            committed = next;
        }
    }
    assert!(round >= 3, "at least one transaction was aborted");
    let expected: Vec<String> = {
        let mut v: Vec<String> = input.iter().map(|v| v.replace("in-", "out-")).collect();
        v.sort();
        v
    };
    assert_eq!(
        consume_all(&bs, "ctp-out", "read_committed", PARTITIONS),
        expected
    );
    // The group's offsets are the committed transactions' positions: the end of the input.
    let reader: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &bs)
        .set("group.id", "ctp")
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    for p in 0..PARTITIONS {
        tpl.add_partition("ctp-in", p);
    }
    let stored = reader.committed_offsets(tpl, TIMEOUT).unwrap();
    let stored: Vec<i64> = stored
        .elements()
        .iter()
        .map(|e| e.offset().to_raw().unwrap())
        .collect();
    assert_eq!(stored, committed.to_vec());
    broker.assert_all_stable("ctp-out");
}

/// The group's committed offset for `topic`-0, as a read_uncommitted consumer of `group` sees
/// it (OffsetFetch without `require_stable`, so an offset pending in a transaction does not
/// hold the answer).
fn committed_offset(bootstrap: &str, group: &str, topic: &str) -> Offset {
    stable_committed_offset(bootstrap, group, topic, "read_uncommitted", TIMEOUT).unwrap()
}

/// The same through a consumer of `isolation`: librdkafka's read_committed consumers ask for
/// stable offsets (KIP-447), which the broker withholds while a transaction has one pending.
fn stable_committed_offset(
    bootstrap: &str,
    group: &str,
    topic: &str,
    isolation: &str,
    timeout: Duration,
) -> rdkafka::error::KafkaResult<Offset> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .set("isolation.level", isolation)
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition(topic, 0);
    let committed = consumer.committed_offsets(tpl, timeout)?;
    Ok(committed.find_partition(topic, 0).unwrap().offset())
}

#[test]
fn send_offsets_to_transaction_commits_offsets_only_with_the_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let broker = TestBroker::start(dir.path());
    let output = "txn-offsets-out";
    broker.create_topic(output);
    broker.create_topic("txn-offsets-in");
    let group_consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", broker.bootstrap())
        .set("group.id", "transform")
        .create()
        .unwrap();
    let metadata = group_consumer.group_metadata().unwrap();
    let producer = transactional_producer(&broker.bootstrap(), "transform-id", 60_000);
    producer.init_transactions(TIMEOUT).unwrap();
    let offsets = |o: i64| {
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset("txn-offsets-in", 0, Offset::Offset(o))
            .unwrap();
        tpl
    };

    producer.begin_transaction().unwrap();
    let first = values("out-1", 2);
    send(&producer, output, &first);
    producer
        .send_offsets_to_transaction(&offsets(3), &metadata, TIMEOUT)
        .unwrap();
    assert_eq!(
        committed_offset(&broker.bootstrap(), "transform", "txn-offsets-in"),
        Offset::Invalid,
        "offsets are not committed before the transaction"
    );
    assert!(
        stable_committed_offset(
            &broker.bootstrap(),
            "transform",
            "txn-offsets-in",
            "read_committed",
            Duration::from_millis(1500)
        )
        .is_err(),
        "a stable read must wait for the transaction that stages the offset"
    );
    producer.commit_transaction(TIMEOUT).unwrap();
    assert_eq!(
        stable_committed_offset(
            &broker.bootstrap(),
            "transform",
            "txn-offsets-in",
            "read_committed",
            TIMEOUT
        )
        .unwrap(),
        Offset::Offset(3)
    );
    assert_eq!(
        committed_offset(&broker.bootstrap(), "transform", "txn-offsets-in"),
        Offset::Offset(3)
    );

    producer.begin_transaction().unwrap();
    send(&producer, output, &values("out-2", 2));
    producer
        .send_offsets_to_transaction(&offsets(7), &metadata, TIMEOUT)
        .unwrap();
    producer.abort_transaction(TIMEOUT).unwrap();
    assert_eq!(
        committed_offset(&broker.bootstrap(), "transform", "txn-offsets-in"),
        Offset::Offset(3),
        "an aborted transaction's offsets are dropped"
    );
    assert_eq!(
        consume_all(&broker.bootstrap(), output, "read_committed", PARTITIONS),
        sorted(&[&first])
    );
}

/// Polls `consumers` in turn until each has an assignment (a rebalance completed for all).
fn poll_until_assigned(consumers: &[&BaseConsumer]) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        for c in consumers {
            let _ = c.poll(Duration::from_millis(50));
        }
        if consumers
            .iter()
            .all(|c| c.assignment().is_ok_and(|a| a.count() > 0))
        {
            return;
        }
        assert!(Instant::now() < deadline, "the group did not assign every member");
    }
}

/// EOS v2 fencing: a producer sending offsets with a member's metadata of an old generation
/// (a zombie whose partitions moved in a rebalance) is refused, and the group's offsets stay
/// where the current generation left them.
#[test]
fn txn_offset_commit_of_an_old_generation_is_fenced() {
    let dir = tempfile::tempdir().unwrap();
    let broker = TestBroker::start(dir.path());
    let bs = broker.bootstrap();
    broker.create_topic("fence-in");
    broker.create_topic("fence-out");
    let member = || -> BaseConsumer {
        let c: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &bs)
            .set("group.id", "fence")
            .set("enable.auto.commit", "false")
            .set("session.timeout.ms", "6000")
            .create()
            .unwrap();
        c.subscribe(&["fence-in"]).unwrap();
        c
    };
    let a = member();
    poll_until_assigned(&[&a]);
    let old = a.group_metadata().unwrap();
    let b = member();
    poll_until_assigned(&[&a, &b]);
    let current = a.group_metadata().unwrap();
    let offsets = |o: i64| {
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset("fence-in", 0, Offset::Offset(o))
            .unwrap();
        tpl
    };

    let producer = transactional_producer(&bs, "fence-id", 60_000);
    producer.init_transactions(TIMEOUT).unwrap();
    producer.begin_transaction().unwrap();
    send(&producer, "fence-out", &values("current", 2));
    producer
        .send_offsets_to_transaction(&offsets(5), &current, TIMEOUT)
        .unwrap();
    producer.commit_transaction(TIMEOUT).unwrap();
    assert_eq!(committed_offset(&bs, "fence", "fence-in"), Offset::Offset(5));

    producer.begin_transaction().unwrap();
    send(&producer, "fence-out", &values("zombie", 2));
    let sent = producer.send_offsets_to_transaction(&offsets(9), &old, TIMEOUT);
    let err = sent.expect_err("offsets of an old generation were accepted");
    assert!(
        err.to_string().contains("generation") || err.to_string().contains("Generation"),
        "{err}"
    );
    producer.abort_transaction(TIMEOUT).unwrap();
    assert_eq!(
        committed_offset(&bs, "fence", "fence-in"),
        Offset::Offset(5),
        "a zombie moved the group's offsets"
    );
}
