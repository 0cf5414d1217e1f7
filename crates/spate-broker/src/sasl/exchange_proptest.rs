//! Property test of the whole pre-authentication state machine ([`Authenticator`]): sequences
//! of random, mutated and truncated SaslHandshake / SaslAuthenticate frames (and frames of
//! other APIs), with PLAIN and SCRAM tokens ranging from garbage through near-misses to huge,
//! never panic, always end in a well-formed reply or a close, and never authenticate anyone
//! without the password. The socket-level counterpart is `tests/it/sasl.rs`.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::{
    ApiKey, RequestHeader, ResponseHeader, SaslAuthenticateRequest, SaslAuthenticateResponse,
    SaslHandshakeRequest, SaslHandshakeResponse,
};
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};
use proptest::prelude::*;

use super::authenticator::{Authenticator, SaslSettings, Step};
use super::credentials::CredentialStore;
use super::failure_limiter::PlainLoginLimits;
use super::plain_verifier::PlainVerifier;
use spate_kafka_security::SaslMechanism;

/// One request a client may send before it is authenticated.
#[derive(Debug, Clone)]
enum Message {
    Handshake {
        version: i16,
        mechanism: String,
    },
    Authenticate {
        version: i16,
        token: Vec<u8>,
    },
    /// Any other API key with any body.
    Other {
        api_key: i16,
        body: Vec<u8>,
    },
}

/// A message and what happens to its frame on the way.
#[derive(Debug, Clone)]
struct Sent {
    message: Message,
    /// XOR `mask` into the byte at `at` (modulo the frame's length).
    flip: Option<(usize, u8)>,
    /// Keep only this many bytes (modulo the frame's length + 1).
    truncate: Option<usize>,
}

fn frame(message: &Message, correlation_id: i32) -> Bytes {
    let mut buf = BytesMut::new();
    let (api_key, version) = match message {
        Message::Handshake { version, .. } => (ApiKey::SaslHandshake, *version),
        Message::Authenticate { version, .. } => (ApiKey::SaslAuthenticate, *version),
        Message::Other { api_key, body } => {
            buf.extend_from_slice(&api_key.to_be_bytes());
            buf.extend_from_slice(&0i16.to_be_bytes());
            buf.extend_from_slice(&correlation_id.to_be_bytes());
            buf.extend_from_slice(body);
            return buf.freeze();
        }
    };
    let header = RequestHeader::default()
        .with_request_api_key(api_key as i16)
        .with_request_api_version(version)
        .with_correlation_id(correlation_id)
        .with_client_id(Some(StrBytes::from_static_str("proptest")));
    // Versions the codec does not know are encoded at the nearest it does; the header still
    // names the requested one, which is what the broker must cope with.
    let header_version = api_key.request_header_version(version.clamp(0, 2));
    header.encode(&mut buf, header_version).unwrap();
    match message {
        Message::Handshake { version, mechanism } => SaslHandshakeRequest::default()
            .with_mechanism(StrBytes::from_string(mechanism.clone()))
            .encode(&mut buf, (*version).clamp(0, 1))
            .unwrap(),
        Message::Authenticate { version, token } => SaslAuthenticateRequest::default()
            .with_auth_bytes(Bytes::from(token.clone()))
            .encode(&mut buf, (*version).clamp(0, 2))
            .unwrap(),
        Message::Other { .. } => unreachable!(),
    }
    buf.freeze()
}

fn mangled(sent: &Sent, correlation_id: i32) -> Bytes {
    let mut bytes = frame(&sent.message, correlation_id).to_vec();
    if let Some((at, mask)) = sent.flip
        && !bytes.is_empty()
    {
        let i = at % bytes.len();
        bytes[i] ^= mask;
    }
    if let Some(keep) = sent.truncate {
        bytes.truncate(keep % (bytes.len() + 1));
    }
    Bytes::from(bytes)
}

fn mechanism_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("PLAIN".to_string()),
        Just("SCRAM-SHA-256".to_string()),
        Just("SCRAM-SHA-512".to_string()),
        Just("GSSAPI".to_string()),
        "\\PC{0,20}",
    ]
}

/// Tokens from pure noise to near-misses of what a real client sends, and huge ones.
fn token() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..300),
        // SCRAM client-first-like.
        "[nyp](=[a-z-]{0,8})?,(a=[a-z=2CD]{0,6})?,n=(alice|[a-z=2CD,]{0,8}),r=[!-~]{0,12}(,[a-z]=[!-~]{0,6}){0,2}"
            .prop_map(String::into_bytes),
        // SCRAM client-final-like.
        "c=[A-Za-z0-9+/=]{0,12},r=[!-~]{0,40}(,p=[A-Za-z0-9+/=]{0,90})?(,[a-z]=[!-~]{0,6}){0,2}"
            .prop_map(String::into_bytes),
        // PLAIN-like, including the right password (then often mangled) and near misses.
        Just(b"\0alice\0wonderland".to_vec()),
        "(alice)?\0(alice|[a-z]{0,6})\0(wonderland|[!-~]{0,12})(\0[a-z]{0,3})?".prop_map(String::into_bytes),
        // Huge: far beyond any real token (the listener caps frames, this checks the parsers).
        (0usize..3, 100_000usize..600_000).prop_map(|(kind, n)| match kind {
            0 => vec![b'n'; n],
            1 => format!("n,,n={},r=x", "a".repeat(n)).into_bytes(),
            _ => format!("c=biws,r={},p=AAAA", "r".repeat(n)).into_bytes(),
        }),
    ]
}

fn message() -> impl Strategy<Value = Message> {
    prop_oneof![
        3 => (prop_oneof![Just(1i16), -1i16..4], mechanism_name())
            .prop_map(|(version, mechanism)| Message::Handshake { version, mechanism }),
        6 => (prop_oneof![0i16..=2, -1i16..5], token())
            .prop_map(|(version, token)| Message::Authenticate { version, token }),
        1 => (any::<i16>(), proptest::collection::vec(any::<u8>(), 0..64))
            .prop_map(|(api_key, body)| Message::Other { api_key, body }),
    ]
}

fn sent() -> impl Strategy<Value = Sent> {
    (
        message(),
        proptest::option::weighted(0.2, (any::<usize>(), 1u8..=255)),
        proptest::option::weighted(0.1, any::<usize>()),
    )
        .prop_map(|(message, flip, truncate)| Sent {
            message,
            flip,
            truncate,
        })
}

/// A reply frame: length prefix right, and (for SASL replies) a body that decodes.
fn check_reply(reply: &Bytes, api_key: Option<ApiKey>, version: i16) -> Option<i16> {
    assert!(reply.len() >= 8, "reply of {} bytes", reply.len());
    let len = i32::from_be_bytes([reply[0], reply[1], reply[2], reply[3]]);
    assert_eq!(len as usize, reply.len() - 4, "length prefix");
    let mut body = reply.slice(4..);
    if let Some(key) = api_key {
        ResponseHeader::decode(&mut body, key.response_header_version(version)).unwrap();
    }
    match api_key {
        Some(ApiKey::SaslHandshake) => Some(
            SaslHandshakeResponse::decode(&mut body, version)
                .unwrap()
                .error_code,
        ),
        Some(ApiKey::SaslAuthenticate) => {
            let r = SaslAuthenticateResponse::decode(&mut body, version).unwrap();
            if r.error_code != 0 {
                let message = r.error_message.map(|m| m.to_string()).unwrap_or_default();
                assert!(!message.contains("alice"), "a failure names no user: {message}");
            }
            Some(r.error_code)
        }
        _ => None,
    }
}

fn settings_store() -> (tempfile::TempDir, Arc<CredentialStore>) {
    let dir = tempfile::tempdir().unwrap();
    let store = CredentialStore::open(dir.path()).unwrap();
    // The iteration minimum keeps a PLAIN check cheap enough for hundreds of cases.
    store
        .set_password("alice", SaslMechanism::ScramSha512, "wonderland", 4096)
        .unwrap();
    (dir, Arc::new(store))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn any_exchange_ends_in_a_reply_or_a_close_and_needs_the_password(
        exchange in proptest::collection::vec(sent(), 1..6),
    ) {
        let (_dir, credentials) = settings_store();
        let mechanisms = [SaslMechanism::Plain, SaslMechanism::ScramSha256, SaslMechanism::ScramSha512];
        let settings = SaslSettings {
            credentials: &credentials,
            mechanisms: &mechanisms,
            secret: b"proptest secret",
            plain: &PlainVerifier::new(&PlainLoginLimits::default()),
            peer: std::net::Ipv4Addr::LOCALHOST.into(),
        };
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let mut auth = Authenticator::new();
        for (i, sent) in exchange.iter().enumerate() {
            let frame = mangled(sent, i as i32);
            let sent_key = (frame.len() >= 4)
                .then(|| i16::from_be_bytes([frame[0], frame[1]]))
                .and_then(|k| ApiKey::try_from(k).ok());
            let version = if frame.len() >= 4 { i16::from_be_bytes([frame[2], frame[3]]) } else { -1 };
            let untouched = sent.flip.is_none() && sent.truncate.is_none();
            match runtime.block_on(auth.handle(&settings, frame)) {
                Step::Dispatch(f) => {
                    prop_assert_eq!(sent_key, Some(ApiKey::ApiVersions));
                    prop_assert!(f.len() >= 2);
                }
                Step::Reply(reply) => {
                    let code = check_reply(&reply, sent_key, version);
                    prop_assert_eq!(code, Some(0), "a reply that goes on is a success");
                }
                Step::Authenticated { reply, user } => {
                    check_reply(&reply, sent_key, version);
                    // Only the password authenticates: the PLAIN token carries it, and no
                    // generated SCRAM proof can be right.
                    prop_assert_eq!(user.as_str(), "alice");
                    let plain_ok = matches!(&sent.message, Message::Authenticate { token, .. }
                        if token.as_slice() == b"\0alice\0wonderland" || token.as_slice() == b"alice\0alice\0wonderland");
                    prop_assert!(plain_ok || !untouched, "authenticated by {:?}", sent.message);
                    break;
                }
                Step::Failed { reply, reason } => {
                    let code = check_reply(&reply, sent_key, version);
                    prop_assert!(code.is_some_and(|c| c != 0), "a failure carries an error code");
                    prop_assert!(!reason.is_empty());
                    break;
                }
                Step::Close(reason) => {
                    prop_assert!(!reason.is_empty());
                    break;
                }
            }
        }
    }
}

/// The harness speaks the protocol: known exchanges end as they must, so the property above
/// is not vacuously about frames the authenticator never reads.
#[test]
fn known_exchanges_end_as_expected() {
    let (_dir, credentials) = settings_store();
    let mechanisms = [SaslMechanism::Plain, SaslMechanism::ScramSha512];
    let settings = SaslSettings {
        credentials: &credentials,
        mechanisms: &mechanisms,
        secret: b"s",
        plain: &PlainVerifier::new(&PlainLoginLimits::default()),
        peer: std::net::Ipv4Addr::LOCALHOST.into(),
    };
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let run = |messages: Vec<Message>| {
        let mut auth = Authenticator::new();
        let mut steps = Vec::new();
        for (i, m) in messages.iter().enumerate() {
            steps.push(runtime.block_on(auth.handle(&settings, frame(m, i as i32))));
        }
        steps
    };
    let handshake = |mechanism: &str| Message::Handshake {
        version: 1,
        mechanism: mechanism.into(),
    };
    let authenticate = |token: &[u8]| Message::Authenticate {
        version: 2,
        token: token.to_vec(),
    };
    let steps = run(vec![handshake("PLAIN"), authenticate(b"\0alice\0wonderland")]);
    assert!(matches!(&steps[0], Step::Reply(_)), "{steps:?}");
    assert!(
        matches!(&steps[1], Step::Authenticated { user, .. } if user == "alice"),
        "{steps:?}"
    );
    let steps = run(vec![handshake("PLAIN"), authenticate(b"\0alice\0alice")]);
    assert!(matches!(&steps[1], Step::Failed { .. }), "{steps:?}");
    let steps = run(vec![
        handshake("SCRAM-SHA-512"),
        authenticate(b"n,,n=alice,r=abc"),
        authenticate(b"c=biws,r=abc,p=AAAA"),
    ]);
    assert!(matches!(&steps[1], Step::Reply(_)), "{steps:?}");
    assert!(matches!(&steps[2], Step::Failed { .. }), "{steps:?}");
    let steps = run(vec![handshake("SCRAM-SHA-256")]);
    assert!(matches!(&steps[0], Step::Failed { .. }), "not enabled: {steps:?}");
    let steps = run(vec![authenticate(b"n,,n=alice,r=abc")]);
    assert!(matches!(&steps[0], Step::Close(_)), "no handshake: {steps:?}");
}

/// One input of the `sasl_exchange` fuzz target: a byte choosing the enabled mechanisms
/// (bit 0 PLAIN, bit 1 SCRAM-SHA-256, bit 2 SCRAM-SHA-512), then frames, each behind a
/// big-endian u16 length.
fn fuzz_input(mechanisms: u8, messages: &[Message]) -> Vec<u8> {
    let mut out = vec![mechanisms];
    for (i, m) in messages.iter().enumerate() {
        let f = frame(m, i as i32);
        out.extend_from_slice(&(f.len() as u16).to_be_bytes());
        out.extend_from_slice(&f);
    }
    out
}

/// Writes the seeds of the `sasl_exchange` fuzz target into `$SPATE_FUZZ_SEED_DIR`:
/// `SPATE_FUZZ_SEED_DIR=$PWD/fuzz/corpus/sasl_exchange cargo test -p spate-broker --lib
/// write_sasl_fuzz_seeds -- --ignored`.
#[test]
#[ignore = "writes files; run by hand to regenerate the fuzz seeds"]
fn write_sasl_fuzz_seeds() {
    let dir = std::path::PathBuf::from(std::env::var("SPATE_FUZZ_SEED_DIR").expect("SPATE_FUZZ_SEED_DIR"));
    std::fs::create_dir_all(&dir).unwrap();
    let handshake = |mechanism: &str| Message::Handshake {
        version: 1,
        mechanism: mechanism.into(),
    };
    let authenticate = |token: &[u8]| Message::Authenticate {
        version: 2,
        token: token.to_vec(),
    };
    let api_versions = Message::Other {
        api_key: ApiKey::ApiVersions as i16,
        body: vec![0; 4],
    };
    let metadata = Message::Other {
        api_key: ApiKey::Metadata as i16,
        body: vec![0; 8],
    };
    let seeds = [
        (
            "plain-right",
            7,
            vec![handshake("PLAIN"), authenticate(b"\0alice\0wonderland")],
        ),
        (
            "plain-authzid",
            1,
            vec![handshake("PLAIN"), authenticate(b"bob\0bob\0builder")],
        ),
        (
            "plain-wrong",
            7,
            vec![handshake("PLAIN"), authenticate(b"\0alice\0guess")],
        ),
        (
            "plain-unknown-user",
            7,
            vec![handshake("PLAIN"), authenticate(b"\0carol\0x")],
        ),
        (
            "plain-then-metadata",
            7,
            vec![api_versions.clone(), handshake("PLAIN"), metadata],
        ),
        (
            "scram-sha-512",
            4,
            vec![
                handshake("SCRAM-SHA-512"),
                authenticate(b"n,,n=alice,r=fyko+d2lbbFgONRv9qkxdawL"),
                authenticate(
                    b"c=biws,r=fyko+d2lbbFgONRv9qkxdawLserver,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
                ),
            ],
        ),
        (
            "scram-sha-256-unknown-user",
            2,
            vec![
                api_versions,
                handshake("SCRAM-SHA-256"),
                authenticate(b"n,a=carol,n=carol,r=abc,ext=1"),
                authenticate(b"c=biwsYT1jYXJvbCw=,r=abcdef,p=AAAA"),
            ],
        ),
        ("scram-not-enabled", 1, vec![handshake("SCRAM-SHA-256")]),
    ];
    for (name, mechanisms, messages) in seeds {
        std::fs::write(dir.join(name), fuzz_input(mechanisms, &messages)).unwrap();
    }
}
