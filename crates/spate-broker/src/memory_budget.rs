//! Byte budgets that bound the memory held for clients: replies built but not yet sent, and
//! request frames being received.
//!
//! A budget is a counter against a limit. Takers either take what is available (a fetch shrinks
//! its reply to fit) or take unconditionally (the first batch of a fetch is always returned
//! whole, KIP-74), so usage can pass the limit by at most one such overshoot per taker; waiters
//! ([`MemoryBudget::wait_below_limit`]) resume when bytes are given back. Every [`Grant`] gives
//! its bytes back when dropped, so a reply releases its budget once the connection has written
//! it (see [`hold_until_sent`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use tokio::sync::Notify;

#[derive(Debug)]
pub(crate) struct MemoryBudget {
    used: AtomicUsize,
    limit: usize,
    freed: Notify,
    /// Tasks in a slow path (registered with `freed`): givers notify only when there are any,
    /// so the common case takes no lock. SeqCst with `used`, so a waiter that registers after a
    /// giver looked still sees that giver's bytes when it re-checks.
    waiting: AtomicUsize,
}

/// Counts a task as waiting while it lives.
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn new(counter: &'a AtomicUsize) -> Waiting<'a> {
        counter.fetch_add(1, Ordering::SeqCst);
        Waiting(counter)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl MemoryBudget {
    pub(crate) fn new(limit: usize) -> Arc<MemoryBudget> {
        Arc::new(MemoryBudget {
            used: AtomicUsize::new(0),
            limit,
            freed: Notify::new(),
            waiting: AtomicUsize::new(0),
        })
    }

    pub(crate) fn used(&self) -> usize {
        self.used.load(Ordering::SeqCst)
    }

    /// Adds to usage what `amount(used)` decides (`None`: nothing, the caller waits), atomically
    /// against concurrent takers; returns the grant.
    fn take_with(self: &Arc<Self>, amount: impl Fn(usize) -> Option<usize>) -> Option<Grant> {
        let mut used = self.used.load(Ordering::SeqCst);
        loop {
            let n = amount(used)?;
            match self
                .used
                .compare_exchange_weak(used, used + n, Ordering::SeqCst, Ordering::SeqCst)
            {
                Ok(_) => {
                    return Some(Grant {
                        budget: self.clone(),
                        bytes: n,
                    });
                }
                Err(now) => used = now,
            }
        }
    }

    /// Takes `min(want, what is left under the limit)` bytes.
    pub(crate) fn take_up_to(self: &Arc<Self>, want: usize) -> Grant {
        let limit = self.limit;
        self.take_with(|used| Some(want.min(limit.saturating_sub(used))))
            .unwrap_or_else(|| Grant {
                budget: self.clone(),
                bytes: 0,
            })
    }

    /// Takes exactly `n` bytes once they fit under the limit (all at once, so waiters never hold
    /// part of what they need while others wait for it: no deadlock between them). A request
    /// larger than the whole limit goes through when nothing else is held.
    pub(crate) async fn take_exactly(self: &Arc<Self>, n: usize) -> Grant {
        let limit = self.limit;
        let fits = |used: usize| (used + n <= limit || (used == 0 && n > limit)).then_some(n);
        // Fast path, once per request frame: no waiter registration while there is room.
        if let Some(grant) = self.take_with(fits) {
            return grant;
        }
        let _waiting = Waiting::new(&self.waiting);
        loop {
            let notified = self.freed.notified();
            tokio::pin!(notified);
            // Registered before checking, so a release in between is not missed.
            notified.as_mut().enable();
            if let Some(grant) = self.take_with(fits) {
                return grant;
            }
            notified.await;
        }
    }

    /// Returns once usage is below the limit.
    pub(crate) async fn wait_below_limit(&self) {
        if self.used() < self.limit {
            return;
        }
        let _waiting = Waiting::new(&self.waiting);
        loop {
            let notified = self.freed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.used() < self.limit {
                return;
            }
            notified.await;
        }
    }

    fn give_back(&self, n: usize) {
        if n > 0 {
            self.used.fetch_sub(n, Ordering::SeqCst);
            if self.waiting.load(Ordering::SeqCst) > 0 {
                self.freed.notify_waiters();
            }
        }
    }
}

/// Bytes taken from a budget; given back on drop.
#[derive(Debug)]
pub(crate) struct Grant {
    budget: Arc<MemoryBudget>,
    bytes: usize,
}

impl Grant {
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    /// Makes the grant exactly `n` bytes: gives back the surplus or takes the shortfall
    /// unconditionally.
    pub(crate) fn resize(&mut self, n: usize) {
        if n < self.bytes {
            self.budget.give_back(self.bytes - n);
        } else {
            self.budget.used.fetch_add(n - self.bytes, Ordering::AcqRel);
        }
        self.bytes = n;
    }
}

impl Drop for Grant {
    fn drop(&mut self) {
        self.budget.give_back(self.bytes);
    }
}

/// A reply frame whose grants are given back when the last reference to it is dropped, which is
/// after the connection wrote it to the socket.
pub(crate) fn hold_until_sent(frame: Bytes, grants: Vec<Grant>) -> Bytes {
    struct Held {
        frame: Bytes,
        _grants: Vec<Grant>,
    }
    impl AsRef<[u8]> for Held {
        fn as_ref(&self) -> &[u8] {
            &self.frame
        }
    }
    if grants.is_empty() {
        return frame;
    }
    Bytes::from_owner(Held {
        frame,
        _grants: grants,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_are_bounded_and_given_back_on_drop() {
        let budget = MemoryBudget::new(100);
        let a = budget.take_up_to(70);
        assert_eq!(a.bytes(), 70);
        let mut b = budget.take_up_to(70);
        assert_eq!(b.bytes(), 30);
        assert_eq!(budget.used(), 100);
        b.resize(50); // a first batch larger than the grant is still accounted
        assert_eq!(budget.used(), 120);
        drop(a);
        assert_eq!(budget.used(), 50);
        let held = hold_until_sent(Bytes::from_static(b"reply"), vec![b]);
        assert_eq!(budget.used(), 50);
        let clone = held.clone();
        drop(held);
        assert_eq!(budget.used(), 50);
        assert_eq!(&clone[..], b"reply");
        drop(clone);
        assert_eq!(budget.used(), 0);
    }

    #[tokio::test]
    async fn take_exactly_waits_for_room_then_takes_all_at_once() {
        let budget = MemoryBudget::new(100);
        let first = budget.take_exactly(80).await;
        let waiter = {
            let budget = budget.clone();
            tokio::spawn(async move { budget.take_exactly(50).await.bytes() })
        };
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert!(!waiter.is_finished(), "took 50 bytes with only 20 left");
        drop(first);
        assert_eq!(waiter.await.unwrap_or(0), 50);
        // A frame larger than the whole budget still goes through when nothing else is held.
        assert_eq!(budget.take_exactly(500).await.bytes(), 500);
    }
}
