//! `spate example ...`: runs a job compiled into the binary against Kafka (the embedded broker
//! by default), with progress output, checkpoints and shutdown on SIGTERM.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context, Result};
use spate_distributed::{JobBuilder, KafkaSettings, RunnerConfig};
use spate_engine::{EngineError, StreamEnvironment};

use crate::cli::{ExampleArgs, ExampleCommand};
use crate::cluster::{self, Cluster, read_committed};
use crate::examples::{self, generate};

pub fn run(example: ExampleCommand) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let (common, input, output, name) = match &example {
        ExampleCommand::WordCount(a) => (&a.common, &a.input, &a.output, "word-count"),
        ExampleCommand::MovingAverage(a) => (&a.common, &a.input, &a.output, "moving-average"),
        ExampleCommand::LogErrors(a) => (&a.common, &a.input, &a.output, "log-errors"),
    };
    let common = common.clone();
    let cluster = Cluster::connect(&runtime, &common)?;
    let bootstrap = cluster.bootstrap.clone();
    cluster::ensure_topic(&runtime, &bootstrap, input, common.partitions)?;
    cluster::ensure_topic(&runtime, &bootstrap, output, common.partitions)?;
    if let spate_connectors::kafka::OversizedRecords::DeadLetter(topic) = &common.on_oversized {
        cluster::ensure_topic(&runtime, &bootstrap, topic, common.partitions)?;
    }
    if let Some(n) = common.generate {
        let make = match &example {
            ExampleCommand::WordCount(_) => generate::text_line,
            ExampleCommand::MovingAverage(_) => generate::sensor_reading,
            ExampleCommand::LogErrors(_) => generate::log_line,
        };
        generate::generate(&bootstrap, input, n, make)?;
    }
    let output = output.clone();
    if let Some(group) = common.distributed.clone() {
        run_distributed(&runtime, example, &common, &bootstrap, &group, name)?;
        if common.show > 0 {
            show(&bootstrap, &output, common.show)?;
        }
        return Ok(());
    }
    let b = bootstrap.clone();
    let result = examples::run_job(&runtime, &common, name, move |env| match &example {
        ExampleCommand::WordCount(a) => examples::word_count::build(env, a, &b),
        ExampleCommand::MovingAverage(a) => examples::moving_average::build(env, a, &b),
        ExampleCommand::LogErrors(a) => examples::log_errors::build(env, a, &b),
    })?;
    eprintln!(
        "job finished in {:.2}s ({} tasks on {} workers)",
        result.elapsed.as_secs_f64(),
        result.tasks,
        result.workers
    );
    if common.show > 0 {
        show(&bootstrap, &output, common.show)?;
    }
    Ok(())
}

/// Runs this process's share of the example as a member of `group` (`--distributed`) until
/// its tasks finish or SIGTERM/SIGINT stops it (its tasks then stop with a committed
/// checkpoint for the other processes to take over).
fn run_distributed(
    runtime: &tokio::runtime::Runtime,
    example: ExampleCommand,
    common: &ExampleArgs,
    bootstrap: &str,
    group: &str,
    name: &str,
) -> Result<()> {
    let kafka = KafkaSettings {
        bootstrap: bootstrap.to_string(),
        security: Default::default(),
        group: group.to_string(),
        // The cluster's default replication.
        replication_factor: -1,
        request_timeout: Duration::from_secs(30),
    };
    let mut config = RunnerConfig::new(kafka, common.checkpoint_dir(name).join("distributed"))
        .with_session_timeout(common.session_timeout);
    config.instance_id = common.instance_id.clone();
    config.checkpoint_interval = common.checkpoint_interval;
    let b = bootstrap.to_string();
    let build: JobBuilder = Arc::new(move || {
        let env = StreamEnvironment::new();
        let built = match &example {
            ExampleCommand::WordCount(a) => examples::word_count::build(&env, a, &b),
            ExampleCommand::MovingAverage(a) => examples::moving_average::build(&env, a, &b),
            ExampleCommand::LogErrors(a) => examples::log_errors::build(&env, a, &b),
        };
        built.map_err(|e| EngineError::InvalidConfig(format!("{e:#}")))?;
        Ok(env)
    });
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    runtime.spawn(async move {
        if crate::cluster::shutdown_signal().await.is_ok() {
            eprintln!("stopping: the tasks stop with a committed checkpoint ...");
            flag.store(true, Ordering::Release);
        }
    });
    eprintln!(
        "running {name} in group {group}{}",
        common
            .instance_id
            .as_deref()
            .map(|i| format!(" as {i}"))
            .unwrap_or_default()
    );
    spate_distributed::run_distributed(config, build, stop).context("distributed job")?;
    eprintln!("this process's tasks finished");
    Ok(())
}

/// Prints the first `n` records of `topic` as a read_committed consumer sees them.
pub fn show(bootstrap: &str, topic: &str, n: usize) -> Result<()> {
    let records = read_committed(bootstrap, topic, n)?;
    println!(
        "first {} of the results in `{topic}` (read_committed):",
        records.len()
    );
    for (_, r) in records {
        println!("  {r}");
    }
    Ok(())
}
