//! The job endpoints: overview, lists, a job's detail (vertices with metrics), checkpoints,
//! exceptions, submit, cancel, stop, savepoints and their triggers, resume. JSON field names
//! follow Flink's REST API so its scripts and habits carry over.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

use super::{ApiError, ApiResult, AppState, bad, blocking, body_error, reply};
use crate::error::ServerError;
use crate::job::{JobSnapshot, Trigger};
use crate::principal::Principal;
use crate::store::JobState;
use crate::view::{CheckpointEntry, Vertex, epoch_millis};

type IdPath = Result<Path<String>, PathRejection>;
pub(super) type Body = Result<Bytes, BytesRejection>;

fn path_arg(p: IdPath) -> Result<String, ApiError> {
    p.map(|Path(id)| id).map_err(|e| bad(e.body_text()))
}

/// A request body that is optional JSON: empty means `{}`; anything else must be an object.
fn optional_json(body: Body) -> Result<serde_json::Map<String, Value>, ApiError> {
    let bytes = body.map_err(body_error)?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(serde_json::Map::new());
    }
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(bad("the request body must be a JSON object")),
        Err(e) => Err(bad(format!("the request body is not valid JSON: {e}"))),
    }
}

/// An optional string field.
fn string_field(body: &serde_json::Map<String, Value>, key: &str) -> Result<Option<String>, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(bad(format!("'{key}' must be a string"))),
    }
}

/// An optional boolean field.
fn bool_field(body: &serde_json::Map<String, Value>, key: &str) -> Result<bool, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(bad(format!("'{key}' must be true or false"))),
    }
}

fn now_ms() -> i64 {
    epoch_millis(SystemTime::now())
}

/// Task counts by state, as Flink's `tasks` objects: every task is in the job's state.
fn task_counts(total: usize, state: JobState) -> Value {
    let n = |s: JobState| if state == s { total } else { 0 };
    json!({
        "total": total,
        "running": n(JobState::Running),
        "finished": n(JobState::Finished),
        "canceled": n(JobState::Canceled),
        "failed": n(JobState::Failed),
    })
}

fn tasks_total(s: &JobSnapshot) -> usize {
    s.vertices.iter().map(|v| v.parallelism).sum()
}

fn end_time(s: &JobSnapshot) -> i64 {
    s.record.ended.unwrap_or(-1)
}

fn duration(s: &JobSnapshot, now: i64) -> i64 {
    s.record.ended.unwrap_or(now) - s.record.started
}

fn job_summary(s: &JobSnapshot, now: i64) -> Value {
    json!({
        "jid": s.record.id,
        "name": s.record.name,
        "state": s.record.state.name(),
        "start-time": s.record.started,
        "end-time": end_time(s),
        "duration": duration(s, now),
        "last-modification": s.record.ended.unwrap_or(s.record.started),
        "tasks": task_counts(tasks_total(s), s.record.state),
    })
}

fn vertex_json(i: usize, v: &Vertex, s: &JobSnapshot, now: i64) -> Value {
    let rate = |f: fn(&crate::view::Rates) -> f64| v.rates.as_ref().map(f);
    // Spate's addition to Flink's vertex: its state at the newest completed checkpoint (Flink
    // shows it per checkpoint only, in `/checkpoints/details/:id`).
    let checkpointed = s.completed_checkpoints().next_back().map(|c| c.state_size_of(v));
    json!({
        "id": i.to_string(),
        "name": v.name,
        "parallelism": v.parallelism,
        "checkpointed-size": checkpointed,
        "status": s.record.state.name(),
        "start-time": s.record.started,
        "end-time": end_time(s),
        "duration": duration(s, now),
        "tasks": task_counts(v.parallelism, s.record.state),
        "metrics": {
            "read-records": v.records_in,
            "read-records-complete": true,
            "write-records": v.records_out,
            "write-records-complete": true,
            "write-bytes": v.bytes_out,
            "write-bytes-complete": true,
            "accumulated-busy-time": v.busy.as_millis() as u64,
            "accumulated-backpressured-time": v.backpressured.as_millis() as u64,
            "records-in-per-second": rate(|r| r.records_in),
            "records-out-per-second": rate(|r| r.records_out),
            "busy-time-ms-per-second": rate(|r| r.busy_ms_per_second),
            "backpressured-time-ms-per-second": rate(|r| r.backpressured_ms_per_second),
            "current-input-watermark": v.watermark,
        },
    })
}

pub(super) async fn overview(State(app): State<Arc<AppState>>) -> ApiResult {
    let jobs: Vec<JobSnapshot> = app.manager.list().iter().map(|j| j.snapshot()).collect();
    let count = |s: JobState| jobs.iter().filter(|j| j.record.state == s).count();
    // A slot is a job (each job runs in its own threads), as the job limit counts them.
    let slots = app.manager.max_running();
    reply(
        StatusCode::OK,
        json!({
            "taskmanagers": 1,
            "slots-total": slots,
            "slots-available": slots.saturating_sub(count(JobState::Running)),
            "jobs-running": count(JobState::Running),
            "jobs-finished": count(JobState::Finished),
            "jobs-cancelled": count(JobState::Canceled),
            "jobs-failed": count(JobState::Failed),
            "flink-version": concat!("spate ", env!("CARGO_PKG_VERSION")),
            "kafka-bootstrap": app.cluster.bootstrap,
        }),
    )
}

pub(super) async fn config(State(app): State<Arc<AppState>>) -> ApiResult {
    reply(
        StatusCode::OK,
        json!({
            "refresh-interval": 1000,
            "timezone-name": "UTC",
            "timezone-offset": 0,
            "flink-version": concat!("spate ", env!("CARGO_PKG_VERSION")),
            "features": { "web-submit": app.web_submit, "web-cancel": app.web_cancel },
        }),
    )
}

/// The jobs `who` may see.
fn visible(app: &AppState, who: &Principal) -> Vec<Arc<crate::job::Job>> {
    let mut jobs = app.manager.list();
    jobs.retain(|j| app.rights.may_view_job(who, j.owner().as_ref()));
    jobs
}

pub(super) async fn list(
    State(app): State<Arc<AppState>>,
    Extension(who): Extension<Principal>,
) -> ApiResult {
    let jobs: Vec<Value> = visible(&app, &who)
        .iter()
        .map(|j| {
            let s = j.snapshot();
            json!({ "id": s.record.id, "status": s.record.state.name() })
        })
        .collect();
    reply(StatusCode::OK, json!({ "jobs": jobs }))
}

pub(super) async fn jobs_overview(
    State(app): State<Arc<AppState>>,
    Extension(who): Extension<Principal>,
) -> ApiResult {
    let now = now_ms();
    let jobs: Vec<Value> = visible(&app, &who)
        .iter()
        .map(|j| job_summary(&j.snapshot(), now))
        .collect();
    reply(StatusCode::OK, json!({ "jobs": jobs }))
}

pub(super) async fn detail(State(app): State<Arc<AppState>>, id: IdPath) -> ApiResult {
    let s = app.manager.get(&path_arg(id)?)?.snapshot();
    let now = now_ms();
    let mut timestamps = serde_json::Map::new();
    timestamps.insert("RUNNING".into(), json!(s.record.started));
    if let Some(end) = s.record.ended {
        timestamps.insert(s.record.state.name().into(), json!(end));
    }
    let vertices: Vec<Value> = s
        .vertices
        .iter()
        .enumerate()
        .map(|(i, v)| vertex_json(i, v, &s, now))
        .collect();
    let mut body = job_summary(&s, now);
    let extra = json!({
        "isStoppable": s.record.state == JobState::Running,
        "now": now,
        "submit-time": s.record.submitted,
        "timestamps": timestamps,
        "vertices": vertices,
        "status-counts": task_counts(tasks_total(&s), s.record.state),
        "plan": super::vertices::plan_json(&s),
        "runs": s.record.runs,
        "restarts": s.progress.restarts,
        "restored-from-checkpoint": s.progress.restored_from,
        "records-in": s.progress.records_in,
        "records-out": s.progress.records_out,
        "sql": s.record.sql,
        "owner": s.record.owner.as_ref().map(|o| o.principal.as_str()),
    });
    if let (Value::Object(b), Value::Object(e)) = (&mut body, extra) {
        b.extend(e);
    }
    reply(StatusCode::OK, body)
}

fn checkpoint_json(c: &CheckpointEntry) -> Value {
    let duration = c.duration.map(|d| d.as_millis() as i64);
    let trigger = c.completed_at - duration.unwrap_or(0);
    match &c.failure {
        None => json!({
            "id": c.id,
            "status": "COMPLETED",
            "is_savepoint": c.is_savepoint,
            "trigger_timestamp": trigger,
            "latest_ack_timestamp": c.completed_at,
            "end_to_end_duration": duration,
            "alignment_duration": c.alignment.map(|d| d.as_millis() as i64),
            "state_size": c.size,
            "checkpointed_size": c.size,
            "external_path": c.path.as_ref().map(|p| p.display().to_string()),
        }),
        Some(reason) => json!({
            "id": c.id,
            "status": "FAILED",
            "is_savepoint": c.is_savepoint,
            "trigger_timestamp": trigger,
            "failure_timestamp": c.completed_at,
            "end_to_end_duration": duration,
            "failure_message": reason,
        }),
    }
}

/// One checkpoint with its state per vertex (Flink's `tasks`, keyed by vertex id).
pub(super) async fn checkpoint_details(
    State(app): State<Arc<AppState>>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> ApiResult {
    let Path((id, cid)) = path.map_err(|e| bad(e.body_text()))?;
    let s = app.manager.get(&id)?.snapshot();
    let entry = cid
        .parse::<u64>()
        .ok()
        .and_then(|n| s.checkpoints.iter().find(|c| c.id == n))
        .ok_or_else(|| {
            ApiError(ServerError::NotFound(format!(
                "Could not find checkpointing statistics for checkpoint {cid}."
            )))
        })?;
    let mut body = checkpoint_json(entry);
    if entry.failure.is_none() {
        let tasks: serde_json::Map<String, Value> = s
            .vertices
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let size = entry.state_size_of(v);
                let task = json!({
                    "id": entry.id,
                    "status": "COMPLETED",
                    "latest_ack_timestamp": entry.completed_at,
                    "state_size": size,
                    "checkpointed_size": size,
                    "num_subtasks": v.parallelism,
                    "num_acknowledged_subtasks": v.parallelism,
                });
                (i.to_string(), task)
            })
            .collect();
        if let Value::Object(b) = &mut body {
            b.insert("tasks".to_string(), Value::Object(tasks));
        }
    }
    reply(StatusCode::OK, body)
}

pub(super) async fn checkpoints(State(app): State<Arc<AppState>>, id: IdPath) -> ApiResult {
    let s = app.manager.get(&path_arg(id)?)?.snapshot();
    let history: Vec<Value> = s.checkpoints.iter().rev().map(checkpoint_json).collect();
    let completed: Vec<&CheckpointEntry> = s.completed_checkpoints().collect();
    let latest_completed = completed.iter().rev().find(|c| !c.is_savepoint);
    let latest_savepoint = completed.iter().rev().find(|c| c.is_savepoint);
    let latest_failed = s.checkpoints.iter().rev().find(|c| c.failure.is_some());
    let durations: Vec<i64> = completed
        .iter()
        .filter_map(|c| c.duration.map(|d| d.as_millis() as i64))
        .collect();
    let sizes: Vec<i64> = completed
        .iter()
        .filter_map(|c| c.size.map(|n| n as i64))
        .collect();
    let stats = |v: &[i64]| {
        json!({
            "min": v.iter().min(),
            "max": v.iter().max(),
            "avg": if v.is_empty() { None } else { Some(v.iter().sum::<i64>() / v.len() as i64) },
        })
    };
    let in_progress = u64::from(s.checkpoint_in_progress());
    reply(
        StatusCode::OK,
        json!({
            "counts": {
                "restored": s.progress.restored_from.map_or(0, |_| 1),
                "total": completed.len() as u64 + s.progress.checkpoints_failed + in_progress,
                "in_progress": in_progress,
                "completed": completed.len(),
                "failed": s.progress.checkpoints_failed,
            },
            "summary": { "end_to_end_duration": stats(&durations), "state_size": stats(&sizes) },
            "latest": {
                "completed": latest_completed.map(|c| checkpoint_json(c)),
                "savepoint": latest_savepoint.map(|c| checkpoint_json(c)),
                "failed": latest_failed.map(checkpoint_json),
                "restored": s.progress.restored_from.map(|id| json!({ "id": id })),
            },
            "history": history,
        }),
    )
}

pub(super) async fn exceptions(State(app): State<Arc<AppState>>, id: IdPath) -> ApiResult {
    let s = app.manager.get(&path_arg(id)?)?.snapshot();
    let root = s.record.failures.last();
    let entries: Vec<Value> = s
        .record
        .failures
        .iter()
        .rev()
        .map(|f| {
            json!({
                "exceptionName": "JobFailure",
                "stacktrace": f.message,
                "timestamp": f.timestamp,
                "restart": f.restart,
            })
        })
        .collect();
    reply(
        StatusCode::OK,
        json!({
            "root-exception": root.map(|f| f.message.clone()),
            "timestamp": root.map(|f| f.timestamp),
            "all-exceptions": s.record.failures.iter().rev()
                .map(|f| json!({ "exception": f.message, "timestamp": f.timestamp }))
                .collect::<Vec<_>>(),
            "truncated": false,
            "exceptionHistory": { "entries": entries, "truncated": false },
            "restarts": s.progress.restarts,
            "restart-strategy": s.progress.restart_strategy,
        }),
    )
}

/// The SQL of a submission: a JSON object `{"sql": "...", "name": "..."}`, or the script
/// itself as an `application/sql` body (`text/plain` is refused before this: a cross-site form
/// can send it).
pub(super) fn submission(headers: &HeaderMap, body: Body) -> Result<(String, Option<String>), ApiError> {
    let bytes = body.map_err(body_error)?;
    let content_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let is_sql = content_type.starts_with("application/sql");
    if !is_sql {
        let Ok(Value::Object(m)) = serde_json::from_slice::<Value>(&bytes) else {
            return Err(bad(
                r#"the request body must be a JSON object {"sql": "<script>"}"#,
            ));
        };
        let sql = string_field(&m, "sql")?.ok_or_else(|| bad("'sql' is missing"))?;
        return Ok((sql, string_field(&m, "name")?));
    }
    let sql = String::from_utf8(bytes.to_vec()).map_err(|_| bad("the SQL text is not UTF-8"))?;
    Ok((sql, None))
}

pub(super) async fn submit(
    State(app): State<Arc<AppState>>,
    Extension(who): Extension<Principal>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult {
    app.check_submit()?;
    let (sql, name) = submission(&headers, body)?;
    if sql.trim().is_empty() {
        return Err(bad("the SQL script is empty"));
    }
    app.allowed_dirs.check_script(&sql)?;
    let manager = app.manager.clone();
    let id = blocking(move || manager.submit(&sql, name.as_deref(), &who)).await?;
    reply(
        StatusCode::ACCEPTED,
        json!({ "jobid": id.to_string(), "jobUrl": format!("/jobs/{id}") }),
    )
}

pub(super) async fn cancel(
    State(app): State<Arc<AppState>>,
    id: IdPath,
    RawQuery(query): RawQuery,
) -> ApiResult {
    app.check_cancel()?;
    let id = path_arg(id)?;
    for pair in query
        .as_deref()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
    {
        match pair.split_once('=') {
            Some(("mode", "cancel")) => {}
            _ => {
                return Err(bad(format!(
                    "unsupported query parameter '{pair}' (only mode=cancel)"
                )));
            }
        }
    }
    app.manager.cancel(&id)?;
    reply(StatusCode::ACCEPTED, json!({}))
}

fn check_savepoint_dir(app: &AppState, dir: Option<&std::path::Path>) -> Result<(), ApiError> {
    match dir {
        Some(d) => Ok(app.allowed_dirs.check_savepoint_dir(d)?),
        None => Ok(()),
    }
}

fn trigger_reply(trigger: String) -> ApiResult {
    reply(StatusCode::ACCEPTED, json!({ "request-id": trigger }))
}

pub(super) async fn stop(State(app): State<Arc<AppState>>, id: IdPath, body: Body) -> ApiResult {
    app.check_cancel()?;
    let id = path_arg(id)?;
    let body = optional_json(body)?;
    if bool_field(&body, "drain")? {
        return Err(bad(
            "drain is not supported: the job stops without draining its windows",
        ));
    }
    let dir = string_field(&body, "targetDirectory")?.map(PathBuf::from);
    check_savepoint_dir(&app, dir.as_deref())?;
    trigger_reply(app.manager.savepoint(&id, dir, true)?)
}

pub(super) async fn savepoint(State(app): State<Arc<AppState>>, id: IdPath, body: Body) -> ApiResult {
    let id = path_arg(id)?;
    let body = optional_json(body)?;
    let dir = string_field(&body, "target-directory")?.map(PathBuf::from);
    // Flink's cancel-job: take the savepoint, then end the job; stop-with-savepoint does that.
    let stop = bool_field(&body, "cancel-job")?;
    if stop {
        app.check_cancel()?;
    }
    check_savepoint_dir(&app, dir.as_deref())?;
    trigger_reply(app.manager.savepoint(&id, dir, stop)?)
}

pub(super) async fn savepoint_status(
    State(app): State<Arc<AppState>>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> ApiResult {
    let Path((id, trigger)) = path.map_err(|e| bad(e.body_text()))?;
    let job = app.manager.get(&id)?;
    let status = job.trigger(&trigger).ok_or_else(|| {
        ApiError(ServerError::NotFound(format!(
            "job {id} has no savepoint request {trigger}"
        )))
    })?;
    let body = match status {
        Trigger::InProgress => json!({ "status": { "id": "IN_PROGRESS" } }),
        Trigger::Completed(path) => json!({
            "status": { "id": "COMPLETED" },
            "operation": { "location": path.display().to_string() },
        }),
        Trigger::Failed(message) => json!({
            "status": { "id": "COMPLETED" },
            "operation": { "failure-cause": { "class": "SavepointFailure", "stack-trace": message } },
        }),
    };
    reply(StatusCode::OK, body)
}

pub(super) async fn resume(State(app): State<Arc<AppState>>, id: IdPath) -> ApiResult {
    app.check_submit()?;
    let id = path_arg(id)?;
    let manager = app.manager.clone();
    let jid = id.clone();
    blocking(move || manager.resume(&jid)).await?;
    reply(
        StatusCode::ACCEPTED,
        json!({ "jobid": id, "jobUrl": format!("/jobs/{id}") }),
    )
}
