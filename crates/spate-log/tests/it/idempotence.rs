use spate_log::{Durability, Error, Partition};

use crate::common::*;

fn produce(
    p: &Partition,
    pid: i64,
    epoch: i16,
    seq: i32,
    n: usize,
) -> spate_log::Result<spate_log::AppendOutcome> {
    p.append(
        &TestBatch::simple(n, 1).idempotent(pid, epoch, seq).encode(),
        Durability::Async,
    )
}

#[test]
fn sequence_and_epoch_rules() {
    let dir = tempfile::tempdir().unwrap();
    let p = Partition::open(dir.path(), small_config(1 << 20)).unwrap();
    let first = produce(&p, 1, 0, 0, 3).unwrap();
    assert!(!first.duplicate);
    let second = produce(&p, 1, 0, 3, 2).unwrap();
    // A retry of either is a duplicate pointing at the original.
    let dup = produce(&p, 1, 0, 0, 3).unwrap();
    assert!(dup.duplicate);
    assert_eq!(
        (dup.base_offset, dup.last_offset),
        (first.base_offset, first.last_offset)
    );
    let dup = produce(&p, 1, 0, 3, 2).unwrap();
    assert_eq!((dup.duplicate, dup.base_offset), (true, second.base_offset));
    assert_eq!(p.log_end_offset(), 5);
    // Gap.
    assert!(matches!(
        produce(&p, 1, 0, 9, 1),
        Err(Error::OutOfOrderSequence {
            expected: 5,
            got: 9,
            ..
        })
    ));
    // Overlap that is not an exact retry.
    assert!(matches!(
        produce(&p, 1, 0, 1, 1),
        Err(Error::OutOfOrderSequence { expected: 5, .. })
    ));
    // Epoch bump must restart at 0; older epochs are fenced.
    assert!(matches!(
        produce(&p, 1, 1, 5, 1),
        Err(Error::OutOfOrderSequence { expected: 0, .. })
    ));
    produce(&p, 1, 1, 0, 1).unwrap();
    assert_eq!(p.producer_epoch(1), Some(1));
    assert!(matches!(
        produce(&p, 1, 0, 5, 1),
        Err(Error::InvalidProducerEpoch {
            got: 0,
            current: 1,
            ..
        })
    ));
    // Independent producers and non-idempotent batches.
    produce(&p, 2, 0, 0, 1).unwrap();
    p.append(&TestBatch::simple(1, 1).encode(), Durability::Async)
        .unwrap();
    assert_eq!(p.log_end_offset(), 8);
    assert_eq!(p.producer_next_sequence(1), Some(1));
    // A producer the partition has no state for may start anywhere (Kafka since 2.5, KIP-360:
    // its state may have expired or gone to retention); from then on its sequence is checked.
    let unknown = produce(&p, 3, 0, 5, 1).unwrap();
    assert!(!unknown.duplicate);
    assert!(matches!(
        produce(&p, 3, 0, 7, 1),
        Err(Error::OutOfOrderSequence {
            producer_id: 3,
            expected: 6,
            got: 7
        })
    ));
}

#[test]
fn expired_producers_come_back_with_a_restart_and_expire_again() {
    let dir = tempfile::tempdir().unwrap();
    let config = small_config(1 << 20);
    let p = Partition::open(dir.path(), config.clone()).unwrap();
    produce(&p, 4, 0, 0, 2).unwrap();
    let last_timestamp = p.producers()[0].last_timestamp;
    assert_eq!(p.remove_expired_producers(last_timestamp + 999, 1_000), 0);
    assert_eq!(p.remove_expired_producers(last_timestamp + 1_000, 1_000), 1);
    assert!(p.producers().is_empty());
    drop(p);
    // Expiry writes nothing: the restart rebuilds the producer, with the same timestamp, from
    // the log, so the same check expires it again.
    let p = Partition::open(dir.path(), config).unwrap();
    assert_eq!(p.producers()[0].last_timestamp, last_timestamp);
    assert_eq!(p.remove_expired_producers(last_timestamp + 1_000, 1_000), 1);
}

#[test]
fn only_the_last_five_batches_are_remembered() {
    let dir = tempfile::tempdir().unwrap();
    let p = Partition::open(dir.path(), small_config(1 << 20)).unwrap();
    for i in 0..7 {
        produce(&p, 9, 0, i, 1).unwrap();
    }
    assert!(produce(&p, 9, 0, 2, 1).unwrap().duplicate);
    assert!(matches!(
        produce(&p, 9, 0, 1, 1),
        Err(Error::OutOfOrderSequence { expected: 7, .. })
    ));
}

#[test]
fn duplicates_are_detected_after_reopen_and_across_rolls() {
    let dir = tempfile::tempdir().unwrap();
    let config = small_config(400);
    let p = Partition::open(dir.path(), config.clone()).unwrap();
    let mut outcomes = Vec::new();
    for i in 0..20 {
        outcomes.push(produce(&p, 11, 3, i * 2, 2).unwrap());
    }
    assert!(p.segment_count() > 3);
    drop(p);
    // Reopen (like a restart after kill -9: nothing was fsynced explicitly).
    let p = Partition::open(dir.path(), config.clone()).unwrap();
    let dup = produce(&p, 11, 3, 38, 2).unwrap();
    assert!(dup.duplicate);
    assert_eq!(dup.base_offset, outcomes[19].base_offset);
    assert!(matches!(
        produce(&p, 11, 2, 40, 1),
        Err(Error::InvalidProducerEpoch { current: 3, .. })
    ));
    assert!(matches!(
        produce(&p, 11, 3, 41, 1),
        Err(Error::OutOfOrderSequence { expected: 40, .. })
    ));
    drop(p);
    // Without snapshots the state is rebuilt from the batch headers.
    for f in std::fs::read_dir(dir.path()).unwrap() {
        let path = f.unwrap().path();
        if path.extension().is_some_and(|e| e == "snapshot") {
            std::fs::remove_file(path).unwrap();
        }
    }
    let p = Partition::open(dir.path(), config).unwrap();
    assert!(produce(&p, 11, 3, 36, 2).unwrap().duplicate);
    assert_eq!(produce(&p, 11, 3, 40, 1).unwrap().base_offset, 40);
}

#[test]
fn failed_multi_batch_request_leaves_no_producer_state() {
    let dir = tempfile::tempdir().unwrap();
    let p = Partition::open(dir.path(), small_config(1 << 20)).unwrap();
    let mut request = TestBatch::simple(1, 1).idempotent(6, 0, 0).encode();
    request.extend_from_slice(&TestBatch::simple(1, 1).idempotent(6, 0, 5).encode());
    assert!(matches!(
        p.append(&request, Durability::Async),
        Err(Error::OutOfOrderSequence { expected: 1, .. })
    ));
    assert_eq!(p.log_end_offset(), 0);
    assert_eq!(p.producer_epoch(6), None);
    // Two in-order batches in one request are accepted together.
    let mut request = TestBatch::simple(1, 1).idempotent(6, 0, 0).encode();
    request.extend_from_slice(&TestBatch::simple(2, 1).idempotent(6, 0, 1).encode());
    assert_eq!(p.append(&request, Durability::Async).unwrap().last_offset, 2);
    assert_eq!(p.producer_next_sequence(6), Some(3));
}
