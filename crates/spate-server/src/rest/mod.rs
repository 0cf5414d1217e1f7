//! The REST API (and `/metrics` for Prometheus), shaped like Flink's (JSON everywhere; errors are `{"errors": [message]}`
//! with a 4xx status for bad requests, as Flink's are). `docs/rest-api.md` documents every
//! endpoint. Handlers never panic on input: bodies, ids and query strings are parsed here and
//! a mismatch is a 400 (or 404 for an unknown id or path, 405 for a wrong method).

mod authorize;
pub mod connections;
mod dashboard;
pub mod guard;
mod jobs;
mod kafka;
mod metrics;
mod preview;
mod schemas;
mod vertices;

use std::sync::Arc;

use crate::cluster::Cluster;
use crate::graph::GraphCache;
use crate::preview::Previews;
use crate::rights::Rights;
use axum::Json;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::allowed_dirs::AllowedDirs;
use crate::error::ServerError;
use crate::manager::JobManager;

/// What every handler shares.
#[derive(Debug)]
pub struct AppState {
    /// The jobs.
    pub manager: Arc<JobManager>,
    /// The Kafka cluster (embedded or given).
    pub cluster: Cluster,
    /// What each principal may do.
    pub rights: Rights,
    /// The SQL previews (the dashboard's SQL page).
    pub previews: Arc<Previews>,
    /// Each job's graph with its edges, planned once.
    pub graphs: GraphCache,
    /// Host, origin and token checks.
    pub guard: guard::Guard,
    /// Where submitted scripts and savepoints may read and write.
    pub allowed_dirs: AllowedDirs,
    /// The schema registry the Schemas page reads (empty without one).
    pub schemas: crate::schemas::RegistrySlot,
    /// Flink's `web.submit.enable`.
    pub web_submit: bool,
    /// Flink's `web.cancel.enable`.
    pub web_cancel: bool,
}

impl AppState {
    /// Refuses submissions when `web.submit.enable` is off.
    fn check_submit(&self) -> Result<(), ApiError> {
        if self.web_submit {
            return Ok(());
        }
        Err(ApiError(ServerError::Forbidden(
            "submitting jobs and SQL is disabled on this server (web.submit.enable = false)".into(),
        )))
    }

    /// Refuses cancelling and stopping jobs when `web.cancel.enable` is off.
    fn check_cancel(&self) -> Result<(), ApiError> {
        if self.web_cancel {
            return Ok(());
        }
        Err(ApiError(ServerError::Forbidden(
            "cancelling and stopping jobs is disabled on this server (web.cancel.enable = false)".into(),
        )))
    }
}

/// The largest request body taken (a 413 beyond it).
pub const MAX_BODY: usize = 2 << 20;

/// The API's routes.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(dashboard::index))
        .route("/favicon.ico", get(dashboard::favicon))
        .route("/assets/{name}", get(dashboard::asset))
        .route("/overview", get(jobs::overview))
        .route("/config", get(jobs::config))
        .route("/jobs", get(jobs::list).post(jobs::submit))
        .route("/jobs/overview", get(jobs::jobs_overview))
        .route("/jobs/{id}", get(jobs::detail).patch(jobs::cancel))
        .route("/jobs/{id}/plan", get(vertices::plan))
        .route("/jobs/{id}/vertices/{vid}/metrics", get(vertices::vertex_metrics))
        .route("/jobs/{id}/vertices/{vid}/watermarks", get(vertices::watermarks))
        .route(
            "/jobs/{id}/vertices/{vid}/backpressure",
            get(vertices::backpressure),
        )
        .route("/jobs/{id}/checkpoints", get(jobs::checkpoints))
        .route(
            "/jobs/{id}/checkpoints/details/{cid}",
            get(jobs::checkpoint_details),
        )
        .route("/jobs/{id}/exceptions", get(jobs::exceptions))
        .route("/jobs/{id}/stop", post(jobs::stop))
        .route("/jobs/{id}/savepoints", post(jobs::savepoint))
        .route("/jobs/{id}/savepoints/{trigger}", get(jobs::savepoint_status))
        .route("/jobs/{id}/resume", post(jobs::resume))
        .route("/kafka/topics", get(kafka::topics))
        .route("/kafka/groups", get(kafka::groups))
        .route(
            "/kafka/topics/{topic}/partitions/{partition}/messages",
            get(kafka::messages),
        )
        .route("/schemas", get(schemas::list))
        .route("/schemas/subjects/{subject}", get(schemas::subject))
        .route("/sql/previews", post(preview::start))
        .route("/sql/previews/{id}", get(preview::page).delete(preview::cancel))
        .route("/metrics", get(metrics::metrics))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        // Layers run outside in: the guard (who), then the route's rights (what).
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            authorize::check,
        ))
        .layer(axum::middleware::from_fn_with_state(state.clone(), guard::check))
        .with_state(state)
}

/// A handler's error: the status the error calls for and Flink's error body.
#[derive(Debug)]
pub struct ApiError(pub ServerError);

impl From<ServerError> for ApiError {
    fn from(e: ServerError) -> Self {
        Self(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        error_response(status, self.0.to_string())
    }
}

fn error_response(status: StatusCode, message: String) -> Response {
    (status, Json(json!({ "errors": [message] }))).into_response()
}

/// A handler's result.
pub type ApiResult = Result<Response, ApiError>;

/// `value` as a JSON answer with `status`.
fn reply(status: StatusCode, value: Value) -> ApiResult {
    Ok((status, Json(value)).into_response())
}

/// A body that could not be read: 413 when it is over [`MAX_BODY`], else 400.
fn body_error(e: BytesRejection) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError(ServerError::PayloadTooLarge(format!(
            "the request body is larger than {} bytes",
            MAX_BODY
        )));
    }
    bad(e.body_text())
}

/// A bad request (400).
fn bad(message: impl Into<String>) -> ApiError {
    ApiError(ServerError::BadRequest(message.into()))
}

async fn not_found(uri: axum::http::Uri) -> Response {
    error_response(StatusCode::NOT_FOUND, format!("Not found: {}", uri.path()))
}

async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> Response {
    error_response(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("{method} is not allowed on {}", uri.path()),
    )
}

/// A query string's `key=value` pairs, percent-decoded (`+` is a space); a pair without
/// `=` or with bad escapes is a 400.
fn query_pairs(query: Option<&str>) -> Result<Vec<(String, String)>, ApiError> {
    let decode = |s: &str| -> Result<String, ApiError> {
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' => {
                    let hex = s
                        .get(i + 1..i + 3)
                        .and_then(|h| u8::from_str_radix(h, 16).ok())
                        .ok_or_else(|| bad(format!("bad escape in the query string: '{s}'")))?;
                    out.push(hex);
                    i += 2;
                }
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8(out).map_err(|_| bad("the query string is not UTF-8"))
    };
    query
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair
                .split_once('=')
                .ok_or_else(|| bad(format!("query parameter '{pair}' has no value")))?;
            Ok((decode(k)?, decode(v)?))
        })
        .collect()
}

/// Runs blocking work (planning a job, asking Kafka) on the blocking pool.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ServerError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError(ServerError::Job(format!("the request's task failed: {e}"))))?
        .map_err(ApiError)
}
