//! One partition: an append-only sequence of segments.
//!
//! Concurrency: one appender at a time (the `appender` mutex guards the active segment's write
//! cursor and the producer state, so a sequence check and its append are atomic). Readers never
//! take that lock: they clone the current segment list and read with `pread` below each
//! segment's published size. fsync happens outside the append lock and is group-committed.
//!
//! Transactions: a transactional batch starts its producer's transaction on the partition; a
//! marker written by [`Partition::append_control`] ends it. The last stable offset (LSO) is the
//! first offset of the oldest ongoing transaction, or the high watermark when there is none;
//! read_committed readers see only batches below it. Aborted transactions are listed in the
//! segment holding their abort marker (the `.txnindex`).

use bytes::Bytes;
use std::io::IoSlice;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, RwLock};

use crate::batch::{self, BatchHeader, HEADER_LEN, ValidatedBatch};
use crate::compression;
use crate::control::{self, MarkerType};
use crate::producer_state::{ProducerEntry, ProducerStateMap, SequenceCheck};
use crate::records;
use crate::recovery;
use crate::segment::{
    SNAPSHOT_SUFFIX, Segment, file_path, io_error, sync_dir, whole_batches_len, write_all_vectored,
};
use crate::txn_index::AbortedTxn;
use crate::{Durability, Error, FlushPolicy, LogConfig, Result, TimestampType};

mod compaction;

/// One producer as a partition knows it (see [`Partition::producers`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProducerView {
    pub producer_id: i64,
    pub epoch: i16,
    /// Sequence number of its last stored batch's last record, -1 when none is kept.
    pub last_sequence: i32,
    /// First offset of its ongoing transaction on this partition.
    pub current_txn_start_offset: Option<i64>,
    /// Max timestamp of its last batch or marker, -1 when not known yet (older snapshots).
    pub last_timestamp: i64,
}

/// What an append did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppendOutcome {
    /// Offset assigned to the first record of the first batch.
    pub base_offset: i64,
    /// Offset of the last record appended.
    pub last_offset: i64,
    /// The broker's append time when the topic uses LogAppendTime, else -1.
    pub log_append_time: i64,
    pub log_start_offset: i64,
    /// True when the batch was a retry of one already stored (idempotent producer): nothing was
    /// written and `base_offset` is where the original landed.
    pub duplicate: bool,
}

/// Whole stored batches, read from a partition.
#[derive(Debug, Clone)]
pub struct ReadResult {
    /// Whole batches, starting with the batch that contains the requested offset. Empty when the
    /// requested offset is the log end offset.
    pub records: Bytes,
    pub high_watermark: i64,
    /// The last stable offset when the read began (at most `high_watermark`).
    pub last_stable_offset: i64,
    pub log_start_offset: i64,
}

/// What a retention pass deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetentionOutcome {
    pub segments_deleted: usize,
    pub bytes_deleted: u64,
    pub log_start_offset: i64,
}

/// State owned by the appender.
#[derive(Debug)]
struct Appender {
    producers: ProducerStateMap,
}

#[derive(Debug, Default)]
struct SyncState {
    /// Every append numbered at or below this is on stable storage.
    synced_seq: u64,
    /// An fsync is running; others wait for it rather than issuing their own.
    in_progress: bool,
}

/// Snapshots kept beside the log: the newest covers everything; one older in case it is damaged.
const SNAPSHOTS_KEPT: usize = 2;

/// One partition's log. `Send + Sync`: appends are serialized by an internal lock, reads and
/// offset queries run concurrently with them and see only fully written batches.
#[derive(Debug)]
pub struct Partition {
    dir: PathBuf,
    config: RwLock<LogConfig>,
    /// Oldest first; the last is the active segment. Replaced whole on roll and retention.
    segments: RwLock<Arc<Vec<Arc<Segment>>>>,
    appender: Mutex<Appender>,
    log_start: AtomicI64,
    log_end: AtomicI64,
    /// Last stable offset: published after `log_end`, never above it, never decreasing.
    last_stable: AtomicI64,
    /// Number of appends written so far (their bytes are in the page cache).
    written_seq: AtomicU64,
    sync_state: Mutex<SyncState>,
    sync_done: Condvar,
    /// Wall-clock ms of the oldest append not yet fsynced, -1 when everything is synced.
    unsynced_since: AtomicI64,
    /// Held by a cleaning pass; retention skips a partition being cleaned (both replace sealed
    /// segments) and catches up at the next maintenance.
    cleaning: Mutex<()>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section leaves its state consistent before anything that can panic, so a
    // poisoned lock is still safe to use.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The first record of a stored batch whose timestamp is >= `timestamp`.
fn first_record_at_or_after(batch: &[u8], h: &BatchHeader, timestamp: i64) -> Result<Option<(i64, i64)>> {
    if h.has_log_append_time() {
        // Every record carries the batch's append time.
        return Ok((h.max_timestamp >= timestamp).then_some((h.base_offset, h.max_timestamp)));
    }
    let records = batch.get(HEADER_LEN..).unwrap_or_default();
    let decompressed;
    let records = if h.compression() == 0 {
        records
    } else {
        decompressed = compression::decompress(h.compression(), records)?;
        &decompressed[..]
    };
    for record in batch::RecordWalker::new(records) {
        let record = record?;
        let record_timestamp = h.base_timestamp.saturating_add(record.timestamp_delta);
        if record_timestamp >= timestamp {
            return Ok(Some((
                h.base_offset + i64::from(record.offset_delta),
                record_timestamp,
            )));
        }
    }
    Ok(None)
}

impl Partition {
    /// Opens (creating if needed) the partition in `dir`, recovering it: CRCs of the tail batches
    /// are validated, a torn or corrupt tail is truncated, missing or corrupt indexes are rebuilt,
    /// idempotent producer state is rebuilt.
    ///
    /// A partition opened on its own knows nothing of how the store was shut down, so it
    /// recovers as after a crash: the newest sealed segments' CRCs are checked too (up to
    /// `recovery_check_sealed_bytes`), and any damaged tail is moved to a quarantine file.
    pub fn open(dir: &Path, config: LogConfig) -> Result<Partition> {
        Self::open_recovering(dir, config, false)
    }

    /// [`open`](Self::open); `clean_shutdown` (the store found its clean-shutdown marker) skips
    /// the CRC check of sealed segments whose indexes load.
    pub(crate) fn open_recovering(dir: &Path, config: LogConfig, clean_shutdown: bool) -> Result<Partition> {
        std::fs::create_dir_all(dir).map_err(io_error(dir))?;
        let recovered = recovery::recover(dir, &config, now_ms(), clean_shutdown)?;
        let log_start = recovered.segments.first().map_or(0, |s| s.base_offset);
        let log_end = recovered
            .segments
            .last()
            .map_or(0, |s| s.next_offset.load(Ordering::Acquire));
        // Sealed segments give their descriptors back to the process-wide pool (`open_files`).
        if let Some((_, sealed)) = recovered.segments.split_last() {
            for segment in sealed {
                segment.file.unpin();
            }
        }
        let last_stable = recovered
            .producers
            .first_unstable_offset()
            .unwrap_or(log_end)
            .min(log_end);
        Ok(Partition {
            dir: dir.to_path_buf(),
            config: RwLock::new(config),
            segments: RwLock::new(Arc::new(recovered.segments)),
            appender: Mutex::new(Appender {
                producers: recovered.producers,
            }),
            log_start: AtomicI64::new(log_start),
            log_end: AtomicI64::new(log_end),
            last_stable: AtomicI64::new(last_stable),
            written_seq: AtomicU64::new(0),
            sync_state: Mutex::new(SyncState::default()),
            sync_done: Condvar::new(),
            unsynced_since: AtomicI64::new(-1),
            cleaning: Mutex::new(()),
        })
    }

    /// The partition's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn segments(&self) -> Arc<Vec<Arc<Segment>>> {
        Arc::clone(&self.segments.read().unwrap_or_else(PoisonError::into_inner))
    }

    fn active(&self) -> Arc<Segment> {
        let segments = self.segments.read().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(segments.last().expect("a partition always has an active segment"))
    }

    /// Appends the v2 batches in `records` (as received in a Produce request), assigning offsets.
    /// The batches are validated first (magic, sizes, CRC, `max.message.bytes`, every record
    /// inside them, idempotent producer sequence and epoch); on any error nothing is written.
    /// Returns once the data is readable (and, with [`Durability::Sync`] or
    /// `FlushPolicy::Always`, on stable storage).
    pub fn append(&self, records: &[u8], durability: Durability) -> Result<AppendOutcome> {
        self.append_at(records, durability, now_ms())
    }

    /// [`append`](Self::append) with the broker's clock reading `now_ms` (ms since the epoch),
    /// used for LogAppendTime, `segment.ms` and the flush interval.
    pub fn append_at(&self, records: &[u8], durability: Durability, now_ms: i64) -> Result<AppendOutcome> {
        if records.is_empty() {
            return Err(Error::CorruptBatch("no record batches to append".to_string()));
        }
        // One CRC pass over the data and one walk over the records, outside the append lock.
        let batches = batch::validate_all(records)?;
        let config = self.config();
        for b in &batches {
            let h = &b.header;
            if h.is_control() {
                return Err(Error::CorruptBatch(
                    "control batches are written by the transaction coordinator only".to_string(),
                ));
            }
            if h.total_len() > config.max_message_bytes {
                return Err(Error::BatchTooLarge {
                    size: h.total_len(),
                    max: config.max_message_bytes,
                });
            }
            // Every record, as Kafka's LogValidator checks them: after the size check, so an
            // oversized compressed batch is never decompressed.
            records::validate_produced(
                h,
                &records[b.position..b.position + h.total_len()],
                config.cleanup_compact,
            )?;
        }
        let log_append_time = config.timestamp_type == TimestampType::LogAppendTime;
        let (outcome, seq) = {
            let mut appender = lock(&self.appender);
            match self.append_locked(&mut appender, records, &batches, &config, log_append_time, now_ms)? {
                Appended::Duplicate(outcome) => return Ok(outcome),
                Appended::Written(outcome, seq) => (outcome, seq),
            }
        };
        if durability == Durability::Sync || config.flush == FlushPolicy::Always {
            self.sync_through(seq)?;
        }
        Ok(outcome)
    }

    /// Writes a transaction marker (Kafka's `EndTransactionMarker` control batch) for
    /// `producer_id` and ends its ongoing transaction on this partition: a commit makes the
    /// transaction's records stable, an abort also lists it in the aborted-transaction index.
    /// A marker from an epoch older than the producer's current one is refused
    /// (`InvalidProducerEpoch`). A marker without an ongoing transaction is written all the same
    /// and changes nothing, so the coordinator may repeat markers after a crash. Returns the
    /// marker's offset once it is fsynced.
    pub fn append_control(
        &self,
        producer_id: i64,
        producer_epoch: i16,
        commit: bool,
        coordinator_epoch: i32,
    ) -> Result<i64> {
        let now = now_ms();
        let marker = if commit {
            MarkerType::Commit
        } else {
            MarkerType::Abort
        };
        let bytes = control::encode_marker(producer_id, producer_epoch, marker, coordinator_epoch, now);
        let batches = batch::validate_all(&bytes)?;
        let config = self.config();
        let (offset, seq) = {
            let mut appender = lock(&self.appender);
            match self.append_locked(&mut appender, &bytes, &batches, &config, false, now)? {
                Appended::Written(outcome, seq) => (outcome.base_offset, seq),
                Appended::Duplicate(_) => {
                    return Err(Error::CorruptBatch(
                        "a transaction marker was taken for a duplicate".to_string(),
                    ));
                }
            }
        };
        self.sync_through(seq)?;
        Ok(offset)
    }

    fn append_locked(
        &self,
        appender: &mut Appender,
        records: &[u8],
        batches: &[ValidatedBatch],
        config: &LogConfig,
        log_append_time: bool,
        now_ms: i64,
    ) -> Result<Appended> {
        let log_end = self.log_end.load(Ordering::Acquire);
        // Check producer sequences against a staged copy, so a failure leaves no trace.
        let mut staged = ProducerStateMap::default();
        let mut next = log_end;
        let mut aborted: Vec<AbortedTxn> = Vec::new();
        for b in batches {
            let pid = b.header.producer_id;
            if pid >= 0
                && !staged.producers.contains_key(&pid)
                && let Some(entry) = appender.producers.producers.get(&pid)
            {
                staged.producers.insert(pid, entry.clone());
            }
            if let SequenceCheck::Duplicate(original) = staged.check(&b.header)? {
                return Ok(Appended::Duplicate(AppendOutcome {
                    base_offset: original.first_offset,
                    last_offset: original.last_offset,
                    log_append_time: -1,
                    log_start_offset: self.log_start_offset(),
                    duplicate: true,
                }));
            }
            let mut assigned = b.header;
            assigned.base_offset = next;
            let ended = staged.record(&assigned);
            if assigned.is_control() {
                let bytes = &records[b.position..b.position + b.header.total_len()];
                let (marker, _) = control::parse_marker(bytes)?;
                if let (MarkerType::Abort, Some(first_offset)) = (marker, ended) {
                    aborted.push(AbortedTxn {
                        producer_id: pid,
                        first_offset,
                        last_offset: next,
                        last_stable_offset: -1, // known once the state is merged
                    });
                }
            }
            next = assigned.last_offset() + 1;
        }
        let span = next - log_end;
        let len = records.len() as u64;

        let mut active = self.active();
        let size = active.size();
        let roll_base = active.roll_base_ms.load(Ordering::Acquire);
        let too_big = size + len > config.segment_bytes || size + len > u64::from(u32::MAX);
        let too_old = roll_base >= 0 && now_ms.saturating_sub(roll_base) >= config.segment_ms as i64;
        let offsets_overflow = next - active.base_offset > i64::from(i32::MAX);
        if size > 0 && (too_big || too_old || offsets_overflow) {
            active = self.roll(appender)?;
        }
        debug_assert!(span > 0);

        // The producer's bytes are written as they are; only the base offset (and, for
        // LogAppendTime, the header) comes from separate buffers.
        let mut offset_fields: Vec<[u8; 8]> = Vec::with_capacity(batches.len());
        let mut headers: Vec<[u8; HEADER_LEN]> = Vec::new();
        let mut offset = log_end;
        for b in batches {
            offset_fields.push(offset.to_be_bytes());
            if log_append_time {
                let start = b.position;
                let mut header = [0u8; HEADER_LEN];
                header.copy_from_slice(&records[start..start + HEADER_LEN]);
                header[..8].copy_from_slice(&offset.to_be_bytes());
                let body = &records[start + HEADER_LEN..start + b.header.total_len()];
                batch::set_log_append_time(&mut header, body, now_ms);
                headers.push(header);
            }
            offset += i64::from(b.header.last_offset_delta) + 1;
        }
        let mut slices: Vec<IoSlice<'_>> = Vec::with_capacity(batches.len() * 2);
        for (i, b) in batches.iter().enumerate() {
            let bytes = &records[b.position..b.position + b.header.total_len()];
            if log_append_time {
                slices.push(IoSlice::new(&headers[i]));
                slices.push(IoSlice::new(&bytes[HEADER_LEN..]));
            } else {
                slices.push(IoSlice::new(&offset_fields[i]));
                slices.push(IoSlice::new(&bytes[8..]));
            }
        }
        let start = active.size();
        let file = active.handle()?;
        if let Err(source) = write_all_vectored(&file, &mut slices) {
            // Leave no partial batch behind (e.g. on a full disk).
            if let Err(undo) = active.truncate(start) {
                tracing::error!(%undo, "cannot remove a partially written append");
            }
            return Err(Error::Io {
                path: active.log_path.clone(),
                source,
            });
        }

        {
            let mut index = active.index_mut();
            let mut position = start;
            let mut offset = log_end;
            for b in batches {
                let h = &b.header;
                let max_timestamp = if log_append_time { now_ms } else { h.max_timestamp };
                let relative = (offset - active.base_offset) as u32;
                index.on_batch(
                    relative,
                    position as u32,
                    h.total_len() as u64,
                    max_timestamp,
                    config.index_interval_bytes,
                );
                position += h.total_len() as u64;
                offset += i64::from(h.last_offset_delta) + 1;
            }
        }
        if active.roll_base_ms.load(Ordering::Acquire) < 0 {
            active.roll_base_ms.store(now_ms, Ordering::Release);
        }
        active.next_offset.store(next, Ordering::Release);
        appender.producers.merge(staged);
        let last_stable = appender.producers.first_unstable_offset().unwrap_or(next);
        if !aborted.is_empty() {
            for entry in &mut aborted {
                entry.last_stable_offset = last_stable;
            }
            active.aborted_mut().extend(aborted);
        }
        // Publish: readers see the new batches only after they are completely written, and the
        // LSO never runs ahead of the log end.
        active.size.store(start + len, Ordering::Release);
        self.log_end.store(next, Ordering::Release);
        self.last_stable.store(last_stable, Ordering::Release);

        let seq = self.written_seq.fetch_add(1, Ordering::AcqRel) + 1;
        let _ = self
            .unsynced_since
            .compare_exchange(-1, now_ms, Ordering::AcqRel, Ordering::Acquire);
        Ok(Appended::Written(
            AppendOutcome {
                base_offset: log_end,
                last_offset: next - 1,
                log_append_time: if log_append_time { now_ms } else { -1 },
                log_start_offset: self.log_start_offset(),
                duplicate: false,
            },
            seq,
        ))
    }

    /// Seals the active segment (indexes written, everything fsynced, producer snapshot taken)
    /// and starts a new one at the log end offset.
    fn roll(&self, appender: &Appender) -> Result<Arc<Segment>> {
        let old = self.active();
        old.index_mut().finish();
        old.write_index_files()?;
        old.write_txn_index_file()?;
        old.handle()?.sync_data().map_err(io_error(&old.log_path))?;
        old.file.unpin();
        let log_end = self.log_end.load(Ordering::Acquire);
        crate::segment::write_file_atomically(
            &file_path(&self.dir, log_end, SNAPSHOT_SUFFIX),
            &appender.producers.encode_snapshot(log_end),
        )?;
        let segment = Segment::open_file(&self.dir, log_end, true)?;
        segment.next_offset.store(log_end, Ordering::Release);
        sync_dir(&self.dir)?;
        let segment = Arc::new(segment);
        {
            let mut segments = self.segments.write().unwrap_or_else(PoisonError::into_inner);
            let mut list: Vec<Arc<Segment>> = segments.as_ref().clone();
            list.push(Arc::clone(&segment));
            *segments = Arc::new(list);
        }
        self.prune_snapshots();
        tracing::debug!(dir = %self.dir.display(), base_offset = log_end, "rolled segment");
        Ok(segment)
    }

    fn prune_snapshots(&self) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        let mut snapshots: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == SNAPSHOT_SUFFIX))
            .collect();
        snapshots.sort();
        let excess = snapshots.len().saturating_sub(SNAPSHOTS_KEPT);
        for path in &snapshots[..excess] {
            if let Err(e) = std::fs::remove_file(path) {
                tracing::warn!(path = %path.display(), %e, "cannot remove old producer snapshot");
            }
        }
    }

    /// Whole batches starting with the one containing `offset`, at most `max_bytes` unless the
    /// first batch alone is larger (it is then returned whole, as Kafka does).
    pub fn read(&self, offset: i64, max_bytes: usize) -> Result<ReadResult> {
        // Loaded before the log end, so it is at most the log end read below.
        let last_stable = self.last_stable_offset();
        let log_end = self.log_end.load(Ordering::Acquire);
        let log_start = self.log_start_offset();
        let out_of_range = || Error::OffsetOutOfRange {
            offset,
            log_start,
            log_end,
        };
        if offset < log_start || offset > log_end {
            return Err(out_of_range());
        }
        let empty = |records: Bytes| ReadResult {
            records,
            high_watermark: log_end,
            last_stable_offset: last_stable,
            log_start_offset: log_start,
        };
        if offset == log_end {
            return Ok(empty(Bytes::new()));
        }
        let segments = self.segments();
        let first = segments.partition_point(|s| s.base_offset <= offset);
        if first == 0 {
            // Retention moved the log start after the range check.
            return Err(out_of_range());
        }
        // Cleaned segments hold fillers and empty batches: no records, not control. A response
        // of only those reads to librdkafka as a fetch size too small (it doubles the size and,
        // the tenth time for a partition, fails the consumer with MSG_SIZE_TOO_LARGE), so reading
        // goes on past them to the first batch a client counts, or to the end of the data.
        let mut out: Vec<u8> = Vec::new();
        let mut from = offset;
        let mut index = first - 1;
        while let Some(segment) = segments.get(index) {
            let end = segment.size();
            let Some((position, header)) = segment.find_batch(from, end)? else {
                index += 1;
                continue;
            };
            let first_len = header.total_len();
            let available = (end - position) as usize;
            let len = max_bytes.saturating_sub(out.len()).min(available).max(first_len);
            let mut buf = segment.read_vec(position, len)?;
            buf.truncate(whole_batches_len(&buf, first_len));
            let scanned = scan_for_records(&buf);
            if out.is_empty() {
                out = buf;
            } else {
                out.extend_from_slice(&buf);
            }
            match scanned {
                Scanned::HasRecords => break,
                Scanned::RecordLess { next_offset } => from = next_offset,
            }
        }
        Ok(empty(Bytes::from(out)))
    }

    /// [`read`](Self::read) for a read_committed consumer: only batches below the last stable
    /// offset (which is always at a batch boundary). Empty when `offset` is at or past the LSO.
    pub fn read_committed(&self, offset: i64, max_bytes: usize) -> Result<ReadResult> {
        let mut result = self.read(offset, max_bytes)?;
        let stable_len = batches_below(&result.records, result.last_stable_offset);
        result.records.truncate(stable_len);
        Ok(result)
    }

    /// Producer id and first offset of every aborted transaction with records in
    /// `[from_offset, to_offset)`, ordered by abort marker: what a read_committed Fetch returns so
    /// the consumer can drop those records.
    pub fn aborted_transactions(&self, from_offset: i64, to_offset: i64) -> Vec<(i64, i64)> {
        let segments = self.segments();
        // An entry lives in the segment of its marker, which is at or after `from_offset`.
        let first = segments
            .partition_point(|s| s.base_offset <= from_offset)
            .saturating_sub(1);
        let mut out = Vec::new();
        for segment in &segments[first..] {
            out.extend(
                segment
                    .aborted()
                    .iter()
                    .filter(|e| e.overlaps(from_offset, to_offset))
                    .map(|e| (e.producer_id, e.first_offset)),
            );
        }
        out
    }

    /// Offsets below this are in no ongoing transaction: the first offset of the oldest ongoing
    /// transaction, or the high watermark.
    pub fn last_stable_offset(&self) -> i64 {
        self.last_stable.load(Ordering::Acquire)
    }

    /// First offset of `producer_id`'s ongoing transaction on this partition.
    pub fn ongoing_transaction(&self, producer_id: i64) -> Option<i64> {
        lock(&self.appender).producers.ongoing_transaction(producer_id)
    }

    /// Every producer this partition tracks, by producer id (Kafka's DescribeProducers: how an
    /// operator finds the producer of a transaction that holds the last stable offset back).
    pub fn producers(&self) -> Vec<ProducerView> {
        let appender = lock(&self.appender);
        let mut out: Vec<ProducerView> = appender
            .producers
            .producers
            .iter()
            .map(|(&producer_id, e)| ProducerView {
                producer_id,
                epoch: e.epoch,
                last_sequence: e.batches.back().map_or(-1, |b| b.last_seq),
                current_txn_start_offset: e.txn_first_offset,
                last_timestamp: e.last_timestamp,
            })
            .collect();
        out.sort_by_key(|p| p.producer_id);
        out
    }

    /// Forgets the idempotence state of producers without an ongoing transaction here whose
    /// last batch is `expiration_ms` old (Kafka's `producer.id.expiration.ms`); returns how many.
    pub fn remove_expired_producers(&self, now_ms: i64, expiration_ms: i64) -> usize {
        lock(&self.appender)
            .producers
            .remove_expired(now_ms, expiration_ms)
    }

    /// Offset and timestamp of the first record whose timestamp is >= `timestamp`, or `None`
    /// when every record is older.
    pub fn offset_for_timestamp(&self, timestamp: i64) -> Result<Option<(i64, i64)>> {
        let log_start = self.log_start_offset();
        for segment in self.segments().iter() {
            let end = segment.size();
            let position = {
                let index = segment.index();
                if index.max_timestamp < timestamp {
                    continue;
                }
                index.position_for(index.batch_before_timestamp(timestamp))
            };
            let mut position = u64::from(position);
            while position < end {
                let header = segment.header_at(position, end)?;
                if header.max_timestamp >= timestamp && header.last_offset() >= log_start {
                    let bytes = segment.read_vec(position, header.total_len())?;
                    if let Some(found) = first_record_at_or_after(&bytes, &header, timestamp)?
                        && found.0 >= log_start
                    {
                        return Ok(Some(found));
                    }
                }
                position += header.total_len() as u64;
            }
        }
        Ok(None)
    }

    pub fn log_start_offset(&self) -> i64 {
        self.log_start.load(Ordering::Acquire)
    }
    /// Offset the next appended record gets.
    pub fn log_end_offset(&self) -> i64 {
        self.log_end.load(Ordering::Acquire)
    }
    /// Offsets below this are readable by consumers.
    pub fn high_watermark(&self) -> i64 {
        self.log_end_offset()
    }
    /// Bytes on disk over all segments.
    pub fn size_bytes(&self) -> u64 {
        self.segments().iter().map(|s| s.size()).sum()
    }
    /// Number of segments, the active one included.
    pub fn segment_count(&self) -> usize {
        self.segments().len()
    }
    /// Base offsets of the segments, oldest first.
    pub fn segment_base_offsets(&self) -> Vec<i64> {
        self.segments().iter().map(|s| s.base_offset).collect()
    }
    /// Largest record timestamp seen and its offset (-1, -1 when empty): ListOffsets MAX_TIMESTAMP.
    ///
    /// The offset is that of the first record carrying the largest timestamp; if that record
    /// cannot be read back, the last offset of its batch.
    pub fn max_timestamp(&self) -> (i64, i64) {
        let segments = self.segments();
        let mut best: Option<(i64, &Arc<Segment>, u32)> = None;
        for segment in segments.iter() {
            let index = segment.index();
            if index.max_timestamp >= 0 && best.is_none_or(|(ts, _, _)| index.max_timestamp > ts) {
                best = Some((index.max_timestamp, segment, index.max_timestamp_batch));
            }
        }
        let Some((timestamp, segment, relative)) = best else {
            return (-1, -1);
        };
        let batch_offset = segment.base_offset + i64::from(relative);
        let exact = segment
            .find_batch(batch_offset, segment.size())
            .ok()
            .flatten()
            .and_then(|(pos, h)| {
                let bytes = segment.read_vec(pos, h.total_len()).ok()?;
                first_record_at_or_after(&bytes, &h, timestamp)
                    .ok()
                    .flatten()
                    .or(Some((h.last_offset(), timestamp)))
            });
        exact.map_or((timestamp, batch_offset), |(offset, _)| (timestamp, offset))
    }

    /// The current epoch of an idempotent producer, if the partition has seen it.
    pub fn producer_epoch(&self, producer_id: i64) -> Option<i16> {
        lock(&self.appender).producers.epoch(producer_id)
    }

    /// The next sequence number expected from an idempotent producer, if the partition has seen
    /// it (and it has batches in its current epoch).
    pub fn producer_next_sequence(&self, producer_id: i64) -> Option<i32> {
        let appender = lock(&self.appender);
        let entry: &ProducerEntry = appender.producers.producers.get(&producer_id)?;
        entry
            .batches
            .back()
            .map(|b| batch::increment_sequence(b.last_seq, 1))
    }

    /// fsyncs everything appended so far (group commit: concurrent callers share one fsync).
    pub fn sync(&self) -> Result<()> {
        self.sync_through(self.written_seq.load(Ordering::Acquire))
    }

    /// Waits until append number `seq` is on stable storage, issuing an fsync unless one that
    /// covers it is already running.
    fn sync_through(&self, seq: u64) -> Result<()> {
        let mut state = lock(&self.sync_state);
        loop {
            if state.synced_seq >= seq {
                return Ok(());
            }
            if state.in_progress {
                state = self.sync_done.wait(state).unwrap_or_else(PoisonError::into_inner);
                continue;
            }
            state.in_progress = true;
            drop(state);
            // Appends numbered up to `target` are in the file; earlier segments were fsynced
            // when they were rolled, so syncing the active segment covers them all.
            let target = self.written_seq.load(Ordering::Acquire);
            let active = self.active();
            let result = active
                .handle()
                .and_then(|f| f.sync_data().map_err(io_error(&active.log_path)));
            if result.is_ok() {
                let _appender = lock(&self.appender);
                if self.written_seq.load(Ordering::Acquire) == target {
                    self.unsynced_since.store(-1, Ordering::Release);
                }
            }
            state = lock(&self.sync_state);
            state.in_progress = false;
            if result.is_ok() {
                state.synced_seq = state.synced_seq.max(target);
            }
            self.sync_done.notify_all();
            result?;
        }
    }

    /// Whether there is appended data not yet fsynced, and since when (ms since epoch).
    pub fn unsynced_since(&self) -> Option<i64> {
        let since = self.unsynced_since.load(Ordering::Acquire);
        (since >= 0).then_some(since)
    }

    /// Deletes whole segments past `retention.ms` / `retention.bytes` (never the active one)
    /// when `cleanup.policy` includes `delete`. A partition being cleaned is skipped (the next
    /// call catches up).
    pub fn apply_retention(&self, now_ms: i64) -> Result<RetentionOutcome> {
        let config = self.config();
        let skipped = || RetentionOutcome {
            log_start_offset: self.log_start_offset(),
            ..Default::default()
        };
        if !config.cleanup_delete {
            return Ok(skipped());
        }
        let _cleaning = match self.cleaning.try_lock() {
            Ok(guard) => guard,
            Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return Ok(skipped()),
        };
        let _appender = lock(&self.appender);
        let segments = self.segments();
        let sealed = &segments[..segments.len() - 1];
        let mut delete = 0;
        if let Some(retention_ms) = config.retention_ms {
            let retention_ms = i64::try_from(retention_ms).unwrap_or(i64::MAX);
            while delete < sealed.len()
                && now_ms.saturating_sub(sealed[delete].largest_timestamp()) > retention_ms
            {
                delete += 1;
            }
        }
        if let Some(retention_bytes) = config.retention_bytes {
            let mut size: u64 = segments[delete..].iter().map(|s| s.size()).sum();
            while delete < sealed.len() && size - sealed[delete].size() >= retention_bytes {
                size -= sealed[delete].size();
                delete += 1;
            }
        }
        if delete == 0 {
            return Ok(RetentionOutcome {
                log_start_offset: self.log_start_offset(),
                ..Default::default()
            });
        }
        let remaining: Vec<Arc<Segment>> = segments[delete..].to_vec();
        let new_start = remaining[0].base_offset.max(self.log_start_offset());
        *self.segments.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(remaining);
        self.log_start.store(new_start, Ordering::Release);
        let mut bytes_deleted = 0;
        for segment in &segments[..delete] {
            bytes_deleted += segment.size();
            segment.delete_files()?;
        }
        tracing::info!(dir = %self.dir.display(), segments = delete, bytes_deleted, log_start = new_start, "retention deleted segments");
        Ok(RetentionOutcome {
            segments_deleted: delete,
            bytes_deleted,
            log_start_offset: new_start,
        })
    }

    pub fn config(&self) -> LogConfig {
        self.config.read().unwrap_or_else(PoisonError::into_inner).clone()
    }
    pub fn set_config(&self, config: LogConfig) {
        *self.config.write().unwrap_or_else(PoisonError::into_inner) = config;
    }
}

/// Length of the leading batches of `buf` (whole stored batches) whose base offset is below
/// `limit`.
/// What [`scan_for_records`] found in whole batches.
enum Scanned {
    /// A batch with records or a control batch: what a client counts as progress.
    HasRecords,
    /// Only batches without records (fillers, empty batches); the offset after the last one.
    RecordLess { next_offset: i64 },
}

/// Whether whole batches `buf` hold a batch with records or a control batch.
fn scan_for_records(buf: &[u8]) -> Scanned {
    let mut at = 0;
    let mut next_offset = i64::MIN;
    while let Some(rest) = buf.get(at..)
        && let Ok(header) = BatchHeader::parse(rest)
    {
        if header.record_count > 0 || header.is_control() {
            return Scanned::HasRecords;
        }
        next_offset = header.last_offset() + 1;
        at += header.total_len();
    }
    if next_offset == i64::MIN {
        // Nothing parsed: stop rather than loop (the reader returns what it has).
        Scanned::HasRecords
    } else {
        Scanned::RecordLess { next_offset }
    }
}

fn batches_below(buf: &[u8], limit: i64) -> usize {
    let mut cut = 0;
    while let Some(header) = buf.get(cut..cut + crate::batch::LOG_OVERHEAD) {
        let mut base = [0u8; 8];
        base.copy_from_slice(&header[..8]);
        let len = i32::from_be_bytes([header[8], header[9], header[10], header[11]]);
        let Ok(len) = usize::try_from(len) else { break };
        if i64::from_be_bytes(base) >= limit || cut + crate::batch::LOG_OVERHEAD + len > buf.len() {
            break;
        }
        cut += crate::batch::LOG_OVERHEAD + len;
    }
    cut
}

enum Appended {
    Duplicate(AppendOutcome),
    Written(AppendOutcome, u64),
}

// Callers rely on sharing partitions across threads.
const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Partition>();
};
