//! `GET /kafka/topics`, `GET /kafka/groups`: the cluster as [`crate::kafka_view`] reads it;
//! `GET /kafka/topics/:topic/partitions/:p/messages`: records of a partition
//! ([`crate::messages`]).

use std::sync::Arc;

use axum::Extension;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use serde_json::json;
use spate_broker::acl::{Operation, Resource};

use super::{ApiError, ApiResult, AppState, bad, blocking, query_pairs, reply};
use crate::kafka_view;
use crate::messages::{self, Browse, MAX_COUNT, Start};
use crate::principal::Principal;

/// The topics `who` may describe (as Kafka's Metadata leaves out the others).
pub(super) async fn topics(
    State(app): State<Arc<AppState>>,
    Extension(who): Extension<Principal>,
) -> ApiResult {
    let cluster = app.cluster.clone();
    let mut topics = blocking(move || kafka_view::topics(&cluster)).await?;
    topics.retain(|t| {
        app.rights
            .filters_in(&who, Operation::Describe, Resource::topic(&t.name))
    });
    reply(StatusCode::OK, json!({ "topics": topics }))
}

/// The groups `who` may describe (as Kafka's ListGroups leaves out the others).
pub(super) async fn groups(
    State(app): State<Arc<AppState>>,
    Extension(who): Extension<Principal>,
) -> ApiResult {
    let cluster = app.cluster.clone();
    let mut groups = blocking(move || kafka_view::groups(&cluster)).await?;
    groups.retain(|g| {
        app.rights
            .filters_in(&who, Operation::Describe, Resource::group(&g.group))
    });
    reply(StatusCode::OK, json!({ "groups": groups }))
}

/// `?offset=N | timestamp=MS` (neither: the last `count` records), `count` (default 50),
/// `isolation=read_committed | read_uncommitted` (default read_committed).
fn browse_query(query: Option<&str>) -> Result<Browse, ApiError> {
    let mut start = Start::Tail;
    let mut count = 50;
    let mut read_committed = true;
    let number = |key: &str, value: &str| {
        value
            .parse::<i64>()
            .map_err(|_| bad(format!("'{key}' must be an integer, not '{value}'")))
    };
    for (key, value) in query_pairs(query)? {
        match key.as_str() {
            "offset" | "timestamp" if start != Start::Tail => {
                return Err(bad("give 'offset' or 'timestamp', not both"));
            }
            "offset" => start = Start::Offset(number(&key, &value)?),
            "timestamp" => start = Start::Timestamp(number(&key, &value)?),
            "count" => {
                count = number(&key, &value)?
                    .try_into()
                    .ok()
                    .filter(|c| (1..=MAX_COUNT).contains(c))
                    .ok_or_else(|| bad(format!("'count' must be 1 to {MAX_COUNT}")))?;
            }
            "isolation" => {
                read_committed = match value.as_str() {
                    "read_committed" => true,
                    "read_uncommitted" => false,
                    other => {
                        return Err(bad(format!(
                            "'isolation' is read_committed or read_uncommitted, not '{other}'"
                        )));
                    }
                }
            }
            other => return Err(bad(format!("unknown query parameter '{other}'"))),
        }
    }
    Ok(Browse {
        start,
        count,
        read_committed,
    })
}

pub(super) async fn messages(
    State(app): State<Arc<AppState>>,
    path: Result<Path<(String, String)>, PathRejection>,
    RawQuery(query): RawQuery,
) -> ApiResult {
    let Path((topic, partition)) = path.map_err(|e| bad(e.body_text()))?;
    let partition = partition
        .parse::<i32>()
        .map_err(|_| bad(format!("the partition must be a number, not '{partition}'")))?;
    let browse = browse_query(query.as_deref())?;
    let cluster = app.cluster.clone();
    let page = blocking(move || messages::browse(&cluster, &topic, partition, browse)).await?;
    reply(StatusCode::OK, json!(page))
}
