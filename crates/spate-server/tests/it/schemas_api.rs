//! The dashboard's schema registry routes (`GET /schemas`, `GET /schemas/subjects/{subject}`)
//! against a server in this process: first without a registry (the list says so, a subject is
//! a 404), then with a registry attached (kept in memory here; the binary attaches the one it
//! serves on its own port): subjects with versions, ids and levels, paging and filtering, an
//! unknown subject's 404, bad queries' 400s, read-only, the token required; and broker users
//! seeing only the subjects of topics their ACLs let them describe.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use spate_schema_registry::{Compatibility, MemoryLog, NewSchema, SchemaType, Service};
use spate_server::{Client, Server, ServerConfig, ServerError};

fn status(e: ServerError) -> (u16, String) {
    match e {
        ServerError::Api { status, message } => (status, message),
        other => panic!("not an API error: {other}"),
    }
}

async fn get(client: &Client, path: &str) -> Result<Value, (u16, String)> {
    client.request("GET", path, None).await.map_err(status)
}

fn register(service: &Service, subject: &str, schema: &str) -> i32 {
    let new = NewSchema {
        schema_type: SchemaType::Avro,
        schema: schema.into(),
        references: vec![],
    };
    service.write(|r| r.register(subject, &new)).unwrap()
}

const V1: &str = r#"{"type":"record","name":"Order","fields":[{"name":"id","type":"long"}]}"#;
const V2: &str = r#"{"type":"record","name":"Order","fields":[{"name":"id","type":"long"},{"name":"note","type":"string","default":""}]}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_schema_routes_read_the_attached_registry() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = ServerConfig::new(dir.path());
    config.kafka_listen = ([127, 0, 0, 1], 0).into();
    config.http_listen = ([127, 0, 0, 1], 0).into();
    let server = Server::start(config).await.unwrap();
    let url = format!("http://{}", server.http_addr());
    let client = Client::new(&url).unwrap().with_token(server.token());

    // No registry: not an error for the list, a 404 for a subject.
    let none = get(&client, "/schemas").await.unwrap();
    assert_eq!(none["registry"], false, "{none:#}");
    assert_eq!(none["subjects"], serde_json::json!([]));
    let (code, message) = get(&client, "/schemas/subjects/orders-value").await.unwrap_err();
    assert_eq!(code, 404);
    assert!(message.contains("no schema registry"), "{message}");

    let service = Arc::new(Service::open(Box::new(MemoryLog::default())).unwrap());
    server.schema_registry().attach(service.clone()).unwrap();
    assert!(server.schema_registry().attach(service.clone()).is_err());
    assert_eq!(register(&service, "orders-value", V1), 1);
    assert_eq!(register(&service, "orders-value", V2), 2);
    let odd = "a/b <script>x</script>";
    assert_eq!(register(&service, odd, r#""string""#), 3);
    service
        .write(|r| Ok(((), r.set_compatibility(Some(odd), Some(Compatibility::Full)))))
        .unwrap();

    let list = get(&client, "/schemas").await.unwrap();
    assert_eq!(list["registry"], true);
    assert_eq!(list["total"], 2);
    assert_eq!(list["compatibility"]["level"], "BACKWARD");
    assert_eq!(list["compatibility"]["source"], "default");
    let subjects = list["subjects"].as_array().unwrap();
    assert_eq!(subjects[0]["subject"], odd, "{list:#}");
    assert_eq!(subjects[0]["compatibility"]["level"], "FULL");
    assert_eq!(subjects[0]["compatibility"]["source"], "subject");
    assert_eq!(subjects[1]["subject"], "orders-value");
    assert_eq!(subjects[1]["versions"], 2);
    assert_eq!(subjects[1]["latest_version"], 2);
    assert_eq!(subjects[1]["latest_id"], 2);
    assert_eq!(subjects[1]["schema_type"], "AVRO");
    assert_eq!(subjects[1]["compatibility"]["source"], "default");

    let page = get(&client, "/schemas?offset=1&limit=1").await.unwrap();
    assert_eq!(
        (page["total"].as_u64(), page["subjects"].as_array().unwrap().len()),
        (Some(2), 1)
    );
    assert_eq!(page["subjects"][0]["subject"], "orders-value");
    let filtered = get(&client, "/schemas?filter=ORDERS").await.unwrap();
    assert_eq!(filtered["total"], 1, "{filtered:#}");

    let orders = get(&client, "/schemas/subjects/orders-value").await.unwrap();
    assert_eq!(orders["total"], 2);
    let versions: Vec<(i64, i64)> = orders["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["version"].as_i64().unwrap(), v["id"].as_i64().unwrap()))
        .collect();
    assert_eq!(versions, [(2, 2), (1, 1)], "{orders:#}");
    assert!(orders["versions"][0]["schema"].as_str().unwrap().contains("note"));
    assert_eq!(orders["compatibility"]["level"], "BACKWARD");
    let encoded = "/schemas/subjects/a%2Fb%20%3Cscript%3Ex%3C%2Fscript%3E";
    let odd_detail = get(&client, encoded).await.unwrap();
    assert_eq!(odd_detail["subject"], odd);
    assert_eq!(odd_detail["compatibility"]["source"], "subject");

    for (path, code) in [
        ("/schemas/subjects/nosuch-value", 404),
        ("/schemas?limit=0", 400),
        ("/schemas?limit=1001", 400),
        ("/schemas?offset=-1", 400),
        ("/schemas?color=red", 400),
        ("/schemas/subjects/orders-value?filter=x", 400),
    ] {
        let (got, message) = get(&client, path).await.unwrap_err();
        assert_eq!(got, code, "{path}: {message}");
    }
    // Read-only: nothing but GET.
    let (got, _) = status(
        client
            .request("DELETE", "/schemas/subjects/orders-value", None)
            .await
            .unwrap_err(),
    );
    assert_eq!(got, 405);
    // The token is needed, as for every other read route.
    let anonymous = Client::new(&url).unwrap();
    assert_eq!(get(&anonymous, "/schemas").await.unwrap_err().0, 401);
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_see_the_subjects_of_topics_they_may_describe() {
    use spate_broker::acl::{AclBinding, Operation, PatternType, Permission, ResourceType};
    use spate_broker::credentials::CredentialStore;
    use spate_broker::{BrokerConfig, SaslMechanism, Setting};

    let dir = tempfile::tempdir().unwrap();
    let broker_dir = dir.path().join("broker");
    CredentialStore::open(&broker_dir)
        .unwrap()
        .set_password("bob", SaslMechanism::ScramSha256, "bob-secret", 4096)
        .unwrap();
    let acls = [AclBinding {
        resource_type: ResourceType::Topic,
        resource_name: "orders".into(),
        pattern_type: PatternType::Literal,
        principal: "User:bob".into(),
        host: "*".into(),
        operation: Operation::Describe,
        permission: Permission::Allow,
    }];
    std::fs::create_dir_all(broker_dir.join("broker")).unwrap();
    std::fs::write(
        broker_dir.join("broker/acls"),
        spate_broker::acl::file_format::encode(&acls),
    )
    .unwrap();
    let mut broker = BrokerConfig::new(&broker_dir);
    broker
        .apply_properties(&[Setting::new("listeners", "SASL_PLAINTEXT://127.0.0.1:0", "test")])
        .unwrap();
    let mut config = ServerConfig::new(dir.path());
    config.http_listen = ([127, 0, 0, 1], 0).into();
    config.checkpoint_interval = Duration::from_millis(200);
    config.broker = Some(broker);
    let server = Server::start(config).await.unwrap();
    let service = Arc::new(Service::open(Box::new(MemoryLog::default())).unwrap());
    server.schema_registry().attach(service.clone()).unwrap();
    register(&service, "orders-value", V1);
    register(&service, "payments-value", r#""string""#);

    let bob = Client::new(&server.url()).unwrap().with_user("bob", "bob-secret");
    let list = get(&bob, "/schemas").await.unwrap();
    let names: Vec<&str> = list["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["subject"].as_str())
        .collect();
    assert_eq!(names, ["orders-value"], "{list:#}");
    assert_eq!(list["total"], 1);
    get(&bob, "/schemas/subjects/orders-value").await.unwrap();
    let (code, message) = get(&bob, "/schemas/subjects/payments-value").await.unwrap_err();
    assert_eq!(code, 403, "{message}");
    assert!(message.contains("DESCRIBE on TOPIC:payments"), "{message}");
    let admin = Client::new(&server.url()).unwrap().with_token(server.token());
    assert_eq!(get(&admin, "/schemas").await.unwrap()["total"], 2);
    server.shutdown().await.unwrap();
}
