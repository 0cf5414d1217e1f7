//! Files of a table on the local filesystem. Locations are what the metadata records: plain
//! absolute paths or `file:` URIs (`file:/x`, `file:///x`); other schemes (object storage) are
//! refused until a store is added here.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{IcebergError, Result};

/// Reads and writes the files locations name.
#[derive(Debug, Clone, Default)]
pub struct FileIo;

impl FileIo {
    /// The local filesystem.
    pub fn local() -> FileIo {
        FileIo
    }

    /// The local path of `location`.
    pub fn local_path(&self, location: &str) -> Result<PathBuf> {
        let path = if let Some(rest) = location.strip_prefix("file://") {
            rest
        } else if let Some(rest) = location.strip_prefix("file:") {
            rest
        } else if location.contains("://") {
            return Err(IcebergError::Unsupported(format!(
                "location {location:?}: only the local filesystem is supported"
            )));
        } else {
            location
        };
        if !path.starts_with('/') {
            return Err(IcebergError::invalid(format!(
                "location {location:?} is not absolute"
            )));
        }
        Ok(PathBuf::from(path))
    }

    /// The whole file at `location`.
    pub fn read(&self, location: &str) -> Result<Vec<u8>> {
        let path = self.local_path(location)?;
        fs::read(&path).map_err(|e| IcebergError::io(path, e))
    }

    /// Whether a file exists at `location`.
    pub fn exists(&self, location: &str) -> Result<bool> {
        let path = self.local_path(location)?;
        path.try_exists().map_err(|e| IcebergError::io(path, e))
    }

    /// Writes a new file (never replacing one) and makes it durable: the file is synced, and
    /// so is its directory, so a committed metadata file never points at a lost manifest.
    pub fn write_new(&self, location: &str, bytes: &[u8]) -> Result<()> {
        let path = self.local_path(location)?;
        write_new_file(&path, bytes)
    }
}

/// Creates `path` (and its missing directories), writes `bytes`, syncs file and directory.
pub(crate) fn write_new_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| IcebergError::invalid(format!("{} has no directory", path.display())))?;
    fs::create_dir_all(dir).map_err(|e| IcebergError::io(dir, e))?;
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| IcebergError::io(path, e))?;
    f.write_all(bytes).map_err(|e| IcebergError::io(path, e))?;
    f.sync_all().map_err(|e| IcebergError::io(path, e))?;
    sync_dir(dir)
}

/// Syncs a directory so entries created in it survive a crash.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| IcebergError::io(dir, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_map_to_paths() {
        let io = FileIo::local();
        assert_eq!(io.local_path("file:///a/b").expect("uri"), PathBuf::from("/a/b"));
        assert_eq!(io.local_path("file:/a/b").expect("uri"), PathBuf::from("/a/b"));
        assert_eq!(io.local_path("/a/b").expect("path"), PathBuf::from("/a/b"));
        assert!(io.local_path("s3://bucket/x").is_err());
        assert!(io.local_path("relative").is_err());
    }

    #[test]
    fn write_new_never_replaces() {
        let dir = tempfile::tempdir().expect("tempdir");
        let loc = format!("{}/x/y.bin", dir.path().display());
        let io = FileIo::local();
        io.write_new(&loc, b"one").expect("first write");
        assert!(io.write_new(&loc, b"two").is_err());
        assert_eq!(io.read(&loc).expect("reads"), b"one");
    }
}
