//! `spate transactions`: an operator finds and aborts a hanging transaction.
//!
//! A transactional producer leaves a transaction open; the broker is killed and its transaction
//! coordinator state is lost (as with data written before the broker refused forged
//! transactional records, or a lost `broker/transactions` directory). After the restart nothing
//! will ever end that transaction and read_committed consumers stop at its first offset. The
//! CLI must find it (`find-hanging`) and end it (`abort --start-offset`), after which
//! read_committed consumers read past it and never see its records.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::Broker;
use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{Offset, TopicPartitionList};

const TOPIC: &str = "held";

fn spate(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_spate"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Values a read_committed consumer reads from the start within `wait`.
fn read_committed(bootstrap: &str, wait: Duration) -> Vec<String> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", "reader")
        .set("enable.auto.commit", "false")
        .set("isolation.level", "read_committed")
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(TOPIC, 0, Offset::Beginning).unwrap();
    consumer.assign(&tpl).unwrap();
    let deadline = Instant::now() + wait;
    let mut out = Vec::new();
    while Instant::now() < deadline {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(100)) {
            out.push(String::from_utf8(m.payload().unwrap().to_vec()).unwrap());
        }
    }
    out
}

#[test]
fn find_and_abort_a_hanging_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let log = dir.path().join("broker.log");
    let mut broker = Broker::start(&data, &log);

    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", &broker.addr)
        .set("transactional.id", "stuck")
        .create()
        .unwrap();
    producer.init_transactions(Duration::from_secs(10)).unwrap();
    producer.begin_transaction().unwrap();
    for i in 0..3 {
        producer
            .send(BaseRecord::<str, str>::to(TOPIC).payload(&format!("open-{i}")))
            .unwrap();
    }
    producer.flush(Duration::from_secs(10)).unwrap();
    std::mem::forget(producer); // never ends its transaction (no abort on drop)

    broker.kill();
    std::fs::remove_dir_all(data.join("broker").join("transactions")).unwrap();
    let broker = Broker::start(&data, &log);
    let plain: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", &broker.addr)
        .create()
        .unwrap();
    plain
        .send(BaseRecord::<str, str>::to(TOPIC).payload("after"))
        .unwrap();
    plain.flush(Duration::from_secs(10)).unwrap();
    assert!(
        read_committed(&broker.addr, Duration::from_secs(2)).is_empty(),
        "the open transaction should hold read_committed readers back"
    );

    let (ok, out, err) = spate(&["transactions", "find-hanging", "--bootstrap", &broker.addr]);
    assert!(ok, "find-hanging failed: {err}");
    let rows: Vec<&str> = out.lines().skip(1).collect();
    assert_eq!(rows.len(), 1, "{out}");
    let fields: Vec<&str> = rows[0].split('\t').collect();
    assert_eq!((fields[0], fields[1], fields[4]), (TOPIC, "0", "0"), "{out}");

    let abort_at = |offset: &str| {
        spate(&[
            "transactions",
            "abort",
            "--topic",
            TOPIC,
            "--partition",
            "0",
            "--start-offset",
            offset,
            "--bootstrap",
            &broker.addr,
        ])
    };
    // A start offset where no transaction starts is refused, naming the ones that do.
    let (ok, _, err) = abort_at("2");
    assert!(!ok);
    assert!(err.contains("open ones start at: 0"), "{err}");

    let (ok, out, err) = abort_at("0");
    assert!(ok, "abort failed: {err}");
    assert!(out.contains("aborted the transaction"), "{out}");

    assert_eq!(
        read_committed(&broker.addr, Duration::from_secs(3)),
        vec!["after".to_string()]
    );
    let (ok, out, _) = spate(&["transactions", "find-hanging", "--bootstrap", &broker.addr]);
    assert!(ok);
    assert_eq!(out.lines().count(), 1, "still hanging: {out}");
}
