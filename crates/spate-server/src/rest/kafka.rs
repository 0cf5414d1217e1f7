//! `GET /kafka/topics` and `GET /kafka/groups`: the cluster as [`crate::kafka_view`] reads it.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use serde_json::json;

use super::{ApiResult, AppState, blocking, reply};
use crate::kafka_view;

pub(super) async fn topics(State(app): State<Arc<AppState>>) -> ApiResult {
    let bootstrap = app.bootstrap.clone();
    let topics = blocking(move || kafka_view::topics(&bootstrap)).await?;
    reply(StatusCode::OK, json!({ "topics": topics }))
}

pub(super) async fn groups(State(app): State<Arc<AppState>>) -> ApiResult {
    let bootstrap = app.bootstrap.clone();
    let groups = blocking(move || kafka_view::groups(&bootstrap)).await?;
    reply(StatusCode::OK, json!({ "groups": groups }))
}
