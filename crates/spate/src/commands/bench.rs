//! `spate bench ...`: benchmarks that print their own figures (recorded in BENCHMARKS.md).

use anyhow::{Result, ensure};
use spate_engine::bench::{BenchWindow, StateValue, WindowCountParams, large_state, window_count};

use crate::cli::{BenchCommand, BenchStateValue, BenchWindowKind, ProduceBenchArgs};

pub fn run(bench: BenchCommand) -> Result<()> {
    match bench {
        BenchCommand::Pipeline(args) => super::bench_pipeline::run(args)?,
        BenchCommand::Nexmark(args) => super::bench_nexmark::run(args)?,
        BenchCommand::Produce(args) => produce(&args)?,
        BenchCommand::Checkpoint(args) => {
            let tmp = tempfile::tempdir()?;
            let dir = args.dir.clone().unwrap_or_else(|| tmp.path().to_path_buf());
            let values = match args.values {
                BenchStateValue::Vec => StateValue::ByteVec,
                BenchStateValue::Block => StateValue::ByteBlock,
            };
            let r = large_state(args.keys, args.value_bytes, args.parallelism, values, &dir)?;
            ensure!(
                r.restored_keys == r.keys,
                "the savepoint holds {} keys, expected {}",
                r.restored_keys,
                r.keys
            );
            let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
            println!(
                "checkpoint keys={} value={} B parallelism={}: state {:.0} MiB loaded in {:.2} s; \
                 savepoint {:.0} MiB in {:.2} s ({:.0} MiB/s) while {} updates ran, longest pause \
                 {:.1} ms; restore {:.2} s ({:.0} MiB/s; the restored job ended after {:.2} s)",
                r.keys,
                args.value_bytes,
                args.parallelism,
                mib(r.state_bytes),
                r.load.as_secs_f64(),
                mib(r.snapshot_bytes),
                r.snapshot.as_secs_f64(),
                mib(r.snapshot_bytes) / r.snapshot.as_secs_f64().max(1e-9),
                r.updates_during_snapshot,
                r.pause.as_secs_f64() * 1000.0,
                r.restore.as_secs_f64(),
                mib(r.snapshot_bytes) / r.restore.as_secs_f64().max(1e-9),
                r.restore_job.as_secs_f64(),
            );
        }
        BenchCommand::WindowCount(args) => {
            ensure!(args.runs >= 1, "--runs must be at least 1");
            let params = WindowCountParams {
                events: args.events,
                keys: args.keys,
                parallelism: args.parallelism,
                window: match args.window {
                    BenchWindowKind::Tumbling => BenchWindow::Tumbling,
                    BenchWindowKind::Sliding => BenchWindow::sliding_default(),
                    BenchWindowKind::Session => BenchWindow::session_default(),
                },
                worker_threads: args.worker_threads,
                events_per_ms: args.events_per_ms,
                pre_aggregate: args.pre_aggregate,
                watermark_interval: std::time::Duration::from_millis(args.watermark_interval_ms),
            };
            let mut rates = Vec::with_capacity(args.runs);
            for run in 1..=args.runs {
                let r = window_count(&params)?;
                ensure!(
                    r.is_correct(&params),
                    "wrong result: window counts sum to {} for {} events",
                    r.total_count,
                    r.events
                );
                let per_cpu = r
                    .cpu_time
                    .map(|c| r.events as f64 / c.as_secs_f64().max(1e-9) / 1e6);
                println!(
                    "run {run}: {:.2} M events/s ({} events in {:.3} s), {} windows, peak memory {:.1} MB{}",
                    r.events_per_sec / 1e6,
                    r.events,
                    r.elapsed.as_secs_f64(),
                    r.windows_fired,
                    r.peak_rss_bytes.unwrap_or(0) as f64 / (1024.0 * 1024.0),
                    per_cpu.map_or(String::new(), |m| format!(", {m:.2} M events per CPU-second")),
                );
                rates.push(r.events_per_sec);
            }
            rates.sort_by(f64::total_cmp);
            println!(
                "window-count {:?} keys={} parallelism={}{}: median {:.2} M events/s over {} run(s)",
                args.window,
                args.keys,
                args.parallelism,
                if args.pre_aggregate { " pre-aggregated" } else { "" },
                rates[rates.len() / 2] / 1e6,
                rates.len()
            );
        }
    }
    Ok(())
}

/// `spate bench produce`: creates the topic when it is missing, then sends the load.
fn produce(args: &ProduceBenchArgs) -> Result<()> {
    use spate_kafka_client::BrokerConnection;
    use spate_kafka_client::produce_load::{self, ProduceLoad};
    let timeout = std::time::Duration::from_secs(30);
    // A v2 batch header is 61 bytes; a record without key and headers adds at most 16 to its
    // value (attributes, timestamp and offset deltas, lengths and header count as varints).
    let batch_records = (args.batch_bytes.saturating_sub(61) / (args.record_bytes + 16)).max(1);
    let batch_value_bytes = (args.record_bytes as u64 * batch_records as u64).max(1);
    let requests = (args.megabytes * 1_000_000).div_ceil(batch_value_bytes);
    let mut admin = BrokerConnection::connect_to(&args.bootstrap, timeout)?;
    match admin.create_topic(&args.topic, args.partitions, -1, &[]) {
        Ok(()) => {}
        Err(e) if e.to_string().contains("TOPIC_ALREADY_EXISTS") => {}
        Err(e) => return Err(e.into()),
    }
    let load = ProduceLoad {
        bootstrap: args.bootstrap.clone(),
        topic: args.topic.clone(),
        partitions: args.partitions,
        connections: args.connections as usize,
        in_flight: args.in_flight as usize,
        record_bytes: args.record_bytes,
        batch_records,
        acks: args.acks,
        requests,
        timeout,
    };
    let r = produce_load::run(&load)?;
    let secs = r.elapsed.as_secs_f64().max(1e-9);
    println!(
        "produce: {} records of {} B acknowledged in {:.2} s: {:.3} M records/s, {:.1} MB/s of values \
         ({:.1} MB/s of batches); {} partition(s), {} connection(s) x {} in flight, {} records a batch, acks={}",
        r.records,
        args.record_bytes,
        secs,
        r.records_per_second() / 1e6,
        r.value_bytes as f64 / secs / 1e6,
        r.batch_bytes as f64 / secs / 1e6,
        args.partitions,
        load.connections.min(args.partitions as usize),
        args.in_flight,
        batch_records,
        args.acks,
    );
    Ok(())
}
