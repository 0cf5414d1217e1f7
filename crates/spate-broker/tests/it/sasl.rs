//! SASL on a SASL_PLAINTEXT listener: librdkafka (PLAIN, and SCRAM-SHA-512 now that it is
//! built with OpenSSL; tests/tls.rs has SCRAM over SASL_SSL) and raw protocol frames for what a real client never sends (requests before authentication, huge and
//! malformed tokens, a storm of garbage exchanges beside a logged-in client), plus a
//! SCRAM-SHA-512 exchange and credential management over the wire.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use bytes::Bytes;
use common::raw::{RawConnection, encode_frame};
use common::{TestBroker, client_config, consume};
use hmac::{Hmac, Mac};
use kafka_protocol::ResponseError;
use kafka_protocol::messages::alter_user_scram_credentials_request::ScramCredentialUpsertion;
use kafka_protocol::messages::describe_user_scram_credentials_request::UserName;
use kafka_protocol::messages::{
    AlterUserScramCredentialsRequest, ApiVersionsRequest, DescribeUserScramCredentialsRequest,
    MetadataRequest, SaslAuthenticateRequest, SaslHandshakeRequest,
};
use kafka_protocol::protocol::StrBytes;
use rdkafka::Offset;
use rdkafka::client::ClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::error::KafkaError;
use rdkafka::producer::{FutureProducer, FutureRecord};
use sha2::{Digest, Sha512};
use spate_broker::credentials::CredentialStore;
use spate_broker::{SaslMechanism, Setting};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const TIMEOUT: Duration = Duration::from_secs(10);

/// A broker with a PLAINTEXT and a SASL_PLAINTEXT listener and the user alice/wonderland.
async fn secured(tweak: impl FnOnce(&mut spate_broker::BrokerConfig)) -> (TestBroker, String) {
    let broker = TestBroker::start_with(|c| {
        c.apply_properties(&[Setting::new(
            "listeners",
            "PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0",
            "test",
        )])
        .unwrap();
        // Before the first start, as `spate users add --data-dir` does it.
        CredentialStore::open(&c.data_dir)
            .unwrap()
            .set_password("alice", SaslMechanism::ScramSha512, "wonderland", 4096)
            .unwrap();
        // These tests are about authentication; ACLs (on by default with a SASL listener) are
        // tests/acls.rs's. Without the authorizer, credentials are the super users' to manage.
        c.authorizer = Some(false);
        tweak(c);
    })
    .await;
    let sasl = broker.handle.bootstrap_servers_of("SASL_PLAINTEXT").unwrap();
    (broker, sasl)
}

fn plain_client(bootstrap: &str, user: &str, password: &str) -> rdkafka::ClientConfig {
    let mut c = client_config(bootstrap);
    c.set("security.protocol", "SASL_PLAINTEXT")
        .set("sasl.mechanism", "PLAIN")
        .set("sasl.username", user)
        .set("sasl.password", password);
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rdkafka_plain_produces_and_consumes_with_the_right_password_only() {
    let (broker, sasl) = secured(|_| {}).await;
    broker.create_topic("secret", 1);
    let producer: FutureProducer = plain_client(&sasl, "alice", "wonderland").create().unwrap();
    for i in 0..3 {
        producer
            .send(
                FutureRecord::<(), _>::to("secret").payload(&format!("s{i}")),
                TIMEOUT,
            )
            .await
            .unwrap();
    }
    // Consumed through the PLAINTEXT listener: one log behind both.
    let got = consume(&broker.bootstrap(), "secret", &[(0, Offset::Beginning)], 3).await;
    assert_eq!(got.len(), 3);

    let wrong = plain_client(&sasl, "alice", "looking-glass");
    let unknown = plain_client(&sasl, "mallory", "wonderland");
    let errors = tokio::task::spawn_blocking(move || [wrong, unknown].map(client_errors))
        .await
        .unwrap();
    for e in errors {
        assert!(
            e.contains("SASL authentication error: Authentication failed"),
            "{e}"
        );
    }
    // The broker goes on serving the authenticated client.
    producer
        .send(FutureRecord::<(), _>::to("secret").payload("after"), TIMEOUT)
        .await
        .unwrap();
    assert_eq!(broker.log_end_offset("secret", 0), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rdkafka_scram_sha_512_produces_with_the_right_password_only() {
    let (broker, sasl) = secured(|_| {}).await;
    broker.create_topic("scram", 1);
    let scram = |password: &str| {
        let mut c = plain_client(&sasl, "alice", password);
        c.set("sasl.mechanism", "SCRAM-SHA-512");
        c
    };
    let producer: FutureProducer = scram("wonderland").create().unwrap();
    producer
        .send(FutureRecord::<(), _>::to("scram").payload("s"), TIMEOUT)
        .await
        .unwrap();
    assert_eq!(broker.log_end_offset("scram", 0), 1);
    let wrong = scram("looking-glass");
    let e = tokio::task::spawn_blocking(move || client_errors(wrong))
        .await
        .unwrap();
    assert!(e.contains("SASL authentication error"), "{e}");
}

/// Records what librdkafka reports through its error callback (where authentication failures
/// go; the request itself only fails with a transport error).
#[derive(Default)]
struct ErrorLog(Mutex<Vec<String>>);

impl ClientContext for ErrorLog {
    fn error(&self, error: KafkaError, reason: &str) {
        self.0.lock().unwrap().push(format!("{error}: {reason}"));
    }
}
impl ConsumerContext for ErrorLog {}

/// The errors a client reports while failing to fetch metadata, until one mentions SASL.
fn client_errors(config: rdkafka::ClientConfig) -> String {
    let consumer: BaseConsumer<ErrorLog> = config.create_with_context(ErrorLog::default()).unwrap();
    let deadline = Instant::now() + TIMEOUT;
    loop {
        assert!(
            consumer.fetch_metadata(None, Duration::from_millis(500)).is_err(),
            "metadata with a bad password"
        );
        // Error events reach the callback when the client is polled.
        assert!(
            consumer
                .poll(Duration::from_millis(100))
                .is_none_or(|m| m.is_err())
        );
        let log = consumer.context().0.lock().unwrap().join("; ");
        if log.contains("SASL") || Instant::now() > deadline {
            return log;
        }
    }
}

#[tokio::test]
async fn unauthenticated_connections_get_only_api_versions_and_the_handshake() {
    let (broker, sasl) = secured(|_| {}).await;
    let mut conn = RawConnection::connect(&sasl).await;
    let versions = conn.call(&ApiVersionsRequest::default(), 3).await;
    assert_eq!(versions.error_code, 0);
    assert!(
        versions.api_keys.iter().any(|k| k.api_key == 17),
        "SaslHandshake offered"
    );
    let (id, frame) = conn.frame(&MetadataRequest::default(), 12);
    conn.send_raw(&frame).await;
    let _ = id;
    conn.expect_closed().await;

    // A frame larger than sasl.server.max.receive.size closes the connection before its body
    // is read (the body is never sent).
    let mut conn = RawConnection::connect(&sasl).await;
    conn.send_raw(&(64 * 1024 * 1024_i32).to_be_bytes()).await;
    conn.expect_closed().await;

    // Handshake on the PLAINTEXT listener: ILLEGAL_SASL_STATE, as Kafka answers.
    let mut conn = RawConnection::connect(&broker.bootstrap()).await;
    let r = conn
        .call(
            &SaslHandshakeRequest::default().with_mechanism(StrBytes::from_static_str("PLAIN")),
            1,
        )
        .await;
    assert_eq!(r.error_code, ResponseError::IllegalSaslState.code());

    // An unknown mechanism: the enabled ones are listed, then the connection closes.
    let mut conn = RawConnection::connect(&sasl).await;
    let r = conn
        .call(
            &SaslHandshakeRequest::default().with_mechanism(StrBytes::from_static_str("GSSAPI")),
            1,
        )
        .await;
    assert_eq!(r.error_code, ResponseError::UnsupportedSaslMechanism.code());
    let offered: Vec<&str> = r.mechanisms.iter().map(|m| m.as_str()).collect();
    assert_eq!(offered, ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]);
    conn.expect_closed().await;
}

#[tokio::test]
async fn malformed_tokens_fail_late_and_close_without_harm() {
    let delay = Duration::from_millis(300);
    let (_broker, sasl) = secured(|c| c.failed_authentication_delay = delay).await;
    for (mechanism, token) in [
        ("SCRAM-SHA-512", &b"\xff\x00garbage"[..]),
        ("SCRAM-SHA-512", b"n,,n=alice"),
        ("PLAIN", b"no separators at all"),
        ("PLAIN", b"\0alice\0wrong"),
    ] {
        let mut conn = RawConnection::connect(&sasl).await;
        handshake(&mut conn, mechanism).await;
        let started = Instant::now();
        let r = conn
            .call(
                &SaslAuthenticateRequest::default().with_auth_bytes(Bytes::from_static(token)),
                2,
            )
            .await;
        assert_eq!(
            r.error_code,
            ResponseError::SaslAuthenticationFailed.code(),
            "{token:?}"
        );
        assert!(
            started.elapsed() >= delay,
            "a failure is answered only after the delay"
        );
        // The message is generic: it does not say whether the user exists.
        let message = r.error_message.unwrap();
        assert!(
            !message.contains("alice") && !message.contains("unknown"),
            "{message}"
        );
        conn.expect_closed().await;
    }
    // Still serving: a good exchange on a fresh connection works.
    let mut conn = RawConnection::connect(&sasl).await;
    scram_sha512_login(&mut conn, "alice", "wonderland")
        .await
        .unwrap();
}

/// Deterministic noise (xorshift), so a failure replays.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// What one misbehaving client sends: a few SASL frames that are random, mutated or huge, then
/// a request that has no place before authentication, so every sequence must end in a close.
fn garbage_exchange(noise: &mut Noise, max_receive: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for id in 1..=1 + noise.below(4) as i32 {
        let mut frame = match noise.below(7) {
            0 => {
                let mechanism = [
                    "PLAIN",
                    "SCRAM-SHA-512",
                    "SCRAM-SHA-256",
                    "OAUTHBEARER",
                    "\u{0}\u{ff}",
                ][noise.below(5) as usize];
                let request =
                    SaslHandshakeRequest::default().with_mechanism(StrBytes::from_static_str(mechanism));
                encode_frame(&request, 1, id).to_vec()
            }
            1 => {
                let len = noise.below(400) as usize;
                encode_frame(&auth_request(noise.bytes(len)), noise.below(3) as i16, id).to_vec()
            }
            2 => {
                let token = match noise.below(4) {
                    0 => format!("n,,n=alice,r={}", "x".repeat(noise.below(64) as usize)),
                    1 => format!(
                        "c=biws,r={},p={}",
                        "y".repeat(40),
                        "A".repeat(noise.below(200) as usize)
                    ),
                    2 => format!("\0alice\0{}", "p".repeat(noise.below(50) as usize)),
                    _ => format!("n,,n={}=,r=", "=2C".repeat(noise.below(100) as usize)),
                };
                encode_frame(&auth_request(token.into_bytes()), 2, id).to_vec()
            }
            // Huge, but under sasl.server.max.receive.size: read and parsed whole.
            3 => encode_frame(&auth_request(vec![b'n'; max_receive - 1024]), 2, id).to_vec(),
            // A length prefix over the limit: closed before the body is read.
            4 => ((max_receive + 1 + noise.below(1 << 20) as usize) as i32)
                .to_be_bytes()
                .to_vec(),
            // A well-formed length over random bytes.
            5 => {
                let len = noise.below(300) as usize;
                let body = noise.bytes(len);
                [&(body.len() as i32).to_be_bytes()[..], &body].concat()
            }
            // A valid SASL frame with one byte flipped after the length prefix.
            _ => {
                let mut f = encode_frame(&auth_request(b"n,,n=alice,r=abc".to_vec()), 2, id).to_vec();
                let at = 4 + noise.below(f.len() as u64 - 4) as usize;
                f[at] ^= 1 + noise.below(255) as u8;
                f
            }
        };
        out.append(&mut frame);
    }
    out.extend_from_slice(&encode_frame(&MetadataRequest::default(), 12, 99));
    out
}

fn auth_request(token: Vec<u8>) -> SaslAuthenticateRequest {
    SaslAuthenticateRequest::default().with_auth_bytes(Bytes::from(token))
}

/// Sends `bytes` on a new connection and waits for the broker to close it; replies before the
/// close are fine, a connection left open is not.
async fn closed_by_broker(addr: &str, bytes: Vec<u8>) {
    let mut socket = tokio::net::TcpStream::connect(addr).await.unwrap();
    // The broker may close before it has read everything: a failed write is part of the game.
    let _ = socket.write_all(&bytes).await;
    let mut sink = Vec::new();
    let _ = tokio::time::timeout(TIMEOUT, socket.read_to_end(&mut sink))
        .await
        .expect("the broker kept a misbehaving connection open");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_sasl_exchanges_close_only_their_own_connections() {
    let max_receive = 512 * 1024;
    let (_broker, sasl) = secured(|c| {
        c.failed_authentication_delay = Duration::from_millis(20);
        c.sasl_max_receive_bytes = max_receive;
    })
    .await;
    // A client logged in before the storm keeps being served through it.
    let mut alice = RawConnection::connect(&sasl).await;
    scram_sha512_login(&mut alice, "alice", "wonderland")
        .await
        .unwrap();

    let mut storm = tokio::task::JoinSet::new();
    for seed in 1..=48u64 {
        let mut noise = Noise(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let bytes = garbage_exchange(&mut noise, max_receive);
        let sasl = sasl.clone();
        storm.spawn(async move { closed_by_broker(&sasl, bytes).await });
    }
    let mut served = 0;
    while !storm.is_empty() {
        let md = alice.call(&MetadataRequest::default(), 12).await;
        assert_eq!(md.brokers.len(), 1);
        served += 1;
        while let Some(done) = storm.try_join_next() {
            done.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(served > 0);
    // And a new client still logs in.
    let mut again = RawConnection::connect(&sasl).await;
    scram_sha512_login(&mut again, "alice", "wonderland")
        .await
        .unwrap();
    assert_eq!(again.call(&MetadataRequest::default(), 12).await.brokers.len(), 1);
}

async fn handshake(conn: &mut RawConnection, mechanism: &'static str) {
    let r = conn
        .call(
            &SaslHandshakeRequest::default().with_mechanism(StrBytes::from_static_str(mechanism)),
            1,
        )
        .await;
    assert_eq!(r.error_code, 0);
}

type HmacSha512 = Hmac<Sha512>;

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = HmacSha512::new_from_slice(key).unwrap();
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// RFC 5802 Hi() with HMAC-SHA-512, written out independently of the broker's.
fn salted_password(password: &str, salt: &[u8], iterations: u32) -> Vec<u8> {
    let mut u = hmac(password.as_bytes(), &[salt, &1u32.to_be_bytes()[..]].concat());
    let mut out = u.clone();
    for _ in 1..iterations {
        u = hmac(password.as_bytes(), &u);
        out.iter_mut().zip(&u).for_each(|(o, x)| *o ^= x);
    }
    out
}

/// The client side of SCRAM-SHA-512 over SaslHandshake/SaslAuthenticate. `Err` carries the
/// broker's error code.
async fn scram_sha512_login(conn: &mut RawConnection, user: &str, password: &str) -> Result<(), i16> {
    handshake(conn, "SCRAM-SHA-512").await;
    let bare = format!("n={user},r=fyko+d2lbbFgONRv9qkxdawL");
    let r = conn
        .call(
            &SaslAuthenticateRequest::default().with_auth_bytes(Bytes::from(format!("n,,{bare}"))),
            2,
        )
        .await;
    if r.error_code != 0 {
        return Err(r.error_code);
    }
    let server_first = String::from_utf8(r.auth_bytes.to_vec()).unwrap();
    let fields: Vec<&str> = server_first.split(',').collect();
    let nonce = fields[0].strip_prefix("r=").unwrap();
    assert!(nonce.starts_with("fyko+d2lbbFgONRv9qkxdawL") && nonce.len() > 30);
    let salt = B64.decode(fields[1].strip_prefix("s=").unwrap()).unwrap();
    let iterations: u32 = fields[2].strip_prefix("i=").unwrap().parse().unwrap();
    let salted = salted_password(password, &salt, iterations);
    let client_key = hmac(&salted, b"Client Key");
    let stored_key = Sha512::digest(&client_key).to_vec();
    let without_proof = format!("c=biws,r={nonce}");
    let auth_message = format!("{bare},{server_first},{without_proof}");
    let signature = hmac(&stored_key, auth_message.as_bytes());
    let proof: Vec<u8> = client_key.iter().zip(&signature).map(|(a, b)| a ^ b).collect();
    let r = conn
        .call(
            &SaslAuthenticateRequest::default()
                .with_auth_bytes(Bytes::from(format!("{without_proof},p={}", B64.encode(proof)))),
            2,
        )
        .await;
    if r.error_code != 0 {
        return Err(r.error_code);
    }
    let server_signature = hmac(&hmac(&salted, b"Server Key"), auth_message.as_bytes());
    assert_eq!(
        r.auth_bytes,
        Bytes::from(format!("v={}", B64.encode(server_signature))),
        "the broker proves it knows the credential"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scram_sha512_logs_in_and_then_serves_requests() {
    let (_broker, sasl) = secured(|_| {}).await;
    let mut conn = RawConnection::connect(&sasl).await;
    scram_sha512_login(&mut conn, "alice", "wonderland")
        .await
        .unwrap();
    let md = conn.call(&MetadataRequest::default(), 12).await;
    assert_eq!(md.brokers.len(), 1);
    let sasl_port = sasl.rsplit(':').next().unwrap().parse::<i32>().unwrap();
    assert_eq!(md.brokers[0].port, sasl_port, "advertised as the SASL listener");

    let mut conn = RawConnection::connect(&sasl).await;
    assert_eq!(
        scram_sha512_login(&mut conn, "alice", "alice").await,
        Err(ResponseError::SaslAuthenticationFailed.code())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_managed_over_the_wire_take_effect_and_survive_restarts() {
    let (broker, sasl) = secured(|c| c.super_users = vec!["User:alice".into()]).await;
    let salt = b"salt-of-carol".to_vec();
    let upsert = AlterUserScramCredentialsRequest::default().with_upsertions(vec![
        ScramCredentialUpsertion::default()
            .with_name(StrBytes::from_static_str("carol"))
            .with_mechanism(2)
            .with_iterations(4096)
            .with_salt(Bytes::from(salt.clone()))
            .with_salted_password(Bytes::from(salted_password("c4rol", &salt, 4096))),
    ]);
    // Not a super user (the PLAINTEXT listener's ANONYMOUS): refused.
    let mut anonymous = RawConnection::connect(&broker.bootstrap()).await;
    let r = anonymous.call(&upsert, 0).await;
    assert_eq!(
        r.results[0].error_code,
        ResponseError::ClusterAuthorizationFailed.code()
    );
    // alice is.
    let mut admin = RawConnection::connect(&sasl).await;
    scram_sha512_login(&mut admin, "alice", "wonderland")
        .await
        .unwrap();
    let r = admin.call(&upsert, 0).await;
    assert_eq!(r.results[0].error_code, 0, "{:?}", r.results[0].error_message);
    let too_few = AlterUserScramCredentialsRequest::default().with_upsertions(vec![
        ScramCredentialUpsertion::default()
            .with_name(StrBytes::from_static_str("dave"))
            .with_mechanism(1)
            .with_iterations(10)
            .with_salt(Bytes::from_static(b"s"))
            .with_salted_password(Bytes::from_static(b"p")),
    ]);
    let r = admin.call(&too_few, 0).await;
    assert_eq!(
        r.results[0].error_code,
        ResponseError::UnacceptableCredential.code()
    );
    let described = admin
        .call(
            &DescribeUserScramCredentialsRequest::default().with_users(Some(vec![
                UserName::default().with_name(StrBytes::from_static_str("carol")),
                UserName::default().with_name(StrBytes::from_static_str("dave")),
            ])),
            0,
        )
        .await;
    assert_eq!(described.results.len(), 2);
    assert_eq!(described.results[0].credential_infos[0].mechanism, 2);
    assert_eq!(described.results[0].credential_infos[0].iterations, 4096);
    assert_eq!(
        described.results[1].error_code,
        ResponseError::ResourceNotFound.code()
    );

    // carol logs in with SCRAM and with PLAIN (librdkafka), now and after a restart.
    let mut conn = RawConnection::connect(&sasl).await;
    scram_sha512_login(&mut conn, "carol", "c4rol").await.unwrap();
    let TestBroker { handle, dir } = broker;
    handle.shutdown().await.unwrap();
    let restarted = TestBroker::start_with(|c| {
        c.data_dir = dir.path().to_path_buf();
        c.apply_properties(&[Setting::new("listeners", "SASL_PLAINTEXT://127.0.0.1:0", "test")])
            .unwrap();
    })
    .await;
    let bootstrap = restarted.bootstrap();
    let md = tokio::task::spawn_blocking(move || {
        let consumer: BaseConsumer = plain_client(&bootstrap, "carol", "c4rol").create().unwrap();
        consumer.fetch_metadata(None, TIMEOUT).map(|m| m.brokers().len())
    })
    .await
    .unwrap();
    assert_eq!(md.unwrap(), 1);
    drop(restarted);
    drop(dir);
}

/// One guessing client: PLAIN logins as `user` with wrong passwords from `from`, one per
/// connection (the broker closes after a failure), until `deadline`. Returns how many were
/// answered SASL_AUTHENTICATION_FAILED; anything else fails the test.
async fn guess_plain_passwords(
    sasl: std::net::SocketAddr,
    from: std::net::IpAddr,
    user: &str,
    deadline: Instant,
    id: u64,
) -> u64 {
    let mut refused = 0;
    let mut attempt = 0u64;
    while Instant::now() < deadline {
        attempt += 1;
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind((from, 0).into()).unwrap();
        let mut stream = socket.connect(sasl).await.unwrap();
        let handshake = encode_frame(
            &SaslHandshakeRequest::default().with_mechanism(StrBytes::from_static_str("PLAIN")),
            1,
            1,
        );
        let token = format!("\0{user}\0guess-{id}-{attempt}");
        let authenticate = encode_frame(&auth_request(token.into_bytes()), 2, 2);
        stream
            .write_all(&[&handshake[..], &authenticate[..]].concat())
            .await
            .unwrap();
        let mut replies = Vec::new();
        tokio::time::timeout(TIMEOUT, stream.read_to_end(&mut replies))
            .await
            .expect("a failed login is answered and closed")
            .unwrap();
        assert_eq!(
            sasl_authenticate_error(&replies),
            Some(ResponseError::SaslAuthenticationFailed.code())
        );
        refused += 1;
    }
    refused
}

/// The error code of the SaslAuthenticate (v2) reply that follows the SaslHandshake reply in
/// `replies`.
fn sasl_authenticate_error(replies: &[u8]) -> Option<i16> {
    use kafka_protocol::messages::{ResponseHeader, SaslAuthenticateResponse};
    use kafka_protocol::protocol::Decodable;
    let first = i32::from_be_bytes(replies.get(..4)?.try_into().ok()?) as usize;
    let second = replies.get(4 + first..)?;
    let mut body = Bytes::copy_from_slice(second.get(4..)?);
    ResponseHeader::decode(&mut body, 1).ok()?;
    Some(SaslAuthenticateResponse::decode(&mut body, 2).ok()?.error_code)
}

/// Median produce latency of `producer` over `count` sequential sends, or until `until`.
async fn median_produce_latency(
    producer: &FutureProducer,
    topic: &str,
    count: usize,
    until: Instant,
) -> (Duration, usize) {
    let mut latencies = Vec::new();
    while latencies.len() < count && Instant::now() < until {
        let started = Instant::now();
        producer
            .send(FutureRecord::<(), _>::to(topic).payload("x"), TIMEOUT)
            .await
            .unwrap();
        latencies.push(started.elapsed());
    }
    latencies.sort();
    (latencies[latencies.len() / 2], latencies.len())
}

/// Issue 39, item 11: a few hundred connections guessing PLAIN passwords (each guess was a
/// PBKDF2 of 4 096 iterations) from many addresses must not slow a logged-in producer, and its
/// user must still be able to log in again during the storm. The guesses go to alice, who is
/// logged in, and to bob, who is not (so some guesses do need a key derivation).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_password_guessing_does_not_slow_other_clients() {
    let (broker, sasl) = secured(|c| {
        CredentialStore::open(&c.data_dir)
            .unwrap()
            .set_password("bob", SaslMechanism::ScramSha512, "builder", 4096)
            .unwrap();
    })
    .await;
    broker.create_topic("steady", 1);
    let producer: FutureProducer = plain_client(&sasl, "alice", "wonderland")
        .set("linger.ms", "0")
        .set("acks", "1")
        .create()
        .unwrap();
    let far = Instant::now() + TIMEOUT;
    median_produce_latency(&producer, "steady", 20, far).await;
    let (quiet, _) = median_produce_latency(&producer, "steady", 50, far).await;

    let addr: std::net::SocketAddr = sasl.parse().unwrap();
    let storm_end = Instant::now() + Duration::from_secs(3);
    let mut guessers = tokio::task::JoinSet::new();
    for id in 0..300u64 {
        // 100 loopback addresses, so limits per address alone cannot be what saves the broker.
        let from = std::net::IpAddr::from([127, 0, 0, 2 + (id % 100) as u8]);
        let user = if id % 2 == 0 { "alice" } else { "bob" };
        guessers.spawn(async move { guess_plain_passwords(addr, from, user, storm_end, id).await });
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (storm, samples) = median_produce_latency(&producer, "steady", usize::MAX, storm_end).await;
    // A client reconnecting with the right password during the storm gets in, and fast.
    let relogin_started = Instant::now();
    let again: FutureProducer = plain_client(&sasl, "alice", "wonderland").create().unwrap();
    again
        .send(FutureRecord::<(), _>::to("steady").payload("again"), TIMEOUT)
        .await
        .unwrap();
    let relogin = relogin_started.elapsed();
    let mut guesses = 0;
    while let Some(done) = guessers.join_next().await {
        guesses += done.unwrap();
    }
    eprintln!(
        "median produce latency: {quiet:?} quiet, {storm:?} under {guesses} PLAIN guesses ({samples} samples); \
         re-login during the storm {relogin:?}"
    );
    assert!(guesses >= 300, "every guesser was answered: {guesses}");
    assert!(samples >= 10, "the producer kept producing: {samples} sends");
    // Measured on 2 cores: about 60 µs with the bounds, 30-150 ms when every guess hashed;
    // the bound leaves a noisy CI ample headroom while still catching that.
    assert!(
        storm < Duration::from_millis(5),
        "median produce latency {storm:?} under guessing"
    );
    // About 10 ms (the client's start) with the cache of verified passwords, over 1 s without.
    assert!(relogin < Duration::from_millis(500), "re-login took {relogin:?}");
}
