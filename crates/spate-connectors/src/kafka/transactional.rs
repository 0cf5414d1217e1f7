//! The producers of the Kafka sink and the exactly-once machinery around them: one
//! transactional producer per checkpoint, their ids, and recovery after a crash.
//!
//! Transactional ids are `{prefix}-{subtask}-{sequence}`; the sequence grows by one per
//! producer. librdkafka cannot resume another instance's open transaction, so a transaction
//! that was pre-committed before a crash is finished with a raw EndTxn carrying the producer
//! id and epoch recorded in the checkpoint (see `spate_kafka_client::BrokerConnection`).

use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::client::ClientContext;
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::message::Message;
use rdkafka::producer::{DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use spate_engine::SinkContext;

use super::error::kafka_error;
use super::txn_state::{PendingTxn, SinkTxnState};
use crate::ConnectorError;
use spate_kafka_client::BrokerConnection;
use spate_kafka_client::ClientSecurity;

/// librdkafka reports the producer id and epoch only in its statistics (`eos` section); the
/// interval bounds how long a new producer waits for its identity.
const STATISTICS_INTERVAL_MS: &str = "100";

/// A record the broker rejected as too large (MESSAGE_TOO_LARGE), kept for the sink's
/// oversized-record policy.
#[derive(Debug)]
pub(crate) struct Rejected {
    pub(crate) partition: i32,
    pub(crate) key: Option<Vec<u8>>,
    /// `None` for a tombstone (a null value).
    pub(crate) value: Option<Vec<u8>>,
    pub(crate) headers: Vec<(String, Vec<u8>)>,
    pub(crate) timestamp: i64,
}

/// Delivery errors and the producer identity, filled in by librdkafka's callbacks.
#[derive(Debug, Default)]
pub(crate) struct ProducerEvents {
    delivery_error: Mutex<Option<String>>,
    rejected: Mutex<Vec<Rejected>>,
    identity: Mutex<Option<(i64, i16)>>,
    have_identity: AtomicBool,
}

impl ProducerEvents {
    /// The first delivery error since the producer was created, if any.
    pub(crate) fn check_delivery(&self) -> Result<(), ConnectorError> {
        match lock(&self.delivery_error).as_ref() {
            Some(e) => Err(ConnectorError::Kafka(format!("delivery failed: {e}"))),
            None => Ok(()),
        }
    }

    /// The records the broker rejected as too large since the last call.
    pub(crate) fn take_rejected(&self) -> Vec<Rejected> {
        std::mem::take(&mut *lock(&self.rejected))
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl ClientContext for ProducerEvents {
    fn stats_raw(&self, statistics: &[u8]) {
        if self.have_identity.load(Ordering::Acquire) {
            return;
        }
        let Ok(v) = serde_json::from_slice::<serde_json::Value>(statistics) else {
            return;
        };
        let eos = &v["eos"];
        if let (Some(pid), Some(epoch)) = (eos["producer_id"].as_i64(), eos["producer_epoch"].as_i64())
            && pid >= 0
            && let Ok(epoch) = i16::try_from(epoch)
            && epoch >= 0
        {
            *lock(&self.identity) = Some((pid, epoch));
            self.have_identity.store(true, Ordering::Release);
        }
    }
}

impl ProducerContext for ProducerEvents {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        if let Err((e, m)) = result {
            if e.rdkafka_error_code() == Some(RDKafkaErrorCode::MessageSizeTooLarge) {
                use rdkafka::message::Headers;
                let headers = m.headers().map_or_else(Vec::new, |h| {
                    h.iter()
                        .map(|h| (h.key.to_string(), h.value.unwrap_or_default().to_vec()))
                        .collect()
                });
                lock(&self.rejected).push(Rejected {
                    partition: m.partition(),
                    key: m.key().map(<[u8]>::to_vec),
                    value: m.payload().map(<[u8]>::to_vec),
                    headers,
                    timestamp: m.timestamp().to_millis().unwrap_or(spate_engine::NO_TIMESTAMP),
                });
                return;
            }
            let mut slot = lock(&self.delivery_error);
            if slot.is_none() {
                *slot = Some(format!("{}-{}: {e}", m.topic(), m.partition()));
            }
        }
    }
}

/// The sink's producer type (a background thread serves its callbacks).
pub(crate) type SinkProducer = ThreadedProducer<ProducerEvents>;

/// Waits until every record handed to `producer` is acknowledged (or failed). librdkafka's
/// `flush` on a producer whose events another thread polls wakes up only every 100 ms, which
/// put 100 ms into every checkpoint barrier; the in-flight count is checked every 200 µs here.
pub(crate) fn await_deliveries(
    producer: &SinkProducer,
    timeout: Duration,
) -> rdkafka::error::KafkaResult<()> {
    let deadline = Instant::now() + timeout;
    while producer.in_flight_count() > 0 {
        if Instant::now() >= deadline {
            return Err(rdkafka::error::KafkaError::Flush(
                rdkafka::types::RDKafkaErrorCode::OperationTimedOut,
            ));
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    Ok(())
}

pub(crate) fn create_producer(config: &ClientConfig) -> Result<SinkProducer, ConnectorError> {
    config
        .create_with_context(ProducerEvents::default())
        .map_err(|e| kafka_error("creating the producer", e))
}

/// A transactional producer for one transaction.
pub(crate) struct TxnProducer {
    pub(crate) producer: SinkProducer,
    pub(crate) transactional_id: String,
    pub(crate) sequence: u64,
    /// Records sent in the current transaction.
    pub(crate) records: u64,
}

impl std::fmt::Debug for TxnProducer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TxnProducer")
            .field("transactional_id", &self.transactional_id)
            .field("records", &self.records)
            .finish_non_exhaustive()
    }
}

impl TxnProducer {
    /// Creates the producer of `transactional_id` and initialises it (which fences and aborts
    /// whatever an earlier instance with the same id left open).
    pub(crate) fn start(
        base: &ClientConfig,
        transactional_id: String,
        sequence: u64,
        topic: &str,
        timeout: Duration,
    ) -> Result<Self, ConnectorError> {
        let mut config = base.clone();
        config
            .set("transactional.id", &transactional_id)
            .set("statistics.interval.ms", STATISTICS_INTERVAL_MS);
        let t0 = Instant::now();
        let producer = create_producer(&config)?;
        producer
            .init_transactions(timeout)
            .map_err(|e| kafka_error(&format!("init_transactions({transactional_id})"), e))?;
        let t_init = t0.elapsed();
        let started = Self {
            producer,
            transactional_id,
            sequence,
            records: 0,
        };
        // Wait here, on the preparing thread, for librdkafka to report the producer id and
        // epoch, so the pre-commit at the barrier never has to.
        started.identity(timeout)?;
        // Likewise the topic's metadata (partition leaders), which the first send of a fresh
        // producer would otherwise fetch first.
        started
            .producer
            .client()
            .fetch_metadata(Some(topic), timeout)
            .map_err(|e| kafka_error(&format!("metadata of {topic}"), e))?;
        tracing::debug!(
            transactional_id = %started.transactional_id,
            init_us = t_init.as_micros() as u64,
            ready_us = t0.elapsed().as_micros() as u64,
            "producer ready"
        );
        Ok(started)
    }

    /// The producer id and epoch of this producer (waits for librdkafka's first statistics).
    pub(crate) fn identity(&self, timeout: Duration) -> Result<(i64, i16), ConnectorError> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(id) = *lock(&self.producer.context().identity) {
                return Ok(id);
            }
            if Instant::now() >= deadline {
                return Err(ConnectorError::Kafka(format!(
                    "{}: producer id and epoch not reported within {timeout:?}",
                    self.transactional_id
                )));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Flushes the transaction (pre-commit) and returns it as a pending transaction.
    pub(crate) fn pre_commit(
        &self,
        checkpoint_id: u64,
        timeout: Duration,
    ) -> Result<PendingTxn, ConnectorError> {
        await_deliveries(&self.producer, timeout)
            .map_err(|e| kafka_error(&format!("flushing {}", self.transactional_id), e))?;
        self.producer.context().check_delivery()?;
        let (producer_id, producer_epoch) = self.identity(timeout)?;
        Ok(PendingTxn {
            transactional_id: self.transactional_id.clone(),
            checkpoint_id,
            producer_id,
            producer_epoch,
        })
    }

    pub(crate) fn commit(&self, timeout: Duration) -> Result<(), ConnectorError> {
        self.producer
            .commit_transaction(timeout)
            .map_err(|e| kafka_error(&format!("committing {}", self.transactional_id), e))
    }
}

/// `{prefix}-{subtask}-{sequence}`.
pub(crate) fn transactional_id(prefix: &str, subtask: usize, sequence: u64) -> String {
    format!("{prefix}-{subtask}-{sequence}")
}

/// The subtask of an id made by [`transactional_id`] with this prefix.
fn subtask_of(prefix: &str, id: &str) -> Option<usize> {
    let rest = id.strip_prefix(prefix)?.strip_prefix('-')?;
    let (subtask, sequence) = rest.split_once('-')?;
    sequence.parse::<u64>().ok()?;
    subtask.parse().ok()
}

/// Recovery settings.
#[derive(Debug, Clone)]
pub(crate) struct Recovery<'a> {
    pub(crate) bootstrap_servers: &'a str,
    /// TLS and SASL login of the raw admin client (the producer's properties).
    pub(crate) security: &'a ClientSecurity,
    pub(crate) prefix: &'a str,
    pub(crate) transaction_timeout_ms: i32,
    pub(crate) request_timeout: Duration,
}

impl Recovery<'_> {
    /// Commits the pending transactions in the states this subtask restores and aborts every
    /// other open transaction of the subtasks it takes over. Returns the sequence this
    /// subtask's next transactional id starts at.
    pub(crate) fn run(&self, ctx: &SinkContext, states: &[Vec<u8>]) -> Result<u64, ConnectorError> {
        let p = ctx.parallelism.max(1);
        // The entries `sink_states_for` gives this subtask, with their old subtask index.
        let mut owned = Vec::new();
        for (i, bytes) in states.iter().enumerate().filter(|(i, _)| i % p == ctx.subtask) {
            owned.push((i, SinkTxnState::decode(bytes)?));
        }
        let mut admin = BrokerConnection::connect_with(
            self.bootstrap_servers,
            &transactional_id(self.prefix, ctx.subtask, 0),
            self.request_timeout,
            self.security,
        )?;
        let listing = admin.supports_transaction_listing();
        let mut committed = HashSet::new();
        for (_, state) in &owned {
            for t in &state.pending {
                self.commit_pending(&mut admin, listing, t)?;
                committed.insert(t.transactional_id.clone());
            }
        }
        if listing {
            self.abort_listed(&mut admin, ctx, &committed)?;
        } else {
            // No ListTransactions: probe the ids each old subtask may have used after its
            // checkpoint. InitProducerId aborts an open transaction; epoch 0 marks an id that
            // was never used, and ids are used in sequence, so probing stops there.
            let mut starts: Vec<(usize, u64)> = owned.iter().map(|(i, s)| (*i, s.next_sequence)).collect();
            if !starts.iter().any(|(i, _)| *i == ctx.subtask) {
                starts.push((ctx.subtask, 0));
            }
            for (subtask, start) in starts {
                for sequence in start.. {
                    let id = transactional_id(self.prefix, subtask, sequence);
                    let (_, epoch) = admin.init_producer_id(&id, self.transaction_timeout_ms)?;
                    if epoch == 0 {
                        break;
                    }
                }
            }
        }
        Ok(owned
            .iter()
            .find(|(i, _)| *i == ctx.subtask)
            .map_or(0, |(_, s)| s.next_sequence))
    }

    fn commit_pending(
        &self,
        admin: &mut BrokerConnection,
        listing: bool,
        t: &PendingTxn,
    ) -> Result<(), ConnectorError> {
        let lost = |state: &str, epoch: i16| {
            ConnectorError::Kafka(format!(
                "transaction {} of checkpoint {} can no longer be committed (state {state}, epoch {epoch}, \
                 recorded epoch {}): its records are lost; transaction.timeout.ms must exceed the checkpoint \
                 interval plus the restart time",
                t.transactional_id, t.checkpoint_id, t.producer_epoch
            ))
        };
        if listing {
            let d = admin.describe(&t.transactional_id)?;
            let same = d.producer_id == t.producer_id && d.producer_epoch == t.producer_epoch;
            match d.state.as_str() {
                "CompleteCommit" if same => return Ok(()),
                "Ongoing" | "PrepareCommit" if same => {}
                other => return Err(lost(other, d.producer_epoch)),
            }
        }
        Ok(admin.end_txn(&t.transactional_id, t.producer_id, t.producer_epoch, true)?)
    }

    fn abort_listed(
        &self,
        admin: &mut BrokerConnection,
        ctx: &SinkContext,
        committed: &HashSet<String>,
    ) -> Result<(), ConnectorError> {
        let p = ctx.parallelism.max(1);
        for t in admin.list(&["Ongoing"])? {
            let ours = subtask_of(self.prefix, &t.transactional_id).is_some_and(|i| i % p == ctx.subtask);
            if !ours || committed.contains(&t.transactional_id) {
                continue;
            }
            let d = admin.describe(&t.transactional_id)?;
            if d.state == "Ongoing" {
                admin.end_txn(&t.transactional_id, d.producer_id, d.producer_epoch, false)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_to_their_subtask() {
        assert_eq!(
            subtask_of("job-sink", &transactional_id("job-sink", 3, 17)),
            Some(3)
        );
        assert_eq!(subtask_of("job-sink", "job-sink-3"), None);
        assert_eq!(subtask_of("job-sink", "job-sinker-3-1"), None);
        assert_eq!(
            subtask_of("job", "job-sink-3-1"),
            None,
            "another prefix that starts like ours"
        );
        assert_eq!(subtask_of("a-b", "a-b-0-9"), Some(0));
    }
}
