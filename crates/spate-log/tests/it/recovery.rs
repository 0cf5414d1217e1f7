use std::fs::OpenOptions;
use std::path::Path;

use proptest::prelude::*;
use spate_log::{Durability, Partition};

use crate::common::*;

fn log_files(dir: &Path, suffix: &str) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == suffix))
        .collect();
    files.sort();
    files
}

/// Appends `n` single-batch requests of 3 records; returns the stored batches.
fn fill(p: &Partition, n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| {
            let b = TestBatch::simple(3, 1000 + i as i64 * 10).encode();
            let out = p.append(&b, Durability::Async).unwrap();
            with_base_offset(&b, out.base_offset)
        })
        .collect()
}

/// Batches wholly inside the first `len` bytes of the active segment, given the earlier batches.
fn surviving(batches: &[Vec<u8>], active_start: usize, len: u64) -> usize {
    let mut end = 0u64;
    let mut count = active_start;
    for b in &batches[active_start..] {
        end += b.len() as u64;
        if end > len {
            break;
        }
        count += 1;
    }
    count
}

fn active_segment_batches(p: &Partition, batches: &[Vec<u8>]) -> usize {
    let base = *p.segment_base_offsets().last().unwrap();
    batches
        .iter()
        .take_while(|b| spate_log::batch::BatchHeader::parse(b).unwrap().base_offset < base)
        .count()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]
    #[test]
    fn truncated_tail_is_recovered(n in 1usize..40, cut_fraction in 0.0f64..1.0) {
        let dir = tempfile::tempdir().unwrap();
        let p = Partition::open(dir.path(), small_config(2000)).unwrap();
        let batches = fill(&p, n);
        let first_active = active_segment_batches(&p, &batches);
        drop(p);
        let active = log_files(dir.path(), "log").pop().unwrap();
        let len = std::fs::metadata(&active).unwrap().len();
        let cut = (len as f64 * cut_fraction) as u64;
        OpenOptions::new().write(true).open(&active).unwrap().set_len(cut).unwrap();

        let p = Partition::open(dir.path(), small_config(2000)).unwrap();
        let kept = surviving(&batches, first_active, cut);
        prop_assert_eq!(&read_all(&p, 0), &batches[..kept].to_vec());
        let leo = 3 * kept as i64;
        prop_assert_eq!(p.log_end_offset(), leo);
        let out = p.append(&TestBatch::simple(2, 1).encode(), Durability::Async).unwrap();
        prop_assert_eq!(out.base_offset, leo);
        prop_assert_eq!(read_all(&p, 0).len(), kept + 1);
    }

    #[test]
    fn bit_flipped_tail_is_recovered(n in 1usize..40, flip_fraction in 0.0f64..1.0, bit in 0u8..8) {
        let dir = tempfile::tempdir().unwrap();
        let p = Partition::open(dir.path(), small_config(2000)).unwrap();
        let batches = fill(&p, n);
        let first_active = active_segment_batches(&p, &batches);
        drop(p);
        let active = log_files(dir.path(), "log").pop().unwrap();
        let mut bytes = std::fs::read(&active).unwrap();
        let mut at = ((bytes.len() as f64 * flip_fraction) as usize).min(bytes.len() - 1);
        // The partition leader epoch (bytes 12..16 of a batch) is covered by no checksum and
        // cannot be validated; flip a CRC byte of that batch instead.
        let mut start = 0;
        for b in &batches[first_active..] {
            if at < start + b.len() {
                if (12..16).contains(&(at - start)) {
                    at = start + 17;
                }
                break;
            }
            start += b.len();
        }
        bytes[at] ^= 1 << bit;
        std::fs::write(&active, &bytes).unwrap();

        let p = Partition::open(dir.path(), small_config(2000)).unwrap();
        // The damaged batch and everything after it in the active segment is gone; the damage
        // sits in the batch containing byte `at`.
        let kept = surviving(&batches, first_active, at as u64);
        let read = read_all(&p, 0);
        prop_assert_eq!(&read, &batches[..kept].to_vec());
        let out = p.append(&TestBatch::simple(1, 1).encode(), Durability::Async).unwrap();
        prop_assert_eq!(out.base_offset, 3 * kept as i64);
    }
}

#[test]
fn missing_and_corrupt_indexes_are_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let p = Partition::open(dir.path(), small_config(1500)).unwrap();
    let batches = fill(&p, 60);
    let before = p.offset_for_timestamp(1255).unwrap();
    drop(p);
    let indexes = log_files(dir.path(), "index");
    let time_indexes = log_files(dir.path(), "timeindex");
    assert!(indexes.len() >= 3, "expected several sealed segments");
    let originals: Vec<Vec<u8>> = indexes
        .iter()
        .chain(&time_indexes)
        .map(|f| std::fs::read(f).unwrap())
        .collect();
    std::fs::remove_file(&indexes[0]).unwrap();
    std::fs::write(&indexes[1], b"garbage").unwrap();
    std::fs::remove_file(&time_indexes[2]).unwrap();
    // An index pointing past its log is unusable too.
    let mut bad = std::fs::read(&indexes[2]).unwrap();
    let n = bad.len();
    bad[n - 4..].copy_from_slice(&u32::MAX.to_be_bytes());
    std::fs::write(&indexes[2], bad).unwrap();

    let p = Partition::open(dir.path(), small_config(1500)).unwrap();
    assert_eq!(read_all(&p, 0), batches);
    assert_eq!(p.offset_for_timestamp(1255).unwrap(), before);
    // The rebuilt files equal the ones written when the segments were rolled.
    let rebuilt: Vec<Vec<u8>> = indexes
        .iter()
        .chain(&time_indexes)
        .map(|f| std::fs::read(f).unwrap())
        .collect();
    assert_eq!(rebuilt, originals);
}

#[test]
fn leftover_files_are_cleaned_and_empty_partition_reopens() {
    let dir = tempfile::tempdir().unwrap();
    drop(Partition::open(dir.path(), small_config(1500)).unwrap());
    std::fs::write(dir.path().join("00000000000000000099.index"), [0u8; 8]).unwrap();
    std::fs::write(dir.path().join("00000000000000000000.snapshot.tmp"), b"x").unwrap();
    let p = Partition::open(dir.path(), small_config(1500)).unwrap();
    assert_eq!(p.log_end_offset(), 0);
    assert!(!dir.path().join("00000000000000000099.index").exists());
    assert!(!dir.path().join("00000000000000000000.snapshot.tmp").exists());
}

/// Files in `dir` whose name starts with `prefix` and contains `.quarantine-`.
fn quarantine_files(dir: &Path, prefix: &str) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            name.starts_with(prefix) && name.contains(".log.quarantine-")
        })
        .collect();
    files.sort();
    files
}

#[test]
fn bit_flip_in_the_middle_of_the_active_segment_moves_the_tail_to_quarantine() {
    let dir = tempfile::tempdir().unwrap();
    let p = Partition::open(dir.path(), small_config(1 << 20)).unwrap();
    let batches = fill(&p, 40);
    assert_eq!(p.segment_count(), 1);
    drop(p);
    let log = log_files(dir.path(), "log").pop().unwrap();
    let mut bytes = std::fs::read(&log).unwrap();
    // A bit in the value of a record of batch 20 (past its header).
    let start: usize = batches[..20].iter().map(Vec::len).sum();
    bytes[start + batches[20].len() - 3] ^= 0x10;
    std::fs::write(&log, &bytes).unwrap();

    let p = Partition::open(dir.path(), small_config(1 << 20)).unwrap();
    assert_eq!(read_all(&p, 0), batches[..20].to_vec());
    assert_eq!(p.log_end_offset(), 60);
    let quarantined = quarantine_files(dir.path(), "00000000000000000000");
    assert_eq!(quarantined.len(), 1, "{quarantined:?}");
    // Byte for byte what was cut, the damaged batch included.
    assert_eq!(std::fs::read(&quarantined[0]).unwrap(), &bytes[start..]);
    assert_eq!(std::fs::metadata(&log).unwrap().len(), start as u64);
    // The log goes on from the cut, and a later recovery finds nothing more to drop.
    let out = p
        .append(&TestBatch::simple(1, 1).encode(), Durability::Async)
        .unwrap();
    assert_eq!(out.base_offset, 60);
    drop(p);
    let p = Partition::open(dir.path(), small_config(1 << 20)).unwrap();
    assert_eq!(p.log_end_offset(), 61);
    assert_eq!(quarantine_files(dir.path(), "").len(), 1);
}

#[test]
fn damaged_base_offset_field_is_quarantined_with_the_rest_of_the_tail() {
    let dir = tempfile::tempdir().unwrap();
    let p = Partition::open(dir.path(), small_config(1 << 20)).unwrap();
    let batches = fill(&p, 10);
    drop(p);
    let log = log_files(dir.path(), "log").pop().unwrap();
    let mut bytes = std::fs::read(&log).unwrap();
    let start: usize = batches[..4].iter().map(Vec::len).sum();
    // The base offset is covered by no CRC; contiguity is what catches it.
    bytes[start + 7] ^= 0x40;
    std::fs::write(&log, &bytes).unwrap();
    let p = Partition::open(dir.path(), small_config(1 << 20)).unwrap();
    assert_eq!(read_all(&p, 0), batches[..4].to_vec());
    let quarantined = quarantine_files(dir.path(), "");
    assert_eq!(std::fs::read(&quarantined[0]).unwrap(), &bytes[start..]);
}

fn store_config(segment_bytes: u64) -> spate_log::StoreConfig {
    spate_log::StoreConfig {
        default_log_config: small_config(segment_bytes),
    }
}

/// A store with topic `t` (1 partition) over several sealed segments; returns the stored
/// batches and the partition directory.
fn store_with_sealed_segments(dir: &Path) -> (Vec<Vec<u8>>, std::path::PathBuf) {
    let store = spate_log::LogStore::open(dir, store_config(1500)).unwrap();
    store.create_topic("t", 1, &Default::default()).unwrap();
    let p = store.partition("t", 0).unwrap();
    let batches = fill(&p, 60);
    assert!(p.segment_count() >= 4);
    let pdir = p.dir().to_path_buf();
    drop(p);
    store.close().unwrap();
    drop(store);
    assert!(dir.join(spate_log::CLEAN_SHUTDOWN_FILE).exists());
    (batches, pdir)
}

/// Flips a payload bit of the 3rd batch of the second-newest sealed segment; returns that
/// segment's path and the damaged batch's position.
fn damage_sealed_segment(pdir: &Path) -> (std::path::PathBuf, usize) {
    let logs = log_files(pdir, "log");
    let sealed = logs[logs.len() - 3].clone();
    let mut bytes = std::fs::read(&sealed).unwrap();
    let mut position = 0;
    for _ in 0..2 {
        let len = i32::from_be_bytes(bytes[position + 8..position + 12].try_into().unwrap());
        position += 12 + len as usize;
    }
    bytes[position + 70] ^= 0x01;
    std::fs::write(&sealed, &bytes).unwrap();
    (sealed, position)
}

#[test]
fn corrupt_sealed_segment_is_detected_and_quarantined_after_an_unclean_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let (batches, pdir) = store_with_sealed_segments(dir.path());
    let (sealed, position) = damage_sealed_segment(&pdir);
    let original = std::fs::read(&sealed).unwrap();
    // A crash: the marker written by the last clean close is not there.
    std::fs::remove_file(dir.path().join(spate_log::CLEAN_SHUTDOWN_FILE)).unwrap();

    let store = spate_log::LogStore::open(dir.path(), store_config(1500)).unwrap();
    assert!(!dir.path().join(spate_log::CLEAN_SHUTDOWN_FILE).exists());
    let p = store.partition("t", 0).unwrap();
    let read = read_all(&p, 0);
    // Everything but the damaged segment's tail is served; the tail is in quarantine.
    let sealed_base: i64 = sealed.file_stem().unwrap().to_str().unwrap().parse().unwrap();
    let next_base = *p
        .segment_base_offsets()
        .iter()
        .find(|&&b| b > sealed_base)
        .unwrap();
    let base_of = |b: &Vec<u8>| spate_log::batch::BatchHeader::parse(b).unwrap().base_offset;
    let expected: Vec<Vec<u8>> = batches
        .iter()
        .filter(|b| base_of(b) < sealed_base + 6 || base_of(b) >= next_base)
        .cloned()
        .collect();
    assert_eq!(read, expected);
    let name = sealed.file_name().unwrap().to_str().unwrap().to_string();
    let quarantined = quarantine_files(&pdir, &name);
    assert_eq!(quarantined.len(), 1);
    assert_eq!(std::fs::read(&quarantined[0]).unwrap(), &original[position..]);
    // Readers asking for a dropped offset get the next segment's first batch.
    let r = p.read(sealed_base + 7, 1).unwrap();
    assert_eq!(base_of(&r.records.to_vec()), next_base);
    // The repaired segment's indexes were rewritten and are trusted after a clean restart.
    drop(p);
    drop(store);
    let store = spate_log::LogStore::open(dir.path(), store_config(1500)).unwrap();
    assert_eq!(read_all(&store.partition("t", 0).unwrap(), 0), expected);
    assert_eq!(quarantine_files(&pdir, "").len(), 1);
}

#[test]
fn sealed_segments_are_trusted_after_a_clean_shutdown_and_the_check_is_bounded() {
    // Clean: the damage goes unnoticed (sealed segments were fsynced when rolled).
    let dir = tempfile::tempdir().unwrap();
    let (batches, pdir) = store_with_sealed_segments(dir.path());
    damage_sealed_segment(&pdir);
    let store = spate_log::LogStore::open(dir.path(), store_config(1500)).unwrap();
    assert_eq!(
        store.partition("t", 0).unwrap().log_end_offset(),
        3 * batches.len() as i64
    );
    assert!(quarantine_files(&pdir, "").is_empty());
    drop(store);

    // Unclean, but the budget covers only the newest sealed segment.
    let dir = tempfile::tempdir().unwrap();
    let (_, pdir) = store_with_sealed_segments(dir.path());
    damage_sealed_segment(&pdir);
    std::fs::remove_file(dir.path().join(spate_log::CLEAN_SHUTDOWN_FILE)).unwrap();
    let mut config = store_config(1500);
    config.default_log_config.recovery_check_sealed_bytes = 1;
    drop(spate_log::LogStore::open(dir.path(), config).unwrap());
    assert!(quarantine_files(&pdir, "").is_empty());
}

#[test]
fn missing_middle_segment_leaves_a_gap_that_readers_skip() {
    let dir = tempfile::tempdir().unwrap();
    let p = Partition::open(dir.path(), small_config(1500)).unwrap();
    let batches = fill(&p, 60);
    let bases = p.segment_base_offsets();
    assert!(bases.len() >= 4);
    drop(p);
    for suffix in ["log", "index", "timeindex", "txnindex"] {
        let _ = std::fs::remove_file(dir.path().join(format!("{:020}.{suffix}", bases[1])));
    }
    let p = Partition::open(dir.path(), small_config(1500)).unwrap();
    let base_of = |b: &Vec<u8>| spate_log::batch::BatchHeader::parse(b).unwrap().base_offset;
    let expected: Vec<Vec<u8>> = batches
        .iter()
        .filter(|b| base_of(b) < bases[1] || base_of(b) >= bases[2])
        .cloned()
        .collect();
    assert_eq!(read_all(&p, 0), expected);
    assert_eq!(p.log_end_offset(), 3 * batches.len() as i64);
}
