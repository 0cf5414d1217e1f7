//! The schema registry wherever the binary serves it: beside a broker with SASL users (basic
//! auth against those users), beside `spate server` on its own port, and beside the embedded
//! broker of `spate sql`, whose `avro-confluent` tables then need no URL.
#![allow(clippy::unwrap_used)]

use spate_registry_client::{Auth, ClientConfig, RegistryClient};

use crate::common::{self, Broker, Server};

fn url_after(line: &str, marker: &str) -> String {
    let at = line
        .find(marker)
        .unwrap_or_else(|| panic!("no '{marker}' in {line:?}"));
    line[at + marker.len()..]
        .split([';', ' ', ')', ',', '\n'])
        .next()
        .unwrap()
        .to_string()
}

fn client(url: &str, auth: Auth) -> RegistryClient {
    let mut config = ClientConfig::new(url);
    config.auth = auth;
    RegistryClient::new(&config).unwrap()
}

#[test]
fn a_broker_with_sasl_users_asks_the_registry_for_their_passwords() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    for (user, password) in [("alice", "al1ce-pw"), ("bob", "b0b-pw"), ("admin", "adm1n-pw")] {
        let (ok, _, err) = common::run_spate(
            &[
                "users",
                "add",
                user,
                "--mechanism",
                "SCRAM-SHA-512",
                "--password-stdin",
                "--data-dir",
                data.to_str().unwrap(),
            ],
            &format!("{password}\n"),
        );
        assert!(ok, "{err}");
    }
    let broker = Broker::start_with_args(
        &data,
        &dir.path().join("broker.log"),
        &[
            "--listener",
            "PLAINTEXT://127.0.0.1:0",
            "--listener",
            "SASL_PLAINTEXT://127.0.0.1:0",
            "--schema-registry-listen",
            "127.0.0.1:0",
            "--set",
            "super.users=User:admin",
        ],
    );
    let url = url_after(&broker.startup, "schema registry ");
    let sasl = url_after(&broker.startup, "SASL_PLAINTEXT=SASL_PLAINTEXT://");
    // The subject t-value belongs to topic t: alice may write t, bob nothing.
    let (ok, out, err) = common::run_spate(
        &[
            "acls",
            "add",
            "--allow-principal",
            "User:alice",
            "--operation",
            "Write",
            "--topic",
            "t",
            "--bootstrap",
            &sasl,
            "-X",
            "security.protocol=SASL_PLAINTEXT",
            "-X",
            "sasl.mechanism=SCRAM-SHA-512",
            "-X",
            "sasl.username=admin",
            "-X",
            "sasl.password=adm1n-pw",
        ],
        "",
    );
    assert!(ok, "{out}{err}");
    let schema = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"long"}]}"#;
    for auth in [
        Auth::None,
        Auth::Basic {
            user: "alice".into(),
            password: "wrong".into(),
        },
        Auth::Basic {
            user: "mallory".into(),
            password: "al1ce-pw".into(),
        },
    ] {
        let e = client(&url, auth)
            .register("t-value", "AVRO", schema)
            .unwrap_err();
        assert_eq!(e.registry_code(), Some(401), "{e}");
    }
    let alice = client(
        &url,
        Auth::Basic {
            user: "alice".into(),
            password: "al1ce-pw".into(),
        },
    );
    let id = alice.register("t-value", "AVRO", schema).unwrap();
    assert_eq!(alice.schema(id).unwrap().text, schema);
    // Subject permissions come from the topic's ACLs.
    let e = alice.register("u-value", "AVRO", schema).unwrap_err();
    assert_eq!(e.registry_code(), Some(40301), "{e}");
    assert!(
        e.to_string()
            .contains("denied operation Write on Subject: u-value"),
        "{e}"
    );
    let e = alice
        .call(
            "PUT",
            "/config",
            Some(&serde_json::json!({"compatibility": "NONE"})),
        )
        .unwrap_err();
    assert_eq!(e.registry_code(), Some(40301), "{e}");
    let bob = client(
        &url,
        Auth::Basic {
            user: "bob".into(),
            password: "b0b-pw".into(),
        },
    );
    assert_eq!(bob.call("GET", "/subjects", None).unwrap(), serde_json::json!([]));
    assert_eq!(bob.schema(id).unwrap_err().registry_code(), Some(40301));
    assert_eq!(
        bob.register("t-value", "AVRO", schema)
            .unwrap_err()
            .registry_code(),
        Some(40301)
    );
    let admin = client(
        &url,
        Auth::Basic {
            user: "admin".into(),
            password: "adm1n-pw".into(),
        },
    );
    admin.register("u-value", "AVRO", schema).unwrap();
    assert_eq!(
        admin.call("GET", "/subjects", None).unwrap(),
        serde_json::json!(["t-value", "u-value"])
    );
    assert_eq!(
        alice.call("GET", "/subjects", None).unwrap(),
        serde_json::json!(["t-value"])
    );
}

#[test]
fn the_server_serves_the_registry_on_its_own_port() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        &dir.path().join("data"),
        &dir.path().join("server.log"),
        &[
            "--kafka-listen",
            "127.0.0.1:0",
            "--schema-registry-listen",
            "127.0.0.1:0",
        ],
    );
    let url = url_after(&server.line, "schema registry on ");
    assert_ne!(url, server.url);
    let registry = client(&url, Auth::None);
    let id = registry.register("s-value", "AVRO", r#""string""#).unwrap();
    assert_eq!(
        registry.call("GET", "/subjects", None).unwrap(),
        serde_json::json!(["s-value"])
    );
    assert_eq!(registry.schema(id).unwrap().text, r#""string""#);
    // The REST API's own /config is Flink's, not the registry's.
    let rest = client(&server.url, Auth::None).call("GET", "/config", None);
    assert!(
        !matches!(&rest, Ok(v) if v.get("compatibilityLevel").is_some()),
        "{rest:?}"
    );
}

#[test]
fn spate_sql_serves_a_registry_beside_its_embedded_broker() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("job.sql");
    std::fs::write(
        &script,
        "CREATE TABLE clicks (id BIGINT, page STRING, ts TIMESTAMP(3)) WITH ('connector' = 'kafka',
           'topic' = 'clicks', 'format' = 'avro-confluent', 'scan.startup.mode' = 'earliest-offset',
           'scan.bounded.mode' = 'latest-offset');
         INSERT INTO clicks VALUES (1, '/a', TIMESTAMP '2026-01-01 00:00:00.123'),
           (2, '/b', TIMESTAMP '2026-01-01 00:00:01'), (3, '/a', TIMESTAMP '2025-12-31 23:59:59');
         SET 'sql-client.execution.result-mode' = 'tableau';
         SELECT page, COUNT(*) AS n, MAX(ts) AS last_ts FROM clicks GROUP BY page;",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_spate"))
        .args(["sql", "-f"])
        .arg(&script)
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stderr.contains("schema registry http://127.0.0.1:"), "{stderr}");
    let rows: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("| +I") || l.starts_with("| -U") || l.starts_with("| +U"))
        .collect();
    assert_eq!(
        rows.last()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ")),
        Some("| +U | /a | 2 | 2026-01-01 00:00:00.123 |".to_string()),
        "{stdout}"
    );
    assert!(
        stdout.contains("/b |                    1 | 2026-01-01 00:00:01.000"),
        "{stdout}"
    );
}

#[test]
fn the_schemas_command_registers_lists_checks_and_deletes() {
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start_with_args(
        &dir.path().join("data"),
        &dir.path().join("broker.log"),
        &[
            "--listen",
            "127.0.0.1:0",
            "--schema-registry-listen",
            "127.0.0.1:0",
        ],
    );
    let url = url_after(&broker.startup, "schema registry ");
    let file = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    let v1 = file(
        "v1.avsc",
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"long"}]}"#,
    );
    let v2 = file(
        "v2.avsc",
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"long"},{"name":"b","type":"string","default":""}]}"#,
    );
    let breaking = file(
        "bad.avsc",
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"string"}]}"#,
    );
    let schemas = |args: &[&str]| {
        let mut all = vec!["schemas"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--registry", &url]);
        common::run_spate(&all, "")
    };
    let (ok, out, err) = schemas(&["register", "orders-value", "--schema-file", &v1]);
    assert!(ok && out.contains("id 1"), "{out}{err}");
    let (ok, out, err) = schemas(&["register", "orders-value", "--schema-file", &v2]);
    assert!(ok && out.contains("id 2"), "{out}{err}");
    let (ok, out, err) = schemas(&["register", "orders-value", "--schema-file", &breaking]);
    assert!(!ok && err.contains("40901"), "{out}{err}");
    let (ok, out, _) = schemas(&["list"]);
    assert!(ok);
    let line = out.lines().find(|l| l.starts_with("orders-value")).unwrap();
    assert_eq!(
        line.split_whitespace().collect::<Vec<_>>(),
        ["orders-value", "1,2", "2"]
    );
    let (ok, out, _) = schemas(&["get", "orders-value", "--version", "1"]);
    assert!(ok);
    let got: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!((got["id"].as_u64(), got["version"].as_u64()), (Some(1), Some(1)));
    let (ok, out, _) = schemas(&["get", "--id", "2"]);
    assert!(ok && out.contains(r#"\"b\""#), "{out}");
    // The check is BACKWARD by default: the breaking schema fails it, exit status 1.
    let (ok, out, _) = schemas(&["compatibility", "orders-value", "--check-file", &breaking]);
    assert!(!ok && out.contains("\"is_compatible\": false"), "{out}");
    let (ok, out, _) = schemas(&["compatibility", "orders-value", "--set", "none"]);
    assert!(ok && out.contains("NONE"), "{out}");
    let (ok, out, _) = schemas(&["compatibility", "orders-value"]);
    assert!(ok && out.contains("NONE"), "{out}");
    let (ok, out, _) = schemas(&["compatibility", "orders-value", "--check-file", &breaking]);
    assert!(ok && out.contains("\"is_compatible\": true"), "{out}");
    let (ok, out, err) = schemas(&["delete", "orders-value", "--version", "1"]);
    assert!(ok && out.contains("1"), "{out}{err}");
    let (ok, out, err) = schemas(&["delete", "orders-value", "--version", "1", "--permanent"]);
    assert!(ok, "{out}{err}");
    let (_, out, _) = schemas(&["list", "--deleted"]);
    let line = out.lines().find(|l| l.starts_with("orders-value")).unwrap();
    assert_eq!(line.split_whitespace().nth(1), Some("2"));
    // An unreachable registry is named.
    let (ok, _, err) = common::run_spate(&["schemas", "list", "--registry", "http://127.0.0.1:9"], "");
    assert!(!ok && err.contains("http://127.0.0.1:9"), "{err}");
}
