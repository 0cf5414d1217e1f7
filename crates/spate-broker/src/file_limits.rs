//! Open-file budget: every partition keeps its active segment open, and every connection is a
//! descriptor, so a broker that creates partitions until `open()` fails with EMFILE leaves
//! half-created topics behind and then cannot accept connections.
//!
//! At start the soft `RLIMIT_NOFILE` is raised to the hard limit (as Kafka's packaging asks
//! operators to do). Creating partitions is refused up front when the files they need, plus a
//! reserve for connections and segment rolls, would not fit under the limit.

use std::sync::atomic::{AtomicU64, Ordering};

use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};

/// Descriptors kept free for connections, segment rolls and checkpoints of state.
pub(crate) const RESERVED_FILES: u64 = 1024;
/// Descriptors one new partition holds (its active segment's file; sealed segments share a
/// bounded pool, `spate_log::open_files`, which the check keeps room for too).
pub(crate) const FILES_PER_PARTITION: u64 = 1;

/// The soft limit in force, 0 until [`raise_to_hard_limit`] ran (then checks are skipped).
static LIMIT: AtomicU64 = AtomicU64::new(0);

/// Raises the soft open-file limit to the hard one; returns the limit now in force
/// (`u64::MAX` when unlimited).
pub(crate) fn raise_to_hard_limit() -> u64 {
    let current = getrlimit(Resource::Nofile);
    let mut limit = current.current;
    if let (Some(soft), hard) = (current.current, current.maximum)
        && hard.is_none_or(|h| h > soft)
    {
        let wanted = Rlimit {
            current: hard,
            maximum: hard,
        };
        match setrlimit(Resource::Nofile, wanted) {
            Ok(()) => {
                limit = hard;
                tracing::info!(from = soft, to = ?hard, "raised the open-file limit (RLIMIT_NOFILE)");
            }
            Err(e) => tracing::warn!("cannot raise the open-file limit from {soft}: {e}"),
        }
    }
    let limit = limit.unwrap_or(u64::MAX);
    LIMIT.store(limit, Ordering::Relaxed);
    limit
}

/// Descriptors this process has open now.
fn open_files() -> Option<u64> {
    std::fs::read_dir("/proc/self/fd").ok().map(|d| d.count() as u64)
}

/// `Err(message)` when `partitions` new partitions would not fit under the open-file limit.
pub(crate) fn check_room_for(partitions: u64) -> Result<(), String> {
    let limit = LIMIT.load(Ordering::Relaxed);
    if limit == 0 || limit == u64::MAX {
        return Ok(());
    }
    let Some(open) = open_files() else {
        return Ok(());
    };
    let needed = partitions.saturating_mul(FILES_PER_PARTITION);
    // Sealed segment files not open now may be opened later, up to the pool's bound.
    let pool = (spate_log::open_files::max_open_sealed() as u64)
        .saturating_sub(spate_log::open_files::open_sealed() as u64);
    let room = limit
        .saturating_sub(open)
        .saturating_sub(RESERVED_FILES)
        .saturating_sub(pool);
    if needed > room {
        return Err(format!(
            "{partitions} new partitions need {needed} more open files, but only {room} are left \
             under the open-file limit of {limit} ({open} open, {RESERVED_FILES} kept for connections, \
             {pool} for sealed segments); \
             raise `ulimit -n` or use fewer partitions"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_is_checked_against_the_limit() {
        assert!(raise_to_hard_limit() > 0);
        let limit = LIMIT.load(Ordering::Relaxed);
        assert!(check_room_for(1).is_ok());
        if limit < u64::MAX / 2 {
            let err = check_room_for(limit).err().unwrap_or_default();
            assert!(err.contains("open-file limit"), "{err}");
        }
    }
}
