//! The Kafka sinks: `kafka` tables write rows, `upsert-kafka` tables write a changelog by key.
//!
//! `kafka` (options in `kafka.rs`' docs): each row becomes a record of the table's key and
//! value formats. `upsert-kafka` (Flink's upsert sink): the key is the table's `PRIMARY KEY`
//! in `key.format`, the value the row in `value.format` (`value.fields-include`: `ALL`, or
//! `EXCEPT_KEY`); `+I` and `+U` write the row, `-U` and `-D` write a tombstone (the key with a
//! null value), so a compacted topic keeps the last row of each key and forgets deleted keys.
//! Records are partitioned by their key with Kafka's Java default (murmur2), so the key's
//! records keep their order in one partition and other Kafka clients agree on where a key is.

use std::sync::Arc;
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::producer::{BaseProducer, Producer};
use spate_connectors::ConnectorError;
use spate_connectors::kafka::{DeliveryGuarantee, KafkaSink, OutgoingRecord};
use spate_engine::{DataStream, EngineError, NO_TIMESTAMP, Record, Sink, SinkContext, Timestamp};

use super::ConnectorContext;
use super::columns::Columns;
use super::kafka::{bootstrap, client_properties, layout, upsert_layout};
use super::metadata::WriteKeys;
use super::opts::Options;
use super::sink_input::SinkInput;
use super::upsert_buffer::{BufferFlush, UpsertBuffer};
use crate::error::SqlError;
use crate::format::key_value::{FormatColumns, KeyValueLayout};
use crate::value::{Row, RowKind, Value};

/// A record ready for the Kafka sink.
#[derive(Debug, Clone)]
struct Encoded {
    key: Option<Vec<u8>>,
    /// `None`: a tombstone.
    value: Option<Vec<u8>>,
    headers: Vec<(String, Vec<u8>)>,
    partition: Option<i32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Partitioner {
    Default,
    Fixed,
    RoundRobin,
}

/// Encodes rows (key, value, metadata, partition) and hands them to the `KafkaSink`.
#[derive(Clone)]
pub(crate) struct KafkaRowSink {
    inner: KafkaSink<Encoded>,
    layout: Arc<KeyValueLayout>,
    /// Sink-row position of each physical column.
    physical: Arc<[usize]>,
    /// Whether the key's and the value's columns are the row's first ones, in order (see
    /// [`in_place`]).
    key_in_place: bool,
    value_in_place: bool,
    /// An `upsert-kafka` table: retractions are tombstones.
    upsert: bool,
    /// `sink.buffer-flush.*` of an `upsert-kafka` table: the buffer of each key's last record.
    buffer: Option<UpsertBuffer<Encoded>>,
    meta: WriteKeys,
    partitioner: Partitioner,
    topic: String,
    client: Vec<(String, String)>,
    partitions: i32,
    subtask: usize,
    next: i32,
}

impl std::fmt::Debug for KafkaRowSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaRowSink")
            .field("topic", &self.topic)
            .field("partitioner", &self.partitioner)
            .finish_non_exhaustive()
    }
}

impl KafkaRowSink {
    /// Encodes `side`'s columns of `row`; `in_place`: they are the row's first columns, in
    /// order, and are encoded from the row without a copy of each value.
    fn encode_side(
        &self,
        side: &FormatColumns,
        in_place: bool,
        kind: RowKind,
        row: &Row,
        out: &mut Vec<u8>,
    ) -> Result<(), EngineError> {
        let encoded = if in_place && side.columns.len() <= row.len() {
            side.format.encode_change(kind, &row[..side.columns.len()], out)
        } else {
            let values: Vec<Value> = side
                .columns
                .iter()
                .map(|&c| row.get(self.physical[c]).cloned().unwrap_or(Value::Null))
                .collect();
            side.format.encode_change(kind, &values, out)
        };
        encoded.map_err(|e| EngineError::fatal(format!("encoding a row for topic {}: {e}", self.topic)))
    }

    fn partition_count(&self) -> Result<i32, EngineError> {
        let mut config = ClientConfig::new();
        for (k, v) in &self.client {
            config.set(k, v);
        }
        let producer: BaseProducer = config.create().map_err(EngineError::connector)?;
        let md = producer
            .client()
            .fetch_metadata(Some(&self.topic), Duration::from_secs(10))
            .map_err(EngineError::connector)?;
        let n = md
            .topics()
            .iter()
            .find(|t| t.name() == self.topic)
            .map_or(0, |t| t.partitions().len());
        if n == 0 {
            return Err(EngineError::connector(format!(
                "topic {} has no partitions",
                self.topic
            )));
        }
        Ok(i32::try_from(n).unwrap_or(i32::MAX))
    }

    /// The record of `row`, a change of `kind`: its key, and its value (a changelog format
    /// writes the kind into it) or (`tombstone`) none; its timestamp is the `timestamp`
    /// metadata column's.
    fn encode(&mut self, row: &Row, kind: RowKind, tombstone: bool) -> Result<Record<Encoded>, EngineError> {
        let key = match &self.layout.key {
            Some(side) => {
                let mut k = Vec::new();
                self.encode_side(side, self.key_in_place, RowKind::Insert, row, &mut k)?;
                Some(k)
            }
            None => None,
        };
        let value = if tombstone {
            None
        } else {
            let mut value = Vec::new();
            self.encode_side(&self.layout.value, self.value_in_place, kind, row, &mut value)?;
            Some(value)
        };
        let timestamp = match self.meta.timestamp.and_then(|p| row.get(p)) {
            Some(Value::Timestamp(micros)) => micros.div_euclid(1000),
            _ => NO_TIMESTAMP,
        };
        let mut headers = Vec::new();
        if let Some(Value::Map(entries)) = self.meta.headers.and_then(|p| row.get(p)) {
            for (k, v) in entries {
                let Value::String(k) = k else { continue };
                let v = match v {
                    Value::Bytes(b) => b.clone(),
                    Value::String(s) => s.clone().into_bytes(),
                    _ => Vec::new(),
                };
                headers.push((k.clone(), v));
            }
        }
        let partition = match self.partitioner {
            Partitioner::Default => None,
            Partitioner::Fixed => Some(i32::try_from(self.subtask).unwrap_or(0) % self.partitions),
            Partitioner::RoundRobin => {
                let p = self.next % self.partitions;
                self.next = (p + 1) % self.partitions;
                Some(p)
            }
        };
        Ok(Record::new(
            timestamp,
            Encoded {
                key,
                value,
                headers,
                partition,
            },
        ))
    }
}

impl KafkaRowSink {
    /// Hands encoded records to the producer, or (buffering) to the buffer, which is written
    /// when it holds `max-rows` keys.
    fn send(&mut self, mut encoded: Vec<Record<Encoded>>) -> Result<(), EngineError> {
        let Some(buffer) = &mut self.buffer else {
            return Sink::<Encoded>::write(&mut self.inner, &mut encoded);
        };
        let mut full = Vec::new();
        for r in encoded {
            if buffer.put(r, |e| e.key.as_deref().unwrap_or_default()) {
                buffer.drain_into(&mut full, spate_engine::clock::now_millis());
            }
        }
        self.write_buffered(full)
    }

    /// Writes the buffer out (before a checkpoint's pre-commit, at the end, on the interval).
    fn flush_buffer(&mut self, now: Timestamp) -> Result<(), EngineError> {
        let Some(buffer) = &mut self.buffer else {
            return Ok(());
        };
        let mut out = Vec::new();
        buffer.drain_into(&mut out, now);
        self.write_buffered(out)
    }

    /// Hands records the buffer let go of to the producer (none: nothing to do).
    fn write_buffered(&mut self, mut records: Vec<Record<Encoded>>) -> Result<(), EngineError> {
        if records.is_empty() {
            return Ok(());
        }
        Sink::<Encoded>::write(&mut self.inner, &mut records)
    }
}

/// Rows become records of the table's formats. An upsert table's changelog: `+I`/`+U` write
/// the row, `-U`/`-D` a tombstone for its key; a `kafka` table with a changelog format writes
/// each change as an event of its kind.
impl<T: SinkInput> Sink<T> for KafkaRowSink {
    fn open(&mut self, ctx: &SinkContext) -> Result<(), EngineError> {
        self.subtask = ctx.subtask;
        if self.partitioner != Partitioner::Default {
            self.partitions = self.partition_count()?;
            self.next = i32::try_from(ctx.subtask).unwrap_or(0);
        }
        Sink::<Encoded>::open(&mut self.inner, ctx)
    }

    fn restore_state(&mut self, ctx: &SinkContext, states: &[Vec<u8>]) -> Result<(), EngineError> {
        Sink::<Encoded>::restore_state(&mut self.inner, ctx, states)
    }

    fn write(&mut self, records: &mut Vec<Record<T>>) -> Result<(), EngineError> {
        let mut encoded = Vec::with_capacity(records.len());
        for r in records.drain(..) {
            let (row, kind) = r.value.parts();
            let tombstone = self.upsert && !kind.is_accumulate();
            encoded.push(self.encode(row, kind, tombstone)?);
        }
        self.send(encoded)
    }

    fn on_processing_time(&mut self, now: Timestamp) -> Result<(), EngineError> {
        if self.buffer.as_mut().is_some_and(|b| b.due(now)) {
            return self.flush_buffer(now);
        }
        Ok(())
    }

    fn snapshot_state(&mut self, checkpoint_id: u64) -> Result<Vec<u8>, EngineError> {
        self.flush_buffer(spate_engine::clock::now_millis())?;
        Sink::<Encoded>::snapshot_state(&mut self.inner, checkpoint_id)
    }

    fn notify_checkpoint_complete(&mut self, checkpoint_id: u64) -> Result<(), EngineError> {
        Sink::<Encoded>::notify_checkpoint_complete(&mut self.inner, checkpoint_id)
    }

    fn finish(&mut self) -> Result<(), EngineError> {
        self.flush_buffer(spate_engine::clock::now_millis())?;
        Sink::<Encoded>::finish(&mut self.inner)
    }
}

/// Whether `side`'s columns are the sink row's first ones in order (usually so for a value of
/// every column): then it is encoded straight from the row.
fn in_place(side: &FormatColumns, physical: &[usize]) -> bool {
    side.columns
        .iter()
        .enumerate()
        .all(|(i, &c)| physical.get(c) == Some(&i))
}

fn fill(e: &Encoded, out: &mut OutgoingRecord) -> Result<(), ConnectorError> {
    if let Some(k) = &e.key {
        out.set_key(k);
    }
    match &e.value {
        Some(v) => out.value_mut().extend_from_slice(v),
        None => out.set_null_value(),
    }
    for (k, v) in &e.headers {
        out.add_header(k, v);
    }
    if let Some(p) = e.partition {
        out.set_partition(p);
    }
    Ok(())
}

/// Adds a `kafka` table's sink after `input` (rows), or an `upsert-kafka` table's (rows, or
/// changes).
pub(crate) fn write<T>(
    input: &DataStream<T>,
    options: Options<'_>,
    ctx: &ConnectorContext,
    parallelism: Option<usize>,
) -> Result<(), SqlError>
where
    T: SinkInput,
{
    let upsert = options.get("connector") == Some("upsert-kafka");
    let buffer = match upsert {
        true => BufferFlush::of(options)?,
        false => None,
    };
    let columns = Columns::of(options.table());
    let layout = if upsert {
        upsert_layout(options, &columns, ctx)?
    } else {
        layout(options, &columns, ctx)?
    };
    if let Some(why) = layout.value.format.unwritable() {
        return Err(options.error(why));
    }
    let sink_layout = columns.sink_layout();
    let meta = WriteKeys::of(options, &sink_layout)?;
    let topic = match (options.get("topic"), options.get("topic-pattern")) {
        (Some(t), _) if !t.contains(';') && !t.trim().is_empty() => t.trim().to_string(),
        (Some(_), _) => return Err(options.invalid("topic", "a Kafka sink writes to exactly one topic")),
        (None, _) => return Err(options.error("a Kafka sink needs 'topic' ('topic-pattern' is for reading)")),
    };
    let guarantee = options
        .get("sink.delivery-guarantee")
        .or(options.get("sink.semantic"))
        .map_or_else(
            || "at-least-once".to_string(),
            |g| g.to_ascii_lowercase().replace('_', "-"),
        );
    let guarantee = match guarantee.as_str() {
        "none" | "at-least-once" => DeliveryGuarantee::AtLeastOnce,
        "exactly-once" => {
            let prefix = options.get("sink.transactional-id-prefix").ok_or_else(|| {
                options.invalid(
                    "sink.delivery-guarantee",
                    "'exactly-once' needs 'sink.transactional-id-prefix'",
                )
            })?;
            DeliveryGuarantee::ExactlyOnce {
                transactional_id_prefix: prefix.to_string(),
            }
        }
        other => {
            return Err(options.invalid(
                "sink.delivery-guarantee",
                format!("'{other}' is not none, at-least-once or exactly-once"),
            ));
        }
    };
    let partitioner = match options.get("sink.partitioner").unwrap_or("default") {
        "default" => Partitioner::Default,
        "fixed" => Partitioner::Fixed,
        "round-robin" => Partitioner::RoundRobin,
        other => {
            return Err(options.invalid(
                "sink.partitioner",
                format!("'{other}' is not supported (supported: default, fixed, round-robin; custom partitioner classes are not)"),
            ));
        }
    };
    let servers = bootstrap(options, ctx)?;
    let mut client = client_properties(options, ctx);
    if upsert && !client.iter().any(|(k, _)| k == "partitioner") {
        // Where Kafka's Java clients (and so Flink) put a key: one partition per key for
        // every writer of the topic.
        client.push(("partitioner".to_string(), "murmur2_random".to_string()));
    }
    let mut builder =
        KafkaSink::builder_with(servers.clone(), topic.clone(), fill).delivery_guarantee(guarantee);
    for (k, v) in &client {
        builder = builder.property(k.clone(), v.clone());
    }
    let inner = builder.build().map_err(|e| options.error(e))?;
    let mut all_client = vec![("bootstrap.servers".to_string(), servers)];
    all_client.extend(client);
    let physical: Arc<[usize]> = sink_layout.physical.clone().into();
    let sink = KafkaRowSink {
        inner,
        key_in_place: layout.key.as_ref().is_some_and(|k| in_place(k, &physical)),
        value_in_place: in_place(&layout.value, &physical),
        layout: Arc::new(layout),
        physical,
        upsert,
        buffer: buffer.map(UpsertBuffer::new),
        meta,
        partitioner,
        topic,
        client: all_client,
        partitions: 1,
        subtask: 0,
        next: 0,
    };
    let name = options.table_name();
    match parallelism {
        None => {
            input.add_sink(&name, sink);
        }
        // Rows reach a sink of its own parallelism by the hash of the primary key, as Flink
        // shuffles them (`table.exec.sink.keyed-shuffle`): one subtask writes all changes of
        // a key, in order. (Flink's connector 4.0.1 forgets the shuffle when the buffer is on
        // and sends rows round-robin, so two writers can write one key out of order; Spate
        // keys them either way.)
        Some(p) if upsert => {
            let key_columns: Arc<[usize]> = sink
                .layout
                .key
                .as_ref()
                .map(|k| k.columns.iter().map(|&c| sink.physical[c]).collect())
                .unwrap_or_default();
            let key = move |t: &T| -> Vec<Value> {
                let row = t.parts().0;
                key_columns
                    .iter()
                    .map(|&c| row.get(c).cloned().unwrap_or_default())
                    .collect()
            };
            input.key_by(key).add_sink(&name, sink).set_parallelism(p);
        }
        Some(p) => {
            input.add_sink(&name, sink).set_parallelism(p);
        }
    }
    Ok(())
}
