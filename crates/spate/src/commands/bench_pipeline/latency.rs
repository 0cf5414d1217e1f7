//! Latency: a producer thread writes records at a fixed rate with timestamp = now while an
//! unbounded job runs; a read_uncommitted and a read_committed consumer of the output compute
//! now - record timestamp (pass-through job) or now - window end (window job). Everything runs
//! in this process, so both clocks are the same clock; timestamps are milliseconds.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use rdkafka::consumer::BaseConsumer;
use rdkafka::message::Message;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use spate_connectors::ConnectorError;
use spate_connectors::kafka::{KafkaMessage, KafkaSink, KafkaSource, ReadPath};
use spate_engine::{CheckpointConfig, StreamEnvironment, WatermarkStrategy};

use super::thread_cpu::{ThreadCpu, describe};
use super::{BenchCluster, RunningJob, WindowJob, guarantees, label, quantile, sink_guarantee};
use spate_engine::clock::now_millis;

use crate::cli::{BenchDelivery, LatencyJob, PipelineBenchArgs};

/// Time given to the job to start before the producer starts.
const JOB_START: Duration = Duration::from_secs(2);

pub fn run(args: &PipelineBenchArgs) -> Result<()> {
    let cluster = BenchCluster::start(args.bootstrap.as_deref())?;
    for run in 1..=args.runs {
        for d in guarantees(args.delivery) {
            run_once(&cluster, args, d, run)?;
        }
    }
    Ok(())
}

fn run_once(cluster: &BenchCluster, args: &PipelineBenchArgs, d: BenchDelivery, run: usize) -> Result<()> {
    let tag = cluster.name(&format!("{}-{run}", label(d)));
    let (input, output) = (format!("latency-input-{tag}"), format!("latency-output-{tag}"));
    cluster.create_topic(&input, args.partitions)?;
    cluster.create_topic(&output, args.partitions)?;
    let checkpoints = CheckpointConfig::new(cluster.checkpoint_dir(&tag), args.checkpoint_interval);
    let guarantee = sink_guarantee(d, &format!("bench-latency-{tag}"));
    let (bootstrap, inp, out, group) = (
        cluster.bootstrap.clone(),
        input.clone(),
        output.clone(),
        format!("bench-latency-{tag}"),
    );
    let (job_kind, parallelism) = (args.job, args.parallelism);
    let source_properties = super::source_properties(args)?;
    let read_path = super::read_path(args);
    let job = RunningJob::start(move |env| match job_kind {
        LatencyJob::PassThrough => pass_through(
            env,
            &source_properties,
            read_path,
            &bootstrap,
            &inp,
            &out,
            &group,
            parallelism,
            checkpoints,
            guarantee,
        ),
        LatencyJob::Window => WindowJob {
            bootstrap: &bootstrap,
            input: &inp,
            output: &out,
            group: &group,
            bounded: false,
            parallelism,
            checkpoints,
            guarantee,
            source_properties,
            read_path,
        }
        .build(env),
    })?;
    std::thread::sleep(JOB_START);

    let produce_from = now_millis();
    let measure_from = produce_from + (args.warmup * 1000) as i64;
    let produce_until = produce_from + (args.seconds * 1000) as i64;
    let stop = Arc::new(AtomicBool::new(false));
    let fetch_wait_ms = args.consumer_fetch_wait_ms;
    let consumers = ["read_uncommitted", "read_committed"].map(|isolation| {
        let (bootstrap, output, stop) = (cluster.bootstrap.clone(), output.clone(), stop.clone());
        std::thread::spawn(move || {
            measure(
                &bootstrap,
                &output,
                isolation,
                job_kind,
                fetch_wait_ms,
                (measure_from, produce_until),
                &stop,
            )
        })
    });
    let threads = ThreadCpu::start();
    let sent = produce(&cluster.bootstrap, &input, args)?;
    // Let the last records (or windows) through: a checkpoint interval, a window, slack.
    std::thread::sleep(args.checkpoint_interval + Duration::from_millis(2500));
    stop.store(true, Ordering::Release);
    let cpu_groups = threads.finish();
    let progress = job.handle.progress();
    job.handle.cancel();
    let mut lines = Vec::new();
    for (isolation, consumer) in ["read_uncommitted", "read_committed"].iter().zip(consumers) {
        let mut lat = consumer
            .join()
            .map_err(|_| anyhow!("a consumer thread panicked"))??;
        lat.sort_unstable();
        lines.push(format!(
            "  {isolation}: {} measured, p50 {} ms, p99 {} ms, p99.9 {} ms, max {} ms",
            lat.len(),
            quantile(&lat, 0.5),
            quantile(&lat, 0.99),
            quantile(&lat, 0.999),
            lat.last().copied().unwrap_or(0)
        ));
    }
    job.join()?;
    let what = match job_kind {
        LatencyJob::PassThrough => "now - record timestamp",
        LatencyJob::Window => "result visible - window end",
    };
    println!(
        "latency run {run} {} {:?} rate={}/s seconds={} partitions={} parallelism={} checkpoint={} ms: \
         {sent} records produced, {} in / {} out in the job, last checkpoint took {} ms ({what}):",
        label(d),
        job_kind,
        args.rate,
        args.seconds,
        args.partitions,
        args.parallelism,
        args.checkpoint_interval.as_millis(),
        progress.records_in,
        progress.records_out,
        progress.last_checkpoint_duration.map_or(0, |d| d.as_millis()),
    );
    for l in lines {
        println!("{l}");
    }
    println!("  CPU while producing: {}", describe(&cpu_groups));
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn pass_through(
    env: &StreamEnvironment,
    source_properties: &[(String, String)],
    read_path: ReadPath,
    bootstrap: &str,
    input: &str,
    output: &str,
    group: &str,
    parallelism: usize,
    checkpoints: CheckpointConfig,
    guarantee: spate_connectors::kafka::DeliveryGuarantee,
) -> Result<()> {
    env.set_parallelism(parallelism);
    env.enable_checkpointing(checkpoints);
    let value = |m: &KafkaMessage<'_>| -> Result<Vec<u8>, ConnectorError> {
        Ok(m.value().unwrap_or_default().to_vec())
    };
    let mut source = KafkaSource::builder(bootstrap, group, value)
        .topics([input])
        .read_path(read_path);
    for (k, v) in source_properties {
        source = source.property(k, v);
    }
    let source = source.build()?;
    let sink = KafkaSink::builder_with(bootstrap, output, |v: &Vec<u8>, out| {
        out.value_mut().extend_from_slice(v);
        Ok(())
    })
    .delivery_guarantee(guarantee)
    .build()?;
    env.add_source(
        "kafka-source",
        source,
        WatermarkStrategy::bounded_out_of_orderness(Duration::ZERO),
    )
    .uid("kafka-source")
    .map(|v: Vec<u8>| v)
    .name("pass-through")
    .add_sink("kafka-sink", sink)
    .uid("kafka-sink");
    Ok(())
}

/// Produces `k<i % keys>` records at `args.rate` for `args.seconds`, timestamp = now.
fn produce(bootstrap: &str, topic: &str, args: &PipelineBenchArgs) -> Result<u64> {
    let producer: BaseProducer = crate::kafka_client::base_config(bootstrap)
        .set("linger.ms", "1")
        .set("acks", "1")
        .set("queue.buffering.max.messages", "1000000")
        .create()
        .context("creating the input producer")?;
    let started = Instant::now();
    let duration = Duration::from_secs(args.seconds);
    let (mut key, mut sent) = (Vec::with_capacity(16), 0u64);
    while started.elapsed() < duration {
        let due = (args.rate as f64 * started.elapsed().as_secs_f64()) as u64;
        let ts = now_millis();
        while sent < due {
            key.clear();
            let _ = write!(key, "k{}", sent % args.keys);
            let record = BaseRecord::to(topic).key(&key[..]).payload("v").timestamp(ts);
            if let Err((e, _)) = producer.send(record) {
                return Err(e).context("producing the input");
            }
            sent += 1;
        }
        producer.poll(Duration::ZERO);
        std::thread::sleep(Duration::from_micros(200));
    }
    producer
        .flush(Duration::from_secs(30))
        .context("flushing the input")?;
    Ok(sent)
}

/// Latencies in ms of the output records in the measured span, until `stop`.
fn measure(
    bootstrap: &str,
    topic: &str,
    isolation: &str,
    job: LatencyJob,
    fetch_wait_ms: u32,
    (from, until): (i64, i64),
    stop: &AtomicBool,
) -> Result<Vec<i64>> {
    let consumer: BaseConsumer = crate::kafka_client::consumer_config(bootstrap, "bench-latency")
        .set("isolation.level", isolation)
        .set("fetch.wait.max.ms", fetch_wait_ms.to_string())
        .create()
        .context("creating a measuring consumer")?;
    crate::kafka_client::assign_from_beginning(&consumer, bootstrap, topic)?;
    let mut out = Vec::new();
    while !stop.load(Ordering::Acquire) {
        let Some(m) = consumer.poll(Duration::from_millis(50)) else {
            continue;
        };
        let m = m.context("consuming the output")?;
        let now = now_millis();
        let at = match job {
            LatencyJob::PassThrough => m.timestamp().to_millis().unwrap_or(0),
            LatencyJob::Window => {
                let v: serde_json::Value = serde_json::from_slice(m.payload().unwrap_or_default())
                    .context("a result is not JSON")?;
                let end = v["window_end"].as_i64().unwrap_or(0);
                // Only windows wholly inside the measured span.
                if end - 1000 < from || end > until {
                    continue;
                }
                end
            }
        };
        if at >= from && at <= until {
            out.push(now - at);
        }
    }
    Ok(out)
}
