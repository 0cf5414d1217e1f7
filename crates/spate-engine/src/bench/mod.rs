//! Benchmark jobs: window count (`spate bench window-count`, below) and large-state
//! checkpoints ([`large_state`], `spate bench checkpoint`).
//!
//! N sequential longs; event time = i / 1000 ms (one million events per event-time second, as
//! Flink's window benchmark; [`WindowCountParams::events_per_ms`] changes it);
//! key = i % K; a per-key event-time window count (one-second tumbling by default); a
//! discarding sink that only sums the counts, so correctness is checkable: every event is
//! counted once per window it belongs to.

mod large_state;

pub use large_state::{LargeStateReport, StateValue, large_state};

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::error::EngineError;
use crate::source::SequenceSource;
use crate::stream::StreamEnvironment;
use crate::watermark::WatermarkStrategy;
use crate::window::WindowAssigner;

/// Which windows the benchmark counts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BenchWindow {
    /// One-second tumbling windows.
    Tumbling,
    /// Sliding windows (the variant: 10 s every 2 s).
    Sliding {
        /// Window size.
        size: Duration,
        /// Slide.
        slide: Duration,
    },
    /// Session windows (the variant: gap 1 s).
    Session {
        /// Inactivity gap.
        gap: Duration,
    },
}

impl BenchWindow {
    /// The sliding variant: 10 s windows every 2 s.
    pub fn sliding_default() -> Self {
        Self::Sliding {
            size: Duration::from_secs(10),
            slide: Duration::from_secs(2),
        }
    }

    /// The session variant: gap 1 s.
    pub fn session_default() -> Self {
        Self::Session {
            gap: Duration::from_secs(1),
        }
    }

    fn assigner(self) -> WindowAssigner {
        match self {
            Self::Tumbling => WindowAssigner::tumbling(Duration::from_secs(1)),
            Self::Sliding { size, slide } => WindowAssigner::sliding(size, slide),
            Self::Session { gap } => WindowAssigner::session(gap),
        }
    }

    /// How many windows each event is counted in.
    pub fn windows_per_event(self) -> u64 {
        match self {
            Self::Sliding { size, slide } => (size.as_millis() / slide.as_millis().max(1)) as u64,
            Self::Tumbling | Self::Session { .. } => 1,
        }
    }
}

/// Parameters of one benchmark run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowCountParams {
    /// Number of events N.
    pub events: u64,
    /// Number of keys K.
    pub keys: u64,
    /// Parallelism of the source and the window operator.
    pub parallelism: usize,
    /// Window type.
    pub window: BenchWindow,
    /// Worker threads (default: one per parallel subtask, up to the core count).
    pub worker_threads: Option<usize>,
    /// Events per millisecond of event time (event time = i / this). 1000 is Flink's window
    /// benchmark; 1 with 1000 keys puts one event of each key in each one-second window, the
    /// work of the SQL benchmark `scripts/bench-sql/tumble-count.sql`.
    pub events_per_ms: u64,
    /// Aggregate before the keyed exchange too ([`WindowedStream::pre_aggregate`]).
    ///
    /// [`WindowedStream::pre_aggregate`]: crate::window::WindowedStream::pre_aggregate
    pub pre_aggregate: bool,
    /// How often the source emits a watermark, in processing time; zero emits one with every
    /// batch. A SQL job emits every `pipeline.auto-watermark-interval` (Flink's 200 ms): windows
    /// then fire in bursts and more of them are open at once.
    pub watermark_interval: std::time::Duration,
}

/// What one run measured.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowCountReport {
    /// Events processed.
    pub events: u64,
    /// Wall-clock time of the job.
    pub elapsed: Duration,
    /// Events per second.
    pub events_per_sec: f64,
    /// Window results emitted.
    pub windows_fired: u64,
    /// Sum of all window counts (= events × windows per event when correct).
    pub total_count: u64,
    /// Peak resident memory of the process (VmHWM), if readable.
    pub peak_rss_bytes: Option<u64>,
    /// CPU time (user + system) the process spent during the job, if readable: on a shared
    /// machine `events / cpu_time` shows the engine's cost independent of other load.
    pub cpu_time: Option<Duration>,
}

impl WindowCountReport {
    /// Whether the sum of counts matches the number of events.
    pub fn is_correct(&self, params: &WindowCountParams) -> bool {
        self.total_count == params.events * params.window.windows_per_event()
    }
}

/// Peak resident set size of this process, from `/proc/self/status` (Linux).
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// CPU time (user + system) of this process so far, from `/proc/self/stat` (Linux, assumes
/// the usual 100 clock ticks per second).
pub fn process_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 10))
}

/// Runs the benchmark job once.
pub fn window_count(params: &WindowCountParams) -> Result<WindowCountReport, EngineError> {
    if params.keys == 0 || params.parallelism == 0 || params.events_per_ms == 0 {
        return Err(EngineError::InvalidConfig(
            "keys, parallelism and events per ms must be positive".into(),
        ));
    }
    let env = StreamEnvironment::new();
    env.set_parallelism(params.parallelism);
    if let Some(w) = params.worker_threads {
        env.set_worker_threads(w);
    }
    let keys = params.keys;
    let per_ms = params.events_per_ms;
    let strategy = WatermarkStrategy::monotonic()
        .with_timestamp_assigner(move |v: &u64, _| (*v / per_ms) as i64)
        .with_emit_interval(params.watermark_interval);
    let fired = Arc::new(AtomicU64::new(0));
    let total = Arc::new(AtomicU64::new(0));
    let (f, t) = (fired.clone(), total.clone());
    let windowed = env
        .add_source("sequence", SequenceSource::new(0, params.events), strategy)
        .key_by(move |v: &u64| v % keys)
        .window(params.window.assigner());
    let windowed = if params.pre_aggregate {
        windowed.pre_aggregate()
    } else {
        windowed
    };
    windowed
        .count()
        .for_each_batch(move |batch| {
            f.fetch_add(batch.len() as u64, Ordering::Relaxed);
            t.fetch_add(
                batch.iter().map(|r| r.value.value).sum::<u64>(),
                Ordering::Relaxed,
            );
        })
        .name("discard");
    let cpu_before = process_cpu_time();
    let started = Instant::now();
    env.execute()?;
    let elapsed = started.elapsed();
    let cpu_time = cpu_before
        .zip(process_cpu_time())
        .map(|(a, b)| b.saturating_sub(a));
    Ok(WindowCountReport {
        events: params.events,
        elapsed,
        events_per_sec: params.events as f64 / elapsed.as_secs_f64().max(1e-9),
        windows_fired: fired.load(Ordering::Relaxed),
        total_count: total.load(Ordering::Relaxed),
        peak_rss_bytes: peak_rss_bytes(),
        cpu_time,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_runs_count_every_event() {
        for window in [
            BenchWindow::Tumbling,
            BenchWindow::sliding_default(),
            BenchWindow::session_default(),
        ] {
            for (parallelism, pre_aggregate) in [(1, false), (3, false), (3, true)] {
                let p = WindowCountParams {
                    events: 50_000,
                    keys: 100,
                    parallelism,
                    window,
                    worker_threads: None,
                    events_per_ms: 1000,
                    pre_aggregate,
                    watermark_interval: std::time::Duration::ZERO,
                };
                let r = window_count(&p).unwrap();
                assert!(
                    r.is_correct(&p),
                    "{window:?} p={parallelism} pre-aggregated {pre_aggregate}: {r:?}"
                );
                if window == BenchWindow::Tumbling {
                    // 50 ms of event time: every key has one window [0, 1000).
                    assert_eq!(r.windows_fired, 100);
                }
            }
        }
    }

    #[test]
    fn one_event_per_ms_puts_one_event_of_each_key_in_each_window() {
        let p = WindowCountParams {
            events: 20_000,
            keys: 1000,
            parallelism: 1,
            window: BenchWindow::Tumbling,
            worker_threads: None,
            events_per_ms: 1,
            pre_aggregate: false,
            watermark_interval: std::time::Duration::from_millis(200),
        };
        let r = window_count(&p).unwrap();
        assert!(r.is_correct(&p), "{r:?}");
        // 20 s of event time, 1000 keys: a window per key and second, one event each.
        assert_eq!(r.windows_fired, 20_000);
    }
}
