//! Transactions: last stable offset, abort markers, the aborted-transaction index, fencing, and
//! all of it across reopen.

use std::collections::BTreeMap;

use proptest::prelude::*;
use spate_log::{Durability, Error, Partition};

use crate::common::{TestBatch, small_config};

fn txn(p: &Partition, pid: i64, epoch: i16, seq: i32, n: usize) -> i64 {
    let b = TestBatch::simple(n, 1_000)
        .transactional(pid, epoch, seq)
        .encode();
    p.append(&b, Durability::Async).unwrap().base_offset
}

fn plain(p: &Partition, n: usize) -> i64 {
    p.append(&TestBatch::simple(n, 1_000).encode(), Durability::Async)
        .unwrap()
        .base_offset
}

fn base_offsets(records: &[u8]) -> Vec<i64> {
    spate_log::batch::validate_batches(records)
        .unwrap()
        .iter()
        .map(|h| h.base_offset)
        .collect()
}

#[test]
fn lso_waits_for_the_oldest_open_transaction_and_aborts_are_listed() {
    let dir = tempfile::tempdir().unwrap();
    let p = Partition::open(dir.path(), small_config(1 << 20)).unwrap();
    assert_eq!(txn(&p, 1, 0, 0, 2), 0); // 0..=1
    assert_eq!(p.last_stable_offset(), 0);
    assert_eq!(plain(&p, 1), 2);
    assert_eq!(txn(&p, 2, 0, 0, 1), 3);
    assert_eq!(p.last_stable_offset(), 0);
    assert_eq!(p.high_watermark(), 4);
    assert_eq!(p.ongoing_transaction(1), Some(0));

    // read_uncommitted sees everything, read_committed nothing yet.
    assert_eq!(base_offsets(&p.read(0, 1 << 20).unwrap().records), vec![0, 2, 3]);
    let committed = p.read_committed(0, 1 << 20).unwrap();
    assert!(committed.records.is_empty());
    assert_eq!(committed.last_stable_offset, 0);

    // Abort producer 1: its range is listed; producer 2 still holds the LSO.
    assert_eq!(p.append_control(1, 0, false, 7).unwrap(), 4);
    assert_eq!(p.last_stable_offset(), 3);
    assert_eq!(p.ongoing_transaction(1), None);
    assert_eq!(
        base_offsets(&p.read_committed(0, 1 << 20).unwrap().records),
        vec![0, 2]
    );
    assert_eq!(p.aborted_transactions(0, 10), vec![(1, 0)]);
    assert_eq!(p.aborted_transactions(0, 1), vec![(1, 0)]);
    assert_eq!(
        p.aborted_transactions(4, 10),
        vec![(1, 0)],
        "the marker itself is in range"
    );
    assert_eq!(p.aborted_transactions(5, 10), vec![]);

    // Commit producer 2: everything is stable, nothing more is aborted.
    assert_eq!(p.append_control(2, 0, true, 7).unwrap(), 5);
    assert_eq!(p.last_stable_offset(), 6);
    assert_eq!(p.high_watermark(), 6);
    assert_eq!(
        base_offsets(&p.read_committed(0, 1 << 20).unwrap().records),
        vec![0, 2, 3, 4, 5]
    );
    assert_eq!(p.aborted_transactions(0, 10), vec![(1, 0)]);
    // A marker without a transaction is written and changes nothing.
    assert_eq!(p.append_control(2, 0, true, 7).unwrap(), 6);
    assert_eq!(p.last_stable_offset(), 7);
}

#[test]
fn fencing_and_transaction_rules() {
    let dir = tempfile::tempdir().unwrap();
    let p = Partition::open(dir.path(), small_config(1 << 20)).unwrap();
    txn(&p, 5, 3, 0, 1);
    // An older epoch is fenced, for data and for markers.
    let stale = TestBatch::simple(1, 0).transactional(5, 2, 1).encode();
    assert!(matches!(
        p.append(&stale, Durability::Async),
        Err(Error::InvalidProducerEpoch {
            got: 2,
            current: 3,
            ..
        })
    ));
    assert!(matches!(
        p.append_control(5, 2, true, 0),
        Err(Error::InvalidProducerEpoch { .. })
    ));
    // A non-transactional batch in the middle of the transaction is refused.
    let plain_batch = TestBatch::simple(1, 0).idempotent(5, 3, 1).encode();
    assert!(matches!(
        p.append(&plain_batch, Durability::Async),
        Err(Error::InvalidTxnState(_))
    ));
    // Clients cannot write control batches.
    let mut control = TestBatch::simple(1, 0).transactional(6, 0, 0).encode();
    control[22] |= 0x20;
    let crc = crc32c::crc32c(&control[21..]);
    control[17..21].copy_from_slice(&crc.to_be_bytes());
    assert!(matches!(
        p.append(&control, Durability::Async),
        Err(Error::CorruptBatch(_))
    ));
    // An abort with a bumped epoch (the coordinator fencing the old producer) ends the txn and
    // fences epoch 3 from then on.
    p.append_control(5, 4, false, 0).unwrap();
    assert_eq!(p.last_stable_offset(), p.high_watermark());
    let old = TestBatch::simple(1, 0).transactional(5, 3, 1).encode();
    assert!(matches!(
        p.append(&old, Durability::Async),
        Err(Error::InvalidProducerEpoch {
            got: 3,
            current: 4,
            ..
        })
    ));
    // The new epoch starts at sequence 0.
    txn(&p, 5, 4, 0, 1);
}

#[test]
fn transaction_state_and_aborts_survive_reopen_across_segments() {
    let dir = tempfile::tempdir().unwrap();
    let config = small_config(400);
    let p = Partition::open(dir.path(), config.clone()).unwrap();
    let first_a = txn(&p, 1, 0, 0, 3);
    let mut seq_b = 0;
    let first_b = txn(&p, 2, 0, seq_b, 2);
    seq_b += 2;
    for i in 0..6 {
        plain(&p, 2);
        txn(&p, 1, 0, 3 + i, 1);
    }
    assert!(p.segment_count() > 2, "test needs several segments");
    let abort_a = p.append_control(1, 0, false, 1).unwrap();
    for _ in 0..4 {
        txn(&p, 2, 0, seq_b, 1);
        seq_b += 1;
    }
    let lso = p.last_stable_offset();
    assert_eq!(lso, first_b);
    let aborted = p.aborted_transactions(0, i64::MAX);
    assert_eq!(aborted, vec![(1, first_a)]);
    let hw = p.high_watermark();
    drop(p);

    let p = Partition::open(dir.path(), config.clone()).unwrap();
    assert_eq!(p.last_stable_offset(), lso);
    assert_eq!(p.high_watermark(), hw);
    assert_eq!(p.ongoing_transaction(2), Some(first_b));
    assert_eq!(p.aborted_transactions(0, i64::MAX), aborted);
    assert_eq!(p.aborted_transactions(abort_a + 1, i64::MAX), vec![]);
    // The open transaction continues after the reopen, and its abort is listed.
    txn(&p, 2, 0, seq_b, 1);
    let abort_b = p.append_control(2, 0, false, 1).unwrap();
    assert_eq!(p.last_stable_offset(), abort_b + 1);
    let all = vec![(1, first_a), (2, first_b)];
    assert_eq!(p.aborted_transactions(0, i64::MAX), all);
    drop(p);

    // Damaged or missing aborted-transaction indexes of sealed segments are rebuilt.
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "txnindex") {
            if std::fs::metadata(&path).unwrap().len() > 0 {
                std::fs::write(&path, b"garbage").unwrap();
            } else {
                std::fs::remove_file(&path).unwrap();
            }
        }
    }
    let p = Partition::open(dir.path(), config).unwrap();
    assert_eq!(p.aborted_transactions(0, i64::MAX), all);
    assert_eq!(p.last_stable_offset(), p.high_watermark());
}

/// One step of the oracle test.
#[derive(Debug, Clone)]
enum Op {
    Plain(usize),
    Txn(i64, usize),
    End(i64, bool),
    Reopen,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (1usize..4).prop_map(Op::Plain),
        (0i64..3, 1usize..4).prop_map(|(pid, n)| Op::Txn(pid, n)),
        (0i64..3, any::<bool>()).prop_map(|(pid, commit)| Op::End(pid, commit)),
        Just(Op::Reopen),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// The LSO, committed reads and aborted ranges agree with a brute-force model of the
    /// operations, through rolls and reopens.
    #[test]
    fn oracle(ops in proptest::collection::vec(op(), 1..40)) {
        let dir = tempfile::tempdir().unwrap();
        let config = small_config(350);
        let mut p = Partition::open(dir.path(), config.clone()).unwrap();
        let mut end = 0i64;
        let mut ongoing: BTreeMap<i64, i64> = BTreeMap::new();
        let mut sequences: BTreeMap<i64, i32> = BTreeMap::new();
        let mut aborted: Vec<(i64, i64, i64)> = Vec::new(); // pid, first, marker
        let mut batch_bases: Vec<i64> = Vec::new();
        for op in ops {
            match op {
                Op::Plain(n) => {
                    prop_assert_eq!(plain(&p, n), end);
                    batch_bases.push(end);
                    end += n as i64;
                }
                Op::Txn(pid, n) => {
                    let seq = sequences.entry(pid).or_insert(0);
                    prop_assert_eq!(txn(&p, pid, 0, *seq, n), end);
                    *seq += n as i32;
                    ongoing.entry(pid).or_insert(end);
                    batch_bases.push(end);
                    end += n as i64;
                }
                Op::End(pid, commit) => {
                    prop_assert_eq!(p.append_control(pid, 0, commit, 0).unwrap(), end);
                    if let Some(first) = ongoing.remove(&pid) && !commit {
                        aborted.push((pid, first, end));
                    }
                    batch_bases.push(end);
                    end += 1;
                }
                Op::Reopen => {
                    drop(p);
                    p = Partition::open(dir.path(), config.clone()).unwrap();
                }
            }
            let lso = ongoing.values().copied().min().unwrap_or(end);
            prop_assert_eq!(p.high_watermark(), end);
            prop_assert_eq!(p.last_stable_offset(), lso);
        }
        let lso = p.last_stable_offset();
        let mut offset = 0;
        let mut seen = Vec::new();
        while offset < lso {
            let read = p.read_committed(offset, 200).unwrap();
            let bases = base_offsets(&read.records);
            prop_assert!(!bases.is_empty());
            offset = spate_log::batch::validate_batches(&read.records).unwrap().last().unwrap().last_offset() + 1;
            seen.extend(bases);
        }
        let expected: Vec<i64> = batch_bases.iter().copied().filter(|&b| b < lso).collect();
        prop_assert_eq!(seen, expected);
        for from in (0..=end).step_by(3) {
            for to in [from + 1, from + 5, end + 1] {
                let want: Vec<(i64, i64)> = aborted.iter()
                    .filter(|(_, first, marker)| *marker >= from && *first < to)
                    .map(|&(pid, first, _)| (pid, first)).collect();
                prop_assert_eq!(p.aborted_transactions(from, to), want, "range {}..{}", from, to);
            }
        }
    }
}
