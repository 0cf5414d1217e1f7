use spate_log::{Durability, LogConfig, Partition};

use crate::common::*;

const HOUR: i64 = 3_600_000;

#[test]
fn rolls_by_size() {
    let dir = tempfile::tempdir().unwrap();
    let p = Partition::open(dir.path(), small_config(1000)).unwrap();
    let batch = TestBatch::new(vec![(1, vec![1; 200])]).encode();
    for _ in 0..10 {
        p.append(&batch, Durability::Async).unwrap();
    }
    // Each segment holds as many whole batches as fit in 1000 bytes.
    let per_segment = 1000 / batch.len();
    assert_eq!(p.segment_count(), 10_usize.div_ceil(per_segment));
    let bases = p.segment_base_offsets();
    assert_eq!(bases[1], per_segment as i64);
    // A batch bigger than a segment still goes in, alone.
    let huge = TestBatch::new(vec![(1, vec![1; 3000])]).encode();
    p.append(&huge, Durability::Async).unwrap();
    p.append(&batch, Durability::Async).unwrap();
    assert_eq!(p.segment_base_offsets().last(), Some(&11));
}

#[test]
fn rolls_by_age() {
    let dir = tempfile::tempdir().unwrap();
    let config = LogConfig {
        segment_ms: HOUR as u64,
        ..small_config(1 << 20)
    };
    let p = Partition::open(dir.path(), config).unwrap();
    let t0 = 1_700_000_000_000;
    let batch = TestBatch::simple(1, t0).encode();
    p.append_at(&batch, Durability::Async, t0).unwrap();
    p.append_at(&batch, Durability::Async, t0 + HOUR - 1).unwrap();
    assert_eq!(p.segment_count(), 1);
    p.append_at(&batch, Durability::Async, t0 + HOUR).unwrap();
    assert_eq!(p.segment_base_offsets(), vec![0, 2]);
    p.append_at(&batch, Durability::Async, t0 + HOUR + 10).unwrap();
    assert_eq!(p.segment_count(), 2);
}

#[test]
fn retention_by_time_deletes_old_sealed_segments() {
    let dir = tempfile::tempdir().unwrap();
    let config = LogConfig {
        retention_ms: Some(10 * HOUR as u64),
        ..small_config(500)
    };
    let p = Partition::open(dir.path(), config.clone()).unwrap();
    let t0 = 1_700_000_000_000;
    // Ten segments, records an hour apart.
    for i in 0..10 {
        let b = TestBatch::new(vec![(t0 + i * HOUR, vec![0; 400])]).encode();
        p.append_at(&b, Durability::Async, t0 + i * HOUR).unwrap();
    }
    assert_eq!(p.segment_count(), 10);
    let nothing = p.apply_retention(t0 + 10 * HOUR).unwrap();
    assert_eq!(nothing.segments_deleted, 0);
    // At t0 + 13h - 1ms, records of hours 0, 1 and 2 are more than 10 h old.
    let out = p.apply_retention(t0 + 13 * HOUR - 1).unwrap();
    assert_eq!(out.segments_deleted, 3);
    assert_eq!(out.log_start_offset, 3);
    assert_eq!(p.log_start_offset(), 3);
    assert!(matches!(
        p.read(2, 100),
        Err(spate_log::Error::OffsetOutOfRange { log_start: 3, .. })
    ));
    assert_eq!(read_all(&p, 3).len(), 7);
    // The active segment is never deleted, however old.
    let out = p.apply_retention(t0 + 1000 * HOUR).unwrap();
    assert_eq!(out.segments_deleted, 6);
    assert_eq!(p.segment_count(), 1);
    assert_eq!(p.log_start_offset(), 9);
    drop(p);
    let p = Partition::open(dir.path(), config).unwrap();
    assert_eq!((p.log_start_offset(), p.log_end_offset()), (9, 10));
    assert_eq!(p.offset_for_timestamp(0).unwrap(), Some((9, t0 + 9 * HOUR)));
}

/// Kafka's rule: delete the oldest segments while what remains is still at least
/// `retention.bytes`.
#[test]
fn retention_by_size_deletes_while_the_rest_reaches_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let batch = TestBatch::new(vec![(1, vec![0; 400])]).encode();
    let len = batch.len() as u64;
    let config = LogConfig {
        retention_bytes: Some(3 * len + 10),
        retention_ms: None,
        ..small_config(500)
    };
    let p = Partition::open(dir.path(), config.clone()).unwrap();
    for _ in 0..8 {
        p.append(&batch, Durability::Async).unwrap();
    }
    let out = p.apply_retention(0).unwrap();
    assert_eq!(out.segments_deleted, 4);
    assert_eq!(p.size_bytes(), 4 * len);
    drop(p);
    let dir = tempfile::tempdir().unwrap();
    let config = LogConfig {
        retention_bytes: Some(3 * len),
        ..config
    };
    let p = Partition::open(dir.path(), config).unwrap();
    for _ in 0..8 {
        p.append(&batch, Durability::Async).unwrap();
    }
    assert_eq!(p.segment_count(), 8);
    let out = p.apply_retention(0).unwrap();
    assert_eq!(out.segments_deleted, 5);
    assert_eq!(out.bytes_deleted, 5 * batch.len() as u64);
    assert_eq!(p.size_bytes(), 3 * batch.len() as u64);
    assert_eq!(p.log_start_offset(), 5);
    let files = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "log"));
    assert_eq!(files.count(), 3);
}
