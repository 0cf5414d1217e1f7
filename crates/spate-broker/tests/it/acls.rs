//! ACLs end to end: a broker with a SASL_PLAINTEXT listener (so the authorizer is on by
//! default), a super user who manages ACLs over the wire (CreateAcls/DescribeAcls/DeleteAcls
//! after a real SCRAM-SHA-512 login), and librdkafka clients logged in as ordinary users (with
//! PLAIN, which checks the same stored SCRAM credential) that get exactly what their ACLs
//! allow. tests/tls.rs names a client certificate's subject in ACLs.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::time::Duration;

use common::raw::{RawConnection, scram_login, topic_name};
use common::{TestBroker, client_config};
use kafka_protocol::ResponseError;
use kafka_protocol::messages::create_acls_request::AclCreation;
use kafka_protocol::messages::delete_acls_request::DeleteAclsFilter;
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::{
    CreateAclsRequest, DeleteAclsRequest, DescribeAclsRequest, DescribeAclsResponse, DescribeClusterRequest,
    DescribeGroupsRequest, FetchRequest, GroupId, MetadataRequest,
};
use kafka_protocol::protocol::StrBytes;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::Message;
use rdkafka::producer::{FutureProducer, FutureRecord};
use spate_broker::acl::{AclBinding, Operation, PatternType, Permission, ResourceType};
use spate_broker::credentials::CredentialStore;
use spate_broker::{SaslMechanism, Setting};

const TIMEOUT: Duration = Duration::from_secs(10);
const ACL_VERSION: i16 = 3;

/// A broker with a PLAINTEXT and a SASL_PLAINTEXT listener, users admin (super user), alice and
/// bob, and the authorizer on because of the SASL listener. Returns the SASL address.
async fn secured_in(dir: Option<tempfile::TempDir>) -> (TestBroker, String) {
    let reuse = dir.as_ref().map(|d| d.path().to_path_buf());
    let broker = TestBroker::start_with(|c| {
        if let Some(path) = reuse {
            c.data_dir = path;
        }
        c.apply_properties(&[
            Setting::new(
                "listeners",
                "PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0",
                "test",
            ),
            Setting::new("super.users", "User:admin", "test"),
        ])
        .unwrap();
        let store = CredentialStore::open(&c.data_dir).unwrap();
        for (user, password) in [("admin", "adm1n"), ("alice", "wonderland"), ("bob", "builder")] {
            store
                .set_password(user, SaslMechanism::ScramSha512, password, 4096)
                .unwrap();
        }
    })
    .await;
    let broker = match dir {
        // Keep the caller's directory (the test broker made a fresh one it no longer needs).
        Some(d) => TestBroker {
            handle: broker.handle,
            dir: d,
        },
        None => broker,
    };
    let sasl = broker.handle.bootstrap_servers_of("SASL_PLAINTEXT").unwrap();
    (broker, sasl)
}

async fn secured() -> (TestBroker, String) {
    secured_in(None).await
}

fn acl(
    resource_type: ResourceType,
    name: &str,
    pattern_type: PatternType,
    principal: &str,
    operation: Operation,
    permission: Permission,
) -> AclBinding {
    AclBinding {
        resource_type,
        resource_name: name.into(),
        pattern_type,
        principal: principal.into(),
        host: "*".into(),
        operation,
        permission,
    }
}

fn creation(a: &AclBinding) -> AclCreation {
    AclCreation::default()
        .with_resource_type(a.resource_type.code())
        .with_resource_name(StrBytes::from_string(a.resource_name.clone()))
        .with_resource_pattern_type(a.pattern_type.code())
        .with_principal(StrBytes::from_string(a.principal.clone()))
        .with_host(StrBytes::from_string(a.host.clone()))
        .with_operation(a.operation.code())
        .with_permission_type(a.permission.code())
}

/// Creates ACLs; the error code of each.
async fn create(conn: &mut RawConnection, acls: &[AclBinding]) -> Vec<i16> {
    let r = conn
        .call(
            &CreateAclsRequest::default().with_creations(acls.iter().map(creation).collect()),
            ACL_VERSION,
        )
        .await;
    r.results.iter().map(|r| r.error_code).collect()
}

async fn create_ok(conn: &mut RawConnection, acls: &[AclBinding]) {
    assert!(create(conn, acls).await.iter().all(|c| *c == 0));
}

/// A DescribeAcls request whose name, principal and host filters are null (the codec's default
/// for them is the empty string, which matches nothing).
fn any_describe() -> DescribeAclsRequest {
    DescribeAclsRequest::default()
        .with_resource_name_filter(None)
        .with_principal_filter(None)
        .with_host_filter(None)
}

/// Every ACL, flattened and sorted.
fn flatten(r: &DescribeAclsResponse) -> Vec<AclBinding> {
    let mut out: Vec<AclBinding> = r
        .resources
        .iter()
        .flat_map(|res| {
            res.acls.iter().map(|a| AclBinding {
                resource_type: ResourceType::from_code(res.resource_type).unwrap(),
                resource_name: res.resource_name.to_string(),
                pattern_type: PatternType::from_code(res.pattern_type).unwrap(),
                principal: a.principal.to_string(),
                host: a.host.to_string(),
                operation: Operation::from_code(a.operation).unwrap(),
                permission: Permission::from_code(a.permission_type).unwrap(),
            })
        })
        .collect();
    out.sort();
    out
}

async fn describe_all(conn: &mut RawConnection) -> Vec<AclBinding> {
    let r = conn
        .call(
            &any_describe()
                .with_resource_type_filter(ResourceType::Any.code())
                .with_pattern_type_filter(PatternType::Any.code())
                .with_operation(Operation::Any.code())
                .with_permission_type(Permission::Any.code()),
            ACL_VERSION,
        )
        .await;
    assert_eq!(r.error_code, 0, "{:?}", r.error_message);
    flatten(&r)
}

fn plain(bootstrap: &str, user: &str, password: &str) -> rdkafka::ClientConfig {
    let mut c = client_config(bootstrap);
    c.set("security.protocol", "SASL_PLAINTEXT")
        .set("sasl.mechanism", "PLAIN")
        .set("sasl.username", user)
        .set("sasl.password", password);
    c
}

async fn produce(mut config: rdkafka::ClientConfig, topic: &str, value: &str) -> Result<(), KafkaError> {
    let producer: FutureProducer = config.set("message.timeout.ms", "5000").create().unwrap();
    producer
        .send(FutureRecord::<(), _>::to(topic).payload(value), TIMEOUT)
        .await
        .map(|_| ())
        .map_err(|(e, _)| e)
}

fn code_of(e: &KafkaError) -> Option<RDKafkaErrorCode> {
    e.rdkafka_error_code()
}

/// Topic names alice's Metadata of all topics shows.
fn visible_topics(config: rdkafka::ClientConfig) -> Vec<String> {
    let consumer: BaseConsumer = config.create().unwrap();
    let md = consumer.fetch_metadata(None, TIMEOUT).unwrap();
    let mut names: Vec<String> = md.topics().iter().map(|t| t.name().to_string()).collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alice_reads_her_topic_in_her_group_and_nothing_else() {
    let (broker, sasl) = secured().await;
    broker.create_topic("a", 1);
    broker.create_topic("b", 1);
    let mut admin = scram_login(&sasl, "admin", "adm1n").await;
    create_ok(
        &mut admin,
        &[
            acl(
                ResourceType::Topic,
                "a",
                PatternType::Literal,
                "User:alice",
                Operation::Read,
                Permission::Allow,
            ),
            acl(
                ResourceType::Group,
                "g",
                PatternType::Literal,
                "User:alice",
                Operation::Read,
                Permission::Allow,
            ),
        ],
    )
    .await;
    // The super user writes (no ACL needed).
    for i in 0..3 {
        produce(plain(&sasl, "admin", "adm1n"), "a", &format!("v{i}"))
            .await
            .unwrap();
    }
    produce(plain(&sasl, "admin", "adm1n"), "b", "secret")
        .await
        .unwrap();

    // alice may read `a` but not write it: TOPIC_AUTHORIZATION_FAILED on produce.
    let e = produce(plain(&sasl, "alice", "wonderland"), "a", "nope")
        .await
        .unwrap_err();
    assert_eq!(
        code_of(&e),
        Some(RDKafkaErrorCode::TopicAuthorizationFailed),
        "{e}"
    );
    assert_eq!(broker.log_end_offset("a", 0), 3);
    // bob has no ACL at all.
    let e = produce(plain(&sasl, "bob", "builder"), "a", "nope")
        .await
        .unwrap_err();
    assert_eq!(
        code_of(&e),
        Some(RDKafkaErrorCode::TopicAuthorizationFailed),
        "{e}"
    );

    let alice = plain(&sasl, "alice", "wonderland");
    let seen = tokio::task::spawn_blocking(move || {
        // Topics alice may not describe are absent from the listing.
        let topics = visible_topics(alice.clone());
        // As a member of group g: consume `a` and commit the offset.
        let consumer: BaseConsumer = alice
            .clone()
            .set("group.id", "g")
            .set("auto.offset.reset", "earliest")
            .set("enable.auto.commit", "false")
            .create()
            .unwrap();
        consumer.subscribe(&["a"]).unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        let mut values = Vec::new();
        while values.len() < 3 && std::time::Instant::now() < deadline {
            if let Some(m) = consumer.poll(Duration::from_millis(200)) {
                let m = m.unwrap();
                values.push(String::from_utf8(m.payload().unwrap().to_vec()).unwrap());
            }
        }
        consumer.commit_consumer_state(CommitMode::Sync).unwrap();
        drop(consumer);
        // Another group: GROUP_AUTHORIZATION_FAILED.
        let other: BaseConsumer = alice
            .clone()
            .set("group.id", "other")
            .set("auto.offset.reset", "earliest")
            .create()
            .unwrap();
        other.subscribe(&["a"]).unwrap();
        let mut group_error = None;
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while group_error.is_none() && std::time::Instant::now() < deadline {
            if let Some(Err(e)) = other.poll(Duration::from_millis(200)) {
                group_error = Some(e);
            }
        }
        (topics, values, group_error)
    })
    .await
    .unwrap();
    let (topics, values, group_error) = seen;
    assert_eq!(topics, ["a"], "b is not alice's to see");
    assert_eq!(values, ["v0", "v1", "v2"]);
    let group_error = group_error.expect("joining group `other` must fail");
    assert_eq!(
        code_of(&group_error),
        Some(RDKafkaErrorCode::GroupAuthorizationFailed),
        "{group_error}"
    );
    // Reading, listing offsets of and describing `b` by name, over the wire as alice: refused
    // per topic, and `a` in the same requests still served.
    let mut conn = scram_login(&sasl, "alice", "wonderland").await;
    let fetch = FetchRequest::default()
        .with_replica_id((-1).into())
        .with_max_wait_ms(0)
        .with_min_bytes(1)
        .with_max_bytes(1 << 20)
        .with_session_epoch(-1)
        .with_topics(
            ["a", "b"]
                .iter()
                .map(|t| {
                    FetchTopic::default()
                        .with_topic(topic_name(t))
                        .with_partitions(vec![
                            FetchPartition::default()
                                .with_partition(0)
                                .with_fetch_offset(0)
                                .with_partition_max_bytes(1 << 20),
                        ])
                })
                .collect(),
        );
    let r = conn.call(&fetch, 12).await;
    assert_eq!(r.responses[0].partitions[0].error_code, 0);
    assert!(!r.responses[0].partitions[0].records.as_ref().unwrap().is_empty());
    assert_eq!(
        r.responses[1].partitions[0].error_code,
        ResponseError::TopicAuthorizationFailed.code()
    );
    assert_eq!(
        conn.list_offset("b", 0, -1).await.0,
        ResponseError::TopicAuthorizationFailed.code()
    );
    let md = conn
        .call(
            &MetadataRequest::default().with_topics(Some(
                ["a", "b", "no-such-topic"]
                    .iter()
                    .map(|t| MetadataRequestTopic::default().with_name(Some(topic_name(t))))
                    .collect(),
            )),
            12,
        )
        .await;
    let codes: Vec<i16> = md.topics.iter().map(|t| t.error_code).collect();
    let refused = ResponseError::TopicAuthorizationFailed.code();
    // A topic alice may not describe is refused whether it exists or not.
    assert_eq!(codes, [0, refused, refused]);
    assert!(
        broker.handle.store().topic("no-such-topic").is_none(),
        "not auto-created"
    );
    // The commit went through (READ on group g and topic a).
    let committed = broker
        .handle
        .store()
        .topic("__consumer_offsets")
        .map(|t| t.partitions.iter().map(|p| p.log_end_offset()).sum::<i64>())
        .unwrap_or(0);
    assert!(committed > 0, "alice's offset commit was stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prefixed_acls_and_deny_beats_allow() {
    let (_broker, sasl) = secured().await;
    let mut admin = scram_login(&sasl, "admin", "adm1n").await;
    create_ok(
        &mut admin,
        &[
            // Everything on team-* (CREATE too, so producing auto-creates the topic)...
            acl(
                ResourceType::Topic,
                "team-",
                PatternType::Prefixed,
                "User:alice",
                Operation::All,
                Permission::Allow,
            ),
            // ...except writing team-secret, for everyone.
            acl(
                ResourceType::Topic,
                "team-secret",
                PatternType::Literal,
                "User:*",
                Operation::Write,
                Permission::Deny,
            ),
        ],
    )
    .await;
    produce(plain(&sasl, "alice", "wonderland"), "team-blue", "x")
        .await
        .unwrap();
    let e = produce(plain(&sasl, "alice", "wonderland"), "team-secret", "x")
        .await
        .unwrap_err();
    assert_eq!(
        code_of(&e),
        Some(RDKafkaErrorCode::TopicAuthorizationFailed),
        "{e}"
    );
    let e = produce(plain(&sasl, "alice", "wonderland"), "other-blue", "x")
        .await
        .unwrap_err();
    assert_eq!(
        code_of(&e),
        Some(RDKafkaErrorCode::TopicAuthorizationFailed),
        "{e}"
    );
    let alice = plain(&sasl, "alice", "wonderland");
    let topics = tokio::task::spawn_blocking(move || visible_topics(alice))
        .await
        .unwrap();
    // team-secret was auto-created by alice's DESCRIBE-able metadata request (CREATE via ALL).
    assert!(topics.iter().all(|t| t.starts_with("team-")), "{topics:?}");
    assert!(topics.contains(&"team-blue".to_string()), "{topics:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acls_survive_a_restart_and_delete_returns_what_it_matched() {
    let (broker, sasl) = secured().await;
    let mut admin = scram_login(&sasl, "admin", "adm1n").await;
    let acls = vec![
        acl(
            ResourceType::Topic,
            "orders",
            PatternType::Literal,
            "User:alice",
            Operation::Read,
            Permission::Allow,
        ),
        acl(
            ResourceType::Topic,
            "orders",
            PatternType::Literal,
            "User:bob",
            Operation::Write,
            Permission::Allow,
        ),
        acl(
            ResourceType::Group,
            "billing-",
            PatternType::Prefixed,
            "User:alice",
            Operation::Read,
            Permission::Allow,
        ),
        acl(
            ResourceType::Cluster,
            "kafka-cluster",
            PatternType::Literal,
            "User:bob",
            Operation::Describe,
            Permission::Allow,
        ),
        acl(
            ResourceType::TransactionalId,
            "tx",
            PatternType::Literal,
            "User:bob",
            Operation::Write,
            Permission::Deny,
        ),
    ];
    create_ok(&mut admin, &acls).await;
    // Creating one again is no change; an invalid one is refused alone.
    let mut bad = acls[0].clone();
    bad.pattern_type = PatternType::Match;
    let codes = create(&mut admin, &[acls[0].clone(), bad]).await;
    assert_eq!(codes, [0, ResponseError::InvalidRequest.code()]);
    let mut expected = acls.clone();
    expected.sort();
    assert_eq!(describe_all(&mut admin).await, expected);

    // Restart on the same data directory.
    drop(admin);
    let TestBroker { handle, dir } = broker;
    handle.shutdown().await.unwrap();
    let (broker, sasl) = secured_in(Some(dir)).await;
    let mut admin = scram_login(&sasl, "admin", "adm1n").await;
    assert_eq!(describe_all(&mut admin).await, expected, "ACLs after a restart");

    // MATCH on topic `orders`: the ACLs that apply to it (both literal ones).
    let r = admin
        .call(
            &any_describe()
                .with_resource_type_filter(ResourceType::Topic.code())
                .with_resource_name_filter(Some(StrBytes::from_static_str("orders")))
                .with_pattern_type_filter(PatternType::Match.code())
                .with_operation(Operation::Any.code())
                .with_permission_type(Permission::Any.code()),
            ACL_VERSION,
        )
        .await;
    assert_eq!(flatten(&r).len(), 2);

    // Delete everything of alice's, and a filter that matches nothing.
    let alice_filter = DeleteAclsFilter::default()
        .with_resource_name_filter(None)
        .with_host_filter(None)
        .with_resource_type_filter(ResourceType::Any.code())
        .with_pattern_type_filter(PatternType::Any.code())
        .with_principal_filter(Some(StrBytes::from_static_str("User:alice")))
        .with_operation(Operation::Any.code())
        .with_permission_type(Permission::Any.code());
    let nothing = alice_filter
        .clone()
        .with_principal_filter(Some(StrBytes::from_static_str("User:nobody")));
    let r = admin
        .call(
            &DeleteAclsRequest::default().with_filters(vec![alice_filter, nothing]),
            ACL_VERSION,
        )
        .await;
    assert_eq!(r.filter_results.len(), 2);
    let mut removed: Vec<(String, String)> = r.filter_results[0]
        .matching_acls
        .iter()
        .map(|m| (m.principal.to_string(), m.resource_name.to_string()))
        .collect();
    removed.sort();
    assert_eq!(
        removed,
        [
            ("User:alice".to_string(), "billing-".to_string()),
            ("User:alice".to_string(), "orders".to_string())
        ]
    );
    assert!(r.filter_results[1].matching_acls.is_empty());
    let left = describe_all(&mut admin).await;
    assert_eq!(left.len(), 3);
    assert!(left.iter().all(|a| a.principal == "User:bob"));
    drop(broker);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_cluster_s_alterers_manage_acls() {
    let (_broker, sasl) = secured().await;
    let one = [acl(
        ResourceType::Topic,
        "t",
        PatternType::Literal,
        "User:bob",
        Operation::Read,
        Permission::Allow,
    )];
    let mut alice = scram_login(&sasl, "alice", "wonderland").await;
    assert_eq!(
        create(&mut alice, &one).await,
        [ResponseError::ClusterAuthorizationFailed.code()]
    );
    let r = alice
        .call(
            &any_describe()
                .with_resource_type_filter(ResourceType::Any.code())
                .with_pattern_type_filter(PatternType::Any.code())
                .with_operation(Operation::Any.code())
                .with_permission_type(Permission::Any.code()),
            1,
        )
        .await;
    assert_eq!(r.error_code, ResponseError::ClusterAuthorizationFailed.code());
    // Granted ALTER on the cluster, alice may.
    let mut admin = scram_login(&sasl, "admin", "adm1n").await;
    create_ok(
        &mut admin,
        &[acl(
            ResourceType::Cluster,
            "kafka-cluster",
            PatternType::Literal,
            "User:alice",
            Operation::Alter,
            Permission::Allow,
        )],
    )
    .await;
    assert_eq!(create(&mut alice, &one).await, [0]);
}

#[tokio::test]
async fn without_an_authorizer_the_acl_apis_are_security_disabled() {
    let broker = TestBroker::start().await;
    let mut conn = RawConnection::connect(&broker.bootstrap()).await;
    let one = [acl(
        ResourceType::Topic,
        "t",
        PatternType::Literal,
        "User:bob",
        Operation::Read,
        Permission::Allow,
    )];
    assert_eq!(
        create(&mut conn, &one).await,
        [ResponseError::SecurityDisabled.code()]
    );
}

#[tokio::test]
async fn a_damaged_acl_file_stops_the_start() {
    let (broker, sasl) = secured().await;
    let mut admin = scram_login(&sasl, "admin", "adm1n").await;
    create_ok(
        &mut admin,
        &[acl(
            ResourceType::Topic,
            "t",
            PatternType::Literal,
            "User:bob",
            Operation::Read,
            Permission::Allow,
        )],
    )
    .await;
    drop(admin);
    let TestBroker { handle, dir } = broker;
    handle.shutdown().await.unwrap();
    let path = dir.path().join("broker").join("acls");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("User:bob", "User:eve")).unwrap();
    let mut config = spate_broker::BrokerConfig::ephemeral(dir.path());
    config.authorizer = Some(true);
    let e = spate_broker::Broker::start(config).await.unwrap_err().to_string();
    assert!(e.contains("acls") && e.contains("checksum"), "{e}");
}

/// OffsetFetch v1 (the oldest version served) has no top-level error code: a group the caller
/// may not describe is reported on every requested partition (as Kafka does); v2 and later
/// report it at the top.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offset_fetch_of_a_denied_group_carries_the_error_per_partition_in_v1() {
    use kafka_protocol::messages::OffsetFetchRequest;
    use kafka_protocol::messages::offset_fetch_request::OffsetFetchRequestTopic;
    let (broker, sasl) = secured().await;
    broker.create_topic("a", 2);
    let mut bob = scram_login(&sasl, "bob", "builder").await;
    let denied = ResponseError::GroupAuthorizationFailed.code();
    let request = OffsetFetchRequest::default()
        .with_group_id(StrBytes::from_static_str("g").into())
        .with_topics(Some(vec![
            OffsetFetchRequestTopic::default()
                .with_name(topic_name("a"))
                .with_partition_indexes(vec![0, 1]),
        ]));
    let r = bob.call(&request, 1).await;
    assert_eq!(r.topics.len(), 1);
    let codes: Vec<(i32, i16, i64)> = r.topics[0]
        .partitions
        .iter()
        .map(|p| (p.partition_index, p.error_code, p.committed_offset))
        .collect();
    assert_eq!(codes, vec![(0, denied, -1), (1, denied, -1)]);
    let r = bob.call(&request, 2).await;
    assert_eq!(r.error_code, denied);
    assert!(r.topics.is_empty());
}

/// Kafka's bit field of operation codes.
fn bits(ops: &[Operation]) -> i32 {
    ops.iter().fold(0, |b, op| b | 1 << op.code())
}

/// What a principal may do, as Metadata and DescribeGroups report it when asked
/// (`include_*_authorized_operations`): ACLs with Kafka's implied DESCRIBE, everything for a
/// super user, and Kafka's "not asked" value otherwise.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorized_operations_are_reported_when_asked() {
    let (broker, sasl) = secured().await;
    broker.create_topic("a", 1);
    broker.create_topic("b", 1);
    let mut admin = scram_login(&sasl, "admin", "adm1n").await;
    let grant = |resource_type, name: &str, operation| {
        acl(
            resource_type,
            name,
            PatternType::Literal,
            "User:alice",
            operation,
            Permission::Allow,
        )
    };
    create_ok(
        &mut admin,
        &[
            grant(ResourceType::Topic, "a", Operation::Read),
            grant(ResourceType::Topic, "b", Operation::Write),
            grant(ResourceType::Topic, "b", Operation::DescribeConfigs),
            grant(ResourceType::Group, "g", Operation::Read),
        ],
    )
    .await;
    let metadata = |include: bool| {
        MetadataRequest::default()
            .with_topics(Some(
                ["a", "b"]
                    .iter()
                    .map(|t| MetadataRequestTopic::default().with_name(Some(topic_name(t))))
                    .collect(),
            ))
            .with_include_topic_authorized_operations(include)
            .with_include_cluster_authorized_operations(include)
    };
    let mut alice = scram_login(&sasl, "alice", "wonderland").await;
    let md = alice.call(&metadata(true), 10).await;
    let ops: Vec<i32> = md.topics.iter().map(|t| t.topic_authorized_operations).collect();
    use Operation::{Describe, DescribeConfigs, Read, Write};
    assert_eq!(
        ops,
        [bits(&[Read, Describe]), bits(&[Write, Describe, DescribeConfigs])]
    );
    assert_eq!(md.cluster_authorized_operations, 0, "no ACL on the cluster");
    let md = alice.call(&metadata(false), 10).await;
    assert!(
        md.topics
            .iter()
            .all(|t| t.topic_authorized_operations == i32::MIN),
        "not asked: Kafka's default"
    );
    assert_eq!(md.cluster_authorized_operations, i32::MIN);

    let md = admin.call(&metadata(true), 10).await;
    let all_topic_ops = bits(&[
        Read,
        Write,
        Operation::Create,
        Describe,
        Operation::Delete,
        Operation::Alter,
        DescribeConfigs,
        Operation::AlterConfigs,
    ]);
    assert!(
        md.topics
            .iter()
            .all(|t| t.topic_authorized_operations == all_topic_ops)
    );
    assert_eq!(
        md.cluster_authorized_operations.count_ones(),
        7,
        "every cluster operation"
    );

    let groups = alice
        .call(
            &DescribeGroupsRequest::default()
                .with_groups(vec![GroupId(StrBytes::from_static_str("g"))])
                .with_include_authorized_operations(true),
            5,
        )
        .await;
    assert_eq!(groups.groups[0].error_code, 0);
    assert_eq!(groups.groups[0].authorized_operations, bits(&[Read, Describe]));
}

fn describe_cluster(include_operations: bool, endpoint_type: i8) -> DescribeClusterRequest {
    DescribeClusterRequest::default()
        .with_include_cluster_authorized_operations(include_operations)
        .with_endpoint_type(endpoint_type)
}

/// DescribeCluster as Kafka's broker answers it: the cluster id Metadata gives, this broker at
/// the address of the listener asked, and the cluster's operations only when asked — and then
/// only for a caller that may DESCRIBE the cluster (CREATE alone does not imply it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_cluster_answers_per_listener_and_gates_operations_on_describe() {
    use Operation::{Create, Describe};
    const BROKERS: i8 = 1;
    const CONTROLLERS: i8 = 2;
    let (broker, sasl) = secured().await;
    let plaintext = broker.handle.bootstrap_servers_of("PLAINTEXT").unwrap();
    let address = |c: &kafka_protocol::messages::DescribeClusterResponse| {
        c.brokers
            .iter()
            .map(|b| format!("{}:{}", b.host.as_str(), b.port))
            .collect::<Vec<_>>()
    };

    let mut anonymous = RawConnection::connect(&plaintext).await;
    let cluster = anonymous.call(&describe_cluster(false, BROKERS), 2).await;
    assert_eq!(cluster.error_code, 0, "{:?}", cluster.error_message);
    let metadata = anonymous.call(&MetadataRequest::default(), 12).await;
    let cluster_id = metadata.cluster_id.unwrap();
    assert!(!cluster_id.is_empty());
    assert_eq!(cluster.cluster_id, cluster_id);
    assert_eq!(address(&cluster), std::slice::from_ref(&plaintext));
    assert_eq!(cluster.controller_id, cluster.brokers[0].broker_id);
    assert_eq!(cluster.cluster_authorized_operations, i32::MIN, "not asked");
    let v0 = anonymous.call(&describe_cluster(false, BROKERS), 0).await;
    assert_eq!((v0.error_code, address(&v0)), (0, vec![plaintext.clone()]));

    let refused = anonymous.call(&describe_cluster(false, CONTROLLERS), 1).await;
    assert_eq!(refused.error_code, ResponseError::MismatchedEndpointType.code());
    assert!(refused.brokers.is_empty());
    let unknown = anonymous.call(&describe_cluster(false, 7), 1).await;
    assert_eq!(unknown.error_code, ResponseError::UnsupportedEndpointType.code());

    let mut alice = scram_login(&sasl, "alice", "wonderland").await;
    let cluster = alice.call(&describe_cluster(true, BROKERS), 2).await;
    assert_eq!(cluster.error_code, 0);
    assert_eq!(
        address(&cluster),
        std::slice::from_ref(&sasl),
        "the SASL listener's address"
    );
    assert_eq!(cluster.cluster_authorized_operations, 0, "no ACL on the cluster");

    let mut admin = scram_login(&sasl, "admin", "adm1n").await;
    let cluster = admin.call(&describe_cluster(true, BROKERS), 2).await;
    assert_eq!(
        cluster.cluster_authorized_operations.count_ones(),
        7,
        "super user"
    );

    let grant = |operation| {
        acl(
            ResourceType::Cluster,
            "kafka-cluster",
            PatternType::Literal,
            "User:alice",
            operation,
            Permission::Allow,
        )
    };
    create_ok(&mut admin, &[grant(Create)]).await;
    let cluster = alice.call(&describe_cluster(true, BROKERS), 2).await;
    assert_eq!(
        cluster.cluster_authorized_operations, 0,
        "CREATE without DESCRIBE"
    );
    let md = alice
        .call(
            &MetadataRequest::default()
                .with_topics(Some(vec![]))
                .with_include_cluster_authorized_operations(true),
            10,
        )
        .await;
    assert_eq!(md.cluster_authorized_operations, 0, "Metadata gates the same way");
    create_ok(&mut admin, &[grant(Describe)]).await;
    let cluster = alice.call(&describe_cluster(true, BROKERS), 2).await;
    assert_eq!(cluster.cluster_authorized_operations, bits(&[Create, Describe]));
}
