//! [`KafkaSink`]: at-least-once (idempotent producer flushed at every checkpoint) or
//! exactly-once (one Kafka transaction per checkpoint).

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseRecord, Producer};
use spate_engine::{EngineError, NO_TIMESTAMP, Record, Sink, SinkContext};

use super::committer::Committer;
use super::error::kafka_error;
use super::transactional::{
    Recovery, Rejected, SinkProducer, TxnProducer, create_producer, transactional_id,
};
use super::txn_state::{PendingTxn, SinkTxnState};
use crate::{ConnectorError, OversizedRecord};
use spate_kafka_client::BrokerConnection;
use spate_kafka_client::ClientSecurity;
use spate_kafka_client::client_security::librdkafka_pairs;

/// librdkafka's default `message.max.bytes`: the largest record (and batch) a producer sends.
const LIBRDKAFKA_MESSAGE_MAX_BYTES: usize = 1_000_000;
/// librdkafka's smallest and largest accepted `message.max.bytes`.
const LIBRDKAFKA_MIN_MESSAGE_MAX_BYTES: usize = 1000;
const LIBRDKAFKA_MAX_MESSAGE_MAX_BYTES: usize = 1_000_000_000;
/// A v2 record batch header: a record alone in its batch needs this much besides itself.
const BATCH_OVERHEAD: usize = 61;
/// Most a record's own framing can take: length, attributes, timestamp and offset deltas, key
/// and value lengths, header count (varints at their widest).
const RECORD_OVERHEAD: usize = 5 + 1 + 10 + 5 + 5 + 5 + 5;
/// Most a header's two length varints can take.
const HEADER_OVERHEAD: usize = 10;
/// Skipped records are logged for the first one and then once per this many.
const LOG_EVERY: u64 = 1000;

/// What a [`KafkaSink`] does with a record its topic can never accept: one over the topic's
/// `max.message.bytes` (checked before sending, with the topic's config read at start) or the
/// producer's `message.max.bytes` (librdkafka's own check). Retrying cannot help: the record
/// is the same after every restart.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum OversizedRecords {
    /// Fail the job with an [`OversizedRecord`] error (fatal: not retried).
    #[default]
    Fail,
    /// Drop the record and count it ([`OversizedStats::skipped`]); logged once per 1000.
    Skip,
    /// Write the record to this topic instead, with headers `spate.dead-letter.topic` and
    /// `spate.dead-letter.reason`; exactly-once sinks write it in the same transaction. If even
    /// that topic cannot take it, it is skipped and counted.
    DeadLetter(String),
}

#[derive(Debug, Default)]
struct OversizedCounters {
    skipped: AtomicU64,
    dead_lettered: AtomicU64,
}

/// How many oversized records a sink skipped or dead-lettered, over all its subtasks (clones
/// share it) and restarts.
#[derive(Debug, Clone, Default)]
pub struct OversizedStats(Arc<OversizedCounters>);

impl OversizedStats {
    /// Records dropped (with [`OversizedRecords::Skip`], or dead-letter writes that failed too).
    pub fn skipped(&self) -> u64 {
        self.0.skipped.load(Ordering::Relaxed)
    }
    /// Records written to the dead-letter topic.
    pub fn dead_lettered(&self) -> u64 {
        self.0.dead_lettered.load(Ordering::Relaxed)
    }
}

/// The size limits the sink checks records against, learned once per subtask.
#[derive(Debug, Clone)]
struct Limits {
    /// Largest record (as [`wire_size`] estimates it) the output topic accepts, and whence.
    topic: (usize, String),
    /// The same for the dead-letter topic, if there is one.
    dead_letter: Option<(usize, String)>,
    /// `message.max.bytes` given to the producers: the larger of the two topics' limits (so a
    /// dead-letter topic with a larger limit can take what the output topic cannot), never
    /// above the configured one.
    producer: usize,
}

/// A record's size in a batch of its own, at most (what the broker compares with
/// `max.message.bytes`).
fn wire_size(rec: &OutgoingRecord) -> usize {
    BATCH_OVERHEAD
        + RECORD_OVERHEAD
        + rec.key.len()
        + rec.value.len()
        + rec
            .headers
            .iter()
            .map(|(k, v)| HEADER_OVERHEAD + k.len() + v.len())
            .sum::<usize>()
}

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
    /// The value is null (a tombstone), not the empty `value`.
    null_value: bool,
    partition: Option<i32>,
    headers: Vec<(String, Vec<u8>)>,
}

impl OutgoingRecord {
    fn clear(&mut self) {
        self.key.clear();
        self.has_key = false;
        self.value.clear();
        self.null_value = false;
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
    /// Makes the value null: a tombstone, which deletes the key from a compacted topic (what
    /// an upsert sink writes for a deletion).
    pub fn set_null_value(&mut self) {
        self.value.clear();
        self.null_value = true;
    }
    /// Sends to this partition instead of the one the key hashes to.
    pub fn set_partition(&mut self, partition: i32) {
        self.partition = Some(partition);
    }
    /// Adds a header.
    pub fn add_header(&mut self, name: &str, value: &[u8]) {
        self.headers.push((name.to_string(), value.to_vec()));
    }
    fn key(&self) -> Option<&[u8]> {
        self.has_key.then_some(self.key.as_slice())
    }
    /// Copies key, value and headers (not the partition) of `other`.
    fn clone_from_record(&mut self, other: &OutgoingRecord) {
        self.key.clone_from(&other.key);
        self.has_key = other.has_key;
        self.value.clone_from(&other.value);
        self.null_value = other.null_value;
        self.headers.clone_from(&other.headers);
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
    on_oversized: OversizedRecords,
    oversized_stats: OversizedStats,
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

    /// What to do with a record the topic can never accept (default: fail the job).
    pub fn on_oversized(mut self, policy: OversizedRecords) -> Self {
        self.on_oversized = policy;
        self
    }

    /// Counts skipped and dead-lettered records into `stats` (shared with the caller, e.g. for
    /// progress output) instead of counters of the sink's own.
    pub fn count_oversized_in(mut self, stats: OversizedStats) -> Self {
        self.oversized_stats = stats;
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
        if let OversizedRecords::DeadLetter(topic) = &self.on_oversized
            && (topic.is_empty() || *topic == self.topic)
        {
            return Err(ConnectorError::Config(format!(
                "the dead-letter topic must be named and differ from the output topic (got {topic:?})"
            )));
        }
        Ok(KafkaSink::unopened(
            Settings {
                bootstrap_servers: self.bootstrap_servers,
                topic: self.topic,
                serializer: self.serializer,
                guarantee: self.guarantee,
                properties: self.properties,
                transaction_timeout_ms,
                request_timeout: self.request_timeout,
                on_oversized: self.on_oversized,
            },
            self.oversized_stats,
        ))
    }
}

/// A sink's settings as the builder validated them.
struct Settings<T> {
    bootstrap_servers: String,
    topic: String,
    serializer: Serializer<T>,
    guarantee: DeliveryGuarantee,
    properties: Vec<(String, String)>,
    transaction_timeout_ms: i32,
    request_timeout: Duration,
    on_oversized: OversizedRecords,
}

impl<T> KafkaSink<T> {
    fn unopened(settings: Settings<T>, oversized_stats: OversizedStats) -> Self {
        let Settings {
            bootstrap_servers,
            topic,
            serializer,
            guarantee,
            properties,
            transaction_timeout_ms,
            request_timeout,
            on_oversized,
        } = settings;
        KafkaSink {
            bootstrap_servers,
            topic,
            serializer,
            guarantee,
            properties,
            transaction_timeout_ms,
            request_timeout,
            on_oversized,
            oversized_stats,
            limits: None,
            last_checkpoint: None,
            ctx: SinkContext {
                subtask: 0,
                parallelism: 1,
                attempt: 0,
            },
            buf: OutgoingRecord::default(),
            producer: None,
            current: None,
            spares: VecDeque::new(),
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
            Settings {
                bootstrap_servers: self.bootstrap_servers.clone(),
                topic: self.topic.clone(),
                serializer: self.serializer.clone(),
                guarantee: self.guarantee.clone(),
                properties: self.properties.clone(),
                transaction_timeout_ms: self.transaction_timeout_ms,
                request_timeout: self.request_timeout,
                on_oversized: self.on_oversized.clone(),
            },
            // Every subtask counts into the same stats.
            self.oversized_stats.clone(),
        )
    }
}

/// Producers started ahead of their transactions. A producer is ready 50–110 ms after it is
/// created, but now and then librdkafka's first connection to the transaction coordinator
/// misses and waits for its 500 ms coordinator-query timer; two spares give each producer two
/// checkpoint intervals to start, so the first write after a barrier does not wait for one.
const SPARE_PRODUCERS: usize = 2;

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
    on_oversized: OversizedRecords,
    oversized_stats: OversizedStats,
    /// Learned before the first producer is created.
    limits: Option<Limits>,
    /// The last checkpoint this subtask pre-committed at (named in oversized-record errors).
    last_checkpoint: Option<u64>,
    ctx: SinkContext,
    buf: OutgoingRecord,
    /// At-least-once: the one idempotent producer.
    producer: Option<SinkProducer>,
    /// Exactly-once: the producer of the open transaction.
    current: Option<TxnProducer>,
    /// Exactly-once: the next producers (oldest first), being initialised in the background.
    spares: VecDeque<(u64, JoinHandle<Result<TxnProducer, ConnectorError>>)>,
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
            on_oversized: OversizedRecords::Fail,
            oversized_stats: OversizedStats::default(),
        }
    }

    /// The counts of skipped and dead-lettered oversized records (shared by every subtask).
    pub fn oversized_stats(&self) -> OversizedStats {
        self.oversized_stats.clone()
    }

    /// `message.max.bytes` if a property sets it.
    fn explicit_message_max_bytes(&self) -> Option<usize> {
        spate_kafka_client::client_security::property(&self.properties, "message.max.bytes")
            .and_then(|v| v.parse().ok())
    }

    /// Learns the size limits once: the topics' `max.message.bytes` (DescribeConfigs), capped
    /// by a `message.max.bytes` property if one is set (librdkafka's default 1,000,000 applies
    /// only when the topics' limits are unknown). A cluster that does not answer leaves only the
    /// producer's limit, and the broker's asynchronous rejection (also handled) as the check.
    fn limits(&mut self) -> Limits {
        if let Some(l) = &self.limits {
            return l.clone();
        }
        let explicit = self.explicit_message_max_bytes();
        // Unusable security properties fail the producer with the same message just after.
        let security = self.security().unwrap_or_default();
        let mut admin = self
            .bootstrap_servers
            .split(',')
            .map(str::trim)
            .find_map(|server| {
                BrokerConnection::connect_secured(server, self.request_timeout, &security).ok()
            });
        let mut limit_of = |topic: &str| -> (usize, String) {
            let topic_limit = admin.as_mut().and_then(|a| {
                a.topic_config(topic, "max.message.bytes")
                    .ok()
                    .flatten()
                    .and_then(|v| v.parse::<usize>().ok())
            });
            // The topic's limit wins over librdkafka's default (so a dead-letter topic made
            // for large records can take them), not over a limit the user set.
            let producer = "the producer's message.max.bytes".to_string();
            match (topic_limit, explicit) {
                (Some(l), Some(e)) if e <= l => (e, producer),
                (Some(l), _) => (l, format!("max.message.bytes of topic {topic}")),
                (None, Some(e)) => (e, producer),
                (None, None) => (LIBRDKAFKA_MESSAGE_MAX_BYTES, producer),
            }
        };
        let topic = limit_of(&self.topic);
        let dead_letter = match &self.on_oversized {
            OversizedRecords::DeadLetter(t) => Some(limit_of(t)),
            _ => None,
        };
        let producer = dead_letter.as_ref().map_or(topic.0, |d| d.0.max(topic.0)).clamp(
            LIBRDKAFKA_MIN_MESSAGE_MAX_BYTES,
            explicit
                .unwrap_or(LIBRDKAFKA_MAX_MESSAGE_MAX_BYTES)
                .max(LIBRDKAFKA_MIN_MESSAGE_MAX_BYTES),
        );
        let limits = Limits {
            topic,
            dead_letter,
            producer,
        };
        self.limits = Some(limits.clone());
        limits
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
        for (k, v) in librdkafka_pairs(&self.properties) {
            c.set(k, v);
        }
        if let Some(l) = &self.limits {
            // Also keeps librdkafka's batches within what the topics accept.
            c.set("message.max.bytes", l.producer.to_string());
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

    /// How the raw admin client reaches the cluster: the producer's own security properties.
    fn security(&self) -> Result<ClientSecurity, ConnectorError> {
        let properties: BTreeMap<String, String> = self.properties.iter().cloned().collect();
        Ok(ClientSecurity::from_properties(&properties)?)
    }

    fn recover(&mut self, states: &[Vec<u8>]) -> Result<(), ConnectorError> {
        let security = self.security()?;
        let Some(prefix) = self.prefix() else {
            return Ok(());
        };
        let next = Recovery {
            bootstrap_servers: &self.bootstrap_servers,
            security: &security,
            prefix,
            transaction_timeout_ms: self.transaction_timeout_ms,
            request_timeout: self.request_timeout,
        }
        .run(&self.ctx, states)?;
        self.next_sequence = next;
        self.recovered = true;
        Ok(())
    }

    /// Starts preparing producers for the next transactions until [`SPARE_PRODUCERS`] are on
    /// their way.
    fn prepare_spares(&mut self) -> Result<(), ConnectorError> {
        while self.spares.len() < SPARE_PRODUCERS {
            self.prepare_spare()?;
        }
        Ok(())
    }

    fn prepare_spare(&mut self) -> Result<(), ConnectorError> {
        self.limits();
        let prefix = self.prefix().unwrap_or_default();
        let sequence = self.next_sequence;
        let id = transactional_id(prefix, self.ctx.subtask, sequence);
        let config = self.producer_config();
        let timeout = self.request_timeout;
        let topic = self.topic.clone();
        let handle = spate_engine::memory::spawn_tagged(
            std::thread::Builder::new().name("kafka-sink-producer".into()),
            move || TxnProducer::start(&config, id, sequence, &topic, timeout),
        )
        .map_err(|e| ConnectorError::Kafka(format!("starting a producer thread: {e}")))?;
        self.next_sequence += 1;
        self.spares.push_back((sequence, handle));
        Ok(())
    }

    /// The producer of the open transaction, starting one if needed.
    fn current(&mut self) -> Result<&mut TxnProducer, ConnectorError> {
        if self.current.is_none() {
            if !self.recovered {
                // A fresh start still aborts what an earlier run of this sink left open.
                self.recover(&[])?;
            }
            self.prepare_spares()?;
            let Some((_, handle)) = self.spares.pop_front() else {
                return Err(ConnectorError::Kafka("no producer was prepared".into()));
            };
            let waited = Instant::now();
            let producer = handle
                .join()
                .map_err(|_| ConnectorError::Kafka("the producer thread panicked".into()))??;
            let joined = waited.elapsed();
            producer
                .producer
                .begin_transaction()
                .map_err(|e| kafka_error("begin_transaction", e))?;
            tracing::debug!(
                transactional_id = %producer.transactional_id,
                waited_for_producer_us = joined.as_micros() as u64,
                begin_us = (waited.elapsed() - joined).as_micros() as u64,
                "transaction opened"
            );
            self.current = Some(producer);
            self.prepare_spares()?;
        }
        self.current
            .as_mut()
            .ok_or_else(|| ConnectorError::Kafka("no open transaction".into()))
    }

    /// The sequence of the first transactional id not covered by a pending transaction.
    fn unsettled_sequence(&self) -> u64 {
        match (&self.current, self.spares.front()) {
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
        let limits = self.limits();
        if self.prefix().is_some() {
            self.current()?;
        } else if self.producer.is_none() {
            self.producer = Some(create_producer(&self.producer_config())?);
        }
        self.check_delivery()?;
        let producer = self.active_producer()?;
        let mut sent = 0;
        for r in records {
            buf.clear();
            (self.serializer)(&r.value, buf)?;
            let size = wire_size(buf);
            let result = if size > limits.topic.0 {
                Err(SendError::TooLarge {
                    size,
                    limit: limits.topic.clone(),
                })
            } else {
                send(producer, &self.topic, buf, r.timestamp, None)
            };
            match result {
                Ok(()) => sent += 1,
                Err(SendError::Kafka(e)) => return Err(e),
                Err(SendError::TooLarge { size, limit }) => {
                    // 0: librdkafka's own check, against the producer's limit.
                    let bytes = if limit.0 == 0 { limits.producer } else { limit.0 };
                    if self.dead_letter(producer, &limits, buf, r.timestamp, size, (bytes, &limit.1))? {
                        sent += 1;
                    }
                }
            }
        }
        if let Some(c) = self.current.as_mut() {
            c.records += sent;
        }
        Ok(())
    }

    fn active_producer(&self) -> Result<&SinkProducer, ConnectorError> {
        match (&self.current, &self.producer) {
            (Some(c), _) => Ok(&c.producer),
            (None, Some(p)) => Ok(p),
            (None, None) => Err(ConnectorError::Kafka("no producer".into())),
        }
    }

    /// Applies the oversized-record policy to `rec` (already found too large for the output
    /// topic): an error, a skip, or a write to the dead-letter topic with `producer` (so in the
    /// same transaction). Returns whether a record was sent.
    fn dead_letter(
        &self,
        producer: &SinkProducer,
        limits: &Limits,
        rec: &OutgoingRecord,
        timestamp: i64,
        size: usize,
        (limit, limit_source): (usize, &str),
    ) -> Result<bool, ConnectorError> {
        match &self.on_oversized {
            OversizedRecords::Fail => Err(self.oversized_error(rec, size, limit, limit_source)),
            OversizedRecords::Skip => {
                self.count_skip(rec.key(), size, limit);
                Ok(false)
            }
            OversizedRecords::DeadLetter(dlq) => {
                let fits = limits.dead_letter.as_ref().is_none_or(|(l, _)| size <= *l);
                let reason = format!("{size} bytes over the {limit}-byte limit ({limit_source})");
                let extra = [
                    ("spate.dead-letter.topic", self.topic.as_bytes()),
                    ("spate.dead-letter.reason", reason.as_bytes()),
                ];
                let result = if fits {
                    // The output topic's partition means nothing in the dead-letter topic.
                    let mut to_dlq = OutgoingRecord::default();
                    to_dlq.clone_from_record(rec);
                    send(producer, dlq, &to_dlq, timestamp, Some(&extra))
                } else {
                    Err(SendError::TooLarge {
                        size,
                        limit: (0, String::new()),
                    })
                };
                match result {
                    Ok(()) => {
                        self.oversized_stats
                            .0
                            .dead_lettered
                            .fetch_add(1, Ordering::Relaxed);
                        Ok(true)
                    }
                    Err(SendError::TooLarge { .. }) => {
                        self.count_skip(rec.key(), size, limit);
                        Ok(false)
                    }
                    Err(SendError::Kafka(e)) => Err(e),
                }
            }
        }
    }

    fn oversized_error(
        &self,
        rec: &OutgoingRecord,
        size: usize,
        limit: usize,
        limit_source: &str,
    ) -> ConnectorError {
        ConnectorError::OversizedRecord(Box::new(OversizedRecord {
            topic: self.topic.clone(),
            partition: rec.partition,
            key: rec.key().map(<[u8]>::to_vec),
            size,
            value_size: rec.value.len(),
            limit,
            limit_source: limit_source.to_string(),
            after_checkpoint: self.last_checkpoint,
        }))
    }

    fn count_skip(&self, key: Option<&[u8]>, size: usize, limit: usize) {
        let n = self.oversized_stats.0.skipped.fetch_add(1, Ordering::Relaxed) + 1;
        if n == 1 || n.is_multiple_of(LOG_EVERY) {
            tracing::warn!(
                topic = %self.topic,
                key = %crate::error::show_key(key),
                size,
                limit,
                skipped_so_far = n,
                "skipping a record too large for its topic"
            );
        }
    }

    /// Delivery errors since the last check, and the records the broker rejected as too large
    /// (MESSAGE_TOO_LARGE: the topic's limit was lowered after the sink learned it, or the
    /// estimate was short). The broker rejects a whole batch, so the limits are learned again
    /// and only the records over them go through the oversized-record policy; the others are
    /// sent again (an at-least-once sink first replaces its producer, so its batches fit the
    /// new limit; a transaction is lost anyway: librdkafka makes it abortable, and the commit
    /// error restarts the job, which learns the limits afresh).
    fn check_delivery(&mut self) -> Result<(), ConnectorError> {
        let Ok(producer) = self.active_producer() else {
            return Ok(());
        };
        let mut rejected: Vec<Rejected> = producer.context().take_rejected();
        producer.context().check_delivery()?;
        if rejected.is_empty() {
            return Ok(());
        }
        let before = self.limits.take();
        let limits = self.limits();
        let changed = before.as_ref().is_none_or(|b| b.topic.0 != limits.topic.0);
        if self.prefix().is_none()
            && before.is_none_or(|b| b.producer != limits.producer)
            && let Some(old) = self.producer.take()
        {
            super::transactional::await_deliveries(&old, self.request_timeout)
                .map_err(|e| kafka_error("flushing before replacing the producer", e))?;
            rejected.extend(old.context().take_rejected());
            old.context().check_delivery()?;
            self.producer = Some(create_producer(&self.producer_config())?);
        }
        let producer = self.active_producer()?;
        let answered = format!(
            "the broker rejected its batch as over max.message.bytes of topic {}; the limit shown \
             is the one the sink learned",
            self.topic
        );
        for r in rejected {
            let mut rec = OutgoingRecord::default();
            if let Some(k) = &r.key {
                rec.set_key(k);
            }
            match r.value {
                Some(v) => rec.value = v,
                None => rec.set_null_value(),
            }
            rec.headers = r.headers;
            let size = wire_size(&rec);
            rec.partition = Some(r.partition);
            if size <= limits.topic.0 && changed {
                // Rejected with a larger record in its batch: it fits on its own.
                match send(producer, &self.topic, &rec, r.timestamp, None) {
                    Ok(()) => continue,
                    Err(SendError::Kafka(e)) => return Err(e),
                    Err(SendError::TooLarge { .. }) => {}
                }
            }
            // Over the new limit, or the limit is unknown (no larger record to blame): the
            // broker's answer is all there is.
            let limit = if size > limits.topic.0 {
                (limits.topic.0, limits.topic.1.as_str())
            } else {
                (limits.topic.0, answered.as_str())
            };
            self.dead_letter(producer, &limits, &rec, r.timestamp, size, limit)?;
        }
        Ok(())
    }

    fn snapshot_inner(&mut self, checkpoint_id: u64) -> Result<Vec<u8>, ConnectorError> {
        if self.prefix().is_none() {
            if let Some(p) = &self.producer {
                super::transactional::await_deliveries(p, self.request_timeout)
                    .map_err(|e| kafka_error("flushing at the checkpoint", e))?;
                self.check_delivery()?;
                // Dead-letter writes of records the broker rejected must be flushed as well.
                if let Some(p) = &self.producer {
                    super::transactional::await_deliveries(p, self.request_timeout)
                        .map_err(|e| kafka_error("flushing at the checkpoint", e))?;
                    p.context().check_delivery()?;
                }
            }
            return Ok(Vec::new());
        }
        // An empty transaction stays open for the next checkpoint: nothing to pre-commit.
        if self.current.as_ref().is_some_and(|c| c.records > 0)
            && let Some(current) = self.current.take()
        {
            let started = Instant::now();
            let pending = current.pre_commit(checkpoint_id, self.request_timeout)?;
            tracing::debug!(
                transactional_id = %current.transactional_id,
                checkpoint = checkpoint_id,
                records = current.records,
                pre_commit_us = started.elapsed().as_micros() as u64,
                "transaction pre-committed"
            );
            self.pending.push((pending, current));
            self.prepare_spares()?;
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
        tracing::debug!(checkpoint = checkpoint_id, "checkpoint complete: committing");
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

/// Why a record was not sent.
enum SendError {
    /// Too large: its size and the limit `(bytes, whence)` it exceeds.
    TooLarge {
        size: usize,
        limit: (usize, String),
    },
    Kafka(ConnectorError),
}

/// Sends one record (with `extra_headers` after its own), waiting while librdkafka's queue is
/// full. librdkafka's own size check (`message.max.bytes`) answers synchronously.
fn send(
    producer: &SinkProducer,
    topic: &str,
    rec: &OutgoingRecord,
    timestamp: i64,
    extra_headers: Option<&[(&str, &[u8])]>,
) -> Result<(), SendError> {
    let extra = extra_headers.unwrap_or_default();
    loop {
        let mut r = BaseRecord::<[u8], [u8]>::to(topic);
        if !rec.null_value {
            r = r.payload(&rec.value);
        }
        if rec.has_key {
            r = r.key(&rec.key);
        }
        if let Some(p) = rec.partition {
            r = r.partition(p);
        }
        if timestamp != NO_TIMESTAMP {
            r = r.timestamp(timestamp);
        }
        if !rec.headers.is_empty() || !extra.is_empty() {
            let mut h = OwnedHeaders::new_with_capacity(rec.headers.len() + extra.len());
            for (k, v) in &rec.headers {
                h = h.insert(Header {
                    key: k,
                    value: Some(v.as_slice()),
                });
            }
            for (k, v) in extra {
                h = h.insert(Header {
                    key: k,
                    value: Some(*v),
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
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::MessageSizeTooLarge), _)) => {
                return Err(SendError::TooLarge {
                    size: wire_size(rec),
                    limit: (0, "the producer's message.max.bytes".to_string()),
                });
            }
            Err((e, _)) => return Err(SendError::Kafka(kafka_error(&format!("producing to {topic}"), e))),
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
        let state = self.snapshot_inner(checkpoint_id)?;
        self.last_checkpoint = Some(checkpoint_id);
        Ok(state)
    }

    fn notify_checkpoint_complete(&mut self, checkpoint_id: u64) -> Result<(), EngineError> {
        Ok(self.commit_up_to(checkpoint_id)?)
    }

    fn finish(&mut self) -> Result<(), EngineError> {
        Ok(self.finish_inner()?)
    }
}
