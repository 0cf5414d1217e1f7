//! The web dashboard in a real browser: `spate server` as a process (embedded broker, free
//! ports, a temporary data directory) runs a SQL job — datagen with event time → 1 s tumbling
//! count per user → a Kafka topic, checkpointing every second — and a second job reads that
//! topic in a consumer group. Headless Chromium (Debian's `chromium`, which
//! `scripts/install-deps.sh` installs) renders the pages; the test reads the rendered DOM
//! (`--dump-dom`): the job graph's nodes with live rates and watermarks, a completed
//! checkpoint, the topic with its messages in the browser, the consumer group, a SQL
//! preview's rows. It saves screenshots of the overview, job, SQL and topics pages under
//! `target/dashboard-screenshots/`. Without Chromium the test fails and says how to get it.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::Server;
use serde_json::Value;

/// Clicks whose event time follows the wall clock (a sequence of epoch milliseconds from
/// `{start}`, 1,000 rows a second; datagen's random timestamps are all its start time), counted
/// per user in 1 s tumbling windows into the Kafka topic `click-counts`.
fn job_sql(start: u128) -> String {
    format!(
        "
SET 'execution.checkpointing.interval' = '1s';
CREATE TABLE clicks (
  ms BIGINT,
  user_id INT,
  url STRING,
  ts AS TO_TIMESTAMP_LTZ(ms, 3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH (
  'connector' = 'datagen', 'rows-per-second' = '1000',
  'fields.ms.kind' = 'sequence', 'fields.ms.start' = '{start}', 'fields.ms.end' = '{end}',
  'fields.user_id.min' = '1', 'fields.user_id.max' = '20', 'fields.url.length' = '12'
);
CREATE TABLE click_counts (
  window_start TIMESTAMP(3), user_id INT, clicks BIGINT
) WITH ('connector' = 'kafka', 'topic' = 'click-counts', 'format' = 'json');
INSERT INTO click_counts
SELECT window_start, user_id, COUNT(*) AS clicks
FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '1' SECOND))
GROUP BY window_start, window_end, user_id;
",
        end = start + 86_400_000
    )
}

const READER: &str = "
CREATE TABLE click_counts (window_start TIMESTAMP(3), user_id INT, clicks BIGINT) WITH (
  'connector' = 'kafka', 'topic' = 'click-counts', 'format' = 'json',
  'properties.group.id' = 'dashboards', 'scan.startup.mode' = 'earliest-offset');
CREATE TABLE heavy (user_id INT, clicks BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO heavy SELECT user_id, clicks FROM click_counts WHERE clicks > 10;
";

const PREVIEW: &str = "
CREATE TABLE orders (order_id BIGINT, product STRING, amount DOUBLE, ts TIMESTAMP(3)) WITH (
  'connector' = 'datagen', 'rows-per-second' = '20',
  'fields.order_id.kind' = 'sequence', 'fields.order_id.start' = '1', 'fields.order_id.end' = '100000',
  'fields.product.length' = '8', 'fields.amount.min' = '1', 'fields.amount.max' = '500');
SELECT order_id, product, amount, ts FROM orders WHERE amount > 100;
";

/// An updating query: a count per bucket (7 of them), each update replacing its row.
const UPDATING_PREVIEW: &str = "
CREATE TABLE clicks (id BIGINT, bucket INT) WITH (
  'connector' = 'datagen', 'rows-per-second' = '50',
  'fields.bucket.min' = '0', 'fields.bucket.max' = '6');
SELECT bucket, COUNT(*) AS clicks FROM clicks GROUP BY bucket;
";

/// GET or POST on the server; the body as JSON.
fn http(url: &str, token: &str, method: &str, path: &str, body: Option<&Value>) -> Value {
    let addr = url.strip_prefix("http://").unwrap();
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    let body = body.map(Value::to_string).unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let body = if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        let mut out = String::new();
        let mut rest = body;
        while let Some((size, tail)) = rest.split_once("\r\n") {
            let n = usize::from_str_radix(size.trim(), 16).unwrap();
            if n == 0 {
                break;
            }
            out.push_str(&tail[..n]);
            rest = &tail[n + 2..];
        }
        out
    } else {
        body.to_string()
    };
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{method} {path}: {e}: {head}\n{body}"))
}

fn wait_for(what: &str, secs: u64, mut check: impl FnMut() -> Option<Value>) -> Value {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Debian's `chromium` (or another name it goes by); the test fails without it.
pub(crate) fn chromium() -> PathBuf {
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        if let Ok(out) = Command::new("sh")
            .args(["-c", &format!("command -v {name}")])
            .output()
            && out.status.success()
        {
            return PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        }
    }
    panic!(
        "headless Chromium is needed for the dashboard's browser test and was not found: \
         run scripts/install-deps.sh (it installs Debian's `chromium` package) or \
         `apt-get install chromium`"
    );
}

/// Runs headless Chromium on `url` with `action` (`--dump-dom` or `--screenshot=PATH`), the
/// page's timers given `budget_ms` of virtual time; returns its stdout.
pub(crate) fn browse(
    browser: &Path,
    profile: &Path,
    url: &str,
    action: &str,
    size: &str,
    budget_ms: u64,
) -> String {
    browse_with(browser, profile, url, action, size, budget_ms, &[])
}

/// [`browse`] with more Chromium switches.
fn browse_with(
    browser: &Path,
    profile: &Path,
    url: &str,
    action: &str,
    size: &str,
    budget_ms: u64,
    extra: &[&str],
) -> String {
    let out = Command::new(browser)
        .args(extra)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
            &format!("--user-data-dir={}", profile.display()),
            &format!("--window-size={size}"),
            &format!("--virtual-time-budget={budget_ms}"),
            action,
            url,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "chromium failed on {url}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// How often `needle` occurs in `hay`.
pub(crate) fn count(hay: &str, needle: &str) -> usize {
    hay.matches(needle).count()
}

/// Whether the text holds `prefix` followed by a non-zero per-second rate (`in 1,234/s`).
fn has_rate(dom: &str, prefix: &str) -> bool {
    dom.match_indices(prefix).any(|(i, _)| {
        let rest = &dom[i + prefix.len()..];
        let number: String = rest
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == ',' || *c == '.')
            .collect();
        rest[number.len()..].starts_with("/s") && number.chars().any(|c| c.is_ascii_digit() && c != '0')
    })
}

#[test]
fn the_dashboard_renders_jobs_topics_and_sql_in_chromium() {
    let browser = chromium();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("server.log");
    let server = Server::start(
        &dir.path().join("data"),
        &log,
        &["--kafka-listen", "127.0.0.1:0", "--checkpoint-interval", "1s"],
    );
    let url = server.url.clone();
    // Authentication stays on (the default): the pages are opened as the start-up line
    // prints them, with ?token=, and must keep working after the token left the address.
    let token = server.token.clone().unwrap();
    let login = format!("{url}/?token={token}");
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("dashboard-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let profile = dir.path().join("chromium-profile");

    let submit = |sql: &str| -> String {
        let r = http(
            &url,
            &token,
            "POST",
            "/jobs",
            Some(&serde_json::json!({ "sql": sql })),
        );
        r["jobid"].as_str().unwrap_or_else(|| panic!("{r}")).to_string()
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let job = submit(&job_sql(now));
    // The job runs, has rates and a completed checkpoint, and wrote counts.
    wait_for("a checkpoint and rates", 40, || {
        let cps = http(&url, &token, "GET", &format!("/jobs/{job}/checkpoints"), None);
        let detail = http(&url, &token, "GET", &format!("/jobs/{job}"), None);
        assert_eq!(
            detail["state"],
            "RUNNING",
            "{detail:#}\n{}",
            std::fs::read_to_string(&log).unwrap()
        );
        let rated = detail["vertices"].as_array().is_some_and(|v| {
            v.iter()
                .any(|v| v["metrics"]["records-out-per-second"].as_f64() > Some(0.0))
        });
        (cps["counts"]["completed"].as_u64() > Some(0) && rated).then_some(cps)
    });
    let reader = submit(READER);
    wait_for("committed offsets of the reader's group", 40, || {
        let groups = http(&url, &token, "GET", "/kafka/groups", None);
        groups["groups"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["group"] == "dashboards" && !g["offsets"].as_array().unwrap().is_empty())
            .then_some(groups)
    });
    // A job on several processes (one here) in the server's broker: its group's page lists
    // the process with its tasks, and the tasks with their checkpoints and inputs.
    let kafka = server
        .line
        .split("Kafka on ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap()
        .trim_end_matches(',')
        .to_string();
    distributed_word_count(&kafka, dir.path());
    // A page that leaves a preview cancels it: each visit of the SQL page gets a fresh one.
    let start = |sql: &str| {
        let r = http(
            &url,
            &token,
            "POST",
            "/sql/previews",
            Some(&serde_json::json!({ "sql": sql.trim() })),
        );
        r["id"].as_str().unwrap().to_string()
    };
    let start_preview = || start(PREVIEW);
    let preview = start_preview();

    // The job page: the graph's nodes with live rates and watermarks, a completed checkpoint.
    let job_url = format!("{login}#/jobs/{job}");
    let dom = browse(&browser, &profile, &job_url, "--dump-dom", "1400,900", 4000);
    assert!(count(&dom, r#"class="node""#) >= 2, "no job graph nodes:\n{dom}");
    assert!(count(&dom, r#"class="edge""#) >= 1, "no edges:\n{dom}");
    assert!(dom.contains("HASH"), "the keyed edge is not labelled:\n{dom}");
    assert!(dom.contains("datagen"), "no source operator:\n{dom}");
    assert!(has_rate(&dom, "out "), "no records-out rate in the graph:\n{dom}");
    assert!(dom.contains("watermark 20"), "no watermark date-time:\n{dom}");
    assert!(dom.contains("state-completed"), "no completed checkpoint:\n{dom}");
    assert!(dom.contains("insert-into_click_counts"), "{dom}");
    // The operators table: the state each operator wrote into the newest checkpoint (the
    // window's counts, the source's positions).
    let operators = dom.split(r#"operators">"#).nth(1).unwrap_or_default();
    let operators = operators.split("</table>").next().unwrap_or_default();
    assert!(operators.contains(">State<"), "no State column:\n{dom}");
    assert!(
        operators.contains(" KiB<") || operators.contains(" B<"),
        "no state size in the operators table:\n{dom}"
    );

    // The topics page: the topic, its partitions, messages with JSON values, the group.
    let topics_url = format!("{login}#/topics/click-counts");
    let dom = browse(&browser, &profile, &topics_url, "--dump-dom", "1400,900", 4000);
    assert!(dom.contains("click-counts"), "{dom}");
    assert!(dom.contains("message-table"), "no message browser table:\n{dom}");
    assert!(
        dom.contains("window_start") && dom.contains("fmt-json"),
        "no JSON messages:\n{dom}"
    );
    assert!(dom.contains("dashboards"), "no consumer group:\n{dom}");

    // The SQL page watching the preview: its rows arrived.
    let sql_url = format!("{login}#/sql?preview={preview}");
    let dom = browse(&browser, &profile, &sql_url, "--dump-dom", "1400,900", 3000);
    assert!(dom.contains("order_id") && dom.contains("RUNNING"), "{dom}");
    assert!(count(&dom, "<tr>") >= 3, "no preview rows:\n{dom}");

    // An updating query's preview: its result as a table that changes in place, one row per
    // bucket however many changes arrived, without the `op` column.
    let updating = start(UPDATING_PREVIEW);
    wait_for("changes of the updating preview", 40, || {
        let page = http(
            &url,
            &token,
            "GET",
            &format!("/sql/previews/{updating}?from=0"),
            None,
        );
        (page["total"].as_u64() > Some(20)).then_some(page)
    });
    let updating_url = format!("{login}#/sql?preview={updating}");
    let dom = browse(&browser, &profile, &updating_url, "--dump-dom", "1400,900", 3000);
    assert!(
        dom.contains("result-table") && dom.contains("rows in the result table"),
        "{dom}"
    );
    let table = dom
        .split("result-table")
        .nth(1)
        .and_then(|t| t.split("</table>").next())
        .unwrap_or_default();
    let rows = count(table, "<tr>") - 1;
    assert!((1..=7).contains(&rows), "{rows} rows for 7 buckets:\n{dom}");
    assert!(!table.contains(">op<"), "the result table shows op:\n{dom}");

    let groups_url = format!("{login}#/groups/dash-wc");
    let dom = browse(&browser, &profile, &groups_url, "--dump-dom", "1400,1300", 4000);
    assert!(
        dom.contains("Tasks (a job on several processes)"),
        "no task table:\n{dom}"
    );
    for task in ["0_0", "0_1", "1_0", "1_1"] {
        assert!(
            dom.contains(&format!("<code>{task}</code>")),
            "no task {task}:\n{dom}"
        );
    }
    assert!(dom.contains("dash-words-0"), "no source input:\n{dom}");
    assert!(
        dom.contains("dash-wc-exchange-0-1"),
        "no repartition input:\n{dom}"
    );
    assert!(
        dom.contains("0_0, 0_1, 1_0, 1_1"),
        "the member's tasks are not listed:\n{dom}"
    );

    let overview_dom = browse(
        &browser,
        &profile,
        &format!("{login}#/"),
        "--dump-dom",
        "1400,900",
        3000,
    );
    assert!(
        overview_dom.contains(&job) && overview_dom.contains("RUNNING"),
        "{overview_dom}"
    );

    for (name, page, size) in [
        ("overview", format!("{login}#/"), "1400,900"),
        ("job", job_url, "1400,1700"),
        (
            "sql",
            format!("{login}#/sql?preview={}", start_preview()),
            "1400,900",
        ),
        ("topics", topics_url, "1400,1300"),
        ("groups-distributed", groups_url, "1400,2600"),
        (
            "sql-updating",
            format!("{login}#/sql?preview={}", start(UPDATING_PREVIEW)),
            "1400,900",
        ),
    ] {
        let path = shots.join(format!("{name}.png"));
        let _ = std::fs::remove_file(&path);
        browse(
            &browser,
            &profile,
            &page,
            &format!("--screenshot={}", path.display()),
            size,
            5000,
        );
        let len = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        assert!(
            len > 10_000,
            "screenshot {} is missing or blank ({len} bytes)",
            path.display()
        );
    }
    let _ = reader;
}

/// `spate example word-count --distributed dash-wc` over 200,000 generated lines on `kafka`,
/// as one static member that stays in the group for a minute after it finished.
fn distributed_word_count(kafka: &str, dir: &Path) {
    let log = dir.join("dash-wc.log");
    let status = Command::new(env!("CARGO_BIN_EXE_spate"))
        .args(["example", "word-count", "--bootstrap", kafka, "--bounded"])
        .args([
            "--generate",
            "200000",
            "--partitions",
            "2",
            "--input",
            "dash-words",
        ])
        .args(["--output", "dash-counts", "--group", "dash-src"])
        .args([
            "--distributed",
            "dash-wc",
            "--instance-id",
            "p1",
            "--session-timeout",
            "60s",
        ])
        .arg("--checkpoint-dir")
        .arg(dir.join("dash-wc"))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .status()
        .unwrap();
    assert!(
        status.success(),
        "the distributed word count failed:\n{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
}

/// A page on another origin (another port of 127.0.0.1: the same *site*, so even a
/// SameSite=Strict cookie goes along) that tries what the issue describes: with the dashboard
/// logged in in the same browser, it posts a job script to the server as a `text/plain` form
/// and as `no-cors` fetches.
fn attack_page(server: &str, token: &str, sql: &str) -> String {
    let sql = serde_json::to_string(sql).unwrap();
    format!(
        r#"<!doctype html><html><body><p id="state">loading</p><iframe name="sink"></iframe>
<script>
const sql = {sql};
const dash = document.createElement('iframe');
dash.src = '{server}/?token={token}';
dash.onload = async () => {{
  for (const headers of [{{}}, {{ 'content-type': 'application/json' }}]) {{
    try {{
      await fetch('{server}/jobs', {{ method: 'POST', mode: 'no-cors', credentials: 'include', headers, body: JSON.stringify({{ sql }}) }});
    }} catch (e) {{}}
  }}
  const form = document.createElement('form');
  form.method = 'POST';
  form.action = '{server}/jobs';
  form.enctype = 'text/plain';
  form.target = 'sink';
  const input = document.createElement('input');
  input.type = 'hidden';
  input.name = JSON.stringify({{ sql, x: '' }}).slice(0, -2);
  input.value = '"}}';
  form.appendChild(input);
  document.body.appendChild(form);
  form.submit();
  document.getElementById('state').textContent = 'attack sent';
}};
document.body.appendChild(dash);
</script></body></html>"#
    )
}

/// Serves `page` to every request on a free port of 127.0.0.1 until `stop`; returns its URL
/// and how many requests it answered.
fn serve_page(
    page: String,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::Ordering;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let served = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = served.clone();
    std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            let Ok((mut s, _)) = listener.accept() else {
                std::thread::sleep(Duration::from_millis(20));
                continue;
            };
            s.set_nonblocking(false).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
                page.len()
            );
            count.fetch_add(1, Ordering::Relaxed);
        }
    });
    (url, served)
}

#[test]
fn pages_of_other_origins_and_rebound_names_cannot_drive_the_server() {
    let browser = chromium();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("server.log");
    let server = Server::start(&dir.path().join("data"), &log, &["--kafka-listen", "127.0.0.1:0"]);
    let url = server.url.clone();
    let token = server.token.clone().unwrap();
    let profile = dir.path().join("chromium-profile");
    let stolen = "CREATE TABLE g (n BIGINT) WITH ('connector' = 'datagen', 'number-of-rows' = '1');
CREATE TABLE stolen (n BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO stolen SELECT n FROM g;";
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (evil, served) = serve_page(attack_page(&url, &token, stolen), stop.clone());
    let dom = browse(
        &browser,
        &profile,
        &format!("{evil}/"),
        "--dump-dom",
        "800,600",
        4000,
    );
    assert!(
        dom.contains("attack sent"),
        "the attacking page did not run:\n{dom}"
    );
    assert!(served.load(std::sync::atomic::Ordering::Relaxed) >= 1);
    // DNS rebinding: a name the attacker controls, resolved to the server's address.
    let port = url.rsplit(':').next().unwrap();
    let rebound = browse_with(
        &browser,
        &profile,
        &format!("http://rebind.test:{port}/jobs/overview"),
        "--dump-dom",
        "800,600",
        2000,
        &["--host-resolver-rules=MAP rebind.test 127.0.0.1"],
    );
    assert!(rebound.contains("is not allowed"), "{rebound}");
    std::thread::sleep(Duration::from_millis(500));
    let jobs = http(&url, &token, "GET", "/jobs/overview", None);
    assert_eq!(
        jobs["jobs"],
        serde_json::json!([]),
        "a cross-site page ran a job: {jobs:#}"
    );
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
}
