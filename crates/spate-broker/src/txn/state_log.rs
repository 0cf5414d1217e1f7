//! The coordinator's durable state: one append-only log of [`TxnMetadata`] records for every
//! transactional id, `<data>/broker/transactions/state.log`. The last record of an id is its
//! state.
//!
//! Why a log: a state change is one `write` and (when it must be durable before the reply) one
//! `fdatasync` of a file that already exists, instead of a temp file, an fsync, a rename and a
//! directory fsync. Concurrent changes of different ids share fsyncs (group commit: whoever
//! syncs covers everything written before it started).
//!
//! Record frame (big-endian):
//!
//! ```text
//! length u32 (of the payload) | crc32c u32 over (length bytes ‖ payload) | payload
//! ```
//!
//! where the payload is [`TxnMetadata::encode`], or a removal record ([`tombstone`]) for an
//! expired id, after which the id has no state. A crash can leave a torn last record (its
//! bytes were never fsynced, so it was never acknowledged): on open, the first frame that is
//! incomplete or fails its checksum ends the log and the file is truncated there, as Kafka's log
//! recovery truncates at the first invalid batch. A frame whose checksum holds but whose payload
//! does not decode is not a torn write: opening fails (`CorruptState`) rather than forget a
//! producer epoch.
//!
//! The log is compacted when it is both larger than `compact_min_bytes` and four times its live
//! records: the live records are written to a new file, fsynced, renamed over the log, and the
//! directory fsynced (the only directory fsync, amortized over many changes).
//!
//! After a failed write or fsync the log refuses every further change (the page cache may have
//! lost data the file now claims): the coordinator answers `KAFKA_STORAGE_ERROR` until restart.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::metadata::TxnMetadata;
use super::tombstone;
use crate::{Error, Result};

pub(crate) const LOG_FILE: &str = "state.log";
const FRAME_HEADER: usize = 8;
/// Default threshold below which the log is never compacted.
pub(crate) const DEFAULT_COMPACT_MIN_BYTES: u64 = 4 << 20;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every field is updated only after the I/O it describes succeeded.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One record frame around `payload`.
pub(crate) fn encode_frame(payload: &[u8]) -> Vec<u8> {
    let len = u32::try_from(payload.len()).unwrap_or(u32::MAX);
    let mut out = Vec::with_capacity(FRAME_HEADER + payload.len());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(payload);
    let crc = crc32c::crc32c_append(crc32c::crc32c(&out[..4]), &out[FRAME_HEADER..]);
    out[4..8].copy_from_slice(&crc.to_be_bytes());
    out
}

/// The payloads of the intact frames at the start of `bytes`, and how many bytes they span
/// (the rest is a torn tail).
pub(crate) fn decode_frames(bytes: &[u8]) -> (Vec<&[u8]>, usize) {
    let mut payloads = Vec::new();
    let mut at = 0;
    while let Some(header) = bytes.get(at..at + FRAME_HEADER) {
        let len = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let crc = u32::from_be_bytes([header[4], header[5], header[6], header[7]]);
        let Some(payload) = bytes.get(at + FRAME_HEADER..).and_then(|rest| rest.get(..len)) else {
            break;
        };
        if crc32c::crc32c_append(crc32c::crc32c(&header[..4]), payload) != crc {
            break;
        }
        payloads.push(payload);
        at += FRAME_HEADER + len;
    }
    (payloads, at)
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

#[derive(Debug)]
struct Writer {
    file: File,
    /// Bytes in the current file.
    file_len: u64,
    /// Bytes ever appended (across compactions): the position durability is tracked in.
    appended: u64,
    /// Each id's last frame, for compaction.
    latest: HashMap<String, Vec<u8>>,
    live_bytes: u64,
    failed: bool,
}

#[derive(Debug)]
pub(crate) struct StateLog {
    dir: PathBuf,
    path: PathBuf,
    compact_min_bytes: u64,
    writer: Mutex<Writer>,
    /// Bytes (in `appended` terms) known to be on stable storage; held while an fsync runs so
    /// that callers queue behind it and usually find their bytes covered.
    synced: Mutex<u64>,
}

impl StateLog {
    /// Opens (creating) the log in `dir`, truncating a torn tail; returns it with every id's
    /// last state.
    pub(crate) fn open(dir: &Path, compact_min_bytes: u64) -> Result<(StateLog, Vec<TxnMetadata>)> {
        fs::create_dir_all(dir).map_err(io_err(dir))?;
        let path = dir.join(LOG_FILE);
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(io_err(&path)(e)),
        };
        let (payloads, valid_len) = decode_frames(&bytes);
        let mut latest: HashMap<String, Vec<u8>> = HashMap::new();
        let mut states: HashMap<String, TxnMetadata> = HashMap::new();
        let corrupt = |reason| Error::CorruptState {
            path: path.clone(),
            reason,
        };
        for payload in payloads {
            if tombstone::is_tombstone(payload) {
                let id = tombstone::decode(payload).map_err(corrupt)?;
                // Still a frame of the file until compaction rewrites it without the id.
                latest.remove(&id);
                states.remove(&id);
                continue;
            }
            let m = TxnMetadata::decode(payload).map_err(corrupt)?;
            latest.insert(m.transactional_id.clone(), encode_frame(payload));
            states.insert(m.transactional_id.clone(), m);
        }
        let file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(&path)
            .map_err(io_err(&path))?;
        if valid_len < bytes.len() {
            tracing::warn!(
                path = %path.display(),
                "dropping a torn tail of {} bytes (never acknowledged)",
                bytes.len() - valid_len
            );
            file.set_len(valid_len as u64).map_err(io_err(&path))?;
            file.sync_all().map_err(io_err(&path))?;
        }
        let live_bytes = latest.values().map(|f| f.len() as u64).sum();
        let log = StateLog {
            dir: dir.to_path_buf(),
            path,
            compact_min_bytes,
            writer: Mutex::new(Writer {
                file,
                file_len: valid_len as u64,
                appended: valid_len as u64,
                latest,
                live_bytes,
                failed: false,
            }),
            synced: Mutex::new(valid_len as u64),
        };
        Ok((log, states.into_values().collect()))
    }

    /// Appends `m` as its id's new state; when `durable`, returns only once it is on stable
    /// storage. A non-durable record is made durable by the next durable one (or compaction).
    pub(crate) fn append(&self, m: &TxnMetadata, durable: bool) -> Result<()> {
        self.write(&m.transactional_id, encode_frame(&m.encode()), true, durable)
    }

    /// Records that `transactional_id` no longer exists; when `durable`, returns only once that
    /// is on stable storage.
    pub(crate) fn append_removal(&self, transactional_id: &str, durable: bool) -> Result<()> {
        self.write(
            transactional_id,
            encode_frame(&tombstone::encode(transactional_id)),
            false,
            durable,
        )
    }

    /// Appends `frame` for `id`; it becomes the id's live record when `live`, otherwise the id
    /// has none left (compaction then keeps nothing of it).
    fn write(&self, id: &str, frame: Vec<u8>, live: bool, durable: bool) -> Result<()> {
        let end = {
            let mut w = lock(&self.writer);
            if w.failed {
                return Err(self.failed_error());
            }
            if let Err(e) = w.file.write_all(&frame) {
                w.failed = true;
                return Err(io_err(&self.path)(e));
            }
            w.file_len += frame.len() as u64;
            w.appended += frame.len() as u64;
            let size = frame.len() as u64;
            let old = if live {
                w.live_bytes += size;
                w.latest.insert(id.to_string(), frame)
            } else {
                w.latest.remove(id)
            };
            if let Some(old) = old {
                w.live_bytes -= old.len() as u64;
            }
            if w.file_len > self.compact_min_bytes && w.file_len > 4 * w.live_bytes {
                // Compaction makes everything appended so far durable.
                return self.compact(&mut w);
            }
            w.appended
        };
        if durable { self.sync_through(end) } else { Ok(()) }
    }

    fn failed_error(&self) -> Error {
        io_err(&self.path)(std::io::Error::other(
            "an earlier write or fsync failed; restart to recover",
        ))
    }

    /// Returns once the first `end` appended bytes are on stable storage.
    fn sync_through(&self, end: u64) -> Result<()> {
        let mut synced = lock(&self.synced);
        if *synced >= end {
            return Ok(());
        }
        let (file, target) = {
            let w = lock(&self.writer);
            if w.failed {
                return Err(self.failed_error());
            }
            (w.file.try_clone().map_err(io_err(&self.path))?, w.appended)
        };
        if let Err(e) = file.sync_data() {
            lock(&self.writer).failed = true;
            return Err(io_err(&self.path)(e));
        }
        *synced = target.max(*synced);
        Ok(())
    }

    /// Rewrites the log as its live records only (atomically: new file fsynced, renamed over
    /// the old one, directory fsynced).
    fn compact(&self, w: &mut Writer) -> Result<()> {
        let tmp = self.dir.join(format!("{LOG_FILE}.compacting"));
        let result = (|| {
            let mut f = File::create(&tmp).map_err(io_err(&tmp))?;
            let mut bytes = Vec::with_capacity(w.live_bytes as usize);
            for frame in w.latest.values() {
                bytes.extend_from_slice(frame);
            }
            f.write_all(&bytes).map_err(io_err(&tmp))?;
            f.sync_all().map_err(io_err(&tmp))?;
            fs::rename(&tmp, &self.path).map_err(io_err(&self.path))?;
            File::open(&self.dir)
                .and_then(|d| d.sync_all())
                .map_err(io_err(&self.dir))?;
            let file = OpenOptions::new()
                .append(true)
                .open(&self.path)
                .map_err(io_err(&self.path))?;
            Ok((file, bytes.len() as u64))
        })();
        match result {
            Ok((file, len)) => {
                w.file = file;
                w.file_len = len;
                tracing::debug!(bytes = len, "compacted the transaction state log");
                Ok(())
            }
            Err(e) => {
                // Whether the rename happened is unknown: stop writing until a restart reads
                // whichever file is there (both hold every acknowledged state).
                w.failed = true;
                Err(e)
            }
        }
    }

    /// Makes the non-durable records appended so far durable.
    pub(crate) fn sync(&self) -> Result<()> {
        let end = lock(&self.writer).appended;
        self.sync_through(end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::txn::metadata::TxnState;
    use proptest::prelude::*;

    fn state(id: &str, epoch: i16) -> TxnMetadata {
        let mut m = TxnMetadata::new(id.to_string(), 7, 60_000, 1_000);
        m.producer_epoch = epoch;
        m.state = TxnState::Ongoing;
        m.partitions.insert(("t".to_string(), epoch.into()));
        m
    }

    fn by_id(states: Vec<TxnMetadata>) -> HashMap<String, TxnMetadata> {
        states
            .into_iter()
            .map(|m| (m.transactional_id.clone(), m))
            .collect()
    }

    proptest! {
        #[test]
        fn frames_round_trip_and_cuts_end_at_a_frame_boundary(
            payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 0..6),
            cut_seed in any::<usize>(),
            flip_seed in any::<usize>(),
        ) {
            let frames: Vec<Vec<u8>> = payloads.iter().map(|p| encode_frame(p)).collect();
            let bytes: Vec<u8> = frames.concat();
            let (decoded, len) = decode_frames(&bytes);
            prop_assert_eq!(&decoded, &payloads.iter().map(Vec::as_slice).collect::<Vec<_>>());
            prop_assert_eq!(len, bytes.len());
            // Any prefix decodes to the whole frames it holds, nothing more.
            let cut = cut_seed % (bytes.len() + 1);
            let (decoded, len) = decode_frames(&bytes[..cut]);
            let mut boundary = 0;
            let mut whole = 0;
            for f in &frames {
                if boundary + f.len() > cut { break; }
                boundary += f.len();
                whole += 1;
            }
            prop_assert_eq!(decoded.len(), whole);
            prop_assert_eq!(len, boundary);
            // A flipped bit ends the log at the damaged frame.
            if !bytes.is_empty() {
                let i = flip_seed % bytes.len();
                let mut damaged = bytes.clone();
                damaged[i] ^= 0x10;
                let (decoded, len) = decode_frames(&damaged);
                prop_assert!(len <= i);
                prop_assert!(decoded.len() < frames.len());
            }
        }

        #[test]
        fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let (_, len) = decode_frames(&bytes);
            prop_assert!(len <= bytes.len());
        }
    }

    #[test]
    fn last_record_per_id_wins_and_a_torn_tail_is_truncated() {
        let dir = tempfile::tempdir().unwrap();
        let (log, states) = StateLog::open(dir.path(), DEFAULT_COMPACT_MIN_BYTES).unwrap();
        assert!(states.is_empty());
        log.append(&state("a", 0), true).unwrap();
        log.append(&state("b", 0), true).unwrap();
        log.append(&state("a", 1), false).unwrap();
        log.sync().unwrap();
        drop(log);
        let path = dir.path().join(LOG_FILE);
        let intact = fs::read(&path).unwrap();
        // A torn write: part of a frame for "a" at epoch 2.
        let torn = encode_frame(&state("a", 2).encode());
        let mut bytes = intact.clone();
        bytes.extend_from_slice(&torn[..torn.len() - 3]);
        fs::write(&path, &bytes).unwrap();

        let (log, states) = StateLog::open(dir.path(), DEFAULT_COMPACT_MIN_BYTES).unwrap();
        let states = by_id(states);
        assert_eq!(states.len(), 2);
        assert_eq!(states["a"], state("a", 1));
        assert_eq!(states["b"], state("b", 0));
        assert_eq!(fs::read(&path).unwrap(), intact, "the torn tail is cut off");
        // Appends continue after the cut and survive the next open.
        log.append(&state("b", 3), true).unwrap();
        drop(log);
        let (_, states) = StateLog::open(dir.path(), DEFAULT_COMPACT_MIN_BYTES).unwrap();
        assert_eq!(by_id(states)["b"], state("b", 3));
    }

    #[test]
    fn a_removed_id_stays_removed_until_it_is_written_again() {
        let dir = tempfile::tempdir().unwrap();
        let (log, _) = StateLog::open(dir.path(), 1024).unwrap();
        log.append(&state("gone", 0), true).unwrap();
        log.append(&state("back", 0), true).unwrap();
        log.append(&state("kept", 0), true).unwrap();
        log.append_removal("gone", false).unwrap();
        log.append_removal("back", false).unwrap();
        log.append(&state("back", 5), true).unwrap();
        drop(log);
        let (log, states) = StateLog::open(dir.path(), 1024).unwrap();
        let states = by_id(states);
        assert_eq!(states.len(), 2, "{states:?}");
        assert_eq!(states["back"], state("back", 5));
        assert_eq!(states["kept"], state("kept", 0));
        // Compaction leaves nothing of the removed id, and the rest as it was.
        for epoch in 0..100 {
            log.append(&state("kept", epoch), false).unwrap();
        }
        let size = fs::metadata(dir.path().join(LOG_FILE)).unwrap().len();
        assert!(size < 2048, "compacted: {size} bytes");
        drop(log);
        let (_, states) = StateLog::open(dir.path(), 1024).unwrap();
        let states = by_id(states);
        assert_eq!(states.len(), 2);
        assert_eq!(states["kept"], state("kept", 99));
    }

    #[test]
    fn a_damaged_removal_record_refuses_to_open() {
        let dir = tempfile::tempdir().unwrap();
        let mut removal = tombstone::encode("a");
        removal[7] ^= 1;
        fs::write(dir.path().join(LOG_FILE), encode_frame(&removal)).unwrap();
        let err = StateLog::open(dir.path(), DEFAULT_COMPACT_MIN_BYTES).unwrap_err();
        assert!(matches!(err, Error::CorruptState { .. }), "{err}");
    }

    #[test]
    fn a_checksummed_record_that_does_not_decode_refuses_to_open() {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = encode_frame(&state("a", 0).encode());
        bytes.extend_from_slice(&encode_frame(b"not a transaction state"));
        fs::write(dir.path().join(LOG_FILE), &bytes).unwrap();
        let err = StateLog::open(dir.path(), DEFAULT_COMPACT_MIN_BYTES).unwrap_err();
        assert!(matches!(err, Error::CorruptState { .. }), "{err}");
    }

    #[test]
    fn concurrent_appends_across_compactions_keep_every_ids_last_state() {
        let dir = tempfile::tempdir().unwrap();
        let (log, _) = StateLog::open(dir.path(), 2048).unwrap();
        std::thread::scope(|scope| {
            for t in 0..4 {
                let log = &log;
                scope.spawn(move || {
                    for epoch in 0..150 {
                        // Mixed durable and not, as the coordinator writes them.
                        log.append(&state(&format!("id-{t}"), epoch), epoch % 3 != 0)
                            .unwrap();
                    }
                });
            }
        });
        log.sync().unwrap();
        drop(log);
        let (_, states) = StateLog::open(dir.path(), 2048).unwrap();
        let states = by_id(states);
        assert_eq!(states.len(), 4);
        for t in 0..4 {
            let id = format!("id-{t}");
            assert_eq!(states[&id], state(&id, 149));
        }
    }

    #[test]
    fn compaction_keeps_only_the_live_records() {
        let dir = tempfile::tempdir().unwrap();
        let (log, _) = StateLog::open(dir.path(), 1024).unwrap();
        for epoch in 0..200 {
            log.append(&state("a", epoch), epoch % 2 == 0).unwrap();
            log.append(&state("b", epoch), false).unwrap();
        }
        let size = fs::metadata(dir.path().join(LOG_FILE)).unwrap().len();
        let one = encode_frame(&state("a", 199).encode()).len() as u64;
        assert!(size <= 1024 + 2 * one, "compacted: {size} bytes");
        drop(log);
        let (_, states) = StateLog::open(dir.path(), 1024).unwrap();
        let states = by_id(states);
        assert_eq!(states["a"], state("a", 199));
        assert_eq!(states["b"], state("b", 199));
        assert!(!dir.path().join(format!("{LOG_FILE}.compacting")).exists());
    }
}
