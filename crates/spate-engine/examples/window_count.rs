//! Runs the window-count benchmark once: `window_count N K P [tumbling|sliding|session] [workers]`.

use spate_engine::bench::{BenchWindow, WindowCountParams, window_count};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, default: u64| -> Result<u64, std::num::ParseIntError> {
        args.get(i).map_or(Ok(default), |s| s.parse())
    };
    let window = match args.get(3).map(String::as_str) {
        None | Some("tumbling") => BenchWindow::Tumbling,
        Some("sliding") => BenchWindow::sliding_default(),
        Some("session") => BenchWindow::session_default(),
        Some(other) => return Err(format!("unknown window type `{other}`").into()),
    };
    let params = WindowCountParams {
        events: arg(0, 100_000_000)?,
        keys: arg(1, 1000)?,
        parallelism: arg(2, 1)? as usize,
        window,
        worker_threads: args.get(4).map(|s| s.parse()).transpose()?,
        events_per_ms: 1000,
        pre_aggregate: false,
        watermark_interval: std::time::Duration::ZERO,
    };
    let r = window_count(&params)?;
    println!(
        "window-count {:?} events={} keys={} parallelism={} elapsed={:.3}s events/s={:.0} ({:.2} M/s) windows={} total_count={} correct={} peak_rss_mb={:.1} cpu={:.3}s events/cpu-s={:.2} M",
        params.window,
        r.events,
        params.keys,
        params.parallelism,
        r.elapsed.as_secs_f64(),
        r.events_per_sec,
        r.events_per_sec / 1e6,
        r.windows_fired,
        r.total_count,
        r.is_correct(&params),
        r.peak_rss_bytes.unwrap_or(0) as f64 / (1024.0 * 1024.0),
        r.cpu_time.unwrap_or_default().as_secs_f64(),
        r.cpu_time
            .map_or(0.0, |c| r.events as f64 / c.as_secs_f64().max(1e-9) / 1e6),
    );
    Ok(())
}
