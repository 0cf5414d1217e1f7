//! Commits pre-committed transactions on a thread of its own, so that a slow EndTxn (the
//! broker's prepare and marker fsyncs) never stalls the sink's task, and with it the pipeline.
//!
//! A transaction stays in the sink's checkpointed state until its commit is confirmed here, so
//! a crash while a commit is in flight leaves it to recovery, which commits idempotently.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;
use std::time::Duration;

use super::transactional::TxnProducer;
use super::txn_state::PendingTxn;
use crate::ConnectorError;

type Outcome = (String, Result<(), ConnectorError>);

pub(crate) struct Committer {
    work: Option<Sender<(PendingTxn, TxnProducer)>>,
    outcomes: Receiver<Outcome>,
    thread: Option<JoinHandle<()>>,
    /// Handed over, commit not confirmed yet.
    in_flight: Vec<PendingTxn>,
}

impl std::fmt::Debug for Committer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Committer")
            .field("in_flight", &self.in_flight.len())
            .finish_non_exhaustive()
    }
}

impl Committer {
    pub(crate) fn start(timeout: Duration) -> Result<Self, ConnectorError> {
        let (work, queue) = channel::<(PendingTxn, TxnProducer)>();
        let (report, outcomes) = channel::<Outcome>();
        let thread = spate_engine::memory::spawn_tagged(
            std::thread::Builder::new().name("kafka-sink-commit".into()),
            move || {
                for (txn, producer) in queue {
                    let started = std::time::Instant::now();
                    let outcome = producer.commit(timeout);
                    tracing::debug!(
                        transactional_id = %txn.transactional_id,
                        checkpoint = txn.checkpoint_id,
                        commit_us = started.elapsed().as_micros() as u64,
                        "transaction committed"
                    );
                    // The producer's transactional id is spent: dropping it closes its
                    // connections.
                    drop(producer);
                    if report.send((txn.transactional_id, outcome)).is_err() {
                        return;
                    }
                }
            },
        )
        .map_err(|e| ConnectorError::Kafka(format!("starting the commit thread: {e}")))?;
        Ok(Self {
            work: Some(work),
            outcomes,
            thread: Some(thread),
            in_flight: Vec::new(),
        })
    }

    /// Queues a commit (in submission order).
    pub(crate) fn submit(&mut self, txn: PendingTxn, producer: TxnProducer) -> Result<(), ConnectorError> {
        self.in_flight.push(txn.clone());
        self.work
            .as_ref()
            .and_then(|w| w.send((txn, producer)).ok())
            .ok_or_else(|| ConnectorError::Kafka("the commit thread has stopped".into()))
    }

    fn settle(&mut self, (id, outcome): Outcome) -> Result<(), ConnectorError> {
        outcome?;
        self.in_flight.retain(|t| t.transactional_id != id);
        Ok(())
    }

    /// Takes in the commits confirmed so far; the first failed commit is the error.
    pub(crate) fn poll(&mut self) -> Result<(), ConnectorError> {
        while let Ok(o) = self.outcomes.try_recv() {
            self.settle(o)?;
        }
        Ok(())
    }

    /// Waits until every queued commit is confirmed.
    pub(crate) fn wait_all(&mut self) -> Result<(), ConnectorError> {
        while !self.in_flight.is_empty() {
            let o = self
                .outcomes
                .recv()
                .map_err(|_| ConnectorError::Kafka("the commit thread has stopped".into()))?;
            self.settle(o)?;
        }
        Ok(())
    }

    /// Committed-or-not transactions: they stay in the checkpointed state.
    pub(crate) fn in_flight(&self) -> &[PendingTxn] {
        &self.in_flight
    }
}

impl Drop for Committer {
    fn drop(&mut self) {
        // Let queued commits finish (they are already decided), then stop the thread.
        self.work.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
