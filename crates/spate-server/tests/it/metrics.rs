//! `GET /metrics` scraped from a server in this process: the text parses as the Prometheus
//! text format (every sample's family declared, labels well-formed, values numbers), carries
//! Flink's metric names for a running job, and its counters move between scrapes.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

use spate_server::{Client, Server, ServerConfig};

fn scrape(addr: std::net::SocketAddr) -> String {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.to_lowercase()
            .contains("content-type: text/plain; version=0.0.4"),
        "{head}"
    );
    body.to_string()
}

/// One sample: name, labels, value.
type Sample = (String, BTreeMap<String, String>, f64);

/// A strict reader of the text format: `# HELP`/`# TYPE` lines, then samples of declared
/// families only; label values with the format's escapes.
fn parse(text: &str) -> Vec<Sample> {
    let mut declared = std::collections::BTreeSet::new();
    let mut samples = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            assert!(["gauge", "counter"].contains(&kind), "{line}");
            assert!(declared.insert(name.to_string()), "family declared twice: {line}");
            continue;
        }
        if line.starts_with("# HELP ") {
            continue;
        }
        assert!(
            !line.starts_with('#') && !line.is_empty(),
            "unexpected line {line:?}"
        );
        let name_end = line.find(['{', ' ']).unwrap();
        let name = &line[..name_end];
        assert!(
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "bad metric name in {line}"
        );
        assert!(declared.contains(name), "sample before its # TYPE: {line}");
        let mut labels = BTreeMap::new();
        let mut rest = &line[name_end..];
        if let Some(r) = rest.strip_prefix('{') {
            let mut chars = r.char_indices().peekable();
            let mut end = None;
            let mut key = String::new();
            while let Some((i, c)) = chars.next() {
                match c {
                    '}' if key.is_empty() => {
                        end = Some(i);
                        break;
                    }
                    ',' if key.is_empty() => {}
                    '=' => {
                        assert_eq!(chars.next().map(|(_, c)| c), Some('"'), "{line}");
                        let mut value = String::new();
                        loop {
                            match chars.next().unwrap().1 {
                                '\\' => match chars.next().unwrap().1 {
                                    'n' => value.push('\n'),
                                    c @ ('\\' | '"') => value.push(c),
                                    c => panic!("bad escape \\{c} in {line}"),
                                },
                                '"' => break,
                                c => value.push(c),
                            }
                        }
                        labels.insert(std::mem::take(&mut key), value);
                    }
                    c => key.push(c),
                }
            }
            rest = &r[end.unwrap() + 1..];
        }
        let value: f64 = rest
            .trim_start_matches(' ')
            .parse()
            .unwrap_or_else(|_| panic!("bad value in {line}"));
        samples.push((name.to_string(), labels, value));
    }
    samples
}

fn value(samples: &[Sample], name: &str, label: (&str, &str)) -> Option<f64> {
    samples
        .iter()
        .find(|(n, l, _)| n == name && l.get(label.0).map(String::as_str) == Some(label.1))
        .map(|s| s.2)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_parse_and_move() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = ServerConfig::new(dir.path());
    config.kafka_listen = ([127, 0, 0, 1], 0).into();
    config.http_listen = ([127, 0, 0, 1], 0).into();
    // These tests are about the API's answers; rest.rs covers authentication.
    config.auth = false;
    config.checkpoint_interval = Duration::from_millis(200);
    let server = Server::start(config).await.unwrap();
    let addr = server.http_addr();
    let client = Client::new(&format!("http://{addr}")).unwrap();
    let id = client
        .submit(
            "CREATE TABLE gen (n BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '500');
CREATE TABLE `out \"quoted\"` (n BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO `out \"quoted\"` SELECT n FROM gen;",
        )
        .await
        .unwrap();

    // Two scrapes with rates and a checkpoint; the source's output counter grows between them.
    let deadline = Instant::now() + Duration::from_secs(60);
    let first = loop {
        let samples = tokio::task::spawn_blocking(move || parse(&scrape(addr)))
            .await
            .unwrap();
        if value(
            &samples,
            "flink_taskmanager_job_task_operator_numRecordsOutPerSecond",
            ("job_id", &id),
        )
        .is_some()
            && value(
                &samples,
                "flink_jobmanager_job_lastCheckpointDuration",
                ("job_id", &id),
            )
            .is_some()
        {
            break samples;
        }
        assert!(Instant::now() < deadline, "no rates or checkpoint in the metrics");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(value(&first, "spate_jobs", ("state", "RUNNING")), Some(1.0));
    assert_eq!(first.iter().find(|s| s.0 == "kafka_up").map(|s| s.2), Some(1.0));
    let name = first
        .iter()
        .find(|(n, l, _)| n == "flink_jobmanager_job_uptime" && l["job_id"] == id)
        .map(|(_, l, _)| l["job_name"].clone())
        .unwrap();
    assert_eq!(
        name, "insert-into_out \"quoted\"",
        "label values are escaped and read back"
    );
    let out = |s: &[Sample]| -> f64 {
        s.iter()
            .filter(|(n, l, _)| n == "flink_taskmanager_job_task_operator_numRecordsOut" && l["job_id"] == id)
            .map(|s| s.2)
            .fold(0.0, f64::max)
    };
    let before = out(&first);
    let second = loop {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let samples = tokio::task::spawn_blocking(move || parse(&scrape(addr)))
            .await
            .unwrap();
        if out(&samples) > before {
            break samples;
        }
        assert!(
            Instant::now() < deadline,
            "numRecordsOut did not move from {before}"
        );
    };
    assert!(
        value(
            &second,
            "flink_taskmanager_job_task_busyTimeMsPerSecond",
            ("job_id", &id)
        )
        .is_some()
    );
    // Each operator's state in the newest checkpoint: the source's position, nothing for the
    // blackhole sink.
    let state: Vec<(String, f64)> = second
        .iter()
        .filter(|(n, l, _)| {
            n == "spate_taskmanager_job_task_operator_checkpointedStateSize" && l["job_id"] == id
        })
        .map(|(_, l, v)| (l["operator_name"].clone(), *v))
        .collect();
    assert!(state.iter().any(|(n, b)| n == "gen" && *b > 0.0), "{state:?}");
    assert!(
        state.iter().any(|(n, b)| n.contains("quoted") && *b == 0.0),
        "{state:?}"
    );
    server.shutdown().await.unwrap();
}
