//! The `kafka` connector: tables over spate_connectors' `KafkaSource` and `KafkaSink`, with
//! the options of Flink's Kafka SQL connector.
//!
//! Source: `topic` (`a;b`) or `topic-pattern`; `properties.*` go to the client as they are
//! (`properties.bootstrap.servers`, else the context's bootstrap); `properties.group.id` (the
//! group completed checkpoints' offsets are committed to; `spate-sql-<table>` without it);
//! `scan.startup.mode` (Flink's default `group-offsets`, falling back to
//! `properties.auto.offset.reset`, earliest when it is not set — Flink fails the job there
//! instead), `scan.startup.timestamp-millis`, `scan.startup.specific-offsets`
//! (`partition:0,offset:42;partition:1,offset:300`, for a single topic),
//! `scan.bounded.mode` `unbounded` or `latest-offset` (the others are not supported),
//! `scan.topic-partition-discovery.interval`. The isolation level is Kafka's (and Flink's)
//! default `read_uncommitted` unless `properties.isolation.level` says otherwise. A record
//! whose key or value does not decode fails the job with its topic, partition and offset, or
//! with the format's `ignore-parse-errors` is skipped and counted (`<table>.skipped-records`);
//! a record with a null value (a tombstone) is skipped, as in Flink.
//!
//! Sink (`kafka_sink.rs`): one `topic`; `sink.delivery-guarantee` `at-least-once` (default), `exactly-once`
//! (needs `sink.transactional-id-prefix`; one transaction per checkpoint) or `none` (written
//! as at-least-once: the sink flushes at checkpoints either way); `sink.partitioner`
//! `default` (by key hash, keyless records as the client spreads them), `fixed` (sink subtask
//! `i` writes partition `i % partitions`) or `round-robin`; writable metadata `timestamp`
//! (without it the record timestamp is the producer's clock, as Flink leaves it null) and
//! `headers`.

use std::collections::BTreeMap;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use spate_connectors::ConnectorError;
use spate_connectors::kafka::{KafkaMessage, KafkaSource, OffsetReset, StartingOffsets};
use spate_engine::{DataStream, EngineError, SourceContext, SourceStatus, StreamEnvironment};

use super::columns::Columns;
use super::metadata::{self, ReadKey, Target};
use super::opts::Options;
use super::source::{Decoded, RowOut, RowReader, add_source, kind_value};
use super::{ConnectorContext, ScanPlan};
use crate::error::SqlError;
use crate::format::key_value::{KeyValueLayout, kafka_layout, options_map};
use crate::value::{Row, Value};
use crate::zone::SessionZone;

pub(super) fn bootstrap(options: Options<'_>, ctx: &ConnectorContext) -> Result<String, SqlError> {
    options
        .get("properties.bootstrap.servers")
        .map(str::to_string)
        .or_else(|| ctx.bootstrap.clone())
        .ok_or_else(|| {
            options.error(
                "no Kafka cluster: set 'properties.bootstrap.servers' or give the bootstrap servers to the session (--bootstrap)",
            )
        })
}

/// Client properties: the context's [`ConnectorContext::bootstrap_properties`] when the table
/// uses the context's cluster, then every `properties.*` but bootstrap servers and group id
/// (set apart); a later one wins.
pub(super) fn client_properties(options: Options<'_>, ctx: &ConnectorContext) -> Vec<(String, String)> {
    let mut all = Vec::new();
    if options.get("properties.bootstrap.servers").is_none() {
        all.extend(ctx.bootstrap_properties.iter().cloned());
    }
    all.extend(
        options
            .with_prefix("properties.")
            .into_iter()
            .filter(|(k, _)| k != "bootstrap.servers" && k != "group.id"),
    );
    all
}

/// Decodes consumed messages into rows.
struct Decode {
    table: String,
    layout: KeyValueLayout,
    width: usize,
    /// Row index of each physical column.
    physical: Vec<usize>,
    /// The connector's metadata columns.
    metadata: Vec<(Target, ReadKey)>,
    /// The value format's metadata columns, in the order the format reads their keys (only a
    /// changelog format has any).
    format_metadata: Vec<Target>,
    /// The session's time zone, for metadata cast to another type.
    zone: SessionZone,
    skipped: Arc<AtomicU64>,
    /// [`Decode::value_fills_row_prefix`], computed once.
    direct: bool,
    /// An `upsert-kafka` table: rows end with the delete flag, and a tombstone is a delete.
    upsert: bool,
    /// The value format is a changelog format: rows end with their kind (`kind_value`).
    changelog: bool,
}

impl Decode {
    /// Whether the value's columns are the row's first columns in order and nothing else is
    /// decoded: then the value decodes straight into the row.
    fn value_fills_row_prefix(&self) -> bool {
        self.layout.key.is_none()
            && self
                .layout
                .value
                .columns
                .iter()
                .enumerate()
                .all(|(i, c)| self.physical.get(*c) == Some(&i))
    }

    fn decode(&self, m: &KafkaMessage<'_>) -> Result<Decoded, ConnectorError> {
        let row = if self.direct {
            self.decode_direct(m)?
        } else if self.changelog {
            return self.decode_changes(m);
        } else {
            self.decode_row(m)?
        };
        Ok(row.map_or(Decoded::None, Decoded::One))
    }

    /// A row with the key's columns filled (`extra` more columns after the table's); `None`
    /// when the key is malformed and skipped.
    fn row_with_key(&self, m: &KafkaMessage<'_>, extra: usize) -> Result<Option<Row>, ConnectorError> {
        let mut row = vec![Value::Null; self.width + extra];
        if let Some(key) = &self.layout.key
            && let Some(bytes) = m.key()
        {
            let mut values = Vec::new();
            if let Err(e) = key.format.decode(bytes, &mut values) {
                let skip = key.format.skips(&e);
                return self.malformed(m, "key", key.format.name(), skip, &e.0);
            }
            for (c, v) in key.columns.iter().zip(values) {
                row[self.physical[*c]] = v;
            }
        }
        Ok(Some(row))
    }

    /// The rows of a changelog format's event, each ending with its kind; a tombstone holds
    /// no change (Flink skips it: Debezium writes one after each delete).
    fn decode_changes(&self, m: &KafkaMessage<'_>) -> Result<Decoded, ConnectorError> {
        let Some(bytes) = m.value() else {
            return Ok(Decoded::None);
        };
        let side = &self.layout.value;
        let mut changes = Vec::new();
        let mut format_metadata = Vec::new();
        let decoded = if self.format_metadata.is_empty() {
            side.format.decode_changes(bytes, &mut changes)
        } else {
            side.format
                .decode_changes_with_metadata(bytes, &mut changes, &mut format_metadata)
        };
        if let Err(e) = decoded {
            let skip = side.format.skips(&e);
            return self
                .malformed(m, "value", side.format.name(), skip, &e.0)
                .map(|_| Decoded::None);
        }
        if changes.is_empty() {
            return Ok(Decoded::None);
        }
        let Some(mut base) = self.row_with_key(m, 1)? else {
            return Ok(Decoded::None);
        };
        self.store_metadata(m, &mut base)?;
        for (target, v) in self.format_metadata.iter().zip(format_metadata) {
            target
                .store(&mut base, v, self.zone)
                .map_err(|message| self.failure(m, message))?;
        }
        let last = changes.len() - 1;
        let mut rows = Vec::with_capacity(changes.len());
        for (i, (kind, values)) in changes.into_iter().enumerate() {
            let mut row = if i == last {
                std::mem::take(&mut base)
            } else {
                base.clone()
            };
            for (c, v) in side.columns.iter().zip(values) {
                row[self.physical[*c]] = v;
            }
            row[self.width] = kind_value(kind);
            rows.push(row);
        }
        Ok(Decoded::of_rows(rows))
    }

    /// A row of a `kafka` table with more than its value, or of an `upsert-kafka` table.
    fn decode_row(&self, m: &KafkaMessage<'_>) -> Result<Option<Row>, ConnectorError> {
        let Some(mut row) = self.row_with_key(m, usize::from(self.upsert))? else {
            return Ok(None);
        };
        let mut values = Vec::new();
        if self.upsert {
            let tombstone = m.value().is_none();
            row[self.width] = Value::Boolean(tombstone);
            if tombstone {
                if m.key().is_none() {
                    // Flink fails on a tombstone without a key; nothing can be deleted by it.
                    return self.malformed(m, "key", "none", false, "a tombstone without a key");
                }
                return Ok(Some(row));
            }
        }
        if !self.decode_value(m, &mut values)? {
            return Ok(None);
        }
        for (c, v) in self.layout.value.columns.iter().zip(values.drain(..)) {
            row[self.physical[*c]] = v;
        }
        self.store_metadata(m, &mut row)?;
        Ok(Some(row))
    }

    /// [`decode`](Self::decode) with one allocation: the value's columns are the row's prefix.
    fn decode_direct(&self, m: &KafkaMessage<'_>) -> Result<Option<Row>, ConnectorError> {
        let mut row = Vec::with_capacity(self.width);
        if !self.decode_value(m, &mut row)? {
            return Ok(None);
        }
        row.resize(self.width, Value::Null);
        self.store_metadata(m, &mut row)?;
        Ok(Some(row))
    }

    /// Fills the connector's metadata columns of `row` from message `m`.
    fn store_metadata(&self, m: &KafkaMessage<'_>, row: &mut Row) -> Result<(), ConnectorError> {
        for (target, key) in &self.metadata {
            target
                .store(row, key.read(m), self.zone)
                .map_err(|message| self.failure(m, message))?;
        }
        Ok(())
    }

    /// The job's failure on message `m`, with its place.
    fn failure(&self, m: &KafkaMessage<'_>, message: String) -> ConnectorError {
        ConnectorError::Format {
            location: format!(
                "table {}: topic {}, partition {}, offset {}",
                self.table,
                m.topic(),
                m.partition(),
                m.offset()
            ),
            message,
        }
    }

    /// Appends the value's columns to `out`; `false` when the message makes no row: a record
    /// Flink skips without an error (an empty json record, a csv comment, a tombstone for
    /// `json` and `csv` — `raw` makes it a row of NULL), or a malformed one skipped by
    /// `ignore-parse-errors`.
    fn decode_value(&self, m: &KafkaMessage<'_>, out: &mut Vec<Value>) -> Result<bool, ConnectorError> {
        let side = &self.layout.value;
        let decoded = match m.value() {
            None => Ok(side.format.decode_absent(out)),
            Some(bytes) => side.format.decode_record(bytes, out),
        };
        match decoded {
            Ok(made) => Ok(made),
            Err(e) => {
                let skip = side.format.skips(&e);
                self.malformed(m, "value", side.format.name(), skip, &e.0)
                    .map(|_| false)
            }
        }
    }

    fn malformed(
        &self,
        m: &KafkaMessage<'_>,
        part: &str,
        format: &str,
        skip: bool,
        error: &str,
    ) -> Result<Option<Row>, ConnectorError> {
        if skip {
            self.skipped.fetch_add(1, Ordering::Relaxed);
            return Ok(None);
        }
        Err(self.failure(m, format!("the record {part} is not valid '{format}': {error}")))
    }
}

#[derive(Clone)]
struct KafkaReader {
    source: KafkaSource<Decoded>,
}

impl RowReader for KafkaReader {
    fn open(&mut self, ctx: &SourceContext) -> Result<usize, EngineError> {
        spate_engine::Source::open(&mut self.source, ctx)
    }

    fn poll(&mut self, out: &mut RowOut<'_>) -> Result<SourceStatus, EngineError> {
        Ok(self.source.poll_emit(out)?)
    }

    fn snapshot(&mut self, checkpoint_id: u64) -> Result<Vec<u8>, EngineError> {
        spate_engine::Source::snapshot_position(&mut self.source, checkpoint_id)
    }

    fn restore(&mut self, ctx: &SourceContext, positions: &[Vec<u8>]) -> Result<(), EngineError> {
        spate_engine::Source::restore_positions(&mut self.source, ctx, positions)
    }

    fn checkpoint_complete(&mut self, checkpoint_id: u64) -> Result<(), EngineError> {
        spate_engine::Source::notify_checkpoint_complete(&mut self.source, checkpoint_id)
    }

    fn log_offsets(position: &[u8]) -> Vec<spate_engine::LogOffset> {
        <KafkaSource<Decoded> as spate_engine::Source<Decoded>>::log_offsets(position)
    }
}

fn reset(options: Options<'_>) -> Result<OffsetReset, SqlError> {
    match options
        .get("properties.auto.offset.reset")
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("earliest" | "smallest" | "beginning") => Ok(OffsetReset::Earliest),
        Some("latest" | "largest" | "end") => Ok(OffsetReset::Latest),
        Some("none") => Err(options.invalid(
            "properties.auto.offset.reset",
            "'none' is not supported; use 'earliest' or 'latest'",
        )),
        Some(other) => Err(options.invalid(
            "properties.auto.offset.reset",
            format!("'{other}' is not 'earliest' or 'latest'"),
        )),
    }
}

/// `partition:0,offset:42;partition:1,offset:300`.
fn specific_offsets(
    options: Options<'_>,
    key: &str,
    topic: &str,
) -> Result<HashMap<(String, i32), i64>, SqlError> {
    let text = options
        .get(key)
        .ok_or_else(|| options.error(format!("'scan.startup.mode' = 'specific-offsets' needs '{key}'")))?;
    let bad = |entry: &str| {
        options.invalid(
            key,
            format!("'{entry}' is not of the form 'partition:0,offset:42' (entries separated by ';')"),
        )
    };
    let mut out = HashMap::new();
    for entry in text.split(';').map(str::trim).filter(|e| !e.is_empty()) {
        let mut partition = None;
        let mut offset = None;
        for kv in entry.split(',') {
            match kv.split_once(':').map(|(k, v)| (k.trim(), v.trim())) {
                Some(("partition", v)) => partition = Some(v.parse::<i32>().map_err(|_| bad(entry))?),
                Some(("offset", v)) => offset = Some(v.parse::<i64>().map_err(|_| bad(entry))?),
                _ => return Err(bad(entry)),
            }
        }
        match (partition, offset) {
            (Some(p), Some(o)) if p >= 0 && o >= 0 => {
                out.insert((topic.to_string(), p), o);
            }
            _ => return Err(bad(entry)),
        }
    }
    Ok(out)
}

fn starting(options: Options<'_>, topics: &[String]) -> Result<StartingOffsets, SqlError> {
    let mode = options
        .get("scan.startup.mode")
        .map_or_else(|| "group-offsets".to_string(), str::to_ascii_lowercase);
    Ok(match mode.as_str() {
        "earliest-offset" => StartingOffsets::Earliest,
        "latest-offset" => StartingOffsets::Latest,
        "group-offsets" => StartingOffsets::Committed {
            reset: reset(options)?,
        },
        "timestamp" => {
            let ts = options.i64("scan.startup.timestamp-millis")?.ok_or_else(|| {
                options.error("'scan.startup.mode' = 'timestamp' needs 'scan.startup.timestamp-millis'")
            })?;
            StartingOffsets::Timestamp(ts)
        }
        "specific-offsets" => {
            let [topic] = topics else {
                return Err(options.invalid(
                    "scan.startup.specific-offsets",
                    "specific offsets need exactly one topic in 'topic'",
                ));
            };
            StartingOffsets::Offsets {
                offsets: specific_offsets(options, "scan.startup.specific-offsets", topic)?,
                reset: OffsetReset::Earliest,
            }
        }
        other => return Err(options.invalid("scan.startup.mode", format!("'{other}' is not a startup mode"))),
    })
}

/// The table's key and value formats, with Flink's checks (errors name the table).
pub(super) fn layout(
    options: Options<'_>,
    columns: &Columns,
    ctx: &ConnectorContext,
) -> Result<KeyValueLayout, SqlError> {
    let physical: Vec<_> = columns.physical.iter().map(|(_, f)| f.clone()).collect();
    let map = with_registry_url(options_map(options.table()), ctx);
    kafka_layout(&physical, &map).map_err(|e| options.error(e.message()))
}

/// The session's schema registry (`spate sql`'s embedded one) for every `avro-confluent`
/// format of the table that names no URL.
fn with_registry_url(mut map: BTreeMap<String, String>, ctx: &ConnectorContext) -> BTreeMap<String, String> {
    let Some(url) = &ctx.schema_registry else {
        return map;
    };
    for (format_key, prefix) in [("format", ""), ("key.format", "key."), ("value.format", "value.")] {
        let Some(format) = map
            .get(format_key)
            .filter(|f| crate::format::uses_schema_registry(f))
            .cloned()
        else {
            continue;
        };
        let named = [
            format!("{prefix}{format}.url"),
            format!("{prefix}{format}.schema-registry.url"),
        ];
        if !named.iter().any(|k| map.contains_key(k)) {
            map.insert(named[0].clone(), url.clone());
        }
    }
    map
}

/// An `upsert-kafka` table's formats: the key holds the `PRIMARY KEY` columns in the key's
/// order (the catalog makes sure there is one).
pub(super) fn upsert_layout(
    options: Options<'_>,
    columns: &Columns,
    ctx: &ConnectorContext,
) -> Result<KeyValueLayout, SqlError> {
    let Some(pk) = &options.table().primary_key else {
        return Err(options.error(crate::catalog::UPSERT_KAFKA_NEEDS_A_KEY));
    };
    let mut map = with_registry_url(options_map(options.table()), ctx);
    let names: Vec<&str> = pk.columns.iter().map(|c| c.as_str()).collect();
    map.insert("key.fields".to_string(), names.join(";"));
    let physical: Vec<_> = columns.physical.iter().map(|(_, f)| f.clone()).collect();
    kafka_layout(&physical, &map).map_err(|e| options.error(e.message()))
}

/// Adds a `kafka` table's source, or an `upsert-kafka` table's: its rows have one column
/// more, after the table's, the delete flag (`true` for a tombstone, whose row holds only the
/// key's columns), which `ChangelogNormalize` reads.
pub(crate) fn scan(
    env: &StreamEnvironment,
    plan: &ScanPlan,
    ctx: &ConnectorContext,
    parallelism: Option<usize>,
) -> Result<DataStream<Row>, SqlError> {
    let options = Options::new(&plan.table);
    let columns = Columns::of(&plan.table);
    let upsert = options.get("connector") == Some("upsert-kafka");
    let mut layout = if upsert {
        upsert_layout(options, &columns, ctx)?
    } else {
        layout(options, &columns, ctx)?
    };
    let physical: Vec<usize> = columns.physical.iter().map(|(i, _)| *i).collect();
    for side in layout.key.iter_mut().chain([&mut layout.value]) {
        let rows: Vec<usize> = side
            .columns
            .iter()
            .filter_map(|c| physical.get(*c).copied())
            .collect();
        side.format = plan.projected_format(&side.format, &rows);
    }
    let readers = metadata::readers(options, &columns)?;
    if !readers.format_keys.is_empty() {
        let keys: Vec<&str> = readers.format_keys.iter().map(String::as_str).collect();
        layout.value.format = layout
            .value
            .format
            .reading_metadata(&keys)
            .map_err(|e| options.error(e))?;
    }
    let table = options.table_name();
    let skipped = ctx.stats.counter(&format!("{table}.skipped-records"));
    let mut decode = Decode {
        table: table.clone(),
        layout,
        width: columns.width,
        physical,
        metadata: readers.connector,
        format_metadata: readers.format_targets,
        zone: ctx.zone,
        skipped,
        direct: false,
        upsert,
        changelog: false,
    };
    decode.changelog = decode.layout.value.format.is_changelog();
    decode.direct = !upsert && !decode.changelog && decode.value_fills_row_prefix();
    let decode = Arc::new(decode);
    let group = options
        .get("properties.group.id")
        .map_or_else(|| format!("spate-sql-{table}"), str::to_string);
    let mut builder = KafkaSource::builder(bootstrap(options, ctx)?, group, move |m: &KafkaMessage<'_>| {
        decode.decode(m)
    });
    let topics: Vec<String> = match (options.get("topic"), options.get("topic-pattern")) {
        (Some(t), _) => t
            .split(';')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect(),
        (None, Some(p)) => {
            builder = builder
                .topic_pattern(p)
                .map_err(|e| options.invalid("topic-pattern", e))?;
            Vec::new()
        }
        (None, None) => return Err(options.error("a Kafka table needs 'topic' or 'topic-pattern'")),
    };
    if options.get("topic").is_some() {
        if topics.is_empty() {
            return Err(options.invalid("topic", "names no topic"));
        }
        builder = builder.topics(topics.clone());
    }
    // An upsert table is its topic's whole history (Flink's upsert source has no startup mode).
    builder = builder.starting_offsets(if upsert {
        StartingOffsets::Earliest
    } else {
        starting(options, &topics)?
    });
    match options
        .get("scan.bounded.mode")
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("unbounded") => {}
        Some("latest-offset") => builder = builder.bounded(),
        Some(other) => {
            return Err(options.invalid(
                "scan.bounded.mode",
                format!("'{other}' is not supported yet (supported: unbounded, latest-offset)"),
            ));
        }
    }
    if options.get("scan.topic-partition-discovery.interval").is_some() {
        let d = options.duration("scan.topic-partition-discovery.interval")?;
        builder = builder.partition_discovery(d.filter(|d| !d.is_zero()));
    }
    // Flink's Kafka source leaves the client's default isolation level, read_uncommitted.
    builder = builder.property("isolation.level", "read_uncommitted");
    for (k, v) in client_properties(options, ctx) {
        builder = builder.property(k, v);
    }
    let source = builder.build().map_err(|e| options.error(e))?;
    add_source(env, plan, ctx, KafkaReader { source }, parallelism)
}
