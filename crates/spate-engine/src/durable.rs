//! Durable file writes, defined once for the engine and its connectors: a file that appears
//! complete or not at all (temp file, fsync, rename, directory fsync), and the directory fsync
//! that makes a create or rename itself survive a crash.
//!
//! Errors carry the path that failed; callers turn them into their own error type with `err`
//! (the engine's checkpoint errors, a connector's I/O errors), so messages stay theirs.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Fsyncs a directory, so entries created, renamed or removed in it survive a crash.
pub fn sync_dir<E>(dir: &Path, err: impl Fn(&Path, std::io::Error) -> E) -> Result<(), E> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| err(dir, e))
}

/// Writes `bytes` to `path` atomically and durably: into `<path>.tmp`, fsync, rename over
/// `path`, fsync the directory. After a crash `path` is either the old file or the new one.
pub fn write_atomic<E>(path: &Path, bytes: &[u8], err: impl Fn(&Path, std::io::Error) -> E) -> Result<(), E> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let mut f = File::create(&tmp).map_err(|e| err(&tmp, e))?;
    f.write_all(bytes).map_err(|e| err(&tmp, e))?;
    f.sync_all().map_err(|e| err(&tmp, e))?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(|e| err(path, e))?;
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => sync_dir(dir, err),
        _ => sync_dir(Path::new("."), err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_atomic_replaces_the_file_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("_metadata");
        let io = |p: &Path, e: std::io::Error| format!("{}: {e}", p.display());
        write_atomic(&path, b"one", io).expect("first write");
        write_atomic(&path, b"two", io).expect("second write");
        assert_eq!(std::fs::read(&path).expect("read back"), b"two");
        assert!(!dir.path().join("_metadata.tmp").exists());
    }
}
