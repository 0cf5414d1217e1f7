//! Consumer groups with the real librdkafka client: partitions shared by a group, take-over
//! after a member leaves, committed offsets that survive members and broker restarts.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::collections::{BTreeSet, HashSet};
use std::time::{Duration, Instant};

use common::TestBroker;
use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{FutureProducer, FutureRecord};
use spate_broker::{Broker, BrokerConfig};

fn group_consumer(bootstrap: &str, group: &str) -> BaseConsumer {
    ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", group)
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        // Fast rebalances in tests: members learn of a rebalance at their next heartbeat.
        .set("heartbeat.interval.ms", "100")
        .set("session.timeout.ms", "6000")
        .create()
        .unwrap()
}

async fn produce(bootstrap: &str, topic: &str, range: std::ops::Range<u32>) {
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("linger.ms", "1")
        .create()
        .unwrap();
    for i in range {
        let v = i.to_string();
        producer
            .send(
                FutureRecord::to(topic).key(&v).payload(&v),
                Duration::from_secs(10),
            )
            .await
            .unwrap();
    }
}

fn assigned(c: &BaseConsumer) -> BTreeSet<i32> {
    c.assignment()
        .unwrap()
        .elements()
        .iter()
        .map(|e| e.partition())
        .collect()
}

/// Polls every consumer until `want` distinct values were seen (or the deadline); commits what
/// each consumer read.
fn consume_until(consumers: &[&BaseConsumer], seen: &mut HashSet<u32>, want: usize, deadline: Duration) {
    let start = Instant::now();
    while seen.len() < want && start.elapsed() < deadline {
        for c in consumers {
            if let Some(m) = c.poll(Duration::from_millis(20)) {
                let m = m.unwrap();
                let v: u32 = std::str::from_utf8(m.payload().unwrap())
                    .unwrap()
                    .parse()
                    .unwrap();
                seen.insert(v);
                c.commit_message(&m, CommitMode::Sync).unwrap();
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_members_share_partitions_take_over_and_resume_from_commits() {
    let broker = TestBroker::start().await;
    let bs = broker.bootstrap();
    broker.create_topic("orders", 6);
    produce(&bs, "orders", 0..600).await;

    let members: Vec<BaseConsumer> = (0..3).map(|_| group_consumer(&bs, "g")).collect();
    for m in &members {
        m.subscribe(&["orders"]).unwrap();
    }
    let refs: Vec<&BaseConsumer> = members.iter().collect();
    let joined = Instant::now();
    let mut seen = HashSet::new();
    // Poll until every member owns partitions: the group must settle with all three in it.
    while members.iter().any(|m| assigned(m).is_empty()) {
        assert!(joined.elapsed() < Duration::from_secs(15), "group never settled");
        consume_until(&refs, &mut seen, usize::MAX, Duration::from_millis(50));
    }
    let all: Vec<BTreeSet<i32>> = members.iter().map(assigned).collect();
    let union: BTreeSet<i32> = all.iter().flatten().copied().collect();
    assert_eq!(union, (0..6).collect(), "every partition is assigned: {all:?}");
    assert_eq!(
        all.iter().map(BTreeSet::len).sum::<usize>(),
        6,
        "no partition twice: {all:?}"
    );

    consume_until(&refs, &mut seen, 600, Duration::from_secs(20));
    assert_eq!(seen.len(), 600);

    // One member leaves; the other two take over its partitions and nothing is lost.
    let mut members = members;
    let leaver = members.pop().unwrap();
    drop(leaver);
    produce(&bs, "orders", 600..900).await;
    let refs: Vec<&BaseConsumer> = members.iter().collect();
    consume_until(&refs, &mut seen, 900, Duration::from_secs(20));
    assert_eq!(seen.len(), 900, "records lost after a member left");
    let union: BTreeSet<i32> = members.iter().flat_map(assigned).collect();
    assert_eq!(union, (0..6).collect());
    drop(refs);
    drop(members);

    // A restarted group resumes from its committed offsets: only new records arrive.
    produce(&bs, "orders", 900..950).await;
    let again = group_consumer(&bs, "g");
    again.subscribe(&["orders"]).unwrap();
    let mut fresh = HashSet::new();
    consume_until(&[&again], &mut fresh, 50, Duration::from_secs(20));
    assert_eq!(fresh, (900..950).collect::<HashSet<u32>>());
    // And nothing older shows up afterwards.
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(500) {
        if let Some(m) = again.poll(Duration::from_millis(50)) {
            let v: u32 = std::str::from_utf8(m.unwrap().payload().unwrap())
                .unwrap()
                .parse()
                .unwrap();
            panic!("re-delivered committed record {v}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn committed_offsets_survive_a_broker_restart() {
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(BrokerConfig::ephemeral(dir.path())).await.unwrap();
    let bs = broker.bootstrap_servers();
    broker
        .store()
        .create_topic("events", 2, &Default::default())
        .unwrap();
    produce(&bs, "events", 0..100).await;
    let c = group_consumer(&bs, "keeper");
    c.subscribe(&["events"]).unwrap();
    let mut seen = HashSet::new();
    consume_until(&[&c], &mut seen, 100, Duration::from_secs(20));
    assert_eq!(seen.len(), 100);
    let committed: Vec<(i32, i64)> = c
        .committed(Duration::from_secs(5))
        .unwrap()
        .elements()
        .iter()
        .map(|e| (e.partition(), e.offset().to_raw().unwrap()))
        .collect();
    assert_eq!(
        committed.iter().map(|(_, o)| o).sum::<i64>(),
        100,
        "{committed:?}"
    );
    drop(c);
    broker.shutdown().await.unwrap();

    let broker = Broker::start(BrokerConfig::ephemeral(dir.path())).await.unwrap();
    let bs = broker.bootstrap_servers();
    produce(&bs, "events", 100..110).await;
    let c = group_consumer(&bs, "keeper");
    c.subscribe(&["events"]).unwrap();
    let mut fresh = HashSet::new();
    consume_until(&[&c], &mut fresh, 10, Duration::from_secs(20));
    assert_eq!(fresh, (100..110).collect::<HashSet<u32>>());
}

/// Kafka deletes the committed offsets of a deleted topic's partitions: a topic recreated under
/// the same name is read from its start, also across a broker restart, instead of from the old
/// positions (which would silently skip records, or land past the end).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_topic_deletes_its_committed_offsets() {
    use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
    use rdkafka::client::DefaultClientContext;

    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(BrokerConfig::ephemeral(dir.path())).await.unwrap();
    let bs = broker.bootstrap_servers();
    broker
        .store()
        .create_topic("events", 1, &Default::default())
        .unwrap();
    produce(&bs, "events", 0..20).await;
    let c = group_consumer(&bs, "keeper");
    c.subscribe(&["events"]).unwrap();
    let mut seen = HashSet::new();
    consume_until(&[&c], &mut seen, 20, Duration::from_secs(20));
    assert_eq!(seen.len(), 20);
    drop(c);

    let admin: AdminClient<DefaultClientContext> = common::client_config(&bs).create().unwrap();
    let options = AdminOptions::new().request_timeout(Some(Duration::from_secs(10)));
    let deleted = admin.delete_topics(&["events"], &options).await.unwrap();
    assert!(deleted.iter().all(|r| r.is_ok()), "{deleted:?}");
    drop(admin);
    broker.shutdown().await.unwrap();

    let broker = Broker::start(BrokerConfig::ephemeral(dir.path())).await.unwrap();
    let bs = broker.bootstrap_servers();
    let admin: AdminClient<DefaultClientContext> = common::client_config(&bs).create().unwrap();
    let created = admin
        .create_topics(
            &[NewTopic::new("events", 1, TopicReplication::Fixed(1))],
            &options,
        )
        .await
        .unwrap();
    assert!(created.iter().all(|r| r.is_ok()), "{created:?}");
    // More records than the old committed offset (20): a stale offset would skip 20 of them.
    produce(&bs, "events", 100..125).await;
    let c = group_consumer(&bs, "keeper");
    c.subscribe(&["events"]).unwrap();
    let mut fresh = HashSet::new();
    consume_until(&[&c], &mut fresh, 25, Duration::from_secs(20));
    assert_eq!(fresh, (100..125).collect::<HashSet<u32>>());
}
