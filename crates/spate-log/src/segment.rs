//! One segment: a log file of stored batches plus its in-memory indexes.
//!
//! The log file is appended through the file cursor by the single appender; readers use
//! positional reads and see only the first [`Segment::size`] bytes, which the appender publishes
//! after a write completes.

use std::fs::{File, OpenOptions};
use std::io::{self, IoSlice, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::RwLock;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use crate::batch::{self, BatchHeader, HEADER_LEN, LOG_OVERHEAD};
use crate::index::SegmentIndex;
use crate::open_files::LazyFile;
use crate::txn_index::{self, AbortedTxn};
use crate::{Error, Result};

pub(crate) const LOG_SUFFIX: &str = "log";
pub(crate) const INDEX_SUFFIX: &str = "index";
pub(crate) const TIME_INDEX_SUFFIX: &str = "timeindex";
pub(crate) const SNAPSHOT_SUFFIX: &str = "snapshot";
pub(crate) const TXN_INDEX_SUFFIX: &str = "txnindex";
/// Recovery moves a damaged log tail to `<base>.log.quarantine-<unix ms>` (never read back).
pub(crate) const QUARANTINE_INFIX: &str = "quarantine-";

/// `<dir>/<offset, 20 digits>.<suffix>`, Kafka's naming.
pub(crate) fn file_path(dir: &Path, offset: i64, suffix: &str) -> PathBuf {
    dir.join(format!("{offset:020}.{suffix}"))
}

pub(crate) fn io_error(path: &Path) -> impl FnOnce(io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A short temp-file name in `path`'s directory. Deriving it from the target's name would push a
/// maximal topic name (249 bytes, Kafka's limit) past the 255-byte file-name limit.
fn temp_path_beside(path: &Path) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = format!("pending-{}-{n}.tmp", std::process::id());
    path.parent()
        .map_or_else(|| PathBuf::from(&name), |dir| dir.join(&name))
}

/// Writes `bytes` to `path` durably: temp file, fsync, rename. The caller fsyncs the directory.
/// Recovery removes temp files (`*.tmp`) left by an interrupted write.
pub(crate) fn write_file_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = temp_path_beside(path);
    let mut file = File::create(&tmp).map_err(io_error(&tmp))?;
    file.write_all(bytes).map_err(io_error(&tmp))?;
    file.sync_all().map_err(io_error(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io_error(path))
}

pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(io_error(dir))
}

/// `write_all` for vectored writes, chunked to the kernel's iovec limit.
pub(crate) fn write_all_vectored(mut file: &File, mut slices: &mut [IoSlice<'_>]) -> io::Result<()> {
    const IOV_MAX: usize = 1024;
    while !slices.is_empty() {
        let chunk = slices.len().min(IOV_MAX);
        match file.write_vectored(&slices[..chunk]) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => IoSlice::advance_slices(&mut slices, n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[derive(Debug)]
pub(crate) struct Segment {
    pub base_offset: i64,
    pub log_path: PathBuf,
    /// Open while the segment is active; opened on demand once sealed (see `open_files`).
    pub file: LazyFile,
    /// Bytes readers may see: every batch below is completely written.
    pub size: AtomicU64,
    /// Offset after the segment's last batch.
    pub next_offset: AtomicI64,
    pub index: RwLock<SegmentIndex>,
    /// Transactions whose abort marker is in this segment, in marker order.
    pub aborted: RwLock<Vec<AbortedTxn>>,
    /// Wall-clock time (ms) of the segment's first append, for `segment.ms`; -1 when empty.
    pub roll_base_ms: AtomicI64,
}

/// How a scan of a segment's batches ended.
#[derive(Debug)]
pub(crate) struct ScanEnd {
    /// End of the last valid batch.
    pub valid_end: u64,
    /// Why the scan stopped before the end, if it did.
    pub damage: Option<Error>,
}

impl Segment {
    pub fn open_file(dir: &Path, base_offset: i64, create: bool) -> Result<Segment> {
        let log_path = file_path(dir, base_offset, LOG_SUFFIX);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(create)
            .truncate(false)
            .open(&log_path)
            .map_err(io_error(&log_path))?;
        let len = file.metadata().map_err(io_error(&log_path))?.len();
        Ok(Segment {
            base_offset,
            file: LazyFile::pinned(&log_path, file),
            log_path,
            size: AtomicU64::new(len),
            next_offset: AtomicI64::new(base_offset),
            index: RwLock::new(SegmentIndex::default()),
            aborted: RwLock::new(Vec::new()),
            roll_base_ms: AtomicI64::new(-1),
        })
    }

    /// A sealed segment at `base_offset` whose log is the open `file` of `len` bytes, under a
    /// name it will have (the cleaner opens a cleaned log before renaming it into place).
    pub fn from_file(dir: &Path, base_offset: i64, file: File, len: u64) -> Segment {
        let log_path = file_path(dir, base_offset, LOG_SUFFIX);
        Segment {
            base_offset,
            file: LazyFile::pinned(&log_path, file),
            log_path,
            size: AtomicU64::new(len),
            next_offset: AtomicI64::new(base_offset),
            index: RwLock::new(SegmentIndex::default()),
            aborted: RwLock::new(Vec::new()),
            roll_base_ms: AtomicI64::new(-1),
        }
    }

    pub fn path(&self, suffix: &str) -> PathBuf {
        self.log_path.with_extension(suffix)
    }

    pub fn size(&self) -> u64 {
        self.size.load(Ordering::Acquire)
    }

    pub fn index(&self) -> std::sync::RwLockReadGuard<'_, SegmentIndex> {
        // A panic while holding the lock cannot leave the index half-updated in a way readers
        // could misuse (entries are pushed whole), so poisoning is ignored.
        self.index
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn index_mut(&self) -> std::sync::RwLockWriteGuard<'_, SegmentIndex> {
        self.index
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn aborted(&self) -> std::sync::RwLockReadGuard<'_, Vec<AbortedTxn>> {
        self.aborted
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn aborted_mut(&self) -> std::sync::RwLockWriteGuard<'_, Vec<AbortedTxn>> {
        self.aborted
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Writes the aborted-transaction index (temp file, fsync, rename). The caller fsyncs the
    /// directory. Written for every sealed segment, empty or not, so a missing file means the
    /// index must be rebuilt.
    pub fn write_txn_index_file(&self) -> Result<()> {
        write_file_atomically(&self.path(TXN_INDEX_SUFFIX), &txn_index::encode(&self.aborted()))
    }

    pub fn read_exact_at(&self, buf: &mut [u8], position: u64) -> Result<()> {
        self.file
            .get()
            .and_then(|f| f.read_exact_at(buf, position))
            .map_err(io_error(&self.log_path))
    }

    /// The open log file (reopened if the segment is sealed and its file was closed).
    pub fn handle(&self) -> Result<std::sync::Arc<File>> {
        self.file.get().map_err(io_error(&self.log_path))
    }

    /// Reads `len` bytes at `position` into a new buffer.
    pub fn read_vec(&self, position: u64, len: usize) -> Result<Vec<u8>> {
        let mut buf = vec![0u8; len];
        self.read_exact_at(&mut buf, position)?;
        Ok(buf)
    }

    pub fn header_at(&self, position: u64, end: u64) -> Result<BatchHeader> {
        if position + HEADER_LEN as u64 > end {
            return Err(self.corrupt(position, "batch header runs past the end of the segment"));
        }
        let mut buf = [0u8; HEADER_LEN];
        self.read_exact_at(&mut buf, position)?;
        let header = BatchHeader::parse(&buf)?;
        if position + header.total_len() as u64 > end {
            return Err(self.corrupt(position, "batch runs past the end of the segment"));
        }
        Ok(header)
    }

    fn corrupt(&self, position: u64, why: &str) -> Error {
        Error::CorruptBatch(format!("{} at byte {position}: {why}", self.log_path.display()))
    }

    /// The first batch within `[from, end)` whose last offset is >= `offset`, with its position.
    pub fn find_batch(&self, offset: i64, end: u64) -> Result<Option<(u64, BatchHeader)>> {
        let relative = u32::try_from(offset - self.base_offset).unwrap_or(if offset < self.base_offset {
            0
        } else {
            u32::MAX
        });
        let mut position = u64::from(self.index().position_for(relative));
        while position < end {
            let header = self.header_at(position, end)?;
            if header.last_offset() >= offset {
                return Ok(Some((position, header)));
            }
            position += header.total_len() as u64;
        }
        Ok(None)
    }

    /// Visits the batches in `[from, end)` in order. With `verify`, each batch is read whole and
    /// its CRC checked and `visit` gets the whole batch; otherwise only headers are read and
    /// `visit` gets the 61 header bytes. Stops at the first torn or invalid batch, or when `visit`
    /// rejects a batch, and reports where the valid prefix ends; I/O errors are returned as errors.
    pub fn scan(
        &self,
        from: u64,
        end: u64,
        verify: bool,
        mut visit: impl FnMut(u64, &BatchHeader, &[u8]) -> std::result::Result<(), String>,
    ) -> Result<ScanEnd> {
        const CHUNK: u64 = 1 << 20;
        let mut buf: Vec<u8> = Vec::new();
        let mut buf_start = from;
        let mut position = from;
        // Makes buf hold [position, position + need), reading ahead up to CHUNK.
        let fill = |buf: &mut Vec<u8>, buf_start: &mut u64, position: u64, need: u64| -> Result<()> {
            if position >= *buf_start && position + need <= *buf_start + buf.len() as u64 {
                return Ok(());
            }
            let len = need.max(CHUNK).min(end - position);
            buf.resize(len as usize, 0);
            self.read_exact_at(buf, position)?;
            *buf_start = position;
            Ok(())
        };
        while position < end {
            let torn = |why: &str| {
                Ok(ScanEnd {
                    valid_end: position,
                    damage: Some(self.corrupt(position, why)),
                })
            };
            if end - position < HEADER_LEN as u64 {
                return torn("torn batch header");
            }
            fill(&mut buf, &mut buf_start, position, HEADER_LEN as u64)?;
            let at = (position - buf_start) as usize;
            let header = match BatchHeader::parse(&buf[at..]) {
                Ok(h) => h,
                Err(e) => {
                    return Ok(ScanEnd {
                        valid_end: position,
                        damage: Some(e),
                    });
                }
            };
            let total = header.total_len() as u64;
            if total > end - position {
                return torn("torn batch");
            }
            if verify {
                fill(&mut buf, &mut buf_start, position, total)?;
                let at = (position - buf_start) as usize;
                let bytes = &buf[at..at + total as usize];
                if let Err(e) = batch::validate_batch_at(bytes, 0) {
                    return Ok(ScanEnd {
                        valid_end: position,
                        damage: Some(e),
                    });
                }
                if let Err(why) = visit(position, &header, bytes) {
                    return torn(&why);
                }
            } else if let Err(why) = visit(position, &header, &buf[at..at + HEADER_LEN]) {
                return torn(&why);
            }
            position += total;
        }
        Ok(ScanEnd {
            valid_end: position,
            damage: None,
        })
    }

    /// Writes both indexes to disk (temp file, fsync, rename). The caller fsyncs the directory.
    pub fn write_index_files(&self) -> Result<()> {
        let index = self.index();
        write_file_atomically(&self.path(INDEX_SUFFIX), &index.encode_offsets())?;
        write_file_atomically(&self.path(TIME_INDEX_SUFFIX), &index.encode_times())
    }

    /// Truncates the log file to `len` bytes (durably) and moves the write cursor there.
    pub fn truncate(&self, len: u64) -> Result<()> {
        let handle = self.handle()?;
        let mut file = &*handle;
        file.set_len(len).map_err(io_error(&self.log_path))?;
        file.sync_all().map_err(io_error(&self.log_path))?;
        file.seek(SeekFrom::Start(len))
            .map_err(io_error(&self.log_path))?;
        self.size.store(len, Ordering::Release);
        Ok(())
    }

    /// Moves the bytes from `from` to the end of the log into a quarantine file beside it,
    /// `<log file>.quarantine-<now_ms>`, then truncates the log at `from`. The copy is fsynced
    /// and the directory entry made durable before the truncation, so a crash in between leaves
    /// both copies, never neither. Returns the quarantine file's path.
    pub fn quarantine_tail(&self, from: u64, now_ms: i64) -> Result<PathBuf> {
        const CHUNK: u64 = 1 << 20;
        let end = self.size();
        let dir = self.log_path.parent().unwrap_or_else(|| Path::new("."));
        let mut n = 0u32;
        let (path, mut out) = loop {
            // A second quarantine in the same millisecond (or one left from a clock step back)
            // gets a suffix rather than overwriting evidence.
            let mut name = self.log_path.clone().into_os_string();
            name.push(format!(".{QUARANTINE_INFIX}{now_ms}"));
            if n > 0 {
                name.push(format!("-{n}"));
            }
            let path = PathBuf::from(name);
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(file) => break (path, file),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && n < 1000 => n += 1,
                Err(e) => return Err(io_error(&path)(e)),
            }
        };
        let mut buf = vec![0u8; CHUNK.min(end.saturating_sub(from)) as usize];
        let mut position = from;
        while position < end {
            let len = CHUNK.min(end - position) as usize;
            self.read_exact_at(&mut buf[..len], position)?;
            out.write_all(&buf[..len]).map_err(io_error(&path))?;
            position += len as u64;
        }
        out.sync_all().map_err(io_error(&path))?;
        sync_dir(dir)?;
        self.truncate(from)?;
        Ok(path)
    }

    pub fn seek_to_end(&self) -> Result<()> {
        let handle = self.handle()?;
        let mut file = &*handle;
        file.seek(SeekFrom::Start(self.size()))
            .map_err(io_error(&self.log_path))?;
        Ok(())
    }

    /// Largest record timestamp for retention: the indexed maximum, else the file's mtime.
    pub fn largest_timestamp(&self) -> i64 {
        let indexed = self.index().max_timestamp;
        if indexed >= 0 {
            return indexed;
        }
        std::fs::metadata(&self.log_path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
    }

    /// Removes the segment's files (log first, so a crash leaves only orphan indexes, which
    /// recovery deletes). Readers holding the segment keep reading through the open handle.
    pub fn delete_files(&self) -> Result<()> {
        std::fs::remove_file(&self.log_path).map_err(io_error(&self.log_path))?;
        for suffix in [INDEX_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX] {
            let path = self.path(suffix);
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_error(&path)(e)),
            }
        }
        Ok(())
    }
}

/// Length of the leading whole batches in `buf` (which starts at a batch boundary), at least
/// `first_len` bytes.
pub(crate) fn whole_batches_len(buf: &[u8], first_len: usize) -> usize {
    let mut cut = first_len;
    while cut + LOG_OVERHEAD <= buf.len() {
        let len = i32::from_be_bytes([buf[cut + 8], buf[cut + 9], buf[cut + 10], buf[cut + 11]]);
        let Ok(len) = usize::try_from(len) else { break };
        let total = LOG_OVERHEAD + len;
        if cut + total > buf.len() {
            break;
        }
        cut += total;
    }
    cut
}
