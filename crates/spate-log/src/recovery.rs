//! Recovery of a partition directory on open.
//!
//! 1. Leftovers of interrupted operations are removed: `*.tmp` files (a durable write that did
//!    not reach its rename) and index files without a log file (a deletion that stopped halfway).
//! 2. Sealed segments (all but the last) were fsynced with their indexes when they were rolled,
//!    so they are trusted when their indexes load and the batch headers after the last offset
//!    index entry end exactly at the end of the file. Otherwise the segment is scanned with CRC
//!    checks, truncated at the first damaged batch, and its indexes are rebuilt and rewritten.
//! 3. The active segment is always scanned with CRC checks; a torn or corrupt tail is truncated
//!    (and the truncation fsynced) and its indexes are rebuilt in memory.
//! 4. Producer state is the newest valid snapshot plus the batches after its offset.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use crate::batch::BatchHeader;
use crate::index::SegmentIndex;
use crate::producer_state::ProducerStateMap;
use crate::segment::{
    INDEX_SUFFIX, LOG_SUFFIX, SNAPSHOT_SUFFIX, Segment, TIME_INDEX_SUFFIX, file_path, io_error, sync_dir,
};
use crate::{Error, LogConfig, Result};

#[derive(Debug)]
pub(crate) struct Recovered {
    pub segments: Vec<Arc<Segment>>,
    pub producers: ProducerStateMap,
}

/// Files of a partition directory, by kind.
#[derive(Debug, Default)]
struct DirListing {
    logs: BTreeSet<i64>,
    indexes: BTreeSet<(i64, &'static str)>,
    snapshots: BTreeSet<i64>,
}

/// Parses `<20 digits>.<suffix>`.
fn parse_name(name: &str) -> Option<(i64, &str)> {
    let (stem, suffix) = name.split_once('.')?;
    if stem.len() != 20 || !stem.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((stem.parse().ok()?, suffix))
}

fn remove_if_exists(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_error(path)(e)),
    }
}

fn list(dir: &Path) -> Result<DirListing> {
    let mut listing = DirListing::default();
    for entry in std::fs::read_dir(dir).map_err(io_error(dir))? {
        let entry = entry.map_err(io_error(dir))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.ends_with(".tmp") {
            remove_if_exists(&entry.path())?;
            continue;
        }
        match parse_name(name) {
            Some((base, LOG_SUFFIX)) => {
                listing.logs.insert(base);
            }
            Some((base, INDEX_SUFFIX)) => {
                listing.indexes.insert((base, INDEX_SUFFIX));
            }
            Some((base, TIME_INDEX_SUFFIX)) => {
                listing.indexes.insert((base, TIME_INDEX_SUFFIX));
            }
            Some((base, SNAPSHOT_SUFFIX)) => {
                listing.snapshots.insert(base);
            }
            _ => {}
        }
    }
    Ok(listing)
}

/// Offsets in a segment are contiguous (every batch is appended at the log end offset, and a
/// segment starts at the log end offset of its roll). The base offset is not covered by the CRC,
/// so this is what detects its damage.
fn relative(segment: &Segment, h: &BatchHeader, next: i64) -> std::result::Result<u32, String> {
    if h.base_offset != next {
        return Err(format!(
            "batch offset {} is not the expected {next}",
            h.base_offset
        ));
    }
    u32::try_from(h.base_offset - segment.base_offset).map_err(|_| {
        format!(
            "batch offset {} outside segment {}",
            h.base_offset, segment.base_offset
        )
    })
}

/// Scans `segment` with CRC checks, truncating a damaged tail; returns the rebuilt index, the
/// next offset, the first batch's max timestamp, and the headers of producer batches.
fn scan_verified(
    segment: &Segment,
    interval: u32,
) -> Result<(SegmentIndex, i64, Option<i64>, Vec<BatchHeader>)> {
    let mut index = SegmentIndex::default();
    let mut next = segment.base_offset;
    let mut first_timestamp = None;
    let mut producer_batches = Vec::new();
    let end = segment.size();
    let scan = segment.scan(0, end, true, |position, h, _| {
        let rel = relative(segment, h, next)?;
        index.on_batch(
            rel,
            position as u32,
            h.total_len() as u64,
            h.max_timestamp,
            interval,
        );
        next = h.last_offset() + 1;
        first_timestamp.get_or_insert(h.max_timestamp);
        if h.producer_id >= 0 {
            producer_batches.push(*h);
        }
        Ok(())
    })?;
    if let Some(damage) = scan.damage {
        tracing::warn!(
            segment = %segment.log_path.display(),
            valid_bytes = scan.valid_end,
            dropped_bytes = end - scan.valid_end,
            %damage,
            "truncating damaged segment tail"
        );
        segment.truncate(scan.valid_end)?;
    }
    Ok((index, next, first_timestamp, producer_batches))
}

fn read_optional(path: &Path) -> Result<Option<Vec<u8>>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_error(path)(e)),
    }
}

/// Loads a sealed segment's indexes if they are usable; returns the segment's next offset.
fn load_sealed(segment: &Segment) -> Result<Option<(SegmentIndex, i64)>> {
    let size = segment.size();
    let (Some(offsets), Some(times)) = (
        read_optional(&segment.path(INDEX_SUFFIX))?,
        read_optional(&segment.path(TIME_INDEX_SUFFIX))?,
    ) else {
        return Ok(None);
    };
    let Some(index) = SegmentIndex::decode(&offsets, &times, size) else {
        return Ok(None);
    };
    let Some(last) = index.offsets.last().copied() else {
        return Ok(None);
    };
    // The batch at the last entry must be the one the entry names, and whole batches must follow
    // up to the end of the file.
    let mut next = segment.base_offset + i64::from(last.relative_offset);
    let mut first = true;
    let scan = segment.scan(u64::from(last.position), size, false, |_, h, _| {
        if first && h.base_offset != next {
            return Err("index entry does not point at its batch".to_string());
        }
        first = false;
        relative(segment, h, next)?;
        next = h.last_offset() + 1;
        Ok(())
    })?;
    let relative_end = next - segment.base_offset;
    let times_in_range = index
        .times
        .iter()
        .all(|e| i64::from(e.relative_offset) < relative_end);
    if scan.damage.is_some() || first || !times_in_range {
        return Ok(None);
    }
    Ok(Some((index, next)))
}

/// Recovers the partition in `dir` (which must exist).
pub(crate) fn recover(dir: &Path, config: &LogConfig, now_ms: i64) -> Result<Recovered> {
    let listing = list(dir)?;
    for (base, suffix) in &listing.indexes {
        if !listing.logs.contains(base) {
            remove_if_exists(&file_path(dir, *base, suffix))?;
        }
    }
    let interval = config.index_interval_bytes;
    let bases: Vec<i64> = listing.logs.iter().copied().collect();
    let mut segments: Vec<Arc<Segment>> = Vec::with_capacity(bases.len().max(1));
    let mut active_producer_batches = Vec::new();
    for (i, &base) in bases.iter().enumerate() {
        let segment = Segment::open_file(dir, base, false)?;
        let is_active = i + 1 == bases.len();
        if is_active {
            // Indexes on disk for the active segment are stale by construction.
            remove_if_exists(&segment.path(INDEX_SUFFIX))?;
            remove_if_exists(&segment.path(TIME_INDEX_SUFFIX))?;
            let (index, next, first_ts, producer_batches) = scan_verified(&segment, interval)?;
            *segment.index_mut() = index;
            segment.next_offset.store(next, Ordering::Release);
            // segment.ms counts from the first batch; an implausible timestamp counts from now.
            let roll_base = first_ts.map_or(-1, |ts| if ts > 0 && ts <= now_ms { ts } else { now_ms });
            segment.roll_base_ms.store(roll_base, Ordering::Release);
            active_producer_batches = producer_batches;
            segment.seek_to_end()?;
        } else {
            if segment.size() == 0 {
                // Only a crash halfway through a roll leaves an empty sealed segment.
                segment.delete_files()?;
                continue;
            }
            match load_sealed(&segment)? {
                Some((index, next)) => {
                    *segment.index_mut() = index;
                    segment.next_offset.store(next, Ordering::Release);
                }
                None => {
                    tracing::warn!(segment = %segment.log_path.display(), "rebuilding segment indexes");
                    let (mut index, next, _, _) = scan_verified(&segment, interval)?;
                    index.finish();
                    *segment.index_mut() = index;
                    segment.next_offset.store(next, Ordering::Release);
                    segment.write_index_files()?;
                    sync_dir(dir)?;
                }
            }
        }
        segments.push(Arc::new(segment));
    }
    if segments.is_empty() {
        let segment = Segment::open_file(dir, 0, true)?;
        sync_dir(dir)?;
        segments.push(Arc::new(segment));
    }
    let producers = rebuild_producers(dir, &segments, &listing.snapshots, active_producer_batches)?;
    Ok(Recovered { segments, producers })
}

fn rebuild_producers(
    dir: &Path,
    segments: &[Arc<Segment>],
    snapshots: &BTreeSet<i64>,
    active_producer_batches: Vec<BatchHeader>,
) -> Result<ProducerStateMap> {
    let Some(active) = segments.last() else {
        return Ok(ProducerStateMap::default());
    };
    let log_end = active.next_offset.load(Ordering::Acquire);
    let mut state = ProducerStateMap::default();
    let mut from = i64::MIN;
    for &offset in snapshots.iter().rev() {
        if offset > log_end {
            continue;
        }
        let path = file_path(dir, offset, SNAPSHOT_SUFFIX);
        let Some(bytes) = read_optional(&path)? else {
            continue;
        };
        match ProducerStateMap::decode_snapshot(&bytes) {
            Some((covered, snapshot)) if covered == offset => {
                state = snapshot;
                from = offset;
                break;
            }
            _ => tracing::warn!(snapshot = %path.display(), "ignoring damaged producer snapshot"),
        }
    }
    let sealed = &segments[..segments.len() - 1];
    for (i, segment) in sealed.iter().enumerate() {
        let next_base = segments[i + 1].base_offset;
        if next_base <= from {
            continue;
        }
        let scan = segment.scan(0, segment.size(), false, |_, h, _| {
            if h.base_offset >= from {
                state.record(h);
            }
            Ok(())
        })?;
        if let Some(damage) = scan.damage {
            return Err(Error::CorruptBatch(format!("replaying producer state: {damage}")));
        }
    }
    for h in active_producer_batches.iter().filter(|h| h.base_offset >= from) {
        state.record(h);
    }
    Ok(state)
}
