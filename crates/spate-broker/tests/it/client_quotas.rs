//! AlterClientQuotas and DescribeClientQuotas over the wire: entities with names and defaults,
//! Kafka's filters (exact, default, any; strict), validate_only, removing keys, Kafka's
//! INVALID_REQUEST cases, persistence across a restart, and CLUSTER_AUTHORIZATION_FAILED for a
//! principal without ALTER_CONFIGS/DESCRIBE_CONFIGS on the cluster. Enforcement is in
//! tests/quota_throttling.rs.
#![allow(clippy::unwrap_used)]

use crate::common;

use common::TestBroker;
use common::raw::{RawConnection, scram_login};
use kafka_protocol::ResponseError;
use kafka_protocol::messages::CreateAclsRequest;
use kafka_protocol::messages::alter_client_quotas_request::{EntityData, EntryData, OpData};
use kafka_protocol::messages::create_acls_request::AclCreation;
use kafka_protocol::messages::describe_client_quotas_request::ComponentData;
use kafka_protocol::messages::{
    AlterClientQuotasRequest, AlterClientQuotasResponse, ApiKey, ApiVersionsRequest,
    DescribeClientQuotasRequest, DescribeClientQuotasResponse,
};
use kafka_protocol::protocol::StrBytes;
use spate_broker::acl::{AclBinding, Operation, PatternType, Permission, ResourceType};
use spate_broker::credentials::CredentialStore;
use spate_broker::{SaslMechanism, Setting};

const VERSION: i16 = 1;

/// `(type, name)` with `None` = the default.
type Entity<'a> = &'a [(&'a str, Option<&'a str>)];

fn entity(e: Entity<'_>) -> Vec<EntityData> {
    e.iter()
        .map(|(t, n)| {
            EntityData::default()
                .with_entity_type(StrBytes::from_string(t.to_string()))
                .with_entity_name(n.map(|n| StrBytes::from_string(n.to_string())))
        })
        .collect()
}

fn set(key: &str, value: f64) -> OpData {
    OpData::default()
        .with_key(StrBytes::from_string(key.to_string()))
        .with_value(value)
}

fn remove(key: &str) -> OpData {
    OpData::default()
        .with_key(StrBytes::from_string(key.to_string()))
        .with_remove(true)
}

async fn alter(
    conn: &mut RawConnection,
    entries: Vec<(Entity<'_>, Vec<OpData>)>,
    validate_only: bool,
) -> AlterClientQuotasResponse {
    let req = AlterClientQuotasRequest::default()
        .with_validate_only(validate_only)
        .with_entries(
            entries
                .into_iter()
                .map(|(e, ops)| EntryData::default().with_entity(entity(e)).with_ops(ops))
                .collect(),
        );
    conn.call(&req, VERSION).await
}

/// Per entry: error code and message.
fn codes(r: &AlterClientQuotasResponse) -> Vec<(i16, String)> {
    r.entries
        .iter()
        .map(|e| {
            (
                e.error_code,
                e.error_message
                    .as_ref()
                    .map(|m| m.to_string())
                    .unwrap_or_default(),
            )
        })
        .collect()
}

/// A filter component: `Some(name)` exact, `None` default, or any with [`any`].
fn exact(t: &str, name: &str) -> ComponentData {
    ComponentData::default()
        .with_entity_type(StrBytes::from_string(t.to_string()))
        .with_match_type(0)
        .with_match(Some(StrBytes::from_string(name.to_string())))
}

fn default_of(t: &str) -> ComponentData {
    ComponentData::default()
        .with_entity_type(StrBytes::from_string(t.to_string()))
        .with_match_type(1)
        .with_match(None)
}

fn any(t: &str) -> ComponentData {
    ComponentData::default()
        .with_entity_type(StrBytes::from_string(t.to_string()))
        .with_match_type(2)
        .with_match(None)
}

async fn describe_raw(
    conn: &mut RawConnection,
    components: Vec<ComponentData>,
    strict: bool,
) -> DescribeClientQuotasResponse {
    let req = DescribeClientQuotasRequest::default()
        .with_components(components)
        .with_strict(strict);
    conn.call(&req, VERSION).await
}

/// Entities as `user=<name>|<default>,client-id=...` with their `key=value`s, sorted.
async fn describe(conn: &mut RawConnection, components: Vec<ComponentData>, strict: bool) -> Vec<String> {
    let r = describe_raw(conn, components, strict).await;
    assert_eq!(r.error_code, 0, "{:?}", r.error_message);
    let mut out: Vec<String> = r
        .entries
        .unwrap()
        .iter()
        .map(|e| {
            let entity: Vec<String> = e
                .entity
                .iter()
                .map(|c| {
                    format!(
                        "{}={}",
                        c.entity_type.as_str(),
                        c.entity_name.as_ref().map_or("<default>", |n| n.as_str())
                    )
                })
                .collect();
            let values: Vec<String> = e
                .values
                .iter()
                .map(|v| format!("{}={}", v.key.as_str(), v.value))
                .collect();
            format!("{} {}", entity.join(","), values.join(","))
        })
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn quotas_round_trip_with_kafka_filters_and_survive_a_restart() {
    let broker = TestBroker::start().await;
    let mut conn = RawConnection::connect(&broker.bootstrap()).await;

    // ApiVersions advertises both APIs.
    let versions = conn.call(&ApiVersionsRequest::default(), 3).await;
    for key in [ApiKey::AlterClientQuotas, ApiKey::DescribeClientQuotas] {
        let v = versions
            .api_keys
            .iter()
            .find(|v| v.api_key == key as i16)
            .unwrap();
        assert_eq!((v.min_version, v.max_version), (0, 1));
    }

    let r = alter(
        &mut conn,
        vec![
            (
                &[("user", Some("alice"))],
                vec![set("producer_byte_rate", 1024.0)],
            ),
            (
                &[("user", Some("alice")), ("client-id", Some("app"))],
                vec![set("consumer_byte_rate", 2048.0), set("request_percentage", 12.5)],
            ),
            (&[("user", None)], vec![set("producer_byte_rate", 4096.0)]),
            (&[("client-id", None)], vec![set("consumer_byte_rate", 8192.0)]),
            (
                &[("client-id", Some("app"))],
                vec![set("producer_byte_rate", 100.0)],
            ),
            (
                &[("user", None), ("client-id", None)],
                vec![set("producer_byte_rate", 5.0)],
            ),
        ],
        false,
    )
    .await;
    assert!(codes(&r).iter().all(|(c, _)| *c == 0), "{:?}", codes(&r));
    // The answer names each entity as sent.
    assert_eq!(r.entries[1].entity.len(), 2);
    assert_eq!(r.entries[2].entity[0].entity_name, None);

    let all = describe(&mut conn, vec![], false).await;
    assert_eq!(
        all,
        [
            "client-id=<default> consumer_byte_rate=8192",
            "client-id=app producer_byte_rate=100",
            "user=<default> producer_byte_rate=4096",
            "user=<default>,client-id=<default> producer_byte_rate=5",
            "user=alice producer_byte_rate=1024",
            "user=alice,client-id=app consumer_byte_rate=2048,request_percentage=12.5",
        ]
    );
    // Exact: alice's entities (not strict: also with a client id); strict: only users/alice.
    assert_eq!(
        describe(&mut conn, vec![exact("user", "alice")], false).await,
        [
            "user=alice producer_byte_rate=1024",
            "user=alice,client-id=app consumer_byte_rate=2048,request_percentage=12.5",
        ]
    );
    assert_eq!(
        describe(&mut conn, vec![exact("user", "alice")], true).await,
        ["user=alice producer_byte_rate=1024"]
    );
    // Default: only the <default> user, strict drops the combination.
    assert_eq!(
        describe(&mut conn, vec![default_of("user")], true).await,
        ["user=<default> producer_byte_rate=4096"]
    );
    // Any: every entity with a client id, named or default.
    assert_eq!(
        describe(&mut conn, vec![any("client-id")], true).await,
        [
            "client-id=<default> consumer_byte_rate=8192",
            "client-id=app producer_byte_rate=100",
        ]
    );
    assert_eq!(
        describe(&mut conn, vec![any("user"), exact("client-id", "app")], true).await,
        ["user=alice,client-id=app consumer_byte_rate=2048,request_percentage=12.5"]
    );
    assert!(
        describe(&mut conn, vec![exact("user", "nobody")], false)
            .await
            .is_empty()
    );

    // validate_only checks and changes nothing.
    let r = alter(
        &mut conn,
        vec![(&[("user", Some("bob"))], vec![set("producer_byte_rate", 1.0)])],
        true,
    )
    .await;
    assert_eq!(codes(&r), [(0, String::new())]);
    assert!(
        describe(&mut conn, vec![exact("user", "bob")], false)
            .await
            .is_empty()
    );

    // Removing a key; removing the last key removes the entity.
    let r = alter(
        &mut conn,
        vec![
            (
                &[("user", Some("alice")), ("client-id", Some("app"))],
                vec![remove("request_percentage")],
            ),
            (&[("client-id", Some("app"))], vec![remove("producer_byte_rate")]),
        ],
        false,
    )
    .await;
    assert!(codes(&r).iter().all(|(c, _)| *c == 0), "{:?}", codes(&r));
    assert_eq!(
        describe(&mut conn, vec![any("client-id")], false).await,
        [
            "client-id=<default> consumer_byte_rate=8192",
            "user=<default>,client-id=<default> producer_byte_rate=5",
            "user=alice,client-id=app consumer_byte_rate=2048",
        ]
    );

    // Kafka's INVALID_REQUEST cases, each with a message; the valid entry beside them applies.
    let r = alter(
        &mut conn,
        vec![
            (&[("user", Some("carol"))], vec![set("producer_byte_rat", 1.0)]),
            (&[("user", Some("carl"))], vec![set("producer_byte_rate", 1.5)]),
            (&[("topic", Some("t"))], vec![set("producer_byte_rate", 1.0)]),
            (&[], vec![set("producer_byte_rate", 1.0)]),
            (&[("user", Some(""))], vec![set("producer_byte_rate", 1.0)]),
            (&[("user", Some("dave"))], vec![set("producer_byte_rate", 0.0)]),
            (&[("user", Some("erin"))], vec![set("consumer_byte_rate", 10.0)]),
        ],
        false,
    )
    .await;
    let got = codes(&r);
    let invalid = ResponseError::InvalidRequest.code();
    for (i, (code, message)) in got.iter().enumerate().take(6) {
        assert_eq!(*code, invalid, "entry {i}: {got:?}");
        assert!(!message.is_empty(), "entry {i} has no message");
    }
    assert!(got[0].1.contains("producer_byte_rat"), "{}", got[0].1);
    assert!(got[1].1.contains("Long"), "{}", got[1].1);
    assert_eq!(got[6].0, 0);
    assert_eq!(
        describe(&mut conn, vec![exact("user", "erin")], true).await,
        ["user=erin consumer_byte_rate=10"]
    );

    // Invalid filters.
    let bad = [
        vec![exact("user", "a"), any("user")],
        vec![
            ComponentData::default()
                .with_entity_type(StrBytes::from_static_str("user"))
                .with_match_type(0)
                .with_match(None),
        ],
        vec![exact("ip", "1.2.3.4"), any("user")],
    ];
    for components in bad {
        let r = describe_raw(&mut conn, components, false).await;
        assert_eq!(r.error_code, invalid);
        assert!(r.entries.is_none());
    }
    // As Kafka: an entity type it does not know is UNSUPPORTED_VERSION.
    let r = describe_raw(&mut conn, vec![any("topic")], false).await;
    assert_eq!(r.error_code, ResponseError::UnsupportedVersion.code());
    // Strict without components: nothing (not strict: everything, above).
    assert!(describe(&mut conn, vec![], true).await.is_empty());

    // After a restart everything is still there.
    let before = describe(&mut conn, vec![], false).await;
    drop(conn);
    let TestBroker { handle, dir } = broker;
    handle.shutdown().await.unwrap();
    let broker = TestBroker::start_with(|c| c.data_dir = dir.path().to_path_buf()).await;
    let mut conn = RawConnection::connect(&broker.bootstrap()).await;
    assert_eq!(describe(&mut conn, vec![], false).await, before);
    drop(dir);
}

#[tokio::test]
async fn only_principals_allowed_on_the_cluster_manage_quotas() {
    let broker = TestBroker::start_with(|c| {
        c.apply_properties(&[
            Setting::new("listeners", "SASL_PLAINTEXT://127.0.0.1:0", "test"),
            Setting::new("super.users", "User:admin", "test"),
        ])
        .unwrap();
        let store = CredentialStore::open(&c.data_dir).unwrap();
        for (user, password) in [("admin", "adm1n"), ("alice", "wonderland")] {
            store
                .set_password(user, SaslMechanism::ScramSha512, password, 4096)
                .unwrap();
        }
    })
    .await;
    let sasl = broker.bootstrap();
    let mut alice = scram_login(&sasl, "alice", "wonderland").await;
    let r = alter(
        &mut alice,
        vec![(&[("user", Some("alice"))], vec![set("producer_byte_rate", 1e9)])],
        false,
    )
    .await;
    assert_eq!(
        r.entries[0].error_code,
        ResponseError::ClusterAuthorizationFailed.code()
    );
    let r = describe_raw(&mut alice, vec![], false).await;
    assert_eq!(r.error_code, ResponseError::ClusterAuthorizationFailed.code());
    assert!(r.entries.is_none());

    let mut admin = scram_login(&sasl, "admin", "adm1n").await;
    let r = alter(
        &mut admin,
        vec![(
            &[("user", Some("alice"))],
            vec![set("producer_byte_rate", 1024.0)],
        )],
        false,
    )
    .await;
    assert_eq!(codes(&r), [(0, String::new())]);
    assert_eq!(
        describe(&mut admin, vec![], false).await,
        ["user=alice producer_byte_rate=1024"]
    );

    // ALTER_CONFIGS on the cluster is what it takes (and it implies DESCRIBE_CONFIGS).
    let grant = AclBinding {
        resource_type: ResourceType::Cluster,
        resource_name: "kafka-cluster".into(),
        pattern_type: PatternType::Literal,
        principal: "User:alice".into(),
        host: "*".into(),
        operation: Operation::AlterConfigs,
        permission: Permission::Allow,
    };
    let created = admin
        .call(
            &CreateAclsRequest::default().with_creations(vec![
                AclCreation::default()
                    .with_resource_type(grant.resource_type.code())
                    .with_resource_name(StrBytes::from_string(grant.resource_name.clone()))
                    .with_resource_pattern_type(grant.pattern_type.code())
                    .with_principal(StrBytes::from_string(grant.principal.clone()))
                    .with_host(StrBytes::from_string(grant.host.clone()))
                    .with_operation(grant.operation.code())
                    .with_permission_type(grant.permission.code()),
            ]),
            3,
        )
        .await;
    assert_eq!(created.results[0].error_code, 0);
    let r = alter(
        &mut alice,
        vec![(
            &[("user", Some("alice"))],
            vec![set("producer_byte_rate", 2048.0)],
        )],
        false,
    )
    .await;
    assert_eq!(codes(&r), [(0, String::new())]);
    assert_eq!(
        describe(&mut alice, vec![], false).await,
        ["user=alice producer_byte_rate=2048"]
    );
}
