//! `spate acls add|remove|list` against a running broker's SASL listener, logged in through
//! `--command-config` (Kafka's client .properties with `sasl.jaas.config`, SCRAM-SHA-512 on the
//! raw admin client) or `-X`; the ACLs it adds are what the broker then enforces on `spate
//! produce`/`consume` (librdkafka, PLAIN).
#![allow(clippy::unwrap_used)]

use crate::common;

use common::Broker;

fn spate(args: &[&str], stdin: &str) -> (bool, String, String) {
    common::run_spate(args, stdin)
}

fn ok(args: &[&str]) -> String {
    let (success, out, err) = spate(args, "");
    assert!(success, "spate {args:?} failed: {err}");
    out
}

#[test]
fn acls_added_and_removed_over_the_wire_are_enforced() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    for (user, password) in [("admin", "adm1n-pw"), ("alice", "al1ce-pw")] {
        let (success, _, err) = spate(
            &[
                "users",
                "add",
                user,
                "--mechanism",
                "SCRAM-SHA-512",
                "--password-stdin",
                "--data-dir",
                d,
            ],
            &format!("{password}\n"),
        );
        assert!(success, "{err}");
    }
    let broker = Broker::start_with_args(
        &data,
        &dir.path().join("broker.log"),
        &[
            "--listener",
            "SASL_PLAINTEXT://127.0.0.1:0",
            "--set",
            "super.users=User:admin",
        ],
    );
    let admin_config = dir.path().join("admin.properties");
    std::fs::write(
        &admin_config,
        "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-512\n\
         sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required \\\n  \
         username=\"admin\" password=\"adm1n-pw\";\n",
    )
    .unwrap();
    let admin = [
        "--bootstrap",
        broker.addr.as_str(),
        "--command-config",
        admin_config.to_str().unwrap(),
    ];
    let alice = [
        "--bootstrap",
        broker.addr.as_str(),
        "-X",
        "security.protocol=SASL_PLAINTEXT",
        "-X",
        "sasl.mechanism=PLAIN",
        "-X",
        "sasl.username=alice",
        "-X",
        "sasl.password=al1ce-pw",
    ];
    let with = |base: &[&str], extra: &[&str]| -> Vec<String> {
        base.iter().chain(extra).map(|s| s.to_string()).collect()
    };
    let run = |args: Vec<String>| ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let run_err = |args: Vec<String>| {
        let (success, _, err) = spate(&args.iter().map(String::as_str).collect::<Vec<_>>(), "x\n");
        assert!(!success, "spate {args:?} succeeded");
        err
    };

    // The super user creates topics and grants alice WRITE on team-* and READ on group g.
    run(with(&["topics", "create", "team-x"], &admin));
    run(with(&["topics", "create", "private"], &admin));
    let out = run(with(
        &[
            "acls",
            "add",
            "--allow-principal",
            "User:alice",
            "--operation",
            "Write",
            "--topic",
            "team-",
            "--resource-pattern-type",
            "prefixed",
        ],
        &admin,
    ));
    assert!(
        out.contains("added (principal=User:alice, host=*, operation=WRITE"),
        "{out}"
    );
    run(with(
        &[
            "acls",
            "add",
            "--allow-principal",
            "User:alice",
            "--operation",
            "Read",
            "--group",
            "g",
        ],
        &admin,
    ));
    let listed = run(with(&["acls", "list"], &admin));
    assert!(
        listed.contains("Current ACLs for resource `ResourcePattern(resourceType=TOPIC, name=team-, patternType=PREFIXED)`"),
        "{listed}"
    );
    assert!(
        listed.contains("(principal=User:alice, host=*, operation=READ, permissionType=ALLOW)"),
        "{listed}"
    );

    // alice (librdkafka, PLAIN through -X) may write team-x, not private, and may not read.
    let (success, _, err) = spate(
        &with(&["produce", "team-x"], &alice)
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        "hello\n",
    );
    assert!(success, "{err}");
    let err = run_err(with(&["produce", "private"], &alice));
    assert!(
        err.contains("TopicAuthorizationFailed") || err.contains("authorization"),
        "{err}"
    );
    // alice may not manage ACLs.
    let err = run_err(with(&["acls", "list"], &alice));
    assert!(err.contains("CLUSTER_AUTHORIZATION_FAILED"), "{err}");

    // Removing alice's WRITE: she can no longer produce.
    let out = run(with(
        &[
            "acls",
            "remove",
            "--topic",
            "team-",
            "--resource-pattern-type",
            "prefixed",
        ],
        &admin,
    ));
    assert!(out.contains("removed 1 ACLs"), "{out}");
    let err = run_err(with(&["produce", "team-x"], &alice));
    assert!(
        err.contains("TopicAuthorizationFailed") || err.contains("authorization"),
        "{err}"
    );
    let listed = run(with(&["acls", "list", "--principal", "User:alice"], &admin));
    assert!(!listed.contains("team-") && listed.contains("name=g"), "{listed}");

    // Bad options fail before anything is sent; a wrong password fails the login.
    let err = run_err(with(
        &["acls", "add", "--allow-principal", "alice", "--topic", "t"],
        &admin,
    ));
    assert!(err.contains("User:NAME"), "{err}");
    let err = run_err(with(
        &[
            "acls",
            "add",
            "--allow-principal",
            "User:a",
            "--operation",
            "IdempotentWrite",
            "--topic",
            "t",
        ],
        &admin,
    ));
    assert!(err.contains("does not apply"), "{err}");
    let err = run_err(vec![
        "acls".into(),
        "list".into(),
        "--bootstrap".into(),
        broker.addr.clone(),
        "--command-config".into(),
        admin_config.to_str().unwrap().into(),
        "-X".into(),
        "sasl.password=wrong".into(),
        "-X".into(),
        "sasl.username=admin".into(),
    ]);
    assert!(
        err.contains("SASL") || err.contains("SASL_AUTHENTICATION_FAILED"),
        "{err}"
    );
}
