//! Throughput: N records pre-filled into the input topic (not timed), then the bounded window
//! job over them, timed from start to the last committed result; records/s = N / job time.

use std::collections::HashMap;
use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use rdkafka::consumer::BaseConsumer;
use rdkafka::message::Message;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use spate_engine::CheckpointConfig;
use spate_engine::bench::{peak_rss_bytes, process_cpu_time};

use super::thread_cpu::{ThreadCpu, describe};
use super::{BenchCluster, RunningJob, WindowJob, guarantees, label, median, sink_guarantee};
use spate_engine::clock::now_millis;

use crate::cli::{BenchDelivery, PipelineBenchArgs};

const INPUT: &str = "bench-input";

pub fn run(args: &PipelineBenchArgs) -> Result<()> {
    let cluster = BenchCluster::start(args.bootstrap.as_deref())?;
    cluster.create_topic(&cluster.name(INPUT), args.partitions)?;
    // Event time ends about now, 1 ms per 1000 records.
    let first_ms = now_millis() - (args.records / 1000) as i64 - 1000;
    let first_ms = first_ms - first_ms.rem_euclid(1000);
    let started = Instant::now();
    prefill(&cluster.bootstrap, &cluster.name(INPUT), args, first_ms)?;
    println!("source read path: {:?}", args.source_path);
    if !args.source_properties.is_empty() {
        println!("source properties: {}", args.source_properties.join(" "));
    }
    println!(
        "pre-filled {} records ({} keys, {} partitions) into `{}` in {:.1} s",
        args.records,
        args.keys,
        args.partitions,
        cluster.name(INPUT),
        started.elapsed().as_secs_f64()
    );
    let mut results: Vec<(BenchDelivery, RunFigures)> = Vec::new();
    for run in 1..=args.runs {
        for d in guarantees(args.delivery) {
            let f = run_once(&cluster, args, d, run)?;
            println!(
                "run {run} {}: {:.3} M records/s ({} records in {:.2} s), {:.2} CPU-s per M records, \
                 peak RSS {:.0} MiB; CPU: {}",
                label(d),
                f.rate / 1e6,
                args.records,
                f.elapsed.as_secs_f64(),
                f.cpu_per_million,
                f.peak_rss as f64 / (1024.0 * 1024.0),
                describe(&f.cpu_groups),
            );
            results.push((d, f));
        }
    }
    for d in guarantees(args.delivery) {
        let rates: Vec<f64> = results.iter().filter(|r| r.0 == d).map(|r| r.1.rate).collect();
        let cpu: Vec<f64> = results
            .iter()
            .filter(|r| r.0 == d)
            .map(|r| r.1.cpu_per_million)
            .collect();
        println!(
            "pipeline {} records={} partitions={} parallelism={}: median {:.3} M records/s, \
             {:.2} CPU-s per M records over {} run(s)",
            label(d),
            args.records,
            args.partitions,
            args.parallelism,
            median(&rates) / 1e6,
            median(&cpu),
            rates.len()
        );
    }
    Ok(())
}

/// Writes `k<i % keys>` / a short value, partition `i % partitions`, timestamp
/// `first_ms + i / 1000`, with lz4 and large batches (the prefill is not what is measured).
fn prefill(bootstrap: &str, input: &str, args: &PipelineBenchArgs, first_ms: i64) -> Result<()> {
    let producer: BaseProducer = crate::kafka_client::base_config(bootstrap)
        .set("compression.type", "lz4")
        .set("linger.ms", "50")
        .set("batch.size", "1000000")
        .set("batch.num.messages", "100000")
        .set("queue.buffering.max.messages", "2000000")
        .set("queue.buffering.max.kbytes", "1048576")
        .set("acks", "1")
        .create()
        .context("creating the prefill producer")?;
    let (mut key, mut value) = (Vec::with_capacity(16), Vec::with_capacity(16));
    for i in 0..args.records {
        key.clear();
        value.clear();
        let _ = write!(key, "k{}", i % args.keys);
        let _ = write!(value, "v{}", i % 100_000);
        let mut record = BaseRecord::to(input)
            .key(&key[..])
            .payload(&value[..])
            .partition((i % args.partitions as u64) as i32)
            .timestamp(first_ms + (i / 1000) as i64);
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((
                    rdkafka::error::KafkaError::MessageProduction(
                        rdkafka::types::RDKafkaErrorCode::QueueFull,
                    ),
                    r,
                )) => {
                    record = r;
                    producer.poll(Duration::from_millis(5));
                }
                Err((e, _)) => return Err(e).context("producing the input"),
            }
        }
        if i % 10_000 == 0 {
            producer.poll(Duration::ZERO);
        }
    }
    producer
        .flush(Duration::from_secs(300))
        .context("flushing the input")?;
    Ok(())
}

struct RunFigures {
    elapsed: Duration,
    rate: f64,
    cpu_per_million: f64,
    peak_rss: u64,
    cpu_groups: Vec<(String, f64)>,
}

fn run_once(
    cluster: &BenchCluster,
    args: &PipelineBenchArgs,
    d: BenchDelivery,
    run: usize,
) -> Result<RunFigures> {
    let tag = cluster.name(&format!("{}-{run}", label(d)));
    let input = cluster.name(INPUT);
    let output = format!("bench-output-{tag}");
    cluster.create_topic(&output, args.partitions)?;
    let (bootstrap, out, group) = (cluster.bootstrap.clone(), output.clone(), format!("bench-{tag}"));
    let checkpoints = CheckpointConfig::new(cluster.checkpoint_dir(&tag), args.checkpoint_interval);
    let guarantee = sink_guarantee(d, &format!("bench-pipeline-{tag}"));
    let parallelism = args.parallelism;
    let source_properties = super::source_properties(args)?;
    let read_path = super::read_path(args);
    let cpu_before = process_cpu_time();
    let threads = ThreadCpu::start();
    let started = Instant::now();
    let job = RunningJob::start(move |env| {
        WindowJob {
            bootstrap: &bootstrap,
            input: &input,
            output: &out,
            group: &group,
            bounded: true,
            parallelism,
            checkpoints,
            guarantee,
            source_properties,
            read_path,
        }
        .build(env)
    })?;
    let result = job.join()?;
    let elapsed = started.elapsed();
    let cpu_groups = threads.finish();
    let cpu = cpu_before
        .zip(process_cpu_time())
        .map_or(0.0, |(a, b)| b.saturating_sub(a).as_secs_f64());
    eprintln!(
        "  job reported {:.2} s on {} workers; checking `{output}` ...",
        result.elapsed.as_secs_f64(),
        result.workers
    );
    check_output(&cluster.bootstrap, &output, args, d)?;
    Ok(RunFigures {
        elapsed,
        rate: args.records as f64 / elapsed.as_secs_f64().max(1e-9),
        cpu_per_million: cpu / (args.records as f64 / 1e6),
        peak_rss: peak_rss_bytes().unwrap_or(0),
        cpu_groups,
    })
}

/// Reads the results back (read_committed): every (key, window) once for exactly-once, at
/// least once for at-least-once, counts summing to the input.
fn check_output(bootstrap: &str, topic: &str, args: &PipelineBenchArgs, d: BenchDelivery) -> Result<()> {
    let consumer: BaseConsumer = crate::kafka_client::consumer_config(bootstrap, "bench-check")
        .set("isolation.level", "read_committed")
        .set("enable.partition.eof", "true")
        .create()
        .context("creating the checking consumer")?;
    let partitions = crate::kafka_client::assign_from_beginning(&consumer, bootstrap, topic)?;
    let mut counts: HashMap<(String, i64), u64> = HashMap::new();
    let (mut eof, mut duplicates) = (0, 0u64);
    let deadline = Instant::now() + Duration::from_secs(120);
    while eof < partitions.len() {
        ensure!(Instant::now() < deadline, "reading {topic} took more than 120 s");
        match consumer.poll(Duration::from_millis(200)) {
            Some(Ok(m)) => {
                let v: serde_json::Value = serde_json::from_slice(m.payload().unwrap_or_default())
                    .context("a result is not JSON")?;
                let key = (
                    v["key"].as_str().unwrap_or_default().to_string(),
                    v["window_end"].as_i64().unwrap_or_default(),
                );
                let count = v["count"].as_u64().unwrap_or_default();
                if let Some(previous) = counts.insert(key, count) {
                    ensure!(
                        previous == count,
                        "a window was written with two different counts"
                    );
                    duplicates += 1;
                }
            }
            Some(Err(rdkafka::error::KafkaError::PartitionEOF(_))) => eof += 1,
            Some(Err(e)) => return Err(e.into()),
            None => {}
        }
    }
    let total: u64 = counts.values().sum();
    if total != args.records {
        bail!(
            "the results count {total} records, the input has {}",
            args.records
        );
    }
    if d == BenchDelivery::ExactlyOnce && duplicates > 0 {
        bail!("{duplicates} results were written twice under exactly-once");
    }
    eprintln!(
        "  output OK: {} (key, window) results summing to {total}{}",
        counts.len(),
        if duplicates > 0 {
            format!(", {duplicates} written twice")
        } else {
            String::new()
        }
    );
    Ok(())
}
