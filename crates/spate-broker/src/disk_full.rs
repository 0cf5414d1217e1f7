//! A full disk is logged once per episode, with where and how much space is left.
//!
//! Producers get KAFKA_STORAGE_ERROR for every append that hits ENOSPC (and acknowledged data
//! stays intact), which could be thousands of errors a second; the operator needs one clear
//! line when it starts and one when appends succeed again.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

static IN_EPISODE: AtomicBool = AtomicBool::new(false);

/// Notes a storage error; the first ENOSPC of an episode is logged.
pub(crate) fn observe(e: &spate_log::Error) {
    let spate_log::Error::Io { path, source } = e else {
        return;
    };
    if source.kind() != std::io::ErrorKind::StorageFull {
        return;
    }
    if !IN_EPISODE.swap(true, Ordering::AcqRel) {
        tracing::error!(
            path = %path.display(),
            free_bytes = free_bytes(path).map_or_else(|| "unknown".to_string(), |b| b.to_string()),
            "disk full: appends fail with KAFKA_STORAGE_ERROR until space is freed (acknowledged data is intact)"
        );
    }
}

/// Notes a successful append: ends an episode, if one was going on.
pub(crate) fn recovered() {
    if IN_EPISODE.load(Ordering::Relaxed) && IN_EPISODE.swap(false, Ordering::AcqRel) {
        tracing::warn!("disk space available again: appends succeed");
    }
}

/// Free bytes for unprivileged writers on the filesystem holding `path` (or its nearest
/// existing ancestor: the file that failed may not exist).
fn free_bytes(path: &Path) -> Option<u64> {
    let existing = path.ancestors().find(|p| p.exists())?;
    let s = rustix::fs::statvfs(existing).ok()?;
    Some(s.f_bavail.saturating_mul(s.f_frsize))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_bytes_of_a_missing_file_uses_its_directory() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let free = free_bytes(&dir.path().join("not-yet").join("x.log"));
        assert!(free.is_some_and(|b| b > 0));
    }

    #[test]
    fn one_episode_at_a_time() {
        let full = spate_log::Error::Io {
            path: "/nonexistent/x".into(),
            source: std::io::Error::from(std::io::ErrorKind::StorageFull),
        };
        observe(&full);
        assert!(IN_EPISODE.load(Ordering::Acquire));
        recovered();
        assert!(!IN_EPISODE.load(Ordering::Acquire));
    }
}
