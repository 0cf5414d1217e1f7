//! The file protocol that replaces a group of sealed segments by their cleaned version, and its
//! recovery. Every step is a rename or a deletion of whole files, so a crash at any point leaves
//! either the old segments or the cleaned one, never a mix:
//!
//! 1. The cleaned segment is written as `<base>.log.cleaned` with `<base>.index.cleaned`,
//!    `<base>.timeindex.cleaned` and `<base>.txnindex.cleaned` (`base` = the group's first
//!    segment's base offset), and each file is fsynced.
//! 2. **Commit**: `<base>.log.cleaned` is renamed to `<base>.log.swap` and the directory
//!    fsynced. Before this point recovery deletes every `*.cleaned` file and the old segments
//!    stand; after it, the swap file wins.
//! 3. The old segments other than the first are deleted (log file first).
//! 4. The `.cleaned` indexes are renamed over the first segment's indexes, then
//!    `<base>.log.swap` over `<base>.log` (an atomic replacement), and the directory fsynced.
//!
//! Recovery of a `<base>.log.swap`: its offset range `[base, end)` is read from its batch
//! headers (a cleaned segment covers its group's whole range, because removed batches leave
//! fillers); every segment with a base offset in `(base, end)` is deleted, `<base>`'s index
//! files are deleted (they may be old or new; recovery rebuilds them from the log), and the
//! swap file is renamed to `<base>.log`.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::batch::{BatchHeader, HEADER_LEN};
use crate::segment::{
    INDEX_SUFFIX, LOG_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX, file_path, io_error, sync_dir,
};
use crate::{Error, Result};

/// Suffix of a file written by a cleaning that has not committed.
pub(crate) const CLEANED_SUFFIX: &str = "cleaned";
/// Suffix of a committed cleaned log not yet in place.
pub(crate) const SWAP_SUFFIX: &str = "swap";

/// `<dir>/<base>.<kind>.<state>`, e.g. `00000000000000000000.log.cleaned`.
pub(crate) fn staged_path(dir: &Path, base: i64, kind: &str, state: &str) -> PathBuf {
    let mut path = file_path(dir, base, kind).into_os_string();
    path.push(".");
    path.push(state);
    PathBuf::from(path)
}

/// Writes `bytes` to `path` and fsyncs it.
pub(crate) fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut file = File::create(path).map_err(io_error(path))?;
    file.write_all(bytes).map_err(io_error(path))?;
    file.sync_all().map_err(io_error(path))
}

/// The cleaned log file being written (step 1).
#[derive(Debug)]
pub(crate) struct CleanedLog {
    pub path: PathBuf,
    out: BufWriter<File>,
    pub len: u64,
}

impl CleanedLog {
    pub fn create(dir: &Path, base: i64) -> Result<CleanedLog> {
        let path = staged_path(dir, base, LOG_SUFFIX, CLEANED_SUFFIX);
        let file = File::create(&path).map_err(io_error(&path))?;
        Ok(CleanedLog {
            out: BufWriter::with_capacity(1 << 20, file),
            path,
            len: 0,
        })
    }

    pub fn write(&mut self, batch: &[u8]) -> Result<()> {
        self.out.write_all(batch).map_err(io_error(&self.path))?;
        self.len += batch.len() as u64;
        Ok(())
    }

    /// Flushes and fsyncs the file.
    pub fn finish(self) -> Result<PathBuf> {
        let file = self
            .out
            .into_inner()
            .map_err(|e| io_error(&self.path)(e.into_error()))?;
        file.sync_all().map_err(io_error(&self.path))?;
        Ok(self.path)
    }
}

/// Removes `path` if it exists.
pub(crate) fn remove_if_exists(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_error(path)(e)),
    }
}

/// Step 2: the commit point.
pub(crate) fn commit(dir: &Path, base: i64) -> Result<PathBuf> {
    let cleaned = staged_path(dir, base, LOG_SUFFIX, CLEANED_SUFFIX);
    let swap = staged_path(dir, base, LOG_SUFFIX, SWAP_SUFFIX);
    std::fs::rename(&cleaned, &swap).map_err(io_error(&swap))?;
    sync_dir(dir)?;
    Ok(swap)
}

/// Step 4 (the caller did step 3): the cleaned indexes and log take the first segment's names.
pub(crate) fn install(dir: &Path, base: i64) -> Result<()> {
    for kind in [INDEX_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX] {
        let from = staged_path(dir, base, kind, CLEANED_SUFFIX);
        let to = file_path(dir, base, kind);
        std::fs::rename(&from, &to).map_err(io_error(&to))?;
    }
    let swap = staged_path(dir, base, LOG_SUFFIX, SWAP_SUFFIX);
    let log = file_path(dir, base, LOG_SUFFIX);
    std::fs::rename(&swap, &log).map_err(io_error(&log))?;
    sync_dir(dir)
}

/// Deletes every file of an abandoned cleaning of the group at `base` (before its commit).
pub(crate) fn abandon(dir: &Path, base: i64) {
    for kind in [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX] {
        let path = staged_path(dir, base, kind, CLEANED_SUFFIX);
        if let Err(e) = remove_if_exists(&path) {
            tracing::warn!(%e, "cannot remove an abandoned cleaned file");
        }
    }
}

/// The offset after the last whole batch of the log file at `path`, read from batch headers.
fn end_offset(path: &Path, base: i64) -> Result<i64> {
    let file = File::open(path).map_err(io_error(path))?;
    let len = file.metadata().map_err(io_error(path))?.len();
    let mut position = 0u64;
    let mut next = base;
    let mut header = [0u8; HEADER_LEN];
    while position + HEADER_LEN as u64 <= len {
        file.read_exact_at(&mut header, position)
            .map_err(io_error(path))?;
        let Ok(h) = BatchHeader::parse(&header) else { break };
        if position + h.total_len() as u64 > len {
            break;
        }
        next = h.last_offset() + 1;
        position += h.total_len() as u64;
    }
    Ok(next)
}

/// Finishes every committed cleaning found in `dir` (see the module docs) and deletes the files
/// of uncommitted ones. Runs before the directory is listed for recovery.
pub(crate) fn recover(dir: &Path) -> Result<()> {
    let mut swaps = Vec::new();
    let mut logs = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io_error(dir))? {
        let entry = entry.map_err(io_error(dir))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some((stem, suffix)) = name.split_once('.') else {
            continue;
        };
        let Ok(base) = stem.parse::<i64>() else { continue };
        if stem.len() != 20 {
            continue;
        }
        if suffix.ends_with(".cleaned") {
            remove_if_exists(&entry.path())?;
        } else if suffix == "log.swap" {
            swaps.push(base);
        } else if suffix == LOG_SUFFIX {
            logs.push(base);
        } else if suffix.ends_with(".swap") {
            // Index swaps are not part of the protocol; only a foreign writer leaves them.
            remove_if_exists(&entry.path())?;
        }
    }
    if swaps.is_empty() {
        return Ok(());
    }
    swaps.sort_unstable();
    for base in swaps {
        let swap = staged_path(dir, base, LOG_SUFFIX, SWAP_SUFFIX);
        let end = end_offset(&swap, base)?;
        for &old in logs.iter().filter(|&&old| old > base && old < end) {
            remove_if_exists(&file_path(dir, old, LOG_SUFFIX))?;
            for kind in [INDEX_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX] {
                remove_if_exists(&file_path(dir, old, kind))?;
            }
        }
        for kind in [INDEX_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX] {
            remove_if_exists(&file_path(dir, base, kind))?;
        }
        let log = file_path(dir, base, LOG_SUFFIX);
        std::fs::rename(&swap, &log).map_err(io_error(&log))?;
        tracing::warn!(
            partition = %dir.display(),
            offsets = %format_args!("{base}..{end}"),
            "recovery finished a log cleaning interrupted after its commit"
        );
    }
    sync_dir(dir)?;
    Ok(())
}

/// An error for a cleaned group whose output does not fit a segment's 32-bit positions.
pub(crate) fn too_large(dir: &Path, base: i64) -> Error {
    Error::CorruptBatch(format!(
        "cleaned segment {} outgrew 4 GiB",
        file_path(dir, base, LOG_SUFFIX).display()
    ))
}
