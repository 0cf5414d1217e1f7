//! Log compaction: an oracle over random keys, values, tombstones and transactions (with
//! aborts); a property over cleaner boundaries; producer state after cleaning; keyless
//! records refused.

use std::collections::BTreeMap;

use bytes::Bytes;
use proptest::prelude::*;
use spate_log::consume::ConsumerCursor;
use spate_log::{CleanerSettings, Durability, Error, LogConfig, Partition, Throttle};

use crate::common::{compress, varint};

/// One keyed record: key, value (`None` = tombstone), timestamp.
pub type Keyed = (Option<Vec<u8>>, Option<Vec<u8>>, i64);

/// A v2 batch of keyed records; `producer` = (id, epoch, base sequence, transactional).
pub fn keyed_batch(records: &[Keyed], codec: u8, producer: Option<(i64, i16, i32, bool)>) -> Vec<u8> {
    let base_ts = records.iter().map(|r| r.2).min().unwrap();
    let max_ts = records.iter().map(|r| r.2).max().unwrap();
    let mut section = Vec::new();
    for (i, (key, value, ts)) in records.iter().enumerate() {
        let mut body = vec![0u8];
        varint(ts - base_ts, &mut body);
        varint(i as i64, &mut body);
        for field in [key, value] {
            match field {
                None => varint(-1, &mut body),
                Some(b) => {
                    varint(b.len() as i64, &mut body);
                    body.extend_from_slice(b);
                }
            }
        }
        varint(0, &mut body);
        varint(body.len() as i64, &mut section);
        section.extend_from_slice(&body);
    }
    let section = compress(codec, false, &section);
    let (pid, epoch, seq, txn) = producer.unwrap_or((-1, -1, -1, false));
    let mut out = Vec::new();
    out.extend_from_slice(&0i64.to_be_bytes());
    out.extend_from_slice(&((49 + section.len()) as i32).to_be_bytes());
    out.extend_from_slice(&0i32.to_be_bytes());
    out.push(2);
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&(i16::from(codec) | if txn { 0x10 } else { 0 }).to_be_bytes());
    out.extend_from_slice(&(records.len() as i32 - 1).to_be_bytes());
    out.extend_from_slice(&base_ts.to_be_bytes());
    out.extend_from_slice(&max_ts.to_be_bytes());
    out.extend_from_slice(&pid.to_be_bytes());
    out.extend_from_slice(&epoch.to_be_bytes());
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(&(records.len() as i32).to_be_bytes());
    out.extend_from_slice(&section);
    let crc = crc32c::crc32c(&out[21..]);
    out[17..21].copy_from_slice(&crc.to_be_bytes());
    out
}

pub fn compact_config(segment_bytes: u64) -> LogConfig {
    LogConfig {
        segment_bytes,
        index_interval_bytes: 256,
        cleanup_compact: true,
        cleanup_delete: false,
        min_cleanable_dirty_ratio_ppm: 0,
        ..LogConfig::default()
    }
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// One record as a consumer reads it: offset, key, value.
pub type Read = (i64, Vec<u8>, Option<Vec<u8>>);

/// Every record a consumer reads from the log start, read_committed or not; asserts offsets
/// ascend.
pub fn read_everything(p: &Partition, committed: bool) -> Vec<Read> {
    let mut out: Vec<Read> = Vec::new();
    let mut cursor = ConsumerCursor::new();
    let mut offset = p.log_start_offset();
    let end = if committed {
        p.last_stable_offset()
    } else {
        p.high_watermark()
    };
    while offset < end {
        let read = if committed {
            p.read_committed(offset, 64 * 1024).unwrap()
        } else {
            p.read(offset, 64 * 1024).unwrap()
        };
        assert!(!read.records.is_empty(), "nothing at {offset} below {end}");
        // librdkafka takes a response without a record or a control batch for a fetch size
        // too small: it doubles the size and, after ten in a row, fails the consumer with
        // MSG_SIZE_TOO_LARGE. Fillers and empty batches alone must never make a response.
        let headers = spate_log::batch::validate_batches(&read.records).unwrap();
        assert!(
            headers.iter().any(|h| h.record_count > 0 || h.is_control()),
            "only record-less batches at {offset}: {:?}",
            headers
                .iter()
                .map(|h| (h.base_offset, h.last_offset()))
                .collect::<Vec<_>>()
        );
        let aborted = if committed {
            p.aborted_transactions(offset, end)
        } else {
            Vec::new()
        };
        cursor.reset(Bytes::from(read.records.to_vec()), offset, aborted);
        while let Some(r) = cursor.next_record().unwrap() {
            if let Some(last) = out.last() {
                assert!(r.offset > last.0, "offsets ascend: {} after {}", r.offset, last.0);
            }
            out.push((
                r.offset,
                r.record.key.unwrap().to_vec(),
                r.record.value.map(<[u8]>::to_vec),
            ));
        }
        assert!(cursor.next_offset() > offset);
        offset = cursor.next_offset();
    }
    out
}

/// Simple deterministic generator (xorshift), so failures replay.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

pub fn clean(p: &Partition, now: i64) -> Option<spate_log::CleanOutcome> {
    p.clean(
        now,
        &CleanerSettings::default(),
        &Throttle::new(f64::INFINITY),
        true,
    )
    .unwrap()
}

/// Appends keyed records of a reserved key until the active segment rolls, so everything before
/// is in sealed segments.
pub fn push_into_sealed(p: &Partition, ts: i64) {
    let segments = p.segment_count();
    while p.segment_count() == segments {
        let b = keyed_batch(&[(Some(b"~pad".to_vec()), Some(vec![0; 100]), ts)], 0, None);
        p.append(&b, Durability::Async).unwrap();
    }
}

/// An appended record: key, value, transaction id (none outside transactions).
type Appended = (Vec<u8>, Option<Vec<u8>>, Option<usize>);

/// What the oracle knows: every appended record by offset, and which producer's transaction
/// each belongs to with its fate.
struct Oracle {
    /// offset → (key, value, transaction id or none).
    records: BTreeMap<i64, Appended>,
    /// transaction id → committed?
    fate: BTreeMap<usize, bool>,
}

impl Oracle {
    /// The latest committed record per key: offset and value.
    fn latest(&self) -> BTreeMap<Vec<u8>, (i64, Option<Vec<u8>>)> {
        let mut out = BTreeMap::new();
        for (&offset, (key, value, txn)) in &self.records {
            if txn.is_some_and(|t| !self.fate[&t]) {
                continue;
            }
            out.insert(key.clone(), (offset, value.clone()));
        }
        out
    }
}

/// Runs a random workload with cleanings in between; returns the partition and the oracle.
fn random_workload(dir: &std::path::Path, seed: u64, config: LogConfig, ts: i64) -> (Partition, Oracle) {
    let p = Partition::open(dir, config).unwrap();
    let mut rng = Rng(seed | 1);
    let mut oracle = Oracle {
        records: BTreeMap::new(),
        fate: BTreeMap::new(),
    };
    let mut unique = 0u64;
    // Per producer: (id, next sequence, open transaction id).
    let mut producers: Vec<(i64, i32, Option<usize>)> = (0..3).map(|i| (100 + i, 0, None)).collect();
    let mut next_txn = 0usize;
    for step in 0..400 {
        let n = 1 + rng.below(4) as usize;
        let records: Vec<Keyed> = (0..n)
            .map(|_| {
                unique += 1;
                let key = format!("k{}", rng.below(25)).into_bytes();
                let value = (rng.below(7) != 0).then(|| format!("v{unique}").into_bytes());
                (Some(key), value, ts)
            })
            .collect();
        let codec = rng.below(5) as u8;
        let choice = rng.below(10);
        let (txn, producer) = if choice < 4 {
            let i = rng.below(3) as usize;
            let (pid, seq, open) = &mut producers[i];
            let t = *open.get_or_insert_with(|| {
                next_txn += 1;
                next_txn
            });
            let producer = (*pid, 0i16, *seq, true);
            *seq += n as i32;
            (Some((i, t)), Some(producer))
        } else {
            (None, None)
        };
        let out = p
            .append(&keyed_batch(&records, codec, producer), Durability::Async)
            .unwrap();
        for (i, (key, value, _)) in records.into_iter().enumerate() {
            oracle.records.insert(
                out.base_offset + i as i64,
                (key.unwrap(), value, txn.map(|t| t.1)),
            );
        }
        // End transactions now and then, aborting a third of them.
        for (pid, _, open) in producers.iter_mut() {
            if let Some(t) = *open
                && rng.below(5) == 0
            {
                let commit = rng.below(3) != 0;
                p.append_control(*pid, 0, commit, 0).unwrap();
                oracle.fate.insert(t, commit);
                *open = None;
            }
        }
        if step % 60 == 59 {
            clean(&p, ts + 1);
        }
    }
    for (pid, _, open) in producers.iter_mut() {
        if let Some(t) = open.take() {
            p.append_control(*pid, 0, true, 0).unwrap();
            oracle.fate.insert(t, true);
        }
    }
    push_into_sealed(&p, ts);
    (p, oracle)
}

fn assert_matches_oracle(p: &Partition, oracle: &Oracle, tombstones_expired: bool) {
    let read = read_everything(p, true);
    let mut seen: BTreeMap<Vec<u8>, (i64, Option<Vec<u8>>)> = BTreeMap::new();
    for (offset, key, value) in &read {
        if key == b"~pad" {
            continue;
        }
        // Offsets are preserved: the record is the one appended at this offset.
        let (k, v, _) = &oracle.records[offset];
        assert_eq!((k, v), (key, value), "record at {offset}");
        seen.insert(key.clone(), (*offset, value.clone()));
    }
    for (key, (offset, value)) in oracle.latest() {
        let key_name = String::from_utf8_lossy(&key).to_string();
        match (value, seen.get(&key)) {
            (Some(v), Some((o, Some(got)))) => {
                assert_eq!((*o, got), (offset, &v), "{key_name}");
            }
            (None, None) if tombstones_expired => {}
            (None, Some((o, None))) if !tombstones_expired => assert_eq!(*o, offset, "{key_name}"),
            (want, got) => panic!("{key_name}: want {want:?} at {offset}, read {got:?}"),
        }
    }
    // Nothing but the latest committed record per key is left (plus the pad key).
    let latest = oracle.latest();
    let kept: usize = read.iter().filter(|r| r.1 != b"~pad").count();
    let expected = latest
        .values()
        .filter(|(_, v)| v.is_some() || !tombstones_expired)
        .count();
    assert_eq!(kept, expected, "only the latest record per key is left");
}

#[test]
fn cleaned_log_reads_the_latest_committed_value_per_key() {
    for seed in [1u64, 7, 42, 99] {
        let dir = tempfile::tempdir().unwrap();
        let ts = now();
        let (p, oracle) = random_workload(dir.path(), seed, compact_config(2048), ts);
        let end = p.log_end_offset();
        let before = p.size_bytes();
        let outcome = clean(&p, ts + 1).expect("dirty data is cleaned");
        assert!(outcome.records_removed > 0);
        assert!(p.size_bytes() < before, "cleaning frees space");
        assert_eq!(p.log_end_offset(), end, "offsets never move");
        // Tombstones are younger than delete.retention.ms: they stay.
        assert_matches_oracle(&p, &oracle, false);
        // A later cleaning, past the retention of tombstones, removes them and what they hid.
        let late = ts + 2 * 24 * 3600 * 1000;
        clean(&p, late);
        assert_matches_oracle(&p, &oracle, true);
        // Recovery reads the cleaned segments back the same, after a crash or not.
        drop(p);
        let p = Partition::open(dir.path(), compact_config(2048)).unwrap();
        assert_eq!(p.log_end_offset(), end);
        assert_matches_oracle(&p, &oracle, true);
        // Cleaning again changes nothing a consumer sees.
        clean(&p, late);
        assert_matches_oracle(&p, &oracle, true);
        assert_eq!(p.last_stable_offset(), p.high_watermark());
    }
}

#[test]
fn idempotent_producer_still_dedupes_after_cleaning() {
    let dir = tempfile::tempdir().unwrap();
    let p = Partition::open(dir.path(), compact_config(1024)).unwrap();
    let ts = now();
    let mut last = Vec::new();
    for seq in 0..20 {
        // Always the same key: cleaning leaves only the last record.
        last = keyed_batch(
            &[(Some(b"k".to_vec()), Some(vec![seq as u8; 50]), ts)],
            2,
            Some((9, 3, seq, false)),
        );
        p.append(&last, Durability::Async).unwrap();
    }
    let retry_offset = p.log_end_offset() - 1;
    push_into_sealed(&p, ts);
    // Overwrite the key so that producer 9's batches lose their records.
    p.append(
        &keyed_batch(&[(Some(b"k".to_vec()), Some(b"new".to_vec()), ts)], 0, None),
        Durability::Async,
    )
    .unwrap();
    push_into_sealed(&p, ts);
    clean(&p, ts + 1).unwrap();
    let again = p.append(&last, Durability::Async).unwrap();
    assert!(again.duplicate, "a retry of the last batch is still known");
    assert_eq!(again.base_offset, retry_offset);
    let next = keyed_batch(
        &[(Some(b"k".to_vec()), Some(b"x".to_vec()), ts)],
        0,
        Some((9, 3, 25, false)),
    );
    assert!(matches!(
        p.append(&next, Durability::Async),
        Err(Error::OutOfOrderSequence { expected: 20, .. })
    ));
    // The same after a restart: the emptied batches keep the sequence numbers.
    drop(p);
    let p = Partition::open(dir.path(), compact_config(1024)).unwrap();
    assert!(p.append(&last, Durability::Async).unwrap().duplicate);
    assert_eq!(p.producer_next_sequence(9), Some(20));
    let read = read_everything(&p, false);
    assert_eq!(read.iter().filter(|r| r.1 == b"k").count(), 1);
}

#[test]
fn cleaning_stays_below_the_last_stable_offset_and_respects_the_lag() {
    let dir = tempfile::tempdir().unwrap();
    let p = Partition::open(dir.path(), compact_config(1024)).unwrap();
    let ts = now();
    let open = keyed_batch(
        &[(Some(b"t".to_vec()), Some(b"1".to_vec()), ts)],
        0,
        Some((5, 0, 0, true)),
    );
    p.append(&open, Durability::Async).unwrap();
    for i in 0..30 {
        let b = keyed_batch(&[(Some(b"k".to_vec()), Some(vec![i; 60]), ts)], 0, None);
        p.append(&b, Durability::Async).unwrap();
    }
    assert!(p.segment_count() > 2);
    assert_eq!(p.last_stable_offset(), 0);
    assert_eq!(
        clean(&p, ts + 1),
        None,
        "an open transaction at 0 holds everything back"
    );
    p.append_control(5, 0, true, 0).unwrap();
    push_into_sealed(&p, ts);
    // min.compaction.lag.ms keeps young segments out.
    let lagging = LogConfig {
        min_compaction_lag_ms: 60_000,
        ..compact_config(1024)
    };
    p.set_config(lagging.clone());
    assert_eq!(clean(&p, ts + 1), None);
    let outcome = clean(&p, ts + 61_000).unwrap();
    assert_eq!(outcome.first_dirty, 0);
    assert!(outcome.bytes_after < outcome.bytes_before / 2, "{outcome:?}");
    // Nothing is dirty now: a second pass has nothing to do.
    assert_eq!(clean(&p, ts + 61_000), None);
    // The dirty ratio gates a pass that is not forced.
    p.set_config(LogConfig {
        min_cleanable_dirty_ratio_ppm: 990_000,
        ..lagging
    });
    for i in 0..30 {
        let b = keyed_batch(&[(Some(b"k".to_vec()), Some(vec![i; 60]), ts)], 0, None);
        p.append(&b, Durability::Async).unwrap();
    }
    push_into_sealed(&p, ts);
    let throttle = Throttle::new(f64::INFINITY);
    let settings = CleanerSettings::default();
    assert_eq!(p.clean(ts + 61_000, &settings, &throttle, false).unwrap(), None);
    let segments = p.segment_count();
    let outcome = p.clean(ts + 61_000, &settings, &throttle, true).unwrap().unwrap();
    // Segments the first pass shrank are merged now (up to segment.bytes each).
    assert!(p.segment_count() < segments, "{outcome:?}");
}

#[test]
fn keyless_records_are_refused_on_compacted_topics() {
    let dir = tempfile::tempdir().unwrap();
    let p = Partition::open(dir.path(), compact_config(1 << 20)).unwrap();
    for codec in 0..=4 {
        let b = keyed_batch(
            &[
                (Some(b"k".to_vec()), Some(b"v".to_vec()), 1),
                (None, Some(b"v".to_vec()), 1),
            ],
            codec,
            None,
        );
        match p.append(&b, Durability::Async) {
            Err(Error::InvalidRecord(why)) => assert!(why.contains("without a key"), "{why}"),
            other => panic!("codec {codec}: {other:?}"),
        }
    }
    assert_eq!(p.log_end_offset(), 0);
    let plain = Partition::open(&dir.path().join("plain"), LogConfig::default()).unwrap();
    let b = keyed_batch(&[(None, Some(b"v".to_vec()), 1)], 0, None);
    plain.append(&b, Durability::Async).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Whatever the segment size, dirty ratio and how appends and passes interleave, the latest
    /// record of every key is where it was appended, offsets ascend, the log end never moves.
    #[test]
    fn cleaner_boundaries_never_lose_the_latest_record(
        segment_bytes in 150u64..3000,
        ratio_ppm in 0u32..=1_000_000,
        keys in 1u64..40,
        rounds in proptest::collection::vec((1usize..40, any::<bool>()), 1..6),
        seed in any::<u64>(),
        dedupe_keys in 1usize..64,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let config = LogConfig { min_cleanable_dirty_ratio_ppm: ratio_ppm, ..compact_config(segment_bytes) };
        let p = Partition::open(dir.path(), config).unwrap();
        let mut rng = Rng(seed | 1);
        let mut latest: BTreeMap<Vec<u8>, (i64, Option<Vec<u8>>)> = BTreeMap::new();
        let ts = now();
        // A tiny map makes passes stop early at segment boundaries.
        let settings = CleanerSettings { dedupe_buffer_bytes: dedupe_keys * 48 };
        let throttle = Throttle::new(f64::INFINITY);
        let mut unique = 0;
        for (appends, force) in rounds {
            for _ in 0..appends {
                let n = 1 + rng.below(3) as usize;
                let records: Vec<Keyed> = (0..n).map(|_| {
                    unique += 1;
                    let key = format!("k{}", rng.below(keys)).into_bytes();
                    let value = (rng.below(5) != 0).then(|| format!("v{unique}").into_bytes());
                    (Some(key), value, ts)
                }).collect();
                let out = p.append(&keyed_batch(&records, rng.below(5) as u8, None), Durability::Async).unwrap();
                for (i, (k, v, _)) in records.into_iter().enumerate() {
                    latest.insert(k.unwrap(), (out.base_offset + i as i64, v));
                }
            }
            let end = p.log_end_offset();
            p.clean(ts + 1, &settings, &throttle, force).unwrap();
            prop_assert_eq!(p.log_end_offset(), end);
            let read = read_everything(&p, false);
            let mut last_seen: BTreeMap<Vec<u8>, (i64, Option<Vec<u8>>)> = BTreeMap::new();
            for (o, k, v) in read {
                last_seen.insert(k, (o, v));
            }
            prop_assert_eq!(&last_seen, &latest);
        }
        drop(p);
        let p = Partition::open(dir.path(), compact_config(segment_bytes)).unwrap();
        let mut last_seen: BTreeMap<Vec<u8>, (i64, Option<Vec<u8>>)> = BTreeMap::new();
        for (o, k, v) in read_everything(&p, false) {
            last_seen.insert(k, (o, v));
        }
        prop_assert_eq!(&last_seen, &latest);
    }
}
