//! What every request passes before a handler sees it:
//!
//! 1. **Host**: an IP literal, `localhost` (or `*.localhost`), the machine's name, or a name given with
//!    `--http-allowed-host`; anything else is a 403, so a DNS-rebinding page (its own name
//!    resolving to 127.0.0.1) cannot talk to the server as the browser's same origin.
//! 2. **State-changing requests** (every method but GET, HEAD, OPTIONS): an `Origin` must be
//!    the server's own, and a body a cross-site form can send without a CORS preflight
//!    (`text/plain`, `application/x-www-form-urlencoded`, `multipart/form-data`) is a 415.
//! 3. **Who it is** (unless the server runs with `--no-auth`, when everyone is the
//!    administrator), as a [`Principal`] in the request's extensions:
//!    - the administrator: `Authorization: Bearer TOKEN`, or the dashboard's cookie;
//!    - a user of the embedded broker: `Authorization: Basic` with a SCRAM user's name and
//!      password, checked as a SASL/PLAIN login is (same failure limits); browsers ask for it
//!      themselves, as the 401 offers `Basic` whenever the broker has users;
//!    - on an HTTPS port with `ssl.client.auth`: the user a verified client certificate names.
//!
//!    The dashboard opened as `/?token=TOKEN` gets the token's cookie (HttpOnly,
//!    SameSite=Strict, named after the port: cookies do not tell ports apart) and is
//!    redirected to `/`, so the token leaves the address bar and the page's API calls carry
//!    it. A state-changing request authenticated by the cookie alone must also show that it
//!    comes from the dashboard's own origin (`Origin` or `Sec-Fetch-Site: same-origin`):
//!    SameSite does not tell another port on 127.0.0.1 from this one.
//!
//! The dashboard's static files (`/assets/*`, `/favicon.ico`) hold no data and need no token.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use base64::Engine;
use spate_broker::BrokerAccess;

use super::{AppState, error_response};
use crate::principal::Principal;
use crate::token;

/// What the listener knows of a request's connection (a request extension).
#[derive(Debug, Clone)]
pub struct ConnectionInfo {
    /// The client's address.
    pub peer: SocketAddr,
    /// The principal name a verified TLS client certificate maps to.
    pub certificate_user: Option<String>,
}

/// The checks' settings.
#[derive(Debug, Clone)]
pub struct Guard {
    /// The token requests must carry; `None` with `--no-auth`.
    pub token: Option<String>,
    /// The dashboard cookie's name.
    pub cookie: String,
    /// Host names allowed besides IP literals and `localhost` (lower case; `*` allows any).
    pub allowed_hosts: Vec<String>,
    /// `http` or `https`: the scheme of the server's own origin.
    pub scheme: &'static str,
    /// The embedded broker's users, for basic authentication.
    pub users: Option<BrokerAccess>,
}

impl Guard {
    /// The checks for a server on `port`.
    pub fn new(token: Option<String>, port: u16, allowed_hosts: &[String]) -> Self {
        Self {
            token,
            cookie: format!("spate-token-{port}"),
            allowed_hosts: allowed_hosts.iter().map(|h| h.to_ascii_lowercase()).collect(),
            scheme: "http",
            users: None,
        }
    }

    /// The same, serving `scheme` and taking basic authentication against `users`.
    pub fn with_users(mut self, scheme: &'static str, users: Option<BrokerAccess>) -> Self {
        self.scheme = scheme;
        self.users = users;
        self
    }

    /// Whether basic authentication is offered: the broker has users.
    fn offers_basic(&self) -> bool {
        self.users.as_ref().is_some_and(BrokerAccess::has_users)
    }

    fn host_allowed(&self, host: &str) -> bool {
        let name = host_name(host).to_ascii_lowercase();
        name.parse::<std::net::IpAddr>().is_ok()
            || name == "localhost"
            || name.ends_with(".localhost")
            || self.allowed_hosts.iter().any(|h| h == "*" || *h == name)
    }

    fn token_ok(&self, given: &str) -> bool {
        self.token
            .as_deref()
            .is_some_and(|t| token::matches(given.trim().as_bytes(), t.as_bytes()))
    }

    fn header_has_token(&self, headers: &HeaderMap) -> bool {
        headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, rest) = v.trim().split_once(' ')?;
                (scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token"))
                    .then_some(rest)
            })
            .is_some_and(|t| self.token_ok(t))
    }

    fn cookie_has_token(&self, headers: &HeaderMap) -> bool {
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .any(|(name, value)| name == self.cookie && self.token_ok(value))
    }
}

/// `host[:port]` or `[v6]:port` without the port (and brackets).
fn host_name(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    }
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn forbidden(message: String) -> Response {
    error_response(StatusCode::FORBIDDEN, message)
}

/// The middleware.
pub(super) async fn check(State(app): State<Arc<AppState>>, mut request: Request, next: Next) -> Response {
    let guard = &app.guard;
    let headers = request.headers();
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return error_response(StatusCode::BAD_REQUEST, "the request has no Host header".into());
    };
    if !guard.host_allowed(host) {
        return forbidden(format!(
            "Host '{host}' is not allowed (a page on another name could reach this server through \
             DNS rebinding); allow it with --http-allowed-host {}",
            host_name(host)
        ));
    }
    let own_origin = format!("{}://{host}", guard.scheme);
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let same_origin = origin.is_some_and(|o| o == own_origin);
    let path = request.uri().path();
    let changes = !is_safe(request.method());
    if changes {
        if let Some(origin) = origin
            && !same_origin
        {
            return forbidden(format!(
                "cross-origin request refused: Origin '{origin}' is not this server ({own_origin})"
            ));
        }
        if let Some(kind) = form_content_type(headers) {
            return error_response(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!(
                    "Content-Type {kind} is refused on requests that change something (a page on any \
                     site can send it); send application/json, or a script as application/sql"
                ),
            );
        }
    }
    if path.starts_with("/assets/") || path == "/favicon.ico" {
        return next.run(request).await;
    }
    if guard.token.is_none() {
        request.extensions_mut().insert(Principal::Admin);
        return next.run(request).await;
    }
    if path == "/"
        && let Some(given) = query_token(request.uri().query())
    {
        return if guard.token_ok(&given) {
            login(guard)
        } else {
            unauthorized_page(guard, "the token in the address is not this server's")
        };
    }
    let connection = request.extensions().get::<ConnectionInfo>().cloned();
    let peer = connection
        .as_ref()
        .map_or(IpAddr::V4(Ipv4Addr::LOCALHOST), |c| c.peer.ip());
    // Credentials a browser attaches by itself (a cookie, cached basic credentials) must come
    // with proof that the dashboard's own page sends them when they change something.
    let fetch_site = headers.get("sec-fetch-site").map(HeaderValue::as_bytes);
    let from_page = same_origin || fetch_site == Some(b"same-origin".as_slice());
    let cross_site_fetch = fetch_site.is_some_and(|v| !matches!(v, b"same-origin" | b"none"));
    let principal = if guard.header_has_token(headers) {
        Principal::Admin
    } else if let Some((user, password)) = basic_credentials(headers) {
        let Some(users) = guard.users.as_ref().filter(|_| guard.offers_basic()) else {
            return unauthorized(
                guard,
                "basic authentication needs users of the embedded broker (spate users add); \
                 this server has none: send the token as 'Authorization: Bearer TOKEN'",
            );
        };
        match users.verify_password(peer, &user, &password).await {
            Ok(name) => {
                if changes && cross_site_fetch {
                    return forbidden(
                        "a request that changes something must come from the dashboard's own page".into(),
                    );
                }
                Principal::user(&name, peer)
            }
            Err(why) => {
                tracing::info!(%peer, "REST basic authentication failed: {why}");
                return unauthorized(guard, "the user name or password is wrong");
            }
        }
    } else if guard.cookie_has_token(headers) {
        if changes && !from_page {
            return forbidden(
                "a request that changes something must come from the dashboard's own page (Origin) \
                 or carry the token in an Authorization header"
                    .into(),
            );
        }
        Principal::Admin
    } else if let Some(user) = connection.and_then(|c| c.certificate_user) {
        Principal::user(&user, peer)
    } else if path == "/" {
        return unauthorized_page(guard, "this server needs its access token");
    } else {
        return unauthorized(
            guard,
            "authentication required: send 'Authorization: Bearer TOKEN' (the token is in the server's \
             data directory, file http-token, and in the dashboard URL printed at start-up; \
             spate jobs and spate sql --server take --data-dir DIR, --token TOKEN or $SPATE_TOKEN)",
        );
    };
    request.extensions_mut().insert(principal);
    next.run(request).await
}

/// A 401 offering the token (`Bearer`) and, when the broker has users, `Basic`.
fn unauthorized(guard: &Guard, message: &str) -> Response {
    let mut response = error_response(StatusCode::UNAUTHORIZED, message.into());
    challenge(guard, &mut response);
    response
}

fn challenge(guard: &Guard, response: &mut Response) {
    let h = response.headers_mut();
    if guard.offers_basic() {
        h.append(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"spate\", charset=\"UTF-8\""),
        );
    }
    h.append(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"spate\""),
    );
}

/// The user name and password of `Authorization: Basic` (RFC 7617), if that is what it holds.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

/// The content type of a body a cross-site form could have sent, if it is one.
fn form_content_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_TYPE)?;
    let Ok(text) = value.to_str() else {
        return Some("(not ASCII)".into());
    };
    let essence = text.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    matches!(
        essence.as_str(),
        "text/plain" | "application/x-www-form-urlencoded" | "multipart/form-data"
    )
    .then_some(essence)
}

fn query_token(query: Option<&str>) -> Option<String> {
    query?
        .split('&')
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| *k == "token")
        .map(|(_, v)| v.to_string())
}

/// The dashboard's first visit with the token: keep it in a cookie, take it out of the URL.
fn login(guard: &Guard) -> Response {
    let cookie = format!(
        "{}={}; Path=/; HttpOnly; SameSite=Strict{}",
        guard.cookie,
        guard.token.as_deref().unwrap_or(""),
        if guard.scheme == "https" { "; Secure" } else { "" }
    );
    let mut response = StatusCode::SEE_OTHER.into_response();
    let h = response.headers_mut();
    h.insert(header::LOCATION, HeaderValue::from_static("/"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        h.insert(header::SET_COOKIE, v);
    }
    response
}

fn unauthorized_page(guard: &Guard, why: &str) -> Response {
    let body = format!(
        "<!doctype html><meta charset=utf-8><title>Spate: token needed</title>\
         <h1>Spate</h1><p>{why}. Open the dashboard with the URL <code>spate server</code> \
         printed at start-up (<code>/?token=...</code>); the token is also in the file \
         <code>http-token</code> of its data directory.</p>"
    );
    let mut response = (StatusCode::UNAUTHORIZED, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    // With users, the browser asks for a name and password.
    challenge(guard, &mut response);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_ip_literals_localhost_or_allowed_names() {
        let g = Guard::new(None, 8081, &["Spate.Example".into()]);
        for ok in [
            "127.0.0.1:8081",
            "127.0.0.1",
            "[::1]:8081",
            "localhost:8081",
            "a.localhost",
            "spate.example:8081",
            "10.1.2.3:80",
        ] {
            assert!(g.host_allowed(ok), "{ok}");
        }
        for bad in ["evil.com:8081", "127.0.0.1.nip.io", "localhost.evil.com", "x"] {
            assert!(!g.host_allowed(bad), "{bad}");
        }
        assert!(Guard::new(None, 1, &["*".into()]).host_allowed("anything"));
    }

    #[test]
    fn basic_credentials_are_user_colon_password_in_base64() {
        let mut h = HeaderMap::new();
        let basic = |h: &mut HeaderMap, v: &str| {
            h.insert(header::AUTHORIZATION, HeaderValue::from_str(v).unwrap());
        };
        // "alice:pa:ss" (a password may hold colons).
        basic(&mut h, "Basic YWxpY2U6cGE6c3M=");
        assert_eq!(basic_credentials(&h), Some(("alice".into(), "pa:ss".into())));
        basic(&mut h, "basic YWxpY2U6cGE6c3M=");
        assert!(basic_credentials(&h).is_some(), "the scheme is case-insensitive");
        for bad in ["Bearer YWxpY2U6cGE6c3M=", "Basic !!", "Basic YWxpY2U=", "Basic"] {
            basic(&mut h, bad);
            assert_eq!(basic_credentials(&h), None, "{bad}");
        }
    }

    #[test]
    fn tokens_come_from_the_header_or_the_ports_cookie() {
        let g = Guard::new(Some("ab12".repeat(8)), 8081, &[]);
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {}", "ab12".repeat(8))).unwrap(),
        );
        assert!(g.header_has_token(&h));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer nope"));
        assert!(!g.header_has_token(&h));
        let mut c = HeaderMap::new();
        c.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("a=b; spate-token-8081={}", "ab12".repeat(8))).unwrap(),
        );
        assert!(g.cookie_has_token(&c));
        assert!(!Guard::new(Some("ab12".repeat(8)), 9000, &[]).cookie_has_token(&c));
    }
}
