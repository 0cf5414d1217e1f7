//! KIP-534's delete horizon: a tombstone (or a transaction marker with nothing left of its
//! transaction) stays `delete.retention.ms` of *cleaning* time after the first pass that keeps
//! it, whatever its record timestamp, and the horizon lives in the batch itself (attribute
//! bit 6, `baseTimestamp`), so later passes and restarts do not move it.

use bytes::Bytes;
use spate_log::batch::{BatchHeader, validate_batches};
use spate_log::consume::ConsumerCursor;
use spate_log::{Durability, LogConfig, Partition};

use crate::compaction::{clean, compact_config, keyed_batch, now, push_into_sealed, read_everything};

const RETENTION_MS: i64 = 60_000;
const DAY_MS: i64 = 24 * 3600 * 1000;

fn config() -> LogConfig {
    LogConfig {
        delete_retention_ms: RETENTION_MS as u64,
        ..compact_config(1024)
    }
}

/// Every stored batch, each validated (header, CRC-32C), in offset order.
fn stored_batches(p: &Partition) -> Vec<BatchHeader> {
    let mut out: Vec<BatchHeader> = Vec::new();
    let mut at = p.log_start_offset();
    while at < p.log_end_offset() {
        let read = p.read(at, usize::MAX).unwrap();
        let batches = validate_batches(&read.records).unwrap();
        at = batches.last().unwrap().last_offset() + 1;
        out.extend(batches);
    }
    out
}

fn batch_holding(p: &Partition, offset: i64) -> BatchHeader {
    stored_batches(p)
        .into_iter()
        .find(|h| h.base_offset <= offset && offset <= h.last_offset())
        .unwrap()
}

/// The timestamp a consumer reads for the record at `offset`.
fn timestamp_of(p: &Partition, offset: i64) -> i64 {
    let read = p.read(offset, usize::MAX).unwrap();
    let mut cursor = ConsumerCursor::new();
    cursor.reset(Bytes::from(read.records.to_vec()), offset, Vec::new());
    let r = cursor.next_record().unwrap().unwrap();
    assert_eq!(r.offset, offset);
    r.timestamp
}

fn value_of(p: &Partition, key: &[u8]) -> Option<(i64, Option<Vec<u8>>)> {
    read_everything(p, true)
        .into_iter()
        .rev()
        .find(|(_, k, _)| k == key)
        .map(|(o, _, v)| (o, v))
}

/// Appends one dirty keyed record and seals it, so the next pass has work.
fn dirty(p: &Partition, key: &[u8], ts: i64) {
    let b = keyed_batch(&[(Some(key.to_vec()), Some(b"x".to_vec()), ts)], 0, None);
    p.append(&b, Durability::Async).unwrap();
    push_into_sealed(p, ts);
}

#[test]
fn a_tombstone_stays_delete_retention_of_cleaning_time_after_its_first_pass() {
    let dir = tempfile::tempdir().unwrap();
    let p = Partition::open(dir.path(), config()).unwrap();
    let t = now();
    // Produced with a timestamp far older than delete.retention.ms: record time does not count.
    let old = t - 30 * DAY_MS;
    for codec in [0u8, 3] {
        let b = keyed_batch(
            &[
                (Some(b"a".to_vec()), Some(b"1".to_vec()), old),
                (Some(b"b".to_vec()), Some(b"2".to_vec()), old + 5),
            ],
            codec,
            None,
        );
        p.append(&b, Durability::Async).unwrap();
    }
    let b = keyed_batch(
        &[
            (Some(b"c".to_vec()), Some(b"3".to_vec()), old + 7),
            (Some(b"a".to_vec()), None, old + 9),
        ],
        4,
        None,
    );
    let tombstone = p.append(&b, Durability::Async).unwrap().base_offset + 1;
    push_into_sealed(&p, t);

    clean(&p, t).expect("dirty data is cleaned");
    assert_eq!(value_of(&p, b"a"), Some((tombstone, None)), "the tombstone stays");
    let h = batch_holding(&p, tombstone);
    assert_eq!(h.delete_horizon(), Some(t + RETENTION_MS));
    assert_eq!(h.compression(), 4, "re-compressed with its own codec");
    assert_eq!(h.max_timestamp, old + 9, "maxTimestamp is kept");
    assert_eq!(
        timestamp_of(&p, tombstone),
        old + 9,
        "record timestamps read the same"
    );
    assert_eq!(timestamp_of(&p, tombstone - 1), old + 7);

    // A later pass before the horizon neither drops it nor moves the horizon, and neither does
    // a restart.
    dirty(&p, b"d", t);
    clean(&p, t + RETENTION_MS - 1).expect("dirty data is cleaned");
    drop(p);
    let p = Partition::open(dir.path(), config()).unwrap();
    assert_eq!(value_of(&p, b"a"), Some((tombstone, None)));
    assert_eq!(
        batch_holding(&p, tombstone).delete_horizon(),
        Some(t + RETENTION_MS)
    );

    // At the horizon a pass runs without dirty data (the checkpoint remembers it) and the
    // tombstone goes with it; the other records stay, readable and valid.
    let outcome = clean(&p, t + RETENTION_MS).expect("the horizon makes a pass due");
    assert_eq!(outcome.records_removed, 1, "{outcome:?}");
    assert_eq!(value_of(&p, b"a"), None);
    assert_eq!(value_of(&p, b"b").unwrap().1.as_deref(), Some(&b"2"[..]));
    assert_eq!(value_of(&p, b"c").unwrap().1.as_deref(), Some(&b"3"[..]));
    assert_eq!(timestamp_of(&p, tombstone - 1), old + 7);
    stored_batches(&p);
    assert_eq!(clean(&p, t + 2 * RETENTION_MS), None, "nothing is left to expire");
}

#[test]
fn a_marker_with_nothing_left_gets_a_horizon_before_it_goes() {
    let dir = tempfile::tempdir().unwrap();
    let p = Partition::open(dir.path(), config()).unwrap();
    let t = now();
    let old = t - 30 * DAY_MS;
    let txn = keyed_batch(
        &[(Some(b"k".to_vec()), Some(b"in txn".to_vec()), old)],
        0,
        Some((7, 0, 0, true)),
    );
    p.append(&txn, Durability::Async).unwrap();
    let marker = p.append_control(7, 0, true, 0).unwrap();
    // The producer state remembers a producer's last five batches (kept, emptied if need be,
    // which keeps their transaction's marker too): five more push the first one out.
    for seq in 1..=5 {
        let later = keyed_batch(
            &[(Some(format!("p{seq}").into_bytes()), Some(b"v".to_vec()), old)],
            0,
            Some((7, 0, seq, true)),
        );
        p.append(&later, Durability::Async).unwrap();
    }
    let later_marker = p.append_control(7, 0, true, 0).unwrap();
    // A newer value of the key leaves the transaction with nothing to keep.
    let newer = keyed_batch(&[(Some(b"k".to_vec()), Some(b"newer".to_vec()), old)], 0, None);
    p.append(&newer, Durability::Async).unwrap();
    push_into_sealed(&p, t);

    clean(&p, t).expect("dirty data is cleaned");
    let h = batch_holding(&p, marker);
    assert!(h.is_control(), "the marker stays for now");
    assert_eq!(h.delete_horizon(), Some(t + RETENTION_MS));
    let later = batch_holding(&p, later_marker);
    assert!(
        later.is_control() && later.delete_horizon().is_none(),
        "its transaction is kept"
    );
    assert_eq!(value_of(&p, b"k").unwrap().1.as_deref(), Some(&b"newer"[..]));

    clean(&p, t + RETENTION_MS).expect("the horizon makes a pass due");
    assert!(!batch_holding(&p, marker).is_control(), "the marker is gone");
    assert!(batch_holding(&p, later_marker).is_control());
    assert_eq!(value_of(&p, b"k").unwrap().1.as_deref(), Some(&b"newer"[..]));
    assert_eq!(p.last_stable_offset(), p.high_watermark());
}
