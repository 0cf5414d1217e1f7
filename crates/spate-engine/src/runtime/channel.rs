//! Network edges between subtasks: bounded channels of batches, the writers that partition a
//! chain's output onto them, and the readers at the receiving task.
//!
//! Every (upstream subtask, downstream subtask) pair of an edge has its own bounded channel, so
//! a receiver knows which channel a watermark came from (watermark alignment) and a later
//! checkpoint barrier can block one channel while others are read (barrier alignment).
//! Tasks never block on a channel: a writer that finds a channel full keeps the event in a
//! pending queue and reports it through `flush()`, and the task stops consuming input until the
//! queue drains. The pending queue therefore holds at most what one input batch or one watermark
//! produced.

use std::collections::VecDeque;
use std::sync::{Arc, OnceLock};
use std::thread::Thread;

use crossbeam_channel::{Receiver, Sender, TryRecvError, TrySendError};

use crate::keygroup::{key_group_of, key_hash, subtask_for_key_group};
use crate::record::{Data, Event, Key, Record, Timestamp};
use crate::runtime::output::{BoxOutput, Control, Output};

/// Wakes a worker thread that parked because none of its tasks could make progress.
#[derive(Debug, Default)]
pub(crate) struct WorkerSignal {
    thread: OnceLock<Thread>,
}

impl WorkerSignal {
    pub(crate) fn bind_current(&self) {
        let _ = self.thread.set(std::thread::current());
    }
    pub(crate) fn notify(&self) {
        if let Some(t) = self.thread.get() {
            t.unpark();
        }
    }
}

/// Sending end of one channel, with the receiving worker to wake.
pub(crate) struct ChannelTx<T> {
    tx: Sender<Event<T>>,
    peer: Option<Arc<WorkerSignal>>,
    /// Emptied batch vectors the receiver handed back, to be filled again.
    spare: Receiver<Vec<Record<T>>>,
}

/// Receiving end of one channel, with the sending worker to wake when space frees up.
pub(crate) struct ChannelRx<T> {
    rx: Receiver<Event<T>>,
    peer: Option<Arc<WorkerSignal>>,
    /// Where emptied batch vectors go back to the sender.
    spare: Sender<Vec<Record<T>>>,
}

/// A bounded channel of `capacity` events. Signals are `None` when both ends run on the same
/// worker (waking yourself is pointless).
pub(crate) fn channel<T>(
    capacity: usize,
    sender_worker: &Arc<WorkerSignal>,
    receiver_worker: &Arc<WorkerSignal>,
) -> (ChannelTx<T>, ChannelRx<T>) {
    let (tx, rx) = crossbeam_channel::bounded(capacity);
    // At most as many spares as batches can be queued: the sender never needs more.
    let (spare_tx, spare_rx) = crossbeam_channel::bounded(capacity);
    let same = Arc::ptr_eq(sender_worker, receiver_worker);
    let tx = ChannelTx {
        tx,
        peer: (!same).then(|| receiver_worker.clone()),
        spare: spare_rx,
    };
    let rx = ChannelRx {
        rx,
        peer: (!same).then(|| sender_worker.clone()),
        spare: spare_tx,
    };
    (tx, rx)
}

impl<T> ChannelTx<T> {
    /// Sends without blocking; gives the event back when the channel is full. A vanished
    /// receiver means the job is being torn down after a failure: the event is dropped.
    fn try_send(&self, event: Event<T>) -> Result<(), Event<T>> {
        match self.tx.try_send(event) {
            Ok(()) => {
                if let Some(p) = &self.peer {
                    p.notify();
                }
                Ok(())
            }
            Err(TrySendError::Full(e)) => Err(e),
            Err(TrySendError::Disconnected(_)) => Ok(()),
        }
    }

    /// An empty vector for the next batch: one the receiver gave back (its memory is
    /// already mapped and cached), else a new one.
    fn empty_batch(&self, capacity: usize) -> Vec<Record<T>> {
        self.spare
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(capacity))
    }
}

impl<T> ChannelRx<T> {
    fn try_recv(&self) -> Option<Event<T>> {
        match self.rx.try_recv() {
            Ok(e) => {
                if let Some(p) = &self.peer {
                    p.notify();
                }
                Some(e)
            }
            Err(TryRecvError::Empty | TryRecvError::Disconnected) => None,
        }
    }

    /// Hands an emptied batch vector back to the sender (dropped when it has enough).
    fn give_back(&self, mut batch: Vec<Record<T>>) {
        if batch.capacity() > 0 {
            batch.clear();
            let _ = self.spare.try_send(batch);
        }
    }

    /// Events currently queued (for tests of bounded memory).
    #[cfg(test)]
    pub(crate) fn queued(&self) -> usize {
        self.rx.len()
    }
}

/// One downstream subtask as seen by a writer.
pub(crate) struct Target<T> {
    tx: ChannelTx<T>,
    buffer: Vec<Record<T>>,
    pending: VecDeque<Event<T>>,
}

impl<T> Target<T> {
    fn send(&mut self, event: Event<T>) {
        if !self.pending.is_empty() {
            self.pending.push_back(event);
        } else if let Err(e) = self.tx.try_send(event) {
            self.pending.push_back(e);
        }
    }

    fn send_buffer(&mut self, batch_capacity: usize) {
        if !self.buffer.is_empty() {
            let batch = std::mem::replace(&mut self.buffer, self.tx.empty_batch(batch_capacity));
            self.send(Event::Batch(batch));
        }
    }

    fn flush(&mut self) -> bool {
        while let Some(e) = self.pending.pop_front() {
            if let Err(e) = self.tx.try_send(e) {
                self.pending.push_front(e);
                return false;
            }
        }
        true
    }
}

/// How a writer spreads a batch over its targets.
pub(crate) trait Router<T>: Send {
    fn route(&mut self, batch: &mut Vec<Record<T>>, targets: &mut [Target<T>]);
}

/// Same subtask index downstream: the whole batch moves without copying.
pub(crate) struct ForwardRouter;

impl<T: Send> Router<T> for ForwardRouter {
    fn route(&mut self, batch: &mut Vec<Record<T>>, targets: &mut [Target<T>]) {
        if let Some(t) = targets.first_mut() {
            std::mem::swap(&mut t.buffer, batch);
        }
    }
}

/// Whole batches round-robin over the targets.
#[derive(Default)]
pub(crate) struct RebalanceRouter {
    next: usize,
}

impl<T: Send> Router<T> for RebalanceRouter {
    fn route(&mut self, batch: &mut Vec<Record<T>>, targets: &mut [Target<T>]) {
        if targets.is_empty() {
            return;
        }
        let t = &mut targets[self.next % targets.len()];
        self.next = self.next.wrapping_add(1);
        std::mem::swap(&mut t.buffer, batch);
    }
}

/// Every target gets every record.
pub(crate) struct BroadcastRouter;

impl<T: Data> Router<T> for BroadcastRouter {
    fn route(&mut self, batch: &mut Vec<Record<T>>, targets: &mut [Target<T>]) {
        let Some((last, rest)) = targets.split_last_mut() else {
            return;
        };
        for t in rest {
            t.buffer.extend(batch.iter().cloned());
        }
        std::mem::swap(&mut last.buffer, batch);
    }
}

/// Records go to the subtask owning their key's key group.
///
/// Per record this is the whole cost of a keyed exchange, so the two divisions of
/// `key_group_of` + `subtask_for_key_group` are replaced by a mask (when the number of key
/// groups is a power of two, as the default 128 is) and a table from key group to subtask;
/// both give exactly the functions' results.
pub(crate) struct HashRouter<KS> {
    key_selector: KS,
    max_parallelism: usize,
    /// Subtask of each key group, for the parallelism the table was built for.
    owner: Vec<u32>,
}

impl<KS> HashRouter<KS> {
    pub(crate) fn new(key_selector: KS, max_parallelism: usize) -> Self {
        Self {
            key_selector,
            max_parallelism,
            owner: Vec::new(),
        }
    }

    fn build_owners(&mut self, parallelism: usize) {
        self.owner = (0..self.max_parallelism)
            .map(|kg| subtask_for_key_group(kg, parallelism, self.max_parallelism) as u32)
            .collect();
    }
}

impl<T, K, KS> Router<T> for HashRouter<KS>
where
    T: Send,
    K: Key,
    KS: Fn(&T) -> K + Send,
{
    fn route(&mut self, batch: &mut Vec<Record<T>>, targets: &mut [Target<T>]) {
        let p = targets.len();
        if p == 1 {
            std::mem::swap(&mut targets[0].buffer, batch);
            return;
        }
        if self.owner.len() != self.max_parallelism {
            self.build_owners(p);
        }
        let groups = self.max_parallelism as u64;
        if groups.is_power_of_two() {
            let mask = groups - 1;
            for r in batch.drain(..) {
                let kg = (key_hash(&(self.key_selector)(&r.value)) & mask) as usize;
                targets[self.owner[kg] as usize].buffer.push(r);
            }
        } else {
            for r in batch.drain(..) {
                let kg = key_group_of(&(self.key_selector)(&r.value), self.max_parallelism);
                targets[self.owner[kg] as usize].buffer.push(r);
            }
        }
    }
}

/// The end of a chain that writes onto a network edge.
pub(crate) struct ChannelWriter<T, R> {
    targets: Vec<Target<T>>,
    router: R,
    batch_capacity: usize,
}

impl<T, R> ChannelWriter<T, R> {
    pub(crate) fn new(senders: Vec<ChannelTx<T>>, router: R, batch_capacity: usize) -> Self {
        let targets = senders
            .into_iter()
            .map(|tx| Target {
                tx,
                buffer: Vec::new(),
                pending: VecDeque::new(),
            })
            .collect();
        Self {
            targets,
            router,
            batch_capacity,
        }
    }

    fn broadcast_control(&mut self, make: impl Fn() -> Event<T>) {
        for t in &mut self.targets {
            t.send_buffer(self.batch_capacity);
            t.send(make());
        }
    }
}

impl<T: Send, R: Router<T>> Control for ChannelWriter<T, R> {
    fn downstream(&mut self) -> Option<&mut dyn Control> {
        None
    }
    fn watermark(&mut self, watermark: Timestamp) {
        self.broadcast_control(|| Event::Watermark(watermark));
    }
    fn idle(&mut self, idle: bool) {
        self.broadcast_control(|| Event::Idle(idle));
    }
    fn finish(&mut self) {
        self.broadcast_control(|| Event::End);
    }
    fn checkpoint(&mut self, cp: &mut crate::checkpoint::CheckpointCtx) {
        if !cp.is_final {
            let barrier = cp.barrier;
            self.broadcast_control(|| Event::Barrier(barrier));
        }
    }
    fn flush(&mut self) -> bool {
        // Not `all`: every target gets its chance to drain, even after one stays full.
        let mut all = true;
        for t in &mut self.targets {
            all &= t.flush();
        }
        all
    }
}

impl<T: Send, R: Router<T>> Output<T> for ChannelWriter<T, R> {
    fn push(&mut self, batch: &mut Vec<Record<T>>) {
        if batch.is_empty() {
            return;
        }
        self.router.route(batch, &mut self.targets);
        for t in &mut self.targets {
            t.send_buffer(self.batch_capacity);
        }
    }
}

/// What a gate read from one channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Polled {
    Empty,
    Records,
    Watermark(Timestamp),
    Idle(bool),
    Barrier(crate::checkpoint::Barrier),
    End,
}

/// The typed reading side of one logical input of a task: all channels of all edges that feed it.
pub(crate) trait InputGate: Send {
    fn channels(&self) -> usize;
    /// Reads one event from channel `ch`; records go straight into the operator chain.
    fn poll(&mut self, ch: usize) -> Polled;
    /// The chain's control interface (used on the task's first gate only).
    fn control(&mut self) -> &mut dyn Control;
}

pub(crate) struct TypedGate<T> {
    receivers: Vec<ChannelRx<T>>,
    out: BoxOutput<T>,
}

impl<T> TypedGate<T> {
    pub(crate) fn new(receivers: Vec<ChannelRx<T>>, out: BoxOutput<T>) -> Self {
        Self { receivers, out }
    }
}

impl<T: Send + 'static> InputGate for TypedGate<T> {
    fn channels(&self) -> usize {
        self.receivers.len()
    }
    fn poll(&mut self, ch: usize) -> Polled {
        match self.receivers[ch].try_recv() {
            None => Polled::Empty,
            Some(Event::Batch(mut b)) => {
                self.out.push(&mut b);
                self.receivers[ch].give_back(b);
                Polled::Records
            }
            Some(Event::Watermark(w)) => Polled::Watermark(w),
            Some(Event::Idle(i)) => Polled::Idle(i),
            Some(Event::Barrier(b)) => Polled::Barrier(b),
            Some(Event::End) => Polled::End,
        }
    }
    fn control(&mut self) -> &mut dyn Control {
        self.out.as_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_channel_keeps_events_pending_in_order() {
        let w = Arc::new(WorkerSignal::default());
        let (tx, rx) = channel::<u32>(1, &w, &w);
        let mut writer = ChannelWriter::new(vec![tx], ForwardRouter, 4);
        writer.push(&mut vec![Record::new(1, 1)]);
        writer.push(&mut vec![Record::new(2, 2)]);
        writer.watermark(5);
        assert!(!writer.flush());
        assert_eq!(rx.queued(), 1);
        let mut seen = Vec::new();
        while seen.len() < 3 {
            match rx.try_recv() {
                Some(Event::Batch(b)) => seen.push(format!("b{}", b[0].value)),
                Some(Event::Watermark(w)) => seen.push(format!("w{w}")),
                _ => {}
            }
            writer.flush();
        }
        assert_eq!(seen, ["b1", "b2", "w5"]);
        assert!(writer.flush());
    }

    #[test]
    fn hash_router_sends_every_key_to_the_owner_of_its_key_group() {
        for (max_parallelism, parallelism) in [(128, 2), (128, 3), (100, 3), (7, 2)] {
            let w = Arc::new(WorkerSignal::default());
            let (txs, rxs): (Vec<_>, Vec<_>) = (0..parallelism).map(|_| channel::<u64>(64, &w, &w)).unzip();
            let router = HashRouter::new(|v: &u64| *v, max_parallelism);
            let mut writer = ChannelWriter::new(txs, router, 16);
            writer.push(&mut (0..500u64).map(|v| Record::new(0, v)).collect());
            let mut seen = 0;
            for (subtask, rx) in rxs.iter().enumerate() {
                let mut last = None;
                while let Some(Event::Batch(b)) = rx.try_recv() {
                    for r in b {
                        let kg = key_group_of(&r.value, max_parallelism);
                        assert_eq!(subtask_for_key_group(kg, parallelism, max_parallelism), subtask);
                        // Each subtask gets its records in the order they were pushed.
                        assert!(last < Some(r.value), "{last:?} before {}", r.value);
                        last = Some(r.value);
                        seen += 1;
                    }
                }
            }
            assert_eq!(
                seen, 500,
                "max_parallelism {max_parallelism}, parallelism {parallelism}"
            );
        }
    }
}
