//! Kafka source and sink on `rdkafka`, for any Kafka cluster and Spate's embedded broker.
//!
//! - [`KafkaSource`]: assigned partitions (no group rebalancing), one split per partition,
//!   starting offsets (earliest, latest, committed, timestamp, explicit), bounded mode,
//!   partition discovery, positions restored at any parallelism, offsets of completed
//!   checkpoints committed to the consumer group; from a Spate broker in the same process it
//!   reads the partition logs directly (no socket, no per-message client work).
//! - [`KafkaSink`]: at-least-once (idempotent producer, flushed at every checkpoint) or
//!   exactly-once (one Kafka transaction per checkpoint, committed when the checkpoint
//!   completes, recovered or aborted on restore).
//! - The raw Kafka-protocol client (`spate_kafka_client`) finishes or aborts the transactions of
//!   a crashed run for the exactly-once sink, reads topic limits, and on the fetch read path
//!   fetches record batches; its `ClientSecurity` turns Kafka client properties into settings
//!   for both clients.
//!
//! ```no_run
//! use spate_connectors::kafka::{DeliveryGuarantee, KafkaRecord, KafkaSink, KafkaSource, StartingOffsets};
//!
//! # fn main() -> Result<(), spate_connectors::ConnectorError> {
//! let source = KafkaSource::builder("localhost:9092", "my-job", KafkaRecord::deserialize)
//!     .topics(["orders"])
//!     .starting_offsets(StartingOffsets::Earliest)
//!     .build()?;
//! let sink = KafkaSink::builder("localhost:9092", "orders-copy", |r: &KafkaRecord| {
//!     (r.key.clone(), r.value.clone().unwrap_or_default())
//! })
//! .delivery_guarantee(DeliveryGuarantee::ExactlyOnce {
//!     transactional_id_prefix: "my-job-sink".into(),
//! })
//! .build()?;
//! # let _ = (source, sink);
//! # Ok(())
//! # }
//! ```

mod assignment;
pub mod avro;
mod committer;
pub(crate) mod error;
mod message;
pub mod position;
pub mod protobuf;
mod sink;
mod source;
mod transactional;
mod txn_state;

pub use assignment::partition_owner;
pub use message::{KafkaMessage, KafkaRecord};
pub use sink::{
    DeliveryGuarantee, KafkaSink, KafkaSinkBuilder, OutgoingRecord, OversizedRecords, OversizedStats,
};
pub use source::{
    Deserializer, KafkaSource, KafkaSourceBuilder, OffsetReset, ReadPath, StartingOffsets, TopicSelection,
};
