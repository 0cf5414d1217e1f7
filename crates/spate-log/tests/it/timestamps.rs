use proptest::prelude::*;
use spate_log::{Durability, Partition};

use crate::common::*;

/// Brute force: the first record at or after `target`, from the appended (offset, ts) pairs.
fn oracle(records: &[(i64, i64)], target: i64) -> Option<(i64, i64)> {
    records.iter().copied().find(|&(_, ts)| ts >= target)
}

fn check_codec(codec: u8, xerial: bool) {
    let dir = tempfile::tempdir().unwrap();
    let p = Partition::open(dir.path(), small_config(2000)).unwrap();
    let mut all = Vec::new();
    let mut offset = 0;
    // Out-of-order timestamps inside batches, compressible values.
    for b in 0..30i64 {
        let records: Vec<(i64, Vec<u8>)> = (0..7i64)
            .map(|i| (1000 + b * 50 + (i * 37) % 60, vec![b as u8; 40]))
            .collect();
        let mut batch = TestBatch::new(records.clone()).codec(codec);
        if xerial {
            batch = batch.xerial();
        }
        p.append(&batch.encode(), Durability::Async).unwrap();
        for (ts, _) in records {
            all.push((offset, ts));
            offset += 1;
        }
    }
    assert!(p.segment_count() > 1);
    for target in (900..2700).step_by(7) {
        assert_eq!(
            p.offset_for_timestamp(target).unwrap(),
            oracle(&all, target),
            "codec {codec} target {target}"
        );
    }
    let max = all.iter().map(|r| r.1).max().unwrap();
    let first_max = all.iter().find(|r| r.1 == max).unwrap().0;
    assert_eq!(p.max_timestamp(), (max, first_max));
}

#[test]
fn exact_lookup_uncompressed() {
    check_codec(0, false);
}
#[test]
fn exact_lookup_gzip() {
    check_codec(GZIP, false);
}
#[test]
fn exact_lookup_snappy_raw() {
    check_codec(SNAPPY, false);
}
#[test]
fn exact_lookup_snappy_xerial() {
    check_codec(SNAPPY, true);
}
#[test]
fn exact_lookup_lz4() {
    check_codec(LZ4, false);
}
#[test]
fn exact_lookup_zstd() {
    check_codec(ZSTD, false);
}

#[test]
fn empty_partition_has_no_timestamps() {
    let dir = tempfile::tempdir().unwrap();
    let p = Partition::open(dir.path(), small_config(2000)).unwrap();
    assert_eq!(p.offset_for_timestamp(0).unwrap(), None);
    assert_eq!(p.max_timestamp(), (-1, -1));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    /// Oracle test over random out-of-order timestamps, batch sizes and segment sizes, before
    /// and after a reopen (which reloads the time indexes from disk).
    #[test]
    fn lookup_matches_brute_force(
        batches in proptest::collection::vec(proptest::collection::vec(0i64..5000, 1..6), 1..40),
        segment_bytes in 300u64..3000,
        targets in proptest::collection::vec(-10i64..5100, 1..20),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let p = Partition::open(dir.path(), small_config(segment_bytes)).unwrap();
        let mut all = Vec::new();
        let mut offset = 0;
        for timestamps in &batches {
            let b = TestBatch::new(timestamps.iter().map(|&t| (t, b"v".to_vec())).collect());
            p.append(&b.encode(), Durability::Async).unwrap();
            for &t in timestamps {
                all.push((offset, t));
                offset += 1;
            }
        }
        for &t in &targets {
            prop_assert_eq!(p.offset_for_timestamp(t).unwrap(), oracle(&all, t));
        }
        drop(p);
        let p = Partition::open(dir.path(), small_config(segment_bytes)).unwrap();
        for &t in &targets {
            prop_assert_eq!(p.offset_for_timestamp(t).unwrap(), oracle(&all, t));
        }
    }
}
