//! Typed records through `kafka::protobuf::ProtobufSerde` and Spate's schema registry served on
//! a real socket: two versions of a message read each other's records (evolution by field
//! number), a record of another message is refused by name, bad frames are refused with their
//! place, and confluent-kafka's Python serde reads and writes the same records.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use spate_connectors::kafka::protobuf::ProtobufSerde;
use spate_registry_client::{ClientConfig, RegistryClient};
use spate_schema_registry::{MemoryLog, Service, http};

fn registry() -> Arc<RegistryClient> {
    client(&serve())
}

/// Serves a fresh registry on 127.0.0.1; returns its URL.
fn serve() -> String {
    let service = Arc::new(Service::open(Box::new(MemoryLog::default())).expect("opens"));
    http::serve_in_background(http::router(service, None)).expect("serves")
}

fn client(url: &str) -> Arc<RegistryClient> {
    Arc::new(RegistryClient::new(&ClientConfig::new(url)).expect("client"))
}

/// What producers wrote last year.
#[derive(Clone, PartialEq, prost::Message)]
struct OldClick {
    #[prost(int64, tag = "1")]
    user: i64,
    #[prost(string, tag = "2")]
    referrer: String,
}

const OLD_PROTO: &str = r#"syntax = "proto3";
package shop;
message Click {
  int64 user = 1;
  string referrer = 2;
}
"#;

/// Today's type: a field added (and a second message in the file).
#[derive(Clone, PartialEq, prost::Message)]
struct Click {
    #[prost(int64, tag = "1")]
    user: i64,
    #[prost(string, tag = "2")]
    referrer: String,
    #[prost(string, tag = "3")]
    page: String,
}

#[derive(Clone, PartialEq, prost::Message)]
struct Order {
    #[prost(int64, tag = "1")]
    id: i64,
}

const PROTO: &str = r#"syntax = "proto3";
package shop;
message Click {
  int64 user = 1;
  string referrer = 2;
  string page = 3;
}
message Order {
  int64 id = 1;
}
"#;

fn today() -> Click {
    Click {
        user: 1 << 40,
        referrer: "ads".into(),
        page: "/cart".into(),
    }
}

fn bytes_of<T: prost::Message + Default>(serde: &ProtobufSerde<T>, value: &T) -> Vec<u8> {
    let mut out = Vec::new();
    serde.serialize(value, &mut out).expect("writes");
    out
}

#[test]
fn versions_of_a_message_read_each_others_records() {
    let client = registry();
    let old = ProtobufSerde::<OldClick>::new(client.clone(), "clicks-value", OLD_PROTO, "shop.Click")
        .expect("serde");
    // A name relative to the file's package works too.
    let new = ProtobufSerde::<Click>::new(client.clone(), "clicks-value", PROTO, "Click").expect("serde");
    assert_eq!(new.message_name(), "shop.Click");
    let old_bytes = bytes_of(
        &old,
        &OldClick {
            user: 7,
            referrer: "mail".into(),
        },
    );
    let new_bytes = bytes_of(&new, &today());
    // Confluent's frame: magic 0, the id, the indexes [0] as the single byte 0.
    assert_eq!(old_bytes[..6], [0, 0, 0, 0, 1, 0]);
    assert_eq!(new_bytes[..6], [0, 0, 0, 0, 2, 0], "a second version, compatible");
    let here = || "test".to_string();
    assert_eq!(
        new.deserialize(&old_bytes, here).expect("an old record reads"),
        Click {
            user: 7,
            referrer: "mail".into(),
            page: String::new(),
        }
    );
    assert_eq!(new.deserialize(&new_bytes, here).expect("reads"), today());
    // The old type skips the field it does not know.
    assert_eq!(
        old.deserialize(&new_bytes, here).expect("a newer record reads"),
        OldClick {
            user: 1 << 40,
            referrer: "ads".into(),
        }
    );
    // Schemas are fetched once per id, registrations made once, in this thread and another.
    let sent = client.requests_sent();
    for _ in 0..100 {
        new.deserialize(&old_bytes, here).expect("reads");
        old.deserialize(&new_bytes, here).expect("reads");
        new.serialize(&today(), &mut Vec::new()).expect("writes");
    }
    std::thread::scope(|s| {
        s.spawn(|| {
            for _ in 0..100 {
                new.deserialize(&old_bytes, here).expect("reads");
            }
        });
    });
    assert_eq!(client.requests_sent(), sent);
}

#[test]
fn records_of_another_message_are_refused_by_name() {
    let client = registry();
    let clicks =
        ProtobufSerde::<Click>::new(client.clone(), "shop-value", PROTO, "shop.Click").expect("serde");
    let orders =
        ProtobufSerde::<Order>::new(client.clone(), "shop-value", PROTO, "shop.Order").expect("serde");
    let order = bytes_of(&orders, &Order { id: 5 });
    // The file's second message: count 1 (zig-zag 2), index 1 (zig-zag 2).
    assert_eq!(order[..7], [0, 0, 0, 0, 1, 2, 2]);
    assert_eq!(
        orders.deserialize(&order, || "t".into()).expect("reads"),
        Order { id: 5 }
    );
    let place = || "topic shop, partition 0, offset 3".to_string();
    let e = clicks.deserialize(&order, place).unwrap_err().to_string();
    assert_eq!(
        e,
        "topic shop, partition 0, offset 3: schema id 1: the record is a shop.Order \
         (message indexes [1]), not a shop.Click"
    );
    // A file that does not define the type at all, same position [0].
    const PAYMENT: &str = "syntax = \"proto3\";\npackage pay;\nmessage Payment { int64 id = 1; }\n";
    let payments = ProtobufSerde::<Order>::new(client, "pay-value", PAYMENT, "pay.Payment").expect("serde");
    let payment = bytes_of(&payments, &Order { id: 9 });
    let e = clicks.deserialize(&payment, place).unwrap_err().to_string();
    assert!(e.contains("schema id 2: the record is a pay.Payment"), "{e}");
    assert!(e.contains("not a shop.Click"), "{e}");
}

#[test]
fn bad_frames_are_errors_with_their_place() {
    let client = registry();
    let serde = ProtobufSerde::<Click>::new(client.clone(), "c-value", PROTO, "shop.Click").expect("serde");
    let good = bytes_of(&serde, &today());
    let avro_id = client
        .register("a-value", "AVRO", r#"{"type":"record","name":"A","fields":[]}"#)
        .expect("registers");
    let mut avro = Vec::new();
    spate_registry_client::wire::write_header(avro_id, &mut avro);
    avro.push(0);
    let place = || "topic t, partition 0, offset 9".to_string();
    for (bad, expected) in [
        (vec![], "empty"),
        (vec![3, 0, 0, 0, 1, 0], "magic byte 3"),
        (vec![0, 0, 0, 0, 99, 0, 8, 1], "40403"),
        (vec![0, 0, 0, 0, 1], "schema id 1: invalid message indexes"),
        // Count 2, one index.
        (vec![0, 0, 0, 0, 1, 4, 0], "schema id 1: invalid message indexes"),
        (
            vec![0, 0, 0, 0, 1, 2, 10, 8, 1],
            "schema id 1: invalid message indexes: [5] names no message",
        ),
        (
            good[..good.len() - 1].to_vec(),
            "schema id 1: not a valid shop.Click",
        ),
        (avro, "is AVRO, not PROTOBUF"),
    ] {
        let e = serde.deserialize(&bad, place).unwrap_err().to_string();
        assert!(e.starts_with("topic t, partition 0, offset 9: "), "{e}");
        assert!(e.contains(expected), "{expected}: {e}");
    }
}

#[test]
fn schemas_that_cannot_frame_the_type_are_refused_at_construction() {
    let client = registry();
    let e = ProtobufSerde::<Click>::new(client.clone(), "s", PROTO, "shop.Nope")
        .unwrap_err()
        .to_string();
    assert!(e.contains("no message 'shop.Nope'"), "{e}");
    assert!(e.contains("shop.Click, shop.Order"), "{e}");
    let e = ProtobufSerde::<Click>::new(
        client.clone(),
        "s",
        "syntax = \"proto3\"; message M { int32 a = 1; int32 b = 1; }",
        "M",
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("the Protobuf schema of"), "{e}");
    // A message of an import has no indexes in the registered file.
    let with_import = "syntax = \"proto3\";\nimport \"google/protobuf/timestamp.proto\";\nmessage M { google.protobuf.Timestamp at = 1; }\n";
    let e = ProtobufSerde::<Click>::new(client, "s", with_import, "google.protobuf.Timestamp")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("defined in the imported 'google/protobuf/timestamp.proto'"),
        "{e}"
    );
}

#[test]
fn a_descriptor_set_is_registered_as_its_file() {
    let client = registry();
    let compiled = spate_protobuf::ProtoSchema::parse(PROTO, &[]).expect("compiles");
    let set = prost::Message::encode_to_vec(&spate_protobuf::prost_reflect::prost_types::FileDescriptorSet {
        file: vec![compiled.descriptor_proto().clone()],
    });
    let from_set = ProtobufSerde::<Order>::from_descriptor_set(client.clone(), "o-value", &set, "shop.Order")
        .expect("serde");
    let from_text = ProtobufSerde::<Order>::new(client, "o-value", PROTO, "shop.Order").expect("serde");
    let bytes = bytes_of(&from_set, &Order { id: 3 });
    assert_eq!(bytes[..7], [0, 0, 0, 0, 1, 2, 2]);
    assert_eq!(
        from_text.deserialize(&bytes, || "t".into()).expect("reads"),
        Order { id: 3 }
    );
    // The same file as text registers as the same schema.
    assert_eq!(bytes_of(&from_text, &Order { id: 3 }), bytes);
}

fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("SPATE_TEST_PYTHON") {
        return p.into();
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.tools/venv/bin/python")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

#[test]
fn confluents_python_serde_reads_and_writes_the_same_records() {
    let url = serve();
    let client = client(&url);
    let serde =
        ProtobufSerde::<Click>::new(client.clone(), "clicks-value", PROTO, "shop.Click").expect("serde");
    let ours = bytes_of(&serde, &today());
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/protobuf_interop.py");
    let out = Command::new(python())
        .arg(script)
        .arg(&url)
        .arg(hex(&ours))
        .output()
        .expect("the test virtualenv's python (scripts/install-deps.sh) runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let o: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(o["read"], serde_json::json!([1_i64 << 40, "ads", "/cart"]), "{o}");
    let theirs = unhex(o["written"].as_str().expect("hex"));
    // Python registered its own file (shop/click.proto, as a descriptor) under its subject.
    assert_eq!(theirs[..6], [0, 0, 0, 0, 2, 0], "{o}");
    assert_eq!(
        serde.deserialize(&theirs, || "py".into()).expect("reads"),
        Click {
            user: 1 << 40,
            referrer: "mail".into(),
            page: "/home".into(),
        }
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

    /// Whatever follows a known id — indexes cut anywhere, garbage for a message — is a value
    /// or an error, never a panic.
    #[test]
    fn any_payload_reads_without_panic(tail in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40)) {
        static SERDE: std::sync::OnceLock<ProtobufSerde<Click>> = std::sync::OnceLock::new();
        let serde = SERDE.get_or_init(|| {
            let serde = ProtobufSerde::<Click>::new(registry(), "p-value", PROTO, "shop.Click").expect("serde");
            bytes_of(&serde, &today());
            serde
        });
        let mut bytes = vec![0, 0, 0, 0, 1];
        bytes.extend_from_slice(&tail);
        let _ = serde.deserialize(&bytes, || "p".into());
    }
}
