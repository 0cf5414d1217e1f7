//! The REST API against a server started in this process on 127.0.0.1 port 0 (the embedded
//! broker too): SQL jobs submitted, seen RUNNING and FINISHED, a Kafka-reading job's
//! savepoint, stop, resume and cancel, the Kafka views, and bad requests answered with 4xx
//! JSON errors.
#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use spate_server::{Client, Server, ServerConfig, ServerError};

async fn start(dir: &std::path::Path) -> (Server, Client) {
    let mut config = ServerConfig::new(dir);
    config.kafka_listen = ([127, 0, 0, 1], 0).into();
    config.http_listen = ([127, 0, 0, 1], 0).into();
    config.checkpoint_interval = Duration::from_millis(200);
    let server = Server::start(config).await.unwrap();
    let client = Client::new(&format!("http://{}", server.http_addr())).unwrap();
    (server, client)
}

/// Polls the job until `check` holds for its detail (60 s at most).
async fn wait_job(client: &Client, id: &str, what: &str, check: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let job = client.job(id).await.unwrap();
        if check(&job) {
            return job;
        }
        assert!(Instant::now() < deadline, "job {id} never got {what}: {job:#}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn wait_state(client: &Client, id: &str, state: &str) -> Value {
    wait_job(client, id, state, |j| j["state"] == state).await
}

/// Writes 300 rows of a slow generator into the Kafka topic `numbers` (the embedded broker
/// creates it), so the job is seen RUNNING before it is FINISHED.
const PRODUCE: &str = "
CREATE TABLE gen (n BIGINT) WITH (
  'connector' = 'datagen', 'rows-per-second' = '300', 'number-of-rows' = '300',
  'fields.n.kind' = 'sequence', 'fields.n.start' = '1', 'fields.n.end' = '300');
CREATE TABLE numbers (n BIGINT) WITH ('connector' = 'kafka', 'topic' = 'numbers', 'format' = 'json');
INSERT INTO numbers SELECT n FROM gen;
";

/// Reads `numbers` for ever in group `readers`, committing offsets at checkpoints.
const READ: &str = "
CREATE TABLE numbers (n BIGINT) WITH ('connector' = 'kafka', 'topic' = 'numbers', 'format' = 'json',
  'properties.group.id' = 'readers', 'scan.startup.mode' = 'earliest-offset');
CREATE TABLE sink (n BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO sink SELECT n FROM numbers WHERE n > 0;
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_run_finish_savepoint_stop_resume_and_cancel() {
    let dir = tempfile::tempdir().unwrap();
    let (server, client) = start(dir.path()).await;

    let producer = client.submit(PRODUCE).await.unwrap();
    assert_eq!(producer.len(), 32);
    wait_state(&client, &producer, "RUNNING").await;
    let list = client.request("GET", "/jobs", None).await.unwrap();
    assert_eq!(list["jobs"][0]["id"], producer.as_str());
    let done = wait_state(&client, &producer, "FINISHED").await;
    assert_eq!(done["name"], "insert-into_numbers");
    assert!(done["end-time"].as_i64().unwrap() >= done["start-time"].as_i64().unwrap());
    let vertices = done["vertices"].as_array().unwrap();
    assert!(!vertices.is_empty(), "{done:#}");
    let written: u64 = vertices
        .iter()
        .map(|v| v["metrics"]["write-records"].as_u64().unwrap())
        .max()
        .unwrap();
    assert_eq!(written, 300, "the source vertex wrote every row: {done:#}");

    // The Kafka view sees the 300 records.
    let topics = client.request("GET", "/kafka/topics", None).await.unwrap();
    let numbers = topics["topics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "numbers")
        .unwrap();
    let messages: i64 = numbers["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["messages"].as_i64().unwrap())
        .sum();
    assert_eq!(messages, 300, "{numbers:#}");

    // A job reading the topic: live vertices with rates, a checkpoint, committed offsets.
    let reader = client.submit(READ).await.unwrap();
    let running = wait_job(&client, &reader, "live vertices with rates", |j| {
        j["state"] == "RUNNING"
            && j["vertices"].as_array().is_some_and(|v| {
                !v.is_empty()
                    && v.iter()
                        .all(|v| v["metrics"]["records-in-per-second"].is_number())
            })
    })
    .await;
    assert!(running["vertices"][0]["parallelism"].as_u64().unwrap() >= 1);
    let vertex_count = running["vertices"].as_array().unwrap().len();
    let plan = client
        .request("GET", &format!("/jobs/{reader}/plan"), None)
        .await
        .unwrap();
    assert_eq!(
        plan["plan"]["nodes"].as_array().unwrap().len(),
        vertex_count,
        "{plan:#}"
    );
    let names = client
        .request("GET", &format!("/jobs/{reader}/vertices/0/metrics"), None)
        .await
        .unwrap();
    assert!(
        names
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["id"] == "numRecordsOut"),
        "{names:#}"
    );
    let source_out = |m: &Value| -> u64 { m[0]["value"].as_str().unwrap().parse().unwrap() };
    let path = format!("/jobs/{reader}/vertices/0/metrics?get=numRecordsOut,noSuchMetric");
    let values = client.request("GET", &path, None).await.unwrap();
    assert_eq!(values.as_array().unwrap().len(), 1, "{values:#}");
    assert!(source_out(&values) <= 300);
    let watermarks = client
        .request("GET", &format!("/jobs/{reader}/vertices/0/watermarks"), None)
        .await
        .unwrap();
    assert!(watermarks.is_array());
    let last = vertex_count - 1;
    let bp = client
        .request(
            "GET",
            &format!("/jobs/{reader}/vertices/{last}/backpressure"),
            None,
        )
        .await
        .unwrap();
    assert!(
        ["ok", "low", "high"].contains(&bp["backpressure-level"].as_str().unwrap()),
        "{bp:#}"
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    let lag = loop {
        let groups = client.request("GET", "/kafka/groups", None).await.unwrap();
        let group = groups["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["group"] == "readers")
            .cloned();
        if let Some(g) = group {
            let committed: i64 = g["offsets"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["committed"].as_i64().unwrap())
                .sum();
            if committed == 300 {
                break g["lag"].as_i64().unwrap();
            }
        }
        assert!(
            Instant::now() < deadline,
            "the group never committed every offset: {groups:#}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(lag, 0);
    let checkpoints = loop {
        let c = client
            .request("GET", &format!("/jobs/{reader}/checkpoints"), None)
            .await
            .unwrap();
        if c["counts"]["completed"].as_u64().unwrap() > 0 {
            break c;
        }
        assert!(Instant::now() < deadline, "no checkpoint in the history: {c:#}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(checkpoints["history"][0]["status"], "COMPLETED");
    assert!(
        checkpoints["latest"]["completed"]["state_size"].as_u64().unwrap() > 0,
        "{checkpoints:#}"
    );
    let latest = &checkpoints["latest"]["completed"];
    assert!(
        latest["alignment_duration"].as_i64().unwrap() <= latest["end_to_end_duration"].as_i64().unwrap(),
        "{checkpoints:#}"
    );
    assert_eq!(checkpoints["counts"]["failed"], 0, "{checkpoints:#}");

    // A savepoint keeps it running; stop ends it FINISHED with a savepoint on disk.
    let savepoint = client
        .savepoint(&reader, false, Duration::from_secs(60))
        .await
        .unwrap();
    assert!(
        std::path::Path::new(&savepoint).join("_metadata").is_file(),
        "{savepoint}"
    );
    assert_eq!(client.job(&reader).await.unwrap()["state"], "RUNNING");
    let stopped = client
        .savepoint(&reader, true, Duration::from_secs(60))
        .await
        .unwrap();
    assert!(
        std::path::Path::new(&stopped).join("_metadata").is_file(),
        "{stopped}"
    );
    wait_state(&client, &reader, "FINISHED").await;
    let history = client
        .request("GET", &format!("/jobs/{reader}/checkpoints"), None)
        .await
        .unwrap();
    assert_eq!(
        history["latest"]["savepoint"]["external_path"],
        stopped.as_str(),
        "{history:#}"
    );

    // A new job started from that savepoint with Flink's SQL setting restores it.
    let upgraded = client
        .submit(&format!("SET 'execution.savepoint.path' = '{stopped}';\n{READ}"))
        .await
        .unwrap();
    let from_savepoint = wait_job(&client, &upgraded, "a restore", |j| {
        j["state"] == "RUNNING" && j["restored-from-checkpoint"].is_u64()
    })
    .await;
    let savepoint_id: u64 = stopped.rsplit('-').next().unwrap().parse().unwrap();
    assert_eq!(from_savepoint["restored-from-checkpoint"], savepoint_id);
    client.cancel(&upgraded).await.unwrap();
    wait_state(&client, &upgraded, "CANCELED").await;

    // Resumed, it restores from the stop-savepoint; then cancelled.
    client.resume(&reader).await.unwrap();
    let resumed = wait_job(&client, &reader, "a restore", |j| {
        j["state"] == "RUNNING" && j["restored-from-checkpoint"].is_u64()
    })
    .await;
    assert_eq!(resumed["runs"], 2);
    client.cancel(&reader).await.unwrap();
    wait_state(&client, &reader, "CANCELED").await;
    let overview = client.request("GET", "/overview", None).await.unwrap();
    assert_eq!(overview["jobs-finished"], 1, "{overview:#}");
    assert_eq!(overview["jobs-cancelled"], 2, "{overview:#}");
    let exceptions = client
        .request("GET", &format!("/jobs/{reader}/exceptions"), None)
        .await
        .unwrap();
    assert_eq!(exceptions["root-exception"], Value::Null);

    server.shutdown().await.unwrap();
}

/// Sends raw bytes as a request and returns (status, JSON body).
fn raw(addr: std::net::SocketAddr, request: &str) -> (u16, Value) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let status = text.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

fn api_status(e: ServerError) -> (u16, String) {
    match e {
        ServerError::Api { status, message } => (status, message),
        other => panic!("not an API error: {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_4xx_json_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (server, client) = start(dir.path()).await;
    let bad_sql = [
        ("CREATE TABLE (", "parse"),
        ("SELECT 1;", "SELECT"),
        (
            "CREATE TABLE t (n INT) WITH ('connector' = 'blackhole');",
            "exactly one",
        ),
        ("INSERT INTO nowhere SELECT 1;", "nowhere"),
        ("", "empty"),
    ];
    for (sql, why) in bad_sql {
        let e = client
            .request("POST", "/jobs", Some(&json!({ "sql": sql })))
            .await
            .unwrap_err();
        let (status, message) = api_status(e);
        assert_eq!(status, 400, "{sql}: {message}");
        assert!(message.contains(why), "{sql}: {message}");
    }
    let unknown = "0123456789abcdef0123456789abcdef";
    for (method, path, status) in [
        ("GET", format!("/jobs/{unknown}"), 404),
        ("GET", "/jobs/not-an-id".to_string(), 404),
        ("PATCH", format!("/jobs/{unknown}"), 404),
        ("POST", format!("/jobs/{unknown}/stop"), 404),
        ("GET", format!("/jobs/{unknown}/checkpoints"), 404),
        ("GET", "/no/such/path".to_string(), 404),
        ("GET", format!("/jobs/{unknown}/plan"), 404),
        ("GET", format!("/jobs/{unknown}/vertices/0/metrics"), 404),
        ("DELETE", "/jobs".to_string(), 405),
        ("POST", "/jobs".to_string(), 400),
    ] {
        let (got, message) = api_status(client.request(method, &path, None).await.unwrap_err());
        assert_eq!(got, status, "{method} {path}: {message}");
        assert!(!message.is_empty());
    }

    // Bodies that are not what the endpoint takes.
    let addr = server.http_addr();
    let post = |path: &str, body: &str| {
        format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    };
    for (request, fragment) in [
        (post("/jobs", "{not json"), "JSON object"),
        (post("/jobs", r#"{"sql": 7}"#), "'sql' must be a string"),
        (post("/jobs", "[1,2]"), "JSON object"),
    ] {
        let (status, body) = raw(addr, &request);
        assert_eq!(status, 400, "{request}: {body}");
        assert!(body["errors"][0].as_str().unwrap().contains(fragment), "{body}");
    }

    // Requests a job's state does not allow: 409; a bad stop option: 400.
    let sql = "CREATE TABLE g (n BIGINT) WITH ('connector' = 'datagen', 'number-of-rows' = '5');
CREATE TABLE s (n BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO s SELECT n FROM g;";
    let id = client.submit(sql).await.unwrap();
    wait_state(&client, &id, "FINISHED").await;
    let (status, _) = api_status(client.cancel(&id).await.unwrap_err());
    assert_eq!(status, 409);
    let (status, _) = api_status(
        client
            .savepoint(&id, false, Duration::from_secs(5))
            .await
            .unwrap_err(),
    );
    assert_eq!(status, 409);
    for path in [
        format!("/jobs/{id}/vertices/99/metrics"),
        format!("/jobs/{id}/vertices/x/backpressure"),
    ] {
        let (status, message) = api_status(client.request("GET", &path, None).await.unwrap_err());
        assert_eq!(status, 404, "{path}: {message}");
    }
    let (status, _) = api_status(
        client
            .request("GET", &format!("/jobs/{id}/vertices/0/metrics?bogus=1"), None)
            .await
            .unwrap_err(),
    );
    assert_eq!(status, 400);
    let (status, body) = raw(addr, &post(&format!("/jobs/{id}/stop"), r#"{"drain": true}"#));
    assert_eq!(status, 400, "{body}");
    let (status, body) = raw(
        addr,
        &post(&format!("/jobs/{id}/savepoints"), r#"{"cancel-job": "yes"}"#),
    );
    assert_eq!(status, 400, "{body}");
    let (status, body) = raw(
        addr,
        &format!(
            "PATCH /jobs/{id}?mode=explode HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        ),
    );
    assert_eq!(status, 400, "{body}");
    // A plain-text body is a script too; a failing job records its cause and each decision of
    // its restart strategy.
    let failing = "SET 'restart-strategy.type' = 'fixed-delay';
SET 'restart-strategy.fixed-delay.attempts' = '2';
SET 'restart-strategy.fixed-delay.delay' = '50 ms';
CREATE TABLE g (n INT) WITH ('connector' = 'datagen', 'number-of-rows' = '5',
  'fields.n.kind' = 'sequence', 'fields.n.start' = '0', 'fields.n.end' = '4');
CREATE TABLE s (n INT) WITH ('connector' = 'blackhole');
INSERT INTO s SELECT 10 / n FROM g;";
    let (status, body) = raw(
        addr,
        &format!(
            "POST /jobs HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{failing}",
            failing.len()
        ),
    );
    assert_eq!(status, 202, "{body}");
    let failed_id = body["jobid"].as_str().unwrap().to_string();
    wait_state(&client, &failed_id, "FAILED").await;
    let exceptions = client
        .request("GET", &format!("/jobs/{failed_id}/exceptions"), None)
        .await
        .unwrap();
    assert!(
        exceptions["root-exception"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("zero"),
        "{exceptions:#}"
    );
    assert_eq!(exceptions["restart-strategy"], "fixed-delay", "{exceptions:#}");
    assert_eq!(exceptions["restarts"], 2, "{exceptions:#}");
    let decisions: Vec<&Value> = exceptions["exceptionHistory"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["restart"])
        .collect();
    // Newest first: the strategy gave up after restarting twice, 50 ms apart.
    assert_eq!(decisions.len(), 3, "{exceptions:#}");
    assert_eq!(decisions[0]["decision"], "not-restarted", "{exceptions:#}");
    assert!(
        decisions[0]["reason"].as_str().unwrap().contains("2 restart(s)"),
        "{exceptions:#}"
    );
    for (d, attempt) in decisions[1..].iter().zip([2, 1]) {
        assert_eq!(d["decision"], "restarted", "{exceptions:#}");
        assert_eq!(d["attempt"], attempt, "{exceptions:#}");
        assert_eq!(d["delay_ms"], 50, "{exceptions:#}");
    }
    server.shutdown().await.unwrap();
}
