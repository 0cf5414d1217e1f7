//! The server's message browser (`GET /kafka/topics/:t/partitions/:p/messages`) gives the same
//! pages whether the server hosts the broker (records read from the log in the process) or
//! talks to an external cluster with `--bootstrap` (records read with a Kafka client): the
//! same records, produced here with rdkafka, checked the same way against both.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::time::Duration;

use common::{Broker, Server};
use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use serde_json::Value;
use spate_server::{Client, ServerError};

const TOPIC: &str = "browse";
/// Record `i`'s timestamp is `BASE + i * 1000`.
const BASE: i64 = 1_800_000_000_000;

fn producer(kafka: &str, transactional: bool) -> ThreadedProducer<DefaultProducerContext> {
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", kafka).set("linger.ms", "0");
    if transactional {
        config.set("transactional.id", "browse-txn");
    }
    config.create().unwrap()
}

/// Offsets 0..10: committed records `k{i}` → `{"n": i}` with a header; then a transaction
/// of two records that is aborted; then one more committed record (`k10`).
fn write_records(kafka: &str) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", kafka)
        .create()
        .unwrap();
    let created = runtime
        .block_on(admin.create_topics(
            &[NewTopic::new(TOPIC, 2, TopicReplication::Fixed(1))],
            &AdminOptions::new(),
        ))
        .unwrap();
    assert!(created.iter().all(Result::is_ok), "{created:?}");
    let plain = producer(kafka, false);
    for i in 0..10i64 {
        let key = format!("k{i}");
        let value = format!("{{\"n\": {i}}}");
        plain
            .send(
                BaseRecord::to(TOPIC)
                    .partition(0)
                    .key(&key)
                    .payload(&value)
                    .timestamp(BASE + i * 1000)
                    .headers(OwnedHeaders::new().insert(Header {
                        key: "source",
                        value: Some("test"),
                    })),
            )
            .unwrap();
    }
    plain.flush(Duration::from_secs(10)).unwrap();
    let txn = producer(kafka, true);
    txn.init_transactions(Duration::from_secs(10)).unwrap();
    txn.begin_transaction().unwrap();
    for i in 0..2 {
        txn.send(
            BaseRecord::to(TOPIC)
                .partition(0)
                .key("aborted")
                .payload(&format!("a{i}")),
        )
        .unwrap();
    }
    txn.flush(Duration::from_secs(10)).unwrap();
    txn.abort_transaction(Duration::from_secs(10)).unwrap();
    plain
        .send(
            BaseRecord::to(TOPIC)
                .partition(0)
                .key("k10")
                .payload("plain text")
                .timestamp(BASE + 10_000),
        )
        .unwrap();
    plain.flush(Duration::from_secs(10)).unwrap();
}

fn get(runtime: &tokio::runtime::Runtime, client: &Client, query: &str) -> Result<Value, ServerError> {
    runtime.block_on(client.request(
        "GET",
        &format!("/kafka/topics/{TOPIC}/partitions/0/messages{query}"),
        None,
    ))
}

fn offsets(page: &Value) -> Vec<i64> {
    page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["offset"].as_i64().unwrap())
        .collect()
}

fn keys(page: &Value) -> Vec<String> {
    page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["key"]["data"].as_str().unwrap_or("").to_string())
        .collect()
}

/// The checks both readers must pass.
fn check_pages(server: &Server) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let client = server.client();

    let first = get(&runtime, &client, "?offset=0&count=3").unwrap();
    assert_eq!(offsets(&first), [0, 1, 2], "{first:#}");
    assert_eq!(first["next_offset"], 3, "{first:#}");
    assert_eq!(first["low"], 0);
    // 10 + 2 aborted + the abort marker + 1.
    assert_eq!(first["high"], 14, "{first:#}");
    let m = &first["messages"][1];
    assert_eq!(m["key"]["data"], "k1", "{m:#}");
    assert_eq!(m["value"]["format"], "json", "{m:#}");
    assert_eq!(m["value"]["data"]["n"], 1, "{m:#}");
    assert_eq!(m["timestamp"], BASE + 1000, "{m:#}");
    assert_eq!(m["timestamp_type"], "CreateTime");
    assert_eq!(m["headers"][0][0], "source", "{m:#}");
    assert_eq!(m["headers"][0][1]["data"], "test", "{m:#}");

    // read_committed (the default) skips the aborted records and the marker.
    let rest = get(&runtime, &client, "?offset=8&count=10").unwrap();
    assert_eq!(keys(&rest), ["k8", "k9", "k10"], "{rest:#}");
    assert_eq!(rest["messages"][2]["value"]["format"], "text");
    assert_eq!(rest["next_offset"], 14, "{rest:#}");
    let dirty = get(&runtime, &client, "?offset=8&count=10&isolation=read_uncommitted").unwrap();
    assert_eq!(
        keys(&dirty),
        ["k8", "k9", "aborted", "aborted", "k10"],
        "{dirty:#}"
    );

    let by_time = get(&runtime, &client, &format!("?timestamp={}&count=2", BASE + 4500)).unwrap();
    assert_eq!(by_time["from"], 5, "{by_time:#}");
    assert_eq!(offsets(&by_time), [5, 6], "{by_time:#}");
    let tail = get(&runtime, &client, "?count=1").unwrap();
    assert_eq!(keys(&tail), ["k10"], "{tail:#}");
    let empty = get(&runtime, &client, "?offset=14").unwrap();
    assert!(offsets(&empty).is_empty(), "{empty:#}");

    for (path, status) in [
        ("/kafka/topics/nosuch/partitions/0/messages", 404),
        ("/kafka/topics/browse/partitions/7/messages", 404),
    ] {
        match runtime.block_on(client.request("GET", path, None)) {
            Err(ServerError::Api { status: s, .. }) => assert_eq!(s, status, "{path}"),
            other => panic!("{path}: {other:?}"),
        }
    }
}

#[test]
fn the_embedded_broker_is_browsed_from_its_log() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("server.log");
    let server = Server::start(&dir.path().join("data"), &log, &["--kafka-listen", "127.0.0.1:0"]);
    let kafka = server
        .line
        .split("Kafka on ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap()
        .trim_end_matches(',')
        .to_string();
    write_records(&kafka);
    check_pages(&server);
}

#[test]
fn an_external_cluster_is_browsed_with_a_kafka_client() {
    let dir = tempfile::tempdir().unwrap();
    let mut broker = Broker::start(&dir.path().join("broker"), &dir.path().join("broker.log"));
    write_records(&broker.addr);
    let log = dir.path().join("server.log");
    let server = Server::start(&dir.path().join("data"), &log, &["--bootstrap", &broker.addr]);
    check_pages(&server);
    drop(server);
    broker.kill();
}
