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
