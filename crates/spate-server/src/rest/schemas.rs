//! `GET /schemas`: a page of the schema registry's subjects; `GET /schemas/subjects/{subject}`:
//! one subject's level and versions ([`crate::schemas`] says why the server answers these
//! from the in-process registry). Read-only. A subject counts as the Kafka topic it is named
//! after ([`topic_of`]), as on the registry's own port: lists keep the subjects whose topic
//! the caller may `DESCRIBE` (as `/kafka/topics` keeps topics), and one subject without that
//! right is a 403 (as a topic's messages without `READ` are). Without a registry the list
//! says so (`"registry": false`, a 200: the page shows it as a fact, not an error) and a
//! subject is a 404.

use std::sync::Arc;

use axum::Extension;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use serde_json::json;
use spate_broker::acl::{Operation, Resource};
use spate_schema_registry::access::topic_of;

use super::{ApiError, ApiResult, AppState, bad, blocking, query_pairs, reply};
use crate::error::ServerError;
use crate::principal::Principal;
use crate::schemas::{self, MAX_LIMIT, SubjectList, Window};

/// `offset`, `limit` and (where `filter` is allowed) a name filter.
fn window_query(query: Option<&str>, filter_allowed: bool) -> Result<(Window, Option<String>), ApiError> {
    let mut window = Window::default();
    let mut filter = None;
    for (key, value) in query_pairs(query)? {
        let number = || {
            value
                .parse::<usize>()
                .map_err(|_| bad(format!("'{key}' must be a non-negative integer, not '{value}'")))
        };
        match key.as_str() {
            "offset" => window.offset = number()?,
            "limit" => {
                window.limit = Some(number()?)
                    .filter(|l| (1..=MAX_LIMIT).contains(l))
                    .ok_or_else(|| bad(format!("'limit' must be 1 to {MAX_LIMIT}")))?;
            }
            "filter" if filter_allowed => filter = Some(value),
            other => return Err(bad(format!("unknown query parameter '{other}'"))),
        }
    }
    Ok((window, filter))
}

pub(super) async fn list(
    State(app): State<Arc<AppState>>,
    Extension(who): Extension<Principal>,
    RawQuery(query): RawQuery,
) -> ApiResult {
    let (window, filter) = window_query(query.as_deref(), true)?;
    let Some(service) = app.schemas.get() else {
        return reply(StatusCode::OK, json!(SubjectList::without_registry(window)));
    };
    let rights = app.rights.clone();
    let page = blocking(move || {
        let visible = |s: &str| rights.filters_in(&who, Operation::Describe, Resource::topic(topic_of(s)));
        service
            .read(|r| schemas::list(r, &visible, filter.as_deref(), window))
            .map_err(schemas::registry_error)
    })
    .await?;
    reply(StatusCode::OK, json!(page))
}

pub(super) async fn subject(
    State(app): State<Arc<AppState>>,
    Extension(who): Extension<Principal>,
    path: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
) -> ApiResult {
    let Path(subject) = path.map_err(|e| bad(e.body_text()))?;
    let (window, _) = window_query(query.as_deref(), false)?;
    let Some(service) = app.schemas.get() else {
        return Err(ApiError(ServerError::NotFound(
            "this server runs no schema registry (start it with --schema-registry-listen)".into(),
        )));
    };
    app.rights.check(
        &who,
        Operation::Describe,
        Resource::topic(topic_of(&subject)),
        &format!("read subject '{subject}'"),
    )?;
    let detail = blocking(move || {
        service
            .read(|r| schemas::detail(r, &subject, window))
            .map_err(schemas::registry_error)
    })
    .await?;
    reply(StatusCode::OK, json!(detail))
}
