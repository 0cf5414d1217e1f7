//! A batch fetcher on the Kafka protocol, for any Kafka cluster (the engine's Kafka source reads
//! with it: `ReadPath::Fetch`). Fetch responses carry whole record batches; they are handed to
//! the caller as they arrived, to be decoded by spate-log's consumer cursor — no per-message
//! client work.
//!
//! One fetcher thread (per source subtask) keeps a connection to each partition leader (over TLS
//! and with a SASL login when the properties say so, as the raw admin client does) and fetches
//! every assigned partition whose caller-side queue has room, so the network round trip overlaps
//! the caller's decoding. Like a Kafka client it:
//! - follows leaders (Metadata again after a leader error or a lost connection, with backoff),
//!   retries connection failures without end, and honours `throttle_time_ms`;
//! - reads with `isolation.level` and hands the aborted transactions to the cursor;
//! - restarts an out-of-range offset as `auto.offset.reset` says (ListOffsets), or fails;
//! - drops a trailing partial batch (a broker may cut the last one at the byte limit) and
//!   fetches from after the last whole one;
//! - reads `fetch.wait.max.ms` (default 100 here, as the client path sets),
//!   `fetch.min.bytes` (1), `fetch.max.bytes` (50 MiB) and `max.partition.fetch.bytes`
//!   (1 MiB).
//!
//! Leaders are fetched from in turn: with several brokers, each waits for the one before it
//! (its `fetch.wait.max.ms` at most). Built for Spate's broker (one node); a cluster of many
//! brokers is read correctly, at less than the rate of a fetcher per broker.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::{ApiKey, BrokerId, FetchRequest, MetadataRequest, TopicName, fetch_request};
use kafka_protocol::protocol::StrBytes;
use spate_log::batch::{BatchHeader, HEADER_LEN};

use crate::ClientError;
use crate::broker_connection::{BrokerConnection, check, error_name};
use crate::client_security::{ClientSecurity, property};

/// Socket timeout of the fetcher's connections (a fetch waits at most `fetch.wait.max.ms`).
const IO_TIMEOUT: Duration = Duration::from_secs(30);
/// Waits between attempts after a lost connection or a leader error: from the first to the
/// last, doubling.
const BACKOFF: (Duration, Duration) = (Duration::from_millis(50), Duration::from_secs(1));
/// How long the fetcher sleeps when every partition's queue is full or nothing is assigned.
const IDLE_WAIT: Duration = Duration::from_millis(2);
/// Fetch versions used: 4 brings read_committed, 12 is the last that names topics (13 uses
/// topic ids).
const FETCH_VERSIONS: (i16, i16) = (4, 12);

/// Kafka error codes the fetcher recovers from by looking the leader up again.
const LEADER_ERRORS: &[i16] = &[
    3,  // UNKNOWN_TOPIC_OR_PARTITION (a partition being created)
    5,  // LEADER_NOT_AVAILABLE
    6,  // NOT_LEADER_OR_FOLLOWER
    9,  // REPLICA_NOT_AVAILABLE
    56, // KAFKA_STORAGE_ERROR
    74, // FENCED_LEADER_EPOCH
    75, // UNKNOWN_LEADER_EPOCH
    78, // OFFSET_NOT_AVAILABLE
];
const OFFSET_OUT_OF_RANGE: i16 = 1;

/// Where a fetch whose offset is out of range (deleted by retention) restarts
/// (`auto.offset.reset`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetOutOfRange {
    /// At the log start offset.
    Earliest,
    /// At the high watermark.
    Latest,
    /// Nowhere: the fetcher fails.
    Fail,
}

impl OffsetOutOfRange {
    /// `auto.offset.reset` as Kafka clients spell it (`smallest`, `largest`, `beginning` and
    /// `end` are librdkafka's aliases).
    pub fn parse(value: &str) -> Result<Self, ClientError> {
        match value {
            "earliest" | "smallest" | "beginning" => Ok(Self::Earliest),
            "latest" | "largest" | "end" => Ok(Self::Latest),
            "error" => Ok(Self::Fail),
            other => Err(ClientError::Config(format!(
                "auto.offset.reset `{other}` (earliest, latest or error)"
            ))),
        }
    }
}

/// How the fetcher reads (from a consumer's client properties).
#[derive(Debug, Clone)]
pub struct FetchSettings {
    bootstrap: String,
    security: ClientSecurity,
    read_committed: bool,
    reset: OffsetOutOfRange,
    max_wait_ms: i32,
    min_bytes: i32,
    max_bytes: i32,
    partition_max_bytes: i32,
}

fn int_property(properties: &[(String, String)], key: &str, default: i32) -> Result<i32, ClientError> {
    match property(properties, key) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse::<i32>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| ClientError::Config(format!("{key} `{v}` (a non-negative integer)"))),
    }
}

impl FetchSettings {
    /// Settings from the client properties (`fetch.wait.max.ms`, `fetch.min.bytes`,
    /// `fetch.max.bytes`, `max.partition.fetch.bytes`, the security properties of
    /// [`ClientSecurity`]); the isolation level and the out-of-range policy are the caller's,
    /// whose defaults differ from a plain client's.
    pub fn new(
        bootstrap: &str,
        properties: &[(String, String)],
        read_committed: bool,
        reset: OffsetOutOfRange,
    ) -> Result<Self, ClientError> {
        let map = properties.iter().cloned().collect();
        Ok(Self {
            bootstrap: bootstrap.to_string(),
            security: ClientSecurity::from_properties(&map)?,
            read_committed,
            reset,
            max_wait_ms: int_property(properties, "fetch.wait.max.ms", 100)?,
            min_bytes: int_property(properties, "fetch.min.bytes", 1)?,
            max_bytes: int_property(properties, "fetch.max.bytes", 50 << 20)?.max(1),
            partition_max_bytes: int_property(properties, "max.partition.fetch.bytes", 1 << 20)?.max(1),
        })
    }

    /// Settings with Kafka's defaults for everything but the connection's `security`, the
    /// isolation level and the out-of-range policy (for readers inside Spate, which have no
    /// client properties: a changelog restore, say).
    pub fn with_security(
        bootstrap: &str,
        security: ClientSecurity,
        read_committed: bool,
        reset: OffsetOutOfRange,
    ) -> Self {
        Self {
            bootstrap: bootstrap.to_string(),
            security,
            read_committed,
            reset,
            max_wait_ms: 100,
            min_bytes: 1,
            max_bytes: 50 << 20,
            partition_max_bytes: 1 << 20,
        }
    }

    /// The most one partition's fetch size is raised to for a batch that did not fit.
    fn largest_fetch(&self) -> i32 {
        self.max_bytes.max(self.partition_max_bytes)
    }

    /// Bytes a partition may have waiting for the task before it is fetched no more: room for
    /// the chunk being decoded and one more.
    fn queue_limit(&self) -> usize {
        usize::try_from(self.partition_max_bytes).unwrap_or(1 << 20) * 2
    }
}

/// Whole batches fetched for one split, from offset `from` on.
#[derive(Debug)]
pub struct Chunk {
    /// The split (the caller's number for the partition) they belong to.
    pub split: usize,
    /// The offset the fetch asked for; it moved ahead of the caller's position after an
    /// out-of-range reset.
    pub from: i64,
    /// Whole stored record batches, as fetched (never a trailing partial batch).
    pub records: Bytes,
    /// `(producer id, first offset)` of the aborted transactions among them (read_committed).
    pub aborted: Vec<(i64, i64)>,
}

/// A partition handed to the fetcher.
#[derive(Debug)]
pub struct Assignment {
    /// The caller's number for it, given back in each [`Chunk`].
    pub split: usize,
    /// Its topic.
    pub topic: String,
    /// Its partition.
    pub partition: i32,
    /// The next offset to fetch.
    pub offset: i64,
    /// Bounded reading: the offset to stop before.
    pub stop: Option<i64>,
    /// Bytes fetched and not yet taken by the caller: the fetcher adds each chunk's size, the
    /// caller subtracts it when it takes the chunk. A partition with two fetches' worth waiting
    /// is not fetched (back-pressure per partition).
    pub queued: Arc<AtomicUsize>,
}

/// A partition the fetcher reads.
struct Assigned {
    split: usize,
    topic: String,
    partition: i32,
    /// The next offset to fetch.
    offset: i64,
    stop: Option<i64>,
    /// Bytes fetched and not yet taken by the task.
    queued: Arc<AtomicUsize>,
    leader: Option<i32>,
    /// Raised for a partition whose next batch is bigger than `max.partition.fetch.bytes`
    /// (brokers that cut it instead of sending it whole).
    max_bytes: i32,
}

/// A handle on a fetcher thread, which stops when this is dropped.
#[derive(Debug)]
pub struct Fetcher {
    assign: mpsc::Sender<Vec<Assigned>>,
    /// Where each partition's fetch size starts (`max.partition.fetch.bytes`).
    partition_max_bytes: i32,
    fetched: mpsc::Receiver<Result<Chunk, ClientError>>,
}

/// How a fetcher thread is started: the caller's spawn, so the thread can be accounted where
/// the caller accounts its own (an engine task's memory account, say).
pub type Spawn = dyn FnOnce(std::thread::Builder, Box<dyn FnOnce() + Send + 'static>) -> std::io::Result<()>;

impl Fetcher {
    /// Starts a fetcher thread with `spawn` (see [`Spawn`]); it connects once partitions are
    /// assigned.
    pub fn start(settings: FetchSettings, spawn: Box<Spawn>) -> Result<Self, ClientError> {
        let partition_max_bytes = settings.partition_max_bytes;
        let (assign, assignments) = mpsc::channel();
        let (found, fetched) = mpsc::channel();
        spawn(
            std::thread::Builder::new().name("kafka-fetcher".into()),
            Box::new(move || {
                let mut f = FetchLoop {
                    settings,
                    parts: Vec::new(),
                    bootstrap: None,
                    leaders: HashMap::new(),
                    addresses: HashMap::new(),
                    stale: true,
                    backoff: BACKOFF.0,
                    out: found,
                };
                f.run(&assignments);
            }),
        )
        .map_err(|e| ClientError::Protocol(format!("starting the fetcher thread: {e}")))?;
        Ok(Self {
            assign,
            partition_max_bytes,
            fetched,
        })
    }

    /// Adds partitions to fetch.
    pub fn assign(&self, partitions: Vec<Assignment>) -> Result<(), ClientError> {
        if partitions.is_empty() {
            return Ok(());
        }
        let new = partitions
            .into_iter()
            .map(|a| Assigned {
                split: a.split,
                topic: a.topic,
                partition: a.partition,
                offset: a.offset,
                stop: a.stop,
                queued: a.queued,
                leader: None,
                max_bytes: self.partition_max_bytes,
            })
            .collect();
        self.assign
            .send(new)
            .map_err(|_| ClientError::Protocol("the fetcher thread stopped".into()))
    }

    /// The next chunk the fetcher fetched, if one is waiting; an error the fetcher could not
    /// retry (its thread has stopped).
    pub fn next_chunk(&self) -> Result<Option<Chunk>, ClientError> {
        match self.fetched.try_recv() {
            Ok(Ok(chunk)) => Ok(Some(chunk)),
            Ok(Err(e)) => Err(e),
            Err(mpsc::TryRecvError::Empty) => Ok(None),
            Err(mpsc::TryRecvError::Disconnected) => {
                Err(ClientError::Protocol("the fetcher thread stopped".into()))
            }
        }
    }
}

/// The whole batches at the start of `data` and the offset after the last of them (`None`
/// when not even the first batch is whole).
fn whole_batches(data: &Bytes) -> Result<Option<(Bytes, i64)>, ClientError> {
    let mut at = 0;
    let mut next = None;
    while data.len() - at >= HEADER_LEN {
        let header = BatchHeader::parse(&data[at..])
            .map_err(|e| ClientError::Protocol(format!("a fetched batch: {e}")))?;
        let end = at + header.total_len();
        if end > data.len() {
            break;
        }
        next = Some(header.last_offset() + 1);
        at = end;
    }
    Ok(next.map(|n| (data.slice(..at), n)))
}

/// The fetcher thread's state.
struct FetchLoop {
    settings: FetchSettings,
    parts: Vec<Assigned>,
    /// A connection for metadata and offset look-ups.
    bootstrap: Option<BrokerConnection>,
    /// Connections by broker id.
    leaders: HashMap<i32, BrokerConnection>,
    addresses: HashMap<i32, String>,
    /// Leaders must be looked up (again).
    stale: bool,
    backoff: Duration,
    out: mpsc::Sender<Result<Chunk, ClientError>>,
}

enum Step {
    Go,
    Stop,
}

impl FetchLoop {
    fn run(&mut self, assignments: &mpsc::Receiver<Vec<Assigned>>) {
        loop {
            let idle = !self.parts.iter().any(|p| self.fetchable(p));
            let next = if idle {
                assignments.recv_timeout(IDLE_WAIT).map_err(|e| match e {
                    mpsc::RecvTimeoutError::Timeout => false,
                    mpsc::RecvTimeoutError::Disconnected => true,
                })
            } else {
                assignments.try_recv().map_err(|e| match e {
                    mpsc::TryRecvError::Empty => false,
                    mpsc::TryRecvError::Disconnected => true,
                })
            };
            match next {
                Ok(new) => {
                    self.parts.extend(new);
                    self.stale = true;
                }
                // The source is gone.
                Err(true) => return,
                Err(false) => {}
            }
            if idle && !self.stale {
                continue;
            }
            match self.round() {
                // A partition without a leader, or a leader error: the metadata is asked again
                // after a pause, not at once (the broker would answer the same).
                Ok(Step::Go) if self.stale => {
                    std::thread::sleep(self.backoff);
                    self.backoff = (self.backoff * 2).min(BACKOFF.1);
                }
                Ok(Step::Go) => self.backoff = BACKOFF.0,
                Ok(Step::Stop) => return,
                Err(e) if matches!(e, ClientError::Unreachable(_)) || is_transient(&e) => {
                    // A broker went away or is not ready: look it up again after a while.
                    self.leaders.clear();
                    self.bootstrap = None;
                    self.stale = true;
                    std::thread::sleep(self.backoff);
                    self.backoff = (self.backoff * 2).min(BACKOFF.1);
                }
                Err(e) => {
                    let _ = self.out.send(Err(e));
                    return;
                }
            }
        }
    }

    fn fetchable(&self, p: &Assigned) -> bool {
        p.stop.is_none_or(|s| p.offset < s) && p.queued.load(Ordering::Acquire) < self.settings.queue_limit()
    }

    /// One fetch from every leader with fetchable partitions (after a metadata refresh when
    /// leaders are stale).
    fn round(&mut self) -> Result<Step, ClientError> {
        if self.stale {
            self.refresh_leaders()?;
            self.stale = false;
        }
        let mut by_leader: HashMap<i32, Vec<usize>> = HashMap::new();
        for (i, p) in self.parts.iter().enumerate() {
            if self.fetchable(p) {
                match p.leader {
                    Some(l) => by_leader.entry(l).or_default().push(i),
                    None => self.stale = true,
                }
            }
        }
        let mut leaders: Vec<_> = by_leader.into_iter().collect();
        leaders.sort_unstable_by_key(|(l, _)| *l);
        for (leader, parts) in leaders {
            if let Step::Stop = self.fetch_from(leader, &parts)? {
                return Ok(Step::Stop);
            }
        }
        Ok(Step::Go)
    }

    fn connection(&mut self, leader: i32) -> Result<&mut BrokerConnection, ClientError> {
        if !self.leaders.contains_key(&leader) {
            let address = self
                .addresses
                .get(&leader)
                .ok_or_else(|| ClientError::Unreachable(format!("broker {leader} is not in the metadata")))?;
            let conn = BrokerConnection::connect_secured(address, IO_TIMEOUT, &self.settings.security)?;
            self.leaders.insert(leader, conn);
        }
        self.leaders
            .get_mut(&leader)
            .ok_or_else(|| ClientError::Unreachable(format!("broker {leader}")))
    }

    fn bootstrap(&mut self) -> Result<&mut BrokerConnection, ClientError> {
        if self.bootstrap.is_none() {
            let mut last = ClientError::Config("empty bootstrap.servers".into());
            for server in self
                .settings
                .bootstrap
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
            {
                match BrokerConnection::connect_secured(server, IO_TIMEOUT, &self.settings.security) {
                    Ok(c) => {
                        self.bootstrap = Some(c);
                        break;
                    }
                    Err(e) => last = e,
                }
            }
            if self.bootstrap.is_none() {
                return Err(last);
            }
        }
        self.bootstrap
            .as_mut()
            .ok_or_else(|| ClientError::Unreachable("no bootstrap server".into()))
    }

    /// Looks up the leader of every assigned partition and the brokers' addresses.
    fn refresh_leaders(&mut self) -> Result<(), ClientError> {
        let mut topics: Vec<&str> = self.parts.iter().map(|p| p.topic.as_str()).collect();
        topics.sort_unstable();
        topics.dedup();
        let request = MetadataRequest::default()
            .with_topics(Some(
                topics
                    .iter()
                    .map(|t| {
                        MetadataRequestTopic::default()
                            .with_name(Some(TopicName(StrBytes::from_string((*t).to_string()))))
                    })
                    .collect(),
            ))
            .with_allow_auto_topic_creation(false);
        let admin = self.bootstrap()?;
        let version = admin.require(ApiKey::Metadata, (1, 12))?;
        let response = admin.call(&request, version)?;
        self.addresses = response
            .brokers
            .iter()
            .map(|b| (b.node_id.0, format!("{}:{}", b.host.as_str(), b.port)))
            .collect();
        let mut leaders = HashMap::new();
        for t in &response.topics {
            let Some(name) = t.name.as_ref() else { continue };
            for p in &t.partitions {
                if p.leader_id.0 >= 0 {
                    leaders.insert((name.0.as_str().to_string(), p.partition_index), p.leader_id.0);
                }
            }
        }
        for p in &mut self.parts {
            p.leader = leaders.get(&(p.topic.clone(), p.partition)).copied();
        }
        // Connections to brokers that are no longer leaders of anything are closed.
        let wanted: Vec<i32> = self.parts.iter().filter_map(|p| p.leader).collect();
        self.leaders.retain(|id, _| wanted.contains(id));
        Ok(())
    }

    /// One Fetch of `parts` (indexes into `self.parts`) from `leader`.
    fn fetch_from(&mut self, leader: i32, parts: &[usize]) -> Result<Step, ClientError> {
        let s = &self.settings;
        let mut topics: Vec<fetch_request::FetchTopic> = Vec::new();
        for &i in parts {
            let p = &self.parts[i];
            let partition = fetch_request::FetchPartition::default()
                .with_partition(p.partition)
                .with_current_leader_epoch(-1)
                .with_fetch_offset(p.offset)
                .with_last_fetched_epoch(-1)
                .with_log_start_offset(-1)
                .with_partition_max_bytes(p.max_bytes);
            match topics.iter_mut().find(|t| t.topic.0.as_str() == p.topic) {
                Some(t) => t.partitions.push(partition),
                None => topics.push(
                    fetch_request::FetchTopic::default()
                        .with_topic(TopicName(StrBytes::from_string(p.topic.clone())))
                        .with_partitions(vec![partition]),
                ),
            }
        }
        let request = FetchRequest::default()
            .with_replica_id(BrokerId(-1))
            .with_max_wait_ms(s.max_wait_ms)
            .with_min_bytes(s.min_bytes)
            .with_max_bytes(s.max_bytes)
            .with_isolation_level(i8::from(s.read_committed))
            .with_session_id(0)
            .with_session_epoch(-1)
            .with_topics(topics);
        let conn = self.connection(leader)?;
        let version = conn.require(ApiKey::Fetch, FETCH_VERSIONS)?;
        let response = conn.call(&request, version)?;
        check(response.error_code, &format!("Fetch from broker {leader}"))?;
        for topic in response.responses {
            let name = topic.topic.0.as_str().to_string();
            for data in topic.partitions {
                let Some(i) = parts.iter().copied().find(|&i| {
                    self.parts[i].topic == name && self.parts[i].partition == data.partition_index
                }) else {
                    continue;
                };
                match data.error_code {
                    0 => {}
                    OFFSET_OUT_OF_RANGE => {
                        self.reset_offset(i, leader)?;
                        continue;
                    }
                    code if LEADER_ERRORS.contains(&code) => {
                        self.stale = true;
                        continue;
                    }
                    code => {
                        let p = &self.parts[i];
                        return Err(ClientError::Protocol(format!(
                            "fetching {}-{}: {}",
                            p.topic,
                            p.partition,
                            error_name(code)
                        )));
                    }
                }
                let records = data.records.unwrap_or_default();
                if records.is_empty() {
                    continue;
                }
                let p = &mut self.parts[i];
                let Some((records, next)) = whole_batches(&records)? else {
                    // Not even one whole batch within the limit: ask for more next time.
                    p.max_bytes = p.max_bytes.saturating_mul(2).min(self.settings.largest_fetch());
                    continue;
                };
                let aborted = data
                    .aborted_transactions
                    .unwrap_or_default()
                    .iter()
                    .map(|a| (a.producer_id.0, a.first_offset))
                    .collect();
                let from = p.offset;
                p.offset = p.offset.max(next);
                p.queued.fetch_add(records.len(), Ordering::AcqRel);
                let chunk = Chunk {
                    split: p.split,
                    from,
                    records,
                    aborted,
                };
                if self.out.send(Ok(chunk)).is_err() {
                    return Ok(Step::Stop);
                }
            }
        }
        if response.throttle_time_ms > 0 {
            let ms = u64::try_from(response.throttle_time_ms).unwrap_or(0).min(1000);
            std::thread::sleep(Duration::from_millis(ms));
        }
        Ok(Step::Go)
    }

    /// Restarts partition `i` whose offset fell out of range where `auto.offset.reset` says.
    fn reset_offset(&mut self, i: usize, leader: i32) -> Result<(), ClientError> {
        let (topic, partition, offset) = {
            let p = &self.parts[i];
            (p.topic.clone(), p.partition, p.offset)
        };
        let timestamp = match self.settings.reset {
            OffsetOutOfRange::Earliest => -2,
            OffsetOutOfRange::Latest => -1,
            OffsetOutOfRange::Fail => {
                return Err(ClientError::Protocol(format!(
                    "offset {offset} of {topic}-{partition} is out of range and auto.offset.reset is `error`"
                )));
            }
        };
        let read_committed = self.settings.read_committed;
        let conn = self.connection(leader)?;
        match conn.list_offset(&topic, partition, timestamp, read_committed) {
            Ok(offset) => {
                self.parts[i].offset = offset;
                Ok(())
            }
            Err(ClientError::Code { code, .. }) if LEADER_ERRORS.contains(&code) => {
                self.stale = true;
                Ok(())
            }
            Err(ClientError::Code { code, .. }) => Err(ClientError::Protocol(format!(
                "ListOffsets({topic}-{partition}): {}",
                error_name(code)
            ))),
            Err(e) => Err(e),
        }
    }
}

/// Error codes of a broker that is starting, moving partitions or briefly overloaded, worth
/// retrying after a metadata refresh (besides [`LEADER_ERRORS`]).
const TRANSIENT_ERRORS: &[i16] = &[
    7,  // REQUEST_TIMED_OUT
    13, // NETWORK_EXCEPTION
    14, // COORDINATOR_LOAD_IN_PROGRESS
    15, // COORDINATOR_NOT_AVAILABLE
    16, // NOT_COORDINATOR
];

/// A whole request answered with an error code worth retrying (a Fetch or Metadata request of
/// a broker that is starting or moving partitions).
fn is_transient(e: &ClientError) -> bool {
    matches!(e, ClientError::Code { code, .. }
        if LEADER_ERRORS.contains(code) || TRANSIENT_ERRORS.contains(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A batch of `count` records (no records section needed for the header walk).
    fn batch(base_offset: i64, count: i32, payload: usize) -> Vec<u8> {
        let mut b = vec![0u8; HEADER_LEN + payload];
        b[0..8].copy_from_slice(&base_offset.to_be_bytes());
        let len = i32::try_from(HEADER_LEN + payload - 12).unwrap_or(i32::MAX);
        b[8..12].copy_from_slice(&len.to_be_bytes());
        b[16] = 2; // magic
        b[23..27].copy_from_slice(&(count - 1).to_be_bytes()); // last offset delta
        b[57..61].copy_from_slice(&count.to_be_bytes());
        b
    }

    #[test]
    fn transient_errors_are_told_by_their_code_not_their_text() {
        let answered = |code| check(code, "Fetch from broker 0").unwrap_err();
        assert!(is_transient(&answered(6)), "NOT_LEADER_OR_FOLLOWER");
        assert!(is_transient(&answered(16)), "NOT_COORDINATOR");
        assert!(!is_transient(&answered(29)), "TOPIC_AUTHORIZATION_FAILED");
        assert!(!is_transient(&answered(1)), "OFFSET_OUT_OF_RANGE");
        assert!(
            !is_transient(&ClientError::Protocol("a record named NOT_LEADER".into())),
            "text that merely mentions a code"
        );
    }

    #[test]
    fn a_trailing_partial_batch_is_dropped_and_fetched_again() {
        let mut data = batch(10, 3, 20);
        data.extend(batch(13, 2, 30));
        let whole = data.len();
        data.extend(&batch(15, 4, 40)[..50]);
        let (records, next) = whole_batches(&Bytes::from(data.clone())).unwrap().unwrap();
        assert_eq!((records.len(), next), (whole, 15));
        assert!(
            whole_batches(&Bytes::from(data[..40].to_vec()))
                .unwrap()
                .is_none()
        );
        let (records, next) = whole_batches(&Bytes::from(data[..whole].to_vec()))
            .unwrap()
            .unwrap();
        assert_eq!((records.len(), next), (whole, 15));
    }
}
