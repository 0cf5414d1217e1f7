//! Log compaction of one partition (`cleanup.policy=compact`), as Kafka's log cleaner does it.
//!
//! A pass:
//! 1. **Bounds.** Only sealed segments that end at or below the last stable offset, and whose
//!    newest record is older than `min.compaction.lag.ms`, are cleanable: the active segment and
//!    anything an open transaction could still abort are never touched. The *first dirty
//!    offset* (the end of the previous pass, kept in `cleaner-offset-checkpoint`) splits them
//!    into a clean head and a dirty tail; the pass runs when dirty bytes / all cleanable bytes
//!    reach `min.cleanable.dirty.ratio`, or when the first dirty segment is older than
//!    `max.compaction.lag.ms`.
//! 2. **Map.** The dirty segments are read once to map each key (by digest) to its last offset,
//!    skipping control batches and the records of aborted transactions, until the map's memory
//!    (`log.cleaner.dedupe.buffer.size`) is used up at a segment boundary.
//! 3. **Rewrite.** Every segment from the log start to the mapped end is rewritten, in groups of
//!    consecutive segments whose sizes add up to at most `segment.bytes`, oldest group first.
//!    A record is kept when it is its key's last in the map (or its key is not in the map), it
//!    is not part of an aborted transaction, it has a key, and it is not a tombstone whose batch's
//!    delete horizon has passed. The delete horizon is KIP-534's: the first pass that keeps a
//!    tombstone of a batch writes the batch with attribute bit 6 and `baseTimestamp` = that
//!    pass's time + `delete.retention.ms` (`compact_batch`), and a pass at or after it drops
//!    the batch's tombstones; record timestamps play no part, so a tombstone produced with an
//!    old timestamp still stays `delete.retention.ms` for consumers to see. A transaction marker
//!    is kept while any batch of its transaction is kept; once none is, it gets a delete horizon
//!    the same way and goes when a pass runs past it. The batches the producer state
//!    remembers (each producer's last five) are kept, empty if need be, so idempotent producers
//!    still recognise their retries. Offsets never move (see `compact_batch`).
//! 4. **Swap.** Each group is replaced by its cleaned segment with the protocol of
//!    `clean_swap`, so a crash leaves the old or the new group; the checkpoint moves to the
//!    mapped end once every group is swapped.
//!
//! Because every group is rewritten oldest first and a record is dropped only for a newer one
//! of its key (which sits in the same or a later group) or as a tombstone past its delete horizon
//! (whose older values sit in the same or an earlier group), the latest value of every key is readable at
//! every point, crashes included.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::{Partition, lock};
use crate::batch::BatchHeader;
use crate::clean_swap::{self, CLEANED_SUFFIX, CleanedLog};
use crate::cleaner::{CleanOutcome, CleanerSettings, MAP_BYTES_PER_KEY, Throttle};
use crate::compact_batch::{self, FillerRun, KeyDigest, key_digest};
use crate::control::{self, MarkerType};
use crate::index::SegmentIndex;
use crate::segment::{
    INDEX_SUFFIX, Segment, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX, io_error, write_file_atomically,
};
use crate::txn_index::{self, AbortedTxn};
use crate::{Error, LogConfig, Result};

/// File in the partition directory: the first dirty offset and the earliest delete horizon
/// (ms) of the tombstones and markers the last pass kept (decimal text, one line). Its
/// name does not parse as a segment file, so recovery leaves it alone; a missing or damaged
/// file makes the whole log dirty, which only costs a pass.
pub(crate) const CHECKPOINT_FILE: &str = "cleaner-offset-checkpoint";

/// The checkpoint: (first dirty offset, next expiry).
fn read_checkpoint(dir: &Path) -> Option<(i64, i64)> {
    let text = std::fs::read_to_string(dir.join(CHECKPOINT_FILE)).ok()?;
    let mut fields = text.split_whitespace().map(str::parse::<i64>);
    match (fields.next(), fields.next()) {
        (Some(Ok(offset)), Some(Ok(expiry))) => Some((offset, expiry)),
        _ => None,
    }
}

/// Everything a rewrite decides with, fixed for the pass.
struct Judge {
    /// Key digest → offset of its last record in the mapped range.
    map: HashMap<KeyDigest, i64>,
    /// Aborted transactions by producer: `(first offset, marker offset)`.
    aborted: HashMap<i64, Vec<(i64, i64)>>,
    /// `(producer id, last offset)` of every batch the producer state remembers.
    remembered: HashSet<(i64, i64)>,
    /// The pass's time: tombstones and markers of batches whose delete horizon is at or below
    /// it go.
    now: i64,
    /// The delete horizon this pass gives batches that keep a tombstone or a removable marker
    /// and have none yet: `now` + `delete.retention.ms`.
    new_horizon: i64,
}

impl Judge {
    fn is_aborted(&self, h: &BatchHeader) -> bool {
        h.is_transactional()
            && !h.is_control()
            && self.aborted.get(&h.producer_id).is_some_and(|ranges| {
                ranges
                    .iter()
                    .any(|&(first, marker)| first <= h.base_offset && h.base_offset < marker)
            })
    }
}

/// Per-pass counters.
#[derive(Default)]
struct Tally {
    bytes_read: u64,
    records_removed: u64,
    /// When the first tombstone or marker kept only until its batch's delete horizon may go.
    next_expiry: Option<i64>,
}

impl Tally {
    fn kept_until(&mut self, horizon: i64) {
        self.next_expiry = Some(self.next_expiry.map_or(horizon, |e| e.min(horizon)));
    }
}

/// A cleaned group ready to swap in.
struct CleanedGroup {
    base: i64,
    end: i64,
    len: u64,
    index: SegmentIndex,
    aborted: Vec<AbortedTxn>,
}

impl Partition {
    /// Cleans this partition if it is compacted and due (see the module docs); `force` ignores
    /// the dirty ratio (any dirty data is cleaned). Returns what was done, `None` when nothing
    /// was due. Appends and reads go on meanwhile; retention waits for the next maintenance.
    pub fn clean(
        &self,
        now_ms: i64,
        settings: &CleanerSettings,
        throttle: &Throttle,
        force: bool,
    ) -> Result<Option<CleanOutcome>> {
        let config = self.config();
        if !config.cleanup_compact {
            return Ok(None);
        }
        let _cleaning = lock(&self.cleaning);
        let segments = self.segments();
        let sealed = &segments[..segments.len() - 1];
        let last_stable = self.last_stable_offset();
        let lag_limit =
            now_ms.saturating_sub(i64::try_from(config.min_compaction_lag_ms).unwrap_or(i64::MAX));
        let cleanable = sealed
            .iter()
            .take_while(|s| {
                s.next_offset.load(Ordering::Acquire) <= last_stable
                    && (config.min_compaction_lag_ms == 0 || s.largest_timestamp() <= lag_limit)
            })
            .count();
        if cleanable == 0 {
            return Ok(None);
        }
        let cleanable = &sealed[..cleanable];
        let (first_dirty, expiry) = read_checkpoint(&self.dir).unwrap_or((i64::MIN, i64::MIN));
        let first_dirty = first_dirty.max(cleanable[0].base_offset);
        let dirty_from = cleanable.partition_point(|s| s.next_offset.load(Ordering::Acquire) <= first_dirty);
        // Tombstones and markers the last pass kept until their delete horizon may go now: the
        // clean part is worth a pass even without dirty data.
        let expired = expiry <= now_ms && dirty_from > 0;
        if dirty_from == cleanable.len() && !expired {
            return Ok(None);
        }
        let clean_bytes: u64 = cleanable[..dirty_from].iter().map(|s| s.size()).sum();
        let dirty_bytes: u64 = cleanable[dirty_from..].iter().map(|s| s.size()).sum();
        let ratio = dirty_bytes as f64 / (clean_bytes + dirty_bytes).max(1) as f64;
        let max_lag = i64::try_from(config.max_compaction_lag_ms).unwrap_or(i64::MAX);
        let overdue = cleanable
            .get(dirty_from)
            .is_some_and(|s| now_ms.saturating_sub(s.largest_timestamp()) > max_lag);
        let ratio_due = dirty_bytes > 0 && ratio >= config.min_cleanable_dirty_ratio();
        let due = (force && dirty_bytes > 0) || overdue || ratio_due || expired;
        if !due {
            return Ok(None);
        }
        let mut tally = Tally::default();
        let mut aborted: HashMap<i64, Vec<(i64, i64)>> = HashMap::new();
        for segment in segments.iter() {
            for e in segment.aborted().iter() {
                aborted
                    .entry(e.producer_id)
                    .or_default()
                    .push((e.first_offset, e.last_offset));
            }
        }
        let max_keys = (settings.dedupe_buffer_bytes / MAP_BYTES_PER_KEY).max(1);
        let mut judge = Judge {
            map: HashMap::new(),
            aborted,
            remembered: HashSet::new(),
            now: now_ms,
            new_horizon: now_ms.saturating_add(i64::try_from(config.delete_retention_ms).unwrap_or(i64::MAX)),
        };
        let mapped = self.map_keys(
            &cleanable[dirty_from..],
            first_dirty,
            max_keys,
            &mut judge,
            throttle,
            &mut tally,
        )?;
        let mapped_end = match mapped {
            0 => first_dirty,
            n => cleanable[dirty_from + n - 1].next_offset.load(Ordering::Acquire),
        };
        judge.remembered = {
            let appender = lock(&self.appender);
            appender
                .producers
                .producers
                .iter()
                .flat_map(|(&pid, e)| e.batches.iter().map(move |b| (pid, b.last_offset)))
                .collect()
        };
        let to_clean = &cleanable[..dirty_from + mapped];
        let bytes_before: u64 = to_clean.iter().map(|s| s.size()).sum();
        let mut bytes_after = 0;
        let mut segments_after = 0;
        // Producers whose current transaction has a kept batch so far in this pass.
        let mut txn_kept: HashMap<i64, bool> = HashMap::new();
        for group in groups(to_clean, &config) {
            let cleaned =
                match self.rewrite_group(group, &judge, &config, &mut txn_kept, throttle, &mut tally) {
                    Ok(cleaned) => cleaned,
                    Err(e) => {
                        clean_swap::abandon(&self.dir, group[0].base_offset);
                        return Err(e);
                    }
                };
            bytes_after += cleaned.len;
            segments_after += 1;
            self.swap_in(group, cleaned)?;
        }
        let checkpoint = format!("{mapped_end} {}\n", tally.next_expiry.unwrap_or(i64::MAX));
        write_file_atomically(&self.dir.join(CHECKPOINT_FILE), checkpoint.as_bytes())?;
        crate::segment::sync_dir(&self.dir)?;
        let outcome = CleanOutcome {
            first_dirty,
            cleaned_end: mapped_end,
            segments_before: to_clean.len(),
            segments_after,
            bytes_before,
            bytes_after,
            bytes_read: tally.bytes_read,
            records_removed: tally.records_removed,
        };
        tracing::info!(dir = %self.dir.display(), ?outcome, "cleaned log");
        Ok(Some(outcome))
    }

    /// Maps keys of `dirty` at or after `first_dirty` into `judge.map`; returns how many
    /// segments the map covers (at least one: a single segment with more keys than the map
    /// holds is mapped whole).
    fn map_keys(
        &self,
        dirty: &[Arc<Segment>],
        first_dirty: i64,
        max_keys: usize,
        judge: &mut Judge,
        throttle: &Throttle,
        tally: &mut Tally,
    ) -> Result<usize> {
        let mut map = std::mem::take(&mut judge.map);
        let mut scratch = Vec::new();
        let mut mapped = 0;
        for segment in dirty {
            if mapped > 0 && map.len() >= max_keys {
                break;
            }
            let mut failure: Option<Error> = None;
            let scan = segment.scan(0, segment.size(), true, |_, h, bytes| {
                throttle.acquire(bytes.len() as u64);
                tally.bytes_read += bytes.len() as u64;
                if throttle.is_stopped() {
                    failure = Some(stopped(&self.dir));
                    return Err("cleaner stopped".to_string());
                }
                if h.is_control() || h.last_offset() < first_dirty || judge.is_aborted(h) {
                    return Ok(());
                }
                let result = compact_batch::records_of(h, bytes, &mut scratch, |r| {
                    if let Some(key) = r.key
                        && r.offset >= first_dirty
                    {
                        map.insert(key_digest(key), r.offset);
                    }
                });
                result.map(|_| ()).map_err(|e| {
                    let why = e.to_string();
                    failure = Some(e);
                    why
                })
            })?;
            if let Some(e) = failure.or(scan.damage) {
                return Err(e);
            }
            mapped += 1;
        }
        judge.map = map;
        Ok(mapped)
    }

    /// Writes the cleaned version of `group` under temporary names (step 1 of `clean_swap`).
    fn rewrite_group(
        &self,
        group: &[Arc<Segment>],
        judge: &Judge,
        config: &LogConfig,
        txn_kept: &mut HashMap<i64, bool>,
        throttle: &Throttle,
        tally: &mut Tally,
    ) -> Result<CleanedGroup> {
        let base = group[0].base_offset;
        let end = group[group.len() - 1].next_offset.load(Ordering::Acquire);
        let mut w = GroupWriter {
            dir: &self.dir,
            base,
            out: CleanedLog::create(&self.dir, base)?,
            index: SegmentIndex::default(),
            aborted: Vec::new(),
            filler: None,
            interval: config.index_interval_bytes,
            throttle,
        };
        let mut scratch = Vec::new();
        for segment in group {
            let segment_aborted: Vec<AbortedTxn> = segment.aborted().clone();
            let mut failure: Option<Error> = None;
            let scan = segment.scan(0, segment.size(), true, |_, h, bytes| {
                throttle.acquire(bytes.len() as u64);
                tally.bytes_read += bytes.len() as u64;
                if throttle.is_stopped() {
                    failure = Some(stopped(&self.dir));
                    return Err("cleaner stopped".to_string());
                }
                let result =
                    judge_batch(h, bytes, judge, txn_kept, &mut scratch, tally).and_then(|kept| match kept {
                        Kept::Nothing => {
                            w.skip(h);
                            Ok(())
                        }
                        Kept::Bytes(batch) => {
                            w.keep_abort_entry(h, &segment_aborted);
                            w.write(&batch)
                        }
                        Kept::Whole => {
                            w.keep_abort_entry(h, &segment_aborted);
                            w.write(bytes)
                        }
                    });
                result.map_err(|e| {
                    let why = e.to_string();
                    failure = Some(e);
                    why
                })
            })?;
            if let Some(e) = failure.or(scan.damage) {
                return Err(e);
            }
        }
        w.flush_filler()?;
        let GroupWriter {
            out,
            mut index,
            aborted,
            ..
        } = w;
        index.finish();
        let len = out.len;
        out.finish()?;
        clean_swap::write_synced(
            &clean_swap::staged_path(&self.dir, base, INDEX_SUFFIX, CLEANED_SUFFIX),
            &index.encode_offsets(),
        )?;
        clean_swap::write_synced(
            &clean_swap::staged_path(&self.dir, base, TIME_INDEX_SUFFIX, CLEANED_SUFFIX),
            &index.encode_times(),
        )?;
        clean_swap::write_synced(
            &clean_swap::staged_path(&self.dir, base, TXN_INDEX_SUFFIX, CLEANED_SUFFIX),
            &txn_index::encode(&aborted),
        )?;
        Ok(CleanedGroup {
            base,
            end,
            len,
            index,
            aborted,
        })
    }
}

/// What the cleaned log keeps of one batch.
fn judge_batch(
    h: &BatchHeader,
    bytes: &[u8],
    judge: &Judge,
    txn_kept: &mut HashMap<i64, bool>,
    scratch: &mut Vec<u8>,
    tally: &mut Tally,
) -> Result<Kept> {
    if h.is_control() {
        let kept_records = txn_kept.remove(&h.producer_id).unwrap_or(false);
        // A marker of an unknown kind ends its transaction all the same; it is kept.
        let known = control::parse_marker(bytes)
            .is_ok_and(|(m, _)| matches!(m, MarkerType::Commit | MarkerType::Abort));
        if kept_records || !known {
            return Ok(Kept::Whole);
        }
        // Nothing of its transaction is left: the marker goes once its batch's delete horizon
        // has passed, and the first pass to see it so sets that horizon (KIP-534).
        return Ok(match h.delete_horizon() {
            Some(horizon) if horizon <= judge.now => Kept::Nothing,
            Some(horizon) => {
                tally.kept_until(horizon);
                Kept::Whole
            }
            None => {
                tally.kept_until(judge.new_horizon);
                let spans = compact_batch::records_of(h, bytes, scratch, |_| {})?;
                let all: Vec<usize> = (0..spans.len()).collect();
                Kept::Bytes(compact_batch::with_records(
                    h,
                    bytes,
                    scratch,
                    &spans,
                    &all,
                    Some(judge.new_horizon),
                )?)
            }
        });
    }
    let remembered = h.producer_id >= 0 && judge.remembered.contains(&(h.producer_id, h.last_offset()));
    let outcome = if judge.is_aborted(h) {
        tally.records_removed += h.record_count.max(0) as u64;
        if remembered {
            Kept::Bytes(compact_batch::emptied(h, bytes))
        } else {
            Kept::Nothing
        }
    } else {
        let mut keep = Vec::new();
        let mut keeps_tombstone = false;
        let mut i = 0;
        // Tombstones go only once a pass has written the batch's delete horizon and a later one
        // runs at or after it (KIP-534), however old their record timestamps.
        let horizon = h.delete_horizon();
        let tombstones_expired = horizon.is_some_and(|horizon| horizon <= judge.now);
        let spans = compact_batch::records_of(h, bytes, scratch, |r| {
            let latest = r.key.is_some_and(|key| {
                judge
                    .map
                    .get(&key_digest(key))
                    .is_none_or(|&last| r.offset >= last)
            });
            if latest && !(r.tombstone && tombstones_expired) {
                keep.push(i);
                keeps_tombstone |= r.tombstone;
            }
            i += 1;
        })?;
        tally.records_removed += (spans.len() - keep.len()) as u64;
        let new_horizon = (keeps_tombstone && horizon.is_none()).then_some(judge.new_horizon);
        if keeps_tombstone {
            tally.kept_until(horizon.unwrap_or(judge.new_horizon));
        }
        if keep.len() == spans.len() && new_horizon.is_none() {
            Kept::Whole
        } else if !keep.is_empty() {
            Kept::Bytes(compact_batch::with_records(
                h,
                bytes,
                scratch,
                &spans,
                &keep,
                new_horizon,
            )?)
        } else if remembered {
            Kept::Bytes(compact_batch::emptied(h, bytes))
        } else {
            Kept::Nothing
        }
    };
    if h.is_transactional() && !matches!(outcome, Kept::Nothing) {
        txn_kept.insert(h.producer_id, true);
    }
    Ok(outcome)
}

impl Partition {
    /// Commits `cleaned` and replaces `group` with it (steps 2-4 of `clean_swap`).
    fn swap_in(&self, group: &[Arc<Segment>], cleaned: CleanedGroup) -> Result<()> {
        let swap = clean_swap::commit(&self.dir, cleaned.base)?;
        // Readers of the old segments keep the old files open: the first one's name is about
        // to point at the cleaned file.
        for old in group {
            old.file.pin().map_err(io_error(&old.log_path))?;
        }
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&swap)
            .map_err(io_error(&swap))?;
        let segment = Segment::from_file(&self.dir, cleaned.base, file, cleaned.len);
        segment.next_offset.store(cleaned.end, Ordering::Release);
        *segment.index_mut() = cleaned.index;
        *segment.aborted_mut() = cleaned.aborted;
        let segment = Arc::new(segment);
        {
            // Rolls push to the list under the appender lock; holding it keeps their segment.
            let _appender = lock(&self.appender);
            let mut list = self
                .segments
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let mut next: Vec<Arc<Segment>> = Vec::with_capacity(list.len());
            for s in list.iter() {
                if group.iter().any(|g| Arc::ptr_eq(g, s)) {
                    if Arc::ptr_eq(s, &group[0]) {
                        next.push(Arc::clone(&segment));
                    }
                } else {
                    next.push(Arc::clone(s));
                }
            }
            *list = Arc::new(next);
        }
        for old in &group[1..] {
            old.delete_files()?;
        }
        clean_swap::install(&self.dir, cleaned.base)?;
        segment.file.unpin();
        Ok(())
    }
}

/// The cleaned log of a group being written, with its indexes.
struct GroupWriter<'a> {
    dir: &'a Path,
    base: i64,
    out: CleanedLog,
    index: SegmentIndex,
    /// Aborted-transaction entries whose markers are kept.
    aborted: Vec<AbortedTxn>,
    /// Removed batches not yet covered by a filler.
    filler: Option<FillerRun>,
    interval: u32,
    throttle: &'a Throttle,
}

impl GroupWriter<'_> {
    /// Appends one batch (after the filler of any removed batches before it) and indexes it.
    fn write(&mut self, batch: &[u8]) -> Result<()> {
        self.flush_filler()?;
        self.append(batch)
    }

    fn append(&mut self, batch: &[u8]) -> Result<()> {
        let h = BatchHeader::parse(batch)?;
        let position = u32::try_from(self.out.len).map_err(|_| clean_swap::too_large(self.dir, self.base))?;
        let relative = u32::try_from(h.base_offset - self.base)
            .map_err(|_| clean_swap::too_large(self.dir, self.base))?;
        self.index.on_batch(
            relative,
            position,
            batch.len() as u64,
            h.max_timestamp,
            self.interval,
        );
        self.throttle.acquire(batch.len() as u64);
        self.out.write(batch)
    }

    /// Keeps the aborted-transaction entry of `h` when it is an abort marker that stays.
    fn keep_abort_entry(&mut self, h: &BatchHeader, segment_aborted: &[AbortedTxn]) {
        if h.is_control()
            && let Some(entry) = segment_aborted.iter().find(|e| e.last_offset == h.base_offset)
        {
            self.aborted.push(*entry);
        }
    }

    /// Notes a removed batch: its offsets join the current filler run.
    fn skip(&mut self, h: &BatchHeader) {
        match self.filler.as_mut() {
            Some(run) => run.extend(h),
            None => self.filler = Some(FillerRun::start(h)),
        }
    }

    fn flush_filler(&mut self) -> Result<()> {
        if let Some(run) = self.filler.take() {
            for batch in run.batches() {
                self.append(&batch)?;
            }
        }
        Ok(())
    }
}

/// The error of a pass given up because its throttle was stopped (broker shutdown).
fn stopped(dir: &Path) -> Error {
    Error::Io {
        path: dir.to_path_buf(),
        source: std::io::Error::new(std::io::ErrorKind::Interrupted, "log cleaner stopped"),
    }
}

/// What a cleaning keeps of a batch.
enum Kept {
    /// The batch as stored.
    Whole,
    /// A rewritten batch (some records, or none but the header).
    Bytes(Vec<u8>),
    /// Nothing: the batch's offsets join a filler.
    Nothing,
}

/// Consecutive segments whose sizes add up to at most `segment.bytes` (at least one each) and
/// whose offsets fit a segment's 32-bit relative offsets.
fn groups<'a>(segments: &'a [Arc<Segment>], config: &LogConfig) -> Vec<&'a [Arc<Segment>]> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < segments.len() {
        let base = segments[start].base_offset;
        let mut size = 0u64;
        let mut end = start;
        while end < segments.len() {
            let s = &segments[end];
            let span = s.next_offset.load(Ordering::Acquire) - base;
            if end > start && (size + s.size() > config.segment_bytes || span > i64::from(i32::MAX)) {
                break;
            }
            size += s.size();
            end += 1;
        }
        out.push(&segments[start..end]);
        start = end;
    }
    out
}
