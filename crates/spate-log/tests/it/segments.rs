use proptest::prelude::*;
use spate_log::{Durability, Error, Partition};

use crate::common::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]
    /// Random batches appended (several per request sometimes) read back byte-identical at the
    /// right offsets, across segment rolls and a reopen.
    #[test]
    fn append_read_round_trip(
        requests in proptest::collection::vec(proptest::collection::vec((1usize..20, 0usize..300), 1..4), 1..30),
        segment_bytes in 700u64..6000,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let p = Partition::open(dir.path(), small_config(segment_bytes)).unwrap();
        let mut expected = Vec::new();
        let mut next = 0i64;
        for request in &requests {
            let mut bytes = Vec::new();
            let mut batches = Vec::new();
            for &(n, pad) in request {
                let b = TestBatch::new((0..n).map(|i| (1000 + i as i64, vec![i as u8; pad])).collect()).encode();
                bytes.extend_from_slice(&b);
                batches.push((b, n));
            }
            let out = p.append(&bytes, Durability::Async).unwrap();
            prop_assert_eq!(out.base_offset, next);
            for (b, n) in batches {
                expected.push((next, with_base_offset(&b, next)));
                next += n as i64;
            }
            prop_assert_eq!(out.last_offset, next - 1);
        }
        prop_assert_eq!(p.log_end_offset(), next);
        let stored: Vec<Vec<u8>> = expected.iter().map(|e| e.1.clone()).collect();
        prop_assert_eq!(&read_all(&p, 0), &stored);
        // Reading from the middle of any batch returns that whole batch first.
        for (base, bytes) in &expected {
            let r = p.read(base + 1, 1).unwrap();
            if base + 1 < p.log_end_offset() {
                let first = spate_log::batch::BatchHeader::parse(&r.records).unwrap();
                prop_assert!(first.base_offset <= base + 1 && first.last_offset() > *base);
                if first.base_offset == *base {
                    prop_assert_eq!(&r.records[..], &bytes[..]);
                }
            }
        }
        let segments = p.segment_count();
        drop(p);
        let p = Partition::open(dir.path(), small_config(segment_bytes)).unwrap();
        prop_assert_eq!(p.segment_count(), segments);
        prop_assert_eq!(p.log_end_offset(), next);
        prop_assert_eq!(&read_all(&p, 0), &stored);
    }
}

#[test]
fn read_respects_max_bytes_but_returns_a_big_first_batch_whole() {
    let dir = tempfile::tempdir().unwrap();
    let p = Partition::open(dir.path(), small_config(1 << 20)).unwrap();
    let big = TestBatch::new(vec![(1, vec![7; 1000])]).encode();
    let small = TestBatch::simple(3, 5).encode();
    p.append(&big, Durability::Async).unwrap();
    p.append(&small, Durability::Async).unwrap();
    p.append(&small, Durability::Async).unwrap();
    let r = p.read(0, 10).unwrap();
    assert_eq!(r.records.len(), big.len());
    let r = p.read(0, big.len() + small.len() + 5).unwrap();
    assert_eq!(r.records.len(), big.len() + small.len());
    let r = p.read(2, 1 << 20).unwrap();
    assert_eq!(r.records.len(), 2 * small.len());
    assert_eq!(r.high_watermark, 7);
    assert_eq!(p.read(7, 100).unwrap().records.len(), 0);
    assert!(matches!(
        p.read(8, 100),
        Err(Error::OffsetOutOfRange {
            offset: 8,
            log_start: 0,
            log_end: 7
        })
    ));
    assert!(matches!(p.read(-1, 100), Err(Error::OffsetOutOfRange { .. })));
}

#[test]
fn invalid_batches_are_rejected_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let config = spate_log::LogConfig {
        max_message_bytes: 200,
        ..small_config(1 << 20)
    };
    let p = Partition::open(dir.path(), config).unwrap();
    let good = TestBatch::simple(2, 1).encode();
    let mut bad_crc = good.clone();
    *bad_crc.last_mut().unwrap() ^= 0xff;
    let mut bad_magic = good.clone();
    bad_magic[16] = 1;
    let big = TestBatch::new(vec![(1, vec![0; 300])]).encode();
    let mut two = good.clone();
    two.extend_from_slice(&bad_crc);
    assert!(matches!(
        p.append(&bad_crc, Durability::Async),
        Err(Error::CrcMismatch { .. })
    ));
    assert!(matches!(
        p.append(&bad_magic, Durability::Async),
        Err(Error::UnsupportedMagic(1))
    ));
    assert!(matches!(
        p.append(&big, Durability::Async),
        Err(Error::BatchTooLarge { max: 200, .. })
    ));
    assert!(matches!(
        p.append(&two, Durability::Async),
        Err(Error::CrcMismatch { .. })
    ));
    assert!(matches!(
        p.append(&good[..good.len() - 1], Durability::Async),
        Err(Error::CorruptBatch(_))
    ));
    assert!(p.append(&[], Durability::Async).is_err());
    assert_eq!(p.log_end_offset(), 0);
    assert_eq!(p.size_bytes(), 0);
    p.append(&good, Durability::Async).unwrap();
    assert_eq!(p.log_end_offset(), 2);
}

#[test]
fn log_append_time_rewrites_timestamp_and_crc() {
    let dir = tempfile::tempdir().unwrap();
    let config = spate_log::LogConfig {
        timestamp_type: spate_log::TimestampType::LogAppendTime,
        ..small_config(1 << 20)
    };
    let p = Partition::open(dir.path(), config).unwrap();
    let out = p
        .append_at(&TestBatch::simple(3, 10).encode(), Durability::Async, 777_000)
        .unwrap();
    assert_eq!(out.log_append_time, 777_000);
    let r = p.read(0, 1000).unwrap();
    let h = spate_log::batch::validate_batches(&r.records).unwrap()[0];
    assert!(h.has_log_append_time());
    assert_eq!(h.max_timestamp, 777_000);
    assert_eq!(p.offset_for_timestamp(500).unwrap(), Some((0, 777_000)));
    assert_eq!(p.offset_for_timestamp(777_001).unwrap(), None);
}

#[test]
fn concurrent_sync_appenders_and_readers() {
    let dir = tempfile::tempdir().unwrap();
    let p = std::sync::Arc::new(Partition::open(dir.path(), small_config(8 * 1024)).unwrap());
    let batch = TestBatch::simple(4, 100).encode();
    std::thread::scope(|s| {
        for _ in 0..4 {
            let p = &p;
            let batch = &batch;
            s.spawn(move || {
                for _ in 0..50 {
                    let out = p.append(batch, Durability::Sync).unwrap();
                    let r = p.read(out.base_offset, 1 << 16).unwrap();
                    assert_eq!(&r.records[8..batch.len()], &batch[8..]);
                }
            });
        }
    });
    assert_eq!(p.log_end_offset(), 4 * 50 * 4);
    assert_eq!(read_all(&p, 0).len(), 200);
    assert!(p.segment_count() > 1);
}

#[test]
fn flush_always_and_sync_leave_nothing_unsynced() {
    let dir = tempfile::tempdir().unwrap();
    let p = Partition::open(dir.path(), small_config(1 << 20)).unwrap();
    p.append_at(&TestBatch::simple(1, 1).encode(), Durability::Async, 5_000)
        .unwrap();
    assert_eq!(p.unsynced_since(), Some(5_000));
    p.sync().unwrap();
    assert_eq!(p.unsynced_since(), None);
    p.append(&TestBatch::simple(1, 1).encode(), Durability::Sync)
        .unwrap();
    assert_eq!(p.unsynced_since(), None);
    let always = spate_log::LogConfig {
        flush: spate_log::FlushPolicy::Always,
        ..small_config(1 << 20)
    };
    p.set_config(always);
    p.append(&TestBatch::simple(1, 1).encode(), Durability::Async)
        .unwrap();
    assert_eq!(p.unsynced_since(), None);
}

fn open_descriptors() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// Sealed segments do not each hold a file descriptor: beyond the process-wide bound they are
/// closed (least recently used first) and reopened when read, so retained data does not eat the
/// open-file limit. Everything still reads back, also after a reopen.
#[test]
fn sealed_segments_hold_descriptors_only_up_to_the_bound() {
    spate_log::open_files::set_max_open_sealed(4);
    let dir = tempfile::tempdir().unwrap();
    let before = open_descriptors();
    let p = Partition::open(dir.path(), small_config(2000)).unwrap();
    let mut expected = Vec::new();
    let mut next = 0i64;
    while p.segment_count() < 60 {
        let b = TestBatch::new((0..5).map(|i| (1000 + i, vec![7u8; 100])).collect()).encode();
        p.append(&b, Durability::Async).unwrap();
        expected.push(with_base_offset(&b, next));
        next += 5;
    }
    // Active segment + at most 4 sealed, plus a few transient (directory, snapshot) handles.
    let held = open_descriptors().saturating_sub(before);
    assert!(held <= 8, "{held} descriptors for 60 segments");
    assert_eq!(read_all(&p, 0), expected);
    assert!(spate_log::open_files::open_sealed() <= 4);
    drop(p);
    let p = Partition::open(dir.path(), small_config(2000)).unwrap();
    let held = open_descriptors().saturating_sub(before);
    assert!(held <= 8, "{held} descriptors after reopen");
    assert_eq!(read_all(&p, 0), expected);
}
