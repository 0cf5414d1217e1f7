//! Allocation of idempotent producer ids that stay unique across restarts.
//!
//! Ids are handed out from blocks; the end of the current block is persisted *before* any id of
//! the block is given out, so after a crash the broker resumes past every id it may have issued.

use std::path::PathBuf;
use std::sync::Mutex;

use crate::{Error, Result, state_file};

const BLOCK: i64 = 1000;

#[derive(Debug)]
pub(crate) struct ProducerIdAllocator {
    path: PathBuf,
    next: Mutex<(i64, i64)>, // (next id, end of the persisted block)
}

impl ProducerIdAllocator {
    pub(crate) fn open(path: PathBuf) -> Result<ProducerIdAllocator> {
        let start = match state_file::read(&path)? {
            None => 0,
            Some(s) => s.trim().parse::<i64>().map_err(|e| Error::CorruptState {
                path: path.clone(),
                reason: format!("producer id block end {s:?}: {e}"),
            })?,
        };
        Ok(ProducerIdAllocator {
            path,
            next: Mutex::new((start, start)),
        })
    }

    pub(crate) fn allocate(&self) -> Result<i64> {
        let mut guard = self.next.lock().unwrap_or_else(|p| p.into_inner());
        let (next, end) = *guard;
        if next >= end {
            state_file::write_atomically(&self.path, &format!("{}\n", end + BLOCK))?;
            guard.1 = end + BLOCK;
        }
        guard.0 = next + 1;
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_stay_unique_across_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("producer-ids");
        let a = ProducerIdAllocator::open(path.clone()).unwrap();
        let first: Vec<i64> = (0..5).map(|_| a.allocate().unwrap()).collect();
        assert_eq!(first, vec![0, 1, 2, 3, 4]);
        drop(a);
        let b = ProducerIdAllocator::open(path).unwrap();
        let next = b.allocate().unwrap();
        assert!(next > 4, "reissued id {next} after reopen");
    }

    #[test]
    fn corrupt_file_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("producer-ids");
        std::fs::write(&path, "garbage").unwrap();
        assert!(ProducerIdAllocator::open(path).is_err());
    }
}
