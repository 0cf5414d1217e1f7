//! Log cleaner throughput, and what a busy cleaner does to the latency of durable appends on
//! another partition of the same disk (no criterion: `cargo bench -p spate-log --bench
//! compaction` builds it in release and runs it once; `MB` sets the size of the log cleaned,
//! `RATE` the cleaner's I/O limit in MB/s for the latency runs).
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use spate_log::{CleanerSettings, Durability, LogConfig, Partition, Throttle};

fn varint(value: i64, out: &mut Vec<u8>) {
    let mut v = ((value << 1) ^ (value >> 63)) as u64;
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// An uncompressed batch of `records` keyed records (`key` + i, values of `value_len` bytes).
fn batch(first_key: u64, keys: u64, records: usize, value_len: usize, ts: i64) -> Vec<u8> {
    let mut body = Vec::new();
    for i in 0..records {
        let key = format!("key-{:08}", (first_key + i as u64) % keys);
        let mut record = vec![0u8];
        varint(0, &mut record);
        varint(i as i64, &mut record);
        varint(key.len() as i64, &mut record);
        record.extend_from_slice(key.as_bytes());
        varint(value_len as i64, &mut record);
        record.extend(std::iter::repeat_n(b'v', value_len));
        varint(0, &mut record);
        varint(record.len() as i64, &mut body);
        body.extend_from_slice(&record);
    }
    let mut out = Vec::new();
    out.extend_from_slice(&0i64.to_be_bytes());
    out.extend_from_slice(&((49 + body.len()) as i32).to_be_bytes());
    out.extend_from_slice(&0i32.to_be_bytes());
    out.push(2);
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&0i16.to_be_bytes());
    out.extend_from_slice(&(records as i32 - 1).to_be_bytes());
    out.extend_from_slice(&ts.to_be_bytes());
    out.extend_from_slice(&ts.to_be_bytes());
    out.extend_from_slice(&(-1i64).to_be_bytes());
    out.extend_from_slice(&(-1i16).to_be_bytes());
    out.extend_from_slice(&(-1i32).to_be_bytes());
    out.extend_from_slice(&(records as i32).to_be_bytes());
    out.extend_from_slice(&body);
    let crc = crc32c::crc32c(&out[21..]);
    out[17..21].copy_from_slice(&crc.to_be_bytes());
    out
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn config() -> LogConfig {
    LogConfig {
        segment_bytes: 64 << 20,
        cleanup_compact: true,
        cleanup_delete: false,
        min_cleanable_dirty_ratio_ppm: 0,
        ..LogConfig::default()
    }
}

/// A compacted partition of about `mb` MiB: batches of 100 records of 100-byte values over
/// 100,000 keys (so most records are superseded), everything sealed.
fn fill(dir: &std::path::Path, mb: usize) -> Partition {
    let p = Partition::open(dir, config()).unwrap();
    let mut key = 0;
    while p.size_bytes() < (mb as u64) << 20 {
        p.append(&batch(key, 100_000, 100, 100, now()), Durability::Async)
            .unwrap();
        key += 100;
    }
    // Roll: one batch bigger than what is left of the segment.
    let segments = p.segment_count();
    while p.segment_count() == segments {
        p.append(&batch(key, 100_000, 1000, 1000, now()), Durability::Async)
            .unwrap();
    }
    p.sync().unwrap();
    p
}

/// Latencies (µs) of durable appends of one 10-record batch every millisecond for `for_`.
fn append_latencies(p: &Partition, for_: Duration) -> Vec<u64> {
    let mut out = Vec::new();
    let b = batch(0, 1000, 10, 100, now());
    let start = Instant::now();
    let mut next = start;
    while start.elapsed() < for_ {
        let t = Instant::now();
        p.append(&b, Durability::Sync).unwrap();
        out.push(t.elapsed().as_micros() as u64);
        next += Duration::from_millis(1);
        if let Some(wait) = next.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
    }
    out.sort_unstable();
    out
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn report_latency(what: &str, l: &[u64]) {
    println!(
        "{what:<44} appends {:>6}  p50 {:>6} µs  p99 {:>6} µs  p99.9 {:>6} µs  max {:>6} µs",
        l.len(),
        percentile(l, 0.5),
        percentile(l, 0.99),
        percentile(l, 0.999),
        l[l.len() - 1]
    );
}

fn main() {
    let mb: usize = std::env::var("MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    let rate: f64 = std::env::var("RATE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(32.0);
    let root = tempfile::tempdir_in(std::env::var("BENCH_DIR").unwrap_or_else(|_| "/tmp".into())).unwrap();
    let settings = CleanerSettings::default();

    // 1. Throughput, unthrottled.
    let p = fill(&root.path().join("throughput"), mb);
    let before = p.size_bytes();
    let started = Instant::now();
    let outcome = p
        .clean(now(), &settings, &Throttle::new(f64::INFINITY), true)
        .unwrap()
        .unwrap();
    let secs = started.elapsed().as_secs_f64();
    println!(
        "cleaner, unthrottled: {:.1} MB/s read ({} MB read, {} MB -> {} MB of segments, {} records removed, {secs:.2} s)",
        outcome.bytes_read as f64 / secs / 1e6,
        outcome.bytes_read / 1_000_000,
        outcome.bytes_before / 1_000_000,
        outcome.bytes_after / 1_000_000,
        outcome.records_removed
    );
    assert!(p.size_bytes() < before);
    drop(p);

    // 2. Durable append latency on one partition, the cleaner idle, then busy on another.
    let target = Partition::open(&root.path().join("appends"), LogConfig::default()).unwrap();
    let idle = append_latencies(&target, Duration::from_secs(5));
    report_latency("acks=all appends, cleaner idle", &idle);
    for rate in [rate, f64::INFINITY] {
        let victim = Arc::new(fill(&root.path().join(format!("busy-{rate}")), mb));
        let done = Arc::new(AtomicBool::new(false));
        let cleaner = {
            let (victim, done, settings) = (victim.clone(), done.clone(), settings.clone());
            std::thread::spawn(move || {
                let throttle = Throttle::new(rate * 1e6);
                let started = Instant::now();
                let o = victim.clean(now(), &settings, &throttle, true).unwrap().unwrap();
                done.store(true, Ordering::Release);
                (o.bytes_read, started.elapsed())
            })
        };
        let busy = append_latencies(&target, Duration::from_secs(5));
        let still_cleaning = !done.load(Ordering::Acquire);
        let (read, took) = cleaner.join().unwrap();
        report_latency(
            &format!(
                "acks=all appends, cleaner at {} MB/s",
                if rate.is_finite() {
                    format!("{rate}")
                } else {
                    "unlimited".into()
                }
            ),
            &busy,
        );
        println!(
            "  (cleaner read {} MB in {:.2} s = {:.1} MB/s; busy for the whole window: {still_cleaning})",
            read / 1_000_000,
            took.as_secs_f64(),
            read as f64 / took.as_secs_f64() / 1e6
        );
    }
}
