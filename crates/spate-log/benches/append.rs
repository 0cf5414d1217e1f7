//! Append and read throughput of one partition, printed as MB/s (no criterion: `cargo bench -p
//! spate-log` builds it in release mode and runs it once). Speed is measured here, never by tests.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::time::Instant;

use spate_log::{Durability, LogConfig, Partition};

/// One uncompressed batch of `records` records of `value_len` bytes, as a producer sends it.
fn batch(records: usize, value_len: usize) -> Vec<u8> {
    let mut body = Vec::new();
    for i in 0..records {
        let mut record = vec![0u8, 0]; // attributes, timestampDelta 0
        let mut delta = (i as u64) << 1;
        while delta >= 0x80 {
            record.push((delta as u8) | 0x80);
            delta >>= 7;
        }
        record.push(delta as u8);
        record.push(1); // null key
        let mut len = (value_len as u64) << 1;
        while len >= 0x80 {
            record.push((len as u8) | 0x80);
            len >>= 7;
        }
        record.push(len as u8);
        record.extend(std::iter::repeat_n(b'x', value_len));
        record.push(0); // no headers
        let mut n = (record.len() as u64) << 1;
        while n >= 0x80 {
            body.push((n as u8) | 0x80);
            n >>= 7;
        }
        body.push(n as u8);
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
    out.extend_from_slice(&1_700_000_000_000i64.to_be_bytes());
    out.extend_from_slice(&1_700_000_000_000i64.to_be_bytes());
    out.extend_from_slice(&(-1i64).to_be_bytes());
    out.extend_from_slice(&(-1i16).to_be_bytes());
    out.extend_from_slice(&(-1i32).to_be_bytes());
    out.extend_from_slice(&(records as i32).to_be_bytes());
    out.extend_from_slice(&body);
    let crc = crc32c::crc32c(&out[21..]);
    out[17..21].copy_from_slice(&crc.to_be_bytes());
    out
}

fn report(what: &str, bytes: usize, started: Instant) {
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{what:<40} {:>8.1} MB/s ({bytes} bytes in {secs:.3} s)",
        bytes as f64 / secs / 1e6
    );
}

/// `b` with its record section compressed with `codec` (3 lz4, 4 zstd), header fixed up.
fn compressed(b: &[u8], codec: i16) -> Vec<u8> {
    use std::io::Write;
    let section = &b[61..];
    let packed = match codec {
        3 => {
            let mut e = lz4_flex::frame::FrameEncoder::new(Vec::new());
            e.write_all(section).unwrap();
            e.finish().unwrap()
        }
        4 => ruzstd::encoding::compress_to_vec(section, ruzstd::encoding::CompressionLevel::Fastest),
        other => panic!("codec {other}"),
    };
    let mut out = b[..61].to_vec();
    out[8..12].copy_from_slice(&((49 + packed.len()) as i32).to_be_bytes());
    out[21..23].copy_from_slice(&codec.to_be_bytes());
    out.extend_from_slice(&packed);
    let crc = crc32c::crc32c(&out[21..]);
    out[17..21].copy_from_slice(&crc.to_be_bytes());
    out
}

/// Validation alone, per produce request: header + CRC (what the log checked before issue 14)
/// against header + CRC + every record (`validate_produced`).
fn validation() {
    for (what, request, records) in [
        ("10000 x 100 B", batch(10_000, 100), 10_000),
        ("1000 x 1000 B", batch(1000, 1000), 1000),
        ("10000 x 100 B lz4", compressed(&batch(10_000, 100), 3), 10_000),
        ("10000 x 100 B zstd", compressed(&batch(10_000, 100), 4), 10_000),
    ] {
        let rounds = 200;
        let uncompressed = if what.contains("lz4") || what.contains("zstd") {
            batch(records, 100).len()
        } else {
            request.len()
        };
        for (check, full) in [("header+CRC", false), ("header+CRC+records", true)] {
            let started = Instant::now();
            for _ in 0..rounds {
                if full {
                    spate_log::validate_request(&request).unwrap();
                } else {
                    spate_log::batch::validate_batches(&request).unwrap();
                }
            }
            let secs = started.elapsed().as_secs_f64();
            println!(
                "validate {what:<20} {check:<20} {:>8.1} MB/s uncompressed, {:>6.1} ns/record",
                (rounds * uncompressed) as f64 / secs / 1e6,
                secs * 1e9 / (rounds * records) as f64
            );
        }
    }
}

fn main() {
    validation();
    let dir = tempfile::tempdir().unwrap();
    let config = LogConfig {
        segment_bytes: 256 << 20,
        ..LogConfig::default()
    };
    let p = Partition::open(dir.path(), config).unwrap();
    // A 1 MB produce request: one batch of 1000 records of 1000 bytes.
    let request = batch(1000, 1000);
    let rounds = 512;
    let started = Instant::now();
    for _ in 0..rounds {
        p.append(&request, Durability::Async).unwrap();
    }
    report(
        "append 1 MB requests (page cache)",
        rounds * request.len(),
        started,
    );

    let started = Instant::now();
    for _ in 0..64 {
        p.append(&request, Durability::Sync).unwrap();
    }
    report("append 1 MB requests (fsync each)", 64 * request.len(), started);

    let started = Instant::now();
    let mut offset = 0;
    let mut bytes = 0;
    while offset < p.log_end_offset() {
        let r = p.read(offset, 1 << 20).unwrap();
        bytes += r.records.len();
        let headers = spate_log::batch::validate_batches(&r.records).unwrap();
        offset = headers.last().unwrap().last_offset() + 1;
    }
    report("read 1 MB fetches (with CRC check)", bytes, started);

    let small = batch(10, 100);
    let started = Instant::now();
    let n = 100_000;
    for _ in 0..n {
        p.append(&small, Durability::Async).unwrap();
    }
    let secs = started.elapsed().as_secs_f64();
    println!("append {n} small requests: {:.0} appends/s", n as f64 / secs);
}
