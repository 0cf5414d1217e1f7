//! Lazily opened segment files with a process-wide bound on how many sealed ones stay open.
//!
//! Every partition keeps its active segment open (it is appended to and fsynced all the time).
//! Sealed segments are only read, mostly near the end of the log, so holding a descriptor for
//! each would make the number of open files grow with retained data: 100,000 partitions, or a
//! few partitions with thousands of segments, exhaust `RLIMIT_NOFILE` and the broker can no
//! longer accept connections. A sealed segment's file is opened on first read and closed again
//! when more than [`max_open_sealed`] sealed files are open, least recently used first. A
//! reader that got a handle keeps it until it is done, so closing never disturbs a read.

use std::collections::{BTreeMap, HashMap};
use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError, Weak};

/// Default bound on open sealed segment files in the process.
pub const DEFAULT_MAX_OPEN_SEALED: usize = 1024;

static MAX_OPEN_SEALED: AtomicUsize = AtomicUsize::new(DEFAULT_MAX_OPEN_SEALED);
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Sets how many sealed segment files may stay open at once in this process (at least 1).
pub fn set_max_open_sealed(n: usize) {
    MAX_OPEN_SEALED.store(n.max(1), Ordering::Relaxed);
}

/// The bound set with [`set_max_open_sealed`].
pub fn max_open_sealed() -> usize {
    MAX_OPEN_SEALED.load(Ordering::Relaxed)
}

/// Sealed segment files open right now (for tests and metrics).
pub fn open_sealed() -> usize {
    lock(registry()).by_id.len()
}

#[derive(Debug)]
struct Slot {
    id: u64,
    file: Mutex<Option<Arc<File>>>,
    /// Active segments are pinned: always open, not in the registry.
    pinned: AtomicBool,
}

/// Open sealed files by recency: `by_tick` orders them, `by_id` finds an entry's tick.
#[derive(Debug, Default)]
struct Registry {
    tick: u64,
    by_id: HashMap<u64, (u64, Weak<Slot>)>,
    by_tick: BTreeMap<u64, u64>,
}

fn registry() -> &'static Mutex<Registry> {
    static REGISTRY: OnceLock<Mutex<Registry>> = OnceLock::new();
    REGISTRY.get_or_init(Mutex::default)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Registry {
    fn touch(&mut self, slot: &Arc<Slot>) {
        self.tick += 1;
        let tick = self.tick;
        if let Some((old, _)) = self.by_id.insert(slot.id, (tick, Arc::downgrade(slot))) {
            self.by_tick.remove(&old);
        }
        self.by_tick.insert(tick, slot.id);
    }

    fn forget(&mut self, id: u64) {
        if let Some((tick, _)) = self.by_id.remove(&id) {
            self.by_tick.remove(&tick);
        }
    }

    /// Closes least recently used files until at most `max` stay open; returns the handles so
    /// they are dropped outside the registry lock.
    fn evict_beyond(&mut self, max: usize) -> Vec<Arc<File>> {
        let mut closed = Vec::new();
        while self.by_id.len() > max {
            let Some((_, id)) = self.by_tick.pop_first() else {
                break;
            };
            if let Some((_, weak)) = self.by_id.remove(&id)
                && let Some(slot) = weak.upgrade()
                && let Some(file) = lock(&slot.file).take()
            {
                closed.push(file);
            }
        }
        closed
    }
}

/// A segment's log file: open while pinned (active), opened on demand once sealed.
#[derive(Debug)]
pub(crate) struct LazyFile {
    path: PathBuf,
    slot: Arc<Slot>,
}

impl LazyFile {
    /// A pinned (active) file, already open.
    pub(crate) fn pinned(path: &Path, file: File) -> LazyFile {
        LazyFile {
            path: path.to_path_buf(),
            slot: Arc::new(Slot {
                id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
                file: Mutex::new(Some(Arc::new(file))),
                pinned: AtomicBool::new(true),
            }),
        }
    }

    /// The open file, opening it if it was closed.
    pub(crate) fn get(&self) -> io::Result<Arc<File>> {
        let mut file = lock(&self.slot.file);
        let pinned = self.slot.pinned.load(Ordering::Acquire);
        if let Some(f) = file.as_ref() {
            let f = Arc::clone(f);
            drop(file);
            if !pinned {
                lock(registry()).touch(&self.slot);
            }
            return Ok(f);
        }
        // Write access as before sealing: recovery may still truncate a sealed segment.
        let opened = Arc::new(OpenOptions::new().read(true).write(true).open(&self.path)?);
        *file = Some(Arc::clone(&opened));
        drop(file);
        let closed = {
            let mut registry = lock(registry());
            registry.touch(&self.slot);
            registry.evict_beyond(max_open_sealed())
        };
        drop(closed);
        Ok(opened)
    }

    /// Seals the file: from now on it may be closed when too many sealed files are open.
    /// Opens the file if it is closed and keeps it open until [`Self::unpin`] or drop: for a
    /// file whose name is about to name another file (the cleaner's swap), so this handle never
    /// reopens the new one.
    pub(crate) fn pin(&self) -> io::Result<()> {
        let mut file = lock(&self.slot.file);
        if file.is_none() {
            *file = Some(Arc::new(
                OpenOptions::new().read(true).write(true).open(&self.path)?,
            ));
        }
        self.slot.pinned.store(true, Ordering::Release);
        drop(file);
        lock(registry()).forget(self.slot.id);
        Ok(())
    }

    pub(crate) fn unpin(&self) {
        if self.slot.pinned.swap(false, Ordering::AcqRel) && lock(&self.slot.file).is_some() {
            let closed = {
                let mut registry = lock(registry());
                registry.touch(&self.slot);
                registry.evict_beyond(max_open_sealed())
            };
            drop(closed);
        }
    }
}

impl Drop for LazyFile {
    fn drop(&mut self) {
        lock(registry()).forget(self.slot.id);
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn sealed_files_are_closed_beyond_the_bound_and_reopened_on_demand() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let files: Vec<LazyFile> = (0..8)
            .map(|i| {
                let path = dir.path().join(format!("{i}.log"));
                std::fs::write(&path, format!("segment {i}")).unwrap_or_else(|e| panic!("{e}"));
                let file = File::open(&path).unwrap_or_else(|e| panic!("{e}"));
                LazyFile::pinned(&path, file)
            })
            .collect();
        // Other tests in this process may hold sealed files too: count only ours.
        let ours_open = |files: &[LazyFile]| files.iter().filter(|f| lock(&f.slot.file).is_some()).count();
        set_max_open_sealed(3);
        for f in &files {
            f.unpin();
        }
        assert!(ours_open(&files) <= 3, "{} open", ours_open(&files));
        for (i, f) in files.iter().enumerate() {
            let mut text = String::new();
            f.get()
                .and_then(|h| (&*h).read_to_string(&mut text))
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(text, format!("segment {i}"));
            assert!(ours_open(&files) <= 3);
        }
        set_max_open_sealed(DEFAULT_MAX_OPEN_SEALED);
    }
}
