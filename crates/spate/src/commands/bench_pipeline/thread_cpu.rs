//! CPU time of this process split by thread name (broker runtime, librdkafka, engine workers),
//! sampled from `/proc/self/task` so threads that exit during the job are still counted (up to
//! the last sample before they exit).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// Clock ticks per second of `/proc/*/stat` times (the usual Linux value).
const TICKS_PER_SEC: f64 = 100.0;
const SAMPLE_EVERY: Duration = Duration::from_millis(100);

/// Samples per-thread CPU time until [`ThreadCpu::finish`].
pub struct ThreadCpu {
    stop: Arc<AtomicBool>,
    sampler: Option<JoinHandle<BTreeMap<u64, (String, u64)>>>,
    before: BTreeMap<u64, (String, u64)>,
}

/// Thread id -> (name, utime + stime ticks).
fn sample() -> BTreeMap<u64, (String, u64)> {
    let mut out = BTreeMap::new();
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return out;
    };
    for entry in dir.flatten() {
        let Some(tid) = entry.file_name().to_str().and_then(|s| s.parse::<u64>().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let name = stat[open + 1..close].to_string();
        let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
        let ticks = fields.get(11).and_then(|u| u.parse::<u64>().ok()).unwrap_or(0)
            + fields.get(12).and_then(|s| s.parse::<u64>().ok()).unwrap_or(0);
        out.insert(tid, (name, ticks));
    }
    out
}

/// The group a thread's CPU is reported under.
fn group(name: &str) -> String {
    if name.starts_with("rdk:") {
        return format!(
            "librdkafka {}",
            name.trim_start_matches("rdk:")
                .trim_end_matches(|c: char| c.is_ascii_digit() || c == '/')
        );
    }
    if name.starts_with("tokio-r") {
        return "broker (tokio)".into();
    }
    if name.starts_with("spate-worker") {
        return "engine workers".into();
    }
    name.trim_end_matches(|c: char| c.is_ascii_digit() || c == '-')
        .to_string()
}

impl ThreadCpu {
    pub fn start() -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let before = sample();
        let sampler = std::thread::Builder::new()
            .name("cpu-sampler".into())
            .spawn(move || {
                let mut latest = BTreeMap::new();
                loop {
                    latest.extend(sample());
                    if flag.load(Ordering::Acquire) {
                        return latest;
                    }
                    std::thread::sleep(SAMPLE_EVERY);
                }
            })
            .ok();
        Self {
            stop,
            sampler,
            before,
        }
    }

    /// CPU seconds per thread group since `start`, largest first.
    pub fn finish(mut self) -> Vec<(String, f64)> {
        self.stop.store(true, Ordering::Release);
        let latest = self
            .sampler
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default();
        let mut groups: BTreeMap<String, u64> = BTreeMap::new();
        for (tid, (name, ticks)) in latest {
            if name == "cpu-sampler" {
                continue;
            }
            let base = self.before.get(&tid).map_or(0, |(_, t)| *t);
            *groups.entry(group(&name)).or_default() += ticks.saturating_sub(base);
        }
        let mut out: Vec<(String, f64)> = groups
            .into_iter()
            .filter(|(_, t)| *t > 0)
            .map(|(g, t)| (g, t as f64 / TICKS_PER_SEC))
            .collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1));
        out
    }
}

/// `engine workers 12.3 s, broker (tokio) 8.1 s, ...`
pub fn describe(groups: &[(String, f64)]) -> String {
    groups
        .iter()
        .map(|(g, s)| format!("{g} {s:.1} s"))
        .collect::<Vec<_>>()
        .join(", ")
}
