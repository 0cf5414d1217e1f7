//! Several listeners at once: each serves the same broker, and Metadata tells each client the
//! address of the listener it came in through (what Kafka clients then reconnect to).
#![allow(clippy::unwrap_used)]

use crate::common;

use std::time::Duration;

use common::{TestBroker, client_config, consume};
use rdkafka::Offset;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{FutureProducer, FutureRecord};
use spate_broker::{ListenerConfig, Setting};

const TIMEOUT: Duration = Duration::from_secs(10);

/// (host, port) of every broker that Metadata through `bootstrap` lists.
fn advertised(bootstrap: &str) -> Vec<(String, i32)> {
    let consumer: BaseConsumer = client_config(bootstrap).create().unwrap();
    let md = consumer.fetch_metadata(None, TIMEOUT).unwrap();
    md.brokers()
        .iter()
        .map(|b| (b.host().to_string(), b.port()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_listener_advertises_itself_and_serves_the_same_data() {
    let broker = TestBroker::start_with(|c| {
        c.apply_properties(&[
            Setting::new(
                "listeners",
                "INTERNAL://127.0.0.1:0,CLIENTS://127.0.0.1:0",
                "test",
            ),
            Setting::new(
                "listener.security.protocol.map",
                "INTERNAL:PLAINTEXT,CLIENTS:PLAINTEXT",
                "test",
            ),
        ])
        .unwrap();
    })
    .await;
    let h = &broker.handle;
    let internal = h.bootstrap_servers_of("internal").unwrap();
    let clients = h.bootstrap_servers_of("CLIENTS").unwrap();
    assert_ne!(internal, clients);
    assert_eq!(
        h.bootstrap_servers(),
        internal,
        "the first listener is the default"
    );
    let port = |name| i32::from(h.listener_addr(name).unwrap().port());
    let (bi, bc) = tokio::task::spawn_blocking({
        let (internal, clients) = (internal.clone(), clients.clone());
        move || (advertised(&internal), advertised(&clients))
    })
    .await
    .unwrap();
    assert_eq!(bi, [("127.0.0.1".to_string(), port("INTERNAL"))]);
    assert_eq!(bc, [("127.0.0.1".to_string(), port("CLIENTS"))]);

    // Written through one listener, read through the other.
    broker.create_topic("via", 1);
    let producer: FutureProducer = client_config(&internal).create().unwrap();
    for i in 0..3 {
        let v = format!("v{i}");
        producer
            .send(FutureRecord::<(), _>::to("via").payload(&v), TIMEOUT)
            .await
            .unwrap();
    }
    let got = consume(&clients, "via", &[(0, Offset::Beginning)], 3).await;
    let values: Vec<_> = got
        .iter()
        .map(|m| String::from_utf8(rdkafka::Message::payload(m).unwrap().to_vec()).unwrap())
        .collect();
    assert_eq!(values, ["v0", "v1", "v2"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn advertised_listeners_are_what_clients_are_told() {
    // The advertised port is a real one (the listener's own), so the client can follow it.
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = probe.local_addr().unwrap().port();
    drop(probe);
    let broker = TestBroker::start_with(|c| {
        c.listeners = vec![ListenerConfig {
            advertised: Some(("localhost".to_string(), port)),
            ..ListenerConfig::parse_flag(&format!("EXTERNAL=PLAINTEXT://127.0.0.1:{port}")).unwrap()
        }];
    })
    .await;
    assert_eq!(broker.bootstrap(), format!("localhost:{port}"));
    let bootstrap = format!("127.0.0.1:{port}");
    let got = tokio::task::spawn_blocking(move || advertised(&bootstrap))
        .await
        .unwrap();
    assert_eq!(got, [("localhost".to_string(), i32::from(port))]);
}

#[tokio::test]
async fn a_tls_listener_without_a_certificate_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = spate_broker::BrokerConfig::ephemeral(dir.path());
    config
        .listeners
        .push(ListenerConfig::parse_flag("SECURE=SSL://127.0.0.1:0").unwrap());
    let err = spate_broker::Broker::start(config).await.unwrap_err().to_string();
    assert!(
        err.contains("SECURE") && err.contains("ssl.keystore.location"),
        "{err}"
    );
}
