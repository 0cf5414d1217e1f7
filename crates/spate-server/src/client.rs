//! [`Client`]: the REST API from Rust, for the `spate jobs` commands and tests. Plain HTTP/1.1
//! on the hyper that axum already brings (one connection per request; the calls are rare).

use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use serde_json::{Value, json};

use crate::error::{Result, ServerError};
use crate::preview::PreviewPage;

/// How long a request may take (submitting plans the job, which takes a moment).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// A client of one server.
#[derive(Debug, Clone)]
pub struct Client {
    authority: String,
    token: Option<String>,
}

impl Client {
    /// A client of the server at `url` (`http://host:port`, a trailing `/` allowed).
    pub fn new(url: &str) -> Result<Self> {
        let bad = |why: &str| ServerError::BadRequest(format!("'{url}' is not a server URL ({why})"));
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| bad("expected http://HOST:PORT"))?
            .trim_end_matches('/');
        if rest.is_empty() || rest.contains('/') || rest.contains('@') {
            return Err(bad("expected http://HOST:PORT"));
        }
        let authority = match rest.rsplit_once(':') {
            Some((_, port)) if !rest.ends_with(']') => {
                port.parse::<u16>().map_err(|_| bad("the port is not a number"))?;
                rest.to_string()
            }
            _ => format!("{rest}:80"),
        };
        Ok(Self {
            authority,
            token: None,
        })
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
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                .await
                .map_err(|e| http(&e))?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        let bytes = body.map(|b| b.to_string()).unwrap_or_default();
        let mut request = hyper::Request::builder()
            .method(method)
            .uri(path)
            .header("host", &self.authority)
            .header("content-type", "application/json");
        if let Some(token) = &self.token {
            request = request.header("authorization", format!("Bearer {token}"));
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
        assert_eq!(
            Client::new("http://localhost")
                .map(|c| c.authority)
                .ok()
                .as_deref(),
            Some("localhost:80")
        );
        for bad in [
            "127.0.0.1:8081",
            "https://x:1",
            "http://x:port",
            "http://x:1/api",
            "http://",
        ] {
            assert!(Client::new(bad).is_err(), "{bad}");
        }
    }
}
