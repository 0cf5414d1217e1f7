//! A job's plan and one vertex's figures, shaped like Flink's `/jobs/:id/plan` and
//! `/jobs/:id/vertices/:vid/{metrics,watermarks,backpressure}`. A vertex id is its index in
//! `/jobs/:id`'s `vertices`. Figures are per vertex (all subtasks together: the smallest
//! watermark, the busiest subtask's rates), so Flink's per-subtask lists are not given. The
//! plan's edges (`inputs`) come from the job's graph ([`crate::graph`]), planned once.

use std::sync::Arc;
use std::time::SystemTime;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::{ApiError, ApiResult, AppState, bad, blocking, reply};
use crate::error::ServerError;
use crate::graph::JobGraph;
use crate::job::JobSnapshot;
use crate::view::{Vertex, epoch_millis};

type VertexPath = Result<Path<(String, String)>, PathRejection>;

pub(super) fn plan_json(s: &JobSnapshot) -> Value {
    let nodes: Vec<Value> = s
        .vertices
        .iter()
        .enumerate()
        .map(|(i, v)| {
            json!({
                "id": i.to_string(),
                "parallelism": v.parallelism,
                "operator": v.name,
                "description": v.name,
            })
        })
        .collect();
    json!({ "jid": s.record.id, "name": s.record.name, "type": "STREAMING", "nodes": nodes })
}

/// The plan with its edges, from the job's graph: nodes are vertices (operators with
/// metrics); `inputs` name the upstream vertex (a side output's parent, marked), the
/// partitioning as Flink's `ship_strategy`, and whether the two are chained; `chain` is the
/// vertex heading the task the operator runs in.
fn plan_with_graph(s: &JobSnapshot, graph: &JobGraph) -> Value {
    let ids = graph.vertex_ids();
    let vertex_of = |node: usize| ids.get(graph.owner(node)).copied().flatten();
    let nodes: Vec<Value> = graph
        .nodes
        .iter()
        .enumerate()
        .filter_map(|(n, node)| {
            let id = ids.get(n).copied().flatten()?;
            let inputs: Vec<Value> = node
                .inputs
                .iter()
                .enumerate()
                .filter_map(|(num, e)| {
                    let from = vertex_of(e.from)?;
                    Some(json!({
                        "num": num,
                        "id": from.to_string(),
                        "ship_strategy": e.partitioning,
                        "exchange": if e.chained { "chained" } else { "pipelined_bounded" },
                        "chained": e.chained,
                        "side_output": graph.owner(e.from) != e.from,
                    }))
                })
                .collect();
            Some(json!({
                "id": id.to_string(),
                "parallelism": node.parallelism,
                "operator": node.name,
                "description": node.name,
                "chain": vertex_of(node.chain).unwrap_or(id).to_string(),
                "inputs": inputs,
            }))
        })
        .collect();
    json!({ "jid": s.record.id, "name": s.record.name, "type": "STREAMING", "nodes": nodes })
}

pub(super) async fn plan(
    State(app): State<Arc<AppState>>,
    id: Result<Path<String>, PathRejection>,
) -> ApiResult {
    let Path(id) = id.map_err(|e| bad(e.body_text()))?;
    let s = app.manager.get(&id)?.snapshot();
    let graph = match app.graphs.get(&id) {
        Some(graph) => graph,
        None => {
            let (app, sql) = (app.clone(), s.record.sql.clone());
            blocking(move || Ok(app.graphs.plan(&id, &sql, Some(&app.cluster.bootstrap)))).await?
        }
    };
    let plan = match graph {
        Some(g) => plan_with_graph(&s, &g),
        None => plan_json(&s),
    };
    reply(StatusCode::OK, json!({ "plan": plan }))
}

/// The job's snapshot and the vertex the path names.
fn vertex(app: &AppState, path: VertexPath) -> Result<(JobSnapshot, usize), ApiError> {
    let Path((id, vid)) = path.map_err(|e| bad(e.body_text()))?;
    let s = app.manager.get(&id)?.snapshot();
    let index = vid
        .parse::<usize>()
        .ok()
        .filter(|i| *i < s.vertices.len())
        .ok_or_else(|| ApiError(ServerError::NotFound(format!("job {id} has no vertex {vid}"))))?;
    Ok((s, index))
}

/// The vertex's metrics by Flink's names; rates are `None` until two samples exist.
fn metrics(v: &Vertex) -> Vec<(&'static str, Option<f64>)> {
    let rate = |f: fn(&crate::view::Rates) -> f64| v.rates.as_ref().map(f);
    vec![
        ("numRecordsIn", Some(v.records_in as f64)),
        ("numRecordsOut", Some(v.records_out as f64)),
        ("numBytesOut", Some(v.bytes_out as f64)),
        ("numRecordsInPerSecond", rate(|r| r.records_in)),
        ("numRecordsOutPerSecond", rate(|r| r.records_out)),
        ("busyTimeMsPerSecond", rate(|r| r.busy_ms_per_second)),
        (
            "backPressuredTimeMsPerSecond",
            rate(|r| r.backpressured_ms_per_second),
        ),
        ("accumulatedBusyTime", Some(v.busy.as_millis() as f64)),
        (
            "accumulatedBackpressuredTime",
            Some(v.backpressured.as_millis() as f64),
        ),
        ("currentInputWatermark", v.watermark.map(|w| w as f64)),
    ]
}

/// Flink's metrics values are strings.
fn metric_value(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v:.3}")
    }
}

/// Without `get`, the metric names; with `?get=a,b`, those metrics' values (unknown names and
/// metrics without a value yet are left out, as Flink leaves out what it does not have).
pub(super) async fn vertex_metrics(
    State(app): State<Arc<AppState>>,
    path: VertexPath,
    RawQuery(query): RawQuery,
) -> ApiResult {
    let (s, i) = vertex(&app, path)?;
    let all = metrics(&s.vertices[i]);
    let mut wanted: Option<Vec<&str>> = None;
    for pair in query
        .as_deref()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
    {
        match pair.split_once('=') {
            Some(("get", names)) => wanted = Some(names.split(',').filter(|n| !n.is_empty()).collect()),
            _ => {
                return Err(bad(format!(
                    "unsupported query parameter '{pair}' (only get=NAME,...)"
                )));
            }
        }
    }
    let body: Vec<Value> = match wanted {
        None => all.iter().map(|(name, _)| json!({ "id": name })).collect(),
        Some(names) => all
            .iter()
            .filter(|(name, _)| names.contains(name))
            .filter_map(|(name, v)| v.map(|v| json!({ "id": name, "value": metric_value(v) })))
            .collect(),
    };
    reply(StatusCode::OK, Value::Array(body))
}

pub(super) async fn watermarks(State(app): State<Arc<AppState>>, path: VertexPath) -> ApiResult {
    let (s, i) = vertex(&app, path)?;
    let body: Vec<Value> = s.vertices[i]
        .watermark
        .map(|w| json!({ "id": "currentInputWatermark", "value": w.to_string() }))
        .into_iter()
        .collect();
    reply(StatusCode::OK, Value::Array(body))
}

/// Flink's levels: `ok` below 10 % of the time backpressured, `low` below 50 %, else `high`.
fn level(ratio: f64) -> &'static str {
    if ratio < 0.1 {
        "ok"
    } else if ratio < 0.5 {
        "low"
    } else {
        "high"
    }
}

pub(super) async fn backpressure(State(app): State<Arc<AppState>>, path: VertexPath) -> ApiResult {
    let (s, i) = vertex(&app, path)?;
    let Some(r) = s.vertices[i].rates else {
        // No two samples yet (or the job ended): nothing measured.
        return reply(StatusCode::OK, json!({ "status": "deprecated" }));
    };
    let ratio = r.backpressured_ms_per_second / 1000.0;
    let busy = r.busy_ms_per_second / 1000.0;
    reply(
        StatusCode::OK,
        json!({
            "status": "ok",
            "backpressure-level": level(ratio),
            "end-timestamp": epoch_millis(SystemTime::now()),
            "ratio": ratio,
            "busyRatio": busy,
            "idleRatio": (1.0 - busy - ratio).max(0.0),
        }),
    )
}
