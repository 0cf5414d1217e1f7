//! One HTTP/1.1 exchange per call over a fresh connection (`Connection: close`): a registry is
//! asked once per schema id and once per registration, so connection reuse would buy nothing
//! and a dead pooled connection could cost a retry.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;

use crate::error::{ClientError, Result};

/// Largest response body accepted: a schema with all its versions is far below it, and a
/// stray server cannot make the client allocate without bound.
const MAX_RESPONSE: usize = 16 << 20;

/// One registry address: `http[s]://host[:port][/base]`.
#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    /// As given, for messages.
    pub(crate) url: String,
    tls: bool,
    host: String,
    port: u16,
    /// Path prefix without a trailing slash (`""` for none).
    base: String,
}

impl Endpoint {
    pub(crate) fn parse(url: &str) -> Result<Endpoint> {
        let url = url.trim();
        let (tls, rest) = if let Some(r) = url.strip_prefix("https://") {
            (true, r)
        } else if let Some(r) = url.strip_prefix("http://") {
            (false, r)
        } else {
            return Err(ClientError::Config(format!(
                "'{url}' is not an http:// or https:// URL"
            )));
        };
        let (authority, base) = match rest.find('/') {
            Some(i) => (&rest[..i], rest[i..].trim_end_matches('/')),
            None => (rest, ""),
        };
        let (host, port) = split_authority(authority, if tls { 443 } else { 80 })
            .ok_or_else(|| ClientError::Config(format!("'{url}' has no valid host and port")))?;
        Ok(Endpoint {
            url: url.trim_end_matches('/').to_string(),
            tls,
            host,
            port,
            base: base.to_string(),
        })
    }

    pub(crate) fn is_tls(&self) -> bool {
        self.tls
    }
}

fn split_authority(authority: &str, default_port: u16) -> Option<(String, u16)> {
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    // `[::1]:8081`
    if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().ok()?,
            None if after.is_empty() => default_port,
            None => return None,
        };
        return Some((host.to_string(), port));
    }
    match authority.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() => Some((host.to_string(), port.parse().ok()?)),
        Some(_) => None,
        None => Some((authority.to_string(), default_port)),
    }
}

/// A response: status and body.
#[derive(Debug)]
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) body: Vec<u8>,
}

/// What every request carries besides its method, path and body.
#[derive(Debug, Clone)]
pub(crate) struct Transport {
    pub(crate) authorization: Option<String>,
    pub(crate) tls: Option<Arc<rustls::ClientConfig>>,
    pub(crate) timeout: Duration,
}

trait Stream: Read + Write {}
impl<T: Read + Write> Stream for T {}

impl Transport {
    /// Sends one request to `endpoint` and reads the whole response.
    pub(crate) fn send(
        &self,
        endpoint: &Endpoint,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
    ) -> Result<Response> {
        let url = format!("{}{path}", endpoint.url);
        let fail = |message: String| ClientError::Transport {
            url: url.clone(),
            message,
        };
        let tcp = connect(&endpoint.host, endpoint.port, self.timeout).map_err(&fail)?;
        let mut stream: Box<dyn Stream> = if endpoint.tls {
            let config = self
                .tls
                .clone()
                .ok_or_else(|| ClientError::Config(format!("{url}: https needs a TLS configuration")))?;
            let name = ServerName::try_from(endpoint.host.clone())
                .map_err(|e| ClientError::Config(format!("{url}: host name: {e}")))?;
            let conn = rustls::ClientConnection::new(config, name).map_err(|e| fail(format!("TLS: {e}")))?;
            Box::new(rustls::StreamOwned::new(conn, tcp))
        } else {
            Box::new(tcp)
        };
        let mut head = format!(
            "{method} {}{path} HTTP/1.1\r\nHost: {}\r\nAccept: application/vnd.schemaregistry.v1+json, application/json\r\nConnection: close\r\n",
            endpoint.base,
            host_header(endpoint)
        );
        if let Some(auth) = &self.authorization {
            head.push_str("Authorization: ");
            head.push_str(auth);
            head.push_str("\r\n");
        }
        if let Some(b) = body {
            head.push_str("Content-Type: application/vnd.schemaregistry.v1+json\r\n");
            head.push_str(&format!("Content-Length: {}\r\n", b.len()));
        }
        head.push_str("\r\n");
        let mut request = head.into_bytes();
        request.extend_from_slice(body.unwrap_or_default());
        stream
            .write_all(&request)
            .and_then(|()| stream.flush())
            .map_err(|e| fail(format!("sending the request: {e}")))?;
        let raw = read_all(&mut stream).map_err(&fail)?;
        parse_response(&raw).map_err(|m| ClientError::Protocol { url, message: m })
    }
}

fn host_header(e: &Endpoint) -> String {
    let host = if e.host.contains(':') {
        format!("[{}]", e.host)
    } else {
        e.host.clone()
    };
    match (e.tls, e.port) {
        (true, 443) | (false, 80) => host,
        (_, port) => format!("{host}:{port}"),
    }
}

fn connect(host: &str, port: u16, timeout: Duration) -> std::result::Result<TcpStream, String> {
    let addrs = (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("resolving {host}: {e}"))?;
    let mut last = format!("{host} resolves to no address");
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(s) => {
                s.set_read_timeout(Some(timeout))
                    .and_then(|()| s.set_write_timeout(Some(timeout)))
                    .map_err(|e| format!("socket: {e}"))?;
                let _ = s.set_nodelay(true);
                return Ok(s);
            }
            Err(e) => last = format!("connecting to {addr}: {e}"),
        }
    }
    Err(last)
}

fn read_all(stream: &mut dyn Stream) -> std::result::Result<Vec<u8>, String> {
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
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            // A TLS peer that closes without close_notify: what was read is complete when
            // its framing (length or chunks) says so, which parse_response checks.
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !raw.is_empty() => return Ok(raw),
            Err(e) => return Err(format!("reading the response: {e}")),
        }
    }
}

/// A whole response read until the server closed: head, then a body framed by
/// `Content-Length`, by chunks, or by the close.
pub(crate) fn parse_response(raw: &[u8]) -> std::result::Result<Response, String> {
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
            .map(|h| String::from_utf8_lossy(h.value).trim().to_string())
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

fn dechunk(mut rest: &[u8]) -> std::result::Result<Vec<u8>, String> {
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

/// Percent-encodes one path segment (a subject name may hold `/`, `:` or spaces).
pub fn segment(s: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_with_defaults_and_bases() {
        let e = Endpoint::parse("http://localhost:8081").expect("valid");
        assert_eq!(
            (e.host.as_str(), e.port, e.base.as_str(), e.tls),
            ("localhost", 8081, "", false)
        );
        let e = Endpoint::parse("https://registry.example/sr/").expect("valid");
        assert_eq!(
            (e.host.as_str(), e.port, e.base.as_str(), e.tls),
            ("registry.example", 443, "/sr", true)
        );
        assert_eq!(e.url, "https://registry.example/sr");
        let e = Endpoint::parse("http://[::1]:9").expect("valid");
        assert_eq!((e.host.as_str(), e.port), ("::1", 9));
        assert_eq!(host_header(&e), "[::1]:9");
        for bad in [
            "localhost:8081",
            "ftp://x",
            "http://",
            "http://h:port",
            "http://u@h:1",
        ] {
            assert!(Endpoint::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bodies_are_framed_by_length_chunks_or_close() {
        let r = parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}trailing").expect("parses");
        assert_eq!((r.status, r.body.as_slice()), (200, &b"{}"[..]));
        let r = parse_response(b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n2;x=y\r\n\":\r\n0\r\n\r\n")
            .expect("parses");
        assert_eq!((r.status, r.body.as_slice()), (404, &b"{\"a\":"[..]));
        let r = parse_response(b"HTTP/1.0 200 OK\r\n\r\nall of it").expect("parses");
        assert_eq!(r.body, b"all of it");
        assert!(parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort").is_err());
        assert!(parse_response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n").is_err());
        assert!(parse_response(b"HTTP/1.1 200 OK\r\nContent-").is_err());
        assert!(parse_response(b"garbage\r\n\r\n").is_err());
    }

    #[test]
    fn segments_are_percent_encoded() {
        assert_eq!(segment("orders-value"), "orders-value");
        assert_eq!(segment("a/b c:ä"), "a%2Fb%20c%3A%C3%A4");
    }
}
