//! The schema registry of `spate broker --schema-registry-listen` keeps its state in the
//! broker's `_schemas` topic: after `kill -9` and a restart on the same data directory, every
//! id, version, soft delete and compatibility level a client was told is still there, and new
//! ids continue after the old ones.
#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::common::Broker;

/// One HTTP/1.1 request; returns the status and the body.
fn call(base: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    let host = base.trim_start_matches("http://");
    let mut s = TcpStream::connect(host).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/vnd.schemaregistry.v1+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    (head.split(' ').nth(1).unwrap().parse().unwrap(), body.to_string())
}

fn registry_url(b: &Broker) -> String {
    let at = b
        .startup
        .find("schema registry ")
        .expect("the start-up line names the registry");
    b.startup[at + "schema registry ".len()..]
        .split([';', ' ', ')'])
        .next()
        .unwrap()
        .to_string()
}

fn record(fields: &str) -> String {
    let schema = format!(r#"{{"type":"record","name":"R","fields":[{fields}]}}"#);
    serde_json::json!({ "schema": schema }).to_string()
}

/// What is read before the kill and compared after the restart.
const READS: [&str; 7] = [
    "/subjects",
    "/subjects/a-value/versions",
    "/subjects/a-value/versions?deleted=true",
    "/subjects/a-value/versions/latest",
    "/schemas/ids/1",
    "/schemas/ids/3",
    "/config/b-value",
];

#[test]
fn registered_schemas_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let log = dir.path().join("broker.log");
    let args = [
        "--listen",
        "127.0.0.1:0",
        "--schema-registry-listen",
        "127.0.0.1:0",
    ];
    let mut broker = Broker::start_with_args(&data, &log, &args);
    let url = registry_url(&broker);
    let a1 = record(r#"{"name":"a","type":"int"}"#);
    let a2 = record(r#"{"name":"a","type":"int"},{"name":"b","type":"long","default":0}"#);
    let b1 = record(r#"{"name":"x","type":"string"}"#);
    assert_eq!(
        call(&url, "POST", "/subjects/a-value/versions", &a1),
        (200, r#"{"id":1}"#.into())
    );
    assert_eq!(
        call(&url, "POST", "/subjects/a-value/versions", &a2),
        (200, r#"{"id":2}"#.into())
    );
    assert_eq!(
        call(&url, "POST", "/subjects/b-value/versions", &b1),
        (200, r#"{"id":3}"#.into())
    );
    assert_eq!(
        call(&url, "DELETE", "/subjects/a-value/versions/1", ""),
        (200, "1".into())
    );
    assert_eq!(
        call(&url, "PUT", "/config/b-value", r#"{"compatibility":"FULL"}"#),
        (200, r#"{"compatibility":"FULL"}"#.into())
    );
    let before: Vec<(u16, String)> = READS.iter().map(|p| call(&url, "GET", p, "")).collect();
    broker.kill();

    let broker = Broker::start_with_args(&data, &log, &args);
    let url = registry_url(&broker);
    let after: Vec<(u16, String)> = READS.iter().map(|p| call(&url, "GET", p, "")).collect();
    assert_eq!(after, before);
    assert_eq!(before[1], (200, "[2]".into()));
    assert_eq!(before[2], (200, "[1,2]".into()));
    // The same schema keeps its id; a new one gets the next.
    assert_eq!(
        call(&url, "POST", "/subjects/b-value/versions", &b1),
        (200, r#"{"id":3}"#.into())
    );
    let b2 = record(r#"{"name":"x","type":"string"},{"name":"y","type":"int","default":1}"#);
    assert_eq!(
        call(&url, "POST", "/subjects/b-value/versions", &b2),
        (200, r#"{"id":4}"#.into())
    );
}
