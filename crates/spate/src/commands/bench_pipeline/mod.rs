//! `spate bench pipeline`: Kafka -> job -> Kafka on Spate's broker started in this process.
//!
//! Throughput mode ([`throughput`]) pre-fills an input topic and times a bounded job over it;
//! latency mode ([`latency`]) produces at a fixed rate while an unbounded job runs and
//! measures when consumers see the results. What they share lives here: the broker, topics,
//! the windowed job, its JSON results, running a job on its own thread.

mod latency;
mod thread_cpu;
mod throughput;

use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, ensure};
use spate_broker::{Broker, BrokerConfig, BrokerHandle};
use spate_connectors::ConnectorError;
use spate_connectors::kafka::{DeliveryGuarantee, KafkaMessage, KafkaSink, KafkaSource, ReadPath};
use spate_engine::window::WindowAssigner;
use spate_engine::{CheckpointConfig, JobHandle, JobResult, StreamEnvironment, WatermarkStrategy};

use crate::cli::{BenchDelivery, PipelineBenchArgs, SourcePath};

pub fn run(args: PipelineBenchArgs) -> Result<()> {
    args.validate().map_err(anyhow::Error::msg)?;
    ensure!(args.partitions >= 1, "--partitions must be at least 1");
    ensure!(args.parallelism >= 1, "--parallelism must be at least 1");
    ensure!(args.keys >= 1, "--keys must be at least 1");
    ensure!(args.runs >= 1, "--runs must be at least 1");
    if args.latency {
        latency::run(&args)
    } else {
        throughput::run(&args)
    }
}

/// The guarantees to measure, in run order.
fn guarantees(d: BenchDelivery) -> Vec<BenchDelivery> {
    match d {
        BenchDelivery::Both => vec![BenchDelivery::AtLeastOnce, BenchDelivery::ExactlyOnce],
        one => vec![one],
    }
}

fn label(d: BenchDelivery) -> &'static str {
    match d {
        BenchDelivery::AtLeastOnce => "at-least-once",
        BenchDelivery::ExactlyOnce => "exactly-once",
        BenchDelivery::Both => "both",
    }
}

fn sink_guarantee(d: BenchDelivery, prefix: &str) -> DeliveryGuarantee {
    match d {
        BenchDelivery::ExactlyOnce => DeliveryGuarantee::ExactlyOnce {
            transactional_id_prefix: prefix.to_string(),
        },
        _ => DeliveryGuarantee::AtLeastOnce,
    }
}

/// Spate's broker in a temporary directory (or a broker elsewhere, `--bootstrap`), and a
/// runtime for it.
struct BenchCluster {
    bootstrap: String,
    /// Appended to topic, group and transactional id names: empty on the embedded broker, unique
    /// per run on an external one (which keeps what earlier runs wrote).
    run_tag: String,
    runtime: tokio::runtime::Runtime,
    broker: Option<BrokerHandle>,
    dir: tempfile::TempDir,
}

impl BenchCluster {
    fn start(external: Option<&str>) -> Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .context("starting the async runtime")?;
        let dir = tempfile::tempdir().context("creating a temporary directory")?;
        if let Some(bootstrap) = external {
            eprintln!("broker at {bootstrap} (checkpoints in {})", dir.path().display());
            let started = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis());
            return Ok(Self {
                bootstrap: bootstrap.to_string(),
                run_tag: format!("-{}-{started}", std::process::id()),
                runtime,
                broker: None,
                dir,
            });
        }
        let mut config = BrokerConfig::new(dir.path().join("broker"));
        config.listeners = vec![spate_broker::ListenerConfig::plaintext(
            ([127, 0, 0, 1], 0).into(),
        )];
        let broker = runtime
            .block_on(Broker::start(config))
            .context("starting the embedded broker")?;
        let bootstrap = broker.bootstrap_servers();
        eprintln!(
            "embedded broker on {bootstrap} (data in {})",
            dir.path().display()
        );
        Ok(Self {
            bootstrap,
            run_tag: String::new(),
            runtime,
            broker: Some(broker),
            dir,
        })
    }

    /// `base` made unique to this run when the broker is shared.
    fn name(&self, base: &str) -> String {
        format!("{base}{}", self.run_tag)
    }

    fn create_topic(&self, topic: &str, partitions: i32) -> Result<()> {
        crate::cluster::ensure_topic(&self.runtime, &self.bootstrap, topic, partitions)
    }

    fn checkpoint_dir(&self, job: &str) -> std::path::PathBuf {
        self.dir.path().join("checkpoints").join(job)
    }
}

impl Drop for BenchCluster {
    fn drop(&mut self) {
        if let Some(b) = self.broker.take() {
            let _ = self.runtime.block_on(b.shutdown());
        }
    }
}

/// The input key `k<n>` as `n`: keying by a number keeps the job free of per-record
/// allocation, as a Flink job keyed by a parsed field would be.
fn parse_key(m: &KafkaMessage<'_>) -> Result<u32, ConnectorError> {
    let bad = || ConnectorError::Format {
        location: format!("{}-{}@{}", m.topic(), m.partition(), m.offset()),
        message: "the key is not k<number>".into(),
    };
    let key = m.key().ok_or_else(bad)?;
    let digits = key.strip_prefix(b"k").ok_or_else(bad)?;
    if digits.is_empty() || digits.len() > 9 {
        return Err(bad());
    }
    digits.iter().try_fold(0u32, |n, d| {
        if d.is_ascii_digit() {
            Ok(n * 10 + u32::from(d - b'0'))
        } else {
            Err(bad())
        }
    })
}

/// One window result: `{"key":"k12","window_end":ms,"count":n}` keyed by `k12`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct KeyCount {
    key: u32,
    window_end: i64,
    count: u64,
}

fn keyed_count_sink(
    bootstrap: &str,
    topic: &str,
    guarantee: DeliveryGuarantee,
) -> Result<KafkaSink<KeyCount>> {
    use std::io::Write;
    Ok(KafkaSink::builder_with(bootstrap, topic, |r: &KeyCount, out| {
        let _ = write!(out.key_mut(), "k{}", r.key);
        let _ = write!(
            out.value_mut(),
            "{{\"key\":\"k{}\",\"window_end\":{},\"count\":{}}}",
            r.key,
            r.window_end,
            r.count
        );
        Ok(())
    })
    .delivery_guarantee(guarantee)
    .build()?)
}

/// Kafka source (read_committed) -> key by key -> 1 s tumbling event-time count -> Kafka sink.
struct WindowJob<'a> {
    bootstrap: &'a str,
    input: &'a str,
    output: &'a str,
    group: &'a str,
    bounded: bool,
    parallelism: usize,
    checkpoints: CheckpointConfig,
    guarantee: DeliveryGuarantee,
    source_properties: Vec<(String, String)>,
    read_path: ReadPath,
}

impl WindowJob<'_> {
    fn build(&self, env: &StreamEnvironment) -> Result<()> {
        env.set_parallelism(self.parallelism);
        env.enable_checkpointing(self.checkpoints.clone());
        let mut source = KafkaSource::builder(self.bootstrap, self.group, parse_key)
            .topics([self.input])
            .read_path(self.read_path);
        if self.bounded {
            source = source.bounded();
        }
        for (k, v) in &self.source_properties {
            source = source.property(k, v);
        }
        let sink = keyed_count_sink(self.bootstrap, self.output, self.guarantee.clone())?;
        env.add_source(
            "kafka-source",
            source.build()?,
            WatermarkStrategy::bounded_out_of_orderness(Duration::ZERO),
        )
        .uid("kafka-source")
        .key_by(|k: &u32| *k)
        .window(WindowAssigner::tumbling(Duration::from_secs(1)))
        .count()
        .uid("window-count")
        .map(|r| KeyCount {
            key: r.key,
            window_end: r.window.end,
            count: r.value,
        })
        .add_sink("kafka-sink", sink)
        .uid("kafka-sink");
        Ok(())
    }
}

/// A job running on its own thread (the environment is not `Send`).
struct RunningJob {
    handle: JobHandle,
    thread: JoinHandle<Result<JobResult>>,
}

impl RunningJob {
    fn start(build: impl FnOnce(&StreamEnvironment) -> Result<()> + Send + 'static) -> Result<Self> {
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("bench-job".into())
            .spawn(move || -> Result<JobResult> {
                let env = StreamEnvironment::new();
                build(&env)?;
                let _ = tx.send(env.job_handle());
                Ok(env.execute()?)
            })
            .context("starting the job thread")?;
        match rx.recv() {
            Ok(handle) => Ok(Self { handle, thread }),
            Err(_) => match thread.join() {
                Ok(r) => Err(r
                    .err()
                    .unwrap_or_else(|| anyhow!("the job ended before starting"))),
                Err(_) => Err(anyhow!("the job thread panicked")),
            },
        }
    }

    fn join(self) -> Result<JobResult> {
        self.thread
            .join()
            .map_err(|_| anyhow!("the job thread panicked"))?
    }
}

/// The source's read path of `--source-path`.
fn read_path(args: &PipelineBenchArgs) -> ReadPath {
    match args.source_path {
        SourcePath::Direct => ReadPath::Auto,
        SourcePath::Client => ReadPath::Client,
        SourcePath::Fetch => ReadPath::Fetch,
    }
}

/// `--source-property key=value` options as pairs.
fn source_properties(args: &PipelineBenchArgs) -> Result<Vec<(String, String)>> {
    args.source_properties
        .iter()
        .map(|kv| {
            kv.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .ok_or_else(|| anyhow!("--source-property `{kv}` is not key=value"))
        })
        .collect()
}

/// Value at quantile `q` of sorted `v`.
fn quantile<T: Copy + Default>(sorted: &[T], q: f64) -> T {
    if sorted.is_empty() {
        return T::default();
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    quantile(&s, 0.5)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::LatencyJob;

    fn args(records: u64, delivery: BenchDelivery) -> PipelineBenchArgs {
        PipelineBenchArgs {
            records,
            keys: 50,
            partitions: 3,
            parallelism: 2,
            delivery,
            checkpoint_interval: Duration::from_millis(200),
            runs: 1,
            latency: false,
            rate: 1000,
            seconds: 1,
            warmup: 0,
            job: LatencyJob::PassThrough,
            source_properties: vec!["fetch.queue.backoff.ms=10".into()],
            source_path: SourcePath::Direct,
            bootstrap: None,
            consumer_fetch_wait_ms: 100,
        }
    }

    #[test]
    fn quantiles_of_sorted_values() {
        let v: Vec<i64> = (1..=100).collect();
        assert_eq!(quantile(&v, 0.5), 51);
        assert_eq!(quantile(&v, 0.99), 99);
        assert_eq!(quantile(&v, 1.0), 100);
        assert_eq!(quantile::<i64>(&[], 0.5), 0);
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
    }

    #[test]
    fn source_properties_must_be_key_value() {
        let mut a = args(1, BenchDelivery::AtLeastOnce);
        assert_eq!(
            source_properties(&a).unwrap(),
            vec![("fetch.queue.backoff.ms".to_string(), "10".to_string())]
        );
        a.source_properties = vec!["no-equals-sign".into()];
        assert!(source_properties(&a).is_err());
    }

    /// The throughput run checks its own output (counts summing to the input, no duplicate
    /// window under exactly-once) and fails otherwise.
    #[test]
    fn throughput_run_writes_exact_window_counts() {
        run(args(30_000, BenchDelivery::Both)).unwrap();
    }

    #[test]
    fn throughput_run_through_the_client_writes_exact_window_counts() {
        let mut a = args(30_000, BenchDelivery::ExactlyOnce);
        a.source_path = SourcePath::Client;
        run(a).unwrap();
    }
}
