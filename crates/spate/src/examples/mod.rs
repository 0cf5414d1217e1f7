//! Jobs written with the Rust API and compiled into the binary (`spate example ...`), and what
//! they share: where the broker is, progress output, shutdown on SIGTERM.

pub mod generate;
pub mod log_errors;
pub mod moving_average;
pub mod word_count;

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use spate_connectors::ConnectorError;
use spate_connectors::kafka::{
    DeliveryGuarantee, KafkaMessage, KafkaSinkBuilder, KafkaSource, OversizedStats, ReadPath, StartingOffsets,
};
use spate_engine::{CheckpointConfig, JobHandle, JobResult, RestartStrategy, StreamEnvironment};

use crate::cli::{Delivery, ExampleArgs, ExampleReadPath};

/// Configures checkpoints, restarts and parallelism from the common options.
pub fn configure(env: &StreamEnvironment, args: &ExampleArgs, job: &str) {
    env.set_parallelism(args.parallelism);
    env.enable_checkpointing(CheckpointConfig::new(
        args.checkpoint_dir(job),
        args.checkpoint_interval,
    ));
    env.set_restart_strategy(RestartStrategy::FixedDelay {
        attempts: args.restart_attempts,
        delay: Duration::from_secs(1),
    });
    if let Some(sp) = &args.from_savepoint {
        env.restore_from(sp);
    }
}

/// The example's Kafka source over `input`: from the earliest offsets, its group's offsets
/// following completed checkpoints, stopping at the end offsets of the start with `--bounded`.
pub fn kafka_source<T>(
    args: &ExampleArgs,
    job: &str,
    bootstrap: &str,
    input: &str,
    deserializer: impl Fn(&KafkaMessage<'_>) -> Result<T, ConnectorError> + Send + Sync + 'static,
) -> Result<KafkaSource<T>> {
    let read_path = match args.source_path {
        ExampleReadPath::Auto => ReadPath::Auto,
        ExampleReadPath::Fetch => ReadPath::Fetch,
        ExampleReadPath::Client => ReadPath::Client,
    };
    let mut source = KafkaSource::builder(bootstrap, args.group_id(job), deserializer)
        .topics([input])
        .starting_offsets(StartingOffsets::Earliest)
        .read_path(read_path);
    if args.bounded {
        source = source.bounded();
    }
    Ok(source.build()?)
}

/// The output sink's oversized-record policy and the counters the progress line shows.
pub fn on_oversized<T>(sink: KafkaSinkBuilder<T>, args: &ExampleArgs) -> KafkaSinkBuilder<T> {
    sink.on_oversized(args.on_oversized.clone())
        .count_oversized_in(args.oversized_stats.clone())
}

pub fn delivery(args: &ExampleArgs, sink_name: &str) -> DeliveryGuarantee {
    match args.delivery {
        Delivery::AtLeastOnce => DeliveryGuarantee::AtLeastOnce,
        Delivery::ExactlyOnce => DeliveryGuarantee::ExactlyOnce {
            transactional_id_prefix: format!("spate-{sink_name}"),
        },
    }
}

fn fmt_watermark(w: i64) -> String {
    match w {
        i64::MIN => "-".into(),
        i64::MAX => "end".into(),
        w => format!("{w}"),
    }
}

/// Prints records in/out per second, the watermark and the last checkpoint every second.
/// Stops `job` with a savepoint into `dir`, or cancels it when that fails (a job failing and
/// restarting has no running attempt to take one) or takes over a minute; each step is told on
/// stderr. `Err` says why no savepoint was taken.
pub(crate) async fn stop_with_savepoint_or_cancel(
    job: &JobHandle,
    dir: PathBuf,
) -> std::result::Result<PathBuf, String> {
    eprintln!("stopping: taking a savepoint ...");
    let stopping = job.clone();
    let stop = tokio::task::spawn_blocking(move || stopping.stop_with_savepoint(&dir));
    let why = match tokio::time::timeout(Duration::from_secs(60), stop).await {
        Ok(Ok(Ok(path))) => {
            eprintln!("stopped with savepoint {}", path.display());
            return Ok(path);
        }
        Ok(Ok(Err(e))) => e.to_string(),
        Ok(Err(e)) => e.to_string(),
        Err(_) => "the savepoint took over a minute".to_string(),
    };
    eprintln!("savepoint failed ({why}); cancelling the job");
    job.cancel();
    Err(why)
}

pub fn progress_loop(handle: &JobHandle, oversized: &OversizedStats, done: &mpsc::Receiver<()>) {
    let started = Instant::now();
    let (mut last_in, mut last_out, mut last_t) = (0u64, 0u64, Instant::now());
    loop {
        if done.recv_timeout(Duration::from_secs(1)) != Err(mpsc::RecvTimeoutError::Timeout) {
            return;
        }
        let p = handle.progress();
        let dt = last_t.elapsed().as_secs_f64().max(1e-3);
        let rate_in = p.records_in.saturating_sub(last_in) as f64 / dt;
        let rate_out = p.records_out.saturating_sub(last_out) as f64 / dt;
        (last_in, last_out, last_t) = (p.records_in, p.records_out, Instant::now());
        let checkpoint = match (p.last_checkpoint, p.last_checkpoint_at) {
            (Some(id), Some(at)) => format!(
                "#{id} {:.1}s ago ({} ms)",
                at.elapsed().map(|d| d.as_secs_f64()).unwrap_or(0.0),
                p.last_checkpoint_duration.map_or(0, |d| d.as_millis())
            ),
            _ => "none yet".into(),
        };
        let (skipped, dead_lettered) = (oversized.skipped(), oversized.dead_lettered());
        let oversized = if skipped + dead_lettered > 0 {
            format!(" | oversized: {skipped} skipped, {dead_lettered} dead-lettered")
        } else {
            String::new()
        };
        eprintln!(
            "[{:>5.0}s] in {:>9.0} rec/s ({} total) | out {:>8.0} rec/s ({} total) | watermark {} | checkpoint {}{}{oversized}",
            started.elapsed().as_secs_f64(),
            rate_in,
            p.records_in,
            rate_out,
            p.records_out,
            fmt_watermark(p.watermark),
            checkpoint,
            if p.restarts > 0 {
                format!(" | restarts {}", p.restarts)
            } else {
                String::new()
            }
        );
    }
}

/// Builds the job on its own thread (the environment is not `Send`), runs it with progress
/// output, takes a savepoint on SIGUSR1, and on SIGTERM/SIGINT stops it with a savepoint (which
/// also commits its output and counts as its latest checkpoint, so the next run resumes
/// there). Savepoints go to `<checkpoint dir>/savepoints/savepoint-<id>`.
pub fn run_job(
    runtime: &tokio::runtime::Runtime,
    args: &ExampleArgs,
    job_name: &str,
    build: impl FnOnce(&StreamEnvironment) -> Result<()> + Send + 'static,
) -> Result<JobResult> {
    let (handle_tx, handle_rx) = mpsc::channel();
    let job = std::thread::Builder::new()
        .name("spate-job".into())
        .spawn(move || -> Result<JobResult> {
            let env = StreamEnvironment::new();
            build(&env)?;
            let _ = handle_tx.send(env.job_handle());
            Ok(env.execute()?)
        })
        .context("starting the job thread")?;
    let Ok(handle) = handle_rx.recv() else {
        return job.join().map_err(|_| anyhow!("the job thread panicked"))?;
    };
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let progress_handle = handle.clone();
    let oversized = args.oversized_stats.clone();
    let printer = std::thread::spawn(move || progress_loop(&progress_handle, &oversized, &done_rx));
    let savepoints = args.checkpoint_dir(job_name).join("savepoints");
    let job_done = {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let waiter = std::thread::spawn(move || {
            let r = job.join();
            let _ = tx.send(());
            r
        });
        let stop_handle = handle.clone();
        let savepoint_handle = handle.clone();
        let on_demand_dir = savepoints.clone();
        runtime.block_on(async move {
            use tokio::signal::unix::{SignalKind, signal};
            let mut usr1 = signal(SignalKind::user_defined1()).context("installing the SIGUSR1 handler")?;
            // SIGUSR1: a savepoint on demand; the job keeps running.
            let on_demand = async move {
                while usr1.recv().await.is_some() {
                    let (h, dir) = (savepoint_handle.clone(), on_demand_dir.clone());
                    match tokio::task::spawn_blocking(move || h.savepoint(&dir)).await {
                        Ok(Ok(path)) => eprintln!("savepoint written to {}", path.display()),
                        Ok(Err(e)) => eprintln!("savepoint failed: {e}"),
                        Err(e) => eprintln!("savepoint failed: {e}"),
                    }
                }
            };
            tokio::pin!(on_demand);
            tokio::select! {
                _ = &mut on_demand => {}
                _ = rx => {}
                r = crate::cluster::shutdown_signal() => {
                    r?;
                    let _ = stop_with_savepoint_or_cancel(&stop_handle, savepoints).await;
                }
            }
            Ok::<(), anyhow::Error>(())
        })?;
        waiter.join().map_err(|_| anyhow!("the job thread panicked"))?
    };
    let _ = done_tx.send(());
    let _ = printer.join();
    job_done.map_err(|_| anyhow!("the job thread panicked"))?
}
