//! [`KafkaSink`]: at-least-once (idempotent producer flushed at every checkpoint) or
//! exactly-once (one Kafka transaction per checkpoint).

use std::thread::JoinHandle;
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseRecord, Producer};
use spate_engine::{EngineError, NO_TIMESTAMP, Record, Sink, SinkContext};

use super::committer::Committer;
use super::error::kafka_error;
use super::transactional::{Recovery, SinkProducer, TxnProducer, create_producer, transactional_id};
use super::txn_state::{PendingTxn, SinkTxnState};
use crate::ConnectorError;

/// What the sink promises about records that reached it before a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryGuarantee {
    /// Every record is written at least once: an idempotent producer, flushed at each
    /// checkpoint barrier (a restore may write records after the checkpoint again).
    AtLeastOnce,
    /// Every record is visible exactly once to `read_committed` consumers: the records between
    /// two barriers form one Kafka transaction, committed when the checkpoint completes.
    ExactlyOnce {
        /// Transactional ids are `{prefix}-{subtask}-{sequence}`. The prefix must be unique to
        /// this sink of this job, and stay the same across restarts (recovery finds the
        /// transactions of the previous run by it).
        transactional_id_prefix: String,
    },
}

/// The record a serializer fills. Its buffers are reused from record to record.
#[derive(Debug, Default)]
pub struct OutgoingRecord {
    key: Vec<u8>,
    has_key: bool,
    value: Vec<u8>,
    partition: Option<i32>,
    headers: Vec<(String, Vec<u8>)>,
}

impl OutgoingRecord {
    fn clear(&mut self) {
        self.key.clear();
        self.has_key = false;
        self.value.clear();
        self.partition = None;
        self.headers.clear();
    }
    /// Sets the key (without it the key is null).
    pub fn set_key(&mut self, key: &[u8]) {
        self.key.clear();
        self.key.extend_from_slice(key);
        self.has_key = true;
    }
    /// The key buffer to write into (makes the key non-null).
    pub fn key_mut(&mut self) -> &mut Vec<u8> {
        self.has_key = true;
        &mut self.key
    }
    /// The value buffer to write into.
    pub fn value_mut(&mut self) -> &mut Vec<u8> {
        &mut self.value
    }
    /// Sends to this partition instead of the one the key hashes to.
    pub fn set_partition(&mut self, partition: i32) {
        self.partition = Some(partition);
    }
    /// Adds a header.
    pub fn add_header(&mut self, name: &str, value: &[u8]) {
        self.headers.push((name.to_string(), value.to_vec()));
    }
}

/// Fills an [`OutgoingRecord`] from a value.
pub type Serializer<T> =
    std::sync::Arc<dyn Fn(&T, &mut OutgoingRecord) -> Result<(), ConnectorError> + Send + Sync>;

/// Builds a [`KafkaSink`].
pub struct KafkaSinkBuilder<T> {
    bootstrap_servers: String,
    topic: String,
    serializer: Serializer<T>,
    guarantee: DeliveryGuarantee,
    properties: Vec<(String, String)>,
    transaction_timeout: Duration,
    request_timeout: Duration,
}

impl<T> std::fmt::Debug for KafkaSinkBuilder<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaSinkBuilder")
            .field("topic", &self.topic)
            .field("guarantee", &self.guarantee)
            .finish_non_exhaustive()
    }
}

impl<T> KafkaSinkBuilder<T> {
    /// The delivery guarantee (default at-least-once).
    pub fn delivery_guarantee(mut self, guarantee: DeliveryGuarantee) -> Self {
        self.guarantee = guarantee;
        self
    }

    /// `transaction.timeout.ms` of exactly-once producers (default 15 minutes, the broker's
    /// usual maximum). It must exceed the checkpoint interval plus the time a failed job needs
    /// to restart: a pre-committed transaction the broker times out is aborted, and its
    /// records are lost (recovery then fails loudly).
    pub fn transaction_timeout(mut self, timeout: Duration) -> Self {
        self.transaction_timeout = timeout;
        self
    }

    /// How long a flush, commit or recovery request may take before the sink fails (default 60 s).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Sets an rdkafka producer property (overrides the sink's defaults).
    pub fn property(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.properties.push((key.into(), value.into()));
        self
    }

    /// The sink.
    pub fn build(self) -> Result<KafkaSink<T>, ConnectorError> {
        let transaction_timeout_ms = i32::try_from(self.transaction_timeout.as_millis())
            .ok()
            .filter(|&ms| ms > 0)
            .ok_or_else(|| ConnectorError::Config("transaction timeout out of range".into()))?;
        if let DeliveryGuarantee::ExactlyOnce {
            transactional_id_prefix,
        } = &self.guarantee
            && transactional_id_prefix.is_empty()
        {
            return Err(ConnectorError::Config(
                "exactly-once needs a transactional id prefix".into(),
            ));
        }
        Ok(KafkaSink::unopened(
            self.bootstrap_servers,
            self.topic,
            self.serializer,
            self.guarantee,
            self.properties,
            transaction_timeout_ms,
            self.request_timeout,
        ))
    }
}

impl<T> KafkaSink<T> {
    #[allow(clippy::too_many_arguments)]
    fn unopened(
        bootstrap_servers: String,
        topic: String,
        serializer: Serializer<T>,
        guarantee: DeliveryGuarantee,
        properties: Vec<(String, String)>,
        transaction_timeout_ms: i32,
        request_timeout: Duration,
    ) -> Self {
        KafkaSink {
            bootstrap_servers,
            topic,
            serializer,
            guarantee,
            properties,
            transaction_timeout_ms,
            request_timeout,
            ctx: SinkContext {
                subtask: 0,
                parallelism: 1,
            },
            buf: OutgoingRecord::default(),
            producer: None,
            current: None,
            spare: None,
            pending: Vec::new(),
            committer: None,
            next_sequence: 0,
            recovered: false,
        }
    }
}

/// A clone is an unopened sink with the same settings (the engine opens one per subtask).
impl<T> Clone for KafkaSink<T> {
    fn clone(&self) -> Self {
        Self::unopened(
            self.bootstrap_servers.clone(),
            self.topic.clone(),
            self.serializer.clone(),
            self.guarantee.clone(),
            self.properties.clone(),
            self.transaction_timeout_ms,
            self.request_timeout,
        )
    }
}

/// A Kafka sink (see [`DeliveryGuarantee`] and the [module docs](super)).
///
/// Exactly-once follows Flink's `KafkaSink`: the records between two checkpoint barriers go
/// into the transaction of a producer of their own (transactional id
/// `{prefix}-{subtask}-{sequence}`); at the barrier the transaction is flushed and recorded
/// as pending (id, producer id, epoch) in the checkpoint, and the next records go to a new
/// producer (prepared in the background); when the checkpoint completes every pending
/// transaction up to it is committed. After a crash, `restore_state` commits the pending
/// transactions of the checkpoint with raw EndTxn requests and aborts every other open
/// transaction of the subtasks it takes over, so no transaction is left open to block
/// `read_committed` readers. Dropping the sink without `finish` leaves its open transactions
/// to that recovery (or to the broker's transaction timeout).
pub struct KafkaSink<T> {
    bootstrap_servers: String,
    topic: String,
    serializer: Serializer<T>,
    guarantee: DeliveryGuarantee,
    properties: Vec<(String, String)>,
    transaction_timeout_ms: i32,
    request_timeout: Duration,
    ctx: SinkContext,
    buf: OutgoingRecord,
    /// At-least-once: the one idempotent producer.
    producer: Option<SinkProducer>,
    /// Exactly-once: the producer of the open transaction.
    current: Option<TxnProducer>,
    /// Exactly-once: the next producer, being initialised in the background.
    spare: Option<(u64, JoinHandle<Result<TxnProducer, ConnectorError>>)>,
    /// Exactly-once: pre-committed transactions with their live producers.
    pending: Vec<(PendingTxn, TxnProducer)>,
    /// Exactly-once: commits of completed checkpoints, off the task's thread.
    committer: Option<Committer>,
    next_sequence: u64,
    recovered: bool,
}

impl<T> std::fmt::Debug for KafkaSink<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaSink")
            .field("topic", &self.topic)
            .field("guarantee", &self.guarantee)
            .field("ctx", &self.ctx)
            .field("pending", &self.pending.len())
            .finish_non_exhaustive()
    }
}

impl<T> KafkaSink<T> {
    /// A sink writing to `topic`; `serialize` returns each value's key and value bytes.
    pub fn builder(
        bootstrap_servers: impl Into<String>,
        topic: impl Into<String>,
        serialize: impl Fn(&T) -> (Option<Vec<u8>>, Vec<u8>) + Send + Sync + 'static,
    ) -> KafkaSinkBuilder<T> {
        Self::builder_with(
            bootstrap_servers,
            topic,
            move |v: &T, out: &mut OutgoingRecord| {
                let (key, value) = serialize(v);
                if let Some(k) = key {
                    out.set_key(&k);
                }
                out.value_mut().extend_from_slice(&value);
                Ok(())
            },
        )
    }

    /// A sink writing to `topic` whose serializer fills a reused [`OutgoingRecord`] (no
    /// allocation per record; may set partition and headers).
    pub fn builder_with(
        bootstrap_servers: impl Into<String>,
        topic: impl Into<String>,
        serializer: impl Fn(&T, &mut OutgoingRecord) -> Result<(), ConnectorError> + Send + Sync + 'static,
    ) -> KafkaSinkBuilder<T> {
        KafkaSinkBuilder {
            bootstrap_servers: bootstrap_servers.into(),
            topic: topic.into(),
            serializer: std::sync::Arc::new(serializer),
            guarantee: DeliveryGuarantee::AtLeastOnce,
            properties: Vec::new(),
            transaction_timeout: Duration::from_secs(15 * 60),
            request_timeout: Duration::from_secs(60),
        }
    }

    fn producer_config(&self) -> ClientConfig {
        let mut c = ClientConfig::new();
        c.set("bootstrap.servers", &self.bootstrap_servers)
            .set("client.id", "spate-kafka-sink")
            .set("enable.idempotence", "true")
            .set("acks", "all")
            .set("linger.ms", "5")
            .set("transaction.timeout.ms", self.transaction_timeout_ms.to_string())
            .set("log_level", "3");
        for (k, v) in &self.properties {
            c.set(k, v);
        }
        c
    }

    fn prefix(&self) -> Option<&str> {
        match &self.guarantee {
            DeliveryGuarantee::ExactlyOnce {
                transactional_id_prefix,
            } => Some(transactional_id_prefix),
            DeliveryGuarantee::AtLeastOnce => None,
        }
    }

    fn recover(&mut self, states: &[Vec<u8>]) -> Result<(), ConnectorError> {
        let Some(prefix) = self.prefix() else {
            return Ok(());
        };
        let next = Recovery {
            bootstrap_servers: &self.bootstrap_servers,
            prefix,
            transaction_timeout_ms: self.transaction_timeout_ms,
            request_timeout: self.request_timeout,
        }
        .run(&self.ctx, states)?;
        self.next_sequence = next;
        self.recovered = true;
        Ok(())
    }

    /// Starts preparing the producer of the next transaction unless one is on its way.
    fn prepare_spare(&mut self) -> Result<(), ConnectorError> {
        if self.spare.is_some() {
            return Ok(());
        }
        let prefix = self.prefix().unwrap_or_default();
        let sequence = self.next_sequence;
        let id = transactional_id(prefix, self.ctx.subtask, sequence);
        let config = self.producer_config();
        let timeout = self.request_timeout;
        let topic = self.topic.clone();
        let handle = std::thread::Builder::new()
            .name("kafka-sink-producer".into())
            .spawn(move || TxnProducer::start(&config, id, sequence, &topic, timeout))
            .map_err(|e| ConnectorError::Kafka(format!("starting a producer thread: {e}")))?;
        self.next_sequence += 1;
        self.spare = Some((sequence, handle));
        Ok(())
    }

    /// The producer of the open transaction, starting one if needed.
    fn current(&mut self) -> Result<&mut TxnProducer, ConnectorError> {
        if self.current.is_none() {
            if !self.recovered {
                // A fresh start still aborts what an earlier run of this sink left open.
                self.recover(&[])?;
            }
            self.prepare_spare()?;
            let Some((_, handle)) = self.spare.take() else {
                return Err(ConnectorError::Kafka("no producer was prepared".into()));
            };
            let producer = handle
                .join()
                .map_err(|_| ConnectorError::Kafka("the producer thread panicked".into()))??;
            producer
                .producer
                .begin_transaction()
                .map_err(|e| kafka_error("begin_transaction", e))?;
            self.current = Some(producer);
            // The next transaction's producer gets the whole checkpoint interval to start, so
            // neither the barrier nor the first write after it waits for one.
            self.prepare_spare()?;
        }
        self.current
            .as_mut()
            .ok_or_else(|| ConnectorError::Kafka("no open transaction".into()))
    }

    /// The sequence of the first transactional id not covered by a pending transaction.
    fn unsettled_sequence(&self) -> u64 {
        match (&self.current, &self.spare) {
            (Some(c), _) => c.sequence,
            (None, Some((s, _))) => *s,
            (None, None) => self.next_sequence,
        }
    }

    fn write_inner(&mut self, records: &[Record<T>]) -> Result<(), ConnectorError> {
        if records.is_empty() {
            return Ok(());
        }
        let mut buf = std::mem::take(&mut self.buf);
        let result = self.write_records(records, &mut buf);
        self.buf = buf;
        result
    }

    fn write_records(
        &mut self,
        records: &[Record<T>],
        buf: &mut OutgoingRecord,
    ) -> Result<(), ConnectorError> {
        if self.prefix().is_some() {
            self.current()?;
        } else if self.producer.is_none() {
            self.producer = Some(create_producer(&self.producer_config())?);
        }
        let producer = match (&self.current, &self.producer) {
            (Some(c), _) => &c.producer,
            (None, Some(p)) => p,
            (None, None) => return Err(ConnectorError::Kafka("no producer".into())),
        };
        producer.context().check_delivery()?;
        for r in records {
            buf.clear();
            (self.serializer)(&r.value, buf)?;
            send(producer, &self.topic, buf, r.timestamp)?;
        }
        if let Some(c) = self.current.as_mut() {
            c.records += records.len() as u64;
        }
        Ok(())
    }

    fn snapshot_inner(&mut self, checkpoint_id: u64) -> Result<Vec<u8>, ConnectorError> {
        if self.prefix().is_none() {
            if let Some(p) = &self.producer {
                super::transactional::await_deliveries(p, self.request_timeout)
                    .map_err(|e| kafka_error("flushing at the checkpoint", e))?;
                p.context().check_delivery()?;
            }
            return Ok(Vec::new());
        }
        // An empty transaction stays open for the next checkpoint: nothing to pre-commit.
        if self.current.as_ref().is_some_and(|c| c.records > 0)
            && let Some(current) = self.current.take()
        {
            let pending = current.pre_commit(checkpoint_id, self.request_timeout)?;
            self.pending.push((pending, current));
            self.prepare_spare()?;
        }
        let mut pending: Vec<PendingTxn> = Vec::new();
        if let Some(c) = &mut self.committer {
            c.poll()?;
            pending.extend(c.in_flight().iter().cloned());
        }
        pending.extend(self.pending.iter().map(|(t, _)| t.clone()));
        SinkTxnState {
            next_sequence: self.unsettled_sequence(),
            pending,
        }
        .encode()
    }

    fn commit_up_to(&mut self, checkpoint_id: u64) -> Result<(), ConnectorError> {
        while let Some(i) = self
            .pending
            .iter()
            .position(|(t, _)| t.checkpoint_id <= checkpoint_id)
        {
            let (txn, producer) = self.pending.remove(i);
            let committer = match &mut self.committer {
                Some(c) => c,
                None => self.committer.insert(Committer::start(self.request_timeout)?),
            };
            committer.submit(txn, producer)?;
        }
        match &mut self.committer {
            Some(c) => c.poll(),
            None => Ok(()),
        }
    }

    fn finish_inner(&mut self) -> Result<(), ConnectorError> {
        if self.prefix().is_none() {
            return self.snapshot_inner(0).map(drop);
        }
        if let Some(current) = self.current.take() {
            if current.records > 0 {
                current.pre_commit(u64::MAX, self.request_timeout)?;
            }
            current.commit(self.request_timeout)?;
        }
        self.commit_up_to(u64::MAX)?;
        match &mut self.committer {
            Some(c) => c.wait_all(),
            None => Ok(()),
        }
    }
}

/// Sends one record, waiting while librdkafka's queue is full.
fn send(
    producer: &SinkProducer,
    topic: &str,
    rec: &OutgoingRecord,
    timestamp: i64,
) -> Result<(), ConnectorError> {
    loop {
        let mut r = BaseRecord::<[u8], [u8]>::to(topic).payload(&rec.value);
        if rec.has_key {
            r = r.key(&rec.key);
        }
        if let Some(p) = rec.partition {
            r = r.partition(p);
        }
        if timestamp != NO_TIMESTAMP {
            r = r.timestamp(timestamp);
        }
        if !rec.headers.is_empty() {
            let mut h = OwnedHeaders::new_with_capacity(rec.headers.len());
            for (k, v) in &rec.headers {
                h = h.insert(Header {
                    key: k,
                    value: Some(v.as_slice()),
                });
            }
            r = r.headers(h);
        }
        match producer.send(r) {
            Ok(()) => return Ok(()),
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                // The background thread serves deliveries; give it a moment.
                std::thread::sleep(Duration::from_millis(1));
            }
            Err((e, _)) => return Err(kafka_error(&format!("producing to {topic}"), e)),
        }
    }
}

impl<T: Send> Sink<T> for KafkaSink<T> {
    fn open(&mut self, ctx: &SinkContext) -> Result<(), EngineError> {
        self.ctx = *ctx;
        Ok(())
    }

    fn restore_state(&mut self, ctx: &SinkContext, states: &[Vec<u8>]) -> Result<(), EngineError> {
        self.ctx = *ctx;
        Ok(self.recover(states)?)
    }

    fn write(&mut self, records: &mut Vec<Record<T>>) -> Result<(), EngineError> {
        Ok(self.write_inner(records)?)
    }

    fn snapshot_state(&mut self, checkpoint_id: u64) -> Result<Vec<u8>, EngineError> {
        Ok(self.snapshot_inner(checkpoint_id)?)
    }

    fn notify_checkpoint_complete(&mut self, checkpoint_id: u64) -> Result<(), EngineError> {
        Ok(self.commit_up_to(checkpoint_id)?)
    }

    fn finish(&mut self) -> Result<(), EngineError> {
        Ok(self.finish_inner()?)
    }
}
