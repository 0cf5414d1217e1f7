//! Group commit across requests. Produce requests that must be durable before their reply
//! (acks=all, or `flush.messages=1` topics) and offset commits hand the partitions they wrote to
//! one syncer thread. Each round it takes every request queued so far, fsyncs each partition
//! once, and answers them all: under load one fsync covers many requests, and no async worker
//! thread ever blocks on the disk.

use std::sync::Arc;
use std::sync::mpsc;

use spate_log::Partition;
use tokio::sync::oneshot;

/// Per partition of a request: `None` when durable, else the storage error's text and code.
pub(crate) type SyncResults = Vec<Option<(kafka_protocol::ResponseError, String)>>;

type SyncRequest = (Vec<Arc<Partition>>, oneshot::Sender<SyncResults>);

#[derive(Debug)]
pub(crate) struct Syncer {
    tx: mpsc::Sender<SyncRequest>,
}

impl Syncer {
    /// Starts the syncer thread; it ends when the `Syncer` is dropped.
    pub(crate) fn start() -> std::io::Result<Syncer> {
        let (tx, rx) = mpsc::channel::<SyncRequest>();
        std::thread::Builder::new()
            .name("spate-fsync".into())
            .spawn(move || run(rx))?;
        Ok(Syncer { tx })
    }

    /// Resolves once every partition in `partitions` is fsynced past what was appended before
    /// this call.
    pub(crate) async fn sync(&self, partitions: Vec<Arc<Partition>>) -> SyncResults {
        let n = partitions.len();
        let (tx, rx) = oneshot::channel();
        let gone = || {
            vec![
                Some((
                    kafka_protocol::ResponseError::KafkaStorageError,
                    "fsync thread stopped".to_string()
                ));
                n
            ]
        };
        if self.tx.send((partitions, tx)).is_err() {
            return gone();
        }
        rx.await.unwrap_or_else(|_| gone())
    }
}

/// Rounds at least this long are logged (debug): acks=all replies wait for them.
const SLOW_ROUND: std::time::Duration = std::time::Duration::from_millis(50);

fn run(rx: mpsc::Receiver<SyncRequest>) {
    while let Ok(first) = rx.recv() {
        let mut round = vec![first];
        round.extend(rx.try_iter());
        let started = std::time::Instant::now();
        // One fsync per distinct partition in the round.
        let mut done: Vec<(*const Partition, Option<(kafka_protocol::ResponseError, String)>)> = Vec::new();
        for (partitions, _) in &round {
            for p in partitions {
                let key = Arc::as_ptr(p);
                if done.iter().any(|(k, _)| *k == key) {
                    continue;
                }
                let outcome = p
                    .sync()
                    .err()
                    .map(|e| (crate::error_codes::code_of(&e), e.to_string()));
                done.push((key, outcome));
            }
        }
        let took = started.elapsed();
        if took >= SLOW_ROUND {
            tracing::debug!(
                partitions = done.len(),
                requests = round.len(),
                took_ms = took.as_millis() as u64,
                "slow fsync round"
            );
        }
        for (partitions, reply) in round {
            let results = partitions
                .iter()
                .map(|p| {
                    let key = Arc::as_ptr(p);
                    done.iter().find(|(k, _)| *k == key).and_then(|(_, r)| r.clone())
                })
                .collect();
            let _ = reply.send(results);
        }
    }
}
