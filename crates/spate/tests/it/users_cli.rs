//! `spate users` edits a stopped broker's credentials (`--data-dir`) or a running broker's
//! (`--bootstrap`, as a super user over the raw admin client); the broker then lets those users
//! in over SASL (PLAIN or SCRAM via librdkafka) and no one else.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::Broker;
use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};

fn users(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_spate"))
        .arg("users")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    common::feed_stdin(&mut child, stdin.as_bytes());
    child.wait_with_output().unwrap()
}

fn stdout_of(out: &Output) -> String {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn can_fetch_metadata(bootstrap: &str, user: &str, password: &str) -> bool {
    can_log_in(bootstrap, "PLAIN", user, password)
}

fn can_log_in(bootstrap: &str, mechanism: &str, user: &str, password: &str) -> bool {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("security.protocol", "SASL_PLAINTEXT")
        .set("sasl.mechanism", mechanism)
        .set("sasl.username", user)
        .set("sasl.password", password)
        .set("log_level", "0")
        .create()
        .unwrap();
    consumer.fetch_metadata(None, Duration::from_secs(3)).is_ok()
}

#[test]
fn users_added_offline_can_log_in() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    let out = users(
        &[
            "add",
            "admin",
            "--mechanism",
            "SCRAM-SHA-512",
            "--password-stdin",
            "--data-dir",
            d,
        ],
        "adm1n-pw\n",
    );
    stdout_of(&out);
    let out = users(
        &[
            "add",
            "bob",
            "--mechanism",
            "SCRAM-SHA-256",
            "--iterations",
            "8192",
            "--password-stdin",
            "--data-dir",
            d,
        ],
        "bob-pw",
    );
    stdout_of(&out);
    assert_eq!(
        stdout_of(&users(&["list", "--data-dir", d], "")),
        "admin\tSCRAM-SHA-512:4096\nbob\tSCRAM-SHA-256:8192\n"
    );
    let bad = users(
        &[
            "add",
            "eve",
            "--iterations",
            "10",
            "--password-stdin",
            "--data-dir",
            d,
        ],
        "x\n",
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("iterations"));
    stdout_of(&users(&["delete", "bob", "--data-dir", d], ""));
    assert!(!users(&["delete", "bob", "--data-dir", d], "").status.success());
    assert_eq!(
        stdout_of(&users(&["list", "--data-dir", d], "")),
        "admin\tSCRAM-SHA-512:4096\n"
    );

    let broker = Broker::start_with_args(
        &data,
        &dir.path().join("broker.log"),
        &["--listener", "SASL_PLAINTEXT://127.0.0.1:0"],
    );
    assert!(can_fetch_metadata(&broker.addr, "admin", "adm1n-pw"));
    assert!(!can_fetch_metadata(&broker.addr, "admin", "wrong"));
    assert!(!can_fetch_metadata(&broker.addr, "bob", "bob-pw"), "deleted");
}

/// `--bootstrap` with a client login given as `-X` properties.
fn over_the_wire(addr: &str, mechanism: &str, user: &str, password: &str) -> Vec<String> {
    [
        "--bootstrap".to_string(),
        addr.to_string(),
        "-X".into(),
        "security.protocol=SASL_PLAINTEXT".into(),
        "-X".into(),
        format!("sasl.mechanism={mechanism}"),
        "-X".into(),
        format!("sasl.username={user}"),
        "-X".into(),
        format!("sasl.password={password}"),
    ]
    .to_vec()
}

fn users_with(args: &[&str], login: &[String], stdin: &str) -> Output {
    let all: Vec<&str> = args
        .iter()
        .copied()
        .chain(login.iter().map(String::as_str))
        .collect();
    users(&all, stdin)
}

#[test]
fn users_managed_over_bootstrap_log_in_until_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    stdout_of(&users(
        &["add", "admin", "--password-stdin", "--data-dir", d],
        "adm1n-pw\n",
    ));
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
    let admin = over_the_wire(&broker.addr, "SCRAM-SHA-512", "admin", "adm1n-pw");
    assert!(!can_log_in(&broker.addr, "SCRAM-SHA-256", "carol", "car0l-pw"));

    let out = users_with(
        &[
            "add",
            "carol",
            "--mechanism",
            "SCRAM-SHA-256",
            "--iterations",
            "8192",
            "--password-stdin",
        ],
        &admin,
        "car0l-pw\n",
    );
    assert_eq!(
        stdout_of(&out),
        "user carol has a SCRAM-SHA-256 credential (8192 iterations)\n"
    );
    let too_many = users_with(
        &["add", "eve", "--iterations", "100000000", "--password-stdin"],
        &admin,
        "eve-pw\n",
    );
    assert!(!too_many.status.success(), "refused before salting for minutes");
    assert!(String::from_utf8_lossy(&too_many.stderr).contains("4096..=16384"));
    assert!(can_log_in(&broker.addr, "SCRAM-SHA-256", "carol", "car0l-pw"));
    assert!(!can_log_in(&broker.addr, "SCRAM-SHA-256", "carol", "wrong"));
    assert!(
        !can_log_in(&broker.addr, "SCRAM-SHA-512", "carol", "car0l-pw"),
        "only the mechanism added"
    );
    assert_eq!(
        stdout_of(&users_with(&["list"], &admin, "")),
        "admin\tSCRAM-SHA-512:4096\ncarol\tSCRAM-SHA-256:8192\n"
    );

    // carol is no super user and has no ACL on the cluster: she may not list users.
    let carol = over_the_wire(&broker.addr, "SCRAM-SHA-256", "carol", "car0l-pw");
    let refused = users_with(&["list"], &carol, "");
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("CLUSTER_AUTHORIZATION_FAILED"), "{stderr}");

    assert_eq!(
        stdout_of(&users_with(&["delete", "carol"], &admin, "")),
        "removed the SCRAM-SHA-256 credential of carol\n"
    );
    assert!(!can_log_in(&broker.addr, "SCRAM-SHA-256", "carol", "car0l-pw"));
    let again = users_with(&["delete", "carol"], &admin, "");
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("no such credential"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(
        stdout_of(&users_with(&["list"], &admin, "")),
        "admin\tSCRAM-SHA-512:4096\n"
    );

    let both = users(&["list", "--data-dir", d, "--bootstrap", &broker.addr], "");
    assert!(!both.status.success(), "--data-dir and --bootstrap together");
    let login_without_broker = users(&["list", "-X", "sasl.username=admin"], "");
    assert!(!login_without_broker.status.success(), "-X needs --bootstrap");
}
