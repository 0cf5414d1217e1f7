//! The REST API served on a real socket, driven by confluent-kafka's Python
//! `SchemaRegistryClient` and its Avro, JSON Schema and Protobuf serdes (the clients Kafka applications
//! use), and by raw HTTP for what a client library hides: error bodies, content types, limits.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use serde_json::Value;
use spate_schema_registry::{MemoryLog, Service, http};

/// Serves a fresh registry on 127.0.0.1; returns its address.
fn serve() -> String {
    let service = Arc::new(Service::open(Box::new(MemoryLog::default())).expect("opens"));
    let url = http::serve_in_background(http::router(service, None)).expect("serves");
    url.trim_start_matches("http://").to_string()
}

fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("SPATE_TEST_PYTHON") {
        return p.into();
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.tools/venv/bin/python")
}

/// One HTTP/1.1 request; returns the status, the content type and the body.
fn request(addr: &str, method: &str, path: &str, body: &str) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr).expect("connects");
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/vnd.schemaregistry.v1+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).expect("sends");
    let mut raw = String::new();
    s.read_to_string(&mut raw).expect("reads");
    let (head, body) = raw.split_once("\r\n\r\n").expect("a response");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("a status");
    let content_type = head
        .lines()
        .find_map(|l| l.strip_prefix("content-type: "))
        .unwrap_or_default()
        .to_string();
    (status, content_type, body.to_string())
}

/// Runs `tests/SCRIPT` (a confluent-kafka client script) against a fresh registry and returns
/// the one JSON object of observations it prints.
fn client_observations(script: &str) -> Value {
    let addr = serve();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(script);
    let out = Command::new(python())
        .arg(script)
        .arg(format!("http://{addr}"))
        .output()
        .expect("the test virtualenv's python (scripts/install-deps.sh) runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

#[test]
fn confluents_python_client_and_avro_serde_work_unchanged() {
    let o = client_observations("registry_client.py");
    assert_eq!(o["id1"], 1);
    assert_eq!(o["id1_again"], 1);
    assert_eq!(o["compatible_ok"], true);
    assert_eq!(o["compatible_bad"], false);
    assert!(o.get("bad_registered").is_none(), "{o}");
    assert_eq!(o["bad_error"][0], 409);
    assert!(
        o["bad_error"][2]
            .as_str()
            .unwrap_or_default()
            .contains("READER_FIELD_MISSING_DEFAULT_VALUE"),
        "{o}"
    );
    assert_eq!(o["id2"], 2);
    assert_eq!(o["latest"], serde_json::json!([2, 2, "AVRO"]));
    assert_eq!(
        o["by_id"],
        r#"{"type":"record","name":"Click","namespace":"shop","fields":[{"name":"user","type":"long"},{"name":"page","type":["null","string"],"default":null}]}"#
    );
    assert_eq!(o["subjects"], serde_json::json!(["clicks-value"]));
    assert_eq!(o["versions"], serde_json::json!([1, 2]));
    assert_eq!(o["lookup"], serde_json::json!([1, 1]));
    assert_eq!(o["level"], "FULL");
    assert_eq!(
        o["missing"],
        serde_json::json!([404, 40401, "Subject 'nope' not found."])
    );
    // The serializer registered its schema under the topic's subject (a new subject, the
    // id v2 already has) and wrote Confluent's frame: magic 0, the id big-endian.
    assert_eq!(o["wire_prefix"], serde_json::json!([0, 0, 0, 0, 2]));
    assert_eq!(
        o["round_trip"],
        serde_json::json!({"user": 7, "page": "/cart", "ms": 12})
    );
    assert_eq!(o["deleted"], 1);
    assert_eq!(o["versions_after_delete"], serde_json::json!([2]));
}

#[test]
fn errors_are_confluents_bodies_and_bad_requests_harm_nothing() {
    let addr = serve();
    let (status, ty, body) = request(&addr, "GET", "/subjects/none/versions", "");
    assert_eq!(
        (status, ty.as_str()),
        (404, "application/vnd.schemaregistry.v1+json")
    );
    assert_eq!(
        body,
        r#"{"error_code":40401,"message":"Subject 'none' not found."}"#
    );
    let (status, _, body) = request(&addr, "POST", "/subjects/s/versions", "{not json");
    assert_eq!(status, 400, "{body}");
    let (status, _, body) = request(
        &addr,
        "POST",
        "/subjects/s/versions",
        r#"{"schema":"{\"type\":\"recor\"}"}"#,
    );
    assert_eq!(status, 422, "{body}");
    assert!(body.contains(r#""error_code":42201"#), "{body}");
    let (status, _, body) = request(&addr, "PUT", "/config", r#"{"compatibility":"SIDEWAYS"}"#);
    assert_eq!((status, body.contains("42203")), (422, true), "{body}");
    let (status, _, _) = request(&addr, "GET", "/subjects/s/versions/zero", "");
    assert_eq!(status, 422);
    let (status, _, body) = request(
        &addr,
        "GET",
        "/associations/resources/-/orders?resourceType=topic",
        "",
    );
    assert_eq!(
        (status, body.as_str()),
        (404, r#"{"error_code":404,"message":"HTTP 404 Not Found"}"#)
    );
    // A body past the limit is refused before it is buffered.
    let big = "x".repeat(http::MAX_BODY + 1);
    let (status, _, _) = request(&addr, "POST", "/subjects/s/versions", &big);
    assert_eq!(status, 413);
    // The registry still serves.
    let (status, _, body) = request(&addr, "POST", "/subjects/s/versions", r#"{"schema":"\"int\""}"#);
    assert_eq!((status, body.as_str()), (200, r#"{"id":1}"#));
    let (status, _, body) = request(&addr, "GET", "/schemas/ids/1/schema", "");
    assert_eq!((status, body.as_str()), (200, r#""int""#));
    let (status, _, body) = request(&addr, "GET", "/config", "");
    assert_eq!(
        (status, body.as_str()),
        (200, r#"{"compatibilityLevel":"BACKWARD"}"#)
    );
}

#[test]
fn confluents_python_client_and_json_schema_serde_work_unchanged() {
    let o = client_observations("registry_client_json.py");
    // The serializer registered v1 under the topic's subject and wrote Confluent's frame.
    assert_eq!(o["wire_prefix"], serde_json::json!([0, 0, 0, 0, 1]));
    assert_eq!(o["round_trip"], serde_json::json!({"user": 7, "page": "/cart"}));
    assert!(o.get("invalid_record_written").is_none(), "{o}");
    assert_eq!(o["latest"], serde_json::json!([1, 1, "JSON"]));
    // Stored compactly, members in written order; a lookup of the pretty text finds it.
    assert_eq!(
        o["by_id"],
        r#"{"$schema":"http://json-schema.org/draft-07/schema#","title":"Click","type":"object","properties":{"user":{"type":"integer"},"page":{"type":"string"}},"required":["user"]}"#
    );
    assert_eq!(o["lookup"], serde_json::json!([1, 1]));
    assert_eq!(o["compatible_ok"], true);
    assert_eq!(o["compatible_bad"], false);
    assert!(o.get("bad_registered").is_none(), "{o}");
    assert_eq!(o["bad_error"][0], 409);
    assert_eq!(o["bad_error"][1], 40901);
    assert!(
        o["bad_error"][2]
            .as_str()
            .unwrap_or_default()
            .contains(r#"{errorType:"OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL""#),
        "{o}"
    );
    assert_eq!(o["id2"], 2);
    assert_eq!(o["wire_prefix_v2"], serde_json::json!([0, 0, 0, 0, 2]));
    assert_eq!(o["round_trip_v2"], serde_json::json!({"user": 8, "page": null}));
    for malformed in ["not_json", "not_a_schema", "bad_type"] {
        let e = &o["malformed"][malformed];
        assert_eq!(
            (&e[0], &e[1]),
            (&serde_json::json!(422), &serde_json::json!(42201)),
            "{o}"
        );
        assert!(
            e[2].as_str()
                .unwrap_or_default()
                .starts_with("Invalid schema of type JSON, details: "),
            "{o}"
        );
    }
}

#[test]
fn confluents_python_client_and_protobuf_serde_work_unchanged() {
    let o = client_observations("registry_client_protobuf.py");
    // Confluent's frame: magic 0, id 1 big-endian, then the indexes [0] as the single byte 0.
    assert_eq!(o["wire_prefix"], serde_json::json!([0, 0, 0, 0, 1, 0]), "{o}");
    assert_eq!(
        o["round_trip"],
        serde_json::json!([7, "A-1", false, "pen", 3, {"red": 4}, 2, 1_700_000_000, 5000])
    );
    assert_eq!(o["round_trip_equal"], true);
    // Order.Line is the file's first message's first nested message: count 2 (zig-zag 4),
    // then 0 and 0. Same file, so the same id.
    assert_eq!(
        o["nested_prefix"],
        serde_json::json!([0, 0, 0, 0, 1, 4, 0, 0]),
        "{o}"
    );
    assert_eq!(o["nested_back"], "cup");
    assert_eq!(o["latest"], serde_json::json!([1, 1, "PROTOBUF"]));
    // The registry returns the schema as .proto text (the client asked for no format).
    let text = o["text"].as_str().unwrap_or_default();
    for line in [
        "syntax = \"proto3\";",
        "package shop;",
        "import \"google/protobuf/timestamp.proto\";",
        "  optional string note = 3;",
        "  repeated .shop.Order.Line lines = 4;",
        "  map<string, int32> counts = 5;",
        "  .google.protobuf.Timestamp at = 7;",
    ] {
        assert!(text.contains(line), "{line:?} missing from\n{text}");
    }
    assert_eq!(o["lookup_text"], serde_json::json!([1, 1]));
    assert_eq!(o["compatible_ok"], true);
    assert_eq!(o["compatible_bad"], false);
    assert!(o.get("bad_registered").is_none(), "{o}");
    assert_eq!(o["bad_error"][0], 409);
    assert!(
        o["bad_error"][2]
            .as_str()
            .unwrap_or_default()
            .contains("FIELD_SCALAR_KIND_CHANGED"),
        "{o}"
    );
    assert_eq!(o["id2"], 2);
    assert_eq!(o["malformed"][0], 422, "{o}");
    assert_eq!(o["malformed"][1], 42201, "{o}");
}
