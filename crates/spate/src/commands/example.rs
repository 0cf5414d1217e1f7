//! `spate example ...`: runs a job compiled into the binary against Kafka (the embedded broker
//! by default), with progress output, checkpoints and shutdown on SIGTERM.

use anyhow::{Context, Result};

use crate::cli::ExampleCommand;
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
