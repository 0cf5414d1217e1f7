//! Kafka's exactly-once v2 with a membership of Spate's own: `TransactionalProducer`
//! transactions carry the member's offsets; read_committed readers and the group's committed
//! offsets see exactly the committed transactions; a member dropped from the group and a
//! producer whose transactional id was taken over are fenced.

use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use spate_group::{Membership, MembershipConfig, MembershipEvent, TaskId};
use spate_kafka_client::{
    ClientError, OutRecord, TransactionalProducer, TxnProducerConfig, fetch_committed_offsets,
};

use crate::membership::{TestBroker, broker};

const WAIT: Duration = Duration::from_secs(20);

fn producer(broker: &TestBroker, id: &str) -> TransactionalProducer {
    TransactionalProducer::init(TxnProducerConfig {
        bootstrap: broker.handle.bootstrap_servers(),
        security: Default::default(),
        transactional_id: id.to_string(),
        transaction_timeout: Duration::from_secs(30),
        request_timeout: Duration::from_secs(5),
    })
    .expect("producer")
}

fn record(value: &str) -> OutRecord {
    OutRecord {
        key: Some(value.as_bytes().to_vec().into()),
        value: Some(value.as_bytes().to_vec().into()),
        headers: vec![("origin".into(), Some(b"test".to_vec().into()))],
        timestamp: 1_700_000_000_000,
    }
}

/// Every value of `topic` (2 partitions) a read_committed consumer sees, sorted.
fn committed_values(broker: &TestBroker, topic: &str) -> Vec<String> {
    let c: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", broker.handle.bootstrap_servers())
        .set("group.id", "reader")
        .set("isolation.level", "read_committed")
        .set("enable.partition.eof", "true")
        .create()
        .expect("consumer");
    let mut tpl = TopicPartitionList::new();
    for p in 0..2 {
        tpl.add_partition_offset(topic, p, Offset::Beginning)
            .expect("partition");
    }
    c.assign(&tpl).expect("assign");
    let (mut out, mut eof) = (Vec::new(), 0);
    let deadline = Instant::now() + WAIT;
    while eof < 2 {
        match c.poll(Duration::from_millis(100)) {
            Some(Ok(m)) => out.push(String::from_utf8_lossy(m.payload().unwrap_or_default()).into_owned()),
            Some(Err(rdkafka::error::KafkaError::PartitionEOF(_))) => eof += 1,
            Some(Err(e)) => panic!("consume: {e}"),
            None => {}
        }
        assert!(Instant::now() < deadline, "the topic was not read to its end");
    }
    out.sort();
    out
}

/// The group's committed offset of `input`-0 as it stands (read_uncommitted: librdkafka
/// then does not ask for stable offsets, so a pending one does not hold the read).
fn group_offset(broker: &TestBroker, group: &str) -> Offset {
    let c: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", broker.handle.bootstrap_servers())
        .set("group.id", group)
        .set("isolation.level", "read_uncommitted")
        .create()
        .expect("consumer");
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition("input", 0);
    let got = c
        .committed_offsets(tpl, Duration::from_secs(10))
        .expect("offsets");
    got.find_partition("input", 0).expect("partition").offset()
}

fn membership(broker: &TestBroker, group: &str) -> Membership {
    let mut c = MembershipConfig::new(&broker.handle.bootstrap_servers(), group, 1);
    c.session_timeout = Duration::from_secs(2);
    c.heartbeat_interval = Duration::from_millis(200);
    c.rebalance_timeout = Duration::from_secs(3);
    c.request_timeout = Duration::from_secs(5);
    Membership::start(c, (0..4).map(|i| TaskId::new(0, i)).collect()).expect("membership")
}

fn assigned(m: &Membership) -> Vec<TaskId> {
    let deadline = Instant::now() + WAIT;
    loop {
        match m.next_event(Duration::from_millis(50)).expect("membership") {
            Some(MembershipEvent::Assigned { tasks, .. }) => return tasks,
            Some(_) => m.released(),
            None => assert!(Instant::now() < deadline, "never assigned"),
        }
    }
}

fn code_name(e: &ClientError) -> String {
    match e {
        ClientError::Code { name, .. } => name.clone(),
        other => panic!("expected a Kafka error code, got {other}"),
    }
}

#[test]
fn transactions_carry_the_members_offsets_and_zombies_are_fenced() {
    let broker = broker();
    for t in ["input", "out"] {
        broker
            .handle
            .store()
            .create_topic(t, 2, &Default::default())
            .expect("topic");
    }
    let a = membership(&broker, "eos");
    assert_eq!(assigned(&a).len(), 4);
    let mut p = producer(&broker, "eos-a");

    // Committed: records and offsets together.
    p.begin().unwrap();
    for i in 0..10 {
        p.send("out", i % 2, record(&format!("c{i:02}"))).unwrap();
    }
    p.send_offsets(&a.identity(), &[("input".into(), 0, 10, Some("chk 1".into()))])
        .unwrap();
    assert_eq!(
        group_offset(&broker, "eos"),
        Offset::Invalid,
        "offsets wait for the commit"
    );
    // A task taking over reads offsets with require_stable: it waits for the transaction.
    let bootstrap = broker.handle.bootstrap_servers();
    let partition = [("input".to_string(), 0)];
    let unstable = fetch_committed_offsets(
        &bootstrap,
        &Default::default(),
        "eos",
        &partition,
        Duration::from_millis(200),
    )
    .expect_err("an offset pending in a transaction was read");
    assert_eq!(code_name(&unstable), "UNSTABLE_OFFSET_COMMIT");
    let reader = std::thread::spawn(move || {
        let started = Instant::now();
        let got = fetch_committed_offsets(&bootstrap, &Default::default(), "eos", &partition, WAIT);
        (got, started.elapsed())
    });
    std::thread::sleep(Duration::from_millis(300));
    p.commit().unwrap();
    let (got, waited) = reader.join().expect("reader");
    let got = got.expect("stable offsets");
    assert_eq!(
        got[0].as_ref().map(|c| (c.offset, c.metadata.as_str())),
        Some((10, "chk 1"))
    );
    assert!(
        waited >= Duration::from_millis(250),
        "read before the commit ({waited:?})"
    );
    let committed: Vec<String> = (0..10).map(|i| format!("c{i:02}")).collect();
    assert_eq!(committed_values(&broker, "out"), committed);
    assert_eq!(group_offset(&broker, "eos"), Offset::Offset(10));

    // Aborted: neither.
    p.begin().unwrap();
    p.send("out", 0, record("aborted")).unwrap();
    p.flush().unwrap();
    p.send_offsets(&a.identity(), &[("input".into(), 0, 20, None)])
        .unwrap();
    p.abort().unwrap();
    assert_eq!(committed_values(&broker, "out"), committed);
    assert_eq!(group_offset(&broker, "eos"), Offset::Offset(10));

    // A zombie: b joins, a is told to revoke but stays paused past the rebalance timeout.
    let stale = a.identity();
    let b = membership(&broker, "eos");
    let deadline = Instant::now() + WAIT;
    loop {
        if let Ok(Some(MembershipEvent::Revoke)) = a.next_event(Duration::from_millis(20)) {
            break;
        }
        assert!(Instant::now() < deadline, "a was never asked to revoke");
    }
    assert_eq!(assigned(&b).len(), 4, "b takes everything once a is dropped");
    p.begin().unwrap();
    p.send("out", 1, record("zombie")).unwrap();
    let fenced = p
        .send_offsets(&stale, &[("input".into(), 0, 30, None)])
        .expect_err("a zombie's offsets were accepted");
    assert!(
        ["ILLEGAL_GENERATION", "UNKNOWN_MEMBER_ID"].contains(&code_name(&fenced).as_str()),
        "{fenced}"
    );
    p.abort().unwrap();
    assert_eq!(committed_values(&broker, "out"), committed);
    assert_eq!(group_offset(&broker, "eos"), Offset::Offset(10));

    // b commits with its own generation.
    let mut pb = producer(&broker, "eos-b");
    pb.begin().unwrap();
    pb.send("out", 1, record("from-b")).unwrap();
    pb.send_offsets(&b.identity(), &[("input".into(), 0, 11, None)])
        .unwrap();
    pb.commit().unwrap();
    assert_eq!(group_offset(&broker, "eos"), Offset::Offset(11));

    // A second instance with a's transactional id fences the first.
    let mut successor = producer(&broker, "eos-a");
    p.begin().unwrap();
    p.send("out", 0, record("fenced")).unwrap();
    let err = p.commit().expect_err("a fenced producer committed");
    assert!(
        ["PRODUCER_FENCED", "INVALID_PRODUCER_EPOCH"].contains(&code_name(&err).as_str()),
        "{err}"
    );
    successor.begin().unwrap();
    successor.send("out", 0, record("successor")).unwrap();
    successor.commit().unwrap();
    let mut want = committed.clone();
    want.extend(["from-b".to_string(), "successor".to_string()]);
    want.sort();
    assert_eq!(committed_values(&broker, "out"), want);
    a.close(true);
    b.close(true);
}
