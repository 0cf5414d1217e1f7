//! `GET /metrics`: Prometheus text format (version 0.0.4). Job and operator metrics carry the
//! names Flink's Prometheus reporter gives them (`flink_taskmanager_job_task_operator_numRecordsIn`,
//! `..._busyTimeMsPerSecond`, `flink_jobmanager_job_lastCheckpointDuration`, ...), labelled
//! with `job_id`, `job_name` and `operator_name` (one series per vertex, all subtasks
//! together), so existing dashboards map over; Kafka metrics are named as kafka-exporter names
//! them (`kafka_consumergroup_lag`, `kafka_topic_partition_current_offset`). Job figures come
//! from the server's once-a-second samples, so a scrape costs no work in the jobs; Kafka
//! figures are read from the cluster at each scrape.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::SystemTime;

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};

use super::AppState;
use crate::kafka_view;
use crate::store::JobState;
use crate::view::epoch_millis;

/// Metric families in the order they are written: name, type, help, samples.
#[derive(Default)]
struct Families(Vec<(&'static str, &'static str, &'static str, Vec<String>)>);

impl Families {
    fn add(
        &mut self,
        name: &'static str,
        kind: &'static str,
        help: &'static str,
        labels: &[(&str, &str)],
        value: f64,
    ) {
        let mut line = String::from(name);
        if !labels.is_empty() {
            line.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    line.push(',');
                }
                let _ = write!(line, "{k}=\"{}\"", escape(v));
            }
            line.push('}');
        }
        let _ = write!(line, " {}", number(value));
        match self.0.iter_mut().find(|f| f.0 == name) {
            Some(f) => f.3.push(line),
            None => self.0.push((name, kind, help, vec![line])),
        }
    }

    fn render(&self) -> String {
        let mut out = String::new();
        for (name, kind, help, samples) in &self.0 {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} {kind}");
            for s in samples {
                out.push_str(s);
                out.push('\n');
            }
        }
        out
    }
}

/// A label value with `\`, `"` and newlines escaped as the text format wants.
fn escape(v: &str) -> String {
    v.replace('\\', r"\\").replace('"', "\\\"").replace('\n', r"\n")
}

fn number(v: f64) -> String {
    if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

pub(super) async fn metrics(State(app): State<Arc<AppState>>) -> Response {
    let mut m = Families::default();
    jobs(&app, &mut m);
    let cluster = app.cluster.clone();
    let kafka = tokio::task::spawn_blocking(move || {
        let topics = kafka_view::topics(&cluster)?;
        let groups = kafka_view::groups(&cluster)?;
        Ok::<_, crate::error::ServerError>((topics, groups))
    })
    .await;
    match kafka {
        Ok(Ok((topics, groups))) => {
            m.add(
                "kafka_up",
                "gauge",
                "Whether the Kafka cluster answered this scrape.",
                &[],
                1.0,
            );
            for t in topics.iter().filter(|t| !t.internal) {
                for p in &t.partitions {
                    let partition = p.partition.to_string();
                    let labels = [("topic", t.name.as_str()), ("partition", partition.as_str())];
                    m.add(
                        "kafka_topic_partition_current_offset",
                        "gauge",
                        "Current offset (high watermark) of a partition.",
                        &labels,
                        p.high as f64,
                    );
                    m.add(
                        "kafka_topic_partition_oldest_offset",
                        "gauge",
                        "Oldest offset (log start) of a partition.",
                        &labels,
                        p.low as f64,
                    );
                }
            }
            for g in &groups {
                for o in &g.offsets {
                    let partition = o.partition.to_string();
                    let labels = [
                        ("consumergroup", g.group.as_str()),
                        ("topic", o.topic.as_str()),
                        ("partition", partition.as_str()),
                    ];
                    m.add(
                        "kafka_consumergroup_current_offset",
                        "gauge",
                        "Committed offset of a consumer group in a partition.",
                        &labels,
                        o.committed as f64,
                    );
                    m.add(
                        "kafka_consumergroup_lag",
                        "gauge",
                        "Lag of a consumer group in a partition (current offset - committed).",
                        &labels,
                        o.lag as f64,
                    );
                }
            }
        }
        Ok(Err(e)) => {
            tracing::debug!("metrics: Kafka not readable: {e}");
            m.add(
                "kafka_up",
                "gauge",
                "Whether the Kafka cluster answered this scrape.",
                &[],
                0.0,
            );
        }
        Err(_) => m.add(
            "kafka_up",
            "gauge",
            "Whether the Kafka cluster answered this scrape.",
            &[],
            0.0,
        ),
    }
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        m.render(),
    )
        .into_response()
}

fn jobs(app: &AppState, m: &mut Families) {
    let now = epoch_millis(SystemTime::now());
    let all: Vec<_> = app.manager.list().iter().map(|j| j.snapshot()).collect();
    for state in [
        JobState::Running,
        JobState::Finished,
        JobState::Failed,
        JobState::Canceled,
    ] {
        let n = all.iter().filter(|s| s.record.state == state).count();
        m.add(
            "spate_jobs",
            "gauge",
            "Jobs by state.",
            &[("state", state.name())],
            n as f64,
        );
    }
    for s in all.iter().filter(|s| s.record.state == JobState::Running) {
        let job = [
            ("job_id", s.record.id.as_str()),
            ("job_name", s.record.name.as_str()),
        ];
        m.add(
            "flink_jobmanager_job_uptime",
            "gauge",
            "Milliseconds the job's current run has been running.",
            &job,
            (now - s.record.started).max(0) as f64,
        );
        m.add(
            "flink_jobmanager_job_numRestarts",
            "gauge",
            "Restarts of the job's current run.",
            &job,
            f64::from(s.progress.restarts),
        );
        m.add(
            "flink_jobmanager_job_numberOfCompletedCheckpoints",
            "gauge",
            "Completed checkpoints and savepoints the server has seen.",
            &job,
            s.completed_checkpoints().count() as f64,
        );
        m.add(
            "flink_jobmanager_job_numberOfFailedCheckpoints",
            "gauge",
            "Checkpoints that failed (timed out, or a snapshot or write failed).",
            &job,
            s.progress.checkpoints_failed as f64,
        );
        m.add(
            "flink_jobmanager_job_numberOfInProgressCheckpoints",
            "gauge",
            "Checkpoints in flight (0 or 1).",
            &job,
            f64::from(u8::from(s.checkpoint_in_progress())),
        );
        if let Some(c) = s.completed_checkpoints().next_back() {
            if let Some(d) = c.duration {
                m.add(
                    "flink_jobmanager_job_lastCheckpointDuration",
                    "gauge",
                    "Milliseconds the last completed checkpoint took.",
                    &job,
                    d.as_millis() as f64,
                );
            }
            if let Some(size) = c.size {
                m.add(
                    "flink_jobmanager_job_lastCheckpointSize",
                    "gauge",
                    "Bytes of the last completed checkpoint.",
                    &job,
                    size as f64,
                );
            }
        }
        for v in &s.vertices {
            let labels = [job[0], job[1], ("operator_name", v.name.as_str())];
            m.add(
                "flink_taskmanager_job_task_operator_numRecordsIn",
                "counter",
                "Records the operator received (all subtasks, current run).",
                &labels,
                v.records_in as f64,
            );
            m.add(
                "flink_taskmanager_job_task_operator_numRecordsOut",
                "counter",
                "Records the operator emitted (all subtasks, current run).",
                &labels,
                v.records_out as f64,
            );
            if let Some(r) = &v.rates {
                m.add(
                    "flink_taskmanager_job_task_operator_numRecordsInPerSecond",
                    "gauge",
                    "Records received per second.",
                    &labels,
                    r.records_in,
                );
                m.add(
                    "flink_taskmanager_job_task_operator_numRecordsOutPerSecond",
                    "gauge",
                    "Records emitted per second.",
                    &labels,
                    r.records_out,
                );
                m.add(
                    "flink_taskmanager_job_task_busyTimeMsPerSecond",
                    "gauge",
                    "Busy milliseconds per second of the operator's busiest subtask.",
                    &labels,
                    r.busy_ms_per_second,
                );
                m.add(
                    "flink_taskmanager_job_task_backPressuredTimeMsPerSecond",
                    "gauge",
                    "Backpressured milliseconds per second of the operator's most backpressured subtask.",
                    &labels,
                    r.backpressured_ms_per_second,
                );
            }
            if let Some(c) = s.completed_checkpoints().next_back() {
                m.add(
                    "spate_taskmanager_job_task_operator_checkpointedStateSize",
                    "gauge",
                    "Bytes of the operator's state (all subtasks) in the newest completed checkpoint.",
                    &labels,
                    c.state_size_of(v) as f64,
                );
            }
            if let Some(w) = v.watermark.filter(|w| *w != i64::MAX) {
                m.add(
                    "flink_taskmanager_job_task_operator_currentInputWatermark",
                    "gauge",
                    "The operator's input watermark (epoch milliseconds, smallest over subtasks).",
                    &labels,
                    w as f64,
                );
                m.add(
                    "spate_taskmanager_job_task_operator_eventTimeLag",
                    "gauge",
                    "Processing time minus the operator's input watermark, in milliseconds.",
                    &labels,
                    (now - w) as f64,
                );
            }
        }
    }
}
