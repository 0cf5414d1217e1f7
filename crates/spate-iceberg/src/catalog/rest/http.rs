//! One blocking HTTP/1.1 exchange per call over a fresh connection (`Connection: close`), the
//! way `spate-registry-client` talks to a schema registry: a sink asks its catalog a few times
//! per checkpoint, so a connection pool would buy nothing, and a pooled connection the server
//! closed meanwhile could cost a commit whose outcome is unknown. `https://` goes through
//! rustls (see `tls.rs`).

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;

/// Largest response accepted: table metadata with thousands of snapshots stays far below it,
/// and a stray server cannot make the client allocate without bound.
const MAX_RESPONSE: usize = 64 << 20;

/// A base URL: `http[s]://host[:port][/base]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Endpoint {
    tls: bool,
    host: String,
    port: u16,
    /// Path prefix without a trailing slash (`""` for none).
    base: String,
}

impl Endpoint {
    /// Parses `http[s]://host[:port][/path]`.
    pub(crate) fn parse(url: &str) -> Result<Endpoint, String> {
        let url = url.trim();
        let (tls, rest) = if let Some(r) = url.strip_prefix("https://") {
            (true, r)
        } else if let Some(r) = url.strip_prefix("http://") {
            (false, r)
        } else {
            return Err(format!("{url:?} is not an http:// or https:// URL"));
        };
        let (authority, base) = match rest.find(['/', '?']) {
            Some(i) => (&rest[..i], rest[i..].trim_end_matches('/')),
            None => (rest, ""),
        };
        let (host, port) = split_authority(authority, if tls { 443 } else { 80 })
            .ok_or_else(|| format!("{url:?} has no valid host and port"))?;
        if base.contains('?') {
            return Err(format!("{url:?}: a base URL takes no query"));
        }
        Ok(Endpoint {
            tls,
            host,
            port,
            base: base.to_owned(),
        })
    }

    /// The URL of `path` (which starts with `/`), for messages.
    pub(crate) fn url(&self, path: &str) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}{}{path}", self.host_header(), self.base)
    }

    /// Whether it is an `https://` URL.
    pub(crate) fn is_tls(&self) -> bool {
        self.tls
    }

    fn host_header(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        match (self.tls, self.port) {
            (true, 443) | (false, 80) => host,
            (_, port) => format!("{host}:{port}"),
        }
    }
}

fn split_authority(authority: &str, default_port: u16) -> Option<(String, u16)> {
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().ok()?,
            None if after.is_empty() => default_port,
            None => return None,
        };
        return Some((host.to_owned(), port));
    }
    match authority.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() => Some((host.to_owned(), port.parse().ok()?)),
        Some(_) => None,
        None => Some((authority.to_owned(), default_port)),
    }
}

/// A request body and its media type.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Body<'a> {
    /// `application/json`.
    Json(&'a [u8]),
    /// `application/x-www-form-urlencoded` (the OAuth2 token request).
    Form(&'a [u8]),
}

/// A response: status and body.
#[derive(Debug)]
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) body: Vec<u8>,
}

/// Timeouts of one exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Timeouts {
    /// Establishing the TCP connection.
    pub(crate) connect: Duration,
    /// Each read and write after it.
    pub(crate) socket: Duration,
}

/// How exchanges are made: timeouts, and TLS for https endpoints.
#[derive(Debug, Clone)]
pub(crate) struct Transport {
    pub(crate) timeouts: Timeouts,
    /// Present when some endpoint is https.
    pub(crate) tls: Option<Arc<rustls::ClientConfig>>,
}

trait Stream: Read + Write {}
impl<T: Read + Write> Stream for T {}

/// Sends one request and reads the whole response. `path` starts with `/` and may carry a
/// query; `authorization` is the header's value.
pub(crate) fn send(
    transport: &Transport,
    endpoint: &Endpoint,
    method: &str,
    path: &str,
    authorization: Option<&str>,
    body: Option<Body<'_>>,
) -> Result<Response, String> {
    let tcp = connect(&endpoint.host, endpoint.port, transport.timeouts)?;
    let mut stream: Box<dyn Stream> = if endpoint.tls {
        let config = transport.tls.clone().ok_or("https without a TLS configuration")?;
        let name = ServerName::try_from(endpoint.host.clone()).map_err(|e| format!("host name: {e}"))?;
        let conn = rustls::ClientConnection::new(config, name).map_err(|e| format!("TLS: {e}"))?;
        Box::new(rustls::StreamOwned::new(conn, tcp))
    } else {
        Box::new(tcp)
    };
    // A token endpoint given as a bare `http://host:port` has neither base nor path.
    let target = match format!("{}{path}", endpoint.base) {
        t if t.is_empty() => "/".to_owned(),
        t => t,
    };
    let mut head = format!(
        "{method} {target} HTTP/1.1\r\nHost: {}\r\nAccept: application/json\r\nConnection: close\r\nUser-Agent: spate-iceberg\r\n",
        endpoint.host_header()
    );
    if let Some(auth) = authorization {
        head.push_str(&format!("Authorization: {auth}\r\n"));
    }
    let bytes = match body {
        Some(Body::Json(b)) => {
            head.push_str("Content-Type: application/json\r\n");
            b
        }
        Some(Body::Form(b)) => {
            head.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
            b
        }
        None => &[][..],
    };
    if body.is_some() || method == "POST" {
        head.push_str(&format!("Content-Length: {}\r\n", bytes.len()));
    }
    head.push_str("\r\n");
    let mut request = head.into_bytes();
    request.extend_from_slice(bytes);
    stream
        .write_all(&request)
        .and_then(|()| stream.flush())
        .map_err(|e| format!("sending the request: {e}"))?;
    let raw = read_all(&mut stream)?;
    parse_response(&raw)
}

fn connect(host: &str, port: u16, timeouts: Timeouts) -> Result<TcpStream, String> {
    let addrs = (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("resolving {host}: {e}"))?;
    let mut last = format!("{host} resolves to no address");
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, timeouts.connect) {
            Ok(s) => {
                s.set_read_timeout(Some(timeouts.socket))
                    .and_then(|()| s.set_write_timeout(Some(timeouts.socket)))
                    .map_err(|e| format!("socket: {e}"))?;
                // Small requests: do not let Nagle hold the body back.
                let _ = s.set_nodelay(true);
                return Ok(s);
            }
            Err(e) => last = format!("connecting to {addr}: {e}"),
        }
    }
    Err(last)
}

fn read_all(stream: &mut dyn Stream) -> Result<Vec<u8>, String> {
    let mut raw = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return Ok(raw),
            Ok(n) => {
                raw.extend_from_slice(&buf[..n]);
                if raw.len() > MAX_RESPONSE + 64 * 1024 {
                    return Err(format!("response larger than {MAX_RESPONSE} bytes"));
                }
                // A server that keeps the connection open despite `Connection: close` must
                // not make the client wait for the socket timeout once the body is complete.
                if is_complete(&raw) {
                    return Ok(raw);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            // A TLS peer that closes without close_notify: what was read is complete when
            // its framing says so, which parse_response checks.
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !raw.is_empty() => return Ok(raw),
            Err(e) => return Err(format!("reading the response: {e}")),
        }
    }
}

/// Whether `raw` holds a whole response its framing delimits (a length or chunks); a body
/// framed by the close is never complete before it.
fn is_complete(raw: &[u8]) -> bool {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut head = httparse::Response::new(&mut headers);
    let Ok(httparse::Status::Complete(body_start)) = head.parse(raw) else {
        return false;
    };
    if matches!(head.code, Some(204 | 304)) {
        return true;
    }
    let header = |name: &str| {
        head.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| String::from_utf8_lossy(h.value).trim().to_ascii_lowercase())
    };
    let rest = &raw[body_start..];
    if header("transfer-encoding").is_some_and(|t| t.contains("chunked")) {
        return dechunk(rest).is_ok();
    }
    header("content-length")
        .and_then(|l| l.parse::<usize>().ok())
        .is_some_and(|len| rest.len() >= len)
}

/// A whole response read until the server closed: head, then a body framed by
/// `Content-Length`, by chunks, or by the close.
pub(crate) fn parse_response(raw: &[u8]) -> Result<Response, String> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut head = httparse::Response::new(&mut headers);
    let body_start = match head.parse(raw) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Err("the connection closed inside the response head".into()),
        Err(e) => return Err(format!("bad response head: {e}")),
    };
    let status = head.code.ok_or("no status code")?;
    let header = |name: &str| {
        head.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| String::from_utf8_lossy(h.value).trim().to_owned())
    };
    let rest = &raw[body_start..];
    let body = if header("transfer-encoding").is_some_and(|t| t.to_ascii_lowercase().contains("chunked")) {
        dechunk(rest)?
    } else if let Some(len) = header("content-length") {
        let len: usize = len.parse().map_err(|_| format!("bad Content-Length '{len}'"))?;
        if rest.len() < len {
            return Err(format!("the body ended after {} of {len} bytes", rest.len()));
        }
        rest[..len].to_vec()
    } else {
        rest.to_vec()
    };
    Ok(Response { status, body })
}

fn dechunk(mut rest: &[u8]) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    loop {
        let line_end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("a chunk size line without its end")?;
        let line = std::str::from_utf8(&rest[..line_end]).map_err(|_| "a chunk size that is not text")?;
        let size_text = line.split(';').next().unwrap_or_default().trim();
        let size =
            usize::from_str_radix(size_text, 16).map_err(|_| format!("bad chunk size '{size_text}'"))?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Ok(body);
        }
        if rest.len() < size + 2 {
            return Err("the body ended inside a chunk".into());
        }
        if body.len() + size > MAX_RESPONSE {
            return Err(format!("response larger than {MAX_RESPONSE} bytes"));
        }
        body.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
}

/// Percent-encodes a path segment or a form/query value (RFC 3986 unreserved kept).
pub(crate) fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes `%XX` escapes (the config's url-encoded `namespace-separator`); a malformed
/// escape is kept as written.
pub(crate) fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(v)) => {
                out.push(v);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_with_defaults_and_bases() {
        let e = Endpoint::parse("http://localhost:8181").expect("valid");
        assert_eq!(
            (e.host.as_str(), e.port, e.base.as_str()),
            ("localhost", 8181, "")
        );
        assert_eq!(e.url("/v1/config"), "http://localhost:8181/v1/config");
        let e = Endpoint::parse("http://cat.example/api/catalog/").expect("valid");
        assert_eq!((e.port, e.base.as_str()), (80, "/api/catalog"));
        assert_eq!(e.url("/v1/config"), "http://cat.example/api/catalog/v1/config");
        let e = Endpoint::parse("http://[::1]:9").expect("valid");
        assert_eq!(e.host_header(), "[::1]:9");
        for bad in [
            "localhost:8181",
            "ftp://x",
            "http://",
            "http://h:port",
            "http://u@h:1",
        ] {
            assert!(Endpoint::parse(bad).is_err(), "{bad}");
        }
        let e = Endpoint::parse("https://cat.example/").expect("valid");
        assert_eq!((e.port, e.tls), (443, true));
        assert_eq!(e.url("/v1"), "https://cat.example/v1");
        assert_eq!(
            Endpoint::parse("https://h:8443").expect("valid").url(""),
            "https://h:8443"
        );
    }

    #[test]
    fn bodies_are_framed_by_length_chunks_or_close() {
        let r = parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}trailing").expect("parses");
        assert_eq!((r.status, r.body.as_slice()), (200, &b"{}"[..]));
        let r = parse_response(b"HTTP/1.1 409 Conflict\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n2;x=y\r\n\":\r\n0\r\n\r\n")
            .expect("parses");
        assert_eq!((r.status, r.body.as_slice()), (409, &b"{\"a\":"[..]));
        let r = parse_response(b"HTTP/1.0 200 OK\r\n\r\nall of it").expect("parses");
        assert_eq!(r.body, b"all of it");
        assert!(parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort").is_err());
        assert!(parse_response(b"garbage\r\n\r\n").is_err());
    }

    #[test]
    fn a_framed_body_is_complete_without_the_close() {
        assert!(is_complete(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"));
        assert!(!is_complete(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n{}"));
        assert!(is_complete(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"
        ));
        assert!(!is_complete(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n"
        ));
        assert!(is_complete(b"HTTP/1.1 204 No Content\r\n\r\n"));
        assert!(!is_complete(b"HTTP/1.0 200 OK\r\n\r\nuntil close"));
        assert!(!is_complete(b"HTTP/1.1 200 OK\r\nContent-Le"));
    }

    #[test]
    fn a_server_that_keeps_the_connection_open_does_not_stall_the_client() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
        let port = listener.local_addr().expect("addr").port();
        let server = std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().expect("accepts");
            let mut buf = [0u8; 4096];
            let n = conn.read(&mut buf).expect("reads");
            conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
                .expect("writes");
            // Hold the connection well past the client's patience, closing only when it hangs up.
            let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
            let _ = conn.read(&mut buf);
            String::from_utf8_lossy(&buf[..n]).into_owned()
        });
        let endpoint = Endpoint::parse(&format!("http://127.0.0.1:{port}/base")).expect("url");
        let transport = Transport {
            timeouts: Timeouts {
                connect: Duration::from_secs(2),
                socket: Duration::from_secs(10),
            },
            tls: None,
        };
        let started = std::time::Instant::now();
        let body = br#"{"a":1}"#;
        let r = send(
            &transport,
            &endpoint,
            "POST",
            "/v1/x",
            Some("Bearer t"),
            Some(Body::Json(body)),
        )
        .expect("answer");
        assert!(started.elapsed() < Duration::from_secs(3));
        assert_eq!((r.status, r.body.as_slice()), (200, &b"{}"[..]));
        let request = server.join().expect("server");
        assert!(request.starts_with("POST /base/v1/x HTTP/1.1\r\n"), "{request}");
        assert!(request.contains("\r\nAuthorization: Bearer t\r\n"), "{request}");
        assert!(
            request.contains("\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{\"a\":1}"),
            "{request}"
        );
    }

    #[test]
    fn encoding_round_trips() {
        assert_eq!(encode("a b/c\u{1f}"), "a%20b%2Fc%1F");
        assert_eq!(decode("%1F"), "\u{1f}");
        assert_eq!(decode("a%2Eb%zz"), "a.b%zz");
    }
}
