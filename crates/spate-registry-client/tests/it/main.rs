//! The client against Spate's registry served on a real socket in this process: plain, with
//! basic auth, and through TLS.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;

use spate_registry_client::{Auth, ClientConfig, ClientError, RegistryClient, wire};
use spate_schema_registry::http::{Authenticator, CheckFuture};
use spate_schema_registry::{MemoryLog, Service, http};

struct OneUser;

impl Authenticator for OneUser {
    fn check<'a>(
        &'a self,
        _peer: Option<std::net::IpAddr>,
        user: &'a str,
        password: &'a str,
    ) -> CheckFuture<'a> {
        let ok = user == "alice" && password == "s3cret";
        Box::pin(async move { ok })
    }
}

/// Serves a fresh registry on 127.0.0.1 and returns its address.
fn serve(auth: Option<Arc<dyn Authenticator>>) -> String {
    let service = Arc::new(Service::open(Box::new(MemoryLog::default())).expect("opens"));
    let url = http::serve_in_background(http::router(service, auth)).expect("serves");
    url.trim_start_matches("http://").to_string()
}

const CLICK_V1: &str = r#"{"type":"record","name":"Click","fields":[{"name":"user","type":"long"}]}"#;
const CLICK_V2: &str = r#"{"type":"record","name":"Click","fields":[{"name":"user","type":"long"},{"name":"page","type":"string","default":""}]}"#;

#[test]
fn registers_fetches_and_caches() {
    let addr = serve(None);
    let client = RegistryClient::new(&ClientConfig::new(&format!("http://{addr}"))).expect("client");
    let id1 = client
        .register("clicks-value", "AVRO", CLICK_V1)
        .expect("registers");
    let id2 = client
        .register("clicks-value", "AVRO", CLICK_V2)
        .expect("registers v2");
    assert_ne!(id1, id2);
    let sent = client.requests_sent();
    assert_eq!(
        client.register("clicks-value", "AVRO", CLICK_V1).expect("cached"),
        id1
    );
    assert_eq!(
        client.requests_sent(),
        sent,
        "a second registration is answered from the cache"
    );
    assert_eq!(
        client.lookup("clicks-value", "AVRO", CLICK_V2).expect("found"),
        id2
    );

    let s = client.schema(id2).expect("by id");
    assert_eq!((s.id, s.schema_type.as_str()), (id2, "AVRO"));
    let avro = s.avro.as_ref().expect("parsed");
    let mut record = Vec::new();
    wire::write_header(id2, &mut record);
    record.extend_from_slice(&[84, 6, b'/', b'a', b'b']);
    let (id, payload) = wire::split(&record).expect("framed");
    assert_eq!(id, id2);
    assert_eq!(avro.decode(payload).expect("decodes").1, payload.len());
    let sent = client.requests_sent();
    for _ in 0..1000 {
        client.schema(id2).expect("cached");
    }
    assert_eq!(client.requests_sent(), sent, "no registry call per record");

    // Confluent's codes come through: unknown id 40403, unknown subject 40401, incompatible 409.
    let e = client.schema(999).unwrap_err();
    assert!(e.to_string().contains("40403"), "{e}");
    let sent = client.requests_sent();
    assert!(client.schema(999).is_err());
    assert_eq!(
        client.requests_sent(),
        sent,
        "a failed id is not asked again at once"
    );
    let e = client.lookup("nobody-value", "AVRO", CLICK_V1).unwrap_err();
    assert_eq!(e.registry_code(), Some(40401), "{e}");
    let breaking = r#"{"type":"record","name":"Click","fields":[{"name":"user","type":"string"}]}"#;
    let e = client.register("clicks-value", "AVRO", breaking).unwrap_err();
    assert_eq!(e.registry_code(), Some(40901), "{e}");
    let e = client
        .register("bad-value", "AVRO", r#"{"type":"nope"}"#)
        .unwrap_err();
    assert_eq!(e.registry_code(), Some(42201), "{e}");
}

#[test]
fn references_are_resolved_and_subjects_encoded() {
    let addr = serve(None);
    let client = RegistryClient::new(&ClientConfig::new(&format!("http://{addr}"))).expect("client");
    let address =
        r#"{"type":"record","name":"Address","namespace":"shop","fields":[{"name":"city","type":"string"}]}"#;
    client
        .register("shop/Address", "AVRO", address)
        .expect("registers");
    let order = serde_json::json!({
        "schema": r#"{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"to","type":"Address"}]}"#,
        "references": [{"name": "shop.Address", "subject": "shop/Address", "version": 1}],
    });
    let answer = client
        .call("POST", "/subjects/orders-value/versions", Some(&order))
        .expect("registers with a reference");
    let id = answer["id"].as_u64().expect("an id") as u32;
    let s = client.schema(id).expect("fetches");
    let avro = s.avro.as_ref().expect("parsed with its reference");
    assert_eq!(avro.decode(&[4, b'N', b'Y']).expect("decodes").1, 3);
}

#[test]
fn basic_auth_and_failover() {
    let addr = serve(Some(Arc::new(OneUser)));
    // A dead first URL: the second one answers.
    let dead = TcpListener::bind("127.0.0.1:0").expect("binds");
    let dead_addr = dead.local_addr().expect("address");
    drop(dead);
    let mut config = ClientConfig::new(&format!("http://{dead_addr},http://{addr}"));
    let e = RegistryClient::new(&config)
        .expect("client")
        .register("s", "AVRO", r#""int""#)
        .unwrap_err();
    assert_eq!(e.registry_code(), Some(401), "{e}");
    config.auth = Auth::Basic {
        user: "alice".into(),
        password: "s3cret".into(),
    };
    assert!(
        !format!("{config:?}").contains("s3cret"),
        "no password in debug output"
    );
    let client = RegistryClient::new(&config).expect("client");
    let id = client.register("s", "AVRO", r#""int""#).expect("authorized");
    assert_eq!(client.schema(id).expect("fetches").text, r#""int""#);

    let nobody = RegistryClient::new(&ClientConfig::new(&format!("http://{dead_addr}"))).expect("client");
    let e = nobody.schema(1).unwrap_err();
    assert!(matches!(e, ClientError::Transport { .. }), "{e}");
    assert!(e.to_string().contains(&dead_addr.to_string()), "{e}");
}

/// Terminates TLS in front of the plain registry at `backend`: each connection carries one
/// request (the client sends `Connection: close`).
fn tls_front(backend: String, cert_pem: &str, key_pem: &str) -> String {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs = vec![CertificateDer::from_pem_slice(cert_pem.as_bytes()).expect("cert")];
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).expect("key");
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .expect("server config"),
    );
    let listener = TcpListener::bind("127.0.0.1:0").expect("binds");
    let addr = listener.local_addr().expect("address").to_string();
    std::thread::spawn(move || {
        for tcp in listener.incoming() {
            let Ok(tcp) = tcp else { continue };
            let conn = rustls::ServerConnection::new(config.clone()).expect("connection");
            let mut tls = rustls::StreamOwned::new(conn, tcp);
            let mut request = Vec::new();
            let mut buf = [0u8; 4096];
            // The head, then Content-Length bytes of body.
            let complete = |r: &[u8]| {
                let Some(end) = r.windows(4).position(|w| w == b"\r\n\r\n") else {
                    return false;
                };
                let head = String::from_utf8_lossy(&r[..end]).to_ascii_lowercase();
                let len = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .map_or(0, |v| v.trim().parse::<usize>().unwrap_or(0));
                r.len() >= end + 4 + len
            };
            while !complete(&request) {
                match tls.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            let mut plain = TcpStream::connect(&backend).expect("backend");
            plain.write_all(&request).expect("forwards");
            let mut response = Vec::new();
            plain.read_to_end(&mut response).expect("answer");
            let _ = tls.write_all(&response);
            tls.conn.send_close_notify();
            let _ = tls.flush();
        }
    });
    addr
}

#[test]
fn https_with_a_pem_truststore() {
    let backend = serve(None);
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("cert");
    let front = tls_front(backend, &cert.cert.pem(), &cert.signing_key.serialize_pem());
    let port = front.rsplit_once(':').expect("port").1;
    let dir = std::env::temp_dir().join(format!("spate-registry-client-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let trust = dir.join("ca.pem");
    std::fs::write(&trust, cert.cert.pem()).expect("writes");

    let mut config = ClientConfig::new(&format!("https://localhost:{port}"));
    config.trust_pem = Some(trust.clone());
    let client = RegistryClient::new(&config).expect("client");
    let id = client
        .register("tls-value", "AVRO", r#""string""#)
        .expect("over TLS");
    assert_eq!(client.schema(id).expect("fetches").text, r#""string""#);

    // A truststore that does not hold the server's certificate: the handshake fails.
    let other = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("cert");
    std::fs::write(&trust, other.cert.pem()).expect("writes");
    let e = RegistryClient::new(&config)
        .expect("client")
        .register("tls-value", "AVRO", r#""string""#)
        .unwrap_err();
    assert!(matches!(e, ClientError::Transport { .. }), "{e}");
    // A truststore that is not PEM is a configuration error, named.
    std::fs::write(&trust, b"not a certificate").expect("writes");
    let e = RegistryClient::new(&config).unwrap_err();
    assert!(e.to_string().contains("ca.pem"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}
