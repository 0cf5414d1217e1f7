//! Freeing large state off the thread that let go of it.
//!
//! A bounded job ends when its last result is out, but its keyed state (and the final
//! snapshots sharing it) used to be freed before `execute` returned: for a join that keeps
//! every row, walking and freeing millions of entries cost as much as a fifth of the job.
//! What goes here is plain data whose drop has no effect anyone waits for; anything with a
//! side effect in its drop (a producer, a committer thread) is dropped where it is.

/// Drops `value` on a new background thread, or here if no thread can be started.
pub(crate) fn drop_in_background<T: Send + 'static>(value: T) {
    // On failure the closure, and `value` with it, is dropped inside `spawn`.
    // The thread counts against the job's memory account: what it frees was the job's.
    let _ = crate::memory::spawn_tagged(
        std::thread::Builder::new().name("spate-reclaim".into()),
        move || drop(value),
    );
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use super::*;

    struct Reports(mpsc::Sender<std::thread::ThreadId>);

    impl Drop for Reports {
        fn drop(&mut self) {
            let _ = self.0.send(std::thread::current().id());
        }
    }

    #[test]
    fn the_value_is_dropped_on_another_thread() {
        let (tx, rx) = mpsc::channel();
        drop_in_background(Reports(tx));
        let dropped_on = rx.recv().unwrap();
        assert_ne!(dropped_on, std::thread::current().id());
    }
}
