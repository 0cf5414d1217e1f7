//! Per-job memory budgets: the bytes a job's threads hold, counted against the job's limit.
//!
//! In `spate server` the broker, the REST API and every job share one process. A job whose
//! state grows without bound (a regular join of two unbounded inputs) must fail on its own,
//! with a message naming its budget, and leave the restart strategy to decide what follows —
//! not get the whole process OOM-killed and then kill it again when it resumes.
//!
//! How it counts: the binary's global allocator reports every allocation and free to
//! [`allocated`] and [`freed`]. They count only on threads tagged with a job's
//! [`MemoryAccount`] (its worker threads, its checkpoint coordinator, the background threads
//! that free its state, the connector threads it starts through [`spawn_tagged`]), into a
//! per-thread running sum that is folded into the account once it passes
//! [`FOLD_BYTES`] either way: the hot path is a thread-local add and compare, no atomic.
//! The attempt's coordinator compares the account with the limit every few milliseconds and
//! fails the attempt when it is over.
//!
//! What it does not see, by design (see ARCHITECTURE.md, "Memory budgets"): memory a job
//! hands to an untagged thread that frees it (counted as still held), memory an untagged
//! thread allocates for the job (a connector's own threads not started through
//! [`spawn_tagged`]), and librdkafka's C allocations. Running each job in a child process
//! would see everything, but the embedded broker's in-process source path (reading the
//! partition logs directly) would become a network hop; accounting in the process keeps it.
//!
//! Without the binary's allocator (a library user's program, the engine's own tests) nothing
//! reports and every account stays at zero: budgets then never trip.
//!
//! ```
//! use spate_engine::memory::MemoryAccount;
//! let account = MemoryAccount::new(64 << 20).expect("a free slot");
//! assert_eq!(account.limit(), 64 << 20);
//! assert!(account.used() <= account.limit());
//! ```

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// How many accounts can exist at once (slot 0 means "untagged").
const SLOTS: usize = 1024;
/// A thread folds its running sum into its account once it passes this many bytes either
/// way: the account is exact to this much per tagged thread.
pub const FOLD_BYTES: i64 = 256 * 1024;

static USED: [AtomicI64; SLOTS] = [const { AtomicI64::new(0) }; SLOTS];
/// Accounts alive now. While there is none (`spate sql`, the benchmarks) the hook returns
/// after one load of this shared, rarely written word, without touching thread-locals.
static LIVE: AtomicUsize = AtomicUsize::new(0);
static TAKEN: [AtomicBool; SLOTS] = [const { AtomicBool::new(false) }; SLOTS];
/// Serialises taking a slot (rare: once per job attempt).
static TAKING: Mutex<()> = Mutex::new(());

thread_local! {
    // `const` initialisers and no destructors: reading these never allocates and stays valid
    // while the thread's other thread-locals are torn down, which an allocator hook needs.
    static TAG: Cell<u16> = const { Cell::new(0) };
    static RUNNING: Cell<i64> = const { Cell::new(0) };
}

/// The allocator made a block of `bytes` on this thread.
#[inline]
pub fn allocated(bytes: usize) {
    adjust(bytes as i64);
}

/// The allocator freed a block of `bytes` on this thread.
#[inline]
pub fn freed(bytes: usize) {
    adjust(-(bytes as i64));
}

#[inline]
fn adjust(delta: i64) {
    if LIVE.load(Ordering::Relaxed) == 0 {
        return;
    }
    let tag = TAG.try_with(Cell::get).unwrap_or(0);
    if tag == 0 {
        return;
    }
    let _ = RUNNING.try_with(|r| {
        let sum = r.get() + delta;
        if sum.abs() >= FOLD_BYTES {
            USED[usize::from(tag)].fetch_add(sum, Ordering::Relaxed);
            r.set(0);
        } else {
            r.set(sum);
        }
    });
}

/// Folds this thread's running sum into its account now.
fn fold() {
    let tag = TAG.try_with(Cell::get).unwrap_or(0);
    let sum = RUNNING.try_with(|r| r.replace(0)).unwrap_or(0);
    if tag != 0 && sum != 0 {
        USED[usize::from(tag)].fetch_add(sum, Ordering::Relaxed);
    }
}

struct Slot {
    index: u16,
    limit: u64,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let i = usize::from(self.index);
        USED[i].store(0, Ordering::Relaxed);
        TAKEN[i].store(false, Ordering::Release);
        LIVE.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A job attempt's memory account and its limit. Cloning shares the account; its slot is
/// given back when the last clone (and the last thread tagged with it) is gone.
#[derive(Clone)]
pub struct MemoryAccount {
    slot: Arc<Slot>,
}

impl std::fmt::Debug for MemoryAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryAccount")
            .field("used", &self.used())
            .field("limit", &self.slot.limit)
            .finish()
    }
}

impl MemoryAccount {
    /// A new account of `limit` bytes, or `None` when every slot is taken.
    pub fn new(limit: u64) -> Option<Self> {
        let _guard = TAKING.lock().unwrap_or_else(|e| e.into_inner());
        let index = (1..SLOTS).find(|&i| !TAKEN[i].load(Ordering::Acquire))?;
        let tag = u16::try_from(index).ok()?;
        TAKEN[index].store(true, Ordering::Release);
        USED[index].store(0, Ordering::Relaxed);
        LIVE.fetch_add(1, Ordering::Relaxed);
        Some(Self {
            slot: Arc::new(Slot { index: tag, limit }),
        })
    }

    /// The limit in bytes.
    pub fn limit(&self) -> u64 {
        self.slot.limit
    }

    /// Bytes the account's threads hold now (within [`FOLD_BYTES`] per thread; never below 0).
    pub fn used(&self) -> u64 {
        u64::try_from(USED[usize::from(self.slot.index)].load(Ordering::Relaxed)).unwrap_or(0)
    }

    /// Whether the account holds more than its limit.
    pub fn over_limit(&self) -> bool {
        self.used() > self.slot.limit
    }

    /// Tags the current thread with this account until the guard is dropped (then the thread
    /// goes back to the account it had).
    pub fn enter(&self) -> AccountGuard {
        fold();
        let previous_tag = TAG.try_with(|t| t.replace(self.slot.index)).unwrap_or(0);
        let previous = CURRENT
            .try_with(|c| c.borrow_mut().replace(self.clone()))
            .ok()
            .flatten();
        AccountGuard {
            previous_tag,
            previous,
        }
    }

    /// The account the current thread is tagged with (so threads a job starts inherit it).
    pub fn current() -> Option<MemoryAccount> {
        CURRENT.try_with(|c| c.borrow().clone()).ok().flatten()
    }
}

thread_local! {
    /// The account entered on this thread (for [`MemoryAccount::current`]); kept apart from
    /// `TAG`, which the allocator hook reads and which must neither allocate nor drop.
    static CURRENT: std::cell::RefCell<Option<MemoryAccount>> = const { std::cell::RefCell::new(None) };
}

/// Tags a thread with an account while it lives (see [`MemoryAccount::enter`]).
#[must_use = "the thread is tagged only while the guard lives"]
pub struct AccountGuard {
    previous_tag: u16,
    previous: Option<MemoryAccount>,
}

impl std::fmt::Debug for AccountGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountGuard").finish_non_exhaustive()
    }
}

impl Drop for AccountGuard {
    fn drop(&mut self) {
        fold();
        let _ = TAG.try_with(|t| t.set(self.previous_tag));
        let previous = self.previous.take();
        // The account leaves the thread-local here, after the tag went back: its last drop
        // (giving the slot back) is not counted against itself.
        let left = CURRENT.try_with(|c| std::mem::replace(&mut *c.borrow_mut(), previous));
        drop(left);
    }
}

/// Starts a thread that belongs to the current thread's job: it is tagged with the same
/// account (if any) for its whole life.
pub fn spawn_tagged<F, T>(builder: std::thread::Builder, f: F) -> std::io::Result<std::thread::JoinHandle<T>>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let account = MemoryAccount::current();
    builder.spawn(move || {
        let _entered = account.as_ref().map(MemoryAccount::enter);
        drop(account);
        f()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tagged_thread_counts_what_it_holds_and_an_untagged_one_does_not() {
        let account = MemoryAccount::new(1 << 20).expect("a slot");
        allocated(10 << 20);
        assert_eq!(account.used(), 0, "untagged");
        {
            let _in = account.enter();
            allocated(3 << 20);
            allocated(1000);
        }
        assert_eq!(account.used(), (3 << 20) + 1000, "folded when the guard went");
        assert!(account.over_limit());
        {
            let _in = account.enter();
            freed(3 << 20);
        }
        assert_eq!(account.used(), 1000);
        assert!(!account.over_limit());
    }

    #[test]
    fn threads_started_through_spawn_tagged_inherit_the_account() {
        let account = MemoryAccount::new(1 << 30).expect("a slot");
        let _entered = account.enter();
        let t = spawn_tagged(std::thread::Builder::new(), || {
            allocated(5 << 20);
        })
        .expect("thread");
        t.join().expect("joined");
        assert!(account.used() >= 5 << 20, "{}", account.used());
    }

    #[test]
    fn a_slot_is_given_back_with_its_last_holder() {
        let a = MemoryAccount::new(1).expect("a slot");
        let index = a.slot.index;
        let guard = a.enter();
        drop(a);
        assert!(
            TAKEN[usize::from(index)].load(Ordering::Acquire),
            "the thread still holds it"
        );
        drop(guard);
        assert!(!TAKEN[usize::from(index)].load(Ordering::Acquire));
    }
}
