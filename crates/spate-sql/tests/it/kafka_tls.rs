//! SQL Kafka tables on an SSL listener: `properties.security.protocol` and `properties.ssl.*`
//! reach both librdkafka and Spate's own raw client, for a bounded scan and an exactly-once
//! sink. The broker's certificate is made by the test and checked against its name.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose};
use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{Offset, TopicPartitionList};
use spate_broker::{Broker, BrokerConfig, Setting};
use spate_engine::StreamEnvironment;
use spate_sql::connector::{self, ConnectorContext, ScanPlan};
use spate_sql::value::Row;
use spate_sql::{Catalog, parse};

#[test]
fn kafka_tables_read_and_write_exactly_once_over_ssl() {
    let dir = tempfile::tempdir().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "sql-test-ca");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign];
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let ca_pem = dir.path().join("ca.pem");
    std::fs::write(&ca_pem, ca.pem()).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .signed_by(&key, &*ca)
        .unwrap();
    let keystore = dir.path().join("broker.pem");
    std::fs::write(&keystore, format!("{}{}", cert.pem(), key.serialize_pem())).unwrap();

    let mut config = BrokerConfig::ephemeral(dir.path().join("data"));
    let settings = [
        ("listeners", "SSL://127.0.0.1:0"),
        ("ssl.keystore.location", keystore.to_str().unwrap()),
        ("authorizer.class.name", ""),
    ];
    config
        .apply_properties(&settings.map(|(k, v)| Setting::new(k, v, "test")))
        .unwrap();
    config.listeners[0].advertised = Some(("localhost".into(), 0));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let broker = rt.block_on(Broker::start(config)).unwrap();
    for topic in ["src", "dst"] {
        broker
            .store()
            .create_topic(topic, 1, &Default::default())
            .unwrap();
    }
    let bootstrap = broker.bootstrap_servers();
    let ca_location = ca_pem.to_str().unwrap();
    let client = |c: &mut ClientConfig| {
        c.set("bootstrap.servers", &bootstrap)
            .set("security.protocol", "SSL")
            .set("ssl.ca.location", ca_location)
            .set("log_level", "3");
    };

    let mut pc = ClientConfig::new();
    client(&mut pc);
    let producer: BaseProducer = pc.create().unwrap();
    for (name, amount) in [("ann", 10), ("bob", 20), ("cy", 30)] {
        let value = format!("{{\"name\":\"{name}\",\"amount\":{amount}}}");
        producer
            .send(BaseRecord::<(), _>::to("src").payload(&value))
            .unwrap();
    }
    producer.flush(Duration::from_secs(10)).unwrap();

    let with = format!(
        "'connector' = 'kafka', 'format' = 'json', 'properties.bootstrap.servers' = '{bootstrap}', \
         'properties.security.protocol' = 'SSL', 'properties.ssl.ca.location' = '{ca_location}'"
    );
    let mut catalog = Catalog::new();
    let sql = format!(
        "CREATE TABLE src (name STRING, amount INT) WITH ({with}, 'topic' = 'src', \
           'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset');
         CREATE TABLE dst (name STRING, amount INT) WITH ({with}, 'topic' = 'dst', \
           'sink.delivery-guarantee' = 'exactly-once', 'sink.transactional-id-prefix' = 'tls-job');"
    );
    for s in parse(&sql).unwrap() {
        catalog.apply(&s).unwrap();
    }
    let env = StreamEnvironment::new();
    let ctx = ConnectorContext::default();
    let plan = ScanPlan {
        table: catalog.table("src").unwrap().clone(),
        complete: Arc::new(|_: &mut [spate_engine::Record<Row>]| Ok(())),
        rowtime: None,
        used: None,
    };
    let rows = connector::scan(&env, plan, &ctx).unwrap();
    connector::write(&rows, catalog.table("dst").unwrap(), &ctx).unwrap();
    env.execute().unwrap();

    let mut cc = ClientConfig::new();
    client(&mut cc);
    cc.set("group.id", "sql-tls-reader")
        .set("isolation.level", "read_committed")
        .set("enable.partition.eof", "true");
    let consumer: BaseConsumer = cc.create().unwrap();
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset("dst", 0, Offset::Beginning).unwrap();
    consumer.assign(&tpl).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let mut seen = Vec::new();
    loop {
        assert!(std::time::Instant::now() < deadline, "no end of dst: {seen:?}");
        match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(m)) => seen.push(String::from_utf8(m.payload().unwrap().to_vec()).unwrap()),
            Some(Err(rdkafka::error::KafkaError::PartitionEOF(_))) if !seen.is_empty() => break,
            Some(Err(rdkafka::error::KafkaError::PartitionEOF(_))) => {}
            Some(Err(e)) => panic!("consumer error: {e}"),
            None => {}
        }
    }
    assert_eq!(
        seen,
        [
            r#"{"name":"ann","amount":10}"#,
            r#"{"name":"bob","amount":20}"#,
            r#"{"name":"cy","amount":30}"#
        ]
    );
}
