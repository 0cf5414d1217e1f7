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
    let client = Client::new(&format!("http://{}", server.http_addr()))
        .unwrap()
        .with_token(server.token());
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
    // Per vertex: the source keeps its positions, the blackhole sink nothing.
    let id = latest["id"].as_u64().unwrap();
    let path = format!("/jobs/{reader}/checkpoints/details/{id}");
    let details = client.request("GET", &path, None).await.unwrap();
    let tasks = details["tasks"].as_object().unwrap();
    assert_eq!(tasks.len(), vertex_count, "{details:#}");
    assert!(tasks["0"]["state_size"].as_u64().unwrap() > 0, "{details:#}");
    assert_eq!(tasks[&last.to_string()]["state_size"], 0, "{details:#}");
    let job = client.job(&reader).await.unwrap();
    assert!(
        job["vertices"][0]["checkpointed-size"].as_u64().unwrap() > 0,
        "{job:#}"
    );
    let path = format!("/jobs/{reader}/checkpoints/details/999999");
    let (status, message) = api_status(client.request("GET", &path, None).await.unwrap_err());
    assert_eq!(status, 404, "{message}");
    assert!(message.contains("checkpoint 999999"), "{message}");

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

/// Sends raw bytes as a request, with the token after the request line, and returns
/// (status, JSON body).
fn raw(addr: std::net::SocketAddr, token: &str, request: &str) -> (u16, Value) {
    let (line, rest) = request.split_once("\r\n").unwrap();
    let request = format!("{line}\r\nAuthorization: Bearer {token}\r\n{rest}");
    raw_as_is(addr, &request)
}

/// Sends raw bytes as a request and returns (status, JSON body).
fn raw_as_is(addr: std::net::SocketAddr, request: &str) -> (u16, Value) {
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
    let token = server.token().unwrap();
    let post = |path: &str, body: &str| {
        format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    };
    for (request, fragment) in [
        (post("/jobs", "{not json"), "JSON object"),
        (post("/jobs", r#"{"sql": 7}"#), "'sql' must be a string"),
        (post("/jobs", "[1,2]"), "JSON object"),
    ] {
        let (status, body) = raw(addr, token, &request);
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
    let (status, body) = raw(
        addr,
        token,
        &post(&format!("/jobs/{id}/stop"), r#"{"drain": true}"#),
    );
    assert_eq!(status, 400, "{body}");
    let (status, body) = raw(
        addr,
        token,
        &post(&format!("/jobs/{id}/savepoints"), r#"{"cancel-job": "yes"}"#),
    );
    assert_eq!(status, 400, "{body}");
    let (status, body) = raw(
        addr,
        token,
        &format!(
            "PATCH /jobs/{id}?mode=explode HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        ),
    );
    assert_eq!(status, 400, "{body}");
    // An application/sql body is a script too; a failing job records its cause and each decision of
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
        token,
        &format!(
            "POST /jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sql\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{failing}",
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

/// A server with `tweak` applied to its configuration, and a client with its token.
async fn start_with(dir: &std::path::Path, tweak: impl FnOnce(&mut ServerConfig)) -> (Server, Client) {
    let mut config = ServerConfig::new(dir);
    config.kafka_listen = ([127, 0, 0, 1], 0).into();
    config.http_listen = ([127, 0, 0, 1], 0).into();
    config.checkpoint_interval = Duration::from_millis(200);
    tweak(&mut config);
    let server = Server::start(config).await.unwrap();
    let client = Client::new(&format!("http://{}", server.http_addr()))
        .unwrap()
        .with_token(server.token());
    (server, client)
}

/// One request's status, headers (lower-case names) and body, sent as given.
fn exchange(addr: std::net::SocketAddr, request: &str) -> (u16, String, String) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, head.to_ascii_lowercase(), body.to_string())
}

const UNBOUNDED: &str = "CREATE TABLE g (n BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '50');
CREATE TABLE s (n BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO s SELECT n FROM g;";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_need_the_token_and_the_dashboard_keeps_it_in_a_cookie() {
    let dir = tempfile::tempdir().unwrap();
    let (server, client) = start(dir.path()).await;
    let addr = server.http_addr();
    let token = server.token().unwrap().to_string();
    assert_eq!(
        std::fs::read_to_string(dir.path().join("http-token")).unwrap(),
        token,
        "the token is kept in the data directory"
    );
    assert_eq!(server.dashboard_url(), format!("http://{addr}/?token={token}"));
    let get = |path: &str, extra: &str| {
        exchange(
            addr,
            &format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n{extra}Connection: close\r\n\r\n"),
        )
    };
    // No token, a wrong one, a token of the wrong length: 401 with the way to get one.
    for extra in [
        String::new(),
        "Authorization: Bearer 0123\r\n".to_string(),
        format!("Authorization: Bearer {}\r\n", "0".repeat(token.len())),
        format!("Cookie: spate-token-1={token}\r\n"),
    ] {
        let (status, head, body) = get("/jobs/overview", &extra);
        assert_eq!(status, 401, "{extra}: {body}");
        assert!(head.contains("www-authenticate: bearer"), "{head}");
        assert!(body.contains("http-token"), "{body}");
    }
    let anonymous = Client::new(&format!("http://{addr}")).unwrap();
    let (status, message) = api_status(anonymous.submit(UNBOUNDED).await.unwrap_err());
    assert_eq!(status, 401, "{message}");
    assert!(message.contains("--token"), "{message}");
    assert!(
        client.jobs().await.unwrap()["jobs"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(get("/jobs", &format!("Authorization: Bearer {token}\r\n")).0, 200);
    // The dashboard's files are not secret; the page is.
    assert_eq!(get("/assets/app.js", "").0, 200);
    let (status, _, body) = get("/", "");
    assert_eq!(status, 401);
    assert!(body.contains("?token="), "{body}");
    assert_eq!(get("/?token=nope", "").0, 401);
    // Opened with ?token=, the page gets an HttpOnly, SameSite=Strict cookie named after its
    // port and is sent to / without the token in its address.
    let (status, head, _) = get(&format!("/?token={token}"), "");
    assert_eq!(status, 303, "{head}");
    assert!(head.contains("\r\nlocation: /\r\n"), "{head}");
    let cookie_line = head
        .lines()
        .find(|l| l.starts_with("set-cookie:"))
        .unwrap()
        .to_string();
    let cookie_name = format!("spate-token-{}", addr.port());
    assert!(
        cookie_line.contains(&format!("{cookie_name}={token}")),
        "{cookie_line}"
    );
    assert!(
        cookie_line.contains("httponly") && cookie_line.contains("samesite=strict"),
        "{cookie_line}"
    );
    let cookie = format!("Cookie: {cookie_name}={token}\r\n");
    let (status, head, body) = get("/", &cookie);
    assert_eq!(status, 200, "{head}");
    assert!(body.contains("<html") || body.contains("<!doctype"), "{body}");
    assert_eq!(get("/jobs/overview", &cookie).0, 200);
    // A change authenticated by the cookie alone must come from the page's own origin.
    let post = |extra: &str| {
        let body = json!({ "sql": "INSERT INTO nowhere SELECT 1;" }).to_string();
        exchange(
            addr,
            &format!(
                "POST /jobs HTTP/1.1\r\nHost: {addr}\r\n{cookie}{extra}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            ),
        )
    };
    let (status, _, body) = post("");
    assert_eq!(status, 403, "{body}");
    let (status, _, body) = post("Origin: http://127.0.0.1:1\r\n");
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("cross-origin"), "{body}");
    // From the page itself it reaches the handler (which finds the script bad).
    let (status, _, body) = post(&format!("Origin: http://{addr}\r\n"));
    assert_eq!(status, 400, "{body}");
    let (status, _, body) = post("Sec-Fetch-Site: same-origin\r\n");
    assert_eq!(status, 400, "{body}");
    server.shutdown().await.unwrap();

    // The token survives a restart (bookmarks and cookies keep working).
    let (server, _) = start(dir.path()).await;
    assert_eq!(server.token(), Some(token.as_str()));
    server.shutdown().await.unwrap();

    // Explicitly off, no token is made or asked for.
    let open_dir = tempfile::tempdir().unwrap();
    let (server, _) = start_with(open_dir.path(), |c| c.auth = false).await;
    assert!(server.token().is_none());
    assert!(!open_dir.path().join("http-token").exists());
    let anonymous = Client::new(&format!("http://{}", server.http_addr())).unwrap();
    assert!(anonymous.jobs().await.is_ok());
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_site_posts_and_foreign_hosts_are_refused_even_without_auth() {
    let dir = tempfile::tempdir().unwrap();
    let (server, client) = start_with(dir.path(), |c| c.auth = false).await;
    let addr = server.http_addr();
    let send = |host: &str, extra: &str, content_type: &str, body: &str| {
        exchange(
            addr,
            &format!(
                "POST /jobs HTTP/1.1\r\nHost: {host}\r\n{extra}Content-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            ),
        )
    };
    let host = addr.to_string();
    // What an auto-submitted <form enctype="text/plain"> (or any form) sends: 415, no job.
    for content_type in [
        "text/plain",
        "text/plain; charset=UTF-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let (status, _, body) = send(&host, "", content_type, UNBOUNDED);
        assert_eq!(status, 415, "{content_type}: {body}");
        assert!(body.contains("application/sql"), "{body}");
    }
    // Another origin: 403 whatever it sends.
    let json_body = json!({ "sql": UNBOUNDED }).to_string();
    let (status, _, body) = send(
        &host,
        "Origin: http://evil.example\r\n",
        "application/json",
        &json_body,
    );
    assert_eq!(status, 403, "{body}");
    let (status, _, body) = send(&host, "Origin: null\r\n", "application/json", &json_body);
    assert_eq!(status, 403, "{body}");
    // A name that is not the server's (DNS rebinding): 403, reads too.
    let (status, _, body) = send("evil.example:8081", "", "application/json", &json_body);
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("--http-allowed-host"), "{body}");
    let (status, _, _) = exchange(
        addr,
        "GET /jobs HTTP/1.1\r\nHost: rebind.evil.example\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 403);
    assert!(
        client.jobs().await.unwrap()["jobs"]
            .as_array()
            .unwrap()
            .is_empty(),
        "no job ran"
    );
    // localhost and the server's own origin are fine.
    let (status, _, _) = exchange(
        addr,
        &format!(
            "GET /jobs HTTP/1.1\r\nHost: localhost:{}\r\nConnection: close\r\n\r\n",
            addr.port()
        ),
    );
    assert_eq!(status, 200);
    if let Ok(name) = std::fs::read_to_string("/proc/sys/kernel/hostname") {
        let request = format!(
            "GET /jobs HTTP/1.1\r\nHost: {}:{}\r\nConnection: close\r\n\r\n",
            name.trim(),
            addr.port()
        );
        assert_eq!(
            exchange(addr, &request).0,
            200,
            "the machine's own name is allowed"
        );
    }
    let (status, _, body) = send(
        &host,
        &format!("Origin: http://{host}\r\n"),
        "application/sql",
        UNBOUNDED,
    );
    assert_eq!(status, 202, "{body}");
    server.shutdown().await.unwrap();

    let dir = tempfile::tempdir().unwrap();
    let (server, _) = start_with(dir.path(), |c| {
        c.auth = false;
        c.allowed_hosts = vec!["spate.internal".into()];
    })
    .await;
    let (status, _, _) = exchange(
        server.http_addr(),
        "GET /jobs HTTP/1.1\r\nHost: spate.internal:8081\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 200);
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversize_bodies_get_413() {
    let dir = tempfile::tempdir().unwrap();
    let (server, client) = start(dir.path()).await;
    let addr = server.http_addr();
    let token = server.token().unwrap();
    let big = "-".repeat(3 << 20);
    for path in ["/jobs", "/sql/previews"] {
        let body = json!({ "sql": big }).to_string();
        let (status, _, answer) = exchange(
            addr,
            &format!(
                "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            ),
        );
        assert_eq!(status, 413, "{path}: {answer}");
        assert!(answer.contains("larger than"), "{answer}");
    }
    // Through the client, too.
    let (status, message) = api_status(
        client
            .request("POST", "/jobs", Some(&json!({ "sql": big })))
            .await
            .unwrap_err(),
    );
    assert_eq!(status, 413, "{message}");
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_submit_and_cancel_can_be_switched_off() {
    let dir = tempfile::tempdir().unwrap();
    let (server, client) = start(dir.path()).await;
    let config = client.request("GET", "/config", None).await.unwrap();
    assert_eq!(
        config["features"],
        json!({ "web-submit": true, "web-cancel": true })
    );
    let id = client.submit(UNBOUNDED).await.unwrap();
    wait_state(&client, &id, "RUNNING").await;
    server.shutdown().await.unwrap();

    // The job resumes on restart with both switches off: it runs, but nobody may submit,
    // cancel or stop over the API.
    let (server, client) = start_with(dir.path(), |c| {
        c.web_submit = false;
        c.web_cancel = false;
    })
    .await;
    let config = client.request("GET", "/config", None).await.unwrap();
    assert_eq!(
        config["features"],
        json!({ "web-submit": false, "web-cancel": false })
    );
    wait_state(&client, &id, "RUNNING").await;
    for (method, path, body, mentions) in [
        (
            "POST",
            "/jobs".to_string(),
            Some(json!({ "sql": UNBOUNDED })),
            "web.submit.enable",
        ),
        (
            "POST",
            "/sql/previews".to_string(),
            Some(json!({ "sql": "SELECT 1;" })),
            "web.submit.enable",
        ),
        ("PATCH", format!("/jobs/{id}"), None, "web.cancel.enable"),
        (
            "POST",
            format!("/jobs/{id}/stop"),
            Some(json!({})),
            "web.cancel.enable",
        ),
        (
            "POST",
            format!("/jobs/{id}/savepoints"),
            Some(json!({ "cancel-job": true })),
            "web.cancel.enable",
        ),
    ] {
        let (status, message) = api_status(client.request(method, &path, body.as_ref()).await.unwrap_err());
        assert_eq!(status, 403, "{method} {path}: {message}");
        assert!(message.contains(mentions), "{message}");
    }
    // A savepoint that keeps the job running is neither.
    wait_job(&client, &id, "a running dataflow", |j| {
        j["vertices"].as_array().is_some_and(|v| !v.is_empty())
    })
    .await;
    let location = client
        .savepoint(&id, false, Duration::from_secs(60))
        .await
        .unwrap();
    assert!(
        location.starts_with(&dir.path().join("jobs").display().to_string()),
        "{location}"
    );
    assert_eq!(client.job(&id).await.unwrap()["state"], "RUNNING");
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_and_savepoints_outside_the_allowed_dirs_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let allowed = dir.path().join("allowed");
    std::fs::create_dir_all(&allowed).unwrap();
    let input = allowed.join("in.txt");
    std::fs::write(&input, "a\nb\nc\n").unwrap();
    let data = dir.path().join("data");
    let (server, client) = start_with(&data, |c| c.allowed_dirs = vec![allowed.clone()]).await;
    let copy = |from: &str, to: &str| {
        format!(
            "CREATE TABLE src (line STRING) WITH ('connector' = 'filesystem', 'path' = '{from}', 'format' = 'raw');
CREATE TABLE dst (line STRING) WITH ('connector' = 'filesystem', 'path' = '{to}', 'format' = 'raw');
INSERT INTO dst SELECT line FROM src;"
        )
    };
    let inside_out = allowed.join("out").display().to_string();
    for (sql, mentions) in [
        (copy("/etc/passwd", &inside_out), "'/etc/passwd'"),
        (
            copy(&input.display().to_string(), "/tmp/spate-escape"),
            "'/tmp/spate-escape'",
        ),
        (
            copy(&format!("{}/../../../etc/passwd", allowed.display()), &inside_out),
            "../etc/passwd",
        ),
    ] {
        let (status, message) = api_status(client.submit(&sql).await.unwrap_err());
        assert_eq!(status, 403, "{message}");
        assert!(
            message.contains(mentions) && message.contains(&allowed.display().to_string()),
            "{message}"
        );
    }
    // A preview reading a file outside is refused the same way.
    let (status, message) = api_status(
        client
            .start_preview(
                "CREATE TABLE f (line STRING) WITH ('connector' = 'filesystem', 'path' = '/etc/passwd', 'format' = 'raw');
SELECT * FROM f;",
            )
            .await
            .unwrap_err(),
    );
    assert_eq!(status, 403, "{message}");
    // Inside, the job runs and writes its files.
    let id = client
        .submit(&copy(&input.display().to_string(), &inside_out))
        .await
        .unwrap();
    wait_state(&client, &id, "FINISHED").await;
    // Savepoints: into an allowed directory, or the job's own; elsewhere refused.
    let running = client.submit(UNBOUNDED).await.unwrap();
    wait_job(&client, &running, "a running dataflow", |j| {
        j["vertices"].as_array().is_some_and(|v| !v.is_empty())
    })
    .await;
    let (status, message) = api_status(
        client
            .request(
                "POST",
                &format!("/jobs/{running}/savepoints"),
                Some(&json!({ "target-directory": "/tmp/elsewhere" })),
            )
            .await
            .unwrap_err(),
    );
    assert_eq!(status, 403, "{message}");
    assert!(message.contains("/tmp/elsewhere"), "{message}");
    let answer = client
        .request(
            "POST",
            &format!("/jobs/{running}/savepoints"),
            Some(&json!({ "target-directory": allowed.join("sp").display().to_string() })),
        )
        .await
        .unwrap();
    assert!(answer["request-id"].is_string(), "{answer}");
    client.cancel(&running).await.unwrap();
    server.shutdown().await.unwrap();

    // Without --allowed-dir no file is allowed, and the message says how to allow one.
    let other = tempfile::tempdir().unwrap();
    let (server, client) = start(other.path()).await;
    let (status, message) = api_status(
        client
            .submit(&copy(&input.display().to_string(), &inside_out))
            .await
            .unwrap_err(),
    );
    assert_eq!(status, 403, "{message}");
    assert!(message.contains("--allowed-dir"), "{message}");
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_beyond_the_limit_are_refused_until_one_ends() {
    let dir = tempfile::tempdir().unwrap();
    let (server, client) = start_with(dir.path(), |c| c.max_jobs = 2).await;
    let first = client.submit(UNBOUNDED).await.unwrap();
    let second = client.submit(UNBOUNDED).await.unwrap();
    let overview = client.overview().await.unwrap();
    assert_eq!(overview["slots-total"], 2, "{overview:#}");
    assert_eq!(overview["slots-available"], 0, "{overview:#}");
    let (status, message) = api_status(client.submit(UNBOUNDED).await.unwrap_err());
    assert_eq!(status, 429, "{message}");
    assert!(message.contains("--max-jobs 2"), "{message}");
    client.cancel(&first).await.unwrap();
    wait_state(&client, &first, "CANCELED").await;
    // A resume counts too.
    let third = client.submit(UNBOUNDED).await.unwrap();
    let (status, _) = api_status(client.resume(&first).await.unwrap_err());
    assert_eq!(status, 429);
    for id in [&second, &third] {
        client.cancel(id).await.unwrap();
        wait_state(&client, id, "CANCELED").await;
    }
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_are_bounded_and_idle_ones_time_out() {
    let dir = tempfile::tempdir().unwrap();
    let (server, client) = start_with(dir.path(), |c| {
        c.http_limits.max_connections = 4;
        c.http_limits.header_timeout = Duration::from_millis(700);
    })
    .await;
    let addr = server.http_addr();
    let closed = |mut s: std::net::TcpStream| -> bool {
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut buf = [0u8; 512];
        matches!(s.read(&mut buf), Ok(0) | Err(_))
    };
    // Ten idle connections: the oldest give their places to the newest, and clients with
    // requests are still answered.
    let idle: Vec<std::net::TcpStream> = (0..10)
        .map(|_| std::net::TcpStream::connect(addr).unwrap())
        .collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    for _ in 0..3 {
        assert!(client.jobs().await.is_ok());
    }
    let started = Instant::now();
    let results = tokio::task::spawn_blocking(move || idle.into_iter().map(closed).collect::<Vec<_>>())
        .await
        .unwrap();
    assert!(results.iter().all(|c| *c), "{results:?}");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "closed by the header timeout at the latest"
    );
    // A request head that trickles in is cut off at the header timeout.
    let mut slow = std::net::TcpStream::connect(addr).unwrap();
    slow.write_all(b"GET /jobs HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .unwrap();
    let started = Instant::now();
    assert!(tokio::task::spawn_blocking(move || closed(slow)).await.unwrap());
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(500) && waited < Duration::from_secs(4),
        "{waited:?}"
    );
    server.shutdown().await.unwrap();
}

/// `Threads:` and `VmRSS:` (KiB) of this process.
fn threads_and_rss() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .unwrap()
            .parse()
            .unwrap()
    };
    (field("Threads:"), field("VmRSS:"))
}

/// Cancelled jobs give their threads back: after warm-up cycles (pools, the broker's topic),
/// further submit + cancel cycles leave the thread count where it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_jobs_give_their_threads_back() {
    let dir = tempfile::tempdir().unwrap();
    let (server, client) = start(dir.path()).await;
    let kafka_job = "CREATE TABLE g (n BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '100');
CREATE TABLE k (n BIGINT) WITH ('connector' = 'kafka', 'topic' = 'cycles', 'format' = 'json');
INSERT INTO k SELECT n FROM g;";
    let cycle = |n: usize| {
        let client = client.clone();
        async move {
            for _ in 0..n {
                let id = client.submit(kafka_job).await.unwrap();
                wait_job(&client, &id, "a running dataflow", |j| {
                    j["vertices"].as_array().is_some_and(|v| !v.is_empty())
                        && j["records-out"].as_u64() > Some(0)
                })
                .await;
                client.cancel(&id).await.unwrap();
                wait_state(&client, &id, "CANCELED").await;
            }
            // The sampler joins ended runs' threads within a second.
            tokio::time::sleep(Duration::from_millis(2500)).await;
        }
    };
    cycle(3).await;
    let (threads_before, rss_before) = threads_and_rss();
    const CYCLES: usize = 10;
    cycle(CYCLES).await;
    let (threads_after, rss_after) = threads_and_rss();
    eprintln!(
        "after {CYCLES} submit+cancel cycles: threads {threads_before} -> {threads_after}, \
         RSS {rss_before} KiB -> {rss_after} KiB ({:+} KiB per job)",
        (rss_after as i64 - rss_before as i64) / CYCLES as i64
    );
    assert!(
        threads_after <= threads_before + 2,
        "threads grew from {threads_before} to {threads_after} over {CYCLES} cancelled jobs"
    );
    server.shutdown().await.unwrap();
}

/// A CA and a server certificate for 127.0.0.1 it signed, as PEM files in `dir`: the CA's
/// path and the path of the certificate with its key (a broker's `ssl.keystore.location`).
fn certificates(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair, KeyUsagePurpose};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign];
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let params = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()]).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &*ca).unwrap();
    let (ca_pem, server_pem) = (dir.join("ca.pem"), dir.join("server.pem"));
    std::fs::write(&ca_pem, ca.pem()).unwrap();
    std::fs::write(&server_pem, format!("{}{}", cert.pem(), key.serialize_pem())).unwrap();
    (ca_pem, server_pem)
}

/// Users of the broker log in to the REST API over HTTPS with their SCRAM passwords; what
/// each may do is what the broker's ACLs give it, for its requests and for the jobs and
/// previews it submits; the token is the administrator's. The broker only takes SASL clients,
/// so the jobs' own clients also show the server's identity on it works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_users_get_the_rights_their_acls_give_them() {
    use spate_broker::acl::{AclBinding, Operation, PatternType, Permission, ResourceType};
    use spate_broker::credentials::CredentialStore;
    use spate_broker::{BrokerConfig, SaslMechanism, Setting};

    let dir = tempfile::tempdir().unwrap();
    let pki = tempfile::tempdir().unwrap();
    let (ca, keystore) = certificates(pki.path());
    let broker_dir = dir.path().join("broker");
    let users = CredentialStore::open(&broker_dir).unwrap();
    users
        .set_password("alice", SaslMechanism::ScramSha256, "alice-secret", 4096)
        .unwrap();
    users
        .set_password("bob", SaslMechanism::ScramSha512, "bob-secret", 4096)
        .unwrap();
    let acl = |resource_type, name: &str, pattern_type, user: &str, operation| AclBinding {
        resource_type,
        resource_name: name.into(),
        pattern_type,
        principal: format!("User:{user}"),
        host: "*".into(),
        operation,
        permission: Permission::Allow,
    };
    let acls = [
        acl(
            ResourceType::Topic,
            "numbers",
            PatternType::Literal,
            "alice",
            Operation::Read,
        ),
        acl(
            ResourceType::Group,
            "readers",
            PatternType::Literal,
            "alice",
            Operation::Read,
        ),
        acl(
            ResourceType::Topic,
            "copies",
            PatternType::Literal,
            "alice",
            Operation::Write,
        ),
        acl(
            ResourceType::Topic,
            "numbers",
            PatternType::Literal,
            "bob",
            Operation::Describe,
        ),
    ];
    std::fs::create_dir_all(broker_dir.join("broker")).unwrap();
    std::fs::write(
        broker_dir.join("broker/acls"),
        spate_broker::acl::file_format::encode(&acls),
    )
    .unwrap();
    let mut broker = BrokerConfig::new(&broker_dir);
    broker
        .apply_properties(&[
            Setting::new("listeners", "SASL_PLAINTEXT://127.0.0.1:0", "test"),
            Setting::new("ssl.keystore.location", keystore.display().to_string(), "test"),
        ])
        .unwrap();
    let mut config = ServerConfig::new(dir.path());
    config.http_listen = ([127, 0, 0, 1], 0).into();
    config.checkpoint_interval = Duration::from_millis(200);
    config.broker = Some(broker);
    config.http_tls = true;
    let server = Server::start(config.clone()).await.unwrap();
    let url = server.url();
    assert!(url.starts_with("https://"), "{url}");
    let admin = Client::new(&url)
        .unwrap()
        .with_ca_file(Some(&ca))
        .with_token(server.token());
    let as_user = |user: &str, password: &str| {
        Client::new(&url)
            .unwrap()
            .with_ca_file(Some(&ca))
            .with_user(user, password)
    };
    let (alice, bob) = (as_user("alice", "alice-secret"), as_user("bob", "bob-secret"));

    // Plain HTTP on the HTTPS port gets nowhere; wrong passwords and unknown users are 401s.
    let plain = Client::new(&format!("http://{}", server.http_addr()))
        .unwrap()
        .with_token(server.token());
    assert!(plain.overview().await.is_err());
    for (user, password) in [("bob", "alice-secret"), ("carol", "x")] {
        let e = as_user(user, password).jobs().await.unwrap_err();
        assert_eq!(api_status(e).0, 401, "{user}");
    }

    // The administrator's job writes `numbers` through the server's own SASL identity.
    let producer = admin.submit(PRODUCE).await.unwrap();
    wait_state(&admin, &producer, "FINISHED").await;

    // Alice may read `numbers` as group `readers` and write `copies`: her job runs.
    let copy = "
CREATE TABLE numbers (n BIGINT) WITH ('connector' = 'kafka', 'topic' = 'numbers', 'format' = 'json',
  'properties.group.id' = 'readers', 'scan.startup.mode' = 'earliest-offset');
CREATE TABLE copies (n BIGINT) WITH ('connector' = 'kafka', 'topic' = 'copies', 'format' = 'json');
INSERT INTO copies SELECT n FROM numbers;
";
    let job = alice.submit(copy).await.unwrap();
    let detail = wait_job(&alice, &job, "300 rows written", |j| {
        j["vertices"].as_array().is_some_and(|v| {
            v.iter()
                .any(|v| v["metrics"]["write-records"].as_u64() == Some(300))
        })
    })
    .await;
    assert_eq!(detail["owner"], "User:alice");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let page = admin
            .request(
                "GET",
                "/kafka/topics/copies/partitions/0/messages?count=500",
                None,
            )
            .await
            .unwrap();
        let copied = page["messages"].as_array().map_or(0, Vec::len);
        if copied == 300 {
            break;
        }
        assert!(Instant::now() < deadline, "copies has {copied} records: {page:#}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Bob may only describe `numbers`: the same job, a preview of the topic, the messages and
    // the metrics are refused, naming the ACL he lacks.
    let (status, message) = api_status(bob.submit(copy).await.unwrap_err());
    assert_eq!(status, 403, "{message}");
    assert!(
        message.contains("User:bob") && message.contains("READ on TOPIC:numbers"),
        "{message}"
    );
    let preview = "CREATE TABLE numbers (n BIGINT) WITH ('connector' = 'kafka', 'topic' = 'numbers', \
                   'format' = 'json', 'scan.startup.mode' = 'earliest-offset');\nSELECT n FROM numbers;";
    let (status, message) = api_status(bob.start_preview(preview).await.unwrap_err());
    assert_eq!(status, 403, "{message}");
    for path in ["/kafka/topics/numbers/partitions/0/messages", "/metrics"] {
        let (status, message) = api_status(bob.request("GET", path, None).await.unwrap_err());
        assert_eq!(status, 403, "{path}: {message}");
    }
    // He sees the topics he may describe, and neither Alice's job nor a way to cancel it.
    let topics = bob.request("GET", "/kafka/topics", None).await.unwrap();
    let names: Vec<&str> = topics["topics"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert_eq!(names, ["numbers"], "{topics:#}");
    assert_eq!(bob.jobs().await.unwrap()["jobs"], json!([]));
    let all = admin.jobs().await.unwrap();
    assert_eq!(all["jobs"].as_array().unwrap().len(), 2, "{all:#}");
    for e in [
        bob.job(&job).await.unwrap_err(),
        bob.cancel(&job).await.unwrap_err(),
    ] {
        assert_eq!(api_status(e).0, 404);
    }
    // Alice sees only her own job, and cancels it.
    let mine = alice.jobs().await.unwrap();
    assert_eq!(mine["jobs"].as_array().unwrap().len(), 1, "{mine:#}");
    assert_eq!(mine["jobs"][0]["jid"], job.as_str());
    alice.cancel(&job).await.unwrap();
    wait_state(&admin, &job, "CANCELED").await;
    server.shutdown().await.unwrap();

    // Every run is allowed what its owner is allowed then: with Alice's READ on `numbers`
    // revoked, her job resumed on the restarted server fails, saying why.
    std::fs::write(
        broker_dir.join("broker/acls"),
        spate_broker::acl::file_format::encode(&acls[1..]),
    )
    .unwrap();
    let server = Server::start(config).await.unwrap();
    let url = server.url();
    let alice = Client::new(&url)
        .unwrap()
        .with_ca_file(Some(&ca))
        .with_user("alice", "alice-secret");
    alice.resume(&job).await.unwrap();
    let failed = wait_state(&alice, &job, "FAILED").await;
    let exceptions = alice
        .request("GET", &format!("/jobs/{job}/exceptions"), None)
        .await
        .unwrap();
    let root = exceptions["root-exception"].as_str().unwrap_or_default();
    assert!(
        root.contains("User:alice may not read topic 'numbers'"),
        "{failed:#}\n{exceptions:#}"
    );
    server.shutdown().await.unwrap();
}
