//! The process's one Kafka transaction per checkpoint (Kafka's exactly-once v2: one
//! transactional producer per process, fenced by the group's generation).
//!
//! Transaction `k` holds what the process's tasks handed to exchanges between their barriers
//! of the checkpoint before `k` and of `k`, checkpoint `k`'s changelog sections and the
//! owned tasks' offsets; it commits when checkpoint `k` completes ([`ProcessTxn::commit_checkpoint`]).
//! A task keeps processing after its barrier while the others align, so what it hands over
//! after barrier `k` belongs to transaction `k + 1`, which cannot open before `k` commits:
//! such records are *held* in memory, tagged with the barrier they follow, and sent when
//! `k` has committed. The engine runs one checkpoint at a time, so records are held for at
//! most one checkpoint's duration.

use std::sync::{Arc, Mutex, MutexGuard};

use spate_kafka_client::{OutRecord, TransactionalProducer, TxnProducerConfig};

use crate::error::DistributedError;

/// Buffered bytes that make the producer write what it holds (records of an open
/// transaction are invisible until the commit anyway; this bounds memory).
const FLUSH_BYTES: usize = 1 << 20;

/// A record held until the checkpoint it follows has committed.
struct Held {
    after: u64,
    topic: Arc<str>,
    partition: i32,
    record: OutRecord,
}

struct TxnState {
    producer: TransactionalProducer,
    open: bool,
    /// The last checkpoint whose transaction committed (or the restored one).
    published: u64,
    held: Vec<Held>,
    buffered: usize,
    failure: Option<String>,
}

/// The process's transactional producer and what waits for it (see the module docs).
pub struct ProcessTxn {
    state: Mutex<TxnState>,
}

impl std::fmt::Debug for ProcessTxn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessTxn").finish_non_exhaustive()
    }
}

impl ProcessTxn {
    /// Takes the transactional id (fencing an older instance of this process and aborting its
    /// open transaction); the attempt resumes after checkpoint `restored` (0: none).
    pub fn init(config: TxnProducerConfig, restored: u64) -> Result<Self, DistributedError> {
        let what = format!("transactional id {}", config.transactional_id);
        let producer = TransactionalProducer::init(config).map_err(DistributedError::kafka(what))?;
        Ok(Self {
            state: Mutex::new(TxnState {
                producer,
                open: false,
                published: restored,
                held: Vec::new(),
                buffered: 0,
                failure: None,
            }),
        })
    }

    fn lock(&self) -> MutexGuard<'_, TxnState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The last checkpoint whose transaction committed.
    pub fn published(&self) -> u64 {
        self.lock().published
    }

    /// Hands over `record` for `topic`-`partition`, from a task whose last barrier was of
    /// checkpoint `after`: into the open transaction, or held until `after` committed.
    pub fn send(
        &self,
        after: u64,
        topic: &Arc<str>,
        partition: i32,
        record: OutRecord,
    ) -> Result<(), DistributedError> {
        let mut st = self.lock();
        if let Some(f) = &st.failure {
            return Err(DistributedError::Poisoned(f.clone()));
        }
        if after > st.published {
            st.held.push(Held {
                after,
                topic: topic.clone(),
                partition,
                record,
            });
            return Ok(());
        }
        let r = st.write(topic, partition, record);
        st.poison_on(r)
    }

    /// Commits checkpoint `id`'s transaction: what was held from before its barriers, then
    /// `finish` (changelog sections, offsets), then the commit; then opens the next one with
    /// what was held from after them. An error leaves the transaction failed for good: the
    /// attempt must end (the next one aborts it by taking the transactional id again).
    pub fn commit_checkpoint(
        &self,
        id: u64,
        finish: impl FnOnce(&mut TransactionalProducer) -> Result<(), DistributedError>,
    ) -> Result<(), DistributedError> {
        let mut st = self.lock();
        if let Some(f) = &st.failure {
            return Err(DistributedError::Poisoned(f.clone()));
        }
        let r = st.commit(id, finish);
        st.poison_on(r)
    }
}

impl TxnState {
    fn poison_on(&mut self, r: Result<(), DistributedError>) -> Result<(), DistributedError> {
        if let Err(e) = &r {
            self.failure = Some(e.to_string());
        }
        r
    }

    fn ensure_open(&mut self) -> Result<(), DistributedError> {
        if !self.open {
            self.producer
                .begin()
                .map_err(DistributedError::kafka("beginning a transaction"))?;
            self.open = true;
        }
        Ok(())
    }

    fn write(&mut self, topic: &str, partition: i32, record: OutRecord) -> Result<(), DistributedError> {
        self.ensure_open()?;
        self.buffered +=
            record.key.as_ref().map_or(0, |k| k.len()) + record.value.as_ref().map_or(0, |v| v.len()) + 32;
        self.producer
            .send(topic, partition, record)
            .map_err(DistributedError::kafka(format!("{topic}-{partition}")))?;
        if self.buffered >= FLUSH_BYTES {
            self.buffered = 0;
            self.producer
                .flush()
                .map_err(DistributedError::kafka("writing the open transaction"))?;
        }
        Ok(())
    }

    /// Sends the held records that `pred` picks, in the order they were held.
    fn release(&mut self, pred: impl Fn(u64) -> bool) -> Result<(), DistributedError> {
        let (now, later): (Vec<Held>, Vec<Held>) = std::mem::take(&mut self.held)
            .into_iter()
            .partition(|h| pred(h.after));
        self.held = later;
        for h in now {
            self.write(&h.topic, h.partition, h.record)?;
        }
        Ok(())
    }

    fn commit(
        &mut self,
        id: u64,
        finish: impl FnOnce(&mut TransactionalProducer) -> Result<(), DistributedError>,
    ) -> Result<(), DistributedError> {
        // Held from after an abandoned checkpoint's barrier, before this one's: this one's.
        self.release(|after| after < id)?;
        self.ensure_open()?;
        finish(&mut self.producer)?;
        self.producer
            .commit()
            .map_err(DistributedError::kafka(format!("committing checkpoint {id}")))?;
        self.open = false;
        self.buffered = 0;
        self.published = id;
        self.release(|after| after <= id)
    }
}
