//! `spate quotas alter|describe` against a running broker's SASL listener, logged in as the
//! super user through `--command-config` (or as a user without rights through `-X`): entities
//! by name, default and user with client id, removing keys, validate-only, quotas kept across a
//! broker restart, and readable errors (bad options, the broker's INVALID_REQUEST and
//! CLUSTER_AUTHORIZATION_FAILED messages).
#![allow(clippy::unwrap_used)]

use crate::common;

use common::Broker;

fn spate(args: &[&str]) -> (bool, String, String) {
    common::run_spate(args, "")
}

#[test]
fn quotas_set_over_the_wire_are_described_and_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    for (user, password) in [("admin", "adm1n-pw"), ("alice", "al1ce-pw")] {
        let (success, _, err) = common::run_spate(
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
    let broker_args = [
        "--listener",
        "SASL_PLAINTEXT://127.0.0.1:0",
        "--set",
        "super.users=User:admin",
    ];
    let mut broker = Broker::start_with_args(&data, &dir.path().join("broker.log"), &broker_args);
    let admin_config = dir.path().join("admin.properties");
    std::fs::write(
        &admin_config,
        "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-512\n\
         sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required \\\n  \
         username=\"admin\" password=\"adm1n-pw\";\n",
    )
    .unwrap();
    let config = admin_config.to_str().unwrap().to_string();
    let run_as_admin = |addr: &str, args: &[&str]| -> (bool, String, String) {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--bootstrap", addr, "--command-config", &config]);
        spate(&all)
    };
    let ok = |addr: &str, args: &[&str]| -> String {
        let (success, out, err) = run_as_admin(addr, args);
        assert!(success, "spate {args:?} failed: {err}");
        out
    };
    let addr = broker.addr.clone();

    let out = ok(
        &addr,
        &[
            "quotas",
            "alter",
            "--entity-type",
            "client-id",
            "--entity-name",
            "reporting",
            "--add-config",
            "producer_byte_rate=1024,consumer_byte_rate=2048",
        ],
    );
    assert_eq!(
        out,
        "updated clients/reporting: producer_byte_rate=1024,consumer_byte_rate=2048\n"
    );
    ok(
        &addr,
        &[
            "quotas",
            "alter",
            "--entity-type",
            "users",
            "--entity-default",
            "--add-config",
            "consumer_byte_rate=4096",
        ],
    );
    ok(
        &addr,
        &[
            "quotas",
            "alter",
            "--user",
            "alice",
            "--client-defaults",
            "--add-config",
            "producer_byte_rate=512, request_percentage=50",
        ],
    );
    ok(
        &addr,
        &[
            "quotas",
            "alter",
            "--entity-type",
            "user",
            "--entity-type",
            "client-id",
            "--entity-name",
            "bob",
            "--entity-name",
            "etl",
            "--add-config",
            "producer_byte_rate=100",
        ],
    );
    let all = ok(&addr, &["quotas", "describe"]);
    assert_eq!(
        all,
        "clients/reporting\tconsumer_byte_rate=2048,producer_byte_rate=1024\n\
         users/<default>\tconsumer_byte_rate=4096\n\
         users/alice/clients/<default>\tproducer_byte_rate=512,request_percentage=50\n\
         users/bob/clients/etl\tproducer_byte_rate=100\n"
    );
    // Strict filters, as kafka-configs.sh --describe.
    assert_eq!(
        ok(&addr, &["quotas", "describe", "--entity-type", "user"]),
        "users/<default>\tconsumer_byte_rate=4096\n"
    );
    assert_eq!(
        ok(
            &addr,
            &["quotas", "describe", "--user", "alice", "--client-defaults"]
        ),
        "users/alice/clients/<default>\tproducer_byte_rate=512,request_percentage=50\n"
    );
    assert_eq!(ok(&addr, &["quotas", "describe", "--client", "nobody"]), "");

    // Removing one key; validate-only changes nothing.
    ok(
        &addr,
        &[
            "quotas",
            "alter",
            "--client",
            "reporting",
            "--delete-config",
            "producer_byte_rate",
        ],
    );
    let out = ok(
        &addr,
        &[
            "quotas",
            "alter",
            "--client",
            "reporting",
            "--add-config",
            "consumer_byte_rate=1",
            "--validate-only",
        ],
    );
    assert!(out.starts_with("valid (nothing changed)"), "{out}");
    assert_eq!(
        ok(&addr, &["quotas", "describe", "--client", "reporting"]),
        "clients/reporting\tconsumer_byte_rate=2048\n"
    );

    // Errors are one readable line, never a panic.
    let failing: [(&[&str], &str); 6] = [
        (
            &[
                "quotas",
                "alter",
                "--client",
                "x",
                "--add-config",
                "producer_byte_rate=fast",
            ],
            "must be a number",
        ),
        (&["quotas", "alter", "--client", "x"], "nothing to change"),
        (
            &["quotas", "alter", "--add-config", "producer_byte_rate=1"],
            "which entity",
        ),
        (
            &[
                "quotas",
                "alter",
                "--entity-type",
                "topic",
                "--entity-name",
                "t",
                "--add-config",
                "producer_byte_rate=1",
            ],
            "expected user or client-id",
        ),
        (
            &[
                "quotas",
                "alter",
                "--client",
                "x",
                "--add-config",
                "producer_bytes_rate=1",
            ],
            "INVALID_REQUEST: Invalid configuration key producer_bytes_rate",
        ),
        (
            &[
                "quotas",
                "alter",
                "--client",
                "x",
                "--add-config",
                "producer_byte_rate=1.5",
            ],
            "INVALID_REQUEST",
        ),
    ];
    for (args, expected) in failing {
        let (success, _, err) = run_as_admin(&addr, args);
        assert!(!success, "spate {args:?} succeeded");
        assert!(err.contains(expected), "spate {args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    // alice may not.
    let (success, _, err) = spate(&[
        "quotas",
        "describe",
        "--bootstrap",
        &addr,
        "-X",
        "security.protocol=SASL_PLAINTEXT",
        "-X",
        "sasl.mechanism=SCRAM-SHA-512",
        "-X",
        "sasl.username=alice",
        "-X",
        "sasl.password=al1ce-pw",
    ]);
    assert!(!success);
    assert!(err.contains("CLUSTER_AUTHORIZATION_FAILED"), "{err}");

    // A restart keeps them.
    let before = ok(&addr, &["quotas", "describe"]);
    broker.kill();
    let broker = Broker::start_with_args(&data, &dir.path().join("broker2.log"), &broker_args);
    assert_eq!(ok(&broker.addr, &["quotas", "describe"]), before);
}
