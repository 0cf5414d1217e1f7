//! The background log cleaner: `log.cleaner.threads` threads that compact the partitions of
//! `cleanup.policy=compact` topics when they are due (`spate_log::Partition::clean`), sharing one
//! I/O budget (`log.cleaner.io.max.bytes.per.second`) and resting `log.cleaner.backoff.ms` when
//! nothing is due. Plain threads, not async tasks: cleaning is long, blocking file I/O.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use spate_log::{CleanerSettings, LogStore, Throttle};

/// Broker-wide cleaner settings, in Kafka's `log.cleaner.*` names.
#[derive(Debug, Clone, PartialEq)]
pub struct CleanerConfig {
    /// `log.cleaner.enable` (default true).
    pub enable: bool,
    /// `log.cleaner.threads` (default 1).
    pub threads: usize,
    /// `log.cleaner.io.max.bytes.per.second`: read plus write bytes per second over all
    /// cleaner threads (Kafka's default, `Double.MAX_VALUE`, is unlimited).
    pub io_max_bytes_per_second: f64,
    /// `log.cleaner.backoff.ms`: rest when no partition is due (default 15 s).
    pub backoff: Duration,
    /// `log.cleaner.dedupe.buffer.size`: offset-map memory over all threads (default 128 MiB).
    pub dedupe_buffer_bytes: usize,
}

impl Default for CleanerConfig {
    fn default() -> Self {
        CleanerConfig {
            enable: true,
            threads: 1,
            io_max_bytes_per_second: f64::MAX,
            backoff: Duration::from_secs(15),
            dedupe_buffer_bytes: 128 << 20,
        }
    }
}

/// The running cleaner threads; dropping it stops them (a pass in progress is abandoned at its
/// next batch, its temporary files deleted).
#[derive(Debug)]
pub(crate) struct LogCleaner {
    stop: Arc<AtomicBool>,
    throttle: Arc<Throttle>,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl LogCleaner {
    /// Starts the threads (none when `log.cleaner.enable=false`).
    pub(crate) fn start(config: &CleanerConfig, store: &Arc<LogStore>) -> std::io::Result<LogCleaner> {
        let stop = Arc::new(AtomicBool::new(false));
        let throttle = Arc::new(Throttle::new(config.io_max_bytes_per_second));
        let mut threads = Vec::new();
        let count = if config.enable { config.threads.max(1) } else { 0 };
        let settings = CleanerSettings {
            dedupe_buffer_bytes: config.dedupe_buffer_bytes / count.max(1),
        };
        for shard in 0..count {
            let (stop, throttle, store, settings) =
                (stop.clone(), throttle.clone(), store.clone(), settings.clone());
            let backoff = config.backoff;
            threads.push(
                std::thread::Builder::new()
                    .name(format!("spate-cleaner-{shard}"))
                    .spawn(move || run(&store, &settings, &throttle, &stop, backoff, shard, count))?,
            );
        }
        Ok(LogCleaner {
            stop,
            throttle,
            threads: Mutex::new(threads),
        })
    }

    /// Stops the threads and waits for them.
    pub(crate) fn stop(&self) {
        self.stop.store(true, Ordering::Release);
        self.throttle.stop();
        let threads = std::mem::take(&mut *self.threads.lock().unwrap_or_else(PoisonError::into_inner));
        for t in threads {
            let _ = t.join();
        }
    }
}

impl Drop for LogCleaner {
    fn drop(&mut self) {
        self.stop();
    }
}

fn run(
    store: &LogStore,
    settings: &CleanerSettings,
    throttle: &Throttle,
    stop: &AtomicBool,
    backoff: Duration,
    shard: usize,
    shards: usize,
) {
    while !stop.load(Ordering::Acquire) {
        let (cleaned, result) = store.clean_due(crate::clock::now_ms(), settings, throttle, shard, shards);
        if let Err(e) = result
            && !stop.load(Ordering::Acquire)
        {
            tracing::warn!(%e, "log cleaner pass had errors");
        }
        if !cleaned.is_empty() {
            continue;
        }
        // Rest, but wake for a stop within a tenth of a second.
        let until = Instant::now() + backoff;
        while !stop.load(Ordering::Acquire) && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(100).min(backoff));
        }
    }
}
