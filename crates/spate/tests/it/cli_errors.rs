//! The client commands report what went wrong: the broker's error name and message when the
//! broker refused a request, "cannot reach" only when the broker could not be reached.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::process::{Command, Output, Stdio};

use common::Broker;

fn spate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spate"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// stderr of a command that must fail.
fn failure(args: &[&str]) -> String {
    let out = spate(args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "{args:?} succeeded: {stderr}");
    stderr
}

#[test]
fn broker_errors_show_their_name_and_message() {
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(&dir.path().join("data"), &dir.path().join("broker.log"));
    let bs = broker.addr.as_str();

    let e = failure(&["topics", "create", "bad/name", "--bootstrap", bs]);
    assert!(e.contains("INVALID_TOPIC_EXCEPTION"), "{e}");
    assert!(
        e.contains("only ASCII letters, digits"),
        "the broker's message: {e}"
    );
    assert!(!e.contains("cannot reach"), "{e}");

    let e = failure(&[
        "topics",
        "create",
        "t",
        "--config",
        "retention.ms=soon",
        "--bootstrap",
        bs,
    ]);
    assert!(e.contains("INVALID_CONFIG"), "{e}");
    assert!(e.contains("retention.ms"), "the broker's message: {e}");
    assert!(!e.contains("cannot reach"), "{e}");

    let out = spate(&["topics", "create", "t", "--bootstrap", bs]);
    assert!(out.status.success());
    let e = failure(&["topics", "create", "t", "--bootstrap", bs]);
    assert!(e.contains("TOPIC_ALREADY_EXISTS"), "{e}");

    let e = failure(&["topics", "delete", "missing", "--bootstrap", bs]);
    assert!(e.contains("UNKNOWN_TOPIC_OR_PARTITION"), "{e}");
    assert!(!e.contains("cannot reach"), "{e}");
}

#[test]
fn an_unreachable_broker_is_reported_as_such() {
    // A port nothing listens on (bound, then released).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let bs = format!("127.0.0.1:{port}");
    let e = failure(&["topics", "create", "t", "--bootstrap", &bs]);
    assert!(e.contains("cannot reach"), "{e}");
}
