//! Recovery of a partition directory on open.
//!
//! 0. A log cleaning interrupted by a crash is finished if it committed (its `.log.swap` file
//!    replaces the segments it covers) and undone otherwise (`*.cleaned` files are deleted);
//!    `clean_swap` describes the protocol.
//! 1. Leftovers of interrupted operations are removed: `*.tmp` files (a durable write that did
//!    not reach its rename) and index files without a log file (a deletion that stopped halfway).
//! 2. Sealed segments (all but the last) were fsynced with their indexes when they were rolled,
//!    so after a clean shutdown they are trusted when their indexes load and the batch headers
//!    after the last offset index entry end exactly at the end of the file. After an unclean
//!    shutdown the newest sealed segments (up to `recovery_check_sealed_bytes`) are CRC-checked
//!    as well. A segment that fails is truncated at the first damaged batch and its indexes are
//!    rebuilt and rewritten.
//! 3. The active segment is always scanned with CRC checks; a torn or corrupt tail is truncated
//!    (and the truncation fsynced) and its indexes are rebuilt in memory.
//!
//! Nothing truncated is lost: the dropped bytes are first copied to
//! `<segment>.log.quarantine-<unix ms>` beside the segment, and one warning names the partition,
//! the byte range, the offsets and the file. A segment that does not end where the next begins
//! (a missing segment) is logged as an error with the missing offsets.
//! 4. Producer state (sequences and ongoing transactions) is the newest valid snapshot plus the
//!    batches after its offset. Sealed segments keep their `.txnindex` when it decodes; the
//!    aborted-transaction index of the active segment, and of any sealed segment whose file is
//!    missing or damaged, is rebuilt during that replay (from a snapshot no newer than the
//!    first such segment), reading the abort markers.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use crate::batch::BatchHeader;
use crate::control::{self, MarkerType};
use crate::index::SegmentIndex;
use crate::producer_state::ProducerStateMap;
use crate::segment::{
    INDEX_SUFFIX, LOG_SUFFIX, SNAPSHOT_SUFFIX, Segment, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX, file_path,
    io_error, sync_dir,
};
use crate::txn_index::{self, AbortedTxn};
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
            Some((base, TXN_INDEX_SUFFIX)) => {
                listing.indexes.insert((base, TXN_INDEX_SUFFIX));
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

/// A producer batch seen by a recovery scan, with its marker type if it is a control batch.
type ProducerBatch = (BatchHeader, Option<MarkerType>);

fn marker_type(segment: &Segment, bytes: &[u8]) -> Option<MarkerType> {
    match control::parse_marker(bytes) {
        Ok((marker, _)) => Some(marker),
        Err(e) => {
            // CRC-valid but not a marker: it ends the transaction, but lists no abort.
            tracing::warn!(segment = %segment.log_path.display(), %e, "unreadable control batch");
            None
        }
    }
}

/// What [`scan_verified`] found in a segment.
struct Verified {
    index: SegmentIndex,
    /// Offset after the last valid batch.
    next: i64,
    /// The first batch's max timestamp.
    first_timestamp: Option<i64>,
    producer_batches: Vec<ProducerBatch>,
    /// A damaged tail was moved to a quarantine file.
    quarantined: bool,
}

/// Offsets the batch headers in `[from, end)` claim, read without CRC checks (their damage is
/// why they are dropped): the first base offset, the last offset and the number of batches,
/// up to the first header that does not parse. Only for the log line that reports a truncation.
fn claimed_offsets(segment: &Segment, from: u64, end: u64) -> Option<(i64, i64, usize)> {
    let mut claimed: Option<(i64, i64, usize)> = None;
    let _ = segment.scan(from, end, false, |_, h, _| {
        let first = claimed.map_or(h.base_offset, |c| c.0);
        let count = claimed.map_or(0, |c| c.2);
        claimed = Some((first, h.last_offset(), count + 1));
        Ok(())
    });
    claimed
}

/// Scans `segment` with CRC checks and rebuilds its index. A damaged or torn tail is moved to a
/// quarantine file beside the segment (see [`Segment::quarantine_tail`]) and reported in one
/// log line; `next_base` is the next segment's base offset, for sealed segments.
fn scan_verified(segment: &Segment, interval: u32, next_base: Option<i64>, now_ms: i64) -> Result<Verified> {
    let mut index = SegmentIndex::default();
    let mut next = segment.base_offset;
    let mut first_timestamp = None;
    let mut producer_batches = Vec::new();
    let end = segment.size();
    let scan = segment.scan(0, end, true, |position, h, bytes| {
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
            let marker = if h.is_control() {
                marker_type(segment, bytes)
            } else {
                None
            };
            producer_batches.push((*h, marker));
        }
        Ok(())
    })?;
    let quarantined = if let Some(damage) = scan.damage {
        let claimed = claimed_offsets(segment, scan.valid_end, end);
        let quarantine = segment.quarantine_tail(scan.valid_end, now_ms)?;
        let dropped_offsets = match (claimed, next_base) {
            (_, Some(next_base)) => format!("{next}..={}", next_base - 1),
            (Some((_, last, _)), None) if last >= next => {
                format!("{next}..={last} (as the dropped headers claim)")
            }
            _ => format!("{next}.. (the dropped headers are unreadable)"),
        };
        tracing::warn!(
            partition = %segment.log_path.parent().map_or_else(String::new, |d| d.display().to_string()),
            segment = %segment.log_path.display(),
            bytes = %format_args!("{}..{end}", scan.valid_end),
            dropped_bytes = end - scan.valid_end,
            offsets = %dropped_offsets,
            dropped_batches_readable = claimed.map_or(0, |c| c.2),
            quarantine = %quarantine.display(),
            %damage,
            "recovery truncated a damaged segment tail at the first bad batch; the dropped bytes \
             are kept in the quarantine file",
        );
        true
    } else {
        false
    };
    Ok(Verified {
        index,
        next,
        first_timestamp,
        producer_batches,
        quarantined,
    })
}

/// Base offsets of the sealed segments whose CRCs are checked after an unclean shutdown: the
/// newest ones, until `budget` bytes are covered (the segment that crosses the budget is checked
/// whole).
fn sealed_to_verify(dir: &Path, sealed: &[i64], budget: u64) -> Result<BTreeSet<i64>> {
    let mut out = BTreeSet::new();
    let mut covered = 0u64;
    for &base in sealed.iter().rev() {
        if covered >= budget {
            break;
        }
        let path = file_path(dir, base, LOG_SUFFIX);
        covered = covered.saturating_add(std::fs::metadata(&path).map_err(io_error(&path))?.len());
        out.insert(base);
    }
    Ok(out)
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

/// Recovers the partition in `dir` (which must exist). After an unclean shutdown
/// (`clean_shutdown` false) the CRCs of the newest sealed segments are checked too, up to
/// `config.recovery_check_sealed_bytes`.
pub(crate) fn recover(
    dir: &Path,
    config: &LogConfig,
    now_ms: i64,
    clean_shutdown: bool,
) -> Result<Recovered> {
    // A cleaning interrupted by a crash is finished or undone before anything is read.
    crate::clean_swap::recover(dir)?;
    let listing = list(dir)?;
    for (base, suffix) in &listing.indexes {
        if !listing.logs.contains(base) {
            remove_if_exists(&file_path(dir, *base, suffix))?;
        }
    }
    let interval = config.index_interval_bytes;
    let bases: Vec<i64> = listing.logs.iter().copied().collect();
    let verify_sealed = if clean_shutdown {
        BTreeSet::new()
    } else {
        sealed_to_verify(
            dir,
            &bases[..bases.len().saturating_sub(1)],
            config.recovery_check_sealed_bytes,
        )?
    };
    let mut segments: Vec<Arc<Segment>> = Vec::with_capacity(bases.len().max(1));
    let mut active_producer_batches = Vec::new();
    // Per kept segment: whether its aborted-transaction index must be rebuilt by the replay.
    let mut rebuild_txn_index: Vec<bool> = Vec::with_capacity(bases.len().max(1));
    // Per kept segment: whether recovery quarantined its tail (which explains a following gap).
    let mut quarantined: Vec<bool> = Vec::with_capacity(bases.len().max(1));
    for (i, &base) in bases.iter().enumerate() {
        let segment = Segment::open_file(dir, base, false)?;
        let is_active = i + 1 == bases.len();
        if is_active {
            // Indexes on disk for the active segment are stale by construction.
            remove_if_exists(&segment.path(INDEX_SUFFIX))?;
            remove_if_exists(&segment.path(TIME_INDEX_SUFFIX))?;
            remove_if_exists(&segment.path(TXN_INDEX_SUFFIX))?;
            let verified = scan_verified(&segment, interval, None, now_ms)?;
            *segment.index_mut() = verified.index;
            segment.next_offset.store(verified.next, Ordering::Release);
            // segment.ms counts from the first batch; an implausible timestamp counts from now.
            let roll_base = verified
                .first_timestamp
                .map_or(-1, |ts| if ts > 0 && ts <= now_ms { ts } else { now_ms });
            segment.roll_base_ms.store(roll_base, Ordering::Release);
            active_producer_batches = verified.producer_batches;
            segment.seek_to_end()?;
            rebuild_txn_index.push(true);
            quarantined.push(verified.quarantined);
        } else {
            if segment.size() == 0 {
                // Only a crash halfway through a roll leaves an empty sealed segment.
                segment.delete_files()?;
                continue;
            }
            let loaded = load_sealed(&segment)?;
            let verify = verify_sealed.contains(&base);
            let mut truncated = false;
            match loaded {
                Some((index, next)) if !verify => {
                    *segment.index_mut() = index;
                    segment.next_offset.store(next, Ordering::Release);
                }
                loaded => {
                    if loaded.is_none() {
                        tracing::warn!(segment = %segment.log_path.display(), "rebuilding segment indexes");
                    }
                    let verified = scan_verified(&segment, interval, bases.get(i + 1).copied(), now_ms)?;
                    truncated = verified.quarantined;
                    if segment.size() == 0 {
                        // Nothing valid left: the whole segment is in quarantine (its warning
                        // also explains the gap after the previous segment).
                        if let Some(previous) = quarantined.last_mut() {
                            *previous = true;
                        }
                        segment.delete_files()?;
                        sync_dir(dir)?;
                        continue;
                    }
                    segment.next_offset.store(verified.next, Ordering::Release);
                    match loaded {
                        Some((index, _)) if !truncated => *segment.index_mut() = index,
                        _ => {
                            let mut index = verified.index;
                            index.finish();
                            *segment.index_mut() = index;
                            segment.write_index_files()?;
                            sync_dir(dir)?;
                        }
                    }
                }
            }
            let loaded = read_optional(&segment.path(TXN_INDEX_SUFFIX))?
                .and_then(|bytes| txn_index::decode(&bytes))
                .filter(|entries| entries.iter().all(|e| e.last_offset >= base))
                // Entries may name markers that were just quarantined.
                .filter(|_| !truncated);
            match loaded {
                Some(entries) => {
                    *segment.aborted_mut() = entries;
                    rebuild_txn_index.push(false);
                }
                None => {
                    tracing::warn!(segment = %segment.log_path.display(), "rebuilding aborted-transaction index");
                    rebuild_txn_index.push(true);
                }
            }
            quarantined.push(truncated);
        }
        segments.push(Arc::new(segment));
    }
    if segments.is_empty() {
        let segment = Segment::open_file(dir, 0, true)?;
        sync_dir(dir)?;
        segments.push(Arc::new(segment));
        rebuild_txn_index.push(true);
        quarantined.push(false);
    }
    report_gaps(dir, &segments, &quarantined);
    let producers = rebuild_producers(
        dir,
        &segments,
        &listing.snapshots,
        active_producer_batches,
        &rebuild_txn_index,
    )?;
    let sealed = segments.len() - 1;
    let mut rewrote = false;
    for (segment, _) in segments[..sealed]
        .iter()
        .zip(&rebuild_txn_index)
        .filter(|(_, rebuild)| **rebuild)
    {
        segment.write_txn_index_file()?;
        rewrote = true;
    }
    if rewrote {
        sync_dir(dir)?;
    }
    Ok(Recovered { segments, producers })
}

/// Logs (loudly) every place where a segment does not end where the next one starts: a missing
/// segment file, or one cut short outside recovery. Gaps after a tail recovery just quarantined
/// were already reported with it. Readers skip a gap (a fetch inside it is served from the next
/// segment), so this is the only trace of the lost offsets.
fn report_gaps(dir: &Path, segments: &[Arc<Segment>], quarantined: &[bool]) {
    for (i, pair) in segments.windows(2).enumerate() {
        let end = pair[0].next_offset.load(Ordering::Acquire);
        let next_base = pair[1].base_offset;
        if end == next_base || quarantined.get(i).copied().unwrap_or(false) {
            continue;
        }
        if end < next_base {
            tracing::error!(
                partition = %dir.display(),
                missing_offsets = %format_args!("{end}..={}", next_base - 1),
                after_segment = %pair[0].log_path.display(),
                before_segment = %pair[1].log_path.display(),
                "gap in the log: offsets {end}..={} are in no segment (a segment file is missing or \
                 was cut short); consumers skip from {end} to {next_base}",
                next_base - 1
            );
        } else {
            tracing::error!(
                partition = %dir.display(),
                segment = %pair[0].log_path.display(),
                ends_at = end,
                next_segment_base = next_base,
                "segments overlap: a segment holds offsets past the next segment's base offset"
            );
        }
    }
}

/// Replays one producer batch; an abort marker that ended a transaction is listed in `aborted`
/// when the segment's index is being rebuilt.
fn replay(
    state: &mut ProducerStateMap,
    h: &BatchHeader,
    marker: Option<MarkerType>,
    aborted: Option<&mut Vec<AbortedTxn>>,
) {
    let ended = state.record(h);
    if let (Some(first_offset), Some(MarkerType::Abort), Some(aborted)) = (ended, marker, aborted) {
        aborted.push(AbortedTxn {
            producer_id: h.producer_id,
            first_offset,
            last_offset: h.base_offset,
            last_stable_offset: state.first_unstable_offset().unwrap_or(h.last_offset() + 1),
        });
    }
}

fn rebuild_producers(
    dir: &Path,
    segments: &[Arc<Segment>],
    snapshots: &BTreeSet<i64>,
    active_producer_batches: Vec<ProducerBatch>,
    rebuild_txn_index: &[bool],
) -> Result<ProducerStateMap> {
    let Some(active) = segments.last() else {
        return Ok(ProducerStateMap::default());
    };
    let log_end = active.next_offset.load(Ordering::Acquire);
    // The replay must cover every segment whose aborted-transaction index is rebuilt.
    let replay_limit = segments
        .iter()
        .zip(rebuild_txn_index)
        .find(|(_, rebuild)| **rebuild)
        .map_or(log_end, |(s, _)| s.base_offset)
        .min(log_end);
    let mut state = ProducerStateMap::default();
    let mut from = i64::MIN;
    for &offset in snapshots.iter().rev() {
        if offset > replay_limit {
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
        let rebuild = rebuild_txn_index.get(i).copied().unwrap_or(true);
        let mut aborted = Vec::new();
        let scan = segment.scan(0, segment.size(), false, |position, h, _| {
            if h.base_offset >= from && h.producer_id >= 0 {
                let marker = if rebuild && h.is_control() {
                    let bytes = segment
                        .read_vec(position, h.total_len())
                        .map_err(|e| e.to_string())?;
                    marker_type(segment, &bytes)
                } else {
                    None
                };
                replay(&mut state, h, marker, Some(&mut aborted));
            }
            Ok(())
        })?;
        if let Some(damage) = scan.damage {
            return Err(Error::CorruptBatch(format!("replaying producer state: {damage}")));
        }
        if rebuild {
            *segment.aborted_mut() = aborted;
        }
    }
    let mut aborted = Vec::new();
    for (h, marker) in active_producer_batches
        .iter()
        .filter(|(h, _)| h.base_offset >= from)
    {
        replay(&mut state, h, *marker, Some(&mut aborted));
    }
    *active.aborted_mut() = aborted;
    Ok(state)
}
