//! `spate users` edits a stopped broker's credentials; the broker then lets those users in over
//! SASL (PLAIN via librdkafka, which checks against the SCRAM credential) and no one else.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write;
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
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn stdout_of(out: &Output) -> String {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn can_fetch_metadata(bootstrap: &str, user: &str, password: &str) -> bool {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("security.protocol", "SASL_PLAINTEXT")
        .set("sasl.mechanism", "PLAIN")
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
