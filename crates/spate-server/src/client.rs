//! [`Client`]: the REST API from Rust, for the `spate jobs` commands and tests. HTTP/1.1 on the
//! hyper that axum already brings, over TLS for `https://` URLs (rustls, the broker's client TLS
//! settings: a CA file or the system's bundle, the host name checked), one connection per
//! request (the calls are rare). It authenticates with the server's token (`Bearer`) or as a
//! broker user (`Basic`).

use std::time::{Duration, Instant};

use base64::Engine;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use serde_json::{Value, json};
use spate_broker::tls::ClientTlsSettings;
use tokio::io::{AsyncRead, AsyncWrite};

use crate::error::{Result, ServerError};
use crate::preview::PreviewPage;

/// How long a request may take (submitting plans the job, which takes a moment).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// A client of one server.
#[derive(Clone)]
pub struct Client {
    authority: String,
    /// The host part of the URL (the name the server's certificate must show).
    host: String,
    /// Set for `https://` URLs.
    tls: Option<ClientTlsSettings>,
    token: Option<String>,
    basic: Option<(String, String)>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("authority", &self.authority)
            .field("tls", &self.tls.is_some())
            .field("user", &self.basic.as_ref().map(|(u, _)| u))
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client of the server at `url` (`http://host:port` or `https://host:port`, a trailing
    /// `/` allowed).
    pub fn new(url: &str) -> Result<Self> {
        let bad = |why: &str| ServerError::BadRequest(format!("'{url}' is not a server URL ({why})"));
        let (rest, https) = match (url.strip_prefix("http://"), url.strip_prefix("https://")) {
            (Some(rest), _) => (rest, false),
            (None, Some(rest)) => (rest, true),
            (None, None) => return Err(bad("expected http://HOST:PORT or https://HOST:PORT")),
        };
        let rest = rest.trim_end_matches('/');
        if rest.is_empty() || rest.contains('/') || rest.contains('@') {
            return Err(bad("expected http://HOST:PORT"));
        }
        let authority = match rest.rsplit_once(':') {
            Some((_, port)) if !rest.ends_with(']') => {
                port.parse::<u16>().map_err(|_| bad("the port is not a number"))?;
                rest.to_string()
            }
            _ => format!("{rest}:{}", if https { 443 } else { 80 }),
        };
        let host = match authority.rsplit_once(':') {
            Some((host, _)) => host.trim_start_matches('[').trim_end_matches(']').to_string(),
            None => authority.clone(),
        };
        Ok(Self {
            authority,
            host,
            tls: https.then(|| ClientTlsSettings {
                verify_hostname: true,
                ..ClientTlsSettings::default()
            }),
            token: None,
            basic: None,
        })
    }

    /// For an `https://` server: the PEM CA certificates its certificate must chain to
    /// (instead of the system's bundle).
    pub fn with_ca_file(mut self, ca: Option<impl Into<std::path::PathBuf>>) -> Self {
        if let (Some(tls), Some(ca)) = (&mut self.tls, ca) {
            tls.ca_location = Some(ca.into());
        }
        self
    }

    /// The client logging in as the broker user `user` (HTTP basic authentication) instead
    /// of with a token.
    pub fn with_user(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.basic = Some((user.into(), password.into()));
        self
    }

    /// The client sending `token` (`Authorization: Bearer`) with every request.
    pub fn with_token(mut self, token: Option<impl Into<String>>) -> Self {
        self.token = token.map(Into::into);
        self
    }

    /// Sends a request and returns the JSON answer; an error status becomes
    /// [`ServerError::Api`] with the server's messages.
    pub async fn request(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value> {
        tokio::time::timeout(REQUEST_TIMEOUT, self.request_inner(method, path, body))
            .await
            .map_err(|_| {
                ServerError::Http(format!(
                    "{method} {path}: no answer from {} within {} s",
                    self.authority,
                    REQUEST_TIMEOUT.as_secs()
                ))
            })?
    }

    async fn request_inner(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value> {
        let http = |e: &dyn std::fmt::Display| ServerError::Http(format!("{method} {path}: {e}"));
        let stream = tokio::net::TcpStream::connect(&self.authority)
            .await
            .map_err(|e| ServerError::Http(format!("cannot reach the server at {}: {e}", self.authority)))?;
        let mut sender = match &self.tls {
            None => handshake(stream).await.map_err(|e| http(&e))?,
            Some(settings) => {
                let config = settings
                    .client_config()
                    .map_err(|e| ServerError::Http(format!("TLS settings: {e}")))?;
                let name = rustls_pki_types::ServerName::try_from(self.host.clone())
                    .map_err(|e| ServerError::Http(format!("'{}' as a TLS server name: {e}", self.host)))?;
                let tls = tokio_rustls::TlsConnector::from(config)
                    .connect(name, stream)
                    .await
                    .map_err(|e| {
                        let hint = match settings.ca_location {
                            None => " (a server certificate from your own CA: give the CA with --ca-file)",
                            Some(_) => "",
                        };
                        ServerError::Http(format!("TLS with {}: {e}{hint}", self.authority))
                    })?;
                handshake(tls).await.map_err(|e| http(&e))?
            }
        };
        let bytes = body.map(|b| b.to_string()).unwrap_or_default();
        let mut request = hyper::Request::builder()
            .method(method)
            .uri(path)
            .header("host", &self.authority)
            .header("content-type", "application/json");
        if let Some(token) = &self.token {
            request = request.header("authorization", format!("Bearer {token}"));
        } else if let Some((user, password)) = &self.basic {
            let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
            request = request.header("authorization", format!("Basic {encoded}"));
        }
        let request = request
            .body(Full::new(Bytes::from(bytes)))
            .map_err(|e| http(&e))?;
        let response = sender.send_request(request).await.map_err(|e| http(&e))?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| http(&e))?
            .to_bytes();
        let value: Value = if body.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&body).map_err(|e| http(&format!("the answer is not JSON: {e}")))?
        };
        if !status.is_success() {
            let message = value["errors"]
                .as_array()
                .map(|errors| {
                    errors
                        .iter()
                        .map(|e| e.as_str().map_or_else(|| e.to_string(), str::to_string))
                        .collect::<Vec<_>>()
                        .join("; ")
                })
                .unwrap_or_else(|| format!("{method} {path} failed"));
            let message = if status == hyper::StatusCode::UNAUTHORIZED
                && self.token.is_none()
                && !message.contains("--token")
            {
                format!("{message} (no token given: use --token, $SPATE_TOKEN or --data-dir)")
            } else {
                message
            };
            return Err(ServerError::Api {
                status: status.as_u16(),
                message,
            });
        }
        Ok(value)
    }

    /// Submits a SQL script as a job; returns its id.
    pub async fn submit(&self, sql: &str) -> Result<String> {
        let answer = self
            .request("POST", "/jobs", Some(&json!({ "sql": sql })))
            .await?;
        answer["jobid"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| ServerError::Http("the answer has no jobid".into()))
    }

    /// `GET /jobs/overview`: every job with its state.
    pub async fn jobs(&self) -> Result<Value> {
        self.request("GET", "/jobs/overview", None).await
    }

    /// `GET /jobs/:id`.
    pub async fn job(&self, id: &str) -> Result<Value> {
        self.request("GET", &format!("/jobs/{}", path_segment(id)?), None)
            .await
    }

    /// Cancels a job.
    pub async fn cancel(&self, id: &str) -> Result<()> {
        self.request("PATCH", &format!("/jobs/{}", path_segment(id)?), None)
            .await
            .map(drop)
    }

    /// Resumes an ended job from its latest checkpoint or stop-savepoint.
    pub async fn resume(&self, id: &str) -> Result<()> {
        self.request("POST", &format!("/jobs/{}/resume", path_segment(id)?), None)
            .await
            .map(drop)
    }

    /// Takes a savepoint (stopping the job after it when `stop`) and waits until it completes;
    /// returns its location.
    pub async fn savepoint(&self, id: &str, stop: bool, wait: Duration) -> Result<String> {
        let id = path_segment(id)?;
        let path = if stop {
            format!("/jobs/{id}/stop")
        } else {
            format!("/jobs/{id}/savepoints")
        };
        let answer = self.request("POST", &path, Some(&json!({}))).await?;
        let trigger = answer["request-id"]
            .as_str()
            .ok_or_else(|| ServerError::Http("the answer has no request-id".into()))?
            .to_string();
        let deadline = Instant::now() + wait;
        loop {
            let status = self
                .request(
                    "GET",
                    &format!("/jobs/{id}/savepoints/{}", path_segment(&trigger)?),
                    None,
                )
                .await?;
            if status["status"]["id"] == "COMPLETED" {
                if let Some(location) = status["operation"]["location"].as_str() {
                    return Ok(location.to_string());
                }
                let cause = status["operation"]["failure-cause"]["stack-trace"]
                    .as_str()
                    .unwrap_or("unknown cause");
                return Err(ServerError::Job(format!("the savepoint failed: {cause}")));
            }
            if Instant::now() > deadline {
                return Err(ServerError::Job(format!(
                    "the savepoint did not complete within {} s (request {trigger})",
                    wait.as_secs()
                )));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Starts a SQL preview (DDL and `SET`, then one `SELECT`); returns its id.
    pub async fn start_preview(&self, sql: &str) -> Result<String> {
        let answer = self
            .request("POST", "/sql/previews", Some(&json!({ "sql": sql })))
            .await?;
        answer["id"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| ServerError::Http("the answer has no preview id".into()))
    }

    /// Preview `id`'s rows from row number `from` on, and where it is.
    pub async fn preview_page(&self, id: &str, from: u64) -> Result<PreviewPage> {
        let page = self
            .request(
                "GET",
                &format!("/sql/previews/{}?from={from}", path_segment(id)?),
                None,
            )
            .await?;
        serde_json::from_value(page)
            .map_err(|e| ServerError::Http(format!("the preview's page is not as expected: {e}")))
    }

    /// Cancels preview `id`'s query.
    pub async fn cancel_preview(&self, id: &str) -> Result<()> {
        self.request("DELETE", &format!("/sql/previews/{}", path_segment(id)?), None)
            .await
            .map(drop)
    }

    /// `GET /overview`: the server's figures, with the Kafka cluster its jobs use
    /// (`kafka-bootstrap`).
    pub async fn overview(&self) -> Result<Value> {
        self.request("GET", "/overview", None).await
    }
}

/// `s` as one path segment: refused if it would change the path.
fn path_segment(s: &str) -> Result<&str> {
    if s.is_empty()
        || !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(ServerError::BadRequest(format!("'{s}' is not a job id")));
    }
    Ok(s)
}

/// An HTTP/1.1 connection over `io`, its driver on a task of its own.
async fn handshake<S>(io: S) -> hyper::Result<hyper::client::conn::http1::SendRequest<Full<Bytes>>>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(io)).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(sender)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked() {
        assert_eq!(
            Client::new("http://127.0.0.1:8081/")
                .map(|c| c.authority)
                .ok()
                .as_deref(),
            Some("127.0.0.1:8081")
        );
        let tls = Client::new("https://spate.example").unwrap();
        assert_eq!(
            (tls.authority.as_str(), tls.host.as_str()),
            ("spate.example:443", "spate.example")
        );
        assert!(tls.tls.is_some());
        assert_eq!(
            Client::new("http://localhost")
                .map(|c| c.authority)
                .ok()
                .as_deref(),
            Some("localhost:80")
        );
        for bad in ["127.0.0.1:8081", "http://x:port", "http://x:1/api", "http://"] {
            assert!(Client::new(bad).is_err(), "{bad}");
        }
    }
}
