//! `spate demo`: the main job — a whole pipeline on the embedded broker. A generator job writes
//! lines of text into a topic, the word-count job (checkpoints, exactly-once Kafka
//! transactions) counts words per 10 s event-time window into another topic, and the results
//! are read back with read_committed, checked against a count made independently from the
//! input topic, and shown.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Context, Result, ensure};

use crate::cli::{Delivery, DemoArgs, ExampleArgs, WordCountArgs};
use crate::cluster::{self, Cluster};
use crate::examples::{self, generate};

const INPUT: &str = "demo-lines";
const OUTPUT: &str = "demo-word-counts";
const WINDOW: Duration = Duration::from_secs(10);

/// Every record of `topic` (read_committed), as (timestamp, value).
fn read_all(bootstrap: &str, topic: &str) -> Result<Vec<(i64, String)>> {
    cluster::read_committed(bootstrap, topic, usize::MAX)
}

pub fn run(args: DemoArgs) -> Result<()> {
    ensure!(args.partitions >= 1, "--partitions must be at least 1");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let temp = tempfile::tempdir().context("creating a temporary directory")?;
    let data_dir = args
        .data_dir
        .clone()
        .unwrap_or_else(|| temp.path().join("broker"));
    let common = ExampleArgs {
        bootstrap: None,
        data_dir,
        checkpoint_dir: Some(temp.path().join("checkpoints")),
        checkpoint_interval: Duration::from_millis(500),
        delivery: Delivery::ExactlyOnce,
        parallelism: args.parallelism,
        bounded: true,
        generate: Some(args.records),
        partitions: args.partitions,
        group: None,
        restart_attempts: 3,
        from_savepoint: None,
        show: 0,
        on_oversized: spate_connectors::kafka::OversizedRecords::Fail,
        oversized_stats: Default::default(),
        source_path: crate::cli::ExampleReadPath::Auto,
        distributed: None,
        instance_id: None,
        session_timeout: std::time::Duration::from_secs(45),
    };
    let cluster = Cluster::connect(&runtime, &common)?.with_schema_registry(&runtime)?;
    let bootstrap = cluster.bootstrap.clone();
    cluster::ensure_topic(&runtime, &bootstrap, INPUT, args.partitions)?;
    cluster::ensure_topic(&runtime, &bootstrap, OUTPUT, args.partitions)?;
    println!(
        "1. generator job: {} lines of text into `{INPUT}` ({} partitions)",
        args.records, args.partitions
    );
    generate::generate(&bootstrap, INPUT, args.records, generate::text_line)?;

    println!(
        "2. word-count job: `{INPUT}` -> words per {}s event-time window -> `{OUTPUT}` \
         (parallelism {}, checkpoints every 500 ms, exactly-once)",
        WINDOW.as_secs(),
        args.parallelism
    );
    let wc = WordCountArgs {
        common: common.clone(),
        input: INPUT.into(),
        output: OUTPUT.into(),
        window: WINDOW,
        out_of_orderness: Duration::ZERO,
    };
    let b = bootstrap.clone();
    let result = examples::run_job(&runtime, &common, "word-count", move |env| {
        examples::word_count::build(env, &wc, &b)
    })?;
    println!(
        "   finished in {:.2}s: {:.0} lines/s",
        result.elapsed.as_secs_f64(),
        args.records as f64 / result.elapsed.as_secs_f64()
    );

    println!("3. checking `{OUTPUT}` (read_committed) against a count made from `{INPUT}` ...");
    let window_ms = WINDOW.as_millis() as i64;
    let mut expected: BTreeMap<(String, i64), u64> = BTreeMap::new();
    for (ts, line) in read_all(&bootstrap, INPUT)? {
        for w in line.split_whitespace() {
            *expected
                .entry((w.to_string(), ts - ts.rem_euclid(window_ms)))
                .or_default() += 1;
        }
    }
    let mut got: BTreeMap<(String, i64), u64> = BTreeMap::new();
    for (_, json) in read_all(&bootstrap, OUTPUT)? {
        let v: serde_json::Value =
            serde_json::from_str(&json).with_context(|| format!("bad output {json}"))?;
        let key = (
            v["word"].as_str().unwrap_or_default().to_string(),
            v["window_start"].as_i64().unwrap_or_default(),
        );
        let previous = got.insert(key.clone(), v["count"].as_u64().unwrap_or_default());
        ensure!(previous.is_none(), "{key:?} was emitted twice");
    }
    ensure!(
        got == expected,
        "the output differs from the input's counts ({} windows expected, {} written)",
        expected.len(),
        got.len()
    );
    println!(
        "   all {} (word, window) counts are exact, each written once",
        got.len()
    );
    let mut totals: BTreeMap<&str, u64> = BTreeMap::new();
    for ((w, _), n) in &got {
        *totals.entry(w.as_str()).or_default() += n;
    }
    let mut top: Vec<_> = totals.into_iter().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    println!(
        "   top words: {}",
        top.iter()
            .take(8)
            .map(|(w, n)| format!("{w} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if let Some(((w, start), n)) = got.iter().next() {
        println!(
            "   e.g. {}",
            examples::word_count::WordCount {
                word: w.clone(),
                window_start: *start,
                window_end: start + window_ms,
                count: *n
            }
            .to_json()
        );
    }
    drop(cluster);
    println!("demo OK");
    Ok(())
}
