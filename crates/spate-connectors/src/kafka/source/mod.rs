//! [`KafkaSource`]: partitions assigned by the job (no group rebalancing), one split per
//! partition, positions in the checkpoint, offsets committed to the group when a checkpoint
//! completes.
//!
//! Two read paths share everything but the data plane: through librdkafka (any cluster), or
//! straight from the partition logs when the broker runs in this process (`direct.rs`;
//! [`ReadPath`] chooses). Positions in checkpoints are the same on both, so a job can switch.
//!
//! `builder.rs` holds the settings and their builder, `client.rs` the consumer plumbing and
//! partition discovery, `direct.rs` the in-process data plane; this file is the source itself
//! (assignment, polling, checkpoints).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rdkafka::{ClientConfig, Message};
use spate_engine::{
    EngineError, LogOffset, NO_TIMESTAMP, Record, Source, SourceBatch, SourceContext, SourceStatus,
};

use super::assignment::partition_owner;
use super::error::kafka_error;
use super::message::KafkaMessage;
use super::position::{self, PartitionOffset};
use crate::ConnectorError;
use crate::emit::{Emitter, VecBatch};

/// How long blocking calls made outside `poll` (metadata, offset look-ups in `open`) may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

mod batches;
mod builder;
mod client;
mod direct;
mod fetch;

use builder::KafkaSourceConfig;
pub use builder::{Deserializer, KafkaSourceBuilder, OffsetReset, ReadPath, StartingOffsets, TopicSelection};
use client::{Discovery, consumer_config, is_transient, matching_partitions, offset_reset, tpl_of};
use direct::{DirectReader, DirectSplit};
use fetch::{FetchSettings, FetchSplit, Fetcher};

impl<T> KafkaSource<T> {
    fn unopened(c: KafkaSourceConfig<T>) -> Self {
        KafkaSource {
            bootstrap_servers: c.bootstrap_servers,
            group_id: c.group_id,
            topics: c.topics,
            starting: c.starting,
            bounded: c.bounded,
            discovery_interval: c.discovery_interval,
            properties: c.properties,
            deserializer: c.deserializer,
            read_path: c.read_path,
            direct: None,
            fetcher: None,
            ctx: SourceContext {
                subtask: 0,
                parallelism: 1,
            },
            consumer: None,
            splits: Vec::new(),
            index: HashMap::new(),
            assigned: false,
            next_split: 0,
            snapshots: BTreeMap::new(),
            discovery: None,
        }
    }

    fn config(&self) -> KafkaSourceConfig<T> {
        KafkaSourceConfig {
            bootstrap_servers: self.bootstrap_servers.clone(),
            group_id: self.group_id.clone(),
            topics: self.topics.clone(),
            starting: self.starting.clone(),
            bounded: self.bounded,
            discovery_interval: self.discovery_interval,
            properties: self.properties.clone(),
            deserializer: self.deserializer.clone(),
            read_path: self.read_path,
        }
    }
}

/// A clone is an unopened source with the same settings (the engine opens one per subtask).
impl<T> Clone for KafkaSource<T> {
    fn clone(&self) -> Self {
        Self::unopened(self.config())
    }
}

/// One partition this subtask reads.
struct Split {
    topic: String,
    partition: i32,
    /// Offset of the next record to hand out.
    next: i64,
    /// Bounded mode: the end offset read at open.
    stop: Option<i64>,
    queue:
        Option<rdkafka::consumer::base_consumer::PartitionQueue<rdkafka::consumer::DefaultConsumerContext>>,
    /// The direct path's read state.
    direct: DirectSplit,
    /// The fetch path's read state.
    fetch: FetchSplit,
    done: bool,
}

/// A Kafka source (see the [module docs](super)).
///
/// - Subtask `s` of `p` reads the partitions [`partition_owner`] gives it; each partition is a
///   split, so the engine tracks a watermark per partition.
/// - The consumer is assigned its partitions directly (`assign`, Flink's model): no group
///   membership or rebalancing; the group id is only where completed checkpoints' offsets are
///   committed (`enable.auto.commit=false`), so lag shows in ordinary tools.
/// - `isolation.level=read_committed` by default.
/// - Record timestamps become engine record timestamps.
/// - With [`ReadPath::Auto`] (the default) and a broker running in this process at the
///   bootstrap address, records are read from its partition logs directly
///   ([`KafkaSource::reads_log_directly`] says so after `open`).
pub struct KafkaSource<T> {
    bootstrap_servers: String,
    group_id: String,
    topics: TopicSelection,
    starting: StartingOffsets,
    bounded: bool,
    discovery_interval: Option<Duration>,
    properties: Vec<(String, String)>,
    deserializer: Deserializer<T>,
    read_path: ReadPath,
    /// Set at open when the records come straight from an in-process broker's logs.
    direct: Option<DirectReader>,
    /// Set at open when the records come through Spate's own protocol fetcher.
    fetcher: Option<Fetcher>,
    ctx: SourceContext,
    consumer: Option<Arc<BaseConsumer>>,
    splits: Vec<Split>,
    index: HashMap<(String, i32), usize>,
    assigned: bool,
    next_split: usize,
    /// Positions snapshotted per checkpoint, committed to the group on completion.
    snapshots: BTreeMap<u64, Vec<PartitionOffset>>,
    discovery: Option<Discovery>,
}

impl<T> std::fmt::Debug for KafkaSource<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaSource")
            .field("group_id", &self.group_id)
            .field("topics", &self.topics)
            .field("ctx", &self.ctx)
            .field("partitions", &self.splits.len())
            .finish_non_exhaustive()
    }
}

impl<T> KafkaSource<T> {
    /// A builder for a source reading from `bootstrap_servers`, committing completed
    /// checkpoints' offsets for `group_id`, and turning messages into `T` with `deserializer`.
    pub fn builder(
        bootstrap_servers: impl Into<String>,
        group_id: impl Into<String>,
        deserializer: impl Fn(&KafkaMessage<'_>) -> Result<T, ConnectorError> + Send + Sync + 'static,
    ) -> KafkaSourceBuilder<T> {
        KafkaSourceBuilder {
            bootstrap_servers: bootstrap_servers.into(),
            group_id: group_id.into(),
            topics: None,
            starting: StartingOffsets::Earliest,
            bounded: false,
            discovery_interval: Some(Duration::from_secs(30)),
            properties: Vec::new(),
            deserializer: Arc::new(deserializer),
            read_path: ReadPath::Auto,
        }
    }

    /// Whether this (opened) source reads the partition logs of a broker in this process
    /// directly rather than through the Kafka client.
    pub fn reads_log_directly(&self) -> bool {
        self.direct.is_some()
    }

    /// Whether this (opened) source reads through Spate's own fetcher on the Kafka protocol
    /// ([`ReadPath::Fetch`]).
    pub fn reads_through_fetcher(&self) -> bool {
        self.fetcher.is_some()
    }

    fn client_config(&self) -> ClientConfig {
        consumer_config(
            &self.bootstrap_servers,
            &self.group_id,
            &self.starting,
            &self.properties,
        )
    }

    fn consumer(&self) -> Result<&BaseConsumer, ConnectorError> {
        self.consumer
            .as_deref()
            .ok_or_else(|| ConnectorError::Config("the Kafka source was polled before open".into()))
    }

    /// Adds a partition this subtask owns, starting at `next`.
    fn add_split(&mut self, topic: &str, partition: i32, next: i64, stop: Option<i64>) {
        let key = (topic.to_string(), partition);
        if self.index.contains_key(&key) {
            return;
        }
        self.index.insert(key, self.splits.len());
        self.splits.push(Split {
            topic: topic.to_string(),
            partition,
            next,
            done: stop.is_some_and(|s| next >= s),
            stop,
            queue: None,
            direct: DirectSplit::default(),
            fetch: FetchSplit::default(),
        });
    }

    /// The start offsets of `partitions` under the configured starting mode.
    fn resolve_starts(&self, partitions: &[(String, i32)]) -> Result<Vec<i64>, ConnectorError> {
        let consumer = self.consumer()?;
        let watermarks = |t: &str, p: i32| {
            consumer
                .fetch_watermarks(t, p, REQUEST_TIMEOUT)
                .map_err(|e| kafka_error(&format!("end offsets of {t}-{p}"), e))
        };
        let reset = |t: &str, p: i32, r: OffsetReset| -> Result<i64, ConnectorError> {
            let (low, high) = watermarks(t, p)?;
            Ok(if r == OffsetReset::Earliest { low } else { high })
        };
        let mut out = Vec::with_capacity(partitions.len());
        match &self.starting {
            StartingOffsets::Earliest | StartingOffsets::Latest => {
                let r = if self.starting == StartingOffsets::Earliest {
                    OffsetReset::Earliest
                } else {
                    OffsetReset::Latest
                };
                for (t, p) in partitions {
                    out.push(reset(t, *p, r)?);
                }
            }
            StartingOffsets::Offsets { offsets, reset: r } => {
                for (t, p) in partitions {
                    out.push(match offsets.get(&(t.clone(), *p)) {
                        Some(&o) => o,
                        None => reset(t, *p, *r)?,
                    });
                }
            }
            StartingOffsets::Committed { reset: r } => {
                let tpl = tpl_of(partitions.iter().map(|(t, p)| (t.as_str(), *p, Offset::Invalid)))?;
                let committed = consumer
                    .committed_offsets(tpl, REQUEST_TIMEOUT)
                    .map_err(|e| kafka_error("committed offsets", e))?;
                for (t, p) in partitions {
                    let c = committed.find_partition(t, *p).map(|e| e.offset());
                    out.push(match c {
                        Some(Offset::Offset(o)) if o >= 0 => o,
                        _ => reset(t, *p, *r)?,
                    });
                }
            }
            StartingOffsets::Timestamp(ts) => {
                let tpl = tpl_of(
                    partitions
                        .iter()
                        .map(|(t, p)| (t.as_str(), *p, Offset::Offset(*ts))),
                )?;
                let found = consumer
                    .offsets_for_times(tpl, REQUEST_TIMEOUT)
                    .map_err(|e| kafka_error("offsets for timestamp", e))?;
                for (t, p) in partitions {
                    match found.find_partition(t, *p).map(|e| e.offset()) {
                        Some(Offset::Offset(o)) if o >= 0 => out.push(o),
                        // No record at or after the timestamp: start at the end.
                        _ => out.push(reset(t, *p, OffsetReset::Latest)?),
                    }
                }
            }
        }
        Ok(out)
    }

    /// Assigns the splits that have no partition queue yet at their next offsets.
    fn assign_new(&mut self) -> Result<(), ConnectorError> {
        if self.direct.is_some() {
            // The log is read directly: the client fetches nothing.
            self.assigned = true;
            return Ok(());
        }
        if let Some(fetcher) = &self.fetcher {
            fetcher.assign(
                self.splits
                    .iter_mut()
                    .enumerate()
                    .filter(|(_, s)| !s.done)
                    .map(|(i, s)| (i, s.topic.as_str(), s.partition, s.next, s.stop, &mut s.fetch)),
            )?;
            self.assigned = true;
            return Ok(());
        }
        let Some(consumer) = self.consumer.clone() else {
            return Err(ConnectorError::Config(
                "the Kafka source was polled before open".into(),
            ));
        };
        let mut tpl = TopicPartitionList::new();
        for s in self.splits.iter_mut().filter(|s| s.queue.is_none() && !s.done) {
            // Split before assigning so no message of the partition lands in the main queue.
            s.queue = consumer.split_partition_queue(&s.topic, s.partition);
            if s.queue.is_none() {
                return Err(ConnectorError::Kafka(format!(
                    "no partition queue for {}-{}",
                    s.topic, s.partition
                )));
            }
            tpl.add_partition_offset(&s.topic, s.partition, Offset::Offset(s.next))
                .map_err(|e| kafka_error("assignment", e))?;
        }
        if tpl.count() > 0 {
            consumer
                .incremental_assign(&tpl)
                .map_err(|e| kafka_error("assigning partitions", e))?;
        }
        self.assigned = true;
        Ok(())
    }

    /// Takes newly discovered partitions from the discovery thread.
    fn take_discovered(&mut self) -> Result<(), ConnectorError> {
        let Some(d) = &self.discovery else { return Ok(()) };
        let mut found = Vec::new();
        while let Ok(batch) = d.found.try_recv() {
            found.extend(batch);
        }
        let mut added = false;
        for (topic, partition, low) in found {
            if partition_owner(&topic, partition, self.ctx.parallelism) == self.ctx.subtask
                && !self.index.contains_key(&(topic.clone(), partition))
            {
                // A partition created after the job started: all its records are new.
                self.add_split(&topic, partition, low, None);
                added = true;
            }
        }
        if added && self.assigned {
            self.assign_new()?;
        }
        Ok(())
    }

    fn positions(&self) -> Vec<PartitionOffset> {
        self.splits
            .iter()
            .map(|s| PartitionOffset {
                topic: s.topic.clone(),
                partition: s.partition,
                offset: s.next,
            })
            .collect()
    }

    fn serve_main_queue(&self) -> Result<(), ConnectorError> {
        let consumer = self.consumer()?;
        // Serves commit callbacks and client events; every owned partition has its own queue.
        while let Some(r) = consumer.poll(Duration::ZERO) {
            if let Err(e) = r
                && !is_transient(&e)
            {
                return Err(kafka_error("consumer", e));
            }
        }
        Ok(())
    }

    fn poll_split(&mut self, i: usize, out: &mut impl Emitter<T>) -> Result<(), ConnectorError> {
        let split = &mut self.splits[i];
        let at = batches::SplitCursor {
            topic: &split.topic,
            partition: split.partition,
            next: &mut split.next,
            stop: split.stop,
            done: &mut split.done,
        };
        if let Some(reader) = self.direct.as_mut() {
            return direct::poll_split(reader, at, &mut split.direct, &self.deserializer, out);
        }
        if self.fetcher.is_some() {
            return fetch::poll_split(at, &mut split.fetch, &self.deserializer, out);
        }
        let Some(queue) = split.queue.as_ref() else {
            return Ok(());
        };
        while out.remaining() > 0 {
            let Some(r) = queue.poll(Duration::ZERO) else {
                break;
            };
            let m = r.map_err(|e| kafka_error(&format!("reading {}-{}", split.topic, split.partition), e))?;
            if split.stop.is_some_and(|s| m.offset() >= s) {
                split.done = true;
                break;
            }
            let view = KafkaMessage::new(&m);
            let value = (self.deserializer)(&view).map_err(|e| ConnectorError::Format {
                location: format!("{}-{}@{}", split.topic, split.partition, m.offset()),
                message: e.to_string(),
            })?;
            out.emit(value, view.timestamp().unwrap_or(NO_TIMESTAMP));
            split.next = m.offset() + 1;
        }
        if let Some(stop) = split.stop
            && split.next >= stop
        {
            split.done = true;
        }
        Ok(())
    }

    /// Bounded mode: splits whose consumer position passed the end offset without a record
    /// (transaction markers and aborted records occupy offsets too).
    fn check_positions(&mut self) -> Result<(), ConnectorError> {
        if self.direct.is_some() || self.fetcher.is_some() {
            // The batch paths advance past markers and aborted batches themselves.
            return Ok(());
        }
        let position = self
            .consumer()?
            .position()
            .map_err(|e| kafka_error("positions", e))?;
        for s in self.splits.iter_mut().filter(|s| !s.done) {
            if let (Some(stop), Some(Offset::Offset(p))) = (
                s.stop,
                position.find_partition(&s.topic, s.partition).map(|e| e.offset()),
            ) && p >= stop
            {
                s.done = true;
                s.next = s.next.max(stop);
            }
        }
        Ok(())
    }

    fn open_inner(&mut self, ctx: &SourceContext) -> Result<usize, ConnectorError> {
        self.ctx = *ctx;
        let consumer: BaseConsumer = self
            .client_config()
            .create()
            .map_err(|e| kafka_error("creating the consumer", e))?;
        self.consumer = Some(Arc::new(consumer));
        if self.read_path == ReadPath::Auto {
            self.direct = DirectReader::find(
                &self.bootstrap_servers,
                offset_reset(&self.starting),
                &self.properties,
            )?;
        }
        let fetch = FetchSettings::new(
            &self.bootstrap_servers,
            offset_reset(&self.starting),
            &self.properties,
        );
        match (self.read_path, fetch) {
            (ReadPath::Fetch, settings) => self.fetcher = Some(Fetcher::start(settings?)?),
            // Any other cluster: the fetcher, unless the properties ask for what only the
            // client does (a SASL mechanism other than PLAIN and SCRAM, key stores, ...).
            (ReadPath::Auto, Ok(settings)) if self.direct.is_none() => {
                self.fetcher = Some(Fetcher::start(settings)?);
            }
            _ => {}
        }
        let all = matching_partitions(self.consumer()?, &self.topics)?;
        let known: std::collections::HashSet<(String, i32)> = all.iter().cloned().collect();
        let owned: Vec<(String, i32)> = all
            .into_iter()
            .filter(|(t, p)| partition_owner(t, *p, ctx.parallelism) == ctx.subtask)
            .collect();
        let starts = self.resolve_starts(&owned)?;
        for ((topic, partition), start) in owned.iter().zip(starts) {
            let stop = if self.bounded {
                let (_, high) = self
                    .consumer()?
                    .fetch_watermarks(topic, *partition, REQUEST_TIMEOUT)
                    .map_err(|e| kafka_error(&format!("end offsets of {topic}-{partition}"), e))?;
                Some(high)
            } else {
                None
            };
            self.add_split(topic, *partition, start, stop);
        }
        if let Some(interval) = self.discovery_interval {
            self.discovery = Some(Discovery::start(
                self.client_config(),
                self.topics.clone(),
                interval,
                known,
            )?);
        }
        Ok(self.splits.len().max(1))
    }

    fn restore_inner(&mut self, positions: &[Vec<u8>]) -> Result<(), ConnectorError> {
        if self.assigned {
            return Err(ConnectorError::State(
                "restore_positions after the first poll".into(),
            ));
        }
        for entry in positions {
            for p in position::decode(entry)? {
                if partition_owner(&p.topic, p.partition, self.ctx.parallelism) != self.ctx.subtask
                    || !self.topics.matches(&p.topic)
                {
                    continue;
                }
                match self.index.get(&(p.topic.clone(), p.partition)) {
                    Some(&i) => {
                        let s = &mut self.splits[i];
                        s.next = p.offset;
                        s.done = s.stop.is_some_and(|stop| p.offset >= stop);
                    }
                    None => {
                        // A partition only the checkpoint knows (it appeared after the run that
                        // took it started): in bounded mode it stops at today's end, as the
                        // partitions found at open do.
                        let stop = if self.bounded {
                            let (_, high) = self
                                .consumer()?
                                .fetch_watermarks(&p.topic, p.partition, REQUEST_TIMEOUT)
                                .map_err(|e| {
                                    kafka_error(&format!("end offsets of {}-{}", p.topic, p.partition), e)
                                })?;
                            Some(high)
                        } else {
                            None
                        };
                        self.add_split(&p.topic, p.partition, p.offset, stop);
                    }
                }
            }
        }
        Ok(())
    }

    fn poll_inner(&mut self, out: &mut impl Emitter<T>) -> Result<SourceStatus, ConnectorError> {
        if !self.assigned {
            self.assign_new()?;
        }
        self.take_discovered()?;
        self.serve_main_queue()?;
        if let Some(fetcher) = &self.fetcher {
            while let Some(chunk) = fetcher.next_chunk()? {
                if let Some(s) = self.splits.get_mut(chunk.split) {
                    s.fetch.push(chunk);
                }
            }
        }
        let n = self.splits.len();
        for k in 0..n {
            let i = (self.next_split + k) % n;
            if self.splits[i].done {
                continue;
            }
            out.set_split(i);
            let room = out.remaining();
            self.poll_split(i, out)?;
            if out.remaining() < room {
                self.next_split = (i + 1) % n;
                return Ok(SourceStatus::Available);
            }
        }
        if self.bounded {
            self.check_positions()?;
            if self.splits.iter().all(|s| s.done) {
                return Ok(SourceStatus::Finished);
            }
        }
        Ok(SourceStatus::Pending)
    }

    /// [`Source::poll`] outside a job: appends up to `max` records of one split to `out` and
    /// returns that split's index with the status.
    pub fn poll_into(
        &mut self,
        max: usize,
        out: &mut Vec<Record<T>>,
    ) -> Result<(usize, SourceStatus), ConnectorError> {
        let mut batch = VecBatch::new(max);
        let status = self.poll_inner(&mut batch)?;
        out.extend(
            batch
                .records
                .into_iter()
                .map(|(value, ts)| Record::new(ts, value)),
        );
        Ok((batch.split, status))
    }

    /// [`Source::poll`] into any [`Emitter`]: records of one split (named with `set_split`),
    /// up to `out.remaining()`. A wrapper (the SQL source) puts them straight into its batch.
    pub fn poll_emit(&mut self, out: &mut impl Emitter<T>) -> Result<SourceStatus, ConnectorError> {
        self.poll_inner(out)
    }

    fn commit(&mut self, checkpoint_id: u64) -> Result<(), ConnectorError> {
        let mut latest = None;
        while let Some(entry) = self.snapshots.first_entry() {
            if *entry.key() > checkpoint_id {
                break;
            }
            latest = Some(entry.remove());
        }
        let Some(offsets) = latest.filter(|o| !o.is_empty()) else {
            return Ok(());
        };
        let tpl = tpl_of(
            offsets
                .iter()
                .map(|p| (p.topic.as_str(), p.partition, Offset::Offset(p.offset))),
        )?;
        // Async: the commit is informational (lag), the checkpoint is the source of truth.
        self.consumer()?
            .commit(&tpl, CommitMode::Async)
            .map_err(|e| kafka_error("committing offsets", e))
    }
}

impl<T: Send> Source<T> for KafkaSource<T> {
    fn open(&mut self, ctx: &SourceContext) -> Result<usize, EngineError> {
        Ok(self.open_inner(ctx)?)
    }

    fn poll(&mut self, out: &mut SourceBatch<T>) -> Result<SourceStatus, EngineError> {
        Ok(self.poll_inner(out)?)
    }

    fn snapshot_position(&mut self, checkpoint_id: u64) -> Result<Vec<u8>, EngineError> {
        let positions = self.positions();
        let bytes = position::encode(&positions)?;
        self.snapshots.insert(checkpoint_id, positions);
        Ok(bytes)
    }

    fn restore_positions(&mut self, _ctx: &SourceContext, positions: &[Vec<u8>]) -> Result<(), EngineError> {
        Ok(self.restore_inner(positions)?)
    }

    fn notify_checkpoint_complete(&mut self, checkpoint_id: u64) -> Result<(), EngineError> {
        Ok(self.commit(checkpoint_id)?)
    }

    fn log_offsets(position: &[u8]) -> Vec<LogOffset> {
        position::decode(position).unwrap_or_default()
    }
}
