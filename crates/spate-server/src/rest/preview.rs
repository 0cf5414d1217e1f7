//! `POST /sql/previews` (run a `SELECT`), `GET /sql/previews/:id?from=N` (its rows from
//! sequence number N), `DELETE /sql/previews/:id` (cancel): the dashboard's SQL page
//! ([`crate::preview`]).

use std::sync::Arc;

use axum::Extension;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::json;

use super::jobs::{Body, submission};
use super::{ApiResult, AppState, bad, blocking, query_pairs, reply};
use crate::principal::Principal;

pub(super) async fn start(
    State(app): State<Arc<AppState>>,
    Extension(who): Extension<Principal>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult {
    app.check_submit()?;
    let (sql, _) = submission(&headers, body)?;
    if sql.trim().is_empty() {
        return Err(bad("the SQL script is empty"));
    }
    app.allowed_dirs.check_script(&sql)?;
    let previews = app.previews.clone();
    let id = blocking(move || previews.start(&sql, &who)).await?;
    reply(
        StatusCode::ACCEPTED,
        json!({ "id": id, "url": format!("/sql/previews/{id}") }),
    )
}

pub(super) async fn page(
    State(app): State<Arc<AppState>>,
    id: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
) -> ApiResult {
    let Path(id) = id.map_err(|e| bad(e.body_text()))?;
    let mut from = 0;
    for (key, value) in query_pairs(query.as_deref())? {
        match key.as_str() {
            "from" => {
                from = value
                    .parse::<u64>()
                    .map_err(|_| bad(format!("'from' must be a row number, not '{value}'")))?;
            }
            other => return Err(bad(format!("unknown query parameter '{other}'"))),
        }
    }
    reply(StatusCode::OK, json!(app.previews.page(&id, from)?))
}

pub(super) async fn cancel(
    State(app): State<Arc<AppState>>,
    id: Result<Path<String>, PathRejection>,
) -> ApiResult {
    let Path(id) = id.map_err(|e| bad(e.body_text()))?;
    app.previews.cancel(&id)?;
    reply(StatusCode::ACCEPTED, json!({}))
}
