//! The endpoints the web dashboard adds, against a server in this process (embedded broker,
//! 127.0.0.1 port 0), over plain HTTP/1.1 on a socket: the embedded files (content types,
//! ETag revalidation, every module an import names is served), the plan's edges, the message
//! browser (tail, offset, timestamp; JSON values; bounds), SQL previews (rows arrive, paging
//! by row number, cancel) and bad input answered with 4xx JSON errors.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use spate_server::{Client, Server, ServerConfig};

/// One HTTP/1.1 exchange: status, headers (lower-case names), body.
struct Reply {
    status: u16,
    headers: BTreeMap<String, String>,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    fn text(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap()
    }
}

fn http(addr: SocketAddr, method: &str, path: &str, extra: &[(&str, &str)], body: Option<&Value>) -> Reply {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    for (k, v) in extra {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() {
        req.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    req.push_str("\r\n");
    req.push_str(&body);
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8(raw[..split].to_vec()).unwrap();
    let mut lines = head.lines();
    let status = lines.next().unwrap()[9..12].parse().unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
        .collect::<BTreeMap<_, _>>();
    let mut body = raw[split + 4..].to_vec();
    if headers.get("transfer-encoding").is_some_and(|v| v == "chunked") {
        body = dechunk(&body);
    }
    Reply {
        status,
        headers,
        body,
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n").unwrap();
        let size = usize::from_str_radix(std::str::from_utf8(&data[..line_end]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[line_end + 2..line_end + 2 + size]);
        data = &data[line_end + 4 + size..];
    }
}

/// A 4xx answer with Flink's error body.
fn assert_error(r: &Reply, status: u16, mentions: &str) {
    assert_eq!(r.status, status, "{}", r.text());
    let errors = r.json()["errors"].as_array().unwrap().clone();
    let message = errors[0].as_str().unwrap();
    assert!(message.contains(mentions), "'{mentions}' not in: {message}");
}

async fn start(dir: &std::path::Path) -> Server {
    let mut config = ServerConfig::new(dir);
    config.kafka_listen = ([127, 0, 0, 1], 0).into();
    config.http_listen = ([127, 0, 0, 1], 0).into();
    // These tests are about the API's answers; rest.rs covers authentication.
    config.auth = false;
    config.checkpoint_interval = Duration::from_millis(300);
    Server::start(config).await.unwrap()
}

/// Runs blocking HTTP off the runtime's threads.
async fn call(addr: SocketAddr, method: &'static str, path: String, body: Option<Value>) -> Reply {
    tokio::task::spawn_blocking(move || http(addr, method, &path, &[], body.as_ref()))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_files_are_embedded_with_types_and_etags() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;
    let addr = server.http_addr();
    tokio::task::spawn_blocking(move || {
        let index = http(addr, "GET", "/", &[], None);
        assert_eq!(index.status, 200);
        assert_eq!(index.headers["content-type"], "text/html; charset=utf-8");
        assert_eq!(index.headers["cache-control"], "no-cache");
        assert!(
            index.text().contains(r#"src="/assets/app.js""#),
            "{}",
            index.text()
        );
        let etag = index.headers["etag"].clone();
        let again = http(addr, "GET", "/", &[("If-None-Match", &etag)], None);
        assert_eq!(again.status, 304);
        assert!(again.body.is_empty());

        // Every module an import names, and every file the page links, is served.
        let mut wanted = vec!["app.js".to_string(), "style.css".into(), "favicon.svg".into()];
        let mut seen = Vec::new();
        while let Some(name) = wanted.pop() {
            if seen.contains(&name) {
                continue;
            }
            let r = http(addr, "GET", &format!("/assets/{name}"), &[], None);
            assert_eq!(r.status, 200, "/assets/{name}");
            let expected = match name.rsplit('.').next().unwrap() {
                "js" => "text/javascript; charset=utf-8",
                "css" => "text/css; charset=utf-8",
                _ => "image/svg+xml",
            };
            assert_eq!(r.headers["content-type"], expected, "{name}");
            assert_eq!(r.headers["x-content-type-options"], "nosniff");
            if name.ends_with(".js") {
                for part in r.text().split("from './").skip(1) {
                    wanted.push(part.split('\'').next().unwrap().to_string());
                }
            }
            seen.push(name);
        }
        assert!(seen.len() >= 10, "{seen:?}");

        assert_error(&http(addr, "GET", "/assets/nope.js", &[], None), 404, "nope.js");
        assert_error(
            &http(addr, "GET", "/assets/..%2Fsrc%2Flib.rs", &[], None),
            404,
            "Not found",
        );
        // REST paths are untouched: still JSON.
        let overview = http(addr, "GET", "/overview", &[], None);
        assert_eq!(overview.status, 200);
        assert!(overview.json()["jobs-running"].is_number());
    })
    .await
    .unwrap();
    server.shutdown().await.unwrap();
}

/// 200 rows `{"n": 1..200}` into the one-partition topic `numbers`.
const PRODUCE: &str = "
CREATE TABLE gen (n BIGINT) WITH (
  'connector' = 'datagen', 'rows-per-second' = '2000', 'number-of-rows' = '200',
  'fields.n.kind' = 'sequence', 'fields.n.start' = '1', 'fields.n.end' = '200');
CREATE TABLE numbers (n BIGINT) WITH ('connector' = 'kafka', 'topic' = 'numbers', 'format' = 'json');
INSERT INTO numbers SELECT n FROM gen;
";

async fn wait_state(client: &Client, id: &str, state: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let job = client.job(id).await.unwrap();
        if job["state"] == state {
            return job;
        }
        assert!(Instant::now() < deadline, "job {id} never got {state}: {job:#}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_of_a_partition_are_browsed_from_the_tail_an_offset_or_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;
    let addr = server.http_addr();
    let client = Client::new(&format!("http://{addr}")).unwrap();
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
        - 1000;
    let id = client.submit(PRODUCE).await.unwrap();
    wait_state(&client, &id, "FINISHED").await;

    // The plan carries edges: the sink's input names the vertex before it.
    let plan = call(addr, "GET", format!("/jobs/{id}/plan"), None).await.json();
    let nodes = plan["plan"]["nodes"].as_array().unwrap();
    assert!(nodes.len() >= 2, "{plan:#}");
    assert!(nodes[0]["inputs"].as_array().unwrap().is_empty(), "{plan:#}");
    let last = nodes.last().unwrap();
    let input = &last["inputs"][0];
    assert!(
        input["id"].is_string() && input["ship_strategy"].is_string(),
        "{plan:#}"
    );
    assert!(last["chain"].is_string(), "{plan:#}");

    let topics = call(addr, "GET", "/kafka/topics".into(), None).await.json();
    let numbers = topics["topics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "numbers")
        .unwrap()
        .clone();
    let partitions = numbers["partitions"].as_array().unwrap();
    assert!(
        partitions.iter().all(|p| p["size"].as_u64().unwrap() > 0),
        "{numbers:#}"
    );
    // Exactly-once or not, 200 records are in the partitions; browse the biggest.
    let p = partitions
        .iter()
        .max_by_key(|p| p["messages"].as_i64().unwrap())
        .unwrap();
    let (pn, low, high) = (
        p["partition"].as_i64().unwrap(),
        p["low"].as_i64().unwrap(),
        p["high"].as_i64().unwrap(),
    );
    let base = format!("/kafka/topics/numbers/partitions/{pn}/messages");

    let tail = call(addr, "GET", format!("{base}?count=5"), None).await;
    assert_eq!(tail.status, 200, "{}", tail.text());
    let tail = tail.json();
    assert_eq!(
        (tail["low"].as_i64(), tail["high"].as_i64()),
        (Some(low), Some(high))
    );
    let msgs = tail["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 5, "{tail:#}");
    let offsets: Vec<i64> = msgs.iter().map(|m| m["offset"].as_i64().unwrap()).collect();
    assert!(offsets.windows(2).all(|w| w[0] < w[1]), "{offsets:?}");
    assert!(
        *offsets.last().unwrap() < high && *offsets.last().unwrap() >= high - 3,
        "{offsets:?} {high}"
    );
    let value = &msgs[0]["value"];
    assert_eq!(value["format"], "json", "{value:#}");
    assert!(value["data"]["n"].as_i64().unwrap() >= 1, "{value:#}");
    assert!(msgs[0]["timestamp"].as_i64().unwrap() >= started);
    assert_eq!(msgs[0]["timestamp_type"], "CreateTime");
    assert_eq!(msgs[0]["key"]["format"], "null");

    let from = call(addr, "GET", format!("{base}?offset={low}&count=3"), None)
        .await
        .json();
    let first: Vec<i64> = from["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["offset"].as_i64().unwrap())
        .collect();
    assert_eq!(first.len(), 3, "{from:#}");
    assert_eq!(first[0], low);
    assert_eq!(from["next_offset"].as_i64().unwrap(), first[2] + 1);

    let by_time = call(addr, "GET", format!("{base}?timestamp=0&count=1"), None)
        .await
        .json();
    assert_eq!(by_time["from"].as_i64(), Some(low), "{by_time:#}");
    let future = call(addr, "GET", format!("{base}?timestamp=99999999999999"), None)
        .await
        .json();
    assert_eq!(future["from"].as_i64(), Some(high));
    assert!(future["messages"].as_array().unwrap().is_empty());
    let beyond = call(addr, "GET", format!("{base}?offset={}", high + 100), None)
        .await
        .json();
    assert!(beyond["messages"].as_array().unwrap().is_empty(), "{beyond:#}");
    let uncommitted = call(
        addr,
        "GET",
        format!("{base}?isolation=read_uncommitted&count=2"),
        None,
    )
    .await;
    assert_eq!(uncommitted.status, 200);

    for (query, status, mentions) in [
        ("?offset=abc", 400, "'offset' must be an integer"),
        ("?offset=1&timestamp=2", 400, "not both"),
        ("?count=0", 400, "'count' must be 1 to 500"),
        ("?count=501", 400, "'count' must be 1 to 500"),
        ("?isolation=dirty", 400, "read_committed or read_uncommitted"),
        ("?colour=blue", 400, "unknown query parameter 'colour'"),
        ("?offset", 400, "has no value"),
        ("?offset=%zz", 400, "bad escape"),
    ] {
        let r = call(addr, "GET", format!("{base}{query}"), None).await;
        assert_error(&r, status, mentions);
    }
    let r = call(
        addr,
        "GET",
        "/kafka/topics/numbers/partitions/x/messages".into(),
        None,
    )
    .await;
    assert_error(&r, 400, "must be a number");
    let r = call(
        addr,
        "GET",
        "/kafka/topics/numbers/partitions/99/messages".into(),
        None,
    )
    .await;
    assert_error(&r, 404, "no partition 99");
    let r = call(
        addr,
        "GET",
        "/kafka/topics/nosuch/partitions/0/messages".into(),
        None,
    )
    .await;
    assert_error(&r, 404, "nosuch");
    let r = call(addr, "POST", base.clone(), Some(json!({}))).await;
    assert_eq!(r.status, 405);

    server.shutdown().await.unwrap();
}

const ROWS: &str = "
CREATE TABLE gen (n BIGINT, s STRING) WITH (
  'connector' = 'datagen', 'rows-per-second' = '1000', 'number-of-rows' = '40',
  'fields.n.kind' = 'sequence', 'fields.n.start' = '1', 'fields.n.end' = '40');
SELECT n, s FROM gen WHERE n > 10;
";

const ENDLESS: &str = "
CREATE TABLE gen (n BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '50');
SELECT n FROM gen;
";

async fn poll_preview(addr: SocketAddr, id: &str, until: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let page = call(addr, "GET", format!("/sql/previews/{id}"), None).await;
        assert_eq!(page.status, 200, "{}", page.text());
        let page = page.json();
        if page["status"] == until {
            return page;
        }
        assert!(Instant::now() < deadline, "preview never got {until}: {page:#}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sql_previews_stream_rows_page_by_row_number_and_cancel() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;
    let addr = server.http_addr();

    let r = call(addr, "POST", "/sql/previews".into(), Some(json!({ "sql": ROWS }))).await;
    assert_eq!(r.status, 202, "{}", r.text());
    let id = r.json()["id"].as_str().unwrap().to_string();
    let done = poll_preview(addr, &id, "FINISHED").await;
    assert_eq!(done["total"], 30, "{done:#}");
    assert_eq!(done["first"], 0);
    assert_eq!(done["next"], 30);
    let cols: Vec<&str> = done["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(cols, ["n", "s"]);
    assert_eq!(done["columns"][0]["type"], "BIGINT");
    let mut ns: Vec<i64> = done["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[0].as_str().unwrap().parse().unwrap())
        .collect();
    ns.sort_unstable();
    assert_eq!(ns, (11..=40).collect::<Vec<_>>());
    let later = call(addr, "GET", format!("/sql/previews/{id}?from=25"), None)
        .await
        .json();
    assert_eq!(later["rows"].as_array().unwrap().len(), 5);
    assert_eq!(later["first"], 25);

    let r = call(
        addr,
        "POST",
        "/sql/previews".into(),
        Some(json!({ "sql": ENDLESS })),
    )
    .await;
    assert_eq!(r.status, 202, "{}", r.text());
    let endless = r.json()["id"].as_str().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let page = call(addr, "GET", format!("/sql/previews/{endless}"), None)
            .await
            .json();
        if page["total"].as_u64().unwrap() > 0 {
            assert_eq!(page["status"], "RUNNING");
            break;
        }
        assert!(Instant::now() < deadline, "no rows: {page:#}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let r = call(addr, "DELETE", format!("/sql/previews/{endless}"), None).await;
    assert_eq!(r.status, 202, "{}", r.text());
    let cancelled = poll_preview(addr, &endless, "CANCELED").await;
    assert!(cancelled["error"].as_str().unwrap().contains("on request"));

    for (sql, mentions) in [
        ("", "empty"),
        ("SELEC 1", ""),
        (
            "CREATE TABLE t (n INT) WITH ('connector' = 'blackhole');",
            "end the script with one SELECT",
        ),
        (
            "CREATE TABLE t (n INT) WITH ('connector' = 'blackhole'); INSERT INTO t SELECT 1; SELECT 1;",
            "an INSERT",
        ),
        ("SELECT nope FROM missing;", "missing"),
    ] {
        let r = call(addr, "POST", "/sql/previews".into(), Some(json!({ "sql": sql }))).await;
        assert_error(&r, 400, mentions);
    }
    let r = call(addr, "POST", "/sql/previews".into(), Some(json!({ "sql": 5 }))).await;
    assert_error(&r, 400, "'sql' must be a string");
    let unknown = "0123456789abcdef0123456789abcdef";
    assert_error(
        &call(addr, "GET", format!("/sql/previews/{unknown}"), None).await,
        404,
        "no preview",
    );
    assert_error(
        &call(addr, "DELETE", format!("/sql/previews/{unknown}"), None).await,
        404,
        "no preview",
    );
    assert_error(
        &call(addr, "GET", format!("/sql/previews/{id}?from=-1"), None).await,
        400,
        "'from'",
    );
    server.shutdown().await.unwrap();
}
