//! The registry's log as a Kafka topic, as Confluent keeps it: one partition, compacted,
//! written with acks=all by an idempotent producer and read from the beginning by an
//! unassigned, non-committing consumer. Any Kafka cluster works (Spate's own broker by
//! default), so a registry pointed at an external cluster keeps its state there.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::Message;
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use rdkafka::{ClientContext, Offset, TopicPartitionList};

use crate::error::{RegistryError, Result};
use crate::service::{LogRecord, SchemaLog};

/// Confluent's default topic name (`kafkastore.topic`).
pub const DEFAULT_TOPIC: &str = "_schemas";
/// How long a write or a catch-up may take before the request fails (Confluent's
/// `kafkastore.timeout.ms` is 500 ms; a restarting broker needs longer).
const TIMEOUT: Duration = Duration::from_secs(30);

/// The first delivery failure of a batch, shared between the producer's context and the log.
type Failed = Arc<Mutex<Option<String>>>;

/// Records the first delivery failure of a batch.
struct Deliveries {
    failed: Failed,
}

impl ClientContext for Deliveries {}

impl ProducerContext for Deliveries {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        if let Err((e, _)) = result
            && let Ok(mut failed) = self.failed.lock()
        {
            failed.get_or_insert_with(|| e.to_string());
        }
    }
}

/// The `_schemas` topic of a Kafka cluster.
pub struct KafkaLog {
    topic: String,
    producer: ThreadedProducer<Deliveries>,
    failed: Failed,
    consumer: BaseConsumer,
    /// The next offset to read.
    next: i64,
}

impl std::fmt::Debug for KafkaLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaLog")
            .field("topic", &self.topic)
            .field("next", &self.next)
            .finish()
    }
}

fn store(what: &str, e: impl std::fmt::Display) -> RegistryError {
    RegistryError::Store(format!("{what}: {e}"))
}

impl KafkaLog {
    /// Opens (creating it when missing) the topic on the cluster `client` connects to
    /// (`bootstrap.servers` and any security properties). Refuses a topic with more than one
    /// partition or without compaction, as Confluent's registry does.
    pub fn open(client: &ClientConfig, topic: &str) -> Result<KafkaLog> {
        ensure_topic(client, topic)?;
        let failed: Failed = Arc::default();
        let producer: ThreadedProducer<Deliveries> = client
            .clone()
            .set("acks", "all")
            .set("enable.idempotence", "true")
            .set("linger.ms", "0")
            .create_with_context(Deliveries {
                failed: failed.clone(),
            })
            .map_err(|e| store("cannot create the registry's producer", e))?;
        let consumer: BaseConsumer = client
            .clone()
            .set("group.id", "spate-schema-registry")
            .set("enable.auto.commit", "false")
            .set("enable.partition.eof", "false")
            .create()
            .map_err(|e| store("cannot create the registry's reader", e))?;
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset(topic, 0, Offset::Beginning)
            .map_err(|e| store("cannot assign the registry's partition", e))?;
        consumer
            .assign(&tpl)
            .map_err(|e| store("cannot assign the registry's partition", e))?;
        Ok(KafkaLog {
            topic: topic.to_string(),
            producer,
            failed,
            consumer,
            next: 0,
        })
    }
}

fn ensure_topic(client: &ClientConfig, topic: &str) -> Result<()> {
    let admin: AdminClient<DefaultClientContext> = client
        .create()
        .map_err(|e| store("cannot create an admin client", e))?;
    let metadata = admin
        .inner()
        .fetch_metadata(Some(topic), TIMEOUT)
        .map_err(|e| store(&format!("cannot read the metadata of {topic}"), e))?;
    let existing = metadata
        .topics()
        .iter()
        .find(|t| t.name() == topic && t.error().is_none());
    match existing {
        Some(t) if t.partitions().len() == 1 => return Ok(()),
        Some(t) if !t.partitions().is_empty() => {
            return Err(RegistryError::Store(format!(
                "the schema registry's topic {topic} has {} partitions; it must have exactly 1",
                t.partitions().len()
            )));
        }
        _ => {}
    }
    let new = NewTopic::new(topic, 1, TopicReplication::Fixed(1)).set("cleanup.policy", "compact");
    let opts = AdminOptions::new().operation_timeout(Some(TIMEOUT));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| store("cannot start a runtime for the admin client", e))?;
    let results = runtime
        .block_on(admin.create_topics([&new], &opts))
        .map_err(|e| store(&format!("cannot create {topic}"), e))?;
    for r in results {
        match r {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((name, code)) => return Err(RegistryError::Store(format!("cannot create {name}: {code}"))),
        }
    }
    Ok(())
}

impl SchemaLog for KafkaLog {
    fn read_new(&mut self) -> Result<Vec<LogRecord>> {
        let (_, high) = self
            .consumer
            .fetch_watermarks(&self.topic, 0, TIMEOUT)
            .map_err(|e| store(&format!("cannot read the end of {}", self.topic), e))?;
        let mut out = Vec::new();
        let deadline = Instant::now() + TIMEOUT;
        while self.next < high {
            if Instant::now() > deadline {
                return Err(RegistryError::Store(format!(
                    "reading {} timed out at offset {} of {high}",
                    self.topic, self.next
                )));
            }
            let Some(m) = self.consumer.poll(Duration::from_millis(100)) else {
                continue;
            };
            let m = m.map_err(|e| store(&format!("cannot read {}", self.topic), e))?;
            self.next = m.offset() + 1;
            // Records without a key are not the registry's (Confluent ignores them too).
            if let Some(key) = m.key() {
                out.push(LogRecord {
                    key: key.to_vec(),
                    value: m.payload().map(<[u8]>::to_vec),
                });
            }
        }
        Ok(out)
    }

    fn append(&mut self, records: &[LogRecord]) -> Result<()> {
        if let Ok(mut failed) = self.failed.lock() {
            *failed = None;
        }
        for r in records {
            let mut record: BaseRecord<'_, [u8], [u8], ()> =
                BaseRecord::to(&self.topic).partition(0).key(&r.key[..]);
            if let Some(v) = &r.value {
                record = record.payload(&v[..]);
            }
            self.producer
                .send(record)
                .map_err(|(e, _): (KafkaError, _)| store(&format!("cannot write to {}", self.topic), e))?;
        }
        self.producer
            .flush(TIMEOUT)
            .map_err(|e| store(&format!("writing to {} timed out", self.topic), e))?;
        let failed = self.failed.lock().ok().and_then(|mut f| f.take());
        match failed {
            Some(e) => Err(RegistryError::Store(format!(
                "cannot write to {}: {e}",
                self.topic
            ))),
            None => Ok(()),
        }
    }
}
