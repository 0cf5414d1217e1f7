//! TLS listeners end to end with librdkafka (built with OpenSSL): SSL with the broker's name
//! checked, SASL_SSL with SCRAM-SHA-512, and SSL with required client certificates whose
//! subject is the principal ACLs name. Clients that must fail — a wrong CA, no or an expired or
//! a foreign client certificate, a plaintext client, a silent one — fail, and the broker keeps
//! serving the others. `ssl.principal.mapping.rules` turns subjects into the principals ACLs and
//! `super.users` name, and refuses a certificate no rule maps. Certificates are made by each test (`common::pki`).
#![allow(clippy::unwrap_used)]

use crate::common;

use std::time::Duration;

use common::pki::{Identity, Pki};
use common::{TestBroker, client_config};
use rcgen::DnType;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::Message;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Offset, TopicPartitionList};
use spate_broker::acl::{AclBinding, Operation, PatternType, Permission, ResourceType};
use spate_broker::credentials::CredentialStore;
use spate_broker::{BrokerConfig, SaslMechanism, Setting};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const TIMEOUT: Duration = Duration::from_secs(10);

/// Applies `key=value` settings as `server.properties` would.
fn set(c: &mut BrokerConfig, pairs: &[(&str, &str)]) {
    let settings: Vec<Setting> = pairs.iter().map(|(k, v)| Setting::new(*k, *v, "test")).collect();
    c.apply_properties(&settings).unwrap();
}

/// Gives the listener named `name` the advertised host `localhost` (port: the bound one), so
/// clients check the broker's certificate against a name.
fn advertise_localhost(c: &mut BrokerConfig, name: &str) {
    let l = c.listeners.iter_mut().find(|l| l.name == name).unwrap();
    l.advertised = Some(("localhost".to_string(), 0));
}

fn path(p: &std::path::Path) -> &str {
    p.to_str().unwrap()
}

fn ssl_client(bootstrap: &str, ca: &std::path::Path) -> rdkafka::ClientConfig {
    let mut c = client_config(bootstrap);
    c.set("security.protocol", "SSL")
        .set("ssl.ca.location", path(ca))
        .set("socket.timeout.ms", "5000")
        .set("message.timeout.ms", "5000");
    c
}

fn with_identity(mut c: rdkafka::ClientConfig, id: &Identity) -> rdkafka::ClientConfig {
    c.set("ssl.certificate.location", path(&id.cert))
        .set("ssl.key.location", path(&id.key));
    c
}

async fn produce(config: &rdkafka::ClientConfig, topic: &str, value: &str) -> Result<i64, KafkaError> {
    let producer: FutureProducer = config.create().unwrap();
    producer
        .send(FutureRecord::<(), _>::to(topic).payload(value), TIMEOUT)
        .await
        .map(|d| d.offset)
        .map_err(|(e, _)| e)
}

/// Reads `count` values of partition 0 of `topic` from the start.
async fn consume(config: &rdkafka::ClientConfig, topic: &str, count: usize) -> Vec<String> {
    let mut config = config.clone();
    let topic = topic.to_string();
    tokio::task::spawn_blocking(move || {
        let consumer: BaseConsumer = config
            .set("group.id", "tls-tests")
            .set("enable.auto.commit", "false")
            .set("fetch.wait.max.ms", "50")
            .create()
            .unwrap();
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset(&topic, 0, Offset::Beginning).unwrap();
        consumer.assign(&tpl).unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        let mut out = Vec::new();
        while out.len() < count {
            assert!(std::time::Instant::now() < deadline, "only {out:?} arrived");
            match consumer.poll(Duration::from_millis(100)) {
                Some(Ok(m)) => out.push(String::from_utf8(m.payload().unwrap().to_vec()).unwrap()),
                Some(Err(e)) => panic!("consumer error: {e}"),
                None => {}
            }
        }
        out
    })
    .await
    .unwrap()
}

/// Whether a client with `config` gets metadata (TLS handshake and, if any, login done).
async fn reaches(config: &rdkafka::ClientConfig) -> bool {
    let config = config.clone();
    tokio::task::spawn_blocking(move || {
        let consumer: BaseConsumer = config.create().unwrap();
        consumer.fetch_metadata(None, Duration::from_secs(4)).is_ok()
    })
    .await
    .unwrap()
}

/// Sends `bytes` on a new TCP connection to `addr` and waits for the broker to close it.
/// Returns how long that took, failing if it stays open for `within`.
async fn closed_after(addr: std::net::SocketAddr, bytes: &[u8], within: Duration) -> Duration {
    let start = std::time::Instant::now();
    let mut socket = tokio::net::TcpStream::connect(addr).await.unwrap();
    socket.write_all(bytes).await.unwrap();
    let mut sink = Vec::new();
    // EOF or a reset both mean closed; TLS alert bytes before that are fine.
    let _ = tokio::time::timeout(within, socket.read_to_end(&mut sink))
        .await
        .expect("the broker kept the connection open");
    start.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssl_produce_and_consume_and_bad_clients_fail_alone() {
    let pki = Pki::new("test-ca");
    let broker_id = pki.broker();
    let rogue = Pki::new("rogue-ca");
    let broker = TestBroker::start_with(|c| {
        set(
            c,
            &[
                ("listeners", "PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0"),
                ("ssl.keystore.type", "PEM"),
                ("ssl.keystore.location", path(&broker_id.combined)),
                // No client certificates: everyone is User:ANONYMOUS; ACLs are tests/acls.rs's.
                ("authorizer.class.name", ""),
            ],
        );
        advertise_localhost(c, "SSL");
        c.request_stall_timeout = Duration::from_secs(1);
    })
    .await;
    broker.create_topic("t", 1);
    let ssl = broker.handle.bootstrap_servers_of("SSL").unwrap();
    assert!(ssl.starts_with("localhost:"), "{ssl}");
    let ssl_addr = broker.handle.listener_addr("SSL").unwrap();
    let good = ssl_client(&ssl, &pki.ca_pem);
    for i in 0..3 {
        assert_eq!(produce(&good, "t", &format!("v{i}")).await.unwrap(), i);
    }
    assert_eq!(consume(&good, "t", 3).await, ["v0", "v1", "v2"]);

    // A client that trusts another CA refuses the broker; one on the plaintext protocol gets
    // nothing from the TLS port.
    assert!(!reaches(&ssl_client(&ssl, &rogue.ca_pem)).await);
    let mut plaintext = client_config(&ssl);
    plaintext.set("socket.timeout.ms", "3000");
    assert!(!reaches(&plaintext).await);
    // A Kafka request in plaintext is closed at once; a client that sends nothing when the
    // handshake time (request_stall_timeout here) is up.
    let api_versions = [0, 0, 0, 10, 0, 18, 0, 0, 0, 0, 0, 1, 0, 0];
    closed_after(ssl_addr, &api_versions, Duration::from_secs(5)).await;
    let silent = closed_after(ssl_addr, &[], Duration::from_secs(5)).await;
    assert!(silent >= Duration::from_millis(900), "{silent:?}");

    // The good client, and the plaintext listener, still work.
    assert_eq!(produce(&good, "t", "v3").await.unwrap(), 3);
    assert_eq!(
        produce(&client_config(&broker.bootstrap()), "t", "v4")
            .await
            .unwrap(),
        4
    );
    assert_eq!(consume(&good, "t", 5).await.len(), 5);
    broker.handle.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sasl_ssl_with_scram_sha_512_and_inline_pem() {
    let pki = Pki::new("test-ca");
    let broker_id = pki.broker();
    let broker = TestBroker::start_with(|c| {
        set(
            c,
            &[
                ("listeners", "SASL_SSL://127.0.0.1:0"),
                ("sasl.enabled.mechanisms", "SCRAM-SHA-512"),
                // Inline PEM, on the listener's own prefix.
                (
                    "listener.name.sasl_ssl.ssl.keystore.certificate.chain",
                    &broker_id.cert_pem,
                ),
                ("listener.name.sasl_ssl.ssl.keystore.key", &broker_id.key_pem),
                ("authorizer.class.name", ""),
            ],
        );
        advertise_localhost(c, "SASL_SSL");
        CredentialStore::open(&c.data_dir)
            .unwrap()
            .set_password("alice", SaslMechanism::ScramSha512, "wonderland", 4096)
            .unwrap();
    })
    .await;
    broker.create_topic("s", 1);
    let sasl_ssl = broker.bootstrap();
    let login = |password: &str| {
        let mut c = ssl_client(&sasl_ssl, &pki.ca_pem);
        c.set("security.protocol", "SASL_SSL")
            .set("sasl.mechanism", "SCRAM-SHA-512")
            .set("sasl.username", "alice")
            .set("sasl.password", password);
        c
    };
    let alice = login("wonderland");
    assert_eq!(produce(&alice, "s", "hello").await.unwrap(), 0);
    assert!(!reaches(&login("wrong")).await);
    assert_eq!(produce(&alice, "s", "again").await.unwrap(), 1);
    assert_eq!(consume(&alice, "s", 2).await, ["hello", "again"]);
    broker.handle.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_certificate_subject_is_the_acl_principal() {
    let pki = Pki::new("test-ca");
    let broker_id = pki.broker();
    let alice_subject = [
        (DnType::OrganizationName, "Spate"),
        (DnType::OrganizationalUnitName, "eng"),
        (DnType::CommonName, "alice"),
    ];
    let alice = pki.client("alice", &alice_subject);
    let expired = pki.expired_client("old-alice", &alice_subject);
    let rogue = Pki::new("rogue-ca");
    let mallory = rogue.client("mallory", &alice_subject);
    let broker = TestBroker::start_with(|c| {
        set(
            c,
            &[
                ("listeners", "SSL://127.0.0.1:0"),
                ("ssl.keystore.location", path(&broker_id.combined)),
                ("ssl.truststore.type", "PEM"),
                ("ssl.truststore.location", path(&pki.ca_pem)),
                ("ssl.client.auth", "required"),
            ],
        );
        advertise_localhost(c, "SSL");
        // Kafka's DefaultKafkaPrincipalBuilder name of the subject: RFC 2253, last RDN first.
        let principal = "User:CN=alice,OU=eng,O=Spate";
        let acls: Vec<AclBinding> = [
            (ResourceType::Topic, "allowed", Operation::Write),
            (ResourceType::Topic, "allowed", Operation::Read),
            (ResourceType::Group, "tls-tests", Operation::Read),
        ]
        .into_iter()
        .map(|(resource_type, name, operation)| AclBinding {
            resource_type,
            resource_name: name.into(),
            pattern_type: PatternType::Literal,
            principal: principal.into(),
            host: "*".into(),
            operation,
            permission: Permission::Allow,
        })
        .collect();
        // The broker's ACL file (DATA_DIR/broker/acls), written before its first start.
        let broker_dir = c.data_dir.join("broker");
        std::fs::create_dir_all(&broker_dir).unwrap();
        std::fs::write(
            broker_dir.join("acls"),
            spate_broker::acl::file_format::encode(&acls),
        )
        .unwrap();
    })
    .await;
    broker.create_topic("allowed", 1);
    broker.create_topic("other", 1);
    let ssl = broker.bootstrap();
    let as_alice = with_identity(ssl_client(&ssl, &pki.ca_pem), &alice);
    assert_eq!(produce(&as_alice, "allowed", "mine").await.unwrap(), 0);
    assert_eq!(consume(&as_alice, "allowed", 1).await, ["mine"]);
    let e = produce(&as_alice, "other", "nope").await.unwrap_err();
    assert_eq!(
        e.rdkafka_error_code(),
        Some(RDKafkaErrorCode::TopicAuthorizationFailed),
        "{e}"
    );
    assert_eq!(broker.log_end_offset("other", 0), 0);

    // No certificate, an expired one, one from another CA: no connection at all.
    assert!(!reaches(&ssl_client(&ssl, &pki.ca_pem)).await);
    assert!(!reaches(&with_identity(ssl_client(&ssl, &pki.ca_pem), &expired)).await);
    assert!(!reaches(&with_identity(ssl_client(&ssl, &pki.ca_pem), &mallory)).await);
    // alice is still served.
    assert_eq!(produce(&as_alice, "allowed", "still").await.unwrap(), 1);
    broker.handle.shutdown().await.unwrap();
}

/// ACL bindings allowing `principal` `operations` on topic or group names.
fn allow(principal: &str, grants: &[(ResourceType, &str, Operation)]) -> Vec<AclBinding> {
    grants
        .iter()
        .map(|(resource_type, name, operation)| AclBinding {
            resource_type: *resource_type,
            resource_name: name.to_string(),
            pattern_type: PatternType::Literal,
            principal: principal.into(),
            host: "*".into(),
            operation: *operation,
            permission: Permission::Allow,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn principal_mapping_rules_name_the_acl_principal() {
    let pki = Pki::new("test-ca");
    let broker_id = pki.broker();
    let subject = |cn: &'static str, ou: &'static str| {
        [
            (DnType::OrganizationName, "Spate"),
            (DnType::OrganizationalUnitName, ou),
            (DnType::CommonName, cn),
        ]
    };
    let robot = pki.client("robot", &subject("R2D2", "Robots"));
    let alice = pki.client("alice", &subject("alice", "eng"));
    let root = pki.client("root", &subject("Root", "Robots"));
    // No rule maps OU=ops, and there is no DEFAULT.
    let bob = pki.client("bob", &subject("bob", "ops"));
    let rules = "RULE:^CN=([^,]+),OU=Robots,O=Spate$/$1/L, RULE:^CN=([^,]+),OU=eng,O=Spate$/$1@eng/";

    // A rule that does not parse refuses the configuration, naming the key.
    let mut bad = BrokerConfig::ephemeral(std::path::Path::new("/nonexistent"));
    let e = bad
        .apply_properties(&[Setting::new(
            "listener.name.ssl.ssl.principal.mapping.rules",
            "RULE:^CN=(.*$/$1/",
            "test",
        )])
        .unwrap_err()
        .to_string();
    assert!(e.contains("listener.name.ssl.ssl.principal.mapping.rules"), "{e}");

    let broker = TestBroker::start_with(|c| {
        set(
            c,
            &[
                ("listeners", "SSL://127.0.0.1:0"),
                ("ssl.keystore.location", path(&broker_id.combined)),
                ("ssl.truststore.location", path(&pki.ca_pem)),
                ("ssl.client.auth", "required"),
                ("listener.name.ssl.ssl.principal.mapping.rules", rules),
                ("super.users", "User:root"),
            ],
        );
        advertise_localhost(c, "SSL");
        let mut acls = allow(
            "User:r2d2",
            &[
                (ResourceType::Topic, "allowed", Operation::Write),
                (ResourceType::Topic, "allowed", Operation::Read),
                (ResourceType::Group, "tls-tests", Operation::Read),
            ],
        );
        // The unmapped subject is no longer anyone's principal.
        acls.extend(allow(
            "User:CN=alice,OU=eng,O=Spate",
            &[(ResourceType::Topic, "allowed", Operation::Write)],
        ));
        acls.extend(allow(
            "User:alice@eng",
            &[(ResourceType::Topic, "alices", Operation::Write)],
        ));
        let broker_dir = c.data_dir.join("broker");
        std::fs::create_dir_all(&broker_dir).unwrap();
        std::fs::write(
            broker_dir.join("acls"),
            spate_broker::acl::file_format::encode(&acls),
        )
        .unwrap();
    })
    .await;
    for topic in ["allowed", "alices", "other"] {
        broker.create_topic(topic, 1);
    }
    let ssl = broker.bootstrap();
    let as_id = |id: &Identity| with_identity(ssl_client(&ssl, &pki.ca_pem), id);
    let denied = |r: Result<i64, KafkaError>| {
        let e = r.unwrap_err();
        assert_eq!(
            e.rdkafka_error_code(),
            Some(RDKafkaErrorCode::TopicAuthorizationFailed),
            "{e}"
        );
    };

    // CN=R2D2,OU=Robots,O=Spate is User:r2d2 (lower-cased by /L).
    assert_eq!(produce(&as_id(&robot), "allowed", "beep").await.unwrap(), 0);
    assert_eq!(consume(&as_id(&robot), "allowed", 1).await, ["beep"]);
    denied(produce(&as_id(&robot), "other", "beep").await);
    // CN=alice,OU=eng,O=Spate is User:alice@eng: its own ACL applies, not its subject's.
    assert_eq!(produce(&as_id(&alice), "alices", "hi").await.unwrap(), 0);
    denied(produce(&as_id(&alice), "allowed", "hi").await);
    // super.users names mapped principals too.
    assert_eq!(produce(&as_id(&root), "other", "sudo").await.unwrap(), 0);
    // No rule applies: refused at connection, as Kafka fails the authentication.
    assert!(!reaches(&as_id(&bob)).await);
    assert_eq!(produce(&as_id(&robot), "allowed", "still").await.unwrap(), 1);
    assert_eq!(broker.log_end_offset("allowed", 0), 2);
    assert_eq!(broker.log_end_offset("other", 0), 1);
    broker.handle.shutdown().await.unwrap();
}

#[tokio::test]
async fn bad_tls_files_stop_the_start_naming_the_key() {
    let pki = Pki::new("test-ca");
    let client = pki.client("c", &[(DnType::CommonName, "c")]);
    let dir = tempfile::tempdir().unwrap();
    let start = |pairs: &[(&str, &str)]| {
        let mut c = BrokerConfig::ephemeral(dir.path());
        set(&mut c, &[("listeners", "SSL://127.0.0.1:0")]);
        set(&mut c, pairs);
        spate_broker::Broker::start(c)
    };
    let e = start(&[]).await.unwrap_err().to_string();
    assert!(e.contains("ssl.keystore.location"), "{e}");
    let e = start(&[("ssl.keystore.location", "/nonexistent.pem")])
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("ssl.keystore.location") && e.contains("cannot read"),
        "{e}"
    );
    // A certificate without its key.
    let e = start(&[("ssl.keystore.location", path(&client.cert))])
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("ssl.keystore.location") && e.contains("private key"),
        "{e}"
    );
    let e = start(&[
        ("ssl.keystore.location", path(&client.combined)),
        ("ssl.client.auth", "required"),
        ("ssl.truststore.location", path(&client.key)),
    ])
    .await
    .unwrap_err()
    .to_string();
    assert!(e.contains("ssl.truststore.location"), "{e}");
}
