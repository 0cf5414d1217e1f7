//! Topic administration with librdkafka's admin client: create (also validate-only and with
//! configs), describe and alter configs, create partitions, delete and recreate.
// Helper functions outside #[test] unwrap too: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::time::Duration;

use common::raw::{RawConnection, alter_topic_config};
use common::{TestBroker, client_config};
use kafka_protocol::ResponseError;
use kafka_protocol::messages::DescribeConfigsRequest;
use kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;
use kafka_protocol::protocol::StrBytes;
use rdkafka::admin::{
    AdminClient, AdminOptions, AlterConfig, ConfigResource, ConfigSource, NewPartitions, NewTopic,
    ResourceSpecifier, TopicReplication,
};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::producer::{FutureProducer, FutureRecord};

const TIMEOUT: Duration = Duration::from_secs(10);

fn admin(broker: &TestBroker) -> AdminClient<DefaultClientContext> {
    client_config(&broker.bootstrap()).create().unwrap()
}

fn options() -> AdminOptions {
    AdminOptions::new().request_timeout(Some(TIMEOUT))
}

async fn describe_topic(admin: &AdminClient<DefaultClientContext>, topic: &str) -> ConfigResource {
    let mut results = admin
        .describe_configs(&[ResourceSpecifier::Topic(topic)], &options())
        .await
        .unwrap();
    assert_eq!(results.len(), 1);
    results.remove(0).unwrap()
}

/// (value, source) of one config entry.
fn entry(resource: &ConfigResource, name: &str) -> (Option<String>, bool) {
    let e = resource
        .get(name)
        .unwrap_or_else(|| panic!("{name} not described"));
    (e.value.clone(), e.source == ConfigSource::DynamicTopic)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_topic_validate_only_then_for_real_then_again() {
    let broker = TestBroker::start().await;
    let admin = admin(&broker);
    let topic = NewTopic::new("orders", 3, TopicReplication::Fixed(1));

    let results = admin
        .create_topics(&[topic], &options().validate_only(true))
        .await
        .unwrap();
    assert_eq!(results, vec![Ok("orders".to_string())]);
    assert!(
        broker.handle.store().topic("orders").is_none(),
        "validate_only created the topic"
    );

    let topic = NewTopic::new("orders", 3, TopicReplication::Fixed(1));
    let results = admin.create_topics(&[topic], &options()).await.unwrap();
    assert_eq!(results, vec![Ok("orders".to_string())]);
    assert_eq!(broker.handle.store().topic("orders").unwrap().partitions.len(), 3);
    let metadata = admin.inner().fetch_metadata(Some("orders"), TIMEOUT).unwrap();
    assert_eq!(metadata.topics()[0].partitions().len(), 3);

    let again = NewTopic::new("orders", 1, TopicReplication::Fixed(1));
    let results = admin.create_topics(&[again], &options()).await.unwrap();
    assert_eq!(
        results,
        vec![Err(("orders".to_string(), RDKafkaErrorCode::TopicAlreadyExists))]
    );
    // Validation failures are reported per topic, valid ones in the same call still succeed.
    let bad_replication = NewTopic::new("replicated", 1, TopicReplication::Fixed(3));
    let zero_partitions = NewTopic::new("empty", 0, TopicReplication::Fixed(1));
    let fine = NewTopic::new("fine", 1, TopicReplication::Fixed(1));
    let results = admin
        .create_topics(&[bad_replication, zero_partitions, fine], &options())
        .await
        .unwrap();
    assert_eq!(
        results,
        vec![
            Err((
                "replicated".to_string(),
                RDKafkaErrorCode::InvalidReplicationFactor
            )),
            Err(("empty".to_string(), RDKafkaErrorCode::InvalidPartitions)),
            Ok("fine".to_string()),
        ]
    );
    assert!(broker.handle.store().topic("replicated").is_none());
    assert!(broker.handle.store().topic("empty").is_none());
    broker.handle.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_with_configs_describe_shows_overrides_and_alter_replaces_them() {
    let broker = TestBroker::start().await;
    let admin = admin(&broker);
    let topic = NewTopic::new("configured", 1, TopicReplication::Fixed(1))
        .set("retention.ms", "3600000")
        .set("max.message.bytes", "2048");
    let results = admin.create_topics(&[topic], &options()).await.unwrap();
    assert_eq!(results, vec![Ok("configured".to_string())]);

    let described = describe_topic(&admin, "configured").await;
    assert_eq!(entry(&described, "retention.ms"), (Some("3600000".into()), true));
    assert_eq!(
        entry(&described, "max.message.bytes"),
        (Some("2048".into()), true)
    );
    // Not overridden: described with its default and not as a topic override.
    let (segment_bytes, overridden) = entry(&described, "segment.bytes");
    assert!(!overridden);
    let default_segment_bytes = broker
        .handle
        .store()
        .default_log_config()
        .value_of("segment.bytes");
    assert_eq!(segment_bytes, default_segment_bytes);
    assert_eq!(
        broker
            .handle
            .store()
            .topic("configured")
            .unwrap()
            .config
            .max_message_bytes,
        2048
    );

    // AlterConfigs replaces the whole override set (Kafka semantics): max.message.bytes goes
    // back to its default.
    let alter = AlterConfig::new(ResourceSpecifier::Topic("configured"))
        .set("retention.ms", "1000")
        .set("segment.bytes", "1048576");
    // (rdkafka's per-resource results are always Ok, see below: the effect is what is checked.)
    admin.alter_configs(&[alter], &options()).await.unwrap();
    let described = describe_topic(&admin, "configured").await;
    assert_eq!(entry(&described, "retention.ms"), (Some("1000".into()), true));
    assert_eq!(entry(&described, "segment.bytes"), (Some("1048576".into()), true));
    let (_, max_overridden) = entry(&described, "max.message.bytes");
    assert!(!max_overridden, "AlterConfigs kept an override it was not given");
    let stored = broker.handle.store().topic("configured").unwrap();
    assert_eq!(stored.config.retention_ms, Some(1000));
    assert_eq!(stored.config.segment_bytes, 1_048_576);

    // validate_only leaves the topic as it is.
    let alter = AlterConfig::new(ResourceSpecifier::Topic("configured")).set("retention.ms", "5000");
    admin
        .alter_configs(&[alter], &options().validate_only(true))
        .await
        .unwrap();
    let described = describe_topic(&admin, "configured").await;
    assert_eq!(entry(&described, "retention.ms"), (Some("1000".into()), true));

    // Bad values and unknown keys are refused and change nothing. rdkafka 0.39's
    // `alter_configs` reports every resource as Ok (it drops per-resource error codes), so the
    // error code is checked over the raw protocol and the unchanged state through rdkafka.
    let mut conn = RawConnection::connect(&broker.bootstrap()).await;
    for (key, value) in [
        ("retention.ms", "soon"),
        ("no.such.config", "1"),
        ("segment.bytes", "-5"),
    ] {
        let alter = AlterConfig::new(ResourceSpecifier::Topic("configured")).set(key, value);
        admin.alter_configs(&[alter], &options()).await.unwrap();
        let (code, message) = alter_topic_config(&mut conn, "configured", key, value).await;
        assert_eq!(
            code,
            ResponseError::InvalidConfig.code(),
            "{key}={value}: {message:?}"
        );
        let described = describe_topic(&admin, "configured").await;
        assert_eq!(
            entry(&described, "retention.ms"),
            (Some("1000".into()), true),
            "{key}={value}"
        );
        assert_eq!(
            entry(&described, "segment.bytes"),
            (Some("1048576".into()), true),
            "{key}={value}"
        );
    }

    // Unknown topics are an error, not an empty description (checked over the raw protocol:
    // rdkafka 0.39 turns per-resource errors into Ok with no entries).
    let req = DescribeConfigsRequest::default().with_resources(vec![
        DescribeConfigsResource::default()
            .with_resource_type(2)
            .with_resource_name(StrBytes::from_static_str("missing")),
    ]);
    let resp = conn.call(&req, 1).await;
    assert_eq!(
        resp.results[0].error_code,
        ResponseError::UnknownTopicOrPartition.code()
    );
    assert!(resp.results[0].configs.is_empty());
    broker.handle.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_partitions_grows_a_topic_and_never_shrinks_it() {
    let broker = TestBroker::start().await;
    let admin = admin(&broker);
    let results = admin
        .create_topics(
            &[NewTopic::new("growing", 2, TopicReplication::Fixed(1))],
            &options(),
        )
        .await
        .unwrap();
    assert_eq!(results, vec![Ok("growing".to_string())]);

    let results = admin
        .create_partitions(
            &[NewPartitions::new("growing", 5)],
            &options().validate_only(true),
        )
        .await
        .unwrap();
    assert_eq!(results, vec![Ok("growing".to_string())]);
    assert_eq!(
        broker.handle.store().topic("growing").unwrap().partitions.len(),
        2
    );

    let results = admin
        .create_partitions(&[NewPartitions::new("growing", 5)], &options())
        .await
        .unwrap();
    assert_eq!(results, vec![Ok("growing".to_string())]);
    assert_eq!(
        broker.handle.store().topic("growing").unwrap().partitions.len(),
        5
    );
    let metadata = admin.inner().fetch_metadata(Some("growing"), TIMEOUT).unwrap();
    assert_eq!(metadata.topics()[0].partitions().len(), 5);

    // A new partition takes writes.
    let producer: FutureProducer = client_config(&broker.bootstrap()).create().unwrap();
    let (partition, offset) = producer
        .send(
            FutureRecord::<[u8], [u8]>::to("growing")
                .partition(4)
                .payload(&b"new"[..]),
            TIMEOUT,
        )
        .await
        .map(|d| (d.partition, d.offset))
        .map_err(|(e, _)| e)
        .unwrap();
    assert_eq!((partition, offset), (4, 0));

    for count in [3, 5] {
        let results = admin
            .create_partitions(&[NewPartitions::new("growing", count)], &options())
            .await
            .unwrap();
        assert_eq!(
            results,
            vec![Err(("growing".to_string(), RDKafkaErrorCode::InvalidPartitions))],
            "to {count}"
        );
    }
    let results = admin
        .create_partitions(&[NewPartitions::new("missing", 3)], &options())
        .await
        .unwrap();
    assert_eq!(
        results,
        vec![Err((
            "missing".to_string(),
            RDKafkaErrorCode::UnknownTopicOrPartition
        ))]
    );
    assert_eq!(
        broker.handle.store().topic("growing").unwrap().partitions.len(),
        5
    );
    broker.handle.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_topic_then_recreate_starts_empty() {
    let broker = TestBroker::start().await;
    let admin = admin(&broker);
    let results = admin
        .create_topics(
            &[NewTopic::new("short-lived", 2, TopicReplication::Fixed(1))],
            &options(),
        )
        .await
        .unwrap();
    assert_eq!(results, vec![Ok("short-lived".to_string())]);
    let producer: FutureProducer = client_config(&broker.bootstrap()).create().unwrap();
    for i in 0..5 {
        let value = format!("old-{i}");
        producer
            .send(
                FutureRecord::<[u8], [u8]>::to("short-lived")
                    .partition(1)
                    .payload(value.as_bytes()),
                TIMEOUT,
            )
            .await
            .map_err(|(e, _)| e)
            .unwrap();
    }
    let old_id = broker.handle.store().topic("short-lived").unwrap().id;

    let results = admin.delete_topics(&["short-lived"], &options()).await.unwrap();
    assert_eq!(results, vec![Ok("short-lived".to_string())]);
    assert!(broker.handle.store().topic("short-lived").is_none());
    let results = admin.delete_topics(&["short-lived"], &options()).await.unwrap();
    assert_eq!(
        results,
        vec![Err((
            "short-lived".to_string(),
            RDKafkaErrorCode::UnknownTopicOrPartition
        ))]
    );

    let results = admin
        .create_topics(
            &[NewTopic::new("short-lived", 3, TopicReplication::Fixed(1))],
            &options(),
        )
        .await
        .unwrap();
    assert_eq!(results, vec![Ok("short-lived".to_string())]);
    let topic = broker.handle.store().topic("short-lived").unwrap();
    assert_eq!(topic.partitions.len(), 3);
    assert_ne!(topic.id, old_id, "a recreated topic gets a new id");
    for p in 0..3 {
        let marks = admin.inner().fetch_watermarks("short-lived", p, TIMEOUT).unwrap();
        assert_eq!(marks, (0, 0), "partition {p} kept data of the deleted topic");
    }
    // Deleted data stays deleted across a restart, and the new topic survives it.
    let dir = broker.dir;
    broker.handle.shutdown().await.unwrap();
    let handle = spate_broker::Broker::start(spate_broker::BrokerConfig::ephemeral(dir.path()))
        .await
        .unwrap();
    let topic = handle.store().topic("short-lived").unwrap();
    assert_eq!(topic.partitions.len(), 3);
    assert_eq!(topic.partitions[1].log_end_offset(), 0);
    handle.shutdown().await.unwrap();
}

/// The offsets topic keeps what decides its contents (a client setting `retention.ms=1` there
/// would erase every committed offset at the next restart), keeps its partition count, and no
/// topic may take a name that collides with an existing one after `.`/`_` normalisation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn internal_topics_and_colliding_names_are_protected() {
    let broker = TestBroker::start().await;
    let admin = admin(&broker);
    let mut conn = RawConnection::connect(&broker.bootstrap()).await;
    for (key, value) in [
        ("retention.ms", "1"),
        ("segment.ms", "1"),
        ("cleanup.policy", "delete"),
    ] {
        let (code, message) = alter_topic_config(&mut conn, "__consumer_offsets", key, value).await;
        assert_eq!(
            code,
            ResponseError::InvalidConfig.code(),
            "{key}={value} on __consumer_offsets: {message:?}"
        );
    }
    let described = describe_topic(&admin, "__consumer_offsets").await;
    assert_eq!(entry(&described, "retention.ms").0, Some("-1".into()));

    let results = admin
        .create_partitions(&[NewPartitions::new("__consumer_offsets", 4)], &options())
        .await
        .unwrap();
    assert_eq!(
        results,
        vec![Err((
            "__consumer_offsets".to_string(),
            RDKafkaErrorCode::InvalidPartitions
        ))]
    );
    assert_eq!(
        broker
            .handle
            .store()
            .topic("__consumer_offsets")
            .unwrap()
            .partitions
            .len(),
        1
    );

    let created = admin
        .create_topics(
            &[
                NewTopic::new("my.events", 1, TopicReplication::Fixed(1)),
                NewTopic::new("__consumer.offsets", 1, TopicReplication::Fixed(1)),
            ],
            &options(),
        )
        .await
        .unwrap();
    assert_eq!(
        created,
        vec![
            Ok("my.events".to_string()),
            Err(("__consumer.offsets".to_string(), RDKafkaErrorCode::InvalidTopic)),
        ]
    );
    let created = admin
        .create_topics(
            &[NewTopic::new("my_events", 1, TopicReplication::Fixed(1))],
            &options(),
        )
        .await
        .unwrap();
    assert_eq!(
        created,
        vec![Err(("my_events".to_string(), RDKafkaErrorCode::InvalidTopic))]
    );
    assert!(broker.handle.store().topic("my_events").is_none());
    broker.handle.shutdown().await.unwrap();
}
