//! Spate's own Kafka clients on a SASL_SSL listener (SCRAM-SHA-512 over TLS, the broker's name
//! checked): the raw transaction admin client, the exactly-once sink's recovery, which
//! finishes a crashed run's transaction through that client with the producer's properties,
//! and the source's protocol fetcher.
//! Certificates are made by the test.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose};
use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};
use spate_broker::credentials::CredentialStore;
use spate_broker::{Broker, BrokerConfig, BrokerHandle, SaslMechanism, Setting};
use spate_connectors::kafka::{DeliveryGuarantee, KafkaRecord, KafkaSink, KafkaSource, ReadPath};
use spate_engine::{Record, Sink, SinkContext, Source, SourceContext};
use spate_kafka_client::BrokerConnection;
use spate_kafka_client::client_security::ClientSecurity;

const SINK: SinkContext = SinkContext {
    subtask: 0,
    parallelism: 1,
    attempt: 0,
};

struct SecuredBroker {
    handle: BrokerHandle,
    /// A CA of its own and its certificate (`ssl.ca.location`).
    ca: std::path::PathBuf,
    /// Another CA, which did not sign the broker's certificate.
    rogue_ca: std::path::PathBuf,
    _dir: tempfile::TempDir,
    _rt: tokio::runtime::Runtime,
}

fn ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign];
    CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
}

impl SecuredBroker {
    /// A SASL_SSL listener advertised as `localhost`, user alice/wonderland (SCRAM-SHA-512).
    fn start() -> SecuredBroker {
        let dir = tempfile::tempdir().unwrap();
        let issuer = ca("test-ca");
        let ca_path = dir.path().join("ca.pem");
        std::fs::write(&ca_path, issuer.pem()).unwrap();
        let rogue_ca = dir.path().join("rogue.pem");
        std::fs::write(&rogue_ca, ca("rogue-ca").pem()).unwrap();
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(vec!["localhost".to_string()])
            .unwrap()
            .signed_by(&key, &*issuer)
            .unwrap();
        let keystore = dir.path().join("broker.pem");
        std::fs::write(&keystore, format!("{}{}", cert.pem(), key.serialize_pem())).unwrap();

        let data = dir.path().join("data");
        let mut config = BrokerConfig::ephemeral(&data);
        let settings = [
            ("listeners", "SASL_SSL://127.0.0.1:0"),
            ("ssl.keystore.location", keystore.to_str().unwrap()),
            ("authorizer.class.name", ""),
        ];
        config
            .apply_properties(&settings.map(|(k, v)| Setting::new(k, v, "test")))
            .unwrap();
        config.listeners[0].advertised = Some(("localhost".into(), 0));
        CredentialStore::open(&data)
            .unwrap()
            .set_password("alice", SaslMechanism::ScramSha512, "wonderland", 4096)
            .unwrap();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let handle = rt.block_on(Broker::start(config)).unwrap();
        handle
            .store()
            .create_topic("out", 1, &Default::default())
            .unwrap();
        SecuredBroker {
            handle,
            ca: ca_path,
            rogue_ca,
            _dir: dir,
            _rt: rt,
        }
    }

    /// Kafka client properties of alice on the listener, trusting `ca`.
    fn properties(&self, ca: &std::path::Path) -> Vec<(String, String)> {
        [
            ("security.protocol", "SASL_SSL"),
            ("sasl.mechanism", "SCRAM-SHA-512"),
            ("sasl.username", "alice"),
            ("sasl.password", "wonderland"),
            ("ssl.ca.location", ca.to_str().unwrap()),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    fn security(&self, ca: &std::path::Path) -> ClientSecurity {
        let map: BTreeMap<String, String> = self.properties(ca).into_iter().collect();
        ClientSecurity::from_properties(&map).unwrap()
    }
}

#[test]
fn raw_admin_client_logs_in_over_tls_and_refuses_an_unknown_ca() {
    let b = SecuredBroker::start();
    let bs = b.handle.bootstrap_servers();
    assert!(bs.starts_with("localhost:"), "{bs}");
    let timeout = Duration::from_secs(5);
    let mut admin = BrokerConnection::connect_with(&bs, "probe-0", timeout, &b.security(&b.ca)).unwrap();
    let (_, epoch) = admin.init_producer_id("probe-0", 60_000).unwrap();
    assert_eq!(epoch, 0);
    let e = BrokerConnection::connect_secured(&bs, timeout, &b.security(&b.rogue_ca)).unwrap_err();
    assert!(e.to_string().contains("TLS handshake"), "{e}");
    // Plaintext to the TLS port gets no answer it could take for Kafka's.
    assert!(BrokerConnection::connect_to(&bs, timeout).is_err());
    // The first connection is unaffected.
    assert_eq!(admin.init_producer_id("probe-0", 60_000).unwrap().1, 1);
}

fn kv(v: &u64) -> (Option<Vec<u8>>, Vec<u8>) {
    (Some(v.to_be_bytes().to_vec()), v.to_string().into_bytes())
}

fn records(range: std::ops::Range<u64>) -> Vec<Record<u64>> {
    range.map(|i| Record::new(1_000 + i as i64, i)).collect()
}

fn exactly_once(b: &SecuredBroker, prefix: &str) -> KafkaSink<u64> {
    let mut builder = KafkaSink::builder(b.handle.bootstrap_servers(), "out", kv).delivery_guarantee(
        DeliveryGuarantee::ExactlyOnce {
            transactional_id_prefix: prefix.into(),
        },
    );
    for (k, v) in b.properties(&b.ca) {
        builder = builder.property(k, v);
    }
    let mut sink = builder.build().unwrap();
    sink.open(&SINK).unwrap();
    sink
}

/// Values a read_committed reader sees in `out`.
fn committed_values(b: &SecuredBroker) -> Vec<String> {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", b.handle.bootstrap_servers())
        .set("group.id", "reader")
        .set("isolation.level", "read_committed")
        .set("enable.partition.eof", "true");
    for (k, v) in b.properties(&b.ca) {
        config.set(k, v);
    }
    let consumer: BaseConsumer = config.create().unwrap();
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset("out", 0, Offset::Beginning).unwrap();
    consumer.assign(&tpl).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let mut out = Vec::new();
    loop {
        assert!(
            std::time::Instant::now() < deadline,
            "no end of partition: {out:?}"
        );
        match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(m)) => out.push(String::from_utf8(m.payload().unwrap().to_vec()).unwrap()),
            Some(Err(rdkafka::error::KafkaError::PartitionEOF(_))) => break,
            Some(Err(e)) => panic!("consumer error: {e}"),
            None => {}
        }
    }
    out
}

#[test]
fn exactly_once_sink_recovers_a_crashed_transaction_over_sasl_ssl() {
    let b = SecuredBroker::start();
    let mut crashed = exactly_once(&b, "job");
    crashed.write(&mut records(0..5)).unwrap();
    let state = crashed.snapshot_state(1).unwrap();
    crashed.write(&mut records(5..9)).unwrap();
    drop(crashed);
    // Restoring commits the pre-committed transaction of checkpoint 1 and aborts the open one,
    // both through the raw admin client over SASL_SSL.
    let mut restored = exactly_once(&b, "job");
    restored.restore_state(&SINK, &[state]).unwrap();
    let mut seen = committed_values(&b);
    seen.sort();
    assert_eq!(seen, ["0", "1", "2", "3", "4"]);
}

/// The source's protocol fetcher reads over SASL_SSL (SCRAM-SHA-512, the broker's name and CA
/// checked) with read_committed: committed records in order, nothing of an aborted transaction.
#[test]
fn fetching_source_reads_committed_records_over_sasl_ssl() {
    let b = SecuredBroker::start();
    let mut sink = exactly_once(&b, "fetched");
    sink.write(&mut records(0..40)).unwrap();
    sink.snapshot_state(1).unwrap();
    sink.notify_checkpoint_complete(1).unwrap();
    sink.write(&mut records(100..110)).unwrap();
    drop(sink); // the open transaction of 100..110 is never committed
    let mut aborting = exactly_once(&b, "fetched");
    aborting.write(&mut records(40..50)).unwrap();
    aborting.snapshot_state(2).unwrap();
    aborting.notify_checkpoint_complete(2).unwrap();

    let mut builder = KafkaSource::builder(b.handle.bootstrap_servers(), "g", KafkaRecord::deserialize)
        .topics(["out"])
        .partition_discovery(None)
        .read_path(ReadPath::Fetch);
    for (k, v) in b.properties(&b.ca) {
        builder = builder.property(k, v);
    }
    let mut source = builder.build().unwrap();
    source
        .open(&SourceContext {
            subtask: 0,
            parallelism: 1,
        })
        .unwrap();
    assert!(source.reads_through_fetcher());
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let mut got = Vec::new();
    while got.len() < 50 {
        assert!(
            std::time::Instant::now() < deadline,
            "{} of 50 records",
            got.len()
        );
        source.poll_into(100, &mut got).unwrap();
    }
    let values: Vec<String> = got
        .iter()
        .map(|r| String::from_utf8(r.value.value.clone().unwrap()).unwrap())
        .collect();
    assert_eq!(values, (0..50).map(|i| i.to_string()).collect::<Vec<_>>());
}
